"""KPI queries: totals, comparisons, time series and breakdowns equal hand-computed sums over rows written through the
real ingestion, in the reporting currency, for every path (monthly rollups, daily rollups, raw rows)."""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest
from sqlalchemy import text

from adpilot.db import Database, set_tenant
from adpilot.platforms.types import EntityLevel, Platform
from adpilot.reporting.repository.query import QueryRepository
from adpilot.reporting.repository.query_sql import Bucket, GroupBy, RowFilter, Source
from adpilot.reporting.service.query import (
    AnalyticsQuery,
    CampaignStatus,
    Compare,
    Dimension,
    Granularity,
    InvalidAnalyticsQuery,
    Preset,
    Totals,
    analytics_query_service,
)
from tests.fixtures import OrgWorld
from tests.reporting.query_data import (
    Expected,
    Row,
    World,
    add_account,
    add_rates,
    at,
    days,
    name_campaigns,
    random_campaign_rows,
    set_organization,
    write_rows,
)

pytestmark = pytest.mark.usefixtures("database")

START, END = date(2023, 1, 1), date(2024, 6, 30)
NOW = at("2024-07-01T12:00:00+00:00")


def totals_dict(totals: Totals) -> dict[str, Any]:
    return {
        "impressions": totals.impressions,
        "clicks": totals.clicks,
        "spend_micros": totals.spend_micros,
        "conversions": float(totals.conversions),
        "conversion_value_micros": totals.conversion_value_micros,
    }


def add(*parts: Expected) -> Expected:
    total = Expected()
    for part in parts:
        total.impressions += part.impressions
        total.clicks += part.clicks
        total.conversions += part.conversions
        total.spend = None if part.spend is None or total.spend is None else total.spend + part.spend
        total.value = None if part.value is None or total.value is None else total.value + part.value
    return total


@pytest.fixture
async def shop(world: OrgWorld, database: Database) -> World:
    """An organization reporting in USD with Google (USD), Meta (USD) and TikTok (EUR) accounts, 18 months of
    campaign numbers, and EUR rates that change now and then (carried forward in between, one pair given as USD→EUR)."""
    data = World(UUID(world.organization_id))
    await set_organization(database, data.organization_id, time_zone="UTC", currency="USD")
    google = await add_account(database, data, Platform.google, "USD", name="Google main")
    meta = await add_account(database, data, Platform.meta, "USD", name="Meta shop")
    tiktok = await add_account(database, data, Platform.tiktok, "EUR", name="TikTok EU")
    await random_campaign_rows(database, data, google, ["g1", "g2"], START, END, 1)
    await random_campaign_rows(database, data, meta, ["m1", "m2"], START, END, 2, skip_every=5)
    await random_campaign_rows(database, data, tiktok, ["t1"], START, END, 3, skip_every=3)
    await name_campaigns(database, data, google, {"g1": ("Brand search", "active"), "g2": ("Generic", "paused")})
    await name_campaigns(
        database, data, meta, {"m1": ("Brand prospecting", "active"), "m2": ("Retargeting", "removed")}
    )
    await name_campaigns(database, data, tiktok, {"t1": ("Spark ads", "active")})
    rates: dict[tuple[str, str, date], Decimal] = {}
    rng = random.Random(7)
    for day in days(START - timedelta(days=10), END):
        if rng.randrange(9) == 0 or day == START - timedelta(days=10):
            if rng.randrange(2):
                rates[("EUR", "USD", day)] = Decimal(rng.randint(1000, 1200)) / 1000
            else:
                rates[("USD", "EUR", day)] = Decimal("0.8") if rng.randrange(2) else Decimal("0.625")
    await add_rates(database, data, rates)
    return data


async def summary(database: Database, world: World, query: AnalyticsQuery) -> Any:
    async with database.transaction() as session:
        await set_tenant(session, world.organization_id)
        return await analytics_query_service.summary(session, world.organization_id, query, now=NOW)


async def timeseries(database: Database, world: World, query: AnalyticsQuery, granularity: Granularity) -> Any:
    async with database.transaction() as session:
        await set_tenant(session, world.organization_id)
        return await analytics_query_service.timeseries(session, world.organization_id, query, granularity, now=NOW)


async def breakdown(database: Database, world: World, query: AnalyticsQuery, dimension: Dimension, **kw: Any) -> Any:
    async with database.transaction() as session:
        await set_tenant(session, world.organization_id)
        return await analytics_query_service.breakdown(session, world.organization_id, query, dimension, now=NOW, **kw)


