/**
 * The organizations module's queries and mutations (organizations, members, invitations): screens call these hooks
 * and never build a query themselves. A mutation hook invalidates what its change makes stale.
 */
import { useQueryClient } from "@tanstack/react-query";
import { $api } from "@/api/client";

const ORGANIZATIONS = "/api/v1/orgs" as const;
const ORGANIZATION = "/api/v1/orgs/{organization_id}" as const;
const MEMBERS = "/api/v1/orgs/{organization_id}/members" as const;
const MEMBER = "/api/v1/orgs/{organization_id}/members/{user_id}" as const;
const INVITATIONS = "/api/v1/orgs/{organization_id}/invitations" as const;
const INVITATION = "/api/v1/orgs/{organization_id}/invitations/{invitation_id}" as const;
/** Members and invitations are read this many at a time ("Load more" reads the next page). */
const PAGE_SIZE = 50;

/** The organizations the signed-in user belongs to, with their role and permissions in each. */
export function useOrganizations() {
  return $api.useQuery("get", ORGANIZATIONS);
}

/** The same list for an imperative read (`queryClient.fetchQuery(organizationsQuery())`). */
export function organizationsQuery() {
  return $api.queryOptions("get", ORGANIZATIONS);
}

/** One organization, with the user's role and permissions in it. */
export function useOrganization(organizationId: string) {
  return $api.useQuery("get", ORGANIZATION, { params: { path: { organization_id: organizationId } } });
}

export function useCreateOrganization() {
  const queryClient = useQueryClient();
  return $api.useMutation("post", ORGANIZATIONS, {
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ["get", ORGANIZATIONS] }),
  });
}

/** Rename the organization or change its settings; both the list and the organization are read again. */
export function useUpdateOrganization() {
  const queryClient = useQueryClient();
  return $api.useMutation("patch", ORGANIZATION, {
    onSuccess: () => {
      void queryClient.invalidateQueries({ queryKey: ["get", ORGANIZATIONS] });
      void queryClient.invalidateQueries({ queryKey: ["get", ORGANIZATION] });
    },
  });
}

/** Join with an invitation's token; `onAccepted` gets the organization joined. */
export function useAcceptInvitation({ onAccepted }: { onAccepted?: (organizationId: string) => void } = {}) {
  const queryClient = useQueryClient();
  return $api.useMutation("post", "/api/v1/invitations/accept", {
    onSuccess: (org) => {
      onAccepted?.(org.id);
      void queryClient.invalidateQueries({ queryKey: ["get", ORGANIZATIONS] });
    },
  });
}

/** The members, page by page. */
export function useMembers(organizationId: string) {
  return $api.useInfiniteQuery(
    "get",
    MEMBERS,
    { params: { path: { organization_id: organizationId }, query: { limit: PAGE_SIZE } } },
    { pageParamName: "cursor", initialPageParam: null, getNextPageParam: (page) => page.next_cursor ?? undefined },
  );
}

/** The first `limit` members in one answer (as choices, e.g. an actor filter). */
export function useMemberChoices(organizationId: string, limit: number) {
  return $api.useQuery("get", MEMBERS, { params: { path: { organization_id: organizationId }, query: { limit } } });
}

export function useChangeMemberRole() {
  const queryClient = useQueryClient();
  return $api.useMutation("patch", MEMBER, {
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ["get", MEMBERS] }),
  });
}

/** Remove someone else; the members are read again. (Leaving yourself is `useLeaveOrganization`.) */
export function useRemoveMember({ onRemoved }: { onRemoved?: () => void } = {}) {
  const queryClient = useQueryClient();
  return $api.useMutation("delete", MEMBER, {
    onSuccess: () => {
      onRemoved?.();
      void queryClient.invalidateQueries({ queryKey: ["get", MEMBERS] });
    },
  });
}

/** Remove your own membership; what happens next (where to go, what to forget) is the caller's. */
export function useLeaveOrganization() {
  return $api.useMutation("delete", MEMBER);
}

/** The pending and past invitations, page by page. */
export function useInvitations(organizationId: string) {
  return $api.useInfiniteQuery(
    "get",
    INVITATIONS,
    { params: { path: { organization_id: organizationId }, query: { limit: PAGE_SIZE } } },
    { pageParamName: "cursor", initialPageParam: null, getNextPageParam: (page) => page.next_cursor ?? undefined },
  );
}

export function useCreateInvitation() {
  const queryClient = useQueryClient();
  return $api.useMutation("post", INVITATIONS, {
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ["get", INVITATIONS] }),
  });
}

export function useRevokeInvitation() {
  const queryClient = useQueryClient();
  return $api.useMutation("delete", INVITATION, {
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ["get", INVITATIONS] }),
  });
}
