"""Synced coverage: the days each ad account's metrics sync wrote, and the null (with its reason) of a period that
reaches before them, instead of zeros that read as a -100 % change."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import httpx
import pytest

from adpilot.db import Database
from adpilot.metrics.service.store import IngestTarget
from adpilot.platforms.types import EntityLevel, Platform
from tests.fixtures import OrgWorld
from tests.metrics.helpers import add_ad_account, daily_row, ingest

pytestmark = pytest.mark.usefixtures("database")

FIRST = date(2026, 3, 10)
LAST = date(2026, 3, 29)
# No rows on 12 March: a synced day without numbers, which is a true zero.
QUIET = date(2026, 3, 12)


def url(world: OrgWorld, path: str) -> str:
    return f"/api/v1/orgs/{world.organization_id}/analytics/{path}"


def days(since: date, until: date) -> list[date]:
    return [since + timedelta(days=i) for i in range((until - since).days + 1)]


async def sync(database: Database, target: IngestTarget, since: date, until: date, skip: date | None = None) -> None:
    """One window as the metrics sync writes it: every level of since..until (here, campaign rows)."""
    rows = [daily_row(EntityLevel.campaign, "c1", day, impressions=100) for day in days(since, until) if day != skip]
    await ingest(database, target, EntityLevel.campaign, since, until, rows)


async def synced_account(database: Database, world: OrgWorld, name: str = "Shop") -> IngestTarget:
    target = await add_ad_account(database, world.organization_id, Platform.google, name=name)
    # Newest window first, as the first sync writes them.
    await sync(database, target, date(2026, 3, 20), LAST)
    await sync(database, target, FIRST, date(2026, 3, 19), skip=QUIET)
    return target


async def get(client: httpx.AsyncClient, world: OrgWorld, path: str, **params: Any) -> Any:
    response = await client.get(url(world, path), params=params, headers=world.viewer.headers)
    assert response.status_code == 200, response.text
    return response.json()


class TestCoverage:
    async def test_windows_written_are_the_accounts_synced_days(
        self, client: httpx.AsyncClient, world: OrgWorld, database: Database
    ) -> None:
        target = await synced_account(database, world)
        await add_ad_account(database, world.organization_id, Platform.meta, name="Never synced")
        accounts = {a["name"]: a for a in (await get(client, world, "freshness"))["accounts"]}
        assert (accounts["Shop"]["synced_since"], accounts["Shop"]["synced_until"]) == ("2026-03-10", "2026-03-29")
        assert accounts["Never synced"]["synced_since"] is None

        # A later window after a gap (the server was off): the newest contiguous days start after the gap ...
        await sync(database, target, date(2026, 4, 5), date(2026, 4, 7))
        accounts = {a["name"]: a for a in (await get(client, world, "freshness"))["accounts"]}
        assert (accounts["Shop"]["synced_since"], accounts["Shop"]["synced_until"]) == ("2026-04-05", "2026-04-07")
        # ... until a re-read fills the gap: the history before it counts again.
        await sync(database, target, date(2026, 3, 28), date(2026, 4, 6))
        accounts = {a["name"]: a for a in (await get(client, world, "freshness"))["accounts"]}
        assert (accounts["Shop"]["synced_since"], accounts["Shop"]["synced_until"]) == ("2026-03-10", "2026-04-07")

    async def test_a_comparison_before_the_first_synced_day_is_null_with_the_reason(
        self, client: httpx.AsyncClient, world: OrgWorld, database: Database
    ) -> None:
        await synced_account(database, world)
        body = await get(client, world, "summary", since="2026-03-10", until="2026-03-19", compare="previous_period")
        assert body["totals"]["impressions"] == 900  # ten synced days, one without rows
        assert body["previous"] is None
        assert body["not_synced"] == [
            {
                "ad_account_id": body["not_synced"][0]["ad_account_id"],
                "ad_account_name": "Shop",
                "platform": "google",
                "period": "comparison",
                "synced_since": "2026-03-10",
                "reason": "Shop: not synced before 10 Mar 2026",
            }
        ]
        # Compared with synced days, both periods answer.
        body = await get(client, world, "summary", since="2026-03-20", until="2026-03-29", compare="previous_period")
        assert (body["totals"]["impressions"], body["previous"]["impressions"]) == (1000, 900)
        assert body["not_synced"] == []

    async def test_a_synced_day_without_rows_is_zero_and_a_partly_synced_range_is_null(
        self, client: httpx.AsyncClient, world: OrgWorld, database: Database
    ) -> None:
        await synced_account(database, world)
        quiet = await get(client, world, "summary", since="2026-03-12", until="2026-03-12")
        assert quiet["totals"]["impressions"] == 0 and quiet["not_synced"] == []
        partly = await get(client, world, "summary", since="2026-03-05", until="2026-03-15")
        assert partly["totals"] is None
        assert [(g["period"], g["synced_since"]) for g in partly["not_synced"]] == [("range", "2026-03-10")]

    async def test_time_series_points_before_the_first_synced_day_are_null(
        self, client: httpx.AsyncClient, world: OrgWorld, database: Database
    ) -> None:
        await synced_account(database, world)
        body = await get(client, world, "timeseries", since="2026-03-08", until="2026-03-12", granularity="day")
        assert [p["totals"] and p["totals"]["impressions"] for p in body["points"]] == [None, None, 100, 100, 0]
        assert [g["period"] for g in body["not_synced"]] == ["range"]

    async def test_breakdown_rows_are_null_only_for_the_accounts_that_miss_days(
        self, client: httpx.AsyncClient, world: OrgWorld, database: Database
    ) -> None:
        await synced_account(database, world)
        older = await add_ad_account(database, world.organization_id, Platform.google, name="Older")
        await sync(database, older, date(2026, 3, 1), LAST)
        body = await get(client, world, "breakdown", since="2026-03-05", until="2026-03-15", dimension="account")
        rows = {r["key"]["name"]: r for r in body["rows"]}
        assert rows["Older"]["totals"]["impressions"] == 1100
        assert rows["Shop"]["totals"] is None
        assert [g["ad_account_name"] for g in body["not_synced"]] == ["Shop"]
        # Filtered to the account that synced them, the days answer.
        summary = await get(
            client, world, "summary", since="2026-03-05", until="2026-03-15", ad_account_id=str(older.ad_account_id)
        )
        assert summary["totals"]["impressions"] == 1100 and summary["not_synced"] == []

    async def test_an_account_that_never_synced_makes_the_totals_null(
        self, client: httpx.AsyncClient, world: OrgWorld, database: Database
    ) -> None:
        await synced_account(database, world)
        await add_ad_account(database, world.organization_id, Platform.meta, name="Just connected")
        body = await get(client, world, "summary", since="2026-03-20", until="2026-03-29")
        assert body["totals"] is None
        assert [(g["ad_account_name"], g["synced_since"], g["reason"]) for g in body["not_synced"]] == [
            ("Just connected", None, "Just connected: not synced yet")
        ]
