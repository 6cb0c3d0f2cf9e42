"""TikTok's request parameters and paged answers, shared by the read endpoints (reference §C.1, §C.3, §C.4).

GET parameters that are arrays or objects travel JSON-encoded (``dimensions=["campaign_id"]``); lists are paged with
``page`` (from 1) and ``page_size`` (up to 1,000) and answer ``{"list", "page_info"}``; ``fields`` narrows each item.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from datetime import date
from typing import Any

from adpilot.sandbox.tiktok.context import JsonObject
from adpilot.sandbox.tiktok.errors import bad_parameter

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def json_param(query: Mapping[str, str], name: str, kind: type, *, required: bool) -> Any:
    """A JSON-encoded query parameter (``dimensions=["campaign_id"]``), checked for its JSON type."""
    raw = query.get(name)
    if raw is None or raw == "":
        if required:
            raise bad_parameter(f"{name}: Missing data for required field.")
        return None
    try:
        value = json.loads(raw)
    except ValueError:
        raise bad_parameter(f"{name}: Not a valid JSON string.") from None
    if not isinstance(value, kind):
        raise bad_parameter(f"{name}: Must be a JSON {'array' if kind is list else 'object'}.")
    return value


def int_param(query: Mapping[str, str], name: str, default: int, low: int, high: int | None) -> int:
    raw = query.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise bad_parameter(f"{name}: Not a valid integer.") from None
    if value < low or (high is not None and value > high):
        bound = f"between {low} and {high}" if high is not None else f"at least {low}"
        raise bad_parameter(f"{name}: Must be {bound}.")
    return value


def date_param(query: Mapping[str, str], name: str) -> date:
    raw = query.get(name)
    if not raw:
        raise bad_parameter(f"{name}: Missing data for required field.")
    if not _DATE.match(raw):
        raise bad_parameter(f"{name}: Must be in YYYY-MM-DD format.")
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise bad_parameter(f"{name}: Not a valid date.") from None


def paging(query: Mapping[str, str]) -> tuple[int, int]:
    """The ``page`` and ``page_size`` asked for."""
    return int_param(query, "page", 1, 1, None), int_param(query, "page_size", 10, 1, 1000)


def paged(items: list[JsonObject], page: int, page_size: int) -> JsonObject:
    """One page of ``items`` with TikTok's ``page_info``."""
    total = len(items)
    start = (page - 1) * page_size
    return {
        "list": items[start : start + page_size],
        "page_info": {
            "page": page,
            "page_size": page_size,
            "total_number": total,
            "total_page": math.ceil(total / page_size),
        },
    }


def only(item: JsonObject, fields: list[Any] | None) -> JsonObject:
    """The ``fields`` parameter: only those keys (every field when absent)."""
    if not fields:
        return item
    unknown = [str(f) for f in fields if str(f) not in item]
    if unknown:
        raise bad_parameter(f"fields: Unknown field {', '.join(unknown)}.")
    return {str(name): item[str(name)] for name in fields}
