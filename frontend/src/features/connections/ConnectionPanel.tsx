import { useEffect, useId, useRef, useState } from "react";
import { Alert, Badge, Button, DataTable, Dialog, type DataColumn } from "@/components/ui";
import { formatDate, pluralize } from "@/lib/format";
import { describeError } from "@/lib/forms";
import { HealthBadge } from "./HealthBadge";
import {
  isDiscovering,
  isSyncInProgress,
  useConnectionAccounts,
  useDisconnectConnection,
  useRefreshConnectionAccounts,
  useRefreshEntitiesAfterSync,
  useSetManagedAccounts,
  useSyncAccount,
} from "./api";
import { platformTitle } from "./platforms";
import { LastSync } from "./SyncStatus";
import type { AccountSyncSummary, AdAccountRead, ConnectionRead } from "./types";

export interface ConnectionPanelProps {
  organizationId: string;
  connection: ConnectionRead;
  syncStatus: Map<string, AccountSyncSummary>;
  permissions: { sync: boolean; manage: boolean };
  /** Just connected: open the account selection and bring it into view. */
  justConnected?: boolean;
  onSelectionSaved?: () => void;
  onReconnect: () => void;
  reconnecting: boolean;
}

/** One platform login: its health, its ad accounts (which are managed, their last sync) and what can be done with it. */
export function ConnectionPanel({
  organizationId,
  connection,
  syncStatus,
  permissions,
  justConnected = false,
  onSelectionSaved,
  onReconnect,
  reconnecting,
}: ConnectionPanelProps) {
  const headingId = useId();
  const sectionRef = useRef<HTMLElement>(null);
  const [choosing, setChoosing] = useState(justConnected && permissions.manage);
  const [disconnectOpen, setDisconnectOpen] = useState(false);
  const [notice, setNotice] = useState<string | null>(null);
  const path = { organization_id: organizationId, connection_id: connection.id };
  const managedCount = connection.managed_account_count;
  const accounts = useConnectionAccounts(organizationId, connection);
  const discovering = isDiscovering(connection);

  useEffect(() => {
    if (justConnected) {
      setChoosing(permissions.manage);
      sectionRef.current?.scrollIntoView?.({ block: "start" });
    }
  }, [justConnected, permissions.manage]);

  // A refresh queues a listing on the server; until it ends, the page shows its progress. Its end is told by a
  // finish time other than the one before the click (a connection read before the refresh still shows the old one).
  const [refreshingSince, setRefreshingSince] = useState<string | null | undefined>(undefined);
  const refresh = useRefreshConnectionAccounts();
  useEffect(() => {
    if (refreshingSince === undefined || discovering || connection.discovery.finished_at === refreshingSince) return;
    if (connection.discovery.state === "succeeded") {
      setNotice(`Account list refreshed: ${pluralize(connection.discovery.accounts_found, "ad account")}.`);
    }
    setRefreshingSince(undefined);
  }, [refreshingSince, discovering, connection.discovery]);
  const disconnect = useDisconnectConnection({ onDisconnected: () => setDisconnectOpen(false) });

  const title = platformTitle(connection.platform);
  return (
    <section ref={sectionRef} aria-labelledby={headingId} className="scroll-mt-4 px-5 py-4">
      <div className="flex flex-wrap items-start justify-between gap-3">
        <div className="min-w-0 space-y-1">
          <h3 id={headingId} className="truncate text-sm font-semibold text-neutral-900">
            {connection.display_name}
          </h3>
          <div className="flex flex-wrap items-center gap-x-3 gap-y-1 text-xs text-neutral-500">
            <HealthBadge health={connection.health} reason={connection.health_reason} />
            <span>Connected on {formatDate(connection.created_at)}</span>
            <span>
              {pluralize(managedCount, "managed account")} of {connection.account_count}
            </span>
          </div>
        </div>
        {permissions.manage && (
          <div className="flex flex-wrap items-center gap-2">
            {!choosing && connection.account_count > 0 && (
              <Button
                variant="secondary"
                size="sm"
                aria-label={`Choose accounts of ${connection.display_name}`}
                onClick={() => setChoosing(true)}
              >
                Choose accounts
              </Button>
            )}
            <Button
              variant="ghost"
              size="sm"
              aria-label={`Refresh accounts of ${connection.display_name}`}
              pending={refresh.isPending || discovering}
              disabled={connection.health === "needs_reconnect"}
              onClick={() => {
                setNotice(null);
                const before = connection.discovery.finished_at;
                refresh.mutate({ params: { path } }, { onSuccess: () => setRefreshingSince(before) });
              }}
            >
              Refresh accounts
            </Button>
            <Button
              variant={connection.health === "needs_reconnect" ? "primary" : "ghost"}
              size="sm"
              aria-label={`Reconnect ${connection.display_name}`}
              pending={reconnecting}
              onClick={onReconnect}
            >
              Reconnect
            </Button>
            <Button
              variant="ghost"
              size="sm"
              aria-label={`Disconnect ${connection.display_name}`}
              onClick={() => setDisconnectOpen(true)}
            >
              Disconnect
            </Button>
          </div>
        )}
      </div>

      <div className="mt-3 space-y-3">
        {connection.health === "needs_reconnect" && (
          <Alert tone="error" title={`adpilot can no longer reach ${title} with this login`}>
            {connection.health_reason ? `${connection.health_reason} ` : ""}
            {permissions.manage
              ? "Reconnect it to resume syncing."
              : "Ask a manager or admin of this organization to reconnect it."}
          </Alert>
        )}
        {notice && <Alert tone="success">{notice}</Alert>}
        {refresh.isError && <Alert tone="error">{describeError(refresh.error)}</Alert>}
        {discovering && (
          <Alert tone="info" title={`Listing the ad accounts of ${connection.display_name}…`}>
            {connection.discovery.state === "queued" ? "Waiting for its turn" : "In progress"}
            {connection.discovery.accounts_found > 0
              ? ` (${pluralize(connection.discovery.accounts_found, "ad account")} found so far)`
              : ""}
            . This page updates when it is done.
          </Alert>
        )}
        {connection.discovery.state === "failed" && (
          <Alert tone="error" title="The ad accounts could not be listed">
            {connection.discovery.error ?? "Something went wrong."}
            {permissions.manage ? " Use “Refresh accounts” to try again." : ""}
          </Alert>
        )}
        {justConnected && !discovering && (
          <Alert tone="success" title={`Connected ${connection.display_name}`}>
            {permissions.manage
              ? "Choose the ad accounts adpilot should manage. Their first sync starts when you save."
              : "A manager or admin of this organization chooses which of its ad accounts adpilot manages."}
          </Alert>
        )}
        {!justConnected && managedCount === 0 && connection.account_count > 0 && (
          <Alert tone="info">
            No ad account of this login is managed yet.{" "}
            {permissions.manage
              ? "Choose the accounts adpilot should sync."
              : "A manager or admin chooses which accounts adpilot syncs."}
          </Alert>
        )}
        {discovering ? null : connection.account_count === 0 ? (
          <p className="rounded-md border border-dashed border-neutral-300 px-4 py-6 text-center text-sm text-neutral-500">
            This login has no ad accounts on {title}.
            {permissions.manage ? " Create one there, then use “Refresh accounts”." : ""}
          </p>
        ) : choosing ? (
          <AccountSelection
            organizationId={organizationId}
            connection={connection}
            accounts={accounts}
            onCancel={() => setChoosing(false)}
            onSaved={(count) => {
              setChoosing(false);
              setNotice(
                count === 0
                  ? "Saved. adpilot manages none of these ad accounts now."
                  : `Saved. adpilot manages ${pluralize(count, "ad account")} of this login; the first sync of newly chosen accounts has started.`,
              );
              onSelectionSaved?.();
            }}
          />
        ) : (
          <AccountsTable
            organizationId={organizationId}
            connection={connection}
            accounts={accounts}
            syncStatus={syncStatus}
            canSync={permissions.sync}
          />
        )}
      </div>

      <Dialog
        open={disconnectOpen}
        onOpenChange={(open) => {
          setDisconnectOpen(open);
          if (!open) disconnect.reset();
        }}
        title={`Disconnect ${connection.display_name}?`}
        description={`adpilot revokes its access on ${title}, deletes the stored credentials and stops syncing ${pluralize(managedCount, "ad account")}. Campaign data already synced stays.`}
      >
        {disconnect.isError && (
          <div className="mb-3">
            <Alert tone="error">{describeError(disconnect.error)}</Alert>
          </div>
        )}
        <div className="flex justify-end gap-2">
          <Button variant="secondary" onClick={() => setDisconnectOpen(false)}>
            Cancel
          </Button>
          <Button
            variant="danger"
            pending={disconnect.isPending}
            onClick={() => disconnect.mutate({ params: { path } })}
          >
            Disconnect
          </Button>
        </div>
      </Dialog>
    </section>
  );
}

