"""The SQL of ingestion: one window of one level of one account replaces what the store held for it.

Rows reach PostgreSQL by binary ``COPY`` into a temporary table, then one ``INSERT … ON CONFLICT`` moves them into
``metrics_daily`` (rows whose numbers did not change are not rewritten), and rows of the window the platform no
longer reports are deleted (their numbers were restated to nothing). The rollups of the days and months the window
touches are then rebuilt from the campaign-level rows (the months of an account in another currency than the
organization's reporting currency also converted to it, by the exchange-rates module), all in the caller's transaction,
so a reader sees either the old or the new numbers and never a mix.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from adpilot.db import driver_connection
from adpilot.exchange_rates import converted_rollup_service

NUMBERS = ("impressions", "clicks", "spend_micros", "conversions", "conversion_value_micros", "all_clicks")

# The staging table (analytics_metrics_in) and its columns in COPY order. It lives for the connection and is emptied
# at every commit.
STAGED_COLUMNS = (
    "level",
    "entity_platform_id",
    "day",
    "campaign_platform_id",
    "parent_platform_id",
    "entity_name",
    *NUMBERS,
    "extras",
)
_STAGING = "analytics_metrics_in"
# Work memory of an ingestion transaction (see merge_staged).
INGEST_WORK_MEM = "64MB"
_CREATE_STAGING = """
CREATE TEMPORARY TABLE IF NOT EXISTS analytics_metrics_in (
    level varchar(20) NOT NULL,
    entity_platform_id varchar(64) NOT NULL,
    day date NOT NULL,
    campaign_platform_id varchar(64) NOT NULL,
    parent_platform_id varchar(64),
    entity_name varchar(512),
    impressions bigint NOT NULL,
    clicks bigint NOT NULL,
    spend_micros bigint NOT NULL,
    conversions numeric(20, 6) NOT NULL,
    conversion_value_micros bigint NOT NULL,
    all_clicks bigint NOT NULL,
    extras jsonb NOT NULL
) ON COMMIT DELETE ROWS
"""

# $1 organization, $2 account, $3 platform, $4 currency, $5 now.
_UPSERT = """
INSERT INTO metrics_daily AS m (
    organization_id, ad_account_id, level, entity_platform_id, day, platform, campaign_platform_id, currency,
    extras, updated_at, impressions, clicks, spend_micros, conversions, conversion_value_micros, all_clicks)
SELECT $1, $2, s.level, s.entity_platform_id, s.day, $3, s.campaign_platform_id, $4,
       s.extras, $5, s.impressions, s.clicks, s.spend_micros, s.conversions, s.conversion_value_micros, s.all_clicks
  FROM analytics_metrics_in s
ON CONFLICT (organization_id, ad_account_id, level, entity_platform_id, day) DO UPDATE SET
    impressions = EXCLUDED.impressions, clicks = EXCLUDED.clicks, spend_micros = EXCLUDED.spend_micros,
    conversions = EXCLUDED.conversions, conversion_value_micros = EXCLUDED.conversion_value_micros,
    all_clicks = EXCLUDED.all_clicks,
    campaign_platform_id = EXCLUDED.campaign_platform_id, currency = EXCLUDED.currency, extras = EXCLUDED.extras,
    updated_at = EXCLUDED.updated_at
WHERE (m.impressions, m.clicks, m.spend_micros, m.conversions, m.conversion_value_micros, m.all_clicks,
       m.campaign_platform_id, m.currency, m.extras)
      IS DISTINCT FROM
      (EXCLUDED.impressions, EXCLUDED.clicks, EXCLUDED.spend_micros, EXCLUDED.conversions,
       EXCLUDED.conversion_value_micros, EXCLUDED.all_clicks, EXCLUDED.campaign_platform_id, EXCLUDED.currency,
       EXCLUDED.extras)
