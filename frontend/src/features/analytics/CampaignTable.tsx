import { Link } from "@tanstack/react-router";
import { isApiError } from "@/api/client";
import {
  Breadcrumbs,
  Card,
  CardHeader,
  CursorPager,
  DataTable,
  EmptyState,
  cn,
  currentCursor,
  type Crumb,
  type CrumbLinkProps,
  type DataColumn,
} from "@/components/ui";
import { EntityStatusBadge } from "@/features/campaigns/EntityStatusBadge";
import { BulkChangeBar } from "@/features/changes/BulkChangeBar";
import { BudgetControl, StatusControl } from "@/features/changes/EntityChangeControls";
import { EntityHistoryButton } from "@/features/changes/EntityHistory";
import { selectColumn } from "@/features/changes/SelectColumn";
import { useSelection } from "@/features/changes/selection";
import type { ChangeTarget } from "@/features/changes/target";
import { levelLabel } from "@/features/connections/platforms";
import { useCan } from "@/features/organizations/OrgContext";
import { formatMicros } from "@/lib/money";
import { useBreakdown, type BreakdownParams } from "./api";
import { MetricValue } from "./KpiCards";
import { METRICS, notSyncedReason } from "./metrics";
import { PlatformLabel } from "./PlatformLabel";
import { CLEAR_DRILL_DOWN, DEFAULT_SORT, tableLevel, updateSearch, type DashboardSearch } from "./search";
import { Skeleton } from "./Skeleton";
import type { AnalyticsQuery, BreakdownRow, BreakdownSort, SortKey } from "./types";

export const TABLE_PAGE_SIZE = 25;
// Eleven metrics fit a 1440 px screen beside the sidebar; on a narrower one the table scrolls sideways inside its
// card, with the names kept in view. The scroller is positioned so that absolutely placed text inside it (screen
// reader labels) is clipped with it instead of widening the page.
const NAME_CELL = "sticky left-0 z-10 pr-2 pl-4 sm:pl-5";
// For those who may change entities: a narrow checkbox column, kept in view with the names beside it (it takes
// about the room the names' left padding gives up, so the metrics still fit 1440 px). The row's controls sit under
// its name rather than in columns of their own, for the same reason.
const SELECT_CELL = "sticky left-0 z-10 w-7 min-w-7 pr-0 pl-3";
const NAME_BESIDE_SELECT = "sticky left-7 z-10 px-2";
export const DASHBOARD_ROUTE = "/orgs/$organizationId" as const;

/** The breakdown the table shows for the state: campaigns, or one campaign's ad groups, or one ad group's ads. */
export function tableRequest(
  search: DashboardSearch,
  query: AnalyticsQuery,
): { query: AnalyticsQuery; params: BreakdownParams } {
  const level = tableLevel(search);
  const params: BreakdownParams = { dimension: level, sort: search.sort ?? DEFAULT_SORT, limit: TABLE_PAGE_SIZE };
  const cursor = currentCursor(search.cursors ?? []);
  if (cursor) params.cursor = cursor;
  if (level === "campaign") return { query, params };
  params.parent_platform_id = level === "ad" ? search.adGroup : search.campaign;
  // Platform ids are unique within an ad account: the drill-down stays inside the campaign's account.
  return {
    query: { ...query, ad_account_id: search.campaignAccount ? [search.campaignAccount] : query.ad_account_id },
    params,
  };
}

/**
 * A row as something to change (pause, re-budget, select for a bulk change): only a row that is one synced entity
 * (the breakdown says which), and not a removed one.
 */
export function rowTarget(row: BreakdownRow, level: "campaign" | "ad_group" | "ad"): ChangeTarget | null {
  const { key } = row;
  const platformId = key.entity_platform_id ?? key.campaign_platform_id;
  if (!key.entity_id || !key.ad_account_id || !platformId || key.status === "removed") return null;
  return {
    key: key.entity_id,
    entityId: key.entity_id,
    adAccountId: key.ad_account_id,
    platformId,
    level,
    platform: key.platform,
    name: key.name,
    status: key.status,
    currency: key.native_currency,
    dailyBudgetMicros: key.daily_budget_micros,
    accountName: key.ad_account_name,
  };
}

/** The next sort when a column header is activated: descending first (names: ascending first), then flipped. */
export function nextSort(current: BreakdownSort, key: SortKey): BreakdownSort {
  const [currentKey, descending] = current.startsWith("-") ? [current.slice(1), true] : [current, false];
  if (currentKey === key) return (descending ? key : `-${key}`) as BreakdownSort;
  return key === "name" ? key : `-${key}`;
}

