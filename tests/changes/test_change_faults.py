"""The change pipeline under faults injected on the platforms' write requests: 5xx answers, and writes the platform
applied but whose answer was lost (a 5xx or a stall past the client's timeout). A faulted request may carry many
changes (TikTok's and Google's status writes of several entities). However the faults fall, the platform ends with
what was asked, each entity written exactly once (the emulators' write log), every change verified with its value
before and after and audited; a change whose retries run out fails with the platform's own message."""

from __future__ import annotations

import itertools
import math
import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from adpilot import jobs
from adpilot.changes.service import APPLY_CHANGE_JOB, APPLY_CHANGES_JOB, CHANGE_RUNS
from adpilot.db import Database
from adpilot.platforms.google.adapter import GoogleAdsAdapter
from adpilot.platforms.meta.adapter import MetaAdsAdapter
from adpilot.platforms.tiktok.adapter import TikTokAdsAdapter
from adpilot.platforms.types import EntityLevel, Platform
from adpilot.sandbox.engine import SimEntity
from adpilot.sandbox.faults import Fault, FaultKind
from tests.campaigns.test_entity_sync import all_entities, org_url, run_jobs
from tests.changes.test_changes_api import change, request, synced
from tests.fixtures import OrgWorld
from tests.sandbox_fixtures import SandboxServer

CLIENT_TIMEOUT = 2.0  # seconds; an applied-then-timeout answer comes after it
FAULT_RATE = 0.2
CHANGES_PER_KIND = 6


@dataclass(frozen=True)
class KindCase:
    """One change kind: which entities it fits, their value now (from the entity browser), the value to ask for,
    and the value as the emulator holds it, all in the change's stored form."""

    kind: str
    fits: Callable[[dict[str, Any]], bool]
    now: Callable[[dict[str, Any]], str]
    ask: Callable[[dict[str, Any]], str]
    truth: Callable[[SimEntity], str | None]


def _micros(value: int | None) -> str | None:
    return None if value is None else str(value)


# One line per change kind. Status changes go to the platforms' writes of several entities where they have them,
# the others one write each.
KINDS = [
    KindCase("status", lambda e: e["status"] == "active", lambda e: "active", lambda e: "paused", lambda s: s.status),
    KindCase(
        "daily_budget",
        lambda e: e["daily_budget_micros"] is not None,
        lambda e: str(e["daily_budget_micros"]),
        lambda e: str(e["daily_budget_micros"] + 3_000_000),
        lambda s: _micros(s.daily_budget_micros),
    ),
    # Ads keep their names on Google and TikTok.
    KindCase("name", lambda e: e["level"] != "ad", lambda e: e["name"], lambda e: f"{e['name']} v2", lambda s: s.name),
]
LEVELS = [EntityLevel.campaign, EntityLevel.ad_group, EntityLevel.ad]

# How many entities' status one write request sets.
STATUSES_PER_WRITE = {
    Platform.google: GoogleAdsAdapter.statuses_per_write,
    Platform.meta: MetaAdsAdapter.statuses_per_write,
    Platform.tiktok: TikTokAdsAdapter.statuses_per_write,
}

# The faults served to write requests: each is one of these, in a seeded order, with ~FAULT_RATE of them faulted.
WRITE_FAULTS = [
    Fault(FaultKind.server_error, writes_only=True),
    Fault(FaultKind.applied_then_error),
    Fault(FaultKind.applied_then_timeout, delay_seconds=CLIENT_TIMEOUT + 1.0),
]
# What each platform says when it is unavailable (the emulators answer with the platforms' own messages).
PLATFORM_TRANSIENT = {
    Platform.google: "unavailable",
    Platform.meta: "Service temporarily unavailable",
    Platform.tiktok: "System error",
}
# How a write request's path looks, and how that of a status write of several entities ends.
WRITE_PATH = {Platform.google: ":mutate", Platform.tiktok: "/update/"}
STATUS_WRITES = {
    Platform.google: ("/campaigns:mutate", "/adGroups:mutate", "/adGroupAds:mutate"),
    Platform.tiktok: ("/status/update/",),
}
# A fault that is none: answered at once (``slow`` with no delay), so faults can be placed among the writes.
PASS = Fault(FaultKind.slow, writes_only=True)