"""

# Rows of the window (account, level, $4..$5) that the platform did not report this time: found by EXCEPT, then
# deleted by primary key. Not one DELETE … NOT EXISTS: the planner knows neither how many rows the window holds (just
# written, not yet analysed) nor how many were staged (temporary tables are never auto-analysed), guesses one row and
# picks a nested-loop anti-join that rescans the staging table for every stored row, minutes for one 30-day window of
# 2,000 ads (a DELETE … USING the EXCEPT fares no better: the nested loop rescans the EXCEPT). EXCEPT alone sorts or
# hashes both sides whatever the estimates, and usually finds nothing to delete.
_MISSING = """
SELECT d.entity_platform_id, d.day FROM metrics_daily d
 WHERE d.organization_id = $1 AND d.ad_account_id = $2 AND d.level = $3 AND d.day BETWEEN $4 AND $5
EXCEPT
SELECT s.entity_platform_id, s.day FROM analytics_metrics_in s WHERE s.level = $3
"""
_DELETE_KEYS = """
DELETE FROM metrics_daily m
 USING unnest($4::text[], $5::date[]) AS g(entity_platform_id, day)
 WHERE m.organization_id = $1 AND m.ad_account_id = $2 AND m.level = $3
   AND m.entity_platform_id = g.entity_platform_id AND m.day = g.day
"""

# The reporting dimension: every entity the window names. A name the entity sync gave (status set) is kept; a
# report's name fills in for entities the entity sync has not seen (or no longer lists).
_UPSERT_DIMENSION = """
INSERT INTO metric_entities AS e (
    organization_id, ad_account_id, level, platform_id, platform, campaign_platform_id, parent_platform_id, name,
    status, updated_at)
SELECT DISTINCT ON (s.level, s.entity_platform_id)
       $1, $2, s.level, s.entity_platform_id, $3, s.campaign_platform_id, s.parent_platform_id,
       COALESCE(s.entity_name, s.entity_platform_id), NULL, $4
  FROM analytics_metrics_in s
 ORDER BY s.level, s.entity_platform_id, s.day DESC
ON CONFLICT (organization_id, ad_account_id, level, platform_id) DO UPDATE SET
    campaign_platform_id = EXCLUDED.campaign_platform_id,
    parent_platform_id = COALESCE(EXCLUDED.parent_platform_id, e.parent_platform_id),
    name = CASE WHEN e.status IS NULL AND EXCLUDED.name <> EXCLUDED.platform_id THEN EXCLUDED.name ELSE e.name END,
    updated_at = EXCLUDED.updated_at
WHERE e.campaign_platform_id IS DISTINCT FROM EXCLUDED.campaign_platform_id
   OR (EXCLUDED.parent_platform_id IS NOT NULL AND e.parent_platform_id IS DISTINCT FROM EXCLUDED.parent_platform_id)
   OR (e.status IS NULL AND EXCLUDED.name <> EXCLUDED.platform_id AND e.name IS DISTINCT FROM EXCLUDED.name)
"""

# Synced coverage: the window $3..$4 joins the account's synced days (unchanged when they already hold it).
_RECORD_SYNCED = """
INSERT INTO metric_sync_coverage AS c (organization_id, ad_account_id, synced_days, updated_at)
VALUES ($1, $2, datemultirange(daterange($3, $4, '[]')), $5)
ON CONFLICT (organization_id, ad_account_id) DO UPDATE SET
    synced_days = c.synced_days + EXCLUDED.synced_days, updated_at = EXCLUDED.updated_at
WHERE NOT c.synced_days @> EXCLUDED.synced_days
"""
# The newest run of contiguous synced days of each account (ranges are canonical: upper bound exclusive).
_SYNCED_RANGES = """
SELECT c.ad_account_id, lower(n.r) AS first_day, upper(n.r) - 1 AS last_day
  FROM metric_sync_coverage c
 CROSS JOIN LATERAL (SELECT r FROM unnest(c.synced_days) AS u(r) ORDER BY upper(r) DESC LIMIT 1) n
 WHERE c.organization_id = $1
