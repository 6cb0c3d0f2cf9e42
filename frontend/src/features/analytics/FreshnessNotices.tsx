import { Link } from "@tanstack/react-router";
import { Alert } from "@/components/ui";
import { platformTitle } from "@/features/connections/platforms";
import { formatDateTime, formatRelative } from "@/lib/format";
import { formatDateRange } from "./DateRangePicker";
import { formatSyncedDay } from "./metrics";
import type { AccountFreshness, Freshness, MissingRate, NotSynced } from "./types";

/** "Data as of Nov 22, 2026, 08:30" (the oldest last sync over the managed accounts). */
export function DataAsOf({ freshness }: { freshness: Freshness | undefined }) {
  if (!freshness || freshness.accounts.length === 0) return null;
  // Inside the page header's description paragraph: phrasing content only.
  if (!freshness.data_as_of) return <span className="text-xs text-neutral-500">Waiting for the first sync</span>;
  return (
    <span className="text-xs text-neutral-500">
      Data as of <time dateTime={freshness.data_as_of}>{formatDateTime(freshness.data_as_of)}</time> (
      {formatRelative(freshness.data_as_of)})
    </span>
  );
}

const HEALTH_WORDS: Record<string, string> = {
  degraded: "has sync problems",
  needs_reconnect: "needs to be reconnected",
};

const SCOPE_WORDS: Record<string, string> = {
  backfill: "Loading the history of",
  recent: "Updating",
  restate: "Re-reading recent days of",
  history: "Loading older history of",
  today: "Updating today for",
};

function accountName(account: AccountFreshness): string {
  return `${account.name} (${platformTitle(account.platform)})`;
}

/** Warnings about the numbers: unhealthy connections, syncs still running (with progress), missing exchange rates. */
export function FreshnessNotices({
  organizationId,
  freshness,
  missingRates,
  notSynced = [],
}: {
  organizationId: string;
  freshness: Freshness | undefined;
  missingRates: MissingRate[];
  notSynced?: NotSynced[];
}) {
  const unhealthy = freshness?.accounts.filter((a) => a.health !== "ok") ?? [];
  const running = freshness?.accounts.filter((a) => a.running) ?? [];
  if (unhealthy.length === 0 && running.length === 0 && missingRates.length === 0 && notSynced.length === 0)
    return null;
  return (
    <div className="space-y-3">
      {notSynced.length > 0 && (
        <Alert tone="info" title="Some figures are not available (—)">
          <ul className="list-disc space-y-0.5 pl-5">
            {notSynced.map((g) => (
              <li key={`${g.period}-${g.ad_account_id}`}>
                {g.ad_account_name} ({platformTitle(g.platform)}):{" "}
                {g.synced_since ? `not synced before ${formatSyncedDay(g.synced_since)}` : "not synced yet"}, so the{" "}
                {g.period === "range" ? "date range" : "comparison period"} has no complete total.
              </li>
            ))}
          </ul>
        </Alert>
      )}
      {unhealthy.length > 0 && (
        <Alert
          tone="warning"
          title={
            unhealthy.length === 1
              ? "An ad account's numbers may be out of date"
              : `${unhealthy.length} ad accounts' numbers may be out of date`
          }
        >
          <ul className="list-disc space-y-0.5 pl-5">
            {unhealthy.map((a) => (
              <li key={a.ad_account_id}>
                {accountName(a)}: its connection {HEALTH_WORDS[a.health] ?? `is ${a.health.replace(/_/g, " ")}`}
                {a.last_synced_at ? `; last synced ${formatRelative(a.last_synced_at)}` : "; never synced"}
                {a.last_error ? ` (${a.last_error})` : ""}.
              </li>
            ))}
          </ul>
          <p className="mt-1">
            <Link
              to="/orgs/$organizationId/connections"
              params={{ organizationId }}
              className="font-medium underline underline-offset-2"
            >
              Open Connections
            </Link>{" "}
            to fix it.
          </p>
        </Alert>
      )}
      {running.length > 0 && (
        <Alert tone="info" title="Some numbers are still arriving">
          <ul className="space-y-2">
            {running.map((a) => {
              const r = a.running!;
              const showProgress = r.days_total > 0;
              return (
                <li key={a.ad_account_id}>
                  <p>
                    {SCOPE_WORDS[r.scope] ?? "Syncing"} {accountName(a)}
                    {r.status === "queued"
                      ? ": waiting to start"
                      : showProgress
                        ? `: ${r.days_done} of ${r.days_total} days`
                        : "…"}
                  </p>
                  {showProgress && r.status !== "queued" && (
                    <div
                      role="progressbar"
                      aria-label={`Sync of ${a.name}`}
                      aria-valuemin={0}
                      aria-valuemax={r.days_total}
                      aria-valuenow={r.days_done}
                      aria-valuetext={`${r.days_done} of ${r.days_total} days`}
                      className="mt-1 h-1.5 max-w-sm overflow-hidden rounded-full bg-blue-100"
                    >
                      <div
                        className="h-full rounded-full bg-blue-600"
                        style={{ width: `${Math.min(100, (r.days_done / r.days_total) * 100)}%` }}
                      />
                    </div>
                  )}
                </li>
              );
            })}
          </ul>
        </Alert>
      )}
      {missingRates.length > 0 && (
        <Alert tone="warning" title="Some amounts cannot be converted to your reporting currency">
          <ul className="list-disc space-y-0.5 pl-5">
            {missingRates.map((gap) => (
              <li key={`${gap.currency}:${gap.since}`}>
                No {gap.currency} exchange rate for {formatDateRange(gap.since, gap.until)}
              </li>
            ))}
          </ul>
          <p className="mt-1">
            Money figures that need these rates are shown as “—” rather than as a partial sum.{" "}
            <Link
              to="/orgs/$organizationId/exchange-rates"
              params={{ organizationId }}
              className="font-medium underline underline-offset-2"
            >
              Add exchange rates
            </Link>
          </p>
        </Alert>
      )}
    </div>
  );
}
