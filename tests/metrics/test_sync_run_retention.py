"""The metrics sync log is bounded, and trimming it never changes what the scheduler queues or what is shown."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import httpx
import pytest
from sqlalchemy import text

from adpilot.config import get_settings
from adpilot.db import Database, set_tenant
from adpilot.metrics.repository.sync import SyncRunRepository
from adpilot.platforms.types import Platform
from tests.campaigns.test_entity_sync import connect_sandbox, org_url, run_jobs
from tests.fixtures import OrgWorld
from tests.sandbox_fixtures import SandboxServer

KEEP = 10

# An account's history besides its first sync (a backfill, aged to a month ago): (scope, status, minutes ago queued,
# minutes ago finished). Every kind of run the scheduler asks about sits beyond the newest ten.
HISTORY: list[tuple[str, str, int, int]] = [
    ("history", "succeeded", 29 * 24 * 60, 29 * 24 * 60 - 30),
    ("history", "failed", 3 * 24 * 60, 3 * 24 * 60 - 1),
    ("restate", "succeeded", 20 * 60, 20 * 60 - 5),
    ("restate", "failed", 2 * 60, 2 * 60 - 1),
    ("recent", "succeeded", 100, 97),
    ("recent", "deferred", 95, 95),
    # Queued long ago, finished late: the newest success by finish time.
    ("recent", "succeeded", 300, 4),
    *[("today", "failed" if n % 4 == 0 else "succeeded", n * 3, n * 3 - 1) for n in range(1, 31)],
]


async def insert_runs(database: Database, world: OrgWorld, ad_account_id: str) -> None:
    async with database.transaction() as session:
        await set_tenant(session, UUID(world.organization_id))
        # The first sync a month ago.
        await session.execute(
            text(
                "UPDATE metric_sync_runs SET queued_at = now() - interval '30 days',"
                " finished_at = now() - interval '30 days' + interval '2 minutes' WHERE ad_account_id = :account"
            ),
            {"account": ad_account_id},
        )
        for scope, status, queued, finished in HISTORY:
            await session.execute(
                text(
                    "INSERT INTO metric_sync_runs (id, organization_id, ad_account_id, scope, trigger, status, since,"
                    " until, days_total, days_done, rows_written, queued_at, started_at, finished_at, attempts, error)"
                    " VALUES (gen_random_uuid(), :org, :account, :scope, 'schedule', :status, current_date,"
                    " current_date, 1, 1, 0, now() - make_interval(mins => :queued),"
                    " now() - make_interval(mins => :queued),"
                    " now() - make_interval(mins => :finished),"
                    " 1, :error)"
                ),
                {
                    "org": world.organization_id,
                    "account": ad_account_id,
                    "scope": scope,
                    "status": status,
                    "queued": queued,
                    "finished": finished,
                    "error": "down" if status == "failed" else None,
                },
            )


async def all_runs(client: httpx.AsyncClient, world: OrgWorld, ad_account_id: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        params: dict[str, str | int] = {"limit": 100, **({"cursor": cursor} if cursor else {})}
        response = await client.get(
            org_url(world, f"/ad-accounts/{ad_account_id}/metric-sync-runs"),
            params=params,
            headers=world.viewer.headers,
        )
        assert response.status_code == 200, response.text
        body = response.json()
        items.extend(body["items"])
        cursor = body.get("next_cursor")
        if not cursor:
            return items


async def schedule(database: Database, world: OrgWorld, ad_account_id: str) -> dict[tuple[int, int, bool], str | None]:
    """The scope the scheduler would queue for the account, now and as hours pass, at several intervals."""
    answers: dict[tuple[int, int, bool], str | None] = {}
    for hours_later in (0, 1, 2, 5, 21, 30, 24 * 40):
        async with database.transaction() as session:
            await set_tenant(session, UUID(world.organization_id))
            # Time passing: every run queued, started and finished that much earlier.
            await session.execute(
                text(
                    "UPDATE metric_sync_runs SET queued_at = queued_at - make_interval(hours => :h),"
                    " started_at = started_at - make_interval(hours => :h),"
                    " finished_at = finished_at - make_interval(hours => :h) WHERE ad_account_id = :account"
                ),
                {"h": hours_later, "account": ad_account_id},
            )
            repository = SyncRunRepository(session)
            for recent_minutes in (30, 98, 120, 180, 1000):
                for history in (True, False):
                    due = await repository.due(1, recent_minutes, history)
                    scopes = [scope for _, account, scope in due if str(account) == ad_account_id]
                    answers[(hours_later, recent_minutes, history)] = scopes[0] if scopes else None
            await session.execute(
                text(
                    "UPDATE metric_sync_runs SET queued_at = queued_at + make_interval(hours => :h),"
                    " started_at = started_at + make_interval(hours => :h),"
                    " finished_at = finished_at + make_interval(hours => :h) WHERE ad_account_id = :account"
                ),
                {"h": hours_later, "account": ad_account_id},
            )
    return answers


async def freshness(client: httpx.AsyncClient, world: OrgWorld, ad_account_id: str) -> dict[str, Any]:
    response = await client.get(org_url(world, "/analytics/freshness"), headers=world.viewer.headers)
    assert response.status_code == 200, response.text
    [account] = [a for a in response.json()["accounts"] if a["ad_account_id"] == ad_account_id]
    assert isinstance(account, dict)
    return account


@pytest.fixture(autouse=True)
def short_sync(monkeypatch: pytest.MonkeyPatch, sandbox_platforms: SandboxServer) -> None:
    monkeypatch.setattr(get_settings(), "metrics_backfill_days", 3)
    monkeypatch.setattr(get_settings(), "metrics_history_months", 0)


@pytest.fixture
def keep_ten(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(get_settings(), "metric_sync_run_history_per_account", KEEP)


@pytest.fixture
async def synced(
    client: httpx.AsyncClient, world: OrgWorld, database: Database, sandbox_platforms: SandboxServer
) -> str:
    connection = await connect_sandbox(client, world, Platform.google)
    await run_jobs(database)
    account = next(a for a in connection["accounts"] if a["managed"])
    ad_account_id: str = account["id"]
    await insert_runs(database, world, ad_account_id)
    return ad_account_id


async def test_trimming_changes_neither_the_schedule_nor_the_freshness(
    client: httpx.AsyncClient, world: OrgWorld, database: Database, synced: str
) -> None:
    before = await all_runs(client, world, synced)
    assert len(before) == len(HISTORY) + 1
    scheduled = await schedule(database, world, synced)
    # The history exercises the scheduler's answers (history is never due: a history run succeeded a month ago).
    assert set(scheduled.values()) >= {"restate", "recent", "today"}, scheduled
    assert "history" not in scheduled.values() and "backfill" not in scheduled.values()
    shown = await freshness(client, world, synced)

    async with database.transaction() as session:
        await set_tenant(session, UUID(world.organization_id))
        deleted = await SyncRunRepository(session).trim(UUID(world.organization_id), UUID(synced), KEEP)

    after = await all_runs(client, world, synced)
    assert deleted == len(before) - len(after) > 0
    # Beyond the newest ten: only the newest of each scope and outcome (by queue time and by finish time).
    assert len(after) <= KEEP + 12
    assert [r["id"] for r in after[:KEEP]] == [r["id"] for r in before[:KEEP]]
    assert await schedule(database, world, synced) == scheduled
    assert await freshness(client, world, synced) == shown
    assert {(r["scope"], r["status"]) for r in after} == {(r["scope"], r["status"]) for r in before}


async def test_the_log_stays_bounded_as_runs_are_queued(
    client: httpx.AsyncClient, world: OrgWorld, database: Database, synced: str, keep_ten: None
) -> None:
    [first_sync] = [r for r in await all_runs(client, world, synced) if r["scope"] == "backfill"]
    for _ in range(3):
        queued = await client.post(org_url(world, f"/ad-accounts/{synced}/metric-sync"), headers=world.member.headers)
        assert queued.status_code == 202, queued.text
        # The account is known to be synced: a re-read of the recent days, not a new first sync.
        assert queued.json()["scope"] == "recent"
        await run_jobs(database)
    runs = await all_runs(client, world, synced)
    scopes_and_outcomes = {(r["scope"], r["status"]) for r in runs}
    # The newest ten, and the newest of each scope and outcome besides (no more than twice each).
    assert len(runs) <= KEEP + 2 * len(scopes_and_outcomes), [(r["scope"], r["status"]) for r in runs]
    assert len(runs) < len(HISTORY) + 4
    # The first sync, a month old, is still there: the scheduler does not read the backfill again.
    assert first_sync["id"] in {r["id"] for r in runs}
    async with database.transaction() as session:
        await set_tenant(session, UUID(world.organization_id))
        await session.execute(text("UPDATE metric_sync_runs SET queued_at = queued_at - interval '1 hour'"))
        due = await SyncRunRepository(session).due(30, 180, True)
    assert [scope for _, account, scope in due if str(account) == synced] == ["today"]
