"""Reading campaigns, ad sets and ads (``platform-apis.md`` section B, "Entities"):

* the ad account's edges ``/act_{id}/campaigns|adsets|ads``: ``fields``, ``effective_status`` (deleted and archived
  objects hidden unless asked for), object ``filtering`` on ``id`` (also ``campaign.id``/``adset.id`` of the objects
  below), ``effective_status`` and ``updated_time`` (the last change in effect at the clock's now, in unix seconds;
  what the incremental entity sync asks for), and cursor paging;
* an object's node ``/{object_id}`` (GET; its writes are in ``entities_write``);
* Graph's multiple-id read ``GET /?ids=a,b,c&fields=…`` (``read_entities``): at most 50 ids, the answer an object
  keyed by id; one id that does not exist (or another login's) fails the whole request with code 803 "Some of the
  aliases you requested do not exist: …", as Graph does. It is one call, counted against each ad account its ids
  belong to.
"""

from __future__ import annotations

import hashlib
import math
import operator
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from adpilot.platforms.types import EntityLevel, EntityStatus, Platform
from adpilot.sandbox.engine import SimAccount, SimEntity
from adpilot.sandbox.meta.context import GraphCall, GraphRoute, MetaContext
from adpilot.sandbox.meta.errors import GraphError, invalid_parameter
from adpilot.sandbox.meta.graph import (
    EFFECTIVE_STATUSES,
    NODE_TYPES,
    OPTIMIZATION_GOALS,
    PREFIXES,
    account_index,
    chain,
    effective_status,
    fields,
    json_param,
    meta_objective,
    meta_status,
    meta_time,
    micros_to_minor,
    page,
    with_id,
)

JsonObject = dict[str, Any]

ENTITY_FIELDS: Mapping[EntityLevel, frozenset[str]] = {
    EntityLevel.campaign: frozenset(
        {"id", "account_id", "name", "status", "configured_status", "effective_status", "objective"}
        | {"daily_budget", "lifetime_budget", "budget_remaining", "buying_type", "bid_strategy"}
        | {"special_ad_categories", "special_ad_category", "is_adset_budget_sharing_enabled"}
        | {"start_time", "stop_time", "created_time", "updated_time"}
    ),
    EntityLevel.ad_group: frozenset(
        {"id", "account_id", "campaign_id", "name", "status", "configured_status", "effective_status"}
        | {"daily_budget", "lifetime_budget", "budget_remaining", "optimization_goal", "billing_event"}
        | {"bid_strategy", "bid_amount", "targeting", "start_time", "end_time", "created_time", "updated_time"}
    ),
    EntityLevel.ad: frozenset(
        {"id", "account_id", "campaign_id", "adset_id", "name", "status", "configured_status", "effective_status"}
        | {"creative", "created_time", "updated_time"}
    ),
}
EDGE_LEVELS: Mapping[str, EntityLevel] = {
    "campaigns": EntityLevel.campaign,
    "adsets": EntityLevel.ad_group,
    "ads": EntityLevel.ad,
}
_HIDDEN_BY_DEFAULT = frozenset({"DELETED", "ARCHIVED"})


def api_routes() -> list[GraphRoute]:
    get = frozenset({"GET"})
    return [
        *(GraphRoute("account", edge, get, list_entities) for edge in EDGE_LEVELS),
        GraphRoute("object", None, get, read_entity),
    ]


async def list_entities(context: MetaContext, call: GraphCall) -> JsonObject:
    """``GET /act_{id}/campaigns|adsets|ads``."""
    account = call.the_account()
    level = EDGE_LEVELS[str(call.edge)]
    chosen = fields(call.params, ENTITY_FIELDS[level], ("id",), NODE_TYPES[level])
    wanted = _effective_status_filter(call.params)
    rules = _object_filtering(call.params.get("filtering"), level)
    index = account_index(context, account.account_id)
    now = context.state.clock.now()

    def updated(entity: SimEntity) -> datetime:
        return updated_at(context, entity, index, now)

    listed = [
        entity
        for entity in index.values()
        if entity.level is level
        and (status := effective_status(entity, index)) in wanted
        and all(rule.admits(entity, index, status, updated) for rule in rules)
    ]
    return page(call, listed, lambda entity: entity_json(context, entity, account, chosen, index))


