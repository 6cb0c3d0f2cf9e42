import { useEffect, useState, type FormEvent } from "react";
import { Link, useNavigate, useSearch } from "@tanstack/react-router";
import {
  Badge,
  Button,
  Card,
  DataTable,
  Dialog,
  EmptyState,
  Field,
  FormError,
  LoadingState,
  PageHeader,
  Select,
  type DataColumn,
} from "@/components/ui";
import { formatDateTime, formatRelative } from "@/lib/format";
import { describeError } from "@/lib/forms";
import { PLATFORMS, platformTitle } from "@/features/connections/platforms";
import { useCan, useCurrentOrg } from "@/features/organizations/OrgContext";
import { useCreateDraft, useDrafts, type DraftSummary } from "./api";
import { DRAFT_STATUSES, STATUS_LABELS, newDocument } from "./document";
import { DraftStatusBadge } from "./DraftStatusBadge";
import { parseDraftsSearch, type DraftsSearch } from "./search";
import { useMemberNames } from "./VersionsPanel";
import { ImportDraftsDialog } from "./import/ImportDraftsDialog";

const ROUTE = "/orgs/$organizationId/drafts" as const;
const FILTER_DELAY_MS = 300;

/** The organization's campaign drafts: filter by status, platform and name; open one; start a new one. */
export function DraftsListScreen() {
  const org = useCurrentOrg();
  const canEdit = useCan("drafts.edit");
  const filters = parseDraftsSearch(useSearch({ strict: false }) as Record<string, unknown>);
  const navigate = useNavigate();
  const apply = (next: DraftsSearch) =>
    void navigate({ to: ROUTE, params: { organizationId: org.id }, search: next, replace: true });

  return (
    <div className="mx-auto max-w-6xl">
      <PageHeader
        title="Campaign drafts"
        description="Campaigns being prepared for Google Ads, Meta and TikTok: drafted by members, approved by managers, then published."
        actions={
          canEdit ? (
            <div className="flex gap-2">
              <ImportDraftsButton />
              <NewDraftButton />
            </div>
          ) : undefined
        }
      />
      <div className="space-y-4">
        <Filters filters={filters} onChange={apply} />
        <DraftsTable filters={filters} onClear={() => apply({})} />
      </div>
    </div>
  );
}

function Filters({ filters, onChange }: { filters: DraftsSearch; onChange: (next: DraftsSearch) => void }) {
  const [text, setText] = useState(filters.q ?? "");
  const q = filters.q ?? "";
  useEffect(() => {
    if (text.trim() === q) return;
    const timer = setTimeout(() => onChange({ ...filters, q: text.trim() || undefined }), FILTER_DELAY_MS);
    return () => clearTimeout(timer);
  }, [text, q, filters, onChange]);

  return (
    <form
      role="search"
      aria-label="Filter drafts"
      className="flex flex-wrap items-center gap-4"
      onSubmit={(e: FormEvent) => {
        e.preventDefault();
        onChange({ ...filters, q: text.trim() || undefined });
      }}
    >
      <div className="flex items-center gap-2">
        <label htmlFor="drafts-search" className="text-sm text-neutral-700">
          Search
        </label>
        <input
          id="drafts-search"
          type="search"
          value={text}
          onChange={(e) => setText(e.target.value)}
          placeholder="Draft name"
          maxLength={200}
          className="w-64 rounded-md border border-neutral-300 bg-white px-3 py-1.5 text-sm shadow-xs focus:border-neutral-500 focus:ring-2 focus:ring-neutral-200 focus:outline-none"
        />
      </div>
      <div className="flex items-center gap-2">
        <label htmlFor="drafts-status" className="text-sm text-neutral-700">
          Status
        </label>
        <Select
          id="drafts-status"
          value={filters.status ?? ""}
          onChange={(e) => onChange(parseDraftsSearch({ ...filters, status: e.target.value }))}
        >
          <option value="">Any status</option>
          {DRAFT_STATUSES.map((s) => (
            <option key={s} value={s}>
              {STATUS_LABELS[s]}
            </option>
          ))}
        </Select>
      </div>
      <div className="flex items-center gap-2">
        <label htmlFor="drafts-platform" className="text-sm text-neutral-700">
          Platform
        </label>
        <Select
          id="drafts-platform"
          value={filters.platform ?? ""}
          onChange={(e) => onChange(parseDraftsSearch({ ...filters, platform: e.target.value }))}
        >
          <option value="">Any platform</option>
          {PLATFORMS.map((p) => (
            <option key={p.id} value={p.id}>
              {p.title}
            </option>
          ))}
        </Select>
      </div>
    </form>
  );
}

