import { lazy, Suspense, useCallback, useId, useMemo, type ReactNode } from "react";
import { Link, useNavigate, useSearch } from "@tanstack/react-router";
import {
  Alert,
  Card,
  CardHeader,
  DataTable,
  EmptyState,
  ErrorState,
  PageHeader,
  buttonClasses,
  cn,
  type DataColumn,
} from "@/components/ui";
import { useCurrentOrg } from "@/features/organizations/OrgContext";
import { useBreakdown, useFreshness, useRefreshWhenSynced, useSummary, useTimeseries } from "./api";
import { CampaignTable, DASHBOARD_ROUTE, tableRequest } from "./CampaignTable";
import { DashboardFilters } from "./DashboardFilters";
import { DataSources } from "./DataSources";
import { COMPARE_OPTIONS, DateRangePicker } from "./DateRangePicker";
import { ExportMenu } from "./ExportMenu";
import { DataAsOf, FreshnessNotices } from "./FreshnessNotices";
import { KpiCards, KpiCardsSkeleton, MetricValue } from "./KpiCards";
import { isEmptyTotals, metric, notSyncedReason } from "./metrics";
import { PacingCard } from "./PacingCard";
import { PlatformLabel } from "./PlatformLabel";
import {
  analyticsQuery,
  CLEAR_DRILL_DOWN,
  DEFAULT_COMPARE,
  DEFAULT_GRANULARITY,
  parseDashboardSearch,
  updateSearch,
  type DashboardSearch,
} from "./search";
import { Skeleton } from "./Skeleton";
import { GRANULARITIES, type AnalyticsQuery, type BreakdownRow, type Granularity, type MissingRate } from "./types";

// The chart library is large: the charts load on demand, in their own chunk.
const TrendCharts = lazy(() => import("./charts/TrendCharts").then((m) => ({ default: m.TrendCharts })));
const PlatformCharts = lazy(() => import("./charts/PlatformCharts").then((m) => ({ default: m.PlatformCharts })));

const GRANULARITY_LABELS: Record<Granularity, string> = { day: "Day", week: "Week", month: "Month" };

function ChartsFallback({ height = "h-52" }: { height?: string }) {
  return (
    <div aria-busy="true" aria-label="Loading charts" className="grid gap-6 lg:grid-cols-3">
      {[0, 1, 2].map((i) => (
        <Skeleton key={i} className={cn(height, "w-full")} />
      ))}
    </div>
  );
}

function GranularityPicker({ value, onChange }: { value: Granularity; onChange: (g: Granularity) => void }) {
  const name = useId();
  return (
    <fieldset className="flex items-center gap-2">
      <legend className="sr-only">Group by</legend>
      <span aria-hidden="true" className="text-xs text-neutral-600">
        Group by
      </span>
      <div className="inline-flex overflow-hidden rounded-md border border-neutral-300">
        {GRANULARITIES.map((g) => (
          <label
            key={g}
            className={cn(
              "cursor-pointer px-2.5 py-1 text-xs has-[:focus-visible]:ring-2 has-[:focus-visible]:ring-neutral-300",
              g === value ? "bg-neutral-900 text-white" : "bg-white text-neutral-700 hover:bg-neutral-50",
            )}
          >
            <input
              type="radio"
              name={name}
              value={g}
              checked={g === value}
              onChange={() => onChange(g)}
              className="sr-only"
            />
            {GRANULARITY_LABELS[g]}
          </label>
        ))}
      </div>
    </fieldset>
  );
}

function Section({
  title,
  description,
  actions,
  children,
}: {
  title: string;
  description?: ReactNode;
  actions?: ReactNode;
  children: ReactNode;
}) {
  return (
    <Card>
      <CardHeader title={title} description={description} actions={actions} />
      <div className="px-5 py-4">{children}</div>
    </Card>
  );
}

/** What the table is drilled into ("Summer sale", or its ad group), or null when it shows every campaign. */
function drilledInto(search: DashboardSearch): string | null {
  if (!search.campaign) return null;
  return search.adGroupName ?? search.campaignName ?? `campaign ${search.campaign}`;
}