function DrillDownCrumbs({ organizationId, search }: { organizationId: string; search: DashboardSearch }) {
  const level = tableLevel(search);
  const platform = search.campaignPlatform ?? "google";
  const linkTo = (to: DashboardSearch) => (props: CrumbLinkProps) => (
    <Link to={DASHBOARD_ROUTE} params={{ organizationId }} search={to} {...props} />
  );
  const crumbs: Crumb[] = [
    { label: "All campaigns", link: level === "campaign" ? null : linkTo(updateSearch(search, CLEAR_DRILL_DOWN)) },
  ];
  if (search.campaign) {
    crumbs.push({
      label: search.campaignName ?? `Campaign ${search.campaign}`,
      link: level === "ad_group" ? null : linkTo(updateSearch(search, { adGroup: undefined, adGroupName: undefined })),
    });
  }
  if (search.adGroup)
    crumbs.push({ label: search.adGroupName ?? `${levelLabel("ad_group", platform)} ${search.adGroup}` });
  return <Breadcrumbs crumbs={crumbs} />;
}

function drillTarget(search: DashboardSearch, row: BreakdownRow): DashboardSearch | null {
  const level = tableLevel(search);
  const id = row.key.entity_platform_id ?? row.key.campaign_platform_id;
  if (!id) return null;
  if (level === "campaign" && row.key.ad_account_id) {
    return updateSearch(search, {
      campaign: row.key.campaign_platform_id ?? id,
      campaignName: row.key.name,
      campaignAccount: row.key.ad_account_id,
      campaignPlatform: row.key.platform,
      adGroup: undefined,
      adGroupName: undefined,
    });
  }
  if (level === "ad_group") return updateSearch(search, { adGroup: id, adGroupName: row.key.name });
  return null;
}

/**
 * Under a row's name: its daily budget (campaigns and ad groups; in the account's currency) and its history, and for
 * those who may change it (`target`) pause / enable and the inline budget editor, as in the entity browser.
 */
function RowActions({
  organizationId,
  row,
  target,
}: {
  organizationId: string;
  row: BreakdownRow;
  target: ChangeTarget | null;
}) {
  const { key } = row;
  if (!key.entity_id) return null;
  const budget =
    key.daily_budget_micros !== null && key.native_currency
      ? `${formatMicros(key.daily_budget_micros, key.native_currency)} a day`
      : "No daily budget";
  // Budgets are set on campaigns and ad groups (Meta: ad sets), never on ads.
  const showBudget = target ? target.level !== "ad" : key.daily_budget_micros !== null;
  return (
    <div className="mt-1.5 flex flex-wrap items-center gap-x-2 gap-y-1 text-xs">
      {target && <StatusControl organizationId={organizationId} target={target} />}
      {showBudget && (
        <div className="text-neutral-600 *:items-start" title="Daily budget, in the ad account's currency">
          {target ? <BudgetControl organizationId={organizationId} target={target} display={budget} /> : budget}
        </div>
      )}
      <EntityHistoryButton organizationId={organizationId} entityId={key.entity_id} name={key.name} />
    </div>
  );
}

/**
 * Campaigns (or a campaign's ad groups, or an ad group's ads) with their numbers: sortable, paged, drillable. Those
 * who may ask for changes pause, enable and re-budget synced rows in place, or select rows (kept across pages and
 * drill-downs) for a bulk change, as in the entity browser.
 */
