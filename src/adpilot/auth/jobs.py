"""Background jobs of the auth module."""

from __future__ import annotations

from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from adpilot.auth.service import auth_service
from adpilot.jobs import job


@job("auth.purge_expired", periodic_cron="17 * * * *")
async def purge_expired(session: AsyncSession, organization_id: UUID | None) -> None:
    """Hourly: delete old log-in failures, used or expired email tokens and long-expired sessions."""
    await auth_service.purge_expired(session)