/** The drill-down narrows the table only: say so where the other figures are, rather than let them look narrowed. */
function DrillDownNotice({ organizationId, search }: { organizationId: string; search: DashboardSearch }) {
  const target = drilledInto(search);
  if (!target) return null;
  return (
    <Alert tone="info" title={`The table shows “${target}” only`}>
      The key figures, charts, platform comparison and pacing still cover every campaign in your filters.{" "}
      <Link
        to={DASHBOARD_ROUTE}
        params={{ organizationId }}
        search={updateSearch(search, CLEAR_DRILL_DOWN)}
        className="font-medium underline underline-offset-2"
      >
        Back to all campaigns
      </Link>
    </Alert>
  );
}

/** The description of a section that ignores the drill-down, while there is one. */
function allCampaignsNote(search: DashboardSearch): string | undefined {
  const target = drilledInto(search);
  return target ? `All campaigns in your filters, not only “${target}”.` : undefined;
}

function TrendsSection({
  organizationId,
  query,
  search,
  onChange,
}: {
  organizationId: string;
  query: AnalyticsQuery;
  search: DashboardSearch;
  onChange: (patch: Partial<DashboardSearch>) => void;
}) {
  const granularity = search.granularity ?? DEFAULT_GRANULARITY;
  const series = useTimeseries(organizationId, query, granularity);
  const compare = search.compare ?? DEFAULT_COMPARE;
  return (
    <Section
      title="Over time"
      description={allCampaignsNote(search)}
      actions={<GranularityPicker value={granularity} onChange={(g) => onChange({ granularity: g })} />}
    >
      {series.isPending ? (
        <ChartsFallback />
      ) : series.isError ? (
        <ErrorState title="Could not load the time series" error={series.error} onRetry={() => void series.refetch()} />
      ) : (
        <div className={cn(series.isPlaceholderData && "opacity-60")}>
          <Suspense fallback={<ChartsFallback />}>
            <TrendCharts series={series.data} previousLabel={compare === "none" ? null : COMPARE_OPTIONS[compare]} />
          </Suspense>
        </div>
      )}
    </Section>
  );
}

function PlatformSection({
  organizationId,
  query,
  search,
}: {
  organizationId: string;
  query: AnalyticsQuery;
  search: DashboardSearch;
}) {
  const platforms = useBreakdown(organizationId, query, { dimension: "platform", sort: "-spend", limit: 10 });
  const columns = [metric("spend"), metric("conversions"), metric("roas")];
  return (
    <Section title="Platforms compared" description={allCampaignsNote(search)}>
      {platforms.isPending ? (
        <ChartsFallback height="h-48" />
      ) : platforms.isError ? (
        <ErrorState
          title="Could not load the platform comparison"
          error={platforms.error}
          onRetry={() => void platforms.refetch()}
        />
      ) : platforms.data.rows.length === 0 ? (
        <EmptyState title="No platform has numbers in this range" />
      ) : (
        <div className={cn("space-y-5", platforms.isPlaceholderData && "opacity-60")}>
          <Suspense fallback={<ChartsFallback height="h-48" />}>
            <PlatformCharts rows={platforms.data.rows} currency={platforms.data.currency} />
          </Suspense>
          <DataTable
            caption="Spend, conversions and ROAS by platform"
            columns={[
              {
                id: "platform",
                header: "Platform",
                rowHeader: true,
                headerClassName: "py-2 pr-3 font-medium",
                cellClassName: "py-2 pr-3 font-normal",
                cell: (row) => <PlatformLabel platform={row.key.platform} />,
              },
              ...columns.map((m): DataColumn<BreakdownRow> => ({
                id: m.id,
                header: m.label,
                headerClassName: "px-2 py-2 text-right font-medium sm:px-3",
                cellClassName: "px-2 py-2 text-right tabular-nums sm:px-3",
                cell: (row) => (
                  <MetricValue
                    def={m}
                    totals={row.totals}
                    currency={platforms.data.currency}
                    unavailable={notSyncedReason(platforms.data.not_synced, "range")}
                  />
                ),
              })),
            ]}
            rows={platforms.data.rows}
            rowKey={(row) => row.key.platform ?? ""}
            headClassName="border-b border-neutral-200 text-xs tracking-wide text-neutral-500 uppercase"
          />
        </div>
      )}
    </Section>
  );
}

