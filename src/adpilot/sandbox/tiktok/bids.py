"""An ad group's bidding and schedule as TikTok takes them on ``adgroup/create/`` and ``adgroup/update/`` (the
official SDK's ``AdgroupCreateBody``): ``bid_type`` ``BID_TYPE_NO_BID`` (the default: TikTok bids for the most
results) or ``BID_TYPE_CUSTOM`` with ``bid_price`` (a bid cap per result), or ``conversion_bid_price`` when the ad
group is billed by ``OCPM``; prices are floats in major units of the advertiser's currency, below the budget. The
schedule: ``schedule_type`` SCHEDULE_FROM_NOW (no end) or SCHEDULE_START_END with ``schedule_start_time`` and
``schedule_end_time``, "YYYY-MM-DD HH:MM:SS" in the advertiser's time zone; the end after the start, not in the
past."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, tzinfo
from decimal import Decimal, InvalidOperation
from typing import Any

from adpilot.sandbox.tiktok.errors import bad_parameter

BID_TYPES = frozenset({"BID_TYPE_NO_BID", "BID_TYPE_CUSTOM"})
BILLING_EVENTS = frozenset({"CPC", "CPM", "CPV", "OCPM"})
BID_FIELDS = ("bid_type", "bid_price", "conversion_bid_price")
SCHEDULE_TYPES = frozenset({"SCHEDULE_FROM_NOW", "SCHEDULE_START_END"})
SCHEDULE_FIELDS = ("schedule_type", "schedule_start_time", "schedule_end_time")
_TIME_FORMAT = "%Y-%m-%d %H:%M:%S"


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


def schedule_attributes(
    body: Mapping[str, Any], current: Mapping[str, Any], created: datetime, now: datetime
) -> dict[str, Any]:
    """The ad group's schedule fields after ``body`` (``current``: what it has; ``created``: when it was created, the
    start of one that never had a schedule; both that and ``now`` in the advertiser's time zone)."""
    zone = now.tzinfo
    assert zone is not None  # noqa: S101 - the caller passes aware times
    schedule_type = body.get("schedule_type", current.get("schedule_type", "SCHEDULE_FROM_NOW"))
    if schedule_type not in SCHEDULE_TYPES:
        raise bad_parameter(f"schedule_type: Must be one of {', '.join(sorted(SCHEDULE_TYPES))}.")
    start_text = body.get("schedule_start_time", current.get("schedule_start_time", created.strftime(_TIME_FORMAT)))
    start = _moment(start_text, "schedule_start_time", zone)
    chosen: dict[str, Any] = {"schedule_type": schedule_type, "schedule_start_time": start.strftime(_TIME_FORMAT)}
    if schedule_type == "SCHEDULE_FROM_NOW":
        if body.get("schedule_end_time") is not None:
            raise bad_parameter("schedule_end_time: Only allowed when schedule_type is SCHEDULE_START_END.")
        chosen["schedule_end_time"] = None
        return chosen
    end_text = body.get("schedule_end_time", current.get("schedule_end_time"))
    if end_text is None:
        raise bad_parameter("schedule_end_time: Required when schedule_type is SCHEDULE_START_END.")
    end = _moment(end_text, "schedule_end_time", zone)
    if end <= start:
        raise bad_parameter("schedule_end_time: The end time must be later than the start time.")
    if "schedule_end_time" in body and end <= now:
        raise bad_parameter("schedule_end_time: The end time cannot be earlier than the current time.")
    chosen["schedule_end_time"] = end.strftime(_TIME_FORMAT)
    return chosen


def _moment(value: object, field: str, zone: tzinfo) -> datetime:
    # Naive text in the advertiser's time zone.
    try:
        return datetime.strptime(str(value), _TIME_FORMAT).replace(tzinfo=zone)
    except ValueError:
        raise bad_parameter(f"{field}: Must be a time as YYYY-MM-DD HH:MM:SS.") from None
