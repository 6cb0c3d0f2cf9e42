"""Every SQL statement on organizations, memberships and invitations."""

from __future__ import annotations

from uuid import UUID

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from adpilot.core.keyset import Keyset, keyset_page
from adpilot.core.pagination import KeysetPage, PageRequest, TimeKey
from adpilot.db import driver_connection
from adpilot.organizations.models import Invitation, Membership, Organization
from adpilot.organizations.permissions import Role

MEMBERS_BY_JOINING = Keyset((Membership.created_at, Membership.user_id))
INVITATIONS_NEWEST_FIRST = Keyset((Invitation.created_at, Invitation.id), descending=True)


class OrganizationRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, row: Organization | Membership | Invitation) -> None:
        self.session.add(row)
        await self.session.flush()

    async def get(self, organization_id: UUID) -> Organization | None:
        query = select(Organization).where(Organization.id == organization_id)
        return (await self.session.scalars(query)).first()

    async def reporting_settings(self, organization_id: UUID) -> tuple[str, str, str] | None:
        """(time zone, reporting currency, name), read on the driver: every dashboard query starts with it."""
        await self.session.flush()  # what an ORM read would have flushed first
        row = await (await driver_connection(self.session)).fetchrow(
            "SELECT time_zone, reporting_currency, name FROM organizations WHERE id = $1", organization_id
        )
        return (row["time_zone"], row["reporting_currency"], row["name"]) if row is not None else None

    async def memberships_of_user(self, user_id: UUID) -> list[tuple[Organization, Membership]]:
        query = (
            select(Organization, Membership)
            .join(Membership, Membership.organization_id == Organization.id)
            .where(Membership.user_id == user_id)
            .order_by(Organization.name, Organization.id)
        )
        return [(org, membership) for org, membership in (await self.session.execute(query)).all()]

    def scoped_members(self, organization_id: UUID) -> Select[Membership]:
        return select(Membership).where(Membership.organization_id == organization_id)

    async def role_and_mfa_policy(self, organization_id: UUID, user_id: UUID) -> tuple[str, bool] | None:
        """(role, organization requires MFA) of a member, in one lock-free query; None for a non-member.

        Runs on every organization request, so it goes straight to the driver (the tenant is already set).
        """
        row = await (await driver_connection(self.session)).fetchrow(
            "SELECT m.role, o.require_mfa FROM memberships m JOIN organizations o ON o.id = m.organization_id "
            "WHERE m.organization_id = $1 AND m.user_id = $2",
            organization_id,
            user_id,
        )
        return (row["role"], row["require_mfa"]) if row is not None else None

    async def membership(self, organization_id: UUID, user_id: UUID) -> Membership | None:
        query = self.scoped_members(organization_id).where(Membership.user_id == user_id)
        return (await self.session.scalars(query.with_for_update())).first()

    async def member_user_ids(self, organization_id: UUID) -> list[UUID]:
        return list(
            (
                await self.session.scalars(self.scoped_members(organization_id).with_only_columns(Membership.user_id))
            ).all()
        )

    async def members_page(self, organization_id: UUID, page: PageRequest[TimeKey]) -> KeysetPage[Membership, TimeKey]:
        """Memberships in the order they began."""
        return await keyset_page(self.session, self.scoped_members(organization_id), MEMBERS_BY_JOINING, page)

    async def count_admins(self, organization_id: UUID) -> int:
        query = select(func.count()).where(Membership.organization_id == organization_id, Membership.role == Role.admin)
        return int((await self.session.execute(query)).scalar_one())

    async def delete(self, row: Membership) -> None:
        await self.session.delete(row)
        await self.session.flush()

    def scoped_invitations(self, organization_id: UUID) -> Select[Invitation]:
        return select(Invitation).where(Invitation.organization_id == organization_id)

    async def invitation(self, organization_id: UUID, invitation_id: UUID) -> Invitation | None:
        query = self.scoped_invitations(organization_id).where(Invitation.id == invitation_id)
        return (await self.session.scalars(query.with_for_update())).first()

    async def invitation_emails(self, organization_id: UUID, invitation_ids: list[UUID]) -> dict[UUID, str]:
        query = select(Invitation.id, Invitation.email).where(
            Invitation.organization_id == organization_id, Invitation.id.in_(invitation_ids)
        )
        return {row.id: row.email for row in (await self.session.execute(query)).all()}

    async def invitation_by_token(self, organization_id: UUID, token_hash: str) -> Invitation | None:
        query = self.scoped_invitations(organization_id).where(Invitation.token_hash == token_hash)
        return (await self.session.scalars(query.with_for_update())).first()

    async def invitations_page(
        self, organization_id: UUID, page: PageRequest[TimeKey]
    ) -> KeysetPage[Invitation, TimeKey]:
        """Invitations, newest first."""
        return await keyset_page(self.session, self.scoped_invitations(organization_id), INVITATIONS_NEWEST_FIRST, page)