@pytest.fixture
def short_timeout(sandbox_platforms: SandboxServer, monkeypatch: pytest.MonkeyPatch) -> SandboxServer:
    """The product's platform client gives up after ``CLIENT_TIMEOUT`` seconds (adapters rebuilt for it)."""
    from adpilot.config import get_settings
    from adpilot.connections import adapters

    monkeypatch.setenv("ADPILOT_PLATFORM_TIMEOUT_SECONDS", str(CLIENT_TIMEOUT))
    get_settings.cache_clear()
    adapters._adapters.clear()
    return sandbox_platforms


async def pick_changes(
    client: httpx.AsyncClient, world: OrgWorld, ad_account_id: str
) -> list[tuple[dict[str, Any], KindCase]]:
    """Up to ``CHANGES_PER_KIND`` entities per kind, taken from every level in turn, no entity changed twice (so the
    changes make one slice of their group)."""
    by_level = [await all_entities(client, world, ad_account_id, level) for level in LEVELS]
    # Campaign, ad group, ad, campaign, ...: status changes of every level, so several status writes.
    entities = [e for row in itertools.zip_longest(*by_level) for e in row if e is not None]
    picked: list[tuple[dict[str, Any], KindCase]] = []
    used: set[str] = set()
    for case in KINDS:
        fitting = [e for e in entities if case.fits(e) and e["id"] not in used][:CHANGES_PER_KIND]
        used.update(e["id"] for e in fitting)
        picked += [(entity, case) for entity in fitting]
    return picked


def write_requests(platform: Platform, picked: list[tuple[dict[str, Any], KindCase]]) -> int:
    """The write requests the group's first run sends for ``picked``: the status changes of a level together, as
    many a request as the platform takes; every other change alone."""
    statuses = Counter(entity["level"] for entity, case in picked if case.kind == "status")
    alone = sum(1 for _, case in picked if case.kind != "status")
    return alone + sum(math.ceil(count / STATUSES_PER_WRITE[platform]) for count in statuses.values())


def plan_write_faults(server: SandboxServer, platform: Platform, account_id: str, requests: int, seed: int) -> None:
    """Plan the account's next ``requests`` write requests: a seeded ~FAULT_RATE of them faulted, every kind at
    least once, the first one always; the requests after them, retries included, pass."""
    rng = random.Random(seed)
    faulted = [0, *sorted(rng.sample(range(1, requests), max(len(WRITE_FAULTS), round(requests * FAULT_RATE)) - 1))]
    kinds = [*WRITE_FAULTS, *(rng.choice(WRITE_FAULTS) for _ in range(len(faulted) - len(WRITE_FAULTS)))]
    rng.shuffle(kinds)
    by_position = dict(zip(faulted, kinds, strict=True))
    for position in range(requests):
        server.state.faults.add(platform, account_id, by_position.get(position, PASS))


async def audit_entries(client: httpx.AsyncClient, world: OrgWorld) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        params: dict[str, str | int] = {"action": "change.", "limit": 100, **({"cursor": cursor} if cursor else {})}
        response = await client.get(org_url(world, "/audit-log"), params=params, headers=world.admin.headers)
        assert response.status_code == 200, response.text
        entries += response.json()["items"]
        cursor = response.json()["next_cursor"]
        if cursor is None:
            return entries


