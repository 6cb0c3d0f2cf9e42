import { useState, type FormEvent } from "react";
import { ROLES, type InvitationRead, type MemberRead, type Role } from "@/api/types";
import {
  Alert,
  Badge,
  Button,
  Card,
  CardBody,
  CardHeader,
  DataTable,
  Dialog,
  EmptyState,
  ErrorState,
  Field,
  FormError,
  LoadingState,
  PageHeader,
  Select,
  SelectField,
  type DataColumn,
} from "@/components/ui";
import { formatDate, formatRole } from "@/lib/format";
import { describeError, formErrorsFromApi, useFormErrors, validateEmail } from "@/lib/forms";
import { useConfig, useMe } from "@/features/auth/session";
import {
  useChangeMemberRole,
  useCreateInvitation,
  useInvitations,
  useMembers,
  useRemoveMember,
  useRevokeInvitation,
} from "./api";
import { describeLeaveError, LeaveOrganizationButton } from "./LeaveOrganization";
import { useCan, useCurrentOrg } from "./OrgContext";

export function MembersScreen() {
  const org = useCurrentOrg();
  const canManage = useCan("members.manage");
  return (
    <div className="mx-auto max-w-5xl">
      <PageHeader title="Members" description={`People with access to ${org.name} and their roles.`} />
      <div className="space-y-6">
        {canManage && <InviteCard />}
        <MembersCard canManage={canManage} />
        {canManage && <InvitationsCard />}
      </div>
    </div>
  );
}

function MembersCard({ canManage }: { canManage: boolean }) {
  const org = useCurrentOrg();
  const members = useMembers(org.id);
  const items = members.data?.pages.flatMap((p) => p.items) ?? [];

  return (
    <Card>
      <CardHeader
        title="Team"
        description={canManage ? "Change roles or remove people from the organization." : undefined}
      />
      <CardBody className="p-0">
        <DataTable
          caption={`Members of ${org.name}`}
          columns={memberColumns(canManage)}
          rows={items}
          rowKey={(member) => member.user_id}
          useRowState={useMemberRow}
          loading={members.isPending}
          error={members.isError ? { error: members.error, onRetry: () => void members.refetch() } : null}
          empty={<EmptyState title="No members yet" />}
          stateClassName="p-5"
        />
        {members.hasNextPage && (
          <div className="border-t border-neutral-200 px-5 py-3">
            <Button
              variant="secondary"
              size="sm"
              pending={members.isFetchingNextPage}
              onClick={() => void members.fetchNextPage()}
            >
              Load more
            </Button>
          </div>
        )}
      </CardBody>
    </Card>
  );
}

/** A member row's own state: the role change, the removal and its confirmation. */
function useMemberRow(member: MemberRead) {
  const org = useCurrentOrg();
  const me = useMe();
  const [confirmOpen, setConfirmOpen] = useState(false);
  const update = useChangeMemberRole();
  const remove = useRemoveMember({ onRemoved: () => setConfirmOpen(false) });
  const path = { organization_id: org.id, user_id: member.user_id };
  return { org, path, update, remove, confirmOpen, setConfirmOpen, isMe: me.data?.id === member.user_id };
}

function memberColumns(canManage: boolean): DataColumn<MemberRead, ReturnType<typeof useMemberRow>>[] {
  return [
    {
      id: "member",
      header: "Member",
      headerClassName: "px-5 py-2 font-medium",
      cellClassName: "px-5 py-3",
      cell: (member, { isMe, update }) => (
        <>
          <p className="font-medium text-neutral-900">
            {member.display_name} {isMe && <span className="font-normal text-neutral-500">(you)</span>}
          </p>
          <p className="text-xs text-neutral-500">{member.email}</p>
          {update.isError && <p className="mt-1 text-xs text-red-600">{describeLeaveError(update.error)}</p>}
        </>
      ),
    },
    {
      id: "role",
      header: "Role",
      headerClassName: "px-5 py-2 font-medium",
      cellClassName: "px-5 py-3",
      cell: (member, { update, path }) =>
        canManage ? (
          <Select
            aria-label={`Role for ${member.email}`}
            value={member.role}
            disabled={update.isPending}
            onChange={(e) => update.mutate({ params: { path }, body: { role: e.target.value as Role } })}
          >
            {ROLES.map((role) => (
              <option key={role} value={role}>
                {formatRole(role)}
              </option>
            ))}
          </Select>
        ) : (
          <Badge>{formatRole(member.role)}</Badge>
        ),
    },
    {
      id: "joined",
      header: "Joined",
      headerClassName: "hidden px-5 py-2 font-medium sm:table-cell",
      cellClassName: "hidden px-5 py-3 text-neutral-600 sm:table-cell",
      cell: (member) => formatDate(member.joined_at),
    },
    {
      id: "mfa",
      header: "2FA",
      headerClassName: "hidden px-5 py-2 font-medium sm:table-cell",
      cellClassName: "hidden px-5 py-3 sm:table-cell",
      cell: (member) => (member.mfa_enabled ? <Badge tone="green">On</Badge> : <Badge>Off</Badge>),
    },
    {
      id: "actions",
      header: "Actions",
      headerHidden: true,
      headerClassName: "px-5 py-2 font-medium",
      cellClassName: "px-5 py-3 text-right",
      cell: (member, { org, path, remove, confirmOpen, setConfirmOpen, isMe }) =>
        isMe ? (
          <LeaveOrganizationButton size="sm" variant="ghost" />
        ) : canManage ? (
          <>
            <Button
              variant="ghost"
              size="sm"
              onClick={() => setConfirmOpen(true)}
              aria-label={`Remove ${member.email}`}
            >
              Remove
            </Button>
            <Dialog
              open={confirmOpen}
              onOpenChange={setConfirmOpen}
              title={`Remove ${member.display_name}?`}
              description={`${member.email} will lose access to ${org.name} immediately.`}
            >
              {remove.isError && (
                <div className="mb-3">
                  <Alert tone="error">{describeLeaveError(remove.error)}</Alert>
                </div>
              )}
              <div className="flex justify-end gap-2">
                <Button variant="secondary" onClick={() => setConfirmOpen(false)}>
                  Cancel
                </Button>
                <Button variant="danger" pending={remove.isPending} onClick={() => remove.mutate({ params: { path } })}>
                  Remove member
                </Button>
              </div>
            </Dialog>
          </>
        ) : null,
    },
  ];
}