async def read_entity(context: MetaContext, call: GraphCall) -> JsonObject:
    """``GET /{object_id}``."""
    entity, account = call.the_entity(), call.the_account()
    chosen = fields(call.params, ENTITY_FIELDS[entity.level], ("id",), NODE_TYPES[entity.level])
    return entity_json(context, entity, account, chosen, account_index(context, account.account_id))


MAX_IDS = 50


async def read_entities(context: MetaContext, call: GraphCall, ids: Sequence[str]) -> JsonObject:
    """``GET /?ids=…``: each object as ``GET /{object_id}`` answers it, keyed by its id; the ad accounts the ids
    belong to are set on ``call`` (in order) for the rate limit."""
    if not ids:
        raise invalid_parameter("The parameter ids is required", field_name="ids")
    if len(ids) > MAX_IDS:
        raise GraphError(f"(#100) Too many IDs. Maximum: {MAX_IDS}. Provided: {len(ids)}.", code=100)
    login = call.the_login()
    found: dict[str, SimEntity] = {}
    missing: list[str] = []
    for entity_id in ids:
        entity = context.world.entity(Platform.meta, entity_id)
        if isinstance(entity, SimEntity) and entity.account_id in login.account_ids:
            found[entity_id] = entity
        else:
            missing.append(entity_id)
    if missing:
        raise GraphError(f"(#803) Some of the aliases you requested do not exist: {','.join(missing)}", code=803)
    answer: JsonObject = {}
    for entity_id, entity in found.items():
        account = context.world.account(Platform.meta, entity.account_id)
        if not isinstance(account, SimAccount):
            raise GraphError(f"(#803) Some of the aliases you requested do not exist: {entity_id}", code=803)
        chosen = fields(call.params, ENTITY_FIELDS[entity.level], ("id",), NODE_TYPES[entity.level])
        answer[entity_id] = entity_json(context, entity, account, chosen, account_index(context, account.account_id))
    return answer


def accounts_of(context: MetaContext, ids: Sequence[str]) -> list[str]:
    """The ad accounts of the objects ``ids`` names (unknown ids skipped), each once, in order."""
    accounts: list[str] = []
    for entity_id in ids:
        entity = context.world.entity(Platform.meta, entity_id)
        if entity is not None and entity.account_id not in accounts:
            accounts.append(entity.account_id)
    return accounts


def updated_at(context: MetaContext, entity: SimEntity, index: Mapping[str, SimEntity], now: datetime) -> datetime:
    """The object's ``updated_time``: its last change in effect at ``now``. A history may hold changes planned
    for later (the demo's, or a test's): those do not show before their moment. Deleting a campaign or ad set
    deletes what is under it, so that is a change of those objects too."""
    world = context.world
    moments = [entity.created_at]
    if entity.updated_at <= now:
        moments.append(entity.updated_at)
    moments += [moment for moment, _ in world.status_history(Platform.meta, entity.id) if moment <= now]
    moments += [moment for moment, _, _ in world.budget_history(Platform.meta, entity.id) if moment <= now]
    for level, owner in chain(entity, index).items():
        if level is not entity.level and owner.status is EntityStatus.removed:
            history = world.status_history(Platform.meta, owner.id)
            moments += [moment for moment, status in history if status is EntityStatus.removed and moment <= now]
    return max(moments)


