"""Entity sync end to end: the real adapters against the sandbox emulators over HTTP, through the product's API."""

from __future__ import annotations

import time
from collections import Counter
from typing import Any
from uuid import UUID

import httpx
import pytest
from sqlalchemy import text

from adpilot import jobs
from adpilot.connections.jobs import discover_accounts
from adpilot.db import Database
from adpilot.platforms.types import EntityLevel, EntityStatus, Platform
from adpilot.sandbox.faults import Fault, FaultKind
from tests.events import deliver_events
from tests.fixtures import LoggedIn, OrgWorld
from tests.sandbox_fixtures import SandboxServer, consent


async def run_jobs(database: Database) -> None:
    """Drain the queue (retries included: their backoff, and the waits the rate limiter asked for, are brought
    forward)."""
    for _ in range(8):
        await jobs.app.run_worker_async(
            wait=False, install_signal_handlers=False, concurrency=1, fetch_job_polling_interval=0.05
        )
        async with database.transaction() as session:
            await session.execute(text("UPDATE platform_rate_limits SET next_at = now(), blocked_until = NULL"))
            pending = (
                await session.execute(
                    text("UPDATE procrastinate_jobs SET scheduled_at = now() WHERE status = 'todo' RETURNING id")
                )
            ).all()
        if not pending:
            return


def org_url(world: OrgWorld, path: str) -> str:
    return f"/api/v1/orgs/{world.organization_id}{path}"


# The subscriber that queues a newly managed account's metrics backfill (``subscriptions.py``).
METRICS_BACKFILL = "metrics.queue_backfills"


async def connect_sandbox(
    client: httpx.AsyncClient,
    world: OrgWorld,
    platform: Platform,
    user: LoggedIn | None = None,
    *,
    manage: int | None = None,
    metrics: bool = True,
) -> dict[str, Any]:
    """The whole consent round trip against the sandbox, then every ad account of the login managed (the first
    ``manage`` of them when given). With ``metrics=False`` the accounts get their entity sync but no metrics backfill:
    tests of changes and publishing have no use for the days of numbers, and reading them is most of a connect's
    cost."""
    user = user or world.manager
    started = await client.post(org_url(world, f"/connections/{platform.value}/authorize"), headers=user.headers)
    assert started.status_code == 200, started.text
    params = await consent(started.json()["authorization_url"])
    code = params.get("code") or params.get("auth_code")
    finished = await client.post(
        org_url(world, f"/connections/{platform.value}/callback"),
        json={"state": params["state"], "code": code},
        headers=user.headers,
    )
    assert finished.status_code == 200, finished.text
    # The callback queued the discovery of the login's accounts: run it as the platform worker would.
    await discover_accounts(UUID(world.organization_id), connection_id=finished.json()["id"])
    discovered = await client.get(org_url(world, f"/connections/{finished.json()['id']}"), headers=user.headers)
    assert discovered.status_code == 200, discovered.text
    connection: dict[str, Any] = discovered.json()
    assert connection["discovery"]["state"] == "succeeded", connection["discovery"]
    manageable = [a["id"] for a in connection["accounts"] if not a["is_manager"]][:manage]
    chosen = await client.put(
        org_url(world, f"/connections/{connection['id']}/accounts"),
        json={"managed_account_ids": manageable},
        headers=user.headers,
    )
    assert chosen.status_code == 200, chosen.text
    # Accounts becoming managed is an event: the first syncs are queued once its deliveries run.
    await deliver_events(skip=frozenset() if metrics else frozenset({METRICS_BACKFILL}))
    managed: dict[str, Any] = chosen.json()
    return managed


