"""Every SQL statement on entity_changes."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

from sqlalchemy import Select, func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from adpilot.changes.models import ChangeBatch, EntityChange
from adpilot.changes.schemas import ChangeFilters, ChangeKind, ChangeStatus
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

    async def many(self, organization_id: UUID, change_ids: Sequence[UUID]) -> dict[UUID, EntityChange]:
        """The changes by id, locked for the caller's transaction."""
        query = self.scoped(organization_id).where(EntityChange.id.in_(change_ids)).with_for_update()
        return {change.id: change for change in (await self.session.execute(query)).scalars()}

    async def group_to_apply(
        self, organization_id: UUID, batch_id: UUID, ad_account_id: UUID, limit: int
    ) -> list[EntityChange]:
        """The batch's changes on one ad account still to apply (queued, or applying when a run stopped), oldest
        first, locked for the caller's transaction."""
        query = (
            self.scoped(organization_id)
            .where(
                EntityChange.batch_id == batch_id,
                EntityChange.ad_account_id == ad_account_id,
                EntityChange.status.in_((ChangeStatus.queued, ChangeStatus.applying)),
            )
            .order_by(EntityChange.created_at, EntityChange.id)
            .limit(limit)
            .with_for_update()
        )
        return list((await self.session.execute(query)).scalars())

    async def add_batch(self, batch: ChangeBatch) -> ChangeBatch:
        self.session.add(batch)
        await self.session.flush()
        return batch

    async def page(
        self, organization_id: UUID, page: PageRequest[TimeKey], filters: ChangeFilters
    ) -> KeysetPage[EntityChange, TimeKey]:
        query = self.scoped(organization_id)
        if filters.statuses:
            query = query.where(EntityChange.status.in_(filters.statuses))
        if filters.kind is not None:
            query = query.where(EntityChange.kind == filters.kind)
        if filters.platform is not None:
            query = query.where(EntityChange.platform == filters.platform.value)
        if filters.ad_account_id is not None:
            query = query.where(EntityChange.ad_account_id == filters.ad_account_id)
        if filters.entity_id is not None:
            query = query.where(EntityChange.entity_id == filters.entity_id)
        if filters.source is not None:
            query = query.where(EntityChange.source == filters.source)
        if filters.requested_by is not None:
            query = query.where(EntityChange.requested_by_user_id == filters.requested_by)
        if filters.batch_id is not None:
            query = query.where(EntityChange.batch_id == filters.batch_id)
        if filters.batch_source is not None:
            batches = select(ChangeBatch.id).where(
                ChangeBatch.organization_id == organization_id, ChangeBatch.source == filters.batch_source
            )
            query = query.where(EntityChange.batch_id.in_(batches))
        if filters.created_from is not None:
            query = query.where(EntityChange.created_at >= filters.created_from)
        if filters.created_to is not None:
            query = query.where(EntityChange.created_at < filters.created_to)
        return await keyset_page(self.session, query, NEWEST_FIRST, page)

    async def has_changes_of(self, organization_id: UUID, entity_id: UUID) -> bool:
        query = self.scoped(organization_id).where(EntityChange.entity_id == entity_id).limit(1)
        return (await self.session.execute(query)).first() is not None

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

    async def organizations_with_pending_before(self, cutoff: datetime) -> list[UUID]:
        """Organizations with changes waiting for approval since before ``cutoff``, across every organization
        (through a SECURITY DEFINER function returning ids only: migration 0021)."""
        result = await self.session.execute(
            text("SELECT organization_id FROM adpilot_changes_due_for_expiry(:cutoff)"), {"cutoff": cutoff}
        )
        return [organization_id for (organization_id,) in result.all()]

    async def pending_before(self, organization_id: UUID, cutoff: datetime) -> Sequence[EntityChange]:
        """The organization's changes waiting for approval since before ``cutoff``, locked (a manager approving one
        right now keeps it)."""
        query = (
            self.scoped(organization_id)
            .where(EntityChange.status == ChangeStatus.pending_approval, EntityChange.created_at < cutoff)
            .order_by(EntityChange.created_at)
            .with_for_update(skip_locked=True)
        )
        return (await self.session.execute(query)).scalars().all()

    async def batch_by_file(self, organization_id: UUID, file_sha256: str) -> ChangeBatch | None:
        query = select(ChangeBatch).where(
            ChangeBatch.organization_id == organization_id, ChangeBatch.file_sha256 == file_sha256
        )
        return (await self.session.execute(query)).scalar_one_or_none()

    async def changes_of_batch(self, organization_id: UUID, batch_id: UUID) -> Sequence[EntityChange]:
        query = self.scoped(organization_id).where(EntityChange.batch_id == batch_id)
        return (await self.session.execute(query.order_by(EntityChange.created_at, EntityChange.id))).scalars().all()
