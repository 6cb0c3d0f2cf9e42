/**
 * One draft: its status and workflow actions, the editor (read-only for viewers and when the status allows no edit),
 * the checks, the review comments, the final URLs and the versions.
 */
import { useState } from "react";
import { Link, useNavigate, useParams } from "@tanstack/react-router";
import { Alert, Breadcrumbs, Button, ErrorState, FormError, LoadingState, PageHeader, cn } from "@/components/ui";
import { formatDateTime } from "@/lib/format";
import { describeError } from "@/lib/forms";
import { platformTitle } from "@/features/connections/platforms";
import { useCan, useCurrentOrg } from "@/features/organizations/OrgContext";
import { useDraft, useDraftValidation, useDuplicateDraft, useReopenDraft, useSubmitDraft, type DraftRead } from "./api";
import { EDITABLE_STATUSES, REOPENABLE_STATUSES, SUBMITTABLE_STATUSES, STATUS_LABELS } from "./document";
import { DraftEditor } from "./DraftEditor";
import { DraftStatusBadge } from "./DraftStatusBadge";
import { ProblemsPanel, errorCount } from "./ProblemsPanel";
import { CommentsThread, ReviewActions } from "./ReviewPanel";
import { UtmPreviewPanel } from "./UtmPreviewPanel";
import { VersionsPanel } from "./VersionsPanel";
import { PublicationPanel } from "./publication/PublicationPanel";
import { PublishButton } from "./publication/PublishButton";

/** The statuses in which a draft has a publication to show. */
const PUBLISHED_STATUSES: ReadonlySet<DraftRead["status"]> = new Set(["publishing", "published", "failed"]);

type Tab = "edit" | "versions";

export function DraftScreen() {
  const org = useCurrentOrg();
  const { draftId } = useParams({ strict: false }) as { draftId: string };
  const draft = useDraft(org.id, draftId);

  return (
    <div className="mx-auto max-w-7xl">
      <Breadcrumbs
        crumbs={[
          {
            label: "Campaign drafts",
            link: (props) => <Link to="/orgs/$organizationId/drafts" params={{ organizationId: org.id }} {...props} />,
          },
          { label: draft.data?.name ?? "Draft" },
        ]}
      />
      {draft.isPending ? (
        <LoadingState label="Loading the draft…" />
      ) : draft.isError ? (
        <ErrorState error={draft.error} onRetry={() => void draft.refetch()} />
      ) : (
        <DraftView draft={draft.data} onReload={() => void draft.refetch()} />
      )}
    </div>
  );
}

function DraftView({ draft, onReload }: { draft: DraftRead; onReload: () => void }) {
  const org = useCurrentOrg();
  const canEdit = useCan("drafts.edit");
  const canApprove = useCan("changes.approve");
  const canPublish = useCan("changes.publish");
  const validation = useDraftValidation(org.id, draft.id);
  const [tab, setTab] = useState<Tab>("edit");
  // While there are unsaved edits the editor stays on the version they were made on; otherwise it follows the newest.
  const [pinned, setPinned] = useState<number | null>(null);
  const dirty = pinned !== null;
  const editable = EDITABLE_STATUSES.has(draft.status);
  const readOnly = !canEdit || !editable;
  const problems = validation.data?.problems ?? draft.problems;

  return (
    <>
      <PageHeader
        title={draft.name}
        documentTitle={`${draft.name} · Drafts`}
        description={
          <span className="flex flex-wrap items-center gap-2">
            <DraftStatusBadge status={draft.status} />
            <span>
              Version {draft.current_version} · updated {formatDateTime(draft.updated_at)}
              {draft.platforms.length > 0 && ` · ${draft.platforms.map(platformTitle).join(", ")}`}
            </span>
          </span>
        }
        actions={
          <WorkflowActions draft={draft} dirty={dirty} errors={validation.isSuccess ? errorCount(problems) : null} />
        }
      />
      <StatusNotice draft={draft} canEdit={canEdit} canApprove={canApprove} />
      <div role="tablist" aria-label="Draft" className="mb-4 flex gap-1 border-b border-neutral-200">
        {(["edit", "versions"] as const).map((t) => (
          <button
            key={t}
            type="button"
            role="tab"
            aria-selected={tab === t}
            className={cn(
              "-mb-px border-b-2 px-3 py-2 text-sm",
              tab === t ? "border-neutral-900 font-medium text-neutral-900" : "border-transparent text-neutral-500",
            )}
            onClick={() => setTab(t)}
          >
            {t === "edit" ? (readOnly ? "Campaign" : "Edit") : "Versions and history"}
          </button>
        ))}
      </div>
      <div className="grid gap-6 lg:grid-cols-[minmax(0,1fr)_22rem]">
        <div className="min-w-0">
          {/* Hidden rather than unmounted so unsaved edits survive a look at the versions. */}
          <div hidden={tab !== "edit"}>
            <DraftEditor
              key={`${draft.id}:${pinned ?? draft.current_version}`}
              draft={draft}
              readOnly={readOnly}
              problems={problems}
              onDirtyChange={setPinned}
              onReload={onReload}
            />
          </div>
          {tab === "versions" && <VersionsPanel draft={draft} />}
        </div>
        <aside className="space-y-4">
          {canApprove && draft.status === "in_review" && <ReviewActions draft={draft} />}
          {canPublish && draft.status === "approved" && (
            <PublishButton organizationId={org.id} draftId={draft.id} launchPaused={draft.document.launch_paused} />
          )}
          {PUBLISHED_STATUSES.has(draft.status) && (
            <PublicationPanel organizationId={org.id} draftId={draft.id} canPublish={canPublish} />
          )}
          <ProblemsPanel
            problems={problems}
            version={validation.data?.version ?? draft.current_version}
            pending={validation.isPending}
            error={validation.isError ? validation.error : null}
            onRetry={() => void validation.refetch()}
            stale={dirty}
          />
          <CommentsThread draft={draft} />
          <UtmPreviewPanel draftId={draft.id} />
          <p className="text-xs text-neutral-500">Created {formatDateTime(draft.created_at)}.</p>
        </aside>
      </div>
    </>
  );
}

