"""Writing campaigns, ad sets and ads (``platform-apis.md`` section B, "Entities"), with Meta's validation:

* creates ``POST /act_{id}/campaigns|adsets|ads`` (a campaign needs an ODAX ``objective`` and
  ``special_ad_categories``, and without a campaign budget ``is_adset_budget_sharing_enabled``; an ad set needs a
  budget unless its campaign has one, ``billing_event``, ``optimization_goal`` and ``targeting.geo_locations``; an ad
  a ``creative``, existing or inline, at most 50 non-archived ads per ad set); budgets in minor units of the account
  currency;
* updates ``POST /{object_id}`` (``status``, ``name``, ``daily_budget``/``lifetime_budget``, an ad set's
  ``bid_strategy``/``bid_amount`` and ``end_time``, a campaign's ``stop_time`` (ISO 8601 with an offset, later than
  the start and than now); at most four ad-set budget changes an hour, code 17 after that) and deletes
  ``DELETE /{object_id}``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from adpilot.platforms.types import EntityLevel, EntityStatus, Platform
from adpilot.sandbox.engine import SandboxWorldError, SimAccount, SimEntity
from adpilot.sandbox.meta.context import GraphCall, GraphRoute, MetaContext
from adpilot.sandbox.meta.entities_read import EDGE_LEVELS
from adpilot.sandbox.meta.errors import GraphError, invalid_parameter
from adpilot.sandbox.meta.graph import MICROS, NEUTRAL_OBJECTIVES, NODE_TYPES, currency_offset, json_param, meta_time

JsonObject = dict[str, Any]

AD_SET_BUDGET_CHANGES_PER_HOUR = 4
SPECIAL_AD_CATEGORIES = frozenset(
    {
        "NONE",
        "HOUSING",
        "EMPLOYMENT",
        "CREDIT",
        "ISSUES_ELECTIONS_POLITICS",
        "ONLINE_GAMBLING_AND_GAMING",
        "FINANCIAL_PRODUCTS_SERVICES",
    }
)
BID_STRATEGIES = frozenset(
    {"LOWEST_COST_WITHOUT_CAP", "LOWEST_COST_WITH_BID_CAP", "COST_CAP", "LOWEST_COST_WITH_MIN_ROAS"}
)
BID_CAPPED_STRATEGIES = frozenset({"LOWEST_COST_WITH_BID_CAP", "COST_CAP"})
BILLING_EVENTS = frozenset({"IMPRESSIONS", "LINK_CLICKS", "THRUPLAY", "APP_INSTALLS", "PAGE_LIKES", "POST_ENGAGEMENT"})
OPTIMIZATION_GOAL_VALUES = frozenset(
    {
        "NONE",
        "APP_INSTALLS",
        "IMPRESSIONS",
        "LEAD_GENERATION",
        "LINK_CLICKS",
        "OFFSITE_CONVERSIONS",
        "PAGE_LIKES",
        "POST_ENGAGEMENT",
        "QUALITY_LEAD",
        "REACH",
        "LANDING_PAGE_VIEWS",
        "THRUPLAY",
        "VALUE",
        "CONVERSATIONS",
    }
)


def api_routes() -> list[GraphRoute]:
    post = frozenset({"POST"})
    return [
        *(GraphRoute("account", edge, post, create) for edge in EDGE_LEVELS),
        GraphRoute("object", None, post, update),
        GraphRoute("object", None, frozenset({"DELETE"}), delete),
    ]


async def update(context: MetaContext, call: GraphCall) -> JsonObject:
    """``POST /{object_id}``."""
    _update_entity(context, call.the_entity(), call.the_account(), call.params)
    return {"success": True}


async def delete(context: MetaContext, call: GraphCall) -> JsonObject:
    """``DELETE /{object_id}``: the object (and so what is under it) is deleted."""
    _update_entity(context, call.the_entity(), call.the_account(), {"status": "DELETED"})
    return {"success": True}


def _update_entity(context: MetaContext, entity: SimEntity, account: SimAccount, params: Mapping[str, Any]) -> None:
    if entity.status is EntityStatus.removed:
        raise invalid_parameter(
            "Cannot update a deleted object",
            user_msg="This object has been deleted and can no longer be edited.",
        )
    known = {"access_token", "status", "name", "daily_budget", "lifetime_budget"}
    end_field = {EntityLevel.campaign: "stop_time", EntityLevel.ad_group: "end_time"}.get(entity.level)
    if entity.level is EntityLevel.ad_group:
        known |= {"bid_amount", "bid_strategy"}
    if end_field is not None:
        known.add(end_field)
    unknown = sorted(set(params) - known)
    if unknown:
        raise invalid_parameter(f"Param {unknown[0]} is not valid", field_name=unknown[0])
    changes: JsonObject = {}
    attributes: JsonObject | None = None
    if "bid_amount" in params or "bid_strategy" in params:
        attributes = {**entity.attributes, **_bid(params, entity.attributes)}
    if end_field is not None and end_field in params:
        end = _end_time(context, entity, account, params[end_field], end_field)
        attributes = {**(attributes or entity.attributes), end_field: end}
    if "status" in params:
        word = str(params["status"])
        if word not in ("ACTIVE", "PAUSED", "DELETED", "ARCHIVED"):
            raise invalid_parameter(
                "Param status must be one of {ACTIVE, PAUSED, DELETED, ARCHIVED}", field_name="status"
            )
        changes["status"] = {
            "ACTIVE": EntityStatus.active,
            "PAUSED": EntityStatus.paused,
        }.get(word, EntityStatus.removed)
        if word in ("DELETED", "ARCHIVED"):
            attributes = {**(attributes or entity.attributes), "meta_status": word}
    if "name" in params:
        name = str(params["name"]).strip()
        if not name:
            raise invalid_parameter("Param name must be non-empty", field_name="name")
        changes["name"] = name
    for budget_field in ("daily_budget", "lifetime_budget"):
        if budget_field not in params:
            continue
        current = entity.daily_budget_micros if budget_field == "daily_budget" else entity.lifetime_budget_micros
        if entity.level is EntityLevel.ad or current is None:
            raise invalid_parameter(
                f"Param {budget_field} is not valid for this object",
                field_name=budget_field,
                user_msg=f"This {NODE_TYPES[entity.level].lower()} has no {budget_field.replace('_', ' ')} of its own.",
            )
        micros = _budget_micros(params[budget_field], account.currency, budget_field)
        if entity.level is EntityLevel.ad_group and micros != current:
            _count_budget_change(context, entity)
        changes[f"{budget_field}_micros"] = micros
    if attributes is not None:
        changes["attributes"] = attributes
    if changes:
        try:
            context.world.update_entity(Platform.meta, entity.id, **changes)
        except SandboxWorldError as exc:
            raise invalid_parameter(str(exc)) from None


def _end_time(context: MetaContext, entity: SimEntity, account: SimAccount, value: Any, field: str) -> str:
    """An ad set's ``end_time`` or a campaign's ``stop_time``: ISO 8601 with an offset (or Unix seconds), after the
    object's start and in the future; kept in the account's local time as Graph returns it."""
    text = str(value).strip()
    try:
        moment = (
            datetime.fromtimestamp(int(text), UTC) if text.isdigit() else datetime.strptime(text, "%Y-%m-%dT%H:%M:%S%z")
        )
    except (ValueError, OverflowError):
        raise invalid_parameter(
            f"Param {field} must be a valid ISO 8601 time with a UTC offset", field_name=field
        ) from None
    if moment <= entity.created_at:
        raise invalid_parameter(
            f"Param {field} must be after the start time", field_name=field,
            user_msg="The end time must be later than the start time.",
        )  # fmt: skip
    if moment <= context.state.clock.now():
        raise invalid_parameter(
            f"Param {field} must be in the future", field_name=field, user_msg="The end time cannot be in the past."
        )
    return meta_time(moment, account.time_zone)


def _count_budget_change(context: MetaContext, entity: SimEntity) -> None:
    """Meta lets an ad set's budget change at most four times an hour (code 17 after that)."""
    now = context.state.clock.now()
    memory = context.memory
    with memory.lock:
        changes = memory.budget_changes[entity.id]
        while changes and changes[0] <= now - timedelta(hours=1):
            changes.popleft()
        if len(changes) >= AD_SET_BUDGET_CHANGES_PER_HOUR:
            wait = (changes[0] + timedelta(hours=1) - now).total_seconds()
            raise GraphError(
                "(#17) User request limit reached",
                code=17,
                subcode=2446079,
                is_transient=False,
                user_title="Ad set budget changed too often",
                user_msg="The budget of this ad set can be changed at most 4 times per hour.",
                regain_minutes=round(wait / 60, 2),
            )
        changes.append(now)


