"""Ingestion: windows replace what the store held, idempotently, and the rollups follow the campaign rows."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest
from asyncpg.exceptions import ForeignKeyViolationError
from sqlalchemy import text

from adpilot.db import Database, set_tenant
from adpilot.metrics.service.store import InconsistentRows, IngestTarget, metrics_store
from adpilot.platforms.types import EntityLevel, HourlyMetricsRow, Platform
from tests.fixtures import OrgWorld
from tests.metrics.helpers import add_ad_account, daily_row, ingest

pytestmark = pytest.mark.usefixtures("database")

D = date(2026, 1, 30)


async def fetch(database: Database, organization_id: Any, sql: str, **params: Any) -> list[dict[str, Any]]:
    async with database.transaction() as session:
        await set_tenant(session, organization_id)
        return [dict(row) for row in (await session.execute(text(sql), params)).mappings().all()]


async def test_a_window_is_written_then_rewritten_without_double_counting(world: OrgWorld, database: Database) -> None:
    target = await add_ad_account(database, world.organization_id)
    days = [D + timedelta(days=i) for i in range(4)]  # crosses into February
    rows = [
        daily_row(EntityLevel.campaign, c, d, spend_micros=1_000_000 * (i + 1))
        for i, d in enumerate(days)
        for c in ("c1", "c2")
    ]
    await ingest(database, target, EntityLevel.campaign, days[0], days[-1], rows)
    await ingest(database, target, EntityLevel.campaign, days[0], days[-1], rows)  # the same re-read

    raw = await fetch(
        database, target.organization_id, "SELECT count(*) AS n, sum(spend_micros) AS s FROM metrics_daily"
    )
    assert raw == [{"n": 8, "s": 2 * (1 + 2 + 3 + 4) * 1_000_000}]
    accounts = await fetch(
        database, target.organization_id, "SELECT day, spend_micros FROM metrics_account_daily ORDER BY day"
    )
    assert [(r["day"], r["spend_micros"]) for r in accounts] == [(d, 2_000_000 * (i + 1)) for i, d in enumerate(days)]
    months = await fetch(
        database,
        target.organization_id,
        "SELECT month, spend_micros, conversions FROM metrics_account_monthly ORDER BY month",
    )
    assert months == [
        {"month": date(2026, 1, 1), "spend_micros": 2_000_000 * 3, "conversions": Decimal("8.000000")},
        {"month": date(2026, 2, 1), "spend_micros": 2_000_000 * 7, "conversions": Decimal("8.000000")},
    ]
    campaign_months = await fetch(
        database,
        target.organization_id,
        "SELECT campaign_platform_id, month, spend_micros FROM metrics_campaign_monthly ORDER BY 1, 2",
    )
    assert len(campaign_months) == 4


async def test_a_restatement_replaces_numbers_and_removes_rows_no_longer_reported(
    world: OrgWorld, database: Database
) -> None:
    target = await add_ad_account(database, world.organization_id)
    first = [daily_row(EntityLevel.campaign, c, D, conversions=1) for c in ("c1", "c2")]
    await ingest(database, target, EntityLevel.campaign, D, D, first)
    # Late conversions for c1; c2's day was restated away (the platform no longer reports it).
    await ingest(
        database, target, EntityLevel.campaign, D, D, [daily_row(EntityLevel.campaign, "c1", D, conversions=3)]
    )

    totals = await fetch(
        database, target.organization_id, "SELECT conversions, spend_micros FROM metrics_account_daily"
    )
    assert totals == [{"conversions": Decimal("3.000000"), "spend_micros": 12_500_000}]
    campaigns = await fetch(database, target.organization_id, "SELECT campaign_platform_id FROM metrics_campaign_daily")
    assert campaigns == [{"campaign_platform_id": "c1"}]


async def test_a_window_leaves_days_outside_it_alone(world: OrgWorld, database: Database) -> None:
    target = await add_ad_account(database, world.organization_id)
    days = [D + timedelta(days=i) for i in range(10)]
    await ingest(
        database,
        target,
        EntityLevel.campaign,
        days[0],
        days[-1],
        [daily_row(EntityLevel.campaign, "c1", d) for d in days],
    )
    await ingest(database, target, EntityLevel.campaign, days[7], days[9], [])  # three quiet days
    raw = await fetch(database, target.organization_id, "SELECT count(*) AS n FROM metrics_account_daily")
    assert raw == [{"n": 7}]
    month = await fetch(
        database, target.organization_id, "SELECT month, spend_micros FROM metrics_account_monthly ORDER BY 1"
    )
    assert sum(r["spend_micros"] for r in month) == 7 * 12_500_000


async def test_ad_rows_are_stored_with_their_place_and_named_in_the_dimension(
    world: OrgWorld, database: Database
) -> None:
    target = await add_ad_account(database, world.organization_id, Platform.meta, "EUR")
    rows = [
        daily_row(EntityLevel.ad, "a1", D, campaign="c1", parent="g1", name="Spring sale — video", currency="EUR"),
        daily_row(EntityLevel.ad, "a2", D, campaign="c1", parent="g1", currency="EUR"),
    ]
    await ingest(database, target, EntityLevel.ad, D, D, rows)
    stored = await fetch(
        database,
        target.organization_id,
        "SELECT entity_platform_id, campaign_platform_id, platform, currency FROM metrics_daily ORDER BY 1",
    )
    assert stored == [
        {"entity_platform_id": "a1", "campaign_platform_id": "c1", "platform": "meta", "currency": "EUR"},
        {"entity_platform_id": "a2", "campaign_platform_id": "c1", "platform": "meta", "currency": "EUR"},
    ]
    dimension = await fetch(
        database, target.organization_id, "SELECT platform_id, parent_platform_id, name FROM metric_entities ORDER BY 1"
    )
    assert dimension == [
        {"platform_id": "a1", "parent_platform_id": "g1", "name": "Spring sale — video"},
        {"platform_id": "a2", "parent_platform_id": "g1", "name": "a2"},
    ]
    # Ad-level rows do not touch the campaign rollups.
    assert await fetch(database, target.organization_id, "SELECT * FROM metrics_campaign_daily") == []


async def test_rows_outside_the_window_or_in_another_currency_are_refused(world: OrgWorld, database: Database) -> None:
    target = await add_ad_account(database, world.organization_id)
    with pytest.raises(InconsistentRows):
        await ingest(
            database, target, EntityLevel.campaign, D, D, [daily_row(EntityLevel.campaign, "c1", D + timedelta(days=1))]
        )
    with pytest.raises(InconsistentRows):
        await ingest(
            database, target, EntityLevel.campaign, D, D, [daily_row(EntityLevel.campaign, "c1", D, currency="EUR")]
        )
    with pytest.raises(InconsistentRows):
        await ingest(database, target, EntityLevel.ad, D, D, [daily_row(EntityLevel.campaign, "c1", D)])


async def test_hours_replace_the_day_and_old_days_expire(world: OrgWorld, database: Database) -> None:
    target = await add_ad_account(database, world.organization_id)

    def hour(day: date, h: int, spend: int) -> HourlyMetricsRow:
        return HourlyMetricsRow("c1", day, h, 10, 1, spend, Decimal(0), 0, "USD")

    async with database.transaction() as session:
        await set_tenant(session, target.organization_id)
        await metrics_store.ingest_hourly(session, target, D, [hour(D, 0, 5), hour(D, 1, 7)])
        await metrics_store.ingest_hourly(session, target, D + timedelta(days=1), [hour(D + timedelta(days=1), 0, 1)])
        await metrics_store.ingest_hourly(session, target, D, [hour(D, 0, 5), hour(D, 1, 8), hour(D, 2, 9)])
        await metrics_store.ingest_hourly(session, target, D + timedelta(days=3), [])
    hours = await fetch(
        database, target.organization_id, "SELECT day, hour, spend_micros FROM metrics_hourly ORDER BY 1, 2"
    )
    # Three days are kept counting today: D + 3 drops D.
    assert hours == [{"day": D + timedelta(days=1), "hour": 0, "spend_micros": 1}]


async def test_another_organization_sees_nothing(world: OrgWorld, database: Database) -> None:
    target = await add_ad_account(database, world.organization_id)
    await ingest(database, target, EntityLevel.campaign, D, D, [daily_row(EntityLevel.campaign, "c1", D)])
    for table in (
        "metrics_daily",
        "metrics_campaign_daily",
        "metrics_account_daily",
        "metrics_account_monthly",
        "metric_entities",
    ):
        assert await fetch(database, world.other_organization_id, f"SELECT * FROM {table}") == []  # noqa: S608


async def test_a_row_cannot_name_another_organizations_account(world: OrgWorld, database: Database) -> None:
    theirs = await add_ad_account(database, world.organization_id)
    forged = IngestTarget(UUID(world.other_organization_id), theirs.ad_account_id, theirs.platform, theirs.currency)
    with pytest.raises(ForeignKeyViolationError, match="fk_metrics_daily_account"):
        await ingest(database, forged, EntityLevel.campaign, D, D, [daily_row(EntityLevel.campaign, "c1", D)])


async def test_an_accounts_rows_go_with_it(world: OrgWorld, database: Database, superuser_sql: Any) -> None:
    target = await add_ad_account(database, world.organization_id)
    await ingest(database, target, EntityLevel.campaign, D, D, [daily_row(EntityLevel.campaign, "c1", D)])
    await superuser_sql("DELETE FROM ad_accounts WHERE id = :id", id=target.ad_account_id)
    for table in ("metrics_daily", "metrics_campaign_daily", "metrics_account_daily", "metric_entities"):
        assert await fetch(database, target.organization_id, f"SELECT * FROM {table}") == []  # noqa: S608
