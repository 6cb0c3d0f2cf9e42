"""HTTP endpoints of exchange rates: list, set, delete, import and export as CSV."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request, Response, status

from adpilot.core.errors import NotAuthenticated, NotFound, PermissionDenied, problem_responses
from adpilot.core.pagination import DayPairCursorPage, InvalidCursor, Page, page_response
from adpilot.core.time import IsoDay
from adpilot.db import DbSession
from adpilot.exchange_rates.dependencies import CanManageExchangeRates, CanReadAnalytics
from adpilot.exchange_rates.models import ExchangeRate
from adpilot.exchange_rates.repository.rates import RateFilter
from adpilot.exchange_rates.schemas import (
    CurrencyCode,
    ExchangeRateImportResult,
    ExchangeRatePut,
    ExchangeRateRead,
    ReferenceRatesStatusRead,
)
from adpilot.exchange_rates.service.rates import (
    MAX_IMPORT_BYTES,
    ExchangeRateInvalid,
    ExchangeRateNotFound,
    ExchangeRatesCsvEmpty,
    ExchangeRatesCsvTooLarge,
    ExchangeRatesExportTooLarge,
    ExchangeRatesInvalid,
    format_rate,
    rates_service,
)
from adpilot.exchange_rates.service.reference_rates import reference_rates_service
from adpilot.organizations.errors import MfaRequired

router = APIRouter(prefix="/api/v1/orgs/{organization_id}/exchange-rates", tags=["exchange-rates"])
TENANT_ERRORS = (NotAuthenticated, NotFound, PermissionDenied, MfaRequired)
BaseCurrency = Annotated[CurrencyCode, Path(description="The currency one unit of which the rate prices.")]
QuoteCurrency = Annotated[CurrencyCode, Path(description="The currency the rate is expressed in.")]
Day = Annotated[IsoDay, Path(description="The day the rate holds from (YYYY-MM-DD).")]


async def rate_filter(
    currency: Annotated[
        CurrencyCode | None, Query(description="Only rates with this currency as base or quote.")
    ] = None,
    since: Annotated[IsoDay | None, Query(description="First day (inclusive).")] = None,
    until: Annotated[IsoDay | None, Query(description="Last day (inclusive).")] = None,
) -> RateFilter:
    return RateFilter(currency=currency, since=since, until=until)


Filter = Annotated[RateFilter, Depends(rate_filter)]


def rate_read(rate: ExchangeRate) -> ExchangeRateRead:
    return ExchangeRateRead(
        base=rate.base_currency,
        quote=rate.quote_currency,
        day=rate.day,
        rate=format_rate(rate.rate),
        source=rate.source,
        updated_at=rate.updated_at,
        updated_by_user_id=rate.updated_by_user_id,
    )


@router.get(
    "",
    response_model=Page[ExchangeRateRead],
    responses=problem_responses(*TENANT_ERRORS, InvalidCursor, ExchangeRateInvalid),
)
async def list_exchange_rates(
    tenant: CanReadAnalytics, session: DbSession, where: Filter, paging: DayPairCursorPage
) -> Response:
    """The organization's exchange rates, newest day first; filter by a currency and a range of days."""
    page = await rates_service.list_rates(session, tenant, where, paging)
    return page_response(ExchangeRateRead, page.map(rate_read))


@router.get("/reference", responses=problem_responses(*TENANT_ERRORS))
async def get_reference_rates_status(tenant: CanReadAnalytics, session: DbSession) -> ReferenceRatesStatusRead:
    """The shared daily reference rates: their source, the days stored and how the last fetch went."""
    status_ = await reference_rates_service.status(session, tenant)
    return ReferenceRatesStatusRead(
        source=status_.source,
        first_day=status_.first_day,
        last_day=status_.last_day,
        fetched_at=status_.fetched_at,
        failing=status_.failing,
        last_attempt_at=status_.last_attempt_at,
    )


@router.get(
    "/export.csv",
    response_class=Response,
    responses={
        200: {"content": {"text/csv": {"schema": {"type": "string"}}}, "description": "date,base,quote,rate"},
        **problem_responses(*TENANT_ERRORS, ExchangeRateInvalid, ExchangeRatesExportTooLarge),
    },
)
async def export_exchange_rates(tenant: CanReadAnalytics, session: DbSession, where: Filter) -> Response:
    """The rates as a CSV file in the import's format (date,base,quote,rate), oldest day first."""
    content = await rates_service.export_csv(session, tenant, where)
    return Response(
        content,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="exchange-rates.csv"'},
    )


@router.post(
    "/import",
    openapi_extra={
        "requestBody": {
            "required": True,
            "description": (
                "A CSV file (UTF-8) with the header date,base,quote,rate and at most 50,000 rates, for example "
                "`2026-01-31,EUR,USD,1.0842`."
            ),
            "content": {"text/csv": {"schema": {"type": "string"}}},
        }
    },
    responses=problem_responses(*TENANT_ERRORS, ExchangeRatesCsvEmpty, ExchangeRatesCsvTooLarge, ExchangeRatesInvalid),
)
async def import_exchange_rates(
    request: Request, tenant: CanManageExchangeRates, session: DbSession
) -> ExchangeRateImportResult:
    """Import rates from CSV: all or nothing; every bad line is reported with its line number."""
    content = bytearray()
    async for chunk in request.stream():
        content += chunk
        if len(content) > MAX_IMPORT_BYTES:
            raise ExchangeRatesCsvTooLarge()
    result = await rates_service.import_csv(session, tenant, bytes(content))
    return ExchangeRateImportResult(
        rows=result.rows,
        inserted=result.inserted,
        updated=result.updated,
        unchanged=result.unchanged,
        since=result.since,
        until=result.until,
        currencies=result.currencies,
    )


@router.put(
    "/{base}/{quote}/{day}",
    responses=problem_responses(*TENANT_ERRORS, ExchangeRateInvalid),
)
async def put_exchange_rate(
    base: BaseCurrency,
    quote: QuoteCurrency,
    day: Day,
    body: ExchangeRatePut,
    tenant: CanManageExchangeRates,
    session: DbSession,
) -> ExchangeRateRead:
    """Set how much one unit of the base currency is worth in the quote currency on a day (creates or replaces)."""
    return rate_read(await rates_service.put(session, tenant, base, quote, day, body.rate))


@router.delete(
    "/{base}/{quote}/{day}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(*TENANT_ERRORS, ExchangeRateNotFound),
)
async def delete_exchange_rate(
    base: BaseCurrency, quote: QuoteCurrency, day: Day, tenant: CanManageExchangeRates, session: DbSession
) -> None:
    """Delete the rate of a currency pair on a day."""
    await rates_service.delete(session, tenant, base, quote, day)
