import { useState } from "react";
import { Link } from "@tanstack/react-router";
import { isApiError } from "@/api/client";
import {
  Alert,
  Badge,
  Button,
  Card,
  CardBody,
  CardHeader,
  Dialog,
  EmptyState,
  ErrorState,
  LoadingState,
} from "@/components/ui";
import { describeError } from "@/lib/forms";
import { type PublicationTarget, isRunning, useDiscardPublication, usePublication, useRetryPublication } from "./api";

const PLATFORM_NAMES: Record<string, string> = { google: "Google Ads", meta: "Meta", tiktok: "TikTok" };
const STATUS_LABELS: Record<string, string> = {
  pending: "Waiting",
  publishing: "Publishing",
  published: "Published",
  failed: "Failed",
  discarding: "Removing",
  discarded: "Removed",
};

export interface PublicationPanelProps {
  organizationId: string;
  draftId: string;
  /** Whether the person may retry or discard (changes.publish: a manager). */
  canPublish: boolean;
}

/** Per-target progress of a draft's publication, with the platform's errors, Retry and Discard. */
export function PublicationPanel({ organizationId, draftId, canPublish }: PublicationPanelProps) {
  const publication = usePublication(organizationId, draftId);
  const retry = useRetryPublication(organizationId, draftId);
  const discard = useDiscardPublication(organizationId, draftId);
  const [confirm, setConfirm] = useState<"retry" | "discard" | null>(null);

  if (publication.isPending) return <LoadingState label="Loading the publication…" />;
  if (publication.isError) {
    if (isApiError(publication.error) && publication.error.code === "publication-not-found") {
      return (
        <EmptyState
          title="Not published yet"
          description="Once a manager publishes the approved draft, its progress shows here."
        />
      );
    }
    return <ErrorState error={publication.error} onRetry={() => void publication.refetch()} />;
  }
  const data = publication.data;
  const failed = data.targets.some((t) => t.status === "failed");
  const anyCreated = data.targets.some((t) => t.created > 0 && t.status !== "discarded");
  const action = confirm === "retry" ? retry : discard;
  const params = { path: { organization_id: organizationId, draft_id: draftId } };

  return (
    <Card>
      <CardHeader title="Publication" actions={isRunning(data) ? <Badge tone="blue">In progress</Badge> : undefined} />
      <CardBody>
        {(retry.error || discard.error) && <Alert tone="error">{describeError(retry.error ?? discard.error)}</Alert>}
        <ul className="space-y-4">
          {data.targets.map((target) => (
            <TargetRow key={target.index} target={target} organizationId={organizationId} />
          ))}
        </ul>
        {canPublish && data.status === "failed" && (
          <div className="mt-4 flex gap-2">
            {failed && (
              <Button onClick={() => setConfirm("retry")} disabled={retry.isPending}>
                Retry failed targets
              </Button>
            )}
            {anyCreated && (
              <Button variant="danger" onClick={() => setConfirm("discard")} disabled={discard.isPending}>
                Discard what was created
              </Button>
            )}
          </div>
        )}
        <Dialog
          open={confirm !== null}
          onOpenChange={(open) => !open && setConfirm(null)}
          title={confirm === "retry" ? "Retry the failed targets?" : "Discard what was created?"}
          description={
            confirm === "retry"
              ? "Publishing continues where each failed target stopped; nothing is created twice."
              : "The campaigns this publication created are removed from the platforms, with their ad groups and ads."
          }
        >
          <div className="mt-4 flex justify-end gap-2">
            <Button variant="secondary" onClick={() => setConfirm(null)}>
              Cancel
            </Button>
            <Button
              variant={confirm === "discard" ? "danger" : "primary"}
              disabled={action.isPending}
              onClick={() => action.mutate({ params }, { onSettled: () => setConfirm(null) })}
            >
              {confirm === "retry" ? "Retry" : "Discard"}
            </Button>
          </div>
        </Dialog>
      </CardBody>
    </Card>
  );
}

function TargetRow({ target, organizationId }: { target: PublicationTarget; organizationId: string }) {
  return (
    <li className="rounded-md border border-neutral-200 p-3">
      <div className="flex flex-wrap items-center justify-between gap-2">
        <span className="font-medium">
          {PLATFORM_NAMES[target.platform] ?? target.platform} · {target.ad_account_name}
        </span>
        <Badge tone={target.status === "failed" ? "red" : target.status === "published" ? "green" : "neutral"}>
          {STATUS_LABELS[target.status] ?? target.status}
        </Badge>
      </div>
      <p className="mt-1 text-sm text-neutral-600">
        {target.created} of {target.total} created
        {target.attempts > 1 ? ` · ${target.attempts} attempts` : ""}
      </p>
      <progress
        className="mt-1 w-full"
        max={target.total}
        value={target.created}
        aria-label={`${target.platform} progress`}
      />
      {target.error && (
        <p role="alert" className="mt-2 text-sm text-red-700">
          {target.error}
        </p>
      )}
      {target.entities.some((e) => e.entity_id) && (
        <Link
          to="/orgs/$organizationId/campaigns"
          params={{ organizationId }}
          className="mt-2 inline-block text-sm text-blue-700 underline"
        >
          Open in the entity browser
        </Link>
      )}
    </li>
  );
}