async def create(context: MetaContext, call: GraphCall) -> JsonObject:
    """``POST /act_{id}/campaigns|adsets|ads``."""
    account, level = call.the_account(), EDGE_LEVELS[str(call.edge)]
    params = call.params
    name = str(params.get("name") or "").strip()
    if not name:
        raise invalid_parameter("The parameter name is required", field_name="name")
    status_word = str(params.get("status") or "ACTIVE")
    if status_word not in ("ACTIVE", "PAUSED"):
        raise invalid_parameter("Param status must be one of {ACTIVE, PAUSED}", field_name="status")
    status = EntityStatus.active if status_word == "ACTIVE" else EntityStatus.paused
    daily = (
        _budget_micros(params["daily_budget"], account.currency, "daily_budget") if "daily_budget" in params else None
    )
    lifetime = (
        _budget_micros(params["lifetime_budget"], account.currency, "lifetime_budget")
        if "lifetime_budget" in params
        else None
    )
    if daily is not None and lifetime is not None:
        raise invalid_parameter("Only one of daily_budget and lifetime_budget can be set", field_name="lifetime_budget")
    try:
        if level is EntityLevel.campaign:
            entity = _create_campaign(context, call, account, name, status, daily, lifetime)
        elif level is EntityLevel.ad_group:
            entity = _create_ad_set(context, call, account, name, status, daily, lifetime)
        else:
            entity = _create_ad(context, call, account, name, status)
    except SandboxWorldError as exc:
        raise invalid_parameter(str(exc)) from None
    return {"id": entity.id}


