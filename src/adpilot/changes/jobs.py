"""Background jobs of the change pipeline."""

from __future__ import annotations

from uuid import UUID

from adpilot.changes.applying import apply_change as apply
from adpilot.changes.service import APPLY_CHANGE_JOB, CHANGE_RUNS
from adpilot.jobs import Queue, job


@job(APPLY_CHANGE_JOB, queue=Queue.platform, max_attempts=CHANGE_RUNS.max_attempts, own_transactions=True)
async def apply_change(organization_id: UUID | None, *, change_id: str) -> None:
    """Apply one queued change to its platform and verify it by reading the entity back."""
    if organization_id is None:
        raise ValueError("changes are always tenant-scoped")
    await apply(organization_id, UUID(change_id))
