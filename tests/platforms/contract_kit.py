"""What the adapter contract suites (Google, Meta, TikTok) share: a fake clock, the backend a suite runs against and
what an emulator-backed backend reads from the sandbox world, the shared sandbox server's state with a platform's
emulator rate lifted, and the wiring of an adapter's HTTP pipeline on fake time.

Each suite keeps what is its platform's own: the recorded answers, its wire log (what a request means differs per
API), the adapter's config and the consent round trip.
"""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import Any

import httpx
from fastapi import FastAPI
from starlette.types import ASGIApp

from adpilot.platforms.http import PlatformHttp
from adpilot.platforms.port import AdPlatformAdapter
from adpilot.platforms.ratelimit import MemoryRateLimiter
from adpilot.platforms.types import (
    AdAccountRef,
    Credentials,
    DailyMetricsRow,
    EntityLevel,
    EntityRef,
    EntityStatus,
    HourlyMetricsRow,
    Platform,
)
from adpilot.sandbox.clock import SandboxClock
from adpilot.sandbox.faults import Fault, FaultKind
from adpilot.sandbox.state import SandboxConfig, SandboxState
from tests.sandbox_fixtures import SandboxServer

__all__ = [
    "ContractBackend",
    "FakeTime",
    "HourRow",
    "Placement",
    "Row",
    "SandboxServer",
    "WorldBackend",
    "as_tuples",
    "collect",
    "collect_hourly",
    "fake_time_http",
    "frozen_state",
    "hourly_tuples",
    "in_process",
    "lifted_rate",
    "logged_client",
    "placements",
]


class FakeTime:
    """A clock that moves only when someone sleeps: waits are exact and instant."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += max(seconds, 0.0)


# --- the adapter's HTTP pipeline ----------------------------------------------------------------------------------


def logged_client(
    transport: httpx.AsyncBaseTransport | None,
    on_request: Callable[[httpx.Request], Awaitable[None]],
    on_response: Callable[[httpx.Response], Awaitable[None]] | None = None,
) -> httpx.AsyncClient:
    """The adapter's own client on ``transport`` (real HTTP when None), every request and response seen by the hooks;
    redirects are not followed (a consent answer is the redirect)."""
    hooks: dict[str, list[Any]] = {"request": [on_request], "response": [on_response] if on_response else []}
    return httpx.AsyncClient(transport=transport, event_hooks=hooks, follow_redirects=False)


def fake_time_http(client: httpx.AsyncClient, fake: FakeTime, *, seed: int = 3) -> PlatformHttp:
    """The request pipeline on ``client``, its in-memory limiter and its waits on ``fake``'s clock."""
    return PlatformHttp(
        limiter=MemoryRateLimiter(sleep=fake.sleep, clock=fake.clock),
        client=client,
        sleep=fake.sleep,
        rng=random.Random(seed),
    )


# --- daily numbers ----------------------------------------------------------------------------------------------------

# (entity id, day, impressions, clicks, spend micros, conversions, conversion value micros)
Row = tuple[str, date, int, int, int, Decimal, int]


def as_tuples(rows: list[DailyMetricsRow]) -> list[Row]:
    return sorted(
        (r.entity_platform_id, r.day, r.impressions, r.clicks, r.spend_micros, r.conversions, r.conversion_value_micros)
        for r in rows
    )


async def collect(
    adapter: AdPlatformAdapter,
    credentials: Credentials,
    account: AdAccountRef,
    level: EntityLevel,
    since: date,
    until: date,
) -> list[DailyMetricsRow]:
    return [row async for row in adapter.fetch_daily_metrics(credentials, account, level, since, until)]


# (entity id, its campaign, its parent, its name) as a report row places it.
Placement = tuple[str, str | None, str | None, str | None]


def placements(rows: list[DailyMetricsRow]) -> list[Placement]:
    return sorted({(r.entity_platform_id, r.campaign_platform_id, r.parent_platform_id, r.entity_name) for r in rows})


# --- hourly numbers ---------------------------------------------------------------------------------------------------

# (campaign id, day, hour, impressions, clicks, spend micros, conversions, conversion value micros)
HourRow = tuple[str, date, int, int, int, int, Decimal, int]


