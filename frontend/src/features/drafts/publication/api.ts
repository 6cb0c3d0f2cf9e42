/** Publishing a draft: the publication's progress, and publish/retry/discard. The panel builds no query itself. */
import { useQueryClient } from "@tanstack/react-query";
import { $api } from "@/api/client";
import type { components } from "@/api/generated/schema";

export type Publication = components["schemas"]["Publication"];
export type PublicationTarget = components["schemas"]["PublicationTargetRead"];

const PUBLICATION = "/api/v1/orgs/{organization_id}/drafts/{draft_id}/publication" as const;
/** How often the progress is read again while a target is still running. */
export const POLL_MS = 2000;

export function isRunning(publication: Publication | undefined): boolean {
  return (publication?.targets ?? []).some((t) => ["pending", "publishing", "discarding"].includes(t.status));
}

/** The draft's publication, polled while any target is pending, publishing or discarding. */
export function usePublication(organizationId: string, draftId: string) {
  return $api.useQuery(
    "get",
    PUBLICATION,
    { params: { path: { organization_id: organizationId, draft_id: draftId } } },
    { refetchInterval: (query) => (isRunning(query.state.data) ? POLL_MS : false) },
  );
}

function useInvalidate(organizationId: string, draftId: string) {
  const queryClient = useQueryClient();
  return () =>
    queryClient.invalidateQueries({
      queryKey: ["get", PUBLICATION, { params: { path: { organization_id: organizationId, draft_id: draftId } } }],
    });
}

export function useRetryPublication(organizationId: string, draftId: string) {
  const invalidate = useInvalidate(organizationId, draftId);
  return $api.useMutation("post", "/api/v1/orgs/{organization_id}/drafts/{draft_id}/publication/retry", {
    onSuccess: invalidate,
  });
}

export function useDiscardPublication(organizationId: string, draftId: string) {
  const invalidate = useInvalidate(organizationId, draftId);
  return $api.useMutation("post", "/api/v1/orgs/{organization_id}/drafts/{draft_id}/publication/discard", {
    onSuccess: invalidate,
  });
}

/** Publish an approved draft (a manager): every target is created on its platform by a job. */
export function usePublishDraft(organizationId: string, draftId: string) {
  const invalidate = useInvalidate(organizationId, draftId);
  const queryClient = useQueryClient();
  return $api.useMutation("post", "/api/v1/orgs/{organization_id}/drafts/{draft_id}/publish", {
    onSuccess: () => {
      void invalidate();
      void queryClient.invalidateQueries({ queryKey: ["get", "/api/v1/orgs/{organization_id}/drafts/{draft_id}"] });
    },
  });
}
