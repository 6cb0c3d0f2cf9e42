"""A wire-level emulator of TikTok API for Business v1.3, numbers from the sandbox world.

It speaks what the real API speaks (``../shared/reference/platform-apis.md`` §C and its emulator checklist): paths
``/open_api/v1.3/…/`` with their trailing slash (none → 404), the ``Access-Token`` header, JSON-encoded query
parameters, and one envelope for every answer — ``{"code", "message", "request_id", "data"}`` — errors included,
always with HTTP 200. The advertiser consent page is ``/portal/auth``.

Sandbox rules, on top of the real ones:

* Token mode (``config.tiktok_token_mode``): ``long_term`` advertiser tokens never expire; ``rotating`` issues a 24 h
  access token and a 1 year refresh token, and ``tt_user/oauth2/refresh_token/`` rotates both (the old refresh token
  stops working; the old access token lives until it expires).
* Rate: ``config.tiktok_requests_per_second`` per app (TikTok's QPS limits are per application), answered with
  40100 "App reaches the QPS limit.".
* Faults (``state.faults``) apply to calls made with an access token, keyed by the advertiser the call is about:
  ``rate_limit`` → 40100, ``server_error`` → 50000 "System error.", ``revoke_token`` → the login's grant is revoked
  (40105 now and on every later call), ``expire_token`` → the token stops working (40105 for a long-term token, which
  only "expires" by being revoked; 40102 "expired" in the rotating mode, where a refresh brings a new one), ``slow`` →
  the answer is delayed.
* Reports with ``stat_time_day`` cover at most ``config.tiktok_report_max_days`` days (30 by default) → 40067.
"""

from __future__ import annotations

import asyncio
import json
import math
import re
import secrets
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from adpilot.platforms.types import EntityLevel, EntityStatus, Platform
from adpilot.sandbox.auth import SandboxAuthError, redirect_uri_allowed, render_consent_page
from adpilot.sandbox.engine import SandboxLogin, SimAccount, SimEntity, SimMetrics
from adpilot.sandbox.faults import FaultKind
from adpilot.sandbox.state import SandboxState

PLATFORM = Platform.tiktok
ROTATING_MODE = "rotating"
AUTH_CODE_TTL_SECONDS = 3600  # "valid for 1 hour and can only be used once"
ROTATING_ACCESS_TTL_SECONDS = 24 * 3600
ROTATING_REFRESH_TTL_SECONDS = 365 * 24 * 3600
# Permission scope ids granted to the sandbox app (ad account management, ads management, reporting, …).
GRANTED_SCOPES = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]
MAX_REPORT_DAYS_WITHOUT_TIME = 365
MAX_STATUS_UPDATE_IDS = 20
MAX_FILTER_IDS = 100
MAX_ADVERTISER_IDS = 100
# TikTok's codes (reference §C.5).
OK = 0
MISSING_SCOPE = 40001
BAD_PARAMETER = 40002
QUERY_TOO_LARGE = 40067
RATE_LIMITED = 40100
BAD_APP = 40101
TOKEN_EXPIRED = 40102
TOKEN_MISSING = 40104
TOKEN_INVALID = 40105
BAD_AUTH_CODE = 40110
SYSTEM_ERROR = 50000

