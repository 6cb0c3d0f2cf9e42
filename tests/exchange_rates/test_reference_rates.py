"""Reference exchange rates: fetched from a source in the ECB's format (the sandbox's offline copy here), shared by
every organization, backfilled for the synced history, overridden by an organization's own rates, and never zero
nor dated in the future."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from adpilot.config import get_settings
from adpilot.core.time import utcnow
from adpilot.db import Database
from adpilot.exchange_rates.service.reference_rates import (
    DAILY_FILE,
    HISTORY_FILE,
    LAST_90_DAYS_FILE,
    ReferenceRatesUnreadable,
    latest_publication,
    parse_reference_rates,
    previous_working_day,
    reference_rates_service,
)
from adpilot.platforms.types import EntityLevel, Platform
from adpilot.sandbox import ecb
from tests.fixtures import OrgWorld
from tests.metrics.helpers import add_ad_account, daily_row, ingest
from tests.sandbox_fixtures import SandboxServer

pytestmark = pytest.mark.usefixtures("database")

ENVELOPE = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<gesmes:Envelope xmlns:gesmes="http://www.gesmes.org/xml/2002-08-01" '
    'xmlns="http://www.ecb.int/vocabulary/2002-08-01/eurofxref">'
    "<gesmes:subject>Reference rates</gesmes:subject><Cube>{days}</Cube></gesmes:Envelope>"
)
SPEND = 10_000_000_000  # 10,000 units of the account's currency a day, in micros


@pytest.fixture
def ecb_source(sandbox_server: SandboxServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[SandboxServer]:
    """The product fetches reference rates from the sandbox's ECB files, served over loopback."""
    monkeypatch.setenv("ADPILOT_FX_RATES_URL", f"{sandbox_server.url}/ecb/stats/eurofxref/")
    get_settings.cache_clear()
    yield sandbox_server
    get_settings.cache_clear()


def published_before(day: date) -> date:
    """The sandbox's last publication on or before ``day``."""
    while not ecb.is_publication_day(day):
        day -= timedelta(days=1)
    return day


def per_euro(currency: str, day: date) -> Decimal:
    return Decimal(1) if currency == "EUR" else dict(ecb.rates_on(published_before(day)))[currency]