def entity_json(
    context: MetaContext,
    entity: SimEntity,
    account: SimAccount,
    chosen: Sequence[str],
    index: Mapping[str, SimEntity],
) -> JsonObject:
    status = meta_status(entity)
    campaign = index.get(entity.campaign_id)
    objective = campaign.objective if campaign is not None else entity.objective
    attrs = entity.attributes
    values: JsonObject = {
        "id": entity.id,
        "account_id": account.account_id,
        "name": entity.name,
        "status": status,
        "configured_status": status,
        "effective_status": effective_status(entity, index),
        "created_time": meta_time(entity.created_at, account.time_zone),
        "updated_time": meta_time(updated_at(context, entity, index, context.state.clock.now()), account.time_zone),
        "start_time": meta_time(entity.created_at, account.time_zone),
    }
    if entity.daily_budget_micros is not None:
        values["daily_budget"] = micros_to_minor(entity.daily_budget_micros, account.currency)
    if entity.lifetime_budget_micros is not None:
        values["lifetime_budget"] = micros_to_minor(entity.lifetime_budget_micros, account.currency)
    if entity.daily_budget_micros is not None or entity.lifetime_budget_micros is not None:
        values["budget_remaining"] = values.get("daily_budget") or values.get("lifetime_budget")
    if entity.level is EntityLevel.campaign:
        values["objective"] = meta_objective(entity)
        values["buying_type"] = "AUCTION"
        values["special_ad_categories"] = attrs.get("special_ad_categories", [])
        values["special_ad_category"] = (values["special_ad_categories"] or ["NONE"])[0]
        if "stop_time" in attrs:
            values["stop_time"] = attrs["stop_time"]
        if entity.daily_budget_micros is not None or entity.lifetime_budget_micros is not None:
            values["bid_strategy"] = attrs.get("bid_strategy", "LOWEST_COST_WITHOUT_CAP")
        else:
            values["is_adset_budget_sharing_enabled"] = bool(attrs.get("is_adset_budget_sharing_enabled", False))
    else:
        values["campaign_id"] = entity.campaign_id
    if entity.level is EntityLevel.ad_group:
        values["optimization_goal"] = attrs.get("optimization_goal", OPTIMIZATION_GOALS.get(objective, "REACH"))
        values["billing_event"] = attrs.get("billing_event", "IMPRESSIONS")
        values["bid_strategy"] = attrs.get("bid_strategy", "LOWEST_COST_WITHOUT_CAP")
        if "bid_amount" in attrs:
            # An unsigned integer in minor units, a JSON number (unlike budgets, which are numeric strings).
            values["bid_amount"] = int(attrs["bid_amount"])
        if "targeting" in attrs:
            values["targeting"] = attrs["targeting"]
        if "end_time" in attrs:
            values["end_time"] = attrs["end_time"]
        elif "flight_days" in attrs:
            # The simulation's flights are a number of days; Meta states when the ad set ends.
            end = entity.created_at + timedelta(days=int(attrs["flight_days"]))
            values["end_time"] = meta_time(end, account.time_zone)
    if entity.level is EntityLevel.ad:
        values["adset_id"] = entity.parent_id
        creative_id = attrs.get("creative_id") or str(
            int(hashlib.sha256(f"creative:{entity.id}".encode()).hexdigest(), 16) % 10**15 + 10**15
        )
        values["creative"] = {"id": str(creative_id)}
    return with_id(values, chosen)


def _effective_status_filter(params: Mapping[str, Any]) -> frozenset[str]:
    if "effective_status" not in params:
        return EFFECTIVE_STATUSES - _HIDDEN_BY_DEFAULT
    value = json_param(params["effective_status"], "effective_status")
    if not isinstance(value, list) or not value or any(v not in EFFECTIVE_STATUSES for v in value):
        raise invalid_parameter(
            "Filtering field effective_status with operation in has invalid value", field_name="effective_status"
        )
    return frozenset(str(v) for v in value)


# Object filtering on the campaign, ad set and ad edges: the comparisons ``updated_time`` (unix seconds) takes, and
# the ones ``id`` and ``effective_status`` take (developers.facebook.com/docs/marketing-api/reference: filtering).
_TIME_OPERATORS: Mapping[str, Callable[[int, int], bool]] = {
    "EQUAL": operator.eq,
    "NOT_EQUAL": operator.ne,
    "GREATER_THAN": operator.gt,
    "GREATER_THAN_OR_EQUAL": operator.ge,
    "LESS_THAN": operator.lt,
    "LESS_THAN_OR_EQUAL": operator.le,
}
_RANGE_OPERATORS = frozenset({"IN_RANGE", "NOT_IN_RANGE"})
_SET_OPERATORS = frozenset({"IN", "NOT_IN", "EQUAL", "NOT_EQUAL"})


@dataclass(frozen=True)
class _ObjectRule:
    """One rule of an edge's ``filtering``: ``id`` of the object or of its ad set or campaign, its
    ``effective_status`` or its ``updated_time``."""

    level: EntityLevel  # whose attribute: the listed object's, or (``id`` only) its ad set's or campaign's
    attribute: str
    operator: str
    values: frozenset[str] = frozenset()
    bounds: tuple[int, ...] = ()

    def admits(
        self,
        entity: SimEntity,
        index: Mapping[str, SimEntity],
        status: str,
        updated: Callable[[SimEntity], datetime],
    ) -> bool:
        if self.attribute == "updated_time":
            seconds = math.floor(updated(entity).timestamp())
            if self.operator in _RANGE_OPERATORS:
                inside = self.bounds[0] <= seconds <= self.bounds[1]
                return inside if self.operator == "IN_RANGE" else not inside
            return _TIME_OPERATORS[self.operator](seconds, self.bounds[0])
        if self.attribute == "id":
            owner = chain(entity, index).get(self.level)
            value = owner.id if owner is not None else ""
        else:
            value = status
        return (value in self.values) is (self.operator in ("IN", "EQUAL"))


