import { useState } from "react";
import { Button, Card, CardHeader, EmptyState, ErrorState, cn } from "@/components/ui";
import { formatMicros } from "@/lib/money";
import { usePacing } from "./api";
import { MISSING_RATE } from "./metrics";
import { PlatformLabel } from "./PlatformLabel";
import { Skeleton } from "./Skeleton";
import type { AnalyticsQuery, PacingRow } from "./types";

const SHOWN = 8;

/** The share of the budget spent (1 = all of it), or null without a budget or a converted spend. */
export function pacingShare(spend: number | null, budget: number | null): number | null {
  if (spend === null || budget === null || budget <= 0) return null;
  return spend / budget;
}

function Money({ micros, currency }: { micros: number | null; currency: string }) {
  if (micros === null) {
    return (
      <span className="cursor-help" title={MISSING_RATE}>
        <span aria-hidden="true">—</span>
        <span className="sr-only">Not available: {MISSING_RATE.toLowerCase()}</span>
      </span>
    );
  }
  return <>{formatMicros(micros, currency)}</>;
}

function PacingBar({
  label,
  spend,
  budget,
  currency,
  strong = false,
}: {
  label: string;
  spend: number | null;
  budget: number | null;
  currency: string;
  strong?: boolean;
}) {
  const share = pacingShare(spend, budget);
  const over = share !== null && share > 1;
  const percent = share === null ? null : Math.round(share * 100);
  return (
    <div>
      <div className="flex items-baseline justify-between gap-3 text-sm">
        <span className={cn("min-w-0 truncate", strong ? "font-semibold text-neutral-900" : "text-neutral-800")}>
          {label}
        </span>
        <span className="shrink-0 text-xs text-neutral-600 tabular-nums">
          <Money micros={spend} currency={currency} />
          {budget !== null ? (
            <>
              {" "}
              of <Money micros={budget} currency={currency} />
            </>
          ) : (
            " · no daily budget"
          )}
        </span>
      </div>
      {share !== null && (
        <div
          role="meter"
          aria-label={`${label}: share of today's budget spent`}
          aria-valuemin={0}
          aria-valuemax={100}
          aria-valuenow={Math.min(percent ?? 0, 100)}
          aria-valuetext={`${percent}% of the daily budget${over ? ", over budget" : ""}`}
          className="mt-1 h-2 overflow-hidden rounded-full bg-neutral-100"
        >
          <div
            className={cn("h-full rounded-full", over ? "bg-red-500" : share > 0.9 ? "bg-amber-500" : "bg-neutral-800")}
            style={{ width: `${Math.min(share, 1) * 100}%` }}
          />
        </div>
      )}
    </div>
  );
}

/** Today's spend against the daily budgets: the total, then each campaign (the organization's today, as the Today range reads it). */
export function PacingCard({ organizationId, query }: { organizationId: string; query: AnalyticsQuery }) {
  const pacing = usePacing(organizationId, query);
  const [all, setAll] = useState(false);

  let body;
  if (pacing.isPending) {
    body = (
      <div aria-busy="true" aria-label="Loading today's pacing" className="space-y-4">
        {Array.from({ length: 4 }, (_, i) => (
          <Skeleton key={i} className="h-6 w-full" />
        ))}
      </div>
    );
  } else if (pacing.isError) {
    body = (
      <ErrorState title="Could not load today's pacing" error={pacing.error} onRetry={() => void pacing.refetch()} />
    );
  } else if (pacing.data.rows.length === 0) {
    body = (
      <EmptyState
        title="No spend or budgets today yet"
        description="Campaigns with a daily budget or spend today appear here."
      />
    );
  } else {
    const { currency, rows, totals } = pacing.data;
    const shown: PacingRow[] = all ? rows : rows.slice(0, SHOWN);
    body = (
      <div className="space-y-4">
        <PacingBar
          label="All campaigns"
          spend={totals.spend_micros}
          budget={totals.daily_budget_micros}
          currency={currency}
          strong
        />
        <ul className="space-y-3" aria-label="Campaigns">
          {shown.map((row) => (
            <li key={`${row.ad_account_id}:${row.campaign_platform_id}`}>
              <PacingBar
                label={row.name}
                spend={row.spend_micros}
                budget={row.daily_budget_micros}
                currency={currency}
              />
              <p className="mt-0.5 text-xs text-neutral-500">
                <PlatformLabel platform={row.platform} />
                {row.native_currency !== currency && <> · from {row.native_currency}</>}
              </p>
            </li>
          ))}
        </ul>
        {rows.length > SHOWN && (
          <Button variant="ghost" size="sm" onClick={() => setAll(!all)}>
            {all ? "Show fewer" : `Show all ${rows.length} campaigns`}
          </Button>
        )}
      </div>
    );
  }
  return (
    <Card>
      <CardHeader title="Today's pacing" description="Spend so far today against daily budgets." />
      <div className="px-5 py-4">{body}</div>
    </Card>
  );
}
