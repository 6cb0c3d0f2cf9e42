import { useId, useState } from "react";
import type { components } from "@/api/generated/schema";
import { Badge, Button, DataTable, ErrorState, cn, type DataColumn } from "@/components/ui";
import { HealthBadge } from "@/features/connections/HealthBadge";
import { useCan } from "@/features/organizations/OrgContext";
import type { ConnectionHealth } from "@/features/connections/types";
import { describeError } from "@/lib/forms";
import { formatDateTime, formatRelative } from "@/lib/format";
import { useMetricSyncRuns, useSyncMetrics } from "./api";
import { formatDateRange } from "./DateRangePicker";
import { formatSyncedDay } from "./metrics";
import { PlatformLabel } from "./PlatformLabel";
import type { AccountFreshness, Freshness } from "./types";

const RUNS_PAGE = 10;

const SCOPE_LABELS: Record<string, string> = {
  backfill: "History",
  recent: "Recent days",
  restate: "Re-read (28 days)",
  history: "Older history",
  today: "Today",
};
const TRIGGER_LABELS: Record<string, string> = { connect: "at connect", schedule: "scheduled", manual: "asked for" };
const STATUS_TONES: Record<string, "neutral" | "green" | "amber" | "red" | "blue"> = {
  queued: "neutral",
  running: "blue",
  succeeded: "green",
  failed: "red",
  deferred: "amber",
};

type MetricSyncRun = components["schemas"]["MetricSyncRunRead"];

const RUN_COLUMNS: DataColumn<MetricSyncRun>[] = [
  {
    id: "queued",
    header: "Queued",
    headerClassName: "py-1 pr-3 font-medium",
    cellClassName: "py-1.5 pr-3 whitespace-nowrap",
    cell: (run) => formatDateTime(run.queued_at),
  },
  {
    id: "what",
    header: "What",
    headerClassName: "px-3 py-1 font-medium",
    cellClassName: "px-3 py-1.5",
    cell: (run) => (
      <>
        {SCOPE_LABELS[run.scope] ?? run.scope}{" "}
        <span className="text-neutral-500">({TRIGGER_LABELS[run.trigger] ?? run.trigger})</span>
      </>
    ),
  },
  {
    id: "days",
    header: "Days",
    headerClassName: "px-3 py-1 font-medium",
    cellClassName: "px-3 py-1.5 whitespace-nowrap",
    cell: (run) => (
      <>
        {formatDateRange(run.since, run.until)}
        {run.days_total > 0 && run.status !== "succeeded" && (
          <span className="text-neutral-500">
            {" "}
            · {run.days_done} of {run.days_total} days
          </span>
        )}
      </>
    ),
  },
  {
    id: "status",
    header: "Status",
    headerClassName: "px-3 py-1 font-medium",
    cellClassName: "px-3 py-1.5",
    cell: (run) => (
      <>
        <Badge tone={STATUS_TONES[run.status] ?? "neutral"}>{run.status}</Badge>
        {run.attempts > 1 && <span className="ml-1 text-neutral-500">after {run.attempts} attempts</span>}
        {run.error && <p className="mt-0.5 text-red-700">{run.error}</p>}
      </>
    ),
  },
  {
    id: "rows",
    header: "Rows",
    headerClassName: "px-3 py-1 text-right font-medium",
    cellClassName: "px-3 py-1.5 text-right tabular-nums",
    cell: (run) => run.rows_written.toLocaleString(),
  },
];

function SyncRuns({ organizationId, accountId }: { organizationId: string; accountId: string }) {
  const runs = useMetricSyncRuns(organizationId, accountId, RUNS_PAGE);
  if (runs.isPending) return <p className="py-2 text-xs text-neutral-500">Loading the sync history…</p>;
  if (runs.isError)
    return (
      <ErrorState title="Could not load the sync history" error={runs.error} onRetry={() => void runs.refetch()} />
    );
  const items = runs.data.pages.flatMap((p) => p.items);
  if (items.length === 0)
    return <p className="py-2 text-xs text-neutral-500">No metrics sync has run for this account yet.</p>;
  return (
    <div>
      <DataTable
        caption="Metrics syncs, newest first"
        columns={RUN_COLUMNS}
        rows={items}
        rowKey={(run) => run.id}
        rowClassName={() => "align-top"}
        className="w-full text-left text-xs"
        headClassName="text-neutral-500"
        bodyClassName="divide-y divide-neutral-100"
      />
      {runs.hasNextPage && (
        <Button
          variant="ghost"
          size="sm"
          className="mt-1"
          pending={runs.isFetchingNextPage}
          onClick={() => void runs.fetchNextPage()}
        >
          Older syncs
        </Button>
      )}
    </div>
  );
}

