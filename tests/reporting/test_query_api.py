"""The KPI query API over HTTP (parameters, problem details, shapes), today's pacing and data freshness."""

from __future__ import annotations

import base64
import json
from datetime import date, datetime, timedelta
from decimal import Decimal
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import text

from adpilot.db import Database, set_tenant
from adpilot.metrics.service.store import IngestTarget, metrics_store
from adpilot.platforms.types import EntityLevel, HourlyMetricsRow, Platform
from adpilot.reporting.service.query import AnalyticsQuery, CampaignStatus, analytics_query_service
from tests.fixtures import OrgWorld
from tests.reporting.query_data import (
    Row,
    World,
    add_account,
    add_rates,
    name_campaigns,
    random_campaign_rows,
    set_organization,
    write_rows,
)

pytestmark = pytest.mark.usefixtures("database")


def url(world: OrgWorld, path: str) -> str:
    return f"/api/v1/orgs/{world.organization_id}/analytics/{path}"


@pytest.fixture
async def data(world: OrgWorld, database: Database) -> World:
    shop = World(UUID(world.organization_id))
    google = await add_account(database, shop, Platform.google, "USD", name="Google main")
    await random_campaign_rows(database, shop, google, ["g1", "g2"], date(2024, 1, 1), date(2024, 3, 31), 4)
    await name_campaigns(database, shop, google, {"g1": ("Brand", "active"), "g2": ("Generic", "paused")})
    return shop