_VERSION = re.compile(r"^v\d+\.\d+$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_NOUNS: dict[EntityLevel, str] = {
    EntityLevel.campaign: "campaign",
    EntityLevel.ad_group: "adgroup",
    EntityLevel.ad: "ad",
}
_DATA_LEVELS: dict[str, EntityLevel | None] = {
    "AUCTION_CAMPAIGN": EntityLevel.campaign,
    "AUCTION_ADGROUP": EntityLevel.ad_group,
    "AUCTION_AD": EntityLevel.ad,
    "AUCTION_ADVERTISER": None,
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
_ATTRIBUTE_METRICS = frozenset(
    {"campaign_name", "campaign_id", "adgroup_name", "adgroup_id", "ad_name", "objective_type", "currency"}
)
_KNOWN_METRICS = frozenset(
    {
        "spend",
        "impressions",
        "clicks",
        "ctr",
        "cpc",
        "cpm",
        "reach",
        "frequency",
        "conversion",
        "cost_per_conversion",
        "conversion_rate",
        "total_complete_payment_rate",
        "video_play_actions",
    }
    | _ATTRIBUTE_METRICS
)
_DEFAULT_METRICS = ["spend", "impressions"]

JsonObject = dict[str, Any]


class _Fail(Exception):
    """An error answer: TikTok sends it as the envelope with a non-zero code, on HTTP 200."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass
class _Call:
    """One API request as the handlers see it."""

    request: Request
    query: Mapping[str, str]
    body: JsonObject
    login: SandboxLogin | None = None
    token: str | None = None


Handler = Callable[["_Call"], Awaitable[JsonObject]]


@dataclass(frozen=True)
class _Route:
    handler: Handler
    # Whether the call needs an Access-Token (every API call except the OAuth token endpoints).
    authenticated: bool = True


@dataclass
class _Emulator:
    state: SandboxState
    # campaign/create/ is idempotent on the body's request_id: (advertiser, request_id) → campaign id.
    created: dict[tuple[str, str], str] = field(default_factory=dict)

    # --- plumbing -------------------------------------------------------------------------------------------------

    @property
    def app(self) -> tuple[str, str]:
        return self.state.config.app_credentials[PLATFORM]

    def envelope(self, code: int, message: str, data: JsonObject | None = None) -> JSONResponse:
        now = self.state.clock.now()
        request_id = f"{now:%Y%m%d%H%M%S}{secrets.token_hex(9).upper()}"
        return JSONResponse({"code": code, "message": message, "request_id": request_id, "data": data or {}})

    async def dispatch(self, request: Request, version: str, path: str) -> Response:
        method = request.method
        self.state.request_log.append((PLATFORM, method, _local_path(request)))
        self.state.count_operations(PLATFORM, request.query_params.get("advertiser_id"))
        route = self.routes().get((method, path))
        if not _VERSION.match(version) or route is None:
            return JSONResponse({"detail": "Not Found"}, status_code=404)
        try:
            # Counted on arrival, before the body is read: TikTok counts the requests that reach it, so the moment that
            # matters is when a request came in, not when this emulator got round to it.
            if self.state.quota.check_rate(f"tiktok:app:{self.app[0]}", self.rate()) is not None:
                raise _Fail(RATE_LIMITED, "App reaches the QPS limit.")
            call = await self._call(request)
            if route.authenticated:
                self._authenticate(call)
                await self._suffer_fault(call)
            data = await route.handler(call)
        except _Fail as failure:
            return self.envelope(failure.code, failure.message)
        return self.envelope(OK, "OK", data)

    def rate(self) -> float:
        return self.state.config.tiktok_requests_per_second

    def rotating(self) -> bool:
        return self.state.config.tiktok_token_mode == ROTATING_MODE

    async def _call(self, request: Request) -> _Call:
        body: JsonObject = {}
        if request.method == "POST":
            raw = await request.body()
            if raw.strip():
                try:
                    parsed = json.loads(raw)
                except ValueError:
                    raise _Fail(BAD_PARAMETER, "Request body is not valid JSON.") from None
                if not isinstance(parsed, dict):
                    raise _Fail(BAD_PARAMETER, "Request body must be a JSON object.")
                body = parsed
        return _Call(request=request, query=dict(request.query_params), body=body)

    def _authenticate(self, call: _Call) -> None:
        token = call.request.headers.get("Access-Token")
        try:
            info = self.state.auth.verify(PLATFORM, token, "access")
        except SandboxAuthError as exc:
            if exc.reason == "missing":
                raise _Fail(TOKEN_MISSING, "Access token is empty, please check the Access-Token header.") from None
            if exc.reason == "expired":
                raise _Fail(TOKEN_EXPIRED, "Access token has expired.") from None
            raise _Fail(TOKEN_INVALID, "Access token is incorrect or has been revoked.") from None
        login = self.state.world.login(PLATFORM, info.login_id)
        if login is None:
            raise _Fail(TOKEN_INVALID, "Access token is incorrect or has been revoked.")
        call.login = login
        call.token = token

    async def _suffer_fault(self, call: _Call) -> None:
        fault = self.state.faults.take(PLATFORM, _advertiser_hint(call))
        if fault is None:
            return
        if fault.kind is FaultKind.slow:
            await asyncio.sleep(fault.delay_seconds)
        elif fault.kind is FaultKind.rate_limit:
            raise _Fail(RATE_LIMITED, "App reaches the QPS limit.")
        elif fault.kind is FaultKind.server_error:
            raise _Fail(SYSTEM_ERROR, "System error.")
        elif fault.kind is FaultKind.revoke_token:
            self.state.auth.revoke_login(PLATFORM, _login(call).login_id)
            raise _Fail(TOKEN_INVALID, "Access token is incorrect or has been revoked.")
        elif fault.kind is FaultKind.expire_token:
            if call.token is not None:
                self.state.auth.revoke(PLATFORM, call.token)
            if self.rotating():
                raise _Fail(TOKEN_EXPIRED, "Access token has expired.")
            raise _Fail(TOKEN_INVALID, "Access token is incorrect or has been revoked.")

    def _check_app(self, app_id: object, secret: object) -> None:
        expected_id, expected_secret = self.app
        if not isinstance(app_id, str) or not app_id:
            raise _Fail(BAD_PARAMETER, "app_id: Missing data for required field.")
        if not isinstance(secret, str) or not secret:
            raise _Fail(BAD_PARAMETER, "secret: Missing data for required field.")
        if not (secrets.compare_digest(app_id, expected_id) and secrets.compare_digest(secret, expected_secret)):
            raise _Fail(BAD_APP, "Invalid app_id or secret.")

    def _account(self, call: _Call, advertiser_id: object) -> SimAccount:
        """The advertiser the call is about, if the token's login may reach it (else TikTok's permission error)."""
        if not isinstance(advertiser_id, str | int) or isinstance(advertiser_id, bool) or not str(advertiser_id):
            raise _Fail(BAD_PARAMETER, "advertiser_id: Missing data for required field.")
        account_id = str(advertiser_id)
        account = self.state.world.account(PLATFORM, account_id)
        if account is None or account_id not in _login(call).account_ids:
            raise _Fail(
                MISSING_SCOPE,
                f"Permission error: the access token has no permission for advertiser {account_id}.",
            )
        return account

    def routes(self) -> dict[tuple[str, str], _Route]:
        return {
            ("POST", "oauth2/access_token/"): _Route(self.access_token, authenticated=False),
            ("POST", "tt_user/oauth2/refresh_token/"): _Route(self.refresh_token, authenticated=False),
            ("POST", "oauth2/revoke_token/"): _Route(self.revoke_token, authenticated=False),
            ("GET", "oauth2/advertiser/get/"): _Route(self.authorized_advertisers),
            ("GET", "advertiser/info/"): _Route(self.advertiser_info),
            ("GET", "campaign/get/"): _Route(lambda call: self.list_entities(call, EntityLevel.campaign)),
            ("GET", "adgroup/get/"): _Route(lambda call: self.list_entities(call, EntityLevel.ad_group)),
            ("GET", "ad/get/"): _Route(lambda call: self.list_entities(call, EntityLevel.ad)),
            ("POST", "campaign/create/"): _Route(self.create_campaign),
            ("POST", "campaign/update/"): _Route(lambda call: self.update_entity(call, EntityLevel.campaign)),
            ("POST", "adgroup/update/"): _Route(lambda call: self.update_entity(call, EntityLevel.ad_group)),
            ("POST", "campaign/status/update/"): _Route(lambda call: self.update_status(call, EntityLevel.campaign)),
            ("POST", "adgroup/status/update/"): _Route(lambda call: self.update_status(call, EntityLevel.ad_group)),
            ("POST", "ad/status/update/"): _Route(lambda call: self.update_status(call, EntityLevel.ad)),
            ("GET", "report/integrated/get/"): _Route(self.report),
        }

    # --- consent page ---------------------------------------------------------------------------------------------

    async def consent_page(self, request: Request) -> Response:
        if request.method == "POST":
            form = {k: v[0] for k, v in parse_qs((await request.body()).decode("utf-8", "replace")).items()}
        else:
            form = dict(request.query_params)
        app_id, state, redirect_uri = form.get("app_id", ""), form.get("state", ""), form.get("redirect_uri", "")
        if app_id != self.app[0]:
            return HTMLResponse("<!doctype html><title>Error</title><p>Unknown app_id.</p>", status_code=400)
        if not redirect_uri_allowed(PLATFORM, redirect_uri, self.state.config.redirect_origins):
            return HTMLResponse("<!doctype html><title>Error</title><p>Invalid redirect_uri.</p>", status_code=400)
        logins = self.state.world.logins(PLATFORM)
        error: str | None = None
        if request.method == "POST":
            if form.get("decision") == "deny":
                # TikTok sends the person back without an auth_code; the state lets the app match the attempt.
                return _redirect(redirect_uri, {"error": "access_denied", "state": state})
            login = self.state.world.login(PLATFORM, form.get("login_id", ""))
            if form.get("decision") == "allow" and login is not None:
                code = self.state.auth.issue_code(
                    PLATFORM,
                    login.login_id,
                    redirect_uri=_UNBOUND_REDIRECT,
                    code_challenge=None,
                    ttl=AUTH_CODE_TTL_SECONDS,
                )
                return _redirect(redirect_uri, {"auth_code": code, "code": code, "state": state})
            error = "Choose an account, then Allow or Deny."
        names = {account.account_id: account.name for account in self.state.world.accounts(PLATFORM)}
        page = render_consent_page(
            platform_title="TikTok For Business",
            app_name="adpilot",
            logins=logins,
            form_action=request.url.path,
            hidden={"app_id": app_id, "state": state, "redirect_uri": redirect_uri},
            error=error,
            account_names=names,
        )
        return HTMLResponse(page, status_code=200 if error is None else 400)

    # --- OAuth ----------------------------------------------------------------------------------------------------

    async def access_token(self, call: _Call) -> JsonObject:
        self._check_app(call.body.get("app_id"), call.body.get("secret"))
        auth_code = call.body.get("auth_code")
        if not isinstance(auth_code, str) or not auth_code:
            raise _Fail(BAD_PARAMETER, "auth_code: Missing data for required field.")
        try:
            login_id = self.state.auth.redeem_code(
                PLATFORM, auth_code, redirect_uri=_UNBOUND_REDIRECT, code_verifier=None
            )
        except SandboxAuthError:
            raise _Fail(BAD_AUTH_CODE, "Auth code is invalid or has expired.") from None
        login = self.state.world.login(PLATFORM, login_id)
        if login is None:
            raise _Fail(BAD_AUTH_CODE, "Auth code is invalid or has expired.")
        advertiser_ids = [a for a in login.account_ids if self.state.world.account(PLATFORM, a) is not None]
        data: JsonObject = {"advertiser_ids": advertiser_ids, "scope": GRANTED_SCOPES}
        if self.rotating():
            data.update(self._rotating_tokens(login))
        else:
            token, _ = self.state.auth.issue_token(PLATFORM, login.login_id, "long_lived", None)
            data["access_token"] = token
        return data

    def _rotating_tokens(self, login: SandboxLogin) -> JsonObject:
        access, _ = self.state.auth.issue_token(PLATFORM, login.login_id, "access", ROTATING_ACCESS_TTL_SECONDS)
        refresh, _ = self.state.auth.issue_token(PLATFORM, login.login_id, "refresh", ROTATING_REFRESH_TTL_SECONDS)
        return {
            "access_token": access,
            "token_type": "Bearer",
            "expires_in": ROTATING_ACCESS_TTL_SECONDS,
            "refresh_token": refresh,
            "refresh_token_expires_in": ROTATING_REFRESH_TTL_SECONDS,
            "open_id": login.login_id,
        }

    async def refresh_token(self, call: _Call) -> JsonObject:
        self._check_app(call.body.get("client_id"), call.body.get("client_secret"))
        if call.body.get("grant_type") != "refresh_token":
            raise _Fail(BAD_PARAMETER, "grant_type: Must be refresh_token.")
        refresh = call.body.get("refresh_token")
        if not isinstance(refresh, str) or not refresh:
            raise _Fail(BAD_PARAMETER, "refresh_token: Missing data for required field.")
        try:
            info = self.state.auth.verify(PLATFORM, refresh, "refresh")
        except SandboxAuthError:
            raise _Fail(TOKEN_INVALID, "Refresh token is incorrect or has been revoked.") from None
        login = self.state.world.login(PLATFORM, info.login_id)
        if login is None:
            raise _Fail(TOKEN_INVALID, "Refresh token is incorrect or has been revoked.")
        # Rotation: the refresh token just used is spent.
        self.state.auth.revoke(PLATFORM, refresh)
        data = self._rotating_tokens(login)
        data["scope"] = GRANTED_SCOPES
        return data

    async def revoke_token(self, call: _Call) -> JsonObject:
        self._check_app(call.body.get("app_id"), call.body.get("secret"))
        token = call.body.get("access_token")
        if not isinstance(token, str) or not token:
            raise _Fail(BAD_PARAMETER, "access_token: Missing data for required field.")
        try:
            info = self.state.auth.verify(PLATFORM, token, "access")
        except SandboxAuthError:
            raise _Fail(TOKEN_INVALID, "Access token is incorrect or has been revoked.") from None
        # The advertiser's authorization of the app ends: every token of the grant, refresh tokens included.
        self.state.auth.revoke_login(PLATFORM, info.login_id)
        return {}

    # --- advertisers ----------------------------------------------------------------------------------------------

    async def authorized_advertisers(self, call: _Call) -> JsonObject:
        self._check_app(call.query.get("app_id"), call.query.get("secret"))
        items = []
        for account in self.state.world.accessible_accounts(PLATFORM, _login(call).login_id):
            items.append({"advertiser_id": account.account_id, "advertiser_name": account.name})
        return {"list": items}

    async def advertiser_info(self, call: _Call) -> JsonObject:
        ids = _json_param(call.query, "advertiser_ids", list, required=True)
        if not 1 <= len(ids) <= MAX_ADVERTISER_IDS:
            raise _Fail(BAD_PARAMETER, f"advertiser_ids: Length must be between 1 and {MAX_ADVERTISER_IDS}.")
        fields = _json_param(call.query, "fields", list, required=False)
        items = [_advertiser_json(self._account(call, advertiser_id)) for advertiser_id in ids]
        return {"list": [_only(item, fields) for item in items]}

    # --- entities -------------------------------------------------------------------------------------------------

    def _entities(self, account: SimAccount, level: EntityLevel) -> list[SimEntity]:
        return self.state.world.entities(PLATFORM, account.account_id, level, include_removed=True)

    def _tree(self, account: SimAccount) -> dict[str, SimEntity]:
        return {
            entity.id: entity
            for level in (EntityLevel.campaign, EntityLevel.ad_group, EntityLevel.ad)
            for entity in self._entities(account, level)
        }

    async def list_entities(self, call: _Call, level: EntityLevel) -> JsonObject:
        account = self._account(call, call.query.get("advertiser_id"))
        page, page_size = _paging(call.query)
        filtering = _json_param(call.query, "filtering", dict, required=False) or {}
        fields = _json_param(call.query, "fields", list, required=False)
        tree = self._tree(account)
        entities = [entity for entity in self._entities(account, level) if _matches(entity, level, filtering, tree)]
        entities.sort(key=lambda entity: (entity.created_at, int(entity.id) if entity.id.isdigit() else 0))
        entities.reverse()  # newest first
        items = [_only(_entity_json(entity, account, tree), fields) for entity in entities]
        return _page(items, page, page_size)

    async def create_campaign(self, call: _Call) -> JsonObject:
        account = self._account(call, call.body.get("advertiser_id"))
        request_id = call.body.get("request_id")
        if request_id is not None:
            if not isinstance(request_id, str | int) or not str(request_id).isdigit():
                raise _Fail(BAD_PARAMETER, "request_id: Must be an int64 passed as a string.")
            existing = self.created.get((account.account_id, str(request_id)))
            if existing is not None:
                entity = self.state.world.entity(PLATFORM, existing)
                if entity is not None:
                    return _entity_json(entity, account, self._tree(account))
        name = call.body.get("campaign_name")
        if not isinstance(name, str) or not name.strip():
            raise _Fail(BAD_PARAMETER, "campaign_name: Missing data for required field.")
        if len(name) > 512:
            raise _Fail(BAD_PARAMETER, "campaign_name: Length must be at most 512.")
        objective_type = call.body.get("objective_type")
        if objective_type not in _NEUTRAL_OBJECTIVES:
            raise _Fail(BAD_PARAMETER, f"objective_type: Must be one of {', '.join(sorted(_NEUTRAL_OBJECTIVES))}.")
        budget_mode = call.body.get("budget_mode", "BUDGET_MODE_INFINITE")
        if budget_mode not in _BUDGET_MODES:
            raise _Fail(BAD_PARAMETER, f"budget_mode: Must be one of {', '.join(_BUDGET_MODES)}.")
        daily: int | None = None
        lifetime: int | None = None
        if budget_mode != "BUDGET_MODE_INFINITE":
            if "budget" not in call.body:
                raise _Fail(BAD_PARAMETER, f"budget: Required when budget_mode is {budget_mode}.")
            micros = _budget_micros(call.body["budget"])
            if budget_mode == "BUDGET_MODE_TOTAL":
                lifetime = micros
            else:
                daily = micros
        operation = call.body.get("operation_status", "ENABLE")
        if operation not in ("ENABLE", "DISABLE"):
            raise _Fail(BAD_PARAMETER, "operation_status: Must be one of ENABLE, DISABLE.")
        optimize_on = call.body.get("budget_optimize_on", budget_mode != "BUDGET_MODE_INFINITE")
        if not isinstance(optimize_on, bool):
            raise _Fail(BAD_PARAMETER, "budget_optimize_on: Must be a boolean.")
        entity = self.state.world.create_entity(
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
            self.created[(account.account_id, str(request_id))] = entity.id
        return _entity_json(entity, account, self._tree(account))

    async def update_entity(self, call: _Call, level: EntityLevel) -> JsonObject:
        noun = _NOUNS[level]
        account = self._account(call, call.body.get("advertiser_id"))
        entity = self._own_entity(account, level, call.body.get(f"{noun}_id"), f"{noun}_id")
        if entity.status is EntityStatus.removed:
            raise _Fail(BAD_PARAMETER, f"{noun}_id: The {noun} has been deleted and cannot be modified.")
        mode = _budget_mode(entity)
        if "budget_mode" in call.body and call.body["budget_mode"] != mode:
            raise _Fail(BAD_PARAMETER, "budget_mode: The budget mode cannot be modified.")
        name = call.body.get(f"{noun}_name")
        if name is not None and (not isinstance(name, str) or not name.strip() or len(name) > 512):
            raise _Fail(BAD_PARAMETER, f"{noun}_name: Length must be between 1 and 512.")
        changes: dict[str, Any] = {}
        if name is not None:
            changes["name"] = name
        if "budget" in call.body:
            micros = _budget_micros(call.body["budget"])
            if mode == "BUDGET_MODE_TOTAL":
                changes["lifetime_budget_micros"] = micros
            elif mode in ("BUDGET_MODE_DAY", "BUDGET_MODE_DYNAMIC_DAILY_BUDGET"):
                changes["daily_budget_micros"] = micros
            else:
                raise _Fail(BAD_PARAMETER, f"budget: The {noun} has no budget ({mode}).")
        if changes:
            entity = self.state.world.update_entity(PLATFORM, entity.id, **changes)
        return _entity_json(entity, account, self._tree(account))

    async def update_status(self, call: _Call, level: EntityLevel) -> JsonObject:
        noun = _NOUNS[level]
        account = self._account(call, call.body.get("advertiser_id"))
        ids = call.body.get(f"{noun}_ids")
        if not isinstance(ids, list) or not 1 <= len(ids) <= MAX_STATUS_UPDATE_IDS:
            raise _Fail(BAD_PARAMETER, f"{noun}_ids: Length must be between 1 and {MAX_STATUS_UPDATE_IDS}.")
        operation = call.body.get("operation_status")
        if operation not in _OPERATIONS:
            raise _Fail(BAD_PARAMETER, "operation_status: Must be one of ENABLE, DISABLE, DELETE.")
        target = _OPERATIONS[str(operation)]
        # Validate every id before changing any: the call succeeds or fails as a whole.
        entities = [self._own_entity(account, level, entity_id, f"{noun}_ids") for entity_id in ids]
        for entity in entities:
            if entity.status is EntityStatus.removed and target is not EntityStatus.removed:
                raise _Fail(BAD_PARAMETER, f"{noun}_ids: {noun} {entity.id} has been deleted and cannot be modified.")
        for entity in entities:
            if entity.status is target:
                continue
            self.state.world.update_entity(PLATFORM, entity.id, status=target)
            if target is EntityStatus.removed:
                # Deleting a campaign or ad group deletes everything under it, as on TikTok.
                for child in self._descendants(account, entity):
                    if child.status is not EntityStatus.removed:
                        self.state.world.update_entity(PLATFORM, child.id, status=EntityStatus.removed)
        listed = [entity.id for entity in entities]
        return {
            f"{noun}_ids": listed,
            "status": operation,
            f"{noun}_list": [{f"{noun}_id": entity_id, "status": operation} for entity_id in listed],
        }

    def _own_entity(self, account: SimAccount, level: EntityLevel, entity_id: object, name: str) -> SimEntity:
        if not isinstance(entity_id, str | int) or isinstance(entity_id, bool) or not str(entity_id):
            raise _Fail(BAD_PARAMETER, f"{name}: Missing data for required field.")
        entity = self.state.world.entity(PLATFORM, str(entity_id))
        if entity is None or entity.level is not level or entity.account_id != account.account_id:
            raise _Fail(BAD_PARAMETER, f"{name}: {_NOUNS[level]} {entity_id} does not exist.")
        return entity

    def _descendants(self, account: SimAccount, entity: SimEntity) -> list[SimEntity]:
        if entity.level is EntityLevel.campaign:
            return [
                child
                for level in (EntityLevel.ad_group, EntityLevel.ad)
                for child in self._entities(account, level)
                if child.campaign_id == entity.id
            ]
        if entity.level is EntityLevel.ad_group:
            return [child for child in self._entities(account, EntityLevel.ad) if child.parent_id == entity.id]
        return []

    # --- reports --------------------------------------------------------------------------------------------------

    async def report(self, call: _Call) -> JsonObject:
        # Simulating a month of an account takes up to a fifth of a second of CPU: off the event loop, which meanwhile
        # keeps taking (and counting) requests.
        return await asyncio.to_thread(self._report, call)

    def _report(self, call: _Call) -> JsonObject:
        query = call.query
        account = self._account(call, query.get("advertiser_id"))
        if query.get("service_type", "AUCTION") != "AUCTION":
            raise _Fail(BAD_PARAMETER, "service_type: Only AUCTION is supported.")
        if query.get("report_type") != "BASIC":
            raise _Fail(BAD_PARAMETER, "report_type: The sandbox supports BASIC reports.")
        data_level = query.get("data_level", "")
        if data_level not in _DATA_LEVELS:
            raise _Fail(BAD_PARAMETER, f"data_level: Must be one of {', '.join(_DATA_LEVELS)}.")
        level = _DATA_LEVELS[data_level]
        id_dimension = f"{_NOUNS[level]}_id" if level is not None else "advertiser_id"
        dimensions = [str(d) for d in _json_param(query, "dimensions", list, required=True)]
        time_dimensions = [d for d in dimensions if d in ("stat_time_day", "stat_time_hour")]
        if id_dimension not in dimensions or len(time_dimensions) > 1 or len(dimensions) != 1 + len(time_dimensions):
            raise _Fail(
                BAD_PARAMETER,
                f'dimensions: With data_level {data_level} use ["{id_dimension}"] with at most one of '
                '"stat_time_day" or "stat_time_hour".',
            )
        time_dimension = time_dimensions[0] if time_dimensions else None
        metrics = [str(m) for m in (_json_param(query, "metrics", list, required=False) or _DEFAULT_METRICS)]
        unknown = [m for m in metrics if m not in _KNOWN_METRICS]
        if unknown:
            raise _Fail(BAD_PARAMETER, f"metrics: The sandbox does not know {', '.join(unknown)}.")
        if query.get("query_lifetime") == "true":
            raise _Fail(BAD_PARAMETER, "query_lifetime: Not supported by the sandbox; pass start_date and end_date.")
        start, end = _date_param(query, "start_date"), _date_param(query, "end_date")
        if end < start:
            raise _Fail(BAD_PARAMETER, "end_date: Must not be before start_date.")
        span = (end - start).days + 1
        limit = {
            "stat_time_day": self.report_max_days(),
            "stat_time_hour": 1,
            None: MAX_REPORT_DAYS_WITHOUT_TIME,
        }[time_dimension]
        if span > limit:
            raise _Fail(QUERY_TOO_LARGE, "The query is too large, please narrow the date range")
        page, page_size = _paging(query)
        filtering = _json_param(query, "filtering", list, required=False) or []
        tree = self._tree(account)
        report_level = level or EntityLevel.campaign
        entities = [
            entity
            for entity in self._entities(account, report_level)
            if _report_filter_matches(entity, report_level, level is None, filtering, tree)
        ]
        rows = self._report_rows(account, report_level, entities, start, end, time_dimension)
        if level is None:
            rows = _advertiser_totals(rows)
        items = [
            _report_row_json(row, id_dimension, time_dimension, metrics, account, tree.get(row.entity_id), level, tree)
            for row in rows
        ]
        return _page(items, page, page_size)

    def report_max_days(self) -> int:
        # Tests narrow the limit to watch the adapter split its windows; 30 days otherwise, as on TikTok.
        return self.state.config.tiktok_report_max_days

    def _report_rows(
        self,
        account: SimAccount,
        level: EntityLevel,
        entities: list[SimEntity],
        start: date,
        end: date,
        time_dimension: str | None,
    ) -> list[_Row]:
        if not entities:
            return []
        ids = [entity.id for entity in entities]
        world = self.state.world
        if time_dimension == "stat_time_hour":
            metrics = world.hourly_metrics(PLATFORM, account.account_id, level, start, entity_ids=ids)
        else:
            metrics = world.daily_metrics(PLATFORM, account.account_id, level, start, end, entity_ids=ids)
        allowed = set(ids)
        rows = [_Row.of(m, time_dimension) for m in metrics if m.entity_id in allowed]
        if time_dimension is None:
            rows = _sum_rows(rows, key=lambda row: (row.entity_id, ""))
        rows.sort(key=lambda row: (row.stat_time, _numeric(row.entity_id)))
        return rows


_UNBOUND_REDIRECT = "urn:tiktok:auth-code"
"""TikTok's token exchange sends no redirect URI, so sandbox codes are bound to this constant instead."""