function DraftsTable({ filters, onClear }: { filters: DraftsSearch; onClear: () => void }) {
  const org = useCurrentOrg();
  const drafts = useDrafts(org.id, filters);
  const nameOf = useMemberNames(org.id);
  const items = drafts.data?.pages.flatMap((p) => p.items) ?? [];
  const filtered = Boolean(filters.status || filters.platform || filters.q);

  return (
    <Card>
      <div className={items.length === 0 ? "p-5" : undefined}>
        <DataTable
          caption="Campaign drafts"
          columns={columns(org.id, nameOf)}
          rows={items}
          rowKey={(d) => d.id}
          loading={drafts.isPending && <LoadingState label="Loading drafts…" />}
          error={drafts.isError ? { error: drafts.error, onRetry: () => void drafts.refetch() } : null}
          empty={
            <EmptyState
              title={filtered ? "No drafts match these filters" : "No campaign drafts yet"}
              description={
                filtered
                  ? "Try another status, platform or name."
                  : "A draft holds one campaign for one or several platforms until it is reviewed and published."
              }
              action={
                filtered ? (
                  <Button variant="secondary" onClick={onClear}>
                    Clear filters
                  </Button>
                ) : undefined
              }
            />
          }
        />
      </div>
      {drafts.hasNextPage && (
        <div className="border-t border-neutral-200 px-5 py-3">
          <Button
            variant="secondary"
            size="sm"
            pending={drafts.isFetchingNextPage}
            onClick={() => void drafts.fetchNextPage()}
          >
            Load more
          </Button>
        </div>
      )}
    </Card>
  );
}

function columns(organizationId: string, nameOf: (userId: string | null) => string): DataColumn<DraftSummary>[] {
  return [
    {
      id: "name",
      header: "Name",
      headerClassName: "px-5 py-2 font-medium",
      cellClassName: "px-5 py-3",
      cell: (d) => (
        <Link
          to="/orgs/$organizationId/drafts/$draftId"
          params={{ organizationId, draftId: d.id }}
          className="font-medium text-neutral-900 underline decoration-neutral-300 underline-offset-2 hover:decoration-neutral-900"
        >
          {d.name}
        </Link>
      ),
    },
    {
      id: "status",
      header: "Status",
      headerClassName: "px-3 py-2 font-medium",
      cellClassName: "px-3 py-3",
      cell: (d) => <DraftStatusBadge status={d.status} />,
    },
    {
      id: "platforms",
      header: "Platforms",
      headerClassName: "px-3 py-2 font-medium",
      cellClassName: "px-3 py-3",
      cell: (d) =>
        d.platforms.length === 0 ? (
          <span className="text-neutral-400">None yet</span>
        ) : (
          <span className="flex flex-wrap gap-1">
            {d.platforms.map((p) => (
              <Badge key={p}>{platformTitle(p)}</Badge>
            ))}
          </span>
        ),
    },
    {
      id: "version",
      header: "Version",
      headerClassName: "hidden px-3 py-2 text-right font-medium md:table-cell",
      cellClassName: "hidden px-3 py-3 text-right tabular-nums md:table-cell",
      cell: (d) => d.current_version,
    },
    {
      id: "updated",
      header: "Updated",
      headerClassName: "px-5 py-2 font-medium",
      cellClassName: "px-5 py-3 text-neutral-600",
      cell: (d) => (
        <>
          <time dateTime={d.updated_at} title={formatDateTime(d.updated_at)}>
            {formatRelative(d.updated_at)}
          </time>
          <span className="block text-xs text-neutral-500">by {nameOf(d.updated_by_user_id)}</span>
        </>
      ),
    },
  ];
}

/** "Import CSV": checks a file of campaigns, ad groups and ads (a dry run), then creates its drafts on confirm. */
function ImportDraftsButton() {
  const org = useCurrentOrg();
  const [open, setOpen] = useState(false);
  return (
    <>
      <Button variant="secondary" onClick={() => setOpen(true)}>
        Import CSV
      </Button>
      <ImportDraftsDialog organizationId={org.id} open={open} onOpenChange={setOpen} />
    </>
  );
}

/** "New draft": asks for a name, creates the draft (version 1) and opens it. */
function NewDraftButton() {
  const org = useCurrentOrg();
  const navigate = useNavigate();
  const create = useCreateDraft();
  const [open, setOpen] = useState(false);
  const [name, setName] = useState("");
  const [error, setError] = useState<string | null>(null);

  function onSubmit(event: FormEvent) {
    event.preventDefault();
    if (!name.trim()) {
      setError("Name the draft.");
      return;
    }
    setError(null);
    create.mutate(
      { params: { path: { organization_id: org.id } }, body: { document: newDocument(name.trim()) } },
      {
        onSuccess: (draft) => {
          setOpen(false);
          void navigate({
            to: "/orgs/$organizationId/drafts/$draftId",
            params: { organizationId: org.id, draftId: draft.id },
          });
        },
        onError: (err) => setError(describeError(err)),
      },
    );
  }

  return (
    <>
      <Button onClick={() => setOpen(true)}>New draft</Button>
      <Dialog open={open} onOpenChange={setOpen} title="New campaign draft">
        <form onSubmit={onSubmit} className="space-y-4">
          <FormError message={error} />
          <Field
            label="Campaign name"
            name="name"
            value={name}
            maxLength={255}
            onChange={(e) => setName(e.target.value)}
          />
          <div className="flex justify-end gap-2">
            <Button variant="ghost" onClick={() => setOpen(false)}>
              Cancel
            </Button>
            <Button type="submit" pending={create.isPending}>
              Create draft
            </Button>
          </div>
        </form>
      </Dialog>
    </>
  );
}