RANGES = [
    (date(2024, 1, 1), date(2024, 1, 31)),  # one whole month
    (date(2023, 11, 17), date(2024, 3, 4)),  # partial edges around whole months, across a year
    (date(2024, 2, 29), date(2024, 2, 29)),  # one day
    (date(2023, 1, 1), date(2024, 6, 30)),  # everything
    (date(2022, 12, 1), date(2023, 1, 10)),  # starts before the data
]


class TestTotals:
    @pytest.mark.parametrize(("since", "until"), RANGES)
    async def test_totals_equal_hand_sums(self, shop: World, database: Database, since: date, until: date) -> None:
        answer = await summary(database, shop, AnalyticsQuery(since=since, until=until))
        assert answer.currency == "USD"
        if since < START:
            # Days before the accounts' first synced day: null with the reason, not a short sum.
            assert answer.totals is None
            assert {(gap.period, gap.synced_since) for gap in answer.not_synced} == {("range", START)}
            return
        assert answer.totals is not None
        assert totals_dict(answer.totals) == shop.expected(since, until).as_totals()
        assert answer.previous is None
        assert answer.missing_rates == []

    async def test_random_ranges_read_from_monthly_rollups_agree_with_days(
        self, shop: World, database: Database
    ) -> None:
        rng = random.Random(11)
        for _ in range(12):
            since = START + timedelta(days=rng.randrange(500))
            until = min(END, since + timedelta(days=rng.randrange(1, 200)))
            query = AnalyticsQuery(since=since, until=until)
            whole = await summary(database, shop, query)
            by_day = await timeseries(database, shop, query, Granularity.day)
            by_month = await timeseries(database, shop, query, Granularity.month)
            expected = shop.expected(since, until).as_totals()
            assert totals_dict(whole.totals) == expected, (since, until)
            # Summing converted days rounds per day; a micro or so per day may differ from the one rounding.
            day_spend = sum(p.totals.spend_micros for p in by_day.points)
            assert abs(day_spend - expected["spend_micros"]) <= len(by_day.points)
            assert sum(p.totals.impressions for p in by_day.points) == expected["impressions"]
            for point in by_month.points:
                assert totals_dict(point.totals) == shop.expected(point.period_start, point.period_end).as_totals()

    async def test_filters(self, shop: World, database: Database) -> None:
        since, until = date(2024, 1, 10), date(2024, 4, 20)
        google, meta, tiktok = sorted({r.account for r in shop.rows}, key=lambda a: a.platform.value)
        cases: list[tuple[dict[str, Any], dict[str, Any]]] = [
            ({"platforms": (Platform.meta,)}, {"platforms": [Platform.meta]}),
            ({"platforms": (Platform.meta, Platform.tiktok)}, {"platforms": [Platform.meta, Platform.tiktok]}),
            ({"ad_account_ids": (tiktok.ad_account_id,)}, {"accounts": [tiktok.ad_account_id]}),
            ({"statuses": ("active",)}, {"statuses": ["active"]}),
            ({"statuses": ("paused", "removed")}, {"statuses": ["paused", "removed"]}),
            ({"name_contains": "brand"}, {"name_contains": "brand"}),
            (
                {"name_contains": "BRAND", "platforms": (Platform.google,)},
                {"name_contains": "brand", "platforms": [Platform.google]},
            ),
            ({"name_contains": "no such campaign"}, {"name_contains": "no such campaign"}),
            ({"name_contains": "%"}, {"name_contains": "%"}),
        ]
        assert google.platform is Platform.google and meta.platform is Platform.meta
        for filters, expected_filters in cases:
            answer = await summary(database, shop, AnalyticsQuery(since=since, until=until, **filters))
            assert totals_dict(answer.totals) == shop.expected(since, until, **expected_filters).as_totals(), filters

    async def test_another_organizations_rows_never_count(
        self, shop: World, world: OrgWorld, database: Database
    ) -> None:
        other = World(UUID(world.other_organization_id))
        stranger = await add_account(database, other, Platform.google, "USD", name="Someone else")
        await random_campaign_rows(database, other, stranger, ["x1"], date(2024, 1, 1), date(2024, 1, 31), 5)
        since, until = date(2024, 1, 1), date(2024, 1, 31)
        mine = await summary(database, shop, AnalyticsQuery(since=since, until=until))
        assert totals_dict(mine.totals) == shop.expected(since, until).as_totals()
        # Asking for the stranger's account by id finds nothing here.
        filtered = await summary(
            database, shop, AnalyticsQuery(since=since, until=until, ad_account_ids=(stranger.ad_account_id,))
        )
        assert totals_dict(filtered.totals) == Expected().as_totals()
        theirs = await summary(database, other, AnalyticsQuery(since=since, until=until))
        assert totals_dict(theirs.totals) == other.expected(since, until).as_totals()


