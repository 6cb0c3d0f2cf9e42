"""TikTok's campaigns, ad groups and ads: reads and writes (reference §C.3 and its emulator checklist, item 4).

* ``GET /open_api/v1.3/{campaign,adgroup,ad}/get/`` — ``advertiser_id``, JSON-encoded ``filtering`` (unknown keys
  refused; deleted entities only with a ``primary_status`` or ``secondary_status`` that asks for them) and
  ``fields``, ``page``/``page_size`` (1 to 1,000) with ``page_info``; newest first.
* ``POST /open_api/v1.3/campaign/create/`` — validates ``objective_type``, ``budget_mode`` and ``budget``; idempotent
  on the body's ``request_id``.
* A campaign's daily budget is at least TikTok's minimum (``minimum_campaign_daily_budget_micros``), at creation and
  at every update.
* ``POST /open_api/v1.3/{campaign,adgroup}/update/`` — name and budget (the budget mode cannot change), an ad
  group's bid (``bids``) and schedule (``schedule_end_time`` with ``schedule_type`` SCHEDULE_START_END, after its
  start and not in the past, "YYYY-MM-DD HH:MM:SS" in the advertiser's time zone).
* Every write with a body ``request_id`` (an int64 as a string) is applied once: a repeat of the same path and
  ``request_id`` gets the first answer again and changes nothing.
* ``adgroup/create/``, ``ad/create/`` and ``ad/update/`` are in ``creation``.
* ``POST /open_api/v1.3/{campaign,adgroup,ad}/status/update/`` — ENABLE, DISABLE or DELETE for 1 to 20 ids, all or
  none; DELETE is terminal and deletes what is under a campaign or ad group.

Also the entity's JSON as ``*/get/`` returns it and its primary and secondary statuses, which reports filter on.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from decimal import ROUND_CEILING, Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from adpilot.platforms.types import EntityLevel, EntityStatus
from adpilot.sandbox.engine import SimAccount, SimEntity
from adpilot.sandbox.engine.model import ZERO_DECIMAL_CURRENCIES, units_per_usd
from adpilot.sandbox.tiktok.bids import BID_FIELDS, SCHEDULE_FIELDS, bid_attributes, schedule_attributes
from adpilot.sandbox.tiktok.context import PLATFORM, Call, JsonObject, Operation, TikTokContext, reachable_account
from adpilot.sandbox.tiktok.errors import bad_parameter
from adpilot.sandbox.tiktok.params import json_param, only, paged, paging

MAX_STATUS_UPDATE_IDS = 20
MAX_FILTER_IDS = 100

NOUNS: dict[EntityLevel, str] = {
    EntityLevel.campaign: "campaign",
    EntityLevel.ad_group: "adgroup",
    EntityLevel.ad: "ad",
}
_OBJECTIVE_TYPES: dict[str, str] = {
    "sales": "WEB_CONVERSIONS",
    "traffic": "TRAFFIC",
    "leads": "LEAD_GENERATION",
    "awareness": "REACH",
    "app_installs": "APP_PROMOTION",
    "video_views": "VIDEO_VIEWS",
}
_NEUTRAL_OBJECTIVES: dict[str, str] = {
    "WEB_CONVERSIONS": "sales",
    "PRODUCT_SALES": "sales",
    "TRAFFIC": "traffic",
    "LEAD_GENERATION": "leads",
    "REACH": "awareness",
    "RF_REACH": "awareness",
    "APP_PROMOTION": "app_installs",
    "VIDEO_VIEWS": "video_views",
    "ENGAGEMENT": "video_views",
}
_OPTIMIZATION_GOALS = {
    "sales": ("CONVERT", "OCPM"),
    "traffic": ("CLICK", "CPC"),
    "leads": ("LEAD_GENERATION", "OCPM"),
    "awareness": ("REACH", "CPM"),
    "app_installs": ("INSTALL", "OCPM"),
    "video_views": ("ENGAGED_VIEW", "CPV"),
}
_BUDGET_MODES = ("BUDGET_MODE_INFINITE", "BUDGET_MODE_DAY", "BUDGET_MODE_TOTAL", "BUDGET_MODE_DYNAMIC_DAILY_BUDGET")
# TikTok's smallest daily budget of a campaign: 20 USD (the platform reference's figure; it varies by currency). In
# other currencies the emulator takes the same amount at its own price levels, rounded up to a whole unit.
_CAMPAIGN_DAILY_MINIMUM_USD = Decimal(20)
_OPERATIONS: dict[str, EntityStatus] = {
    "ENABLE": EntityStatus.active,
    "DISABLE": EntityStatus.paused,
    "DELETE": EntityStatus.removed,
}
# primary_status filter values and which entities they keep.
_PRIMARY_STATUSES = (
    "STATUS_ALL",
    "STATUS_NOT_DELETE",
    "STATUS_DELETE",
    "STATUS_DELIVERY_OK",
    "STATUS_DISABLE",
    "STATUS_NOT_DELIVERY",
)


def api_routes() -> list[Operation]:
    return [
        Operation("GET", "campaign/get/", list_campaigns),
        Operation("GET", "adgroup/get/", list_adgroups),
        Operation("GET", "ad/get/", list_ads),
        Operation("POST", "campaign/create/", create_campaign),
        Operation("POST", "campaign/update/", update_campaign),
        Operation("POST", "adgroup/update/", update_adgroup),
        Operation("POST", "campaign/status/update/", update_campaign_status),
        Operation("POST", "adgroup/status/update/", update_adgroup_status),
        Operation("POST", "ad/status/update/", update_ad_status),
    ]


# --- reads -------------------------------------------------------------------------------------------------------


async def list_campaigns(call: Call, context: TikTokContext) -> JsonObject:
    return _list_entities(call, context, EntityLevel.campaign)


async def list_adgroups(call: Call, context: TikTokContext) -> JsonObject:
    return _list_entities(call, context, EntityLevel.ad_group)


async def list_ads(call: Call, context: TikTokContext) -> JsonObject:
    return _list_entities(call, context, EntityLevel.ad)


def _list_entities(call: Call, context: TikTokContext, level: EntityLevel) -> JsonObject:
    account = reachable_account(context, call, call.query.get("advertiser_id"))
    page, page_size = paging(call.query)
    filtering = json_param(call.query, "filtering", dict, required=False) or {}
    fields = json_param(call.query, "fields", list, required=False)
    tree = entity_tree(context, account)
    entities = [entity for entity in entities_of(context, account, level) if _matches(entity, level, filtering, tree)]
    entities.sort(key=lambda entity: (entity.created_at, int(entity.id) if entity.id.isdigit() else 0))
    entities.reverse()  # newest first
    items = [only(entity_json(entity, account, tree), fields) for entity in entities]
    return paged(items, page, page_size)


def entities_of(context: TikTokContext, account: SimAccount, level: EntityLevel) -> list[SimEntity]:
    """The advertiser's entities of ``level``, deleted ones included."""
    return context.state.world.entities(PLATFORM, account.account_id, level, include_removed=True)