@dataclass
class _Row:
    """Numbers of one report row before formatting (several SimMetrics summed for totals)."""

    entity_id: str
    stat_time: str
    impressions: int = 0
    clicks: int = 0
    spend_micros: int = 0
    conversions: int = 0
    conversion_value_micros: int = 0
    reach: int = 0
    video_views: int = 0

    @classmethod
    def of(cls, metrics: SimMetrics, time_dimension: str | None) -> _Row:
        if time_dimension == "stat_time_hour":
            stat_time = f"{metrics.day.isoformat()} {metrics.hour or 0:02d}:00:00"
        elif time_dimension == "stat_time_day":
            stat_time = f"{metrics.day.isoformat()} 00:00:00"
        else:
            stat_time = ""
        return cls(
            entity_id=metrics.entity_id,
            stat_time=stat_time,
            impressions=metrics.impressions,
            clicks=metrics.clicks,
            spend_micros=metrics.spend_micros,
            conversions=metrics.conversions,
            conversion_value_micros=metrics.conversion_value_micros,
            reach=metrics.reach,
            video_views=metrics.video_views,
        )

    def add(self, other: _Row) -> None:
        self.impressions += other.impressions
        self.clicks += other.clicks
        self.spend_micros += other.spend_micros
        self.conversions += other.conversions
        self.conversion_value_micros += other.conversion_value_micros
        self.reach += other.reach
        self.video_views += other.video_views


