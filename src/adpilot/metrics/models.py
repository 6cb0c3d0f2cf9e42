"""Tables of the metrics module: the metrics store, its rollups, the reporting dimension, synced coverage, sync runs.

Money is integer micros in the ad account's currency; a stat day is the day in the ad account's time zone, as the
platform reports it (ARCHITECTURE D8). ``metrics_daily`` holds what the platforms report at every level; the
rollup tables are rebuilt from its campaign-level rows for exactly the days and months an ingestion touched, so
dashboards read them and never scan raw rows (docs/analytics.md). Other modules' SQL reads some of these tables
through the contract in ``adpilot.metrics.reading``, never through these classes.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Numeric,
    SmallInteger,
    String,
    Text,
)
from sqlalchemy.dialects.postgresql import DATEMULTIRANGE, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from adpilot.core.columns import EnumText
from adpilot.core.runs import RunStatus
from adpilot.db import Base
from adpilot.metrics.schemas import MetricSyncScope, MetricSyncTrigger
from adpilot.platforms.types import EntityStatus

LEVEL_CHECK = "level IN ('campaign', 'ad_group', 'ad')"
RUN_STATUS_CHECK = "status IN ('queued', 'running', 'succeeded', 'failed', 'deferred')"
RUN_SCOPE_CHECK = "scope IN ('backfill', 'recent', 'restate', 'history', 'today')"

# Conversions are fractional on Google (data-driven attribution): six decimals, as the platforms report them.
CONVERSIONS = Numeric(20, 6)


def _organization() -> Mapped[uuid.UUID]:
    return mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True)


def _ad_account() -> Mapped[uuid.UUID]:
    return mapped_column(ForeignKey("ad_accounts.id", ondelete="CASCADE"), primary_key=True)


class _Numbers:
    """The additive numbers every metrics table carries (derived KPIs are computed when read, never stored)."""

    impressions: Mapped[int] = mapped_column(BigInteger)
    clicks: Mapped[int] = mapped_column(BigInteger)
    spend_micros: Mapped[int] = mapped_column(BigInteger)
    conversions: Mapped[Decimal] = mapped_column(CONVERSIONS)
    conversion_value_micros: Mapped[int] = mapped_column(BigInteger)
    # Every click the platform counts; ``clicks`` are link clicks (docs/analytics.md, "Metric dictionary").
    all_clicks: Mapped[int] = mapped_column(BigInteger)


class MetricsDaily(_Numbers, Base):
    """One entity's numbers for one day, as its platform reports them (campaign, ad group/ad set and ad level).

    The key is (organization, account, level, day, entity); the account implies the platform. ``day`` is
    BRIN-indexed: rows arrive roughly in day order (backfills walk forward; re-reads touch the last 28 days).
    """

    __tablename__ = "metrics_daily"

    organization_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    ad_account_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    level: Mapped[str] = mapped_column(String(20), primary_key=True)
    # The key's day comes before the entity: ingestion reads and rewrites an account's level one window of days at a
    # time (rows no longer reported, the rollups' campaign rows), a range of the key instead of a scan of the level.
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    entity_platform_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    platform: Mapped[str] = mapped_column(String(20))
    campaign_platform_id: Mapped[str] = mapped_column(String(64))
    currency: Mapped[str] = mapped_column(String(3))
    # Platform-specific numbers the unified model does not carry (Meta's canonical action type, reach, …).
    extras: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    updated_at: Mapped[datetime]

    __table_args__ = (
        # One foreign key, not one per column: every inserted row pays a check per key (measured: the two checks
        # were half of an insert's time), and this one also proves the account belongs to the row's organization.
        # Deleting the organization deletes its accounts, which deletes their rows.
        ForeignKeyConstraint(
            ["organization_id", "ad_account_id"],
            ["ad_accounts.organization_id", "ad_accounts.id"],
            name="fk_metrics_daily_account",
            ondelete="CASCADE",
        ),
        CheckConstraint(LEVEL_CHECK, name="level"),
        Index("ix_metrics_daily_day_brin", "day", postgresql_using="brin"),
        # Drill-down: one campaign's ad groups or ads over a date range.
        Index("ix_metrics_daily_campaign", "organization_id", "campaign_platform_id", "level", "day"),
    )


class MetricsCampaignDaily(_Numbers, Base):
    """Rollup: one campaign's day (its platform's campaign-level numbers)."""

    __tablename__ = "metrics_campaign_daily"

    organization_id: Mapped[uuid.UUID] = _organization()
    ad_account_id: Mapped[uuid.UUID] = _ad_account()
    campaign_platform_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    platform: Mapped[str] = mapped_column(String(20))
    currency: Mapped[str] = mapped_column(String(3))

    __table_args__ = (Index("ix_metrics_campaign_daily_org_day", "organization_id", "day"),)


class MetricsCampaignMonthly(_Numbers, Base):
    """Rollup: one campaign's calendar month (``month`` is the month's first day), summed from its days."""

    __tablename__ = "metrics_campaign_monthly"

    organization_id: Mapped[uuid.UUID] = _organization()
    ad_account_id: Mapped[uuid.UUID] = _ad_account()
    campaign_platform_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    month: Mapped[date] = mapped_column(Date, primary_key=True)
    platform: Mapped[str] = mapped_column(String(20))
    currency: Mapped[str] = mapped_column(String(3))

    __table_args__ = (Index("ix_metrics_campaign_monthly_org_month", "organization_id", "month"),)


class MetricsAccountDaily(_Numbers, Base):
    """Rollup: one ad account's day, summed from its campaigns."""

    __tablename__ = "metrics_account_daily"

    organization_id: Mapped[uuid.UUID] = _organization()
    ad_account_id: Mapped[uuid.UUID] = _ad_account()
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    platform: Mapped[str] = mapped_column(String(20))
    currency: Mapped[str] = mapped_column(String(3))

    __table_args__ = (Index("ix_metrics_account_daily_org_day", "organization_id", "day"),)


