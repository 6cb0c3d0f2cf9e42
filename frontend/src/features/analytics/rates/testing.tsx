/** Test helpers of the exchange-rate screens: a rate, an organization with a role, a router around the screen. */
import type { ReactNode } from "react";
import { render } from "@testing-library/react";
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import {
  createMemoryHistory,
  createRootRoute,
  createRoute,
  createRouter,
  Outlet,
  RouterProvider,
} from "@tanstack/react-router";
import type { OrganizationRead, Role } from "@/api/types";
import { OrgProvider } from "@/features/organizations/OrgContext";
import { organizationAs } from "@/test/organizations";
import type { ExchangeRate } from "./api";

export const ORG_ID = "00000000-0000-0000-0000-0000000000aa";

export function organization(role: Role, overrides: Partial<OrganizationRead> = {}): OrganizationRead {
  return organizationAs(role, { id: ORG_ID, time_zone: "Europe/Berlin", reporting_currency: "EUR", ...overrides });
}

export function rate(overrides: Partial<ExchangeRate> = {}): ExchangeRate {
  return {
    base: "USD",
    quote: "EUR",
    day: "2026-03-02",
    rate: "0.9223",
    source: "manual",
    updated_at: "2026-03-02T09:00:00Z",
    updated_by_user_id: null,
    ...overrides,
  };
}

/** Render `ui` at /orgs/:id/<path> inside an organization; any other path renders "elsewhere". */
export function renderInOrg(ui: ReactNode, org: OrganizationRead, path = "exchange-rates") {
  const queryClient = new QueryClient({ defaultOptions: { queries: { retry: false }, mutations: { retry: false } } });
  const rootRoute = createRootRoute({ component: () => <Outlet />, notFoundComponent: () => <p>elsewhere</p> });
  const screenRoute = createRoute({
    getParentRoute: () => rootRoute,
    path: `/orgs/$organizationId/${path}`,
    component: () => <OrgProvider organization={org}>{ui}</OrgProvider>,
  });
  const router = createRouter({
    routeTree: rootRoute.addChildren([screenRoute]),
    history: createMemoryHistory({ initialEntries: [`/orgs/${org.id}/${path}`] }),
  });
  const result = render(
    <QueryClientProvider client={queryClient}>
      <RouterProvider router={router as never} />
    </QueryClientProvider>,
  );
  return { ...result, queryClient, router };
}
