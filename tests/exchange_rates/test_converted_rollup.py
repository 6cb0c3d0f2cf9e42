"""The monthly campaign rollup converted to the reporting currency (``metrics_campaign_monthly_converted``).

Each converted month must equal the conversion of its days one by one (the rule of ``exchange_rates_by_day``) after
every change that can alter it: an ingestion, a rate set, deleted or imported, a new reporting currency. And the
campaign breakdown must answer exactly what it answers without the rollup (converting every day).
"""

from __future__ import annotations

import asyncio
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

import httpx
import pytest
from sqlalchemy import text

from adpilot.audit import SYSTEM
from adpilot.db import Database, set_tenant
from adpilot.exchange_rates.repository.rates import exchange_rates_by_day_text
from adpilot.exchange_rates.service.rates import RateRow, RateSource, rates_service
from adpilot.metrics import convert_to_new_reporting_currency
from adpilot.metrics.service.store import metrics_store
from adpilot.organizations import ReportingCurrencyChanged
from adpilot.platforms.types import DailyMetricsRow, EntityLevel, Platform
from tests.events import deliver_events
from tests.fixtures import OrgWorld
from tests.reporting.query_data import World, add_account, random_campaign_rows

START, END = date(2024, 1, 1), date(2024, 4, 30)
CAMPAIGNS = ["c1", "c2", "c3"]


def rates_url(world: OrgWorld, suffix: str = "") -> str:
    return f"/api/v1/orgs/{world.organization_id}/exchange-rates{suffix}"


async def put_rate(client: httpx.AsyncClient, world: OrgWorld, pair: str, day: str, rate: str) -> None:
    response = await client.put(rates_url(world, f"/{pair}/{day}"), json={"rate": rate}, headers=world.manager.headers)
    assert response.status_code == 200, response.text


async def import_csv(client: httpx.AsyncClient, world: OrgWorld, lines: list[str]) -> None:
    body = "\n".join(["date,base,quote,rate", *lines]) + "\n"
    headers = {**world.manager.headers, "Content-Type": "text/csv"}
    response = await client.post(rates_url(world, "/import"), content=body.encode(), headers=headers)
    assert response.status_code in (200, 201), response.text


@pytest.fixture
async def shop(client: httpx.AsyncClient, world: OrgWorld, database: Database) -> World:
    """USD reporting; EUR, GBP and USD accounts with three campaigns each over four whole months. EUR has a rate
    before the first day; GBP's first rate is on 2024-02-10 (January and early February cannot be converted)."""
    await put_rate(client, world, "EUR/USD", "2023-12-31", "1.1")
    await put_rate(client, world, "EUR/USD", "2024-03-05", "1.07")
    await put_rate(client, world, "USD/GBP", "2024-02-10", "0.8")
    data = World(UUID(world.organization_id))
    data.rates.update(
        {
            ("EUR", "USD", date(2023, 12, 31)): Decimal("1.1"),
            ("EUR", "USD", date(2024, 3, 5)): Decimal("1.07"),
            ("USD", "GBP", date(2024, 2, 10)): Decimal("0.8"),
        }
    )
    for seed, (platform, currency) in enumerate(
        [(Platform.google, "EUR"), (Platform.meta, "GBP"), (Platform.tiktok, "USD")]
    ):
        account = await add_account(database, data, platform, currency, name=f"{currency} account")
        await random_campaign_rows(database, data, account, CAMPAIGNS, START, END, seed, skip_every=7)
    return data


async def converted_rows(database: Database, organization_id: UUID) -> dict[tuple[Any, ...], tuple[Any, ...]]:
    async with database.transaction() as session:
        await set_tenant(session, organization_id)
        rows = await session.execute(
            text(
                "SELECT ad_account_id, campaign_platform_id, month, reporting_currency, currency, impressions, "
                "clicks, spend_micros, conversions, conversion_value_micros, first_unconverted_day, "
                "last_unconverted_day FROM metrics_campaign_monthly_converted WHERE organization_id = :org"
            ),
            {"org": organization_id},
        )
        return {tuple(row[:3]): tuple(row[3:]) for row in rows.all()}