def entity_tree(context: TikTokContext, account: SimAccount) -> dict[str, SimEntity]:
    """Every entity of the advertiser by id, for reading ancestors' names and statuses."""
    return {
        entity.id: entity
        for level in (EntityLevel.campaign, EntityLevel.ad_group, EntityLevel.ad)
        for entity in entities_of(context, account, level)
    }


# --- writes ------------------------------------------------------------------------------------------------------


async def create_campaign(call: Call, context: TikTokContext) -> JsonObject:
    world = context.state.world
    account = reachable_account(context, call, call.body.get("advertiser_id"))
    request_id = call.body.get("request_id")
    if request_id is not None:
        if not isinstance(request_id, str | int) or not str(request_id).isdigit():
            raise bad_parameter("request_id: Must be an int64 passed as a string.")
        existing = context.created.get((account.account_id, str(request_id)))
        if existing is not None:
            entity = world.entity(PLATFORM, existing)
            if entity is not None:
                return entity_json(entity, account, entity_tree(context, account))
    name = call.body.get("campaign_name")
    if not isinstance(name, str) or not name.strip():
        raise bad_parameter("campaign_name: Missing data for required field.")
    if len(name) > 512:
        raise bad_parameter("campaign_name: Length must be at most 512.")
    objective_type = call.body.get("objective_type")
    if objective_type not in _NEUTRAL_OBJECTIVES:
        raise bad_parameter(f"objective_type: Must be one of {', '.join(sorted(_NEUTRAL_OBJECTIVES))}.")
    budget_mode = call.body.get("budget_mode", "BUDGET_MODE_INFINITE")
    if budget_mode not in _BUDGET_MODES:
        raise bad_parameter(f"budget_mode: Must be one of {', '.join(_BUDGET_MODES)}.")
    daily: int | None = None
    lifetime: int | None = None
    if budget_mode != "BUDGET_MODE_INFINITE":
        if "budget" not in call.body:
            raise bad_parameter(f"budget: Required when budget_mode is {budget_mode}.")
        micros = budget_micros(call.body["budget"])
        if budget_mode == "BUDGET_MODE_TOTAL":
            lifetime = micros
        else:
            daily = check_campaign_daily_budget(micros, account.currency)
    operation = call.body.get("operation_status", "ENABLE")
    if operation not in ("ENABLE", "DISABLE"):
        raise bad_parameter("operation_status: Must be one of ENABLE, DISABLE.")
    optimize_on = call.body.get("budget_optimize_on", budget_mode != "BUDGET_MODE_INFINITE")
    if not isinstance(optimize_on, bool):
        raise bad_parameter("budget_optimize_on: Must be a boolean.")
    entity = world.create_entity(
        PLATFORM,
        account.account_id,
        EntityLevel.campaign,
        name=name,
        parent_id=None,
        status=_OPERATIONS[str(operation)],
        objective=_NEUTRAL_OBJECTIVES[str(objective_type)],
        daily_budget_micros=daily,
        lifetime_budget_micros=lifetime,
        attributes={
            "objective_type": objective_type,
            "budget_mode": budget_mode,
            "budget_optimize_on": optimize_on,
        },
    )
    if request_id is not None:
        context.created[(account.account_id, str(request_id))] = entity.id
    return entity_json(entity, account, entity_tree(context, account))


