"""Ingestion throughput: platform rows per second through the product's metrics store against raw COPY + one upsert.

The product: ``metrics_store.ingest_daily`` (``adpilot.metrics.service.store``) fed ``DailyMetricsRow`` objects as
the metrics sync feeds it: one transaction per report window (``adpilot.metrics.service.sync.windows``: 30 days,
newest first), the campaign, ad group and ad levels of the window in it, on a session of the product's own engine
(``adpilot.db.Database``: the restricted app role) with the tenant set (``set_tenant``), so the row-level-security
policies apply. Per level it stages the rows by binary COPY, upserts them into ``metrics_daily`` (unchanged rows not
rewritten), deletes the window's rows the platform no longer reports, names the entities in ``metric_entities`` and,
for the campaign level, rebuilds the four rollups of the days and months touched.

The baseline: a raw asyncpg connection as the same role with the same tenant setting, per window in one
transaction: the window's rows (all three levels) turned into tuples, ``copy_records_to_table`` into a temporary
staging table, then ONE hand-written ``INSERT … SELECT … ON CONFLICT DO UPDATE`` into the same ``metrics_daily``.
Nothing else: no dimension, no deletions, no rollups.

The data: one realistic account (BENCH_INGEST_CAMPAIGNS campaigns, each with BENCH_INGEST_AD_GROUPS ad groups of
BENCH_INGEST_ADS ads: 50 x 8 x 5 = 2,000 ads, 400 ad groups) over BENCH_INGEST_DAYS days (90: the product's first
backfill, three 30-day windows), every entity reporting every day (220,500 rows). Two phases, each on fresh accounts
(one for the product, one for the baseline) in every round:

- ``first load``: the account's first backfill, every row an insert;
- ``re-read``: the same windows again, a share BENCH_INGEST_CHANGED (0.1) of the rows with restated conversions
  (updates), the others unchanged, as the metrics sync's daily re-read sends them.

The rows are built before the clock starts; converting them for COPY is part of both sides' time. Each phase runs
the product and the baseline back to back (their order alternating between rounds) after a CHECKPOINT and
``VACUUM ANALYZE``, BENCH_INGEST_ROUNDS (3) rounds; the figures are medians over rounds. The stored rows of both
sides are compared after every phase (they must hold the same numbers). CPU seconds of this process (the product's
Python) and of PostgreSQL are read from /proc around every measurement. The last line is the headline:
``BENCH ingest_first_load_rps <product> rows/s baseline=<raw COPY + upsert> ratio=...``.

Tuning (environment): BENCH_INGEST_ROUNDS (3), BENCH_INGEST_DAYS (90), BENCH_INGEST_CAMPAIGNS (50),
BENCH_INGEST_AD_GROUPS per campaign (8), BENCH_INGEST_ADS per ad group (5), BENCH_INGEST_CHANGED (0.1),
BENCH_INGEST_PROFILE=1 (also time the product's steps: row checks and conversion, COPY, upsert, deletions,
dimension, rollups).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import statistics
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import asyncpg  # no type information (ignored in pyproject.toml); the product reaches it through SQLAlchemy

from adpilot import migrate
from adpilot.core.embedded_postgres import EmbeddedPostgres
from adpilot.db import Database, DatabaseUrls, set_tenant, to_libpq_url
from adpilot.metrics.repository import store as store_repository
from adpilot.metrics.service.store import IngestTarget, metrics_store
from adpilot.metrics.service.sync import windows
from adpilot.platforms.types import DailyMetricsRow, EntityLevel, Platform
from bench.harness import APP_ROLE, BENCH_HOME, CpuMeter, bench_line, env_number, exclusive_bench_home, stop_on_sigterm

DATABASE = "adpilot_bench_ingest"
TARGET_RATIO = 0.7
TARGET_ROWS_PER_SECOND = 100_000
LEVELS = (EntityLevel.campaign, EntityLevel.ad_group, EntityLevel.ad)
UNTIL = date(2026, 10, 31)
CURRENCY = "USD"

# The baseline's staging table and upsert: what a developer writes by hand for "COPY, then one upsert".
_BASELINE_STAGING = """
CREATE TEMPORARY TABLE IF NOT EXISTS bench_metrics_in (
    level varchar(20) NOT NULL,
    entity_platform_id varchar(64) NOT NULL,
    day date NOT NULL,
    campaign_platform_id varchar(64) NOT NULL,
    impressions bigint NOT NULL,
    clicks bigint NOT NULL,
    spend_micros bigint NOT NULL,
    conversions numeric(20, 6) NOT NULL,
    conversion_value_micros bigint NOT NULL,
    extras jsonb NOT NULL
) ON COMMIT DELETE ROWS
"""
_BASELINE_COLUMNS = (
    "level",
    "entity_platform_id",
    "day",
    "campaign_platform_id",
    "impressions",
    "clicks",
    "spend_micros",
    "conversions",
    "conversion_value_micros",
    "extras",
)
# $1 organization, $2 account, $3 platform, $4 currency, $5 now.
_BASELINE_UPSERT = """
INSERT INTO metrics_daily (
    organization_id, ad_account_id, level, entity_platform_id, day, platform, campaign_platform_id, currency,
    extras, updated_at, impressions, clicks, spend_micros, conversions, conversion_value_micros, all_clicks)
