/**
 * Changes as a list: the entity, what changed (before → after), who or what asked and why, where it stands (with
 * the platform's error), a link to its audit entry, and the actions the role allows: undo an applied change,
 * approve or reject a waiting one with a note.
 */
import { useState } from "react";
import { Link } from "@tanstack/react-router";
import { Badge, Button, Dialog } from "@/components/ui";
import { levelLabel, platformTitle } from "@/features/connections/platforms";
import { useMemberChoices } from "@/features/organizations/api";
import { useCan } from "@/features/organizations/OrgContext";
import { formatDateTime } from "@/lib/format";
import { useChangeAction } from "./api";
import { CHANGE_SOURCES, CHANGE_STATUS, formatChangeValue, isInFlight, kindLabel } from "./kinds";
import { describeChangeError } from "./outcome";
import type { ChangeRead } from "./types";

const UNDOABLE = new Set(["verified", "applied"]);
/** The audit log is searched this long around the change's last update. */
const AUDIT_WINDOW_MS = 60_000;

export function ChangeList({ organizationId, changes }: { organizationId: string; changes: ChangeRead[] }) {
  const members = useMemberChoices(organizationId, 100);
  const names = new Map((members.data?.items ?? []).map((m) => [m.user_id, m.display_name]));
  return (
    <ul className="divide-y divide-neutral-200">
      {changes.map((change) => (
        <ChangeRow key={change.id} organizationId={organizationId} change={change} names={names} />
      ))}
    </ul>
  );
}

function askedBy(change: ChangeRead, names: Map<string, string>): string {
  if (change.source === "person" || change.source === "undo") {
    const who = change.requested_by_user_id ? (names.get(change.requested_by_user_id) ?? "a former member") : "someone";
    return change.source === "undo" ? `Undo by ${who}` : who;
  }
  return CHANGE_SOURCES[change.source];
}

function ChangeRow({
  organizationId,
  change,
  names,
}: {
  organizationId: string;
  change: ChangeRead;
  names: Map<string, string>;
}) {
  const canRequest = useCan("drafts.edit");
  const canApprove = useCan("changes.approve");
  const canAudit = useCan("audit.read");
  const { label, tone } = CHANGE_STATUS[change.status];
  const updated = Date.parse(change.updated_at);
  return (
    <li className="flex flex-wrap items-start justify-between gap-3 px-5 py-3 text-sm" aria-label={change.entity_name}>
      <div className="min-w-0 space-y-0.5">
        <p>
          <span className="font-medium text-neutral-900">{change.entity_name}</span>{" "}
          <span className="text-xs text-neutral-500">
            {platformTitle(change.platform)} {levelLabel(change.level, change.platform).toLowerCase()} ·{" "}
            <span className="font-mono">{change.platform_id}</span>
          </span>
        </p>
        <p className="text-neutral-800">
          {kindLabel(change.kind)}: {formatChangeValue(change.kind, change.value_before, change.currency)} →{" "}
          <strong>{formatChangeValue(change.kind, change.value_after, change.currency)}</strong>
        </p>
        <p className="text-xs text-neutral-500">
          {askedBy(change, names)} · <time dateTime={change.created_at}>{formatDateTime(change.created_at)}</time>
          {change.reason ? ` · “${change.reason}”` : ""}
        </p>
        {change.review_note && (
          <p className="text-xs text-neutral-500">
            Review note: “{change.review_note}”
            {change.reviewed_by_user_id ? ` (${names.get(change.reviewed_by_user_id) ?? "a former member"})` : ""}
          </p>
        )}
        {change.error && <p className="text-xs text-red-700">{change.error}</p>}
      </div>
      <div className="flex flex-wrap items-center justify-end gap-2">
        <Badge tone={tone}>{label}</Badge>
        {isInFlight(change.status) && <span className="sr-only">in progress</span>}
        {canAudit && change.audit_entry_id && (
          <Link
            to="/orgs/$organizationId/audit-log"
            params={{ organizationId }}
            search={{
              target_type: "entity_change",
              since: new Date(updated - AUDIT_WINDOW_MS).toISOString(),
              until: new Date(updated + AUDIT_WINDOW_MS).toISOString(),
            }}
            className="text-xs text-neutral-600 underline underline-offset-2 hover:text-neutral-900"
          >
            Audit entry
          </Link>
        )}
        {canRequest && UNDOABLE.has(change.status) && change.value_before !== null && (
          <UndoButton organizationId={organizationId} change={change} />
        )}
        {canApprove && change.status === "pending_approval" && (
          <>
            <ReviewButton organizationId={organizationId} change={change} action="approve" />
            <ReviewButton organizationId={organizationId} change={change} action="reject" />
          </>
        )}
      </div>
    </li>
  );
}

