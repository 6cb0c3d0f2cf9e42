"""Every SQL statement on drafts, draft_versions, draft_comments, draft_settings and draft_imports."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from sqlalchemy import Select, delete, select, tuple_
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from adpilot.core.keyset import Keyset, keyset_page
from adpilot.core.pagination import KeysetPage, PageRequest, TimeKey
from adpilot.db import like_pattern
from adpilot.drafts.models import (
    Draft,
    DraftComment,
    DraftImport,
    DraftPublication,
    DraftPublishedEntity,
    DraftSettings,
    DraftVersion,
)
from adpilot.drafts.schemas import DraftStatus

DRAFTS_NEWEST_FIRST = Keyset((Draft.created_at, Draft.id), descending=True)
VERSIONS_NEWEST_FIRST = Keyset((DraftVersion.created_at, DraftVersion.id), descending=True)


class DraftRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def scoped(self, organization_id: UUID) -> Select[Draft]:
        """Starting point of every read of drafts: the explicit tenant filter (RLS is the safety net)."""
        return select(Draft).where(Draft.organization_id == organization_id)

    async def get(self, organization_id: UUID, draft_id: UUID, *, for_update: bool = False) -> Draft | None:
        query = self.scoped(organization_id).where(Draft.id == draft_id)
        if for_update:
            query = query.with_for_update()
        return (await self.session.scalars(query)).one_or_none()

    async def page(
        self,
        organization_id: UUID,
        *,
        status: DraftStatus | None,
        platform: str | None,
        name_contains: str | None = None,
        page: PageRequest[TimeKey],
    ) -> KeysetPage[Draft, TimeKey]:
        query = self.scoped(organization_id)
        if name_contains:
            query = query.where(Draft.name.ilike(like_pattern(name_contains), escape="\\"))
        if status is not None:
            query = query.where(Draft.status == status)
        if platform is not None:
            query = query.where(Draft.platforms.contains([platform]))
        return await keyset_page(self.session, query, DRAFTS_NEWEST_FIRST, page)

    async def current_version_authors(self, organization_id: UUID, drafts: Sequence[Draft]) -> dict[UUID, UUID | None]:
        """Who saved each draft's current version, by draft id."""
        if not drafts:
            return {}
        query = select(DraftVersion.draft_id, DraftVersion.created_by_user_id).where(
            DraftVersion.organization_id == organization_id,
            tuple_(DraftVersion.draft_id, DraftVersion.number).in_([(d.id, d.current_version) for d in drafts]),
        )
        return {row.draft_id: row.created_by_user_id for row in (await self.session.execute(query)).all()}

    async def version(self, organization_id: UUID, draft_id: UUID, number: int) -> DraftVersion | None:
        query = select(DraftVersion).where(
            DraftVersion.organization_id == organization_id,
            DraftVersion.draft_id == draft_id,
            DraftVersion.number == number,
        )
        return (await self.session.scalars(query)).one_or_none()

    async def versions_page(
        self, organization_id: UUID, draft_id: UUID, page: PageRequest[TimeKey]
    ) -> KeysetPage[DraftVersion, TimeKey]:
        query = select(DraftVersion).where(
            DraftVersion.organization_id == organization_id, DraftVersion.draft_id == draft_id
        )
        return await keyset_page(self.session, query, VERSIONS_NEWEST_FIRST, page)

    async def comments(self, organization_id: UUID, draft_id: UUID) -> Sequence[DraftComment]:
        query = (
            select(DraftComment)
            .where(DraftComment.organization_id == organization_id, DraftComment.draft_id == draft_id)
            .order_by(DraftComment.created_at, DraftComment.id)
        )
        return (await self.session.scalars(query)).all()

    async def names(self, organization_id: UUID, ids: Sequence[UUID]) -> dict[UUID, str]:
        query = select(Draft.id, Draft.name).where(Draft.organization_id == organization_id, Draft.id.in_(ids))
        return {row.id: row.name for row in (await self.session.execute(query)).all()}

    async def settings(self, organization_id: UUID) -> DraftSettings | None:
        return await self.session.get(DraftSettings, organization_id)

    async def import_by_sha256(self, organization_id: UUID, sha256: str) -> DraftImport | None:
        query = select(DraftImport).where(DraftImport.organization_id == organization_id, DraftImport.sha256 == sha256)
        return (await self.session.scalars(query)).one_or_none()

    async def claim_import(self, values: dict[str, Any]) -> UUID | None:
        """Insert an import row unless the organization already imported the file (None then). A concurrent import
        of the same file waits here for the other transaction, then finds its row."""
        statement = (
            insert(DraftImport)
            .values(**values)
            .on_conflict_do_nothing(constraint="uq_draft_imports_org_sha256")
            .returning(DraftImport.id)
        )
        return (await self.session.execute(statement)).scalar_one_or_none()

    async def get_import(self, organization_id: UUID, import_id: UUID) -> DraftImport | None:
        query = select(DraftImport).where(DraftImport.organization_id == organization_id, DraftImport.id == import_id)
        return (await self.session.scalars(query)).one_or_none()

    async def publications(self, organization_id: UUID, draft_id: UUID) -> Sequence[DraftPublication]:
        query = (
            select(DraftPublication)
            .where(DraftPublication.organization_id == organization_id, DraftPublication.draft_id == draft_id)
            .order_by(DraftPublication.target_index)
        )
        return (await self.session.scalars(query)).all()

    async def publication(
        self, organization_id: UUID, publication_id: UUID, *, for_update: bool = False
    ) -> DraftPublication | None:
        query = select(DraftPublication).where(
            DraftPublication.organization_id == organization_id, DraftPublication.id == publication_id
        )
        if for_update:
            query = query.with_for_update()
        return (await self.session.scalars(query)).one_or_none()

    async def published_entities(
        self, organization_id: UUID, publication_ids: Sequence[UUID]
    ) -> Sequence[DraftPublishedEntity]:
        query = (
            select(DraftPublishedEntity)
            .where(
                DraftPublishedEntity.organization_id == organization_id,
                DraftPublishedEntity.publication_id.in_(list(publication_ids)),
            )
            .order_by(DraftPublishedEntity.created_at, DraftPublishedEntity.key)
        )
        return (await self.session.scalars(query)).all()

    async def delete_publications(self, organization_id: UUID, draft_id: UUID) -> None:
        await self.session.execute(
            delete(DraftPublication).where(
                DraftPublication.organization_id == organization_id, DraftPublication.draft_id == draft_id
            )
        )

    async def delete_published_entities(self, organization_id: UUID, publication_id: UUID) -> None:
        await self.session.execute(
            delete(DraftPublishedEntity).where(
                DraftPublishedEntity.organization_id == organization_id,
                DraftPublishedEntity.publication_id == publication_id,
            )
        )

    def add(
        self,
        *rows: Draft | DraftVersion | DraftComment | DraftSettings | DraftPublication | DraftPublishedEntity,
    ) -> None:
        self.session.add_all(rows)

    async def flush(self) -> None:
        await self.session.flush()
