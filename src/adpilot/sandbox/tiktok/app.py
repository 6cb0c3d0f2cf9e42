"""The TikTok emulator's ASGI app and the pipeline every Open API call goes through.

Routes: the consent page from ``oauth.routes`` and one ``/open_api/{version}/{path}`` route that finds the
``Operation`` for (method, path) among the modules' ``api_routes()``. Each call is then, in this order: written to the
request log and counted (``quota.count_operation``); answered 404 for an unknown version, path or method (TikTok's
paths end with ``/``, and there are no slash redirects); admitted under the app's QPS limit (``quota.admit``); its
JSON body read; its ``Access-Token`` checked (``sandbox/auth.py``) and a queued fault for its advertiser suffered,
unless the operation is an OAuth token endpoint; handled (then, for a write, a fault that comes after applying it);
and answered in TikTok's envelope, errors included.
"""

from __future__ import annotations

import asyncio
import json
import re

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

from adpilot.sandbox.auth import SandboxAuthError
from adpilot.sandbox.faults import Fault, FaultKind
from adpilot.sandbox.state import SandboxState
from adpilot.sandbox.tiktok import accounts, creation, entities, oauth, quota, reports
from adpilot.sandbox.tiktok.context import PLATFORM, Call, JsonObject, Operation, TikTokContext, caller
from adpilot.sandbox.tiktok.errors import (
    OK,
    TikTokError,
    bad_parameter,
    envelope,
    error_response,
    rate_limited,
    system_error,
    token_expired,
    token_invalid,
    token_missing,
)

_VERSION = re.compile(r"^v\d+\.\d+$")


def create_tiktok_emulator(state: SandboxState) -> FastAPI:
    """The TikTok emulator as an ASGI app; mount it at ``/sandbox/tiktok`` (paths inside are TikTok's own)."""
    context = TikTokContext(state)
    table = {
        (operation.method, operation.path): operation
        for module in (oauth, accounts, entities, creation, reports)
        for operation in module.api_routes()
    }
    # No slash redirects: TikTok's paths end with "/" and a client that forgets it must notice.
    app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None, redirect_slashes=False)
    app.router.routes.extend(oauth.routes(context))

    async def open_api(request: Request, version: str, path: str) -> Response:
        return await _serve(context, table.get((request.method, path)), request, version)

    app.add_api_route("/open_api/{version}/{path:path}", open_api, methods=["GET", "POST"], include_in_schema=False)
    return app


async def _serve(context: TikTokContext, operation: Operation | None, request: Request, version: str) -> Response:
    state = context.state
    state.request_log.append((PLATFORM, request.method, _local_path(request)))
    quota.count_operation(context, request)
    if not _VERSION.match(version) or operation is None:
        return JSONResponse({"detail": "Not Found"}, status_code=404)
    try:
        quota.admit(context)
        call = await _read_call(request)
        after_write: Fault | None = None
        if operation.authenticated:
            _authenticate(context, call)
            after_write = await _suffer_fault(context, call, write=is_write(operation))
        data = await operation.handler(call, context)
        if after_write is not None:
            await _answer_after_write(after_write)
    except TikTokError as error:
        return error_response(state.clock, error)
    return envelope(state.clock, OK, "OK", data)


async def _read_call(request: Request) -> Call:
    body: JsonObject = {}
    if request.method == "POST":
        raw = await request.body()
        if raw.strip():
            try:
                parsed = json.loads(raw)
            except ValueError:
                raise bad_parameter("Request body is not valid JSON.") from None
            if not isinstance(parsed, dict):
                raise bad_parameter("Request body must be a JSON object.")
            body = parsed
    return Call(request=request, query=dict(request.query_params), body=body)


def _authenticate(context: TikTokContext, call: Call) -> None:
    token = call.request.headers.get("Access-Token")
    try:
        info = context.state.auth.verify(PLATFORM, token, "access")
    except SandboxAuthError as exc:
        if exc.reason == "missing":
            raise token_missing() from None
        if exc.reason == "expired":
            raise token_expired() from None
        raise token_invalid() from None
    login = context.state.world.login(PLATFORM, info.login_id)
    if login is None:
        raise token_invalid()
    call.login = login
    call.token = token


def is_write(operation: Operation) -> bool:
    """Whether the operation changes the account: every ``create``, ``update`` and ``status/update``."""
    return operation.method == "POST" and operation.path.endswith(("/create/", "/update/"))


async def _suffer_fault(context: TikTokContext, call: Call, *, write: bool) -> Fault | None:
    """A fault queued for the advertiser the call is about (``state.faults``), as TikTok would show it; a fault to
    serve once the write is applied is returned instead."""
    state = context.state
    fault = state.faults.take(PLATFORM, _advertiser_hint(call), write=write)
    if fault is None:
        return None
    if fault.kind.after_write:
        return fault
    if fault.kind is FaultKind.slow:
        await asyncio.sleep(fault.delay_seconds)
    elif fault.kind is FaultKind.rate_limit:
        raise rate_limited()
    elif fault.kind is FaultKind.server_error:
        raise system_error()
    elif fault.kind is FaultKind.revoke_token:
        state.auth.revoke_login(PLATFORM, caller(call).login_id)
        raise token_invalid()
    elif fault.kind is FaultKind.expire_token:
        if call.token is not None:
            state.auth.revoke(PLATFORM, call.token)
        # A long-term token only "expires" by being revoked; a rotating one expires, and a refresh brings a new one.
        if context.rotating:
            raise token_expired()
        raise token_invalid()
    return None


async def _answer_after_write(fault: Fault) -> None:
    """The write is applied; its answer is lost: TikTok's transient error, or no answer before the client gives up."""
    if fault.kind is FaultKind.applied_then_error:
        raise system_error()
    await asyncio.sleep(fault.delay_seconds)


def _advertiser_hint(call: Call) -> str | None:
    """Which advertiser a call is about (for fault injection), before the handler validates anything."""
    for source in (call.query, call.body):
        value = source.get("advertiser_id")
        if isinstance(value, str | int) and not isinstance(value, bool) and str(value):
            return str(value)
    raw = call.query.get("advertiser_ids")
    if raw:
        try:
            ids = json.loads(raw)
        except ValueError:
            return None
        if isinstance(ids, list) and ids:
            return str(ids[0])
    return None


def _local_path(request: Request) -> str:
    """The path inside the emulator, whatever it is mounted under."""
    path = str(request.scope.get("path", ""))
    root = str(request.scope.get("root_path", ""))
    return path[len(root) :] if root and path.startswith(root) else path