SELECT $1, $2, level, entity_platform_id, day, $3, campaign_platform_id, $4,
       extras, $5, impressions, clicks, spend_micros, conversions, conversion_value_micros, clicks
  FROM bench_metrics_in
ON CONFLICT (organization_id, ad_account_id, level, entity_platform_id, day) DO UPDATE SET
    impressions = EXCLUDED.impressions, clicks = EXCLUDED.clicks, all_clicks = EXCLUDED.all_clicks,
    spend_micros = EXCLUDED.spend_micros,
    conversions = EXCLUDED.conversions, conversion_value_micros = EXCLUDED.conversion_value_micros,
    campaign_platform_id = EXCLUDED.campaign_platform_id, extras = EXCLUDED.extras, updated_at = EXCLUDED.updated_at
"""

# What both sides stored for an account, to check that they hold the same numbers.
_STORED = """
SELECT level, count(*) AS n, sum(impressions) AS impressions, sum(clicks) AS clicks, sum(spend_micros) AS spend,
       sum(conversions) AS conversions, sum(conversion_value_micros) AS value,
       count(DISTINCT campaign_platform_id) AS campaigns, min(day) AS first_day, max(day) AS last_day
  FROM metrics_daily WHERE organization_id = $1 AND ad_account_id = $2
 GROUP BY level ORDER BY level
