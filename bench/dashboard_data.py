"""The dashboard benchmark's data: the organizations it plans, the rows it generates in SQL, and the scratch database
that keeps them between runs.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID, uuid5

import asyncpg  # no type information (ignored in pyproject.toml); the product reaches it through SQLAlchemy

from adpilot import migrate
from adpilot.core.embedded_postgres import EmbeddedPostgres
from adpilot.db import Database, DatabaseUrls, set_tenant, to_libpq_url
from adpilot.metrics.repository.store import StoreRepository
from bench.harness import APP_ROLE, BENCH_HOME, exclusive_bench_home, stop_on_sigterm

END = date(2026, 11, 20)
DAYS = 400
GROUPS = 3  # ad groups per campaign
ADS = 3  # ads per ad group
MEASURED_ACCOUNTS = (
    ("google", "USD"),
    ("google", "USD"),
    ("google", "GBP"),
    ("meta", "USD"),
    ("meta", "USD"),
    ("meta", "EUR"),
    ("tiktok", "EUR"),
    ("tiktok", "GBP"),
)
MEASURED_CAMPAIGNS = 125  # per account
OTHER_ACCOUNTS = (("google", "USD"), ("meta", "USD"))
OTHER_CAMPAIGNS = 125
# Every organization reports in USD.
REPORTING_CURRENCY = "USD"
NAMESPACE = UUID("5b0c7a52-6d1e-4c1e-9a57-0d5a7c1f3e11")
# Bumped whenever the generator changes, so that a kept database of an older shape is not reused.
# 2: the rollups include the months converted to the reporting currency (metrics_campaign_monthly_converted).
GENERATOR_VERSION = 2


# --- the data -------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Account:
    id: UUID
    platform: str
    currency: str
    first_campaign: int  # the global number of its first campaign (ids and numbers derive from it)
    campaigns: int


@dataclass(frozen=True)
class Organization:
    id: UUID
    name: str
    accounts: tuple[Account, ...]


def _organization(number: int, shape: tuple[tuple[str, str], ...], campaigns: int, first: int) -> Organization:
    accounts = tuple(
        Account(uuid5(NAMESPACE, f"account-{number}-{i}"), platform, currency, first + i * campaigns, campaigns)
        for i, (platform, currency) in enumerate(shape)
    )
    return Organization(uuid5(NAMESPACE, f"organization-{number}"), f"Organization {number}", accounts)


# A campaign runs from day ``start`` for ``length`` days (days numbered 0..DAYS-1 from the first day of the range),
# clipped to the range; ``k`` is its global number. Shared by the row generator and the count below.
def _span(k: str) -> str:
    return f"(({k} * 7919) % ({DAYS} + 200)) - 200 AS start, 90 + ({k} * 104729) % 311 AS length"


_CAMPAIGN_DAYS = f"""
SELECT COALESCE(sum(GREATEST(0, LEAST({DAYS} - 1, s.start + s.length - 1) - GREATEST(0, s.start) + 1)), 0)
  FROM generate_series($1::bigint, $2::bigint) AS g(k), LATERAL (SELECT {_span("g.k")}) s
"""  # noqa: S608 (constants of this module)

# One organization's rows at every level: $1 organization, then per account id, platform, currency, first campaign,
# campaigns; $7 the range's first day; $8 now. Numbers are deterministic functions of (campaign, entity, day).
_GENERATE = f"""
INSERT INTO metrics_daily (organization_id, ad_account_id, level, entity_platform_id, day, platform,
                           campaign_platform_id, currency, extras, updated_at,
                           impressions, clicks, spend_micros, conversions, conversion_value_micros, all_clicks)
