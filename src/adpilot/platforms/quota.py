"""Platform operations as the platforms meter them per day, counted per platform and hour for the quota meter.

Google Ads counts operations per developer over a sliding 24 hours (15,000 at Basic access); Meta and TikTok meter
API calls. Every request the adapters send that reaches the platform is one (a Google mutate of several operations
is counted as one request here). The counts are not tenant data: the quota belongs to the installation's app.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from adpilot.core.logging import get_logger
from adpilot.core.time import utcnow

log = get_logger(__name__)

_RECORD = text(
    "INSERT INTO platform_operations (platform, hour, operations) VALUES (:platform, :hour, :count) "
    "ON CONFLICT (platform, hour) DO UPDATE SET operations = platform_operations.operations + EXCLUDED.operations"
)


class OperationMeter(Protocol):
    async def record(self, platform: str, operations: int = 1) -> None: ...


class PostgresOperationMeter:
    """Counts on its own connection, committed at once (a rolled-back job's requests were still sent)."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def record(self, platform: str, operations: int = 1) -> None:
        hour = _hour(utcnow())
        try:
            async with self._engine.connect() as connection:
                await connection.execute(_RECORD, {"platform": platform, "hour": hour, "count": operations})
                await connection.commit()
        except Exception as exc:  # noqa: BLE001 - the meter must never fail a platform call
            log.warning("platform_operations.not_counted", platform=platform, error=type(exc).__name__)


def _hour(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0)