@pytest.mark.parametrize("platform", list(Platform))
async def test_faulted_writes_end_with_every_change_applied_exactly_once_and_verified(
    client: httpx.AsyncClient, world: OrgWorld, database: Database, short_timeout: SandboxServer, platform: Platform
) -> None:
    ad_account_id, platform_account_id = await synced(client, world, database, platform)
    picked = await pick_changes(client, world, ad_account_id)
    assert {case.kind for _, case in picked} == {case.kind for case in KINDS}, "every kind is exercised"
    truth = short_timeout.state.world
    writes_before = {entity["platform_id"]: truth.writes(platform, entity["platform_id"]) for entity, _ in picked}
    expected_writes = Counter(entity["platform_id"] for entity, _ in picked)
    requests = write_requests(platform, picked)
    # Enough requests that a fifth of them covers every fault kind; fewer than changes where statuses go together.
    assert requests >= len(WRITE_FAULTS) / FAULT_RATE, requests
    if STATUSES_PER_WRITE[platform] > 1:
        assert requests < len(picked), requests
    plan_write_faults(short_timeout, platform, platform_account_id, requests, seed=11)

    response = await request(
        client,
        world,
        world.manager,
        *({"entity_id": e["id"], "kind": case.kind, "value": case.ask(e), "reason": "drill"} for e, case in picked),
    )
    assert response.status_code == 201, response.text
    requested = response.json()["items"]
    await run_jobs(database)

    assert short_timeout.state.faults.pending(platform) == [], "every planned write request was made"
    if platform in STATUS_WRITES:
        # Status writes of several entities were among the faulted account's writes. (Which write reaches the
        # platform first is not fixed: a level's single writes may go before another level's status writes.)
        writes = [path for p, method, path in short_timeout.state.request_log if p is platform and method == "POST"]
        ours = [path for path in writes if WRITE_PATH[platform] in path]
        assert any(path.endswith(STATUS_WRITES[platform]) for path in ours), ours
    for (entity, case), asked in zip(picked, requested, strict=True):
        done = await change(client, world, asked["id"])
        assert done["status"] == "verified", done
        assert (done["value_before"], done["value_after"]) == (case.now(entity), case.ask(entity)), done
        sim = truth.entity(platform, entity["platform_id"])
        assert sim is not None and case.truth(sim) == case.ask(entity), (case.kind, entity["platform_id"])
    for platform_id, count in expected_writes.items():
        # Exactly once per change: a lost answer is followed by a read, never by the same write again.
        assert truth.writes(platform, platform_id) - writes_before[platform_id] == count, platform_id

    applied = [entry for entry in await audit_entries(client, world) if entry["action"] == "change.applied"]
    assert sorted(entry["target_id"] for entry in applied) == sorted(c["id"] for c in requested)
    asked_by_id = {c["id"]: (case.now(e), case.ask(e)) for (e, case), c in zip(picked, requested, strict=True)}
    for entry in applied:
        assert (entry["before"]["value"], entry["after"]["value_after"]) == asked_by_id[entry["target_id"]], entry
        assert entry["after"]["status"] == "verified", entry


@pytest.mark.parametrize("platform", list(Platform))
async def test_a_change_whose_retries_run_out_fails_with_the_platforms_message_and_applies_nothing(
    client: httpx.AsyncClient, world: OrgWorld, database: Database, sandbox_platforms: SandboxServer, platform: Platform
) -> None:
    ad_account_id, platform_account_id = await synced(client, world, database, platform)
    (entity, case), *_ = await pick_changes(client, world, ad_account_id)
    truth = sandbox_platforms.state.world
    writes_before = truth.writes(platform, entity["platform_id"])
    sandbox_platforms.state.faults.add(
        platform, platform_account_id, Fault(FaultKind.server_error, count=20, writes_only=True)
    )
    response = await request(
        client, world, world.manager, {"entity_id": entity["id"], "kind": case.kind, "value": case.ask(entity)}
    )
    assert response.status_code == 201, response.text
    await run_jobs(database)

    failed = await change(client, world, response.json()["items"][0]["id"])
    assert failed["status"] == "failed" and failed["attempts"] == CHANGE_RUNS.max_attempts, failed
    # The platform's own words, not a stack trace or an exception's name.
    assert failed["error"] and PLATFORM_TRANSIENT[platform] in failed["error"], failed["error"]
    assert truth.writes(platform, entity["platform_id"]) == writes_before
    sim = truth.entity(platform, entity["platform_id"])
    assert sim is not None and case.truth(sim) == case.now(entity)
    entries = await audit_entries(client, world)
    assert [entry["action"] for entry in entries if entry["target_id"] == failed["id"]] == [
        "change.failed",
        "change.requested",
    ]


