"""Tables of the analytics module: the metrics store, its rollups, the reporting dimension, sync runs, exchange rates.

Money is integer micros in the ad account's currency; a stat day is the day in the ad account's time zone, as the
platform reports it (ARCHITECTURE D8). ``metrics_daily`` holds what the platforms report at every level; the
rollup tables are rebuilt from its campaign-level rows for exactly the days and months an ingestion touched, so
dashboards read them and never scan raw rows (docs/analytics.md).
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
from sqlalchemy.types import LargeBinary

from adpilot.db import Base

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


class MetricsCampaignMonthlyConverted(Base):
    """Rollup: one campaign's calendar month of an account in another currency than the reporting one, converted.

    Money is the *unrounded* ``numeric`` sum over the month's days of ``amount * rate``, each day at the rate
    ``exchange_rates_by_day`` gives it (the rule the KPI queries apply day by day), in ``reporting_currency``, the
    organization's reporting currency when the row was built. Sums of exact products are exact, so a breakdown that
    reads this month and rounds its group once gets the same micros as converting the month's days one by one.
    ``first_unconverted_day``/``last_unconverted_day``: days of the month with numbers but no rate (money then only
    covers the other days). The KPI queries use a row only if its ``reporting_currency`` is the current one and it has
    no such day; otherwise they convert the month's days from ``metrics_campaign_daily``. Rebuilt with the other
    rollups by ingestion, and by every rate written, deleted or imported and every change of the reporting currency
    (docs/analytics.md).
    """

    __tablename__ = "metrics_campaign_monthly_converted"

    organization_id: Mapped[uuid.UUID] = _organization()
    ad_account_id: Mapped[uuid.UUID] = _ad_account()
    campaign_platform_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    month: Mapped[date] = mapped_column(Date, primary_key=True)
    reporting_currency: Mapped[str] = mapped_column(String(3))
    platform: Mapped[str] = mapped_column(String(20))
    # The currency of the account's numbers (every day of the month is in it).
    currency: Mapped[str] = mapped_column(String(3))
    impressions: Mapped[int] = mapped_column(BigInteger)
    clicks: Mapped[int] = mapped_column(BigInteger)
    spend_micros: Mapped[Decimal] = mapped_column(Numeric)
    conversions: Mapped[Decimal] = mapped_column(CONVERSIONS)
    conversion_value_micros: Mapped[Decimal] = mapped_column(Numeric)
    all_clicks: Mapped[int] = mapped_column(BigInteger)
    first_unconverted_day: Mapped[date | None] = mapped_column(Date)
    last_unconverted_day: Mapped[date | None] = mapped_column(Date)

    __table_args__ = (Index("ix_metrics_campaign_monthly_converted_org_month", "organization_id", "month"),)


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

    Kept by analytics itself so that breakdowns, filters and exports join one small table of their own: names come
    from the entity sync (current) or, for entities the platform no longer lists, from the reports.
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
    status: Mapped[str | None] = mapped_column(String(20))
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
    scope: Mapped[str] = mapped_column(String(20))
    trigger: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20))
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


class ExchangeRate(Base):
    """How much one unit of ``base_currency`` is worth in ``quote_currency`` on ``day`` (entered or imported)."""

    __tablename__ = "exchange_rates"

    organization_id: Mapped[uuid.UUID] = _organization()
    base_currency: Mapped[str] = mapped_column(String(3), primary_key=True)
    quote_currency: Mapped[str] = mapped_column(String(3), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    rate: Mapped[Decimal] = mapped_column(Numeric(24, 12))
    source: Mapped[str] = mapped_column(String(20))
    updated_by_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime]

    __table_args__ = (
        CheckConstraint("rate > 0", name="rate_positive"),
        CheckConstraint("base_currency <> quote_currency", name="distinct_currencies"),
    )


class ReferenceRate(Base):
    """A published reference rate: ``rate`` units of ``currency`` per 1 EUR on ``day`` (EUR itself is 1 on every
    publication day), read by every organization (migration 0013; docs/analytics.md, "Reference rates")."""

    __tablename__ = "reference_rates"

    currency: Mapped[str] = mapped_column(String(3), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    rate: Mapped[Decimal] = mapped_column(Numeric(24, 12))
    fetched_at: Mapped[datetime]

    __table_args__ = (
        CheckConstraint("rate > 0", name="rate_positive"),
        Index("ix_reference_rates_day", "day"),
    )


class ReferenceRateFetch(Base):
    """The fetches from one source of reference rates: how far back its history was read, the last success and the
    last attempt (with its error), so a source that lacks older days is not asked again and again."""

    __tablename__ = "reference_rate_fetches"

    source_url: Mapped[str] = mapped_column(String(2000), primary_key=True)
    history_since: Mapped[date | None]
    fetched_at: Mapped[datetime | None]
    attempted_at: Mapped[datetime | None]
    error: Mapped[str | None] = mapped_column(String(500))


# --- scheduled reports and branding (migration 0009) ------------------------------------------------------------------

REPORT_FREQUENCY_CHECK = "frequency IN ('daily', 'weekly', 'monthly')"
REPORT_RUN_STATUS_CHECK = "status IN ('queued', 'running', 'succeeded', 'failed')"


class ReportSchedule(Base):
    """A report mailed on a schedule: when (frequency, day, local hour in an IANA zone), to whom, about what.

    ``next_run_at`` (UTC) is the next local slot, computed in the schedule's time zone; null while disabled.
    """

    __tablename__ = "report_schedules"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    organization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(120))
    frequency: Mapped[str] = mapped_column(String(10))
    # 0 = Monday … 6 = Sunday (weekly only); 1 … 31 (monthly only; a shorter month uses its last day).
    weekday: Mapped[int | None] = mapped_column(SmallInteger)
    month_day: Mapped[int | None] = mapped_column(SmallInteger)
    hour: Mapped[int] = mapped_column(SmallInteger)
    time_zone: Mapped[str] = mapped_column(String(64))
    recipients: Mapped[list[str]] = mapped_column(JSONB)
    range_preset: Mapped[str] = mapped_column(String(20))
    compare: Mapped[str] = mapped_column(String(20))
    # The query filters of the report: platforms, ad account ids, statuses, name_contains.
    filters: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    attach_csv: Mapped[bool]
    enabled: Mapped[bool]
    next_run_at: Mapped[datetime | None]
    created_by_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    __table_args__ = (
        CheckConstraint(REPORT_FREQUENCY_CHECK, name="frequency"),
        CheckConstraint("hour BETWEEN 0 AND 23", name="hour"),
        CheckConstraint("weekday IS NULL OR weekday BETWEEN 0 AND 6", name="weekday"),
        CheckConstraint("month_day IS NULL OR month_day BETWEEN 1 AND 31", name="month_day"),
        Index("ix_report_schedules_org_created", "organization_id", "created_at"),
        Index("ix_report_schedules_due", "next_run_at", postgresql_where="enabled"),
    )


class ReportRun(Base):
    """One sending of a scheduled report (for one slot, or asked for now): status, attempts, error, sizes.

    (schedule, scheduled_for) is unique, so a slot is never queued twice; ``delivered_to`` lists the recipients
    already sent to, so a retried run never mails anyone twice.
    """

    __tablename__ = "report_runs"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    organization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    schedule_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("report_schedules.id", ondelete="CASCADE"))
    scheduled_for: Mapped[datetime]
    trigger: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20))
    since: Mapped[date | None] = mapped_column(Date)
    until: Mapped[date | None] = mapped_column(Date)
    attempts: Mapped[int] = mapped_column(default=0)
    error: Mapped[str | None] = mapped_column(Text)
    recipients_count: Mapped[int] = mapped_column(default=0)
    delivered_to: Mapped[list[str]] = mapped_column(JSONB, default=list)
    pdf_bytes: Mapped[int | None]
    csv_bytes: Mapped[int | None]
    requested_by_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    queued_at: Mapped[datetime]
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]

    __table_args__ = (
        CheckConstraint(REPORT_RUN_STATUS_CHECK, name="status"),
        Index("ux_report_runs_slot", "schedule_id", "scheduled_for", unique=True),
        Index("ix_report_runs_schedule_queued", "organization_id", "schedule_id", "queued_at"),
    )


class OrganizationBranding(Base):
    """The organization's logo on its PDF reports (PNG, JPEG or SVG, at most 256 kB, uploaded by an admin)."""

    __tablename__ = "organization_branding"

    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True
    )
    logo: Mapped[bytes] = mapped_column(LargeBinary)
    logo_content_type: Mapped[str] = mapped_column(String(40))
    updated_by_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime]
