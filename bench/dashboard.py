"""Dashboard queries: the product's KPI query service against hand-written SQL on the same tables, at 10M rows.

The store is filled straight in SQL (``generate_series``, no per-row Python; foreign-key triggers off for the loading
session, the table's indexes dropped and built again at the end from their catalog definitions): BENCH_DASHBOARD_ROWS
(10,000,000) ``metrics_daily`` rows at campaign, ad group and ad level, over many organizations, one of which is
measured:

- the measured organization (reporting currency USD): 8 ad accounts on the three platforms in USD, EUR and GBP,
  125 campaigns each (1,000 in all), 3 ad groups per campaign, 3 ads per ad group, over 400 days ending on
  ``END``. Campaigns run for 90 to 400 days each (some ended before the range, some started in it), so about 13
  rows per running campaign and day. Exchange rates: EUR to USD every day (direct pair), USD to GBP on Mondays only
  (the inverse pair, taken from the latest Monday on or before each day), as the product's rule allows.
- other organizations of 2 accounts and 250 campaigns of the same shape, as many as it takes to reach the rows asked.

Every entity is in the reporting dimension (``metric_entities``, campaigns active, paused or removed). The rollups
are built by the product's own rebuild (``StoreRepository.rebuild_rollups``, what ingestion runs) for every account
over the whole range, so they are exactly what ingestion would have built. A database generated with the same
parameters is reused by later runs when kept (BENCH_DASHBOARD_KEEP=1); otherwise it is dropped at the end.

Measured, for the last 30 and the last 365 days of the range (``since``/``until``, no comparison), as the API's
handlers call them (a transaction with the tenant set, on the product's engine as the restricted app role):

- ``summary``: ``analytics_query_service.summary``;
- ``timeseries``: ``analytics_query_service.timeseries(..., Granularity.day)``;
- ``breakdown``: ``analytics_query_service.breakdown(..., Dimension.campaign, sort="-spend", limit=50)``;

against one hand-written statement each on a raw asyncpg connection as the same role with the tenant set, reading
the daily rollups (``metrics_account_daily`` for totals and days, ``metrics_campaign_daily`` for campaigns, named
from ``metric_entities``), converting money day by day with the same exchange-rate rule. Before measuring, every
answer of the product is checked against the hand-written one (same numbers, same campaigns in the same order).
BENCH_DASHBOARD_REPEAT (40) runs of each, interleaved (product, SQL, product, …) after 3 warm-up runs; latency is
p50 and p95 over the runs. One BENCH line per query, then the headline: the product's worst p95 over the six
queries, against the hand-written p95 of the same query.

Tuning (environment): BENCH_DASHBOARD_ROWS (10000000), BENCH_DASHBOARD_REPEAT (40), BENCH_DASHBOARD_KEEP=1 (keep
the generated database for the next run), BENCH_DASHBOARD_EXPLAIN=1 (print EXPLAIN ANALYZE of every statement the
service sends, once per query).
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import os
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

import asyncpg  # no type information (ignored in pyproject.toml); the product reaches it through SQLAlchemy
from sqlalchemy import event

from adpilot.db import Database, set_tenant, to_libpq_url
from adpilot.reporting.service.query import AnalyticsQuery, Dimension, Granularity, analytics_query_service
from bench.dashboard_data import DAYS, END, fingerprint, generate, mark_complete, plan_organizations, running
from bench.harness import bench_line, env_number

TARGET_P95_MS = 50.0
TARGET_RATIO = 1.2


def _stepper() -> Callable[[str], None]:
    started = time.monotonic()

    def step(message: str) -> None:
        print(f"[{time.monotonic() - started:5.1f} s] {message}", file=sys.stderr, flush=True)

    return step


# --- the hand-written SQL -------------------------------------------------------------------------------------------

# Per foreign currency and day of the range: the rate of the latest day on or before it with one, the direct pair
# (currency -> reporting) preferred over the inverse of the reverse pair on that day; no rate -> NULL.
# $1 organization, $2 since, $3 until, $4 reporting currency.
_RATES = """
rates AS (
    SELECT cur.currency, days.day,
           CASE WHEN ir.day IS NULL OR dr.day >= ir.day THEN dr.rate ELSE 1 / ir.rate END AS rate
      FROM (SELECT DISTINCT currency FROM ad_accounts WHERE organization_id = $1 AND currency <> $4) cur
     CROSS JOIN (SELECT d::date AS day FROM generate_series($2::date, $3::date, interval '1 day') d) days
      LEFT JOIN LATERAL (SELECT r.day, r.rate FROM exchange_rates r
                          WHERE r.organization_id = $1 AND r.base_currency = cur.currency AND r.quote_currency = $4
                            AND r.day <= days.day ORDER BY r.day DESC LIMIT 1) dr ON true
      LEFT JOIN LATERAL (SELECT r.day, r.rate FROM exchange_rates r
                          WHERE r.organization_id = $1 AND r.base_currency = $4 AND r.quote_currency = cur.currency
                            AND r.day <= days.day ORDER BY r.day DESC LIMIT 1) ir ON true
)"""
_SUMS = """
coalesce(sum(t.impressions), 0)::bigint AS impressions, coalesce(sum(t.clicks), 0)::bigint AS clicks,
coalesce(sum(t.conversions), 0) AS conversions,
CASE WHEN bool_or(t.currency <> $4 AND r.rate IS NULL) THEN NULL
     ELSE coalesce(round(sum(t.spend_micros * CASE WHEN t.currency = $4 THEN 1 ELSE r.rate END)), 0) END::bigint
     AS spend,