function AccountIdentity({ account }: { account: AdAccountRead }) {
  return (
    <>
      <p className="font-medium text-neutral-900">{account.name}</p>
      <p className="flex flex-wrap items-center gap-x-2 gap-y-1 text-xs text-neutral-500">
        <span>
          <span className="sr-only">Platform id </span>
          <span className="font-mono">{account.platform_account_id}</span>
        </span>
        {account.is_manager && <Badge>Manager account</Badge>}
        {!account.platform_active && <Badge tone="amber">Inactive on the platform</Badge>}
      </p>
    </>
  );
}

const TH = "px-3 py-2 font-medium";

type ConnectionAccounts = ReturnType<typeof useConnectionAccounts>;

function AccountsTable({
  organizationId,
  connection,
  accounts,
  syncStatus,
  canSync,
}: {
  organizationId: string;
  connection: ConnectionRead;
  accounts: ConnectionAccounts;
  syncStatus: Map<string, AccountSyncSummary>;
  canSync: boolean;
}) {
  return (
    <div className="space-y-2">
      <DataTable
        caption={`Ad accounts of ${connection.display_name}`}
        columns={accountColumns(connection, canSync)}
        rows={accounts.accounts.map((account) => ({ organizationId, account, summary: syncStatus.get(account.id) }))}
        rowKey={(row) => row.account.id}
        useRowState={useAccountRow}
        wrapperClassName="relative overflow-x-auto rounded-md border border-neutral-200"
      />
      {accounts.error ? <Alert tone="error">{describeError(accounts.error)}</Alert> : null}
      {!accounts.complete && (
        <div className="flex items-center justify-between gap-3 text-xs text-neutral-500">
          <span>
            Showing {accounts.accounts.length} of {connection.account_count} ad accounts
          </span>
          <Button variant="secondary" size="sm" pending={accounts.loading} onClick={() => void accounts.loadMore()}>
            Show more accounts
          </Button>
        </div>
      )}
    </div>
  );
}

