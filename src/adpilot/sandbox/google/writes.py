"""Planning one mutate operation of the Google Ads emulator: its context, ``update`` and ``remove``.

An operation is checked first and applied later (:class:`Change`), so that a request whose operations are not all
valid changes nothing (unless ``partialFailure``). Resource names may be temporary (negative ids) in
``googleAds:mutate``: a resource created by an earlier operation of the same request (:class:`Pending`), whose real
id is known once that operation is applied. ``create`` is :mod:`.creates`; the endpoints are :mod:`.entities`.

An ``updateMask`` (a proto3 JSON ``FieldMask``: camelCase paths, comma-separated) is required for an update and may
name ``resourceName``, as the official client libraries' field-mask helpers do; it names nothing else the sandbox
does not emulate. Values are proto3 JSON: int64 as strings (numbers accepted), enums by name or number, a field at
its default (``"UNSPECIFIED"``, ``0``, ``""``) is a field not set.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from adpilot.platforms.types import EntityLevel, EntityStatus, Platform
from adpilot.sandbox.engine import SimAccount, SimEntity, minor_unit_micros
from adpilot.sandbox.google.enums import ENTITY_STATUS, enum_name
from adpilot.sandbox.google.errors import AdsError, GoogleApiError, invalid_json
from adpilot.sandbox.google.fields import Budgets, camel
from adpilot.sandbox.google.resources import BY_SERVICE
from adpilot.sandbox.state import SandboxState

# service → {updateMask path (snake_case): the kind of value it takes}
MUTABLE: dict[str, dict[str, str]] = {
    "campaigns": {
        "name": "string",
        "status": "status",
        "advertising_channel_type": "immutable",
        # Setting a bidding strategy's field sets the strategy (the oneof): a MANUAL_CPC campaign given a target CPA
        # bids on target CPA from then on.
        "target_cpa.target_cpa_micros": "int64",
        "target_roas.target_roas": "double",
        "end_date_time": "datetime",
    },
    "adGroups": {"name": "string", "status": "status", "cpc_bid_micros": "int64", "campaign": "immutable"},
    "adGroupAds": {"status": "status", "ad_group": "immutable"},
    "campaignBudgets": {"amount_micros": "int64", "total_amount_micros": "int64", "name": "string"},
}
COLLECTION_LEVEL = {"campaigns": EntityLevel.campaign, "adGroups": EntityLevel.ad_group, "adGroupAds": EntityLevel.ad}
_STATUS_TYPE = {"campaigns": "CampaignStatus", "adGroups": "AdGroupStatus", "adGroupAds": "AdGroupAdStatus"}


@dataclass
class Pending:
    """A resource created by an earlier operation of the request; ``real_id`` is set when that one is applied."""

    service: str
    objective: str = "traffic"
    channel: str = "SEARCH"
    real_id: str | None = None

    def resolved(self) -> str:
        assert self.real_id is not None  # noqa: S101 - operations are applied in order
        return self.real_id


@dataclass
class RequestPlan:
    """What the operations of one request share while they are checked."""

    temps: dict[str, Pending] = field(default_factory=dict)  # temporary resource name → its pending resource
    failed_temps: set[str] = field(default_factory=set)  # temporary names whose operation failed
    claimed_names: set[str] = field(default_factory=set)  # campaign names taken by earlier creates
    new_budgets: dict[str, dict[str, Any]] = field(default_factory=dict)  # budgets created by earlier operations
    claimed_budgets: set[str] = field(default_factory=set)  # budgets given to campaigns by earlier operations


@dataclass
class Change:
    """A validated operation, applied only when the whole request is valid (or partial failure is allowed)."""

    resource_name: str
    apply: Callable[[], str]  # returns the resource name of the result


@dataclass
class MutateContext:
    state: SandboxState
    budgets: Budgets
    account: SimAccount
    service: str
    location: tuple[tuple[str, int | None], ...]  # where the operation is: operations[i], or mutate_operations[i].…
    plan: RequestPlan = field(default_factory=RequestPlan)

    @property
    def where(self) -> str:
        """The operation's path as Google's JSON front end names it in its messages."""
        return ".".join(name if index is None else f"{name}[{index}]" for name, index in self.location)

    def error(self, category: str, code: str, message: str, *path: tuple[str, int | None]) -> AdsError:
        return AdsError(category, code, message, (*self.location, *path))

    def fail(self, category: str, code: str, message: str, *path: tuple[str, int | None]) -> GoogleApiError:
        return GoogleApiError(400, [self.error(category, code, message, *path)])


def snake(name: str) -> str:
    return ".".join(re.sub(r"(?<!^)([A-Z])", r"_\1", part).lower() for part in name.split("."))


def value_at(resource: Mapping[str, Any], path: str) -> Any:
    """The value at a snake_case mask path (``target_cpa.target_cpa_micros``) of a camelCase JSON resource."""
    value: Any = resource
    for part in path.split("."):
        if not isinstance(value, Mapping):
            return None
        value = value.get(camel(part))
    return value


def check_fields(ctx: MutateContext, resource: Mapping[str, Any], known: frozenset[str], where: str) -> None:
    """Refuse a name the message does not have, as Google's JSON front end does (``where``: below the operation)."""
    unknown = sorted(set(resource) - known)
    if unknown:
        raise invalid_json(
            f"Invalid JSON payload received. Unknown name \"{unknown[0]}\" at '{ctx.where}.{where}': Cannot find field."
        )