async def summary(client: httpx.AsyncClient, world: OrgWorld, since: date, until: date) -> dict[str, Any]:
    response = await client.get(
        f"/api/v1/orgs/{world.organization_id}/analytics/summary",
        params={"since": since.isoformat(), "until": until.isoformat()},
        headers=world.viewer.headers,
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def shop(database: Database, world: OrgWorld, first: date, last: date) -> None:
    """USD reporting; a JPY and a EUR account, one campaign each, SPEND every day from ``first`` to ``last``."""
    for currency, platform in (("JPY", Platform.google), ("EUR", Platform.meta)):
        account = await add_ad_account(database, world.organization_id, platform, currency)
        days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
        rows = [
            daily_row(EntityLevel.campaign, f"c-{currency}", day, spend_micros=SPEND, value_micros=0, currency=currency)
            for day in days
        ]
        await ingest(database, account, EntityLevel.campaign, first, last, rows)


def expected_spend(first: date, last: date, overrides: dict[tuple[str, date], Decimal] | None = None) -> Decimal:
    """The two accounts' spend in USD, converting each day with the cross rate of its last publication. An
    organization's rate for a day (``overrides``) holds on the days after it that have no publication, as the
    reference rate of that day would."""
    total = Decimal(0)
    day = first
    while day <= last:
        for currency in ("JPY", "EUR"):
            typed = (overrides or {}).get((currency, published_before(day)))
            rate = typed or per_euro("USD", day) / per_euro(currency, day)
            total += SPEND * rate
        day += timedelta(days=1)
    return total


async def stored_days(database: Database) -> list[date]:
    async with database.transaction() as session:
        rows = await session.execute(text("SELECT DISTINCT day FROM reference_rates ORDER BY day"))
        return [day for (day,) in rows.all()]


class TestParse:
    def test_reads_every_day_and_currency_in_the_ecb_namespace(self) -> None:
        content = ENVELOPE.format(
            days='<Cube time="2024-06-28"><Cube currency="USD" rate="1.0705"/><Cube currency="JPY" rate="171.94"/>'
            '</Cube><Cube time="2024-06-27"><Cube currency="USD" rate="1.0700"/></Cube>'
        ).encode()
        assert parse_reference_rates(content) == {
            date(2024, 6, 28): {"USD": Decimal("1.0705"), "JPY": Decimal("171.94")},
            date(2024, 6, 27): {"USD": Decimal("1.07")},
        }

    @pytest.mark.parametrize("rate", ["N/A", "0", "-1.2", "", "NaN", "Infinity", "1e13"])
    def test_a_rate_that_is_not_a_positive_number_stays_missing(self, rate: str) -> None:
        content = ENVELOPE.format(
            days=f'<Cube time="2024-06-28"><Cube currency="USD" rate="1.0705"/><Cube currency="RUB" rate="{rate}"/>'
            "</Cube>"
        ).encode()
        assert parse_reference_rates(content) == {date(2024, 6, 28): {"USD": Decimal("1.0705")}}

    def test_elements_outside_the_namespace_are_not_rates(self) -> None:
        content = b'<Envelope><Cube><Cube time="2024-06-28"><Cube currency="USD" rate="1.07"/></Cube></Cube></Envelope>'
        with pytest.raises(ReferenceRatesUnreadable):
            parse_reference_rates(content)

    @pytest.mark.parametrize(
        "content",
        [
            b"",
            b"<html>Service unavailable</html>",
            b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>',
            ENVELOPE.format(days='<Cube time="28/06/2024"><Cube currency="USD" rate="1.07"/></Cube>').encode(),
        ],
    )
    def test_anything_else_is_unreadable(self, content: bytes) -> None:
        with pytest.raises(ReferenceRatesUnreadable):
            parse_reference_rates(content)


class TestSandboxFiles:
    async def test_the_three_files_follow_the_ecb_calendar(self, sandbox_server: SandboxServer) -> None:
        # A Wednesday at 15:00 in Frankfurt: that day's rates are not published yet.
        sandbox_server.state.clock.freeze()
        moment = datetime(2026, 4, 8, 13, 0, tzinfo=UTC)
        sandbox_server.state.clock.advance((moment - sandbox_server.state.clock.now()).total_seconds())
        base = f"{sandbox_server.url}/ecb/stats/eurofxref/"
        async with httpx.AsyncClient() as http:
            daily = parse_reference_rates((await http.get(base + DAILY_FILE)).content)
            recent = parse_reference_rates((await http.get(base + LAST_90_DAYS_FILE)).content)
            history = parse_reference_rates((await http.get(base + HISTORY_FILE)).content)
        assert list(daily) == [date(2026, 4, 7)]
        assert max(recent) == max(history) == date(2026, 4, 7)
        assert min(history) == date(1999, 1, 4)
        assert min(recent) >= date(2026, 4, 7) - timedelta(days=90)
        # No weekend, no Good Friday (3 April 2026) and no Easter Monday (6 April).
        assert all(day.weekday() < 5 for day in history)
        assert date(2026, 4, 3) not in recent and date(2026, 4, 6) not in recent and date(2026, 4, 2) in recent
        assert (
            date(2025, 12, 25) not in history and date(2025, 12, 26) not in history and date(2026, 1, 1) not in history
        )
        assert set(daily[date(2026, 4, 7)]) >= {"USD", "GBP", "JPY"}
        assert "EUR" not in daily[date(2026, 4, 7)]
        assert recent[date(2026, 4, 2)] == history[date(2026, 4, 2)] == dict(ecb.rates_on(date(2026, 4, 2)))


class TestFetchAndConvert:
    async def test_a_new_organization_sees_converted_numbers_with_no_typed_rate(
        self, client: httpx.AsyncClient, world: OrgWorld, database: Database, ecb_source: SandboxServer
    ) -> None:
        today = utcnow().date()
        first, last = today - timedelta(days=40), today - timedelta(days=1)
        await shop(database, world, first, last)
        before = await summary(client, world, first, last)
        assert before["totals"]["spend_micros"] is None
        assert {gap["currency"] for gap in before["missing_rates"]} == {"JPY", "EUR"}

        result = await reference_rates_service.refresh()
        assert result.fetched == LAST_90_DAYS_FILE
        assert result.organizations_reconverted == 1

        after = await summary(client, world, first, last)
        assert after["missing_rates"] == []
        expected = expected_spend(first, last)
        assert abs(after["totals"]["spend_micros"] - expected) <= 2, (after["totals"], expected)
        # The history reaches back to the publication before the first day, and no further than needed.
        days = await stored_days(database)
        assert days[0] <= published_before(first) and days[0] >= first - timedelta(days=7)
        assert all(day <= today for day in days)

    async def test_weekends_and_holidays_carry_the_last_published_rate(
        self, client: httpx.AsyncClient, world: OrgWorld, database: Database, ecb_source: SandboxServer
    ) -> None:
        today = utcnow().date()
        first, last = today - timedelta(days=30), today - timedelta(days=1)
        await shop(database, world, first, last)
        await reference_rates_service.refresh()
        saturday = next(first + timedelta(days=n) for n in range(7) if (first + timedelta(days=n)).weekday() == 5)
        friday, sunday = saturday - timedelta(days=1), saturday + timedelta(days=1)
        assert friday not in (sunday, saturday) and saturday not in await stored_days(database)
        weekend = await summary(client, world, saturday, sunday)
        expected = 2 * SPEND * (per_euro("USD", friday) / per_euro("JPY", friday) + per_euro("USD", friday))
        assert abs(weekend["totals"]["spend_micros"] - expected) <= 2

    async def test_an_organization_rate_overrides_the_reference_rate_of_its_day(
        self, client: httpx.AsyncClient, world: OrgWorld, database: Database, ecb_source: SandboxServer
    ) -> None:
        today = utcnow().date()
        first, last = today - timedelta(days=20), today - timedelta(days=1)
        await shop(database, world, first, last)
        await reference_rates_service.refresh()
        typed_day = published_before(last - timedelta(days=3))
        response = await client.put(
            f"/api/v1/orgs/{world.organization_id}/exchange-rates/EUR/USD/{typed_day.isoformat()}",
            json={"rate": "2"},
            headers=world.manager.headers,
        )
        assert response.status_code == 200, response.text
        body = await summary(client, world, first, last)
        expected = expected_spend(first, last, {("EUR", typed_day): Decimal(2)})
        assert abs(body["totals"]["spend_micros"] - expected) <= 2

    async def test_rates_fetched_later_rebuild_the_converted_months(
        self, client: httpx.AsyncClient, world: OrgWorld, database: Database, ecb_source: SandboxServer
    ) -> None:
        """Whole past months are read from the converted monthly rollup: fetched rates must rebuild it."""
        today = utcnow().date()
        month_start = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
        first = (month_start - timedelta(days=1)).replace(day=1)
        last = month_start.replace(day=28)
        await shop(database, world, first, last)
        assert (await summary(client, world, first, last))["totals"]["spend_micros"] is None
        await reference_rates_service.refresh()
        body = await summary(client, world, first, last)
        assert abs(body["totals"]["spend_micros"] - expected_spend(first, last)) <= 2

    async def test_no_rate_is_dated_after_today(
        self, world: OrgWorld, database: Database, ecb_source: SandboxServer
    ) -> None:
        today = utcnow().date()
        await shop(database, world, today - timedelta(days=10), today - timedelta(days=1))
        ecb_source.state.clock.advance(5 * 86400)  # the source publishes days that have not come yet here
        await reference_rates_service.refresh()
        days = await stored_days(database)
        assert days and max(days) <= today

    async def test_nothing_is_fetched_when_up_to_date_and_the_daily_file_when_a_publication_is_due(
        self, world: OrgWorld, database: Database, ecb_source: SandboxServer
    ) -> None:
        now = utcnow()
        today = now.date()
        await shop(database, world, today - timedelta(days=10), today - timedelta(days=1))
        ecb_source.state.request_log.clear()
        first = await reference_rates_service.refresh(now)
        assert first.fetched == LAST_90_DAYS_FILE
        again = await reference_rates_service.refresh(now + timedelta(minutes=1))
        assert again.fetched is None
        # Days later the next publications are due: the daily file when only the newest is missing, else the
        # 90-day file (a day missed in between would otherwise carry an older rate).
        for days_later in (1, 4):
            moment = now + timedelta(days=days_later)
            ecb_source.state.clock.reset()
            ecb_source.state.clock.advance(days_later * 86400)
            stored = max(await stored_days(database))
            latest = latest_publication(moment)
            result = await reference_rates_service.refresh(moment)
            if stored >= latest:
                assert result.fetched is None
            else:
                assert result.fetched == (DAILY_FILE if stored >= previous_working_day(latest) else LAST_90_DAYS_FILE)
                assert max(await stored_days(database)) == ecb.latest_publication(moment)

    async def test_a_failing_source_leaves_rates_missing_and_is_retried_later(
        self,
        client: httpx.AsyncClient,
        world: OrgWorld,
        database: Database,
        sandbox_server: SandboxServer,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        monkeypatch.setenv("ADPILOT_FX_RATES_URL", f"{sandbox_server.url}/ecb/nothing-here/")
        get_settings.cache_clear()
        today = utcnow().date()
        first, last = today - timedelta(days=10), today - timedelta(days=1)
        await shop(database, world, first, last)
        now = utcnow()
        failed = await reference_rates_service.refresh(now)
        assert failed.fetched == LAST_90_DAYS_FILE and "404" in failed.reason
        assert (await summary(client, world, first, last))["totals"]["spend_micros"] is None
        assert (await reference_rates_service.refresh(now + timedelta(minutes=5))).fetched is None
        monkeypatch.setenv("ADPILOT_FX_RATES_URL", f"{sandbox_server.url}/ecb/stats/eurofxref/")
        get_settings.cache_clear()
        # A new source is asked at once; the fixed one answers and the numbers convert.
        assert (await reference_rates_service.refresh(now + timedelta(minutes=5))).fetched == LAST_90_DAYS_FILE
        body = await summary(client, world, first, last)
        assert abs(body["totals"]["spend_micros"] - expected_spend(first, last)) <= 2
        get_settings.cache_clear()


class TestStatusEndpoint:
    def url(self, organization_id: str) -> str:
        return f"/api/v1/orgs/{organization_id}/exchange-rates/reference"

    async def test_anonymous_is_unauthorized(self, client: httpx.AsyncClient, world: OrgWorld) -> None:
        assert (await client.get(self.url(world.organization_id))).status_code == 401

    async def test_another_organization_is_not_found(self, client: httpx.AsyncClient, world: OrgWorld) -> None:
        from tests.fixtures import create_organization

        other = await create_organization(client, world.admin, "Other")
        outsider = world.viewer
        response = await client.get(self.url(other), headers=outsider.headers)
        assert response.status_code == 404, response.text

    async def test_says_where_rates_come_from_and_which_days_are_stored(
        self, client: httpx.AsyncClient, world: OrgWorld, database: Database, ecb_source: SandboxServer
    ) -> None:
        before = await client.get(self.url(world.organization_id), headers=world.viewer.headers)
        assert before.status_code == 200, before.text
        assert before.json() == {
            "source": "custom",
            "first_day": None,
            "last_day": None,
            "fetched_at": None,
            "failing": False,
            "last_attempt_at": None,
        }
        today = utcnow().date()
        await shop(database, world, today - timedelta(days=10), today - timedelta(days=1))
        await reference_rates_service.refresh()
        body = (await client.get(self.url(world.organization_id), headers=world.viewer.headers)).json()
        assert body["last_day"] == ecb.latest_publication(utcnow()).isoformat()
        assert body["first_day"] <= (today - timedelta(days=10)).isoformat()
        assert body["fetched_at"] is not None and body["failing"] is False


class TestJob:
    async def test_the_periodic_job_fetches_through_the_worker(
        self, client: httpx.AsyncClient, world: OrgWorld, database: Database, ecb_source: SandboxServer
    ) -> None:
        from adpilot import jobs
        from adpilot.exchange_rates.service.reference_rates import REFRESH_REFERENCE_RATES_JOB
        from tests.campaigns.test_entity_sync import run_jobs

        assert f"{REFRESH_REFERENCE_RATES_JOB}.periodic" in jobs.app.tasks
        today = utcnow().date()
        first, last = today - timedelta(days=12), today - timedelta(days=1)
        await shop(database, world, first, last)
        async with database.transaction() as session:
            await jobs.enqueue(session, REFRESH_REFERENCE_RATES_JOB, None)
        await run_jobs(database)
        body = await summary(client, world, first, last)
        assert body["missing_rates"] == []
        assert abs(body["totals"]["spend_micros"] - expected_spend(first, last)) <= 2


def test_the_default_source_is_the_sandbox_when_it_is_served_and_the_ecb_otherwise() -> None:
    from adpilot.config import Environment, Settings

    development = Settings(_env_file=None, environment=Environment.development)
    assert development.resolved_fx_rates_url == f"{development.base_url}/sandbox/ecb/stats/eurofxref/"
    production = Settings(_env_file=None, environment=Environment.production)
    assert production.resolved_fx_rates_url == "https://www.ecb.europa.eu/stats/eurofxref/"
    pointed = Settings(_env_file=None, fx_rates_url="https://rates.example.com/eurofxref")
    assert pointed.resolved_fx_rates_url == "https://rates.example.com/eurofxref/"
