"""The SQL of exchange rates: the organization's list of rates, their edits and imports, and the conversion rule.

``exchange_rates_by_day`` is the conversion rule of docs/analytics.md as one reusable SQL fragment: the KPI queries
join money to it by (currency, day) so conversion happens inside PostgreSQL, and the rates service reads the same
fragment, so there is one implementation of the rule.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy import (
    ARRAY,
    BindParameter,
    Date,
    Numeric,
    Select,
    String,
    TextualSelect,
    Uuid,
    and_,
    bindparam,
    delete,
    or_,
    select,
    text,
    tuple_,
)
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from adpilot.core.pagination import DayPairKey, KeysetPage, PageRequest
from adpilot.exchange_rates.models import ExchangeRate

# Candidate rates of each currency into the quote currency: the organization's direct pair (currency -> quote), the
# inverse of its reverse pair (quote -> currency), then the shared reference rates' cross rate through the euro
# (both published per 1 EUR on the same day; EUR itself is stored as 1), each ranking below the one before on a day
# that has several: an organization's own rate overrides the reference rate of its day.
_CANDIDATES = """
    SELECT r.base_currency AS currency, r.day, r.rate, 0 AS preference
      FROM exchange_rates r
     WHERE r.organization_id = :organization_id AND r.quote_currency = :quote AND r.day <= :until{direct_filter}
    UNION ALL
    SELECT r.quote_currency AS currency, r.day, 1 / r.rate AS rate, 1 AS preference
      FROM exchange_rates r
     WHERE r.organization_id = :organization_id AND r.base_currency = :quote AND r.day <= :until{inverse_filter}
    UNION ALL
    SELECT c.currency, c.day, q.rate / c.rate AS rate, 2 AS preference
      FROM reference_rates c
      JOIN reference_rates q ON q.day = c.day AND q.currency = :quote
     WHERE c.currency <> :quote AND c.day <= :until{reference_filter}
"""

# Each rate holds from its day until the day before the currency's next rate (or the end of the range); the spans
# are then cut to the range and expanded to one row per day. Days before a currency's first rate have no row.
_BY_DAY = """
WITH candidates AS ({candidates}),
chosen AS (
    SELECT DISTINCT ON (currency, day) currency, day, rate
      FROM candidates
     ORDER BY currency, day, preference
),
spans AS (
    SELECT currency, rate,
           GREATEST(day, :since) AS first_day,
           LEAST(COALESCE(LEAD(day) OVER (PARTITION BY currency ORDER BY day) - 1, :until), :until) AS last_day
      FROM chosen
)
SELECT s.currency, s.first_day + g.offset_days AS day, s.rate
  FROM spans s
 CROSS JOIN LATERAL generate_series(0, s.last_day - s.first_day) AS g(offset_days)
 WHERE s.last_day >= s.first_day
UNION ALL
SELECT CAST(:quote AS varchar) AS currency, CAST(:since AS date) + g.offset_days AS day, CAST(1 AS numeric) AS rate
  FROM generate_series(0, CAST(:until AS date) - CAST(:since AS date)) AS g(offset_days){identity_filter}