export function CampaignTable({
  organizationId,
  search,
  query,
  onChange,
}: {
  organizationId: string;
  search: DashboardSearch;
  query: AnalyticsQuery;
  onChange: (patch: Partial<DashboardSearch>) => void;
}) {
  const level = tableLevel(search);
  const request = tableRequest(search, query);
  const breakdown = useBreakdown(organizationId, request.query, request.params);
  const sort = search.sort ?? DEFAULT_SORT;
  const platform = search.campaignPlatform ?? "google";
  const plural = levelLabel(level, platform, true);
  const cursors = search.cursors ?? [];
  const data = breakdown.data;
  const first = cursors.length * TABLE_PAGE_SIZE;
  const canChange = useCan("drafts.edit");
  const selection = useSelection();
  const rows = data?.rows ?? [];
  const targetOf = (row: BreakdownRow) => rowTarget(row, level);
  const nameCell = canChange ? NAME_BESIDE_SELECT : NAME_CELL;

  const columns: DataColumn<BreakdownRow, undefined, SortKey>[] = [
    ...(canChange
      ? [
          {
            ...selectColumn<BreakdownRow, undefined, SortKey>(selection, rows, targetOf, plural.toLowerCase()),
            headerClassName: cn("py-2", SELECT_CELL, "bg-neutral-50"),
            cellClassName: cn("py-2.5", SELECT_CELL, "bg-white"),
          },
        ]
      : []),
    {
      id: "name",
      header: "Name",
      sortKey: "name",
      headerClassName: cn("px-2 py-2 font-medium whitespace-nowrap", nameCell, "bg-neutral-50"),
      cellClassName: cn(nameCell, "bg-white py-2.5", canChange ? "min-w-40" : "min-w-44 sm:min-w-48"),
      cell: (row) => {
        const target = drillTarget(search, row);
        return (
          <>
            {target ? (
              <Link
                to={DASHBOARD_ROUTE}
                params={{ organizationId }}
                search={target}
                className="font-medium text-neutral-900 underline decoration-neutral-300 underline-offset-2 hover:decoration-neutral-900"
              >
                {row.key.name}
              </Link>
            ) : (
              <span className="font-medium text-neutral-900">{row.key.name}</span>
            )}
            <p className="flex flex-wrap items-center gap-x-2 text-xs text-neutral-500">
              <PlatformLabel platform={row.key.platform} />
              {row.key.ad_account_name && <span>· {row.key.ad_account_name}</span>}
              {row.key.native_currency && row.key.native_currency !== data?.currency && (
                <span title={`Converted from ${row.key.native_currency} with your exchange rates`}>
                  · from {row.key.native_currency}
                </span>
              )}
            </p>
            <RowActions organizationId={organizationId} row={row} target={canChange ? targetOf(row) : null} />
          </>
        );
      },
    },
    {
      id: "status",
      header: "Status",
      headerClassName: "px-2 py-2 font-medium uppercase",
      cellClassName: "px-2 py-2.5",
      cell: (row) =>
        row.key.status ? <EntityStatusBadge status={row.key.status} /> : <span className="text-neutral-400">—</span>,
    },
    ...METRICS.map((m): DataColumn<BreakdownRow, undefined, SortKey> => ({
      id: m.id,
      header: m.short,
      title: m.description,
      sortKey: m.sort,
      headerClassName: "px-2 py-2 font-medium whitespace-nowrap text-right",
      cellClassName: "px-2 py-2.5 text-right whitespace-nowrap tabular-nums",
      cell: (row) => (
        <MetricValue
          def={m}
          totals={row.totals}
          currency={data?.currency ?? ""}
          unavailable={notSyncedReason(data?.not_synced ?? [], "range")}
        />
      ),
    })),
  ];

  // A page link from another view (or an old link) no longer fits: start again at the first page.
  const staleCursor =
    breakdown.isError && isApiError(breakdown.error) && breakdown.error.code === "invalid-cursor" && cursors.length > 0;
  const body = (
    <DataTable
      caption={
        <>
          {plural}
          {search.campaignName ? ` of ${search.adGroupName ?? search.campaignName}` : ""}, sorted by{" "}
          {sort.replace(/^-/, "")} {sort.startsWith("-") ? "descending" : "ascending"}
        </>
      }
      columns={columns}
      rows={rows}
      rowKey={(row, index) =>
        `${row.key.ad_account_id ?? ""}:${row.key.entity_platform_id ?? row.key.campaign_platform_id ?? index}`
      }
      sort={{
        key: sort.replace(/^-/, "") as SortKey,
        direction: sort.startsWith("-") ? "descending" : "ascending",
        onSort: (key) => onChange({ sort: nextSort(sort, key) }),
      }}
      loading={
        breakdown.isPending && (
          <div aria-busy="true" aria-label={`Loading ${plural.toLowerCase()}`} className="space-y-3">
            {Array.from({ length: 6 }, (_, i) => (
              <Skeleton key={i} className="h-5 w-full" />
            ))}
          </div>
        )
      }
      error={
        breakdown.isError
          ? {
              error: breakdown.error,
              title: staleCursor
                ? "This page of the table is no longer available"
                : `Could not load the ${plural.toLowerCase()}`,
              onRetry: staleCursor ? () => onChange({ cursors: undefined }) : () => void breakdown.refetch(),
            }
          : null
      }
      empty={
        <EmptyState
          title={
            search.q
              ? `No ${plural.toLowerCase()} match “${search.q}” in this range`
              : `No ${plural.toLowerCase()} with numbers in this range`
          }
          description="Try a longer date range or fewer filters."
        />
      }
      stateClassName="p-5"
      className={cn("w-full text-left text-sm", breakdown.isPlaceholderData && "opacity-60")}
      headClassName="border-b border-neutral-200 bg-neutral-50 text-xs tracking-wide text-neutral-500"
    />
  );

  return (
    <Card>
      <CardHeader
        title={plural}
        description={
          level === "campaign"
            ? `Money in ${data?.currency ?? "your reporting currency"}. Open a campaign to see its ${levelLabel("ad_group", platform, true).toLowerCase()}.`
            : undefined
        }
        actions={
          breakdown.isFetching && !breakdown.isPending ? (
            <span className="text-xs text-neutral-500">Updating…</span>
          ) : undefined
        }
      />
      {level !== "campaign" && (
        <div className="border-b border-neutral-200 px-5 py-2.5">
          <DrillDownCrumbs organizationId={organizationId} search={search} />
        </div>
      )}
      {canChange && (
        <div className="border-b border-neutral-200 px-5 py-3 empty:hidden">
          <BulkChangeBar organizationId={organizationId} selection={selection} />
        </div>
      )}
      {body}
      {data && (data.rows.length > 0 || cursors.length > 0) && (
        <CursorPager
          cursors={cursors}
          nextCursor={data.next_cursor}
          onChange={(trail) => onChange({ cursors: trail })}
          previousLabel="Previous"
          nextLabel="Next"
          status={
            data.rows.length > 0
              ? `${first + 1}–${first + data.rows.length} of ${data.total_count}`
              : `0 of ${data.total_count}`
          }
          showOnSinglePage
          className="border-t border-neutral-200 px-5 py-3"
        />
      )}
    </Card>
  );
}