SELECT $1, acc.id, e.level, e.entity, $7::date + d.n::int, acc.platform, (21000000000 + k.k)::text, acc.currency,
       '{{}}'::jsonb, $8, x.impressions, x.clicks, x.clicks * (150000 + (x.s * 31) % 900000),
       (x.clicks * (x.s % 7) / 20)::numeric(20, 6) + (x.s % 4) * 0.25,
       (x.clicks * (x.s % 7) / 20) * 40000000 + (x.s % 4) * 10000000, x.clicks
  FROM unnest($2::uuid[], $3::text[], $4::text[], $5::bigint[], $6::bigint[])
       AS acc(id, platform, currency, first_campaign, campaigns)
 CROSS JOIN LATERAL generate_series(acc.first_campaign, acc.first_campaign + acc.campaigns - 1) AS k(k)
 CROSS JOIN LATERAL (SELECT {_span("k.k")}) s
 CROSS JOIN LATERAL generate_series(GREATEST(0, s.start), LEAST({DAYS} - 1, s.start + s.length - 1)) AS d(n)
 CROSS JOIN LATERAL (
       SELECT 'campaign' AS level, 0 AS e, (21000000000 + k.k)::text AS entity, 9 AS scale
       UNION ALL
       SELECT 'ad_group', 1 + g, (150000000000 + k.k * 10 + g)::text, 3 FROM generate_series(0, {GROUPS - 1}) g
       UNION ALL
       SELECT 'ad', 1 + {GROUPS} + g * {ADS} + a, (700000000000 + k.k * 100 + g * 10 + a)::text, 1
         FROM generate_series(0, {GROUPS - 1}) g, generate_series(0, {ADS - 1}) a
 ) e
 CROSS JOIN LATERAL (SELECT k.k * 1000003 + e.e * 7919 + d.n * 104729 AS s) h
 CROSS JOIN LATERAL (
       SELECT h.s, (200 + h.s % 5000) * e.scale AS impressions, ((200 + h.s % 5000) * e.scale) * (5 + h.s % 40) / 1000
              AS clicks
 ) x
"""  # noqa: S608 (constants of this module)

# The reporting dimension of one organization (same parameters but the dates): names, places, statuses.
_ENTITIES = f"""
INSERT INTO metric_entities (organization_id, ad_account_id, level, platform_id, platform, campaign_platform_id,
                             parent_platform_id, name, status, updated_at)
SELECT $1, acc.id, e.level, e.entity, acc.platform, (21000000000 + k.k)::text, e.parent, e.name,
       CASE WHEN k.k % 10 < 7 THEN 'active' WHEN k.k % 10 < 9 THEN 'paused' ELSE 'removed' END, $7
  FROM unnest($2::uuid[], $3::text[], $4::text[], $5::bigint[], $6::bigint[])
       AS acc(id, platform, currency, first_campaign, campaigns)
 CROSS JOIN LATERAL generate_series(acc.first_campaign, acc.first_campaign + acc.campaigns - 1) AS k(k)
 CROSS JOIN LATERAL (
       SELECT 'campaign' AS level, (21000000000 + k.k)::text AS entity, NULL AS parent,
              'Campaign ' || k.k || ' ' || acc.platform || ' ' || acc.currency AS name
       UNION ALL
       SELECT 'ad_group', (150000000000 + k.k * 10 + g)::text, (21000000000 + k.k)::text,
              'Ad group ' || g || ' of campaign ' || k.k
         FROM generate_series(0, {GROUPS - 1}) g
       UNION ALL
       SELECT 'ad', (700000000000 + k.k * 100 + g * 10 + a)::text, (150000000000 + k.k * 10 + g)::text,
              'Ad ' || a || ' of ad group ' || g || ' of campaign ' || k.k
         FROM generate_series(0, {GROUPS - 1}) g, generate_series(0, {ADS - 1}) a
 ) e
