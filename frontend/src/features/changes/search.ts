/** The change history's filters, kept in the URL (?status=&kind=&source=&platform=&account=&from=&to=). */
import { CHANGE_SOURCES, CHANGE_STATUS } from "./kinds";
import type { ChangeFilters, ChangeSource, ChangeStatus, Platform } from "./types";

export interface ChangesSearch {
  status?: ChangeStatus;
  kind?: string;
  source?: ChangeSource;
  platform?: Platform;
  account?: string;
  /** Created from / to (ISO instants). */
  from?: string;
  to?: string;
}

const PLATFORMS: readonly Platform[] = ["google", "meta", "tiktok"];

function text(value: unknown): string | undefined {
  if (typeof value === "number") return String(value);
  return typeof value === "string" && value.trim() ? value.trim() : undefined;
}

function instant(value: unknown): string | undefined {
  const raw = text(value);
  return raw && !Number.isNaN(Date.parse(raw)) ? raw : undefined;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Parse untrusted search params: unknown or malformed values are dropped rather than sent to the API. */
export function parseChangesSearch(search: Record<string, unknown>): ChangesSearch {
  const status = text(search.status);
  const source = text(search.source);
  const platform = text(search.platform);
  const kind = text(search.kind);
  const account = text(search.account);
  const result: ChangesSearch = {
    status: status && status in CHANGE_STATUS ? (status as ChangeStatus) : undefined,
    kind: kind && /^[a-z_]{1,40}$/.test(kind) ? kind : undefined,
    source: source && source in CHANGE_SOURCES ? (source as ChangeSource) : undefined,
    platform: PLATFORMS.find((p) => p === platform),
    account: account && UUID.test(account) ? account : undefined,
    from: instant(search.from),
    to: instant(search.to),
  };
  return Object.fromEntries(Object.entries(result).filter(([, v]) => v !== undefined)) as ChangesSearch;
}

/** The URL's filters as the API's query. */
export function toChangeFilters(search: ChangesSearch): ChangeFilters {
  const filters: ChangeFilters = {
    status: search.status,
    kind: search.kind as ChangeFilters["kind"],
    source: search.source,
    platform: search.platform,
    ad_account_id: search.account,
    created_from: search.from,
    created_to: search.to,
  };
  return Object.fromEntries(Object.entries(filters).filter(([, v]) => v !== undefined)) as ChangeFilters;
}

export function hasChangeFilters(search: ChangesSearch): boolean {
  return Object.values(search).some((v) => v !== undefined && v !== "");
}
