import { useState, type ReactNode } from "react";
import * as RadixDialog from "@radix-ui/react-dialog";
import { useQueryClient } from "@tanstack/react-query";
import { Link, Outlet, useNavigate, useParams } from "@tanstack/react-router";
import { Button, cn } from "@/components/ui";
import { Logo } from "@/features/auth/AuthLayout";
import { ResendVerificationInline } from "@/features/auth/ResendVerification";
import { endSession, useMe } from "@/features/auth/session";
import { PendingChangesBadge } from "@/features/changes/PendingBadge";
import { ReconnectNotice } from "@/features/connections/ReconnectNotice";
import { useOrganizations } from "@/features/organizations/api";
import { getLastOrgId } from "@/features/organizations/lastOrg";
import { OrgSwitcher } from "./OrgSwitcher";

const NAV_LINK =
  "flex items-center gap-2 rounded-md px-2.5 py-1.5 text-sm text-neutral-600 hover:bg-neutral-100 hover:text-neutral-900";
const NAV_ACTIVE = "bg-neutral-100 font-medium text-neutral-900";

type OrgPath =
  | "/orgs/$organizationId"
  | "/orgs/$organizationId/campaigns"
  | "/orgs/$organizationId/drafts"
  | "/orgs/$organizationId/changes"
  | "/orgs/$organizationId/connections"
  | "/orgs/$organizationId/rules"
  | "/orgs/$organizationId/creative"
  | "/orgs/$organizationId/reports"
  | "/orgs/$organizationId/settings"
  | "/orgs/$organizationId/members"
  | "/orgs/$organizationId/audit-log"
  | "/orgs/$organizationId/organization"
  | "/orgs/$organizationId/exchange-rates";

const PRODUCT_NAV: { to: OrgPath; label: string }[] = [
  { to: "/orgs/$organizationId", label: "Dashboard" },
  { to: "/orgs/$organizationId/campaigns", label: "Campaigns" },
  { to: "/orgs/$organizationId/drafts", label: "Drafts" },
  { to: "/orgs/$organizationId/changes", label: "Changes" },
  { to: "/orgs/$organizationId/connections", label: "Connections" },
  { to: "/orgs/$organizationId/rules", label: "Rules" },
  { to: "/orgs/$organizationId/creative", label: "Creative" },
  { to: "/orgs/$organizationId/reports", label: "Reports" },
  { to: "/orgs/$organizationId/settings", label: "Settings" },
];
const ORG_NAV: { to: OrgPath; label: string }[] = [
  { to: "/orgs/$organizationId/members", label: "Members" },
  { to: "/orgs/$organizationId/audit-log", label: "Audit log" },
  { to: "/orgs/$organizationId/organization", label: "Organization settings" },
  { to: "/orgs/$organizationId/exchange-rates", label: "Exchange rates" },
];

function useCurrentOrgId(): string | null {
  const params = useParams({ strict: false }) as { organizationId?: string };
  const orgs = useOrganizations();
  if (params.organizationId) return params.organizationId;
  const last = getLastOrgId();
  const items = orgs.data?.items ?? [];
  return items.find((o) => o.id === last)?.id ?? items[0]?.id ?? null;
}