CASE WHEN bool_or(t.currency <> $4 AND r.rate IS NULL) THEN NULL
     ELSE coalesce(round(sum(t.conversion_value_micros * CASE WHEN t.currency = $4 THEN 1 ELSE r.rate END)), 0)
     END::bigint AS value"""
HAND_WRITTEN = {
    "summary": f"""
WITH {_RATES}
SELECT {_SUMS}
  FROM metrics_account_daily t LEFT JOIN rates r ON r.currency = t.currency AND r.day = t.day
 WHERE t.organization_id = $1 AND t.day BETWEEN $2 AND $3
""",  # noqa: S608 (constants of this module)
    "timeseries": f"""
WITH {_RATES}
SELECT t.day, {_SUMS}
  FROM metrics_account_daily t LEFT JOIN rates r ON r.currency = t.currency AND r.day = t.day
 WHERE t.organization_id = $1 AND t.day BETWEEN $2 AND $3
 GROUP BY t.day ORDER BY t.day
""",  # noqa: S608 (constants of this module)
    "breakdown": f"""
WITH {_RATES},
groups AS (
    SELECT t.platform, t.ad_account_id, t.campaign_platform_id, {_SUMS}
      FROM metrics_campaign_daily t LEFT JOIN rates r ON r.currency = t.currency AND r.day = t.day
     WHERE t.organization_id = $1 AND t.day BETWEEN $2 AND $3
     GROUP BY t.platform, t.ad_account_id, t.campaign_platform_id
)
SELECT g.*, coalesce(e.name, g.campaign_platform_id) AS name, e.status, count(*) OVER () AS total_count
  FROM groups g
  LEFT JOIN metric_entities e ON e.organization_id = $1 AND e.ad_account_id = g.ad_account_id
                             AND e.level = 'campaign' AND e.platform_id = g.campaign_platform_id
 ORDER BY g.spend DESC NULLS LAST, coalesce(e.name, g.campaign_platform_id), g.platform, g.ad_account_id,
          g.campaign_platform_id
 LIMIT 50
