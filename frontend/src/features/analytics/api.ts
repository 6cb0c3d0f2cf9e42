/**
 * The analytics API: query hooks on the generated client, and authenticated downloads of the exports (whose URLs
 * carry the same parameters as the screen's queries).
 */
import { useEffect, useRef } from "react";
import { keepPreviousData, useQueryClient, type Query } from "@tanstack/react-query";
import { $api, API_PREFIX, authFetch } from "@/api/client";
import type { AnalyticsQuery, BreakdownSort, Dimension, Freshness, Granularity } from "./types";

type Param = string | number | boolean | readonly string[] | undefined | null;

function origin(): string {
  return typeof window !== "undefined" && window.location ? window.location.origin : "http://localhost";
}

/** `/api/v1/orgs/{org}/analytics/{path}?…` with repeated keys for lists (`platform=google&platform=meta`). */
export function analyticsUrl(organizationId: string, path: string, params: Record<string, Param> = {}): string {
  const url = new URL(`${API_PREFIX}/orgs/${encodeURIComponent(organizationId)}/analytics/${path}`, origin());
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined || value === null || value === "") continue;
    if (Array.isArray(value)) for (const item of value) url.searchParams.append(key, String(item));
    else url.searchParams.set(key, String(value));
  }
  return url.toString();
}

export interface BreakdownParams {
  dimension: Dimension;
  sort?: BreakdownSort;
  limit?: number;
  cursor?: string;
  parent_platform_id?: string;
}

const ORG = "/api/v1/orgs/{organization_id}" as const;

function orgPath(organizationId: string) {
  return { organization_id: organizationId };
}

export function useSummary(organizationId: string, query: AnalyticsQuery) {
  return $api.useQuery(
    "get",
    `${ORG}/analytics/summary`,
    { params: { path: orgPath(organizationId), query } },
    { placeholderData: keepPreviousData },
  );
}

export function useTimeseries(organizationId: string, query: AnalyticsQuery, granularity: Granularity) {
  return $api.useQuery(
    "get",
    `${ORG}/analytics/timeseries`,
    { params: { path: orgPath(organizationId), query: { ...query, granularity } } },
    { placeholderData: keepPreviousData },
  );
}

export function useBreakdown(organizationId: string, query: AnalyticsQuery, params: BreakdownParams) {
  return $api.useQuery(
    "get",
    `${ORG}/analytics/breakdown`,
    { params: { path: orgPath(organizationId), query: { ...query, ...params } } },
    { placeholderData: keepPreviousData },
  );
}

/** How often today's pacing is asked again while the dashboard is open. */
export const PACING_REFRESH_MS = 5 * 60_000;

/** Today's pacing: the filters apply, the date range does not. */
export function usePacing(organizationId: string, query: AnalyticsQuery) {
  const { platform, ad_account_id, status, name_contains } = query;
  return $api.useQuery(
    "get",
    `${ORG}/analytics/pacing`,
    { params: { path: orgPath(organizationId), query: { platform, ad_account_id, status, name_contains } } },
    { refetchInterval: PACING_REFRESH_MS, placeholderData: keepPreviousData },
  );
}

/** While a sync is running, freshness (and the backfill's progress) is asked again this often. */
export const FRESHNESS_POLL_MS = 10_000;

export function useFreshness(organizationId: string) {
  return $api.useQuery(
    "get",
    `${ORG}/analytics/freshness`,
    { params: { path: orgPath(organizationId) } },
    { refetchInterval: (q) => (q.state.data?.accounts.some((a) => a.running) ? FRESHNESS_POLL_MS : false) },
  );
}

const METRIC_SYNC_RUNS = `${ORG}/ad-accounts/{ad_account_id}/metric-sync-runs` as const;
const METRIC_SYNC = `${ORG}/ad-accounts/{ad_account_id}/metric-sync` as const;

/** An ad account's metrics syncs, newest first, page by page. */
export function useMetricSyncRuns(organizationId: string, adAccountId: string, limit: number) {
  return $api.useInfiniteQuery(
    "get",
    METRIC_SYNC_RUNS,
    { params: { path: { organization_id: organizationId, ad_account_id: adAccountId }, query: { limit } } },
    { pageParamName: "cursor", initialPageParam: null, getNextPageParam: (page) => page.next_cursor ?? undefined },
  );
}

/** Ask for a metrics sync of one ad account ("Sync now"); the freshness and the runs are read again. */
export function useSyncMetrics({ onQueued, onError }: { onQueued: () => void; onError: (error: unknown) => void }) {
  const queryClient = useQueryClient();
  return $api.useMutation("post", METRIC_SYNC, {
    onSuccess: () => {
      onQueued();
      void queryClient.invalidateQueries({ queryKey: ["get", `${ORG}/analytics/freshness`] });
      void queryClient.invalidateQueries({ queryKey: ["get", METRIC_SYNC_RUNS] });
    },
    onError,
  });
}

function isNumbersQuery(query: Query): boolean {
  const path = query.queryKey[1];
  return typeof path === "string" && path.startsWith(`${ORG}/analytics/`) && !path.endsWith("/freshness");
}

/**
 * Fresh numbers as they arrive: while a sync runs (a backfill's days, a re-read) and when one finishes, the
 * dashboard's queries are asked again, so a dashboard opened before the first sync fills itself in.
 */
export function useRefreshWhenSynced(freshness: Freshness | undefined) {
  const queryClient = useQueryClient();
  const signature = freshness
    ? [
        freshness.data_as_of ?? "",
        ...freshness.accounts.map((a) => `${a.ad_account_id}:${a.last_synced_at ?? ""}:${a.running?.days_done ?? ""}`),
      ].join("|")
    : null;
  const previous = useRef(signature);
  useEffect(() => {
    const before = previous.current;
    previous.current = signature;
    if (before === null || signature === null || before === signature) return;
    void queryClient.invalidateQueries({ predicate: isNumbersQuery });
  }, [signature, queryClient]);
}

/** The file name a Content-Disposition header gives (RFC 6266, `filename*` first), or null. */
export function filenameFromDisposition(header: string | null): string | null {
  if (!header) return null;
  const extended = /filename\*\s*=\s*(?:UTF-8|utf-8)''([^;]+)/.exec(header);
  if (extended?.[1]) {
    try {
      return decodeURIComponent(extended[1].trim().replace(/^"|"$/g, ""));
    } catch {
      // fall through to the plain parameter
    }
  }
  const plain = /filename\s*=\s*("([^"]*)"|[^;]+)/.exec(header);
  const name = plain?.[2] ?? plain?.[1];
  return name ? name.trim() : null;
}

/**
 * Download a file from the API. The access token lives in memory (never in a cookie the browser would send with a
 * plain link), so the file is fetched with it and handed to the browser as an object URL.
 */
export async function downloadFile(url: string, fallbackName: string): Promise<string> {
  const response = await authFetch(new Request(url));
  const blob = await response.blob();
  const name = filenameFromDisposition(response.headers.get("Content-Disposition")) ?? fallbackName;
  const objectUrl = URL.createObjectURL(blob);
  try {
    const link = document.createElement("a");
    link.href = objectUrl;
    link.download = name;
    link.rel = "noopener";
    document.body.appendChild(link);
    link.click();
    link.remove();
  } finally {
    // Give the browser a moment to start the download before the URL is released.
    setTimeout(() => URL.revokeObjectURL(objectUrl), 10_000);
  }
  return name;
}