"""


def _stepper() -> Callable[[str], None]:
    started = time.monotonic()

    def step(message: str) -> None:
        print(f"[{time.monotonic() - started:5.1f} s] {message}", file=sys.stderr, flush=True)

    return step


# --- the data -------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Shape:
    days: int
    campaigns: int
    ad_groups: int  # per campaign
    ads: int  # per ad group
    changed: float

    @property
    def entities_per_day(self) -> int:
        return self.campaigns * (1 + self.ad_groups * (1 + self.ads))

    @property
    def rows(self) -> int:
        return self.days * self.entities_per_day


# One report window: (since, until) and its rows per level.
Window = tuple[date, date, dict[EntityLevel, list[DailyMetricsRow]]]


def _numbers(seed: int) -> tuple[int, int, int, Decimal, int]:
    """Deterministic, varied numbers for one row: impressions, clicks, spend, conversions, conversion value."""
    impressions = 200 + (seed * 7919) % 9000
    clicks = impressions // (20 + seed % 30)
    spend = clicks * (150_000 + (seed * 31) % 900_000)
    conversions = Decimal(clicks // 25) + Decimal((seed % 7) * 125_000) / Decimal(1_000_000)
    return impressions, clicks, spend, conversions, int(conversions * 40_000_000)


def build_windows(shape: Shape) -> tuple[list[Window], list[Window]]:
    """The first load's windows and the re-read's (the same rows, a share of them with restated conversions)."""
    since = UNTIL - timedelta(days=shape.days - 1)
    first: list[Window] = []
    reread: list[Window] = []
    every = round(1 / shape.changed) if shape.changed > 0 else 0
    counter = 0
    for start, end in windows(since, UNTIL):
        rows: dict[EntityLevel, list[DailyMetricsRow]] = {level: [] for level in LEVELS}
        restated: dict[EntityLevel, list[DailyMetricsRow]] = {level: [] for level in LEVELS}
        day = start
        while day <= end:
            for c in range(shape.campaigns):
                campaign = f"{21_000_000_000 + c}"
                entities: list[tuple[EntityLevel, str, str | None, dict[str, str]]] = [
                    (EntityLevel.campaign, campaign, None, {})
                ]
                for g in range(shape.ad_groups):
                    group = f"{150_000_000_000 + c * 1000 + g}"
                    entities.append((EntityLevel.ad_group, group, campaign, {"campaign_id": campaign}))
                    for a in range(shape.ads):
                        ad = f"{700_000_000_000 + (c * 1000 + g) * 100 + a}"
                        entities.append((EntityLevel.ad, ad, group, {"ad_group_id": group, "campaign_id": campaign}))
                for level, entity, parent, extras in entities:
                    counter += 1
                    impressions, clicks, spend, conversions, value = _numbers(counter)
                    row = DailyMetricsRow(
                        level=level,
                        entity_platform_id=entity,
                        day=day,
                        impressions=impressions,
                        clicks=clicks,
                        spend_micros=spend,
                        conversions=conversions,
                        conversion_value_micros=value,
                        currency=CURRENCY,
                        extras=extras,
                        campaign_platform_id=campaign,
                        parent_platform_id=parent,
                        entity_name=f"{level.value.replace('_', ' ').title()} {entity}",
                    )
                    rows[level].append(row)
                    if every and counter % every == 0:
                        # Late conversions: the platform restated this row's conversions and their value.
                        row = replace(
                            row,
                            conversions=row.conversions + 1,
                            conversion_value_micros=row.conversion_value_micros + 40_000_000,
                        )
                    restated[level].append(row)
            day += timedelta(days=1)
        first.append((start, end, rows))
        reread.append((start, end, restated))
    return first, reread


# --- the database ---------------------------------------------------------------------------------------------------


@dataclass
class Bench:
    database: Database
    superuser_url: str
    app_url: str
    pgdata: Path
    organization_id: UUID


@contextlib.contextmanager
def running(step: Callable[[str], None]) -> Iterator[tuple[EmbeddedPostgres, DatabaseUrls, str]]:
    """Embedded PostgreSQL in BENCH_HOME with a migrated scratch database; stopped on the way out."""
    postgres = EmbeddedPostgres(BENCH_HOME, APP_ROLE)
    with stop_on_sigterm(), exclusive_bench_home():
        try:
            postgres.stop_if_running()  # left over by a run that was killed before it could clean up
            postgres.start()
            postgres.create_database(DATABASE)
            urls = postgres.start(database=DATABASE)
            migrate.upgrade(urls.owner, APP_ROLE)
            step("embedded PostgreSQL started and migrated")
            superuser = urls.superuser.replace("@/postgres?", f"@/{DATABASE}?")
            yield postgres, DatabaseUrls(owner=urls.owner, app=urls.app), superuser
        finally:
            postgres.stop()
            step("PostgreSQL stopped")


async def create_organization(superuser_url: str) -> UUID:
    organization_id = uuid4()
    connection = await asyncpg.connect(to_libpq_url(superuser_url))
    try:
        await connection.execute(
            "INSERT INTO organizations (id, name, require_mfa, is_demo, time_zone, reporting_currency, created_at) "
            "VALUES ($1, 'Ingestion benchmark', false, false, 'UTC', 'USD', now())",
            organization_id,
        )
    finally:
        await connection.close()
    return organization_id


async def create_account(superuser_url: str, organization_id: UUID, name: str) -> IngestTarget:
    """A managed Google ad account on a healthy connection (written straight to the tables)."""
    connection_id, account_id = uuid4(), uuid4()
    connection = await asyncpg.connect(to_libpq_url(superuser_url))
    try:
        async with connection.transaction():
            await connection.execute(
                "INSERT INTO platform_connections (id, organization_id, platform, subject, display_name, "
                "credentials_ciphertext, health, consecutive_failures, created_at, updated_at, health_changed_at) "
                "VALUES ($1, $2, 'google', $3, 'Benchmark login', '\\x00', 'ok', 0, now(), now(), now())",
                connection_id,
                organization_id,
                str(connection_id),
            )
            await connection.execute(
                "INSERT INTO ad_accounts (id, organization_id, connection_id, platform, platform_account_id, name, "
                "currency, time_zone, is_manager, platform_active, managed, created_at, updated_at) "
                "VALUES ($1, $2, $3, 'google', $4, $5, $6, 'UTC', false, true, true, now(), now())",
                account_id,
                organization_id,
                connection_id,
                account_id.hex[:10],
                name,
                CURRENCY,
            )
    finally:
        await connection.close()
    return IngestTarget(organization_id, account_id, Platform.google, CURRENCY)


async def settle(superuser_url: str) -> None:
    """Before every measurement: dirty pages written out and statistics current, so neither side pays for the
    other's checkpoint or autovacuum."""
    connection = await asyncpg.connect(to_libpq_url(superuser_url))
    try:
        await connection.execute("CHECKPOINT")
        await connection.execute("VACUUM ANALYZE metrics_daily, metric_entities")
        await connection.execute(
            "VACUUM ANALYZE metrics_campaign_daily, metrics_campaign_monthly, metrics_account_daily, "
            "metrics_account_monthly"
        )
    finally:
        await connection.close()


