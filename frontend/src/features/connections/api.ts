import { useCallback, useEffect, useRef, useState } from "react";
import { queryOptions, useQuery, useQueryClient, type QueryClient } from "@tanstack/react-query";
import { $api, api } from "@/api/client";
import type { paths } from "@/api/generated/schema";
import type {
  AccountSyncSummary,
  AdAccountRead,
  ConnectionList,
  ConnectionRead,
  SyncRunRead,
  SyncRunStatus,
} from "./types";

/**
 * The connections module's queries and mutations: screens call these hooks and never build a query themselves. A
 * mutation hook invalidates what its change makes stale; the screen only adds what it shows (a notice, a dialog).
 */

const CONNECTIONS = "/api/v1/orgs/{organization_id}/connections" as const;
const CONNECTION_ACCOUNTS = "/api/v1/orgs/{organization_id}/connections/{connection_id}/accounts" as const;
const SYNC_STATUS = "/api/v1/orgs/{organization_id}/ad-accounts/sync-status" as const;
/** The server's largest page: lists are read page by page, never in one answer. */
const PAGE_SIZE = 100;
const ENTITIES = "/api/v1/orgs/{organization_id}/ad-accounts/{ad_account_id}/entities" as const;
const QUOTAS = "/api/v1/orgs/{organization_id}/connections/quotas" as const;
const CONNECTION = "/api/v1/orgs/{organization_id}/connections/{connection_id}" as const;
const REFRESH_ACCOUNTS = "/api/v1/orgs/{organization_id}/connections/{connection_id}/accounts/refresh" as const;
const CALLBACK = "/api/v1/orgs/{organization_id}/connections/{platform}/callback" as const;
const SYNC_ACCOUNT = "/api/v1/orgs/{organization_id}/ad-accounts/{ad_account_id}/sync" as const;

type QuotaList = paths[typeof QUOTAS]["get"]["responses"][200]["content"]["application/json"];
export type PlatformQuota = QuotaList["items"][number];
/** The quota meter is asked again this often while the page is open. */
export const QUOTA_POLL_MS = 60_000;

/** How often a screen asks again while a sync run is queued or running. */
export const SYNC_POLL_MS = 1_500;

export function isSyncInProgress(status: SyncRunStatus | null | undefined): boolean {
  return status === "queued" || status === "running";
}

/** Every connection of the organization, read page by page (each with the first page of its ad accounts). */
export function connectionsQueryOptions(organizationId: string) {
  const path = { organization_id: organizationId };
  return queryOptions({
    queryKey: ["get", CONNECTIONS, { params: { path } }] as const,
    queryFn: async ({ signal }): Promise<ConnectionList> => {
      const items: ConnectionRead[] = [];
      let needsReconnect = 0;
      let cursor: string | undefined;
      do {
        const { data } = await api.GET(CONNECTIONS, { params: { path, query: { limit: PAGE_SIZE, cursor } }, signal });
        if (!data) break;
        items.push(...data.items);
        needsReconnect = data.needs_reconnect_count;
        cursor = data.next_cursor ?? undefined;
      } while (cursor);
      return { items, next_cursor: null, needs_reconnect_count: needsReconnect };
    },
  });
}

/** The organization's connections with their ad accounts (shared by the Connections page and the reconnect notice). */
export function useConnections(organizationId: string, options: { enabled?: boolean } = {}) {
  return useQuery({
    ...connectionsQueryOptions(organizationId),
    enabled: options.enabled ?? true,
    // While a login's accounts are being listed (a job on the server), ask again until it is done.
    refetchInterval: (query) => (query.state.data?.items.some((c) => isDiscovering(c)) ? SYNC_POLL_MS : false),
  });
}

/** The server is still listing the login's ad accounts (queued or running). */
export function isDiscovering(connection: ConnectionRead): boolean {
  return connection.discovery.state === "queued" || connection.discovery.state === "running";
}

async function accountsPage(
  organizationId: string,
  connectionId: string,
  cursor: string | null,
): Promise<{ items: AdAccountRead[]; next_cursor: string | null }> {
  const { data } = await api.GET(CONNECTION_ACCOUNTS, {
    params: {
      path: { organization_id: organizationId, connection_id: connectionId },
      query: { limit: PAGE_SIZE, cursor: cursor ?? undefined },
    },
  });
  return { items: data?.items ?? [], next_cursor: data?.next_cursor ?? null };
}

/**
 * A connection's ad accounts: the first page comes with the connection, `loadMore` reads the next one and `loadAll`
 * every remaining one (a Google manager login can reach thousands).
 */
