"""Graph's conventions that every Meta handler shares (``platform-apis.md`` section B): request parameters (query
string, form or JSON body, structured values as JSON strings), ``fields`` selection with the node's ``id`` always
added, cursor paging (``cursors`` always, ``next``/``previous`` only when there is such a page), timestamps in the ad
account's time zone, money in minor units (budgets) and major units (insights), and the objects' statuses
(``effective_status``: a paused or deleted parent shows on its children).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, TypeVar
from urllib.parse import parse_qsl
from zoneinfo import ZoneInfo

from fastapi import Request

from adpilot.platforms.types import EntityLevel, EntityStatus, Platform
from adpilot.sandbox.engine import SimEntity
from adpilot.sandbox.meta.context import GraphCall, MetaContext
from adpilot.sandbox.meta.errors import invalid_parameter, nonexisting_field

JsonObject = dict[str, Any]
T = TypeVar("T")

DEFAULT_PAGE_SIZE = 25
MAX_PAGE_SIZE = 5000
# developers.facebook.com/docs/marketing-api/currencies: budgets in units of 1/offset; these have offset 1.
ZERO_DECIMAL_CURRENCIES = frozenset({"CLP", "COP", "CRC", "HUF", "ISK", "IDR", "JPY", "KRW", "PYG", "TWD", "VND"})
MICROS = 1_000_000

OBJECTIVES: Mapping[str, str] = {
    "sales": "OUTCOME_SALES",
    "traffic": "OUTCOME_TRAFFIC",
    "leads": "OUTCOME_LEADS",
    "awareness": "OUTCOME_AWARENESS",
    "app_installs": "OUTCOME_APP_PROMOTION",
    "video_views": "OUTCOME_ENGAGEMENT",
}
NEUTRAL_OBJECTIVES: Mapping[str, str] = {meta: neutral for neutral, meta in OBJECTIVES.items()}
OPTIMIZATION_GOALS: Mapping[str, str] = {
    "sales": "OFFSITE_CONVERSIONS",
    "traffic": "LINK_CLICKS",
    "leads": "LEAD_GENERATION",
    "awareness": "REACH",
    "app_installs": "APP_INSTALLS",
    "video_views": "THRUPLAY",
}
EFFECTIVE_STATUSES = frozenset(
    {
        "ACTIVE",
        "PAUSED",
        "DELETED",
        "ARCHIVED",
        "CAMPAIGN_PAUSED",
        "ADSET_PAUSED",
        "IN_PROCESS",
        "WITH_ISSUES",
        "PENDING_REVIEW",
        "DISAPPROVED",
        "PREAPPROVED",
        "PENDING_BILLING_INFO",
    }
)
NODE_TYPES: Mapping[EntityLevel, str] = {
    EntityLevel.campaign: "Campaign",
    EntityLevel.ad_group: "AdSet",
    EntityLevel.ad: "Ad",
}
# How filtering fields and insights columns name each level ("adset.id", "adset_name").
PREFIXES: Mapping[EntityLevel, str] = {
    EntityLevel.campaign: "campaign",
    EntityLevel.ad_group: "adset",
    EntityLevel.ad: "ad",
}


def currency_offset(currency: str) -> int:
    return 1 if currency in ZERO_DECIMAL_CURRENCIES else 100


def meta_objective(campaign: SimEntity) -> str:
    """The campaign's Meta objective: the one it was created with, else the ODAX objective of its neutral one."""
    declared = campaign.attributes.get("objective")
    return str(declared) if declared else OBJECTIVES.get(campaign.objective, "OUTCOME_TRAFFIC")


