"""Creating TikTok ad groups and ads, and updating ads (the fields of the official SDK's ``AdgroupCreateBody``,
``AdCreateBody`` and ``AdUpdateBody``; the platform reference §C.3 gives campaigns only):

* ``POST /open_api/v1.3/adgroup/create/`` — ``campaign_id``, ``adgroup_name``, ``location_ids``, ``placement_type``
  (``placements`` when normal), ``schedule_type`` with ``schedule_start_time`` (and ``schedule_end_time`` for a
  start-end schedule or a lifetime budget), ``billing_event``, ``optimization_goal``, ``bid_type`` with ``bid_price``
  (``conversion_bid_price`` for oCPM) when custom, ``pacing``, and a budget (``budget_mode``, ``budget``) unless the
  campaign optimizes its own (``budget_optimize_on``: the ad group's is then ignored); idempotent on ``request_id``;
  ``data`` is the ad group as ``adgroup/get/`` returns it.
* ``POST /open_api/v1.3/ad/create/`` — ``adgroup_id`` and 1 to 20 ``creatives`` (``ad_name``, ``ad_format``,
  ``ad_text``, ``identity_type``/``identity_id``, ``video_id`` or ``image_ids``, ``landing_page_url``…); all or none.
* ``POST /open_api/v1.3/ad/update/`` — ``adgroup_id`` and ``creatives`` naming their ``ad_id``: the given fields
  replace the ad's, checked as on create.

Ad and ad-group answers are ``{"ad_ids": [...], "creatives": [ad, ...]}`` and the ad group itself. A liberty: the
simulation starts an ad group's delivery at its creation, whatever its ``schedule_start_time``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from adpilot.platforms.types import EntityLevel, EntityStatus
from adpilot.sandbox.engine import SimAccount, SimEntity
from adpilot.sandbox.tiktok.bids import BILLING_EVENTS, bid_attributes
from adpilot.sandbox.tiktok.context import PLATFORM, Call, JsonObject, Operation, TikTokContext, reachable_account
from adpilot.sandbox.tiktok.entities import budget_micros, entity_json, entity_tree, own_entity
from adpilot.sandbox.tiktok.errors import bad_parameter

MAX_CREATIVES = 20
MAX_NAME = 512
MAX_AD_TEXT = 100
PLACEMENT_TYPES = frozenset({"PLACEMENT_TYPE_AUTOMATIC", "PLACEMENT_TYPE_NORMAL"})
PLACEMENTS = frozenset({"PLACEMENT_TIKTOK", "PLACEMENT_PANGLE", "PLACEMENT_GLOBAL_APP_BUNDLE"})
SCHEDULE_TYPES = frozenset({"SCHEDULE_START_END", "SCHEDULE_FROM_NOW"})
PACING_MODES = frozenset({"PACING_MODE_SMOOTH", "PACING_MODE_FAST"})
AD_GROUP_BUDGET_MODES = frozenset({"BUDGET_MODE_DAY", "BUDGET_MODE_TOTAL", "BUDGET_MODE_DYNAMIC_DAILY_BUDGET"})
OPTIMIZATION_GOALS = frozenset(
    {"CLICK", "CONVERT", "INSTALL", "IN_APP_EVENT", "REACH", "SHOW", "VIDEO_VIEW", "ENGAGED_VIEW"}
    | {"LEAD_GENERATION", "VALUE", "TRAFFIC_LANDING_PAGE_VIEW", "FOLLOWERS", "PROFILE_VIEWS"}
)
AD_FORMATS = frozenset({"SINGLE_VIDEO", "SINGLE_IMAGE", "CAROUSEL_ADS", "CATALOG_CAROUSEL", "LIVE_CONTENT"})
IDENTITY_TYPES = frozenset({"CUSTOMIZED_USER", "AUTH_CODE", "TT_USER", "BC_AUTH_TT"})
_OPERATIONS = {"ENABLE": EntityStatus.active, "DISABLE": EntityStatus.paused}
_TIME = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")
# The fields of a creative the emulator keeps (and returns on ``ad/get/``).
CREATIVE_FIELDS = (
    "ad_format",
    "ad_text",
    "call_to_action",
    "identity_type",
    "identity_id",
    "video_id",
    "image_ids",
    "landing_page_url",
    "display_name",
    "tiktok_item_id",
)


def api_routes() -> list[Operation]:
    return [
        Operation("POST", "adgroup/create/", create_adgroup),
        Operation("POST", "ad/create/", create_ads),
        Operation("POST", "ad/update/", update_ads),
    ]


async def create_adgroup(call: Call, context: TikTokContext) -> JsonObject:
    body = call.body
    account = reachable_account(context, call, body.get("advertiser_id"))
    request_id = body.get("request_id")
    if request_id is not None:
        if not isinstance(request_id, str | int) or not str(request_id).isdigit():
            raise bad_parameter("request_id: Must be an int64 passed as a string.")
        existing = context.created.get((account.account_id, f"adgroup:{request_id}"))
        if existing is not None and (entity := context.state.world.entity(PLATFORM, existing)) is not None:
            return entity_json(entity, account, entity_tree(context, account))
    campaign = own_entity(context, account, EntityLevel.campaign, body.get("campaign_id"), "campaign_id")
    if campaign.status is EntityStatus.removed:
        raise bad_parameter(f"campaign_id: The campaign {campaign.id} has been deleted.")
    name = _name(body.get("adgroup_name"), "adgroup_name")
    _non_empty_strings(body.get("location_ids"), "location_ids")
    placement_type = _choice(body, "placement_type", PLACEMENT_TYPES, default="PLACEMENT_TYPE_AUTOMATIC")
    if placement_type == "PLACEMENT_TYPE_NORMAL":
        placements = _non_empty_strings(body.get("placements"), "placements")
        if unknown := sorted(set(placements) - PLACEMENTS):
            raise bad_parameter(f"placements: {unknown[0]} is not a valid placement.")
    schedule_type = _choice(body, "schedule_type", SCHEDULE_TYPES)
    start = _schedule_time(body.get("schedule_start_time"), "schedule_start_time")
    campaign_budget = campaign.daily_budget_micros is not None or campaign.lifetime_budget_micros is not None
    attributes: dict[str, Any] = {
        "placement_type": placement_type,
        "schedule_type": schedule_type,
        "schedule_start_time": start,
        "location_ids": [str(location) for location in body["location_ids"]],
        "billing_event": _choice(body, "billing_event", BILLING_EVENTS),
    }
    if placement_type == "PLACEMENT_TYPE_NORMAL":
        attributes["placements"] = list(body["placements"])
    daily: int | None = None
    lifetime: int | None = None
    mode = "BUDGET_MODE_INFINITE"
    if campaign_budget:
        # Campaign budget optimization: the campaign spends its budget across its ad groups.
        for required in ("optimization_goal", "bid_type"):
            if body.get(required) is None:
                raise bad_parameter(f"{required}: Required when the campaign has budget optimization on.")
    else:
        mode = _choice(body, "budget_mode", AD_GROUP_BUDGET_MODES)
        if "budget" not in body:
            raise bad_parameter(f"budget: Required when budget_mode is {mode}.")
        if mode == "BUDGET_MODE_TOTAL":
            lifetime = budget_micros(body["budget"])
        else:
            daily = budget_micros(body["budget"])
        attributes["budget_mode"] = mode
        attributes["pacing"] = _choice(body, "pacing", PACING_MODES)
    if schedule_type == "SCHEDULE_START_END" or mode == "BUDGET_MODE_TOTAL":
        end = _schedule_time(body.get("schedule_end_time"), "schedule_end_time")
        if end <= start:
            raise bad_parameter("schedule_end_time: Must be later than schedule_start_time.")
        attributes["schedule_end_time"] = end
    if body.get("optimization_goal") is not None:
        attributes["optimization_goal"] = _choice(body, "optimization_goal", OPTIMIZATION_GOALS)
    budgets = (daily, lifetime, campaign.daily_budget_micros, campaign.lifetime_budget_micros)
    budget_cap = min((budget for budget in budgets if budget), default=None)
    attributes.update(bid_attributes(body, {"billing_event": attributes["billing_event"]}, budget_cap))
    operation = _choice(body, "operation_status", frozenset(_OPERATIONS), default="ENABLE")
    entity = context.state.world.create_entity(
        PLATFORM,
        account.account_id,
        EntityLevel.ad_group,
        name=name,
        parent_id=campaign.id,
        status=_OPERATIONS[operation],
        objective=campaign.objective,
        daily_budget_micros=daily,
        lifetime_budget_micros=lifetime,
        attributes=attributes,
    )
    if request_id is not None:
        context.created[(account.account_id, f"adgroup:{request_id}")] = entity.id
    return entity_json(entity, account, entity_tree(context, account))


async def create_ads(call: Call, context: TikTokContext) -> JsonObject:
    body = call.body
    account = reachable_account(context, call, body.get("advertiser_id"))
    adgroup = own_entity(context, account, EntityLevel.ad_group, body.get("adgroup_id"), "adgroup_id")
    if adgroup.status is EntityStatus.removed:
        raise bad_parameter(f"adgroup_id: The ad group {adgroup.id} has been deleted.")
    creatives = _creatives(body.get("creatives"))
    # Check every creative before creating any: the call succeeds or fails as a whole.
    checked = [_creative(creative, {}, f"creatives[{index}]") for index, creative in enumerate(creatives)]
    world = context.state.world
    created: list[SimEntity] = []
    for creative, (name, fields) in zip(creatives, checked, strict=True):
        status = _OPERATIONS[_choice(creative, "operation_status", frozenset(_OPERATIONS), default="ENABLE")]
        created.append(
            world.create_entity(
                PLATFORM,
                account.account_id,
                EntityLevel.ad,
                name=name,
                parent_id=adgroup.id,
                status=status,
                objective=adgroup.objective,
                attributes=fields,
            )
        )
    return _ads_answer(context, account, created)


async def update_ads(call: Call, context: TikTokContext) -> JsonObject:
    body = call.body
    account = reachable_account(context, call, body.get("advertiser_id"))
    adgroup = own_entity(context, account, EntityLevel.ad_group, body.get("adgroup_id"), "adgroup_id")
    creatives = _creatives(body.get("creatives"))
    changes: list[tuple[SimEntity, str, dict[str, Any]]] = []
    for index, creative in enumerate(creatives):
        at = f"creatives[{index}]"
        ad = own_entity(context, account, EntityLevel.ad, creative.get("ad_id"), f"{at}.ad_id")
        if ad.parent_id != adgroup.id:
            raise bad_parameter(f"{at}.ad_id: The ad {ad.id} is not in the ad group {adgroup.id}.")
        if ad.status is EntityStatus.removed:
            raise bad_parameter(f"{at}.ad_id: The ad {ad.id} has been deleted and cannot be modified.")
        current = {"ad_name": ad.name, **{k: v for k, v in ad.attributes.items() if k in CREATIVE_FIELDS}}
        name, fields = _creative({**current, **creative}, current, at)
        changes.append((ad, name, fields))
    world = context.state.world
    updated = [world.update_entity(PLATFORM, ad.id, name=name, attributes=fields) for ad, name, fields in changes]
    return _ads_answer(context, account, updated)


def _ads_answer(context: TikTokContext, account: SimAccount, ads: list[SimEntity]) -> JsonObject:
    tree = entity_tree(context, account)
    return {"ad_ids": [ad.id for ad in ads], "creatives": [entity_json(ad, account, tree) for ad in ads]}


def _creatives(value: object) -> list[Mapping[str, Any]]:
    if not isinstance(value, list) or not 1 <= len(value) <= MAX_CREATIVES:
        raise bad_parameter(f"creatives: Length must be between 1 and {MAX_CREATIVES}.")
    if not all(isinstance(creative, dict) for creative in value):
        raise bad_parameter("creatives: Each creative must be an object.")
    return value


def _creative(creative: Mapping[str, Any], current: Mapping[str, Any], at: str) -> tuple[str, dict[str, Any]]:
    """A creative's name and the fields the emulator keeps, checked like TikTok's (``at`` names it in errors)."""
    name = _name(creative.get("ad_name"), f"{at}.ad_name")
    ad_format = _choice(creative, "ad_format", AD_FORMATS, at=at)
    identity_type = _choice(creative, "identity_type", IDENTITY_TYPES, at=at)
    if not isinstance(creative.get("identity_id"), str) or not creative["identity_id"]:
        raise bad_parameter(f"{at}.identity_id: Missing data for required field.")
    spark = bool(creative.get("tiktok_item_id"))
    if not spark:
        text = creative.get("ad_text")
        if not isinstance(text, str) or not 1 <= len(text) <= MAX_AD_TEXT:
            raise bad_parameter(f"{at}.ad_text: Length must be between 1 and {MAX_AD_TEXT}.")
        if ad_format == "SINGLE_VIDEO" and not creative.get("video_id"):
            raise bad_parameter(f"{at}.video_id: Required when ad_format is SINGLE_VIDEO.")
        if ad_format in ("SINGLE_IMAGE", "CAROUSEL_ADS"):
            _non_empty_strings(creative.get("image_ids"), f"{at}.image_ids")
    url = creative.get("landing_page_url")
    if url is not None and (not isinstance(url, str) or not re.match(r"^https?://\S+$", url)):
        raise bad_parameter(f"{at}.landing_page_url: Must be a valid http or https URL.")
    if identity_type == "CUSTOMIZED_USER" and not (creative.get("display_name") or current.get("display_name")):
        raise bad_parameter(f"{at}.display_name: Required when identity_type is CUSTOMIZED_USER.")
    return name, {key: creative[key] for key in CREATIVE_FIELDS if creative.get(key) is not None}


def _name(value: object, field: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise bad_parameter(f"{field}: Missing data for required field.")
    if len(value) > MAX_NAME:
        raise bad_parameter(f"{field}: Length must be at most {MAX_NAME}.")
    return value


def _choice(
    body: Mapping[str, Any], field: str, allowed: frozenset[str], *, default: str | None = None, at: str = ""
) -> str:
    value = body.get(field, default)
    name = f"{at}.{field}" if at else field
    if value is None:
        raise bad_parameter(f"{name}: Missing data for required field.")
    if value not in allowed:
        raise bad_parameter(f"{name}: Must be one of {', '.join(sorted(allowed))}.")
    return str(value)


def _non_empty_strings(value: object, field: str) -> list[str]:
    if not isinstance(value, list) or not value or not all(isinstance(v, str | int) for v in value):
        raise bad_parameter(f"{field}: Must be a non-empty list.")
    return [str(v) for v in value]


def _schedule_time(value: object, field: str) -> str:
    """A schedule time, ``YYYY-MM-DD HH:MM:SS`` in UTC as TikTok takes it."""
    if not isinstance(value, str) or not _TIME.match(value):
        raise bad_parameter(f"{field}: Must be a time in the format YYYY-MM-DD HH:MM:SS.")
    try:
        datetime.strptime(value, "%Y-%m-%d %H:%M:%S")  # noqa: DTZ007 - only the format is checked
    except ValueError:
        raise bad_parameter(f"{field}: Must be a time in the format YYYY-MM-DD HH:MM:SS.") from None
    return value
