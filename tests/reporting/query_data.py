"""Test data of the KPI query tests: numbers written through the real ingestion, and the same sums by hand.

Every row the tests write is also kept in Python, so an expected answer is a plain sum over the kept rows (money
converted day by day with the rule of docs/analytics.md), never a second SQL query.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from uuid import UUID

from sqlalchemy import text

from adpilot.db import Database, set_tenant
from adpilot.metrics.service.store import IngestTarget, TreeEntity, metrics_store
from adpilot.platforms.types import DailyMetricsRow, EntityLevel, Platform
from tests.metrics.helpers import add_ad_account


@dataclass(frozen=True)
class Row:
    account: IngestTarget
    level: EntityLevel
    entity: str
    campaign: str
    day: date
    impressions: int
    clicks: int
    spend_micros: int
    conversions: Decimal
    value_micros: int


@dataclass
class Expected:
    impressions: int = 0
    clicks: int = 0
    spend: Decimal | None = Decimal(0)
    conversions: Decimal = Decimal(0)
    value: Decimal | None = Decimal(0)

    def as_totals(self) -> dict[str, Any]:
        return {
            "impressions": self.impressions,
            "clicks": self.clicks,
            "spend_micros": _round(self.spend),
            "conversions": float(self.conversions),
            "conversion_value_micros": _round(self.value),
        }


def _round(value: Decimal | None) -> int | None:
    return None if value is None else int(value.to_integral_value(ROUND_HALF_UP))


@dataclass
class World:
    """One organization's accounts, campaigns (name, status) and rows, and its exchange rates."""

    organization_id: UUID
    reporting_currency: str = "USD"
    rows: list[Row] = field(default_factory=list)
    campaigns: dict[tuple[UUID, str], tuple[str, str]] = field(default_factory=dict)
    # (base, quote, day) -> rate
    rates: dict[tuple[str, str, date], Decimal] = field(default_factory=dict)
    _known: dict[tuple[str, date], Decimal | None] = field(default_factory=dict)

    def rate(self, currency: str, day: date) -> Decimal | None:
        if (currency, day) not in self._known:
            self._known[(currency, day)] = self._rate(currency, day)
        return self._known[(currency, day)]

    def _rate(self, currency: str, day: date) -> Decimal | None:
        """The conversion rule: the latest day on or before ``day`` with a rate; that day's direct rate, else the
        inverse of its reverse rate."""
        if currency == self.reporting_currency:
            return Decimal(1)
        best: tuple[date, int, Decimal] | None = None
        for (base, quote, on), rate in self.rates.items():
            if on > day:
                continue
            if base == currency and quote == self.reporting_currency:
                candidate = (on, 1, rate)
            elif base == self.reporting_currency and quote == currency:
                candidate = (on, 0, 1 / rate)
            else:
                continue
            if best is None or candidate[:2] > best[:2]:
                best = candidate
        return best[2] if best else None

    def expected(
        self,
        since: date,
        until: date,
        *,
        level: EntityLevel = EntityLevel.campaign,
        platforms: Sequence[Platform] = (),
        accounts: Sequence[UUID] = (),
        statuses: Sequence[str] = (),
        name_contains: str | None = None,
        where: Any = None,
    ) -> Expected:
        total = Expected()
        for row in self.select(since, until, level, platforms, accounts, statuses, name_contains):
            if where is not None and not where(row):
                continue
            total.impressions += row.impressions
            total.clicks += row.clicks
            total.conversions += row.conversions
            rate = self.rate(row.account.currency, row.day)
            total.spend = None if rate is None or total.spend is None else total.spend + row.spend_micros * rate
            total.value = None if rate is None or total.value is None else total.value + row.value_micros * rate
        return total

    def select(
        self,
        since: date,
        until: date,
        level: EntityLevel = EntityLevel.campaign,
        platforms: Sequence[Platform] = (),
        accounts: Sequence[UUID] = (),
        statuses: Sequence[str] = (),
        name_contains: str | None = None,
    ) -> Iterable[Row]:
        for row in self.rows:
            if row.level is not level or not since <= row.day <= until:
                continue
            if platforms and row.account.platform not in platforms:
                continue
            if accounts and row.account.ad_account_id not in accounts:
                continue
            name, status = self.campaigns.get((row.account.ad_account_id, row.campaign), (row.campaign, ""))
            if statuses and status not in statuses:
                continue
            if name_contains and name_contains.lower() not in name.lower():
                continue
            yield row