class MetricsAccountMonthly(_Numbers, Base):
    """Rollup: one ad account's calendar month."""

    __tablename__ = "metrics_account_monthly"

    organization_id: Mapped[uuid.UUID] = _organization()
    ad_account_id: Mapped[uuid.UUID] = _ad_account()
    month: Mapped[date] = mapped_column(Date, primary_key=True)
    platform: Mapped[str] = mapped_column(String(20))
    currency: Mapped[str] = mapped_column(String(3))


class MetricsHourly(_Numbers, Base):
    """Today's pacing: one campaign's hour (0 to 23 in the account's time zone). Only the last few days are kept."""

    __tablename__ = "metrics_hourly"

    organization_id: Mapped[uuid.UUID] = _organization()
    ad_account_id: Mapped[uuid.UUID] = _ad_account()
    campaign_platform_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    hour: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    platform: Mapped[str] = mapped_column(String(20))
    currency: Mapped[str] = mapped_column(String(3))
    updated_at: Mapped[datetime]

    __table_args__ = (CheckConstraint("hour BETWEEN 0 AND 23", name="hour"),)


class MetricSyncCoverage(Base):
    """The days of an ad account that a metrics sync wrote (stat days in the account's time zone).

    A window written through the store counts as synced, every day of it, rows or none: a day with no rows then
    truly had no numbers. Windows are added to the multirange as they are written, in any order, so a backfill
    that resumes after a failure or a history extension that runs later only grows it.
    """

    __tablename__ = "metric_sync_coverage"

    organization_id: Mapped[uuid.UUID] = _organization()
    ad_account_id: Mapped[uuid.UUID] = _ad_account()
    synced_days: Mapped[Any] = mapped_column(DATEMULTIRANGE)
    updated_at: Mapped[datetime]


class MetricEntity(Base):
    """The reporting dimension: every entity that has numbers (or is in the synced tree), with its name and place.

    Kept by the metrics store itself so that breakdowns, filters and exports join one small table: names come from
    the entity sync (current) or, for entities the platform no longer lists, from the reports.
    """

    __tablename__ = "metric_entities"

    organization_id: Mapped[uuid.UUID] = _organization()
    ad_account_id: Mapped[uuid.UUID] = _ad_account()
    level: Mapped[str] = mapped_column(String(20), primary_key=True)
    platform_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    platform: Mapped[str] = mapped_column(String(20))
    campaign_platform_id: Mapped[str] = mapped_column(String(64))
    parent_platform_id: Mapped[str | None] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(512))
    # active | paused | removed, from the entity sync; null until the entity has been seen there.
    status: Mapped[EntityStatus | None] = mapped_column(EnumText(EntityStatus))
    updated_at: Mapped[datetime]

    __table_args__ = (
        CheckConstraint(LEVEL_CHECK, name="level"),
        Index("ix_metric_entities_parent", "organization_id", "level", "campaign_platform_id"),
    )


class MetricSyncRun(Base):
    """One metrics sync of one ad account: which days, how far it got, and why it failed if it did."""

    __tablename__ = "metric_sync_runs"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    organization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    ad_account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("ad_accounts.id", ondelete="CASCADE"))
    # backfill: the first sync (every preset range); recent: the last 7 days and today's hours; restate: the daily
    # 28-day re-read; history: the older days, in the background; today: today's campaign level and hours.
    scope: Mapped[MetricSyncScope] = mapped_column(EnumText(MetricSyncScope))
    trigger: Mapped[MetricSyncTrigger] = mapped_column(EnumText(MetricSyncTrigger))
    status: Mapped[RunStatus] = mapped_column(EnumText(RunStatus))
    since: Mapped[date] = mapped_column(Date)
    until: Mapped[date] = mapped_column(Date)
    # Progress: days of the range written so far (a backfill writes window by window).
    days_total: Mapped[int] = mapped_column(default=0)
    days_done: Mapped[int] = mapped_column(default=0)
    rows_written: Mapped[int] = mapped_column(BigInteger, default=0)
    requested_by_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    queued_at: Mapped[datetime]
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(default=0)
    error: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        Index("ix_metric_sync_runs_account_queued", "organization_id", "ad_account_id", "queued_at"),
        CheckConstraint(RUN_STATUS_CHECK, name="status"),
        CheckConstraint(RUN_SCOPE_CHECK, name="scope"),
    )