"""  # noqa: S608 (constants of this module)


async def plan_organizations(superuser_url: str, target_rows: int) -> list[Organization]:
    """The measured organization, then others until the rows reach ``target_rows`` (the last one rounds up)."""
    per_campaign_day = 1 + GROUPS * (1 + ADS)
    connection = await asyncpg.connect(to_libpq_url(superuser_url))
    try:

        async def rows_of(first: int, campaigns: int) -> int:
            days: int = await connection.fetchval(_CAMPAIGN_DAYS, first, first + campaigns - 1)
            return days * per_campaign_day

        organizations = [_organization(0, MEASURED_ACCOUNTS, MEASURED_CAMPAIGNS, 0)]
        first = len(MEASURED_ACCOUNTS) * MEASURED_CAMPAIGNS
        rows = await rows_of(0, first)
        size = len(OTHER_ACCOUNTS) * OTHER_CAMPAIGNS
        while rows < target_rows:
            organizations.append(_organization(len(organizations), OTHER_ACCOUNTS, OTHER_CAMPAIGNS, first))
            rows += await rows_of(first, size)
            first += size
        return organizations
    finally:
        await connection.close()


def _account_arrays(organization: Organization) -> list[list[Any]]:
    accounts = organization.accounts
    return [
        [a.id for a in accounts],
        [a.platform for a in accounts],
        [a.currency for a in accounts],
        [a.first_campaign for a in accounts],
        [a.campaigns for a in accounts],
    ]


async def _insert_organization(connection: Any, organization: Organization) -> None:
    await connection.execute(
        "INSERT INTO organizations (id, name, require_mfa, is_demo, time_zone, reporting_currency, created_at) "
        "VALUES ($1, $2, false, false, 'UTC', $3, now())",
        organization.id,
        organization.name,
        REPORTING_CURRENCY,
    )
    for account in organization.accounts:
        connection_id = uuid5(NAMESPACE, f"connection-{account.id}")
        await connection.execute(
            "INSERT INTO platform_connections (id, organization_id, platform, subject, display_name, "
            "credentials_ciphertext, health, consecutive_failures, created_at, updated_at, health_changed_at) "
            "VALUES ($1, $2, $3, $4, 'Benchmark login', '\\x00', 'ok', 0, now(), now(), now())",
            connection_id,
            organization.id,
            account.platform,
            str(connection_id),
        )
        await connection.execute(
            "INSERT INTO ad_accounts (id, organization_id, connection_id, platform, platform_account_id, name, "
            "currency, time_zone, is_manager, platform_active, managed, created_at, updated_at) "
            "VALUES ($1, $2, $3, $4, $5, $6, $7, 'UTC', false, true, true, now(), now())",
            account.id,
            organization.id,
            connection_id,
            account.platform,
            account.id.hex[:10],
            f"{account.platform.title()} {account.currency} {account.first_campaign}",
            account.currency,
        )


async def _exchange_rates(connection: Any, organization: Organization) -> None:
    """EUR to USD every day (direct pair); USD to GBP on Mondays only (inverse pair), from before the range."""
    first = END - timedelta(days=DAYS + 10)
    await connection.execute(
        """
        INSERT INTO exchange_rates (organization_id, base_currency, quote_currency, day, rate, source, updated_at)
        SELECT $1::uuid, 'EUR', 'USD', d::date, 1.05 + (extract(doy FROM d) % 50) * 0.001, 'manual', now()
          FROM generate_series($2::date, $3::date, interval '1 day') d
        UNION ALL
        SELECT $1::uuid, 'USD', 'GBP', d::date, 0.77 + (extract(doy FROM d) % 30) * 0.0013, 'manual', now()
          FROM generate_series($2::date, $3::date, interval '1 day') d
         WHERE extract(isodow FROM d) = 1
        """,
        organization.id,
        first,
        END,
    )


async def generate(
    superuser_url: str, database: Database, organizations: list[Organization], step: Callable[[str], None]
) -> int:
    """Fill the store; returns the metrics_daily row count."""
    connection = await asyncpg.connect(to_libpq_url(superuser_url))
    first_day = END - timedelta(days=DAYS - 1)
    now = datetime.now(UTC)
    try:
        # A bulk load of rows consistent by construction: foreign-key triggers off for this session only.
        await connection.execute("SET session_replication_role = replica")
        await connection.execute("SET maintenance_work_mem = '512MB'")
        # Indexes are built once at the end (a sort) instead of maintained row by row: the same definitions, read
        # from the catalog, dropped and created again.
        indexes = await connection.fetch(
            "SELECT i.indexrelid::regclass::text AS name, c.conname, pg_get_indexdef(i.indexrelid) AS definition, "
            "pg_get_constraintdef(c.oid) AS constraint_definition "
            "FROM pg_index i LEFT JOIN pg_constraint c ON c.conindid = i.indexrelid AND c.contype = 'p' "
            "WHERE i.indrelid = 'metrics_daily'::regclass"
        )
        for index in indexes:
            if index["conname"]:
                await connection.execute(f'ALTER TABLE metrics_daily DROP CONSTRAINT "{index["conname"]}"')
            else:
                await connection.execute(f'DROP INDEX "{index["name"]}"')
        started = time.monotonic()
        for number, organization in enumerate(organizations):
            async with connection.transaction():
                await _insert_organization(connection, organization)
                arrays = _account_arrays(organization)
                await connection.execute(_GENERATE, organization.id, *arrays, first_day, now)
                await connection.execute(_ENTITIES, organization.id, *arrays, now)
                if number == 0:
                    await _exchange_rates(connection, organization)
            if number % 10 == 0 or number == len(organizations) - 1:
                step(f"generated {number + 1}/{len(organizations)} organizations ({time.monotonic() - started:.0f} s)")
        step(f"metrics_daily filled ({time.monotonic() - started:.0f} s)")
        started = time.monotonic()
        for index in indexes:
            if index["conname"]:
                await connection.execute(
                    f'ALTER TABLE metrics_daily ADD CONSTRAINT "{index["conname"]}" {index["constraint_definition"]}'
                )
            else:
                await connection.execute(index["definition"])
        step(f"metrics_daily indexes built ({time.monotonic() - started:.0f} s)")
        rows: int = await connection.fetchval("SELECT count(*) FROM metrics_daily")
    finally:
        await connection.close()
    # The rollups as ingestion builds them: the product's rebuild, per account, over the whole range.
    started = time.monotonic()
    for organization in organizations:
        async with database.transaction() as session:
            await set_tenant(session, organization.id)
            repository = StoreRepository(session)
            for account in organization.accounts:
                await repository.rebuild_rollups(organization.id, account.id, first_day, END, REPORTING_CURRENCY)
                # Every generated day counts as synced, as the metrics sync's windows would have recorded it.
                await repository.record_synced(organization.id, account.id, first_day, END, datetime.now(UTC))
    step(f"rollups rebuilt by the product's rebuild ({time.monotonic() - started:.0f} s)")
    connection = await asyncpg.connect(to_libpq_url(superuser_url))
    try:
        await connection.execute("VACUUM ANALYZE")
        await connection.execute("CHECKPOINT")
    finally:
        await connection.close()
    step("VACUUM ANALYZE done")
    return rows


# --- the database ---------------------------------------------------------------------------------------------------


@dataclass
class Setup:
    urls: DatabaseUrls
    superuser_url: str
    pgdata: Path
    database_name: str
    reused: bool


def _database_name(target_rows: int) -> str:
    return f"adpilot_bench_dashboard_{target_rows}"


def fingerprint(target_rows: int) -> str:
    return f"dashboard generator v{GENERATOR_VERSION} rows={target_rows} end={END} days={DAYS}"


@contextlib.contextmanager
def running(step: Callable[[str], None], target_rows: int, keep: bool) -> Iterator[Setup]:
    """Embedded PostgreSQL in BENCH_HOME with the benchmark's database (a kept one of the same shape is reused)."""
    postgres = EmbeddedPostgres(BENCH_HOME, APP_ROLE)
    name = _database_name(target_rows)
    with stop_on_sigterm(), exclusive_bench_home():
        drop = not keep
        try:
            postgres.stop_if_running()  # left over by a run that was killed before it could clean up
            server = postgres.start()
            comment = asyncio.run(_database_comment(server.superuser, name))
            reused = comment == fingerprint(target_rows)
            if not reused:
                postgres.create_database(name)
            urls = postgres.start(database=name)
            migrate.upgrade(urls.owner, APP_ROLE)
            step(f"embedded PostgreSQL started, database {name} {'reused' if reused else 'created'} and migrated")
            superuser = urls.superuser.replace("@/postgres?", f"@/{name}?")
            yield Setup(DatabaseUrls(owner=urls.owner, app=urls.app), superuser, postgres.pgdata, name, reused)
        finally:
            if drop:
                with contextlib.suppress(RuntimeError):  # not started
                    postgres.drop_database(name)
            postgres.stop()
            step(f"PostgreSQL stopped{'' if keep else f', {name} dropped'}")


async def _database_comment(superuser_url: str, name: str) -> str | None:
    connection = await asyncpg.connect(to_libpq_url(superuser_url))
    try:
        comment: str | None = await connection.fetchval(
            "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = $1", name
        )
        return comment
    finally:
        await connection.close()


async def mark_complete(superuser_url: str, name: str, fingerprint: str) -> None:
    connection = await asyncpg.connect(to_libpq_url(superuser_url))
    try:
        await connection.execute(f"COMMENT ON DATABASE \"{name}\" IS '{fingerprint}'")
    finally:
        await connection.close()
