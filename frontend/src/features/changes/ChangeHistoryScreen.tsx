import type { FormEvent } from "react";
import { useNavigate, useSearch } from "@tanstack/react-router";
import {
  Badge,
  Button,
  Card,
  EmptyState,
  ErrorState,
  Field,
  LoadingState,
  PageHeader,
  SelectField,
} from "@/components/ui";
import { useConnections } from "@/features/connections/api";
import { PLATFORMS } from "@/features/connections/platforms";
import { browsableAccounts } from "@/features/campaigns/EntityBrowserScreen";
import { useCan, useCurrentOrg } from "@/features/organizations/OrgContext";
import { isoToLocalInput, localInputToIso } from "@/lib/format";
import { useChanges, usePendingCount } from "./api";
import { ChangeList } from "./ChangeList";
import { CHANGE_SOURCES, CHANGE_STATUS, CHANGE_STATUSES, KNOWN_KINDS, kindLabel } from "./kinds";
import { hasChangeFilters, parseChangesSearch, toChangeFilters, type ChangesSearch } from "./search";

/** Every change asked for in the organization, filterable, newest first; managers review the waiting ones here. */
export function ChangeHistoryScreen() {
  const org = useCurrentOrg();
  const canApprove = useCan("changes.approve");
  const search = parseChangesSearch(useSearch({ strict: false }) as Record<string, unknown>);
  const navigate = useNavigate({ from: "/orgs/$organizationId/changes" });
  const pending = usePendingCount(org.id, canApprove);

  function apply(next: ChangesSearch) {
    void navigate({ search: next });
  }

  function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const data = new FormData(event.currentTarget);
    apply(
      parseChangesSearch({
        status: data.get("status"),
        kind: data.get("kind"),
        source: data.get("source"),
        platform: data.get("platform"),
        account: data.get("account"),
        from: localInputToIso(String(data.get("from") ?? "")),
        to: localInputToIso(String(data.get("to") ?? "")),
      }),
    );
  }

  return (
    <div className="mx-auto max-w-5xl">
      <PageHeader
        title="Changes"
        description="Every change asked for on your ad platforms: by whom or what, the value before and after, and whether the platform took it."
        actions={
          canApprove && pending.data && pending.data.count > 0 ? (
            <Button variant="secondary" onClick={() => apply({ status: "pending_approval" })}>
              Waiting for approval <Badge tone="amber">{`${pending.data.count}${pending.data.more ? "+" : ""}`}</Badge>
            </Button>
          ) : undefined
        }
      />
      <div className="space-y-4">
        <form
          key={JSON.stringify(search)}
          onSubmit={onSubmit}
          aria-label="Filter changes"
          className="grid gap-3 rounded-lg border border-neutral-200 bg-white p-4 sm:grid-cols-2 lg:grid-cols-4"
        >
          <SelectField label="Status" name="status" defaultValue={search.status ?? ""}>
            <option value="">Any status</option>
            {CHANGE_STATUSES.map((s) => (
              <option key={s} value={s}>
                {CHANGE_STATUS[s].label}
              </option>
            ))}
          </SelectField>
          <SelectField label="Kind" name="kind" defaultValue={search.kind ?? ""}>
            <option value="">Any kind</option>
            {KNOWN_KINDS.map((k) => (
              <option key={k} value={k}>
                {kindLabel(k)}
              </option>
            ))}
          </SelectField>
          <SelectField label="Asked by" name="source" defaultValue={search.source ?? ""}>
            <option value="">Anyone or anything</option>
            {Object.entries(CHANGE_SOURCES).map(([id, label]) => (
              <option key={id} value={id}>
                {label}
              </option>
            ))}
          </SelectField>
          <SelectField label="Platform" name="platform" defaultValue={search.platform ?? ""}>
            <option value="">All platforms</option>
            {PLATFORMS.map((p) => (
              <option key={p.id} value={p.id}>
                {p.title}
              </option>
            ))}
          </SelectField>
          <AccountSelect defaultValue={search.account ?? ""} />
          <Field label="From" name="from" type="datetime-local" defaultValue={isoToLocalInput(search.from)} />
          <Field label="To" name="to" type="datetime-local" defaultValue={isoToLocalInput(search.to)} />
          <div className="flex items-end gap-2">
            <Button type="submit">Apply filters</Button>
            <Button variant="ghost" onClick={() => apply({})}>
              Clear
            </Button>
          </div>
        </form>
        <ChangesCard search={search} />
      </div>
    </div>
  );
}

function AccountSelect({ defaultValue }: { defaultValue: string }) {
  const org = useCurrentOrg();
  const connections = useConnections(org.id);
  const accounts = browsableAccounts(connections.data?.items ?? []);
  return (
    <SelectField
      key={connections.isSuccess ? "loaded" : "loading"}
      label="Ad account"
      name="account"
      defaultValue={defaultValue}
      disabled={connections.isPending}
      description={connections.isError ? "Could not load the ad accounts." : undefined}
    >
      <option value="">All ad accounts</option>
      {defaultValue && !accounts.some((a) => a.id === defaultValue) && (
        <option value={defaultValue}>An account no longer managed</option>
      )}
      {accounts.map((a) => (
        <option key={a.id} value={a.id}>
          {a.name} ({a.platform_account_id})
        </option>
      ))}
    </SelectField>
  );
}

function ChangesCard({ search }: { search: ChangesSearch }) {
  const org = useCurrentOrg();
  const changes = useChanges(org.id, toChangeFilters(search));
  const items = changes.data?.pages.flatMap((p) => p.items) ?? [];
  if (changes.isPending) return <LoadingState label="Loading changes…" />;
  if (changes.isError) return <ErrorState error={changes.error} onRetry={() => void changes.refetch()} />;
  if (items.length === 0) {
    const filtered = hasChangeFilters(search);
    return (
      <EmptyState
        title={filtered ? "No changes match these filters" : "No changes yet"}
        description={
          filtered
            ? "Try a wider date range or fewer filters."
            : "Pause, enable or re-budget campaigns from Campaigns or the dashboard; every change shows up here."
        }
      />
    );
  }
  return (
    <Card>
      <ChangeList organizationId={org.id} changes={items} />
      {changes.hasNextPage && (
        <div className="border-t border-neutral-200 px-5 py-3">
          <Button
            variant="secondary"
            size="sm"
            pending={changes.isFetchingNextPage}
            onClick={() => void changes.fetchNextPage()}
          >
            Load more
          </Button>
        </div>
      )}
    </Card>
  );
}
