"""Exchange rates: the organization's own daily rates between currencies, entered or imported from CSV.

Money of ad accounts in another currency than the organization's reporting currency is converted with the shared
reference rates (service/reference_rates.py), which these override on their day (docs/analytics.md, "Exchange
rates").
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from enum import StrEnum
from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from adpilot.audit import Actor, audit_service
from adpilot.core.currencies import is_known_currency
from adpilot.core.errors import AppError, FieldError, NotFound
from adpilot.core.pagination import DayPairKey, KeysetPage, PageRequest
from adpilot.core.time import utcnow
from adpilot.exchange_rates.models import ExchangeRate
from adpilot.exchange_rates.repository.converted import ConvertedRepository
from adpilot.exchange_rates.repository.rates import RateFilter, RatesRepository
from adpilot.exchange_rates.repository.rates import RateRow as RateRow  # public: what import_rows takes
from adpilot.organizations import Permission, TenantContext, organization_service

MAX_IMPORT_ROWS = 50_000
MAX_IMPORT_BYTES = 8 * 1024 * 1024
# More rows than an export may hold: narrow the range or the currency instead.
MAX_EXPORT_ROWS = 200_000
# A file with thousands of bad lines is answered with the first ones (and the total), not megabytes of errors.
MAX_REPORTED_ERRORS = 500
CSV_COLUMNS = ("date", "base", "quote", "rate")

_RATE_SCALE = Decimal("1e-12")
_RATE_LIMIT = Decimal("1e12")
_ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class RateSource(StrEnum):
    manual = "manual"
    csv = "csv"


class ExchangeRateNotFound(NotFound):
    code = "exchange-rate-not-found"
    title = "Exchange rate not found"


class ExchangeRateInvalid(AppError):
    """A rate or a list query that the request's schema could not refuse on its own (base = quote, since > until)."""

    status_code = 422
    code = "exchange-rate-invalid"
    title = "The exchange rate is invalid"


class ExchangeRatesCsvEmpty(AppError):
    status_code = 400
    code = "exchange-rates-csv-empty"
    title = "The file is empty; send a CSV file with the header date,base,quote,rate"


class ExchangeRatesCsvTooLarge(AppError):
    status_code = 413
    code = "exchange-rates-csv-too-large"
    title = f"The file is larger than {MAX_IMPORT_BYTES // (1024 * 1024)} MB"


class ExchangeRatesInvalid(AppError):
    """An import with invalid rows: nothing was written; ``errors`` locate each bad line and field."""

    status_code = 422
    code = "exchange-rates-invalid"
    title = "Some rates are invalid; nothing was imported"


class ExchangeRatesExportTooLarge(AppError):
    status_code = 400
    code = "exchange-rates-export-too-large"
    title = f"More than {MAX_EXPORT_ROWS:,} rates match; narrow the range or choose a currency"


@dataclass(frozen=True, slots=True)
class ImportResult:
    rows: int
    inserted: int
    updated: int
    unchanged: int
    since: date
    until: date
    currencies: list[str]