def _sum_rows(rows: Iterable[_Row], *, key: Callable[[_Row], tuple[str, str]]) -> list[_Row]:
    totals: dict[tuple[str, str], _Row] = {}
    for row in rows:
        entity_id, stat_time = key(row)
        total = totals.get((entity_id, stat_time))
        if total is None:
            totals[(entity_id, stat_time)] = _Row(entity_id=entity_id, stat_time=stat_time)
            total = totals[(entity_id, stat_time)]
        total.add(row)
    return list(totals.values())


def _advertiser_totals(rows: list[_Row]) -> list[_Row]:
    totals = _sum_rows(rows, key=lambda row: ("", row.stat_time))
    totals.sort(key=lambda row: row.stat_time)
    return totals


def create_tiktok_emulator(state: SandboxState) -> FastAPI:
    """The TikTok emulator as an ASGI app; mount it at ``/sandbox/tiktok`` (paths inside are TikTok's own)."""
    emulator = _Emulator(state)
    # No slash redirects: TikTok's paths end with "/" and a client that forgets it must notice.
    app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None, redirect_slashes=False)

    @app.api_route("/portal/auth", methods=["GET", "POST"], include_in_schema=False)
    async def portal_auth(request: Request) -> Response:
        return await emulator.consent_page(request)

    @app.api_route("/open_api/{version}/{path:path}", methods=["GET", "POST"], include_in_schema=False)
    async def open_api(request: Request, version: str, path: str) -> Response:
        return await emulator.dispatch(request, version, path)

    return app


