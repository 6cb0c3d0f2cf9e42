"""Organizations, memberships, roles and invitations, and the tenant context of every organization request."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID, uuid4

from sqlalchemy.ext.asyncio import AsyncSession

from adpilot.audit import Actor, TargetNameResolver, audit_service
from adpilot.auth import Principal, TokenClaims, UserSummary, auth_service
from adpilot.auth.errors import EmailNotVerified
from adpilot.config import get_settings
from adpilot.core.errors import PermissionDenied
from adpilot.core.pagination import KeysetPage, PageRequest, TimeKey
from adpilot.core.security import new_token, token_digest
from adpilot.core.time import utcnow
from adpilot.db import set_tenant
from adpilot.events import publish
from adpilot.notifications.mail import send_mail
from adpilot.organizations.errors import (
    AlreadyMember,
    EnableMfaFirst,
    InvalidInvitationToken,
    InvitationForAnotherEmail,
    InvitationNotFound,
    InvitationUnusable,
    LastAdmin,
    MemberNotFound,
    MfaRequired,
    OrganizationNotFound,
)
from adpilot.organizations.events import ReportingCurrencyChanged
from adpilot.organizations.models import Invitation, Membership, Organization
from adpilot.organizations.permissions import ChangeApproval, Permission, Role, role_allows
from adpilot.organizations.repository import OrganizationRepository
from adpilot.organizations.schemas import InvitationStatus

INVITATION_DAYS = 7


@dataclass(frozen=True)
class TenantContext:
    """The caller inside one organization: who, with which role. First argument of tenant-scoped services."""

    organization_id: UUID
    user_id: UUID
    email: str
    role: Role
    session_id: UUID
    mfa_enabled: bool
    email_verified: bool = False

    @property
    def actor(self) -> Actor:
        return Actor(self.user_id, self.email)

    def require_verified_email(self) -> None:
        """Refuse an action that needs the caller's proven mailbox (connecting an ad platform)."""
        if not self.email_verified:
            raise EmailNotVerified()

    def require(self, permission: Permission) -> None:
        if not role_allows(self.role, permission):
            raise PermissionDenied(f"This needs the {permission.value} permission, which a {self.role} lacks.")


@dataclass(frozen=True)
class RecipientPolicy:
    """Who may receive the organization's numbers without a manager's say: members and allowed domains."""

    member_emails: frozenset[str]
    domains: frozenset[str]

    def outside(self, recipients: list[str]) -> list[str]:
        """The recipients that are neither members nor at an allowed domain."""
        return [
            address
            for address in recipients
            if address.lower() not in self.member_emails and address.rsplit("@", 1)[-1].lower() not in self.domains
        ]


@dataclass(frozen=True)
class MemberView:
    user_id: UUID
    email: str
    display_name: str
    role: Role
    joined_at: datetime
    mfa_enabled: bool


@dataclass(frozen=True)
class InvitationView:
    invitation: Invitation
    status: InvitationStatus
    token: str | None = None


@dataclass(frozen=True)
class ReportingSettings:
    """Where an organization's dashboards and reports read "today" and which currency they show money in."""

    time_zone: str
    reporting_currency: str
    # The name reports are branded with.
    name: str