class TestComparisons:
    async def test_previous_period(self, shop: World, database: Database) -> None:
        answer = await summary(
            database,
            shop,
            AnalyticsQuery(since=date(2024, 2, 1), until=date(2024, 2, 29), compare=Compare.previous_period),
        )
        assert (answer.range.compare_since, answer.range.compare_until) == (date(2024, 1, 3), date(2024, 1, 31))
        assert answer.previous is not None
        assert totals_dict(answer.previous) == shop.expected(date(2024, 1, 3), date(2024, 1, 31)).as_totals()

    async def test_previous_year_maps_29_february_to_28_february(self, shop: World, database: Database) -> None:
        answer = await summary(
            database,
            shop,
            AnalyticsQuery(since=date(2024, 2, 29), until=date(2024, 3, 31), compare=Compare.previous_year),
        )
        assert (answer.range.compare_since, answer.range.compare_until) == (date(2023, 2, 28), date(2023, 3, 31))
        assert totals_dict(answer.previous) == shop.expected(date(2023, 2, 28), date(2023, 3, 31)).as_totals()
        assert totals_dict(answer.totals) == shop.expected(date(2024, 2, 29), date(2024, 3, 31)).as_totals()

    async def test_series_previous_points_align_with_points(self, shop: World, database: Database) -> None:
        query = AnalyticsQuery(since=date(2024, 2, 26), until=date(2024, 3, 3), compare=Compare.previous_year)
        series = await timeseries(database, shop, query, Granularity.day)
        assert [p.period_start for p in series.points] == days(date(2024, 2, 26), date(2024, 3, 3))
        assert [p.period_start for p in series.previous_points] == [
            date(2023, 2, 26), date(2023, 2, 27), date(2023, 2, 28), date(2023, 2, 28),
            date(2023, 3, 1), date(2023, 3, 2), date(2023, 3, 3),
        ]  # fmt: skip
        for point in series.previous_points:
            assert totals_dict(point.totals) == shop.expected(point.period_start, point.period_end).as_totals()

    async def test_breakdown_rows_carry_their_previous_numbers(self, shop: World, database: Database) -> None:
        query = AnalyticsQuery(since=date(2024, 3, 1), until=date(2024, 3, 31), compare=Compare.previous_period)
        answer = await breakdown(database, shop, query, Dimension.campaign, limit=10)
        assert answer.total_count == 5
        assert (answer.range.compare_since, answer.range.compare_until) == (date(2024, 1, 30), date(2024, 2, 29))
        for row in answer.rows:

            def mine(r: Row, row: Any = row) -> bool:
                return bool(
                    r.account.ad_account_id == row.key.ad_account_id and r.campaign == row.key.campaign_platform_id
                )

            current = shop.expected(date(2024, 3, 1), date(2024, 3, 31), where=mine)
            assert totals_dict(row.totals) == current.as_totals()
            previous = shop.expected(date(2024, 1, 30), date(2024, 2, 29), where=mine)
            assert totals_dict(row.previous) == previous.as_totals()


