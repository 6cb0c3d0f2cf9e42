"""KPI queries: totals, comparisons, time series, breakdowns, today's pacing and data freshness (docs/analytics.md).

The service takes an organization id, not a person, so scheduled reports and exports call it from jobs:

    summary = await analytics_query_service.summary(session, organization_id, AnalyticsQuery(preset=Preset.last_7_days))

Date presets resolve in the organization's time zone; money is in its reporting currency, converted day by day in
SQL; a money figure that needs a missing exchange rate is null and the gap is listed in ``missing_rates``.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from uuid import UUID
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy.ext.asyncio import AsyncSession

from adpilot.campaigns import entity_sync_service
from adpilot.connections import AdAccountInfo, ConnectionHealth, account_service
from adpilot.core.pagination import InvalidCursor
from adpilot.core.time import utcnow
from adpilot.metrics import SyncedRange, metrics_store
from adpilot.organizations import organization_service
from adpilot.platforms.types import Platform
from adpilot.reporting.repository.query import Numbers, QueryRepository
from adpilot.reporting.repository.query_sql import Bucket, GroupBy, RowFilter, Source, month_end
from adpilot.reporting.schemas.query import (
    BreakdownSort,
    CampaignStatus,
    Compare,
    Dimension,
    Granularity,
    Preset,
)
from adpilot.reporting.service.answers import (
    DEFAULT_LIMIT,
    MAX_LIMIT,
    MAX_NAME_FILTER,
    MAX_OFFSET,
    PLATFORM_TITLES,
    AccountFreshness,
    AnalyticsQuery,
    Breakdown,
    BreakdownKey,
    BreakdownRow,
    DateRange,
    Freshness,
    InvalidAnalyticsQuery,
    MissingRate,
    NotSynced,
    Pacing,
    PacingHour,
    PacingRow,
    PacingTotals,
    RunningSync,
    SeriesPoint,
    Summary,
    TimeSeries,
    Totals,
    invalid_parameter,
    previous_year_day,
    resolve_range,
)

__all__ = [
    "DEFAULT_LIMIT",
    "MAX_LIMIT",
    "MAX_NAME_FILTER",
    "PLATFORM_TITLES",
    "AccountFreshness",
    "AnalyticsQuery",
    "AnalyticsQueryService",
    "Breakdown",
    "BreakdownKey",
    "BreakdownRow",
    "BreakdownSort",
    "CampaignStatus",
    "Compare",
    "DateRange",
    "Dimension",
    "Freshness",
    "Granularity",
    "InvalidAnalyticsQuery",
    "MissingRate",
    "NotSynced",
    "Pacing",
    "PacingHour",
    "PacingRow",
    "PacingTotals",
    "Preset",
    "RunningSync",
    "SeriesPoint",
    "Summary",
    "TimeSeries",
    "Totals",
    "analytics_query_service",
    "previous_year_day",
    "resolve_range",
]

# --- the service ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Context:
    """What every query needs to know about the organization."""

    organization_id: UUID
    currency: str
    today: date
    accounts: dict[UUID, AdAccountInfo]
    where: RowFilter
    range: DateRange
    # The accounts whose numbers the query sums (the filters' platforms and accounts; managed, or synced once).
    scope: tuple[AdAccountInfo, ...] = ()
    synced: dict[UUID, SyncedRange] = field(default_factory=dict)

    def unsynced(self, since: date, until: date, accounts: Iterable[AdAccountInfo] | None = None) -> list[UUID]:
        """The accounts (of the scope, or those given) that have not synced every day from ``since`` on."""
        found: list[UUID] = []
        for account in self.scope if accounts is None else accounts:
            synced = self.synced.get(account.id)
            if synced is None or since < synced.first_day:
                found.append(account.id)
        return found

    def not_synced(self, period: str, since: date, until: date) -> list[NotSynced]:
        return [
            NotSynced(
                account,
                self.accounts[account].name,
                self.accounts[account].platform,
                period,
                self.synced[account].first_day if account in self.synced else None,
            )
            for account in self.unsynced(since, until)
        ]

    def gaps(self) -> list[NotSynced]:
        """The accounts that miss days of the range, then of the comparison period."""
        found = self.not_synced("range", self.range.since, self.range.until)
        if self.range.compare_since is not None and self.range.compare_until is not None:
            found += self.not_synced("comparison", self.range.compare_since, self.range.compare_until)
        return found


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _source(query: AnalyticsQuery, dimension: Dimension | None = None) -> Source:
    if dimension is Dimension.ad_group:
        return Source.ad_group
    if dimension is Dimension.ad:
        return Source.ad
    if dimension is Dimension.campaign or query.statuses or query.name_contains is not None:
        return Source.campaign
    return Source.account


def _buckets(query_range: DateRange, spans: Sequence[tuple[date, date]], compare: Compare) -> list[Bucket]:
    """The range's periods (period 0) and, with a comparison, the same days shifted into it (period 1)."""
    buckets = [Bucket(0, index, since, until) for index, (since, until) in enumerate(spans)]
    if compare is Compare.none or query_range.compare_since is None:
        return buckets
    for index, (since, until) in enumerate(spans):
        previous = _shift(since, until, query_range, compare)
        buckets.append(Bucket(1, index, *previous))
    return buckets


