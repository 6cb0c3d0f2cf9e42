/** Chart rows from the API's answers (kept apart from the chart library so they are tested without it). */
import { formatMicros } from "@/lib/money";
import { metric, metricValue, type MetricId } from "./metrics";
import type { BreakdownRow, Granularity, SeriesPoint, Totals } from "./types";

/** How to read a chart from the keyboard (its focus stop's description). */
export const CHART_KEYS_HELP = "Use the left and right arrow keys to read each point.";

export interface TrendRow {
  period: string;
  label: string;
  current: number | null;
  previous: number | null;
}

/** Money is charted in currency units (a display value only: the exact figures stay in micros). */
export function chartValue(totals: Totals | null | undefined, id: MetricId): number | null {
  const value = metricValue(totals, id);
  if (value === null) return null;
  return metric(id).kind === "money" ? value / 1_000_000 : value;
}

function utcDate(iso: string): Date {
  return new Date(`${iso}T00:00:00Z`);
}

/** "Nov 3" for days and weeks, "Nov 2026" for months. */
export function periodLabel(periodStart: string, granularity: Granularity, locale?: string): string {
  const options: Intl.DateTimeFormatOptions =
    granularity === "month"
      ? { month: "short", year: "numeric", timeZone: "UTC" }
      : { month: "short", day: "numeric", timeZone: "UTC" };
  return new Intl.DateTimeFormat(locale, options).format(utcDate(periodStart));
}

export function trendRows(
  points: SeriesPoint[],
  previous: SeriesPoint[] | null,
  id: MetricId,
  granularity: Granularity,
): TrendRow[] {
  return points.map((point, index) => ({
    period: point.period_start,
    label: periodLabel(point.period_start, granularity),
    current: chartValue(point.totals, id),
    previous: previous ? chartValue(previous[index]?.totals, id) : null,
  }));
}

export interface PlatformRow {
  platform: string;
  spend: number | null;
  conversions: number | null;
  roas: number | null;
}

export function platformRows(rows: BreakdownRow[]): PlatformRow[] {
  return rows.map((row) => ({
    platform: row.key.platform,
    spend: chartValue(row.totals, "spend"),
    conversions: chartValue(row.totals, "conversions"),
    roas: chartValue(row.totals, "roas"),
  }));
}

/** An axis tick: "$1.2K", "¥150K", "3.5", "2.1×". */
export function axisTick(id: MetricId, value: number, currency: string, locale?: string): string {
  const kind = metric(id).kind;
  if (kind === "money") {
    try {
      return new Intl.NumberFormat(locale, {
        style: "currency",
        currency,
        notation: "compact",
        minimumFractionDigits: 0,
        maximumFractionDigits: 1,
      }).format(value);
    } catch {
      return new Intl.NumberFormat(locale, { notation: "compact", maximumFractionDigits: 1 }).format(value);
    }
  }
  if (kind === "percent")
    return new Intl.NumberFormat(locale, { style: "percent", maximumFractionDigits: 1 }).format(value);
  if (kind === "multiple") return `${new Intl.NumberFormat(locale, { maximumFractionDigits: 1 }).format(value)}×`;
  return new Intl.NumberFormat(locale, { notation: "compact", maximumFractionDigits: 1 }).format(value);
}

/** A tooltip value, exact: money back in micros through lib/money. */
export function tooltipValue(id: MetricId, value: number | null, currency: string, locale?: string): string {
  if (value === null) return "—";
  const kind = metric(id).kind;
  if (kind === "money") return formatMicros(Math.round(value * 1_000_000), currency, locale);
  if (kind === "multiple")
    return `${new Intl.NumberFormat(locale, { minimumFractionDigits: 2, maximumFractionDigits: 2 }).format(value)}×`;
  if (kind === "percent")
    return new Intl.NumberFormat(locale, {
      style: "percent",
      minimumFractionDigits: 2,
      maximumFractionDigits: 2,
    }).format(value);
  return new Intl.NumberFormat(locale, { maximumFractionDigits: 2 }).format(value);
}