def _create_campaign(
    context: MetaContext,
    call: GraphCall,
    account: SimAccount,
    name: str,
    status: EntityStatus,
    daily: int | None,
    lifetime: int | None,
) -> SimEntity:
    params = call.params
    objective = str(params.get("objective") or "")
    if objective not in NEUTRAL_OBJECTIVES:
        raise invalid_parameter(
            "Param objective must be one of {" + ", ".join(sorted(NEUTRAL_OBJECTIVES)) + "}",
            field_name="objective",
        )
    if "special_ad_categories" not in params:
        raise invalid_parameter(
            "The parameter special_ad_categories is required",
            field_name="special_ad_categories",
            user_msg="Declare the special ad categories of this campaign ([] if none).",
        )
    categories = json_param(params["special_ad_categories"], "special_ad_categories")
    if not isinstance(categories, list) or any(c not in SPECIAL_AD_CATEGORIES for c in categories):
        raise invalid_parameter(
            "Param special_ad_categories must be a list of special ad categories",
            field_name="special_ad_categories",
        )
    attributes: JsonObject = {
        "objective": objective,
        "special_ad_categories": [c for c in categories if c != "NONE"],
    }
    if daily is None and lifetime is None:
        sharing = params.get("is_adset_budget_sharing_enabled")
        if str(sharing).lower() not in ("true", "false", "1", "0"):
            raise invalid_parameter(
                "Must specify True or False in is_adset_budget_sharing_enabled field if you are not using "
                "campaign budget.",
                field_name="is_adset_budget_sharing_enabled",
            )
        attributes["is_adset_budget_sharing_enabled"] = str(sharing).lower() in ("true", "1")
    else:
        attributes["bid_strategy"] = str(params.get("bid_strategy") or "LOWEST_COST_WITHOUT_CAP")
    entity: SimEntity = context.world.create_entity(
        Platform.meta,
        account.account_id,
        EntityLevel.campaign,
        name=name,
        parent_id=None,
        status=status,
        objective=NEUTRAL_OBJECTIVES[objective],
        daily_budget_micros=daily,
        lifetime_budget_micros=lifetime,
        attributes=attributes,
    )
    return entity


