"""The shared request pipeline and the rate limiters: retries, the platform's requested waits, shared limits."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest

from adpilot.db import Database
from adpilot.platforms.config import Rate
from adpilot.platforms.errors import (
    PlatformAuthError,
    PlatformError,
    PlatformRateLimited,
    PlatformRejected,
    PlatformUnavailable,
    RateLimiterWait,
)
from adpilot.platforms.http import Limit, PlatformHttp, RetryPolicy
from adpilot.platforms.ratelimit import MemoryRateLimiter, PostgresRateLimiter


class FakeTime:
    """A clock that only moves when someone sleeps, so waits are exact and instant."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def scripted(*statuses: int) -> tuple[httpx.AsyncClient, list[int]]:
    """A client whose responses follow ``statuses``; the list of statuses served is returned for assertions."""
    served: list[int] = []
    queue = list(statuses)

    def handler(request: httpx.Request) -> httpx.Response:
        status = queue.pop(0) if queue else 200
        served.append(status)
        return httpx.Response(status, json={"status": status})

    return httpx.AsyncClient(transport=httpx.MockTransport(handler)), served


def classify(response: httpx.Response) -> PlatformError | None:
    if response.status_code == 200:
        return None
    if response.status_code == 429:
        return PlatformRateLimited("throttled", retry_after=7.0)
    if response.status_code == 401:
        return PlatformAuthError("expired")
    if response.status_code == 400:
        return PlatformRejected("bad", field_errors={"name": "required"})
    return PlatformUnavailable("try later")


def pipeline(client: httpx.AsyncClient, fake: FakeTime, **retry: float) -> PlatformHttp:
    limiter = MemoryRateLimiter(sleep=fake.sleep, clock=fake.clock)
    return PlatformHttp(limiter=limiter, client=client, retry=RetryPolicy(**retry), sleep=fake.sleep)  # type: ignore[arg-type]


LIMITS = [Limit("test:app", Rate(100), "app"), Limit("test:account:1", Rate(10), "account")]


async def test_transient_failures_are_retried_with_backoff() -> None:
    fake = FakeTime()
    client, served = scripted(503, 500, 200)
    response = await pipeline(client, fake).request("GET", "https://x.test/a", limits=LIMITS, classify=classify)
    assert response.status_code == 200
    assert served == [503, 500, 200]
    backoffs = [s for s in fake.sleeps if s > 0.1]
    assert all(s <= 30 for s in backoffs)


async def test_transient_failures_give_up_after_max_attempts() -> None:
    fake = FakeTime()
    client, served = scripted(*([503] * 10))
    with pytest.raises(PlatformUnavailable):
        await pipeline(client, fake, max_attempts=3).request(
            "GET", "https://x.test/a", limits=LIMITS, classify=classify
        )
    assert served == [503, 503, 503]


async def test_rate_limited_waits_what_the_platform_asked_for() -> None:
    fake = FakeTime()
    client, served = scripted(429, 200)
    await pipeline(client, fake).request("GET", "https://x.test/a", limits=LIMITS, classify=classify)
    assert served == [429, 200]
    # The retry waited the 7 s the platform asked for (via the blocked limiter key), not an arbitrary backoff.
    assert fake.now >= 7.0


async def test_rate_limited_longer_than_max_wait_is_raised_for_rescheduling() -> None:
    fake = FakeTime()
    client, served = scripted(429, 200)
    with pytest.raises(PlatformRateLimited) as raised:
        await pipeline(client, fake, max_wait=5).request("GET", "https://x.test/a", limits=LIMITS, classify=classify)
    assert raised.value.retry_after == 7.0
    assert served == [429]


@pytest.mark.parametrize(("status", "error"), [(401, PlatformAuthError), (400, PlatformRejected)])
async def test_auth_and_rejections_are_not_retried(status: int, error: type[PlatformError]) -> None:
    fake = FakeTime()
    client, served = scripted(status, 200)
    with pytest.raises(error):
        await pipeline(client, fake).request("GET", "https://x.test/a", limits=LIMITS, classify=classify)
    assert served == [status]


async def test_connection_errors_become_unavailable_and_are_retried() -> None:
    fake = FakeTime()
    calls = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise httpx.ConnectError("refused", request=request)
        return httpx.Response(200)

    client = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    response = await pipeline(client, fake).request("GET", "https://x.test/a", limits=LIMITS, classify=classify)
    assert response.status_code == 200
    assert calls == 2


async def test_memory_limiter_spaces_requests_at_the_rate() -> None:
    fake = FakeTime()
    limiter = MemoryRateLimiter(sleep=fake.sleep, clock=fake.clock)
    for _ in range(11):
        await limiter.acquire("k", Rate(10))
    # 11 requests at 10/s: the 11th starts a full second after the first.
    assert fake.now == pytest.approx(1.0)


async def test_memory_limiter_block_delays_the_next_slot() -> None:
    fake = FakeTime()
    limiter = MemoryRateLimiter(sleep=fake.sleep, clock=fake.clock)
    await limiter.block("k", 30)
    await limiter.acquire("k", Rate(10))
    assert fake.now == pytest.approx(30.0)


