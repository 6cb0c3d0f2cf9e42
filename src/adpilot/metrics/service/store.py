"""Ingestion into the metrics store: what the metrics sync (and the benchmarks) call to write platform numbers.

A call replaces one window (account, level, ``since``..``until``) with what the platform reported for it: new rows are
inserted, changed ones updated, unchanged ones left alone, and rows the platform no longer reports are deleted. The
rollups of the touched days and months are rebuilt from the campaign-level rows in the same transaction. Repeating
a call with the same rows changes nothing, so re-reading recent days (platforms restate conversions) never double
counts.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from adpilot.core.time import utcnow
from adpilot.metrics.repository.store import StoreRepository
from adpilot.organizations import ReportingCurrencyChanged, organization_service
from adpilot.platforms.types import DailyMetricsRow, EntityLevel, HourlyMetricsRow, Platform

# Hours are for today's pacing: the account's "today" and the two days before it are kept.
HOURLY_RETENTION_DAYS = 3


class InconsistentRows(ValueError):
    """Rows handed to the store that do not belong to the window or the account (a programming error)."""


@dataclass(frozen=True, slots=True)
class IngestTarget:
    """The ad account the rows belong to."""

    organization_id: UUID
    ad_account_id: UUID
    platform: Platform
    currency: str


@dataclass(frozen=True, slots=True)
class IngestResult:
    received: int
    written: int
    deleted: int


@dataclass(frozen=True, slots=True)
class SyncedRange:
    """An account's synced days: ``first_day``..``last_day``, contiguous, the newest ones the sync wrote (older
    synced days before a gap are not counted: the numbers between are missing)."""

    first_day: date
    last_day: date


@dataclass(frozen=True, slots=True)
class TreeEntity:
    """An entity as the entity sync last read it: the dimension's current name, place and status."""

    level: EntityLevel
    platform_id: str
    campaign_platform_id: str
    parent_platform_id: str | None
    name: str
    status: str


