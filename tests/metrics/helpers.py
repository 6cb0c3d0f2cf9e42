"""Helpers of the analytics tests: ad accounts without a platform round trip, and rows written through the store."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from uuid import UUID, uuid4

from sqlalchemy import text

from adpilot.db import Database, set_tenant
from adpilot.metrics.service.store import IngestTarget, metrics_store
from adpilot.platforms.types import DailyMetricsRow, EntityLevel, Platform


async def add_ad_account(
    database: Database,
    organization_id: UUID | str,
    platform: Platform = Platform.google,
    currency: str = "USD",
    *,
    time_zone: str = "UTC",
    name: str | None = None,
) -> IngestTarget:
    """A managed ad account on a healthy connection, written straight to the tables (no consent round trip)."""
    organization = UUID(str(organization_id))
    connection_id, account_id = uuid4(), uuid4()
    async with database.transaction() as session:
        await set_tenant(session, organization)
        await session.execute(
            text(
                "INSERT INTO platform_connections (id, organization_id, platform, subject, display_name, "
                "credentials_ciphertext, health, consecutive_failures, created_at, updated_at, health_changed_at) "
                "VALUES (:id, :org, :platform, :subject, 'Test login', '\\x00', 'ok', 0, now(), now(), now())"
            ),
            {"id": connection_id, "org": organization, "platform": platform.value, "subject": str(connection_id)},
        )
        await session.execute(
            text(
                "INSERT INTO ad_accounts (id, organization_id, connection_id, platform, platform_account_id, name, "
                "currency, time_zone, is_manager, platform_active, managed, created_at, updated_at) "
                "VALUES (:id, :org, :connection, :platform, :platform_id, :name, :currency, :tz, false, true, true, "
                "now(), now())"
            ),
            {
                "id": account_id,
                "org": organization,
                "connection": connection_id,
                "platform": platform.value,
                "platform_id": account_id.hex[:12],
                "name": name or f"{platform.value} {currency}",
                "currency": currency,
                "tz": time_zone,
            },
        )
    return IngestTarget(organization, account_id, platform, currency)


def daily_row(
    level: EntityLevel,
    entity: str,
    day: date,
    *,
    campaign: str | None = None,
    parent: str | None = None,
    name: str | None = None,
    impressions: int = 1000,
    clicks: int = 50,
    spend_micros: int = 12_500_000,
    conversions: Decimal | int = 2,
    value_micros: int = 60_000_000,
    currency: str = "USD",
) -> DailyMetricsRow:
    return DailyMetricsRow(
        level=level,
        entity_platform_id=entity,
        day=day,
        impressions=impressions,
        clicks=clicks,
        spend_micros=spend_micros,
        conversions=Decimal(conversions),
        conversion_value_micros=value_micros,
        currency=currency,
        campaign_platform_id=campaign if campaign is not None else (entity if level is EntityLevel.campaign else None),
        parent_platform_id=parent,
        entity_name=name,
    )


async def ingest(
    database: Database,
    target: IngestTarget,
    level: EntityLevel,
    since: date,
    until: date,
    rows: Sequence[DailyMetricsRow],
) -> None:
    """One window through the product's ingestion, in its own transaction."""
    async with database.transaction() as session:
        await set_tenant(session, target.organization_id)
        await metrics_store.ingest_daily(session, target, level, since, until, rows)