async def test_metas_user_request_limit_on_a_write_defers_the_change_then_applies_it_once(
    client: httpx.AsyncClient, world: OrgWorld, database: Database, sandbox_platforms: SandboxServer
) -> None:
    ad_account_id, platform_account_id = await synced(client, world, database, Platform.meta)
    (entity, case), *_ = await pick_changes(client, world, ad_account_id)
    truth = sandbox_platforms.state.world
    writes_before = truth.writes(Platform.meta, entity["platform_id"])
    # Code 17 announcing a 10-minute wait: longer than a request sits out, so the job is deferred, not retried.
    sandbox_platforms.state.faults.add(
        Platform.meta, platform_account_id, Fault(FaultKind.rate_limit, delay_seconds=600, writes_only=True)
    )
    response = await request(
        client, world, world.manager, {"entity_id": entity["id"], "kind": case.kind, "value": case.ask(entity)}
    )
    asked = response.json()["items"][0]
    async with database.transaction() as session:
        await jobs.app.run_worker_async(
            wait=False, install_signal_handlers=False, concurrency=1, fetch_job_polling_interval=0.05
        )
        deferred = (
            await session.execute(
                text(
                    "SELECT scheduled_at - now() FROM procrastinate_jobs WHERE status = 'todo'"
                    " AND task_name = :name AND args->>'change_id' = :id"
                ),
                {"name": APPLY_CHANGE_JOB, "id": asked["id"]},
            )
        ).scalar_one()
    assert deferred.total_seconds() > 500
    waiting = await change(client, world, asked["id"])
    assert waiting["status"] == "queued" and "request limit" in (waiting["error"] or ""), waiting
    assert truth.writes(Platform.meta, entity["platform_id"]) == writes_before

    await run_jobs(database)  # the wait is over
    done = await change(client, world, asked["id"])
    assert done["status"] == "verified" and done["value_after"] == case.ask(entity), done
    assert truth.writes(Platform.meta, entity["platform_id"]) == writes_before + 1


async def test_a_group_whose_applied_write_lost_its_answer_applies_each_change_exactly_once(
    client: httpx.AsyncClient, world: OrgWorld, database: Database, short_timeout: SandboxServer
) -> None:
    platform = Platform.meta
    ad_account_id, platform_account_id = await synced(client, world, database, platform)
    listed = [e for level in LEVELS for e in await all_entities(client, world, ad_account_id, level)]
    entities = [e for e in listed if e["status"] == "active"][:6]
    assert len(entities) == 6
    truth = short_timeout.state.world
    writes_before = {e["platform_id"]: truth.writes(platform, e["platform_id"]) for e in entities}
    # The group's second write is applied and its answer lost past the client's timeout; the others pass.
    lost = Fault(FaultKind.applied_then_timeout, delay_seconds=CLIENT_TIMEOUT + 1.0)
    for fault in [PASS, lost, *([PASS] * (len(entities) - 2))]:
        short_timeout.state.faults.add(platform, platform_account_id, fault)

    response = await request(
        client, world, world.manager, *({"entity_id": e["id"], "kind": "status", "value": "paused"} for e in entities)
    )
    assert response.status_code == 201, response.text
    async with database.transaction() as session:
        rows = (
            await session.execute(
                text("SELECT task_name, count(*) FROM procrastinate_jobs WHERE status = 'todo' GROUP BY task_name")
            )
        ).all()
    queued = {str(row[0]): int(row[1]) for row in rows}
    assert queued.get(APPLY_CHANGES_JOB) == 1 and APPLY_CHANGE_JOB not in queued, queued
    await run_jobs(database)

    assert short_timeout.state.faults.pending(platform) == [], "every planned write was made"
    attempts = []
    for entity, asked in zip(entities, response.json()["items"], strict=True):
        done = await change(client, world, asked["id"])
        # The lost answer is found applied by the read back of the same run, or fails that run and the next one
        # reads first and sends only what is missing: which, and which changes the first run recorded, depends on
        # timing (the writes go a few at a time). Either way each entity is written once.
        assert (done["status"], done["value_before"]) == ("verified", "active"), done
        attempts.append(done["attempts"])
        assert truth.writes(platform, entity["platform_id"]) - writes_before[entity["platform_id"]] == 1, entity
        sim = truth.entity(platform, entity["platform_id"])
        assert sim is not None and sim.status == "paused"
    assert set(attempts) <= {1, 2}, attempts
    applied = [entry for entry in await audit_entries(client, world) if entry["action"] == "change.applied"]
    assert sorted(entry["target_id"] for entry in applied) == sorted(c["id"] for c in response.json()["items"])
