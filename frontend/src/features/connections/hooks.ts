import { useEffect, useRef } from "react";
import { useQueryClient, type QueryClient } from "@tanstack/react-query";
import { $api } from "@/api/client";
import type { AccountSyncSummary, SyncRunRead, SyncRunStatus } from "./types";

const CONNECTIONS = "/api/v1/orgs/{organization_id}/connections" as const;
const SYNC_STATUS = "/api/v1/orgs/{organization_id}/ad-accounts/sync-status" as const;
const ENTITIES = "/api/v1/orgs/{organization_id}/ad-accounts/{ad_account_id}/entities" as const;

/** How often a screen asks again while a sync run is queued or running. */
export const SYNC_POLL_MS = 1_500;

export function isSyncInProgress(status: SyncRunStatus | null | undefined): boolean {
  return status === "queued" || status === "running";
}

export function connectionsQueryOptions(organizationId: string) {
  return $api.queryOptions("get", CONNECTIONS, { params: { path: { organization_id: organizationId } } });
}

/** The organization's connections with their ad accounts (shared by the Connections page and the reconnect notice). */
export function useConnections(organizationId: string, options: { enabled?: boolean } = {}) {
  return $api.useQuery("get", CONNECTIONS, { params: { path: { organization_id: organizationId } } }, { enabled: options.enabled ?? true });
}

/** While managed accounts wait for their first run (queued by the server a moment after they were chosen). */
export const FIRST_SYNC_POLL_MS = 2_000;
/** Give up waiting for a first run after this long (no worker running?); a reload asks again. */
export const FIRST_SYNC_WAIT_MS = 5 * 60_000;

/**
 * Entity counts and the latest sync run of every managed ad account. Polls while a run is queued or running, and
 * while one of `managedAccountIds` has no run yet (its first sync is queued as a job and appears when it starts).
 */
export function useSyncStatus(organizationId: string, managedAccountIds: readonly string[] = []) {
  const waitingSince = useRef<number | null>(null);
  return $api.useQuery(
    "get",
    SYNC_STATUS,
    { params: { path: { organization_id: organizationId } } },
    {
      refetchInterval: (query) => {
        const data = query.state.data;
        if (data?.some((s) => isSyncInProgress(s.last_run?.status))) return SYNC_POLL_MS;
        const waiting = managedAccountIds.some((id) => !data?.find((s) => s.ad_account_id === id)?.last_run);
        if (!waiting) {
          waitingSince.current = null;
          return false;
        }
        waitingSince.current ??= Date.now();
        return Date.now() - waitingSince.current < FIRST_SYNC_WAIT_MS ? FIRST_SYNC_POLL_MS : false;
      },
    },
  );
}

export function invalidateConnections(queryClient: QueryClient) {
  return Promise.all([
    queryClient.invalidateQueries({ queryKey: ["get", CONNECTIONS] }),
    queryClient.invalidateQueries({ queryKey: ["get", SYNC_STATUS] }),
  ]);
}

export function invalidateEntities(queryClient: QueryClient) {
  return queryClient.invalidateQueries({ queryKey: ["get", ENTITIES] });
}

/** Put a run just queued into the cached sync status at once, so the page shows progress (and starts polling). */
export function rememberRun(queryClient: QueryClient, organizationId: string, run: SyncRunRead) {
  const key = $api.queryOptions("get", SYNC_STATUS, { params: { path: { organization_id: organizationId } } }).queryKey;
  queryClient.setQueryData<AccountSyncSummary[]>(key, (current) => {
    if (!current) return current;
    const known = current.some((s) => s.ad_account_id === run.ad_account_id);
    const next = current.map((s) => (s.ad_account_id === run.ad_account_id ? { ...s, last_run: run } : s));
    return known ? next : [...next, { ad_account_id: run.ad_account_id, entity_counts: {}, last_run: run, last_succeeded_at: null }];
  });
}

/**
 * Cached entity lists are out of date once an account's sync succeeds again (or a run this screen watched ends):
 * refetch them. Pass the account's `last_succeeded_at` and whether a run is in progress.
 */
export function useRefreshEntitiesAfterSync(lastSucceededAt: string | null | undefined, inProgress: boolean) {
  const queryClient = useQueryClient();
  const seen = useRef({ lastSucceededAt, inProgress });
  useEffect(() => {
    const before = seen.current;
    if ((before.inProgress && !inProgress) || (before.lastSucceededAt !== lastSucceededAt && lastSucceededAt)) {
      void invalidateEntities(queryClient);
    }
    seen.current = { lastSucceededAt, inProgress };
  }, [lastSucceededAt, inProgress, queryClient]);
}