# --- helpers -------------------------------------------------------------------------------------------------------


def _local_path(request: Request) -> str:
    """The path inside the emulator, whatever it is mounted under."""
    path = str(request.scope.get("path", ""))
    root = str(request.scope.get("root_path", ""))
    return path[len(root) :] if root and path.startswith(root) else path


def _login(call: _Call) -> SandboxLogin:
    if call.login is None:
        raise _Fail(TOKEN_MISSING, "Access token is empty, please check the Access-Token header.")
    return call.login


def _redirect(uri: str, params: Mapping[str, str]) -> RedirectResponse:
    separator = "&" if urlsplit(uri).query else "?"
    return RedirectResponse(f"{uri}{separator}{urlencode(params)}", status_code=302)


def _advertiser_hint(call: _Call) -> str | None:
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


def _json_param(query: Mapping[str, str], name: str, kind: type, *, required: bool) -> Any:
    """A JSON-encoded query parameter (``dimensions=["campaign_id"]``), checked for its JSON type."""
    raw = query.get(name)
    if raw is None or raw == "":
        if required:
            raise _Fail(BAD_PARAMETER, f"{name}: Missing data for required field.")
        return None
    try:
        value = json.loads(raw)
    except ValueError:
        raise _Fail(BAD_PARAMETER, f"{name}: Not a valid JSON string.") from None
    if not isinstance(value, kind):
        raise _Fail(BAD_PARAMETER, f"{name}: Must be a JSON {'array' if kind is list else 'object'}.")
    return value