/** The organization's home: KPIs, trends, platforms, campaigns and today's pacing for a date range and filters. */
export function DashboardScreen() {
  const org = useCurrentOrg();
  const raw = useSearch({ strict: false }) as Record<string, unknown>;
  const search = useMemo(() => parseDashboardSearch(raw), [raw]);
  const navigate = useNavigate();
  const query = useMemo(() => analyticsQuery(search), [search]);
  const change = useCallback(
    (patch: Partial<DashboardSearch>) =>
      void navigate({ to: DASHBOARD_ROUTE, params: { organizationId: org.id }, search: updateSearch(search, patch) }),
    [navigate, org.id, search],
  );

  const freshness = useFreshness(org.id);
  useRefreshWhenSynced(freshness.data);
  const summary = useSummary(org.id, query);
  // The KPI cards' sparklines share the trend chart's query (one request).
  const granularity = search.granularity ?? DEFAULT_GRANULARITY;
  const sparkSeries = useTimeseries(org.id, query, granularity);
  const compare = search.compare ?? DEFAULT_COMPARE;
  const noAccounts = freshness.data?.accounts.length === 0;
  const missingRates: MissingRate[] = summary.data?.missing_rates ?? [];
  const table = tableRequest(search, query);

  return (
    <div className="mx-auto max-w-7xl space-y-5">
      <PageHeader title="Dashboard" description={<DataAsOf freshness={freshness.data} />} />

      {noAccounts ? (
        <EmptyState
          title="No ad accounts connected yet"
          description="Connect Google Ads, Meta Ads or TikTok Ads and choose the ad accounts to manage: their numbers appear here after the first sync."
          action={
            <Link
              to="/orgs/$organizationId/connections"
              params={{ organizationId: org.id }}
              className={buttonClasses("primary", "md")}
            >
              Open Connections
            </Link>
          }
        />
      ) : (
        <>
          <Card>
            <div className="space-y-4 px-5 py-4">
              <DateRangePicker
                value={search}
                resolved={summary.data?.range}
                timeZone={org.time_zone}
                onChange={change}
              />
              <DashboardFilters value={search} accounts={freshness.data?.accounts ?? []} onChange={change} />
              <div className="border-t border-neutral-100 pt-3">
                <ExportMenu organizationId={org.id} query={query} table={table} granularity={granularity} />
              </div>
            </div>
          </Card>

          <FreshnessNotices
            organizationId={org.id}
            freshness={freshness.data}
            missingRates={missingRates}
            notSynced={summary.data?.not_synced}
          />

          <DrillDownNotice organizationId={org.id} search={search} />

          <section aria-label="Key figures" aria-busy={summary.isFetching || undefined}>
            {summary.isPending ? (
              <KpiCardsSkeleton />
            ) : summary.isError ? (
              <ErrorState
                title="Could not load the key figures"
                error={summary.error}
                onRetry={() => void summary.refetch()}
              />
            ) : (
              <div className={cn(summary.isPlaceholderData && "opacity-60")}>
                <KpiCards summary={summary.data} points={sparkSeries.data?.points} compare={compare} />
              </div>
            )}
          </section>

          {summary.data && !summary.isPlaceholderData && isEmptyTotals(summary.data.totals) ? (
            <EmptyState
              title="No data in this range"
              description={
                search.platform || search.account || search.status || search.q
                  ? "Nothing ran in this date range with these filters. Try a longer range or fewer filters."
                  : "Nothing ran in this date range. Try a longer range."
              }
            />
          ) : (
            <>
              <TrendsSection organizationId={org.id} query={query} search={search} onChange={change} />
              <CampaignTable organizationId={org.id} search={search} query={query} onChange={change} />
              <PlatformSection organizationId={org.id} query={query} search={search} />
            </>
          )}
          <PacingCard organizationId={org.id} query={query} />
          {freshness.data && <DataSources organizationId={org.id} freshness={freshness.data} />}
        </>
      )}
    </div>
  );
}
