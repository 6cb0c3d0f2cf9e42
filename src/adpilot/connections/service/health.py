"""A connection's health: what a call with its credentials ran into, written on the connection's row.

Transient failures count, and the third in a row marks a connection degraded; an access the platform no longer
accepts (and no refresh fixed) means a person must reconnect it, which is audited and shown as a notice. A call that
worked makes a degraded connection healthy again; only a reconnect clears "needs reconnect".
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from adpilot.audit import Actor, audit_service
from adpilot.connections.models import PlatformConnection
from adpilot.connections.repository import ConnectionRepository
from adpilot.connections.service.common import PLATFORM_TITLES, ConnectionHealth, FailureOutcome
from adpilot.core.logging import get_logger
from adpilot.core.time import utcnow
from adpilot.platforms.errors import PlatformAuthError, PlatformError, PlatformRejected, RateLimiterWait
from adpilot.platforms.types import Platform

log = get_logger("adpilot.connections.service")

# Transient failures in a row before a connection is shown as degraded.
DEGRADED_AFTER_FAILURES = 3


def set_health(connection: PlatformConnection, health: ConnectionHealth, reason: str | None, now: datetime) -> None:
    if connection.health != health:
        connection.health_changed_at = now
    connection.health = health
    connection.health_reason = reason


async def record_success(session: AsyncSession, organization_id: UUID, connection_id: UUID) -> None:
    """A call with the connection's credentials worked: a degraded connection is healthy again (one conditional
    statement: the common case, already healthy, writes nothing)."""
    if await ConnectionRepository(session).mark_healthy(organization_id, connection_id, utcnow()):
        log.info("connection.healthy", organization_id=str(organization_id), connection_id=str(connection_id))


async def apply_failure(
    session: AsyncSession, connection: PlatformConnection, error: PlatformError, actor: Actor
) -> FailureOutcome:
    """Write what ``error`` means for a (locked) connection's health, and say what the caller should do next."""
    now = utcnow()
    title = PLATFORM_TITLES[Platform(connection.platform)]
    if isinstance(error, PlatformRejected):
        return FailureOutcome.rejected
    if isinstance(error, RateLimiterWait):
        return FailureOutcome.retry_later  # our own limiter said "later": nothing was sent, nothing failed
    if isinstance(error, PlatformAuthError):
        if connection.health != ConnectionHealth.needs_reconnect:
            reason = f"{title} no longer accepts this connection's access: {error.detail}"[:1000]
            previous = connection.health
            set_health(connection, ConnectionHealth.needs_reconnect, reason, now)
            await session.flush()
            await audit_service.record(
                session,
                connection.organization_id,
                actor,
                "connection.needs_reconnect",
                target_type="connection",
                target_id=connection.id,
                before={"health": previous},
                after={"health": ConnectionHealth.needs_reconnect, "reason": reason},
            )
            log.warning(
                "connection.needs_reconnect",
                organization_id=str(connection.organization_id),
                connection_id=str(connection.id),
                platform=connection.platform,
                error=type(error).__name__,
            )
        return FailureOutcome.reconnect
    connection.consecutive_failures += 1
    if connection.consecutive_failures >= DEGRADED_AFTER_FAILURES and connection.health == ConnectionHealth.ok:
        reason = f"{title} failed {connection.consecutive_failures} times in a row: {error.detail}"[:1000]
        set_health(connection, ConnectionHealth.degraded, reason, now)
        log.warning(
            "connection.degraded",
            organization_id=str(connection.organization_id),
            connection_id=str(connection.id),
            platform=connection.platform,
        )
    await session.flush()
    return FailureOutcome.retry_later