def is_unset(value: Any) -> bool:
    """A proto3 field at its default: absent, ``""``, ``0``, ``False`` or ``"UNSPECIFIED"``."""
    return value is None or value == "" or value == "UNSPECIFIED" or (value == 0 and not isinstance(value, str))


Reference = str | Pending  # a real id, or a resource created earlier in the same request


def parse_name(ctx: MutateContext, name: Any, service: str, *path: tuple[str, int | None]) -> Reference:
    """The id at the end of ``customers/{cid}/{service}/{id}`` (``{ad_group}~{ad}`` for ads), or the pending
    resource a temporary (negative) id names."""
    match = re.fullmatch(rf"customers/(\d+)/{re.escape(service)}/(-?[\d~-]+)", name) if isinstance(name, str) else None
    if match is None:
        raise ctx.fail("requestError", "RESOURCE_NAME_MALFORMED", f"Malformed resource name: {name!r}.", *path)
    if match.group(1) != ctx.account.account_id:
        raise ctx.fail("mutateError", "RESOURCE_NOT_FOUND", "The resource was not found in this customer.", *path)
    if match.group(2).startswith("-"):
        if name in ctx.plan.failed_temps:
            raise ctx.fail(
                "newResourceCreationError", "TEMP_ID_RESOURCE_HAD_ERRORS",
                "The operation creating this temporary resource had errors.", *path,
            )  # fmt: skip
        pending = ctx.plan.temps.get(name)
        if pending is None:
            raise ctx.fail("mutateError", "RESOURCE_NOT_FOUND", "Resource was not found.", *path)
        return pending
    return match.group(2)


def find_entity(ctx: MutateContext, resource_id: str, service: str, *path: tuple[str, int | None]) -> SimEntity:
    level = COLLECTION_LEVEL[service]
    ad_group_id: str | None = None
    if level is EntityLevel.ad:
        ad_group_id, _, resource_id = resource_id.partition("~")
    entity = ctx.state.world.entity(Platform.google, resource_id) if resource_id.isdigit() else None
    if (
        entity is None
        or entity.level is not level
        or entity.account_id != ctx.account.account_id
        or (ad_group_id is not None and entity.parent_id != ad_group_id)
    ):
        raise ctx.fail("mutateError", "RESOURCE_NOT_FOUND", "Resource was not found.", *path)
    return entity


def removed_error(ctx: MutateContext, operation: str) -> GoogleApiError:
    return ctx.fail(
        "operationAccessDeniedError", "OPERATION_NOT_PERMITTED_FOR_REMOVED_RESOURCE",
        "Operation is not permitted on a removed resource.", (operation, None),
    )  # fmt: skip