/** An account row's own state: its "Sync now" request, and the entity refresh once a sync of it succeeds. */
function useAccountRow(row: AccountRowData) {
  const sync = useSyncAccount(row.organizationId);
  const inProgress = isSyncInProgress(row.summary?.last_run?.status);
  useRefreshEntitiesAfterSync(row.summary?.last_succeeded_at, inProgress);
  return { sync, inProgress };
}

interface AccountRowData {
  organizationId: string;
  account: AdAccountRead;
  summary: AccountSyncSummary | undefined;
}

function accountColumns(
  connection: ConnectionRead,
  canSync: boolean,
): DataColumn<AccountRowData, ReturnType<typeof useAccountRow>>[] {
  return [
    {
      id: "account",
      header: "Ad account",
      headerClassName: TH,
      cellClassName: "px-3 py-3 align-top",
      cell: ({ account }) => <AccountIdentity account={account} />,
    },
    {
      id: "currency",
      header: "Currency",
      headerClassName: TH,
      cellClassName: "px-3 py-3 align-top",
      cell: ({ account }) => account.currency,
    },
    {
      id: "time-zone",
      header: "Time zone",
      headerClassName: `${TH} hidden md:table-cell`,
      cellClassName: "hidden px-3 py-3 align-top text-neutral-600 md:table-cell",
      cell: ({ account }) => account.time_zone,
    },
    {
      id: "managed",
      header: "Managed",
      headerClassName: TH,
      cellClassName: "px-3 py-3 align-top whitespace-nowrap",
      cell: ({ account }) => (account.managed ? <Badge tone="green">Managed</Badge> : <Badge>Not managed</Badge>),
    },
    {
      id: "last-sync",
      header: "Last sync",
      headerClassName: TH,
      cellClassName: "px-3 py-3 align-top",
      cellProps: { "aria-live": "polite" },
      cell: ({ account, summary }, { sync }) => (
        <>
          {account.managed ? (
            <LastSync summary={summary} platform={connection.platform} />
          ) : (
            <span className="text-neutral-400">—</span>
          )}
          {sync.isError && <p className="mt-1 text-xs text-red-700">{describeError(sync.error)}</p>}
        </>
      ),
    },
    {
      id: "actions",
      header: "Actions",
      headerHidden: true,
      headerClassName: TH,
      cellClassName: "px-3 py-3 text-right align-top whitespace-nowrap",
      cell: ({ organizationId, account }, { sync, inProgress }) =>
        canSync &&
        account.managed && (
          <Button
            variant="secondary"
            size="sm"
            aria-label={inProgress ? `Syncing ${account.name}` : `Sync now: ${account.name}`}
            pending={sync.isPending || inProgress}
            disabled={connection.health === "needs_reconnect"}
            onClick={() =>
              sync.mutate({ params: { path: { organization_id: organizationId, ad_account_id: account.id } } })
            }
          >
            {inProgress ? "Syncing…" : "Sync now"}
          </Button>
        ),
    },
  ];
}

