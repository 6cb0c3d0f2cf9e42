import { Badge } from "@/components/ui";
import { formatDateTime, formatNumber, formatRelative } from "@/lib/format";
import type { AccountSyncSummary, SyncRunRead, SyncRunStatus } from "./types";

const RUN_LABELS: Record<SyncRunStatus, { label: string; tone: "neutral" | "green" | "amber" | "red" | "blue" }> = {
  queued: { label: "Queued", tone: "blue" },
  running: { label: "Syncing", tone: "blue" },
  succeeded: { label: "Synced", tone: "green" },
  failed: { label: "Failed", tone: "red" },
  deferred: { label: "Deferred", tone: "amber" },
};

export function SyncRunBadge({ status }: { status: SyncRunStatus }) {
  const { label, tone } = RUN_LABELS[status] ?? { label: status, tone: "neutral" as const };
  return <Badge tone={tone}>{label}</Badge>;
}

const LEVEL_NAMES: Record<string, [string, string]> = {
  campaign: ["campaign", "campaigns"],
  ad_group: ["ad group", "ad groups"],
  ad: ["ad", "ads"],
};

/** "12 campaigns · 30 ad groups · 80 ads" (Meta: ad sets). */
export function describeEntityCounts(counts: Record<string, number>, platform?: string): string {
  const parts: string[] = [];
  for (const level of ["campaign", "ad_group", "ad"]) {
    const count = counts[level];
    if (count === undefined) continue;
    let [one, many] = LEVEL_NAMES[level]!;
    if (level === "ad_group" && platform === "meta") [one, many] = ["ad set", "ad sets"];
    parts.push(`${formatNumber(count)} ${count === 1 ? one : many}`);
  }
  return parts.join(" · ");
}

/** What a finished run changed: "3 new, 2 changed, 1 removed" (unchanged entities are not mentioned); "no changes".
 * A run that read only what the platform reported changed says so ("changes only: 1 changed"). */
export function describeRunChanges(run: SyncRunRead): string {
  let created = 0;
  let updated = 0;
  let removed = 0;
  for (const c of Object.values(run.counts ?? {})) {
    created += c.created ?? 0;
    updated += c.updated ?? 0;
    removed += c.removed ?? 0;
  }
  const parts = [
    created ? `${formatNumber(created)} new` : null,
    updated ? `${formatNumber(updated)} changed` : null,
    removed ? `${formatNumber(removed)} removed` : null,
  ].filter(Boolean);
  const described = parts.length ? parts.join(", ") : "no changes";
  return run.mode === "incremental" ? `changes only: ${described}` : described;
}

/** The last sync of an account: status, when, what it holds now and what the run changed or why it failed. */
export function LastSync({
  summary,
  platform,
  now = new Date(),
}: {
  summary: AccountSyncSummary | undefined;
  platform: string;
  now?: Date;
}) {
  const run = summary?.last_run ?? null;
  if (!summary || !run) return <span className="text-neutral-500">Not synced yet</span>;
  const when = run.finished_at ?? run.started_at ?? run.queued_at;
  return (
    <div className="space-y-1">
      <div className="flex flex-wrap items-center gap-2">
        <SyncRunBadge status={run.status} />
        {run.status === "queued" || run.status === "running" ? (
          <span className="text-xs text-neutral-500">
            {run.status === "queued" ? "Waiting for a worker…" : "Reading campaigns, ad groups and ads…"}
          </span>
        ) : (
          <time dateTime={when} title={formatDateTime(when)} className="text-xs text-neutral-500">
            {formatRelative(when, now)}
          </time>
        )}
      </div>
      {run.status === "succeeded" && (
        <p className="text-xs text-neutral-600">
          {describeEntityCounts(summary.entity_counts, platform) || "No entities"}{" "}
          <span className="text-neutral-400">({describeRunChanges(run)})</span>
        </p>
      )}
      {run.error && (run.status === "failed" || run.status === "deferred") && (
        <p className="text-xs text-red-700">{run.error}</p>
      )}
      {run.status !== "succeeded" && summary.last_succeeded_at && (
        <p className="text-xs text-neutral-500">
          Last successful sync {formatRelative(summary.last_succeeded_at, now)} ·{" "}
          {describeEntityCounts(summary.entity_counts, platform)}
        </p>
      )}
    </div>
  );
}