def int64_value(ctx: MutateContext, value: Any, path: str, operation: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str) or not str(value).lstrip("-").isdigit():
        raise invalid_json(
            f"Invalid value at '{ctx.where}.{operation}.{camel(path)}' (TYPE_INT64), {json.dumps(value)}"
        )
    return int(value)


def status_value(ctx: MutateContext, value: Any, operation: str, *, default: str | None = None) -> EntityStatus:
    """A new status: ENABLED or PAUSED (``default`` when not set); REMOVED is for ``remove`` only."""
    where = f"{ctx.where}.{operation}.status"
    word = enum_name(value, ENTITY_STATUS, where, _STATUS_TYPE.get(ctx.service, "CampaignStatus")) or default
    if word == "ENABLED":
        return EntityStatus.active
    if word == "PAUSED":
        return EntityStatus.paused
    if word is None:
        raise ctx.fail("fieldError", "REQUIRED", "The required field was not present.", (operation, None),
                       ("status", None))  # fmt: skip
    if word == "REMOVED":
        raise ctx.fail("fieldError", "INVALID_VALUE", "The status REMOVED can only be set by a remove operation.",
                       (operation, None), ("status", None))  # fmt: skip
    raise ctx.fail("enumError", "ENUM_VALUE_NOT_PERMITTED", "The enum value is not permitted.", (operation, None),
                   ("status", None))  # fmt: skip


def check_budget_amount(ctx: MutateContext, amount: int, operation: str) -> None:
    minor = minor_unit_micros(ctx.account.currency)
    path = ((operation, None), ("amount_micros", None))
    if amount < minor:
        raise ctx.fail("campaignBudgetError", "BUDGET_BELOW_PER_DAY_MINIMUM", "The budget is below the daily minimum.",
                       *path)  # fmt: skip
    if amount % minor:
        raise ctx.fail("campaignBudgetError", "NON_MULTIPLE_OF_MINIMUM_CURRENCY_UNIT",
                       "The budget amount must be a multiple of the minimum unit of the currency.", *path)  # fmt: skip


def check_campaign_name(ctx: MutateContext, name: str, own_id: str | None, operation: str) -> None:
    taken = {
        c.name for c in ctx.state.world.entities(Platform.google, ctx.account.account_id, EntityLevel.campaign)
        if c.id != own_id
    } | ctx.plan.claimed_names  # fmt: skip
    if name in taken:
        raise ctx.fail("campaignError", "DUPLICATE_CAMPAIGN_NAME", "A campaign with this name already exists.",
                       (operation, None), ("name", None))  # fmt: skip
    ctx.plan.claimed_names.add(name)