class OrganizationService:
    async def resolve_tenant(self, session: AsyncSession, claims: TokenClaims, organization_id: UUID) -> TenantContext:
        """Scope the transaction to the organization, check the caller's session and load their role.

        A non-member gets 404 (never confirming that the organization exists); a member without the MFA the
        organization requires gets 403.
        """
        await set_tenant(session, organization_id, claims.user_id)
        principal = await auth_service.principal(session, claims)
        found = await OrganizationRepository(session).role_and_mfa_policy(organization_id, principal.user_id)
        if found is None:
            raise OrganizationNotFound()
        role, require_mfa = found
        if require_mfa and not principal.mfa_enabled:
            raise MfaRequired()
        return TenantContext(
            organization_id,
            principal.user_id,
            principal.email,
            Role(role),
            principal.session_id,
            principal.mfa_enabled,
            principal.email_verified,
        )

    async def list_for_user(self, session: AsyncSession, principal: Principal) -> list[tuple[Organization, Role]]:
        await set_tenant(session, None, principal.user_id)
        pairs = await OrganizationRepository(session).memberships_of_user(principal.user_id)
        return [(organization, membership.role) for organization, membership in pairs]

    async def create(
        self, session: AsyncSession, principal: Principal, name: str, *, is_demo: bool = False
    ) -> Organization:
        """Create an organization; its creator becomes its admin."""
        organization = Organization(id=uuid4(), name=name.strip(), require_mfa=False, is_demo=is_demo)
        await set_tenant(session, organization.id, principal.user_id)
        repository = OrganizationRepository(session)
        await repository.add(organization)
        await repository.add(Membership(organization_id=organization.id, user_id=principal.user_id, role=Role.admin))
        await audit_service.record(
            session,
            organization.id,
            Actor(principal.user_id, principal.email),
            "organization.created",
            target_type="organization",
            target_id=organization.id,
            after={"name": organization.name},
        )
        return organization

    async def get(self, session: AsyncSession, tenant: TenantContext) -> Organization:
        organization = await OrganizationRepository(session).get(tenant.organization_id)
        if organization is None:
            raise OrganizationNotFound()
        return organization

    async def is_demo(self, session: AsyncSession, organization_id: UUID) -> bool:
        """Whether the organization is a demo workspace (False when there is no such organization)."""
        organization = await OrganizationRepository(session).get(organization_id)
        return organization is not None and organization.is_demo

    async def reporting_settings(self, session: AsyncSession, organization_id: UUID) -> ReportingSettings:
        """The organization's reporting time zone, currency and name (for analytics, also from jobs)."""
        settings = await OrganizationRepository(session).reporting_settings(organization_id)
        if settings is None:
            raise OrganizationNotFound()
        return ReportingSettings(*settings)

    async def update(
        self,
        session: AsyncSession,
        tenant: TenantContext,
        *,
        name: str | None,
        require_mfa: bool | None,
        time_zone: str | None = None,
        reporting_currency: str | None = None,
        report_recipient_domains: list[str] | None = None,
        changes_require_approval: ChangeApproval | None = None,
    ) -> Organization:
        """Rename the organization, require MFA of its members or set its reporting time zone and currency (admins).

        The time zone and the currency arrive validated (an IANA zone, an ISO 4217 code in circulation).
        """
        tenant.require(Permission.organization_update)
        organization = await self.get(session, tenant)
        before = self._settings(organization)
        if time_zone is not None:
            organization.time_zone = time_zone
        if reporting_currency is not None and reporting_currency != organization.reporting_currency:
            organization.reporting_currency = reporting_currency
            # Modules that keep money converted to the reporting currency convert it again (metrics).
            await publish(
                session, ReportingCurrencyChanged(organization_id=organization.id, currency=reporting_currency)
            )
        if name is not None:
            organization.name = name.strip()
        if report_recipient_domains is not None:
            organization.report_recipient_domains = sorted(set(report_recipient_domains))
        if changes_require_approval is not None:
            organization.changes_require_approval = changes_require_approval
        if require_mfa is not None:
            if require_mfa and not tenant.mfa_enabled:
                raise EnableMfaFirst()
            organization.require_mfa = require_mfa
        after = self._settings(organization)
        if after != before:
            await audit_service.record(
                session,
                tenant.organization_id,
                tenant.actor,
                "organization.updated",
                target_type="organization",
                target_id=organization.id,
                before=before,
                after=after,
            )
        return organization

    @staticmethod
    def _settings(organization: Organization) -> dict[str, str | bool | list[str]]:
        return {
            "name": organization.name,
            "require_mfa": organization.require_mfa,
            "time_zone": organization.time_zone,
            "reporting_currency": organization.reporting_currency,
            "report_recipient_domains": list(organization.report_recipient_domains),
            "changes_require_approval": organization.changes_require_approval.value,
        }

    async def change_approval(self, session: AsyncSession, organization_id: UUID) -> ChangeApproval:
        """Whose changes of ad platform entities wait for a manager's approval in this organization."""
        organization = await OrganizationRepository(session).get(organization_id)
        if organization is None:
            raise OrganizationNotFound()
        return organization.changes_require_approval

    async def report_recipient_policy(self, session: AsyncSession, organization_id: UUID) -> RecipientPolicy:
        """Which report recipients count as inside the organization: its members and its allowed email domains."""
        repository = OrganizationRepository(session)
        organization = await repository.get(organization_id)
        if organization is None:
            raise OrganizationNotFound()
        users = await auth_service.users_by_ids(session, await repository.member_user_ids(organization_id))
        return RecipientPolicy(
            member_emails=frozenset(user.email.lower() for user in users.values()),
            domains=frozenset(organization.report_recipient_domains),
        )

    # --- members --------------------------------------------------------------------------------------------

    async def list_members(
        self, session: AsyncSession, tenant: TenantContext, page: PageRequest[TimeKey]
    ) -> KeysetPage[MemberView, TimeKey]:
        """Members in the order they joined."""
        tenant.require(Permission.members_read)
        memberships = await OrganizationRepository(session).members_page(tenant.organization_id, page)
        users = await auth_service.users_by_ids(session, [m.user_id for m in memberships.items])
        members = [self._member_view(m, users[m.user_id]) for m in memberships.items if m.user_id in users]
        return KeysetPage(members, memberships.next_key, memberships.codec)

    async def change_role(self, session: AsyncSession, tenant: TenantContext, user_id: UUID, role: Role) -> MemberView:
        """Give a member another role; the last admin cannot be demoted."""
        tenant.require(Permission.members_manage)
        repository = OrganizationRepository(session)
        membership = await repository.membership(tenant.organization_id, user_id)
        if membership is None:
            raise MemberNotFound()
        previous = membership.role
        if (
            previous is Role.admin
            and role is not Role.admin
            and await repository.count_admins(tenant.organization_id) <= 1
        ):
            raise LastAdmin()
        membership.role = role
        if previous is not role:
            await audit_service.record(
                session,
                tenant.organization_id,
                tenant.actor,
                "member.role_changed",
                target_type="user",
                target_id=user_id,
                before={"role": previous},
                after={"role": role},
            )
        users = await auth_service.users_by_ids(session, [user_id])
        return self._member_view(membership, users[user_id])

    async def remove_member(self, session: AsyncSession, tenant: TenantContext, user_id: UUID) -> None:
        """Remove a member (admins), or leave the organization yourself; the last admin cannot go."""
        if user_id != tenant.user_id:
            tenant.require(Permission.members_manage)
        repository = OrganizationRepository(session)
        membership = await repository.membership(tenant.organization_id, user_id)
        if membership is None:
            raise MemberNotFound()
        if membership.role == Role.admin and await repository.count_admins(tenant.organization_id) <= 1:
            raise LastAdmin()
        await repository.delete(membership)
        await audit_service.record(
            session,
            tenant.organization_id,
            tenant.actor,
            "member.removed",
            target_type="user",
            target_id=user_id,
            before={"role": membership.role},
        )

    @staticmethod
    def _member_view(membership: Membership, user: UserSummary) -> MemberView:
        return MemberView(
            user.id, user.email, user.display_name, membership.role, membership.created_at, user.mfa_enabled
        )

    # --- invitations ----------------------------------------------------------------------------------------

    async def invite(self, session: AsyncSession, tenant: TenantContext, email: str, role: Role) -> InvitationView:
        """Invite someone by email; the link is valid for 7 days."""
        tenant.require(Permission.members_manage)
        repository = OrganizationRepository(session)
        organization = await self.get(session, tenant)
        existing_user = await auth_service.find_user_id(session, email)
        if existing_user is not None and await repository.membership(tenant.organization_id, existing_user):
            raise AlreadyMember()
        secret = new_token(24)
        token = _invitation_token(tenant.organization_id, secret)
        invitation = Invitation(
            organization_id=tenant.organization_id,
            email=email,
            role=role,
            token_hash=token_digest(secret),
            invited_by_user_id=tenant.user_id,
            expires_at=utcnow() + timedelta(days=INVITATION_DAYS),
        )
        await repository.add(invitation)
        link = f"{get_settings().base_url}/invitations/accept?token={token}"
        await send_mail(
            session,
            email,
            f"You are invited to {organization.name} on adpilot",
            f"{tenant.email} invited you to join {organization.name} on adpilot as {role}.\n\n"
            f"Accept the invitation:\n{link}\n\nThe invitation expires in {INVITATION_DAYS} days.\n",
        )
        await audit_service.record(
            session,
            tenant.organization_id,
            tenant.actor,
            "invitation.created",
            target_type="invitation",
            target_id=invitation.id,
            after={"email": email, "role": role},
        )
        return InvitationView(invitation, invitation_status(invitation), token)

    async def list_invitations(
        self, session: AsyncSession, tenant: TenantContext, page: PageRequest[TimeKey]
    ) -> KeysetPage[InvitationView, TimeKey]:
        """Invitations, newest first."""
        tenant.require(Permission.members_manage)
        rows = await OrganizationRepository(session).invitations_page(tenant.organization_id, page)
        return rows.map(lambda row: InvitationView(row, invitation_status(row)))

    async def revoke_invitation(self, session: AsyncSession, tenant: TenantContext, invitation_id: UUID) -> None:
        tenant.require(Permission.members_manage)
        invitation = await OrganizationRepository(session).invitation(tenant.organization_id, invitation_id)
        if invitation is None:
            raise InvitationNotFound()
        if invitation_status(invitation) != "pending":
            raise InvitationUnusable()
        invitation.revoked_at = utcnow()
        await audit_service.record(
            session,
            tenant.organization_id,
            tenant.actor,
            "invitation.revoked",
            target_type="invitation",
            target_id=invitation.id,
        )

    async def accept_invitation(
        self, session: AsyncSession, principal: Principal, token: str
    ) -> tuple[Organization, Role]:
        """Join the organization of an invitation sent to the caller's email (which must be verified)."""
        organization_id, secret = _parse_invitation_token(token)
        await set_tenant(session, organization_id, principal.user_id)
        repository = OrganizationRepository(session)
        invitation = await repository.invitation_by_token(organization_id, token_digest(secret))
        if invitation is None:
            raise InvalidInvitationToken()
        if invitation_status(invitation) != "pending":
            raise InvitationUnusable()
        if invitation.email.lower() != principal.email.lower():
            raise InvitationForAnotherEmail()
        # The invitation went to this mailbox, but the account claiming it has not proven that it reads it.
        principal.require_verified_email()
        if await repository.membership(organization_id, principal.user_id) is not None:
            raise AlreadyMember()
        invitation.accepted_at = utcnow()
        await repository.add(
            Membership(organization_id=organization_id, user_id=principal.user_id, role=invitation.role)
        )
        await audit_service.record(
            session,
            organization_id,
            Actor(principal.user_id, principal.email),
            "invitation.accepted",
            target_type="invitation",
            target_id=invitation.id,
            after={"role": invitation.role},
        )
        organization = await repository.get(organization_id)
        if organization is None:
            raise InvalidInvitationToken()
        return organization, invitation.role