def format_rate(rate: Decimal) -> str:
    """A stored rate as plain decimal text without trailing zeros ("1.0842", "150", never "1.5E+2")."""
    text = format(rate, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def normalize_rate(value: Decimal) -> Decimal:
    """The rate as stored (12 decimals, half-even); ValueError with a reason when it cannot be stored."""
    if not value.is_finite():
        raise ValueError("must be a finite number")
    if value <= 0:
        raise ValueError("must be greater than zero")
    if value >= _RATE_LIMIT:
        raise ValueError("must be less than 1,000,000,000,000")
    rounded = value.quantize(_RATE_SCALE, rounding=ROUND_HALF_EVEN)
    if rounded == 0:
        raise ValueError("is too small: it rounds to zero at 12 decimals")
    return rounded


def _invalid_rows(errors: list[FieldError], total: int, what: str) -> ExchangeRatesInvalid:
    shown = errors[:MAX_REPORTED_ERRORS]
    detail = f"{total} {what} invalid" if total != 1 else f"1 {what.removesuffix('s are')} is invalid"
    if total > len(shown):
        detail += f"; the first {len(shown)} are listed"
    return ExchangeRatesInvalid(detail + ".", errors=[error.model_dump() for error in shown], invalid_count=total)


class _RowChecker:
    """Checks rows one by one, remembering each (base, quote, day) to refuse a second rate for the same key."""

    def __init__(self) -> None:
        self.seen: dict[tuple[str, str, date], int | str] = {}

    def check(
        self, where: list[str | int], fields: dict[str, str], errors: list[FieldError], label: int | str
    ) -> RateRow | None:
        found: list[FieldError] = []

        def fail(field: str, message: str, kind: str) -> None:
            found.append(FieldError(loc=[*where, field], msg=message, type=kind))

        day: date | None = None
        raw_day = fields["date"].strip()
        try:
            if not _ISO_DAY.match(raw_day):
                raise ValueError
            day = date.fromisoformat(raw_day)
        except ValueError:
            fail("date", f"{raw_day!r} is not a date written YYYY-MM-DD", "date_invalid")
        codes: dict[str, str] = {}
        for field in ("base", "quote"):
            code = fields[field].strip().upper()
            if is_known_currency(code):
                codes[field] = code
            else:
                fail(field, f"{fields[field].strip()!r} is not an ISO 4217 currency code", "currency_invalid")
        if len(codes) == 2 and codes["base"] == codes["quote"]:
            fail("quote", "must differ from the base currency", "same_currency")
        rate: Decimal | None = None
        raw_rate = fields["rate"].strip()
        try:
            rate = normalize_rate(Decimal(raw_rate))
        except InvalidOperation:
            fail("rate", f"{raw_rate!r} is not a decimal number (write 1.0842, with a point)", "rate_invalid")
        except ValueError as exc:
            fail("rate", f"{raw_rate!r} {exc}", "rate_invalid")
        if found or day is None or rate is None:
            errors.extend(found)
            return None
        key = (codes["base"], codes["quote"], day)
        first = self.seen.setdefault(key, label)
        if first != label:
            errors.append(
                FieldError(
                    loc=[*where, "date"],
                    msg=f"a second rate for {key[0]}/{key[1]} on {day.isoformat()} (first at {first})",
                    type="duplicate_rate",
                )
            )
            return None
        return RateRow(day=day, base=codes["base"], quote=codes["quote"], rate=rate)


def parse_rates_csv(content: bytes) -> list[RateRow]:
    """The rates of a CSV file (header ``date,base,quote,rate`` in any order), or every bad line's errors.

    Line numbers count the file's lines, the header being line 1. Blank lines are skipped.
    """
    if not content.strip():
        raise ExchangeRatesCsvEmpty()
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _invalid_rows(
            [FieldError(loc=["body"], msg=f"the file is not UTF-8 text (byte {exc.start + 1})", type="encoding")],
            1,
            "lines are",
        ) from None
    reader = csv.reader(io.StringIO(text, newline=""))
    errors: list[FieldError] = []
    header: list[str] | None = None
    rows: list[RateRow] = []
    checker = _RowChecker()
    invalid_lines = 0
    line = 0
    try:
        for record in reader:
            line_start, line = line + 1, reader.line_num
            if not any(field.strip() for field in record):
                continue
            if header is None:
                header = [name.strip().lower() for name in record]
                missing = [name for name in CSV_COLUMNS if name not in header]
                unknown = [name for name in header if name not in CSV_COLUMNS]
                repeated = {name for name in header if header.count(name) > 1}
                if missing or unknown or repeated:
                    problems = [f"missing {', '.join(missing)}"] if missing else []
                    problems += [f"unknown {', '.join(unknown)}"] if unknown else []
                    problems += [f"repeated {', '.join(sorted(repeated))}"] if repeated else []
                    message = f"the header must name the columns date,base,quote,rate ({'; '.join(problems)})"
                    raise _invalid_rows(
                        [FieldError(loc=["body", line_start, "header"], msg=message, type="header")], 1, "lines are"
                    )
                continue
            if len(rows) + invalid_lines >= MAX_IMPORT_ROWS:
                raise _invalid_rows(
                    [
                        FieldError(
                            loc=["body", line_start],
                            msg=f"the file has more than {MAX_IMPORT_ROWS:,} rates; split it into several files",
                            type="too_many_rows",
                        )
                    ],
                    1,
                    "lines are",
                )
            if len(record) != len(header):
                errors.append(
                    FieldError(
                        loc=["body", line_start],
                        msg=f"expected {len(header)} fields ({','.join(header)}), found {len(record)}",
                        type="field_count",
                    )
                )
                invalid_lines += 1
                continue
            row = checker.check(
                ["body", line_start], dict(zip(header, record, strict=True)), errors, f"line {line_start}"
            )
            if row is None:
                invalid_lines += 1
                continue
            rows.append(row)
    except csv.Error as exc:
        errors.append(FieldError(loc=["body", line + 1], msg=f"unreadable CSV: {exc}", type="csv"))
        invalid_lines += 1
    if header is None:
        raise ExchangeRatesCsvEmpty()
    if invalid_lines:
        raise _invalid_rows(errors, invalid_lines, "lines are")
    if not rows:
        raise _invalid_rows(
            [FieldError(loc=["body", 2], msg="the file has a header but no rates", type="no_rows")], 1, "lines are"
        )
    return rows


class ExchangeRateService:
    # --- people, through the API --------------------------------------------------------------------------

    async def list_rates(
        self, session: AsyncSession, tenant: TenantContext, where: RateFilter, page: PageRequest[DayPairKey]
    ) -> KeysetPage[ExchangeRate, DayPairKey]:
        """The organization's rates, newest day first (then by base and quote currency)."""
        tenant.require(Permission.analytics_read)
        self._check_range(where)
        return await RatesRepository(session).page(tenant.organization_id, where, page)

    async def export_csv(self, session: AsyncSession, tenant: TenantContext, where: RateFilter) -> str:
        """The rates as CSV in the import's format (oldest day first), so an export imports back unchanged."""
        tenant.require(Permission.analytics_read)
        self._check_range(where)
        rates = await RatesRepository(session).export(tenant.organization_id, where, MAX_EXPORT_ROWS + 1)
        if len(rates) > MAX_EXPORT_ROWS:
            raise ExchangeRatesExportTooLarge()
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(CSV_COLUMNS)
        for rate in rates:
            writer.writerow((rate.day.isoformat(), rate.base_currency, rate.quote_currency, format_rate(rate.rate)))
        return out.getvalue()

    async def put(
        self, session: AsyncSession, tenant: TenantContext, base: str, quote: str, day: date, rate: Decimal
    ) -> ExchangeRate:
        """Set the rate of one pair on one day (creating or replacing it)."""
        tenant.require(Permission.exchange_rates_manage)
        if base == quote:
            raise ExchangeRateInvalid(
                "The base and quote currencies must differ.",
                errors=[
                    FieldError(
                        loc=["path", "quote"], msg="must differ from the base currency", type="same_currency"
                    ).model_dump()
                ],
            )
        try:
            stored = normalize_rate(rate)
        except ValueError as exc:
            raise ExchangeRateInvalid(
                f"The rate {exc}.",
                errors=[FieldError(loc=["body", "rate"], msg=str(exc), type="rate_invalid").model_dump()],
            ) from None
        repository = RatesRepository(session)
        previous = await repository.get_for_update(tenant.organization_id, base, quote, day)
        before = {"rate": format_rate(previous.rate), "source": previous.source} if previous else None
        saved = await repository.upsert_one(
            tenant.organization_id,
            RateRow(day=day, base=base, quote=quote, rate=stored),
            source=RateSource.manual,
            user_id=tenant.user_id,
            now=utcnow(),
        )
        after = {"rate": format_rate(saved.rate), "source": saved.source}
        if after != before:
            await _reconvert(session, tenant.organization_id, [RateRow(day=day, base=base, quote=quote, rate=stored)])
            await audit_service.record(
                session,
                tenant.organization_id,
                tenant.actor,
                "exchange_rate.set",
                target_type="exchange_rate",
                target_id=f"{base}/{quote}/{day.isoformat()}",
                before=before,
                after=after,
            )
        return saved

    async def delete(self, session: AsyncSession, tenant: TenantContext, base: str, quote: str, day: date) -> None:
        """Delete the rate of one pair on one day."""
        tenant.require(Permission.exchange_rates_manage)
        deleted = await RatesRepository(session).delete(tenant.organization_id, base, quote, day)
        if deleted is None:
            raise ExchangeRateNotFound(f"No {base}/{quote} rate on {day.isoformat()}.")
        await _reconvert(session, tenant.organization_id, [RateRow(day=day, base=base, quote=quote, rate=deleted.rate)])
        await audit_service.record(
            session,
            tenant.organization_id,
            tenant.actor,
            "exchange_rate.deleted",
            target_type="exchange_rate",
            target_id=f"{base}/{quote}/{day.isoformat()}",
            before={"rate": format_rate(deleted.rate), "source": deleted.source},
        )

    async def import_csv(self, session: AsyncSession, tenant: TenantContext, content: bytes) -> ImportResult:
        """Import a CSV file of rates: every line valid, or nothing written and every bad line reported."""
        tenant.require(Permission.exchange_rates_manage)
        if len(content) > MAX_IMPORT_BYTES:
            raise ExchangeRatesCsvTooLarge()
        rows = parse_rates_csv(content)
        return await self._write(session, tenant.organization_id, rows, source=RateSource.csv, actor=tenant.actor)

    # --- other modules, jobs and the demo (no person) ------------------------------------------------------

    async def import_rows(
        self,
        session: AsyncSession,
        organization_id: UUID,
        rows: Iterable[RateRow],
        *,
        source: RateSource,
        actor: Actor,
    ) -> ImportResult:
        """Write rates for an organization (all or nothing), audited as one import by ``actor``.

        The rows are checked like a CSV file's (known codes, base ≠ quote, a positive rate, one rate per pair and
        day); ExchangeRatesInvalid locates bad rows as ``["rows", index, field]``. Importing the same rows again
        changes nothing.
        """
        checker = _RowChecker()
        errors: list[FieldError] = []
        checked: list[RateRow] = []
        invalid = 0
        for index, row in enumerate(rows):
            fields = {"date": row.day.isoformat(), "base": row.base, "quote": row.quote, "rate": str(row.rate)}
            valid = checker.check(["rows", index], fields, errors, f"row {index}")
            if valid is None:
                invalid += 1
            else:
                checked.append(valid)
        if invalid:
            raise _invalid_rows(errors, invalid, "rows are")
        if not checked:
            raise _invalid_rows([FieldError(loc=["rows"], msg="no rates", type="no_rows")], 1, "rows are")
        if len(checked) > MAX_IMPORT_ROWS:
            raise _invalid_rows(
                [FieldError(loc=["rows"], msg=f"more than {MAX_IMPORT_ROWS:,} rates", type="too_many_rows")],
                1,
                "rows are",
            )
        return await self._write(session, organization_id, checked, source=source, actor=actor)

    async def latest_rates(
        self,
        session: AsyncSession,
        organization_id: UUID,
        quote: str,
        currencies: Sequence[str],
        since: date,
        until: date,
    ) -> dict[tuple[str, date], Decimal]:
        """For each (currency, day) of the range, what 1 unit of the currency is worth in ``quote``.

        The rule of docs/analytics.md: the day's rate or the latest one before it, the direct pair preferred over
        the inverse of the reverse pair. A (currency, day) without any rate on or before the day is absent;
        ``quote`` itself is 1.
        """
        if since > until:
            raise ValueError(f"empty range {since}..{until}")
        wanted = sorted(set(currencies))
        if not wanted:
            return {}
        rows = await RatesRepository(session).rates_by_day(organization_id, quote, wanted, since, until)
        return {(currency, day): rate for currency, day, rate in rows}

    # --- shared ---------------------------------------------------------------------------------------------

    @staticmethod
    def _check_range(where: RateFilter) -> None:
        if where.since is not None and where.until is not None and where.since > where.until:
            raise ExchangeRateInvalid(
                "The range ends before it starts.",
                errors=[FieldError(loc=["query", "until"], msg="must not be before since", type="range").model_dump()],
            )

    async def _write(
        self, session: AsyncSession, organization_id: UUID, rows: list[RateRow], *, source: RateSource, actor: Actor
    ) -> ImportResult:
        counts = await RatesRepository(session).upsert_many(
            organization_id, rows, source=source, user_id=actor.user_id, now=utcnow()
        )
        if counts.inserted or counts.updated:
            await _reconvert(session, organization_id, rows)
        currencies = sorted({row.base for row in rows} | {row.quote for row in rows})
        result = ImportResult(
            rows=len(rows),
            inserted=counts.inserted,
            updated=counts.updated,
            unchanged=len(rows) - counts.inserted - counts.updated,
            since=min(row.day for row in rows),
            until=max(row.day for row in rows),
            currencies=currencies,
        )
        summary: dict[str, Any] = {
            "source": str(source),
            "rows": result.rows,
            "inserted": result.inserted,
            "updated": result.updated,
            "unchanged": result.unchanged,
            "since": result.since.isoformat(),
            "until": result.until.isoformat(),
            "currencies": currencies,
        }
        await audit_service.record(
            session, organization_id, actor, "exchange_rates.imported", target_type="exchange_rates", after=summary
        )
        return result


async def _reconvert(session: AsyncSession, organization_id: UUID, rows: Sequence[RateRow]) -> None:
    """Rates written or deleted: the converted campaign months they may change are rebuilt in the same transaction.

    Only pairs with the reporting currency convert anything; a currency's months are rebuilt from its earliest
    changed day on (a rate holds until the currency's next one, so later months may change too).
    """
    reporting = (await organization_service.reporting_settings(session, organization_id)).reporting_currency
    earliest: dict[str, date] = {}
    for row in rows:
        other = row.base if row.quote == reporting else row.quote if row.base == reporting else None
        if other is not None and (other not in earliest or row.day < earliest[other]):
            earliest[other] = row.day
    repository = ConvertedRepository(session)
    for currency, since in sorted(earliest.items()):
        await repository.reconvert(organization_id, reporting, currency=currency, since=since)


rates_service = ExchangeRateService()
