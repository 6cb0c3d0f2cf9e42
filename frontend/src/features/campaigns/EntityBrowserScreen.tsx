import { useEffect, useMemo, useState, type FormEvent } from "react";
import { Link, useNavigate, useSearch } from "@tanstack/react-router";
import {
  Badge,
  Breadcrumbs,
  Button,
  Card,
  CardBody,
  DataTable,
  EmptyState,
  ErrorState,
  LoadingState,
  PageHeader,
  Select,
  buttonClasses,
  cn,
  type Crumb,
  type CrumbLinkProps,
  type DataColumn,
} from "@/components/ui";
import {
  useConnections,
  useRefreshEntitiesAfterSync,
  useSyncStatus,
  isSyncInProgress,
} from "@/features/connections/api";
import { levelLabel, platformTitle, PLATFORMS } from "@/features/connections/platforms";
import { LastSync } from "@/features/connections/SyncStatus";
import type {
  AccountSyncSummary,
  AdAccountRead,
  ConnectionRead,
  EntityLevel,
  EntityRead,
} from "@/features/connections/types";
import { DuplicateCampaignButton } from "@/features/drafts/DuplicateCampaignButton";
import { BulkChangeBar } from "@/features/changes/BulkChangeBar";
import { BudgetControl, StatusControl } from "@/features/changes/EntityChangeControls";
import { EntityHistoryButton } from "@/features/changes/EntityHistory";
import { selectColumn } from "@/features/changes/SelectColumn";
import { useSelection, type Selection } from "@/features/changes/selection";
import type { ChangeTarget } from "@/features/changes/target";
import { useCan, useCurrentOrg } from "@/features/organizations/OrgContext";
import { formatMicros } from "@/lib/money";
import { useEntities } from "./api";
import { EntityStatusBadge, formatObjective } from "./EntityStatusBadge";
import type { CampaignsSearch } from "./search";

const PAGE_SIZE = 50;
const FILTER_DELAY_MS = 300;
const ROUTE = "/orgs/$organizationId/campaigns" as const;

export interface BrowsableAccount extends AdAccountRead {
  platform: ConnectionRead["platform"];
  connectionName: string;
}

/** Managed ad accounts of every connection, by platform then name. */
export function browsableAccounts(connections: ConnectionRead[]): BrowsableAccount[] {
  const order = PLATFORMS.map((p) => p.id as string);
  return connections
    .flatMap((c) =>
      c.accounts.filter((a) => a.managed).map((a) => ({ ...a, platform: c.platform, connectionName: c.display_name })),
    )
    .sort((a, b) => order.indexOf(a.platform) - order.indexOf(b.platform) || a.name.localeCompare(b.name));
}

/** The entity as something to change (pause, re-budget, select for a bulk change). */
export function entityTarget(entity: EntityRead, account: BrowsableAccount): ChangeTarget {
  return {
    key: entity.id,
    entityId: entity.id,
    adAccountId: entity.ad_account_id,
    platformId: entity.platform_id,
    level: entity.level,
    platform: entity.platform,
    name: entity.name,
    status: entity.status,
    currency: entity.currency || account.currency,
    dailyBudgetMicros: entity.daily_budget_micros,
    accountName: account.name,
  };
}

/**
 * Browser of the synced entity tree: campaigns → ad groups (Meta: ad sets) → ads of one ad account. Those who may
 * ask for changes pause, enable and re-budget from the rows, or select rows (kept across accounts) for a bulk change.
 */
export function EntityBrowserScreen() {
  const org = useCurrentOrg();
  const selection = useSelection();
  const search = useSearch({ strict: false }) as CampaignsSearch;
  const navigate = useNavigate();
  const connections = useConnections(org.id);
  const accounts = useMemo(() => browsableAccounts(connections.data?.items ?? []), [connections.data]);
  const account = accounts.find((a) => a.id === search.account) ?? null;

  // No (or an unknown) account in the URL: open the first one.
  useEffect(() => {
    if (connections.data && !account && accounts.length > 0) {
      void navigate({
        to: ROUTE,
        params: { organizationId: org.id },
        search: { account: accounts[0]!.id },
        replace: true,
      });
    }
  }, [connections.data, account, accounts, navigate, org.id]);

  return (
    <div className="mx-auto max-w-6xl">
      <PageHeader
        title="Campaigns"
        description="Campaigns, ad groups and ads of your managed ad accounts, as last synced from the platforms."
      />
      <div className="mb-4 empty:hidden">
        <BulkChangeBar organizationId={org.id} selection={selection} />
      </div>
      {connections.isPending ? (
        <LoadingState label="Loading ad accounts…" />
      ) : connections.isError ? (
        <ErrorState error={connections.error} onRetry={() => void connections.refetch()} />
      ) : accounts.length === 0 ? (
        <EmptyState
          title="No ad accounts to browse yet"
          description="Connect an ad platform and choose the ad accounts adpilot manages; their campaigns appear here after the first sync."
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
      ) : !account ? (
        <LoadingState />
      ) : (
        <AccountBrowser
          key={account.id}
          organizationId={org.id}
          accounts={accounts}
          account={account}
          search={search}
          selection={selection}
        />
      )}
    </div>
  );
}

