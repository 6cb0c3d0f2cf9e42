"""Part periods are compared like with like: today so far against yesterday up to the same hour (from the hourly
numbers); a longer range that includes today holds its comparison back instead of setting a part against a whole."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest

from adpilot.db import Database, set_tenant
from adpilot.metrics.service.store import IngestTarget, metrics_store
from adpilot.platforms.types import EntityLevel, HourlyMetricsRow, Platform
from tests.fixtures import OrgWorld
from tests.metrics.helpers import add_ad_account, daily_row, ingest

pytestmark = pytest.mark.usefixtures("database")

# The frozen clock: 14:30 UTC on 20 March; the organization and its account are on UTC.
NOW = datetime(2026, 3, 20, 14, 30, tzinfo=UTC)
TODAY = NOW.date()
YESTERDAY = TODAY - timedelta(days=1)
FIRST = date(2026, 2, 1)
HOURS_SO_FAR = NOW.hour + 1  # hours 0..14 have numbers today
# Each hour: 100 impressions, 4 clicks, 1.00 USD, 1 conversion worth 3.00 USD.
HOUR = {"impressions": 100, "clicks": 4, "spend_micros": 1_000_000, "conversions": 1, "value_micros": 3_000_000}


def url(world: OrgWorld, path: str) -> str:
    return f"/api/v1/orgs/{world.organization_id}/analytics/{path}"


def day_row(day: date, hours: int) -> Any:
    return daily_row(
        EntityLevel.campaign,
        "c1",
        day,
        **{key: value * hours for key, value in HOUR.items()},  # type: ignore[arg-type]
    )


def hour_rows(day: date, hours: int) -> list[HourlyMetricsRow]:
    return [HourlyMetricsRow("c1", day, hour, 100, 4, 1_000_000, Decimal(1), 3_000_000, "USD") for hour in range(hours)]


async def seed(database: Database, world: OrgWorld) -> IngestTarget:
    """Whole days from 1 February to yesterday, today so far; the hours of yesterday and today."""
    target = await add_ad_account(database, world.organization_id, Platform.google, name="Shop")
    days = [FIRST + timedelta(days=i) for i in range((YESTERDAY - FIRST).days + 1)]
    rows = [day_row(day, 24) for day in days] + [day_row(TODAY, HOURS_SO_FAR)]
    await ingest(database, target, EntityLevel.campaign, FIRST, TODAY, rows)
    async with database.transaction() as session:
        await set_tenant(session, target.organization_id)
        await metrics_store.ingest_hourly(session, target, YESTERDAY, hour_rows(YESTERDAY, 24), now=NOW)
        await metrics_store.ingest_hourly(session, target, TODAY, hour_rows(TODAY, HOURS_SO_FAR), now=NOW)
    return target


@pytest.fixture
def frozen_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("adpilot.reporting.service.query.utcnow", lambda: NOW)


async def get(client: httpx.AsyncClient, world: OrgWorld, path: str, **params: Any) -> Any:
    response = await client.get(url(world, path), params=params, headers=world.viewer.headers)
    assert response.status_code == 200, response.text
    return response.json()


@pytest.mark.usefixtures("frozen_clock")
class TestPartPeriods:
    async def test_today_is_compared_with_yesterday_up_to_the_same_hour(
        self, client: httpx.AsyncClient, world: OrgWorld, database: Database
    ) -> None:
        await seed(database, world)
        body = await get(client, world, "summary", preset="today", compare="previous_period")
        assert body["totals"]["conversions"] == 15 and body["totals"]["spend_micros"] == 15_000_000
        # Yesterday's hours 0..14 only: no change, where all of yesterday (24 conversions) read as -37.5 %.
        assert body["previous"]["conversions"] == 15
        assert body["previous"]["spend_micros"] == 15_000_000
        assert body["previous"]["cpa_micros"] == body["totals"]["cpa_micros"] == 1_000_000
        assert body["range"]["partial"] is True
        # The Today spend card and today's pacing total agree.
        pacing = await get(client, world, "pacing")
        assert pacing["totals"]["spend_micros"] == body["totals"]["spend_micros"]

    async def test_a_range_that_includes_today_holds_its_comparison_back(
        self, client: httpx.AsyncClient, world: OrgWorld, database: Database
    ) -> None:
        await seed(database, world)
        for preset in ("this_month", "this_year"):
            body = await get(client, world, "summary", preset=preset, compare="previous_period")
            assert body["totals"] is not None or preset == "this_year"  # this year reaches before the sync
            assert body["previous"] is None, preset
            assert body["range"]["partial"] is True, preset
        month = await get(client, world, "summary", preset="this_month", compare="previous_year")
        assert month["previous"] is None
        # Whole days are compared as before.
        week = await get(client, world, "summary", preset="last_7_days", compare="previous_period")
        assert week["range"]["partial"] is False
        assert week["previous"]["conversions"] == week["totals"]["conversions"] == 7 * 24

    async def test_only_the_time_series_point_with_today_loses_its_comparison(
        self, client: httpx.AsyncClient, world: OrgWorld, database: Database
    ) -> None:
        await seed(database, world)
        body = await get(client, world, "timeseries", preset="this_month", compare="previous_period")
        previous = [p["totals"] for p in body["previous_points"]]
        assert previous[-1] is None
        assert all(p is not None and p["conversions"] == 24 for p in previous[:-1])
        rows = (await get(client, world, "breakdown", preset="this_month", compare="previous_period"))["rows"]
        assert [r["previous"] for r in rows] == [None]

    async def test_the_today_spend_and_the_pacing_total_agree_across_time_zones(
        self, client: httpx.AsyncClient, world: OrgWorld, database: Database, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        # 23:30 UTC: already tomorrow in Tokyo, still today in Los Angeles; the organization is on UTC.
        late = datetime(2026, 3, 20, 23, 30, tzinfo=UTC)
        monkeypatch.setattr("adpilot.reporting.service.query.utcnow", lambda: late)
        tokyo = await add_ad_account(database, world.organization_id, Platform.meta, time_zone="Asia/Tokyo")
        la = await add_ad_account(database, world.organization_id, Platform.google, time_zone="America/Los_Angeles")
        for target, spend in ((tokyo, 40_000_000), (la, 7_000_000)):
            rows = [daily_row(EntityLevel.campaign, "c1", TODAY, spend_micros=spend)]
            await ingest(database, target, EntityLevel.campaign, FIRST, TODAY, rows)
        # Tokyo's own today, 21 March, has begun: it is not the organization's today.
        tomorrow = TODAY + timedelta(days=1)
        await ingest(
            database,
            tokyo,
            EntityLevel.campaign,
            tomorrow,
            tomorrow,
            [daily_row(EntityLevel.campaign, "c1", tomorrow, spend_micros=3_000_000)],
        )
        today = await get(client, world, "summary", preset="today")
        assert today["totals"]["spend_micros"] == 47_000_000
        pacing = await get(client, world, "pacing")
        assert pacing["totals"]["spend_micros"] == today["totals"]["spend_micros"]
        assert {row["day"] for row in pacing["rows"]} == {TODAY.isoformat()}
