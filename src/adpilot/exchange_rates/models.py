"""Tables of the exchange-rates module: the organization's rates, the reference rates and their fetches, and the
converted monthly campaign rollup (built from the metrics module's ``metrics_campaign_daily``)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Numeric,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column

from adpilot.db import Base

# Conversions are fractional on Google (data-driven attribution): six decimals, as the platforms report them.
CONVERSIONS = Numeric(20, 6)


def _organization() -> Mapped[uuid.UUID]:
    return mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True)


def _ad_account() -> Mapped[uuid.UUID]:
    return mapped_column(ForeignKey("ad_accounts.id", ondelete="CASCADE"), primary_key=True)


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
