/**
 * The dashboard's state lives in the URL, so a link reproduces the view: the date range, the comparison, the
 * filters, the chart granularity, the table's sort, page and drill-down.
 */
import type { Platform } from "@/features/connections/types";
import {
  CAMPAIGN_STATUSES,
  COMPARES,
  GRANULARITIES,
  PRESETS,
  SORT_KEYS,
  type AnalyticsQuery,
  type BreakdownSort,
  type CampaignStatus,
  type Compare,
  type Granularity,
  type Preset,
} from "./types";

export const DEFAULT_PRESET: Preset = "last_30_days";
export const DEFAULT_COMPARE: Compare = "previous_period";
export const DEFAULT_GRANULARITY: Granularity = "day";
export const DEFAULT_SORT: BreakdownSort = "-spend";
/** The longest custom range the API accepts, in years (the same rule as the server's: 29 February counts as 28). */
export const MAX_RANGE_YEARS = 3;
const FIRST_DAY = "1900-01-01";
const LAST_DAY = "9998-12-31";

const PLATFORM_IDS: readonly Platform[] = ["google", "meta", "tiktok"];

export interface DashboardSearch {
  /** A named range; absent means the default (last 30 days) unless a custom range is set. */
  preset?: Preset;
  /** A custom range (both or neither), inclusive ISO dates. */
  since?: string;
  until?: string;
  /** Absent means the previous period. */
  compare?: Compare;
  platform?: Platform[];
  /** Ad account ids (ours). */
  account?: string[];
  status?: CampaignStatus[];
  /** Campaign name contains. */
  q?: string;
  granularity?: Granularity;
  sort?: BreakdownSort;
  /** The cursors that led to the table's current page (the last one is the current page's). */
  cursors?: string[];
  /** Drill-down: the campaign whose ad groups are shown, with its name, ad account and platform. */
  campaign?: string;
  campaignName?: string;
  campaignAccount?: string;
  campaignPlatform?: Platform;
  /** Drill-down: the ad group whose ads are shown, and its name. */
  adGroup?: string;
  adGroupName?: string;
}

