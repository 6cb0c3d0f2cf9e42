"""The proto enums the Google Ads emulator reads in request bodies, with their numbers.

proto3 JSON lets a client send an enum by name (``"PAUSED"``) or by number (``3``), and a client that serialises every
field sends the ones it never set at their default, ``"UNSPECIFIED"`` (``0``): such a field counts as not set, as it
does for Google. ``UNKNOWN`` is an output-only value a request may not use. The numbers are those of the
``google.ads.googleads`` protos (the SDK contract tests compare them with the official client library's enums).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from adpilot.sandbox.google.errors import invalid_json

ProtoEnum = Mapping[str, int]

ENTITY_STATUS: ProtoEnum = {"UNSPECIFIED": 0, "UNKNOWN": 1, "ENABLED": 2, "PAUSED": 3, "REMOVED": 4}
ADVERTISING_CHANNEL_TYPE: ProtoEnum = {
    "UNSPECIFIED": 0, "UNKNOWN": 1, "SEARCH": 2, "DISPLAY": 3, "SHOPPING": 4, "HOTEL": 5, "VIDEO": 6,
    "MULTI_CHANNEL": 7, "LOCAL": 8, "SMART": 9, "PERFORMANCE_MAX": 10, "LOCAL_SERVICES": 11, "TRAVEL": 13,
    "DEMAND_GEN": 14,
}  # fmt: skip
EU_POLITICAL_ADVERTISING: ProtoEnum = {
    "UNSPECIFIED": 0, "UNKNOWN": 1, "CONTAINS_EU_POLITICAL_ADVERTISING": 2,
    "DOES_NOT_CONTAIN_EU_POLITICAL_ADVERTISING": 3,
}  # fmt: skip
BUDGET_DELIVERY_METHOD: ProtoEnum = {"UNSPECIFIED": 0, "UNKNOWN": 1, "STANDARD": 2, "ACCELERATED": 3}
AD_GROUP_TYPE: ProtoEnum = {
    "UNSPECIFIED": 0, "UNKNOWN": 1, "SEARCH_STANDARD": 2, "DISPLAY_STANDARD": 3, "SHOPPING_PRODUCT_ADS": 4,
    "HOTEL_ADS": 6, "SHOPPING_SMART_ADS": 7, "VIDEO_BUMPER": 8, "VIDEO_TRUE_VIEW_IN_STREAM": 9,
    "VIDEO_TRUE_VIEW_IN_DISPLAY": 10, "VIDEO_NON_SKIPPABLE_IN_STREAM": 11, "SEARCH_DYNAMIC_ADS": 13,
    "SHOPPING_COMPARISON_LISTING_ADS": 14, "PROMOTED_HOTEL_ADS": 15, "VIDEO_RESPONSIVE": 16,
    "VIDEO_EFFICIENT_REACH": 17, "SMART_CAMPAIGN_ADS": 18, "TRAVEL_ADS": 19, "YOUTUBE_AUDIO": 20,
}  # fmt: skip
RESPONSE_CONTENT_TYPE: ProtoEnum = {"UNSPECIFIED": 0, "RESOURCE_NAME_ONLY": 1, "MUTABLE_RESOURCE": 2}
SUMMARY_ROW_SETTING: ProtoEnum = {
    "UNSPECIFIED": 0, "UNKNOWN": 1, "NO_SUMMARY_ROW": 2, "SUMMARY_ROW_WITH_RESULTS": 3, "SUMMARY_ROW_ONLY": 4,
}  # fmt: skip


def enum_name(value: Any, enum: ProtoEnum, where: str, type_name: str) -> str | None:
    """The name of an enum value sent by name or number; ``None`` when not set (absent or ``UNSPECIFIED``).

    A name or number the enum does not have is refused as Google's JSON front end refuses it (``where`` is the
    field's path in the request, ``type_name`` the enum's proto name)."""
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        names = [name for name, number in enum.items() if number == value]
        if names:
            return None if names[0] == "UNSPECIFIED" else names[0]
    elif isinstance(value, str) and value in enum:
        return None if value == "UNSPECIFIED" else value
    raise invalid_json(
        f"Invalid value at '{where}' (type.googleapis.com/google.ads.googleads.enums.{type_name}), {json.dumps(value)}"
    )
