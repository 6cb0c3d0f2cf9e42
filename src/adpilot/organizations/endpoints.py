"""HTTP endpoints of organizations, members and invitations."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Response, status

from adpilot.auth.dependencies import CurrentPrincipal
from adpilot.auth.errors import EmailNotVerified
from adpilot.core.errors import NotAuthenticated, NotFound, PermissionDenied, problem_responses
from adpilot.core.pagination import Page, TimeCursorPage, page_response
from adpilot.db import DbSession
from adpilot.organizations.dependencies import (
    CanManageMembers,
    CanReadMembers,
    CanReadOrganization,
    CanUpdateOrganization,
)
from adpilot.organizations.errors import (
    AlreadyMember,
    EnableMfaFirst,
    InvalidInvitationToken,
    InvitationForAnotherEmail,
    InvitationUnusable,
    LastAdmin,
    MfaRequired,
)
from adpilot.organizations.models import Organization
from adpilot.organizations.permissions import Role, permissions_of
from adpilot.organizations.schemas import (
    InvitationAccept,
    InvitationCreate,
    InvitationRead,
    MemberRead,
    OrganizationCreate,
    OrganizationList,
    OrganizationRead,
    OrganizationUpdateRequest,
    RoleChange,
)
from adpilot.organizations.service import InvitationView, MemberView, organization_service

router = APIRouter(prefix="/api/v1", tags=["organizations"])
TENANT_ERRORS = (NotAuthenticated, NotFound, PermissionDenied, MfaRequired)


def organization_read(organization: Organization, role: Role) -> OrganizationRead:
    return OrganizationRead(
        id=organization.id,
        name=organization.name,
        require_mfa=organization.require_mfa,
        role=role,
        permissions=permissions_of(role),
        created_at=organization.created_at,
        time_zone=organization.time_zone,
        reporting_currency=organization.reporting_currency,
        report_recipient_domains=list(organization.report_recipient_domains),
        changes_require_approval=organization.changes_require_approval,
    )


def member_read(member: MemberView) -> MemberRead:
    return MemberRead(
        user_id=member.user_id,
        email=member.email,
        display_name=member.display_name,
        role=member.role,
        joined_at=member.joined_at,
        mfa_enabled=member.mfa_enabled,
    )


def invitation_read(view: InvitationView) -> InvitationRead:
    row = view.invitation
    return InvitationRead(
        id=row.id,
        email=row.email,
        role=row.role,
        status=view.status,
        expires_at=row.expires_at,
        created_at=row.created_at,
    )


@router.get("/orgs", responses=problem_responses(NotAuthenticated))
async def list_organizations(principal: CurrentPrincipal, session: DbSession) -> OrganizationList:
    """The organizations you belong to, with your role in each."""
    pairs = await organization_service.list_for_user(session, principal)
    return OrganizationList(items=[organization_read(org, role) for org, role in pairs])


@router.post("/orgs", status_code=status.HTTP_201_CREATED, responses=problem_responses(NotAuthenticated))
async def create_organization(
    body: OrganizationCreate, principal: CurrentPrincipal, session: DbSession
) -> OrganizationRead:
    """Create an organization; you become its admin."""
    organization = await organization_service.create(session, principal, body.name)
    return organization_read(organization, Role.admin)


@router.get("/orgs/{organization_id}", responses=problem_responses(*TENANT_ERRORS))
async def get_organization(tenant: CanReadOrganization, session: DbSession) -> OrganizationRead:
    """One organization, with your role in it."""
    return organization_read(await organization_service.get(session, tenant), tenant.role)


@router.patch("/orgs/{organization_id}", responses=problem_responses(*TENANT_ERRORS, EnableMfaFirst))
async def update_organization(
    body: OrganizationUpdateRequest, tenant: CanUpdateOrganization, session: DbSession
) -> OrganizationRead:
    """Rename the organization, require MFA of its members, or set its reporting time zone and currency (admins)."""
    organization = await organization_service.update(
        session,
        tenant,
        name=body.name,
        require_mfa=body.require_mfa,
        time_zone=body.time_zone,
        reporting_currency=body.reporting_currency,
        report_recipient_domains=body.report_recipient_domains,
        changes_require_approval=body.changes_require_approval,
    )
    return organization_read(organization, tenant.role)


@router.get(
    "/orgs/{organization_id}/members",
    response_model=Page[MemberRead],
    responses=problem_responses(*TENANT_ERRORS),
)
async def list_members(tenant: CanReadMembers, session: DbSession, page: TimeCursorPage) -> Response:
    """Members in the order they joined."""
    members = await organization_service.list_members(session, tenant, page)
    return page_response(MemberRead, members.map(member_read))


@router.patch("/orgs/{organization_id}/members/{user_id}", responses=problem_responses(*TENANT_ERRORS, LastAdmin))
async def change_member_role(
    user_id: UUID, body: RoleChange, tenant: CanManageMembers, session: DbSession
) -> MemberRead:
    """Give a member another role (admins)."""
    return member_read(await organization_service.change_role(session, tenant, user_id, body.role))


@router.delete(
    "/orgs/{organization_id}/members/{user_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(*TENANT_ERRORS, LastAdmin),
)
async def remove_member(user_id: UUID, tenant: CanReadMembers, session: DbSession) -> None:
    """Remove a member from the organization (admins)."""
    # Any member may leave (remove themselves): the service requires members.manage to remove someone else.
    await organization_service.remove_member(session, tenant, user_id)


@router.get(
    "/orgs/{organization_id}/invitations",
    response_model=Page[InvitationRead],
    responses=problem_responses(*TENANT_ERRORS),
)
async def list_invitations(tenant: CanManageMembers, session: DbSession, page: TimeCursorPage) -> Response:
    """Invitations, newest first (admins)."""
    views = await organization_service.list_invitations(session, tenant, page)
    return page_response(InvitationRead, views.map(invitation_read))


@router.post(
    "/orgs/{organization_id}/invitations",
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(*TENANT_ERRORS, AlreadyMember),
)
async def create_invitation(body: InvitationCreate, tenant: CanManageMembers, session: DbSession) -> InvitationRead:
    """Invite someone by email (admins); the link is emailed and valid for 7 days."""
    return invitation_read(await organization_service.invite(session, tenant, str(body.email), body.role))


@router.delete(
    "/orgs/{organization_id}/invitations/{invitation_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(*TENANT_ERRORS, InvitationUnusable),
)
async def revoke_invitation(invitation_id: UUID, tenant: CanManageMembers, session: DbSession) -> None:
    """Revoke a pending invitation (admins)."""
    await organization_service.revoke_invitation(session, tenant, invitation_id)


@router.post(
    "/invitations/accept",
    responses=problem_responses(
        NotAuthenticated,
        InvalidInvitationToken,
        InvitationUnusable,
        InvitationForAnotherEmail,
        AlreadyMember,
        EmailNotVerified,
    ),
)
async def accept_invitation(
    body: InvitationAccept, principal: CurrentPrincipal, session: DbSession
) -> OrganizationRead:
    """Join an organization with the token from an invitation email (needs a verified email address)."""
    organization, role = await organization_service.accept_invitation(session, principal, body.token)
    return organization_read(organization, role)
