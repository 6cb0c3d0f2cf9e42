"""Background jobs of the change pipeline."""

from __future__ import annotations

from uuid import UUID

from adpilot.changes.applying import apply_change as apply
from adpilot.changes.applying import apply_change_group
from adpilot.changes.service import APPLY_CHANGE_JOB, APPLY_CHANGES_JOB, CHANGE_RUNS, change_service
from adpilot.db import tenant_transaction
from adpilot.jobs import Queue, job


@job(APPLY_CHANGE_JOB, queue=Queue.platform, max_attempts=CHANGE_RUNS.max_attempts, own_transactions=True)
async def apply_change(organization_id: UUID | None, *, change_id: str) -> None:
    """Apply one queued change to its platform and verify it by reading the entity back."""
    if organization_id is None:
        raise ValueError("changes are always tenant-scoped")
    await apply(organization_id, UUID(change_id))


@job(APPLY_CHANGES_JOB, queue=Queue.platform, max_attempts=CHANGE_RUNS.max_attempts, own_transactions=True)
async def apply_changes(organization_id: UUID | None, *, batch_id: str, ad_account_id: str) -> None:
    """Apply a batch's queued changes on one ad account, reading and reading back their entities at once."""
    if organization_id is None:
        raise ValueError("changes are always tenant-scoped")
    await apply_change_group(organization_id, UUID(batch_id), UUID(ad_account_id))


@job("changes.expire_pending", periodic_cron="11 * * * *", max_attempts=1, own_transactions=True)
async def expire_pending(organization_id: UUID | None) -> None:
    """Every hour: changes waiting for approval longer than PENDING_APPROVAL_EXPIRES_AFTER expire, one organization
    per transaction."""
    async with tenant_transaction(None) as session:
        organizations = await change_service.organizations_with_expiring_changes(session)
    for organization in organizations:
        async with tenant_transaction(organization) as session:
            await change_service.expire_pending(session, organization)
