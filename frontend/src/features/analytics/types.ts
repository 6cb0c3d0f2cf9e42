/**
 * The analytics API's payloads (docs/analytics.md, "Query API"). Money is integer micros of the answer's `currency`
 * (null when an exchange rate it needs is missing); a KPI whose denominator is zero is null.
 */
import type { Platform } from "@/features/connections/types";

export type { Platform };

export const PRESETS = [
  "today",
  "yesterday",
  "last_7_days",
  "last_14_days",
  "last_30_days",
  "last_90_days",
  "this_month",
  "last_month",
  "this_year",
] as const;
export type Preset = (typeof PRESETS)[number];

export const COMPARES = ["previous_period", "previous_year", "none"] as const;
export type Compare = (typeof COMPARES)[number];

export const CAMPAIGN_STATUSES = ["active", "paused", "removed"] as const;
export type CampaignStatus = (typeof CAMPAIGN_STATUSES)[number];

export const GRANULARITIES = ["day", "week", "month"] as const;
export type Granularity = (typeof GRANULARITIES)[number];

export type Dimension = "platform" | "account" | "campaign" | "ad_group" | "ad";

export const SORT_KEYS = [
  "spend",
  "impressions",
  "clicks",
  "conversions",
  "conversion_value",
  "ctr",
  "cpc",
  "cpm",
  "cpa",
  "roas",
  "conversion_rate",
  "name",
] as const;
export type SortKey = (typeof SORT_KEYS)[number];
export type BreakdownSort = SortKey | `-${SortKey}`;

export interface Totals {
  impressions: number;
  clicks: number;
  spend_micros: number | null;
  conversions: number;
  conversion_value_micros: number | null;
  ctr: number | null;
  cpc_micros: number | null;
  cpm_micros: number | null;
  cpa_micros: number | null;
  roas: number | null;
  conversion_rate: number | null;
}

export interface DateRange {
  since: string;
  until: string;
  compare_since: string | null;
  compare_until: string | null;
}

export interface MissingRate {
  currency: string;
  since: string;
  until: string;
}

export interface Summary {
  range: DateRange;
  currency: string;
  totals: Totals;
  previous: Totals | null;
  missing_rates: MissingRate[];
}

export interface SeriesPoint {
  period_start: string;
  period_end?: string;
  totals: Totals;
}

export interface TimeSeries {
  range: DateRange;
  currency: string;
  granularity: Granularity;
  points: SeriesPoint[];
  previous_points: SeriesPoint[] | null;
  missing_rates: MissingRate[];
}

export interface BreakdownKey {
  platform: Platform;
  ad_account_id: string | null;
  ad_account_name: string | null;
  campaign_platform_id: string | null;
  entity_platform_id: string | null;
  name: string;
  status: CampaignStatus | null;
  native_currency: string | null;
}

export interface BreakdownRow {
  key: BreakdownKey;
  totals: Totals;
  previous: Totals | null;
}

export interface Breakdown {
  range: DateRange;
  currency: string;
  dimension: Dimension;
  rows: BreakdownRow[];
  total_count: number;
  next_cursor: string | null;
  missing_rates: MissingRate[];
}

export interface PacingHour {
  hour: number;
  spend_micros: number | null;
}

export interface PacingRow {
  platform: Platform;
  ad_account_id: string;
  campaign_platform_id: string;
  name: string;
  day: string;
  spend_micros: number | null;
  daily_budget_micros: number | null;
  native_currency: string;
  hours: PacingHour[];
}

export interface Pacing {
  currency: string;
  rows: PacingRow[];
  totals: { spend_micros: number | null; daily_budget_micros: number | null };
  missing_rates: MissingRate[];
}

export interface RunningSync {
  scope: string;
  status?: string;
  days_done: number;
  days_total: number;
}

export interface AccountFreshness {
  ad_account_id: string;
  name: string;
  platform: Platform;
  health: string;
  last_synced_at: string | null;
  running: RunningSync | null;
  last_error: string | null;
}

export interface Freshness {
  data_as_of: string | null;
  accounts: AccountFreshness[];
}

/** The common query parameters of every analytics endpoint (`AnalyticsQuery`). */
export interface AnalyticsQuery {
  since?: string;
  until?: string;
  preset?: Preset;
  compare?: Compare;
  platform?: Platform[];
  ad_account_id?: string[];
  status?: CampaignStatus[];
  name_contains?: string;
}