async def update_campaign(call: Call, context: TikTokContext) -> JsonObject:
    return _update_entity(call, context, EntityLevel.campaign)


async def update_adgroup(call: Call, context: TikTokContext) -> JsonObject:
    return _update_entity(call, context, EntityLevel.ad_group)


def _update_entity(call: Call, context: TikTokContext, level: EntityLevel) -> JsonObject:
    account = reachable_account(context, call, call.body.get("advertiser_id"))
    return _once(
        call, context, account, f"{NOUNS[level]}/update/", lambda: _apply_update(call, context, account, level)
    )


def _once(
    call: Call, context: TikTokContext, account: SimAccount, path: str, write: Callable[[], JsonObject]
) -> JsonObject:
    """``write`` unless the body's ``request_id`` was answered on ``path`` before: then that answer again."""
    request_id = call.body.get("request_id")
    if request_id is None:
        return write()
    if not isinstance(request_id, str | int) or isinstance(request_id, bool) or not str(request_id).isdigit():
        raise bad_parameter("request_id: Must be an int64 passed as a string.")
    key = (account.account_id, path, str(request_id))
    if key not in context.answered:
        context.answered[key] = write()
    return context.answered[key]


def _apply_update(call: Call, context: TikTokContext, account: SimAccount, level: EntityLevel) -> JsonObject:
    noun = NOUNS[level]
    entity = own_entity(context, account, level, call.body.get(f"{noun}_id"), f"{noun}_id")
    if entity.status is EntityStatus.removed:
        raise bad_parameter(f"{noun}_id: The {noun} has been deleted and cannot be modified.")
    mode = budget_mode_of(entity)
    if "budget_mode" in call.body and call.body["budget_mode"] != mode:
        raise bad_parameter("budget_mode: The budget mode cannot be modified.")
    name = call.body.get(f"{noun}_name")
    if name is not None and (not isinstance(name, str) or not name.strip() or len(name) > 512):
        raise bad_parameter(f"{noun}_name: Length must be between 1 and 512.")
    changes: dict[str, Any] = {}
    if name is not None:
        changes["name"] = name
    if level is EntityLevel.ad_group and any(field in call.body for field in BID_FIELDS):
        tree = entity_tree(context, account)
        campaign = tree.get(entity.campaign_id)
        budgets = [entity.daily_budget_micros, entity.lifetime_budget_micros]
        if campaign is not None:
            budgets += [campaign.daily_budget_micros, campaign.lifetime_budget_micros]
        cap = min((budget for budget in budgets if budget), default=None)
        changes["attributes"] = bid_attributes(call.body, entity.attributes, cap)
    if level is EntityLevel.ad_group and any(field in call.body for field in SCHEDULE_FIELDS):
        zone = ZoneInfo(account.time_zone)
        now = context.state.clock.now().astimezone(zone)
        schedule = schedule_attributes(call.body, entity.attributes, entity.created_at.astimezone(zone), now)
        changes["attributes"] = {**changes.get("attributes", {}), **schedule}
    if "budget" in call.body:
        micros = budget_micros(call.body["budget"])
        if mode == "BUDGET_MODE_TOTAL":
            changes["lifetime_budget_micros"] = micros
        elif mode in ("BUDGET_MODE_DAY", "BUDGET_MODE_DYNAMIC_DAILY_BUDGET"):
            if level is EntityLevel.campaign:
                check_campaign_daily_budget(micros, account.currency)
            changes["daily_budget_micros"] = micros
        else:
            raise bad_parameter(f"budget: The {noun} has no budget ({mode}).")
    if changes:
        entity = context.state.world.update_entity(PLATFORM, entity.id, **changes)
    return entity_json(entity, account, entity_tree(context, account))


