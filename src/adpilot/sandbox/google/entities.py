"""Entity writes of the Google Ads emulator: ``:mutate`` for campaigns, ad groups, ads and campaign budgets.

Entity reads are GAQL queries, served by :mod:`.reports` (``googleAds:search`` / ``searchStream``) as Google does.
The writes are ``POST /{version}/customers/{customer_id}/{service}:mutate`` for ``campaigns``, ``adGroups``,
``adGroupAds`` and ``campaignBudgets``: ``create`` (campaigns and non-shared campaign budgets), ``update`` (an
``updateMask`` is required; only the paths in ``_MUTABLE`` are emulated) and ``remove``, with ``validateOnly``,
``partialFailure`` (failed operations give empty results and a ``partialFailureError``) and
``responseContentType: MUTABLE_RESOURCE``. Every operation is checked before any is applied; each counts one
operation against the quota. Errors are Google's (``fieldMaskError``, ``fieldError``, ``mutateError``,
``campaignError``, ``campaignBudgetError``) located at ``operations[i]``; a malformed body fails the request whole.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from fastapi import Request, Response
from fastapi.responses import JSONResponse

from adpilot.platforms.types import EntityLevel, EntityStatus, Platform
from adpilot.sandbox.engine import SimAccount, SimEntity, minor_unit_micros
from adpilot.sandbox.google.context import ApiHandler, ApiRoute, Caller, GoogleContext, json_object
from adpilot.sandbox.google.errors import AdsError, GoogleApiError, invalid_json, request_id
from adpilot.sandbox.google.fields import (
    ADVERTISING_CHANNELS,
    BIDDING_FIELDS,
    FIELDS,
    OBJECTIVE_BY_CHANNEL,
    Budgets,
    Row,
    camel,
)
from adpilot.sandbox.google.gaql import Query
from adpilot.sandbox.google.query import Plan, render
from adpilot.sandbox.google.quota import count_operations
from adpilot.sandbox.state import SandboxState

_MUTABLE: dict[str, dict[str, str]] = {
    # service → {updateMask path (snake_case): the kind of value it takes}
    "campaigns": {"name": "string", "status": "status", "advertising_channel_type": "immutable"},
    "adGroups": {"name": "string", "status": "status", "cpc_bid_micros": "int64"},
    "adGroupAds": {"status": "status"},
    "campaignBudgets": {"amount_micros": "int64", "name": "string"},
}
_COLLECTION_LEVEL = {"campaigns": EntityLevel.campaign, "adGroups": EntityLevel.ad_group, "adGroupAds": EntityLevel.ad}
_MUTATE_KEYS = frozenset({"operations", "partialFailure", "validateOnly", "responseContentType"})


def api_routes(context: GoogleContext) -> list[ApiRoute]:
    return [ApiRoute(f"customers/{{customer_id}}/{service}:mutate", _mutate_handler(service)) for service in _MUTABLE]


def _mutate_handler(service: str) -> ApiHandler:
    async def handler(request: Request, context: GoogleContext, who: Caller) -> Response:
        return await mutate(request, context, who, service)

    return handler


async def mutate(request: Request, context: GoogleContext, who: Caller, service: str) -> Response:
    state, budgets, account = context.state, context.budgets, who.customer
    body = await json_object(request, _MUTATE_KEYS)
    operations = body.get("operations")
    if not isinstance(operations, list) or not operations:
        raise GoogleApiError(
            400,
            [AdsError("fieldError", "REQUIRED", "The required field was not present.", (("operations", None),))],
        )
    count_operations(state, account.account_id, len(operations))
    partial = bool(body.get("partialFailure"))
    validate_only = bool(body.get("validateOnly"))
    planned: list[_Change | None] = []
    errors: list[AdsError] = []
    claimed: set[str] = set()
    for index, operation in enumerate(operations):
        ctx = _MutateContext(state, budgets, account, service, index, claimed)
        try:
            planned.append(_plan_operation(ctx, operation))
        except GoogleApiError as exc:
            if not exc.errors:
                raise  # a malformed request fails as a whole, whatever partialFailure says
            errors += exc.errors
            planned.append(None)
    if errors and not partial:
        raise GoogleApiError(400, errors)
    if validate_only:
        return JSONResponse({})
    results: list[dict[str, Any]] = []
    mutable = body.get("responseContentType") == "MUTABLE_RESOURCE"
    for change in planned:
        if change is None:
            results.append({})
            continue
        name = change.apply()
        result: dict[str, Any] = {"resourceName": name}
        if mutable:
            result |= _mutable_resource(state, budgets, account, name)
        results.append(result)
    response: dict[str, Any] = {"results": results}
    if errors:
        response["partialFailureError"] = {
            "code": 3,
            "message": f"{sum(1 for c in planned if c is None)} operation(s) failed.",
            "details": [
                {
                    "@type": f"type.googleapis.com/google.ads.googleads.{who.version}.errors.GoogleAdsFailure",
                    "errors": [e.to_json() for e in errors],
                    "requestId": request_id(request),
                }
            ],
        }
    return JSONResponse(response)


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)([A-Z])", r"_\1", name).lower()


@dataclass
class _Change:
    """A validated operation, applied only when the whole request is valid (or partial failure is allowed)."""

    resource_name: str
    apply: Callable[[], str]  # returns the resource name of the result


@dataclass
class _MutateContext:
    state: SandboxState
    budgets: Budgets
    account: SimAccount
    service: str
    index: int
    claimed_names: set[str] = field(default_factory=set)

    def error(self, category: str, code: str, message: str, *path: tuple[str, int | None]) -> AdsError:
        return AdsError(category, code, message, (("operations", self.index), *path))


def _parse_resource_name(ctx: _MutateContext, name: Any, operation: str) -> str:
    """The id at the end of ``customers/{cid}/{service}/{id}`` (``{ad_group}~{ad}`` for ads)."""
    pattern = rf"customers/(\d+)/{re.escape(ctx.service)}/([\d~]+)"
    match = re.fullmatch(pattern, name) if isinstance(name, str) else None
    if match is None:
        raise GoogleApiError(
            400,
            [ctx.error("requestError", "RESOURCE_NAME_MALFORMED", f"Malformed resource name: {name!r}.",
                       (operation, None), ("resource_name", None))],
        )  # fmt: skip
    if match.group(1) != ctx.account.account_id:
        raise GoogleApiError(
            400,
            [ctx.error("mutateError", "RESOURCE_NOT_FOUND", "The resource was not found in this customer.",
                       (operation, None), ("resource_name", None))],
        )  # fmt: skip
    return match.group(2)


def _find_entity(ctx: _MutateContext, resource_id: str, operation: str) -> SimEntity:
    level = _COLLECTION_LEVEL[ctx.service]
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
        raise GoogleApiError(
            400,
            [ctx.error("mutateError", "RESOURCE_NOT_FOUND", "Resource was not found.", (operation, None),
                       ("resource_name", None))],
        )  # fmt: skip
    return entity


def _removed_error(ctx: _MutateContext, entity: SimEntity, operation: str) -> GoogleApiError:
    if entity.level is EntityLevel.campaign:
        error = ctx.error("campaignError", "CANNOT_MODIFY_REMOVED_CAMPAIGN", "Campaign is removed.")
    else:
        noun = "Ad group" if entity.level is EntityLevel.ad_group else "Ad"
        error = ctx.error("mutateError", "MUTATE_NOT_ALLOWED", f"{noun} is removed and cannot be modified.")
    return GoogleApiError(400, [error])


def _int64_value(ctx: _MutateContext, value: Any, path: str, operation: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str) or not str(value).lstrip("-").isdigit():
        raise invalid_json(
            f"Invalid value at 'operations[{ctx.index}].{operation}.{camel(path)}' (TYPE_INT64), {json.dumps(value)}"
        )
    return int(value)


def _status_value(ctx: _MutateContext, value: Any, operation: str) -> EntityStatus:
    if value == "ENABLED":
        return EntityStatus.active
    if value == "PAUSED":
        return EntityStatus.paused
    if value == "REMOVED":
        raise GoogleApiError(
            400,
            [ctx.error("fieldError", "INVALID_VALUE",
                       "The status REMOVED can only be set by a remove operation.", (operation, None),
                       ("status", None))],
        )  # fmt: skip
    raise invalid_json(
        f"Invalid value at 'operations[{ctx.index}].{operation}.status' (type.googleapis.com/"
        f"google.ads.googleads.enums.Status), {json.dumps(value)}"
    )


def _check_budget_amount(ctx: _MutateContext, amount: int, operation: str) -> None:
    minor = minor_unit_micros(ctx.account.currency)
    path = ((operation, None), ("amount_micros", None))
    if amount < minor:
        raise GoogleApiError(
            400,
            [ctx.error("campaignBudgetError", "BUDGET_BELOW_PER_DAY_MINIMUM",
                       "The budget is below the daily minimum.", *path)],
        )  # fmt: skip
    if amount % minor:
        raise GoogleApiError(
            400,
            [ctx.error("campaignBudgetError", "NON_MULTIPLE_OF_MINIMUM_CURRENCY_UNIT",
                       "The budget amount must be a multiple of the minimum unit of the currency.", *path)],
        )  # fmt: skip


def _update(ctx: _MutateContext, operation: Mapping[str, Any]) -> _Change:
    resource = operation.get("update")
    if not isinstance(resource, dict):
        raise invalid_json(f"Invalid value at 'operations[{ctx.index}].update': expected an object.")
    mask = operation.get("updateMask")
    if not isinstance(mask, str) or not mask.strip():
        raise GoogleApiError(
            400,
            [ctx.error("fieldMaskError", "FIELD_MASK_MISSING",
                       "The field mask must be present for an update operation.", ("update_mask", None))],
        )  # fmt: skip
    paths = [_snake(p.strip()) for p in mask.split(",") if p.strip()]
    mutable = _MUTABLE[ctx.service]
    for path in paths:
        if path not in mutable:
            raise GoogleApiError(
                400,
                [ctx.error("fieldMaskError", "FIELD_NOT_FOUND",
                           f"The field mask contained a field the resource does not have (or the sandbox does not "
                           f"emulate): {path}.", ("update_mask", None))],
            )  # fmt: skip
        if mutable[path] == "immutable":
            raise GoogleApiError(
                400,
                [ctx.error("fieldError", "IMMUTABLE_FIELD", "The field cannot be modified after creation.",
                           ("update", None), (path, None))],
            )  # fmt: skip
    resource_id = _parse_resource_name(ctx, resource.get("resourceName"), "update")
    values = {path: resource.get(camel(path)) for path in paths}
    for path, value in values.items():
        if value is None or value == "":
            raise GoogleApiError(
                400,
                [ctx.error("fieldError", "REQUIRED", "The required field was not present.", ("update", None),
                           (path, None))],
            )  # fmt: skip
    world = ctx.state.world
    if ctx.service == "campaignBudgets":
        campaign_id = ctx.budgets.campaign_of(resource_id)
        pending = ctx.budgets.pending.get(resource_id)
        campaign = world.entity(Platform.google, campaign_id) if campaign_id else None
        if pending is None and (campaign is None or campaign.account_id != ctx.account.account_id):
            raise GoogleApiError(
                400,
                [ctx.error("mutateError", "RESOURCE_NOT_FOUND", "Resource was not found.", ("update", None),
                           ("resource_name", None))],
            )  # fmt: skip
        amount = _int64_value(ctx, values["amount_micros"], "amount_micros", "update") if "amount_micros" in values \
            else None  # fmt: skip
        if amount is not None:
            _check_budget_amount(ctx, amount, "update")
            if campaign is not None and campaign.daily_budget_micros is None:
                raise GoogleApiError(
                    400,
                    [ctx.error("fieldError", "INVALID_VALUE",
                               "The budget is a total for a custom period: set total_amount_micros, not amount_micros.",
                               ("update", None), ("amount_micros", None))],
                )  # fmt: skip
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
                    Platform.google, campaign.id, daily_budget_micros=amount,
                    attributes={"budget_name": name} if name is not None else None,
                )  # fmt: skip
            return resource_name

        return _Change(resource_name, apply_budget)
    entity = _find_entity(ctx, resource_id, "update")
    if entity.status is EntityStatus.removed:
        raise _removed_error(ctx, entity, "update")
    status = _status_value(ctx, values["status"], "update") if "status" in values else None
    name = str(values["name"]) if "name" in values else None
    attributes: dict[str, Any] = {}
    if "cpc_bid_micros" in values:
        attributes["cpc_bid_micros"] = _int64_value(ctx, values["cpc_bid_micros"], "cpc_bid_micros", "update")
    if name is not None and entity.level is EntityLevel.campaign:
        _check_campaign_name(ctx, name, entity.id, "update")
    resource_name = resource.get("resourceName", "")

    def apply_entity() -> str:
        world.update_entity(Platform.google, entity.id, name=name, status=status, attributes=attributes or None)
        return str(resource_name)

    return _Change(str(resource_name), apply_entity)


def _check_campaign_name(ctx: _MutateContext, name: str, own_id: str | None, operation: str) -> None:
    taken = {
        c.name for c in ctx.state.world.entities(Platform.google, ctx.account.account_id, EntityLevel.campaign)
        if c.id != own_id
    } | ctx.claimed_names  # fmt: skip
    if name in taken:
        raise GoogleApiError(
            400,
            [ctx.error("campaignError", "DUPLICATE_CAMPAIGN_NAME",
                       "A campaign with this name already exists.", (operation, None), ("name", None))],
        )  # fmt: skip
    ctx.claimed_names.add(name)


def _remove(ctx: _MutateContext, operation: Mapping[str, Any]) -> _Change:
    name = operation.get("remove")
    resource_id = _parse_resource_name(ctx, name, "remove")
    if ctx.service == "campaignBudgets":
        if resource_id in ctx.budgets.pending:
            return _Change(str(name), lambda: (ctx.budgets.pending.pop(resource_id, None), str(name))[1])
        raise GoogleApiError(
            400,
            [ctx.error("campaignBudgetError", "CAMPAIGN_BUDGET_IN_USE",
                       "The campaign budget is associated with a campaign, and so it cannot be removed.",
                       ("remove", None))],
        )  # fmt: skip
    entity = _find_entity(ctx, resource_id, "remove")
    if entity.status is EntityStatus.removed:
        raise _removed_error(ctx, entity, "remove")

    def apply() -> str:
        ctx.state.world.update_entity(Platform.google, entity.id, status=EntityStatus.removed)
        return str(name)

    return _Change(str(name), apply)


def _create(ctx: _MutateContext, operation: Mapping[str, Any]) -> _Change:
    resource = operation.get("create")
    if not isinstance(resource, dict):
        raise invalid_json(f"Invalid value at 'operations[{ctx.index}].create': expected an object.")
    cid = ctx.account.account_id

    def required(path: str) -> AdsError:
        return ctx.error("fieldError", "REQUIRED", "The required field was not present.", ("create", None),
                         (path, None))  # fmt: skip

    if ctx.service == "campaignBudgets":
        if "amountMicros" not in resource:
            raise GoogleApiError(400, [required("amount_micros")])
        amount = _int64_value(ctx, resource["amountMicros"], "amount_micros", "create")
        _check_budget_amount(ctx, amount, "create")
        # Google's default is a shared budget; the sandbox gives each campaign its own, so it must be asked for.
        if resource.get("explicitlyShared", True) is not False:
            raise GoogleApiError(
                400,
                [ctx.error("mutateError", "MUTATE_NOT_ALLOWED",
                           "The sandbox emulates non-shared campaign budgets only: set explicitlyShared to false.",
                           ("create", None), ("explicitly_shared", None))],
            )  # fmt: skip
        new_id = ctx.budgets.new_id()
        new_budget = {"name": str(resource.get("name") or f"Budget {new_id}"), "amount_micros": amount,
                      "delivery_method": str(resource.get("deliveryMethod") or "STANDARD")}  # fmt: skip

        def apply_budget() -> str:
            ctx.budgets.pending[new_id] = new_budget
            return f"customers/{cid}/campaignBudgets/{new_id}"

        return _Change(f"customers/{cid}/campaignBudgets/{new_id}", apply_budget)
    if ctx.service != "campaigns":
        raise GoogleApiError(
            400,
            [ctx.error("mutateError", "MUTATE_NOT_ALLOWED",
                       "The sandbox creates campaigns and campaign budgets only.", ("create", None))],
        )  # fmt: skip
    errors: list[AdsError] = []
    name = resource.get("name")
    if not name:
        errors.append(required("name"))
    channel = resource.get("advertisingChannelType")
    if not channel:
        errors.append(required("advertising_channel_type"))
    elif channel not in ADVERTISING_CHANNELS:
        raise invalid_json(
            f"Invalid value at 'operations[{ctx.index}].create.advertising_channel_type', {json.dumps(channel)}"
        )
    if "containsEuPoliticalAdvertising" not in resource:
        errors.append(required("contains_eu_political_advertising"))
    bidding = [key for key in BIDDING_FIELDS if key in resource]
    if not bidding:
        errors.append(required("campaign_bidding_strategy"))
    elif len(bidding) > 1:
        raise invalid_json(
            f"Invalid JSON payload received. Oneof field 'campaign_bidding_strategy' is already set. "
            f"Cannot set '{bidding[1]}'"
        )
    budget_name = resource.get("campaignBudget")
    budget_id: str | None = None
    if not budget_name:
        errors.append(required("campaign_budget"))
    else:
        match = re.fullmatch(rf"customers/{cid}/campaignBudgets/(\d+)", str(budget_name))
        budget_id = match.group(1) if match else None
        if budget_id is not None and budget_id not in ctx.budgets.pending and ctx.budgets.campaign_of(budget_id):
            errors.append(
                ctx.error("campaignBudgetError", "CANNOT_USE_IMPLICITLY_SHARED_CAMPAIGN_BUDGET_WITH_MULTIPLE_CAMPAIGNS",
                          "The campaign budget is not shared and is used by another campaign.", ("create", None),
                          ("campaign_budget", None))
            )  # fmt: skip
        elif budget_id is None or budget_id not in ctx.budgets.pending:
            errors.append(
                ctx.error("mutateError", "RESOURCE_NOT_FOUND", "The campaign budget was not found.",
                          ("create", None), ("campaign_budget", None))
            )  # fmt: skip
    status_word = resource.get("status", "ENABLED")
    if status_word not in ("ENABLED", "PAUSED"):
        errors.append(ctx.error("fieldError", "INVALID_VALUE", "A new campaign is ENABLED or PAUSED.",
                                ("create", None), ("status", None)))  # fmt: skip
    if errors:
        raise GoogleApiError(400, errors)
    assert budget_id is not None and isinstance(name, str)  # noqa: S101 - checked above
    chosen_budget: str = budget_id
    campaign_name: str = name
    _check_campaign_name(ctx, campaign_name, None, "create")
    budget = ctx.budgets.pending[chosen_budget]
    objective = OBJECTIVE_BY_CHANNEL.get(str(channel), "traffic")
    attributes = {
        "advertising_channel_type": str(channel),
        "bidding_strategy_type": BIDDING_FIELDS[bidding[0]],
        "contains_eu_political_advertising": str(resource["containsEuPoliticalAdvertising"]),
        "budget_name": budget["name"],
        "budget_delivery_method": budget["delivery_method"],
    }
    status = EntityStatus.active if status_word == "ENABLED" else EntityStatus.paused

    def apply_campaign() -> str:
        entity = ctx.state.world.create_entity(
            Platform.google, cid, EntityLevel.campaign, name=campaign_name, parent_id=None, status=status,
            objective=objective, daily_budget_micros=int(budget["amount_micros"]), attributes=attributes,
        )  # fmt: skip
        ctx.budgets.pending.pop(chosen_budget, None)
        ctx.budgets.by_campaign[entity.id] = chosen_budget
        return f"customers/{cid}/campaigns/{entity.id}"

    return _Change(f"customers/{cid}/campaigns/(new)", apply_campaign)


def _plan_operation(ctx: _MutateContext, operation: Any) -> _Change:
    if not isinstance(operation, dict):
        raise invalid_json(f"Invalid value at 'operations[{ctx.index}]': expected an object.")
    kinds = [key for key in ("create", "update", "remove") if key in operation]
    unknown = set(operation) - {"create", "update", "remove", "updateMask"}
    if unknown:
        name = sorted(unknown)[0]
        raise invalid_json(
            f"Invalid JSON payload received. Unknown name \"{name}\" at 'operations[{ctx.index}]': Cannot find field."
        )
    if not kinds:
        raise GoogleApiError(400, [ctx.error("requestError", "OPERATION_REQUIRED", "An operation is required.")])
    if len(kinds) > 1:
        raise invalid_json(
            f"Invalid JSON payload received. Oneof field 'operation' is already set. Cannot set '{kinds[1]}'"
        )
    if kinds[0] == "update":
        return _update(ctx, operation)
    if kinds[0] == "remove":
        return _remove(ctx, operation)
    return _create(ctx, operation)


def _mutable_resource(state: SandboxState, budgets: Budgets, account: SimAccount, name: str) -> dict[str, Any]:
    """The resource after the change, for ``responseContentType: MUTABLE_RESOURCE``."""
    service, _, rest = name.split("/", 2)[2].partition("/")
    resource_id = rest.rsplit("~", 1)[-1]
    row = Row(account)
    if service == "campaignBudgets":
        campaign_id = budgets.campaign_of(resource_id)
        row.campaign = state.world.entity(Platform.google, campaign_id) if campaign_id else None
        resource = "campaign_budget"
    else:
        entity = state.world.entity(Platform.google, resource_id)
        if entity is None:
            return {}
        resource = {"campaigns": "campaign", "adGroups": "ad_group", "adGroupAds": "ad_group_ad"}[service]
        row.campaign = entity if entity.level is EntityLevel.campaign else None
        row.ad_group = entity if entity.level is EntityLevel.ad_group else None
        row.ad = entity if entity.level is EntityLevel.ad else None
    if row.campaign is None and row.ad_group is None and row.ad is None:
        return {}
    fields = [f for f in FIELDS.values() if f.resource == resource]
    plan = Plan(query=Query(tuple(f.name for f in fields), resource), fields=fields, conditions=[])
    rendered = render(row, plan, budgets)
    return {camel(resource): rendered.get(camel(resource), {})}