def _shift(since: date, until: date, query_range: DateRange, compare: Compare) -> tuple[date, date]:
    if compare is Compare.previous_year:
        return previous_year_day(since), previous_year_day(until)
    offset = timedelta(days=query_range.days)
    return since - offset, until - offset


def periods(since: date, until: date, granularity: Granularity) -> list[tuple[date, date]]:
    """since..until cut into days, weeks (Monday to Sunday) or calendar months; the edges are clipped."""
    spans: list[tuple[date, date]] = []
    start = since
    while start <= until:
        if granularity is Granularity.day:
            end = start
        elif granularity is Granularity.week:
            end = start + timedelta(days=6 - start.weekday())
        else:
            end = month_end(start)
        end = min(end, until)
        spans.append((start, end))
        start = end + timedelta(days=1)
    return spans


def _gaps(found: Iterable[tuple[str, date, date]]) -> list[MissingRate]:
    merged: dict[str, tuple[date, date]] = {}
    for currency, since, until in found:
        if currency in merged:
            first, last = merged[currency]
            merged[currency] = (min(first, since), max(last, until))
        else:
            merged[currency] = (since, until)
    return [MissingRate(currency, *merged[currency]) for currency in sorted(merged)]


def _encode_cursor(offset: int, fingerprint: str) -> str:
    raw = json.dumps({"o": offset, "f": fingerprint}).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(cursor: str, fingerprint: str) -> int:
    try:
        raw = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        offset = raw["o"]
        if not isinstance(offset, int) or isinstance(offset, bool) or not 0 <= offset <= MAX_OFFSET:
            raise ValueError
        if raw["f"] != fingerprint:
            raise ValueError
        return offset
    except (ValueError, TypeError, KeyError, UnicodeDecodeError, binascii.Error) as exc:
        raise InvalidCursor("The cursor belongs to another breakdown or sort, or is damaged.") from exc


def _convert(amount: int, rate: Decimal | None) -> int | None:
    if rate is None:
        return None
    return int((Decimal(amount) * rate).to_integral_value(ROUND_HALF_UP))


def _has_today(context: _Context, bucket: Bucket) -> bool:
    """The period includes today (the organization's), whose numbers are still growing."""
    return bucket.since <= context.today <= bucket.until


def _synced_totals(context: _Context, bucket: Bucket, found: dict[tuple[int, int], Numbers]) -> Totals | None:
    """A period's totals, or null when an account of the scope has not synced all of its days."""
    if context.unsynced(bucket.since, bucket.until):
        return None
    return Totals.of(found.get((bucket.period, bucket.index)))