class TestParameters:
    async def test_summary_answers_in_the_documented_shape(
        self, client: httpx.AsyncClient, world: OrgWorld, data: World
    ) -> None:
        response = await client.get(
            url(world, "summary"),
            params={"since": "2024-02-01", "until": "2024-02-29", "compare": "previous_year"},
            headers=world.viewer.headers,
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert set(body) == {"range", "currency", "totals", "previous", "missing_rates", "not_synced"}
        assert body["range"] == {
            "since": "2024-02-01",
            "until": "2024-02-29",
            "compare_since": "2023-02-01",
            "compare_until": "2023-02-28",
            "partial": False,
        }
        assert set(body["totals"]) == {
            "impressions", "clicks", "all_clicks", "spend_micros", "conversions", "conversion_value_micros", "ctr",
            "cpc_micros", "cpm_micros", "cpa_micros", "roas", "conversion_rate",
        }  # fmt: skip
        expected = data.expected(date(2024, 2, 1), date(2024, 2, 29)).as_totals()
        assert {key: body["totals"][key] for key in expected} == expected
        # The data starts in 2024: the previous year is not synced, so it is null with the reason, not zeros.
        assert body["previous"] is None
        assert [(g["period"], g["synced_since"]) for g in body["not_synced"]] == [("comparison", "2024-01-01")]
        assert isinstance(body["totals"]["conversions"], float)

    async def test_repeatable_filters(self, client: httpx.AsyncClient, world: OrgWorld, data: World) -> None:
        response = await client.get(
            url(world, "summary"),
            params=[
                ("since", "2024-01-01"),
                ("until", "2024-03-31"),
                ("status", "paused"),
                ("status", "removed"),
                ("platform", "google"),
                ("platform", "meta"),
                ("name_contains", "gener"),
            ],
            headers=world.viewer.headers,
        )
        assert response.status_code == 200, response.text
        expected = data.expected(date(2024, 1, 1), date(2024, 3, 31), statuses=["paused"]).as_totals()
        assert response.json()["totals"]["spend_micros"] == expected["spend_micros"]

    @pytest.mark.parametrize(
        ("params", "parameter"),
        [
            ({"since": "2024-01-01"}, "until"),
            ({"until": "2024-01-01"}, "since"),
            ({"since": "2024-02-01", "until": "2024-01-01"}, "until"),
            ({"since": "2020-01-01", "until": "2024-01-01"}, "since"),
        ],
    )
    async def test_invalid_ranges_are_problems(
        self, client: httpx.AsyncClient, world: OrgWorld, params: dict[str, str], parameter: str
    ) -> None:
        for path in ("summary", "timeseries", "breakdown"):
            response = await client.get(url(world, path), params=params, headers=world.viewer.headers)
            assert response.status_code == 422, response.text
            assert response.headers["content-type"].startswith("application/problem+json")
            body = response.json()
            assert body["code"] == "invalid-analytics-query"
            assert body["errors"][0]["loc"] == ["query", parameter]

    @pytest.mark.parametrize(
        ("path", "params"),
        [
            ("summary", {"preset": "last_week"}),
            ("summary", {"compare": "yesterday"}),
            ("summary", {"platform": "myspace"}),
            ("summary", {"ad_account_id": "not-a-uuid"}),
            ("summary", {"status": "deleted"}),
            ("summary", {"since": "2024-02-30", "until": "2024-03-01"}),
            ("summary", {"name_contains": "x" * 201}),
            ("timeseries", {"granularity": "hour"}),
            ("breakdown", {"dimension": "keyword"}),
            ("breakdown", {"sort": "-budget"}),
            ("breakdown", {"limit": "0"}),
            ("breakdown", {"limit": "501"}),
        ],
    )
    async def test_malformed_parameters_are_validation_problems(
        self, client: httpx.AsyncClient, world: OrgWorld, path: str, params: dict[str, str]
    ) -> None:
        response = await client.get(url(world, path), params=params, headers=world.viewer.headers)
        assert response.status_code == 422, response.text
        assert response.json()["code"] == "validation-error"

    async def test_breakdown_problems(self, client: httpx.AsyncClient, world: OrgWorld, data: World) -> None:
        no_parent = await client.get(url(world, "breakdown"), params={"dimension": "ad"}, headers=world.viewer.headers)
        assert no_parent.status_code == 422 and no_parent.json()["errors"][0]["loc"] == ["query", "parent_platform_id"]
        stray_parent = await client.get(
            url(world, "breakdown"),
            params={"dimension": "account", "parent_platform_id": "g1"},
            headers=world.viewer.headers,
        )
        assert stray_parent.status_code == 422
        for cursor in ("abc", _cursor({"o": 10**30, "f": "campaign:-spend"}), _cursor([1, 2]), _cursor({"o": 1})):
            bad_cursor = await client.get(
                url(world, "breakdown"), params={"cursor": cursor}, headers=world.viewer.headers
            )
            assert bad_cursor.status_code == 400 and bad_cursor.json()["code"] == "invalid-cursor", cursor
        nul = await client.get(
            url(world, "breakdown"),
            params={"dimension": "ad", "parent_platform_id": "a\x00b"},
            headers=world.viewer.headers,
        )
        assert nul.status_code == 422

    async def test_breakdown_pages_over_http(self, client: httpx.AsyncClient, world: OrgWorld, data: World) -> None:
        params = {"since": "2024-01-01", "until": "2024-03-31", "dimension": "campaign", "sort": "name", "limit": "1"}
        first = (await client.get(url(world, "breakdown"), params=params, headers=world.viewer.headers)).json()
        assert first["total_count"] == 2 and first["dimension"] == "campaign"
        assert first["rows"][0]["key"] == {
            "platform": "google",
            "ad_account_id": str(data.rows[0].account.ad_account_id),
            "ad_account_name": "Google main",
            "campaign_platform_id": "g1",
            "entity_platform_id": "g1",
            "name": "Brand",
            "status": "active",
            "native_currency": "USD",
            "entity_id": None,
            "daily_budget_micros": None,
        }
        assert first["rows"][0]["previous"] is None
        second = (
            await client.get(
                url(world, "breakdown"), params={**params, "cursor": first["next_cursor"]}, headers=world.viewer.headers
            )
        ).json()
        assert [row["key"]["name"] for row in second["rows"]] == ["Generic"] and second["next_cursor"] is None

    async def test_timeseries_over_http(self, client: httpx.AsyncClient, world: OrgWorld, data: World) -> None:
        response = await client.get(
            url(world, "timeseries"),
            params={"since": "2024-01-10", "until": "2024-03-05", "granularity": "month", "compare": "previous_period"},
            headers=world.viewer.headers,
        )
        body = response.json()
        assert [(p["period_start"], p["period_end"]) for p in body["points"]] == [
            ("2024-01-10", "2024-01-31"),
            ("2024-02-01", "2024-02-29"),
            ("2024-03-01", "2024-03-05"),
        ]
        assert len(body["previous_points"]) == 3 and body["granularity"] == "month"
        for point in body["points"]:
            expected = data.expected(date.fromisoformat(point["period_start"]), date.fromisoformat(point["period_end"]))
            assert point["totals"]["spend_micros"] == expected.as_totals()["spend_micros"]

    async def test_default_preset_is_the_last_30_days_in_the_organization_time_zone(
        self, client: httpx.AsyncClient, world: OrgWorld, database: Database
    ) -> None:
        await set_organization(database, UUID(world.organization_id), time_zone="Pacific/Kiritimati", currency="EUR")
        body = (await client.get(url(world, "summary"), headers=world.viewer.headers)).json()
        today = datetime.now(ZoneInfo("Pacific/Kiritimati")).date()
        assert body["range"]["since"] == str(today - timedelta(days=30))
        assert body["range"]["until"] == str(today - timedelta(days=1))
        assert body["currency"] == "EUR" and body["previous"] is None


def _cursor(value: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


async def _add_campaign(
    database: Database,
    organization_id: UUID,
    account: IngestTarget,
    platform_id: str,
    *,
    status: str = "active",
    budget: int | None = None,
    level: str = "campaign",
    campaign: str | None = None,
    removed: bool = False,
) -> UUID:
    """An entity of the campaigns module's tree (as the entity sync writes it); its adpilot id."""
    entity_id = uuid4()
    async with database.transaction() as session:
        await set_tenant(session, organization_id)
        await session.execute(
            text(
                "INSERT INTO ad_entities (id, organization_id, ad_account_id, platform, level, platform_id, "
                "parent_platform_id, campaign_platform_id, name, status, platform_status, currency, "
                "daily_budget_micros, raw, first_seen_at, updated_at, removed_at) VALUES (:id, :org, :account, "
                ":platform, :level, :pid, :parent, :campaign, :name, :status, 'ENABLED', :currency, :budget, '{}', "
                "now(), now(), CASE WHEN :removed THEN now() END)"
            ),
            {
                "id": entity_id,
                "org": organization_id,
                "account": account.ad_account_id,
                "platform": account.platform.value,
                "level": level,
                "pid": platform_id,
                "parent": campaign if level != "campaign" else None,
                "campaign": campaign or platform_id,
                "name": f"Campaign {platform_id}",
                "status": status,
                "currency": account.currency,
                "budget": budget,
                "removed": removed,
            },
        )
    return entity_id


class TestBreakdownEntities:
    """Campaign, ad group and ad rows say which synced entity they are and its daily budget, so the dashboard can
    act on them; rows that are not one synced entity say null."""

    async def test_campaign_rows_carry_the_synced_entity_and_its_budget(
        self, client: httpx.AsyncClient, world: OrgWorld, data: World, database: Database
    ) -> None:
        organization_id = UUID(world.organization_id)
        google = data.rows[0].account
        # Paused by a change since the last entity sync: the reporting dimension still says active.
        brand = await _add_campaign(database, organization_id, google, "g1", status="paused", budget=25_000_000)
        # g2 was removed on the platform: no longer one to act on.
        await _add_campaign(database, organization_id, google, "g2", status="paused", removed=True)
        params = {"since": "2024-01-01", "until": "2024-03-31", "dimension": "campaign", "sort": "name"}
        expected = {"Brand": (str(brand), 25_000_000, "paused"), "Generic": (None, None, "paused")}
        # Without and with a comparison, and on a page cut short: the join keeps each page's rows and their order.
        for extra, names in (
            ({}, ["Brand", "Generic"]),
            ({"compare": "previous_period"}, ["Brand", "Generic"]),
            ({"sort": "-name", "limit": "1"}, ["Generic"]),
        ):
            body = (
                await client.get(url(world, "breakdown"), params={**params, **extra}, headers=world.viewer.headers)
            ).json()
            assert [row["key"]["name"] for row in body["rows"]] == names
            for row in body["rows"]:
                key = row["key"]
                assert (key["entity_id"], key["daily_budget_micros"], key["status"]) == expected[key["name"]]
        accounts = (
            await client.get(
                url(world, "breakdown"), params={**params, "dimension": "account"}, headers=world.viewer.headers
            )
        ).json()
        assert [(r["key"]["entity_id"], r["key"]["daily_budget_micros"]) for r in accounts["rows"]] == [(None, None)]

    async def test_ad_group_rows_carry_their_entity(
        self, client: httpx.AsyncClient, world: OrgWorld, data: World, database: Database
    ) -> None:
        organization_id = UUID(world.organization_id)
        google = data.rows[0].account
        day = date(2024, 2, 1)
        rows = [
            Row(google, EntityLevel.ad_group, group, "g1", day, 100, 10, 1_000_000, Decimal(1), 0)
            for group in ("ag1", "ag2")
        ]
        await write_rows(database, data, google, EntityLevel.ad_group, day, day, rows)
        group = await _add_campaign(
            database, organization_id, google, "ag1", level="ad_group", campaign="g1", budget=4_000_000
        )
        body = (
            await client.get(
                url(world, "breakdown"),
                params={"since": "2024-02-01", "until": "2024-02-01", "dimension": "ad_group", "sort": "name"},
                headers=world.viewer.headers,
            )
        ).json()
        keys = {row["key"]["entity_platform_id"]: row["key"] for row in body["rows"]}
        assert (keys["ag1"]["entity_id"], keys["ag1"]["daily_budget_micros"]) == (str(group), 4_000_000)
        assert (keys["ag2"]["entity_id"], keys["ag2"]["daily_budget_micros"]) == (None, None)


class TestPacing:
    async def test_todays_spend_against_budgets_on_the_organizations_today(
        self, world: OrgWorld, database: Database
    ) -> None:
        shop = World(UUID(world.organization_id))
        await set_organization(database, shop.organization_id, time_zone="UTC", currency="USD")
        # 23:30 UTC on 9 May: already 10 May in Tokyo, still 9 May in New York; the organization's today is 9 May.
        now = datetime.fromisoformat("2024-05-09T23:30:00+00:00")
        tokyo = await add_account(database, shop, Platform.meta, "JPY", name="Tokyo", time_zone="Asia/Tokyo")
        new_york = await add_account(
            database, shop, Platform.google, "USD", name="New York", time_zone="America/New_York"
        )
        await add_rates(database, shop, {("USD", "JPY", date(2024, 5, 1)): Decimal("150")})
        hours = [
            HourlyMetricsRow("jp1", date(2024, 5, 9), hour, 100, 5, 1_500_000_000, Decimal(0), 0, "JPY")
            for hour in (0, 1, 2)
        ]
        async with database.transaction() as session:
            await set_tenant(session, shop.organization_id)
            await metrics_store.ingest_hourly(session, tokyo, date(2024, 5, 9), hours)
            # Tokyo's own today (10 May) is not the organization's: it does not count.
            await metrics_store.ingest_hourly(
                session,
                tokyo,
                date(2024, 5, 10),
                [HourlyMetricsRow("jp1", date(2024, 5, 10), 0, 1, 1, 9, Decimal(0), 0, "JPY")],
            )
        # New York has a day row for its today but no hours; ny2 has a budget and has not spent; ny3 is paused.
        day_row = Row(new_york, EntityLevel.campaign, "ny1", "ny1", date(2024, 5, 9), 10, 1, 7_000_000, Decimal(0), 0)
        await write_rows(database, shop, new_york, EntityLevel.campaign, date(2024, 5, 9), date(2024, 5, 9), [day_row])
        await _add_campaign(database, shop.organization_id, tokyo, "jp1", budget=15_000_000_000)
        await _add_campaign(database, shop.organization_id, new_york, "ny1")
        # ny1's budget sits on its ad sets: the active ones count.
        await _add_campaign(database, shop.organization_id, new_york, "as1", level="ad_group", campaign="ny1",
                            budget=4_000_000)  # fmt: skip
        await _add_campaign(database, shop.organization_id, new_york, "as2", level="ad_group", campaign="ny1",
                            budget=6_000_000)  # fmt: skip
        await _add_campaign(database, shop.organization_id, new_york, "as3", level="ad_group", campaign="ny1",
                            budget=9_000_000, status="paused")  # fmt: skip
        await _add_campaign(database, shop.organization_id, new_york, "ny2", budget=20_000_000)
        await _add_campaign(database, shop.organization_id, new_york, "ny3", budget=30_000_000, status="paused")

        async with database.transaction() as session:
            await set_tenant(session, shop.organization_id)
            pacing = await analytics_query_service.pacing(session, shop.organization_id, AnalyticsQuery(), now=now)
        rows = {row.campaign_platform_id: row for row in pacing.rows}
        assert set(rows) == {"jp1", "ny1", "ny2"}
        assert pacing.currency == "USD" and pacing.missing_rates == []
        jp = rows["jp1"]
        assert (jp.day, jp.native_currency, jp.spend_micros) == (date(2024, 5, 9), "JPY", 30_000_000)
        assert jp.daily_budget_micros == 100_000_000
        assert [(h.hour, h.spend_micros) for h in jp.hours] == [(0, 10_000_000), (1, 10_000_000), (2, 10_000_000)]
        ny = rows["ny1"]
        assert (ny.day, ny.spend_micros, ny.daily_budget_micros, ny.hours) == (
            date(2024, 5, 9),
            7_000_000,
            10_000_000,
            [],
        )
        assert (rows["ny2"].spend_micros, rows["ny2"].daily_budget_micros) == (0, 20_000_000)
        assert [row.campaign_platform_id for row in pacing.rows] == ["jp1", "ny1", "ny2"]  # by spend, descending
        assert (pacing.totals.spend_micros, pacing.totals.daily_budget_micros) == (37_000_000, 130_000_000)

        async with database.transaction() as session:
            await set_tenant(session, shop.organization_id)
            filtered = await analytics_query_service.pacing(
                session, shop.organization_id, AnalyticsQuery(platforms=(Platform.meta,)), now=now
            )
            paused = await analytics_query_service.pacing(
                session, shop.organization_id, AnalyticsQuery(statuses=(CampaignStatus.paused,)), now=now
            )
        assert [row.campaign_platform_id for row in filtered.rows] == ["jp1"]
        assert paused.rows == []

    async def test_a_missing_rate_makes_money_null(self, world: OrgWorld, database: Database) -> None:
        shop = World(UUID(world.organization_id))
        await set_organization(database, shop.organization_id, time_zone="UTC", currency="EUR")
        account = await add_account(database, shop, Platform.tiktok, "USD", name="US")
        today = datetime.now(ZoneInfo("UTC")).date()
        async with database.transaction() as session:
            await set_tenant(session, shop.organization_id)
            await metrics_store.ingest_hourly(
                session, account, today, [HourlyMetricsRow("c", today, 0, 1, 1, 5_000_000, Decimal(0), 0, "USD")]
            )
        await _add_campaign(database, shop.organization_id, account, "c", budget=10_000_000)
        async with database.transaction() as session:
            await set_tenant(session, shop.organization_id)
            pacing = await analytics_query_service.pacing(session, shop.organization_id, AnalyticsQuery())
        assert pacing.rows[0].spend_micros is None and pacing.rows[0].daily_budget_micros is None
        assert pacing.totals.spend_micros is None and pacing.totals.daily_budget_micros is None
        assert [(m.currency, m.since, m.until) for m in pacing.missing_rates] == [("USD", today, today)]

    async def test_pacing_over_http(self, client: httpx.AsyncClient, world: OrgWorld, database: Database) -> None:
        shop = World(UUID(world.organization_id))
        account = await add_account(database, shop, Platform.google, "USD", name="Main")
        await _add_campaign(database, shop.organization_id, account, "c1", budget=50_000_000)
        body = (await client.get(url(world, "pacing"), headers=world.viewer.headers)).json()
        assert body["totals"] == {"spend_micros": 0, "daily_budget_micros": 50_000_000}
        assert body["rows"][0]["name"] == "Campaign c1" and body["rows"][0]["hours"] == []


class TestFreshness:
    async def test_last_sync_progress_errors_and_health(
        self, client: httpx.AsyncClient, world: OrgWorld, database: Database
    ) -> None:
        shop = World(UUID(world.organization_id))
        synced = await add_account(database, shop, Platform.google, "USD", name="Synced")
        backfilling = await add_account(database, shop, Platform.meta, "USD", name="Backfilling")
        failing = await add_account(database, shop, Platform.tiktok, "USD", name="Failing")
        older, newer = (
            datetime.fromisoformat("2024-05-01T08:00:00+00:00"),
            datetime.fromisoformat("2024-05-01T09:00:00+00:00"),
        )
        await _run(database, shop.organization_id, synced, "succeeded", finished_at=older)
        await _run(database, shop.organization_id, synced, "succeeded", finished_at=newer, queued_at=newer)
        await _run(database, shop.organization_id, backfilling, "running", scope="backfill", days=(30, 90))
        await _run(database, shop.organization_id, failing, "succeeded", finished_at=newer)
        await _run(database, shop.organization_id, failing, "failed", finished_at=newer, queued_at=newer + timedelta(1),
                   error="TikTok said no")  # fmt: skip
        async with database.transaction() as session:
            await set_tenant(session, shop.organization_id)
            await session.execute(
                text(
                    "UPDATE platform_connections SET health = 'needs_reconnect' WHERE id = "
                    "(SELECT connection_id FROM ad_accounts WHERE id = :id)"
                ),
                {"id": failing.ad_account_id},
            )
        body = (await client.get(url(world, "freshness"), headers=world.viewer.headers)).json()
        accounts = {a["name"]: a for a in body["accounts"]}
        assert accounts["Synced"]["last_synced_at"] == "2024-05-01T09:00:00Z"
        assert accounts["Synced"]["running"] is None and accounts["Synced"]["last_error"] is None
        assert accounts["Synced"]["health"] == "ok"
        assert accounts["Backfilling"]["running"] == {
            "scope": "backfill",
            "status": "running",
            "days_done": 30,
            "days_total": 90,
        }
        assert accounts["Backfilling"]["last_synced_at"] is None
        assert accounts["Failing"]["last_error"] == "TikTok said no"
        assert accounts["Failing"]["health"] == "needs_reconnect"
        assert body["data_as_of"] == "2024-05-01T09:00:00Z"


async def _run(
    database: Database,
    organization_id: UUID,
    account: IngestTarget,
    status: str,
    *,
    scope: str = "recent",
    finished_at: datetime | None = None,
    queued_at: datetime | None = None,
    days: tuple[int, int] = (0, 0),
    error: str | None = None,
) -> None:
    queued = queued_at or datetime.fromisoformat("2024-05-01T07:00:00+00:00")
    async with database.transaction() as session:
        await set_tenant(session, organization_id)
        await session.execute(
            text(
                "INSERT INTO metric_sync_runs (id, organization_id, ad_account_id, scope, trigger, status, since, "
                "until, days_total, days_done, rows_written, queued_at, finished_at, attempts, error) VALUES "
                "(:id, :org, :account, :scope, 'schedule', :status, '2024-04-01', '2024-05-01', :total, :done, 0, "
                ":queued, :finished, 1, :error)"
            ),
            {
                "id": uuid4(),
                "org": organization_id,
                "account": account.ad_account_id,
                "scope": scope,
                "status": status,
                "total": days[1],
                "done": days[0],
                "queued": queued,
                "finished": finished_at,
                "error": error,
            },
        )