def _create_ad_set(
    context: MetaContext,
    call: GraphCall,
    account: SimAccount,
    name: str,
    status: EntityStatus,
    daily: int | None,
    lifetime: int | None,
) -> SimEntity:
    params = call.params
    campaign = _own_entity(context, account, EntityLevel.campaign, params.get("campaign_id"), "campaign_id")
    campaign_budget = campaign.daily_budget_micros is not None or campaign.lifetime_budget_micros is not None
    if campaign_budget and (daily is not None or lifetime is not None):
        raise invalid_parameter(
            "Budget should be set at the campaign level when the campaign has a campaign budget",
            field_name="daily_budget" if daily is not None else "lifetime_budget",
        )
    if not campaign_budget and daily is None and lifetime is None:
        raise invalid_parameter(
            "Either daily_budget or lifetime_budget must be set when the campaign has no campaign budget",
            field_name="daily_budget",
        )
    if lifetime is not None and not params.get("end_time"):
        raise invalid_parameter("end_time is required for an ad set with a lifetime budget", field_name="end_time")
    billing_event = str(params.get("billing_event") or "")
    if billing_event not in BILLING_EVENTS:
        raise invalid_parameter(
            "Param billing_event must be one of {" + ", ".join(sorted(BILLING_EVENTS)) + "}",
            field_name="billing_event",
        )
    goal = str(params.get("optimization_goal") or "")
    if goal not in OPTIMIZATION_GOAL_VALUES:
        raise invalid_parameter("Param optimization_goal is not valid", field_name="optimization_goal")
    if "targeting" not in params:
        raise invalid_parameter("The parameter targeting is required", field_name="targeting")
    targeting = json_param(params["targeting"], "targeting")
    if not isinstance(targeting, dict) or not isinstance(targeting.get("geo_locations"), dict):
        raise invalid_parameter(
            "Param targeting must include geo_locations",
            field_name="targeting",
            user_msg="Choose where the ads are shown (targeting.geo_locations).",
        )
    attributes: JsonObject = {"optimization_goal": goal, "billing_event": billing_event, "targeting": targeting}
    attributes.update(_bid(params, {}))
    if params.get("end_time"):
        attributes["end_time"] = str(params["end_time"])
    entity: SimEntity = context.world.create_entity(
        Platform.meta,
        account.account_id,
        EntityLevel.ad_group,
        name=name,
        parent_id=campaign.id,
        status=status,
        objective=campaign.objective,
        daily_budget_micros=daily,
        lifetime_budget_micros=lifetime,
        attributes=attributes,
    )
    return entity


def _create_ad(
    context: MetaContext, call: GraphCall, account: SimAccount, name: str, status: EntityStatus
) -> SimEntity:
    params = call.params
    ad_set = _own_entity(context, account, EntityLevel.ad_group, params.get("adset_id"), "adset_id")
    if "creative" not in params:
        raise invalid_parameter("The parameter creative is required", field_name="creative")
    creative = json_param(params["creative"], "creative")
    attributes = _creative_attributes(creative)
    live_ads = [
        ad
        for ad in context.world.entities(Platform.meta, account.account_id, EntityLevel.ad)
        if ad.parent_id == ad_set.id
    ]
    if len(live_ads) >= 50:
        raise invalid_parameter(
            "Ad set has reached the limit of 50 non-archived ads",
            user_msg="An ad set can hold at most 50 ads that are not archived.",
        )
    entity: SimEntity = context.world.create_entity(
        Platform.meta,
        account.account_id,
        EntityLevel.ad,
        name=name,
        parent_id=ad_set.id,
        status=status,
        objective=ad_set.objective,
        attributes=attributes,
    )
    return entity


