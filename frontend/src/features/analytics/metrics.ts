/** The dashboard's metrics: how each is read from the totals, formatted, compared and explained when it is null. */
import { formatMicros } from "@/lib/money";
import type { NotSynced, SortKey, Totals } from "./types";

export type MetricId =
  | "spend"
  | "impressions"
  | "clicks"
  | "conversions"
  | "conversion_value"
  | "ctr"
  | "cpc"
  | "cpm"
  | "cpa"
  | "roas"
  | "conversion_rate";

/** Which way a change is good: more conversions is good, a higher CPA is bad, more spend is neither. */
export type Better = "up" | "down" | "neutral";
export type MetricKind = "money" | "count" | "decimal" | "percent" | "multiple";

export interface MetricDef {
  id: MetricId;
  label: string;
  /** A short label for table headers. */
  short: string;
  field: keyof Totals;
  kind: MetricKind;
  better: Better;
  sort: SortKey;
  description: string;
}

export const METRICS: readonly MetricDef[] = [
  {
    id: "spend",
    label: "Spend",
    short: "Spend",
    field: "spend_micros",
    kind: "money",
    better: "neutral",
    sort: "spend",
    description: "Amount spent",
  },
  {
    id: "impressions",
    label: "Impressions",
    short: "Impr.",
    field: "impressions",
    kind: "count",
    better: "up",
    sort: "impressions",
    description: "Times ads were shown",
  },
  {
    id: "clicks",
    label: "Clicks",
    short: "Clicks",
    field: "clicks",
    kind: "count",
    better: "up",
    sort: "clicks",
    description: "Clicks to the ads' destinations (Meta: link clicks)",
  },
  {
    id: "conversions",
    label: "Conversions",
    short: "Conv.",
    field: "conversions",
    kind: "decimal",
    better: "up",
    sort: "conversions",
    description: "Conversions the platforms attributed",
  },
  {
    id: "conversion_value",
    label: "Conversion value",
    short: "Conv. value",
    field: "conversion_value_micros",
    kind: "money",
    better: "up",
    sort: "conversion_value",
    description: "Value of the conversions",
  },
  {
    id: "ctr",
    label: "CTR",
    short: "CTR",
    field: "ctr",
    kind: "percent",
    better: "up",
    sort: "ctr",
    description: "Click-through rate: clicks / impressions",
  },
  {
    id: "cpc",
    label: "CPC",
    short: "CPC",
    field: "cpc_micros",
    kind: "money",
    better: "down",
    sort: "cpc",
    description: "Cost per click: spend / clicks",
  },
  {
    id: "cpm",
    label: "CPM",
    short: "CPM",
    field: "cpm_micros",
    kind: "money",
    better: "down",
    sort: "cpm",
    description: "Cost per thousand impressions",
  },
  {
    id: "cpa",
    label: "CPA",
    short: "CPA",
    field: "cpa_micros",
    kind: "money",
    better: "down",
    sort: "cpa",
    description: "Cost per conversion: spend / conversions",
  },
  {
    id: "roas",
    label: "ROAS",
    short: "ROAS",
    field: "roas",
    kind: "multiple",
    better: "up",
    sort: "roas",
    description: "Return on ad spend: conversion value / spend",
  },
  {
    id: "conversion_rate",
    label: "Conversion rate",
    short: "Conv. rate",
    field: "conversion_rate",
    kind: "percent",
    better: "up",
    sort: "conversion_rate",
    description: "Conversions / clicks",
  },
];

export function metric(id: MetricId): MetricDef {
  const def = METRICS.find((m) => m.id === id);
  if (!def) throw new Error(`unknown metric ${id}`);
  return def;
}

export function metricValue(totals: Totals | null | undefined, id: MetricId): number | null {
  if (!totals) return null;
  const value = totals[metric(id).field];
  return typeof value === "number" && Number.isFinite(value) ? value : null;
}