function UndoButton({ organizationId, change }: { organizationId: string; change: ChangeRead }) {
  const undo = useChangeAction(organizationId, "undo");
  const [open, setOpen] = useState(false);
  const back = formatChangeValue(change.kind, change.value_before, change.currency);
  return (
    <>
      <Button size="sm" variant="secondary" onClick={() => setOpen(true)} aria-label={`Undo on ${change.entity_name}`}>
        Undo
      </Button>
      <Dialog
        open={open}
        onOpenChange={(o) => {
          setOpen(o);
          if (!o) undo.reset();
        }}
        title={`Undo this change of ${change.entity_name}?`}
        description={`${kindLabel(change.kind)} goes back to ${back}. This asks for a new change, which may wait for approval.`}
      >
        {undo.isError && (
          <p role="alert" className="mb-3 text-sm text-red-800">
            {describeChangeError(undo.error)}
          </p>
        )}
        <div className="flex justify-end gap-2">
          <Button variant="secondary" onClick={() => setOpen(false)}>
            Cancel
          </Button>
          <Button
            pending={undo.isPending}
            onClick={() => undo.mutate({ changeId: change.id }, { onSuccess: () => setOpen(false) })}
          >
            Undo change
          </Button>
        </div>
      </Dialog>
    </>
  );
}

function ReviewButton({
  organizationId,
  change,
  action,
}: {
  organizationId: string;
  change: ChangeRead;
  action: "approve" | "reject";
}) {
  const review = useChangeAction(organizationId, action);
  const [open, setOpen] = useState(false);
  const [note, setNote] = useState("");
  const verb = action === "approve" ? "Approve" : "Reject";
  const noteId = `note-${action}-${change.id}`;
  return (
    <>
      <Button
        size="sm"
        variant={action === "approve" ? "primary" : "secondary"}
        onClick={() => setOpen(true)}
        aria-label={`${verb} the change of ${change.entity_name}`}
      >
        {verb}
      </Button>
      <Dialog
        open={open}
        onOpenChange={(o) => {
          setOpen(o);
          if (!o) review.reset();
        }}
        title={`${verb} the change of ${change.entity_name}?`}
        description={`${kindLabel(change.kind)}: ${formatChangeValue(change.kind, change.value_before, change.currency)} → ${formatChangeValue(change.kind, change.value_after, change.currency)}. ${action === "approve" ? "It is applied right away." : "It is never applied."}`}
      >
        <form
          onSubmit={(e) => {
            e.preventDefault();
            review.mutate({ changeId: change.id, note }, { onSuccess: () => setOpen(false) });
          }}
          className="space-y-3"
        >
          <div className="space-y-1">
            <label htmlFor={noteId} className="block text-sm font-medium text-neutral-800">
              Note (optional)
            </label>
            <textarea
              id={noteId}
              value={note}
              maxLength={1000}
              onChange={(e) => setNote(e.target.value)}
              rows={3}
              className="block w-full rounded-md border border-neutral-300 px-3 py-2 text-sm"
            />
          </div>
          {review.isError && (
            <p role="alert" className="text-sm text-red-800">
              {describeChangeError(review.error)}
            </p>
          )}
          <div className="flex justify-end gap-2">
            <Button variant="secondary" onClick={() => setOpen(false)}>
              Cancel
            </Button>
            <Button type="submit" variant={action === "approve" ? "primary" : "danger"} pending={review.isPending}>
              {verb}
            </Button>
          </div>
        </form>
      </Dialog>
    </>
  );
}
