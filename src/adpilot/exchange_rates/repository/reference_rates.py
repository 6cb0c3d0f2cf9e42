"""The SQL of the shared reference rates: their upserts, extent and fetch state, and which organizations need them.

``reference_rates`` holds public data (no organization, no row-level security); the conversion rule reads it in
``exchange_rates_by_day`` (repository/rates.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from uuid import UUID

from sqlalchemy import ARRAY, Date, Numeric, String, bindparam, func, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from adpilot.exchange_rates.models import ReferenceRate, ReferenceRateFetch


@dataclass(frozen=True, slots=True)
class ForeignCurrencyHistory:
    """An organization has numbers in ``currency`` (not its reporting currency) from ``first_day`` on."""

    organization_id: UUID
    currency: str
    first_day: date


class ReferenceRatesRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def upsert(self, rows: Sequence[tuple[str, date, Decimal]], now: datetime) -> date | None:
        """Write (currency, day, rate per EUR) rows; a rate stored with the same value is left alone. Returns the
        earliest day whose rates were inserted or changed, or None when nothing changed."""
        if not rows:
            return None
        rows = sorted(rows, key=lambda row: (row[0], row[1]))
        statement = text(
            """
            INSERT INTO reference_rates AS r (currency, day, rate, fetched_at)
            SELECT i.currency, i.day, i.rate, CAST(:now AS timestamptz)
              FROM unnest(CAST(:currencies AS varchar[]), CAST(:days AS date[]), CAST(:rates AS numeric[]))
                   AS i(currency, day, rate)
            ON CONFLICT (currency, day) DO UPDATE SET rate = excluded.rate, fetched_at = excluded.fetched_at
             WHERE r.rate IS DISTINCT FROM excluded.rate
            RETURNING r.day
            """
        ).bindparams(
            bindparam("currencies", type_=ARRAY(String(3))),
            bindparam("days", type_=ARRAY(Date())),
            bindparam("rates", type_=ARRAY(Numeric())),
        )
        result = await self.session.execute(
            statement,
            {
                "now": now,
                "currencies": [row[0] for row in rows],
                "days": [row[1] for row in rows],
                "rates": [row[2] for row in rows],
            },
        )
        changed = [day for (day,) in result.all()]
        return min(changed) if changed else None

    async def extent(self) -> tuple[date, date] | None:
        """The first and last day with a stored reference rate."""
        row = (await self.session.execute(select(func.min(ReferenceRate.day), func.max(ReferenceRate.day)))).one()
        first: date | None = row[0]
        last: date | None = row[1]
        if first is None or last is None:
            return None
        return first, last

    async def rates_between(self, since: date, until: date) -> list[ReferenceRate]:
        query = (
            select(ReferenceRate)
            .where(ReferenceRate.day >= since, ReferenceRate.day <= until)
            .order_by(ReferenceRate.day, ReferenceRate.currency)
        )
        return list((await self.session.scalars(query)).all())

    async def fetch_state(self, source_url: str, *, for_update: bool = False) -> ReferenceRateFetch | None:
        query = select(ReferenceRateFetch).where(ReferenceRateFetch.source_url == source_url)
        if for_update:
            query = query.with_for_update()
        return (await self.session.scalars(query)).first()

    async def record_fetch(
        self,
        source_url: str,
        *,
        attempted_at: datetime,
        fetched: bool,
        history_since: date | None = None,
        error: str | None = None,
    ) -> None:
        """Remember an attempt (and, when it succeeded, how far back a history file was read)."""
        values = insert(ReferenceRateFetch).values(
            source_url=source_url,
            history_since=history_since,
            fetched_at=attempted_at if fetched else None,
            attempted_at=attempted_at,
            error=error,
        )
        updates: dict[str, object] = {"attempted_at": values.excluded.attempted_at, "error": values.excluded.error}
        if fetched:
            updates["fetched_at"] = values.excluded.fetched_at
        if history_since is not None:
            updates["history_since"] = func.least(
                func.coalesce(ReferenceRateFetch.history_since, values.excluded.history_since),
                values.excluded.history_since,
            )
        await self.session.execute(values.on_conflict_do_update(index_elements=["source_url"], set_=updates))

    async def foreign_currency_history(self) -> list[ForeignCurrencyHistory]:
        """Across every organization (through the SECURITY DEFINER function of migration 0013, which returns no
        figures): each currency with numbers other than the reporting currency, and its first day."""
        result = await self.session.execute(
            text("SELECT organization_id, currency, first_day FROM adpilot_foreign_currency_history()")
        )
        return [ForeignCurrencyHistory(org, currency, first_day) for org, currency, first_day in result.all()]
