/**
 * The analytics API's payloads (docs/analytics.md, "Query API"), named from the generated schema. Money is integer
 * micros of the answer's `currency` (null when an exchange rate it needs is missing); a KPI whose denominator is
 * zero is null.
 */
import type { components, operations } from "@/api/generated/schema";

type S = components["schemas"];

export type Platform = S["Platform"];
export type Preset = S["Preset"];
export type Compare = S["Compare"];
export type CampaignStatus = S["CampaignStatus"];
export type Granularity = S["Granularity"];
export type Dimension = S["Dimension"];
export type BreakdownSort = S["BreakdownSort"];
export type SortKey = Exclude<BreakdownSort, `-${string}`>;

export type Totals = S["TotalsRead"];
export type DateRange = S["RangeRead"];
export type MissingRate = S["MissingRateRead"];
export type Summary = S["SummaryRead"];
export type SeriesPoint = S["SeriesPointRead"];
export type TimeSeries = S["TimeSeriesRead"];
export type BreakdownKey = S["BreakdownKeyRead"];
export type BreakdownRow = S["BreakdownRowRead"];
export type Breakdown = S["BreakdownRead"];
export type PacingHour = S["PacingHourRead"];
export type PacingRow = S["PacingRowRead"];
export type Pacing = S["PacingRead"];
export type RunningSync = S["RunningSyncRead"];
export type AccountFreshness = S["AccountFreshnessRead"];
export type Freshness = S["FreshnessRead"];
export type NotSynced = S["NotSyncedRead"];

type SummaryParams = NonNullable<operations["get_analytics_summary"]["parameters"]["query"]>;

/** The common query parameters of every analytics endpoint (`AnalyticsQuery`), without nulls. */
export type AnalyticsQuery = { [K in keyof SummaryParams]?: NonNullable<SummaryParams[K]> };

/** Every value of a union, checked both ways against the schema: a value added or removed there fails to compile. */
function allOf<T extends string>() {
  return <const A extends readonly T[]>(values: A & ([T] extends [A[number]] ? unknown : never)): readonly T[] =>
    values;
}

export const PRESETS = allOf<Preset>()([
  "today",
  "yesterday",
  "last_7_days",
  "last_14_days",
  "last_30_days",
  "last_90_days",
  "this_month",
  "last_month",
  "this_year",
]);
export const COMPARES = allOf<Compare>()(["previous_period", "previous_year", "none"]);
export const CAMPAIGN_STATUSES = allOf<CampaignStatus>()(["active", "paused", "removed"]);
export const GRANULARITIES = allOf<Granularity>()(["day", "week", "month"]);
export const SORT_KEYS = allOf<SortKey>()([
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
]);
