/**
 * The change pipeline's queries and mutations: screens call these hooks and build no query themselves. Every
 * mutation refreshes the change lists; a change that reaches the platform refreshes the entity lists and the
 * dashboard's numbers too.
 */
import { useInfiniteQuery, useMutation, useQuery, useQueryClient, type QueryClient } from "@tanstack/react-query";
import { API_PREFIX, authFetch } from "@/api/client";
import { isInFlight } from "./kinds";
import type { ChangeFilters, ChangeOptions, ChangeRead, ChangeRequest, ChangesCreated, ChangesPreview } from "./types";

/** How often an in-flight change (or batch) is read again. */
export const POLL_MS = 2000;
export const HISTORY_PAGE_SIZE = 50;
/** The most changes a batch progress reads per page (the API's largest page). */
const BATCH_PAGE_SIZE = 100;

interface Page<T> {
  items: T[];
  next_cursor?: string | null;
}

type Query = Record<string, string | number | boolean | null | undefined>;

async function request<T>(method: string, path: string, { query, body }: { query?: Query; body?: unknown } = {}) {
  const url = new URL(
    `${API_PREFIX}${path}`,
    typeof window !== "undefined" ? window.location.origin : "http://localhost",
  );
  for (const [key, value] of Object.entries(query ?? {})) {
    if (value !== undefined && value !== null && value !== "") url.searchParams.set(key, String(value));
  }
  const response = await authFetch(
    new Request(url, {
      method,
      headers: body === undefined ? {} : { "Content-Type": "application/json" },
      body: body === undefined ? null : JSON.stringify(body),
    }),
  );
  return (await response.json()) as T;
}

const orgPath = (organizationId: string) => `/orgs/${encodeURIComponent(organizationId)}`;

export const changeKeys = {
  all: ["changes"] as const,
  list: (organizationId: string, filters: ChangeFilters) => ["changes", organizationId, "list", filters] as const,
  one: (organizationId: string, changeId: string) => ["changes", organizationId, "one", changeId] as const,
  batch: (organizationId: string, batchId: string) => ["changes", organizationId, "batch", batchId] as const,
  pending: (organizationId: string) => ["changes", organizationId, "pending"] as const,
  options: (organizationId: string, entityId: string) => ["changes", organizationId, "options", entityId] as const,
};

/** After a change reached the platform: the entity browser and the dashboard read again. */
export function refreshEntityViews(queryClient: QueryClient) {
  void queryClient.invalidateQueries({
    queryKey: ["get", "/api/v1/orgs/{organization_id}/ad-accounts/{ad_account_id}/entities"],
  });
  void queryClient.invalidateQueries({ queryKey: ["get", "/api/v1/orgs/{organization_id}/analytics/breakdown"] });
  // Today's pacing sets spend against the campaigns' daily budgets.
  void queryClient.invalidateQueries({ queryKey: ["get", "/api/v1/orgs/{organization_id}/analytics/pacing"] });
  // Lists, counts and options, but not the one change or batch being followed: their reads call this, and reading
  // them again here would loop for as long as the page is open.
  void queryClient.invalidateQueries({
    queryKey: changeKeys.all,
    predicate: (query) => !FOLLOWED.has(String(query.queryKey[2])),
  });
}

const FOLLOWED = new Set(["one", "batch"]);

/** The organization's changes matching `filters`, newest first, page by page. */
export function useChanges(organizationId: string, filters: ChangeFilters, enabled = true) {
  return useInfiniteQuery({
    queryKey: changeKeys.list(organizationId, filters),
    queryFn: ({ pageParam }) =>
      request<Page<ChangeRead>>("GET", `${orgPath(organizationId)}/changes`, {
        query: { ...filters, limit: HISTORY_PAGE_SIZE, cursor: pageParam },
      }),
    initialPageParam: null as string | null,
    getNextPageParam: (page) => page.next_cursor ?? undefined,
    enabled,
    // A list with changes on their way is read again until they settle.
    refetchInterval: (query) =>
      query.state.data?.pages.some((p) => p.items.some((c) => isInFlight(c.status))) ? POLL_MS : false,
  });
}

/** How many changes wait for a manager (at most 100 are counted: `more` says there are others). */
export function usePendingCount(organizationId: string, enabled = true) {
  return useQuery({
    queryKey: changeKeys.pending(organizationId),
    queryFn: async () => {
      const page = await request<Page<ChangeRead>>("GET", `${orgPath(organizationId)}/changes`, {
        query: { status: "pending_approval", limit: BATCH_PAGE_SIZE },
      });
      return { count: page.items.length, more: Boolean(page.next_cursor) };
    },
    enabled,
    refetchInterval: 60_000,
  });
}

