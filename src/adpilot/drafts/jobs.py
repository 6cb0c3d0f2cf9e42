"""Background jobs of drafts: publishing each target of a draft, and removing what a failed publication created."""

from __future__ import annotations

from uuid import UUID

from adpilot.drafts.publishing import DISCARD_TARGET_JOB, PUBLISH_RUNS, PUBLISH_TARGET_JOB, publishing_service
from adpilot.jobs import Queue, job


@job(PUBLISH_TARGET_JOB, queue=Queue.platform, max_attempts=PUBLISH_RUNS.max_attempts, own_transactions=True)
async def publish_target(organization_id: UUID | None, *, publication_id: str) -> None:
    """Create one target's campaign, ad groups and ads on its platform, continuing from what exists."""
    if organization_id is None:
        raise ValueError("publications are always tenant-scoped")
    await publishing_service.publish_target(organization_id, UUID(publication_id))


@job(DISCARD_TARGET_JOB, queue=Queue.platform, max_attempts=PUBLISH_RUNS.max_attempts, own_transactions=True)
async def discard_target(organization_id: UUID | None, *, publication_id: str) -> None:
    """Remove the campaign one target created (with its ad groups and ads)."""
    if organization_id is None:
        raise ValueError("publications are always tenant-scoped")
    await publishing_service.discard_target(organization_id, UUID(publication_id))
