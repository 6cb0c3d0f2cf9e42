import type { QueryClient } from "@tanstack/react-query";
import {
  createRootRouteWithContext,
  createRoute,
  createRouter,
  lazyRouteComponent,
  Outlet,
  redirect,
} from "@tanstack/react-router";
import { ensureSession, getAccessToken } from "@/api/client";
import { ErrorState, LoadingState } from "@/components/ui";
import { parseAuditSearch } from "@/features/audit/search";
import { parseDashboardSearch } from "@/features/analytics/search";
import { parseCampaignsSearch } from "@/features/campaigns/search";
import { parseDraftsSearch } from "@/features/drafts/search";
import { parseChangesSearch } from "@/features/changes/search";
import { captureCallbackQuery } from "@/features/connections/connectFlow";
import { organizationsQuery } from "@/features/organizations/api";
import { getLastOrgId } from "@/features/organizations/lastOrg";
import { NotFound } from "@/features/shell/NotFound";

export interface RouterContext {
  queryClient: QueryClient;
}

/** Search params arrive JSON-parsed (a numeric token becomes a number): accept strings and numbers. */
function str(value: unknown): string | undefined {
  if (typeof value === "string") return value || undefined;
  if (typeof value === "number") return String(value);
  return undefined;
}
const tokenSearch = (search: Record<string, unknown>): { token?: string } => ({ token: str(search.token) });

async function requireSession({ location }: { location: { href: string } }) {
  await ensureSession();
  if (!getAccessToken()) {
    throw redirect({ to: "/login", search: { redirect: location.href } });
  }
}

const rootRoute = createRootRouteWithContext<RouterContext>()({
  component: () => <Outlet />,
  notFoundComponent: NotFound,
});

// --- Public pages -------------------------------------------------------------------------------------------------

const loginRoute = createRoute({
  getParentRoute: () => rootRoute,
  path: "/login",
  validateSearch: (search: Record<string, unknown>): { redirect?: string } => ({ redirect: str(search.redirect) }),
  beforeLoad: async ({ search }) => {
    await ensureSession();
    if (getAccessToken())
      throw redirect({
        href:
          search.redirect && search.redirect.startsWith("/") && !search.redirect.startsWith("//")
            ? search.redirect
            : "/",
      });
  },
  component: lazyRouteComponent(() => import("@/features/auth/LoginScreen"), "LoginScreen"),
});

const signupRoute = createRoute({
  getParentRoute: () => rootRoute,
  path: "/signup",
  validateSearch: (search: Record<string, unknown>): { redirect?: string } => ({ redirect: str(search.redirect) }),
  component: lazyRouteComponent(() => import("@/features/auth/SignupScreen"), "SignupScreen"),
});

const verifyEmailRoute = createRoute({
  getParentRoute: () => rootRoute,
  path: "/verify-email",
  validateSearch: tokenSearch,
  beforeLoad: () => ensureSession(),
  component: lazyRouteComponent(() => import("@/features/auth/VerifyEmailScreen"), "VerifyEmailScreen"),
});

const forgotPasswordRoute = createRoute({
  getParentRoute: () => rootRoute,
  path: "/forgot-password",
  component: lazyRouteComponent(() => import("@/features/auth/ForgotPasswordScreen"), "ForgotPasswordScreen"),
});

const resetPasswordRoute = createRoute({
  getParentRoute: () => rootRoute,
  path: "/reset-password",
  validateSearch: tokenSearch,
  component: lazyRouteComponent(() => import("@/features/auth/ResetPasswordScreen"), "ResetPasswordScreen"),
});

const acceptInvitationRoute = createRoute({
  getParentRoute: () => rootRoute,
  path: "/invitations/accept",
  validateSearch: tokenSearch,
  beforeLoad: requireSession,
  component: lazyRouteComponent(
    () => import("@/features/organizations/AcceptInvitationScreen"),
    "AcceptInvitationScreen",
  ),
});

const outboxRoute = createRoute({
  getParentRoute: () => rootRoute,
  path: "/dev/outbox",
  component: lazyRouteComponent(() => import("@/features/dev/OutboxScreen"), "OutboxScreen"),
});

// --- Logged-in app ------------------------------------------------------------------------------------------------

const appRoute = createRoute({
  getParentRoute: () => rootRoute,
  id: "app",
  beforeLoad: requireSession,
  pendingComponent: () => <LoadingState />,
  component: lazyRouteComponent(() => import("@/features/shell/AppShell"), "AppShell"),
});

const homeRoute = createRoute({
  getParentRoute: () => appRoute,
  path: "/",
  beforeLoad: async ({ context }) => {
    const orgs = await context.queryClient.ensureQueryData(organizationsQuery());
    if (orgs.items.length === 0) throw redirect({ to: "/onboarding" });
    const last = getLastOrgId();
    const target = orgs.items.find((o) => o.id === last) ?? orgs.items[0]!;
    throw redirect({ to: "/orgs/$organizationId", params: { organizationId: target.id } });
  },
});

const onboardingRoute = createRoute({
  getParentRoute: () => appRoute,
  path: "/onboarding",
  component: lazyRouteComponent(() => import("@/features/organizations/OnboardingScreen"), "OnboardingScreen"),
});

const securityRoute = createRoute({
  getParentRoute: () => appRoute,
  path: "/account/security",
  component: lazyRouteComponent(() => import("@/features/auth/SecurityScreen"), "SecurityScreen"),
});

const profileRoute = createRoute({
  getParentRoute: () => appRoute,
  path: "/account/profile",
  component: lazyRouteComponent(() => import("@/features/auth/ProfileScreen"), "ProfileScreen"),
});

