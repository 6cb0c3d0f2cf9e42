"""Reference exchange rates: published daily rates per euro, fetched from a source in the format of the ECB's euro
reference rates and shared by every organization (docs/analytics.md, "Reference rates").

An organization's own rates (entered or imported, service/rates.py) override them on their day. The fetch runs every
minute as a cheap check and calls the source only when something is missing: a history file when an organization
has numbers in another currency on days before the stored history, the daily file once the next publication is due
(16:00 Frankfurt time on working days), the 90-day file when more than a day was missed. Rates already stored are
left alone unless the source changed them; what changed rebuilds the converted months of every organization whose
numbers use them.
"""

from __future__ import annotations

import asyncio
import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from typing import Literal
from uuid import UUID
from xml.etree import ElementTree
from zoneinfo import ZoneInfo

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from adpilot.config import ECB_RATES_URL, get_settings
from adpilot.core.logging import get_logger
from adpilot.core.time import utcnow
from adpilot.db import get_database, tenant_transaction
from adpilot.exchange_rates.repository.converted import ConvertedRepository
from adpilot.exchange_rates.repository.reference_rates import ForeignCurrencyHistory, ReferenceRatesRepository
from adpilot.jobs import enqueue
from adpilot.organizations import Permission, TenantContext, organization_service

log = get_logger(__name__)

# The job that checks for missing reference rates; its name keeps the prefix it was first registered with.
REFRESH_REFERENCE_RATES_JOB = "analytics.refresh_reference_rates"
# A check asked for because new days were synced goes ahead of scheduled platform work (higher runs first).
CHECK_NOW_PRIORITY = 10

DAILY_FILE = "eurofxref-daily.xml"
LAST_90_DAYS_FILE = "eurofxref-hist-90d.xml"
HISTORY_FILE = "eurofxref-hist.xml"
NAMESPACE = "{http://www.ecb.int/vocabulary/2002-08-01/eurofxref}"
FRANKFURT = ZoneInfo("Europe/Berlin")
PUBLICATION_TIME = time(16, 0)
# A needed day takes the last rate published on or before it: reach back over a weekend and Easter's four days.
CARRY_DAYS = 7
MAX_FILE_BYTES = 64 * 1024 * 1024
FETCH_TIMEOUT_SECONDS = 60.0
RETRY_AFTER_FAILURE = timedelta(minutes=15)
RECHECK_AFTER_NOTHING_NEW = timedelta(hours=1)
_CODE = re.compile(r"^[A-Z]{3}$")
_RATE_SCALE = Decimal("1e-12")
_RATE_LIMIT = Decimal("1e12")


class ReferenceRatesUnreadable(ValueError):
    """The source answered something that is not a file of reference rates."""


@dataclass(frozen=True, slots=True)
class RefreshResult:
    """What one refresh did: the file read (None when nothing was due), the days stored, the first changed day."""

    fetched: str | None
    days: int = 0
    changed_since: date | None = None
    organizations_reconverted: int = 0
    reason: str = ""


def parse_reference_rates(content: bytes) -> dict[date, dict[str, Decimal]]:
    """The rates per euro of an ECB-format XML file, by day: ``{day: {currency: rate}}``.

    A currency without a usable rate on a day (absent, not a positive number, or out of range) is left out of that
    day: a missing rate stays missing, never zero.
    """
    if b"<!DOCTYPE" in content[:4096].upper() or b"<!ENTITY" in content.upper():
        raise ReferenceRatesUnreadable("document type declarations are not accepted")
    try:
        root = ElementTree.fromstring(content)  # noqa: S314 - no DTD (refused above), so no entity expansion
    except ElementTree.ParseError as exc:
        raise ReferenceRatesUnreadable(f"not XML: {exc}") from None
    days: dict[date, dict[str, Decimal]] = {}
    for cube in root.iter(f"{NAMESPACE}Cube"):
        raw_day = cube.get("time")
        if raw_day is None:
            continue
        try:
            day = date.fromisoformat(raw_day)
        except ValueError:
            raise ReferenceRatesUnreadable(f"{raw_day!r} is not a date") from None
        rates: dict[str, Decimal] = {}
        for entry in cube.findall(f"{NAMESPACE}Cube"):
            currency, raw_rate = entry.get("currency", ""), entry.get("rate", "")
            if not _CODE.match(currency) or currency == "EUR":
                continue
            try:
                rate = Decimal(raw_rate)
            except InvalidOperation:
                continue
            if not rate.is_finite() or rate <= 0 or rate >= _RATE_LIMIT:
                continue
            rounded = rate.quantize(_RATE_SCALE, rounding=ROUND_HALF_EVEN)
            if rounded > 0:
                rates[currency] = rounded
        if rates:
            days[day] = rates
    if not days:
        raise ReferenceRatesUnreadable("no day with reference rates")
    return days