def _object_filtering(raw: Any, level: EntityLevel) -> tuple[_ObjectRule, ...]:
    """The ``filtering`` of a campaign, ad set or ad list: rules on ``id`` (also ``campaign.id`` on ad sets and ads,
    ``adset.id`` on ads), ``effective_status`` and ``updated_time``, each field bare or prefixed by the edge's
    object (``adset.updated_time``). Anything else is Meta's invalid-parameter error."""
    if raw in (None, ""):
        return ()
    rules = json_param(raw, "filtering")
    if not isinstance(rules, list):
        raise invalid_parameter("Param filtering must be an array", field_name="filtering")
    by_prefix = {prefix: at for at, prefix in PREFIXES.items()}
    reachable = set(_chain_levels(level))
    parsed: list[_ObjectRule] = []
    for rule in rules:
        if not isinstance(rule, dict) or not {"field", "operator", "value"} <= set(rule):
            raise invalid_parameter("Each filtering rule needs field, operator and value", field_name="filtering")
        field_name, op, value = str(rule["field"]), str(rule["operator"]), rule["value"]
        prefix, _, attribute = field_name.rpartition(".")
        owner = by_prefix.get(prefix, level) if prefix else level
        valid_field = attribute in ("id", "effective_status", "updated_time") and (
            not prefix or (prefix in by_prefix and (owner is level or (attribute == "id" and owner in reachable)))
        )
        if not valid_field:
            raise invalid_parameter(f"Filtering field {field_name} is invalid.", field_name="filtering")
        if attribute == "updated_time":
            parsed.append(_time_rule(field_name, op, value, owner))
            continue
        if op not in _SET_OPERATORS:
            raise invalid_parameter(f"Filtering operator {op} is not valid for {field_name}", field_name="filtering")
        if op in ("IN", "NOT_IN"):
            if not isinstance(value, list) or not value:
                raise invalid_parameter(f"Filtering value of {field_name} must be an array", field_name="filtering")
            values = frozenset(str(v) for v in value)
        else:
            if isinstance(value, (list, dict)):
                raise invalid_parameter(
                    f"Filtering value of {field_name} must be a single value", field_name="filtering"
                )
            values = frozenset({str(value)})
        if attribute == "effective_status" and (unknown := sorted(values - EFFECTIVE_STATUSES)):
            raise invalid_parameter(f"Filtering value {unknown[0]} is not a valid {field_name}", field_name="filtering")
        parsed.append(_ObjectRule(owner, attribute, op, values=values))
    return tuple(parsed)


def _time_rule(field_name: str, op: str, value: Any, owner: EntityLevel) -> _ObjectRule:
    if op not in _TIME_OPERATORS and op not in _RANGE_OPERATORS:
        raise invalid_parameter(f"Filtering operator {op} is not valid for {field_name}", field_name="filtering")
    raw = value if op in _RANGE_OPERATORS else [value]
    if not isinstance(raw, list) or len(raw) != (2 if op in _RANGE_OPERATORS else 1):
        raise invalid_parameter(f"Filtering value of {field_name} is not valid", field_name="filtering")
    bounds = []
    for bound in raw:
        text = str(bound).strip()
        if isinstance(bound, bool) or not text.lstrip("-").isdigit():
            raise invalid_parameter(
                f"Filtering value of {field_name} must be a unix timestamp in seconds", field_name="filtering"
            )
        bounds.append(int(text))
    return _ObjectRule(owner, "updated_time", op, bounds=tuple(bounds))


def _chain_levels(level: EntityLevel) -> tuple[EntityLevel, ...]:
    """The level and those above it (an ad's: ad, ad set, campaign)."""
    return {
        EntityLevel.campaign: (EntityLevel.campaign,),
        EntityLevel.ad_group: (EntityLevel.ad_group, EntityLevel.campaign),
        EntityLevel.ad: (EntityLevel.ad, EntityLevel.ad_group, EntityLevel.campaign),
    }[level]