def _int_param(query: Mapping[str, str], name: str, default: int, low: int, high: int | None) -> int:
    raw = query.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise _Fail(BAD_PARAMETER, f"{name}: Not a valid integer.") from None
    if value < low or (high is not None and value > high):
        bound = f"between {low} and {high}" if high is not None else f"at least {low}"
        raise _Fail(BAD_PARAMETER, f"{name}: Must be {bound}.")
    return value


def _paging(query: Mapping[str, str]) -> tuple[int, int]:
    return _int_param(query, "page", 1, 1, None), _int_param(query, "page_size", 10, 1, 1000)


def _page(items: list[JsonObject], page: int, page_size: int) -> JsonObject:
    total = len(items)
    start = (page - 1) * page_size
    return {
        "list": items[start : start + page_size],
        "page_info": {
            "page": page,
            "page_size": page_size,
            "total_number": total,
            "total_page": math.ceil(total / page_size),
        },
    }


def _date_param(query: Mapping[str, str], name: str) -> date:
    raw = query.get(name)
    if not raw:
        raise _Fail(BAD_PARAMETER, f"{name}: Missing data for required field.")
    if not _DATE.match(raw):
        raise _Fail(BAD_PARAMETER, f"{name}: Must be in YYYY-MM-DD format.")
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise _Fail(BAD_PARAMETER, f"{name}: Not a valid date.") from None


def _budget_micros(value: object) -> int:
    """A budget in major units (a JSON number) as micros; TikTok keeps two decimals."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise _Fail(BAD_PARAMETER, "budget: Must be a number.")
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        raise _Fail(BAD_PARAMETER, "budget: Must be a number.") from None
    if not amount.is_finite() or amount <= 0:
        raise _Fail(BAD_PARAMETER, "budget: Must be greater than 0.")
    if amount != amount.quantize(Decimal("0.01")):
        raise _Fail(BAD_PARAMETER, "budget: At most two decimal places.")
    return int(amount * 1_000_000)


def _numeric(entity_id: str) -> int:
    return int(entity_id) if entity_id.isdigit() else 0


def _major(micros: int) -> float:
    """Micros as TikTok's float in major units (budgets)."""
    return float(Decimal(micros) / 1_000_000)