def _row_totals(
    context: _Context, bucket: Bucket, platform: str, ad_account_id: UUID | None, numbers: Numbers | None
) -> Totals | None:
    """A breakdown row's totals, or null when the row's account (a platform row: its accounts) has not synced
    all of the period's days."""
    accounts = (
        [context.accounts[ad_account_id]]
        if ad_account_id is not None and ad_account_id in context.accounts
        else [a for a in context.scope if a.platform.value == platform]
    )
    if context.unsynced(bucket.since, bucket.until, accounts):
        return None
    return Totals.of(numbers)


class AnalyticsQueryService:
    async def summary(
        self, session: AsyncSession, organization_id: UUID, query: AnalyticsQuery, *, now: datetime | None = None
    ) -> Summary:
        """Totals and KPIs of the range, and of the comparison period when asked."""
        context = await self._context(session, organization_id, query, now)
        buckets = _buckets(context.range, [(context.range.since, context.range.until)], query.compare)
        repository = QueryRepository(session)
        source = _source(query)
        found, gaps = await repository.totals(context.where, source, buckets)
        previous: Totals | None = None
        if len(buckets) > 1 and not context.unsynced(buckets[1].since, buckets[1].until):
            if not _has_today(context, buckets[0]):
                previous = _synced_totals(context, buckets[1], found)
            elif query.compare is Compare.previous_period and buckets[0].since == buckets[0].until:
                # Today so far against yesterday up to the same hour (hourly numbers), never all of yesterday.
                previous = await self._yesterday_so_far(repository, context, now)
        return Summary(
            range=context.range,
            currency=context.currency,
            totals=_synced_totals(context, buckets[0], found),
            previous=previous,
            missing_rates=_gaps(gaps),
            not_synced=context.gaps(),
        )

    async def timeseries(
        self,
        session: AsyncSession,
        organization_id: UUID,
        query: AnalyticsQuery,
        granularity: Granularity = Granularity.day,
        *,
        now: datetime | None = None,
    ) -> TimeSeries:
        """Totals per day, week (Monday to Sunday) or month over the range: every period present, edges clipped;
        with a comparison, ``previous_points[i]`` covers the days of ``points[i]`` shifted into it."""
        context = await self._context(session, organization_id, query, now)
        spans = periods(context.range.since, context.range.until, granularity)
        buckets = _buckets(context.range, spans, query.compare)
        repository = QueryRepository(session)
        source = _source(query)
        found, gaps = await repository.totals(context.where, source, buckets)

        # A period that includes today is not over: its comparison is held back (a part is not compared with a whole).
        partial = {b.index for b in buckets if b.period == 0 and _has_today(context, b)}

        def points(period: int) -> list[SeriesPoint]:
            return [
                SeriesPoint(
                    b.since,
                    b.until,
                    None if period == 1 and b.index in partial else _synced_totals(context, b, found),
                )
                for b in buckets
                if b.period == period
            ]

        return TimeSeries(
            range=context.range,
            currency=context.currency,
            granularity=granularity,
            points=points(0),
            previous_points=points(1) if query.compare is not Compare.none else None,
            missing_rates=_gaps(gaps),
            not_synced=context.gaps(),
        )

    async def breakdown(
        self,
        session: AsyncSession,
        organization_id: UUID,
        query: AnalyticsQuery,
        dimension: Dimension,
        *,
        parent_platform_id: str | None = None,
        sort: BreakdownSort | str = BreakdownSort.spend_desc,
        limit: int = DEFAULT_LIMIT,
        cursor: str | None = None,
        now: datetime | None = None,
    ) -> Breakdown:
        """Totals per platform, account, campaign, ad group (of a campaign) or ad (of an ad group), sorted and
        paged; top N is ``sort="-x", limit=N``, bottom N ``sort="x"``."""
        try:
            order = BreakdownSort(sort)
        except ValueError:
            raise invalid_parameter("sort", f"unknown sort {sort!r}") from None
        if not 1 <= limit <= MAX_LIMIT:
            raise invalid_parameter("limit", f"must be between 1 and {MAX_LIMIT}")
        if parent_platform_id is not None and dimension not in (Dimension.ad_group, Dimension.ad):
            raise invalid_parameter("parent_platform_id", "applies to the ad_group and ad dimensions only")
        if parent_platform_id is not None and (not parent_platform_id or "\x00" in parent_platform_id):
            raise invalid_parameter("parent_platform_id", "must be a platform id")
        if dimension is Dimension.ad and not parent_platform_id:
            raise invalid_parameter("parent_platform_id", "the ad dimension needs the ad group (its platform id)")
        fingerprint = f"{dimension.value}:{order.value}"
        offset = _decode_cursor(cursor, fingerprint) if cursor else 0
        context = await self._context(session, organization_id, query, now)
        repository = QueryRepository(session)
        where = context.where
        if dimension is Dimension.ad_group and parent_platform_id:
            where = replace(where, campaign_platform_ids=(parent_platform_id,))
        if dimension is Dimension.ad and parent_platform_id:
            campaigns = await repository.campaigns_of_ad_group(organization_id, parent_platform_id)
            if not campaigns:
                return Breakdown(context.range, context.currency, dimension, [], 0, None, [])
            where = replace(where, campaign_platform_ids=tuple(campaigns), parent_platform_id=parent_platform_id)
        buckets = _buckets(context.range, [(context.range.since, context.range.until)], query.compare)
        source = _source(query, dimension)
        group_by = {
            Dimension.platform: GroupBy.platform,
            Dimension.account: GroupBy.account,
            Dimension.campaign: GroupBy.campaign,
            Dimension.ad_group: GroupBy.entity,
            Dimension.ad: GroupBy.entity,
        }[dimension]
        names = (
            {platform.value: title for platform, title in PLATFORM_TITLES.items()}
            if dimension is Dimension.platform
            else {str(account.id): account.name for account in context.accounts.values()}
        )
        rows, total, gaps = await repository.breakdown(
            where,
            source,
            group_by,
            buckets[0],
            buckets[1] if len(buckets) > 1 else None,
            sort=order.value.lstrip("-"),
            descending=order.value.startswith("-"),
            limit=limit,
            offset=offset,
            names=names,
        )
        result = [
            BreakdownRow(
                key=BreakdownKey(
                    platform=Platform(row.platform),
                    ad_account_id=row.ad_account_id,
                    ad_account_name=(
                        context.accounts[row.ad_account_id].name
                        if row.ad_account_id is not None and row.ad_account_id in context.accounts
                        else None
                    ),
                    campaign_platform_id=row.campaign_platform_id,
                    entity_platform_id=row.entity_platform_id
                    if dimension in (Dimension.ad_group, Dimension.ad)
                    else row.campaign_platform_id,
                    name=row.name,
                    status=row.status,
                    native_currency=row.native_currency,
                    entity_id=row.synced_entity_id,
                    daily_budget_micros=row.synced_daily_budget_micros,
                ),
                totals=_row_totals(context, buckets[0], row.platform, row.ad_account_id, row.current),
                previous=_row_totals(context, buckets[1], row.platform, row.ad_account_id, row.previous)
                if len(buckets) > 1 and not _has_today(context, buckets[0])
                else None,
            )
            for row in rows
        ]
        following = offset + len(result)
        return Breakdown(
            range=context.range,
            currency=context.currency,
            dimension=dimension,
            rows=result,
            total_count=total,
            next_cursor=_encode_cursor(following, fingerprint) if following < total and result else None,
            missing_rates=_gaps(gaps),
            not_synced=context.gaps(),
        )

    async def pacing(
        self, session: AsyncSession, organization_id: UUID, query: AnalyticsQuery, *, now: datetime | None = None
    ) -> Pacing:
        """Today's spend of each campaign against its daily budget; the query's filters apply, its dates do not.
        Today is the organization's, the stat day the Today range reads for every account, so the total agrees with
        the Today spend. Campaigns listed: those that spent today and the active ones with a daily budget."""
        settings = await organization_service.reporting_settings(session, organization_id)
        currency = settings.reporting_currency
        moment = now or utcnow()
        accounts = [
            account
            for account in await account_service.list_managed_accounts(session, organization_id)
            if (not query.platforms or account.platform in query.platforms)
            and (not query.ad_account_ids or account.id in query.ad_account_ids)
        ]
        by_id = {account.id: account for account in accounts}
        today = moment.astimezone(_zone(settings.time_zone)).date()
        account_days = [(account.id, today) for account in accounts]
        today_of = dict(account_days)
        repository = QueryRepository(session)
        hours = {
            (h.ad_account_id, h.campaign_platform_id): h
            for h in await repository.today_hours(organization_id, account_days)
        }
        days = {
            (d.ad_account_id, d.campaign_platform_id): d
            for d in await repository.today_days(organization_id, account_days)
        }
        budgets = {
            (b.ad_account_id, b.campaign_platform_id): b
            for b in await entity_sync_service.daily_budgets(session, organization_id)
            if b.ad_account_id in by_id and b.status == CampaignStatus.active and b.daily_budget_micros
        }
        keys = sorted(set(hours) | set(days) | set(budgets), key=lambda k: (str(k[0]), k[1]))
        dimension = await repository.campaign_names(organization_id, keys)
        wanted = {(by_id[account].currency, today_of[account]) for account, _ in keys}
        rates = await repository.rates_on(organization_id, currency, sorted(wanted))
        gaps: list[tuple[str, date, date]] = []
        rows: list[PacingRow] = []
        for key in keys:
            account = by_id[key[0]]
            entity, budget = dimension.get(key), budgets.get(key)
            name = entity.name if entity else budget.name if budget else key[1]
            status = entity.status if entity and entity.status else budget.status if budget else None
            if query.statuses and status not in query.statuses:
                continue
            if query.name_contains and query.name_contains.casefold() not in name.casefold():
                continue
            day = today_of[account.id]
            rate = Decimal(1) if account.currency == currency else rates.get((account.currency, day))
            if rate is None:
                gaps.append((account.currency, day, day))
            hourly = hours.get(key)
            # The day row (what the Today range sums), else the hours synced so far.
            native_spend = (
                days[key].spend_micros if key in days else sum(spend for _, spend in hourly.hours) if hourly else 0
            )
            rows.append(
                PacingRow(
                    platform=account.platform,
                    ad_account_id=account.id,
                    campaign_platform_id=key[1],
                    name=name,
                    day=day,
                    spend_micros=_convert(native_spend, rate),
                    daily_budget_micros=_convert(budget.daily_budget_micros, rate)
                    if budget and budget.daily_budget_micros
                    else None,
                    native_currency=account.currency,
                    hours=[PacingHour(hour, _convert(spend, rate)) for hour, spend in hourly.hours] if hourly else [],
                )
            )
        rows.sort(key=lambda r: (r.spend_micros is None, -(r.spend_micros or 0), r.name, r.campaign_platform_id))
        # A row whose rate is missing has null money: the totals are then null too, never a partial sum.
        unconverted = any(r.spend_micros is None for r in rows)
        spend = None if unconverted else sum(r.spend_micros or 0 for r in rows)
        budget_total = None if unconverted else sum(r.daily_budget_micros or 0 for r in rows)
        return Pacing(currency, rows, PacingTotals(spend, budget_total), _gaps(gaps))

    async def freshness(self, session: AsyncSession, organization_id: UUID) -> Freshness:
        """How current each managed account's numbers are: last successful metrics sync, the run in flight (with
        its progress), the latest error, the connection's health; ``data_as_of`` is the oldest sync."""
        accounts = await account_service.list_managed_accounts(session, organization_id)
        health = await account_service.connection_health(session, organization_id)
        states = await QueryRepository(session).sync_states(organization_id, [a.id for a in accounts])
        coverage = await metrics_store.synced_ranges(session, organization_id)
        result: list[AccountFreshness] = []
        for account in accounts:
            state = states.get(account.id)
            running = (
                RunningSync(state.running_scope, state.running_status or "queued", state.days_done, state.days_total)
                if state is not None and state.running_scope is not None
                else None
            )
            result.append(
                AccountFreshness(
                    ad_account_id=account.id,
                    name=account.name,
                    platform=account.platform,
                    health=str(
                        health.get(account.connection_id, ConnectionHealth.ok) if account.connection_id else "ok"
                    ),
                    last_synced_at=state.last_synced_at if state else None,
                    running=running,
                    last_error=state.last_error
                    if state is not None and state.last_status in ("failed", "deferred")
                    else None,
                    synced_since=coverage[account.id].first_day if account.id in coverage else None,
                    synced_until=coverage[account.id].last_day if account.id in coverage else None,
                )
            )
        synced = [a.last_synced_at for a in result if a.last_synced_at is not None]
        return Freshness(data_as_of=min(synced) if synced else None, accounts=result)

    async def _yesterday_so_far(
        self, repository: QueryRepository, context: _Context, now: datetime | None
    ) -> Totals | None:
        """Yesterday's numbers up to the hour each account's today has reached (its own time zone), from the hourly
        store; None (held back) when an account that has reached today has no hours of yesterday to cut."""
        moment = now or utcnow()
        yesterday = context.today - timedelta(days=1)
        cuts: list[tuple[UUID, date, int]] = []
        for account in context.scope:
            local = moment.astimezone(_zone(account.time_zone))
            # Ahead of the organization: the day is over for it; behind: it has not begun.
            last = 23 if local.date() > context.today else -1 if local.date() < context.today else local.hour
            cuts.append((account.id, yesterday, last))
        found = await repository.hours_through(context.where, cuts)
        rates = await repository.rates_on(
            context.organization_id,
            context.currency,
            sorted({(currency, yesterday) for currency, _, _ in found.values() if currency}),
        )
        impressions, clicks, conversions = 0, 0, Decimal(0)
        spend: int | None = 0
        value: int | None = 0
        for account_id, _, last in cuts:
            currency, numbers, has_hours = found.get((account_id, yesterday), ("", Numbers(), False))
            if last >= 0 and not has_hours:
                return None
            rate = Decimal(1) if currency in ("", context.currency) else rates.get((currency, yesterday))
            converted_spend = _convert(numbers.spend_micros or 0, rate)
            converted_value = _convert(numbers.conversion_value_micros or 0, rate)
            spend = None if spend is None or converted_spend is None else spend + converted_spend
            value = None if value is None or converted_value is None else value + converted_value
            impressions += numbers.impressions
            clicks += numbers.clicks
            conversions += numbers.conversions
        return Totals(impressions, clicks, spend, conversions, value)

    async def _context(
        self, session: AsyncSession, organization_id: UUID, query: AnalyticsQuery, now: datetime | None
    ) -> _Context:
        settings = await organization_service.reporting_settings(session, organization_id)
        today = (now or utcnow()).astimezone(_zone(settings.time_zone)).date()
        accounts = {a.id: a for a in await account_service.list_ad_accounts(session, organization_id)}
        currency = settings.reporting_currency
        foreign = [
            a
            for a in accounts.values()
            if a.currency != currency
            and (not query.platforms or a.platform in query.platforms)
            and (not query.ad_account_ids or a.id in query.ad_account_ids)
        ]
        where = RowFilter(
            organization_id=organization_id,
            reporting_currency=currency,
            platforms=tuple(p.value for p in query.platforms),
            ad_account_ids=query.ad_account_ids,
            statuses=tuple(s.value for s in query.statuses),
            name_contains=query.name_contains,
            foreign_account_ids=tuple(sorted(a.id for a in foreign)),
            foreign_currencies=tuple(sorted({a.currency for a in foreign})),
        )
        synced = await metrics_store.synced_ranges(session, organization_id)
        scope = tuple(
            a
            for a in accounts.values()
            if ((a.managed and a.connection_id is not None) or a.id in synced)
            and (not query.platforms or a.platform in query.platforms)
            and (not query.ad_account_ids or a.id in query.ad_account_ids)
        )
        return _Context(organization_id, currency, today, accounts, where, resolve_range(query, today), scope, synced)


analytics_query_service = AnalyticsQueryService()