async def day_by_day(database: Database, organization_id: UUID) -> dict[tuple[Any, ...], tuple[Any, ...]]:
    """What each campaign-month of a foreign-currency account converts to, converting its days one by one."""
    async with database.transaction() as session:
        await set_tenant(session, organization_id)
        reporting = (
            await session.execute(
                text("SELECT reporting_currency FROM organizations WHERE id = :org"), {"org": organization_id}
            )
        ).scalar_one()
        rates, values = exchange_rates_by_day_text(organization_id, reporting, START, END, None)
        rows = await session.execute(
            text(
                f"WITH rates AS ({rates}) "  # noqa: S608 (the product's fragment)
                "SELECT d.ad_account_id, d.campaign_platform_id, CAST(date_trunc('month', d.day) AS date), "
                "CAST(:quote AS varchar), min(d.currency), sum(d.impressions), sum(d.clicks), "
                "coalesce(sum(d.spend_micros * r.rate), 0), sum(d.conversions), "
                "coalesce(sum(d.conversion_value_micros * r.rate), 0), "
                "min(d.day) FILTER (WHERE r.rate IS NULL), max(d.day) FILTER (WHERE r.rate IS NULL) "
                "FROM metrics_campaign_daily d LEFT JOIN rates r ON r.currency = d.currency AND r.day = d.day "
                "WHERE d.organization_id = :organization_id AND d.currency <> CAST(:quote AS varchar) "
                "GROUP BY 1, 2, 3"
            ),
            values,
        )
        return {tuple(row[:3]): tuple(row[3:]) for row in rows.all()}


async def assert_converted(database: Database, organization_id: UUID) -> None:
    stored = await converted_rows(database, organization_id)
    expected = await day_by_day(database, organization_id)
    assert stored == expected
    assert stored, "no converted months"