class TestSeries:
    async def test_weeks_start_on_monday_and_edges_are_clipped(self, shop: World, database: Database) -> None:
        query = AnalyticsQuery(since=date(2024, 1, 17), until=date(2024, 2, 13))
        series = await timeseries(database, shop, query, Granularity.week)
        assert [(p.period_start, p.period_end) for p in series.points] == [
            (date(2024, 1, 17), date(2024, 1, 21)),
            (date(2024, 1, 22), date(2024, 1, 28)),
            (date(2024, 1, 29), date(2024, 2, 4)),
            (date(2024, 2, 5), date(2024, 2, 11)),
            (date(2024, 2, 12), date(2024, 2, 13)),
        ]
        for point in series.points:
            assert totals_dict(point.totals) == shop.expected(point.period_start, point.period_end).as_totals()

    async def test_months_with_partial_edges_and_empty_periods(self, shop: World, database: Database) -> None:
        query = AnalyticsQuery(since=date(2024, 5, 20), until=date(2024, 8, 5))
        series = await timeseries(database, shop, query, Granularity.month)
        assert [(p.period_start, p.period_end) for p in series.points] == [
            (date(2024, 5, 20), date(2024, 5, 31)),
            (date(2024, 6, 1), date(2024, 6, 30)),
            (date(2024, 7, 1), date(2024, 7, 31)),
            (date(2024, 8, 1), date(2024, 8, 5)),
        ]
        for point in series.points[:2]:
            assert totals_dict(point.totals) == shop.expected(point.period_start, point.period_end).as_totals()
        # Periods where nothing ran are present, with zeros (and null KPIs).
        empty = series.points[2].totals
        assert (empty.impressions, empty.spend_micros, empty.ctr, empty.roas) == (0, 0, None, None)
        assert series.previous_points is None


