"""Rate limiters: every request to a platform first takes a slot, so that no documented limit is ever exceeded.

The limiter is a scheduler, not a counter: ``acquire`` reserves the next free slot of a key (the generic cell rate
algorithm) and sleeps until it comes. With ``max_wait`` it sleeps only that long at most: a slot further away is not
reserved, and ``RateLimiterWait`` says when one is expected, so that a job can be scheduled for then instead of
holding a worker slot while it sleeps. Reservations are atomic, so callers in any number of processes share one
schedule when the state lives in PostgreSQL (``PostgresRateLimiter``, the one the product uses); the in-memory
limiter is for a single process (unit tests, the standalone benchmark baseline).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Protocol

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from adpilot.platforms.config import Rate
from adpilot.platforms.errors import RateLimiterWait

Sleep = Callable[[float], Awaitable[None]]


class RateLimiter(Protocol):
    async def acquire(self, key: str, rate: Rate, *, max_wait: float | None = None) -> None:
        """Wait for the next free slot of ``key`` at ``rate`` (and until any block on it has passed).

        With ``max_wait``: raise ``RateLimiterWait`` (reserving nothing) when that slot is further away.
        """
        ...

    async def block(self, key: str, seconds: float) -> None:
        """The platform asked to stop: nobody calls ``key`` for ``seconds``."""
        ...


class MemoryRateLimiter:
    """Process-local limiter (tests and single-process tools)."""

    def __init__(self, *, sleep: Sleep = asyncio.sleep, clock: Callable[[], float] = time.monotonic) -> None:
        self._next_at: dict[str, float] = {}
        self._blocked_until: dict[str, float] = {}
        self._sleep = sleep
        self._clock = clock

    async def acquire(self, key: str, rate: Rate, *, max_wait: float | None = None) -> None:
        now = self._clock()
        start = max(self._next_at.get(key, now), now, self._blocked_until.get(key, now))
        # A burst of ``rate.burst`` may go at once: the slot is that many intervals before the arrival time.
        wait = start + rate.interval - rate.burst * rate.interval - now
        if max_wait is not None and wait > max_wait:
            raise RateLimiterWait(key, wait)
        self._next_at[key] = start + rate.interval
        if wait > 0:
            await self._sleep(wait)
            # A block that arrived while this caller slept (another request was refused) still applies to it.
            blocked = self._blocked_until.get(key, 0.0) - self._clock()
            if blocked > 0:
                _within(key, blocked, max_wait)
                await self._sleep(blocked)

    async def block(self, key: str, seconds: float) -> None:
        until = self._clock() + seconds
        self._blocked_until[key] = max(self._blocked_until.get(key, until), until)


_ACQUIRE = text(
    """
    INSERT INTO platform_rate_limits AS l (key, next_at)
    VALUES (:key, clock_timestamp() + make_interval(secs => :interval))
    ON CONFLICT (key) DO UPDATE SET next_at =
        GREATEST(l.next_at, clock_timestamp(), COALESCE(l.blocked_until, '-infinity'))
        + make_interval(secs => :interval)
    RETURNING EXTRACT(EPOCH FROM (next_at - make_interval(secs => :burst_span) - clock_timestamp()))::float8
    """
)
# The same reservation, made only when its slot comes within :max_wait seconds (no row returned otherwise).
_ACQUIRE_WITHIN = text(
    """
    INSERT INTO platform_rate_limits AS l (key, next_at)
    VALUES (:key, clock_timestamp() + make_interval(secs => :interval))
    ON CONFLICT (key) DO UPDATE SET next_at =
        GREATEST(l.next_at, clock_timestamp(), COALESCE(l.blocked_until, '-infinity'))
        + make_interval(secs => :interval)
    WHERE GREATEST(l.next_at, clock_timestamp(), COALESCE(l.blocked_until, '-infinity'))
        + make_interval(secs => :interval) - make_interval(secs => :burst_span)
        <= clock_timestamp() + make_interval(secs => :max_wait)
    RETURNING EXTRACT(EPOCH FROM (next_at - make_interval(secs => :burst_span) - clock_timestamp()))::float8
    """
)
# How far away the next slot of a key is (without reserving it).
_NEXT_SLOT_IN = text(
    """
    SELECT EXTRACT(EPOCH FROM (GREATEST(next_at, clock_timestamp(), COALESCE(blocked_until, '-infinity'))
        + make_interval(secs => :interval) - make_interval(secs => :burst_span) - clock_timestamp()))::float8
    FROM platform_rate_limits WHERE key = :key
    """
)
_BLOCKED_FOR = text(
    "SELECT EXTRACT(EPOCH FROM (blocked_until - clock_timestamp()))::float8 FROM platform_rate_limits WHERE key = :key"
)
_BLOCK = text(
    """
    INSERT INTO platform_rate_limits AS l (key, next_at, blocked_until)
    VALUES (:key, clock_timestamp(), clock_timestamp() + make_interval(secs => :seconds))
    ON CONFLICT (key) DO UPDATE SET blocked_until =
        GREATEST(COALESCE(l.blocked_until, '-infinity'), clock_timestamp() + make_interval(secs => :seconds))
    """
)


class PostgresRateLimiter:
    """The limiter shared by every process: one row per key, reserved with a single atomic upsert.

    Each call commits on its own connection at once (outside any caller's transaction), so another process sees the
    reservation immediately and a rolled-back job does not give its slot back (it was used: the request was sent).
    """

    def __init__(self, engine: AsyncEngine, *, sleep: Sleep = asyncio.sleep) -> None:
        self._engine = engine
        self._sleep = sleep

    async def acquire(self, key: str, rate: Rate, *, max_wait: float | None = None) -> None:
        parameters = {"key": key, "interval": rate.interval, "burst_span": rate.burst * rate.interval}
        async with self._engine.connect() as connection:
            if max_wait is None:
                wait = (await connection.execute(_ACQUIRE, parameters)).scalar_one()
            else:
                reserved = (
                    await connection.execute(_ACQUIRE_WITHIN, {**parameters, "max_wait": max_wait})
                ).scalar_one_or_none()
                if reserved is None:
                    later = (await connection.execute(_NEXT_SLOT_IN, parameters)).scalar_one_or_none()
                    await connection.commit()
                    raise RateLimiterWait(key, max(later or 0.0, max_wait))
                wait = reserved
            await connection.commit()
        if wait <= 0:
            return
        await self._sleep(wait)
        # A block that arrived while this caller slept (another process's request was refused) still applies to
        # it: its slot was reserved before the block moved the schedule.
        async with self._engine.connect() as connection:
            blocked = (await connection.execute(_BLOCKED_FOR, {"key": key})).scalar_one_or_none()
            await connection.commit()
        if blocked is not None and blocked > 0:
            _within(key, blocked, max_wait)
            await self._sleep(blocked)

    async def block(self, key: str, seconds: float) -> None:
        async with self._engine.connect() as connection:
            await connection.execute(_BLOCK, {"key": key, "seconds": seconds})
            await connection.commit()


def _within(key: str, wait: float, max_wait: float | None) -> None:
    if max_wait is not None and wait > max_wait:
        raise RateLimiterWait(key, wait)