"""

# Rollups of one account for days $3..$4: deleted, then rebuilt from the campaign-level rows (then from the rebuilt
# daily rollups for the months). Rebuilding, not adding, is what makes a re-read idempotent.
_REBUILD_CAMPAIGN_DAILY = (
    "DELETE FROM metrics_campaign_daily WHERE organization_id = $1 AND ad_account_id = $2 AND day BETWEEN $3 AND $4",
    """
    INSERT INTO metrics_campaign_daily (organization_id, ad_account_id, campaign_platform_id, day, platform, currency,
                                        impressions, clicks, spend_micros, conversions, conversion_value_micros,
                                        all_clicks)
    SELECT organization_id, ad_account_id, entity_platform_id, day, platform, currency,
        impressions, clicks, spend_micros, conversions, conversion_value_micros, all_clicks
      FROM metrics_daily
     WHERE organization_id = $1 AND ad_account_id = $2 AND level = 'campaign' AND day BETWEEN $3 AND $4
    """,
)
_REBUILD_ACCOUNT_DAILY = (
    "DELETE FROM metrics_account_daily WHERE organization_id = $1 AND ad_account_id = $2 AND day BETWEEN $3 AND $4",
    """
    INSERT INTO metrics_account_daily (organization_id, ad_account_id, day, platform, currency,
        impressions, clicks, spend_micros, conversions, conversion_value_micros, all_clicks)
    SELECT organization_id, ad_account_id, day, min(platform), min(currency),
        sum(impressions), sum(clicks), sum(spend_micros), sum(conversions), sum(conversion_value_micros),
        sum(all_clicks)
      FROM metrics_campaign_daily
     WHERE organization_id = $1 AND ad_account_id = $2 AND day BETWEEN $3 AND $4
     GROUP BY organization_id, ad_account_id, day
    """,
)
# $3..$4 are the first days of the first and last months touched.
_REBUILD_CAMPAIGN_MONTHLY = (
    "DELETE FROM metrics_campaign_monthly "
    "WHERE organization_id = $1 AND ad_account_id = $2 AND month BETWEEN $3 AND $4",
    """
    INSERT INTO metrics_campaign_monthly (organization_id, ad_account_id, campaign_platform_id, month, platform,
                                          currency,
                                              impressions, clicks, spend_micros, conversions, conversion_value_micros,
                                              all_clicks)
    SELECT organization_id, ad_account_id, campaign_platform_id, date_trunc('month', day)::date, min(platform),
           min(currency),
               sum(impressions), sum(clicks), sum(spend_micros), sum(conversions), sum(conversion_value_micros),
               sum(all_clicks)
      FROM metrics_campaign_daily
     WHERE organization_id = $1 AND ad_account_id = $2
       AND day >= $3 AND day < ($4::date + interval '1 month')
     GROUP BY organization_id, ad_account_id, campaign_platform_id, date_trunc('month', day)
    """,
)
_REBUILD_ACCOUNT_MONTHLY = (
    "DELETE FROM metrics_account_monthly WHERE organization_id = $1 AND ad_account_id = $2 AND month BETWEEN $3 AND $4",
    """
    INSERT INTO metrics_account_monthly (organization_id, ad_account_id, month, platform, currency,
        impressions, clicks, spend_micros, conversions, conversion_value_micros, all_clicks)
    SELECT organization_id, ad_account_id, month, min(platform), min(currency),
        sum(impressions), sum(clicks), sum(spend_micros), sum(conversions), sum(conversion_value_micros),
        sum(all_clicks)
      FROM metrics_campaign_monthly
     WHERE organization_id = $1 AND ad_account_id = $2 AND month BETWEEN $3 AND $4
     GROUP BY organization_id, ad_account_id, month
    """,
)

_REPLACE_HOURS = (
    "DELETE FROM metrics_hourly WHERE organization_id = $1 AND ad_account_id = $2 AND (day = $3 OR day < $4)",
    """
    INSERT INTO metrics_hourly (organization_id, ad_account_id, campaign_platform_id, day, hour, platform, currency,
                                updated_at, impressions, clicks, spend_micros, conversions, conversion_value_micros,
                                all_clicks)
    SELECT $1, $2, h.campaign_platform_id, $3, h.hour, $4, $5, $6, h.impressions, h.clicks, h.spend_micros,
           h.conversions, h.conversion_value_micros, h.all_clicks
      FROM unnest($7::text[], $8::smallint[], $9::bigint[], $10::bigint[], $11::bigint[], $12::numeric[],
                  $13::bigint[], $14::bigint[])
           AS h(campaign_platform_id, hour, impressions, clicks, spend_micros, conversions, conversion_value_micros,
                all_clicks)
    """,
)

_DIMENSION_FROM_TREE = """
INSERT INTO metric_entities AS e (
    organization_id, ad_account_id, level, platform_id, platform, campaign_platform_id, parent_platform_id, name,
    status, updated_at)