function AccountSource({
  organizationId,
  account,
  canSync,
}: {
  organizationId: string;
  account: AccountFreshness;
  canSync: boolean;
}) {
  const historyId = useId();
  const [showHistory, setShowHistory] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const sync = useSyncMetrics({ onQueued: () => setError(null), onError: (err) => setError(describeError(err)) });
  const running = account.running;
  return (
    <li className="py-3">
      <div className="flex flex-wrap items-center justify-between gap-3">
        <div className="min-w-0">
          <p className="truncate text-sm font-medium text-neutral-900">{account.name}</p>
          <p className="flex flex-wrap items-center gap-2 text-xs text-neutral-500">
            <PlatformLabel platform={account.platform} />
            <HealthBadge health={account.health as ConnectionHealth} />
            <span>
              {running
                ? running.status === "queued"
                  ? "Sync queued"
                  : `Syncing${running.days_total > 0 ? `: ${running.days_done} of ${running.days_total} days` : "…"}`
                : account.last_synced_at
                  ? `Synced ${formatRelative(account.last_synced_at)}`
                  : "Never synced"}
            </span>
          </p>
          <p className="text-xs text-neutral-500">
            {account.synced_since && account.synced_until
              ? `Numbers synced from ${formatSyncedDay(account.synced_since)} to ${formatSyncedDay(account.synced_until)}`
              : "No days synced yet"}
          </p>
          {account.last_error && <p className="mt-0.5 text-xs text-red-700">Last sync failed: {account.last_error}</p>}
        </div>
        <div className="flex items-center gap-2">
          <Button
            variant="ghost"
            size="sm"
            aria-expanded={showHistory}
            aria-controls={historyId}
            aria-label={`${showHistory ? "Hide history" : "History"} of ${account.name}`}
            onClick={() => setShowHistory(!showHistory)}
          >
            {showHistory ? "Hide history" : "History"}
          </Button>
          {canSync && (
            <Button
              variant="secondary"
              size="sm"
              pending={sync.isPending}
              disabled={Boolean(running)}
              aria-label={`Sync now: ${account.name}`}
              onClick={() =>
                sync.mutate({
                  params: { path: { organization_id: organizationId, ad_account_id: account.ad_account_id } },
                })
              }
            >
              Sync now
            </Button>
          )}
        </div>
      </div>
      {error && (
        <p role="alert" className="mt-1 text-xs font-medium text-red-700">
          {error}
        </p>
      )}
      <div
        id={historyId}
        hidden={!showHistory}
        className={cn(showHistory && "mt-2 rounded-md bg-neutral-50 px-3 py-2")}
      >
        {showHistory && <SyncRuns organizationId={organizationId} accountId={account.ad_account_id} />}
      </div>
    </li>
  );
}

/** Where the numbers come from: each managed ad account's last metrics sync, its history, and "Sync now". */
export function DataSources({ organizationId, freshness }: { organizationId: string; freshness: Freshness }) {
  const sync = useCan("connections.sync");
  const count = freshness.accounts.length;
  return (
    <details className="group rounded-lg border border-neutral-200 bg-white shadow-xs">
      <summary className="flex cursor-pointer list-none items-center justify-between gap-3 px-5 py-3 text-sm font-medium text-neutral-900 focus-visible:ring-2 focus-visible:ring-neutral-300 focus-visible:outline-none [&::-webkit-details-marker]:hidden">
        <span>
          Data sources{" "}
          <span className="font-normal text-neutral-500">
            ({count === 1 ? "1 ad account" : `${count} ad accounts`})
          </span>
        </span>
        <span aria-hidden="true" className="text-neutral-400 group-open:rotate-180">
          ▾
        </span>
      </summary>
      <ul className="divide-y divide-neutral-100 border-t border-neutral-200 px-5">
        {freshness.accounts.map((account) => (
          <AccountSource key={account.ad_account_id} organizationId={organizationId} account={account} canSync={sync} />
        ))}
      </ul>
    </details>
  );
}
