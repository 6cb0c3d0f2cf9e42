import { useId } from "react";
import { cn } from "@/components/ui";
import {
  deltaTone,
  formatChange,
  formatMetric,
  METRICS,
  metricValue,
  notSyncedReason,
  nullReason,
  percentChange,
  type MetricDef,
} from "./metrics";
import { Skeleton } from "./Skeleton";
import { Sparkline } from "./Sparkline";
import type { Compare, SeriesPoint, Summary } from "./types";

const TONE_CLASSES = { good: "text-green-700", bad: "text-red-700", neutral: "text-neutral-500" } as const;
const TONE_WORDS = { good: "better", bad: "worse", neutral: "" } as const;

export const COMPARE_LABELS: Record<Compare, string> = {
  previous_period: "previous period",
  previous_year: "previous year",
  none: "",
};

/** The value, or "—" with the reason it is missing (as a tooltip and for screen readers). */
export function MetricValue({
  def,
  totals,
  currency,
  className,
  unavailable,
}: {
  def: MetricDef;
  totals: Summary["totals"] | null | undefined;
  currency: string;
  className?: string;
  /** Why the totals themselves are null (e.g. "Not synced before 8 Sep 2026"). */
  unavailable?: string | null;
}) {
  const value = metricValue(totals, def.id);
  if (value !== null) return <span className={className}>{formatMetric(def.id, value, currency)}</span>;
  const reason = (totals ? null : unavailable) ?? nullReason(def.id, totals) ?? "No data";
  return (
    <span className={cn("cursor-help", className)} title={reason}>
      <span aria-hidden="true">—</span>
      <span className="sr-only">Not available: {reason.toLowerCase()}</span>
    </span>
  );
}

function Delta({ def, summary, compare }: { def: MetricDef; summary: Summary; compare: Compare }) {
  const current = metricValue(summary.totals, def.id);
  const previous = metricValue(summary.previous, def.id);
  const change = percentChange(current, previous);
  const versus = `vs ${COMPARE_LABELS[compare]}`;
  if (change === null) {
    const notSynced = notSyncedReason(summary.not_synced, summary.previous === null ? "comparison" : "range");
    const heldBack = summary.previous === null && !notSynced && summary.range.partial;
    const why =
      notSynced && (summary.previous === null || summary.totals === null)
        ? `${notSynced.toLowerCase()} (${summary.previous === null ? "comparison period" : "this period"})`
        : heldBack
          ? "today is not over: a part of a period is not compared with a whole one"
          : current === null
            ? "no value in this period"
            : previous === null
              ? "no value in the comparison period"
              : "nothing to compare with";
    return (
      <p className="text-xs text-neutral-500" title={why}>
        <span aria-hidden="true">— </span>
        <span className="sr-only">No change to show ({why}) </span>
        {versus}
        {notSynced && summary.previous === null && <span className="block">{notSynced}</span>}
        {heldBack && <span className="block">Period in progress</span>}
      </p>
    );
  }
  const tone = deltaTone(def.id, change);
  const arrow = Math.abs(change) < 0.005 ? "→" : change > 0 ? "▲" : "▼";
  return (
    <p className={cn("text-xs font-medium", TONE_CLASSES[tone])} data-tone={tone}>
      <span aria-hidden="true">{arrow} </span>
      {formatChange(change)} <span className="font-normal text-neutral-500">{versus}</span>
      {tone !== "neutral" && <span className="sr-only"> ({TONE_WORDS[tone]})</span>}
    </p>
  );
}

function KpiCard({
  def,
  summary,
  points,
  compare,
}: {
  def: MetricDef;
  summary: Summary;
  points: SeriesPoint[] | undefined;
  compare: Compare;
}) {
  const labelId = useId();
  return (
    <li
      role="group"
      aria-labelledby={labelId}
      className="flex flex-col justify-between gap-2 rounded-lg border border-neutral-200 bg-white p-4 shadow-xs"
    >
      <div>
        <p
          id={labelId}
          className="text-xs font-medium tracking-wide text-neutral-500 uppercase"
          title={def.description}
        >
          {def.label}
        </p>
        <MetricValue
          def={def}
          totals={summary.totals}
          currency={summary.currency}
          unavailable={notSyncedReason(summary.not_synced, "range")}
          className="mt-1 block text-xl font-semibold text-neutral-900 tabular-nums"
        />
      </div>
      <div className="flex items-end justify-between gap-2">
        {compare !== "none" && summary.range.compare_since ? (
          <Delta def={def} summary={summary} compare={compare} />
        ) : (
          <span />
        )}
        {points && (
          <Sparkline
            values={points.map((p) => metricValue(p.totals, def.id))}
            className="h-8 w-24 shrink-0 text-neutral-400"
            width={96}
          />
        )}
      </div>
    </li>
  );
}

/** Spend, impressions, clicks, conversions, value and the derived KPIs, each with its change and a sparkline. */
export function KpiCards({
  summary,
  points,
  compare,
}: {
  summary: Summary;
  points: SeriesPoint[] | undefined;
  compare: Compare;
}) {
  return (
    <ul aria-label="Key figures" className="grid grid-cols-2 gap-3 md:grid-cols-3 xl:grid-cols-4">
      {METRICS.map((def) => (
        <KpiCard key={def.id} def={def} summary={summary} points={points} compare={compare} />
      ))}
    </ul>
  );
}

export function KpiCardsSkeleton() {
  return (
    <ul aria-label="Key figures" aria-busy="true" className="grid grid-cols-2 gap-3 md:grid-cols-3 xl:grid-cols-4">
      {METRICS.map((def) => (
        <li key={def.id} className="space-y-3 rounded-lg border border-neutral-200 bg-white p-4">
          <p className="text-xs font-medium tracking-wide text-neutral-500 uppercase">{def.label}</p>
          <Skeleton className="h-6 w-24" />
          <Skeleton className="h-3 w-16" />
        </li>
      ))}
    </ul>
  );
}