async def update_campaign_status(call: Call, context: TikTokContext) -> JsonObject:
    return _update_status(call, context, EntityLevel.campaign)


async def update_adgroup_status(call: Call, context: TikTokContext) -> JsonObject:
    return _update_status(call, context, EntityLevel.ad_group)


async def update_ad_status(call: Call, context: TikTokContext) -> JsonObject:
    return _update_status(call, context, EntityLevel.ad)


def _update_status(call: Call, context: TikTokContext, level: EntityLevel) -> JsonObject:
    account = reachable_account(context, call, call.body.get("advertiser_id"))
    path = f"{NOUNS[level]}/status/update/"
    return _once(call, context, account, path, lambda: _apply_status(call, context, account, level))


def _apply_status(call: Call, context: TikTokContext, account: SimAccount, level: EntityLevel) -> JsonObject:
    world = context.state.world
    noun = NOUNS[level]
    ids = call.body.get(f"{noun}_ids")
    if not isinstance(ids, list) or not 1 <= len(ids) <= MAX_STATUS_UPDATE_IDS:
        raise bad_parameter(f"{noun}_ids: Length must be between 1 and {MAX_STATUS_UPDATE_IDS}.")
    operation = call.body.get("operation_status")
    if operation not in _OPERATIONS:
        raise bad_parameter("operation_status: Must be one of ENABLE, DISABLE, DELETE.")
    target = _OPERATIONS[str(operation)]
    # Validate every id before changing any: the call succeeds or fails as a whole.
    entities = [own_entity(context, account, level, entity_id, f"{noun}_ids") for entity_id in ids]
    for entity in entities:
        if entity.status is EntityStatus.removed and target is not EntityStatus.removed:
            raise bad_parameter(f"{noun}_ids: {noun} {entity.id} has been deleted and cannot be modified.")
    for entity in entities:
        if entity.status is target:
            world.record_write(PLATFORM, entity.id)  # accepted, nothing to change
            continue
        world.update_entity(PLATFORM, entity.id, status=target)
        if target is EntityStatus.removed:
            # Deleting a campaign or ad group deletes everything under it, as on TikTok.
            for child in _descendants(context, account, entity):
                if child.status is not EntityStatus.removed:
                    world.update_entity(PLATFORM, child.id, status=EntityStatus.removed)
    listed = [entity.id for entity in entities]
    return {
        f"{noun}_ids": listed,
        "status": operation,
        f"{noun}_list": [{f"{noun}_id": entity_id, "status": operation} for entity_id in listed],
    }