SELECT $1, $2, t.level, t.platform_id, $3, t.campaign_platform_id, t.parent_platform_id, t.name, t.status, $4
  FROM unnest($5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[])
       AS t(level, platform_id, campaign_platform_id, parent_platform_id, name, status)
ON CONFLICT (organization_id, ad_account_id, level, platform_id) DO UPDATE SET
    campaign_platform_id = EXCLUDED.campaign_platform_id, parent_platform_id = EXCLUDED.parent_platform_id,
    name = EXCLUDED.name, status = EXCLUDED.status, updated_at = EXCLUDED.updated_at
WHERE (e.campaign_platform_id, e.parent_platform_id, e.name, e.status)
      IS DISTINCT FROM (EXCLUDED.campaign_platform_id, EXCLUDED.parent_platform_id, EXCLUDED.name, EXCLUDED.status)
"""

# Entities of the account that the tree does not list were removed on the platform; their numbers stay. The tree
# lists removed entities too, so this also places an entity only the reports named (status still null) that the
# platform no longer knows at all.
_MARK_REMOVED = """
UPDATE metric_entities e SET status = 'removed', updated_at = $3
 WHERE e.organization_id = $1 AND e.ad_account_id = $2 AND e.status IS DISTINCT FROM 'removed'
   AND NOT EXISTS (SELECT 1 FROM unnest($4::text[], $5::text[]) AS t(level, platform_id)
                    WHERE t.level = e.level AND t.platform_id = e.platform_id)
"""

_KNOWN_PLACES = """
SELECT level, platform_id, campaign_platform_id, parent_platform_id
  FROM metric_entities
 WHERE organization_id = $1 AND ad_account_id = $2 AND level = $3 AND platform_id = ANY($4::text[])