def hourly_tuples(rows: list[HourlyMetricsRow]) -> list[HourRow]:
    return sorted(
        (
            r.campaign_platform_id,
            r.day,
            r.hour,
            r.impressions,
            r.clicks,
            r.spend_micros,
            r.conversions,
            r.conversion_value_micros,
        )
        for r in rows
    )


async def collect_hourly(
    adapter: AdPlatformAdapter, credentials: Credentials, account: AdAccountRef, day: date
) -> list[HourlyMetricsRow]:
    return [row async for row in adapter.fetch_hourly_metrics(credentials, account, day)]


# --- the backends -----------------------------------------------------------------------------------------------------


class ContractBackend:
    """What every contract suite needs from a platform: an adapter pointed at it (on ``client``, waiting on ``fake``),
    and the answers it should give. Each suite's ``Backend`` adds its adapter, its wire log and what is its
    platform's own."""

    name: str
    client: httpx.AsyncClient
    fake: FakeTime
    account: AdAccountRef
    currency: str

    async def connect(self) -> Credentials:
        raise NotImplementedError

    def expected_entities(self) -> list[tuple[Any, ...]]:
        raise NotImplementedError

    def expected_daily(self, level: EntityLevel, since: date, until: date) -> list[Row]:
        raise NotImplementedError

    def inject(self, kind: FaultKind, count: int = 1) -> None:
        """The next ``count`` calls about the account fail with the platform's answer for ``kind``."""
        raise NotImplementedError

    def forbidden_account(self) -> AdAccountRef:
        """An account the credentials may not reach."""
        raise NotImplementedError

    def budgeted_campaign(self) -> EntityRef:
        """An active campaign of the account with a daily budget."""
        raise NotImplementedError

    def status_of(self, ref: EntityRef) -> EntityStatus:
        raise NotImplementedError

    def daily_budget_of(self, ref: EntityRef) -> int | None:
        raise NotImplementedError


class WorldBackend(ContractBackend):
    """A backend on the sandbox emulator: the answers it should give are the sandbox world's, and faults are the
    sandbox's own."""

    platform: Platform
    state: SandboxState

    def expected_daily(self, level: EntityLevel, since: date, until: date) -> list[Row]:
        rows = self.state.world.daily_metrics(self.platform, self.account.account_id, level, since, until)
        return sorted(
            (
                m.entity_id,
                m.day,
                m.impressions,
                m.clicks,
                m.spend_micros,
                Decimal(m.conversions),
                m.conversion_value_micros,
            )
            for m in rows
        )

    def expected_hourly(self, day: date) -> list[HourRow]:
        """The simulation's campaign rows for each hour of ``day`` (up to the current hour when it is today)."""
        rows = self.state.world.hourly_metrics(self.platform, self.account.account_id, EntityLevel.campaign, day)
        return sorted(
            (
                m.entity_id,
                m.day,
                m.hour if m.hour is not None else -1,
                m.impressions,
                m.clicks,
                m.spend_micros,
                Decimal(m.conversions),
                m.conversion_value_micros,
            )
            for m in rows
        )

    def expected_placements(self, level: EntityLevel, since: date, until: date) -> list[Placement]:
        """Where the world puts every entity with numbers at ``level`` in the range, removed ones included."""
        world = self.state.world
        placed: set[Placement] = set()
        for m in world.daily_metrics(self.platform, self.account.account_id, level, since, until):
            entity = world.entity(self.platform, m.entity_id)
            assert entity is not None
            placed.add((entity.id, entity.campaign_id, entity.parent_id, entity.name))
        return sorted(placed)

    def inject(self, kind: FaultKind, count: int = 1) -> None:
        self.state.faults.add(self.platform, self.account.account_id, Fault(kind, count))

    def budgeted_campaign(self) -> EntityRef:
        for entity in self.state.world.entities(self.platform, self.account.account_id, EntityLevel.campaign):
            if entity.daily_budget_micros is not None and entity.status is EntityStatus.active:
                return EntityRef(self.account, EntityLevel.campaign, entity.id)
        raise AssertionError(f"the demo world has no {self.platform} campaign with a daily budget")

    def status_of(self, ref: EntityRef) -> EntityStatus:
        entity = self.state.world.entity(self.platform, ref.platform_id)
        assert entity is not None
        return entity.status

    def daily_budget_of(self, ref: EntityRef) -> int | None:
        entity = self.state.world.entity(self.platform, ref.platform_id)
        assert entity is not None
        return entity.daily_budget_micros


