"""SQL of metrics sync runs."""

from __future__ import annotations

from uuid import UUID

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from adpilot.core.keyset import Keyset, keyset_page
from adpilot.core.pagination import KeysetPage, PageRequest, TimeKey
from adpilot.core.runs import ACTIVE_STATUSES, RunStatus
from adpilot.metrics.models import MetricSyncRun

RUNS_NEWEST_FIRST = Keyset((MetricSyncRun.queued_at, MetricSyncRun.id), descending=True)


class SyncRunRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, run: MetricSyncRun) -> MetricSyncRun:
        self.session.add(run)
        await self.session.flush()
        return run

    async def get(self, organization_id: UUID, run_id: UUID, *, for_update: bool = False) -> MetricSyncRun | None:
        query = select(MetricSyncRun).where(
            MetricSyncRun.organization_id == organization_id, MetricSyncRun.id == run_id
        )
        if for_update:
            query = query.with_for_update()
        return (await self.session.scalars(query)).first()

    async def active(self, organization_id: UUID, ad_account_id: UUID) -> MetricSyncRun | None:
        query = (
            select(MetricSyncRun)
            .where(
                MetricSyncRun.organization_id == organization_id,
                MetricSyncRun.ad_account_id == ad_account_id,
                MetricSyncRun.status.in_(ACTIVE_STATUSES),
            )
            .order_by(MetricSyncRun.queued_at.desc())
            .limit(1)
        )
        return (await self.session.scalars(query)).first()

    async def has_succeeded(self, organization_id: UUID, ad_account_id: UUID, scope: str) -> bool:
        query = (
            select(MetricSyncRun.id)
            .where(
                MetricSyncRun.organization_id == organization_id,
                MetricSyncRun.ad_account_id == ad_account_id,
                MetricSyncRun.scope == scope,
                MetricSyncRun.status == RunStatus.succeeded,
            )
            .limit(1)
        )
        return (await self.session.scalars(query)).first() is not None

    async def trim(self, organization_id: UUID, ad_account_id: UUID, keep: int) -> int:
        """Delete an account's finished runs beyond its newest ``keep``. The newest run of each scope and outcome
        always stays (by queue time and by finish time), and no queued or running one goes: the scheduler
        (``adpilot_due_metric_syncs``) and the freshness of each account only ever ask whether such a run exists,
        or for the newest one, so trimming never changes what is due or what is shown. Returns how many were
        deleted."""
        result = await self.session.execute(
            _TRIM_RUNS, {"organization_id": organization_id, "ad_account_id": ad_account_id, "keep": keep}
        )
        return len(result.all())

    async def page(
        self, organization_id: UUID, ad_account_id: UUID, page: PageRequest[TimeKey]
    ) -> KeysetPage[MetricSyncRun, TimeKey]:
        """The account's runs, newest first."""
        query = select(MetricSyncRun).where(
            MetricSyncRun.organization_id == organization_id, MetricSyncRun.ad_account_id == ad_account_id
        )
        return await keyset_page(self.session, query, RUNS_NEWEST_FIRST, page)

    async def due(self, interval_minutes: int, recent_minutes: int, history: bool) -> list[tuple[UUID, UUID, str]]:
        """(organization, ad account, scope) due for a scheduled metrics sync, across every organization.

        Goes through the SECURITY DEFINER function of migration 0010, which returns ids only; each is then queued
        in its own tenant-scoped transaction.
        """
        result = await self.session.execute(
            text(
                "SELECT organization_id, ad_account_id, scope "
                "FROM adpilot_due_metric_syncs(:minutes, :recent_minutes, :history)"
            ),
            {"minutes": interval_minutes, "recent_minutes": recent_minutes, "history": history},
        )
        return [(org, account, scope) for org, account, scope in result.all()]


_TRIM_RUNS = text(
    """
    DELETE FROM metric_sync_runs
     WHERE organization_id = :organization_id AND ad_account_id = :ad_account_id
       AND status IN ('succeeded', 'failed', 'deferred')
       AND id IN (
           SELECT id FROM metric_sync_runs
            WHERE organization_id = :organization_id AND ad_account_id = :ad_account_id
            ORDER BY queued_at DESC, id DESC OFFSET :keep)
       AND id NOT IN (
           SELECT DISTINCT ON (scope, status) id FROM metric_sync_runs
            WHERE organization_id = :organization_id AND ad_account_id = :ad_account_id
            ORDER BY scope, status, queued_at DESC, id DESC)
       AND id NOT IN (
           SELECT DISTINCT ON (scope, status) id FROM metric_sync_runs
            WHERE organization_id = :organization_id AND ad_account_id = :ad_account_id AND finished_at IS NOT NULL
            ORDER BY scope, status, finished_at DESC, id DESC)
    RETURNING id
    """
)
