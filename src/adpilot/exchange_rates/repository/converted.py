"""The SQL of the converted monthly campaign rollup (``metrics_campaign_monthly_converted``).

Each row is one campaign's month of an account in another currency than the organization's reporting currency, its
money summed over the month's days as ``amount * rate`` with the rate ``exchange_rates_by_day`` gives each day, left
unrounded. A month's rows are deleted and rebuilt from ``metrics_campaign_daily`` whenever what they are made of
changes: the account's days (ingestion, with the other rollups), a rate of the currency (from the rate's day on), or
the reporting currency (every month).

Concurrency: the two writers of the table, an ingestion and a rate change, read what the other writes (the days, the
rates). Under READ COMMITTED each would otherwise rebuild from a snapshot without the other's uncommitted change, and
the later commit would leave months converted with an old rate or without new days. Both therefore take the
organization's transaction-level advisory lock (``lock``) in a statement of its own before the statements that read
the days and rates: the second waits for the first to commit, and its next statement sees the first's data.
"""

from __future__ import annotations

import calendar
from datetime import date
from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from adpilot.db import driver_connection, positional
from adpilot.exchange_rates.repository.rates import exchange_rates_by_day_text

# One lock per organization, held until the transaction ends. Its key names the module the rollup was first part
# of; it stays as it is, so that processes of the previous and the next version serialize on the same lock.
_LOCK = (
    "SELECT pg_advisory_xact_lock("
    "hashtextextended('adpilot.analytics.converted:' || CAST(CAST($1 AS uuid) AS text), 0))"
)

_EXTENT = "SELECT min(day), max(day) FROM metrics_campaign_daily WHERE organization_id = $1"
_LAST_DAY = "SELECT max(day) FROM metrics_campaign_daily WHERE organization_id = $1 AND currency = $2"

_DELETE = (
    "DELETE FROM metrics_campaign_monthly_converted "
    "WHERE organization_id = :organization_id AND month BETWEEN :first_month AND :last_month{scope}"
)
# Days with numbers but no rate are marked (money then only sums the other days; the queries do not use the row).
# A month whose days are in more than one currency gets no row (the queries convert its days one by one).
_INSERT = """
WITH rates AS ({rates})
INSERT INTO metrics_campaign_monthly_converted (
    organization_id, ad_account_id, campaign_platform_id, month, reporting_currency, platform, currency,
    impressions, clicks, spend_micros, conversions, conversion_value_micros, all_clicks,
    first_unconverted_day, last_unconverted_day)
SELECT d.organization_id, d.ad_account_id, d.campaign_platform_id, CAST(date_trunc('month', d.day) AS date),
       CAST(:quote AS varchar), min(d.platform), min(d.currency),
       sum(d.impressions), sum(d.clicks), coalesce(sum(d.spend_micros * r.rate), 0), sum(d.conversions),
       coalesce(sum(d.conversion_value_micros * r.rate), 0), sum(d.all_clicks),
       min(d.day) FILTER (WHERE r.rate IS NULL), max(d.day) FILTER (WHERE r.rate IS NULL)
  FROM metrics_campaign_daily d
  LEFT JOIN rates r ON r.currency = d.currency AND r.day = d.day
 WHERE d.organization_id = :organization_id AND d.day BETWEEN :since AND :until
   AND d.currency <> CAST(:quote AS varchar){scope}
 GROUP BY d.organization_id, d.ad_account_id, d.campaign_platform_id, date_trunc('month', d.day)
HAVING min(d.currency) = max(d.currency)
"""


class ConvertedRepository:
    """The converted rollup's rebuilds in the caller's transaction (each takes ``lock`` first)."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def rebuild_account(
        self, organization_id: UUID, ad_account_id: UUID, first_month: date, last_month: date, reporting_currency: str
    ) -> None:
        """The account's converted months ``first_month``..``last_month`` (after its rollups were rebuilt)."""
        driver = await driver_connection(self.session)
        await lock(driver, organization_id)
        await rebuild(driver, organization_id, reporting_currency, first_month, last_month, ad_account_id=ad_account_id)

    async def reconvert(
        self, organization_id: UUID, reporting_currency: str, *, currency: str | None = None, since: date | None = None
    ) -> None:
        """The organization's converted months rebuilt after its rates changed (``currency``'s from ``since`` on) or
        its reporting currency did (neither given: every month)."""
        driver = await driver_connection(self.session)
        await lock(driver, organization_id)
        if currency is None or since is None:
            await rebuild_all(driver, organization_id, reporting_currency)
        else:
            await rebuild_currency_from(driver, organization_id, reporting_currency, currency, since)


def month_end(day: date) -> date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


async def lock(driver: Any, organization_id: UUID) -> None:
    """Serialize the organization's rebuilds of converted months until this transaction ends (see above)."""
    await driver.execute(_LOCK, organization_id)


async def rebuild(
    driver: Any,
    organization_id: UUID,
    reporting_currency: str,
    since: date,
    until: date,
    *,
    ad_account_id: UUID | None = None,
    currency: str | None = None,
) -> None:
    """Rebuild the converted months from ``since``'s to ``until``'s, of one account, or of the accounts whose
    numbers are in ``currency``, or (neither given) of the whole organization. The caller holds ``lock``."""
    first_month, last_day = since.replace(day=1), month_end(until)
    values: dict[str, Any] = {
        "organization_id": organization_id,
        "first_month": first_month,
        "last_month": until.replace(day=1),
        "quote": reporting_currency,
    }
    delete_scope = insert_scope = ""
    if ad_account_id is not None:
        values["account"] = ad_account_id
        delete_scope, insert_scope = " AND ad_account_id = :account", " AND d.ad_account_id = :account"
    elif currency is not None:
        values["currency"] = currency
        delete_scope, insert_scope = " AND currency = :currency", " AND d.currency = :currency"
    statement, arguments = positional(_DELETE.format(scope=delete_scope), values)
    await driver.execute(statement, *arguments)
    rates, rate_values = exchange_rates_by_day_text(
        organization_id, reporting_currency, first_month, last_day, [currency] if currency is not None else None
    )
    values |= rate_values
    values["since"], values["until"] = first_month, last_day
    statement, arguments = positional(_INSERT.format(rates=rates, scope=insert_scope), values)
    await driver.execute(statement, *arguments)


async def rebuild_currency_from(
    driver: Any, organization_id: UUID, reporting_currency: str, currency: str, since: date
) -> None:
    """After a change of ``currency``'s rates from ``since`` on: its months from ``since``'s to the last with
    numbers. The caller holds ``lock``."""
    if currency == reporting_currency:
        return
    last = await driver.fetchval(_LAST_DAY, organization_id, currency)
    if last is not None and last >= since:
        await rebuild(driver, organization_id, reporting_currency, since, last, currency=currency)


async def rebuild_all(driver: Any, organization_id: UUID, reporting_currency: str) -> None:
    """Every month of the organization (a new reporting currency). The caller holds ``lock``."""
    await driver.execute("DELETE FROM metrics_campaign_monthly_converted WHERE organization_id = $1", organization_id)
    extent = await driver.fetchrow(_EXTENT, organization_id)
    if extent is not None and extent[0] is not None:
        await rebuild(driver, organization_id, reporting_currency, extent[0], extent[1])