def invitation_status(invitation: Invitation) -> InvitationStatus:
    if invitation.accepted_at is not None:
        return "accepted"
    if invitation.revoked_at is not None:
        return "revoked"
    if invitation.expires_at <= utcnow():
        return "expired"
    return "pending"


def _invitation_token(organization_id: UUID, secret: str) -> str:
    # The organization id travels in the token so that the lookup runs inside that tenant (row-level security).
    return base64.urlsafe_b64encode(organization_id.bytes).decode().rstrip("=") + "." + secret


def _parse_invitation_token(token: str) -> tuple[UUID, str]:
    org_part, _, secret = token.partition(".")
    try:
        raw = base64.urlsafe_b64decode(org_part + "=" * (-len(org_part) % 4))
        return UUID(bytes=raw), secret
    except (ValueError, binascii.Error):
        raise InvalidInvitationToken() from None


organization_service = OrganizationService()


async def _member_names(session: AsyncSession, organization_id: UUID, ids: Sequence[UUID]) -> dict[UUID, str]:
    # Only ids that this organization's own log names are asked for, so a name never leaks across tenants.
    users = await auth_service.users_by_ids(session, list(ids))
    return {user_id: f"{user.display_name} ({user.email})" for user_id, user in users.items()}


async def _invitation_names(session: AsyncSession, organization_id: UUID, ids: Sequence[UUID]) -> dict[UUID, str]:
    return await OrganizationRepository(session).invitation_emails(organization_id, list(ids))


async def _organization_names(session: AsyncSession, organization_id: UUID, ids: Sequence[UUID]) -> dict[UUID, str]:
    organization = await OrganizationRepository(session).get(organization_id)
    return {organization_id: organization.name} if organization is not None and organization_id in ids else {}


# The audit log names members, invitations and the organization (installed at start-up).
AUDIT_TARGET_NAMES: dict[str, TargetNameResolver] = {
    "user": _member_names,
    "invitation": _invitation_names,
    "organization": _organization_names,
}
