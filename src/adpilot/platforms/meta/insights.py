"""How Meta's insights and budgets become the product's numbers (the adapter's translation of them).

Conversions — one canonical action type, never a sum
----------------------------------------------------
Insights report one purchase under several overlapping action types at once (``omni_purchase`` — every channel —,
``purchase``, ``offsite_conversion.fb_pixel_purchase``, ``onsite_web_purchase``...). Summing them counts the same
purchase two or three times. For each row the adapter takes exactly one type, the first present in the list for the
campaign's objective (the row's ``objective`` field):

* leads (``OUTCOME_LEADS``, ``LEAD_GENERATION``): ``lead``, else ``onsite_conversion.lead_grouped``, else
  ``offsite_conversion.fb_pixel_lead``;
* app promotion (``OUTCOME_APP_PROMOTION``, ``APP_INSTALLS``, ``MOBILE_APP_INSTALLS``): ``omni_app_install``, else
  ``mobile_app_install``;
* every other objective: ``omni_purchase``, else ``purchase``, else ``offsite_conversion.fb_pixel_purchase``.

The conversion value is the ``action_values`` entry of that same type (zero when absent). The chosen type is kept in
``DailyMetricsRow.extras["conversion_action_type"]`` so a report can say what "conversions" means for each row.
Numbers use the attribution that Ads Manager shows (``use_unified_attribution_setting=true``). Hourly rows (the
``hourly_stats_aggregated_by_advertiser_time_zone`` breakdown) choose their conversions the same way.

Clicks
------
Meta's ``clicks`` are all clicks ("Clicks (all)": link clicks plus likes, comments, profile and "see more" clicks).
The product's ``clicks`` are the clicks every platform counts alike, clicks to the ad's destination, so they are
``inline_link_clicks`` (Ads Manager's "Link clicks", on which its CPC is based); Meta's ``clicks`` go to
``all_clicks``. Hourly rows read both the same way.

Money
-----
Budgets are integers in the currency's minor unit with Meta's own offset (100 for USD, 1 for JPY and the other
currencies in ``ZERO_DECIMAL_CURRENCIES``); insights money (``spend``, ``action_values``) is a decimal string in major
units. Both become integer micros; a budget that the currency cannot express exactly is refused, never rounded.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from pydantic import ValidationError

from adpilot.platforms.errors import PlatformRejected, PlatformUnavailable
from adpilot.platforms.meta.payloads import ActionStat, InsightsRow
from adpilot.platforms.types import MICROS, DailyMetricsRow, EntityLevel, HourlyMetricsRow, Money, to_micros

# developers.facebook.com/docs/marketing-api/currencies: the currencies whose budget offset is 1 (no minor unit);
# every other supported currency has offset 100.
ZERO_DECIMAL_CURRENCIES = frozenset({"CLP", "COP", "CRC", "HUF", "ISK", "IDR", "JPY", "KRW", "PYG", "TWD", "VND"})

PURCHASE_ACTION_TYPES = ("omni_purchase", "purchase", "offsite_conversion.fb_pixel_purchase")
LEAD_ACTION_TYPES = ("lead", "onsite_conversion.lead_grouped", "offsite_conversion.fb_pixel_lead")
APP_INSTALL_ACTION_TYPES = ("omni_app_install", "mobile_app_install")
_CONVERSION_TYPES_BY_OBJECTIVE: Mapping[str, tuple[str, ...]] = {
    "OUTCOME_LEADS": LEAD_ACTION_TYPES,
    "LEAD_GENERATION": LEAD_ACTION_TYPES,
    "OUTCOME_APP_PROMOTION": APP_INSTALL_ACTION_TYPES,
    "APP_INSTALLS": APP_INSTALL_ACTION_TYPES,
    "MOBILE_APP_INSTALLS": APP_INSTALL_ACTION_TYPES,
}


def currency_offset(currency: str) -> int:
    """How many budget units make one unit of ``currency`` on Meta (1 for JPY, 100 for USD)."""
    return 1 if currency.upper() in ZERO_DECIMAL_CURRENCIES else 100


def minor_to_money(amount: str | None, currency: str) -> Money | None:
    """A budget as Meta returns it (``"5000"`` minor units) in micros; ``None`` when unset or zero."""
    if amount is None or amount in ("", "0"):
        return None
    try:
        units = int(amount)
    except ValueError:
        raise unreadable(f"budget {amount!r}") from None
    return Money(units * MICROS // currency_offset(currency), currency)


def money_to_minor(money: Money) -> int:
    """Micros to Meta's minor units; refuses an amount the currency cannot express (no silent rounding)."""
    offset = currency_offset(money.currency)
    units, remainder = divmod(money.amount_micros * offset, MICROS)
    if remainder:
        raise PlatformRejected(
            f"{money.currency} budgets on Meta are whole multiples of 1/{offset} of the unit",
            field_errors={"daily_budget": "not a whole number of the currency's smallest unit"},
        )
    return units