def own_entity(
    context: TikTokContext, account: SimAccount, level: EntityLevel, entity_id: object, name: str
) -> SimEntity:
    if not isinstance(entity_id, str | int) or isinstance(entity_id, bool) or not str(entity_id):
        raise bad_parameter(f"{name}: Missing data for required field.")
    entity = context.state.world.entity(PLATFORM, str(entity_id))
    if entity is None or entity.level is not level or entity.account_id != account.account_id:
        raise bad_parameter(f"{name}: {NOUNS[level]} {entity_id} does not exist.")
    return entity


def _descendants(context: TikTokContext, account: SimAccount, entity: SimEntity) -> list[SimEntity]:
    if entity.level is EntityLevel.campaign:
        return [
            child
            for level in (EntityLevel.ad_group, EntityLevel.ad)
            for child in entities_of(context, account, level)
            if child.campaign_id == entity.id
        ]
    if entity.level is EntityLevel.ad_group:
        return [child for child in entities_of(context, account, EntityLevel.ad) if child.parent_id == entity.id]
    return []


def budget_micros(value: object) -> int:
    """A budget in major units (a JSON number) as micros; TikTok keeps two decimals."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise bad_parameter("budget: Must be a number.")
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        raise bad_parameter("budget: Must be a number.") from None
    if not amount.is_finite() or amount <= 0:
        raise bad_parameter("budget: Must be greater than 0.")
    if amount != amount.quantize(Decimal("0.01")):
        raise bad_parameter("budget: At most two decimal places.")
    return int(amount * 1_000_000)


def minimum_campaign_daily_budget_micros(currency: str) -> int:
    """TikTok's smallest daily budget of a campaign in ``currency``, in micros of a whole unit."""
    amount = (_CAMPAIGN_DAILY_MINIMUM_USD * Decimal(str(units_per_usd(currency)))).to_integral_value(ROUND_CEILING)
    if currency in ZERO_DECIMAL_CURRENCIES:
        amount = max(amount, Decimal(1))
    return int(amount) * 1_000_000


def check_campaign_daily_budget(micros: int, currency: str) -> int:
    """Refuse a campaign's daily budget below TikTok's minimum, as TikTok words it; the budget otherwise."""
    minimum = minimum_campaign_daily_budget_micros(currency)
    if micros < minimum:
        figure = f"{Decimal(minimum) / 1_000_000:.2f}"
        raise bad_parameter(f"budget: The campaign daily budget must be at least {figure} {currency}.")
    return micros


# --- the entity as TikTok writes it ------------------------------------------------------------------------------


def _major(micros: int) -> float:
    """Micros as TikTok's float in major units (budgets)."""
    return float(Decimal(micros) / 1_000_000)


def _time(moment: datetime) -> str:
    return f"{moment:%Y-%m-%d %H:%M:%S}"


def _jsonable(value: Any) -> bool:
    if value is None or isinstance(value, str | int | float | bool):
        return True
    if isinstance(value, list):
        return all(_jsonable(item) for item in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and _jsonable(v) for k, v in value.items())
    return False


def budget_mode_of(entity: SimEntity) -> str:
    dynamic = "BUDGET_MODE_DYNAMIC_DAILY_BUDGET"
    if entity.daily_budget_micros is not None:
        return dynamic if entity.attributes.get("budget_mode") == dynamic else "BUDGET_MODE_DAY"
    if entity.lifetime_budget_micros is not None:
        return "BUDGET_MODE_TOTAL"
    return "BUDGET_MODE_INFINITE"


def _budget_json(entity: SimEntity) -> JsonObject:
    micros = entity.daily_budget_micros or entity.lifetime_budget_micros or 0
    return {"budget": _major(micros), "budget_mode": budget_mode_of(entity)}


