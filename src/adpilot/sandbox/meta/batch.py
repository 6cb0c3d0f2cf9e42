"""Graph batch requests: ``POST /{version}/`` with ``batch=[{"method", "relative_url", "body"?}, …]`` (what the
SDKs' ``new_batch()`` sends), at most 50 operations.

Each operation goes through the same pipeline as a request of its own (token, node, faults, rate limit, route) and is
counted as a call; the answer is a JSON array with one ``{"code", "headers", "body"}`` per operation, in order, where
``body`` is the operation's JSON answer as a string (an error body for a failed one: a batch succeeds as a whole even
when some of its operations fail). An operation without its own ``access_token`` uses the batch's. Named operations
and JSONPath references between them (``name``, ``depends_on``, ``{result=…}``) are not emulated: such an operation
is answered with an error.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from starlette.requests import Request

from adpilot.platforms.types import Platform
from adpilot.sandbox.meta.context import GraphCall, MetaContext
from adpilot.sandbox.meta.errors import GraphError, invalid_parameter, new_trace_id
from adpilot.sandbox.meta.graph import json_param
from adpilot.sandbox.meta.quota import count_arrival

JsonObject = dict[str, Any]
Serve = Callable[[MetaContext, GraphCall], Awaitable[Any]]

MAX_BATCH_SIZE = 50
_VERSION_PREFIX = re.compile(r"^v\d+\.\d+/")
_HEADERS = [{"name": "Content-Type", "value": "text/javascript; charset=UTF-8"}]


def is_batch(call: GraphCall) -> bool:
    return call.method == "POST" and not call.segments and "batch" in call.params


async def serve_batch(context: MetaContext, call: GraphCall, serve: Serve) -> list[JsonObject]:
    """Every operation of the batch through ``serve`` (the pipeline after parsing), answers in order."""
    operations = json_param(call.params["batch"], "batch")
    if not isinstance(operations, list) or not operations:
        raise invalid_parameter("Param batch must be a non-empty JSON array", field_name="batch")
    if len(operations) > MAX_BATCH_SIZE:
        raise GraphError(
            f"(#1) Too many requests in batch message. Maximum batch size is {MAX_BATCH_SIZE}",
            code=1,
            type_="GraphBatchException",
        )
    with_headers = str(call.params.get("include_headers", "true")).lower() != "false"
    answers: list[JsonObject] = []
    for operation in operations:
        try:
            sub = _operation_call(context, call, operation)
            body = await serve(context, sub)
            answer: JsonObject = {"code": 200, "body": json.dumps(body)}
        except GraphError as error:
            answer = {"code": error.status, "body": json.dumps(error.body(new_trace_id()))}
        if with_headers:
            answer["headers"] = list(_HEADERS)
        answers.append(answer)
    return answers


def _operation_call(context: MetaContext, batch: GraphCall, operation: Any) -> GraphCall:
    if not isinstance(operation, dict) or not isinstance(operation.get("relative_url"), str):
        raise invalid_parameter("Each batch operation needs a method and a relative_url", field_name="batch")
    if {"name", "depends_on"} & set(operation) or "{result=" in operation["relative_url"]:
        raise invalid_parameter("The sandbox does not emulate dependencies between batch operations")
    method = str(operation.get("method") or "GET").upper()
    if method not in ("GET", "POST", "DELETE"):
        raise invalid_parameter(f"Unsupported method {method} in a batch operation")
    url = urlsplit(_VERSION_PREFIX.sub("", operation["relative_url"].lstrip("/")))
    path = url.path.strip("/")
    params: dict[str, Any] = {}
    for name in ("access_token", "appsecret_proof"):  # the batch's token (and its proof) unless the operation has one
        if name in batch.params:
            params[name] = batch.params[name]
    params.update(parse_qsl(url.query, keep_blank_values=True))
    body = operation.get("body")
    if isinstance(body, str):
        params.update(parse_qsl(body, keep_blank_values=True))
    elif isinstance(body, dict):
        params.update(body)
    root = batch.request.url.path.rstrip("/")
    scope = {
        **batch.request.scope,
        "method": method,
        "path": f"{root}/{path}",
        "raw_path": f"{root}/{path}".encode(),
        "query_string": url.query.encode(),
    }
    sub = GraphCall(method=method, segments=path.split("/") if path else [], params=params, request=Request(scope))
    # Meta counts each operation of a batch as a call.
    version = batch.request.path_params.get("version", "")
    context.state.request_log.append((Platform.meta, method, f"/{version}/{path}"))
    first = sub.segments[0] if sub.segments else ""
    context.state.count_operations(Platform.meta, first.removeprefix("act_") if first.startswith("act_") else None)
    count_arrival(context, sub)
    return sub