class TestCurrencies:
    async def test_a_missing_rate_makes_money_null_and_is_listed(self, world: OrgWorld, database: Database) -> None:
        data = World(UUID(world.organization_id), reporting_currency="EUR")
        await set_organization(database, data.organization_id, time_zone="UTC", currency="EUR")
        home = await add_account(database, data, Platform.meta, "EUR", name="Home")
        away = await add_account(database, data, Platform.google, "GBP", name="Away")
        await random_campaign_rows(database, data, home, ["h"], date(2024, 3, 1), date(2024, 3, 31), 1)
        await random_campaign_rows(database, data, away, ["a"], date(2024, 3, 5), date(2024, 3, 31), 2)
        await write_rows(database, data, away, EntityLevel.campaign, date(2024, 3, 1), date(2024, 3, 4), [])
        # GBP→EUR known from 10 March only (as the inverse of EUR→GBP).
        await add_rates(database, data, {("EUR", "GBP", date(2024, 3, 10)): Decimal("0.8")})

        whole = await summary(database, data, AnalyticsQuery(since=date(2024, 3, 1), until=date(2024, 3, 31)))
        assert whole.totals.spend_micros is None and whole.totals.conversion_value_micros is None
        assert whole.totals.cpc_micros is None and whole.totals.roas is None
        expected = data.expected(date(2024, 3, 1), date(2024, 3, 31))
        assert (whole.totals.impressions, whole.totals.clicks) == (expected.impressions, expected.clicks)
        assert [(m.currency, m.since, m.until) for m in whole.missing_rates] == [
            ("GBP", date(2024, 3, 5), date(2024, 3, 9))
        ]

        after = await summary(database, data, AnalyticsQuery(since=date(2024, 3, 10), until=date(2024, 3, 31)))
        assert totals_dict(after.totals) == data.expected(date(2024, 3, 10), date(2024, 3, 31)).as_totals()
        assert after.missing_rates == []
        assert after.totals.spend_micros is not None

        series = await timeseries(
            database, data, AnalyticsQuery(since=date(2024, 3, 1), until=date(2024, 3, 12)), Granularity.day
        )
        spends = [p.totals.spend_micros for p in series.points]
        assert spends[:4] == [
            data.expected(d, d).as_totals()["spend_micros"] for d in days(date(2024, 3, 1), date(2024, 3, 4))
        ]
        assert spends[4:9] == [None] * 5 and None not in spends[9:]

        rows = await breakdown(
            database, data, AnalyticsQuery(since=date(2024, 3, 1), until=date(2024, 3, 31)), Dimension.account
        )
        by_name = {row.key.ad_account_name: row for row in rows.rows}
        assert by_name["Away"].totals.spend_micros is None and by_name["Away"].key.native_currency == "GBP"
        assert (
            by_name["Home"].totals.spend_micros
            == data.expected(date(2024, 3, 1), date(2024, 3, 31), accounts=[home.ad_account_id]).as_totals()[
                "spend_micros"
            ]
        )
        # Null money sorts last whatever the direction.
        assert [r.key.ad_account_name for r in rows.rows] == ["Home", "Away"]
        assert [m.currency for m in rows.missing_rates] == ["GBP"]

    async def test_missing_rates_cover_the_comparison_and_every_group(
        self, world: OrgWorld, database: Database
    ) -> None:
        data = World(UUID(world.organization_id), reporting_currency="USD")
        await set_organization(database, data.organization_id, time_zone="UTC", currency="USD")
        home = await add_account(database, data, Platform.google, "USD", name="Home")
        euro = await add_account(database, data, Platform.meta, "EUR", name="Euro")
        pound = await add_account(database, data, Platform.tiktok, "GBP", name="Pound")
        await random_campaign_rows(database, data, home, ["h"], date(2024, 1, 1), date(2024, 4, 30), 1)
        # A euro campaign that ran in February only: in the comparison period of March, never in March itself.
        await random_campaign_rows(database, data, euro, ["e-old"], date(2024, 2, 3), date(2024, 2, 20), 2)
        await random_campaign_rows(database, data, euro, ["e"], date(2024, 3, 1), date(2024, 3, 31), 3)
        await random_campaign_rows(database, data, pound, ["p"], date(2024, 2, 1), date(2024, 3, 31), 4)
        # Synced days without numbers, so that both periods are synced for every account.
        await write_rows(database, data, euro, EntityLevel.campaign, date(2024, 1, 1), date(2024, 2, 2), [])
        await write_rows(database, data, euro, EntityLevel.campaign, date(2024, 2, 21), date(2024, 2, 29), [])
        await write_rows(database, data, pound, EntityLevel.campaign, date(2024, 1, 1), date(2024, 1, 31), [])
        # EUR from 10 February on; GBP from 5 March on (as the inverse of USD→GBP).
        await add_rates(
            database,
            data,
            {("EUR", "USD", date(2024, 2, 10)): Decimal("1.1"), ("USD", "GBP", date(2024, 3, 5)): Decimal("0.8")},
        )
        march = AnalyticsQuery(since=date(2024, 3, 1), until=date(2024, 3, 31), compare=Compare.previous_period)
        gaps = [
            ("EUR", date(2024, 2, 3), date(2024, 2, 9)),
            ("GBP", date(2024, 2, 1), date(2024, 3, 4)),
        ]

        def listed(answer: Any) -> list[tuple[str, date, date]]:
            return [(m.currency, m.since, m.until) for m in answer.missing_rates]

        whole = await summary(database, data, march)
        assert listed(whole) == gaps
        assert whole.totals.spend_micros is None and whole.previous is not None
        assert whole.previous.spend_micros is None
        assert listed(await timeseries(database, data, march, Granularity.week)) == gaps
        for dimension in (Dimension.platform, Dimension.account, Dimension.campaign):
            rows = await breakdown(database, data, march, dimension)
            assert listed(rows) == gaps, dimension
        campaigns = await breakdown(database, data, march, Dimension.campaign, limit=1)
        # "e-old" has no numbers in March: not listed, not counted, yet its days without a rate are reported.
        assert campaigns.total_count == 3 and len(campaigns.rows) == 1 and listed(campaigns) == gaps
        # No group at all in the range (April, TikTok only): the comparison's gaps are still reported.
        april = AnalyticsQuery(
            since=date(2024, 4, 1),
            until=date(2024, 4, 30),
            compare=Compare.previous_period,
            platforms=(Platform.tiktok,),
        )
        empty = await breakdown(database, data, april, Dimension.campaign)
        assert (empty.rows, empty.total_count) == ([], 0)
        assert listed(empty) == [("GBP", date(2024, 3, 2), date(2024, 3, 4))]
        # Only the days of the query count: from 5 March on, nothing is missing.
        later = AnalyticsQuery(since=date(2024, 3, 5), until=date(2024, 3, 31))
        assert listed(await summary(database, data, later)) == []
        assert listed(await breakdown(database, data, later, Dimension.campaign)) == []

    async def test_zero_denominators_give_null_kpis(self, world: OrgWorld, database: Database) -> None:
        data = World(UUID(world.organization_id))
        account = await add_account(database, data, Platform.google, "USD", name="Quiet")
        day = date(2024, 5, 1)
        row = Row(account, EntityLevel.campaign, "c", "c", day, 0, 0, 0, Decimal(0), 0)
        await write_rows(database, data, account, EntityLevel.campaign, day, day, [row])
        answer = await summary(database, data, AnalyticsQuery(since=day, until=day))
        totals = answer.totals
        assert (totals.ctr, totals.cpc_micros, totals.cpm_micros, totals.cpa_micros) == (None, None, None, None)
        assert (totals.roas, totals.conversion_rate) == (None, None)
        assert totals.spend_micros == 0


