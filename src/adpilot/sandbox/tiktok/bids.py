"""An ad group's bidding as TikTok takes it on ``adgroup/create/`` and ``adgroup/update/`` (the official SDK's
``AdgroupCreateBody``): ``bid_type`` ``BID_TYPE_NO_BID`` (the default: TikTok bids for the most results) or
``BID_TYPE_CUSTOM`` with ``bid_price`` (a bid cap per result), or ``conversion_bid_price`` when the ad group is billed
by ``OCPM``; prices are floats in major units of the advertiser's currency, below the budget."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from adpilot.sandbox.tiktok.errors import bad_parameter

BID_TYPES = frozenset({"BID_TYPE_NO_BID", "BID_TYPE_CUSTOM"})
BILLING_EVENTS = frozenset({"CPC", "CPM", "CPV", "OCPM"})
BID_FIELDS = ("bid_type", "bid_price", "conversion_bid_price")


def bid_attributes(body: Mapping[str, Any], current: Mapping[str, Any], budget_micros: int | None) -> dict[str, Any]:
    """The ad group's bid fields after ``body`` (``current``: what it has), checked against each other and against
    ``budget_micros`` (the smallest budget above the ad group, ``None`` when there is none)."""
    bid_type = body.get("bid_type", current.get("bid_type", "BID_TYPE_NO_BID"))
    if bid_type not in BID_TYPES:
        raise bad_parameter(f"bid_type: Must be one of {', '.join(sorted(BID_TYPES))}.")
    chosen: dict[str, Any] = {"bid_type": bid_type}
    price_field = "conversion_bid_price" if current.get("billing_event") == "OCPM" else "bid_price"
    for field in ("bid_price", "conversion_bid_price"):
        if body.get(field) is None:
            continue
        if bid_type != "BID_TYPE_CUSTOM":
            raise bad_parameter(f"{field}: To set {field}, bid_type must be BID_TYPE_CUSTOM.")
        chosen[field] = _price(body[field], field, budget_micros)
    if bid_type == "BID_TYPE_CUSTOM" and price_field not in chosen and current.get(price_field) is None:
        raise bad_parameter(f"{price_field}: Required when bid_type is BID_TYPE_CUSTOM.")
    return chosen


def _price(value: object, field: str, budget_micros: int | None) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise bad_parameter(f"{field}: Must be a number.")
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        raise bad_parameter(f"{field}: Must be a number.") from None
    if not amount.is_finite() or amount <= 0:
        raise bad_parameter(f"{field}: Must be greater than 0.")
    if amount != amount.quantize(Decimal("0.01")):
        raise bad_parameter(f"{field}: At most two decimal places.")
    if budget_micros is not None and amount * 1_000_000 >= budget_micros:
        raise bad_parameter(f"{field}: The bid must be lower than the budget.")
    return float(amount)
