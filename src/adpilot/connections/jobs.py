"""Background jobs of the connections module: credentials are refreshed ahead of expiry."""

from __future__ import annotations

from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from adpilot.connections.service import REFRESH_CONNECTION_JOB, connection_service
from adpilot.jobs import Queue, job


@job("connections.refresh_credentials", periodic_cron="*/5 * * * *", max_attempts=1)
async def refresh_credentials(session: AsyncSession, organization_id: UUID | None) -> None:
    """Every 5 minutes: queue a refresh of each connection whose credentials expire within the margin."""
    await connection_service.queue_due_refreshes(session)


@job(REFRESH_CONNECTION_JOB, queue=Queue.platform, max_attempts=3)
async def refresh_connection(session: AsyncSession, organization_id: UUID | None, connection_id: str) -> None:
    """Refresh one connection's credentials (Google refresh grant, Meta long-lived exchange, TikTok rotation)."""
    if organization_id is not None:
        await connection_service.refresh_connection(session, organization_id, UUID(connection_id))