def update(ctx: MutateContext, operation: Mapping[str, Any]) -> Change:
    resource = operation.get("update")
    if not isinstance(resource, dict):
        raise invalid_json(f"Invalid value at '{ctx.where}.update': expected an object.")
    check_fields(ctx, resource, BY_SERVICE[ctx.service], "update")
    mask = operation.get("updateMask")
    if not isinstance(mask, str) or not mask.strip():
        message = "The field mask must be present for an update operation."
        raise ctx.fail("fieldMaskError", "FIELD_MASK_MISSING", message, ("update_mask", None))
    # The resource name says which resource to update; a mask naming it (as client libraries build masks) is fine.
    paths = [p for p in (snake(p.strip()) for p in mask.split(",") if p.strip()) if p != "resource_name"]
    mutable = MUTABLE[ctx.service]
    for path in paths:
        if path not in mutable:
            raise ctx.fail("fieldMaskError", "FIELD_NOT_FOUND",
                           f"The field mask contained a field the resource does not have (or the sandbox does not "
                           f"emulate): {path}.", ("update_mask", None))  # fmt: skip
        if mutable[path] == "immutable":
            raise ctx.fail("fieldError", "IMMUTABLE_FIELD", "The field cannot be modified after creation.",
                           ("update", None), (path, None))  # fmt: skip
    reference = parse_name(ctx, resource.get("resourceName"), ctx.service, ("update", None), ("resource_name", None))
    if isinstance(reference, Pending):
        raise ctx.fail("mutateError", "MUTATE_NOT_ALLOWED",
                       "The sandbox does not update a resource created in the same request.", ("update", None),
                       ("resource_name", None))  # fmt: skip
    values = {path: value_at(resource, path) for path in paths}
    for path, value in values.items():
        if mutable[path] != "status" and is_unset(value):
            raise ctx.fail("fieldError", "REQUIRED", "The required field was not present.", ("update", None),
                           (path, None))  # fmt: skip
    if ctx.service == "campaignBudgets":
        return _update_budget(ctx, reference, values)
    entity = find_entity(ctx, reference, ctx.service, ("update", None), ("resource_name", None))
    if entity.status is EntityStatus.removed:
        raise removed_error(ctx, "update")
    status = status_value(ctx, values["status"], "update") if "status" in values else None
    name = str(values["name"]) if "name" in values else None
    attributes: dict[str, Any] = {}
    if "cpc_bid_micros" in values:
        attributes["cpc_bid_micros"] = int64_value(ctx, values["cpc_bid_micros"], "cpc_bid_micros", "update")
    attributes.update(_campaign_settings(ctx, entity, values))
    if name is not None and entity.level is EntityLevel.campaign:
        check_campaign_name(ctx, name, entity.id, "update")
    resource_name = str(resource["resourceName"])
    world = ctx.state.world

    def apply_entity() -> str:
        world.update_entity(Platform.google, entity.id, name=name, status=status, attributes=attributes or None)
        return resource_name

    return Change(resource_name, apply_entity)


def _campaign_settings(ctx: MutateContext, campaign: SimEntity, values: Mapping[str, Any]) -> dict[str, Any]:
    """A campaign's bidding target and end as attributes: a target CPA (micros, a whole number of the currency's
    unit) or target ROAS (a ratio above 0) sets its bidding strategy; an end date-time ("YYYY-MM-DD HH:MM:SS" in the
    account's time zone) must not be in the past or before the start."""
    attributes: dict[str, Any] = {}
    if "target_cpa.target_cpa_micros" in values:
        micros = int64_value(ctx, values["target_cpa.target_cpa_micros"], "target_cpa_micros", "update")
        if micros <= 0 or micros % minor_unit_micros(ctx.account.currency):
            raise ctx.fail("biddingError", "INVALID_TARGET_CPA_MICROS" if micros > 0 else "BID_TOO_SMALL",
                           "The target CPA must be a positive multiple of the currency's minimum unit.",
                           ("update", None), ("target_cpa", None), ("target_cpa_micros", None))  # fmt: skip
        attributes.update(bidding_strategy_type="TARGET_CPA", target_cpa_micros=micros)
    if "target_roas.target_roas" in values:
        value = values["target_roas.target_roas"]
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= 1000:
            raise ctx.fail("biddingError", "INVALID_TARGET_ROAS" if not isinstance(value, bool) else "INVALID_FIELD",
                           "The target ROAS must be a number above 0 and at most 1000.",
                           ("update", None), ("target_roas", None), ("target_roas", None))  # fmt: skip
        attributes.update(bidding_strategy_type="TARGET_ROAS", target_roas=float(value))
    if "end_date_time" in values:
        attributes["end_date_time"] = _end_date_time(ctx, campaign, values["end_date_time"])
    return attributes


def _end_date_time(ctx: MutateContext, campaign: SimEntity, value: Any) -> str:
    path = (("update", None), ("end_date_time", None))
    zone = ZoneInfo(ctx.account.time_zone)
    try:
        end = datetime.strptime(str(value), "%Y-%m-%d %H:%M:%S").replace(tzinfo=zone)
    except ValueError:
        raise ctx.fail("dateError", "INVALID_FIELD_FORMAT",
                       "The field's date time is not in the YYYY-MM-DD HH:MM:SS format.", *path) from None  # fmt: skip
    start = campaign.attributes.get("start_date_time")
    starts = datetime.strptime(str(start), "%Y-%m-%d %H:%M:%S").replace(tzinfo=zone) if start else campaign.created_at
    if end < starts:
        raise ctx.fail("campaignError", "END_DATE_BEFORE_START_DATE",
                       "The end date is before the start date.", *path)  # fmt: skip
    if end < ctx.state.clock.now():
        raise ctx.fail("campaignError", "CANNOT_SET_DATE_TO_PAST", "The date cannot be set to the past.",
                       *path)  # fmt: skip
    return end.strftime("%Y-%m-%d %H:%M:%S")


