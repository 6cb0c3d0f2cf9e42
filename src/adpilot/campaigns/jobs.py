"""Background jobs of the campaigns module."""

from __future__ import annotations

from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from adpilot.campaigns.schemas import SyncTrigger
from adpilot.campaigns.service import ENTITY_SYNC_RUNS, SYNC_ENTITIES_JOB, entity_sync_service
from adpilot.config import get_settings
from adpilot.jobs import Queue, job


@job(SYNC_ENTITIES_JOB, queue=Queue.platform, max_attempts=ENTITY_SYNC_RUNS.max_attempts, own_transactions=True)
async def sync_entities(
    organization_id: UUID | None,
    *,
    run_id: str | None = None,
    ad_account_id: str | None = None,
    trigger: str = SyncTrigger.schedule.value,
) -> None:
    """Pull one ad account's campaign tree from its platform into ad_entities (a queued run, or the account's)."""
    if organization_id is None:
        raise ValueError("entity syncs are always tenant-scoped")
    await entity_sync_service.run_sync(
        organization_id,
        UUID(run_id) if run_id else None,
        ad_account_id=UUID(ad_account_id) if ad_account_id else None,
        trigger=SyncTrigger(trigger),
    )


@job("campaigns.schedule_entity_syncs", queue=Queue.interactive, periodic_cron="* * * * *", max_attempts=1)
async def schedule_entity_syncs(session: AsyncSession, organization_id: UUID | None) -> None:
    """Every minute: queue a sync for each managed account not synced within the configured interval."""
    await entity_sync_service.queue_due_syncs(session, get_settings().entity_sync_interval_minutes)