def objective_type(entity: SimEntity, tree: Mapping[str, SimEntity]) -> str:
    """The ``objective_type`` of the entity's campaign: as created, or TikTok's for the simulated objective."""
    campaign = tree.get(entity.campaign_id, entity)
    declared = campaign.attributes.get("objective_type")
    if isinstance(declared, str) and declared:
        return declared
    return _OBJECTIVE_TYPES.get(campaign.objective, "TRAFFIC")


def _deleted(entity: SimEntity, tree: Mapping[str, SimEntity]) -> bool:
    """Deleting a campaign or ad group deletes what is under it on TikTok."""
    ancestors = (tree.get(entity.campaign_id), tree.get(entity.parent_id or ""))
    return entity.status is EntityStatus.removed or any(
        a is not None and a is not entity and a.status is EntityStatus.removed for a in ancestors
    )


def primary_status(entity: SimEntity, tree: Mapping[str, SimEntity]) -> str:
    """The entity's ``primary_status``: delivering, disabled, not delivering (an ancestor is off) or deleted."""
    if _deleted(entity, tree):
        return "STATUS_DELETE"
    if entity.status is EntityStatus.paused:
        return "STATUS_DISABLE"
    ancestors = [tree.get(entity.campaign_id), tree.get(entity.parent_id or "")]
    if any(a is not None and a is not entity and a.status is not EntityStatus.active for a in ancestors):
        return "STATUS_NOT_DELIVERY"
    return "STATUS_DELIVERY_OK"


def _secondary_status(entity: SimEntity, tree: Mapping[str, SimEntity]) -> str:
    prefix = {"campaign": "CAMPAIGN", "adgroup": "ADGROUP", "ad": "AD"}[NOUNS[entity.level]]
    if _deleted(entity, tree):
        return f"{prefix}_STATUS_DELETE"
    if entity.status is EntityStatus.paused:
        return f"{prefix}_STATUS_DISABLE"
    if entity.level is EntityLevel.campaign:
        return "CAMPAIGN_STATUS_ENABLE"
    campaign = tree.get(entity.campaign_id)
    if campaign is not None and campaign.status is not EntityStatus.active:
        return f"{prefix}_STATUS_CAMPAIGN_DISABLE"
    if entity.level is EntityLevel.ad:
        adgroup = tree.get(entity.parent_id or "")
        if adgroup is not None and adgroup.status is not EntityStatus.active:
            return "AD_STATUS_ADGROUP_DISABLE"
    return f"{prefix}_STATUS_DELIVERY_OK"


def entity_json(entity: SimEntity, account: SimAccount, tree: Mapping[str, SimEntity]) -> JsonObject:
    """A campaign, ad group or ad as TikTok's */get/ returns it."""
    noun = NOUNS[entity.level]
    item: JsonObject = {
        "advertiser_id": account.account_id,
        "campaign_id": entity.campaign_id,
        # A deleted entity keeps its last switch position; only the secondary status says it is deleted.
        "operation_status": "ENABLE" if entity.status is EntityStatus.active else "DISABLE",
        "secondary_status": _secondary_status(entity, tree),
        "create_time": _time(entity.created_at),
        "modify_time": _time(entity.updated_at),
    }
    if entity.level is EntityLevel.campaign:
        item.update(
            {
                "campaign_name": entity.name,
                "campaign_type": "REGULAR_CAMPAIGN",
                "objective_type": objective_type(entity, tree),
                "budget_optimize_on": entity.daily_budget_micros is not None
                or entity.lifetime_budget_micros is not None,
                "is_new_structure": True,
                "is_smart_performance_campaign": False,
                **_budget_json(entity),
            }
        )
    elif entity.level is EntityLevel.ad_group:
        campaign = tree.get(entity.campaign_id)
        goal, billing = _OPTIMIZATION_GOALS.get(campaign.objective if campaign else entity.objective, ("CLICK", "CPC"))
        attrs = entity.attributes
        item.update(
            {
                "adgroup_id": entity.id,
                "adgroup_name": entity.name,
                # As created (``creation``), else what the simulated objective implies.
                "optimization_goal": attrs.get("optimization_goal", goal),
                "billing_event": attrs.get("billing_event", billing),
                "bid_type": attrs.get("bid_type", "BID_TYPE_NO_BID"),
                "placement_type": attrs.get("placement_type", "PLACEMENT_TYPE_AUTOMATIC"),
                "schedule_type": attrs.get("schedule_type", "SCHEDULE_FROM_NOW"),
                **_budget_json(entity),
            }
        )
    else:
        item.update(
            {
                "adgroup_id": entity.parent_id,
                "ad_id": entity.id,
                "ad_name": entity.name,
                "ad_format": "SINGLE_VIDEO",
            }
        )
    for key, value in entity.attributes.items():
        if key not in item and _jsonable(value):
            item[key] = value
    item[f"{noun}_id"] = entity.id
    return item