class TestBreakdowns:
    async def test_the_planner_settings_of_a_breakdown_do_not_outlive_it(self, shop: World, database: Database) -> None:
        query = AnalyticsQuery(since=date(2024, 1, 1), until=date(2024, 3, 31))
        async with database.transaction() as session:
            await set_tenant(session, shop.organization_id)
            before = (await session.execute(text("SHOW enable_sort"))).scalar_one()
            await analytics_query_service.breakdown(session, shop.organization_id, query, Dimension.campaign, now=NOW)
            settings = await session.execute(
                text("SELECT current_setting('enable_sort'), current_setting('enable_mergejoin')")
            )
            assert settings.one() == (before, "on")

    async def test_platforms_and_accounts(self, shop: World, database: Database) -> None:
        since, until = date(2024, 1, 1), date(2024, 3, 31)
        query = AnalyticsQuery(since=since, until=until)
        platforms = await breakdown(database, shop, query, Dimension.platform, sort="name")
        assert [row.key.name for row in platforms.rows] == ["Google Ads", "Meta Ads", "TikTok Ads"]
        for row in platforms.rows:
            assert totals_dict(row.totals) == shop.expected(since, until, platforms=[row.key.platform]).as_totals()
            assert row.key.ad_account_id is None
        assert [row.key.native_currency for row in platforms.rows] == ["USD", "USD", "EUR"]
        accounts = await breakdown(database, shop, query, Dimension.account, sort="-name")
        assert [row.key.ad_account_name for row in accounts.rows] == ["TikTok EU", "Meta shop", "Google main"]
        for row in accounts.rows:
            assert row.key.name == row.key.ad_account_name
            expected = shop.expected(since, until, accounts=[row.key.ad_account_id]).as_totals()
            assert totals_dict(row.totals) == expected

    async def test_paging_through_campaigns_sorted_by_each_key(self, shop: World, database: Database) -> None:
        query = AnalyticsQuery(since=date(2024, 1, 1), until=date(2024, 6, 30))
        full = await breakdown(database, shop, query, Dimension.campaign, limit=500)
        assert full.total_count == 5 and full.next_cursor is None
        spends = [row.totals.spend_micros for row in full.rows]
        assert spends == sorted(spends, reverse=True)
        for sort in ("-spend", "spend", "ctr", "-roas", "cpa", "name", "-conversions"):
            seen: list[Any] = []
            cursor = None
            while True:
                page = await breakdown(database, shop, query, Dimension.campaign, sort=sort, limit=2, cursor=cursor)
                assert page.total_count == 5
                seen.extend(page.rows)
                cursor = page.next_cursor
                if cursor is None:
                    break
            assert len(seen) == 5 and len({r.key.campaign_platform_id for r in seen}) == 5
            values = [_sort_value(row, sort.lstrip("-")) for row in seen]
            assert values == sorted(values, reverse=sort.startswith("-")), sort

    async def test_a_page_past_the_last_is_empty_and_still_counts_every_group(
        self, shop: World, database: Database
    ) -> None:
        since, until = date(2024, 1, 1), date(2024, 6, 30)
        full = await breakdown(database, shop, AnalyticsQuery(since=since, until=until), Dimension.campaign, limit=500)
        where = RowFilter(shop.organization_id, shop.reporting_currency)
        async with database.transaction() as session:
            await set_tenant(session, shop.organization_id)
            rows, total, _ = await QueryRepository(session).breakdown(
                where,
                Source.campaign,
                GroupBy.campaign,
                Bucket(0, 0, since, until),
                None,
                sort="spend",
                descending=True,
                limit=2,
                offset=full.total_count + 10,
            )
        assert (rows, total) == ([], full.total_count)

    async def test_top_and_bottom_n(self, shop: World, database: Database) -> None:
        query = AnalyticsQuery(since=date(2024, 4, 1), until=date(2024, 4, 30))
        everything = (await breakdown(database, shop, query, Dimension.campaign, limit=50)).rows
        top = await breakdown(database, shop, query, Dimension.campaign, sort="-clicks", limit=2)
        bottom = await breakdown(database, shop, query, Dimension.campaign, sort="clicks", limit=2)
        clicks = sorted(row.totals.clicks for row in everything)
        assert [row.totals.clicks for row in top.rows] == clicks[::-1][:2]
        assert [row.totals.clicks for row in bottom.rows] == clicks[:2]
        assert top.next_cursor is not None

    async def test_campaign_rows_are_named_with_status(self, shop: World, database: Database) -> None:
        query = AnalyticsQuery(since=date(2024, 4, 1), until=date(2024, 4, 30), statuses=(CampaignStatus.active,))
        answer = await breakdown(database, shop, query, Dimension.campaign, sort="name")
        assert [(r.key.name, r.key.status) for r in answer.rows] == [
            ("Brand prospecting", "active"),
            ("Brand search", "active"),
            ("Spark ads", "active"),
        ]
        tiktok = answer.rows[2].key
        assert (tiktok.ad_account_name, tiktok.native_currency, tiktok.platform) == ("TikTok EU", "EUR", "tiktok")

    async def test_drilling_into_ad_groups_and_ads(self, shop: World, database: Database) -> None:
        google = next(r.account for r in shop.rows if r.account.platform is Platform.google)
        day_one, day_two = date(2024, 6, 1), date(2024, 6, 2)
        groups = [
            Row(google, EntityLevel.ad_group, group, "g1", day, 100 * i, 10 * i, 1_000_000 * i, Decimal(i), 5_000_000)
            for i, (group, day) in enumerate([("ag1", day_one), ("ag1", day_two), ("ag2", day_one)], start=1)
        ]
        other_campaign = Row(google, EntityLevel.ad_group, "ag9", "g2", day_one, 7, 1, 1, Decimal(0), 0)
        await write_rows(database, shop, google, EntityLevel.ad_group, day_one, day_two, [*groups, other_campaign])
        ads = [
            Row(google, EntityLevel.ad, ad, "g1", day_one, 50, 5, 500_000, Decimal(1), 1_000_000)
            for ad in ("ad1", "ad2")
        ]
        await _write_ads(database, shop, google, day_one, ads, parent="ag1")
        query = AnalyticsQuery(since=day_one, until=day_two)
        answer = await breakdown(database, shop, query, Dimension.ad_group, parent_platform_id="g1")
        # Equal spend: the name breaks the tie.
        assert [(r.key.entity_platform_id, r.totals.spend_micros) for r in answer.rows] == [
            ("ag1", 3_000_000),
            ("ag2", 3_000_000),
        ]
        assert all(r.key.campaign_platform_id == "g1" for r in answer.rows)
        everything = await breakdown(database, shop, query, Dimension.ad_group)
        assert everything.total_count == 3
        ads_answer = await breakdown(database, shop, query, Dimension.ad, parent_platform_id="ag1", sort="name")
        assert [r.key.entity_platform_id for r in ads_answer.rows] == ["ad1", "ad2"]
        assert all(r.totals.spend_micros == 500_000 for r in ads_answer.rows)
        nothing = await breakdown(database, shop, query, Dimension.ad, parent_platform_id="ag2")
        assert nothing.rows == [] and nothing.total_count == 0

    async def test_invalid_requests(self, shop: World, database: Database) -> None:
        query = AnalyticsQuery(since=date(2024, 4, 1), until=date(2024, 4, 30))
        with pytest.raises(InvalidAnalyticsQuery):
            await breakdown(database, shop, query, Dimension.ad)
        with pytest.raises(InvalidAnalyticsQuery):
            await breakdown(database, shop, query, Dimension.campaign, sort="-nope")
        first = await breakdown(database, shop, query, Dimension.campaign, limit=1)
        from adpilot.core.pagination import InvalidCursor

        with pytest.raises(InvalidCursor):
            await breakdown(database, shop, query, Dimension.campaign, sort="name", cursor=first.next_cursor)
        with pytest.raises(InvalidCursor):
            await breakdown(database, shop, query, Dimension.campaign, cursor="not-a-cursor")