def _update_budget(ctx: MutateContext, resource_id: str, values: Mapping[str, Any]) -> Change:
    world = ctx.state.world
    campaign_id = ctx.budgets.campaign_of(resource_id)
    pending = ctx.budgets.pending.get(resource_id)
    campaign = world.entity(Platform.google, campaign_id) if campaign_id else None
    if pending is None and (campaign is None or campaign.account_id != ctx.account.account_id):
        raise ctx.fail("mutateError", "RESOURCE_NOT_FOUND", "Resource was not found.", ("update", None),
                       ("resource_name", None))  # fmt: skip
    amount = None
    if "amount_micros" in values:
        amount = int64_value(ctx, values["amount_micros"], "amount_micros", "update")
        check_budget_amount(ctx, amount, "update")
        if campaign is not None and campaign.daily_budget_micros is None:
            raise ctx.fail("campaignBudgetError", "BUDGET_AMOUNT_MUST_BE_UNSET_FOR_CUSTOM_BUDGET_PERIOD",
                           "The budget is a total for a custom period: set total_amount_micros, not amount_micros.",
                           ("update", None), ("amount_micros", None))  # fmt: skip
    total = None
    if "total_amount_micros" in values:
        total = int64_value(ctx, values["total_amount_micros"], "total_amount_micros", "update")
        check_budget_amount(ctx, total, "update")
        if campaign is not None and campaign.lifetime_budget_micros is None:
            raise ctx.fail("campaignBudgetError", "TOTAL_BUDGET_AMOUNT_MUST_BE_UNSET_FOR_BUDGET_PERIOD_DAILY",
                           "The budget is daily: set amount_micros, not total_amount_micros.",
                           ("update", None), ("total_amount_micros", None))  # fmt: skip
    name = str(values["name"]) if "name" in values else None
    resource_name = f"customers/{ctx.account.account_id}/campaignBudgets/{resource_id}"

    def apply_budget() -> str:
        if pending is not None and resource_id in ctx.budgets.pending:
            if amount is not None:
                pending["amount_micros"] = amount
            if name is not None:
                pending["name"] = name
        elif campaign is not None:
            world.update_entity(
                Platform.google, campaign.id, daily_budget_micros=amount, lifetime_budget_micros=total,
                attributes={"budget_name": name} if name is not None else None,
            )  # fmt: skip
        return resource_name

    return Change(resource_name, apply_budget)


def remove(ctx: MutateContext, operation: Mapping[str, Any]) -> Change:
    name = operation.get("remove")
    reference = parse_name(ctx, name, ctx.service, ("remove", None))
    if isinstance(reference, Pending):
        message = "The sandbox does not remove a resource created in the same request."
        raise ctx.fail("mutateError", "MUTATE_NOT_ALLOWED", message, ("remove", None))
    if ctx.service == "campaignBudgets":
        if reference in ctx.budgets.pending:
            return Change(str(name), lambda: (ctx.budgets.pending.pop(reference, None), str(name))[1])
        raise ctx.fail("campaignBudgetError", "CAMPAIGN_BUDGET_IN_USE",
                       "The campaign budget is associated with a campaign, and so it cannot be removed.",
                       ("remove", None))  # fmt: skip
    entity = find_entity(ctx, reference, ctx.service, ("remove", None))
    if entity.status is EntityStatus.removed:
        raise removed_error(ctx, "remove")

    def apply() -> str:
        ctx.state.world.update_entity(Platform.google, entity.id, status=EntityStatus.removed)
        return str(name)

    return Change(str(name), apply)