""",  # noqa: S608 (constants of this module)
}

QUERIES = ("summary", "timeseries", "breakdown")
WINDOWS = (30, 365)

# An answer reduced to what both sides must agree on: per row (key, impressions, clicks, conversions, spend, value).
Answer = list[tuple[Any, ...]]


def _numbers(
    impressions: int, clicks: int, conversions: Decimal, spend: int | None, value: int | None
) -> tuple[Any, ...]:
    return (int(impressions), int(clicks), Decimal(conversions).normalize(), spend, value)


async def product_answer(database: Database, organization_id: UUID, query: str, since: date, until: date) -> Answer:
    analytics = AnalyticsQuery(since=since, until=until)
    async with database.transaction() as session:
        await set_tenant(session, organization_id)
        if query == "summary":
            summary = await analytics_query_service.summary(session, organization_id, analytics)
            t = summary.totals
            assert t is not None, summary.not_synced  # every generated day is synced
            return [_numbers(t.impressions, t.clicks, t.conversions, t.spend_micros, t.conversion_value_micros)]
        if query == "timeseries":
            series = await analytics_query_service.timeseries(session, organization_id, analytics, Granularity.day)
            return [
                (
                    p.period_start,
                    *_numbers(t.impressions, t.clicks, t.conversions, t.spend_micros, t.conversion_value_micros),
                )
                for p in series.points
                for t in (p.totals,)
                if t is not None and (t.impressions or t.clicks or t.spend_micros or t.conversions)
            ]
        breakdown = await analytics_query_service.breakdown(
            session, organization_id, analytics, Dimension.campaign, sort="-spend", limit=50
        )
        return [
            (
                r.key.platform.value,
                r.key.ad_account_id,
                r.key.campaign_platform_id,
                r.key.name,
                breakdown.total_count,
                *_numbers(
                    r.totals.impressions,
                    r.totals.clicks,
                    r.totals.conversions,
                    r.totals.spend_micros,
                    r.totals.conversion_value_micros,
                ),
            )
            for r in breakdown.rows
            if r.totals is not None
        ]


async def hand_written_answer(connection: Any, organization_id: UUID, query: str, since: date, until: date) -> Answer:
    async with connection.transaction():
        await connection.execute("SELECT set_config('app.organization_id', $1, true)", str(organization_id))
        rows = await connection.fetch(HAND_WRITTEN[query], organization_id, since, until, "USD")
    if query == "summary":
        r = rows[0]
        return [_numbers(r["impressions"], r["clicks"], r["conversions"], r["spend"], r["value"])]
    if query == "timeseries":
        return [
            (r["day"], *_numbers(r["impressions"], r["clicks"], r["conversions"], r["spend"], r["value"])) for r in rows
        ]
    return [
        (
            r["platform"],
            r["ad_account_id"],
            r["campaign_platform_id"],
            r["name"],
            r["total_count"],
            *_numbers(r["impressions"], r["clicks"], r["conversions"], r["spend"], r["value"]),
        )
        for r in rows
    ]


# --- measuring ------------------------------------------------------------------------------------------------------


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(fraction * len(ordered)) - 1))]


@dataclass
class Timings:
    product: list[float] = field(default_factory=list)
    hand_written: list[float] = field(default_factory=list)
    # Per run of the product: the milliseconds its statements took (sent to answered), and how many it sent.
    product_sql: list[float] = field(default_factory=list)
    statements: int = 0


@contextlib.contextmanager
def driver_statements(database: Database, logged: Callable[[Any], None]) -> Iterator[None]:
    """Calls ``logged`` with asyncpg's record (``query``, ``args``, ``elapsed`` seconds) of every statement the
    product sends straight to the driver (``db.driver_connection``), which SQLAlchemy's cursor events do not see."""
    engine = database.engine.sync_engine
    attached: dict[int, Any] = {}

    def checkout(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
        driver = dbapi_connection.driver_connection
        if id(driver) not in attached:
            driver.add_query_logger(logged)
            attached[id(driver)] = driver

    event.listen(engine, "checkout", checkout)
    try:
        yield
    finally:
        event.remove(engine, "checkout", checkout)
        for driver in attached.values():
            driver.remove_query_logger(logged)


class StatementClock:
    """The time the product's engine spends in statements (from sending one to its answer), summed until read:
    those sent through SQLAlchemy and those sent straight to the driver."""

    def __init__(self, database: Database) -> None:
        self.database = database
        self.engine = database.engine.sync_engine
        self.milliseconds = 0.0
        self.count = 0
        self._started: list[float] = []

    def _before(self, *_: Any) -> None:
        self._started.append(time.perf_counter())

    def _after(self, *_: Any) -> None:
        if self._started:
            self.milliseconds += 1000 * (time.perf_counter() - self._started.pop())
            self.count += 1

    def _logged(self, record: Any) -> None:
        self.milliseconds += 1000 * record.elapsed
        self.count += 1

    def read(self) -> tuple[float, int]:
        milliseconds, count = self.milliseconds, self.count
        self.milliseconds, self.count = 0.0, 0
        return milliseconds, count

    @contextlib.contextmanager
    def listening(self) -> Iterator[None]:
        event.listen(self.engine, "before_cursor_execute", self._before)
        event.listen(self.engine, "after_cursor_execute", self._after)
        try:
            with driver_statements(self.database, self._logged):
                yield
        finally:
            event.remove(self.engine, "before_cursor_execute", self._before)
            event.remove(self.engine, "after_cursor_execute", self._after)


async def _timed(work: Callable[[], Awaitable[Answer]]) -> float:
    started = time.perf_counter()
    await work()
    return 1000 * (time.perf_counter() - started)


@contextlib.contextmanager
def captured_statements(database: Database) -> Iterator[list[tuple[str, Any]]]:
    """Every statement (and its parameters) the product's engine sends while the block runs."""
    statements: list[tuple[str, Any]] = []

    def before(_conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, _many: bool) -> None:
        statements.append((statement, parameters))

    def logged(record: Any) -> None:
        statements.append((record.query, record.args))

    engine = database.engine.sync_engine
    event.listen(engine, "before_cursor_execute", before)
    try:
        with driver_statements(database, logged):
            yield statements
    finally:
        event.remove(engine, "before_cursor_execute", before)


async def explain(database: Database, organization_id: UUID, query: str, since: date, until: date) -> list[str]:
    """EXPLAIN ANALYZE of every statement one call of the service sends (the tenant set, as the app role)."""
    with captured_statements(database) as statements:
        await product_answer(database, organization_id, query, since, until)
    lines: list[str] = []
    async with database.transaction() as session:
        await set_tenant(session, organization_id)
        connection = await session.connection()
        raw: Any = (await connection.get_raw_connection()).dbapi_connection
        driver = raw._connection
        for statement, parameters in statements:
            if statement.lstrip().upper().startswith(("BEGIN", "COMMIT")):
                continue
            if statement.lstrip().upper().startswith(("SELECT SET_CONFIG", "RESET")):
                # The tenant, and the planner settings the service gives its statements, in their order.
                await driver.execute(statement, *(parameters or ()))
                continue
            plan = await driver.fetch("EXPLAIN (ANALYZE, BUFFERS) " + statement, *(parameters or ()))
            lines.append("-- " + " ".join(statement.split())[:200])
            lines.extend(row[0] for row in plan)
    return lines


async def measure(
    database: Database,
    app_url: str,
    organization_id: UUID,
    repeat: int,
    explaining: bool,
    step: Callable[[str], None],
) -> tuple[dict[tuple[str, int], Timings], list[str], list[str]]:
    connection = await asyncpg.connect(to_libpq_url(app_url))
    clock = StatementClock(database)
    timings: dict[tuple[str, int], Timings] = {}
    mismatches: list[str] = []
    plans: list[str] = []
    try:
        with clock.listening():
            for days in WINDOWS:
                since = END - timedelta(days=days - 1)
                for query in QUERIES:
                    ours = await product_answer(database, organization_id, query, since, END)
                    theirs = await hand_written_answer(connection, organization_id, query, since, END)
                    if ours != theirs or not ours:
                        difference = next(
                            (f"{a} != {b}" for a, b in zip(ours, theirs, strict=False) if a != b),
                            f"{len(ours)} rows != {len(theirs)} rows",
                        )
                        mismatches.append(f"{query} {days}d: the service and the SQL disagree: {difference}")
                    if explaining:
                        plans.append(f"== {query} {days} days")
                        plans.extend(await explain(database, organization_id, query, since, END))
                    timing = timings.setdefault((query, days), Timings())

                    async def ours_once(query: str = query, since: date = since) -> Answer:
                        return await product_answer(database, organization_id, query, since, END)

                    async def theirs_once(query: str = query, since: date = since) -> Answer:
                        return await hand_written_answer(connection, organization_id, query, since, END)

                    for run in range(3 + repeat):
                        clock.read()
                        product = await _timed(ours_once)
                        sql, statements = clock.read()
                        hand = await _timed(theirs_once)
                        if run >= 3:
                            timing.product.append(product)
                            timing.product_sql.append(sql)
                            timing.statements = statements
                            timing.hand_written.append(hand)
                    step(
                        f"{query} {days} days: p95 {percentile(timing.product, 0.95):.1f} ms "
                        f"(hand-written {percentile(timing.hand_written, 0.95):.1f} ms)"
                    )
    finally:
        await connection.close()
    return timings, mismatches, plans


async def sizes(superuser_url: str) -> dict[str, tuple[int, int]]:
    """Rows (estimated) and bytes (with indexes) of the store's tables."""
    connection = await asyncpg.connect(to_libpq_url(superuser_url))
    try:
        rows = await connection.fetch(
            "SELECT relname, reltuples::bigint, pg_total_relation_size(oid) FROM pg_class "
            "WHERE relkind = 'r' AND relname LIKE ANY (ARRAY['metrics_%', 'metric_entities'])"
        )
        return {row[0]: (row[1], row[2]) for row in rows}
    finally:
        await connection.close()


def main() -> int:
    from adpilot.core.logging import configure_logging

    target_rows = int(env_number("BENCH_DASHBOARD_ROWS", 10_000_000))
    repeat = int(env_number("BENCH_DASHBOARD_REPEAT", 40))
    keep = os.environ.get("BENCH_DASHBOARD_KEEP", "") not in ("", "0")
    explaining = os.environ.get("BENCH_DASHBOARD_EXPLAIN", "") not in ("", "0")
    configure_logging("WARNING")
    step = _stepper()
    with running(step, target_rows, keep) as setup:

        async def go() -> tuple[int, float, dict[str, tuple[int, int]], Any]:
            database = Database(setup.urls)
            try:
                organizations = await plan_organizations(setup.superuser_url, target_rows)
                generated_seconds = 0.0
                if setup.reused:
                    step("reusing the kept database")
                    connection = await asyncpg.connect(to_libpq_url(setup.superuser_url))
                    try:
                        rows: int = await connection.fetchval("SELECT count(*) FROM metrics_daily")
                    finally:
                        await connection.close()
                else:
                    started = time.monotonic()
                    rows = await generate(setup.superuser_url, database, organizations, step)
                    generated_seconds = time.monotonic() - started
                    await mark_complete(setup.superuser_url, setup.database_name, fingerprint(target_rows))
                table_sizes = await sizes(setup.superuser_url)
                measured = await measure(database, setup.urls.app, organizations[0].id, repeat, explaining, step)
                return rows, generated_seconds, table_sizes, (organizations, measured)
            finally:
                await database.dispose()

        rows, generated_seconds, table_sizes, (organizations, (timings, mismatches, plans)) = asyncio.run(go())
    measured_org = organizations[0]
    print(
        f"dashboard: {rows} metrics_daily rows in {len(organizations)} organizations"
        + (f" (generated in {generated_seconds:.0f} s)" if generated_seconds else " (kept database)")
        + f"; measured organization: {len(measured_org.accounts)} accounts (USD, EUR, GBP; reporting USD), "
        f"{sum(a.campaigns for a in measured_org.accounts)} campaigns, {DAYS} days to {END}; "
        f"{repeat} runs per query; cpus={os.cpu_count()} loadavg={os.getloadavg()[0]:.2f}",
        flush=True,
    )
    total_bytes = sum(size for _, size in table_sizes.values())
    print(
        "dashboard tables: "
        + ", ".join(
            f"{name} {n / 1e6:.2f}M rows {size / 2**30:.2f} GiB" for name, (n, size) in sorted(table_sizes.items())
        )
        + f"; {total_bytes / 2**30:.2f} GiB in all",
        flush=True,
    )
    for line in plans:
        print(f"dashboard plan {line}", flush=True)
    lines: list[str] = []
    worst: tuple[float, float, str] | None = None
    for days in WINDOWS:
        for query in QUERIES:
            timing = timings[(query, days)]
            p50, p95 = percentile(timing.product, 0.5), percentile(timing.product, 0.95)
            h50, h95 = percentile(timing.hand_written, 0.5), percentile(timing.hand_written, 0.95)
            print(
                f"dashboard query={query} days={days} adpilot p50={p50:.2f}ms p95={p95:.2f}ms "
                f"hand_written p50={h50:.2f}ms p95={h95:.2f}ms ratio_p95={p95 / h95:.2f} "
                f"adpilot_statements={timing.statements} adpilot_sql_p50={percentile(timing.product_sql, 0.5):.2f}ms "
                f"(the rest of p50: Python, SQLAlchemy, round trips)",
                flush=True,
            )
            lines.append(bench_line(f"dashboard_{query}_{days}d_p95", p95, "ms", h95, p95 / h95))
            if worst is None or p95 > worst[0]:
                worst = (p95, h95, f"{query} {days}d")
    for mismatch in mismatches:
        print(f"dashboard MISMATCH {mismatch}", flush=True)
    assert worst is not None
    p95, h95, which = worst
    print(
        f"dashboard verdict: worst p95 {p95:.1f} ms ({which}) "
        f"{'meets' if p95 <= TARGET_P95_MS else 'MISSES'} <= {TARGET_P95_MS:g} ms; ratio to hand-written SQL "
        f"{p95 / h95:.2f} {'meets' if p95 / h95 <= TARGET_RATIO else 'MISSES'} <= {TARGET_RATIO}",
        flush=True,
    )
    for line in lines:
        print(line, flush=True)
    print(bench_line("dashboard_p95", p95, "ms", h95, p95 / h95), flush=True)
    return 1 if mismatches else 0


if __name__ == "__main__":
    sys.exit(main())