def _money(micros: int) -> str:
    """Report money: a decimal string with at least two decimals ("20.00"), never rounding away micros."""
    text = f"{Decimal(micros) / 1_000_000:.6f}".rstrip("0")
    whole, _, fraction = text.partition(".")
    return f"{whole}.{fraction.ljust(2, '0')}"


def _ratio(numerator: Decimal, denominator: int, scale: int = 1) -> str:
    if denominator == 0:
        return "-"
    return f"{numerator * scale / denominator:.2f}"


def _time(moment: datetime) -> str:
    return f"{moment:%Y-%m-%d %H:%M:%S}"


def _only(item: JsonObject, fields: list[Any] | None) -> JsonObject:
    """The ``fields`` parameter: only those keys (every field when absent)."""
    if not fields:
        return item
    unknown = [str(f) for f in fields if str(f) not in item]
    if unknown:
        raise _Fail(BAD_PARAMETER, f"fields: Unknown field {', '.join(unknown)}.")
    return {str(name): item[str(name)] for name in fields}


def _jsonable(value: Any) -> bool:
    if value is None or isinstance(value, str | int | float | bool):
        return True
    if isinstance(value, list):
        return all(_jsonable(item) for item in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and _jsonable(v) for k, v in value.items())
    return False


def _advertiser_json(account: SimAccount) -> JsonObject:
    return {
        "advertiser_id": account.account_id,
        "name": account.name,
        "currency": account.currency,
        "timezone": account.time_zone,
        "display_timezone": account.time_zone,
        "status": "STATUS_ENABLE" if account.active else "STATUS_DISABLE",
        "role": "ROLE_ADVERTISER",
        "company": "adpilot sandbox",
        "language": "en",
    }


def _budget_mode(entity: SimEntity) -> str:
    dynamic = "BUDGET_MODE_DYNAMIC_DAILY_BUDGET"
    if entity.daily_budget_micros is not None:
        return dynamic if entity.attributes.get("budget_mode") == dynamic else "BUDGET_MODE_DAY"
    if entity.lifetime_budget_micros is not None:
        return "BUDGET_MODE_TOTAL"
    return "BUDGET_MODE_INFINITE"


def _budget_json(entity: SimEntity) -> JsonObject:
    micros = entity.daily_budget_micros or entity.lifetime_budget_micros or 0
    return {"budget": _major(micros), "budget_mode": _budget_mode(entity)}


def _objective_type(entity: SimEntity, tree: Mapping[str, SimEntity]) -> str:
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


def _primary_status(entity: SimEntity, tree: Mapping[str, SimEntity]) -> str:
    if _deleted(entity, tree):
        return "STATUS_DELETE"
    if entity.status is EntityStatus.paused:
        return "STATUS_DISABLE"
    ancestors = [tree.get(entity.campaign_id), tree.get(entity.parent_id or "")]
    if any(a is not None and a is not entity and a.status is not EntityStatus.active for a in ancestors):
        return "STATUS_NOT_DELIVERY"
    return "STATUS_DELIVERY_OK"


def _secondary_status(entity: SimEntity, tree: Mapping[str, SimEntity]) -> str:
    prefix = {"campaign": "CAMPAIGN", "adgroup": "ADGROUP", "ad": "AD"}[_NOUNS[entity.level]]
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


