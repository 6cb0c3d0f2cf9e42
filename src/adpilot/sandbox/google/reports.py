"""``googleAds:search`` and ``googleAds:searchStream``: every read of the Ads API, entity reads and reports alike.

Google serves entities, ``change_status`` and metrics through the same two endpoints, as GAQL queries (planned and
run by :mod:`.query`):

* ``POST /{version}/customers/{customer_id}/googleAds:search``: pages of 10,000 rows (``pageSize`` refused) with a
  ``nextPageToken`` bound to the query, ``validateOnly``, and ``searchSettings`` (``returnTotalResultsCount``,
  ``returnSummaryRow``, ``omitResults``); each page asked for counts one operation. Its body is a
  ``SearchGoogleAdsRequest``: ``summaryRowSetting`` and ``returnTotalResultsCount`` at the top level are unknown names
  there (they belong to ``searchSettings``) and are refused, and its answer, a ``SearchGoogleAdsResponse``, has no
  ``requestId`` (that is the ``request-id`` header).
* ``POST /{version}/customers/{customer_id}/googleAds:searchStream``: a pretty-printed JSON array of batches
  (``results`` omitted when empty, the summary row in its own batch), one operation however many rows it streams.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import json
from typing import Any

from fastapi import Request, Response
from fastapi.responses import JSONResponse

from adpilot.sandbox.engine import SimAccount
from adpilot.sandbox.google.context import ApiRoute, Caller, GoogleContext, json_object
from adpilot.sandbox.google.enums import SUMMARY_ROW_SETTING, enum_name
from adpilot.sandbox.google.errors import (
    AdsError,
    GoogleApiError,
    invalid_json,
    query_error,
    request_error,
    request_id,
)
from adpilot.sandbox.google.fields import Row
from adpilot.sandbox.google.gaql import GaqlError, parse_gaql
from adpilot.sandbox.google.query import Executor, Plan, field_mask, plan_query, render, summary
from adpilot.sandbox.google.quota import consumption, count_operations

PAGE_SIZE = 10_000  # fixed since v17; ``pageSize`` is refused
STREAM_BATCH_SIZE = 10_000
# The fields of SearchGoogleAdsRequest, SearchSettings and SearchGoogleAdsStreamRequest (customerId is also the path).
SEARCH_REQUEST_FIELDS = frozenset({"customerId", "query", "pageToken", "pageSize", "validateOnly", "searchSettings"})
SEARCH_SETTINGS_FIELDS = frozenset({"omitResults", "returnSummaryRow", "returnTotalResultsCount"})
STREAM_REQUEST_FIELDS = frozenset({"customerId", "query", "summaryRowSetting"})


def api_routes(context: GoogleContext) -> list[ApiRoute]:
    return [
        ApiRoute("customers/{customer_id}/googleAds:search", search),
        ApiRoute("customers/{customer_id}/googleAds:searchStream", search_stream),
    ]


async def search(request: Request, context: GoogleContext, who: Caller) -> Response:
    count_operations(context.state, who.customer.account_id)  # every page asked for is one
    body = await json_object(request, SEARCH_REQUEST_FIELDS)
    _check_customer(body, who)
    settings = body.get("searchSettings")
    if settings is not None and not isinstance(settings, dict):
        raise invalid_json("Invalid value at 'search_settings': expected an object.")
    unknown = sorted(set(settings or {}) - SEARCH_SETTINGS_FIELDS)
    if unknown:
        raise invalid_json(
            f"Invalid JSON payload received. Unknown name \"{unknown[0]}\" at 'search_settings': Cannot find field."
        )
    if body.get("pageSize") not in (None, 0, "0"):  # 0 is proto3's default: not set
        raise request_error(
            "PAGE_SIZE_NOT_SUPPORTED",
            f"Setting the page size is not supported. Search Responses will have fixed page size of "
            f"'{PAGE_SIZE}' rows.",
        )
    # Reports take tenths of a second of CPU to simulate and render: off the event loop, which meanwhile keeps
    # taking (and counting) requests.
    return await asyncio.to_thread(_search_answer, context, who, body)


async def search_stream(request: Request, context: GoogleContext, who: Caller) -> Response:
    count_operations(context.state, who.customer.account_id)  # one however many rows it streams
    body = await json_object(request, STREAM_REQUEST_FIELDS)
    _check_customer(body, who)
    # As for search: simulated, rendered and serialised off the event loop.
    document = await asyncio.to_thread(_stream_answer, context, who, body, request_id(request))
    return Response(document, media_type="application/json; charset=UTF-8")


def _check_customer(body: dict[str, Any], who: Caller) -> None:
    customer = body.get("customerId")
    if customer not in (None, "", who.customer.account_id):
        raise invalid_json(f"Invalid value at 'customer_id': the body names customer {customer}, the path another.")


def _summary_setting(body: dict[str, Any]) -> str:
    value = enum_name(body.get("summaryRowSetting"), SUMMARY_ROW_SETTING, "summary_row_setting", "SummaryRowSetting")
    return value or "NO_SUMMARY_ROW"


def _run_query(context: GoogleContext, who: Caller, text: Any) -> tuple[SimAccount, Plan, list[Row]]:
    if not isinstance(text, str):
        raise GoogleApiError(
            400, [AdsError("fieldError", "REQUIRED", "The required field was not present.", (("query", None),))]
        )
    account = who.customer
    try:
        query = parse_gaql(text)
        executor = Executor(context.state, context.budgets, account)
        plan = plan_query(query, account, executor.today)
        return account, plan, executor.rows(plan)
    except GaqlError as exc:
        raise query_error(exc) from None


def _search_answer(context: GoogleContext, who: Caller, body: dict[str, Any]) -> JSONResponse:
    budgets = context.budgets
    account, plan, rows = _run_query(context, who, body.get("query"))
    if body.get("validateOnly"):
        return JSONResponse({"fieldMask": field_mask(plan.query)})
    settings: dict[str, Any] = body.get("searchSettings") or {}
    omit = bool(settings.get("omitResults"))
    offset = _page_offset(body["query"], body["pageToken"]) if body.get("pageToken") else 0
    page = rows[offset : offset + PAGE_SIZE] if not omit else []
    result: dict[str, Any] = {}
    if page:
        result["results"] = [render(row, plan, budgets) for row in page]
    if not omit and offset + PAGE_SIZE < len(rows):
        result["nextPageToken"] = _page_token(body["query"], offset + PAGE_SIZE)
    if settings.get("returnTotalResultsCount"):
        result["totalResultsCount"] = str(len(rows))
    result["fieldMask"] = field_mask(plan.query)
    if settings.get("returnSummaryRow"):
        result["summaryRow"] = {"metrics": summary(account, rows, plan, budgets).get("metrics", {})}
    result["queryResourceConsumption"] = str(consumption(rows))
    return JSONResponse(result)


def _stream_answer(context: GoogleContext, who: Caller, body: dict[str, Any], request_id: str) -> str:
    budgets = context.budgets
    account, plan, rows = _run_query(context, who, body.get("query"))
    summary_setting = _summary_setting(body)
    mask = field_mask(plan.query)
    batches: list[dict[str, Any]] = []
    if summary_setting != "SUMMARY_ROW_ONLY":
        for start in range(0, len(rows), STREAM_BATCH_SIZE):
            chunk = rows[start : start + STREAM_BATCH_SIZE]
            batches.append(
                {"results": [render(r, plan, budgets) for r in chunk], "fieldMask": mask, "requestId": request_id}
            )
    if summary_setting in ("SUMMARY_ROW_WITH_RESULTS", "SUMMARY_ROW_ONLY"):
        batches.append(
            {"summaryRow": summary(account, rows, plan, budgets), "fieldMask": mask, "requestId": request_id}
        )
    if not batches:
        # Zero rows: one batch without ``results``.
        batches.append({"fieldMask": mask, "requestId": request_id})
    batches[-1]["queryResourceConsumption"] = str(consumption(rows))
    # Google pretty-prints the stream; clients must parse the whole document, not lines.
    return json.dumps(batches, indent=2, ensure_ascii=False)


def _page_token(query: str, offset: int) -> str:
    digest = hashlib.sha256(query.encode()).hexdigest()[:16]
    raw = json.dumps({"q": digest, "o": offset}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _page_offset(query: str, token: str) -> int:
    invalid = request_error("INVALID_PAGE_TOKEN", "Page token is invalid.")
    try:
        payload = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    except (ValueError, binascii.Error):
        raise invalid from None
    if not isinstance(payload, dict) or payload.get("q") != hashlib.sha256(query.encode()).hexdigest()[:16]:
        raise invalid
    offset = payload.get("o")
    if not isinstance(offset, int) or offset < 0:
        raise invalid
    return offset