/** A metric's value as shown: money in the reporting currency (its own decimals), "—" when null. */
export function formatMetric(id: MetricId, value: number | null, currency: string, locale?: string): string {
  if (value === null) return "—";
  switch (metric(id).kind) {
    case "money":
      return formatMicros(Math.round(value), currency, locale);
    case "count":
      return new Intl.NumberFormat(locale, { maximumFractionDigits: 0 }).format(value);
    case "decimal":
      return new Intl.NumberFormat(locale, { maximumFractionDigits: 2 }).format(value);
    case "percent":
      return new Intl.NumberFormat(locale, {
        style: "percent",
        minimumFractionDigits: 2,
        maximumFractionDigits: 2,
      }).format(value);
    case "multiple":
      return `${new Intl.NumberFormat(locale, { minimumFractionDigits: 2, maximumFractionDigits: 2 }).format(value)}×`;
  }
}

/** The relative change from `previous` to `current` (0.1 = +10 %); null when either is null or previous is 0. */
export function percentChange(current: number | null, previous: number | null): number | null {
  if (current === null || previous === null) return null;
  if (previous === 0) return current === 0 ? 0 : null;
  return (current - previous) / Math.abs(previous);
}

export type DeltaTone = "good" | "bad" | "neutral";

/** Changes smaller than this (0.5 %) are shown as flat. */
export const FLAT_CHANGE = 0.005;

/** Whether a change is good news: a CPA going up is bad, conversions going up are good, spend is neither. */
export function deltaTone(id: MetricId, change: number | null): DeltaTone {
  if (change === null || Math.abs(change) < FLAT_CHANGE) return "neutral";
  const better = metric(id).better;
  if (better === "neutral") return "neutral";
  return change > 0 === (better === "up") ? "good" : "bad";
}

/** "+12.3%", "−4.0%", "0.0%". */
export function formatChange(change: number, locale?: string): string {
  const text = new Intl.NumberFormat(locale, {
    style: "percent",
    minimumFractionDigits: 1,
    maximumFractionDigits: 1,
    signDisplay: "exceptZero",
  }).format(change);
  return text.replace("-", "−");
}

export const MISSING_RATE = "Missing exchange rate";

/** Why a metric is null (for its tooltip), or null when it has a value. */
export function nullReason(id: MetricId, totals: Totals | null | undefined): string | null {
  if (!totals) return "No data";
  if (metricValue(totals, id) !== null) return null;
  const spendMissing = totals.spend_micros === null;
  switch (id) {
    case "spend":
    case "conversion_value":
      return MISSING_RATE;
    case "ctr":
      return "No impressions";
    case "cpc":
      return spendMissing ? MISSING_RATE : "No clicks";
    case "cpm":
      return spendMissing ? MISSING_RATE : "No impressions";
    case "cpa":
      return spendMissing ? MISSING_RATE : "No conversions";
    case "roas":
      return spendMissing || totals.conversion_value_micros === null ? MISSING_RATE : "No spend";
    case "conversion_rate":
      return "No clicks";
    default:
      return "No data";
  }
}

/** True when nothing ran in the period (a null amount means there was money in an unconverted currency). */
/** "8 Sep 2026": a day (ISO date) as the not-synced reasons name it. */
export function formatSyncedDay(iso: string, locale?: string): string {
  return new Intl.DateTimeFormat(locale, { day: "numeric", month: "short", year: "numeric", timeZone: "UTC" }).format(
    new Date(`${iso}T00:00:00Z`),
  );
}

/** Why a period's figures are null because accounts have not synced all of its days, or null if they have. */
export function notSyncedReason(
  gaps: NotSynced[] | undefined,
  period: NotSynced["period"],
  locale?: string,
): string | null {
  const mine = (gaps ?? []).filter((g) => g.period === period);
  if (mine.length === 0) return null;
  const never = mine.filter((g) => g.synced_since === null);
  if (never.length > 0) return `Not synced yet: ${never.map((g) => g.ad_account_name).join(", ")}`;
  const latest = mine
    .map((g) => g.synced_since!)
    .sort()
    .at(-1)!;
  return `Not synced before ${formatSyncedDay(latest, locale)}`;
}

export function isEmptyTotals(totals: Totals | null): boolean {
  if (totals === null) return false;
  return (
    totals.impressions === 0 &&
    totals.clicks === 0 &&
    totals.spend_micros === 0 &&
    totals.conversions === 0 &&
    totals.conversion_value_micros === 0
  );
}