function AccountBrowser({
  organizationId,
  accounts,
  account,
  search,
  selection,
}: {
  organizationId: string;
  accounts: BrowsableAccount[];
  account: BrowsableAccount;
  search: CampaignsSearch;
  selection: Selection;
}) {
  const navigate = useNavigate();
  const syncStatus = useSyncStatus(organizationId, [account.id]);
  const summary: AccountSyncSummary | undefined = syncStatus.data?.find((s) => s.ad_account_id === account.id);
  const syncing = isSyncInProgress(summary?.last_run?.status);
  useRefreshEntitiesAfterSync(summary?.last_succeeded_at, syncing);

  const level: EntityLevel = search.adGroup ? "ad" : search.campaign ? "ad_group" : "campaign";
  const parent = search.adGroup ?? search.campaign;
  const go = (next: CampaignsSearch, replace = false) =>
    void navigate({ to: ROUTE, params: { organizationId }, search: next, replace });
  const keep = {
    account: account.id,
    ...(search.q ? { q: search.q } : {}),
    ...(search.removed ? { removed: true } : {}),
  };

  const byPlatform = PLATFORMS.map((p) => ({
    platform: p,
    accounts: accounts.filter((a) => a.platform === p.id),
  })).filter((g) => g.accounts.length);

  return (
    <div className="space-y-4">
      <Card>
        <CardBody className="flex flex-wrap items-end justify-between gap-4">
          <div className="space-y-1.5">
            <label htmlFor="entity-browser-account" className="block text-sm font-medium text-neutral-800">
              Ad account
            </label>
            <Select
              id="entity-browser-account"
              value={account.id}
              onChange={(e) => go({ account: e.target.value })}
              className="min-w-72"
            >
              {byPlatform.map((group) => (
                <optgroup key={group.platform.id} label={group.platform.title}>
                  {group.accounts.map((a) => (
                    <option key={a.id} value={a.id}>
                      {a.name} ({a.platform_account_id})
                    </option>
                  ))}
                </optgroup>
              ))}
            </Select>
          </div>
          <div className="text-right text-xs text-neutral-500">
            <p>
              {platformTitle(account.platform)} · {account.currency} · {account.time_zone}
            </p>
            <div className="mt-1 flex justify-end">
              <LastSync summary={summary} platform={account.platform} />
            </div>
          </div>
        </CardBody>
      </Card>

      <LevelCrumbs account={account} search={search} level={level} keep={keep} organizationId={organizationId} />

      <Filters
        key={`${level}:${parent ?? ""}`}
        label={levelLabel(level, account.platform, true).toLowerCase()}
        q={search.q ?? ""}
        removed={Boolean(search.removed)}
        onChange={(q, removed) => {
          const { q: _q, removed: _r, ...rest } = search;
          go({ ...rest, account: account.id, ...(q ? { q } : {}), ...(removed ? { removed: true } : {}) }, true);
        }}
      />

      <EntityTable
        organizationId={organizationId}
        account={account}
        level={level}
        parent={parent}
        search={search}
        summary={summary}
        syncing={syncing}
        selection={selection}
      />
    </div>
  );
}

function LevelCrumbs({
  organizationId,
  account,
  search,
  level,
  keep,
}: {
  organizationId: string;
  account: BrowsableAccount;
  search: CampaignsSearch;
  level: EntityLevel;
  keep: CampaignsSearch;
}) {
  const linkTo = (to: CampaignsSearch) => (props: CrumbLinkProps) => (
    <Link to={ROUTE} params={{ organizationId }} search={to} {...props} />
  );
  const crumbs: Crumb[] = [
    {
      label: `All ${levelLabel("campaign", account.platform, true).toLowerCase()}`,
      link: level === "campaign" ? null : linkTo({ ...keep }),
    },
  ];
  if (search.campaign) {
    crumbs.push({
      label: search.campaignName ?? `Campaign ${search.campaign}`,
      link:
        level === "ad_group" ? null : linkTo({ ...keep, campaign: search.campaign, campaignName: search.campaignName }),
    });
  }
  if (search.adGroup) {
    crumbs.push({ label: search.adGroupName ?? `${levelLabel("ad_group", account.platform)} ${search.adGroup}` });
  }
  return <Breadcrumbs crumbs={crumbs} />;
}