def _entity_json(entity: SimEntity, account: SimAccount, tree: Mapping[str, SimEntity]) -> JsonObject:
    """A campaign, ad group or ad as TikTok's */get/ returns it."""
    noun = _NOUNS[entity.level]
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
                "objective_type": _objective_type(entity, tree),
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
        item.update(
            {
                "adgroup_id": entity.id,
                "adgroup_name": entity.name,
                "optimization_goal": goal,
                "billing_event": billing,
                "bid_type": "BID_TYPE_NO_BID",
                "placement_type": "PLACEMENT_TYPE_AUTOMATIC",
                "schedule_type": "SCHEDULE_FROM_NOW",
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


def _ids(value: object, name: str) -> set[str]:
    if not isinstance(value, list) or not 1 <= len(value) <= MAX_FILTER_IDS:
        raise _Fail(BAD_PARAMETER, f"filtering.{name}: Length must be between 1 and {MAX_FILTER_IDS}.")
    return {str(item) for item in value}


def _status_matches(primary: str, wanted: str) -> bool:
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
    noun = _NOUNS[level]
    prefix = noun.upper()
    allowed = {"campaign_ids", "primary_status", "secondary_status", "objective_type", "buying_types"}
    allowed |= {"campaign_name"} if level is EntityLevel.campaign else set()
    allowed |= {"adgroup_ids", "adgroup_name"} if level is EntityLevel.ad_group else set()
    allowed |= {"adgroup_ids", "ad_ids", "ad_name"} if level is EntityLevel.ad else set()
    unknown = sorted(set(filtering) - allowed)
    if unknown:
        raise _Fail(BAD_PARAMETER, f"filtering: Unknown field {', '.join(unknown)}.")
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
    if objective is not None and _objective_type(entity, tree) != objective:
        return False
    primary = filtering.get("primary_status")
    secondary = filtering.get("secondary_status")
    if primary is not None and primary not in _PRIMARY_STATUSES:
        raise _Fail(BAD_PARAMETER, f"filtering.primary_status: Must be one of {', '.join(_PRIMARY_STATUSES)}.")
    if primary is None and secondary is None:
        primary = "STATUS_NOT_DELETE"  # TikTok's default: deleted entities only when asked for
    if primary is not None and not _status_matches(_primary_status(entity, tree), str(primary)):
        return False
    if secondary is not None:
        if not isinstance(secondary, str) or not secondary.startswith(f"{prefix}_STATUS_"):
            raise _Fail(BAD_PARAMETER, f"filtering.secondary_status: Must be a {prefix}_STATUS_* value.")
        actual = _secondary_status(entity, tree)
        if secondary == f"{prefix}_STATUS_NOT_DELETE":
            return actual != f"{prefix}_STATUS_DELETE"
        if secondary != f"{prefix}_STATUS_ALL" and actual != secondary:
            return False
    return True


def _report_filter_matches(
    entity: SimEntity,
    level: EntityLevel,
    advertiser_level: bool,
    filtering: list[Any],
    tree: Mapping[str, SimEntity],
) -> bool:
    """The report's ``filtering`` list: ``{"field_name", "filter_type": "IN", "filter_value": "<JSON array>"}``.

    Without a ``<level>_status`` filter, deleted entities of the data level are left out (TikTok's default); an
    advertiser-level report covers everything the advertiser ran.
    """
    status_filtered = False
    for condition in filtering:
        if not isinstance(condition, dict):
            raise _Fail(BAD_PARAMETER, "filtering: Each condition must be an object.")
        field_name = condition.get("field_name")
        if condition.get("filter_type") != "IN":
            raise _Fail(BAD_PARAMETER, f"filtering.{field_name}.filter_type: The sandbox supports IN.")
        raw = condition.get("filter_value")
        try:
            values = json.loads(raw) if isinstance(raw, str) else None
        except ValueError:
            values = None
        if not isinstance(values, list) or not values:
            raise _Fail(BAD_PARAMETER, f"filtering.{field_name}.filter_value: Must be a JSON array string.")
        wanted = {str(v) for v in values}
        if field_name in ("campaign_ids", "adgroup_ids", "ad_ids"):
            if len(wanted) > MAX_FILTER_IDS:
                raise _Fail(BAD_PARAMETER, f"filtering.{field_name}: At most {MAX_FILTER_IDS} ids.")
            subject = {
                "campaign_ids": entity.campaign_id,
                "adgroup_ids": entity.id if level is EntityLevel.ad_group else entity.parent_id,
                "ad_ids": entity.id if level is EntityLevel.ad else None,
            }[str(field_name)]
            if subject not in wanted:
                return False
        elif field_name in ("campaign_status", "adgroup_status", "ad_status"):
            owner = _status_owner(entity, str(field_name)[: -len("_status")], tree)
            if owner is None:
                raise _Fail(BAD_PARAMETER, f"filtering.{field_name}: Not available at this data level.")
            status_filtered = status_filtered or owner is entity
            primary = _primary_status(owner, tree)
            if not any(_status_matches(primary, value) for value in wanted):
                return False
        else:
            raise _Fail(BAD_PARAMETER, f"filtering: Unknown field_name {field_name}.")
    # TikTok's default at the data level: STATUS_NOT_DELETE.
    return status_filtered or advertiser_level or entity.status is not EntityStatus.removed


def _status_owner(entity: SimEntity, noun: str, tree: Mapping[str, SimEntity]) -> SimEntity | None:
    """The entity whose status a ``<noun>_status`` report filter reads: the row's own, or an ancestor's."""
    if _NOUNS[entity.level] == noun:
        return entity
    if noun == "campaign":
        return tree.get(entity.campaign_id)
    if noun == "adgroup" and entity.level is EntityLevel.ad:
        return tree.get(entity.parent_id or "")
    return None


def _report_row_json(
    row: _Row,
    id_dimension: str,
    time_dimension: str | None,
    metrics: list[str],
    account: SimAccount,
    entity: SimEntity | None,
    level: EntityLevel | None,
    tree: Mapping[str, SimEntity],
) -> JsonObject:
    dimensions: JsonObject = {id_dimension: row.entity_id if level is not None else account.account_id}
    if time_dimension is not None:
        dimensions[time_dimension] = row.stat_time
    spend = Decimal(row.spend_micros) / 1_000_000
    values: JsonObject = {}
    for metric in metrics:
        values[metric] = _metric(metric, row, spend, account, entity, level, tree)
    return {"dimensions": dimensions, "metrics": values}


def _metric(
    metric: str,
    row: _Row,
    spend: Decimal,
    account: SimAccount,
    entity: SimEntity | None,
    level: EntityLevel | None,
    tree: Mapping[str, SimEntity],
) -> str:
    """One metric as TikTok writes it: a string, ``"-"`` where it does not apply."""
    counts = {
        "impressions": row.impressions,
        "clicks": row.clicks,
        "reach": row.reach,
        "conversion": row.conversions,
        "video_play_actions": row.video_views,
    }
    if metric in counts:
        return str(counts[metric])
    if metric == "spend":
        return _money(row.spend_micros)
    if metric == "total_complete_payment_rate":
        # Purchases' value: not applicable to campaigns that cannot have purchases.
        purchases_apply = entity is None or _objective_type(entity, tree) in ("WEB_CONVERSIONS", "PRODUCT_SALES")
        if row.conversion_value_micros == 0 and not purchases_apply:
            return "-"
        return _money(row.conversion_value_micros)
    if metric == "ctr":
        return _ratio(Decimal(row.clicks), row.impressions, 100)
    if metric == "cpc":
        return _ratio(spend, row.clicks)
    if metric == "cpm":
        return _ratio(spend, row.impressions, 1000)
    if metric == "frequency":
        return _ratio(Decimal(row.impressions), row.reach)
    if metric == "cost_per_conversion":
        return _ratio(spend, row.conversions)
    if metric == "conversion_rate":
        return _ratio(Decimal(row.conversions), row.clicks, 100)
    if metric == "currency":
        return account.currency
    return _attribute(metric, entity, level, tree)


def _attribute(metric: str, entity: SimEntity | None, level: EntityLevel | None, tree: Mapping[str, SimEntity]) -> str:
    """Attribute metrics (``campaign_name`` …): the entity's or its ancestors', ``"-"`` above the data level."""
    if entity is None or level is None:
        return "-"
    campaign = tree.get(entity.campaign_id)
    adgroup = entity if entity.level is EntityLevel.ad_group else tree.get(entity.parent_id or "")
    values = {
        "campaign_name": campaign.name if campaign else "-",
        "campaign_id": entity.campaign_id,
        "objective_type": _objective_type(entity, tree),
        "adgroup_name": adgroup.name if adgroup and entity.level is not EntityLevel.campaign else "-",
        "adgroup_id": adgroup.id if adgroup and entity.level is not EntityLevel.campaign else "-",
        "ad_name": entity.name if entity.level is EntityLevel.ad else "-",
    }
    return values.get(metric, "-")
