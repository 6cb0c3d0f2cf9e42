/**
 * The drafts module's queries and mutations: screens call these hooks and never build a query themselves. A mutation
 * hook invalidates what its change makes stale (the list, the draft, its versions and validation).
 */
import { useQueryClient } from "@tanstack/react-query";
import { $api } from "@/api/client";
import type { paths } from "@/api/generated/schema";
import type { DraftPlatform, DraftStatus } from "./document";

const DRAFTS = "/api/v1/orgs/{organization_id}/drafts" as const;
const DRAFT = "/api/v1/orgs/{organization_id}/drafts/{draft_id}" as const;
const VERSIONS = "/api/v1/orgs/{organization_id}/drafts/{draft_id}/versions" as const;
const VERSION = "/api/v1/orgs/{organization_id}/drafts/{draft_id}/versions/{number}" as const;
const DIFF = "/api/v1/orgs/{organization_id}/drafts/{draft_id}/diff" as const;
const VALIDATION = "/api/v1/orgs/{organization_id}/drafts/{draft_id}/validation" as const;
const UTM_PREVIEW = "/api/v1/orgs/{organization_id}/drafts/{draft_id}/utm-preview" as const;
const UTM_TEMPLATE = "/api/v1/orgs/{organization_id}/draft-settings/utm-template" as const;
/** Drafts and versions are read this many at a time ("Load more" reads the next page). */
export const PAGE_SIZE = 25;

type Ok<T> = T extends { responses: { 200: { content: { "application/json": infer R } } } } ? R : never;
export type DraftRead = Ok<paths[typeof DRAFT]["get"]>;
export type DraftSummary = Ok<paths[typeof DRAFTS]["get"]>["items"][number];
export type DraftVersionSummary = Ok<paths[typeof VERSIONS]["get"]>["items"][number];
export type DraftDiff = Ok<paths[typeof DIFF]["get"]>;
export type ReviewCommentRead = DraftRead["comments"][number];

export interface DraftFilters {
  status?: DraftStatus | undefined;
  platform?: DraftPlatform | undefined;
  q?: string | undefined;
}

/** Everything that reads one draft or the list, so a write can mark it stale. */
function invalidateDrafts(queryClient: ReturnType<typeof useQueryClient>) {
  return queryClient.invalidateQueries({
    predicate: (query) => typeof query.queryKey[1] === "string" && query.queryKey[1].startsWith(DRAFTS),
  });
}

/** The organization's drafts, newest first, page by page. */
export function useDrafts(organizationId: string, filters: DraftFilters) {
  return $api.useInfiniteQuery(
    "get",
    DRAFTS,
    {
      params: {
        path: { organization_id: organizationId },
        query: {
          limit: PAGE_SIZE,
          ...(filters.status ? { status: filters.status } : {}),
          ...(filters.platform ? { platform: filters.platform } : {}),
          ...(filters.q ? { name_contains: filters.q } : {}),
        },
      },
    },
    { pageParamName: "cursor", initialPageParam: null, getNextPageParam: (page) => page.next_cursor ?? undefined },
  );
}

/** One draft; read again every few seconds while it is being published, until it is published or failed. */
export function useDraft(organizationId: string, draftId: string) {
  return $api.useQuery(
    "get",
    DRAFT,
    { params: { path: { organization_id: organizationId, draft_id: draftId } } },
    { refetchInterval: (query) => (query.state.data?.status === "publishing" ? PUBLISHING_POLL_MS : false) },
  );
}

const PUBLISHING_POLL_MS = 3000;

/** The current version's problems per platform (read again after every save). */
export function useDraftValidation(organizationId: string, draftId: string) {
  return $api.useQuery("get", VALIDATION, {
    params: { path: { organization_id: organizationId, draft_id: draftId } },
  });
}