async def stored(superuser_url: str, target: IngestTarget) -> list[tuple[Any, ...]]:
    connection = await asyncpg.connect(to_libpq_url(superuser_url))
    try:
        return [tuple(row) for row in await connection.fetch(_STORED, target.organization_id, target.ad_account_id)]
    finally:
        await connection.close()


# --- the two sides --------------------------------------------------------------------------------------------------


async def product_ingest(database: Database, target: IngestTarget, data: list[Window]) -> None:
    """As the metrics sync writes a run: a transaction per window, the three levels in it."""
    for since, until, by_level in data:
        async with database.transaction() as session:
            await set_tenant(session, target.organization_id)
            for level in LEVELS:
                await metrics_store.ingest_daily(session, target, level, since, until, by_level[level])


async def baseline_ingest(connection: asyncpg.Connection, target: IngestTarget, data: list[Window]) -> None:
    """Raw asyncpg: per window, the rows as tuples, COPY into a staging table, one upsert."""
    for _, _, by_level in data:
        async with connection.transaction():
            await connection.execute("SELECT set_config('app.organization_id', $1, true)", str(target.organization_id))
            await connection.execute(_BASELINE_STAGING)
            records = [
                (
                    row.level.value,
                    row.entity_platform_id,
                    row.day,
                    row.campaign_platform_id or "",
                    row.impressions,
                    row.clicks,
                    row.spend_micros,
                    row.conversions,
                    row.conversion_value_micros,
                    json.dumps(dict(row.extras)),
                )
                for level in LEVELS
                for row in by_level[level]
            ]
            await connection.copy_records_to_table("bench_metrics_in", records=records, columns=_BASELINE_COLUMNS)
            await connection.execute(
                _BASELINE_UPSERT,
                target.organization_id,
                target.ad_account_id,
                target.platform.value,
                target.currency,
                datetime.now(UTC),
            )


# --- where the product's time goes (BENCH_INGEST_PROFILE=1) ---------------------------------------------------------


@dataclass
class Profile:
    seconds: dict[str, float] = field(default_factory=dict)

    def add(self, name: str, seconds: float) -> None:
        self.seconds[name] = self.seconds.get(name, 0.0) + seconds


WHOLE = "the whole ingestion"