"""


class StoreRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def _driver(self) -> Any:
        return await driver_connection(self.session)

    async def stage(self, records: Sequence[tuple[Any, ...]]) -> None:
        """Binary COPY of the window's rows (``STAGED_COLUMNS`` order) into this transaction's staging table."""
        driver = await self._driver()
        await driver.execute(_CREATE_STAGING)
        await driver.execute("TRUNCATE analytics_metrics_in")
        if records:
            await driver.copy_records_to_table(_STAGING, records=records, columns=STAGED_COLUMNS)

    async def merge_staged(
        self,
        organization_id: UUID,
        ad_account_id: UUID,
        platform: str,
        currency: str,
        level: str,
        since: date,
        until: date,
        now: Any,
    ) -> tuple[int, int]:
        """Move the staged rows into metrics_daily; returns (rows written, rows deleted)."""
        driver = await self._driver()
        # An ad window is tens of thousands of rows: the EXCEPT and the dimension's DISTINCT ON sort or hash all of
        # them, and spill to disk at PostgreSQL's default 4 MB.
        await driver.execute(f"SET LOCAL work_mem = '{INGEST_WORK_MEM}'")
        written = await driver.execute(_UPSERT, organization_id, ad_account_id, platform, currency, now)
        deleted = 0
        missing = await driver.fetch(_MISSING, organization_id, ad_account_id, level, since, until)
        if missing:
            keys = [row["entity_platform_id"] for row in missing], [row["day"] for row in missing]
            deleted = _count(await driver.execute(_DELETE_KEYS, organization_id, ad_account_id, level, *keys))
        await driver.execute(_UPSERT_DIMENSION, organization_id, ad_account_id, platform, now)
        return _count(written), deleted

    async def rebuild_rollups(
        self, organization_id: UUID, ad_account_id: UUID, since: date, until: date, reporting_currency: str
    ) -> None:
        """Rebuild the account's rollups for the days since..until and the months they fall in, its months
        converted to ``reporting_currency`` (the organization's) included."""
        driver = await self._driver()
        first_month, last_month = since.replace(day=1), until.replace(day=1)
        for statements, start, end in (
            (_REBUILD_CAMPAIGN_DAILY, since, until),
            (_REBUILD_ACCOUNT_DAILY, since, until),
            (_REBUILD_CAMPAIGN_MONTHLY, first_month, last_month),
            (_REBUILD_ACCOUNT_MONTHLY, first_month, last_month),
        ):
            for statement in statements:
                await driver.execute(statement, organization_id, ad_account_id, start, end)
        # After the rollups this transaction wrote: the converted months are the exchange-rates module's, rebuilt
        # in this transaction under its lock (a rate change waits for this transaction, or this one for it).
        await converted_rollup_service.rebuild_account(
            self.session, organization_id, ad_account_id, first_month, last_month, reporting_currency
        )

    async def record_synced(
        self, organization_id: UUID, ad_account_id: UUID, since: date, until: date, now: datetime
    ) -> None:
        """Add the days since..until to the account's synced coverage."""
        await (await self._driver()).execute(_RECORD_SYNCED, organization_id, ad_account_id, since, until, now)

    async def synced_ranges(self, organization_id: UUID) -> list[tuple[UUID, date, date]]:
        """Each account's newest run of contiguous synced days: (account, first day, last day)."""
        rows = await (await self._driver()).fetch(_SYNCED_RANGES, organization_id)
        return [(row["ad_account_id"], row["first_day"], row["last_day"]) for row in rows]

    async def reconvert(
        self, organization_id: UUID, reporting_currency: str, *, currency: str | None = None, since: date | None = None
    ) -> None:
        """The organization's converted months rebuilt after its rates changed (``currency``'s from ``since`` on) or
        its reporting currency did (neither given: every month). The exchange-rates module's rebuild."""
        await converted_rollup_service.reconvert(
            self.session, organization_id, reporting_currency, currency=currency, since=since
        )

    async def replace_hours(
        self,
        organization_id: UUID,
        ad_account_id: UUID,
        platform: str,
        currency: str,
        day: date,
        keep_since: date,
        now: Any,
        columns: Sequence[Sequence[Any]],
    ) -> None:
        """The account's hours of ``day`` replaced by these; hours of days before ``keep_since`` dropped."""
        driver = await self._driver()
        delete, insert = _REPLACE_HOURS
        await driver.execute(delete, organization_id, ad_account_id, day, keep_since)
        await driver.execute(insert, organization_id, ad_account_id, day, platform, currency, now, *columns)

    async def upsert_tree(
        self,
        organization_id: UUID,
        ad_account_id: UUID,
        platform: str,
        now: Any,
        columns: Sequence[Sequence[Any]],
        *,
        complete: bool = True,
    ) -> None:
        """The dimension as the entity sync last read the account's tree (names and status are current there);
        entities a ``complete`` listing leaves out become removed."""
        driver = await self._driver()
        await driver.execute(_DIMENSION_FROM_TREE, organization_id, ad_account_id, platform, now, *columns)
        if complete:
            await driver.execute(_MARK_REMOVED, organization_id, ad_account_id, now, columns[0], columns[1])

    async def known_places(
        self, organization_id: UUID, ad_account_id: UUID, level: str, platform_ids: Sequence[str]
    ) -> dict[str, tuple[str, str | None]]:
        """Campaign and parent of entities the dimension already knows: {platform id: (campaign, parent)}."""
        driver = await self._driver()
        rows = await driver.fetch(_KNOWN_PLACES, organization_id, ad_account_id, level, list(platform_ids))
        return {row["platform_id"]: (row["campaign_platform_id"], row["parent_platform_id"]) for row in rows}


def _count(status: str) -> int:
    """The row count of a command tag ("INSERT 0 12", "DELETE 3")."""
    return int(status.rsplit(" ", 1)[-1])
