import type { FormEvent } from "react";
import { useNavigate, useSearch } from "@tanstack/react-router";
import type { AuditEntryRead } from "@/api/types";
import {
  Alert,
  Button,
  Card,
  DataTable,
  EmptyState,
  ErrorState,
  Field,
  LoadingState,
  PageHeader,
  SelectField,
  cn,
  type DataColumn,
} from "@/components/ui";
import { formatDateTime, isoToLocalInput, localInputToIso } from "@/lib/format";
import { useMemberChoices } from "@/features/organizations/api";
import { useCan, useCurrentOrg } from "@/features/organizations/OrgContext";
import { useAuditEntries } from "./api";
import { diffSnapshots, renderValue, type DiffRow } from "./diff";
import { AUDIT_TARGET_TYPES, hasAuditFilters, parseAuditSearch, type AuditSearch } from "./search";

const TARGET_LABELS: Record<(typeof AUDIT_TARGET_TYPES)[number], string> = {
  organization: "Organization",
  user: "Member",
  invitation: "Invitation",
  connection: "Connection",
  ad_account: "Ad account",
  exchange_rate: "Exchange rate",
  exchange_rates: "Exchange rates (import)",
  report_schedule: "Scheduled report",
  report_run: "Report run",
  draft: "Campaign draft",
  draft_import: "Draft import (CSV)",
  entity_change: "Change",
};

/** The target in words: "Member Ada (ada@example.com)"; an unnamed one by its type and a short id. */
export function describeTarget(
  entry: Pick<AuditEntryRead, "target_type" | "target_id" | "target_name">,
): string | null {
  if (!entry.target_type) return null;
  const type = TARGET_LABELS[entry.target_type as keyof typeof TARGET_LABELS] ?? entry.target_type.replace(/_/g, " ");
  if (entry.target_name) return `${type} ${entry.target_name}`;
  if (!entry.target_id) return type;
  return `${type} ${entry.target_id.length > 12 ? `${entry.target_id.slice(0, 8)}…` : entry.target_id}`;
}

export function AuditLogScreen() {
  const canView = useCan("audit.read");
  const filters = parseAuditSearch(useSearch({ strict: false }) as Record<string, unknown>);
  const navigate = useNavigate({ from: "/orgs/$organizationId/audit-log" });

  function apply(next: AuditSearch) {
    void navigate({ search: next });
  }

  function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const data = new FormData(event.currentTarget);
    apply(
      parseAuditSearch({
        action: data.get("action"),
        actor_user_id: data.get("actor_user_id"),
        target_type: data.get("target_type"),
        since: localInputToIso(String(data.get("since") ?? "")),
        until: localInputToIso(String(data.get("until") ?? "")),
      }),
    );
  }

  return (
    <div className="mx-auto max-w-5xl">
      <PageHeader title="Audit log" description="A tamper-evident record of who changed what in this organization." />
      {!canView ? (
        <Alert tone="info">Only admins can view the audit log.</Alert>
      ) : (
        <div className="space-y-4">
          <form
            key={JSON.stringify(filters)}
            onSubmit={onSubmit}
            aria-label="Filter audit log"
            className="grid gap-3 rounded-lg border border-neutral-200 bg-white p-4 sm:grid-cols-2 lg:grid-cols-3"
          >
            <Field
              label="Action"
              name="action"
              defaultValue={filters.action ?? ""}
              placeholder="e.g. member. or member.role_changed"
              description="An exact action or a prefix."
            />
            <ActorSelect defaultValue={filters.actor_user_id ?? ""} />
            <SelectField label="Target type" name="target_type" defaultValue={filters.target_type ?? ""}>
              <option value="">Any target</option>
              {AUDIT_TARGET_TYPES.map((t) => (
                <option key={t} value={t}>
                  {TARGET_LABELS[t]}
                </option>
              ))}
            </SelectField>
            <Field label="Since" name="since" type="datetime-local" defaultValue={isoToLocalInput(filters.since)} />
            <Field label="Until" name="until" type="datetime-local" defaultValue={isoToLocalInput(filters.until)} />
            <div className="flex items-end gap-2">
              <Button type="submit">Apply filters</Button>
              <Button variant="ghost" onClick={() => apply({})}>
                Clear
              </Button>
            </div>
          </form>
          <AuditEntries filters={filters} />
        </div>
      )}
    </div>
  );
}