async def all_entities(
    client: httpx.AsyncClient, world: OrgWorld, ad_account_id: str, level: EntityLevel, **params: Any
) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        query = {"level": level.value, "limit": 100, **params, **({"cursor": cursor} if cursor else {})}
        response = await client.get(
            org_url(world, f"/ad-accounts/{ad_account_id}/entities"), params=query, headers=world.viewer.headers
        )
        assert response.status_code == 200, response.text
        page = response.json()
        items.extend(page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            return items


async def sync_runs(client: httpx.AsyncClient, world: OrgWorld, ad_account_id: str) -> list[dict[str, Any]]:
    response = await client.get(org_url(world, f"/ad-accounts/{ad_account_id}/sync-runs"), headers=world.viewer.headers)
    assert response.status_code == 200, response.text
    runs: list[dict[str, Any]] = response.json()["items"]
    return runs


def expected_tree(sandbox: SandboxServer, platform: Platform, account_id: str) -> dict[EntityLevel, set[str]]:
    """The sandbox's ground truth: the ids of the account's live entities per level (an entity under a removed
    campaign or ad group is gone with it, as on the platforms)."""
    world = sandbox.state.world

    def live(entity_id: str | None) -> bool:
        entity = world.entity(platform, entity_id) if entity_id else None
        return entity is None or (entity.status is not EntityStatus.removed and live(entity.parent_id))

    return {
        level: {e.id for e in world.entities(platform, account_id, level) if live(e.parent_id)} for level in EntityLevel
    }


def synced_account(connection: dict[str, Any]) -> tuple[str, str]:
    account = next(a for a in connection["accounts"] if a["managed"])
    return account["id"], account["platform_account_id"]


@pytest.mark.parametrize("platform", list(Platform))
async def test_connecting_syncs_the_whole_tree_of_every_managed_account(
    client: httpx.AsyncClient, world: OrgWorld, database: Database, sandbox_platforms: SandboxServer, platform: Platform
) -> None:
    connection = await connect_sandbox(client, world, platform)
    await run_jobs(database)
    for account in (a for a in connection["accounts"] if a["managed"]):
        truth = expected_tree(sandbox_platforms, platform, account["platform_account_id"])
        for level in EntityLevel:
            synced = await all_entities(client, world, account["id"], level)
            assert {e["platform_id"] for e in synced} == truth[level], (platform, level)
        # Campaigns removed on the platform before the first sync are known too, as removed.
        everything = sandbox_platforms.state.world.entities(
            platform, account["platform_account_id"], EntityLevel.campaign, include_removed=True
        )
        removed = await all_entities(client, world, account["id"], EntityLevel.campaign, include_removed=True)
        assert {e["platform_id"]: e["status"] for e in removed} == {e.id: e.status.value for e in everything}
        assert all(e["removed_at"] is not None for e in removed if e["status"] == "removed")
        runs = await sync_runs(client, world, account["id"])
        assert [run["status"] for run in runs] == ["succeeded"]
        assert runs[0]["trigger"] == "connect"
        assert runs[0]["counts"]["campaign"]["created"] == len(everything)
        assert runs[0]["counts"]["campaign"]["removed"] == 0


async def test_entities_carry_status_budget_and_the_tree(
    client: httpx.AsyncClient, world: OrgWorld, database: Database, sandbox_platforms: SandboxServer
) -> None:
    connection = await connect_sandbox(client, world, Platform.google)
    await run_jobs(database)
    ad_account_id, _platform_account_id = synced_account(connection)
    world_ = sandbox_platforms.state.world
    campaigns = await all_entities(client, world, ad_account_id, EntityLevel.campaign)
    for campaign in campaigns:
        truth = world_.entity(Platform.google, campaign["platform_id"])
        assert truth is not None
        assert campaign["name"] == truth.name
        assert campaign["status"] == truth.status.value
        assert campaign["daily_budget_micros"] == truth.daily_budget_micros
    first = campaigns[0]
    groups = await all_entities(
        client, world, ad_account_id, EntityLevel.ad_group, parent_platform_id=first["platform_id"]
    )
    truth_groups = {e.id for e in world_.children(Platform.google, first["platform_id"], include_removed=False)}
    assert {g["platform_id"] for g in groups} == truth_groups
    assert all(g["campaign_platform_id"] == first["platform_id"] for g in groups)


async def test_a_second_sync_changes_nothing_and_sees_edits_and_removals(
    client: httpx.AsyncClient, world: OrgWorld, database: Database, sandbox_platforms: SandboxServer
) -> None:
    connection = await connect_sandbox(client, world, Platform.meta)
    await run_jobs(database)
    ad_account_id, platform_account_id = synced_account(connection)
    before = await all_entities(client, world, ad_account_id, EntityLevel.ad)

    # Nothing changed on the platform: the next run writes nothing.
    response = await client.post(org_url(world, f"/ad-accounts/{ad_account_id}/sync"), headers=world.member.headers)
    assert response.status_code == 202, response.text
    assert response.json()["status"] == "queued"
    await run_jobs(database)
    latest = (await sync_runs(client, world, ad_account_id))[0]
    assert latest["status"] == "succeeded" and latest["trigger"] == "manual"
    assert all(c["created"] == c["updated"] == c["removed"] == 0 for c in latest["counts"].values())
    assert len(await all_entities(client, world, ad_account_id, EntityLevel.ad)) == len(before)

    # Someone pauses a campaign and removes an ad on the platform.
    world_ = sandbox_platforms.state.world
    campaign = next(
        e
        for e in world_.entities(Platform.meta, platform_account_id, EntityLevel.campaign)
        if e.status is EntityStatus.active
    )
    world_.update_entity(Platform.meta, campaign.id, status=EntityStatus.paused)
    live_ads = expected_tree(sandbox_platforms, Platform.meta, platform_account_id)[EntityLevel.ad]
    ad = next(e for e in world_.entities(Platform.meta, platform_account_id, EntityLevel.ad) if e.id in live_ads)
    world_.update_entity(Platform.meta, ad.id, status=EntityStatus.removed)
    await client.post(org_url(world, f"/ad-accounts/{ad_account_id}/sync"), headers=world.member.headers)
    await run_jobs(database)
    latest = (await sync_runs(client, world, ad_account_id))[0]
    assert latest["counts"]["campaign"]["updated"] >= 1
    assert latest["counts"]["ad"]["removed"] == 1
    paused = await all_entities(client, world, ad_account_id, EntityLevel.campaign, name_contains=campaign.name)
    assert paused[0]["status"] == "paused"
    ads = await all_entities(client, world, ad_account_id, EntityLevel.ad, include_removed=True)
    removed = [a for a in ads if a["platform_id"] == ad.id]
    assert removed[0]["status"] == "removed" and removed[0]["removed_at"] is not None
    ids = [a["platform_id"] for a in ads]
    assert len(ids) == len(set(ids)), "no entity is stored twice"


@pytest.mark.parametrize(
    ("platform", "kind", "count"),
    [
        (Platform.google, FaultKind.rate_limit, 3),
        (Platform.meta, FaultKind.server_error, 3),
        (Platform.tiktok, FaultKind.rate_limit, 4),
        (Platform.tiktok, FaultKind.server_error, 2),
    ],
)
async def test_faults_end_with_complete_data_and_no_duplicates(
    client: httpx.AsyncClient,
    world: OrgWorld,
    database: Database,
    sandbox_platforms: SandboxServer,
    platform: Platform,
    kind: FaultKind,
    count: int,
) -> None:
    connection = await connect_sandbox(client, world, platform)
    ad_account_id, platform_account_id = synced_account(connection)
    sandbox_platforms.state.faults.add(platform, platform_account_id, Fault(kind=kind, count=count))
    await run_jobs(database)
    truth = expected_tree(sandbox_platforms, platform, platform_account_id)
    for level in EntityLevel:
        synced = [e["platform_id"] for e in await all_entities(client, world, ad_account_id, level)]
        assert Counter(synced) == Counter(truth[level])
    runs = await sync_runs(client, world, ad_account_id)
    assert runs[0]["status"] == "succeeded", runs
    overview = await client.get(org_url(world, "/connections"), headers=world.viewer.headers)
    assert all(c["health"] == "ok" for c in overview.json()["items"])


async def test_a_revoked_grant_fails_the_run_and_asks_for_a_reconnect(
    client: httpx.AsyncClient, world: OrgWorld, database: Database, sandbox_platforms: SandboxServer
) -> None:
    connection = await connect_sandbox(client, world, Platform.tiktok)
    ad_account_id, _platform_account_id = synced_account(connection)
    sandbox_platforms.state.faults.add(Platform.tiktok, "*", Fault(kind=FaultKind.revoke_token, count=1000))
    await run_jobs(database)
    runs = await sync_runs(client, world, ad_account_id)
    assert runs[0]["status"] == "failed"
    assert "PlatformAuthError" in runs[0]["error"]
    overview = (await client.get(org_url(world, "/connections"), headers=world.viewer.headers)).json()
    assert overview["items"][0]["health"] == "needs_reconnect"
    assert overview["needs_reconnect_count"] == 1
    # No data was lost or half-written: nothing synced, nothing invented.
    assert await all_entities(client, world, ad_account_id, EntityLevel.campaign) == []


async def test_sync_status_summarises_every_managed_account(
    client: httpx.AsyncClient, world: OrgWorld, database: Database, sandbox_platforms: SandboxServer
) -> None:
    connection = await connect_sandbox(client, world, Platform.google)
    await run_jobs(database)
    response = await client.get(org_url(world, "/ad-accounts/sync-status"), headers=world.viewer.headers)
    assert response.status_code == 200, response.text
    summaries = {s["ad_account_id"]: s for s in response.json()["items"]}
    managed = [a for a in connection["accounts"] if a["managed"]]
    assert set(summaries) == {a["id"] for a in managed}
    for account in managed:
        summary = summaries[account["id"]]
        truth = expected_tree(sandbox_platforms, Platform.google, account["platform_account_id"])
        assert summary["entity_counts"] == {level.value: len(ids) for level, ids in truth.items()}
        assert summary["last_run"]["status"] == "succeeded"
        assert summary["last_succeeded_at"] is not None


async def test_the_scheduler_queues_accounts_not_synced_within_the_interval(
    client: httpx.AsyncClient, world: OrgWorld, database: Database, sandbox_platforms: SandboxServer
) -> None:
    from adpilot.campaigns import entity_sync_service

    connection = await connect_sandbox(client, world, Platform.meta)
    await run_jobs(database)
    managed = [a for a in connection["accounts"] if a["managed"]]
    async with database.transaction() as session:
        assert await entity_sync_service.queue_due_syncs(session, 15) == 0  # just synced
    # Fifteen minutes later (the runs are made older instead of waiting).
    async with database.transaction() as session:
        await session.execute(
            text("SELECT set_config('app.organization_id', :org, true)"), {"org": world.organization_id}
        )
        await session.execute(text("UPDATE sync_runs SET queued_at = queued_at - interval '16 minutes'"))
    async with database.transaction() as session:
        assert await entity_sync_service.queue_due_syncs(session, 15) == len(managed)
    async with database.transaction() as session:
        assert await entity_sync_service.queue_due_syncs(session, 15) == 0  # queued once, not twice
    await run_jobs(database)
    for account in managed:
        runs = await sync_runs(client, world, account["id"])
        assert [r["trigger"] for r in runs] == ["schedule", "connect"]
        assert runs[0]["status"] == "succeeded"


async def test_credentials_that_cannot_be_refreshed_just_now_leave_the_run_retrying_not_stuck(
    client: httpx.AsyncClient,
    world: OrgWorld,
    database: Database,
    sandbox_platforms: SandboxServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from adpilot.connections import platform_gateway
    from adpilot.platforms.errors import PlatformUnavailable

    connection = await connect_sandbox(client, world, Platform.google)
    ad_account_id, _ = synced_account(connection)
    await run_jobs(database)
    original = platform_gateway._open_account
    failures = 2

    async def flaky_open_account(*args: Any, **kwargs: Any) -> Any:
        nonlocal failures
        if failures:
            failures -= 1
            raise PlatformUnavailable("the token endpoint is down")
        return await original(*args, **kwargs)

    monkeypatch.setattr(platform_gateway, "_open_account", flaky_open_account)
    await client.post(org_url(world, f"/ad-accounts/{ad_account_id}/sync"), headers=world.member.headers)
    await run_jobs(database)
    latest = (await sync_runs(client, world, ad_account_id))[0]
    assert latest["status"] == "succeeded"
    assert latest["attempts"] == 3


@pytest.mark.parametrize("platform", [Platform.google, Platform.tiktok])
async def test_a_token_that_expires_mid_sync_is_refreshed_or_reported_truthfully(
    client: httpx.AsyncClient,
    world: OrgWorld,
    database: Database,
    sandbox_platforms: SandboxServer,
    platform: Platform,
) -> None:
    """Google's access token can be refreshed: the sync completes. TikTok's advertiser token cannot (it never
    expires; an "expired" answer means it was revoked): the connection asks to be reconnected."""
    connection = await connect_sandbox(client, world, platform)
    ad_account_id, platform_account_id = synced_account(connection)
    sandbox_platforms.state.faults.add(platform, platform_account_id, Fault(kind=FaultKind.expire_token, count=1))
    await run_jobs(database)
    runs = await sync_runs(client, world, ad_account_id)
    overview = (await client.get(org_url(world, "/connections"), headers=world.viewer.headers)).json()
    if platform is Platform.google:
        assert runs[0]["status"] == "succeeded", runs
        truth = expected_tree(sandbox_platforms, platform, platform_account_id)
        for level in EntityLevel:
            synced = [e["platform_id"] for e in await all_entities(client, world, ad_account_id, level)]
            assert Counter(synced) == Counter(truth[level])
        assert overview["items"][0]["health"] == "ok"
    else:
        assert runs[0]["status"] == "failed"
        assert overview["items"][0]["health"] == "needs_reconnect"


async def test_syncing_an_account_that_is_not_managed_is_a_conflict(
    client: httpx.AsyncClient, world: OrgWorld, database: Database, sandbox_platforms: SandboxServer
) -> None:
    connection = await connect_sandbox(client, world, Platform.google)
    manager = next(a for a in connection["accounts"] if a["is_manager"])
    response = await client.post(org_url(world, f"/ad-accounts/{manager['id']}/sync"), headers=world.member.headers)
    assert response.status_code == 409, response.text
    assert response.json()["code"] == "ad-account-not-managed"
    assert await sync_runs(client, world, manager["id"]) == []


async def test_a_sync_job_for_an_account_no_longer_managed_fails_its_run_in_words(
    client: httpx.AsyncClient, world: OrgWorld, database: Database, sandbox_platforms: SandboxServer
) -> None:
    """A job queued by name for an account that is not managed (it was unticked meanwhile) fails its run, with a
    reason a person can read, and leaves the connection's health alone."""
    from adpilot.campaigns import entity_sync_service

    connection = await connect_sandbox(client, world, Platform.google)
    await run_jobs(database)
    manager = next(a for a in connection["accounts"] if a["is_manager"])
    await entity_sync_service.run_sync(UUID(world.organization_id), None, ad_account_id=UUID(manager["id"]))
    runs = await sync_runs(client, world, manager["id"])
    assert [r["status"] for r in runs] == ["failed"]
    assert runs[0]["error"] == "This ad account is not managed."
    overview = (await client.get(org_url(world, "/connections"), headers=world.viewer.headers)).json()
    assert overview["items"][0]["health"] == "ok"


async def test_a_run_abandoned_by_a_dead_worker_is_closed_when_the_next_one_is_queued(
    client: httpx.AsyncClient, world: OrgWorld, database: Database, sandbox_platforms: SandboxServer
) -> None:
    connection = await connect_sandbox(client, world, Platform.meta)
    ad_account_id, _ = synced_account(connection)
    # The first run was taken by a worker that died two hours ago.
    async with database.transaction() as session:
        await session.execute(
            text("SELECT set_config('app.organization_id', :org, true)"), {"org": world.organization_id}
        )
        await session.execute(
            text(
                "UPDATE sync_runs SET status = 'running', started_at = now() - interval '2 hours' "
                "WHERE ad_account_id = :account"
            ),
            {"account": ad_account_id},
        )
    response = await client.post(org_url(world, f"/ad-accounts/{ad_account_id}/sync"), headers=world.member.headers)
    assert response.status_code == 202, response.text
    runs = await sync_runs(client, world, ad_account_id)
    assert [r["status"] for r in runs] == ["queued", "failed"]
    assert runs[1]["error"].startswith("abandoned")


async def test_a_sync_that_would_wait_for_the_rate_limiter_is_rescheduled_not_slept(
    client: httpx.AsyncClient, world: OrgWorld, database: Database, sandbox_platforms: SandboxServer
) -> None:
    from adpilot.platforms.ratelimit import PostgresRateLimiter

    connection = await connect_sandbox(client, world, Platform.google)
    ad_account_id, _ = synced_account(connection)
    await run_jobs(database)
    # Google's app-wide slot is ten minutes away (another process was throttled): the sync must not sit it out.
    await PostgresRateLimiter(database.engine).block("google:app", 600)
    await client.post(org_url(world, f"/ad-accounts/{ad_account_id}/sync"), headers=world.member.headers)
    started = time.monotonic()
    await jobs.app.run_worker_async(
        wait=False, install_signal_handlers=False, concurrency=1, fetch_job_polling_interval=0.05
    )
    assert time.monotonic() - started < 30  # it gave its worker slot back instead of sleeping for ten minutes
    deferred, *_ = [run for run in await sync_runs(client, world, ad_account_id) if run["status"] == "deferred"]
    assert "RateLimiterWait" in deferred["error"]
    latest = (await sync_runs(client, world, ad_account_id))[0]
    assert latest["status"] == "queued"
    async with database.transaction() as session:
        delay = (
            await session.execute(
                text(
                    "SELECT EXTRACT(EPOCH FROM scheduled_at - now()) FROM procrastinate_jobs "
                    "WHERE task_name = 'campaigns.sync_entities' AND status = 'todo'"
                )
            )
        ).scalar_one()
    assert 500 < delay <= 601  # queued for when the limiter has a slot
    # Our own limiter is not a platform failure: the connection stays healthy.
    overview = (await client.get(org_url(world, "/connections"), headers=world.viewer.headers)).json()
    assert overview["items"][0]["health"] == "ok"


async def test_the_sync_log_keeps_a_bounded_history(
    client: httpx.AsyncClient,
    world: OrgWorld,
    database: Database,
    sandbox_platforms: SandboxServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from adpilot.config import get_settings

    connection = await connect_sandbox(client, world, Platform.google)
    ad_account_id, _ = synced_account(connection)
    await run_jobs(database)
    [first] = await sync_runs(client, world, ad_account_id)
    assert first["status"] == "succeeded"
    # Yesterday's success, then forty failed scheduled runs since (a platform outage).
    async with database.transaction() as session:
        await session.execute(
            text("SELECT set_config('app.organization_id', :org, true)"), {"org": str(world.organization_id)}
        )
        await session.execute(
            text("UPDATE sync_runs SET queued_at = now() - interval '1 day' WHERE id = :id"), {"id": first["id"]}
        )
        await session.execute(
            text(
                "INSERT INTO sync_runs (id, organization_id, ad_account_id, kind, trigger, status, queued_at,"
                " finished_at, counts, error, attempts)"
                " SELECT gen_random_uuid(), :org, :account, 'entities', 'schedule', 'failed',"
                " now() - make_interval(mins => n), now() - make_interval(mins => n), '{}', 'down', 1"
                " FROM generate_series(1, 40) AS n"
            ),
            {"org": world.organization_id, "account": ad_account_id},
        )
    monkeypatch.setenv("ADPILOT_SYNC_RUN_HISTORY_PER_ACCOUNT", "10")
    get_settings.cache_clear()
    try:
        queued = await client.post(org_url(world, f"/ad-accounts/{ad_account_id}/sync"), headers=world.member.headers)
        assert queued.status_code == 202, queued.text
    finally:
        monkeypatch.delenv("ADPILOT_SYNC_RUN_HISTORY_PER_ACCOUNT")
        get_settings.cache_clear()
    runs = await sync_runs(client, world, ad_account_id)
    # The newest ten (the new queued run and the nine latest failures), and the last success, however old.
    assert len(runs) == 11
    assert runs[0]["id"] == queued.json()["id"] and runs[0]["status"] == "queued"
    assert [run["status"] for run in runs[1:10]] == ["failed"] * 9
    assert runs[-1]["id"] == first["id"]
