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

from adpilot.analytics.service.sync import account_today
from adpilot.config import get_settings
from adpilot.db import Database, set_tenant
from adpilot.platforms.types import EntityLevel, Platform
from adpilot.sandbox.engine import minor_unit_micros
from tests.campaigns.test_entity_sync import connect_sandbox, org_url, run_jobs
from tests.fixtures import OrgWorld
from tests.sandbox_fixtures import SandboxServer

BACKFILL_DAYS = 20


@pytest.fixture(autouse=True)
def short_backfill(monkeypatch: pytest.MonkeyPatch, sandbox_platforms: SandboxServer) -> None:
    monkeypatch.setattr(get_settings(), "metrics_backfill_days", BACKFILL_DAYS)
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
        since = today - timedelta(days=BACKFILL_DAYS - 1)
        expected = truth(sandbox_platforms, platform, account["platform_account_id"], since, today)
        assert expected, "the sandbox account has activity"
        assert await stored(database, world.organization_id, account["id"]) == expected, account["name"]
        [run] = await runs(client, world, account["id"])
        assert run["status"] == "succeeded", run
        assert (run["days_done"], run["days_total"]) == (BACKFILL_DAYS, BACKFILL_DAYS)
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
    since = today - timedelta(days=BACKFILL_DAYS - 1)
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