/** Search params arrive JSON-parsed (a numeric id becomes a number): accept strings and numbers. */
function str(value: unknown): string | undefined {
  if (typeof value === "string") return value.trim() ? value : undefined;
  if (typeof value === "number" && Number.isFinite(value)) return String(value);
  return undefined;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** An ad account id (a UUID): anything else is dropped rather than sent to an API that would refuse it. */
function uuid(value: unknown): string | undefined {
  const s = str(value);
  return s !== undefined && UUID.test(s) ? s : undefined;
}

function oneOf<T extends string>(allowed: readonly T[], value: unknown): T | undefined {
  const s = str(value);
  return s !== undefined && (allowed as readonly string[]).includes(s) ? (s as T) : undefined;
}

/** A list (or a single value, as a hand-typed `?platform=google` gives), deduplicated, invalid entries dropped. */
function listOf<T extends string>(value: unknown, accept: (item: unknown) => T | undefined): T[] | undefined {
  const items = Array.isArray(value) ? value : value === undefined ? [] : [value];
  const out: T[] = [];
  for (const item of items) {
    const parsed = accept(item);
    if (parsed !== undefined && !out.includes(parsed)) out.push(parsed);
  }
  return out.length ? out : undefined;
}

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** A real calendar date written YYYY-MM-DD. */
export function isIsoDate(value: string): boolean {
  const m = ISO_DATE.exec(value);
  if (!m) return false;
  const date = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return date.toISOString().slice(0, 10) === value;
}

/** The same date `years` years earlier (29 February becomes 28 February), as the server computes it. */
export function yearsBefore(day: string, years: number): string {
  const [y, m, d] = day.split("-");
  const monthDay = m === "02" && d === "29" ? "02-28" : `${m}-${d}`;
  return `${String(Number(y) - years).padStart(4, "0")}-${monthDay}`;
}

/** Why a custom range cannot be used, or null when it can. */
export function customRangeError(since: string, until: string): string | null {
  if (!since || !until) return "Choose both a start and an end date.";
  if (!isIsoDate(since) || !isIsoDate(until)) return "Enter dates as YYYY-MM-DD.";
  if (since > until) return "The start date must be on or before the end date.";
  if (since < FIRST_DAY || until > LAST_DAY) return "Choose dates between 1900 and 9998.";
  if (since < yearsBefore(until, MAX_RANGE_YEARS)) return `A range can span at most ${MAX_RANGE_YEARS} years.`;
  return null;
}

function sortOf(value: unknown): BreakdownSort | undefined {
  const s = str(value);
  if (!s) return undefined;
  const key = s.startsWith("-") ? s.slice(1) : s;
  return (SORT_KEYS as readonly string[]).includes(key) ? (s as BreakdownSort) : undefined;
}

/** validateSearch of the dashboard route: anything unknown or malformed is dropped, defaults are left out. */
export function parseDashboardSearch(search: Record<string, unknown>): DashboardSearch {
  const out: DashboardSearch = {};
  const since = str(search.since);
  const until = str(search.until);
  if (since && until && customRangeError(since, until) === null) {
    out.since = since;
    out.until = until;
  } else {
    const preset = oneOf(PRESETS, search.preset);
    if (preset && preset !== DEFAULT_PRESET) out.preset = preset;
  }
  const compare = oneOf(COMPARES, search.compare);
  if (compare && compare !== DEFAULT_COMPARE) out.compare = compare;
  const platform = listOf(search.platform, (v) => oneOf(PLATFORM_IDS, v));
  if (platform) out.platform = platform;
  const account = listOf(search.account, uuid);
  if (account) out.account = account;
  const status = listOf(search.status, (v) => oneOf(CAMPAIGN_STATUSES, v));
  if (status) out.status = status;
  const q = str(search.q);
  if (q) out.q = q.slice(0, 200);
  const granularity = oneOf(GRANULARITIES, search.granularity);
  if (granularity && granularity !== DEFAULT_GRANULARITY) out.granularity = granularity;
  const sort = sortOf(search.sort);
  if (sort && sort !== DEFAULT_SORT) out.sort = sort;
  const cursors = listOf(search.cursors, str);
  if (cursors) out.cursors = cursors;
  const campaign = str(search.campaign);
  const campaignAccount = uuid(search.campaignAccount);
  if (campaign && campaignAccount) {
    out.campaign = campaign;
    out.campaignAccount = campaignAccount;
    const name = str(search.campaignName);
    if (name) out.campaignName = name;
    const platformOfCampaign = oneOf(PLATFORM_IDS, search.campaignPlatform);
    if (platformOfCampaign) out.campaignPlatform = platformOfCampaign;
    const adGroup = str(search.adGroup);
    if (adGroup) {
      out.adGroup = adGroup;
      const adGroupName = str(search.adGroupName);
      if (adGroupName) out.adGroupName = adGroupName;
    }
  }
  return out;
}

type DrillKey = "campaign" | "campaignName" | "campaignAccount" | "campaignPlatform" | "adGroup" | "adGroupName";
const DRILL_KEYS: readonly DrillKey[] = [
  "campaign",
  "campaignName",
  "campaignAccount",
  "campaignPlatform",
  "adGroup",
  "adGroupName",
];

/**
 * The next state after a change. Setting a key to undefined removes it; defaults are left out of the URL. Any change
 * but the page itself starts the table again at its first page.
 */
export function updateSearch(current: DashboardSearch, patch: Partial<DashboardSearch>): DashboardSearch {
  const next: Record<string, unknown> = { ...current };
  if (!("cursors" in patch)) delete next.cursors;
  if ("since" in patch || "until" in patch) delete next.preset;
  if ("preset" in patch) {
    delete next.since;
    delete next.until;
  }
  for (const [key, value] of Object.entries(patch)) {
    if (value === undefined || value === "" || (Array.isArray(value) && value.length === 0)) delete next[key];
    else next[key] = value;
  }
  return parseDashboardSearch(next);
}

/** A patch that leaves the drill-down (back to the campaigns). */
export const CLEAR_DRILL_DOWN: Partial<DashboardSearch> = Object.fromEntries(DRILL_KEYS.map((k) => [k, undefined]));

/** The common query parameters the state asks the API for. */
export function analyticsQuery(search: DashboardSearch): AnalyticsQuery {
  const query: AnalyticsQuery = {};
  if (search.since && search.until) {
    query.since = search.since;
    query.until = search.until;
  } else {
    query.preset = search.preset ?? DEFAULT_PRESET;
  }
  query.compare = search.compare ?? DEFAULT_COMPARE;
  if (search.platform?.length) query.platform = search.platform;
  if (search.account?.length) query.ad_account_id = search.account;
  if (search.status?.length) query.status = search.status;
  if (search.q) query.name_contains = search.q;
  return query;
}

/** The table's level after the drill-down in the state. */
export function tableLevel(search: DashboardSearch): "campaign" | "ad_group" | "ad" {
  if (search.campaign && search.adGroup) return "ad";
  if (search.campaign) return "ad_group";
  return "campaign";
}
