"""Entity writes of the Google Ads emulator: ``:mutate`` for campaign budgets, campaigns, ad groups and ads.

Entity reads are GAQL queries, served by :mod:`.reports` (``googleAds:search`` / ``searchStream``) as Google does.
The writes are:

* ``POST /{version}/customers/{customer_id}/{service}:mutate`` for ``campaignBudgets``, ``campaigns``, ``adGroups``
  and ``adGroupAds``: ``{"operations": [...]}``, each operation one of ``create`` (:mod:`.creates`), ``update`` with
  its ``updateMask`` or ``remove`` (:mod:`.writes`); the answer is ``{"results": [{"resourceName": ...}]}``.
* ``POST /{version}/customers/{customer_id}/googleAds:mutate``: ``{"mutateOperations": [...]}``, each one of
  ``campaignBudgetOperation``, ``campaignOperation``, ``adGroupOperation`` or ``adGroupAdOperation``, atomic across
  them, with temporary (negative) ids so that a budget, its campaign, an ad group and an ad are created in one
  request; the answer is ``{"mutateOperationResponses": [{"campaignBudgetResult": {"resourceName": ...}}, ...]}``.

Both take ``validateOnly`` (check, change nothing, answer ``{}``), ``partialFailure`` (failed operations give empty
results and a ``partialFailureError``; without it one error fails the request whole and nothing is applied) and
``responseContentType: MUTABLE_RESOURCE`` (the resource after the change in each result). Every operation is checked
before any is applied and counts one operation against the quota. Errors are Google's, located at
``operations[i]`` (``mutate_operations[i].campaign_operation`` …); a malformed body fails the request whole.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import Request, Response
from fastapi.responses import JSONResponse

from adpilot.platforms.types import EntityLevel, Platform
from adpilot.sandbox.engine import SimAccount
from adpilot.sandbox.google.context import ApiHandler, ApiRoute, Caller, GoogleContext, json_object
from adpilot.sandbox.google.creates import create
from adpilot.sandbox.google.enums import RESPONSE_CONTENT_TYPE, enum_name
from adpilot.sandbox.google.errors import AdsError, GoogleApiError, invalid_json, request_id
from adpilot.sandbox.google.fields import FIELDS, Budgets, Row, camel
from adpilot.sandbox.google.gaql import Query
from adpilot.sandbox.google.query import Plan, render
from adpilot.sandbox.google.quota import count_operations
from adpilot.sandbox.google.writes import MUTABLE, Change, MutateContext, RequestPlan, remove, snake, update
from adpilot.sandbox.state import SandboxState

MUTATE_REQUEST_FIELDS = frozenset({"customerId", "operations", "partialFailure", "validateOnly", "responseContentType"})
GOOGLE_ADS_MUTATE_REQUEST_FIELDS = frozenset(
    {"customerId", "mutateOperations", "partialFailure", "validateOnly", "responseContentType"}
)
# googleAds:mutate: the operation of a MutateOperation → its service, and the key of its result.
MUTATE_OPERATIONS = {
    "campaignBudgetOperation": ("campaignBudgets", "campaignBudgetResult"),
    "campaignOperation": ("campaigns", "campaignResult"),
    "adGroupOperation": ("adGroups", "adGroupResult"),
    "adGroupAdOperation": ("adGroupAds", "adGroupAdResult"),
}


def api_routes(context: GoogleContext) -> list[ApiRoute]:
    return [
        *(ApiRoute(f"customers/{{customer_id}}/{service}:mutate", _mutate_handler(service)) for service in MUTABLE),
        ApiRoute("customers/{customer_id}/googleAds:mutate", mutate_all),
    ]


def _mutate_handler(service: str) -> ApiHandler:
    async def handler(request: Request, context: GoogleContext, who: Caller) -> Response:
        return await mutate(request, context, who, service)

    return handler


Planned = tuple[Change | None, str]  # the change (None when it failed) and the key its result goes under


async def mutate(request: Request, context: GoogleContext, who: Caller, service: str) -> Response:
    body = await json_object(request, MUTATE_REQUEST_FIELDS)
    operations = _operations(body, "operations", who)
    count_operations(context.state, who.customer.account_id, len(operations))
    plan = RequestPlan()

    def planner(index: int, operation: Any) -> Planned:
        ctx = MutateContext(context.state, context.budgets, who.customer, service, (("operations", index),), plan)
        return _plan_operation(ctx, operation), ""

    planned, errors = _collect(operations, planner)
    return _finish(request, context, who, body, "results", planned, errors)


async def mutate_all(request: Request, context: GoogleContext, who: Caller) -> Response:
    body = await json_object(request, GOOGLE_ADS_MUTATE_REQUEST_FIELDS)
    operations = _operations(body, "mutateOperations", who)
    count_operations(context.state, who.customer.account_id, len(operations))
    plan = RequestPlan()

    def planner(index: int, operation: Any) -> Planned:
        if not isinstance(operation, dict):
            raise invalid_json(f"Invalid value at 'mutate_operations[{index}]': expected an object.")
        unknown = sorted(set(operation) - set(MUTATE_OPERATIONS))
        if unknown and not unknown[0].endswith("Operation"):
            raise invalid_json(
                f"Invalid JSON payload received. Unknown name \"{unknown[0]}\" at 'mutate_operations[{index}]': "
                f"Cannot find field."
            )
        if len(operation) > 1:
            second = sorted(operation)[1]
            raise invalid_json(
                f"Invalid JSON payload received. Oneof field 'operation' is already set. Cannot set '{second}'"
            )
        kind = next(iter(operation), None)
        location: tuple[tuple[str, int | None], ...] = (("mutate_operations", index),)
        if kind is None:
            raise GoogleApiError(
                400, [AdsError("requestError", "OPERATION_REQUIRED", "An operation is required.", location)]
            )
        if kind not in MUTATE_OPERATIONS:
            error = AdsError("mutateError", "MUTATE_NOT_ALLOWED", f"The sandbox does not emulate {kind}.",
                             (*location, (snake(kind), None)))  # fmt: skip
            raise GoogleApiError(400, [error])
        service, result_key = MUTATE_OPERATIONS[kind]
        location = (*location, (snake(kind), None))
        ctx = MutateContext(context.state, context.budgets, who.customer, service, location, plan)
        return _plan_operation(ctx, operation[kind]), result_key

    planned, errors = _collect(operations, planner)
    return _finish(request, context, who, body, "mutateOperationResponses", planned, errors)


def _collect(operations: list[Any], planner: Callable[[int, Any], Planned]) -> tuple[list[Planned], list[AdsError]]:
    """Every operation checked in order: its change, or (its slot empty) the errors it had."""
    planned: list[Planned] = []
    errors: list[AdsError] = []
    for index, operation in enumerate(operations):
        try:
            planned.append(planner(index, operation))
        except GoogleApiError as exc:
            if not exc.errors:
                raise  # a malformed request fails as a whole, whatever partialFailure says
            errors += exc.errors
            planned.append((None, ""))
    return planned, errors


def _operations(body: dict[str, Any], key: str, who: Caller) -> list[Any]:
    customer = body.get("customerId")
    if customer not in (None, "", who.customer.account_id):
        raise invalid_json(f"Invalid value at 'customer_id': the body names customer {customer}, the path another.")
    operations = body.get(key)
    if not isinstance(operations, list) or not operations:
        raise GoogleApiError(
            400, [AdsError("fieldError", "REQUIRED", "The required field was not present.", ((snake(key), None),))]
        )
    return operations


def _plan_operation(ctx: MutateContext, operation: Any) -> Change:
    if not isinstance(operation, dict):
        raise invalid_json(f"Invalid value at '{ctx.where}': expected an object.")
    unknown = set(operation) - {"create", "update", "remove", "updateMask"}
    if unknown:
        raise invalid_json(
            f"Invalid JSON payload received. Unknown name \"{sorted(unknown)[0]}\" at '{ctx.where}': Cannot find field."
        )
    kinds = [key for key in ("create", "update", "remove") if key in operation]
    if not kinds:
        raise GoogleApiError(400, [ctx.error("requestError", "OPERATION_REQUIRED", "An operation is required.")])
    if len(kinds) > 1:
        raise invalid_json(
            f"Invalid JSON payload received. Oneof field 'operation' is already set. Cannot set '{kinds[1]}'"
        )
    if kinds[0] == "update":
        return update(ctx, operation)
    if kinds[0] == "remove":
        return remove(ctx, operation)
    return create(ctx, operation)


def _finish(
    request: Request,
    context: GoogleContext,
    who: Caller,
    body: dict[str, Any],
    key: str,
    planned: list[Planned],
    errors: list[AdsError],
) -> Response:
    if errors and not body.get("partialFailure"):
        raise GoogleApiError(400, errors)
    if body.get("validateOnly"):
        return JSONResponse({})
    content = enum_name(body.get("responseContentType"), RESPONSE_CONTENT_TYPE, "response_content_type",
                        "ResponseContentType")  # fmt: skip
    results: list[dict[str, Any]] = []
    for change, result_key in planned:
        if change is None:
            results.append({})
            continue
        name = change.apply()
        result: dict[str, Any] = {"resourceName": name}
        if content == "MUTABLE_RESOURCE":
            result |= _mutable_resource(context.state, context.budgets, who.customer, name)
        results.append({result_key: result} if result_key else result)
    response: dict[str, Any] = {key: results}
    if errors:
        response["partialFailureError"] = {
            "code": 3,
            "message": f"{sum(1 for change, _ in planned if change is None)} operation(s) failed.",
            "details": [
                {
                    "@type": f"type.googleapis.com/google.ads.googleads.{who.version}.errors.GoogleAdsFailure",
                    "errors": [e.to_json() for e in errors],
                    "requestId": request_id(request),
                }
            ],
        }
    return JSONResponse(response)


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