function StatusNotice({ draft, canEdit, canApprove }: { draft: DraftRead; canEdit: boolean; canApprove: boolean }) {
  if (!canEdit) return <Alert tone="info">You can read this draft; members and managers edit drafts.</Alert>;
  const notes: Partial<Record<DraftRead["status"], string>> = {
    in_review: canApprove
      ? "This draft waits for a review. Saving an edit sends it back to draft."
      : "This draft waits for a manager's review. Saving an edit sends it back to draft.",
    approved: "Approved: saving an edit sends it back to draft and needs a new review.",
    changes_requested: "A reviewer asked for changes: see the comments, edit, then submit again.",
    publishing: "Being published: it cannot be edited. Duplicate it to start a new version.",
    published: "Published: it cannot be edited. Duplicate it to start a new campaign from it.",
    failed: "Publishing failed. Edit it (it goes back to draft) or reopen it.",
  };
  const note = notes[draft.status];
  if (!note) return null;
  return (
    <div className="mb-4">
      <Alert tone={draft.status === "failed" ? "error" : draft.status === "changes_requested" ? "warning" : "info"}>
        {note}
      </Alert>
    </div>
  );
}

/** Submit for review, Reopen and Duplicate, shown only to those who may use them and only when the status allows. */
function WorkflowActions({ draft, dirty, errors }: { draft: DraftRead; dirty: boolean; errors: number | null }) {
  const org = useCurrentOrg();
  const navigate = useNavigate();
  const canEdit = useCan("drafts.edit");
  const submit = useSubmitDraft();
  const reopen = useReopenDraft();
  const duplicate = useDuplicateDraft();
  const [error, setError] = useState<string | null>(null);
  if (!canEdit) return null;
  const path = { organization_id: org.id, draft_id: draft.id };
  const onError = (err: unknown) => setError(describeError(err));

  const blocked = dirty
    ? "Save your edits before submitting."
    : errors === null
      ? "Checking the draft…"
      : errors > 0
        ? `Fix ${errors === 1 ? "the error" : `the ${errors} errors`} listed under Checks first.`
        : null;

  return (
    <div className="flex flex-col items-end gap-2">
      <div className="flex flex-wrap justify-end gap-2">
        {SUBMITTABLE_STATUSES.has(draft.status) && (
          <Button
            pending={submit.isPending}
            disabled={blocked !== null}
            aria-describedby={blocked ? "submit-blocked" : undefined}
            onClick={() => {
              setError(null);
              submit.mutate({ params: { path } }, { onError });
            }}
          >
            Submit for review
          </Button>
        )}
        {REOPENABLE_STATUSES.has(draft.status) && (
          <Button
            variant="secondary"
            pending={reopen.isPending}
            onClick={() => {
              setError(null);
              reopen.mutate({ params: { path } }, { onError });
            }}
          >
            Reopen as draft
          </Button>
        )}
        <Button
          variant="secondary"
          pending={duplicate.isPending}
          onClick={() => {
            setError(null);
            duplicate.mutate(
              { params: { path } },
              {
                onSuccess: (copy) =>
                  void navigate({
                    to: "/orgs/$organizationId/drafts/$draftId",
                    params: { organizationId: org.id, draftId: copy.id },
                  }),
                onError,
              },
            );
          }}
        >
          Duplicate
        </Button>
      </div>
      {SUBMITTABLE_STATUSES.has(draft.status) && blocked && (
        <p id="submit-blocked" className="text-xs text-neutral-500">
          {blocked}
        </p>
      )}
      <FormError message={error} />
      <span className="sr-only">Status: {STATUS_LABELS[draft.status]}</span>
    </div>
  );
}