def _creative_attributes(creative: Any) -> JsonObject:
    """An ad's creative: an existing one (``{"creative_id": "…"}``) or one given inline, a link ad
    (``{"object_story_spec": {"page_id": "…", "link_data": {"link": "https://…", "message": …}}}``)."""
    if isinstance(creative, dict) and str(creative.get("creative_id") or "").isdigit():
        return {"creative_id": str(creative["creative_id"])}
    spec = creative.get("object_story_spec") if isinstance(creative, dict) else None
    if not isinstance(spec, dict):
        raise invalid_parameter(
            'Param creative must be {"creative_id": "<id>"} or an inline creative with object_story_spec',
            field_name="creative",
        )
    if not str(spec.get("page_id") or "").isdigit():
        raise invalid_parameter(
            "The parameter object_story_spec[page_id] is required",
            field_name="creative",
            user_msg="Choose the Facebook Page the ad is published by.",
        )
    link_data = spec.get("link_data")
    link = link_data.get("link") if isinstance(link_data, dict) else None
    if not isinstance(link, str) or not link.startswith(("http://", "https://")):
        raise invalid_parameter("Param object_story_spec[link_data][link] must be a valid URL", field_name="creative")
    return {"page_id": str(spec["page_id"]), "link": link, "link_data": link_data}


def _own_entity(
    context: MetaContext, account: SimAccount, level: EntityLevel, entity_id: Any, field_name: str
) -> SimEntity:
    if not entity_id:
        raise invalid_parameter(f"The parameter {field_name} is required", field_name=field_name)
    entity = context.world.entity(Platform.meta, str(entity_id))
    if (
        not isinstance(entity, SimEntity)
        or entity.level is not level
        or entity.account_id != account.account_id
        or entity.status is EntityStatus.removed
    ):
        raise invalid_parameter(f"Param {field_name} is not a valid {NODE_TYPES[level]} id", field_name=field_name)
    return entity


def _bid(params: Mapping[str, Any], current: Mapping[str, Any]) -> JsonObject:
    """An ad set's ``bid_strategy`` and ``bid_amount`` (an integer in minor units) as given, checked against each
    other: a bid cap or cost cap needs its amount."""
    chosen: JsonObject = {}
    if params.get("bid_strategy"):
        strategy = str(params["bid_strategy"])
        if strategy not in BID_STRATEGIES:
            raise invalid_parameter(
                "Param bid_strategy must be one of {" + ", ".join(sorted(BID_STRATEGIES)) + "}",
                field_name="bid_strategy",
            )
        chosen["bid_strategy"] = strategy
    if params.get("bid_amount") not in (None, ""):
        text = str(params["bid_amount"]).strip()
        if not text.isdigit() or int(text) <= 0:
            raise invalid_parameter(
                "Param bid_amount must be a positive integer in the currency's minor unit", field_name="bid_amount"
            )
        chosen["bid_amount"] = int(text)
    strategy = chosen.get("bid_strategy", current.get("bid_strategy", "LOWEST_COST_WITHOUT_CAP"))
    if strategy in BID_CAPPED_STRATEGIES and "bid_amount" not in chosen and "bid_amount" not in current:
        raise invalid_parameter(
            f"Bid amount required: a bid_amount must be set for the bid strategy {strategy}",
            field_name="bid_amount",
            user_msg="Give the bid cap or the cost cap of this ad set in bid_amount.",
        )
    return chosen


def _budget_micros(value: Any, currency: str, name: str) -> int:
    text = str(value).strip()
    if not text.isdigit() or int(text) <= 0:
        raise invalid_parameter(
            f"Param {name} must be a positive integer in the currency's minor unit",
            field_name=name,
            user_msg=f"The {name.replace('_', ' ')} must be a whole number of the smallest unit of {currency}.",
        )
    return int(text) * MICROS // currency_offset(currency)