function Filters({
  label,
  q,
  removed,
  onChange,
}: {
  label: string;
  q: string;
  removed: boolean;
  onChange: (q: string, removed: boolean) => void;
}) {
  const [text, setText] = useState(q);
  // Typing filters after a short pause; Enter filters at once.
  useEffect(() => {
    if (text.trim() === q) return;
    const timer = setTimeout(() => onChange(text.trim(), removed), FILTER_DELAY_MS);
    return () => clearTimeout(timer);
  }, [text, q, removed, onChange]);

  return (
    <form
      role="search"
      className="flex flex-wrap items-center gap-4"
      onSubmit={(e: FormEvent) => {
        e.preventDefault();
        onChange(text.trim(), removed);
      }}
    >
      <div className="flex items-center gap-2">
        <label htmlFor="entity-browser-filter" className="text-sm text-neutral-700">
          Filter by name
        </label>
        <input
          id="entity-browser-filter"
          type="search"
          value={text}
          onChange={(e) => setText(e.target.value)}
          placeholder={`Search ${label}`}
          maxLength={200}
          className="w-64 rounded-md border border-neutral-300 bg-white px-3 py-1.5 text-sm shadow-xs focus:border-neutral-500 focus:ring-2 focus:ring-neutral-200 focus:outline-none"
        />
      </div>
      <label className="flex items-center gap-2 text-sm text-neutral-700">
        <input
          type="checkbox"
          className="size-4"
          checked={removed}
          onChange={(e) => onChange(text.trim(), e.target.checked)}
        />
        Show removed
      </label>
    </form>
  );
}

function EntityTable({
  organizationId,
  account,
  level,
  parent,
  search,
  summary,
  syncing,
  selection,
}: {
  organizationId: string;
  account: BrowsableAccount;
  level: EntityLevel;
  parent: string | undefined;
  search: CampaignsSearch;
  summary: AccountSyncSummary | undefined;
  syncing: boolean;
  selection: Selection;
}) {
  const canChange = useCan("drafts.edit");
  const entities = useEntities(
    organizationId,
    account.id,
    { level, parent, nameContains: search.q, includeRemoved: search.removed },
    PAGE_SIZE,
  );
  const items = entities.data?.pages.flatMap((p) => p.items) ?? [];
  const plural = levelLabel(level, account.platform, true);
  const showBudgets = level !== "ad";
  const showObjective = level === "campaign";

  const neverSynced = !summary?.last_succeeded_at;
  const body = (
    <DataTable
      caption={`${plural} of ${account.name}`}
      columns={[
        ...(canChange
          ? [
              selectColumn(
                selection,
                items,
                (e: EntityRead) => (e.status === "removed" ? null : entityTarget(e, account)),
                plural.toLowerCase(),
              ),
            ]
          : []),
        ...entityColumns(organizationId, account, search, showObjective, showBudgets, canChange),
      ]}
      rows={items}
      rowKey={(entity) => entity.id}
      rowClassName={(entity) => cn(entity.status === "removed" && "text-neutral-500")}
      loading={entities.isPending && <LoadingState label={`Loading ${plural.toLowerCase()}…`} />}
      error={entities.isError ? { error: entities.error, onRetry: () => void entities.refetch() } : null}
      empty={
        <EmptyState
          title={
            search.q
              ? `No ${plural.toLowerCase()} match “${search.q}”`
              : neverSynced
                ? syncing
                  ? "The first sync of this account is running"
                  : "This account has not been synced yet"
                : `No ${plural.toLowerCase()} here`
          }
          description={
            search.q
              ? "Try another name, or show removed ones too."
              : neverSynced
                ? "Campaigns appear here as soon as the first sync finishes. Start one from the Connections page."
                : search.removed
                  ? undefined
                  : "Removed ones are hidden; tick “Show removed” to see them."
          }
        />
      }
    />
  );

  return (
    <Card>
      <div className="flex items-center justify-between border-b border-neutral-200 px-5 py-3">
        <h2 className="text-base font-semibold text-neutral-900">{plural}</h2>
        {entities.isFetching && !entities.isPending && !entities.isFetchingNextPage && (
          <span className="text-xs text-neutral-500">Updating…</span>
        )}
      </div>
      <div className={cn(items.length === 0 && "p-5")}>{body}</div>
      {entities.hasNextPage && (
        <div className="border-t border-neutral-200 px-5 py-3">
          <Button
            variant="secondary"
            size="sm"
            pending={entities.isFetchingNextPage}
            onClick={() => void entities.fetchNextPage()}
          >
            Load more
          </Button>
        </div>
      )}
    </Card>
  );
}