/** Checkboxes for the accounts to manage; saving starts the first sync of the newly managed ones. */
function AccountSelection({
  organizationId,
  connection,
  accounts,
  onCancel,
  onSaved,
}: {
  organizationId: string;
  connection: ConnectionRead;
  accounts: ConnectionAccounts;
  onCancel: () => void;
  onSaved: (count: number) => void;
}) {
  const [selected, setSelected] = useState<Set<string>>(
    () => new Set(accounts.accounts.filter((a) => a.managed).map((a) => a.id)),
  );
  const save = useSetManagedAccounts({ onSaved });
  const { complete, loadAll } = accounts;
  // The selection replaces the whole set of managed accounts: every page must be read before it can be saved.
  useEffect(() => {
    if (!complete) void loadAll();
  }, [complete, loadAll]);
  const loaded = useRef(new Set(accounts.accounts.map((a) => a.id)));
  useEffect(() => {
    const fresh = accounts.accounts.filter((a) => !loaded.current.has(a.id));
    if (fresh.length === 0) return;
    for (const account of fresh) loaded.current.add(account.id);
    setSelected((current) => {
      const next = new Set(current);
      for (const account of fresh) if (account.managed) next.add(account.id);
      return next;
    });
  }, [accounts.accounts]);
  const selectable = accounts.accounts.filter((a) => !a.is_manager);
  const allSelected = selectable.length > 0 && selectable.every((a) => selected.has(a.id));

  function toggle(id: string, on: boolean) {
    setSelected((current) => {
      const next = new Set(current);
      if (on) next.add(id);
      else next.delete(id);
      return next;
    });
  }

  return (
    <form
      aria-label={`Ad accounts to manage for ${connection.display_name}`}
      className="space-y-3"
      onSubmit={(event) => {
        event.preventDefault();
        save.mutate({
          params: { path: { organization_id: organizationId, connection_id: connection.id } },
          body: { managed_account_ids: [...selected] },
        });
      }}
    >
      {save.isError && <Alert tone="error">{describeError(save.error)}</Alert>}
      {accounts.error ? <Alert tone="error">{describeError(accounts.error)}</Alert> : null}
      {!complete && !accounts.error && (
        <p role="status" className="text-xs text-neutral-500">
          Loading all {connection.account_count} ad accounts ({accounts.accounts.length} so far)…
        </p>
      )}
      <fieldset className="rounded-md border border-neutral-200">
        <legend className="sr-only">Ad accounts to manage</legend>
        <div className="flex items-center justify-between border-b border-neutral-200 bg-neutral-50 px-3 py-2 text-xs text-neutral-500">
          <label className="flex items-center gap-2">
            <input
              type="checkbox"
              className="size-4"
              checked={allSelected}
              disabled={selectable.length === 0}
              onChange={(e) => setSelected(e.target.checked ? new Set(selectable.map((a) => a.id)) : new Set())}
            />
            Select all
          </label>
          <span>{pluralize(selected.size, "account")} selected</span>
        </div>
        <ul className="divide-y divide-neutral-200">
          {accounts.accounts.map((account) => (
            <li key={account.id}>
              <label
                className={`flex items-start gap-3 px-3 py-2.5 text-sm ${account.is_manager ? "cursor-not-allowed opacity-70" : "cursor-pointer"}`}
              >
                <input
                  type="checkbox"
                  className="mt-0.5 size-4"
                  aria-label={`Manage ${account.name}`}
                  checked={selected.has(account.id)}
                  disabled={account.is_manager}
                  onChange={(e) => toggle(account.id, e.target.checked)}
                />
                <span className="min-w-0 flex-1">
                  <AccountIdentity account={account} />
                  {account.is_manager && (
                    <span className="block text-xs text-neutral-500">
                      A manager account has no campaigns of its own; choose the accounts under it.
                    </span>
                  )}
                </span>
                <span className="shrink-0 text-xs text-neutral-500">
                  {account.currency} · {account.time_zone}
                </span>
              </label>
            </li>
          ))}
        </ul>
      </fieldset>
      <div className="flex justify-end gap-2">
        <Button variant="secondary" size="sm" onClick={onCancel} disabled={save.isPending}>
          Cancel
        </Button>
        <Button type="submit" size="sm" pending={save.isPending} disabled={!complete}>
          Save selection
        </Button>
      </div>
    </form>
  );
}