/** One change, read again every couple of seconds while it is on its way to the platform. */
export function useChange(organizationId: string, changeId: string | null) {
  const queryClient = useQueryClient();
  return useQuery({
    queryKey: changeKeys.one(organizationId, changeId ?? ""),
    queryFn: async () => {
      const change = await request<ChangeRead>("GET", `${orgPath(organizationId)}/changes/${changeId}`);
      if (change.status === "verified" || change.status === "applied") refreshEntityViews(queryClient);
      return change;
    },
    enabled: Boolean(changeId),
    refetchInterval: (query) => (query.state.data && isInFlight(query.state.data.status) ? POLL_MS : false),
  });
}

export interface BatchProgress {
  items: ChangeRead[];
  /** All pages were read (a batch holds up to 1,000 changes). */
  complete: boolean;
}

/** Every change of one batch, read again while any is on its way. */
export function useBatch(organizationId: string, batchId: string | null) {
  const queryClient = useQueryClient();
  return useQuery({
    queryKey: changeKeys.batch(organizationId, batchId ?? ""),
    queryFn: async (): Promise<BatchProgress> => {
      const items: ChangeRead[] = [];
      let cursor: string | null | undefined = null;
      for (let pages = 0; pages < 10; pages += 1) {
        const page: Page<ChangeRead> = await request<Page<ChangeRead>>("GET", `${orgPath(organizationId)}/changes`, {
          query: { batch_id: batchId, limit: BATCH_PAGE_SIZE, cursor },
        });
        items.push(...page.items);
        cursor = page.next_cursor;
        if (!cursor) break;
      }
      if (!items.some((c) => isInFlight(c.status))) refreshEntityViews(queryClient);
      return { items, complete: !cursor };
    },
    enabled: Boolean(batchId),
    refetchInterval: (query) =>
      query.state.data && query.state.data.items.some((c) => isInFlight(c.status)) ? POLL_MS : false,
  });
}

function optionsQuery(organizationId: string, entityId: string) {
  return {
    queryKey: changeKeys.options(organizationId, entityId),
    queryFn: () =>
      request<ChangeOptions>("GET", `${orgPath(organizationId)}/changes/options`, { query: { entity_id: entityId } }),
    staleTime: 30_000,
  };
}

/** What an entity allows to change, its current values and the platform's limits. */
export function useChangeOptions(organizationId: string, entityId: string | null) {
  return useQuery({ ...optionsQuery(organizationId, entityId ?? ""), enabled: Boolean(entityId) });
}

/** The same, read once (or from the cache) for a bulk change's entities. */
export function fetchChangeOptions(queryClient: QueryClient, organizationId: string, entityId: string) {
  return queryClient.fetchQuery(optionsQuery(organizationId, entityId));
}

/** Check a request without storing anything: every entity's before → after and the problems. */
export function usePreviewChanges(organizationId: string) {
  return useMutation({
    mutationFn: (changes: ChangeRequest[]) =>
      request<ChangesPreview>("POST", `${orgPath(organizationId)}/changes/preview`, { body: { changes } }),
  });
}

/** Ask for changes (one or a bulk): all are validated, then stored and queued or left for approval. */
export function useRequestChanges(organizationId: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (changes: ChangeRequest[]) =>
      request<ChangesCreated>("POST", `${orgPath(organizationId)}/changes`, { body: { changes } }),
    onSuccess: (created) => {
      for (const change of created.items) queryClient.setQueryData(changeKeys.one(organizationId, change.id), change);
      void queryClient.invalidateQueries({ queryKey: ["changes", organizationId, "list"] });
      void queryClient.invalidateQueries({ queryKey: changeKeys.pending(organizationId) });
      void queryClient.invalidateQueries({ queryKey: ["changes", organizationId, "options"] });
    },
  });
}

type ReviewAction = "approve" | "reject" | "undo";

/** Approve or reject a waiting change (with a note), or undo an applied one. */
export function useChangeAction(organizationId: string, action: ReviewAction) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: ({ changeId, note }: { changeId: string; note?: string }) =>
      request<ChangeRead>("POST", `${orgPath(organizationId)}/changes/${changeId}/${action}`, {
        body: action === "undo" ? undefined : { note: note?.trim() || null },
      }),
    onSuccess: (change) => {
      queryClient.setQueryData(changeKeys.one(organizationId, change.id), change);
      void queryClient.invalidateQueries({ queryKey: ["changes", organizationId] });
    },
  });
}
