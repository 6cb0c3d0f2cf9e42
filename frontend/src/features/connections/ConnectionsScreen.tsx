import { useMemo, type ReactNode } from "react";
import { Link, useNavigate, useSearch } from "@tanstack/react-router";
import {
  Alert,
  Button,
  Card,
  CardHeader,
  EmptyState,
  ErrorState,
  LoadingState,
  PageHeader,
  buttonClasses,
} from "@/components/ui";
import { useConfig } from "@/features/auth/session";
import { useCan, useCurrentOrg } from "@/features/organizations/OrgContext";
import { describeError } from "@/lib/forms";
import { EmailNotVerifiedNotice, isEmailNotVerified } from "@/features/auth/EmailNotVerifiedNotice";
import { ConnectionPanel } from "./ConnectionPanel";
import { EndpointBadge } from "./EndpointBadge";
import { useConnections, useSyncStatus } from "./api";
import { QuotaMeter } from "./QuotaMeter";
import { PLATFORMS, type PlatformInfo } from "./platforms";
import type { AccountSyncSummary, ConnectionRead } from "./types";
import { useStartConnection } from "./useStartConnection";

export interface ConnectionsSearch {
  /** A connection just made: its account selection is opened. */
  select?: string;
}

export function ConnectionsScreen() {
  const org = useCurrentOrg();
  const permissions = { sync: useCan("connections.sync"), manage: useCan("connections.manage") };
  const { select } = useSearch({ strict: false }) as ConnectionsSearch;
  const navigate = useNavigate();
  const connections = useConnections(org.id);
  const managedIds = useMemo(
    () => (connections.data?.items ?? []).flatMap((c) => c.accounts.filter((a) => a.managed).map((a) => a.id)),
    [connections.data],
  );
  const syncStatus = useSyncStatus(org.id, managedIds);
  const starter = useStartConnection(org.id);
  const config = useConfig();

  const statusByAccount = useMemo(() => {
    const map = new Map<string, AccountSyncSummary>();
    for (const summary of syncStatus.data ?? []) map.set(summary.ad_account_id, summary);
    return map;
  }, [syncStatus.data]);

  const items = connections.data?.items ?? [];
  const sandbox = config.data?.sandbox ?? false;

  return (
    <div className="mx-auto max-w-5xl">
      <PageHeader
        title="Connections"
        description="Connect the ad platforms your organization advertises on, then choose which ad accounts adpilot syncs and manages."
        actions={
          items.some((c) => c.accounts.some((a) => a.managed)) ? (
            <Link
              to="/orgs/$organizationId/campaigns"
              params={{ organizationId: org.id }}
              className={buttonClasses("secondary", "sm")}
            >
              Browse campaigns
            </Link>
          ) : undefined
        }
      />
      {connections.isPending ? (
        <LoadingState label="Loading connections…" />
      ) : connections.isError ? (
        <ErrorState error={connections.error} onRetry={() => void connections.refetch()} />
      ) : (
        <div className="space-y-6">
          {items.length === 0 && <ConnectIntro canManage={permissions.manage} sandbox={sandbox} />}
          {items.length > 0 && sandbox && (
            <p className="text-xs text-neutral-500">
              On this server, platforms without their own app credentials are adpilot's sandbox: simulated consent pages
              and ad accounts, no real account is touched.
            </p>
          )}
          {syncStatus.isError && (
            <Alert tone="warning" title="Sync status is unavailable">
              {describeError(syncStatus.error)}
            </Alert>
          )}
          {PLATFORMS.map((platform) => (
            <PlatformCard
              key={platform.id}
              platform={platform}
              endpoint={<EndpointBadge endpoint={config.data?.platform_endpoints?.[platform.id]} />}
              organizationId={org.id}
              connections={items.filter((c) => c.platform === platform.id)}
              statusByAccount={statusByAccount}
              permissions={permissions}
              select={select}
              starter={starter}
              onSelectionSaved={() => void navigate({ to: ".", search: {}, replace: true })}
            />
          ))}
          {items.length > 0 && <QuotaMeter organizationId={org.id} />}
        </div>
      )}
    </div>
  );
}

function ConnectIntro({ canManage, sandbox }: { canManage: boolean; sandbox: boolean }) {
  return (
    <EmptyState
      title="No ad platform is connected yet"
      description={
        <>
          Connecting signs you in on the platform's own consent page and lets adpilot read your ad accounts' campaigns,
          ad groups and ads (and later change budgets and statuses when you or your rules ask). You choose which ad
          accounts adpilot manages; you can disconnect at any time.
          {sandbox &&
            " On this server the platforms are adpilot's sandbox: the consent pages and ad accounts are simulated and no real ad account is touched."}
          {!canManage && " Managers and admins of this organization can connect platforms."}
        </>
      }
    />
  );
}

function PlatformCard({
  platform,
  endpoint,
  organizationId,
  connections,
  statusByAccount,
  permissions,
  select,
  starter,
  onSelectionSaved,
}: {
  platform: PlatformInfo;
  endpoint: ReactNode;
  organizationId: string;
  connections: ConnectionRead[];
  statusByAccount: Map<string, AccountSyncSummary>;
  permissions: { sync: boolean; manage: boolean };
  select: string | undefined;
  starter: ReturnType<typeof useStartConnection>;
  onSelectionSaved: () => void;
}) {
  const starting = starter.pendingPlatform === platform.id;
  return (
    <Card>
      <CardHeader
        title={platform.title}
        description={platform.description}
        actions={
          <>
            {endpoint}
            {permissions.manage && (
              <Button
                size="sm"
                variant={connections.length ? "secondary" : "primary"}
                aria-label={
                  connections.length ? `Connect another ${platform.title} login` : `Connect ${platform.title}`
                }
                pending={starting}
                disabled={starter.pendingPlatform !== undefined && !starting}
                onClick={() => starter.start(platform.id)}
              >
                {connections.length ? "Connect another login" : "Connect"}
              </Button>
            )}
          </>
        }
      />
      {starter.errorPlatform === platform.id && (
        <div className="px-5 pt-4">
          {isEmailNotVerified(starter.error) ? (
            <EmailNotVerifiedNotice title={`Verify your email to connect ${platform.title}`} />
          ) : (
            <Alert tone="error" title={`Could not start connecting ${platform.title}`}>
              {describeError(starter.error)}
            </Alert>
          )}
        </div>
      )}
      {connections.length === 0 ? (
        <p className="px-5 py-4 text-sm text-neutral-500">Not connected.</p>
      ) : (
        <div className="divide-y divide-neutral-200">
          {connections.map((connection) => (
            <ConnectionPanel
              key={connection.id}
              organizationId={organizationId}
              connection={connection}
              syncStatus={statusByAccount}
              permissions={permissions}
              justConnected={select === connection.id}
              onSelectionSaved={select === connection.id ? onSelectionSaved : undefined}
              onReconnect={() => starter.start(platform.id)}
              reconnecting={starting}
            />
          ))}
        </div>
      )}
    </Card>
  );
}
