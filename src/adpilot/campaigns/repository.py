"""Every SQL statement on ad_entities and sync_runs."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Boolean, Select, and_, case, func, literal_column, or_, select, text, true, tuple_
from sqlalchemy.dialects.postgresql import distinct_on, insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.dml import ReturningInsert

from adpilot.campaigns.models import AdEntity, SyncRun
from adpilot.campaigns.schemas import SyncMode
from adpilot.core.keyset import Keyset, keyset_page
from adpilot.core.pagination import KeysetPage, PageRequest, TextKey, TimeKey
from adpilot.core.runs import ACTIVE_STATUSES, RunStatus
from adpilot.db import like_pattern

# Fields whose change makes an entity "updated" in a sync run's counts.
_TRACKED = (
    "parent_platform_id",
    "campaign_platform_id",
    "name",
    "status",
    "platform_status",
    "objective",
    "currency",
    "daily_budget_micros",
    "lifetime_budget_micros",
    "bid_strategy",
    "bid_micros",
    "target_roas",
    "start_date",
    "end_date",
    "raw",
)
# Rows per INSERT statement: far below PostgreSQL's 65,535 bind parameters (21 columns per row).
_UPSERT_BATCH = 1000
REMOVED = "removed"
ENTITIES_BY_NAME = Keyset((AdEntity.name, AdEntity.id))
RUNS_NEWEST_FIRST = Keyset((SyncRun.queued_at, SyncRun.id), descending=True)


class CampaignRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    # --- entities ------------------------------------------------------------------------------------------------

    def scoped_entities(self, organization_id: UUID, ad_account_id: UUID) -> Select[AdEntity]:
        return select(AdEntity).where(
            AdEntity.organization_id == organization_id, AdEntity.ad_account_id == ad_account_id
        )

    async def entity_by_id(self, organization_id: UUID, entity_id: UUID) -> AdEntity | None:
        query = select(AdEntity).where(AdEntity.organization_id == organization_id, AdEntity.id == entity_id)
        return (await self.session.execute(query)).scalar_one_or_none()

    async def entity_ids(
        self, organization_id: UUID, ad_account_id: UUID, platform_ids: Sequence[str]
    ) -> list[tuple[str, str, UUID]]:
        query = select(AdEntity.level, AdEntity.platform_id, AdEntity.id).where(
            AdEntity.organization_id == organization_id,
            AdEntity.ad_account_id == ad_account_id,
            AdEntity.platform_id.in_(list(platform_ids)),
        )
        return [
            (str(level), platform_id, entity_id) for level, platform_id, entity_id in await self.session.execute(query)
        ]

    async def upsert_entities(self, rows: Sequence[dict[str, Any]], now: datetime) -> dict[str, dict[str, int]]:
        """Insert new entities and update changed ones; returns {level: {"created": n, "updated": n, "removed": n}}.

        A row whose status is ``removed`` (the platform lists removed entities too) keeps the moment it was first
        seen removed in ``removed_at``; "removed" counts the known entities that became removed in this run.
        Unchanged rows are not written at all (the ``WHERE ... IS DISTINCT FROM``), so a sync of a quiet account
        writes nothing and its counts say so.
        """
        counts: dict[str, dict[str, int]] = {}
        for start in range(0, len(rows), _UPSERT_BATCH):
            batch = [
                {
                    **row,
                    "first_seen_at": now,
                    "updated_at": now,
                    "removed_at": now if row["status"] == REMOVED else None,
                }
                for row in rows[start : start + _UPSERT_BATCH]
            ]
            base = insert(AdEntity).values(batch)
            excluded = base.excluded
            changed = tuple_(*(getattr(AdEntity, name) for name in _TRACKED)).is_distinct_from(
                tuple_(*(getattr(excluded, name) for name in _TRACKED))
            )
            removed_now = excluded.status == REMOVED
            removal_changed = or_(
                and_(AdEntity.removed_at.is_(None), removed_now),
                and_(AdEntity.removed_at.is_not(None), excluded.status != REMOVED),
            )
            statement: ReturningInsert[str, bool, bool] = base.on_conflict_do_update(
                constraint="uq_ad_entities_account_level_platform_id",
                set_={
                    **{name: getattr(excluded, name) for name in _TRACKED},
                    "updated_at": now,
                    "removed_at": case((removed_now, func.coalesce(AdEntity.removed_at, now)), else_=None),
                },
                where=changed | removal_changed,
            ).returning(
                AdEntity.level,
                literal_column("xmax = 0", Boolean).label("created"),
                (AdEntity.removed_at == now).label("newly_removed"),
            )
            for level, created, newly_removed in (await self.session.execute(statement)).all():
                bucket = counts.setdefault(level, {"created": 0, "updated": 0, "removed": 0})
                bucket["created" if created else "removed" if newly_removed else "updated"] += 1
        return counts

    async def mark_missing_removed(
        self, organization_id: UUID, ad_account_id: UUID, seen: Sequence[tuple[str, str]], now: datetime
    ) -> dict[str, int]:
        """Entities of the account that the platform no longer lists were removed there: say so, keep the row."""
        result = await self.session.execute(
            _MARK_REMOVED,
            {
                "organization_id": organization_id,
                "ad_account_id": ad_account_id,
                "now": now,
                "levels": [level for level, _ in seen],
                "ids": [platform_id for _, platform_id in seen],
            },
        )
        removed: dict[str, int] = {}
        for (level,) in result.all():
            removed[level] = removed.get(level, 0) + 1
        return removed

    async def browse(
        self,
        organization_id: UUID,
        ad_account_id: UUID,
        level: str,
        *,
        parent_platform_id: str | None,
        include_removed: bool,
        name_contains: str | None,
        page: PageRequest[TextKey],
    ) -> KeysetPage[AdEntity, TextKey]:
        """One page of an account's entities at one level (under one parent), by name."""
        query = self.scoped_entities(organization_id, ad_account_id).where(AdEntity.level == level)
        if parent_platform_id is not None:
            query = query.where(AdEntity.parent_platform_id == parent_platform_id)
        if not include_removed:
            query = query.where(AdEntity.removed_at.is_(None))
        if name_contains:
            query = query.where(AdEntity.name.ilike(like_pattern(name_contains), escape="\\"))
        return await keyset_page(self.session, query, ENTITIES_BY_NAME, page)

    async def tree(
        self, organization_id: UUID, ad_account_id: UUID
    ) -> list[tuple[str, str, str, str | None, str, str]]:
        """Every entity of the account, removed ones included: (level, platform id, campaign platform id, parent
        platform id, name, status)."""
        query = select(
            AdEntity.level,
            AdEntity.platform_id,
            AdEntity.campaign_platform_id,
            AdEntity.parent_platform_id,
            AdEntity.name,
            AdEntity.status,
        ).where(AdEntity.organization_id == organization_id, AdEntity.ad_account_id == ad_account_id)
        result = await self.session.execute(query)
        return [
            (row.level, row.platform_id, row.campaign_platform_id, row.parent_platform_id, row.name, row.status)
            for row in result
        ]

    async def campaign_entities(
        self, organization_id: UUID, ad_account_id: UUID, campaign_platform_id: str
    ) -> Sequence[AdEntity]:
        """A campaign and its live ad groups and ads, as last synced (campaign first, then by level and name)."""
        level_order = case({"campaign": 0, "ad_group": 1, "ad": 2}, value=AdEntity.level)
        query = (
            select(AdEntity)
            .where(
                AdEntity.organization_id == organization_id,
                AdEntity.ad_account_id == ad_account_id,
                AdEntity.campaign_platform_id == campaign_platform_id,
                AdEntity.removed_at.is_(None),
            )
            .order_by(level_order, AdEntity.name, AdEntity.id)
        )
        return (await self.session.scalars(query)).all()

    async def entity_counts(
        self, organization_id: UUID, ad_account_ids: Sequence[UUID] | None = None
    ) -> dict[UUID, dict[str, int]]:
        """Live (not removed) entities per account and level (of the given accounts, or all)."""
        query = select(AdEntity.ad_account_id, AdEntity.level, func.count()).where(
            AdEntity.organization_id == organization_id, AdEntity.removed_at.is_(None)
        )
        if ad_account_ids is not None:
            query = query.where(AdEntity.ad_account_id.in_(ad_account_ids))
        query = query.group_by(AdEntity.ad_account_id, AdEntity.level)
        counts: dict[UUID, dict[str, int]] = {}
        for account_id, level, count in (await self.session.execute(query)).all():
            counts.setdefault(account_id, {})[level] = count
        return counts

    async def daily_budgets(self, organization_id: UUID) -> list[tuple[UUID, str, str, str, str, int | None]]:
        """(account, campaign id, name, status, currency, daily budget) of every live campaign: its own daily budget,
        else the sum of its active ad groups' daily budgets (budgets set on ad sets), else None."""
        statement = text(
            """
            SELECT c.ad_account_id, c.platform_id, c.name, c.status, c.currency,
                   COALESCE(c.daily_budget_micros,
                            (SELECT sum(g.daily_budget_micros) FROM ad_entities g
                              WHERE g.organization_id = c.organization_id AND g.ad_account_id = c.ad_account_id
                                AND g.level = 'ad_group' AND g.campaign_platform_id = c.platform_id
                                AND g.status = 'active' AND g.removed_at IS NULL)) AS daily_budget_micros
              FROM ad_entities c
             WHERE c.organization_id = :organization_id AND c.level = 'campaign' AND c.removed_at IS NULL
             ORDER BY c.ad_account_id, c.platform_id
            """
        )
        rows = await self.session.execute(statement, {"organization_id": organization_id})
        return [
            (row.ad_account_id, row.platform_id, row.name, row.status, row.currency, row.daily_budget_micros)
            for row in rows.all()
        ]

    # --- sync runs -----------------------------------------------------------------------------------------------

    async def add_run(self, run: SyncRun) -> SyncRun:
        self.session.add(run)
        await self.session.flush()
        return run

    async def get_run(self, organization_id: UUID, run_id: UUID, *, for_update: bool = False) -> SyncRun | None:
        query = select(SyncRun).where(SyncRun.organization_id == organization_id, SyncRun.id == run_id)
        if for_update:
            query = query.with_for_update()
        return (await self.session.scalars(query)).first()

    async def trim_runs(self, organization_id: UUID, ad_account_id: UUID, kind: str, keep: int) -> int:
        """Delete an account's finished runs beyond its newest ``keep``; the newest succeeded run always stays (it
        says when the account was last synced). Returns how many were deleted."""
        result = await self.session.execute(
            _TRIM_RUNS, {"organization_id": organization_id, "ad_account_id": ad_account_id, "kind": kind, "keep": keep}
        )
        return len(result.all())

    async def active_run(self, organization_id: UUID, ad_account_id: UUID, kind: str) -> SyncRun | None:
        query = select(SyncRun).where(
            SyncRun.organization_id == organization_id,
            SyncRun.ad_account_id == ad_account_id,
            SyncRun.kind == kind,
            SyncRun.status.in_(ACTIVE_STATUSES),
        )
        return (await self.session.scalars(query.order_by(SyncRun.queued_at.desc()).limit(1))).first()

    async def last_started(
        self, organization_id: UUID, ad_account_id: UUID, kind: str, *, mode: SyncMode | None = None
    ) -> datetime | None:
        """When the account's latest succeeded run of ``kind`` (of ``mode``, when given) started."""
        query = select(func.max(SyncRun.started_at)).where(
            SyncRun.organization_id == organization_id,
            SyncRun.ad_account_id == ad_account_id,
            SyncRun.kind == kind,
            SyncRun.status == RunStatus.succeeded,
        )
        if mode is not None:
            query = query.where(SyncRun.mode == mode)
        started: datetime | None = (await self.session.execute(query)).scalar_one()
        return started

    async def runs_page(
        self, organization_id: UUID, ad_account_id: UUID, page: PageRequest[TimeKey]
    ) -> KeysetPage[SyncRun, TimeKey]:
        query = select(SyncRun).where(
            SyncRun.organization_id == organization_id, SyncRun.ad_account_id == ad_account_id
        )
        return await keyset_page(self.session, query, RUNS_NEWEST_FIRST, page)

    async def latest_runs(
        self, organization_id: UUID, kind: str, ad_account_ids: Sequence[UUID] | None = None
    ) -> dict[UUID, SyncRun]:
        """The newest run of each account (DISTINCT ON over the sync-runs index)."""
        query = (
            select(SyncRun)
            .where(SyncRun.organization_id == organization_id, SyncRun.kind == kind)
            .where(SyncRun.ad_account_id.in_(ad_account_ids) if ad_account_ids is not None else true())
            .ext(distinct_on(SyncRun.ad_account_id))
            .order_by(SyncRun.ad_account_id, SyncRun.queued_at.desc())
        )
        return {run.ad_account_id: run for run in (await self.session.scalars(query)).all()}

    async def latest_success(
        self, organization_id: UUID, kind: str, ad_account_ids: Sequence[UUID] | None = None
    ) -> dict[UUID, datetime]:
        query = (
            select(SyncRun.ad_account_id, func.max(SyncRun.finished_at))
            .where(
                SyncRun.organization_id == organization_id, SyncRun.kind == kind, SyncRun.status == RunStatus.succeeded
            )
            .where(SyncRun.ad_account_id.in_(ad_account_ids) if ad_account_ids is not None else true())
            .group_by(SyncRun.ad_account_id)
        )
        return {account_id: at for account_id, at in (await self.session.execute(query)).all() if at is not None}

    async def due_accounts(self, interval_minutes: int) -> list[tuple[UUID, UUID]]:
        """(organization, ad account) pairs due for a scheduled sync, across every organization.

        The app role cannot read across tenants, so this goes through a SECURITY DEFINER function that returns ids
        only (migration 0007); each pair is then handled in its own tenant-scoped transaction.
        """
        result = await self.session.execute(
            text("SELECT organization_id, ad_account_id FROM adpilot_due_entity_syncs(:minutes)"),
            {"minutes": interval_minutes},
        )
        return [(org, account) for org, account in result.all()]


_TRIM_RUNS = text(
    """
    DELETE FROM sync_runs
     WHERE organization_id = :organization_id AND ad_account_id = :ad_account_id AND kind = :kind
       AND status IN ('succeeded', 'failed', 'deferred')
       AND id IN (
           SELECT id FROM sync_runs
            WHERE organization_id = :organization_id AND ad_account_id = :ad_account_id AND kind = :kind
            ORDER BY queued_at DESC, id DESC OFFSET :keep)
       AND id IS DISTINCT FROM (
           SELECT id FROM sync_runs
            WHERE organization_id = :organization_id AND ad_account_id = :ad_account_id AND kind = :kind
              AND status = 'succeeded'
            ORDER BY queued_at DESC, id DESC LIMIT 1)
    RETURNING id
    """
)
_MARK_REMOVED = text(
    """
    UPDATE ad_entities SET status = 'removed', removed_at = :now, updated_at = :now
     WHERE organization_id = :organization_id AND ad_account_id = :ad_account_id AND removed_at IS NULL
       AND (level, platform_id) NOT IN (
           SELECT l, p FROM unnest(CAST(:levels AS text[]), CAST(:ids AS text[])) AS seen(l, p))
    RETURNING level
    """
)
