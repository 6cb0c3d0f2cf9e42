"""Metrics sync end to end: the real adapters against the sandbox emulators over HTTP, into the metrics store.

The store must hold exactly the sandbox's ground truth at every level, including after late conversions restate
recent days, and re-reading must never double count.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

import httpx
import pytest
from sqlalchemy import text

from adpilot.config import get_settings
from adpilot.db import Database, set_tenant
from adpilot.metrics.service.sync import (
    account_today,
    backfill_since,
    campaign_days,
    history_since,
    metrics_sync_service,
)
from adpilot.platforms.types import EntityLevel, HourlyMetricsRow, Platform
from adpilot.sandbox.engine import minor_unit_micros
from tests.campaigns.test_entity_sync import connect_sandbox, org_url, run_jobs
from tests.fixtures import OrgWorld
from tests.sandbox_fixtures import SandboxServer

BACKFILL_DAYS = 20


@pytest.fixture(autouse=True)
def short_backfill(monkeypatch: pytest.MonkeyPatch, sandbox_platforms: SandboxServer) -> None:
    monkeypatch.setattr(get_settings(), "metrics_backfill_days", BACKFILL_DAYS)
    monkeypatch.setattr(get_settings(), "metrics_history_months", 0)
    # The store is compared with the ground truth at one instant: "today" must not move on meanwhile.
    sandbox_platforms.state.clock.freeze()


Key = tuple[str, str, date]  # (level, entity, day)


async def stored(database: Database, organization_id: str, ad_account_id: str) -> dict[Key, tuple[Any, ...]]:
    async with database.transaction() as session:
        await set_tenant(session, UUID(organization_id))
        rows = (
            await session.execute(
                text(
                    "SELECT level, entity_platform_id, day, impressions, clicks, spend_micros, conversions, "
                    "conversion_value_micros FROM metrics_daily WHERE ad_account_id = :account"
                ),
                {"account": ad_account_id},
            )
        ).all()
    return {(r[0], r[1], r[2]): (r[3], r[4], r[5], Decimal(r[6]), r[7]) for r in rows}


def truth(
    server: SandboxServer, platform: Platform, account_id: str, since: date, until: date
) -> dict[Key, tuple[Any, ...]]:
    world = server.state.world
    expected: dict[Key, tuple[Any, ...]] = {}
    for level in EntityLevel:
        for row in world.daily_metrics(platform, account_id, level, since, until):
            expected[(level.value, row.entity_id, row.day)] = (
                row.impressions,
                row.clicks,
                row.spend_micros,
                Decimal(row.conversions),
                row.conversion_value_micros,
            )
    return expected


async def runs(client: httpx.AsyncClient, world: OrgWorld, ad_account_id: str) -> list[dict[str, Any]]:
    response = await client.get(
        org_url(world, f"/ad-accounts/{ad_account_id}/metric-sync-runs"), headers=world.viewer.headers
    )
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


@pytest.mark.parametrize("platform", list(Platform))
async def test_the_backfill_stores_the_platforms_numbers_at_every_level(
    client: httpx.AsyncClient, world: OrgWorld, database: Database, sandbox_platforms: SandboxServer, platform: Platform
) -> None:
    connection = await connect_sandbox(client, world, platform)
    queued = await runs(client, world, next(a["id"] for a in connection["accounts"] if a["managed"]))
    assert [(r["scope"], r["status"], r["trigger"]) for r in queued] == [("backfill", "queued", "connect")]
    await run_jobs(database)
    for account in (a for a in connection["accounts"] if a["managed"]):
        today = account_today(account["time_zone"])
        since = backfill_since(today, BACKFILL_DAYS)
        days = (today - since).days + 1
        expected = truth(sandbox_platforms, platform, account["platform_account_id"], since, today)
        assert expected, "the sandbox account has activity"
        assert await stored(database, world.organization_id, account["id"]) == expected, account["name"]
        [run] = await runs(client, world, account["id"])
        assert run["status"] == "succeeded", run
        assert (run["days_done"], run["days_total"]) == (days, days)
        assert run["since"] == since.isoformat() and run["until"] == today.isoformat()


async def test_late_conversions_are_restated_and_a_reread_never_double_counts(
    client: httpx.AsyncClient, world: OrgWorld, database: Database, sandbox_platforms: SandboxServer
) -> None:
    connection = await connect_sandbox(client, world, Platform.meta)
    await run_jobs(database)
    account = next(a for a in connection["accounts"] if a["managed"])
    before = await stored(database, world.organization_id, account["id"])

    # A day and a half later on the platform, recent days have gained conversions.
    sandbox_platforms.state.clock.advance(36 * 3600)
    response = await client.post(
        org_url(world, f"/ad-accounts/{account['id']}/metric-sync"), headers=world.member.headers
    )
    assert response.status_code == 202, response.text
    assert response.json()["scope"] == "recent"
    await run_jobs(database)
    # Asked again with nothing new: nothing is written twice.
    await client.post(org_url(world, f"/ad-accounts/{account['id']}/metric-sync"), headers=world.member.headers)
    await run_jobs(database)

    today = account_today(account["time_zone"])
    since = backfill_since(today, BACKFILL_DAYS)
    after = await stored(database, world.organization_id, account["id"])
    expected = truth(sandbox_platforms, Platform.meta, account["platform_account_id"], since, today)
    assert after == expected
    restated = [key for key in after if key in before and after[key][3] != before[key][3]]
    assert restated, "late conversions changed some recent days"
    assert all(key[2] >= today - timedelta(days=7) for key in restated)
    newest = await runs(client, world, account["id"])
    assert newest[0]["rows_written"] == 0 and newest[0]["status"] == "succeeded"


async def test_rollups_equal_the_campaign_rows(
    client: httpx.AsyncClient, world: OrgWorld, database: Database, sandbox_platforms: SandboxServer
) -> None:
    await connect_sandbox(client, world, Platform.google)
    await run_jobs(database)
    async with database.transaction() as session:
        await set_tenant(session, UUID(world.organization_id))
        raw = (
            await session.execute(
                text(
                    "SELECT ad_account_id, sum(spend_micros), sum(conversions) FROM metrics_daily "
                    "WHERE level = 'campaign' GROUP BY 1 ORDER BY 1"
                )
            )
        ).all()
        for table in ("metrics_account_daily", "metrics_account_monthly", "metrics_campaign_monthly"):
            rolled = (
                await session.execute(
                    text(
                        f"SELECT ad_account_id, sum(spend_micros), sum(conversions) FROM {table} "  # noqa: S608
                        "GROUP BY 1 ORDER BY 1"
                    )
                )
            ).all()
            assert rolled == raw, table
        names = (
            await session.execute(text("SELECT count(*) FROM metric_entities WHERE status IS NOT NULL"))
        ).scalar_one()
        assert names > 0, "the entity sync named the dimension"


async def test_sync_now_needs_a_managed_account_and_the_member_role(
    client: httpx.AsyncClient, world: OrgWorld, database: Database, sandbox_platforms: SandboxServer
) -> None:
    connection = await connect_sandbox(client, world, Platform.tiktok)
    account = next(a for a in connection["accounts"] if a["managed"])
    url = org_url(world, f"/ad-accounts/{account['id']}/metric-sync")
    assert (await client.post(url, headers=world.viewer.headers)).status_code == 403
    # Queued at connect and not yet run: the same run is returned.
    first = await client.post(url, headers=world.member.headers)
    assert first.status_code == 202 and first.json()["scope"] == "backfill"
    other = await client.post(
        f"/api/v1/orgs/{world.other_organization_id}/ad-accounts/{account['id']}/metric-sync",
        headers=world.outsider.headers,
    )
    assert other.status_code == 404


def test_minor_units_exist() -> None:
    assert minor_unit_micros("JPY") == 1_000_000


async def age_runs(database: Database, world: OrgWorld) -> None:
    """Every metrics run of the organization queued an hour earlier than it was."""
    async with database.transaction() as session:
        await set_tenant(session, UUID(world.organization_id))
        await session.execute(text("UPDATE metric_sync_runs SET queued_at = queued_at - interval '1 hour'"))


def preset_floor(today: date) -> date:
    """The first day of the widest preset ranges: "last 90 days" (ending yesterday), "last month", "this year"."""
    last_month = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
    return min(today - timedelta(days=90), last_month, today.replace(month=1, day=1))


async def test_the_first_sync_reads_every_preset_range(
    client: httpx.AsyncClient,
    world: OrgWorld,
    database: Database,
    sandbox_platforms: SandboxServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(get_settings(), "metrics_backfill_days", 90)
    connection = await connect_sandbox(client, world, Platform.google)
    await run_jobs(database)
    for account in (a for a in connection["accounts"] if a["managed"]):
        today = account_today(account["time_zone"])
        # The organization (UTC here) may be a day behind the account: its "last 90 days" can start a day earlier.
        since = preset_floor(today) - timedelta(days=1)
        expected = truth(sandbox_platforms, Platform.google, account["platform_account_id"], since, today)
        # The oldest day of "last 90 days" had activity (the sandbox's world begins in June).
        assert today - timedelta(days=90) in {key[2] for key in expected}
        assert await stored(database, world.organization_id, account["id"]) == expected, account["name"]


async def test_history_is_read_in_the_background_after_the_first_sync(
    client: httpx.AsyncClient,
    world: OrgWorld,
    database: Database,
    sandbox_platforms: SandboxServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(get_settings(), "metrics_history_months", 13)
    connection = await connect_sandbox(client, world, Platform.tiktok)
    account = next(a for a in connection["accounts"] if a["managed"])
    await run_jobs(database)
    today = account_today(account["time_zone"])
    since = history_since(today, 13)
    expected = truth(sandbox_platforms, Platform.tiktok, account["platform_account_id"], since, today)
    # (The sandbox's world begins in 2026, after this year's first day: the history it reads is empty there.)
    assert await stored(database, world.organization_id, account["id"]) == expected
    history, backfill = await runs(client, world, account["id"])
    assert (history["scope"], history["status"], history["since"]) == ("history", "succeeded", since.isoformat())
    assert history["until"] == (backfill_since(today, BACKFILL_DAYS) - timedelta(days=1)).isoformat()
    assert (backfill["scope"], backfill["status"]) == ("backfill", "succeeded")

    # The scheduler does not read it again (the next due run is today's: the backfill read the recent days).
    await age_runs(database, world)
    async with database.transaction() as session:
        await metrics_sync_service.queue_due_syncs(session, 30)
    assert [r["scope"] for r in await runs(client, world, account["id"])] == ["today", "history", "backfill"]


async def test_the_scheduler_queues_history_for_accounts_synced_without_it(
    client: httpx.AsyncClient,
    world: OrgWorld,
    database: Database,
    sandbox_platforms: SandboxServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    connection = await connect_sandbox(client, world, Platform.meta)
    await run_jobs(database)
    account = next(a for a in connection["accounts"] if a["managed"])
    assert [r["scope"] for r in await runs(client, world, account["id"])] == ["backfill"]
    monkeypatch.setattr(get_settings(), "metrics_history_months", 13)
    await age_runs(database, world)  # due at once: the backfill is out of the interval's reach
    async with database.transaction() as session:
        await metrics_sync_service.queue_due_syncs(session, 30)
    newest = (await runs(client, world, account["id"]))[0]
    assert (newest["scope"], newest["status"]) == ("history", "queued")
    # It goes after every other job waiting (procrastinate takes higher priorities first; the rest are queued at 0).
    async with database.transaction() as session:
        priority = (
            await session.execute(
                text("SELECT priority FROM procrastinate_jobs WHERE status = 'todo' AND args->>'run_id' = :run"),
                {"run": newest["id"]},
            )
        ).scalar_one()
    assert priority < 0


async def google_operations(server: SandboxServer) -> int:
    return sum(count for (platform, _), count in server.state.operations.items() if platform is Platform.google)


async def test_re_reads_go_by_recency_and_cost_google_one_operation_between_recent_runs(
    client: httpx.AsyncClient, world: OrgWorld, database: Database, sandbox_platforms: SandboxServer
) -> None:
    connection = await connect_sandbox(client, world, Platform.google)
    await run_jobs(database)
    account = next(a for a in connection["accounts"] if a["managed"])
    managed = sum(1 for a in connection["accounts"] if a["managed"])

    # An hour after the first sync: today alone, one Google operation per account (today's campaign hours, whose sums
    # are the campaigns' day; the currency is known: no customer query before each read).
    await age_runs(database, world)
    sandbox_platforms.state.operations.clear()
    async with database.transaction() as session:
        assert await metrics_sync_service.queue_due_syncs(session, 30) == managed
    await run_jobs(database)
    newest = (await runs(client, world, account["id"]))[0]
    assert (newest["scope"], newest["status"]) == ("today", "succeeded")
    assert newest["since"] == newest["until"] == account_today(account["time_zone"]).isoformat()
    assert await google_operations(sandbox_platforms) == managed
    today = account_today(account["time_zone"])
    expected = truth(sandbox_platforms, Platform.google, account["platform_account_id"], today, today)
    campaigns_today = {key: value for key, value in expected.items() if key[0] == "campaign"}
    assert campaigns_today, "the sandbox account spends today"
    stored_today = {
        key: value
        for key, value in (await stored(database, world.organization_id, account["id"])).items()
        if key[0] == "campaign" and key[2] == today
    }
    assert stored_today == campaigns_today

    # Three hours on, the last 7 days at every level and today's hours: four operations.
    for _ in range(3):
        await age_runs(database, world)
    sandbox_platforms.state.operations.clear()
    async with database.transaction() as session:
        await metrics_sync_service.queue_due_syncs(session, 30)
    await run_jobs(database)
    assert (await runs(client, world, account["id"]))[0]["scope"] == "recent"
    assert await google_operations(sandbox_platforms) == 4 * managed


def test_a_campaigns_day_from_its_hours_keeps_all_clicks_apart() -> None:
    """Today's campaign rows are summed from hours: Meta's all clicks stay above its link clicks there too."""

    def hour(number: int, clicks: int, all_clicks: int | None) -> HourlyMetricsRow:
        return HourlyMetricsRow(
            campaign_platform_id="c1",
            day=date(2026, 12, 7),
            hour=number,
            impressions=100,
            clicks=clicks,
            spend_micros=1_000_000,
            conversions=Decimal(1),
            conversion_value_micros=2_000_000,
            currency="USD",
            all_clicks=all_clicks,
        )

    (meta,) = campaign_days([hour(9, 3, 5), hour(10, 4, 7)])
    (google,) = campaign_days([hour(9, 3, None), hour(10, 4, None)])

    assert (meta.clicks, meta.all_clicks, meta.impressions) == (7, 12, 200)
    assert (google.clicks, google.all_clicks) == (7, 7)


def google_token_requests(server: SandboxServer) -> int:
    return sum(1 for platform, _, path in server.state.request_log if platform is Platform.google and "token" in path)


async def connection_health(client: httpx.AsyncClient, world: OrgWorld) -> tuple[str, str | None]:
    item = (await client.get(org_url(world, "/connections"), headers=world.viewer.headers)).json()["items"][0]
    return item["health"], item["health_reason"]


async def test_a_token_that_expires_mid_sync_is_refreshed_once_and_the_run_completes(
    client: httpx.AsyncClient, world: OrgWorld, database: Database, sandbox_platforms: SandboxServer
) -> None:
    """The run's reads go through the platform gateway: an expired token is refreshed once, the read made again,
    and the run ends well with the connection healthy."""
    from adpilot.sandbox.faults import Fault, FaultKind

    connection = await connect_sandbox(client, world, Platform.google)
    account = next(a for a in connection["accounts"] if a["managed"])
    await run_jobs(database)
    sandbox_platforms.state.faults.add(
        Platform.google, account["platform_account_id"], Fault(kind=FaultKind.expire_token, count=1)
    )
    tokens_before = google_token_requests(sandbox_platforms)
    queued = await client.post(
        org_url(world, f"/ad-accounts/{account['id']}/metric-sync"), headers=world.member.headers
    )
    assert queued.status_code == 202, queued.text
    await run_jobs(database)
    latest = (await runs(client, world, account["id"]))[0]
    assert (latest["scope"], latest["status"], latest["attempts"]) == ("recent", "succeeded", 1), latest
    assert google_token_requests(sandbox_platforms) == tokens_before + 1
    assert await connection_health(client, world) == ("ok", None)


async def test_a_token_refused_again_after_the_refresh_fails_the_run_and_asks_for_a_reconnect(
    client: httpx.AsyncClient, world: OrgWorld, database: Database, sandbox_platforms: SandboxServer
) -> None:
    from adpilot.sandbox.faults import Fault, FaultKind

    connection = await connect_sandbox(client, world, Platform.google)
    account = next(a for a in connection["accounts"] if a["managed"])
    await run_jobs(database)
    sandbox_platforms.state.faults.add(
        Platform.google, account["platform_account_id"], Fault(kind=FaultKind.expire_token, count=2)
    )
    await client.post(org_url(world, f"/ad-accounts/{account['id']}/metric-sync"), headers=world.member.headers)
    await run_jobs(database)
    latest = (await runs(client, world, account["id"]))[0]
    assert (latest["status"], latest["attempts"]) == ("failed", 1), latest
    assert latest["error"].startswith("PlatformAuthError: ")
    assert (await connection_health(client, world))[0] == "needs_reconnect"