class MetricsStore:
    async def ingest_daily(
        self,
        session: AsyncSession,
        target: IngestTarget,
        level: EntityLevel,
        since: date,
        until: date,
        rows: Iterable[DailyMetricsRow],
        *,
        now: datetime | None = None,
    ) -> IngestResult:
        """Replace the window's numbers with ``rows`` (every row at ``level``, dated within since..until)."""
        if since > until:
            raise InconsistentRows(f"empty window {since}..{until}")
        repository = StoreRepository(session)
        latest: dict[tuple[str, date], DailyMetricsRow] = {}
        for row in rows:
            if row.level is not level or not since <= row.day <= until:
                raise InconsistentRows(f"a {row.level} row of {row.day} in a {level} window {since}..{until}")
            if row.currency != target.currency:
                raise InconsistentRows(f"a row in {row.currency} for an account in {target.currency}")
            # A platform that repeats a row (paging overlap) reports the same numbers: the last one stands.
            latest[(row.entity_platform_id, row.day)] = row
        places = await self._places(repository, target, level, latest.values())
        records = [_record(row, places) for row in latest.values()]
        await repository.stage(records)
        written, deleted = await repository.merge_staged(
            target.organization_id,
            target.ad_account_id,
            target.platform.value,
            target.currency,
            level.value,
            since,
            until,
            now or utcnow(),
        )
        if level is EntityLevel.campaign:
            settings = await organization_service.reporting_settings(session, target.organization_id)
            await repository.rebuild_rollups(
                target.organization_id, target.ad_account_id, since, until, settings.reporting_currency
            )
            # The campaign level is what totals read: its window written, those days are synced (rows or none).
            await repository.record_synced(target.organization_id, target.ad_account_id, since, until, now or utcnow())
        return IngestResult(received=len(records), written=written, deleted=deleted)

    async def synced_ranges(self, session: AsyncSession, organization_id: UUID) -> dict[UUID, SyncedRange]:
        """Each account's synced coverage: the newest run of contiguous days its campaign-level windows wrote."""
        ranges = await StoreRepository(session).synced_ranges(organization_id)
        return {account: SyncedRange(first, last) for account, first, last in ranges}

    async def ingest_hourly(
        self,
        session: AsyncSession,
        target: IngestTarget,
        day: date,
        rows: Iterable[HourlyMetricsRow],
        *,
        now: datetime | None = None,
    ) -> int:
        """Replace the account's campaign hours of ``day``; hours older than the retention go. Returns the count."""
        hours: dict[tuple[str, int], HourlyMetricsRow] = {}
        for row in rows:
            if row.day != day or not 0 <= row.hour <= 23:
                raise InconsistentRows(f"an hour {row.day} {row.hour} in a window of {day}")
            if row.currency != target.currency:
                raise InconsistentRows(f"an hour in {row.currency} for an account in {target.currency}")
            hours[(row.campaign_platform_id, row.hour)] = row
        values = list(hours.values())
        columns: list[list[Any]] = [
            [row.campaign_platform_id for row in values],
            [row.hour for row in values],
            [row.impressions for row in values],
            [row.clicks for row in values],
            [row.spend_micros for row in values],
            [row.conversions for row in values],
            [row.conversion_value_micros for row in values],
            [row.clicks if row.all_clicks is None else row.all_clicks for row in values],
        ]
        await StoreRepository(session).replace_hours(
            target.organization_id,
            target.ad_account_id,
            target.platform.value,
            target.currency,
            day,
            day - timedelta(days=HOURLY_RETENTION_DAYS - 1),
            now or utcnow(),
            columns,
        )
        return len(values)

    async def upsert_tree(
        self,
        session: AsyncSession,
        target: IngestTarget,
        entities: Sequence[TreeEntity],
        *,
        now: datetime | None = None,
        complete: bool = True,
    ) -> None:
        """Names, places and status of the account's entities as the entity sync read them. ``complete``: the
        listing is the whole tree, so entities it no longer lists become removed; an incremental listing (only what
        changed) marks nothing removed for being absent."""
        columns: list[list[Any]] = [
            [entity.level.value for entity in entities],
            [entity.platform_id for entity in entities],
            [entity.campaign_platform_id for entity in entities],
            [entity.parent_platform_id for entity in entities],
            [entity.name[:512] for entity in entities],
            [entity.status for entity in entities],
        ]
        await StoreRepository(session).upsert_tree(
            target.organization_id,
            target.ad_account_id,
            target.platform.value,
            now or utcnow(),
            columns,
            complete=complete,
        )

    async def _places(
        self,
        repository: StoreRepository,
        target: IngestTarget,
        level: EntityLevel,
        rows: Iterable[DailyMetricsRow],
    ) -> dict[str, tuple[str, str | None]]:
        """Campaign and parent of entities whose rows do not say (older adapters, odd report rows)."""
        if level is EntityLevel.campaign:
            return {}
        unknown = sorted({row.entity_platform_id for row in rows if not _campaign_of(row)})
        if not unknown:
            return {}
        return await repository.known_places(target.organization_id, target.ad_account_id, level.value, unknown)


def _campaign_of(row: DailyMetricsRow) -> str | None:
    if row.level is EntityLevel.campaign:
        return row.entity_platform_id
    if row.campaign_platform_id:
        return row.campaign_platform_id
    campaign = row.extras.get("campaign_id")
    return str(campaign) if campaign else None


def _record(row: DailyMetricsRow, places: dict[str, tuple[str, str | None]]) -> tuple[Any, ...]:
    """One staged row, in ``STAGED_COLUMNS`` order."""
    campaign = _campaign_of(row)
    parent = row.parent_platform_id
    if campaign is None:
        # Unknown until the entity sync names its place; kept (never dropped) under an empty campaign id.
        campaign, known_parent = places.get(row.entity_platform_id, ("", None))
        parent = parent or known_parent
    return (
        row.level.value,
        row.entity_platform_id,
        row.day,
        campaign,
        parent,
        row.entity_name[:512] if row.entity_name else None,
        row.impressions,
        row.clicks,
        row.spend_micros,
        Decimal(row.conversions),
        row.conversion_value_micros,
        row.clicks if row.all_clicks is None else row.all_clicks,
        json.dumps(dict(row.extras), sort_keys=True, default=str),
    )


metrics_store = MetricsStore()


async def convert_to_new_reporting_currency(session: AsyncSession, event: ReportingCurrencyChanged) -> None:
    """A new reporting currency: every month of the organization's converted campaign rollup converted to the
    organization's current one (read now: it may have changed again since the event; until the rollup is converted,
    the KPI queries convert those months day by day)."""
    settings = await organization_service.reporting_settings(session, event.organization_id)
    await StoreRepository(session).reconvert(event.organization_id, settings.reporting_currency)