const orgRoute = createRoute({
  getParentRoute: () => appRoute,
  path: "/orgs/$organizationId",
  component: lazyRouteComponent(() => import("@/features/shell/OrgLayout"), "OrgLayout"),
});

function comingSoon<TPath extends string>(path: TPath, key: "rules" | "creative" | "settings") {
  return createRoute({
    getParentRoute: () => orgRoute,
    path,
    component: lazyRouteComponent(() =>
      import("@/features/shell/ComingSoon").then((m) => ({ default: m.comingSoonScreen(key) })),
    ),
  });
}

const dashboardRoute = createRoute({
  getParentRoute: () => orgRoute,
  path: "/",
  validateSearch: parseDashboardSearch,
  component: lazyRouteComponent(() => import("@/features/analytics/DashboardScreen"), "DashboardScreen"),
});
const rulesRoute = comingSoon("rules", "rules");
const creativeRoute = comingSoon("creative", "creative");
const reportsRoute = createRoute({
  getParentRoute: () => orgRoute,
  path: "reports",
  component: lazyRouteComponent(() => import("@/features/analytics/reports/ReportsScreen"), "ReportsScreen"),
});
const settingsRoute = comingSoon("settings", "settings");

const campaignsRoute = createRoute({
  getParentRoute: () => orgRoute,
  path: "campaigns",
  validateSearch: parseCampaignsSearch,
  component: lazyRouteComponent(() => import("@/features/campaigns/EntityBrowserScreen"), "EntityBrowserScreen"),
});

const draftsRoute = createRoute({
  getParentRoute: () => orgRoute,
  path: "drafts",
  validateSearch: parseDraftsSearch,
  component: lazyRouteComponent(() => import("@/features/drafts/DraftsListScreen"), "DraftsListScreen"),
});

const draftRoute = createRoute({
  getParentRoute: () => orgRoute,
  path: "drafts/$draftId",
  component: lazyRouteComponent(() => import("@/features/drafts/DraftScreen"), "DraftScreen"),
});

const changesRoute = createRoute({
  getParentRoute: () => orgRoute,
  path: "changes",
  validateSearch: parseChangesSearch,
  component: lazyRouteComponent(() => import("@/features/changes/ChangeHistoryScreen"), "ChangeHistoryScreen"),
});

const connectionsRoute = createRoute({
  getParentRoute: () => orgRoute,
  path: "connections",
  validateSearch: (search: Record<string, unknown>): { select?: string } => ({ select: str(search.select) }),
  component: lazyRouteComponent(() => import("@/features/connections/ConnectionsScreen"), "ConnectionsScreen"),
});

/**
 * Where an ad platform's consent page sends the browser back (the organization is remembered in sessionStorage). The
 * screen reads the query string verbatim: codes and states must not go through the JSON search parser.
 */
const connectionCallbackRoute = createRoute({
  getParentRoute: () => appRoute,
  path: "/connections/callback/$platform",
  component: lazyRouteComponent(
    () => import("@/features/connections/ConnectionCallbackScreen"),
    "ConnectionCallbackScreen",
  ),
});

const membersRoute = createRoute({
  getParentRoute: () => orgRoute,
  path: "members",
  component: lazyRouteComponent(() => import("@/features/organizations/MembersScreen"), "MembersScreen"),
});

const auditLogRoute = createRoute({
  getParentRoute: () => orgRoute,
  path: "audit-log",
  validateSearch: parseAuditSearch,
  component: lazyRouteComponent(() => import("@/features/audit/AuditLogScreen"), "AuditLogScreen"),
});

const orgSettingsRoute = createRoute({
  getParentRoute: () => orgRoute,
  path: "organization",
  component: lazyRouteComponent(() => import("@/features/organizations/OrgSettingsScreen"), "OrgSettingsScreen"),
});

const exchangeRatesRoute = createRoute({
  getParentRoute: () => orgRoute,
  path: "exchange-rates",
  component: lazyRouteComponent(() => import("@/features/analytics/rates/ExchangeRatesScreen"), "ExchangeRatesScreen"),
});

export const routeTree = rootRoute.addChildren([
  loginRoute,
  signupRoute,
  verifyEmailRoute,
  forgotPasswordRoute,
  resetPasswordRoute,
  acceptInvitationRoute,
  outboxRoute,
  appRoute.addChildren([
    homeRoute,
    onboardingRoute,
    securityRoute,
    profileRoute,
    connectionCallbackRoute,
    orgRoute.addChildren([
      dashboardRoute,
      campaignsRoute,
      draftsRoute,
      draftRoute,
      changesRoute,
      connectionsRoute,
      rulesRoute,
      creativeRoute,
      reportsRoute,
      settingsRoute,
      membersRoute,
      auditLogRoute,
      orgSettingsRoute,
      exchangeRatesRoute,
    ]),
  ]),
]);

export function createAppRouter(queryClient: QueryClient) {
  // Before the router normalizes the URL: an ad platform's callback parameters must reach the screen verbatim.
  if (typeof window !== "undefined") captureCallbackQuery(window.location);
  return createRouter({
    routeTree,
    context: { queryClient },
    defaultPreload: "intent",
    defaultPendingComponent: () => <LoadingState />,
    defaultErrorComponent: ({ error, reset }) => {
      return (
        <div className="p-8">
          <ErrorFallback error={error} onRetry={reset} />
        </div>
      );
    },
    scrollRestoration: true,
  });
}

function ErrorFallback({ error, onRetry }: { error: unknown; onRetry: () => void }) {
  return <ErrorState error={error} onRetry={onRetry} />;
}

declare module "@tanstack/react-router" {
  interface Register {
    router: ReturnType<typeof createAppRouter>;
  }
}
