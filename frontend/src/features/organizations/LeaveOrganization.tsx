import { useState } from "react";
import { useQueryClient } from "@tanstack/react-query";
import { useNavigate } from "@tanstack/react-router";
import { isApiError } from "@/api/client";
import { Alert, Button, Dialog } from "@/components/ui";
import { describeError } from "@/lib/forms";
import { useMe } from "@/features/auth/session";
import { organizationsQuery, useLeaveOrganization } from "./api";
import { useCurrentOrg } from "./OrgContext";
import { setLastOrgId } from "./lastOrg";

export const LAST_ADMIN_MESSAGE = "An organization needs at least one admin — make someone else admin first.";

/** A sentence for a failed leave/remove: the "last admin" conflict gets its own advice. */
export function describeLeaveError(error: unknown): string {
  if (isApiError(error) && error.code === "last-admin") return LAST_ADMIN_MESSAGE;
  return describeError(error);
}

/**
 * "Leave organization" with a confirmation: removes the current user's own membership (any role may), then goes to
 * another organization of theirs, or to onboarding when none is left.
 */
export function LeaveOrganizationButton({
  size = "md",
  variant = "danger",
}: {
  size?: "sm" | "md";
  variant?: "danger" | "ghost" | "secondary";
}) {
  const org = useCurrentOrg();
  const me = useMe();
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const [open, setOpen] = useState(false);
  const [leaving, setLeaving] = useState(false);
  const leave = useLeaveOrganization();

  function onConfirm() {
    if (!me.data) return;
    leave.mutate(
      { params: { path: { organization_id: org.id, user_id: me.data.id } } },
      {
        onSuccess: async () => {
          setLeaving(true);
          await queryClient.invalidateQueries({ queryKey: ["get", "/api/v1/orgs"] });
          let nextId: string | null = null;
          try {
            const orgs = await queryClient.fetchQuery(organizationsQuery());
            nextId = orgs.items.find((o) => o.id !== org.id)?.id ?? null;
          } catch {
            nextId = null;
          }
          setOpen(false);
          if (nextId) {
            setLastOrgId(nextId);
            await navigate({ to: "/orgs/$organizationId", params: { organizationId: nextId } });
          } else {
            await navigate({ to: "/onboarding" });
          }
          queryClient.removeQueries({
            predicate: (q) =>
              String(q.queryKey[1]).startsWith("/api/v1/orgs/{organization_id}") &&
              JSON.stringify(q.queryKey[2] ?? null).includes(org.id),
          });
        },
      },
    );
  }

  return (
    <>
      <Button variant={variant} size={size} onClick={() => setOpen(true)} disabled={!me.data}>
        Leave organization
      </Button>
      <Dialog
        open={open}
        onOpenChange={(next) => {
          setOpen(next);
          if (!next) leave.reset();
        }}
        title={`Leave ${org.name}?`}
        description="You will lose access immediately. An admin has to invite you again for you to come back."
      >
        {leave.isError && (
          <div className="mb-3">
            <Alert tone="error">{describeLeaveError(leave.error)}</Alert>
          </div>
        )}
        <div className="flex justify-end gap-2">
          <Button variant="secondary" onClick={() => setOpen(false)}>
            Cancel
          </Button>
          <Button variant="danger" pending={leave.isPending || leaving} onClick={onConfirm}>
            Leave
          </Button>
        </div>
      </Dialog>
    </>
  );
}