"""


def _by_day_sql(filtered: bool) -> str:
    candidates = _CANDIDATES.format(
        direct_filter=" AND r.base_currency = ANY(:currencies)" if filtered else "",
        inverse_filter=" AND r.quote_currency = ANY(:currencies)" if filtered else "",
        reference_filter=" AND c.currency = ANY(:currencies)" if filtered else "",
    )
    identity_filter = " WHERE CAST(:quote AS varchar) = ANY(CAST(:currencies AS varchar[]))" if filtered else ""
    return _BY_DAY.format(candidates=candidates, identity_filter=identity_filter)


def exchange_rates_by_day_text(
    organization_id: UUID, quote: str, since: date, until: date, currencies: Sequence[str] | None
) -> tuple[str, dict[str, Any]]:
    """``exchange_rates_by_day`` (limited to ``currencies`` unless None) as SQL text with named parameters
    (``:organization_id``, ``:quote``, ``:since``, ``:until``, ``:currencies``) and their values, for a statement
    sent to the driver."""
    if since > until:
        raise ValueError(f"empty range {since}..{until}")
    values: dict[str, Any] = {"organization_id": organization_id, "quote": quote, "since": since, "until": until}
    if currencies is None:
        return _by_day_sql(False), values
    values["currencies"] = list(currencies)
    return _by_day_sql(True), values


def exchange_rates_by_day(
    organization_id: UUID, quote: str, since: date, until: date, currencies: Sequence[str] | None = None
) -> TextualSelect:
    """Rows ``(currency, day, rate)``: what 1 unit of ``currency`` is worth in ``quote`` on each day of the range.

    The rule (docs/analytics.md, "Exchange rates"): on each day a currency takes the rate of the latest day on or
    before it that has one. On that day the organization's direct pair (base = currency, quote = ``quote``) is
    preferred; otherwise the inverse of its reverse pair (base = ``quote``, quote = currency); otherwise the cross
    rate of the shared reference rates (``reference_rates``, per 1 EUR) published that day. A currency with
    no rate on or before a day has no row for that day (money needing it cannot be converted). ``quote`` itself is
    always present with rate 1.

    ``currencies`` limits the rows to those currencies (``quote`` appears only if listed); ``None`` gives every
    currency the organization has a rate for with ``quote``. The fragment is a plain SELECT: join it as a subquery
    or a CTE, for example ``rates = exchange_rates_by_day(...).cte("rates")`` then
    ``join(rates, and_(rates.c.currency == metrics.currency, rates.c.day == metrics.day))``. Its bound parameters
    are unique, so one statement may use it several times (a range and its comparison period).
    """
    if since > until:
        raise ValueError(f"empty range {since}..{until}")
    filtered = currencies is not None
    sql = _by_day_sql(filtered)
    parameters: list[BindParameter[Any]] = [
        bindparam("organization_id", organization_id, type_=Uuid(), unique=True),
        bindparam("quote", quote, type_=String(3), unique=True),
        bindparam("since", since, type_=Date(), unique=True),
        bindparam("until", until, type_=Date(), unique=True),
    ]
    if filtered:
        parameters.append(bindparam("currencies", list(currencies or ()), type_=ARRAY(String(3)), unique=True))
    return text(sql).bindparams(*parameters).columns(currency=String(3), day=Date(), rate=Numeric(asdecimal=True))


@dataclass(frozen=True, slots=True)
class RateFilter:
    """Which rates a list or an export shows: one currency (as base or quote) and a range of days."""

    currency: str | None = None
    since: date | None = None
    until: date | None = None


@dataclass(frozen=True, slots=True)
class RateRow:
    """One rate to write: 1 ``base`` = ``rate`` ``quote`` on ``day``."""

    day: date
    base: str
    quote: str
    rate: Decimal


@dataclass(frozen=True, slots=True)
class UpsertCounts:
    inserted: int
    updated: int


class RatesRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def scoped(self, organization_id: UUID, where: RateFilter) -> Select[ExchangeRate]:
        """Starting point of every read: the explicit tenant filter and the list's filters."""
        query = select(ExchangeRate).where(ExchangeRate.organization_id == organization_id)
        if where.currency is not None:
            query = query.where(
                or_(ExchangeRate.base_currency == where.currency, ExchangeRate.quote_currency == where.currency)
            )
        if where.since is not None:
            query = query.where(ExchangeRate.day >= where.since)
        if where.until is not None:
            query = query.where(ExchangeRate.day <= where.until)
        return query

    async def page(
        self, organization_id: UUID, where: RateFilter, page: PageRequest[DayPairKey]
    ) -> KeysetPage[ExchangeRate, DayPairKey]:
        """Newest day first, then by base and quote currency (a mixed order, so not a ``Keyset``)."""
        query = self.scoped(organization_id, where)
        if page.after is not None:
            day, base, quote = page.after
            query = query.where(
                or_(
                    ExchangeRate.day < day,
                    and_(
                        ExchangeRate.day == day,
                        tuple_(ExchangeRate.base_currency, ExchangeRate.quote_currency) > tuple_(base, quote),
                    ),
                )
            )
        query = query.order_by(ExchangeRate.day.desc(), ExchangeRate.base_currency, ExchangeRate.quote_currency).limit(
            page.limit + 1
        )
        rows = (await self.session.scalars(query)).all()
        return KeysetPage.of(rows, page, lambda rate: (rate.day, rate.base_currency, rate.quote_currency))

    async def export(self, organization_id: UUID, where: RateFilter, limit: int) -> list[ExchangeRate]:
        """Oldest day first (the order a CSV import reads naturally), at most ``limit`` rows."""
        query = self.scoped(organization_id, where).order_by(
            ExchangeRate.day, ExchangeRate.base_currency, ExchangeRate.quote_currency
        )
        return list((await self.session.scalars(query.limit(limit))).all())

    async def get_for_update(self, organization_id: UUID, base: str, quote: str, day: date) -> ExchangeRate | None:
        query = (
            select(ExchangeRate)
            .where(
                ExchangeRate.organization_id == organization_id,
                ExchangeRate.base_currency == base,
                ExchangeRate.quote_currency == quote,
                ExchangeRate.day == day,
            )
            .with_for_update()
        )
        return (await self.session.scalars(query)).first()

    async def upsert_one(
        self, organization_id: UUID, row: RateRow, *, source: str, user_id: UUID | None, now: datetime
    ) -> ExchangeRate:
        """Insert the rate or replace the one of the same (base, quote, day); race-free under concurrent writes."""
        values = insert(ExchangeRate).values(
            organization_id=organization_id,
            base_currency=row.base,
            quote_currency=row.quote,
            day=row.day,
            rate=row.rate,
            source=source,
            updated_by_user_id=user_id,
            updated_at=now,
        )
        statement = values.on_conflict_do_update(
            index_elements=["organization_id", "base_currency", "quote_currency", "day"],
            set_={
                "rate": values.excluded.rate,
                "source": values.excluded.source,
                "updated_by_user_id": values.excluded.updated_by_user_id,
                "updated_at": values.excluded.updated_at,
            },
        ).returning(ExchangeRate)
        result = await self.session.scalars(statement, execution_options={"populate_existing": True})
        saved: ExchangeRate = result.one()
        return saved

    async def delete(self, organization_id: UUID, base: str, quote: str, day: date) -> ExchangeRate | None:
        statement = (
            delete(ExchangeRate)
            .where(
                ExchangeRate.organization_id == organization_id,
                ExchangeRate.base_currency == base,
                ExchangeRate.quote_currency == quote,
                ExchangeRate.day == day,
            )
            .returning(ExchangeRate)
        )
        return (await self.session.scalars(statement)).first()

    async def upsert_many(
        self, organization_id: UUID, rows: Sequence[RateRow], *, source: str, user_id: UUID | None, now: datetime
    ) -> UpsertCounts:
        """Write many rates in one statement; a rate already stored with the same value is left alone.

        The rows travel as four arrays (one bind parameter each), so 50,000 rows are one round trip.
        """
        if not rows:
            return UpsertCounts(0, 0)
        # Key order: two imports touching the same rates lock them in the same order, so they queue, not deadlock.
        rows = sorted(rows, key=lambda row: (row.base, row.quote, row.day))
        statement = text(
            """
            INSERT INTO exchange_rates AS e
                (organization_id, base_currency, quote_currency, day, rate, source, updated_by_user_id, updated_at)
            SELECT CAST(:organization_id AS uuid), i.base, i.quote, i.day, i.rate, CAST(:source AS varchar),
                   CAST(:user_id AS uuid), CAST(:now AS timestamptz)
              FROM unnest(CAST(:bases AS varchar[]), CAST(:quotes AS varchar[]), CAST(:days AS date[]),
                          CAST(:rates AS numeric[])) AS i(base, quote, day, rate)
            ON CONFLICT (organization_id, base_currency, quote_currency, day) DO UPDATE
               SET rate = excluded.rate, source = excluded.source,
                   updated_by_user_id = excluded.updated_by_user_id, updated_at = excluded.updated_at
             WHERE e.rate IS DISTINCT FROM excluded.rate
            RETURNING (xmax = 0) AS inserted
            """
        ).bindparams(
            bindparam("organization_id", type_=Uuid()),
            bindparam("user_id", type_=Uuid()),
            bindparam("bases", type_=ARRAY(String(3))),
            bindparam("quotes", type_=ARRAY(String(3))),
            bindparam("days", type_=ARRAY(Date())),
            bindparam("rates", type_=ARRAY(Numeric())),
        )
        result = await self.session.execute(
            statement,
            {
                "organization_id": organization_id,
                "source": source,
                "user_id": user_id,
                "now": now,
                "bases": [row.base for row in rows],
                "quotes": [row.quote for row in rows],
                "days": [row.day for row in rows],
                "rates": [row.rate for row in rows],
            },
        )
        flags = [inserted for (inserted,) in result.all()]
        inserted = sum(1 for flag in flags if flag)
        return UpsertCounts(inserted=inserted, updated=len(flags) - inserted)

    async def rates_by_day(
        self, organization_id: UUID, quote: str, currencies: Sequence[str], since: date, until: date
    ) -> list[tuple[str, date, Decimal]]:
        fragment = exchange_rates_by_day(organization_id, quote, since, until, currencies)
        rows = await self.session.execute(fragment)
        return [(currency, day, rate) for currency, day, rate in rows.all()]
