"""The SQL builder of the KPI queries: totals per period, breakdowns, today's pacing and data freshness.

This file only produces statements (``totals_statement``, ``breakdown_statement``, … and the fixed ones); the
repository (query.py) sends them and reads their rows, by column name, into typed records.

Totals, time series and platform, account and campaign breakdowns read only the rollups: the account rollups when
no campaign filter applies, the campaign rollups otherwise. A whole calendar month inside a period is read from the
monthly rollup for accounts whose currency is the reporting currency, and, for the campaign rollups, from the
converted monthly rollup for accounts in another currency where it is usable; every other day (and every day of an
account in another currency without a usable converted month, converted day by day) from the daily rollup. Ad group
and ad breakdowns read ``metrics_daily`` through its drill-down index (organization, campaign, level, day).

The metrics store's tables are read through its read-only contract (``adpilot.metrics.reading``), the rates and
converted months through the exchange-rates module's (``adpilot.exchange_rates.reading``) and the synced entities
(a breakdown row's adpilot entity and daily budget) through the campaigns module's (``adpilot.campaigns.reading``):
only the tables those name appear here. Money in another currency than the reporting one is converted in SQL
with ``exchange_rates_by_day`` (the one implementation of the conversion rule); a sum that would need a missing
rate is NULL, never a partial sum. Every statement filters ``organization_id`` explicitly (row-level security is
the safety net).
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum
from typing import Any, Protocol
from uuid import UUID

from sqlalchemy import (
    ARRAY,
    BigInteger,
    Date,
    Integer,
    Numeric,
    Select,
    String,
    Uuid,
    and_,
    bindparam,
    func,
    select,
    text,
)
from sqlalchemy.sql.elements import TextClause
from sqlalchemy.sql.selectable import CTE
from sqlalchemy.types import TypeEngine

from adpilot.campaigns import reading as synced_tables
from adpilot.db import like_pattern, positional
from adpilot.exchange_rates.reading import CONVERTED_MONTHLY, exchange_rates_by_day, exchange_rates_by_day_text
from adpilot.metrics import reading as metrics_tables

NUMBERS = ("impressions", "clicks", "spend_micros", "conversions", "conversion_value_micros", "all_clicks")
# More day ranges than this in one statement are read as one range (the map of days still picks the right rows).
_MAX_DAY_SEGMENTS = 8


class Source(StrEnum):
    """Which rows a query reads: account rollups, campaign rollups, or raw ad group / ad rows."""

    account = "account"
    campaign = "campaign"
    ad_group = "ad_group"
    ad = "ad"


class GroupBy(StrEnum):
    """The key of a breakdown row."""

    platform = "platform"
    account = "account"
    campaign = "campaign"
    entity = "entity"


_GROUP_COLUMNS = {
    GroupBy.platform: ("platform",),
    GroupBy.account: ("platform", "ad_account_id"),
    GroupBy.campaign: ("platform", "ad_account_id", "campaign_id"),
    GroupBy.entity: ("platform", "ad_account_id", "campaign_id", "entity_id"),
}


@dataclass(frozen=True, slots=True)
class _Tables:
    daily: str
    monthly: str | None
    campaign: str  # the campaign id column's expression
    entity: str  # the entity id column's expression
    level: str | None  # the level of metrics_daily rows


# The metrics store's tables, read through its contract (adpilot.metrics.reading).
_SOURCES = {
    Source.account: _Tables(
        metrics_tables.ACCOUNT_DAILY,
        metrics_tables.ACCOUNT_MONTHLY,
        "CAST(NULL AS varchar)",
        "CAST(NULL AS varchar)",
        None,
    ),
    Source.campaign: _Tables(
        metrics_tables.CAMPAIGN_DAILY,
        metrics_tables.CAMPAIGN_MONTHLY,
        "t.campaign_platform_id",
        "t.campaign_platform_id",
        None,
    ),
    Source.ad_group: _Tables(
        metrics_tables.METRICS_DAILY, None, "t.campaign_platform_id", "t.entity_platform_id", "ad_group"
    ),
    Source.ad: _Tables(metrics_tables.METRICS_DAILY, None, "t.campaign_platform_id", "t.entity_platform_id", "ad"),
}


# (source, key) pairs whose source rows are already one per key and day.
_NATURAL_GRAIN = {
    (Source.campaign, GroupBy.campaign),
    (Source.ad_group, GroupBy.entity),
    (Source.ad, GroupBy.entity),
}


@dataclass(frozen=True, slots=True)
class Bucket:
    """Days ``since..until`` counted into result ``index`` of ``period`` (0 = the range, 1 = the comparison)."""

    period: int
    index: int
    since: date
    until: date


@dataclass(frozen=True, slots=True)
class RowFilter:
    """Which rows count. ``foreign_account_ids``/``foreign_currencies``: the organization's accounts (and their
    currencies) not in the reporting currency, whose rows are converted (day by day, or read from the converted
    monthly campaign rollup)."""

    organization_id: UUID
    reporting_currency: str
    platforms: tuple[str, ...] = ()
    ad_account_ids: tuple[UUID, ...] = ()
    statuses: tuple[str, ...] = ()
    name_contains: str | None = None
    foreign_account_ids: tuple[UUID, ...] = ()
    foreign_currencies: tuple[str, ...] = ()
    # Drill-down: rows of these campaigns only (ad groups of a campaign, ads of an ad group's campaign) …
    campaign_platform_ids: tuple[str, ...] = ()
    # … and, for ads, whose parent is this ad group.
    parent_platform_id: str | None = None

    @property
    def filters_campaigns(self) -> bool:
        return bool(self.statuses) or self.name_contains is not None


# --- planning: which table each day is read from -----------------------------------------------------------------


def month_end(day: date) -> date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


@dataclass(slots=True)
class _Plan:
    # (month's first day, period, index): read from the monthly rollup (reporting-currency accounts).
    months: list[tuple[date, int, int]] = field(default_factory=list)
    # (day, period, index): read from the daily table, every account.
    days: list[tuple[date, int, int]] = field(default_factory=list)
    # (day, period, index): days of those months, read from the daily rollup for the foreign-currency accounts.
    covered: list[tuple[date, int, int]] = field(default_factory=list)


def _plan(buckets: Sequence[Bucket], use_months: bool) -> _Plan:
    plan = _Plan()
    for bucket in buckets:
        day = bucket.since
        while day <= bucket.until:
            if use_months and day.day == 1 and month_end(day) <= bucket.until:
                end = month_end(day)
                plan.months.append((day, bucket.period, bucket.index))
                plan.covered.extend(
                    (day + timedelta(days=i), bucket.period, bucket.index) for i in range((end - day).days + 1)
                )
                day = end + timedelta(days=1)
                continue
            plan.days.append((day, bucket.period, bucket.index))
            day += timedelta(days=1)
    return plan


def _runs(days: Sequence[date]) -> list[tuple[date, date]]:
    """Sorted distinct days as runs of consecutive days."""
    runs: list[tuple[date, date]] = []
    for day in sorted(set(days)):
        if runs and runs[-1][1] + timedelta(days=1) == day:
            runs[-1] = (runs[-1][0], day)
        else:
            runs.append((day, day))
    return runs


def _segments(days: Sequence[date]) -> list[tuple[date, date]]:
    """``_runs``, or one range from the first to the last day when there are too many runs."""
    runs = _runs(days)
    if len(runs) > _MAX_DAY_SEGMENTS:
        return [(runs[0][0], runs[-1][1])]
    return runs


class _Params:
    """Bind parameters of one statement, with the types asyncpg needs for arrays."""

    def __init__(self) -> None:
        self.values: dict[str, Any] = {}
        self.types: dict[str, Any] = {}

    def add(self, name: str, value: Any, type_: Any = None) -> str:
        name = f"q_{name}_{len(self.values)}"
        self.values[name] = value
        if type_ is None:
            return f":{name}"
        self.types[name] = type_
        # Typed in the text too, for statements sent to the driver (where unnest() could not tell the types).
        return f"CAST(:{name} AS {_SQL_TYPES[type(type_.item_type)]}[])"

    def bind(self, sql: str) -> TextClause:
        statement = text(sql)
        parameters = [bindparam(name, value, type_=self.types.get(name)) for name, value in self.values.items()]
        return statement.bindparams(*parameters)

    def positional(self, sql: str, more: dict[str, Any]) -> tuple[str, list[Any]]:
        """``sql`` with its ``:name`` parameters numbered as the driver takes them (``$1`` …), and their values
        (from this object, then ``more``)."""
        return positional(sql, {**more, **self.values})


_SQL_TYPES = {Date: "date", Integer: "integer", String: "varchar", Uuid: "uuid"}


def _filters(where: RowFilter, tables: _Tables, params: _Params) -> list[str]:
    """Predicates on the source rows ``t`` besides the organization and the days.

    Statements are assembled from constant fragments and table names of this module; every value a caller gives
    travels as a bind parameter (which is why the S608 warnings below are silenced).
    """
    predicates: list[str] = []
    if tables.level is not None:
        predicates.append(f"t.level = {params.add('level', tables.level)}")
    if where.platforms:
        predicates.append(f"t.platform = ANY({params.add('platforms', list(where.platforms), ARRAY(String))})")
    if where.ad_account_ids:
        predicates.append(f"t.ad_account_id = ANY({params.add('accounts', list(where.ad_account_ids), ARRAY(Uuid))})")
    if where.campaign_platform_ids:
        predicates.append(
            f"t.campaign_platform_id = ANY({params.add('campaigns', list(where.campaign_platform_ids), ARRAY(String))})"
        )
    if where.filters_campaigns:
        conditions = [
            f"c.organization_id = {params.add('org', where.organization_id)}",
            "c.ad_account_id = t.ad_account_id",
            "c.level = 'campaign'",
            f"c.platform_id = {tables.campaign}",
        ]
        if where.statuses:
            conditions.append(f"c.status = ANY({params.add('statuses', list(where.statuses), ARRAY(String))})")
        if where.name_contains is not None:
            conditions.append(f"c.name ILIKE {params.add('name', like_pattern(where.name_contains))} ESCAPE '\\'")
        predicates.append(f"EXISTS (SELECT 1 FROM metric_entities c WHERE {' AND '.join(conditions)})")  # noqa: S608
    if where.parent_platform_id is not None:
        predicates.append(
            "EXISTS (SELECT 1 FROM metric_entities a "  # noqa: S608
            f"WHERE a.organization_id = {params.add('org', where.organization_id)} "
            "AND a.ad_account_id = t.ad_account_id AND a.level = t.level AND a.platform_id = t.entity_platform_id "
            f"AND a.parent_platform_id = {params.add('parent', where.parent_platform_id)})"
        )
    return predicates


_FACT_COLUMNS: dict[str, TypeEngine[Any]] = {
    "p": Integer(),
    "idx": Integer(),
    "platform": String(),
    "ad_account_id": Uuid(),
    "campaign_id": String(),
    "entity_id": String(),
    "currency": String(),
    "day": Date(),
    "impressions": BigInteger(),
    "clicks": BigInteger(),
    "spend_micros": BigInteger(),
    "conversions": Numeric(),
    "conversion_value_micros": BigInteger(),
    "all_clicks": BigInteger(),
}


def _facts(
    where: RowFilter,
    source: Source,
    buckets: Sequence[Bucket],
    *,
    group_by: GroupBy | None = None,
    foreign_only: bool = False,
) -> CTE:
    """The source rows of every bucket summed per (bucket, group, currency, day): ``p, idx, platform, ad_account_id,
    campaign_id, entity_id, currency, day, <numbers>`` (key columns outside ``group_by`` are NULL).
    ``foreign_only``: only the foreign-currency accounts, day by day."""
    params = _Params()
    sql = _facts_sql(where, source, buckets, params, group_by=group_by, foreign_only=foreign_only)
    return params.bind(sql).columns(**_FACT_COLUMNS).cte("facts")


def _facts_sql(
    where: RowFilter,
    source: Source,
    buckets: Sequence[Bucket],
    params: _Params,
    *,
    group_by: GroupBy | None = None,
    foreign_only: bool = False,
) -> str:
    """The SELECT of ``_facts``, its values added to ``params``."""
    tables = _SOURCES[source]
    org = params.add("org", where.organization_id)
    use_months = tables.monthly is not None and not foreign_only
    plan = _plan(buckets, use_months)
    numbers = ", ".join(f"t.{name}" for name in NUMBERS)
    keys = f"t.platform, t.ad_account_id, {tables.campaign} AS campaign_id, {tables.entity} AS entity_id, t.currency"
    filters = "".join(f" AND {predicate}" for predicate in _filters(where, tables, params))
    foreign_ids = list(where.foreign_account_ids)

    def foreign() -> str:
        return params.add("foreign", foreign_ids, ARRAY(Uuid))

    branches: list[str] = []
    converted = False

    def mapped(
        name: str,
        entries: Sequence[tuple[date, int, int]],
        table: str,
        column: str,
        exact: bool,
        day: str | None = None,
    ) -> str:
        """``p, idx`` of each row of ``table`` on the days (or months) of ``entries``, and the FROM clause.

        When the WHERE clause already reads exactly those days (``exact``) and all of them count into one bucket
        (a range without a comparison), or each day into the next bucket (a daily series), (p, idx) is a constant
        or an offset from the first day, and the rows need no join to the map of days: the planner then sees the
        day range and the row count as they are.
        """
        (start, p, idx) = min(entries)
        day = day or f"t.{column}"
        if exact and all((e[1], e[2]) == (p, idx) for e in entries):
            return f"{p} AS p, {idx} AS idx, {keys}, {day} AS day, {numbers} FROM {table} t"
        if exact and column == "day" and all((e[1], e[2]) == (p, idx + (e[0] - start).days) for e in entries):
            offset = f"t.day - {params.add(f'{name}_start', start)} + {idx}"
            return f"{p} AS p, {offset} AS idx, {keys}, t.day, {numbers} FROM {table} t"
        days = params.add(f"{name}_day", [e[0] for e in entries], ARRAY(Date))
        periods = params.add(f"{name}_p", [e[1] for e in entries], ARRAY(Integer))
        indexes = params.add(f"{name}_idx", [e[2] for e in entries], ARRAY(Integer))
        return (
            f"dm.p, dm.idx, {keys}, {day} AS day, {numbers} "
            f"FROM unnest({days}, {periods}, {indexes}) AS dm({column}, p, idx) "
            f"JOIN {table} t ON t.{column} = dm.{column}"
        )

    if plan.months:
        months = [m[0] for m in plan.months]
        first, last = min(months), max(months)
        exact = len(set(months)) == len(months) == (last.year - first.year) * 12 + last.month - first.month + 1
        not_foreign = f" AND t.ad_account_id <> ALL({foreign()})" if foreign_ids else ""
        branches.append(
            f"SELECT {mapped('m', plan.months, tables.monthly or '', 'month', exact)} "
            f"WHERE t.organization_id = {org} AND t.month BETWEEN {params.add('m_lo', first)} "
            f"AND {params.add('m_hi', last)}{not_foreign}{filters}"
        )
        if foreign_ids and source is Source.campaign:
            converted = True
            branches += _converted_branches(
                where, plan, params, org, foreign(), filters, keys, numbers, (first, last), exact, mapped
            )
        elif foreign_ids:
            covered = [c[0] for c in plan.covered]
            first, last = min(covered), max(covered)
            exact = len(set(covered)) == len(covered) == (last - first).days + 1
            branches.append(
                f"SELECT {mapped('c', plan.covered, tables.daily, 'day', exact)} "
                f"WHERE t.organization_id = {org} AND t.ad_account_id = ANY({foreign()}) "
                f"AND t.day BETWEEN {params.add('c_lo', first)} AND {params.add('c_hi', last)}{filters}"
            )
    if plan.days:
        days = [d[0] for d in plan.days]
        runs = _runs(days)
        exact = len(set(days)) == len(days) and len(runs) <= _MAX_DAY_SEGMENTS
        ranges = " OR ".join(
            f"t.day BETWEEN {params.add('d_lo', lo)} AND {params.add('d_hi', hi)}" for lo, hi in _segments(days)
        )
        only = f" AND t.ad_account_id = ANY({foreign()})" if foreign_only and foreign_ids else ""
        branches.append(
            f"SELECT {mapped('d', plan.days, tables.daily, 'day', exact)} "
            f"WHERE t.organization_id = {org} AND ({ranges}){only}{filters}"
        )
    if not branches:
        raise ValueError("no days to read")
    union = " UNION ALL ".join(branches)
    if (source, group_by) in _NATURAL_GRAIN:
        # One row per group and day already (a campaign rollup row, an ad group's or ad's row): nothing to sum.
        return union
    # Rows of one (bucket, currency, day) and group are summed before anything else: a rate applies to the whole
    # sum, so conversion and the aggregates above see a few rows per day instead of one per campaign.
    kept = set(_GROUP_COLUMNS[group_by]) if group_by is not None else set()
    key_columns = [
        name if name in kept else f"CAST(NULL AS {kind}) AS {name}"
        for name, kind in (
            ("platform", "varchar"),
            ("ad_account_id", "uuid"),
            ("campaign_id", "varchar"),
            ("entity_id", "varchar"),
        )
    ]
    # Converted months carry unrounded money: summed as numeric, or they would be rounded here.
    exact_money = ("conversions", "spend_micros", "conversion_value_micros") if converted else ("conversions",)
    sums = ", ".join(
        f"CAST(sum({name}) AS {'numeric' if name in exact_money else 'bigint'}) AS {name}" for name in NUMBERS
    )
    grouped = ", ".join(["p", "idx", *sorted(kept), "currency", "day"])
    sql = (
        f"SELECT p, idx, {', '.join(key_columns)}, currency, day, {sums} "  # noqa: S608
        f"FROM ({union}) AS u GROUP BY {grouped}"
    )
    return sql


class _MapDays(Protocol):
    """``_facts_sql``'s ``mapped``: the SELECT list and FROM clause that put each row of ``table`` on the days (or
    months) of ``entries`` into its (period, index)."""

    def __call__(
        self,
        name: str,
        entries: Sequence[tuple[date, int, int]],
        table: str,
        column: str,
        exact: bool,
        day: str | None = None,
    ) -> str: ...


# A campaign's month of a foreign-currency account is read already converted when its row was converted to the
# current reporting currency and every day of it had a rate (the same unrounded sums as converting its days).
_USABLE = "{x}.reporting_currency = {rep} AND {x}.first_unconverted_day IS NULL"


def _converted_branches(
    where: RowFilter,
    plan: _Plan,
    params: _Params,
    org: str,
    foreign: str,
    filters: str,
    keys: str,
    numbers: str,
    months: tuple[date, date],
    exact: bool,
    mapped: _MapDays,
) -> list[str]:
    """The whole months of the foreign-currency accounts' campaigns: from ``metrics_campaign_monthly_converted``
    where usable (money already in the reporting currency: ``day`` is NULL, which the rates join reads as rate 1),
    day by day from ``metrics_campaign_daily`` for the other campaign-months (converted with the other days).

    The other campaign-months are the monthly rollup's rows without a usable converted row (a month with a day
    without a rate, one converted to a former reporting currency). Each one's days are read by the daily rollup's
    key in a LATERAL subquery kept apart (``OFFSET 0``), so no plan reads every day of the period to find them.
    """
    rep = params.add("reporting", where.reporting_currency)
    lo, hi = params.add("x_lo", months[0]), params.add("x_hi", months[1])
    usable = _USABLE.format(x="t", rep=rep)
    converted = mapped("x", plan.months, CONVERTED_MONTHLY, "month", exact, "CAST(NULL AS date)")
    months_left = mapped("s", plan.months, metrics_tables.CAMPAIGN_MONTHLY, "month", exact)
    usable_x = _USABLE.format(x="x", rep=rep)
    return [
        f"SELECT {converted} WHERE t.organization_id = {org} AND t.ad_account_id = ANY({foreign}) "
        f"AND t.month BETWEEN {lo} AND {hi} AND {usable}{filters}",
        f"SELECT s.p, s.idx, {keys}, t.day, {numbers} "  # noqa: S608 (fragments of this module)
        f"FROM (SELECT {months_left} WHERE t.organization_id = {org} AND t.ad_account_id = ANY({foreign}) "
        f"AND t.month BETWEEN {lo} AND {hi} AND NOT EXISTS (SELECT 1 FROM metrics_campaign_monthly_converted x "
        f"WHERE x.organization_id = {org} AND x.ad_account_id = t.ad_account_id "
        f"AND x.campaign_platform_id = t.campaign_platform_id AND x.month = t.month AND {usable_x})) s "
        f"CROSS JOIN LATERAL (SELECT * FROM metrics_campaign_daily d WHERE d.organization_id = {org} "
        "AND d.ad_account_id = s.ad_account_id AND d.campaign_platform_id = s.campaign_id "
        "AND d.day BETWEEN s.day AND CAST(s.day + interval '1 month' - interval '1 day' AS date) OFFSET 0) t "
        f"WHERE true{filters}",
    ]


def _span(buckets: Sequence[Bucket]) -> tuple[date, date]:
    return min(b.since for b in buckets), max(b.until for b in buckets)


class _PricedText:
    """The facts CTE (``f``) left-joined to the rates CTE (``r``) as SQL text for the driver, with the SQL of the
    money sums that go NULL when a needed rate is missing.

    KPI statements are written as text and sent to the driver: they are the one statement of a dashboard query,
    and building and compiling them through SQLAlchemy cost more than PostgreSQL took to answer the small ones.
    """

    def __init__(
        self, where: RowFilter, source: Source, buckets: Sequence[Bucket], group_by: GroupBy | None = None
    ) -> None:
        self.params = _Params()
        self.more: dict[str, Any] = {}
        self.ctes = [f"facts AS ({_facts_sql(where, source, buckets, self.params, group_by=group_by)})"]
        reporting = self.params.add("reporting", where.reporting_currency)
        if where.foreign_currencies:
            since, until = _span(buckets)
            rates, self.more = exchange_rates_by_day_text(
                where.organization_id, where.reporting_currency, since, until, where.foreign_currencies
            )
            self.ctes.append(f"rates AS ({rates})")
            self.joined = "facts f LEFT JOIN rates r ON r.currency = f.currency AND r.day = f.day"
            # A fact without a day is a converted month (already in the reporting currency).
            self.rate = f"CASE WHEN f.currency = {reporting} OR f.day IS NULL THEN 1 ELSE r.rate END"
            self.missing = f"(f.currency <> {reporting} AND f.day IS NOT NULL AND r.rate IS NULL)"
        else:
            self.joined, self.rate = "facts f", "1"
            # Rows in another currency with no rate to convert them (the account list was stale): never summed.
            self.missing = f"(f.currency <> {reporting} AND f.day IS NOT NULL)"
        self.gap_currencies = _gap_currencies(where)

    def statement(self, select_sql: str) -> Statement:
        """``select_sql`` after these CTEs, its parameters numbered for the driver."""
        sql, values = self.params.positional(f"WITH {', '.join(self.ctes)} {select_sql}", self.more)
        return Statement(sql, values)

    def numbers(self, period: int | None = None) -> list[str]:
        """impressions, clicks, conversions, spend, value, all clicks: sums over the group (one period's rows only if
        given)."""
        only = f" FILTER (WHERE f.p = {int(period)})" if period is not None else ""

        def money(name: str) -> str:
            return (
                f"CAST(CASE WHEN coalesce(bool_or({self.missing}){only}, false) THEN NULL "
                f"ELSE coalesce(round(sum(f.{name} * {self.rate}){only}), 0) END AS bigint)"
            )

        return [
            f"CAST(coalesce(sum(f.impressions){only}, 0) AS bigint)",
            f"CAST(coalesce(sum(f.clicks){only}, 0) AS bigint)",
            f"coalesce(sum(f.conversions){only}, 0)",
            money("spend_micros"),
            money("conversion_value_micros"),
            f"CAST(coalesce(sum(f.all_clicks){only}, 0) AS bigint)",
        ]

    def gaps(self) -> list[str]:
        """Per currency whose days are reported: the first and the last day in the group with numbers in that
        currency and no rate to convert them (both NULL when none)."""
        columns: list[str] = []
        for currency in self.gap_currencies:
            unconverted = f"{self.missing} AND f.currency = {self.params.add('gap', currency)}"
            columns += [f"min(f.day) FILTER (WHERE {unconverted})", f"max(f.day) FILTER (WHERE {unconverted})"]
        return columns


def _gap_currencies(where: RowFilter) -> tuple[str, ...]:
    """The currencies whose days without a rate are reported: those of the foreign-currency accounts."""
    return where.foreign_currencies if where.foreign_account_ids else ()


_SORTS = {
    "spend",
    "impressions",
    "clicks",
    "conversions",
    "conversion_value",
    "ctr",
    "cpc",
    "cpm",
    "cpa",
    "roas",
    "conversion_rate",
    "name",
}


# The aggregations sort and hash tens of thousands of rows; PostgreSQL's default 4 MB would spill them to disk.
_WORK_MEM = "64MB"
# The statements are prepared (asyncpg) and their text repeats from call to call, so from the sixth execution on
# PostgreSQL would switch to a generic plan that knows neither the days nor the map of days: several times slower
# (a year's totals went from about 70 ms to 270 ms). Planning one of them takes under 2 ms.
_SETTINGS = (
    f"SELECT set_config('work_mem', '{_WORK_MEM}', true), set_config('plan_cache_mode', 'force_custom_plan', true)"
)
# A breakdown joins every fact (a campaign-day: 81,000 for a year of 1,000 campaigns) to its rate and sums it into
# its group. The planner overestimates the rates a hundredfold (it cannot see how many days each rate's span expands
# to) and the groups up to tenfold, so it sorts every fact for a merge join, or for the grouping. Hash joins and
# hash aggregation take 40% less (a year: about 150 ms -> 95 ms; 30 days: 21 -> 13 ms). For the breakdown statement
# only: the settings go back to their defaults as soon as it has run.
_HASHING = "SELECT set_config('enable_mergejoin', 'off', true), set_config('enable_sort', 'off', true)"
HASHING_DONE = "RESET enable_mergejoin; RESET enable_sort"
ROOMY = _SETTINGS
ROOMY_HASHING = f"{_SETTINGS}; {_HASHING}"


def _group_numbers(with_previous: bool) -> list[str]:
    labels = ["impressions", "clicks", "conversions", "spend", "value", "all_clicks"]
    return labels + ([f"prev_{label}" for label in labels] if with_previous else [])


def _ratio(numerator: str, denominator: str, scale: int = 1) -> str:
    return f"(CAST(n.{numerator} AS numeric) * {scale} / nullif(n.{denominator}, 0))"


# The breakdown's sort keys, over the columns of ``named n``.
_SORT_SQL = {
    "spend": "n.spend",
    "impressions": "n.impressions",
    "clicks": "n.clicks",
    "conversions": "n.conversions",
    "conversion_value": "n.value",
    "ctr": _ratio("clicks", "impressions"),
    "cpc": _ratio("spend", "clicks"),
    "cpm": _ratio("spend", "impressions", 1000),
    "cpa": _ratio("spend", "conversions"),
    "roas": _ratio("value", "spend"),
    "conversion_rate": _ratio("conversions", "clicks"),
    "name": "n.name",
}


# --- statements: what the repository sends -----------------------------------------------------------------------

# The labels of a group's numbers, in the order ``_PricedText.numbers`` gives them.
NUMBER_LABELS = ("impressions", "clicks", "conversions", "spend", "value", "all_clicks")


@dataclass(frozen=True, slots=True)
class Statement:
    """SQL text for the driver, its parameters numbered (``$1`` …), and their values."""

    sql: str
    values: list[Any]


def gap_labels(currencies: Sequence[str]) -> list[str]:
    """The columns of the days no rate converts: ``gap_<i>_first``, ``gap_<i>_last`` for the i-th currency."""
    return [f"gap_{i // 2}_{'last' if i % 2 else 'first'}" for i in range(2 * len(currencies))]


@dataclass(frozen=True, slots=True)
class TotalsStatement:
    """Rows ``p, idx``, the numbers (``NUMBER_LABELS``) and the gap columns of ``gap_currencies``."""

    statement: Statement
    gap_currencies: tuple[str, ...]


def totals_statement(where: RowFilter, source: Source, buckets: Sequence[Bucket]) -> TotalsStatement:
    """The numbers of every bucket that has rows, and the days no rate converts, in one pass over the rows."""
    priced = _PricedText(where, source, buckets)
    gaps = gap_labels(priced.gap_currencies)
    columns = [
        "f.p AS p",
        "f.idx AS idx",
        *(f"{value} AS {label}" for value, label in zip(priced.numbers(), NUMBER_LABELS, strict=True)),
        *(f"{value} AS {label}" for value, label in zip(priced.gaps(), gaps, strict=True)),
    ]
    select_sql = f"SELECT {', '.join(columns)} FROM {priced.joined} GROUP BY f.p, f.idx"  # noqa: S608
    return TotalsStatement(priced.statement(select_sql), priced.gap_currencies)


@dataclass(frozen=True, slots=True)
class BreakdownStatement:
    """One page of a breakdown: rows with the group's ``keys``, ``native_currency``, the numbers (``NUMBER_LABELS``,
    and ``prev_``-prefixed ones when ``with_previous``), ``name``, ``status``, ``total_count``, the gap columns
    of ``gap_currencies``, and ``synced_entity_id``, ``synced_daily_budget_micros``, ``synced_status`` (the synced
    entity a campaign, ad group or ad row is, its daily budget in the account's currency and its status as last
    read from the platform, also after a change; null otherwise); ``count()`` counts every listed group (only
    needed for a page past the last)."""

    page: Statement
    keys: tuple[str, ...]
    with_previous: bool
    gap_currencies: tuple[str, ...]
    _priced: _PricedText

    def count(self) -> Statement:
        """One row, ``total_count``: how many groups have numbers in the range."""
        return self._priced.statement("SELECT count(*) AS total_count FROM groups WHERE listed")


def breakdown_statement(
    where: RowFilter,
    source: Source,
    group_by: GroupBy,
    buckets: Sequence[Bucket],
    *,
    sort: str,
    descending: bool,
    limit: int,
    offset: int,
    names: dict[str, str] | None = None,
) -> BreakdownStatement:
    """The statements of ``QueryRepository.breakdown`` (``buckets``: the range, then the comparison if any)."""
    if sort not in _SORTS:
        raise ValueError(f"unknown sort {sort}")
    with_previous = len(buckets) > 1
    priced = _PricedText(where, source, buckets, group_by)
    params = priced.params
    keys = _GROUP_COLUMNS[group_by]
    # Without a comparison every fact is of the range: no filter on the period.
    current_numbers = priced.numbers(0 if with_previous else None)
    numbers = [f"{value} AS {label}" for value, label in zip(current_numbers, NUMBER_LABELS, strict=True)]
    if with_previous:  # without a comparison there are no prev_ columns
        numbers += [f"{value} AS prev_{label}" for value, label in zip(priced.numbers(1), NUMBER_LABELS, strict=True)]
    gaps = gap_labels(priced.gap_currencies)
    # Every group, also those with numbers in the comparison period only (``listed`` false): their days without
    # a rate are reported too; only groups with numbers in ``current`` are counted and listed.
    priced.ctes.append(
        f"groups AS (SELECT {', '.join(f'f.{key}' for key in keys)}, "  # noqa: S608 (fragments of this module)
        "CASE WHEN min(f.currency) = max(f.currency) THEN min(f.currency) END AS native_currency, "
        f"{', '.join(numbers)}, bool_or(f.p = 0) AS listed"
        + "".join(f", {value} AS {label}" for value, label in zip(priced.gaps(), gaps, strict=True))
        + f" FROM {priced.joined} GROUP BY {', '.join(f'f.{key}' for key in keys)})"
    )
    level = {Source.campaign: "campaign", Source.ad_group: "ad_group", Source.ad: "ad"}.get(source)
    if group_by in (GroupBy.campaign, GroupBy.entity) and level is not None:
        key = "g.campaign_id" if group_by is GroupBy.campaign else "g.entity_id"
        org = params.add("org", where.organization_id)
        joined = (
            f"groups g LEFT JOIN {metrics_tables.ENTITIES} e ON e.organization_id = {org} "
            f"AND e.ad_account_id = g.ad_account_id AND e.level = {params.add('level', level)} "
            f"AND e.platform_id = {key}"
        )
        name, status = f"coalesce(e.name, {key})", "e.status"
    else:
        label_of = names or {}
        key = "g.platform" if group_by is GroupBy.platform else "CAST(g.ad_account_id AS varchar)"
        mapping = (
            f"unnest({params.add('name_keys', list(label_of), ARRAY(String))}, "
            f"{params.add('name_values', list(label_of.values()), ARRAY(String))}) AS n(key, name)"
        )
        joined = f"groups g LEFT JOIN {mapping} ON n.key = {key}"
        name, status = f"coalesce(n.name, {key})", "CAST(NULL AS varchar)"
    columns = [f"g.{column}" for column in (*keys, "native_currency", *_group_numbers(with_previous))]
    bounds = [f"{'max' if label.endswith('_last') else 'min'}(g.{label}) OVER () AS {label}" for label in gaps]
    priced.ctes.append(
        f"named AS (SELECT {', '.join(columns)}, g.listed, {name} AS name, {status} AS status, "  # noqa: S608
        f"count(*) FILTER (WHERE g.listed) OVER () AS total_count{''.join(f', {b}' for b in bounds)} "
        f"FROM {joined})"
    )
    direction = "DESC" if descending else "ASC"
    order = ", ".join([f"{_SORT_SQL[sort]} {direction} NULLS LAST", "n.name", *(f"n.{key}" for key in keys)])
    cut = f"ORDER BY {order} LIMIT {params.add('limit', limit)} OFFSET {params.add('offset', offset)}"
    if group_by in (GroupBy.campaign, GroupBy.entity) and level is not None:
        # Which synced entity each row of the page is, and its daily budget: joined after the page is cut, so it
        # costs one index lookup (account, level, platform id) per row shown, whatever the number of groups.
        synced_key = "n.campaign_id" if group_by is GroupBy.campaign else "n.entity_id"
        page = priced.statement(
            "SELECT n.*, s.id AS synced_entity_id, s.daily_budget_micros AS synced_daily_budget_micros, "  # noqa: S608
            "s.status AS synced_status "
            f"FROM (SELECT * FROM named n WHERE n.listed {cut}) n LEFT JOIN {synced_tables.ENTITIES} s "
            f"ON s.organization_id = {params.add('org', where.organization_id)} "
            f"AND s.ad_account_id = n.ad_account_id AND s.level = {params.add('level', level)} "
            f"AND s.platform_id = {synced_key} AND s.removed_at IS NULL ORDER BY {order}"
        )
    else:
        page = priced.statement(
            "SELECT n.*, CAST(NULL AS uuid) AS synced_entity_id, "  # noqa: S608
            "CAST(NULL AS bigint) AS synced_daily_budget_micros, CAST(NULL AS varchar) AS synced_status "
            f"FROM named n WHERE n.listed {cut}"
        )
    return BreakdownStatement(page, keys, with_previous, priced.gap_currencies, priced)


def missing_rates_query(where: RowFilter, source: Source, buckets: Sequence[Bucket]) -> Select[Any]:
    """Rows ``currency, first_day, last_day``: the days with numbers in a foreign currency that no rate covers."""
    facts = _facts(where, source, buckets, foreign_only=True)
    since, until = _span(buckets)
    rates = exchange_rates_by_day(
        where.organization_id, where.reporting_currency, since, until, where.foreign_currencies
    ).cte("rates")
    f = facts.c
    return (
        select(f.currency, func.min(f.day).label("first_day"), func.max(f.day).label("last_day"))
        .select_from(facts.outerjoin(rates, and_(rates.c.currency == f.currency, rates.c.day == f.day)))
        .where(f.currency != where.reporting_currency, rates.c.rate.is_(None))
        .group_by(f.currency)
        .order_by(f.currency)
    )