async def _write_ads(
    database: Database, world: World, account: Any, day: date, rows: list[Row], *, parent: str
) -> None:
    from adpilot.metrics.service.store import metrics_store
    from adpilot.platforms.types import DailyMetricsRow

    daily = [
        DailyMetricsRow(
            level=EntityLevel.ad,
            entity_platform_id=row.entity,
            day=row.day,
            impressions=row.impressions,
            clicks=row.clicks,
            spend_micros=row.spend_micros,
            conversions=row.conversions,
            conversion_value_micros=row.value_micros,
            currency=account.currency,
            campaign_platform_id=row.campaign,
            parent_platform_id=parent,
        )
        for row in rows
    ]
    async with database.transaction() as session:
        await set_tenant(session, world.organization_id)
        await metrics_store.ingest_daily(session, account, EntityLevel.ad, day, day, daily)
    world.rows.extend(rows)


def _sort_value(row: Any, sort: str) -> Any:
    totals = row.totals
    value = {
        "spend": totals.spend_micros,
        "ctr": totals.ctr,
        "roas": totals.roas,
        "cpa": totals.cpa_micros,
        "name": row.key.name,
        "conversions": totals.conversions,
    }[sort]
    return value


class TestPresets:
    @pytest.mark.parametrize(
        ("time_zone", "now", "preset", "expected"),
        [
            # 12:00 UTC on 31 March is already 1 April in Auckland (UTC+13).
            ("Pacific/Auckland", "2024-03-31T12:00:00+00:00", "today", (date(2024, 4, 1), date(2024, 4, 1))),
            ("Pacific/Auckland", "2024-03-31T12:00:00+00:00", "last_month", (date(2024, 3, 1), date(2024, 3, 31))),
            ("Pacific/Auckland", "2024-03-31T12:00:00+00:00", "last_7_days", (date(2024, 3, 25), date(2024, 3, 31))),
            ("UTC", "2024-03-31T12:00:00+00:00", "last_7_days", (date(2024, 3, 24), date(2024, 3, 30))),
            # 03:00 UTC on 1 January is still 31 December in Los Angeles.
            ("America/Los_Angeles", "2024-01-01T03:00:00+00:00", "this_year", (date(2023, 1, 1), date(2023, 12, 31))),
            ("America/Los_Angeles", "2024-01-01T03:00:00+00:00", "yesterday", (date(2023, 12, 30), date(2023, 12, 30))),
            ("America/Los_Angeles", "2024-01-01T03:00:00+00:00", "this_month", (date(2023, 12, 1), date(2023, 12, 31))),
            ("Asia/Kolkata", "2024-03-01T20:00:00+00:00", "last_30_days", (date(2024, 2, 1), date(2024, 3, 1))),
            ("Asia/Kolkata", "2024-03-01T20:00:00+00:00", "last_90_days", (date(2023, 12, 3), date(2024, 3, 1))),
            ("Asia/Kolkata", "2024-03-01T20:00:00+00:00", "last_14_days", (date(2024, 2, 17), date(2024, 3, 1))),
        ],
    )
    async def test_presets_resolve_in_the_organization_time_zone(
        self, world: OrgWorld, database: Database, time_zone: str, now: str, preset: str, expected: tuple[date, date]
    ) -> None:
        organization_id = UUID(world.organization_id)
        await set_organization(database, organization_id, time_zone=time_zone, currency="USD")
        async with database.transaction() as session:
            await set_tenant(session, organization_id)
            answer = await analytics_query_service.summary(
                session,
                organization_id,
                AnalyticsQuery(preset=Preset(preset), compare=Compare.previous_period),
                now=at(now),
            )
        assert (answer.range.since, answer.range.until) == expected
        length = expected[1] - expected[0] + timedelta(days=1)
        assert (answer.range.compare_since, answer.range.compare_until) == (
            expected[0] - length,
            expected[0] - timedelta(days=1),
        )


class TestValidation:
    @pytest.mark.parametrize(
        ("arguments", "parameter"),
        [
            ({"since": date(2024, 1, 1)}, "until"),
            ({"until": date(2024, 1, 1)}, "since"),
            ({"since": date(2024, 1, 2), "until": date(2024, 1, 1)}, "until"),
            ({"since": date(2020, 12, 31), "until": date(2024, 1, 1)}, "since"),
            ({"name_contains": "x" * 201}, "name_contains"),
        ],
    )
    def test_rules(self, arguments: dict[str, Any], parameter: str) -> None:
        with pytest.raises(InvalidAnalyticsQuery) as raised:
            AnalyticsQuery(**arguments)
        assert raised.value.extra["errors"][0]["loc"] == ["query", parameter]

    def test_three_years_exactly_is_allowed(self) -> None:
        AnalyticsQuery(since=date(2021, 1, 1), until=date(2024, 1, 1))
        AnalyticsQuery(since=date(2021, 2, 28), until=date(2024, 2, 29))
