"""Every SQL statement on entity_changes."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from adpilot.changes.models import EntityChange
from adpilot.changes.schemas import ChangeKind, ChangeSource, ChangeStatus
from adpilot.core.keyset import Keyset, keyset_page
from adpilot.core.pagination import KeysetPage, PageRequest, TimeKey

NEWEST_FIRST = Keyset((EntityChange.created_at, EntityChange.id), descending=True)


class ChangeRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def scoped(self, organization_id: UUID) -> Select[EntityChange]:
        return select(EntityChange).where(EntityChange.organization_id == organization_id)

    async def add(self, change: EntityChange) -> EntityChange:
        self.session.add(change)
        await self.session.flush()
        return change

    async def get(self, organization_id: UUID, change_id: UUID, *, for_update: bool = False) -> EntityChange | None:
        query = self.scoped(organization_id).where(EntityChange.id == change_id)
        if for_update:
            query = query.with_for_update()
        return (await self.session.execute(query)).scalar_one_or_none()

    async def page(
        self,
        organization_id: UUID,
        page: PageRequest[TimeKey],
        *,
        status: ChangeStatus | None = None,
        ad_account_id: UUID | None = None,
        entity_id: UUID | None = None,
        source: ChangeSource | None = None,
        requested_by: UUID | None = None,
    ) -> KeysetPage[EntityChange, TimeKey]:
        query = self.scoped(organization_id)
        if status is not None:
            query = query.where(EntityChange.status == status)
        if ad_account_id is not None:
            query = query.where(EntityChange.ad_account_id == ad_account_id)
        if entity_id is not None:
            query = query.where(EntityChange.entity_id == entity_id)
        if source is not None:
            query = query.where(EntityChange.source == source)
        if requested_by is not None:
            query = query.where(EntityChange.requested_by_user_id == requested_by)
        return await keyset_page(self.session, query, NEWEST_FIRST, page)

    async def names(self, organization_id: UUID, ids: Sequence[UUID]) -> dict[UUID, str]:
        query = select(EntityChange.id, EntityChange.entity_name, EntityChange.kind).where(
            EntityChange.organization_id == organization_id, EntityChange.id.in_(ids)
        )
        return {
            row.id: f"{row.kind.value.replace('_', ' ')} of {row.entity_name}"
            for row in await self.session.execute(query)
        }

    async def budget_changes_since(self, organization_id: UUID, entity_id: UUID, since: datetime) -> int:
        """Budget changes of one entity applied (or being applied) since ``since``."""
        query = select(func.count()).where(
            EntityChange.organization_id == organization_id,
            EntityChange.entity_id == entity_id,
            EntityChange.kind.in_((ChangeKind.daily_budget, ChangeKind.lifetime_budget)),
            EntityChange.status.in_(
                [ChangeStatus.queued, ChangeStatus.applying, ChangeStatus.applied, ChangeStatus.verified]
            ),
            EntityChange.created_at >= since,
        )
        return int((await self.session.execute(query)).scalar_one())
