"""Background jobs of the connections module: credentials are refreshed ahead of expiry, and a new connection's ad
accounts are listed."""

from __future__ import annotations

from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from adpilot.connections.service import (
    DISCOVER_ACCOUNTS_JOB,
    REFRESH_CONNECTION_JOB,
    account_service,
    credential_service,
)
from adpilot.jobs import Queue, job


@job("connections.refresh_credentials", periodic_cron="*/5 * * * *", max_attempts=1)
async def refresh_credentials(session: AsyncSession, organization_id: UUID | None) -> None:
    """Every 5 minutes: queue a refresh of each connection whose credentials expire within the margin."""
    await credential_service.queue_due_refreshes(session)


@job(REFRESH_CONNECTION_JOB, queue=Queue.platform, max_attempts=3)
async def refresh_connection(session: AsyncSession, organization_id: UUID | None, connection_id: str) -> None:
    """Refresh one connection's credentials (Google refresh grant, Meta long-lived exchange, TikTok rotation)."""
    if organization_id is not None:
        await credential_service.refresh_connection(session, organization_id, UUID(connection_id))


@job(DISCOVER_ACCOUNTS_JOB, queue=Queue.platform, max_attempts=1, own_transactions=True)
async def discover_accounts(
    organization_id: UUID | None, connection_id: str, attempt: int = 1, refresh: bool = False
) -> None:
    """List a new (or reconnected) connection's ad accounts, walking Google's manager hierarchies; its progress is
    kept on the connection. Waits and retries queue the job again rather than failing it."""
    if organization_id is not None:
        await account_service.discover_accounts(organization_id, UUID(connection_id), attempt, refresh=refresh)