function entityColumns(
  organizationId: string,
  account: BrowsableAccount,
  search: CampaignsSearch,
  showObjective: boolean,
  showBudgets: boolean,
  canChange: boolean,
): DataColumn<EntityRead>[] {
  const keep = { account: account.id, ...(search.removed ? { removed: true } : {}) };
  const currency = (entity: EntityRead) => entity.currency || account.currency;
  return [
    {
      id: "name",
      header: "Name",
      headerClassName: "px-5 py-2 font-medium",
      cellClassName: "px-5 py-3",
      cell: (entity) => {
        const target: CampaignsSearch | null =
          entity.level === "campaign"
            ? { ...keep, campaign: entity.platform_id, campaignName: entity.name }
            : entity.level === "ad_group"
              ? {
                  ...keep,
                  campaign: search.campaign ?? entity.campaign_platform_id,
                  campaignName: search.campaignName,
                  adGroup: entity.platform_id,
                  adGroupName: entity.name,
                }
              : null;
        return (
          <>
            {target ? (
              <Link
                to={ROUTE}
                params={{ organizationId }}
                search={target}
                className="font-medium text-neutral-900 underline decoration-neutral-300 underline-offset-2 hover:decoration-neutral-900"
              >
                {entity.name}
              </Link>
            ) : (
              <span className="font-medium text-neutral-900">{entity.name}</span>
            )}
            <p className="font-mono text-xs text-neutral-500">
              <span className="sr-only">Platform id </span>
              {entity.platform_id}
            </p>
          </>
        );
      },
    },
    {
      id: "status",
      header: "Status",
      headerClassName: "px-3 py-2 font-medium",
      cellClassName: "px-3 py-3",
      cell: (entity) =>
        canChange ? (
          <div className="space-y-1.5">
            <EntityStatusBadge status={entity.status} />
            <StatusControl organizationId={organizationId} target={entityTarget(entity, account)} />
          </div>
        ) : (
          <EntityStatusBadge status={entity.status} />
        ),
    },
    {
      id: "platform-status",
      header: "Platform status",
      headerClassName: "hidden px-3 py-2 font-medium md:table-cell",
      cellClassName: "hidden px-3 py-3 md:table-cell",
      cell: (entity) => <Badge>{entity.platform_status}</Badge>,
    },
    {
      id: "objective",
      header: "Objective",
      hidden: !showObjective,
      headerClassName: "hidden px-3 py-2 font-medium lg:table-cell",
      cellClassName: "hidden px-3 py-3 text-neutral-600 lg:table-cell",
      cell: (entity) => formatObjective(entity.objective),
    },
    {
      id: "daily-budget",
      header: "Daily budget",
      hidden: !showBudgets,
      headerClassName: "px-3 py-2 text-right font-medium",
      cellClassName: "px-3 py-3 text-right tabular-nums",
      cell: (entity) =>
        canChange && entity.status !== "removed" ? (
          <BudgetControl
            organizationId={organizationId}
            target={entityTarget(entity, account)}
            display={formatMicros(entity.daily_budget_micros, currency(entity))}
          />
        ) : (
          formatMicros(entity.daily_budget_micros, currency(entity))
        ),
    },
    {
      id: "lifetime-budget",
      header: "Lifetime budget",
      hidden: !showBudgets,
      headerClassName: "px-5 py-2 text-right font-medium",
      cellClassName: "px-5 py-3 text-right tabular-nums",
      cell: (entity) => formatMicros(entity.lifetime_budget_micros, currency(entity)),
    },
    {
      id: "duplicate-to-draft",
      header: <span className="sr-only">Draft</span>,
      // Campaign rows only (the level that shows the objective).
      hidden: !showObjective,
      headerClassName: "px-5 py-2",
      cellClassName: "px-5 py-3 text-right",
      cell: (entity) => (
        <DuplicateCampaignButton
          organizationId={organizationId}
          adAccountId={account.id}
          campaignPlatformId={entity.platform_id}
          campaignName={entity.name}
        />
      ),
    },
    {
      id: "history",
      header: "Changes",
      headerHidden: true,
      headerClassName: "px-3 py-2",
      cellClassName: "px-3 py-3 text-right",
      cell: (entity) => <EntityHistoryButton organizationId={organizationId} entityId={entity.id} name={entity.name} />,
    },
  ];
}