# --- sandboxes --------------------------------------------------------------------------------------------------------


@contextmanager
def lifted_rate(server: SandboxServer, platform: Platform) -> Iterator[SandboxState]:
    """The shared sandbox server's state with ``platform``'s emulator rate lifted, restored afterwards: waiting is
    fake in the contract suites, so the emulators' real-time quotas have tests of their own on private sandboxes."""
    state = server.state
    setting = f"{platform}_requests_per_second"
    saved = getattr(state.config, setting)
    setattr(state.config, setting, 100_000.0)
    try:
        yield state
    finally:
        setattr(state.config, setting, saved)


def frozen_state(**config: Any) -> SandboxState:
    """The demo world at a fixed instant: today's partial numbers and late conversions hold still."""
    return SandboxState.demo(clock=SandboxClock(frozen=True), config=SandboxConfig(**config))


def in_process(platform: Platform, emulator: ASGIApp) -> tuple[str, httpx.ASGITransport]:
    """An emulator served in-process (ASGI) where the sandbox server would mount it: its base URL and the transport
    that reaches it. For tests that freeze or move a sandbox's clock or throttle it."""
    root = FastAPI()
    root.mount(f"/sandbox/{platform}", emulator)
    return f"http://sandbox.test/sandbox/{platform}", httpx.ASGITransport(app=root)


async def batched_reads(
    adapter: AdPlatformAdapter,
    credentials: Credentials,
    account: AdAccountRef,
    requests: Callable[[], int],
    missing: str,
) -> dict[EntityLevel, tuple[int, int]]:
    """``read_entities`` of every entity of each level of the account plus ``missing`` (an id the platform does not
    have), checked against ``read_entity`` of a few of them: the same entities, the missing one absent. Per level,
    the number of ids read and the requests the read took (``requests()`` counts the requests made so far)."""
    listed = await adapter.list_entities(credentials, account)
    counts: dict[EntityLevel, tuple[int, int]] = {}
    for level in EntityLevel:
        ids = [entity.platform_id for entity in listed if entity.level is level]
        assert ids, level
        made = requests()
        found = await adapter.read_entities(credentials, account, level, [*ids, missing])
        counts[level] = (len(ids), requests() - made)
        assert set(found) == set(ids), level
        for platform_id in (ids[0], ids[-1]):
            one = await adapter.read_entity(credentials, EntityRef(account, level, platform_id))
            assert replace(found[platform_id], raw={}) == replace(one, raw={}), (level, platform_id)
    return counts


async def batched_status_writes(
    adapter: AdPlatformAdapter,
    credentials: Credentials,
    account: AdAccountRef,
    requests: Callable[[], int],
) -> dict[EntityLevel, tuple[int, int]]:
    """``set_statuses`` of every active entity of each level to paused and back, checked with ``read_entities``.
    Per level, the number of entities and the requests the pausing took."""
    listed = await adapter.list_entities(credentials, account)
    counts: dict[EntityLevel, tuple[int, int]] = {}
    for level in EntityLevel:
        ids = [e.platform_id for e in listed if e.level is level and e.status is EntityStatus.active]
        assert ids, level
        made = requests()
        await adapter.set_statuses(credentials, account, level, dict.fromkeys(ids, EntityStatus.paused), key="k")
        counts[level] = (len(ids), requests() - made)
        paused = await adapter.read_entities(credentials, account, level, ids)
        assert {e.status for e in paused.values()} == {EntityStatus.paused}, level
        await adapter.set_statuses(credentials, account, level, dict.fromkeys(ids, EntityStatus.active), key="k2")
        active = await adapter.read_entities(credentials, account, level, ids)
        assert {e.status for e in active.values()} == {EntityStatus.active}, level
    return counts
