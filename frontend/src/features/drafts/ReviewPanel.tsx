/** Review: the comments thread, and the manager's Approve / Request changes with comments on fields. */
import { useState, type FormEvent } from "react";
import { Button, Card, CardBody, CardHeader, Dialog, FormError } from "@/components/ui";
import { formatDateTime } from "@/lib/format";
import { describeError } from "@/lib/forms";
import { useCurrentOrg } from "@/features/organizations/OrgContext";
import { useApproveDraft, useRequestDraftChanges, type DraftRead } from "./api";
import { describePath, focusField, type DraftDocument } from "./document";
import { useMemberNames } from "./VersionsPanel";

export function CommentsThread({ draft }: { draft: DraftRead }) {
  const org = useCurrentOrg();
  const nameOf = useMemberNames(org.id);
  return (
    <Card>
      <CardHeader title="Review comments" headingLevel={3} />
      <CardBody>
        {draft.comments.length === 0 ? (
          <p className="text-sm text-neutral-500">No comments yet. A manager's request for changes appears here.</p>
        ) : (
          <ul className="space-y-3">
            {draft.comments.map((c, i) => (
              <li key={i} className="text-sm">
                <p className="text-xs text-neutral-500">
                  {nameOf(c.author_user_id)} on version {c.version} ·{" "}
                  <time dateTime={c.created_at}>{formatDateTime(c.created_at)}</time>
                </p>
                {c.path && (
                  <button
                    type="button"
                    className="text-xs font-medium text-blue-700 underline underline-offset-2"
                    onClick={() => focusField(c.path)}
                  >
                    {describePath(c.path)}
                  </button>
                )}
                <p className="whitespace-pre-wrap text-neutral-900">{c.message}</p>
              </li>
            ))}
          </ul>
        )}
      </CardBody>
    </Card>
  );
}

/** The fields a reviewer can point a comment at: the draft, its main settings, each ad group and each ad. */
export function commentTargets(document: DraftDocument): { path: string; label: string }[] {
  const paths = ["", "name", "targets", "budget.amount_micros", "bidding.strategy", "schedule.start_date", "targeting"];
  (document.ad_groups ?? []).forEach((group, g) => {
    paths.push(`ad_groups[${g}]`);
    (group.ads ?? []).forEach((_, a) => paths.push(`ad_groups[${g}].ads[${a}]`));
  });
  return paths.map((path) => ({ path, label: path ? describePath(path) : "The whole draft" }));
}

export function ReviewActions({ draft }: { draft: DraftRead }) {
  const org = useCurrentOrg();
  const approve = useApproveDraft();
  const [error, setError] = useState<string | null>(null);
  const [open, setOpen] = useState(false);
  const path = { organization_id: org.id, draft_id: draft.id };
  return (
    <div className="space-y-2">
      <div className="flex flex-wrap gap-2">
        <Button
          pending={approve.isPending}
          onClick={() => {
            setError(null);
            approve.mutate({ params: { path } }, { onError: (err) => setError(describeError(err)) });
          }}
        >
          Approve
        </Button>
        <Button variant="secondary" onClick={() => setOpen(true)}>
          Request changes
        </Button>
      </div>
      <FormError message={error} />
      <RequestChangesDialog draft={draft} open={open} onOpenChange={setOpen} />
    </div>
  );
}

interface CommentDraft {
  path: string;
  message: string;
}

function RequestChangesDialog({
  draft,
  open,
  onOpenChange,
}: {
  draft: DraftRead;
  open: boolean;
  onOpenChange: (open: boolean) => void;
}) {
  const org = useCurrentOrg();
  const request = useRequestDraftChanges();
  const [comments, setComments] = useState<CommentDraft[]>([{ path: "", message: "" }]);
  const [error, setError] = useState<string | null>(null);
  const targets = commentTargets(draft.document);

  function onSubmit(event: FormEvent) {
    event.preventDefault();
    const filled = comments.filter((c) => c.message.trim());
    if (filled.length === 0) {
      setError("Write at least one comment saying what to change.");
      return;
    }
    setError(null);
    request.mutate(
      {
        params: { path: { organization_id: org.id, draft_id: draft.id } },
        body: { comments: filled.map((c) => ({ path: c.path, message: c.message.trim() })) },
      },
      {
        onSuccess: () => {
          setComments([{ path: "", message: "" }]);
          onOpenChange(false);
        },
        onError: (err) => setError(describeError(err)),
      },
    );
  }

  return (
    <Dialog
      open={open}
      onOpenChange={onOpenChange}
      title="Request changes"
      description="The draft goes back to its author with your comments."
    >
      <form onSubmit={onSubmit} className="space-y-4">
        <FormError message={error} />
        {comments.map((c, i) => (
          <div key={i} className="space-y-2 rounded-md border border-neutral-200 p-3">
            <label className="block text-sm font-medium text-neutral-800" htmlFor={`comment-path-${i}`}>
              About
            </label>
            <select
              id={`comment-path-${i}`}
              value={c.path}
              className="block w-full rounded-md border border-neutral-300 px-3 py-2 text-sm"
              onChange={(e) => setComments(comments.map((x, j) => (j === i ? { ...x, path: e.target.value } : x)))}
            >
              {targets.map((t) => (
                <option key={t.path} value={t.path}>
                  {t.label}
                </option>
              ))}
            </select>
            <label className="block text-sm font-medium text-neutral-800" htmlFor={`comment-message-${i}`}>
              Comment {i + 1}
            </label>
            <textarea
              id={`comment-message-${i}`}
              rows={3}
              maxLength={2000}
              value={c.message}
              className="block w-full rounded-md border border-neutral-300 px-3 py-2 text-sm"
              onChange={(e) => setComments(comments.map((x, j) => (j === i ? { ...x, message: e.target.value } : x)))}
            />
          </div>
        ))}
        <div className="flex flex-wrap justify-between gap-2">
          <Button
            variant="ghost"
            disabled={comments.length >= 100}
            onClick={() => setComments([...comments, { path: "", message: "" }])}
          >
            Add a comment
          </Button>
          <div className="flex gap-2">
            <Button variant="ghost" onClick={() => onOpenChange(false)}>
              Cancel
            </Button>
            <Button type="submit" pending={request.isPending}>
              Send back
            </Button>
          </div>
        </div>
      </form>
    </Dialog>
  );
}
