"""The exchange-rates module's read-only contract for other modules' SQL: the conversion rule as SQL fragments.

``exchange_rates_by_day`` (a SQLAlchemy selectable) and ``exchange_rates_by_day_text`` (SQL text with named
parameters) give rows ``(currency, day, rate)``: what one unit of ``currency`` is worth in the quote currency on
each day, the rule of docs/analytics.md. The reporting module's KPI queries join money to them by (currency, day),
so there is one implementation of the rule. ``CONVERTED_MONTHLY`` is the converted monthly campaign rollup they
read whole months from: (organization_id, ad_account_id, campaign_platform_id, month), reporting_currency, platform,
currency, the numbers (money unrounded ``numeric`` in ``reporting_currency``), first_unconverted_day and
last_unconverted_day (a row is usable only when it is in the current reporting currency and both are null).
Readers only select; the tables behind them stay private to this module.
"""

from __future__ import annotations

from typing import Final

from adpilot.exchange_rates.repository.rates import exchange_rates_by_day, exchange_rates_by_day_text

CONVERTED_MONTHLY: Final = "metrics_campaign_monthly_converted"

__all__ = ["CONVERTED_MONTHLY", "exchange_rates_by_day", "exchange_rates_by_day_text"]