function Sidebar({ onNavigate }: { onNavigate?: () => void }) {
  const orgId = useCurrentOrgId();
  const me = useMe();
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const [loggingOut, setLoggingOut] = useState(false);

  async function logOut() {
    setLoggingOut(true);
    await endSession(queryClient);
    await navigate({ to: "/login" });
  }

  return (
    <div className="flex h-full flex-col gap-4 p-3">
      <div className="px-1 pt-1">
        <Link to="/" aria-label="adpilot home" onClick={onNavigate}>
          <Logo />
        </Link>
      </div>
      <OrgSwitcher currentOrgId={orgId} />
      <nav aria-label="Main" className="flex-1 space-y-5 overflow-y-auto">
        {orgId ? (
          <>
            <ul className="space-y-0.5">
              {PRODUCT_NAV.map((item) => (
                <li key={item.to}>
                  <Link
                    to={item.to}
                    params={{ organizationId: orgId }}
                    activeOptions={{ exact: item.to === "/orgs/$organizationId", includeSearch: false }}
                    className={NAV_LINK}
                    activeProps={{ className: NAV_ACTIVE, "aria-current": "page" }}
                    onClick={onNavigate}
                  >
                    {item.label}
                    {item.to === "/orgs/$organizationId/changes" && <PendingChangesBadge organizationId={orgId} />}
                  </Link>
                </li>
              ))}
            </ul>
            <div>
              <p className="px-2.5 pb-1 text-xs font-medium tracking-wide text-neutral-400 uppercase">Organization</p>
              <ul className="space-y-0.5">
                {ORG_NAV.map((item) => (
                  <li key={item.to}>
                    <Link
                      to={item.to}
                      params={{ organizationId: orgId }}
                      className={NAV_LINK}
                      activeProps={{ className: NAV_ACTIVE, "aria-current": "page" }}
                      onClick={onNavigate}
                    >
                      {item.label}
                    </Link>
                  </li>
                ))}
              </ul>
            </div>
          </>
        ) : (
          <p className="px-2.5 text-sm text-neutral-500">Create or join an organization to get started.</p>
        )}
      </nav>
      <div className="border-t border-neutral-200 pt-3">
        <div className="px-2.5 pb-2">
          <p className="truncate text-sm font-medium text-neutral-900">{me.data?.display_name ?? " "}</p>
          <p className="truncate text-xs text-neutral-500">{me.data?.email ?? " "}</p>
        </div>
        <ul aria-label="Account" className="space-y-0.5">
          <li>
            <Link
              to="/account/profile"
              className={NAV_LINK}
              activeProps={{ className: NAV_ACTIVE, "aria-current": "page" }}
              onClick={onNavigate}
            >
              Profile
            </Link>
          </li>
          <li>
            <Link
              to="/account/security"
              className={NAV_LINK}
              activeProps={{ className: NAV_ACTIVE, "aria-current": "page" }}
              onClick={onNavigate}
            >
              Security
            </Link>
          </li>
          <li>
            <Button
              variant="ghost"
              size="sm"
              className="w-full justify-start px-2.5 font-normal text-neutral-600"
              pending={loggingOut}
              onClick={() => void logOut()}
            >
              Log out
            </Button>
          </li>
        </ul>
      </div>
    </div>
  );
}

function VerifyBanner() {
  const me = useMe();
  if (!me.data || me.data.email_verified) return null;
  return (
    <div
      role="status"
      className="flex flex-wrap items-center justify-between gap-3 border-b border-amber-200 bg-amber-50 px-4 py-2 text-sm text-amber-900 sm:px-8"
    >
      <span>
        Please verify your email address. We sent a link to <strong>{me.data.email}</strong>.
      </span>
      <ResendVerificationInline email={me.data.email} />
    </div>
  );
}

/** The first stop of the keyboard: past the navigation, straight to the page's content. */
function SkipLink() {
  return (
    <a
      href="#main"
      className="sr-only z-50 rounded-md bg-neutral-900 px-3 py-2 text-sm font-medium text-white focus:not-sr-only focus:fixed focus:top-2 focus:left-2"
      onClick={(event) => {
        event.preventDefault();
        document.getElementById("main")?.focus();
      }}
    >
      Skip to main content
    </a>
  );
}

export function AppShell({ children }: { children?: ReactNode }) {
  const [menuOpen, setMenuOpen] = useState(false);
  return (
    <div className="min-h-screen lg:grid lg:grid-cols-[16rem_1fr]">
      <SkipLink />
      <aside className="hidden border-r border-neutral-200 bg-neutral-50 lg:sticky lg:top-0 lg:block lg:h-screen">
        <Sidebar />
      </aside>
      <div className="min-w-0">
        <div className="flex items-center justify-between border-b border-neutral-200 bg-white px-4 py-2 lg:hidden">
          <Logo />
          <RadixDialog.Root open={menuOpen} onOpenChange={setMenuOpen}>
            <RadixDialog.Trigger className="rounded-md border border-neutral-300 px-3 py-1.5 text-sm">
              Menu
            </RadixDialog.Trigger>
            <RadixDialog.Portal>
              <RadixDialog.Overlay className="fixed inset-0 z-40 bg-neutral-900/40" />
              <RadixDialog.Content
                aria-describedby={undefined}
                className={cn("fixed inset-y-0 left-0 z-50 w-72 bg-neutral-50 shadow-xl focus:outline-none")}
              >
                <RadixDialog.Title className="sr-only">Navigation</RadixDialog.Title>
                <Sidebar onNavigate={() => setMenuOpen(false)} />
              </RadixDialog.Content>
            </RadixDialog.Portal>
          </RadixDialog.Root>
        </div>
        <VerifyBanner />
        <ReconnectNotice />
        <main id="main" tabIndex={-1} className="px-4 py-6 focus:outline-none sm:px-8 sm:py-8">
          {children ?? <Outlet />}
        </main>
      </div>
    </div>
  );
}
