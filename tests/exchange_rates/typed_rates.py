"""Typed daily rates into USD for tests that convert with an organization's own rates (not the reference rates)."""

from __future__ import annotations

import math
from datetime import date, timedelta
from decimal import Decimal

from adpilot.exchange_rates.service.rates import RateRow

# Levels into USD of the sandbox accounts' other currencies: (level, relative swing, period in days).
TYPED_RATES = {
    "EUR": (Decimal("1.08"), 0.03, 40),
    "GBP": (Decimal("1.27"), 0.025, 55),
    "JPY": (Decimal("0.0067"), 0.0002, 30),
}


def demo_rates(until: date, days: int = 800) -> list[RateRow]:
    """Daily rates into USD for the last ``days`` days: plausible levels that drift a little, the same every run."""
    rows: list[RateRow] = []
    for offset in range(days):
        day = until - timedelta(days=offset)
        for currency, (level, swing, period) in TYPED_RATES.items():
            drift = Decimal(str(round(1 + swing * math.sin(day.toordinal() / period), 6)))
            rows.append(
                RateRow(day=day, base=currency, quote="USD", rate=(level * drift).quantize(Decimal("0.000001")))
            )
    return rows