def latest_publication(now: datetime) -> date:
    """The newest working day (Monday to Friday) whose rates are due by ``now`` (16:00 Frankfurt time). Holidays are
    not known here: on one, the check finds nothing new and waits before asking again."""
    local = now.astimezone(FRANKFURT)
    day = local.date() if local.time() >= PUBLICATION_TIME else local.date() - timedelta(days=1)
    while day.weekday() >= 5:
        day -= timedelta(days=1)
    return day


def previous_working_day(day: date) -> date:
    day -= timedelta(days=1)
    while day.weekday() >= 5:
        day -= timedelta(days=1)
    return day


ReferenceSource = Literal["ecb", "sandbox", "custom"]


@dataclass(frozen=True, slots=True)
class ReferenceRatesStatus:
    source: ReferenceSource
    first_day: date | None
    last_day: date | None
    fetched_at: datetime | None
    failing: bool
    last_attempt_at: datetime | None


class ReferenceRateService:
    async def status(self, session: AsyncSession, tenant: TenantContext) -> ReferenceRatesStatus:
        """Where the reference rates come from, which days are stored and how the last fetch went."""
        tenant.require(Permission.analytics_read)
        settings = get_settings()
        source = settings.resolved_fx_rates_url
        kind: ReferenceSource = "custom" if settings.fx_rates_url else "ecb" if source == ECB_RATES_URL else "sandbox"
        repository = ReferenceRatesRepository(session)
        extent = await repository.extent()
        state = await repository.fetch_state(source)
        return ReferenceRatesStatus(
            source=kind,
            first_day=extent[0] if extent else None,
            last_day=extent[1] if extent else None,
            fetched_at=state.fetched_at if state else None,
            failing=bool(state and state.error),
            last_attempt_at=state.attempted_at if state else None,
        )

    async def queue_check(self, session: AsyncSession) -> None:
        """Queue a check for missing reference rates now, in the caller's transaction, ahead of scheduled platform
        work: days just synced in a foreign currency are converted as soon as their rates are stored, rather than at
        the next scheduled check behind the syncs."""
        await enqueue(session, REFRESH_REFERENCE_RATES_JOB, None, priority=CHECK_NOW_PRIORITY)

    async def refresh(self, now: datetime | None = None, client: httpx.AsyncClient | None = None) -> RefreshResult:
        """Fetch what is missing from the configured source, store it and reconvert what it changes (the body of the
        ``analytics.refresh_reference_rates`` job; its own transactions, none held across the download)."""
        now = now or utcnow()
        source = get_settings().resolved_fx_rates_url
        # Never a rate dated after today: not in UTC, nor in the source's own calendar.
        today = min(now.astimezone(UTC).date(), now.astimezone(FRANKFURT).date())
        async with get_database().transaction() as session:
            repository = ReferenceRatesRepository(session)
            needs = await repository.foreign_currency_history()
            state = await repository.fetch_state(source)
            extent = await repository.extent()
        if not needs:
            return RefreshResult(None, reason="no organization has numbers in another currency")
        needed_since = min(need.first_day for need in needs) - timedelta(days=CARRY_DAYS)
        failed_recently = (
            state is not None
            and state.error is not None
            and state.attempted_at is not None
            and now - state.attempted_at < RETRY_AFTER_FAILURE
        )
        if failed_recently and state is not None:
            return RefreshResult(None, reason=f"the last fetch failed ({state.error}); waiting before retrying")
        history = state is None or state.history_since is None or needed_since < state.history_since
        if history:
            name = LAST_90_DAYS_FILE if needed_since >= today - timedelta(days=85) else HISTORY_FILE
        else:
            latest = latest_publication(now)
            if extent is not None and extent[1] >= latest:
                return RefreshResult(None, reason="up to date")
            if (
                state is not None
                and state.attempted_at is not None
                and now - state.attempted_at < RECHECK_AFTER_NOTHING_NEW
            ):
                return RefreshResult(None, reason="nothing new at the last check; waiting before asking again")
            missed_more = extent is None or extent[1] < previous_working_day(latest)
            name = LAST_90_DAYS_FILE if missed_more else DAILY_FILE

        try:
            parsed = await self._download(source + name, client)
        except (httpx.HTTPError, ReferenceRatesUnreadable) as exc:
            error = f"{name}: {type(exc).__name__}: {exc}"[:500]
            log.warning("reference_rates.fetch_failed", source=source, file=name, error=error)
            async with get_database().transaction() as session:
                await ReferenceRatesRepository(session).record_fetch(
                    source, attempted_at=now, fetched=False, error=error
                )
            return RefreshResult(name, reason=error)

        rows: list[tuple[str, date, Decimal]] = []
        days = 0
        for day, rates in parsed.items():
            if day > today or day < needed_since:
                continue
            days += 1
            rows.append(("EUR", day, Decimal(1)))
            rows.extend((currency, day, rate) for currency, rate in rates.items())
        async with get_database().transaction() as session:
            repository = ReferenceRatesRepository(session)
            changed = await repository.upsert(rows, now)
            await repository.record_fetch(
                source, attempted_at=now, fetched=True, history_since=needed_since if history else None
            )
        reconverted = await self._reconvert(needs, changed) if changed is not None else 0
        log.info(
            "reference_rates.fetched", source=source, file=name, days=days, changed_since=changed, orgs=reconverted
        )
        return RefreshResult(name, days=days, changed_since=changed, organizations_reconverted=reconverted)

    @staticmethod
    async def _download(url: str, client: httpx.AsyncClient | None) -> dict[date, dict[str, Decimal]]:
        own = client is None
        http = client or httpx.AsyncClient(timeout=FETCH_TIMEOUT_SECONDS, follow_redirects=True)
        try:
            content = bytearray()
            async with http.stream("GET", url) as response:
                response.raise_for_status()
                async for chunk in response.aiter_bytes():
                    content += chunk
                    if len(content) > MAX_FILE_BYTES:
                        raise ReferenceRatesUnreadable(f"larger than {MAX_FILE_BYTES // (1024 * 1024)} MB")
        finally:
            if own:
                await http.aclose()
        # The full history is megabytes of XML: parse it off the event loop.
        return await asyncio.to_thread(parse_reference_rates, bytes(content))

    @staticmethod
    async def _reconvert(needs: list[ForeignCurrencyHistory], changed: date) -> int:
        """Rebuild the converted months of every currency the change may alter (through the euro, a change of any
        reference rate may alter any cross rate), one organization per tenant transaction. Returns how many."""
        by_organization: dict[UUID, list[ForeignCurrencyHistory]] = defaultdict(list)
        for need in needs:
            by_organization[need.organization_id].append(need)
        for organization_id, currencies in sorted(by_organization.items(), key=lambda item: str(item[0])):
            async with tenant_transaction(organization_id) as session:
                reporting = await organization_service.reporting_settings(session, organization_id)
                store = ConvertedRepository(session)
                for need in sorted(currencies, key=lambda need: need.currency):
                    await store.reconvert(
                        organization_id,
                        reporting.reporting_currency,
                        currency=need.currency,
                        since=max(changed, need.first_day),
                    )
        return len(by_organization)


reference_rates_service = ReferenceRateService()
