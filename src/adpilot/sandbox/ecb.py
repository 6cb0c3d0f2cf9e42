"""The ECB's euro foreign exchange reference rates, generated offline: the same files, paths and XML as
``https://www.ecb.europa.eu/stats/eurofxref/`` (daily, last 90 days, full history), served under
``/sandbox/ecb/stats/eurofxref/``.

Rates follow the ECB's calendar: one publication per TARGET working day (no weekends, no 1 January, Good Friday,
Easter Monday, 1 May, 25 and 26 December) at 16:00 Frankfurt time, by the sandbox clock, so today's rates appear in
the afternoon and never before. Each currency's rate per euro is a plausible level that drifts a little, the same
for a given day on every run, written with the ECB's five significant digits.
"""

from __future__ import annotations

import math
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from functools import lru_cache
from xml.sax.saxutils import quoteattr
from zoneinfo import ZoneInfo

from fastapi import FastAPI, Response

from adpilot.sandbox.state import SandboxState

FRANKFURT = ZoneInfo("Europe/Berlin")
PUBLICATION_TIME = time(16, 0)
HISTORY_START = date(1999, 1, 4)
HISTORY_90D_DAYS = 90

# Units of the currency per 1 EUR: (level, relative swing, period in days). USD, GBP and JPY are those of the demo's
# accounts; the others make the files look like the ECB's.
LEVELS: dict[str, tuple[Decimal, float, int]] = {
    "USD": (Decimal("1.0850"), 0.030, 40),
    "JPY": (Decimal("161.50"), 0.035, 30),
    "CZK": (Decimal("25.10"), 0.010, 70),
    "DKK": (Decimal("7.4600"), 0.001, 90),
    "GBP": (Decimal("0.85500"), 0.020, 55),
    "HUF": (Decimal("395.00"), 0.015, 45),
    "PLN": (Decimal("4.3000"), 0.012, 50),
    "SEK": (Decimal("11.300"), 0.015, 65),
    "CHF": (Decimal("0.95000"), 0.015, 75),
    "NOK": (Decimal("11.600"), 0.018, 60),
    "AUD": (Decimal("1.6500"), 0.020, 35),
    "BRL": (Decimal("5.9000"), 0.030, 25),
    "CAD": (Decimal("1.4800"), 0.015, 80),
    "CNY": (Decimal("7.8500"), 0.012, 85),
    "HKD": (Decimal("8.4500"), 0.030, 40),
    "INR": (Decimal("90.500"), 0.020, 50),
    "KRW": (Decimal("1480.0"), 0.020, 45),
    "MXN": (Decimal("19.800"), 0.030, 30),
    "NZD": (Decimal("1.8000"), 0.020, 55),
    "SGD": (Decimal("1.4500"), 0.010, 65),
    "ZAR": (Decimal("20.100"), 0.030, 35),
}
NAMESPACES = (
    'xmlns:gesmes="http://www.gesmes.org/xml/2002-08-01" xmlns="http://www.ecb.int/vocabulary/2002-08-01/eurofxref"'
)


def easter_sunday(year: int) -> date:
    """Gregorian Easter Sunday (the anonymous Gregorian algorithm)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = divmod(b, 4)
    g = (8 * b + 13) // 25
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    l_ = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * l_) // 451
    month, day = divmod(h + l_ - 7 * m + 114, 31)
    return date(year, month, day + 1)


def is_publication_day(day: date) -> bool:
    """A TARGET working day: Monday to Friday except the TARGET closing days."""
    if day.weekday() >= 5 or (day.month, day.day) in ((1, 1), (5, 1), (12, 25), (12, 26)):
        return False
    easter = easter_sunday(day.year)
    return day not in (easter - timedelta(days=2), easter + timedelta(days=1))


def latest_publication(now: datetime) -> date:
    """The day of the newest rates published by ``now`` (16:00 Frankfurt time on a working day)."""
    local = now.astimezone(FRANKFURT)
    day = local.date() if local.time() >= PUBLICATION_TIME else local.date() - timedelta(days=1)
    while not is_publication_day(day):
        day -= timedelta(days=1)
    return day


@lru_cache(maxsize=20_000)
def rates_on(day: date) -> tuple[tuple[str, Decimal], ...]:
    """Every currency's rate per euro published on ``day`` (five significant digits, as the ECB writes them)."""
    published: list[tuple[str, Decimal]] = []
    for currency, (level, swing, period) in LEVELS.items():
        drift = Decimal(str(round(1 + swing * math.sin(day.toordinal() / period), 6)))
        value = level * drift
        digits = 5 - value.adjusted() - 1
        published.append((currency, value.quantize(Decimal(1).scaleb(-digits))))
    return tuple(published)


def publication_days(since: date, until: date) -> list[date]:
    """Publication days from ``until`` back to ``since``, newest first (the order of the ECB's files)."""
    days: list[date] = []
    day = until
    while day >= since:
        if is_publication_day(day):
            days.append(day)
        day -= timedelta(days=1)
    return days


def reference_rates_xml(days: list[date]) -> str:
    """The ECB's XML envelope with one ``<Cube time>`` per day, in the order given."""
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f"<gesmes:Envelope {NAMESPACES}>",
        "\t<gesmes:subject>Reference rates</gesmes:subject>",
        "\t<gesmes:Sender>",
        "\t\t<gesmes:name>European Central Bank</gesmes:name>",
        "\t</gesmes:Sender>",
        "\t<Cube>",
    ]
    for day in days:
        lines.append(f"\t\t<Cube time={quoteattr(day.isoformat())}>")
        lines.extend(
            f"\t\t\t<Cube currency={quoteattr(currency)} rate={quoteattr(str(rate))}/>"
            for currency, rate in rates_on(day)
        )
        lines.append("\t\t</Cube>")
    lines += ["\t</Cube>", "</gesmes:Envelope>", ""]
    return "\n".join(lines)


def create_ecb_emulator(state: SandboxState) -> FastAPI:
    """The reference-rate files under ``/stats/eurofxref/`` (mount at ``/sandbox/ecb``)."""
    app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)

    def xml(days: list[date]) -> Response:
        return Response(reference_rates_xml(days), media_type="text/xml")

    @app.get("/stats/eurofxref/eurofxref-daily.xml")
    async def daily() -> Response:
        return xml([latest_publication(state.clock.now())])

    @app.get("/stats/eurofxref/eurofxref-hist-90d.xml")
    async def last_90_days() -> Response:
        latest = latest_publication(state.clock.now())
        return xml(publication_days(latest - timedelta(days=HISTORY_90D_DAYS), latest))

    @app.get("/stats/eurofxref/eurofxref-hist.xml")
    async def history() -> Response:
        return xml(publication_days(HISTORY_START, latest_publication(state.clock.now())))

    return app