export function useDraftVersions(organizationId: string, draftId: string) {
  return $api.useInfiniteQuery(
    "get",
    VERSIONS,
    { params: { path: { organization_id: organizationId, draft_id: draftId }, query: { limit: PAGE_SIZE } } },
    { pageParamName: "cursor", initialPageParam: null, getNextPageParam: (page) => page.next_cursor ?? undefined },
  );
}

export function useDraftVersion(organizationId: string, draftId: string, number: number | null) {
  return $api.useQuery(
    "get",
    VERSION,
    { params: { path: { organization_id: organizationId, draft_id: draftId, number: number ?? 1 } } },
    { enabled: number !== null },
  );
}

/** What changed from version `from` to `to` (null: the current version). */
export function useDraftDiff(organizationId: string, draftId: string, from: number, to: number | null, enabled = true) {
  return $api.useQuery(
    "get",
    DIFF,
    {
      params: {
        path: { organization_id: organizationId, draft_id: draftId },
        query: { from_version: from, ...(to === null ? {} : { to_version: to }) },
      },
    },
    { enabled },
  );
}

export function useUtmPreview(organizationId: string, draftId: string) {
  return $api.useQuery("get", UTM_PREVIEW, {
    params: { path: { organization_id: organizationId, draft_id: draftId } },
  });
}

/** The organization's URL template; an answer without one reads as "no template" (the settings screen must not fail). */
export function useUtmTemplate(organizationId: string) {
  return $api.useQuery(
    "get",
    UTM_TEMPLATE,
    { params: { path: { organization_id: organizationId } } },
    {
      select: (data) => ({
        template: typeof data.template === "string" ? data.template : "",
        placeholders: Array.isArray(data.placeholders) ? data.placeholders : [],
      }),
    },
  );
}

export function useSetUtmTemplate() {
  const queryClient = useQueryClient();
  return $api.useMutation("put", UTM_TEMPLATE, {
    onSuccess: (data, variables) =>
      queryClient.setQueryData(["get", UTM_TEMPLATE, { params: { path: variables.params.path } }], data),
  });
}

export function useCreateDraft() {
  const queryClient = useQueryClient();
  return $api.useMutation("post", DRAFTS, { onSuccess: () => invalidateDrafts(queryClient) });
}

/** Save a new version; the answer replaces the cached draft so the editor continues from the new version. */
export function useSaveDraft() {
  const queryClient = useQueryClient();
  return $api.useMutation("put", DRAFT, {
    onSuccess: (data, variables) => {
      queryClient.setQueryData(["get", DRAFT, { params: { path: variables.params.path } }], data);
      void invalidateDrafts(queryClient);
    },
  });
}

interface DraftPath {
  params: { path: { organization_id: string; draft_id: string } };
}

/** After a workflow step: its answer is the draft as it now is; the list and the checks are read again. */
function useStepDone() {
  const queryClient = useQueryClient();
  return (data: DraftRead, variables: DraftPath) => {
    queryClient.setQueryData(["get", DRAFT, { params: { path: variables.params.path } }], data);
    void invalidateDrafts(queryClient);
  };
}

export function useSubmitDraft() {
  return $api.useMutation("post", `${DRAFT}/submit`, { onSuccess: useStepDone() });
}

export function useApproveDraft() {
  return $api.useMutation("post", `${DRAFT}/approve`, { onSuccess: useStepDone() });
}

export function useRequestDraftChanges() {
  return $api.useMutation("post", `${DRAFT}/request-changes`, { onSuccess: useStepDone() });
}

export function useReopenDraft() {
  return $api.useMutation("post", `${DRAFT}/reopen`, { onSuccess: useStepDone() });
}

export function useDuplicateDraft() {
  const queryClient = useQueryClient();
  return $api.useMutation("post", `${DRAFT}/duplicate`, { onSuccess: () => invalidateDrafts(queryClient) });
}

/** A new draft from a live campaign as last synced. */
export function useDuplicateCampaign() {
  const queryClient = useQueryClient();
  return $api.useMutation("post", `${DRAFTS}/from-campaign`, { onSuccess: () => invalidateDrafts(queryClient) });
}