/** What the invitation card promises: the same lifetime as the email (the server's, from /config). */
export function inviteDescription(expiryDays: number | undefined): string {
  const lead = "They'll get an email with a link to join.";
  if (!expiryDays) return lead;
  return `${lead} The link expires ${expiryDays === 1 ? "after 1 day" : `after ${expiryDays} days`}.`;
}

function InviteCard() {
  const config = useConfig();
  const org = useCurrentOrg();
  const { formRef, errors, fail, clear } = useFormErrors();
  const [sent, setSent] = useState<string | null>(null);
  const invite = useCreateInvitation();

  function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = event.currentTarget;
    const data = new FormData(form);
    const email = String(data.get("email") ?? "").trim();
    const role = String(data.get("role") ?? "member") as Role;
    const emailError = validateEmail(email);
    if (emailError) return fail({ fields: { email: emailError }, form: null });
    clear();
    setSent(null);
    invite.mutate(
      { params: { path: { organization_id: org.id } }, body: { email, role } },
      {
        onSuccess: () => {
          setSent(email);
          form.reset();
        },
        onError: (e) => fail(formErrorsFromApi(e, ["email", "role"])),
      },
    );
  }

  return (
    <Card>
      <CardHeader title="Invite people" description={inviteDescription(config.data?.invitation_expiry_days)} />
      <CardBody>
        <form ref={formRef} noValidate onSubmit={onSubmit} className="space-y-4">
          <FormError message={errors.form} />
          {sent && <Alert tone="success">Invitation sent to {sent}.</Alert>}
          <div className="grid gap-4 sm:grid-cols-[1fr_12rem_auto] sm:items-start">
            <Field
              label="Email"
              name="email"
              type="email"
              autoComplete="off"
              placeholder="teammate@example.com"
              error={errors.fields.email}
            />
            <SelectField label="Role" name="role" defaultValue="member" error={errors.fields.role}>
              {ROLES.map((role) => (
                <option key={role} value={role}>
                  {formatRole(role)}
                </option>
              ))}
            </SelectField>
            <Button type="submit" className="sm:mt-6.5" pending={invite.isPending}>
              Send invitation
            </Button>
          </div>
        </form>
      </CardBody>
    </Card>
  );
}

const STATUS_TONE: Record<InvitationRead["status"], "amber" | "green" | "neutral" | "red"> = {
  pending: "amber",
  accepted: "green",
  revoked: "neutral",
  expired: "red",
};

function InvitationsCard() {
  const org = useCurrentOrg();
  const invitations = useInvitations(org.id);
  const revoke = useRevokeInvitation();
  const items = invitations.data?.pages.flatMap((p) => p.items) ?? [];

  return (
    <Card>
      <CardHeader title="Invitations" />
      <CardBody className="p-0">
        {invitations.isPending ? (
          <LoadingState />
        ) : invitations.isError ? (
          <div className="p-5">
            <ErrorState error={invitations.error} onRetry={() => void invitations.refetch()} />
          </div>
        ) : items.length === 0 ? (
          <div className="p-5">
            <EmptyState
              title="No invitations"
              description="Invitations you send appear here until they are accepted."
            />
          </div>
        ) : (
          <ul className="divide-y divide-neutral-200">
            {revoke.isError && (
              <li className="px-5 py-3">
                <Alert tone="error">{describeError(revoke.error)}</Alert>
              </li>
            )}
            {items.map((inv) => (
              <li key={inv.id} className="flex flex-wrap items-center justify-between gap-3 px-5 py-3 text-sm">
                <div>
                  <p className="font-medium text-neutral-900">{inv.email}</p>
                  <p className="text-xs text-neutral-500">
                    {formatRole(inv.role)} · sent {formatDate(inv.created_at)} · expires {formatDate(inv.expires_at)}
                  </p>
                </div>
                <div className="flex items-center gap-3">
                  <Badge tone={STATUS_TONE[inv.status]}>{inv.status}</Badge>
                  {inv.status === "pending" && (
                    <Button
                      variant="ghost"
                      size="sm"
                      aria-label={`Revoke invitation for ${inv.email}`}
                      pending={revoke.isPending && revoke.variables?.params.path.invitation_id === inv.id}
                      onClick={() =>
                        revoke.mutate({ params: { path: { organization_id: org.id, invitation_id: inv.id } } })
                      }
                    >
                      Revoke
                    </Button>
                  )}
                </div>
              </li>
            ))}
          </ul>
        )}
        {invitations.hasNextPage && (
          <div className="border-t border-neutral-200 px-5 py-3">
            <Button
              variant="secondary"
              size="sm"
              pending={invitations.isFetchingNextPage}
              onClick={() => void invitations.fetchNextPage()}
            >
              Load more
            </Button>
          </div>
        )}
      </CardBody>
    </Card>
  );
}
