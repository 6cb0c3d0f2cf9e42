"""The KPI queries' repository: runs the statements query_sql.py builds and reads their rows into typed records.

Rows are read by column name (``row["spend"]``, ``row.ad_account_id``), never by position: the builder names every
column it selects (``NUMBER_LABELS``, ``gap_labels``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from adpilot.db import driver_connection
from adpilot.exchange_rates.reading import exchange_rates_by_day
from adpilot.reporting.repository.pacing_sql import (
    CAMPAIGN_NAMES,
    CAMPAIGNS_OF_AD_GROUP,
    SYNC_STATES,
    TODAY_DAYS,
    TODAY_HOURS,
    hours_through_statement,
)
from adpilot.reporting.repository.query_sql import (
    HASHING_DONE,
    ROOMY,
    ROOMY_HASHING,
    Bucket,
    GroupBy,
    RowFilter,
    Source,
    Statement,
    breakdown_statement,
    gap_labels,
    missing_rates_query,
    totals_statement,
)

# A row as the driver returns it (asyncpg's Record), read by column name.
Record = Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class Numbers:
    """Additive numbers of a group; money is in the reporting currency, None when a rate it needs is missing."""

    impressions: int = 0
    clicks: int = 0
    spend_micros: int | None = 0
    conversions: Decimal = Decimal(0)
    conversion_value_micros: int | None = 0
    all_clicks: int = 0


@dataclass(frozen=True, slots=True)
class GroupRow:
    platform: str
    ad_account_id: UUID | None
    campaign_platform_id: str | None
    entity_platform_id: str | None
    name: str
    status: str | None
    native_currency: str | None
    current: Numbers
    previous: Numbers
    # The synced entity the row is (campaign, ad group and ad rows) and its daily budget in the account's currency.
    synced_entity_id: UUID | None = None
    synced_daily_budget_micros: int | None = None


@dataclass(frozen=True, slots=True)
class HourlySpend:
    """One campaign's hours of one day, in the account's currency."""

    ad_account_id: UUID
    campaign_platform_id: str
    platform: str
    currency: str
    day: date
    hours: list[tuple[int, int]]


@dataclass(frozen=True, slots=True)
class DaySpend:
    ad_account_id: UUID
    campaign_platform_id: str
    platform: str
    currency: str
    day: date
    spend_micros: int


@dataclass(frozen=True, slots=True)
class EntityName:
    ad_account_id: UUID
    platform_id: str
    name: str
    status: str | None


@dataclass(frozen=True, slots=True)
class SyncState:
    """What the metrics sync runs say about one account."""

    ad_account_id: UUID
    last_synced_at: datetime | None = None
    running_scope: str | None = None
    running_status: str | None = None
    days_done: int = 0
    days_total: int = 0
    last_status: str | None = None
    last_error: str | None = None


class QueryRepository:
    """Runs the statements of ``query_sql`` and reads their rows, by column name, into the records above."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def _roomy(self, *, hashing: bool = False) -> None:
        """Enough memory for this transaction's aggregations, and plans made for each call's own values
        (transaction-local, like the tenant setting); with ``hashing``, hash joins and aggregation until
        ``_hashed``."""
        await (await driver_connection(self.session)).execute(ROOMY_HASHING if hashing else ROOMY)

    async def _hashed(self) -> None:
        await (await driver_connection(self.session)).execute(HASHING_DONE)

    async def _fetch(self, statement: Statement) -> list[Record]:
        return list(await (await driver_connection(self.session)).fetch(statement.sql, *statement.values))

    async def totals(
        self, where: RowFilter, source: Source, buckets: Sequence[Bucket]
    ) -> tuple[dict[tuple[int, int], Numbers], list[tuple[str, date, date]]]:
        """The numbers of every bucket that has rows, by (period, index), and the days no rate converts, as
        ``missing_rates`` gives them (in the same pass over the rows)."""
        await self._roomy()
        built = totals_statement(where, source, buckets)
        rows = await self._fetch(built.statement)
        gaps = [gap for row in rows for gap in _gaps(row, built.gap_currencies)]
        return {(row["p"], row["idx"]): _numbers(row) for row in rows}, gaps

    async def breakdown(
        self,
        where: RowFilter,
        source: Source,
        group_by: GroupBy,
        current: Bucket,
        previous: Bucket | None,
        *,
        sort: str,
        descending: bool,
        limit: int,
        offset: int,
        names: dict[str, str] | None = None,
    ) -> tuple[list[GroupRow], int, list[tuple[str, date, date]]]:
        """One page of groups with numbers in ``current`` (and their ``previous`` numbers), sorted, the count of
        all groups, and the days no rate converts (as ``missing_rates`` gives them, from the same pass over the
        rows). ``names`` names platform and account groups (by platform value / account id text); campaigns, ad
        groups and ads are named by the reporting dimension."""
        buckets = [current] if previous is None else [current, previous]
        built = breakdown_statement(
            where, source, group_by, buckets, sort=sort, descending=descending, limit=limit, offset=offset, names=names
        )
        await self._roomy(hashing=True)
        rows = await self._fetch(built.page)
        await self._hashed()
        if not rows:
            total = 0
            if offset > 0:
                counted = await self._fetch(built.count())
                total = int(counted[0]["total_count"])
            return [], total, await self.missing_rates(where, source, buckets)
        keys = built.keys
        result = [
            GroupRow(
                platform=row["platform"],
                ad_account_id=row["ad_account_id"] if "ad_account_id" in keys else None,
                campaign_platform_id=row["campaign_id"] if "campaign_id" in keys else None,
                entity_platform_id=row["entity_id"] if "entity_id" in keys else None,
                name=row["name"],
                # The synced entity's status is read back after each change; the reporting dimension's waits
                # for the next entity sync.
                status=row["synced_status"] or row["status"],
                native_currency=row["native_currency"],
                current=_numbers(row),
                previous=_numbers(row, "prev_") if built.with_previous else Numbers(),
                synced_entity_id=row["synced_entity_id"],
                synced_daily_budget_micros=row["synced_daily_budget_micros"],
            )
            for row in rows
        ]
        return result, int(rows[0]["total_count"]), _gaps(rows[0], built.gap_currencies)

    async def missing_rates(
        self, where: RowFilter, source: Source, buckets: Sequence[Bucket]
    ) -> list[tuple[str, date, date]]:
        """(currency, first day, last day) of the days with numbers in a foreign currency that no rate covers."""
        if not where.foreign_account_ids or not where.foreign_currencies:
            return []
        rows = (await self.session.execute(missing_rates_query(where, source, buckets))).all()
        return [(row.currency, row.first_day, row.last_day) for row in rows]

    async def rates_on(
        self, organization_id: UUID, reporting_currency: str, wanted: Sequence[tuple[str, date]]
    ) -> dict[tuple[str, date], Decimal]:
        """The conversion rate of each (currency, day) asked for that has one."""
        foreign = sorted({currency for currency, _ in wanted if currency != reporting_currency})
        if not foreign:
            return {}
        since, until = min(day for _, day in wanted), max(day for _, day in wanted)
        fragment = exchange_rates_by_day(organization_id, reporting_currency, since, until, foreign)
        rows = (await self.session.execute(fragment)).all()
        asked = set(wanted)
        return {(row.currency, row.day): row.rate for row in rows if (row.currency, row.day) in asked}

    async def hours_through(
        self, where: RowFilter, cuts: Sequence[tuple[UUID, date, int]]
    ) -> dict[tuple[UUID, date], tuple[str, Numbers, bool]]:
        """Per (account, day) asked: the hours 0..last_hour of its campaigns that pass the filters, summed in the
        account's currency (money in native micros), and whether the account has any hour of that day at all."""
        if not cuts:
            return {}
        statement, values = hours_through_statement(where, cuts)
        rows = (await self.session.execute(statement, values)).all()
        return {
            (row.ad_account_id, row.day): (
                row.currency or "",
                Numbers(
                    int(row.impressions), int(row.clicks), int(row.spend), Decimal(row.conversions), int(row.value)
                ),
                row.hours > 0,
            )
            for row in rows
        }

    async def campaigns_of_ad_group(self, organization_id: UUID, ad_group_platform_id: str) -> list[str]:
        """The campaign(s) an ad group belongs to, per the reporting dimension (several only across accounts)."""
        rows = await self.session.execute(CAMPAIGNS_OF_AD_GROUP, {"org": organization_id, "id": ad_group_platform_id})
        return [row.campaign_platform_id for row in rows.all()]

    async def today_hours(self, organization_id: UUID, account_days: Sequence[tuple[UUID, date]]) -> list[HourlySpend]:
        """Each campaign's hours of its account's today."""
        if not account_days:
            return []
        rows = await self.session.execute(
            TODAY_HOURS,
            {"org": organization_id, "accounts": [a for a, _ in account_days], "days": [d for _, d in account_days]},
        )
        return [
            HourlySpend(
                row.ad_account_id,
                row.campaign_platform_id,
                row.platform,
                row.currency,
                row.day,
                list(zip(row.hours, row.spend, strict=True)),
            )
            for row in rows.all()
        ]

    async def today_days(self, organization_id: UUID, account_days: Sequence[tuple[UUID, date]]) -> list[DaySpend]:
        """Each campaign's day row of its account's today (campaign rollup)."""
        if not account_days:
            return []
        rows = await self.session.execute(
            TODAY_DAYS,
            {"org": organization_id, "accounts": [a for a, _ in account_days], "days": [d for _, d in account_days]},
        )
        return [
            DaySpend(r.ad_account_id, r.campaign_platform_id, r.platform, r.currency, r.day, r.spend_micros)
            for r in rows.all()
        ]

    async def campaign_names(
        self, organization_id: UUID, campaigns: Sequence[tuple[UUID, str]]
    ) -> dict[tuple[UUID, str], EntityName]:
        """Name and status of campaigns from the reporting dimension."""
        if not campaigns:
            return {}
        rows = await self.session.execute(
            CAMPAIGN_NAMES,
            {"org": organization_id, "accounts": [a for a, _ in campaigns], "ids": [c for _, c in campaigns]},
        )
        return {
            (r.ad_account_id, r.platform_id): EntityName(r.ad_account_id, r.platform_id, r.name, r.status)
            for r in rows.all()
        }

    async def sync_states(self, organization_id: UUID, ad_account_ids: Sequence[UUID]) -> dict[UUID, SyncState]:
        """Per account: when its last successful metrics sync finished, the run in flight, the latest outcome."""
        if not ad_account_ids:
            return {}
        rows = await self.session.execute(SYNC_STATES, {"org": organization_id, "accounts": list(ad_account_ids)})
        return {
            r.ad_account_id: SyncState(
                r.ad_account_id,
                r.last_synced_at,
                r.running_scope,
                r.running_status,
                r.days_done or 0,
                r.days_total or 0,
                r.last_status,
                r.last_error,
            )
            for r in rows.all()
        }


def _numbers(row: Record, prefix: str = "") -> Numbers:
    """A group's numbers from the row's ``NUMBER_LABELS`` columns (``prev_`` ones: the comparison period)."""
    return Numbers(
        impressions=int(row[f"{prefix}impressions"]),
        clicks=int(row[f"{prefix}clicks"]),
        spend_micros=row[f"{prefix}spend"],
        conversions=Decimal(row[f"{prefix}conversions"]),
        conversion_value_micros=row[f"{prefix}value"],
        all_clicks=int(row[f"{prefix}all_clicks"]),
    )


def _gaps(row: Record, currencies: Sequence[str]) -> list[tuple[str, date, date]]:
    """(currency, first day, last day) of each currency with days no rate converts (its gap columns not null)."""
    labels = gap_labels(currencies)
    return [
        (currency, row[labels[2 * i]], row[labels[2 * i + 1]])
        for i, currency in enumerate(currencies)
        if row[labels[2 * i]] is not None
    ]