def numbers(rng: random.Random) -> dict[str, Any]:
    impressions = rng.randint(0, 20_000)
    clicks = rng.randint(0, impressions // 10) if impressions else 0
    return {
        "impressions": impressions,
        "clicks": clicks,
        "spend_micros": rng.randint(0, 400_000_000) if impressions else 0,
        "conversions": Decimal(rng.randint(0, 4000)) / 100 if clicks else Decimal(0),
        "value_micros": rng.randint(0, 2_000_000_000) if clicks else 0,
    }


async def set_organization(database: Database, organization_id: UUID, *, time_zone: str, currency: str) -> None:
    async with database.transaction() as session:
        await set_tenant(session, organization_id)
        await session.execute(
            text("UPDATE organizations SET time_zone = :tz, reporting_currency = :currency WHERE id = :org"),
            {"tz": time_zone, "currency": currency, "org": organization_id},
        )


async def add_rates(database: Database, world: World, rates: dict[tuple[str, str, date], Decimal]) -> None:
    async with database.transaction() as session:
        await set_tenant(session, world.organization_id)
        for (base, quote, day), rate in rates.items():
            await session.execute(
                text(
                    "INSERT INTO exchange_rates (organization_id, base_currency, quote_currency, day, rate, source, "
                    "updated_at) VALUES (:org, :base, :quote, :day, :rate, 'manual', now())"
                ),
                {"org": world.organization_id, "base": base, "quote": quote, "day": day, "rate": rate},
            )
    world.rates.update(rates)
    world._known.clear()


async def add_account(
    database: Database, world: World, platform: Platform, currency: str, *, name: str, time_zone: str = "UTC"
) -> IngestTarget:
    return await add_ad_account(database, world.organization_id, platform, currency, name=name, time_zone=time_zone)


async def write_rows(
    database: Database,
    world: World,
    account: IngestTarget,
    level: EntityLevel,
    since: date,
    until: date,
    rows: Sequence[Row],
) -> None:
    """One window of one level through the real ingestion (it replaces what the window held)."""
    daily = [
        DailyMetricsRow(
            level=level,
            entity_platform_id=row.entity,
            day=row.day,
            impressions=row.impressions,
            clicks=row.clicks,
            spend_micros=row.spend_micros,
            conversions=row.conversions,
            conversion_value_micros=row.value_micros,
            currency=account.currency,
            campaign_platform_id=row.campaign,
            parent_platform_id=None if level is EntityLevel.campaign else row.campaign,
        )
        for row in rows
    ]
    async with database.transaction() as session:
        await set_tenant(session, world.organization_id)
        await metrics_store.ingest_daily(session, account, level, since, until, daily)
    world.rows = [
        r for r in world.rows if not (r.account == account and r.level is level and since <= r.day <= until)
    ] + list(rows)


async def name_campaigns(
    database: Database, world: World, account: IngestTarget, campaigns: dict[str, tuple[str, str]]
) -> None:
    """Names and statuses of an account's campaigns, as the entity sync hands them to the store."""
    entities = [
        TreeEntity(EntityLevel.campaign, platform_id, platform_id, None, name, status)
        for platform_id, (name, status) in campaigns.items()
    ]
    async with database.transaction() as session:
        await set_tenant(session, world.organization_id)
        await metrics_store.upsert_tree(session, account, entities)
    for platform_id, named in campaigns.items():
        world.campaigns[(account.ad_account_id, platform_id)] = named


async def random_campaign_rows(
    database: Database,
    world: World,
    account: IngestTarget,
    campaigns: Sequence[str],
    since: date,
    until: date,
    seed: int,
    *,
    skip_every: int = 0,
) -> None:
    """Campaign rows of every day since..until (a day skipped now and then), written through the ingestion."""
    rng = random.Random(seed)
    rows: list[Row] = []
    day = since
    while day <= until:
        for campaign in campaigns:
            if skip_every and rng.randrange(skip_every) == 0:
                continue
            rows.append(Row(account, EntityLevel.campaign, campaign, campaign, day, **numbers(rng)))
        day += timedelta(days=1)
    await write_rows(database, world, account, EntityLevel.campaign, since, until, rows)


def days(since: date, until: date) -> list[date]:
    return [since + timedelta(days=i) for i in range((until - since).days + 1)]


def at(moment: str) -> datetime:
    return datetime.fromisoformat(moment)