def choose_conversions(
    objective: str | None, actions: Sequence[ActionStat], action_values: Sequence[ActionStat]
) -> tuple[str | None, Decimal, int]:
    """(the canonical action type used, the count, the value in micros) of one insights row; see the module doc."""
    candidates = _CONVERSION_TYPES_BY_OBJECTIVE.get(objective or "", PURCHASE_ACTION_TYPES)
    counts = {stat.action_type: stat.value for stat in actions}
    chosen = next((action_type for action_type in candidates if action_type in counts), None)
    if chosen is None:
        return None, Decimal(0), 0
    values = {stat.action_type: stat.value for stat in action_values}
    value = values.get(chosen)
    return chosen, _decimal(counts[chosen]), to_micros(_decimal(value)) if value is not None else 0


def insights_row(item: Mapping[str, Any]) -> InsightsRow:
    """One insights row as Meta sent it, validated."""
    try:
        return InsightsRow.model_validate(item)
    except ValidationError as exc:
        raise unreadable(f"insights row: {exc.error_count()} invalid field(s)") from exc


def metrics_row(item: Mapping[str, Any], level: EntityLevel, id_field: str) -> DailyMetricsRow:
    """A daily insights row at ``level`` (its entity id in ``id_field``) as the product's row."""
    row = insights_row(item)
    entity_id = getattr(row, id_field)
    if not entity_id or row.account_currency is None:
        raise unreadable(f"insights row without {id_field} or account_currency")
    action_type, conversions, value_micros = choose_conversions(row.objective, row.actions, row.action_values)
    actions = {stat.action_type: stat.value for stat in row.actions}
    extras: dict[str, Any] = {
        "objective": row.objective,
        "conversion_action_type": action_type,
        "reach": _int(row.reach),
        "video_views": _int(actions.get("video_view")),
    }
    return DailyMetricsRow(
        level=level,
        entity_platform_id=entity_id,
        day=_date(row.date_start),
        impressions=_int(row.impressions),
        clicks=_int(row.inline_link_clicks),
        all_clicks=_int(row.clicks),
        spend_micros=to_micros(_decimal(row.spend)),
        conversions=conversions,
        conversion_value_micros=value_micros,
        currency=row.account_currency,
        extras={key: value for key, value in extras.items() if value not in (None, 0)},
        campaign_platform_id=row.campaign_id or None,
        parent_platform_id={
            EntityLevel.campaign: None,
            EntityLevel.ad_group: row.campaign_id,
            EntityLevel.ad: row.adset_id,
        }[level]
        or None,
        entity_name={
            EntityLevel.campaign: row.campaign_name,
            EntityLevel.ad_group: row.adset_name,
            EntityLevel.ad: row.ad_name,
        }[level]
        or None,
    )


def hourly_row(item: Mapping[str, Any]) -> HourlyMetricsRow:
    """An hourly campaign insights row as the product's row."""
    row = insights_row(item)
    if not row.campaign_id or row.account_currency is None:
        raise unreadable("hourly insights row without campaign_id or account_currency")
    _, conversions, value_micros = choose_conversions(row.objective, row.actions, row.action_values)
    return HourlyMetricsRow(
        campaign_platform_id=row.campaign_id,
        day=_date(row.date_start),
        hour=_hour(row.hourly_stats_aggregated_by_advertiser_time_zone),
        impressions=_int(row.impressions),
        clicks=_int(row.inline_link_clicks),
        all_clicks=_int(row.clicks),
        spend_micros=to_micros(_decimal(row.spend)),
        conversions=conversions,
        conversion_value_micros=value_micros,
        currency=row.account_currency,
    )


def _hour(value: str | None) -> int:
    """``"13:00:00 - 13:59:59"`` → 13."""
    text = (value or "").strip()
    head = text.split(":", 1)[0]
    if not head.isdigit() or not 0 <= int(head) <= 23:
        raise unreadable(f"hour {value!r}")
    return int(head)


def _decimal(value: str | None) -> Decimal:
    if value is None or value == "":
        return Decimal(0)
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise unreadable(f"number {value!r}") from None
    if not number.is_finite():
        raise unreadable(f"number {value!r}")
    return number


def _int(value: str | None) -> int:
    return int(_decimal(value))


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise unreadable(f"date {value!r}") from None


def unreadable(what: str) -> PlatformUnavailable:
    """Meta answered with something the adapter cannot read: reported as a (retryable-later) platform failure."""
    return PlatformUnavailable(f"Meta sent an unreadable answer ({what})")
