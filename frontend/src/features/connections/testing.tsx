/** Test helpers for the connections and campaigns screens: fixtures and a router that puts a screen at a path. */
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
import type { AccountSyncSummary, AdAccountRead, ConnectionRead, EntityRead, SyncRunRead } from "./types";

export const ORG_ID = "00000000-0000-0000-0000-000000000001";

export function org(role: Role): OrganizationRead {
  return organizationAs(role, { id: ORG_ID });
}

export function account(overrides: Partial<AdAccountRead> = {}): AdAccountRead {
  return {
    id: "acc-1",
    platform_account_id: "1234567890",
    name: "Acme Shop",
    currency: "EUR",
    time_zone: "Europe/Berlin",
    login_customer_id: null,
    managed: false,
    is_manager: false,
    platform_active: true,
    ...overrides,
  };
}

export function connection(overrides: Partial<ConnectionRead> = {}): ConnectionRead {
  return {
    id: "conn-1",
    platform: "google",
    display_name: "ada@example.com",
    health: "ok",
    health_reason: null,
    health_changed_at: "2026-01-01T00:00:00Z",
    token_expires_at: null,
    refreshed_at: null,
    created_at: "2026-01-01T00:00:00Z",
    discovery: {
      state: "succeeded",
      accounts_found: 1,
      error: null,
      started_at: "2026-01-01T00:00:00Z",
      finished_at: "2026-01-01T00:00:01Z",
    },
    accounts: [account()],
    account_count: overrides.accounts?.length ?? 1,
    managed_account_count: (overrides.accounts ?? [account()]).filter((a) => a.managed).length,
    accounts_next_cursor: null,
    ...overrides,
  };
}

export function run(overrides: Partial<SyncRunRead> = {}): SyncRunRead {
  return {
    id: "run-1",
    ad_account_id: "acc-1",
    kind: "entities",
    trigger: "manual",
    status: "queued",
    queued_at: "2026-01-01T00:00:00Z",
    started_at: null,
    finished_at: null,
    attempts: 0,
    mode: "full",
    counts: {},
    error: null,
    ...overrides,
  };
}

export function summary(overrides: Partial<AccountSyncSummary> = {}): AccountSyncSummary {
  return { ad_account_id: "acc-1", entity_counts: {}, last_run: null, last_succeeded_at: null, ...overrides };
}

export function entity(overrides: Partial<EntityRead> = {}): EntityRead {
  return {
    id: "ent-1",
    ad_account_id: "acc-1",
    platform: "google",
    level: "campaign",
    platform_id: "111",
    parent_platform_id: null,
    campaign_platform_id: "111",
    name: "Brand search",
    status: "active",
    platform_status: "ENABLED",
    objective: "sales",
    currency: "EUR",
    daily_budget_micros: 50_000_000,
    lifetime_budget_micros: null,
    first_seen_at: "2026-01-01T00:00:00Z",
    updated_at: "2026-01-01T00:00:00Z",
    removed_at: null,
    ...overrides,
  };
}

/**
 * Render `ui` at `url`, matched by the route `path` (so params and search work), inside an organization with `role`
 * (or none). Other paths render a plain "elsewhere" page, so navigation away can be asserted.
 */
export function renderAt(ui: ReactNode, { path, url, role }: { path: string; url: string; role?: Role }) {
  const queryClient = new QueryClient({ defaultOptions: { queries: { retry: false }, mutations: { retry: false } } });
  const rootRoute = createRootRoute({ component: () => <Outlet />, notFoundComponent: () => <p>elsewhere</p> });
  const screenRoute = createRoute({
    getParentRoute: () => rootRoute,
    path,
    component: () => (role ? <OrgProvider organization={org(role)}>{ui}</OrgProvider> : <>{ui}</>),
  });
  const router = createRouter({
    routeTree: rootRoute.addChildren([screenRoute]),
    history: createMemoryHistory({ initialEntries: [url] }),
  });
  const result = render(
    <QueryClientProvider client={queryClient}>
      <RouterProvider router={router as never} />
    </QueryClientProvider>,
  );
  return { ...result, queryClient, router };
}