async def test_postgres_limiter_is_shared_and_never_exceeds_the_rate(database: Database) -> None:
    """Two limiters (as two processes would have) on one key: together they keep to the rate."""
    first, second = PostgresRateLimiter(database.engine), PostgresRateLimiter(database.engine)
    rate = Rate(20)  # 50 ms apart
    stamps: list[float] = []

    async def take(limiter: PostgresRateLimiter) -> None:
        await limiter.acquire("test:shared", rate)
        stamps.append(time.monotonic())

    await asyncio.gather(*(take(first if i % 2 else second) for i in range(21)))
    stamps.sort()
    # 21 slots at 20/s span at least one second (allowing a little scheduler jitter).
    assert stamps[-1] - stamps[0] >= 0.95


async def test_postgres_limiter_block_is_seen_by_every_process(database: Database) -> None:
    first, second = PostgresRateLimiter(database.engine), PostgresRateLimiter(database.engine)
    await first.block("test:blocked", 0.5)
    started = time.monotonic()
    await second.acquire("test:blocked", Rate(1000))
    assert time.monotonic() - started >= 0.45


async def test_a_block_that_arrives_while_a_caller_waits_still_applies() -> None:
    fake = FakeTime()
    limiter = MemoryRateLimiter(sleep=fake.sleep, clock=fake.clock)
    await limiter.acquire("k", Rate(1))  # the first slot, at 0 s

    async def refused_meanwhile(seconds: float) -> None:
        await FakeTime.sleep(fake, seconds)
        await limiter.block("k", 10)  # while the second caller slept to its slot, a request was refused

    limiter._sleep = refused_meanwhile
    await limiter.acquire("k", Rate(1))
    assert fake.now >= 11.0


async def test_postgres_limiter_rechecks_a_block_after_waiting_for_its_slot(database: Database) -> None:
    first, second = PostgresRateLimiter(database.engine), PostgresRateLimiter(database.engine)
    await first.acquire("test:late-block", Rate(5))  # the next slot is 0.2 s away
    waiting = asyncio.create_task(second.acquire("test:late-block", Rate(5)))
    await asyncio.sleep(0.05)
    await first.block("test:late-block", 0.6)  # arrives after the second caller reserved its slot
    started = time.monotonic()
    await waiting
    assert time.monotonic() - started >= 0.5


async def test_a_slot_further_than_max_wait_is_not_slept_for_nor_reserved() -> None:
    fake = FakeTime()
    limiter = MemoryRateLimiter(sleep=fake.sleep, clock=fake.clock)
    await limiter.acquire("k", Rate(1, per_seconds=30))  # the next slot is 30 s away
    with pytest.raises(RateLimiterWait) as raised:
        await limiter.acquire("k", Rate(1, per_seconds=30), max_wait=10)
    assert raised.value.retry_after == pytest.approx(30.0)
    assert fake.sleeps == []
    # Nothing was reserved: whoever may wait takes the very next slot, not one after it.
    await limiter.acquire("k", Rate(1, per_seconds=30))
    assert fake.now == pytest.approx(30.0)


async def test_postgres_limiter_says_when_instead_of_sleeping(database: Database) -> None:
    fake = FakeTime()
    limiter = PostgresRateLimiter(database.engine, sleep=fake.sleep)
    await limiter.acquire("test:max-wait", Rate(1, per_seconds=60))
    with pytest.raises(RateLimiterWait) as raised:
        await limiter.acquire("test:max-wait", Rate(1, per_seconds=60), max_wait=5)
    assert 55 < (raised.value.retry_after or 0) <= 60
    assert fake.sleeps == []
    await limiter.acquire("test:max-wait", Rate(1, per_seconds=60))
    assert 55 < fake.sleeps[0] <= 60  # the slot the refused caller did not take
    # A block (a platform's "stop for two minutes") is not slept out either.
    await limiter.block("test:blocked-long", 120)
    with pytest.raises(RateLimiterWait) as raised:
        await limiter.acquire("test:blocked-long", Rate(10), max_wait=5)
    assert 115 < (raised.value.retry_after or 0) <= 121
    # A slot within max_wait is waited for, as before.
    await limiter.acquire("test:short", Rate(1, per_seconds=2))
    await limiter.acquire("test:short", Rate(1, per_seconds=2), max_wait=5)
    assert 1.5 < fake.sleeps[-1] <= 2


async def test_a_throttled_request_with_a_long_wait_is_raised_for_rescheduling_not_slept() -> None:
    fake = FakeTime()
    client, served = scripted(429, 200)  # the platform asks for 7 s
    http = pipeline(client, fake, max_limiter_wait=5)
    with pytest.raises(RateLimiterWait) as raised:
        await http.request("GET", "https://platform.test/x", limits=LIMITS, classify=classify)
    assert raised.value.scope == "account"
    assert raised.value.retry_after == pytest.approx(7.0, abs=0.2)
    assert served == [429]
    assert sum(fake.sleeps) < 1
