"""The KPI queries' vocabulary: the query (filters, dates, comparison), its date range, and the answers the query
service gives (totals with their derived KPIs, series, breakdowns, pacing, freshness), all frozen data objects.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_DOWN, Decimal
from uuid import UUID

from adpilot.core.errors import AppError
from adpilot.platforms.types import Platform
from adpilot.reporting.repository.query import Numbers
from adpilot.reporting.schemas.query import (
    CampaignStatus,
    Compare,
    Dimension,
    Granularity,
    Preset,
)

MAX_RANGE_YEARS = 3
MAX_LIMIT = 500
DEFAULT_LIMIT = 50
MAX_FILTER_VALUES = 100
# A cursor never points further than this (a breakdown has far fewer rows).
MAX_OFFSET = 10_000_000
MAX_NAME_FILTER = 200
# The earliest and latest days a range may name (a comparison reaches up to three years further back).
FIRST_DAY = date(1900, 1, 1)
LAST_DAY = date(9998, 12, 31)
PLATFORM_TITLES = {Platform.google: "Google Ads", Platform.meta: "Meta Ads", Platform.tiktok: "TikTok Ads"}


class InvalidAnalyticsQuery(AppError):
    status_code = 422
    code = "invalid-analytics-query"
    title = "The analytics query is invalid"


def invalid_parameter(parameter: str, message: str) -> InvalidAnalyticsQuery:
    return InvalidAnalyticsQuery(
        f"{parameter}: {message}", errors=[{"loc": ["query", parameter], "msg": message, "type": "value_error"}]
    )


def previous_year_day(day: date) -> date:
    """The same date a year earlier; 29 February becomes 28 February."""
    try:
        return day.replace(year=day.year - 1)
    except ValueError:
        return date(day.year - 1, 2, 28)


def _years_before(day: date, years: int) -> date:
    for _ in range(years):
        day = previous_year_day(day)
    return day


@dataclass(frozen=True)
class AnalyticsQuery:
    """The common parameters of every KPI query: a date range (explicit, or a preset), a comparison and filters.

    ``since``/``until`` (inclusive, both or neither, at most three years apart) win over ``preset``. Filters of the
    same kind are alternatives (platform google or meta); different kinds all apply. ``statuses`` and
    ``name_contains`` are the campaign's.
    """

    since: date | None = None
    until: date | None = None
    preset: Preset = Preset.last_30_days
    compare: Compare = Compare.none
    platforms: tuple[Platform, ...] = ()
    ad_account_ids: tuple[UUID, ...] = ()
    statuses: tuple[CampaignStatus, ...] = ()
    name_contains: str | None = None

    def __post_init__(self) -> None:
        if (self.since is None) != (self.until is None):
            missing = "until" if self.until is None else "since"
            raise invalid_parameter(missing, "give both since and until, or neither (then the preset applies)")
        if self.since is not None and self.until is not None:
            if self.since > self.until:
                raise invalid_parameter("until", "must be on or after since")
            if self.since < FIRST_DAY or self.until > LAST_DAY:
                raise invalid_parameter("since", f"dates must lie between {FIRST_DAY} and {LAST_DAY}")
            if self.since < _years_before(self.until, MAX_RANGE_YEARS):
                raise invalid_parameter("since", f"a range spans at most {MAX_RANGE_YEARS} years")
        for parameter, values in (
            ("platform", self.platforms),
            ("ad_account_id", self.ad_account_ids),
            ("status", self.statuses),
        ):
            if len(values) > MAX_FILTER_VALUES:
                raise invalid_parameter(parameter, f"at most {MAX_FILTER_VALUES} values")
        # Normalised: enums, sorted distinct filters, a stripped name fragment (an empty one is no filter).
        object.__setattr__(self, "preset", Preset(self.preset))
        object.__setattr__(self, "compare", Compare(self.compare))
        object.__setattr__(self, "platforms", tuple(sorted({Platform(p) for p in self.platforms})))
        object.__setattr__(self, "ad_account_ids", tuple(sorted(set(self.ad_account_ids))))
        object.__setattr__(self, "statuses", tuple(sorted({CampaignStatus(s) for s in self.statuses})))
        name = self.name_contains.strip() if self.name_contains is not None else None
        if name is not None and len(name) > MAX_NAME_FILTER:
            raise invalid_parameter("name_contains", f"at most {MAX_NAME_FILTER} characters")
        if name is not None and "\x00" in name:
            raise invalid_parameter("name_contains", "must not contain NUL characters")
        object.__setattr__(self, "name_contains", name or None)


@dataclass(frozen=True)
class DateRange:
    since: date
    until: date
    compare_since: date | None = None
    compare_until: date | None = None
    # The range includes today (in the organization's time zone): its last day is not over.
    partial: bool = False

    @property
    def days(self) -> int:
        return (self.until - self.since).days + 1


def resolve_range(query: AnalyticsQuery, today: date) -> DateRange:
    """The query's days (its own, or its preset's relative to ``today``) and its comparison period."""
    if query.since is not None and query.until is not None:
        since, until = query.since, query.until
    else:
        since, until = _preset(query.preset, today)
    partial = since <= today <= until
    if query.compare is Compare.previous_period:
        days = (until - since).days + 1
        return DateRange(since, until, since - timedelta(days=days), since - timedelta(days=1), partial)
    if query.compare is Compare.previous_year:
        return DateRange(since, until, previous_year_day(since), previous_year_day(until), partial)
    return DateRange(since, until, partial=partial)


def _preset(preset: Preset, today: date) -> tuple[date, date]:
    yesterday = today - timedelta(days=1)
    match preset:
        case Preset.today:
            return today, today
        case Preset.yesterday:
            return yesterday, yesterday
        case Preset.last_7_days | Preset.last_14_days | Preset.last_30_days | Preset.last_90_days:
            days = int(preset.value.split("_")[1])
            return today - timedelta(days=days), yesterday
        case Preset.this_month:
            return today.replace(day=1), today
        case Preset.last_month:
            last = today.replace(day=1) - timedelta(days=1)
            return last.replace(day=1), last
        case Preset.this_year:
            return today.replace(month=1, day=1), today


# --- answers ------------------------------------------------------------------------------------------------------


def _money_ratio(money: int | None, denominator: Decimal | int, scale: int = 1) -> int | None:
    if money is None or not denominator:
        return None
    return int((Decimal(money) * scale / Decimal(denominator)).to_integral_value(ROUND_DOWN))


@dataclass(frozen=True)
class Totals:
    """Additive numbers and the KPIs derived from them (null on a zero denominator or a null money figure)."""

    impressions: int = 0
    clicks: int = 0
    spend_micros: int | None = 0
    conversions: Decimal = Decimal(0)
    conversion_value_micros: int | None = 0
    all_clicks: int = 0

    @classmethod
    def of(cls, numbers: Numbers | None) -> Totals:
        if numbers is None:
            return cls()
        return cls(
            numbers.impressions,
            numbers.clicks,
            numbers.spend_micros,
            numbers.conversions,
            numbers.conversion_value_micros,
            numbers.all_clicks,
        )

    @property
    def ctr(self) -> float | None:
        return self.clicks / self.impressions if self.impressions else None

    @property
    def cpc_micros(self) -> int | None:
        return _money_ratio(self.spend_micros, self.clicks)

    @property
    def cpm_micros(self) -> int | None:
        return _money_ratio(self.spend_micros, self.impressions, 1000)

    @property
    def cpa_micros(self) -> int | None:
        return _money_ratio(self.spend_micros, self.conversions)

    @property
    def roas(self) -> float | None:
        if self.conversion_value_micros is None or not self.spend_micros:
            return None
        return float(Decimal(self.conversion_value_micros) / Decimal(self.spend_micros))

    @property
    def conversion_rate(self) -> float | None:
        return float(self.conversions / self.clicks) if self.clicks else None


@dataclass(frozen=True)
class MissingRate:
    """Days with numbers in ``currency`` that no exchange rate to the reporting currency covers."""

    currency: str
    since: date
    until: date


@dataclass(frozen=True)
class NotSynced:
    """An account whose synced days do not reach back to the first day of a period (``range`` or
    ``comparison``): the figures that include it there are null, never a short sum."""

    ad_account_id: UUID
    ad_account_name: str
    platform: Platform
    period: str
    synced_since: date | None

    @property
    def reason(self) -> str:
        if self.synced_since is None:
            return f"{self.ad_account_name}: not synced yet"
        day = self.synced_since
        return f"{self.ad_account_name}: not synced before {day.day} {day:%b %Y}"


@dataclass(frozen=True)
class Summary:
    range: DateRange
    currency: str
    totals: Totals | None
    previous: Totals | None
    missing_rates: list[MissingRate]
    not_synced: list[NotSynced] = field(default_factory=list)


@dataclass(frozen=True)
class SeriesPoint:
    period_start: date
    period_end: date
    totals: Totals | None


@dataclass(frozen=True)
class TimeSeries:
    range: DateRange
    currency: str
    granularity: Granularity
    points: list[SeriesPoint]
    previous_points: list[SeriesPoint] | None
    missing_rates: list[MissingRate]
    not_synced: list[NotSynced] = field(default_factory=list)


@dataclass(frozen=True)
class BreakdownKey:
    platform: Platform
    ad_account_id: UUID | None
    ad_account_name: str | None
    campaign_platform_id: str | None
    entity_platform_id: str | None
    name: str
    status: str | None
    native_currency: str | None
    entity_id: UUID | None = None
    daily_budget_micros: int | None = None


@dataclass(frozen=True)
class BreakdownRow:
    key: BreakdownKey
    totals: Totals | None
    previous: Totals | None


@dataclass(frozen=True)
class Breakdown:
    range: DateRange
    currency: str
    dimension: Dimension
    rows: list[BreakdownRow]
    total_count: int
    next_cursor: str | None
    missing_rates: list[MissingRate]
    not_synced: list[NotSynced] = field(default_factory=list)


@dataclass(frozen=True)
class PacingHour:
    hour: int
    spend_micros: int | None


@dataclass(frozen=True)
class PacingRow:
    platform: Platform
    ad_account_id: UUID
    campaign_platform_id: str
    name: str
    day: date
    spend_micros: int | None
    daily_budget_micros: int | None
    native_currency: str
    hours: list[PacingHour]


@dataclass(frozen=True)
class PacingTotals:
    spend_micros: int | None
    daily_budget_micros: int | None


@dataclass(frozen=True)
class Pacing:
    currency: str
    rows: list[PacingRow]
    totals: PacingTotals
    missing_rates: list[MissingRate]


@dataclass(frozen=True)
class RunningSync:
    scope: str
    status: str
    days_done: int
    days_total: int


@dataclass(frozen=True)
class AccountFreshness:
    ad_account_id: UUID
    name: str
    platform: Platform
    health: str
    last_synced_at: datetime | None
    running: RunningSync | None
    last_error: str | None
    synced_since: date | None = None
    synced_until: date | None = None


@dataclass(frozen=True)
class Freshness:
    data_as_of: datetime | None
    accounts: list[AccountFreshness]