async def breakdown(client: httpx.AsyncClient, world: OrgWorld, since: str, until: str) -> dict[str, Any]:
    response = await client.get(
        f"/api/v1/orgs/{world.organization_id}/analytics/breakdown",
        params={"since": since, "until": until, "dimension": "campaign", "limit": "50", "sort": "-spend"},
        headers=world.viewer.headers,
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


# Other reads of the campaign rollups: totals and series filtered by name, a comparison, a breakdown per platform.
OTHER_QUERIES: list[tuple[str, dict[str, str]]] = [
    ("summary", {"since": "2024-01-15", "until": "2024-04-30", "name_contains": "c"}),
    ("summary", {"since": "2024-01-01", "until": "2024-04-30", "name_contains": "c2"}),
    ("timeseries", {"since": "2024-01-01", "until": "2024-04-30", "granularity": "month", "name_contains": "c"}),
    ("timeseries", {"since": "2024-02-01", "until": "2024-04-30", "granularity": "week", "name_contains": "c"}),
    (
        "breakdown",
        {"since": "2024-03-01", "until": "2024-04-30", "dimension": "campaign", "compare": "previous_period"},
    ),
    ("breakdown", {"since": "2024-01-01", "until": "2024-04-30", "dimension": "platform", "name_contains": "c"}),
    ("breakdown", {"since": "2024-01-01", "until": "2024-04-30", "dimension": "account", "name_contains": "c"}),
]


async def answers(client: httpx.AsyncClient, world: OrgWorld) -> list[dict[str, Any]]:
    bodies = []
    for path, params in OTHER_QUERIES:
        response = await client.get(
            f"/api/v1/orgs/{world.organization_id}/analytics/{path}", params=params, headers=world.viewer.headers
        )
        assert response.status_code == 200, response.text
        bodies.append(response.json())
    return bodies


async def assert_same_answers_without_the_rollup(
    client: httpx.AsyncClient, world: OrgWorld, database: Database
) -> list[dict[str, Any]]:
    """Breakdowns over whole and partial months, and the other reads of the campaign rollups, equal those computed
    with every day converted one by one."""
    ranges = [("2024-01-01", "2024-04-30"), ("2024-02-01", "2024-03-31"), ("2024-01-15", "2024-04-30")]
    with_rollup = [await breakdown(client, world, since, until) for since, until in ranges]
    others = await answers(client, world)
    async with database.transaction() as session:
        await set_tenant(session, UUID(world.organization_id))
        await session.execute(
            text("DELETE FROM metrics_campaign_monthly_converted WHERE organization_id = :org"),
            {"org": UUID(world.organization_id)},
        )
    without = [await breakdown(client, world, since, until) for since, until in ranges]
    assert with_rollup == without
    assert others == await answers(client, world)
    return with_rollup


class TestConvertedRollup:
    async def test_ingestion_converts_every_month_as_day_by_day(
        self, client: httpx.AsyncClient, world: OrgWorld, database: Database, shop: World
    ) -> None:
        await assert_converted(database, shop.organization_id)
        stored = await converted_rows(database, shop.organization_id)
        currencies = {values[1] for values in stored.values()}
        assert currencies == {"EUR", "GBP"}  # the USD account needs no conversion
        # Numbers per campaign as the rule gives them by hand (direct rates only: no inverse to round).
        [whole, *_] = await assert_same_answers_without_the_rollup(client, world, database)
        eur = next(a for a in {r.account for r in shop.rows} if a.currency == "EUR")
        by_campaign = {(row["key"]["ad_account_id"], row["key"]["campaign_platform_id"]): row for row in whole["rows"]}
        for campaign in CAMPAIGNS:
            expected = shop.expected(
                START, END, where=lambda row, c=campaign: row.campaign == c and row.account == eur
            ).as_totals()
            totals = by_campaign[(str(eur.ad_account_id), campaign)]["totals"]
            assert totals["spend_micros"] == expected["spend_micros"]
            assert totals["conversion_value_micros"] == expected["conversion_value_micros"]

    async def test_a_month_with_a_day_without_a_rate_is_marked_and_not_used(
        self, client: httpx.AsyncClient, world: OrgWorld, database: Database, shop: World
    ) -> None:
        stored = await converted_rows(database, shop.organization_id)
        gbp = {key: values for key, values in stored.items() if values[1] == "GBP"}
        january = [values for key, values in gbp.items() if key[2] == date(2024, 1, 1)]
        february = [values for key, values in gbp.items() if key[2] == date(2024, 2, 1)]
        march = [values for key, values in gbp.items() if key[2] == date(2024, 3, 1)]
        assert january and all(v[-2] is not None and v[-2] <= v[-1] <= date(2024, 1, 31) for v in january)
        assert february and all(v[-1] is not None and v[-1] <= date(2024, 2, 9) for v in february)
        assert march and all(v[-2] is None and v[-1] is None for v in march)
        [whole, months, _] = await assert_same_answers_without_the_rollup(client, world, database)
        for body in (whole, months):
            gbp_rows = [row for row in body["rows"] if row["key"]["native_currency"] == "GBP"]
            assert gbp_rows and all(row["totals"]["spend_micros"] is None for row in gbp_rows)
            assert [m["currency"] for m in body["missing_rates"]] == ["GBP"]
        assert whole["missing_rates"][0]["since"] == "2024-01-01"
        assert months["missing_rates"][0]["until"] <= "2024-02-09"

    async def test_a_rate_set_deleted_or_imported_rebuilds_the_months(
        self, client: httpx.AsyncClient, world: OrgWorld, database: Database, shop: World
    ) -> None:
        organization_id = shop.organization_id
        before = await converted_rows(database, organization_id)
        await put_rate(client, world, "EUR/USD", "2024-02-14", "1.2")
        await assert_converted(database, organization_id)
        after = await converted_rows(database, organization_id)
        changed = {key[2] for key in before if before[key] != after[key]}
        # From 2024-02-14 to the day before the next EUR rate (2024-03-05): April's months are as they were.
        assert changed == {date(2024, 2, 1), date(2024, 3, 1)}
        deleted = await client.delete(rates_url(world, "/EUR/USD/2024-03-05"), headers=world.manager.headers)
        assert deleted.status_code == 204
        await assert_converted(database, organization_id)
        # GBP's January and early February become convertible: an inverse pair, imported.
        await import_csv(client, world, ["2023-12-01,USD,GBP,0.79", "2024-02-01,GBP,USD,1.26"])
        await assert_converted(database, organization_id)
        stored = await converted_rows(database, organization_id)
        assert all(values[-2] is None for values in stored.values())
        [whole, *_] = await assert_same_answers_without_the_rollup(client, world, database)
        assert whole["missing_rates"] == []
        assert all(row["totals"]["spend_micros"] is not None for row in whole["rows"])

    async def test_a_new_reporting_currency_converts_every_month_again(
        self, client: httpx.AsyncClient, world: OrgWorld, database: Database, shop: World
    ) -> None:
        await put_rate(client, world, "GBP/EUR", "2023-12-01", "1.17")
        response = await client.patch(
            f"/api/v1/orgs/{world.organization_id}", json={"reporting_currency": "EUR"}, headers=world.admin.headers
        )
        assert response.status_code == 200, response.text
        # The conversion is the metrics module's reaction to the change, run by the event's delivery job.
        await deliver_events()
        stored = await converted_rows(database, shop.organization_id)
        assert {values[0] for values in stored.values()} == {"EUR"}
        assert {values[1] for values in stored.values()} == {"GBP", "USD"}
        await assert_converted(database, shop.organization_id)
        [whole, *_] = await assert_same_answers_without_the_rollup(client, world, database)
        assert whole["currency"] == "EUR"

    async def test_a_late_delivery_converts_to_the_reporting_currency_of_now(
        self, client: httpx.AsyncClient, world: OrgWorld, database: Database, shop: World
    ) -> None:
        await put_rate(client, world, "GBP/EUR", "2023-12-01", "1.17")
        for currency in ("EUR", "USD"):
            response = await client.patch(
                f"/api/v1/orgs/{world.organization_id}",
                json={"reporting_currency": currency},
                headers=world.admin.headers,
            )
            assert response.status_code == 200, response.text
        # The change to EUR is delivered after the organization went back to USD, and once more later (a retry):
        # each delivery converts to the currency the organization has when it runs.
        await deliver_events()
        async with database.tenant_transaction(shop.organization_id) as session:
            stale = ReportingCurrencyChanged(organization_id=shop.organization_id, currency="EUR")
            await convert_to_new_reporting_currency(session, stale)
        stored = await converted_rows(database, shop.organization_id)
        assert {values[0] for values in stored.values()} == {"USD"}
        await assert_converted(database, shop.organization_id)

    async def test_rows_of_a_former_reporting_currency_are_not_used(
        self, client: httpx.AsyncClient, world: OrgWorld, database: Database, shop: World
    ) -> None:
        # The reporting currency changed behind the product's back: its rows say USD, the queries want EUR.
        async with database.transaction() as session:
            await set_tenant(session, shop.organization_id)
            await session.execute(
                text("UPDATE organizations SET reporting_currency = 'EUR' WHERE id = :org"),
                {"org": shop.organization_id},
            )
        assert {values[0] for values in (await converted_rows(database, shop.organization_id)).values()} == {"USD"}
        await assert_same_answers_without_the_rollup(client, world, database)


class TestConcurrency:
    async def test_a_rate_import_waits_for_an_ingestion_of_the_same_organization(
        self, world: OrgWorld, database: Database, shop: World
    ) -> None:
        """An ingestion (new numbers) and a rate import (a new rate) in parallel: the import's conversion waits for
        the ingestion to commit, then converts its numbers with the new rate; no month is left converted with
        either change missing."""
        eur = next(a for a in {r.account for r in shop.rows} if a.currency == "EUR")
        february = [
            DailyMetricsRow(
                level=EntityLevel.campaign,
                entity_platform_id=campaign,
                day=date(2024, 2, day),
                impressions=1000,
                clicks=10,
                spend_micros=123_456_789 * day,
                conversions=Decimal(1),
                conversion_value_micros=987_654_321,
                currency="EUR",
                campaign_platform_id=campaign,
            )
            for campaign in CAMPAIGNS
            for day in range(1, 30)
        ]
        rate = [RateRow(day=date(2024, 2, 14), base="EUR", quote="USD", rate=Decimal("1.3"))]
        async with database.transaction() as ingestion:
            await set_tenant(ingestion, shop.organization_id)
            await metrics_store.ingest_daily(
                ingestion, eur, EntityLevel.campaign, date(2024, 2, 1), date(2024, 2, 29), february
            )

            async def import_rate() -> None:
                async with database.transaction() as session:
                    await set_tenant(session, shop.organization_id)
                    await rates_service.import_rows(
                        session, shop.organization_id, rate, source=RateSource.csv, actor=SYSTEM
                    )

            importing = asyncio.create_task(import_rate())
            await asyncio.sleep(0.5)
            assert not importing.done()  # waiting for the ingestion's lock
        await asyncio.wait_for(importing, timeout=10)
        await assert_converted(database, shop.organization_id)