export function useConnectionAccounts(organizationId: string, connection: ConnectionRead) {
  const [extra, setExtra] = useState<AdAccountRead[]>([]);
  const [cursor, setCursor] = useState<string | null>(connection.accounts_next_cursor);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const cursorRef = useRef(cursor);
  const busy = useRef(false);

  // A connection read again (after a refresh or a save) starts over from its first page.
  useEffect(() => {
    setExtra([]);
    setCursor(connection.accounts_next_cursor);
    cursorRef.current = connection.accounts_next_cursor;
  }, [connection.accounts, connection.accounts_next_cursor]);

  const load = useCallback(
    async (all: boolean) => {
      if (busy.current || cursorRef.current === null) return;
      busy.current = true;
      setLoading(true);
      setError(null);
      try {
        do {
          const page = await accountsPage(organizationId, connection.id, cursorRef.current);
          cursorRef.current = page.next_cursor;
          setExtra((current) => [...current, ...page.items]);
          setCursor(cursorRef.current);
        } while (all && cursorRef.current !== null);
      } catch (caught) {
        setError(caught);
      } finally {
        busy.current = false;
        setLoading(false);
      }
    },
    [organizationId, connection.id],
  );

  return {
    accounts: extra.length > 0 ? [...connection.accounts, ...extra] : connection.accounts,
    complete: cursor === null,
    loading,
    error,
    loadMore: useCallback(() => load(false), [load]),
    loadAll: useCallback(() => load(true), [load]),
  };
}

/** While managed accounts wait for their first run (queued by the server a moment after they were chosen). */
export const FIRST_SYNC_POLL_MS = 2_000;
/** Give up waiting for a first run after this long (no worker running?); a reload asks again. */
export const FIRST_SYNC_WAIT_MS = 5 * 60_000;

/**
 * Entity counts and the latest sync run of every managed ad account. Polls while a run is queued or running, and
 * while one of `managedAccountIds` has no run yet (its first sync is queued as a job and appears when it starts).
 */
function syncStatusKey(organizationId: string) {
  return ["get", SYNC_STATUS, { params: { path: { organization_id: organizationId } } }] as const;
}

export function useSyncStatus(organizationId: string, managedAccountIds: readonly string[] = []) {
  const waitingSince = useRef<number | null>(null);
  return useQuery({
    queryKey: syncStatusKey(organizationId),
    // Every managed account's summary, read page by page.
    queryFn: async ({ signal }): Promise<AccountSyncSummary[]> => {
      const summaries: AccountSyncSummary[] = [];
      let cursor: string | undefined;
      do {
        const { data } = await api.GET(SYNC_STATUS, {
          params: { path: { organization_id: organizationId }, query: { limit: PAGE_SIZE, cursor } },
          signal,
        });
        if (!data) break;
        summaries.push(...data.items);
        cursor = data.next_cursor ?? undefined;
      } while (cursor);
      return summaries;
    },
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
  });
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
  queryClient.setQueryData<AccountSyncSummary[]>(syncStatusKey(organizationId), (current) => {
    if (!current) return current;
    const known = current.some((s) => s.ad_account_id === run.ad_account_id);
    const next = current.map((s) => (s.ad_account_id === run.ad_account_id ? { ...s, last_run: run } : s));
    return known
      ? next
      : [...next, { ad_account_id: run.ad_account_id, entity_counts: {}, last_run: run, last_succeeded_at: null }];
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

/** Each platform's daily quota as this server has used it, asked again every QUOTA_POLL_MS. */
export function usePlatformQuotas(organizationId: string) {
  return $api.useQuery(
    "get",
    QUOTAS,
    { params: { path: { organization_id: organizationId } } },
    { refetchInterval: QUOTA_POLL_MS },
  );
}

/** Ask the platform again for a login's ad accounts (a job on the server); the connections are read again. */
export function useRefreshConnectionAccounts() {
  const queryClient = useQueryClient();
  return $api.useMutation("post", REFRESH_ACCOUNTS, { onSuccess: () => void invalidateConnections(queryClient) });
}

/** Disconnect a login; its connections and entities are read again. */
export function useDisconnectConnection({ onDisconnected }: { onDisconnected?: () => void } = {}) {
  const queryClient = useQueryClient();
  return $api.useMutation("delete", CONNECTION, {
    onSuccess: () => {
      onDisconnected?.();
      void invalidateConnections(queryClient);
      void invalidateEntities(queryClient);
    },
  });
}

/** Replace the set of managed ad accounts of a login; the connections are read again. */
export function useSetManagedAccounts({ onSaved }: { onSaved?: (managedCount: number) => void } = {}) {
  const queryClient = useQueryClient();
  return $api.useMutation("put", CONNECTION_ACCOUNTS, {
    onSuccess: (data) => {
      void invalidateConnections(queryClient);
      onSaved?.(data.managed_account_count);
    },
  });
}

/** Queue an entity sync of one ad account; the run shows in the cached sync status at once. */
export function useSyncAccount(organizationId: string) {
  const queryClient = useQueryClient();
  return $api.useMutation("post", SYNC_ACCOUNT, { onSuccess: (run) => rememberRun(queryClient, organizationId, run) });
}

/** Finish a connection with the platform's answer on the callback route; the connections are read again. */
export function useCompleteConnection({
  onSettled,
  onConnected,
}: {
  onSettled?: () => void;
  onConnected?: (connection: ConnectionRead) => void;
}) {
  const queryClient = useQueryClient();
  return $api.useMutation("post", CALLBACK, {
    onSettled: () => onSettled?.(),
    onSuccess: (connection) => {
      void invalidateConnections(queryClient);
      onConnected?.(connection);
    },
  });
}