@contextlib.contextmanager
def profiled(profile: Profile) -> Iterator[None]:
    """Time every statement the store's repository sends (by its first words) while the block runs."""
    repository = store_repository.StoreRepository
    original = repository._driver
    labels = {
        store_repository._UPSERT: "upsert metrics_daily",
        store_repository._MISSING: "find rows no longer reported",
        store_repository._DELETE_KEYS: "delete rows no longer reported",
        store_repository._UPSERT_DIMENSION: "upsert metric_entities",
        store_repository._CREATE_STAGING: "create staging table",
        "TRUNCATE analytics_metrics_in": "truncate staging table",
    }
    for statements in (
        store_repository._REBUILD_CAMPAIGN_DAILY,
        store_repository._REBUILD_ACCOUNT_DAILY,
        store_repository._REBUILD_CAMPAIGN_MONTHLY,
        store_repository._REBUILD_ACCOUNT_MONTHLY,
    ):
        table = statements[0].split()[2]
        labels[statements[0]] = f"rollup {table}: delete"
        labels[statements[1]] = f"rollup {table}: insert"

    class Timed:
        def __init__(self, inner: Any) -> None:
            self._inner = inner

        async def execute(self, sql: str, *args: Any) -> Any:
            started = time.perf_counter()
            try:
                return await self._inner.execute(sql, *args)
            finally:
                profile.add(labels.get(sql, sql.split("\n")[0][:40]), time.perf_counter() - started)

        async def copy_records_to_table(self, *args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return await self._inner.copy_records_to_table(*args, **kwargs)
            finally:
                profile.add("COPY into staging table", time.perf_counter() - started)

        async def fetch(self, sql: str, *args: Any) -> Any:
            started = time.perf_counter()
            try:
                return await self._inner.fetch(sql, *args)
            finally:
                profile.add(labels.get(sql, "known places lookup"), time.perf_counter() - started)

    async def timed_driver(self: Any) -> Any:
        return Timed(await original(self))

    repository._driver = timed_driver  # type: ignore[method-assign]
    try:
        yield
    finally:
        repository._driver = original  # type: ignore[method-assign]


# --- measuring ------------------------------------------------------------------------------------------------------


@dataclass
class Sample:
    seconds: float
    client_cpu: float
    postgres_cpu: float


@dataclass
class Side:
    samples: list[Sample] = field(default_factory=list)

    def median_seconds(self) -> float:
        return statistics.median(sample.seconds for sample in self.samples)

    def rows_per_second(self, rows: int) -> float:
        return rows / self.median_seconds()

    def describe(self, rows: int) -> str:
        rates = ",".join(f"{rows / sample.seconds / 1000:.0f}k" for sample in self.samples)
        client = statistics.median(sample.client_cpu for sample in self.samples)
        postgres = statistics.median(sample.postgres_cpu for sample in self.samples)
        return (
            f"rows_per_s={self.rows_per_second(rows):.0f} seconds={self.median_seconds():.2f} "
            f"python_cpu={1e6 * client / rows:.2f}us/row postgres_cpu={1e6 * postgres / rows:.2f}us/row "
            f"rounds={rates}"
        )


async def measure(meter: CpuMeter, work: Callable[[], Awaitable[None]]) -> Sample:
    before, client_before = meter.sample(), time.process_time()
    started = time.perf_counter()
    await work()
    seconds = time.perf_counter() - started
    client_cpu = time.process_time() - client_before
    _, postgres_cpu = CpuMeter.spent(before, meter.sample())
    return Sample(seconds, client_cpu, postgres_cpu)


PHASES = ("first_load", "reread")


async def run(
    bench: Bench, shape: Shape, rounds: int, profiles: dict[str, Profile] | None, step: Callable[[str], None]
) -> tuple[dict[str, dict[str, Side]], list[str]]:
    first, reread = build_windows(shape)
    step(f"{shape.rows} rows built per load ({len(first)} windows)")
    data = {"first_load": first, "reread": reread}
    meter = CpuMeter(os.getpid(), bench.pgdata)
    # Opened once and kept, as the product's pool keeps its connections (and so that PostgreSQL's CPU is counted:
    # the meter reads the backends alive at the end of a measurement).
    raw = await asyncpg.connect(to_libpq_url(bench.app_url))
    try:
        return await _rounds(bench, shape, rounds, profiles, step, meter, raw, data)
    finally:
        await raw.close()


async def _rounds(
    bench: Bench,
    shape: Shape,
    rounds: int,
    profiles: dict[str, Profile] | None,
    step: Callable[[str], None],
    meter: CpuMeter,
    raw: asyncpg.Connection,
    data: dict[str, list[Window]],
) -> tuple[dict[str, dict[str, Side]], list[str]]:
    results = {phase: {"adpilot": Side(), "baseline": Side()} for phase in PHASES}
    mismatches: list[str] = []
    for number in range(rounds):
        mine = await create_account(bench.superuser_url, bench.organization_id, f"Product {number}")
        theirs = await create_account(bench.superuser_url, bench.organization_id, f"Baseline {number}")
        for phase in PHASES:
            sides: list[tuple[str, Callable[[], Awaitable[None]]]] = [
                ("adpilot", lambda: product_ingest(bench.database, mine, data[phase])),  # noqa: B023
                ("baseline", lambda: baseline_ingest(raw, theirs, data[phase])),  # noqa: B023
            ]
            for name, work in sides if number % 2 == 0 else reversed(sides):
                await settle(bench.superuser_url)
                if name == "adpilot" and profiles is not None:
                    with profiled(profiles[phase]):
                        sample = await measure(meter, work)
                    profiles[phase].add(WHOLE, sample.seconds)
                else:
                    sample = await measure(meter, work)
                results[phase][name].samples.append(sample)
            ours, baseline = await stored(bench.superuser_url, mine), await stored(bench.superuser_url, theirs)
            if ours != baseline:
                mismatches.append(f"round {number + 1} {phase}: adpilot stored {ours}, the baseline {baseline}")
            step(
                f"round {number + 1}/{rounds} {phase}: adpilot {results[phase]['adpilot'].samples[-1].seconds:.2f} s, "
                f"baseline {results[phase]['baseline'].samples[-1].seconds:.2f} s"
            )
    return results, mismatches


def _describe_profile(phase: str, profile: Profile, rounds: int) -> str:
    """Seconds per load (mean over rounds) of every statement, and what is left: the product's Python."""
    whole = profile.seconds.get(WHOLE, 0.0)
    statements = {label: seconds for label, seconds in profile.seconds.items() if label != WHOLE}
    lines = [f"ingest profile phase={phase}: {whole / rounds:.3f} s per load"]
    for label, seconds in sorted(statements.items(), key=lambda item: -item[1]):
        lines.append(f"ingest profile   {seconds / rounds:7.3f} s {seconds / whole:6.1%}  {label}")
    rest = whole - sum(statements.values())
    lines.append(
        f"ingest profile   {rest / rounds:7.3f} s {rest / whole:6.1%}  the rest: Python (row checks, records, "
        "transactions, set_tenant, commit)"
    )
    return "\n".join(lines)


def main() -> int:
    from adpilot.core.logging import configure_logging

    shape = Shape(
        days=int(env_number("BENCH_INGEST_DAYS", 90)),
        campaigns=int(env_number("BENCH_INGEST_CAMPAIGNS", 50)),
        ad_groups=int(env_number("BENCH_INGEST_AD_GROUPS", 8)),
        ads=int(env_number("BENCH_INGEST_ADS", 5)),
        changed=env_number("BENCH_INGEST_CHANGED", 0.1),
    )
    rounds = int(env_number("BENCH_INGEST_ROUNDS", 3))
    profiling = os.environ.get("BENCH_INGEST_PROFILE", "") not in ("", "0")
    profiles = {phase: Profile() for phase in PHASES} if profiling else None
    configure_logging("WARNING")
    step = _stepper()
    with running(step) as (postgres, urls, superuser_url):

        async def go() -> tuple[dict[str, dict[str, Side]], list[str]]:
            database = Database(urls)
            try:
                organization_id = await create_organization(superuser_url)
                bench = Bench(database, superuser_url, urls.app, postgres.pgdata, organization_id)
                return await run(bench, shape, rounds, profiles, step)
            finally:
                await database.dispose()

        results, mismatches = asyncio.run(go())
    rows = shape.rows
    print(
        f"ingest: one account of {shape.campaigns} campaigns, {shape.campaigns * shape.ad_groups} ad groups, "
        f"{shape.campaigns * shape.ad_groups * shape.ads} ads over {shape.days} days ({rows} rows in "
        f"{-(-shape.days // 30)} windows of up to 30 days); re-read with {shape.changed:.0%} of the rows restated; "
        f"{rounds} rounds; cpus={os.cpu_count()} loadavg={os.getloadavg()[0]:.2f}",
        flush=True,
    )
    for phase in PHASES:
        for name in ("adpilot", "baseline"):
            print(f"ingest phase={phase} target={name} {results[phase][name].describe(rows)}", flush=True)
    if profiles is not None:
        for phase, profile in profiles.items():
            print(_describe_profile(phase, profile, rounds), flush=True)
    for mismatch in mismatches:
        print(f"ingest MISMATCH {mismatch}", flush=True)
    lines = []
    verdicts = []
    for phase in ("reread", "first_load"):  # the headline (first load) last
        ours = results[phase]["adpilot"].rows_per_second(rows)
        theirs = results[phase]["baseline"].rows_per_second(rows)
        ratio = ours / theirs
        lines.append(bench_line(f"ingest_{phase}_rps", ours, "rows/s", theirs, ratio))
        verdicts.append(
            f"{phase.replace('_', ' ')}: {ours:.0f} rows/s ({'meets' if ours >= TARGET_ROWS_PER_SECOND else 'MISSES'} "
            f">= {TARGET_ROWS_PER_SECOND}), ratio {ratio:.2f} "
            f"({'meets' if ratio >= TARGET_RATIO else 'MISSES'} >= {TARGET_RATIO})"
        )
    print("ingest verdict: " + "; ".join(reversed(verdicts)), flush=True)
    for line in lines:
        print(line, flush=True)
    return 1 if mismatches else 0


if __name__ == "__main__":
    sys.exit(main())