# --- the filtering of */get/ -------------------------------------------------------------------------------------


def _ids(value: object, name: str) -> set[str]:
    if not isinstance(value, list) or not 1 <= len(value) <= MAX_FILTER_IDS:
        raise bad_parameter(f"filtering.{name}: Length must be between 1 and {MAX_FILTER_IDS}.")
    return {str(item) for item in value}


def status_matches(primary: str, wanted: str) -> bool:
    """Whether an entity with ``primary`` status passes a ``primary_status`` (or report status) filter value."""
    if wanted == "STATUS_ALL":
        return True
    if wanted == "STATUS_NOT_DELETE":
        return primary != "STATUS_DELETE"
    if wanted == "STATUS_NOT_DELIVERY":
        return primary in ("STATUS_NOT_DELIVERY", "STATUS_DISABLE")
    return primary == wanted


def _matches(
    entity: SimEntity, level: EntityLevel, filtering: Mapping[str, Any], tree: Mapping[str, SimEntity]
) -> bool:
    """The ``filtering`` object of */get/ (unknown keys are refused, so a misspelt filter cannot pass unnoticed)."""
    noun = NOUNS[level]
    prefix = noun.upper()
    allowed = {"campaign_ids", "primary_status", "secondary_status", "objective_type", "buying_types"}
    allowed |= {"campaign_name"} if level is EntityLevel.campaign else set()
    allowed |= {"adgroup_ids", "adgroup_name"} if level is EntityLevel.ad_group else set()
    allowed |= {"adgroup_ids", "ad_ids", "ad_name"} if level is EntityLevel.ad else set()
    unknown = sorted(set(filtering) - allowed)
    if unknown:
        raise bad_parameter(f"filtering: Unknown field {', '.join(unknown)}.")
    if "campaign_ids" in filtering and entity.campaign_id not in _ids(filtering["campaign_ids"], "campaign_ids"):
        return False
    if "adgroup_ids" in filtering:
        adgroup_id = entity.id if level is EntityLevel.ad_group else entity.parent_id
        if adgroup_id not in _ids(filtering["adgroup_ids"], "adgroup_ids"):
            return False
    if "ad_ids" in filtering and entity.id not in _ids(filtering["ad_ids"], "ad_ids"):
        return False
    name_filter = filtering.get(f"{noun}_name")
    if isinstance(name_filter, str) and name_filter.lower() not in entity.name.lower():
        return False
    objective = filtering.get("objective_type")
    if objective is not None and objective_type(entity, tree) != objective:
        return False
    primary = filtering.get("primary_status")
    secondary = filtering.get("secondary_status")
    if primary is not None and primary not in _PRIMARY_STATUSES:
        raise bad_parameter(f"filtering.primary_status: Must be one of {', '.join(_PRIMARY_STATUSES)}.")
    if primary is None and secondary is None:
        primary = "STATUS_NOT_DELETE"  # TikTok's default: deleted entities only when asked for
    if primary is not None and not status_matches(primary_status(entity, tree), str(primary)):
        return False
    if secondary is not None:
        if not isinstance(secondary, str) or not secondary.startswith(f"{prefix}_STATUS_"):
            raise bad_parameter(f"filtering.secondary_status: Must be a {prefix}_STATUS_* value.")
        actual = _secondary_status(entity, tree)
        if secondary == f"{prefix}_STATUS_NOT_DELETE":
            return actual != f"{prefix}_STATUS_DELETE"
        if secondary != f"{prefix}_STATUS_ALL" and actual != secondary:
            return False
    return True
