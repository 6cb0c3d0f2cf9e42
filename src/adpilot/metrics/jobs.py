"""Background jobs of the metrics sync.

Job names keep the ``analytics.`` prefix of the module they were first registered by: queued and failed jobs store
their task's name in the database, so renaming would orphan jobs queued by the previous version.
"""

from __future__ import annotations

from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from adpilot.config import get_settings
from adpilot.jobs import Queue, job
from adpilot.metrics.service.sync import METRICS_SYNC_RUNS, SYNC_METRICS_JOB, metrics_sync_service


@job(SYNC_METRICS_JOB, queue=Queue.platform, max_attempts=METRICS_SYNC_RUNS.max_attempts, own_transactions=True)
async def sync_metrics(organization_id: UUID | None, *, run_id: str) -> None:
    """Pull one ad account's metrics for the run's days (and today's hours) into the metrics store."""
    if organization_id is None:
        raise ValueError("metrics syncs are always tenant-scoped")
    await metrics_sync_service.run_sync(organization_id, UUID(run_id))


@job("analytics.schedule_metric_syncs", queue=Queue.interactive, periodic_cron="* * * * *", max_attempts=1)
async def schedule_metric_syncs(session: AsyncSession, organization_id: UUID | None) -> None:
    """Every minute: queue each managed account's due metrics sync (backfill, history, daily 28-day re-read, recent
    days, today), within the platforms' daily quotas."""
    await metrics_sync_service.queue_due_syncs(session, get_settings().metrics_sync_interval_minutes)