def micros_to_minor(micros: int, currency: str) -> str:
    return str(micros * currency_offset(currency) // MICROS)


def major_units(micros: int, currency: str) -> str:
    """Money as insights report it: a decimal string in major units with the currency's decimals, no trailing
    zeros ("14.35", "0.9", "1234")."""
    decimals = 0 if currency in ZERO_DECIMAL_CURRENCIES else 2
    amount = (Decimal(micros) / MICROS).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    text = format(amount, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def encode_cursor(index: int) -> str:
    # Meta's cursors are base64 with "=" spelled "ZD" ("MAZDZD" is the first item).
    return base64.b64encode(str(index).encode()).decode().replace("=", "ZD")


def decode_cursor(cursor: str) -> int:
    for padding in (2, 1, 0):
        suffix = "ZD" * padding
        if not cursor.endswith(suffix):
            continue
        candidate = cursor[: len(cursor) - len(suffix)] + "=" * padding
        if len(candidate) % 4:
            continue
        try:
            return int(base64.b64decode(candidate, validate=True).decode())
        except (binascii.Error, ValueError, UnicodeDecodeError):
            continue
    raise invalid_parameter("Invalid cursor", field_name="after")


def meta_time(moment: datetime, time_zone: str) -> str:
    """Graph's timestamp format: local time of the ad account with a ``-0700`` style offset."""
    return moment.astimezone(ZoneInfo(time_zone)).strftime("%Y-%m-%dT%H:%M:%S%z")


async def form(request: Request) -> dict[str, str]:
    if request.method != "POST":
        return {}
    return dict(parse_qsl((await request.body()).decode("utf-8", "replace"), keep_blank_values=True))


async def body_params(request: Request) -> dict[str, Any]:
    """POST parameters, form-encoded or JSON (Graph takes both; structured values may be JSON strings in forms)."""
    if request.method == "GET":
        return {}
    raw = await request.body()
    if not raw:
        return {}
    if request.headers.get("content-type", "").startswith("application/json"):
        try:
            data = json.loads(raw)
        except ValueError:
            raise invalid_parameter("The request body is not valid JSON") from None
        if not isinstance(data, dict):
            raise invalid_parameter("The request body must be a JSON object")
        return data
    return dict(parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True))


def json_param(value: Any, name: str) -> Any:
    if not isinstance(value, str):
        return value
    try:
        return json.loads(value)
    except ValueError:
        raise invalid_parameter(f"Param {name} must be a JSON encoded value", field_name=name) from None


def list_param(value: Any, name: str) -> list[str]:
    """A list parameter as Graph takes it: comma-separated (``a,b``) or a JSON array (``["a","b"]``, which is how
    the official SDKs encode every list)."""
    if value is None or value == "":
        return []
    if isinstance(value, list):
        items: list[Any] = value
    else:
        text = str(value).strip()
        if text.startswith("["):
            parsed = json_param(text, name)
            if not isinstance(parsed, list):
                raise invalid_parameter(f"Param {name} must be an array", field_name=name)
            items = parsed
        else:
            items = text.split(",")
    if any(isinstance(item, (dict, list)) for item in items):
        raise invalid_parameter(f"Param {name} must be an array of strings", field_name=name)
    return [str(item).strip() for item in items if str(item).strip()]


def fields(params: Mapping[str, Any], allowed: Iterable[str], default: Sequence[str], node_type: str) -> list[str]:
    raw = params.get("fields")
    if isinstance(raw, str) and "{" in raw:  # field expansion (``creative{id}``): only the field's name matters here
        names = [name.strip().split("{", 1)[0] for name in raw.split(",") if name.strip()]
    else:
        names = list_param(raw, "fields")
    names = names or list(default)
    allowed_set = set(allowed)
    for name in names:
        if name not in allowed_set:
            raise nonexisting_field(name, node_type)
    return names


def with_id(values: Mapping[str, Any], fields: Sequence[str]) -> JsonObject:
    """The requested fields of a node; Graph adds the node's ``id`` whether it was asked for or not."""
    chosen = {name: values[name] for name in fields if name in values}
    chosen.setdefault("id", values["id"])
    return chosen


def wants_total_count(params: Mapping[str, Any]) -> bool:
    """Whether an edge is asked for its ``summary``: ``summary=true`` (what the SDKs' cursors send) or a list of
    summary fields naming ``total_count``."""
    raw = params.get("summary")
    if raw is None or raw is False:
        return False
    text = str(raw).strip().lower()
    if text in ("true", "1"):
        return True
    if text in ("false", "0", ""):
        return False
    return "total_count" in list_param(raw, "summary")


def page(call: GraphCall, items: Sequence[T], render: Callable[[T], JsonObject]) -> JsonObject:
    """Cursor paging as Graph does it: ``cursors`` always, ``next`` only when another page exists. ``render`` turns
    the items of the page (only those) into JSON. Asked for (``summary=true``), the edge's ``summary`` gives the
    ``total_count`` of every page."""
    raw_limit = call.params.get("limit", DEFAULT_PAGE_SIZE)
    try:
        limit = int(raw_limit)
    except (TypeError, ValueError):
        raise invalid_parameter("Param limit must be an integer", field_name="limit") from None
    limit = min(max(limit, 1), MAX_PAGE_SIZE)
    start = decode_cursor(str(call.params["after"])) + 1 if call.params.get("after") else 0
    chunk = [render(item) for item in items[start : start + limit]]
    paging: JsonObject = {}
    if chunk:
        paging["cursors"] = {"before": encode_cursor(start), "after": encode_cursor(start + len(chunk) - 1)}
        if start + len(chunk) < len(items):
            url = call.request.url.remove_query_params("after").include_query_params(
                after=paging["cursors"]["after"], limit=limit
            )
            paging["next"] = str(url)
        if start > 0:
            paging["previous"] = str(
                call.request.url.remove_query_params("after").include_query_params(
                    before=paging["cursors"]["before"], limit=limit
                )
            )
    body: JsonObject = {"data": chunk, "paging": paging}
    if wants_total_count(call.params):
        body["summary"] = {"total_count": len(items)}
    return body


def account_index(context: MetaContext, account_id: str) -> dict[str, SimEntity]:
    """Every object of the account by id (creation order kept): one read of the world per request."""
    return {
        entity.id: entity
        for level in EntityLevel
        for entity in context.world.entities(Platform.meta, account_id, level, include_removed=True)
    }


def meta_status(entity: SimEntity) -> str:
    if entity.status is EntityStatus.removed:
        return "ARCHIVED" if entity.attributes.get("meta_status") == "ARCHIVED" else "DELETED"
    return "ACTIVE" if entity.status is EntityStatus.active else "PAUSED"


def effective_status(entity: SimEntity, index: Mapping[str, SimEntity]) -> str:
    """Meta's delivery status: a removed or paused parent shows on its children."""
    if entity.status is EntityStatus.removed:
        return "ARCHIVED" if entity.attributes.get("meta_status") == "ARCHIVED" else "DELETED"
    parents: list[tuple[str | None, str]] = []
    if entity.level is not EntityLevel.campaign:
        parents.append((entity.campaign_id, "CAMPAIGN_PAUSED"))
    if entity.level is EntityLevel.ad:
        parents.append((entity.parent_id, "ADSET_PAUSED"))
    for parent_id, paused_word in parents:
        parent = index.get(parent_id) if parent_id else None
        if parent is None:
            continue
        if parent.status is EntityStatus.removed:
            return "DELETED"
        if entity.status is EntityStatus.active and parent.status is EntityStatus.paused:
            return paused_word
    return "ACTIVE" if entity.status is EntityStatus.active else "PAUSED"


def chain(entity: SimEntity, index: Mapping[str, SimEntity]) -> dict[EntityLevel, SimEntity]:
    """The entity with its ad set and campaign."""
    links = {entity.level: entity}
    if entity.level is EntityLevel.ad and entity.parent_id and entity.parent_id in index:
        links[EntityLevel.ad_group] = index[entity.parent_id]
    if entity.level is not EntityLevel.campaign and entity.campaign_id in index:
        links[EntityLevel.campaign] = index[entity.campaign_id]
    return links