/** Members of the organization as actor choices (the first 100; the filter also keeps an actor not in that list). */
function ActorSelect({ defaultValue }: { defaultValue: string }) {
  const org = useCurrentOrg();
  const members = useMemberChoices(org.id, 100);
  const items = members.data?.items ?? [];
  const known = !defaultValue || items.some((m) => m.user_id === defaultValue);
  return (
    <SelectField
      key={members.isSuccess ? "loaded" : "loading"}
      label="Actor"
      name="actor_user_id"
      defaultValue={defaultValue}
      disabled={members.isPending}
      description={members.isError ? "Could not load members." : undefined}
    >
      <option value="">Anyone</option>
      {!known && <option value={defaultValue}>Former member ({defaultValue.slice(0, 8)}…)</option>}
      {items.map((m) => (
        <option key={m.user_id} value={m.user_id}>
          {m.display_name} ({m.email})
        </option>
      ))}
    </SelectField>
  );
}

function AuditEntries({ filters }: { filters: AuditSearch }) {
  const org = useCurrentOrg();
  const entries = useAuditEntries(org.id, filters);
  const items = entries.data?.pages.flatMap((p) => p.items) ?? [];

  if (entries.isPending) return <LoadingState />;
  if (entries.isError) return <ErrorState error={entries.error} onRetry={() => void entries.refetch()} />;
  if (items.length === 0) {
    const filtered = hasAuditFilters(filters);
    return (
      <EmptyState
        title={filtered ? "No entries match these filters" : "No audit entries yet"}
        description={
          filtered
            ? "Try a wider time range, another actor or another action."
            : "Changes to members, invitations and settings will appear here."
        }
      />
    );
  }
  return (
    <Card>
      <ul className="divide-y divide-neutral-200">
        {items.map((entry) => (
          <AuditRow key={entry.id} entry={entry} />
        ))}
      </ul>
      {entries.hasNextPage && (
        <div className="border-t border-neutral-200 px-5 py-3">
          <Button
            variant="secondary"
            size="sm"
            pending={entries.isFetchingNextPage}
            onClick={() => void entries.fetchNextPage()}
          >
            Load more
          </Button>
        </div>
      )}
    </Card>
  );
}

const DIFF_COLUMNS: DataColumn<DiffRow>[] = [
  {
    id: "field",
    header: "Field",
    headerClassName: "py-1 pr-4 font-medium",
    cellClassName: "py-1 pr-4 align-top",
    cell: (row) => row.key,
  },
  {
    id: "before",
    header: "Before",
    headerClassName: "py-1 pr-4 font-medium",
    cellClassName: (row) => cn("py-1 pr-4 align-top break-all", row.changed && "bg-red-50 text-red-800"),
    cell: (row) => renderValue(row.before),
  },
  {
    id: "after",
    header: "After",
    headerClassName: "py-1 font-medium",
    cellClassName: (row) => cn("py-1 align-top break-all", row.changed && "bg-green-50 text-green-800"),
    cell: (row) => renderValue(row.after),
  },
];

function AuditRow({ entry }: { entry: AuditEntryRead }) {
  const rows = diffSnapshots(entry.before, entry.after);
  const target = describeTarget(entry);
  return (
    <li className="px-5 py-3 text-sm">
      <details className="group">
        <summary className="flex cursor-pointer list-none flex-wrap items-center justify-between gap-2 rounded focus-visible:outline-2">
          <span className="min-w-0">
            <span className="font-medium text-neutral-900">{entry.action_label}</span>{" "}
            <span className="text-neutral-700">by {entry.actor_email ?? "system"}</span>
            {target && <span className="text-neutral-500"> · {target}</span>}
          </span>
          <span className="flex items-center gap-2 text-xs text-neutral-500">
            <time dateTime={entry.occurred_at}>{formatDateTime(entry.occurred_at)}</time>
            <span aria-hidden="true" className="transition-transform group-open:rotate-90">
              ›
            </span>
            <span className="sr-only">Show details</span>
          </span>
        </summary>
        <div className="mt-3 space-y-2">
          <p className="text-xs text-neutral-500">
            #{entry.seq} · <code className="font-mono">{entry.action}</code>
            {entry.target_id ? ` · ${entry.target_type} ${entry.target_id}` : ""} · IP {entry.ip ?? "unknown"}{" "}
            {entry.user_agent ? `· ${entry.user_agent}` : ""}
          </p>
          {rows.length === 0 ? (
            <p className="text-xs text-neutral-500">No field changes recorded.</p>
          ) : (
            <DataTable
              caption="Changed fields, before and after"
              columns={DIFF_COLUMNS}
              rows={rows}
              rowKey={(row) => row.key}
              rowClassName={(row) => cn(!row.changed && "text-neutral-400")}
              className="w-full text-left font-mono text-xs"
              headClassName="text-neutral-500"
              bodyClassName=""
            />
          )}
        </div>
      </details>
    </li>
  );
}
