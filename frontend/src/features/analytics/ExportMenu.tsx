import { useState } from "react";
import { Button } from "@/components/ui";
import { describeError } from "@/lib/forms";
import { analyticsUrl, downloadFile, type BreakdownParams } from "./api";
import type { AnalyticsQuery, Granularity } from "./types";

export type ExportKind = "breakdown.csv" | "breakdown.xlsx" | "timeseries.csv" | "timeseries.xlsx" | "report.pdf";

const LABELS: Record<ExportKind, string> = {
  "breakdown.csv": "Table as CSV",
  "breakdown.xlsx": "Table as Excel (XLSX)",
  "timeseries.csv": "Time series as CSV",
  "timeseries.xlsx": "Time series as Excel (XLSX)",
  "report.pdf": "PDF report",
};

/** The URL of an export with the dashboard's current parameters (the table's whole breakdown, not one page). */
export function exportUrl(
  organizationId: string,
  kind: ExportKind,
  query: AnalyticsQuery,
  table: { query: AnalyticsQuery; params: BreakdownParams },
  granularity: Granularity,
): string {
  if (kind === "report.pdf") return analyticsUrl(organizationId, "report.pdf", { ...query });
  const [view, format] = kind.split(".") as ["breakdown" | "timeseries", "csv" | "xlsx"];
  if (view === "timeseries") return analyticsUrl(organizationId, `export.${format}`, { view, ...query, granularity });
  const { dimension, sort, parent_platform_id } = table.params;
  return analyticsUrl(organizationId, `export.${format}`, {
    view,
    ...table.query,
    dimension,
    sort,
    parent_platform_id,
  });
}

function fallbackName(kind: ExportKind, dimension: string): string {
  if (kind === "report.pdf") return "adpilot-report.pdf";
  const [view, format] = kind.split(".");
  return `adpilot-${view === "breakdown" ? dimension : "timeseries"}.${format}`;
}

/** Downloads of the current view: the table or the time series as CSV or XLSX, and the PDF report. */
export function ExportMenu({
  organizationId,
  query,
  table,
  granularity,
}: {
  organizationId: string;
  query: AnalyticsQuery;
  table: { query: AnalyticsQuery; params: BreakdownParams };
  granularity: Granularity;
}) {
  const [pending, setPending] = useState<ExportKind | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);

  async function run(kind: ExportKind) {
    setPending(kind);
    setError(null);
    setDone(null);
    try {
      const name = await downloadFile(
        exportUrl(organizationId, kind, query, table, granularity),
        fallbackName(kind, table.params.dimension),
      );
      setDone(`Downloaded ${name}`);
    } catch (err) {
      setError(`${LABELS[kind]} failed: ${describeError(err)}`);
    } finally {
      setPending(null);
    }
  }

  const button = (kind: ExportKind, text: string) => (
    <Button
      key={kind}
      variant="secondary"
      size="sm"
      aria-label={LABELS[kind]}
      pending={pending === kind}
      disabled={pending !== null && pending !== kind}
      onClick={() => void run(kind)}
    >
      {text}
    </Button>
  );

  return (
    <div role="group" aria-label="Export" className="flex flex-wrap items-center gap-x-4 gap-y-2">
      <span className="flex items-center gap-1.5">
        <span className="text-xs text-neutral-600">Table</span>
        {button("breakdown.csv", "CSV")}
        {button("breakdown.xlsx", "XLSX")}
      </span>
      <span className="flex items-center gap-1.5">
        <span className="text-xs text-neutral-600">Time series</span>
        {button("timeseries.csv", "CSV")}
        {button("timeseries.xlsx", "XLSX")}
      </span>
      {button("report.pdf", "PDF report")}
      <span className="sr-only" aria-live="polite">
        {done}
      </span>
      {error && (
        <p role="alert" className="w-full text-xs font-medium text-red-700">
          {error}
        </p>
      )}
    </div>
  );
}
