"""A wire-level emulator of the Meta Graph / Marketing API, driven by the sandbox world.

It answers the way graph.facebook.com does (``platform-apis.md`` section B and its emulator checklist), so the real
Meta adapter runs against it unchanged:

* the login dialog (``/{version}/dialog/oauth``: a consent page, then a redirect with ``code`` and ``state``, or with
  ``error=access_denied``) and the token endpoint (code → short-lived token, ``fb_exchange_token`` → long-lived
  token), ``/debug_token``, ``/me``, ``/me/permissions`` (DELETE revokes the app), ``/me/adaccounts``;
* ``/act_{id}/campaigns|adsets|ads`` reads (``fields``, ``effective_status``, object ``filtering`` on ``id``,
  ``effective_status`` and ``updated_time`` — the last change in effect at the clock's now —, cursor paging) and
  creates with Meta's validation; ``/{object_id}`` reads, updates (``status``, ``daily_budget`` in minor units, at
  most four ad-set budget changes an hour) and deletes;
* insights, synchronous (``/act_{id}/insights``, ``/{object_id}/insights``) and asynchronous (POST → report run →
  polls → ``/{report_run_id}/insights``), every number a string, money in major units of the account currency, and
  ``actions``/``action_values`` listing one conversion under several overlapping types (``omni_purchase``,
  ``purchase``, ``offsite_conversion.fb_pixel_purchase``, ``onsite_web_purchase``) exactly like Meta — the trap
  that catches a client summing them;
* the Graph error envelope (mostly HTTP 400, ``code``/``error_subcode``/``fbtrace_id``/``is_transient``), usage
  headers on every answer, a per-ad-account request rate (``SandboxConfig.meta_requests_per_second``; over it: code
  80000 for insights, 80004 for management, with ``estimated_time_to_regain_access``) and the sandbox's faults.

Two liberties, both documented where they happen: ``estimated_time_to_regain_access`` is fractional minutes (Meta
sends whole minutes; the sandbox's per-second gate frees up in less than one), and the usage quotas are twice what
the per-second gate lets through, so percentages rise with use but a client that respects the gate never hits them.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import json
import math
import operator
import secrets
import threading
import time
import weakref
from collections import defaultdict, deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, TypeVar
from urllib.parse import parse_qsl, urlencode
from zoneinfo import ZoneInfo

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from adpilot.platforms.types import EntityLevel, EntityStatus, Platform
from adpilot.sandbox.auth import SandboxAuthError, TokenInfo, redirect_uri_allowed, render_consent_page
from adpilot.sandbox.engine import SandboxLogin, SandboxWorld, SandboxWorldError, SimAccount, SimEntity, SimMetrics
from adpilot.sandbox.faults import Fault, FaultKind
from adpilot.sandbox.state import SandboxState

JsonObject = dict[str, Any]
T = TypeVar("T")

APP_NAME = "adpilot"
GRANTED_PERMISSIONS = ("ads_management", "ads_read", "business_management", "public_profile")
# Marketing API versions past their end of life (v20.0 expired 2026-09-24) answer error 2635.
OLDEST_LIVE_VERSION = 21
DEFAULT_PAGE_SIZE = 25
MAX_PAGE_SIZE = 5000
AD_SET_BUDGET_CHANGES_PER_HOUR = 4
ACCESS_TIER = "standard_access"
# The usage windows behind the headers: Meta's business use cases count a rolling hour, the ad account score decays
# over five minutes.
USAGE_HOUR = 3600.0
ACCOUNT_SCORE_WINDOW = 300.0
# developers.facebook.com/docs/marketing-api/currencies: budgets in units of 1/offset; these have offset 1.
ZERO_DECIMAL_CURRENCIES = frozenset({"CLP", "COP", "CRC", "HUF", "ISK", "IDR", "JPY", "KRW", "PYG", "TWD", "VND"})
MICROS = 1_000_000

OBJECTIVES: Mapping[str, str] = {
    "sales": "OUTCOME_SALES",
    "traffic": "OUTCOME_TRAFFIC",
    "leads": "OUTCOME_LEADS",
    "awareness": "OUTCOME_AWARENESS",
    "app_installs": "OUTCOME_APP_PROMOTION",
    "video_views": "OUTCOME_ENGAGEMENT",
}
NEUTRAL_OBJECTIVES: Mapping[str, str] = {meta: neutral for neutral, meta in OBJECTIVES.items()}
OPTIMIZATION_GOALS: Mapping[str, str] = {
    "sales": "OFFSITE_CONVERSIONS",
    "traffic": "LINK_CLICKS",
    "leads": "LEAD_GENERATION",
    "awareness": "REACH",
    "app_installs": "APP_INSTALLS",
    "video_views": "THRUPLAY",
}
# One conversion appears under every type of its family, with the same count and value (as on Meta).
CONVERSION_ACTION_TYPES: Mapping[str, tuple[str, ...]] = {
    "leads": ("lead", "onsite_conversion.lead_grouped"),
    "app_installs": ("mobile_app_install", "omni_app_install"),
}
# Actions that happen on Meta's own surfaces: the ones the hourly breakdowns still report.
ON_META_ACTION_TYPES = frozenset(
    {"link_click", "landing_page_view", "page_engagement", "post_engagement", "video_view"}
    | {"onsite_conversion.lead_grouped", "onsite_web_purchase"}
)
PURCHASE_ACTION_TYPES = (
    "offsite_conversion.fb_pixel_purchase",
    "omni_purchase",
    "onsite_web_purchase",
    "purchase",
)
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
EFFECTIVE_STATUSES = frozenset(
    {
        "ACTIVE",
        "PAUSED",
        "DELETED",
        "ARCHIVED",
        "CAMPAIGN_PAUSED",
        "ADSET_PAUSED",
        "IN_PROCESS",
        "WITH_ISSUES",
        "PENDING_REVIEW",
        "DISAPPROVED",
        "PREAPPROVED",
        "PENDING_BILLING_INFO",
    }
)
_HIDDEN_BY_DEFAULT = frozenset({"DELETED", "ARCHIVED"})

ACCOUNT_FIELDS = frozenset(
    {"id", "account_id", "name", "currency", "timezone_name", "timezone_offset_hours_utc", "account_status"}
    | {"disable_reason", "business_name"}
)
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
NODE_TYPES: Mapping[EntityLevel, str] = {
    EntityLevel.campaign: "Campaign",
    EntityLevel.ad_group: "AdSet",
    EntityLevel.ad: "Ad",
}
EDGE_LEVELS: Mapping[str, EntityLevel] = {
    "campaigns": EntityLevel.campaign,
    "adsets": EntityLevel.ad_group,
    "ads": EntityLevel.ad,
}
INSIGHTS_LEVELS: Mapping[str, EntityLevel | None] = {
    "account": None,
    "campaign": EntityLevel.campaign,
    "adset": EntityLevel.ad_group,
    "ad": EntityLevel.ad,
}
_LEVEL_DEPTH: Mapping[EntityLevel | None, int] = {
    None: 0,
    EntityLevel.campaign: 1,
    EntityLevel.ad_group: 2,
    EntityLevel.ad: 3,
}
INSIGHTS_FIELDS = frozenset(
    {"account_id", "account_name", "account_currency", "campaign_id", "campaign_name", "adset_id", "adset_name"}
    | {"ad_id", "ad_name", "objective", "optimization_goal", "impressions", "clicks", "spend", "reach"}
    | {"frequency", "ctr", "cpc", "cpm", "inline_link_clicks", "actions", "action_values", "date_start", "date_stop"}
    | {"inline_link_click_ctr", "cost_per_inline_link_click"}
)
DEFAULT_INSIGHTS_FIELDS = ("account_id", "impressions", "spend")
# The breakdown the sandbox emulates: the hour of the day in the ad account's time zone, "13:00:00 - 13:59:59".
HOURLY_BREAKDOWN = "hourly_stats_aggregated_by_advertiser_time_zone"
# Breakdowns Meta documents that the sandbox does not emulate (asked for, they are refused as not emulated).
OTHER_BREAKDOWNS = frozenset(
    {"age", "gender", "country", "region", "dma", "publisher_platform", "platform_position", "device_platform"}
    | {"impression_device", "hourly_stats_aggregated_by_audience_time_zone", "frequency_value", "product_id"}
)
# Unique counts Meta does not break down by hour.
_NOT_HOURLY_FIELDS = frozenset({"reach", "frequency"})
DATE_PRESETS = frozenset(
    {"today", "yesterday", "this_month", "last_month", "this_year", "last_year", "maximum"}
    | {f"last_{n}d" for n in (3, 7, 14, 28, 30, 90)}
)


@dataclass
class MetaEmulatorOptions:
    """Behaviour a test can switch (through ``app.state.options``) to reach Meta's rarer answers."""

    # A synchronous insights request for more rows than this is answered 500 code 1 "Please reduce the amount of
    # data you're asking for" (Meta's answer to heavy synchronous reports).
    max_sync_insights_rows: int = 50_000
    # Polls of a report run until it is done: "Job Not Started", then "Job Running", then "Job Completed".
    report_run_polls: int = 3
    # The next N report runs end "Job Failed" instead.
    fail_report_runs: int = 0
    # Meta leaves off-Meta actions (website pixel and app events) out of rows broken down by hour. The sandbox keeps
    # them by default, so its hours add up to its days; switched off, hourly rows carry on-Meta actions only.
    hourly_off_meta_actions: bool = True


class GraphError(Exception):
    """An answer in the Graph error envelope; raised anywhere below a request, rendered once."""

    def __init__(
        self,
        message: str,
        *,
        code: int,
        subcode: int | None = None,
        type_: str = "OAuthException",
        status: int = 400,
        is_transient: bool | None = None,
        user_title: str | None = None,
        user_msg: str | None = None,
        blame_fields: Sequence[str] = (),
        regain_minutes: float | None = None,
        usage_type: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.subcode = subcode
        self.type = type_
        self.status = status
        self.is_transient = is_transient
        self.user_title = user_title
        self.user_msg = user_msg
        self.blame_fields = tuple(blame_fields)
        # For throttling answers: the wait announced in X-Business-Use-Case-Usage.
        self.regain_minutes = regain_minutes
        self.usage_type = usage_type

    def body(self, trace_id: str) -> JsonObject:
        error: JsonObject = {"message": self.message, "type": self.type, "code": self.code}
        if self.subcode is not None:
            error["error_subcode"] = self.subcode
        if self.is_transient is not None:
            error["is_transient"] = self.is_transient
        if self.user_title is not None:
            error["error_user_title"] = self.user_title
        if self.user_msg is not None:
            error["error_user_msg"] = self.user_msg
        if self.blame_fields:
            error["error_data"] = {"blame_field_specs": [[name] for name in self.blame_fields]}
        error["fbtrace_id"] = trace_id
        return {"error": error}


def invalid_parameter(message: str, *, field_name: str | None = None, user_msg: str | None = None) -> GraphError:
    return GraphError(
        f"(#100) {message}",
        code=100,
        user_title="Invalid parameter" if user_msg else None,
        user_msg=user_msg,
        blame_fields=(field_name,) if field_name else (),
    )


def unsupported_request(method: str, object_id: str) -> GraphError:
    return GraphError(
        f"Unsupported {method.lower()} request. Object with ID '{object_id}' does not exist, cannot be loaded due to "
        "missing permissions, or does not support this operation. Please read the Graph API documentation at "
        "https://developers.facebook.com/docs/graph-api",
        code=100,
        subcode=33,
        type_="GraphMethodException",
    )


@dataclass
class _Call:
    """One Graph request after parsing: what every handler needs."""

    method: str
    segments: list[str]
    params: dict[str, Any]
    request: Request
    account_id: str | None = None
    usage_type: str = "ads_management"
    login: SandboxLogin | None = None
    # The ad account the request was counted against on arrival, and the quota's answer then (None: admitted).
    arrival_account: str | None = None
    arrival_retry: float | None = None


@dataclass
class _ReportRun:
    id: str
    account_id: str
    login_id: str
    query: _InsightsQuery
    created_at: datetime
    fail: bool
    polls: int = 0
    completed_at: datetime | None = None
    groups: list[_RowGroup] | None = None


@dataclass(frozen=True)
class _RowGroup:
    """One insights row to be: the object (or account), its date bucket and the simulation rows summed into it."""

    key: str
    start: date
    stop: date
    metrics: tuple[SimMetrics, ...]
    hour: int | None = None  # the hourly breakdown's hour, when asked for


@dataclass(frozen=True)
class _InsightsQuery:
    level: EntityLevel | None
    fields: tuple[str, ...]
    since: date
    until: date
    increment: int | str  # days per bucket, "all_days" or "monthly"
    entity_ids: frozenset[str] | None
    hourly: bool = False  # breakdowns=hourly_stats_aggregated_by_advertiser_time_zone
    # ``<campaign|adset|ad>.effective_status`` filters: (the level they read, the statuses they admit).
    status_filters: tuple[tuple[EntityLevel, frozenset[str]], ...] = ()
    scope_id: str | None = None  # the object whose insights edge was asked, when not the account


@dataclass
class _UsageMeter:
    """Calls over the usage windows, in real time like the quota gate: per business use case of an ad account over
    the rolling hour, per ad account over the score's five minutes, and for the whole app over the hour. Each log is
    trimmed as it grows, so every count is the length of a deque (the benchmark sends thousands of calls a minute)."""

    now: Callable[[], float] = time.monotonic
    _use_cases: dict[tuple[str, str], deque[float]] = field(default_factory=lambda: defaultdict(deque))
    _scores: dict[str, deque[float]] = field(default_factory=lambda: defaultdict(deque))
    _app: deque[float] = field(default_factory=deque)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, account_id: str | None, usage_type: str) -> None:
        now = self.now()
        with self._lock:
            self._app.append(now)
            if account_id is not None:
                self._use_cases[(account_id, usage_type)].append(now)
                self._scores[account_id].append(now)

    def app_calls(self) -> int:
        with self._lock:
            _trim(self._app, self.now() - USAGE_HOUR)
            return len(self._app)

    def use_case_calls(self, account_id: str, usage_type: str) -> int:
        """Calls of one business use case of the account in the rolling hour."""
        with self._lock:
            calls = self._use_cases[(account_id, usage_type)]
            _trim(calls, self.now() - USAGE_HOUR)
            return len(calls)

    def score(self, account_id: str) -> tuple[int, float]:
        """The account's calls in the score window, and the seconds until the newest of them leaves it."""
        now = self.now()
        with self._lock:
            calls = self._scores[account_id]
            _trim(calls, now - ACCOUNT_SCORE_WINDOW)
            if not calls:
                return 0, 0.0
            return len(calls), calls[-1] + ACCOUNT_SCORE_WINDOW - now


def _trim(stamps: deque[float], horizon: float) -> None:
    while stamps and stamps[0] <= horizon:
        stamps.popleft()


def currency_offset(currency: str) -> int:
    return 1 if currency in ZERO_DECIMAL_CURRENCIES else 100


def meta_objective(campaign: SimEntity) -> str:
    """The campaign's Meta objective: the one it was created with, else the ODAX objective of its neutral one."""
    declared = campaign.attributes.get("objective")
    return str(declared) if declared else OBJECTIVES.get(campaign.objective, "OUTCOME_TRAFFIC")


def micros_to_minor(micros: int, currency: str) -> str:
    return str(micros * currency_offset(currency) // MICROS)


def major_units(micros: int, currency: str) -> str:
    """Money as insights report it: a decimal string in major units with the currency's decimals, no trailing
    zeros ("14.35", "0.9", "1234")."""
    decimals = 0 if currency in ZERO_DECIMAL_CURRENCIES else 2
    amount = (Decimal(micros) / MICROS).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    text = format(amount, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def encode_cursor(index: int) -> str:
    # Meta's cursors are base64 with "=" spelled "ZD" ("MAZDZD" is the first item).
    return base64.b64encode(str(index).encode()).decode().replace("=", "ZD")


def decode_cursor(cursor: str) -> int:
    for padding in (2, 1, 0):
        suffix = "ZD" * padding
        if not cursor.endswith(suffix):
            continue
        candidate = cursor[: len(cursor) - len(suffix)] + "=" * padding
        if len(candidate) % 4:
            continue
        try:
            return int(base64.b64decode(candidate, validate=True).decode())
        except (binascii.Error, ValueError, UnicodeDecodeError):
            continue
    raise invalid_parameter("Invalid cursor", field_name="after")


def new_trace_id() -> str:
    return secrets.token_urlsafe(8)[:11]


def meta_time(moment: datetime, time_zone: str) -> str:
    """Graph's timestamp format: local time of the ad account with a ``-0700`` style offset."""
    return moment.astimezone(ZoneInfo(time_zone)).strftime("%Y-%m-%dT%H:%M:%S%z")


# The options of each state's emulator, so a test holding only the state (the shared sandbox server) can switch them.
_OPTIONS: dict[int, MetaEmulatorOptions] = {}


def emulator_options(state: SandboxState) -> MetaEmulatorOptions:
    """The options of the Meta emulator serving ``state`` (created with defaults if there is none yet)."""
    options = _OPTIONS.get(id(state))
    if options is None:
        options = _OPTIONS[id(state)] = MetaEmulatorOptions()
        weakref.finalize(state, _OPTIONS.pop, id(state), None)
    return options


def create_meta_emulator(state: SandboxState, *, options: MetaEmulatorOptions | None = None) -> FastAPI:
    """The Meta emulator as an ASGI app; mount it at ``/sandbox/meta`` (paths inside are Graph's own).

    ``options`` (default: the state's, see ``emulator_options``) switch on Meta's rarer answers for tests."""
    if options is not None:
        if id(state) not in _OPTIONS:
            weakref.finalize(state, _OPTIONS.pop, id(state), None)
        _OPTIONS[id(state)] = options
    emulator = MetaEmulator(state, emulator_options(state))
    app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)
    app.state.options = emulator.options
    app.state.emulator = emulator
    app.add_api_route("/{version}/dialog/oauth", emulator.dialog, methods=["GET", "POST"], include_in_schema=False)
    app.add_api_route(
        "/{version}/{path:path}", emulator.graph, methods=["GET", "POST", "DELETE"], include_in_schema=False
    )
    return app


class MetaEmulator:
    """The request handlers and the emulator's own memory (report runs, budget changes, usage)."""

    def __init__(self, state: SandboxState, options: MetaEmulatorOptions) -> None:
        self.state = state
        self.options = options
        self.usage = _UsageMeter()
        self._lock = threading.Lock()
        self._runs: dict[str, _ReportRun] = {}
        self._next_run = 0
        self._budget_changes: dict[str, deque[datetime]] = defaultdict(deque)

    @property
    def world(self) -> SandboxWorld:
        return self.state.world

    @property
    def app_id(self) -> str:
        return self.state.config.app_credentials[Platform.meta][0]

    @property
    def app_secret(self) -> str:
        return self.state.config.app_credentials[Platform.meta][1]

    # ---- login dialog ------------------------------------------------------------------------------------------

    async def dialog(self, request: Request) -> Response:
        """``/{version}/dialog/oauth``: the consent page (GET) and its answer (POST), ending in a redirect."""
        version = request.path_params["version"]
        self.state.request_log.append((Platform.meta, request.method, f"/{version}/dialog/oauth"))
        params = {**dict(request.query_params), **(await _form(request))}
        client_id = str(params.get("client_id", ""))
        redirect_uri = str(params.get("redirect_uri", ""))
        if client_id != self.app_id:
            return _error_page("Invalid App ID: The provided app ID does not look like a valid app ID.")
        if not redirect_uri_allowed(Platform.meta, redirect_uri, self.state.config.redirect_origins):
            return _error_page(
                "URL blocked: This redirect failed because the redirect URI is not whitelisted in the app's Client "
                "OAuth Settings."
            )
        hidden: dict[str, str] = {
            key: str(params[key]) for key in ("client_id", "redirect_uri", "state", "scope") if key in params
        }
        logins = self.world.logins(Platform.meta)
        if request.method == "GET":
            return HTMLResponse(self._consent_page(request, logins, hidden))
        callback: dict[str, str]
        if params.get("decision") == "allow":
            login_id = str(params.get("login_id", ""))
            if not any(login.login_id == login_id for login in logins):
                return HTMLResponse(
                    self._consent_page(request, logins, hidden, error="Choose an account to continue."),
                    status_code=400,
                )
            code = self.state.auth.issue_code(Platform.meta, login_id, redirect_uri=redirect_uri, code_challenge=None)
            callback = {"code": code}
        else:
            callback = {
                "error": "access_denied",
                "error_code": "200",
                "error_description": "Permissions error.",
                "error_reason": "user_denied",
            }
        if "state" in params:
            callback["state"] = str(params["state"])
        separator = "&" if "?" in redirect_uri else "?"
        # Facebook appends "#_=_" to the redirect when the redirect URI has no fragment of its own.
        fragment = "" if "#" in redirect_uri else "#_=_"
        return RedirectResponse(f"{redirect_uri}{separator}{urlencode(callback)}{fragment}", status_code=302)

    def _consent_page(
        self, request: Request, logins: list[SandboxLogin], hidden: dict[str, str], *, error: str | None = None
    ) -> str:
        names = {account.account_id: account.name for account in self.world.accounts(Platform.meta)}
        return render_consent_page(
            platform_title="Facebook",
            app_name=APP_NAME,
            logins=logins,
            form_action=request.url.path,
            hidden=hidden,
            error=error,
            account_names=names,
        )

    # ---- Graph ---------------------------------------------------------------------------------------------------

    async def graph(self, request: Request) -> Response:
        """Every Graph path: parse, check, dispatch, and wrap the answer (or the error) with the usage headers."""
        version = request.path_params["version"]
        path = request.path_params["path"].strip("/")
        self.state.request_log.append((Platform.meta, request.method, f"/{version}/{path}"))
        first = path.split("/", 1)[0]
        self.state.count_operations(Platform.meta, first.removeprefix("act_") if first.startswith("act_") else None)
        trace_id = new_trace_id()
        call = _Call(method=request.method, segments=path.split("/") if path else [], params={}, request=request)
        self._count_arrival(call)
        try:
            call.params = {**dict(request.query_params), **(await _body_params(request))}
            _check_version(version)
            body = await self._serve(call)
            response: Response = JSONResponse(body)
        except GraphError as error:
            response = JSONResponse(error.body(trace_id), status_code=error.status)
            if error.usage_type is not None:
                call.usage_type = error.usage_type
            self._usage_headers(response, call, error.regain_minutes)
        else:
            self._usage_headers(response, call, None)
        response.headers["x-fb-trace-id"] = trace_id
        response.headers["x-fb-rev"] = "1019283746"
        return response

    async def _serve(self, call: _Call) -> Any:
        segments = call.segments
        if segments == ["oauth", "access_token"]:
            await self._suffer_faults(call)
            return self._access_token(call)
        if segments == ["debug_token"]:
            await self._suffer_faults(call)
            return self._debug_token(call)
        token = self._verify(call)
        call.login = self.world.login(Platform.meta, token.login_id)
        if call.login is None:
            raise _token_error("invalid", self.app_id)
        if not segments:
            raise invalid_parameter("Unsupported get request.")
        node, edge, rest = segments[0], segments[1] if len(segments) > 1 else None, segments[2:]
        if rest:
            raise GraphError(f"Unknown path components: /{'/'.join(rest)}", code=2500)
        if node == "me":
            await self._suffer_faults(call)
            return self._me(call, edge)
        return await self._node(call, node, edge)

    def _count_arrival(self, call: _Call) -> None:
        """Count the request against the ad account its path names, first thing: Meta counts the calls that reach
        it, so the moment that decides is when a request came in, not when this emulator got round to it. The
        answer waits for its turn in ``_suffer_faults`` (a bad token still comes before a rate limit)."""
        account_id = self._account_named(call.segments[0]) if call.segments else None
        if account_id is None:
            return
        call.arrival_account = account_id
        call.arrival_retry = self._check_quota(account_id)

    def _account_named(self, node: str) -> str | None:
        if node.startswith("act_"):
            return node.removeprefix("act_") or None
        if node in ("me", "oauth", "debug_token"):
            return None
        with self._lock:
            run = self._runs.get(node)
        if run is not None:
            return run.account_id
        entity = self.world.entity(Platform.meta, node)
        return entity.account_id if entity is not None else None

    def _check_quota(self, account_id: str) -> float | None:
        rate = self.state.config.meta_requests_per_second
        window = max(1.0, 1.0 / rate)
        return self.state.quota.check(f"meta:account:{account_id}", max(1, round(rate * window)), window)

    async def _suffer_faults(self, call: _Call) -> None:
        """The sandbox's injected faults, then the ad account's request rate (only for an account's calls)."""
        self.usage.record(call.account_id, call.usage_type)
        fault: Fault | None = self.state.faults.take(Platform.meta, call.account_id)
        if fault is not None:
            if fault.kind is FaultKind.slow:
                await asyncio.sleep(fault.delay_seconds)
            elif fault.kind is FaultKind.rate_limit:
                # Meta's "User request limit reached"; the fault's delay (if any) is the announced wait.
                minutes = fault.delay_seconds / 60 if fault.delay_seconds > 0 else 1.0
                raise GraphError(
                    "(#17) User request limit reached",
                    code=17,
                    subcode=2446079,
                    is_transient=True,
                    regain_minutes=minutes,
                )
            elif fault.kind is FaultKind.server_error:
                raise GraphError("(#2) Service temporarily unavailable", code=2, status=500, is_transient=True)
            elif fault.kind is FaultKind.expire_token:
                raise _token_error("expired", self.app_id, now=self.state.clock.now())
            elif fault.kind is FaultKind.revoke_token:
                # A revocation sticks, as when the person removes the app in their Facebook settings.
                if call.login is not None:
                    self.state.auth.revoke_login(Platform.meta, call.login.login_id)
                raise _token_error("revoked", self.app_id)
        if call.account_id is None:
            return
        # Counted on arrival (``_count_arrival``); an account the path did not name is counted now.
        counted = call.account_id == call.arrival_account
        retry = call.arrival_retry if counted else self._check_quota(call.account_id)
        if retry is not None:
            if call.usage_type == "ads_insights":
                message = (
                    "(#80000) There have been too many calls from this ad-account. Wait a bit and try again. For more "
                    "info, please refer to https://developers.facebook.com/docs/graph-api/overview/rate-limiting."
                )
                code = 80000
            else:
                message = (
                    "(#80004) There have been too many calls to this ad-account. Wait a bit and try again. For more "
                    "info, please refer to https://developers.facebook.com/docs/graph-api/overview/"
                    "rate-limiting#ads-management."
                )
                code = 80004
            # Fractional minutes: the per-second gate frees up well within Meta's one-minute granularity.
            raise GraphError(message, code=code, subcode=2446079, regain_minutes=round(retry / 60, 5))

    def _verify(self, call: _Call) -> TokenInfo:
        header = call.request.headers.get("authorization", "")
        token = header[7:].strip() if header[:7].lower() == "bearer " else call.params.get("access_token")
        if not token:
            raise GraphError("An access token is required to request this resource.", code=104)
        try:
            return self.state.auth.verify(Platform.meta, str(token), "access")
        except SandboxAuthError as exc:
            raise _token_error(exc.reason, self.app_id, now=self.state.clock.now()) from None

    def _owned_account(self, call: _Call, account_id: str) -> SimAccount:
        account = self.world.account(Platform.meta, account_id)
        if account is None or call.login is None or account_id not in call.login.account_ids:
            raise unsupported_request(call.method, f"act_{account_id}")
        call.account_id = account_id
        assert isinstance(account, SimAccount)  # noqa: S101 (narrowing the engine's return type)
        return account

    # ---- tokens ------------------------------------------------------------------------------------------------

    def _access_token(self, call: _Call) -> JsonObject:
        params = call.params
        if not params.get("client_id"):
            raise invalid_parameter("Missing client_id parameter.")
        if params.get("client_id") != self.app_id:
            raise GraphError("Error validating application. Invalid application ID.", code=101)
        if params.get("client_secret") != self.app_secret:
            raise GraphError("Error validating client secret.", code=1)
        if params.get("grant_type") == "fb_exchange_token":
            return self._long_lived(str(params.get("fb_exchange_token") or ""))
        code = params.get("code")
        if not code:
            raise invalid_parameter("Missing code parameter.")
        redirect_uri = params.get("redirect_uri")
        if not redirect_uri:
            raise invalid_parameter("Missing redirect_uri parameter.")
        try:
            login_id = self.state.auth.redeem_code(
                Platform.meta, str(code), redirect_uri=str(redirect_uri), code_verifier=None
            )
        except SandboxAuthError as exc:
            raise GraphError(_CODE_ERRORS.get(exc.reason, "Invalid verification code format."), code=100) from None
        ttl = self.state.config.meta_short_token_ttl
        token, _ = self.state.auth.issue_token(Platform.meta, login_id, "access", ttl)
        return {"access_token": token, "token_type": "bearer", "expires_in": ttl}

    def _long_lived(self, token: str) -> JsonObject:
        if not token:
            raise invalid_parameter("Missing fb_exchange_token parameter.")
        try:
            info = self.state.auth.verify(Platform.meta, token, "access")
        except SandboxAuthError as exc:
            # An expired token cannot be exchanged: only a new login helps (code 190, subcode 463).
            raise _token_error(exc.reason, self.app_id, now=self.state.clock.now()) from None
        ttl = self.state.config.meta_long_token_ttl
        long_lived, _ = self.state.auth.issue_token(Platform.meta, info.login_id, "long_lived", ttl)
        return {"access_token": long_lived, "token_type": "bearer", "expires_in": ttl}

    def _debug_token(self, call: _Call) -> JsonObject:
        caller = str(call.params.get("access_token") or "")
        header = call.request.headers.get("authorization", "")
        if header[:7].lower() == "bearer ":
            caller = header[7:].strip()
        if caller != f"{self.app_id}|{self.app_secret}":
            try:
                self.state.auth.verify(Platform.meta, caller, "access")
            except SandboxAuthError as exc:
                raise _token_error(exc.reason, self.app_id, now=self.state.clock.now()) from None
        input_token = str(call.params.get("input_token") or "")
        if not input_token:
            raise invalid_parameter("The parameter input_token is required")
        data: JsonObject = {"app_id": self.app_id, "type": "USER", "application": APP_NAME}
        try:
            info = self.state.auth.verify(Platform.meta, input_token, "access")
        except SandboxAuthError as exc:
            error = _token_error(exc.reason, self.app_id, now=self.state.clock.now())
            login = self.state.auth.login_of(Platform.meta, input_token)
            data.update(
                {
                    "error": {"code": error.code, "message": error.message, "subcode": error.subcode},
                    "is_valid": False,
                    "scopes": [],
                }
            )
            if login is not None:
                data["user_id"] = login
            return {"data": data}
        expires = int(info.expires_at.timestamp()) if info.expires_at is not None else 0
        issued = int(info.issued_at.timestamp()) if info.issued_at is not None else None
        data.update(
            {
                "data_access_expires_at": int((self.state.clock.now() + timedelta(days=90)).timestamp()),
                "expires_at": expires,
                "is_valid": True,
                "scopes": list(GRANTED_PERMISSIONS),
                "user_id": info.login_id,
            }
        )
        if issued is not None:
            data["issued_at"] = issued
        return {"data": data}

    # ---- /me ---------------------------------------------------------------------------------------------------

    def _me(self, call: _Call, edge: str | None) -> Any:
        login = call.login
        assert login is not None  # noqa: S101 (set by _serve before any handler)
        permissions = {"data": [{"permission": p, "status": "granted"} for p in GRANTED_PERMISSIONS]}
        if edge is None:
            if call.method != "GET":
                raise unsupported_request(call.method, login.login_id)
            values = {"id": login.login_id, "name": login.display_name, "email": login.email}
            fields = _fields(call.params, {"id", "name", "email", "permissions"}, ("id", "name"), "User")
            return _with_id({**values, "permissions": permissions}, fields)
        if edge == "permissions":
            if call.method == "DELETE":
                self.state.auth.revoke_login(Platform.meta, login.login_id)
                return {"success": True}
            if call.method == "GET":
                return permissions
        if edge == "adaccounts" and call.method == "GET":
            fields = _fields(call.params, ACCOUNT_FIELDS, ("account_id", "id"), "AdAccount")
            accounts = [self.world.account(Platform.meta, account_id) for account_id in login.account_ids]
            items = [_account_json(account, fields) for account in accounts if isinstance(account, SimAccount)]
            return _page(call, items, _as_is)
        raise GraphError(f"(#100) Tried accessing nonexisting field ({edge}) on node type (User)", code=100)

    # ---- nodes -------------------------------------------------------------------------------------------------

    async def _node(self, call: _Call, node: str, edge: str | None) -> Any:
        if node.startswith("act_"):
            account = self._owned_account(call, node.removeprefix("act_"))
            if edge == "insights":
                call.usage_type = "ads_insights"
            await self._suffer_faults(call)
            if edge == "insights":
                # Insights are simulated from the world: tenths of a second of CPU, off the event loop, which
                # meanwhile keeps taking (and counting) requests. So are report runs' polls and pages below.
                return await asyncio.to_thread(self._account_node, call, account, edge)
            return self._account_node(call, account, edge)
        with self._lock:
            run = self._runs.get(node)
        if run is not None:
            if call.login is None or run.login_id != call.login.login_id:
                raise unsupported_request(call.method, node)
            call.account_id = run.account_id
            call.usage_type = "ads_insights"
            await self._suffer_faults(call)
            return await asyncio.to_thread(self._report_run, call, run, edge)
        entity = self.world.entity(Platform.meta, node)
        if not isinstance(entity, SimEntity):
            raise unsupported_request(call.method, node)
        account = self._owned_account(call, entity.account_id)
        if edge == "insights":
            call.usage_type = "ads_insights"
        await self._suffer_faults(call)
        if edge == "insights":
            if call.method != "GET":
                raise unsupported_request(call.method, node)
            return await asyncio.to_thread(self._sync_insights, call, account, scope=entity)
        if edge is not None:
            raise GraphError(
                f"(#100) Tried accessing nonexisting field ({edge}) on node type ({NODE_TYPES[entity.level]})",
                code=100,
            )
        if call.method == "GET":
            fields = _fields(call.params, ENTITY_FIELDS[entity.level], ("id",), NODE_TYPES[entity.level])
            return self._entity_json(entity, account, fields, self._account_index(account.account_id))
        if call.method == "DELETE":
            self._update_entity(entity, account, {"status": "DELETED"})
            return {"success": True}
        self._update_entity(entity, account, call.params)
        return {"success": True}

    def _account_node(self, call: _Call, account: SimAccount, edge: str | None) -> Any:
        if edge is None:
            if call.method != "GET":
                raise unsupported_request(call.method, f"act_{account.account_id}")
            return _account_json(account, _fields(call.params, ACCOUNT_FIELDS, ("id",), "AdAccount"))
        if edge in EDGE_LEVELS:
            level = EDGE_LEVELS[edge]
            if call.method == "POST":
                return self._create(call, account, level)
            if call.method != "GET":
                raise unsupported_request(call.method, f"act_{account.account_id}")
            return self._list_entities(call, account, level)
        if edge == "insights":
            if call.method == "POST":
                return self._start_report_run(call, account)
            if call.method == "GET":
                return self._sync_insights(call, account, scope=None)
            raise unsupported_request(call.method, f"act_{account.account_id}")
        raise GraphError(f"(#100) Tried accessing nonexisting field ({edge}) on node type (AdAccount)", code=100)

    # ---- entities ----------------------------------------------------------------------------------------------

    def _list_entities(self, call: _Call, account: SimAccount, level: EntityLevel) -> JsonObject:
        fields = _fields(call.params, ENTITY_FIELDS[level], ("id",), NODE_TYPES[level])
        wanted = _effective_status_filter(call.params)
        rules = _object_filtering(call.params.get("filtering"), level)
        index = self._account_index(account.account_id)
        now = self.state.clock.now()

        def updated(entity: SimEntity) -> datetime:
            return self._updated_at(entity, index, now)

        listed = [
            entity
            for entity in index.values()
            if entity.level is level
            and (status := _effective_status(entity, index)) in wanted
            and all(rule.admits(entity, index, status, updated) for rule in rules)
        ]
        return _page(call, listed, lambda entity: self._entity_json(entity, account, fields, index))

    def _updated_at(self, entity: SimEntity, index: Mapping[str, SimEntity], now: datetime) -> datetime:
        """The object's ``updated_time``: its last change in effect at ``now``. A history may hold changes planned
        for later (the demo's, or a test's): those do not show before their moment. Deleting a campaign or ad set
        deletes what is under it, so that is a change of those objects too."""
        moments = [entity.created_at]
        if entity.updated_at <= now:
            moments.append(entity.updated_at)
        moments += [moment for moment, _ in self.world.status_history(Platform.meta, entity.id) if moment <= now]
        moments += [moment for moment, _, _ in self.world.budget_history(Platform.meta, entity.id) if moment <= now]
        for level, owner in _chain(entity, index).items():
            if level is not entity.level and owner.status is EntityStatus.removed:
                history = self.world.status_history(Platform.meta, owner.id)
                moments += [moment for moment, status in history if status is EntityStatus.removed and moment <= now]
        return max(moments)

    def _account_index(self, account_id: str) -> dict[str, SimEntity]:
        """Every object of the account by id (creation order kept): one read of the world per request."""
        return {
            entity.id: entity
            for level in EntityLevel
            for entity in self.world.entities(Platform.meta, account_id, level, include_removed=True)
        }

    def _entity_json(
        self, entity: SimEntity, account: SimAccount, fields: Sequence[str], index: Mapping[str, SimEntity]
    ) -> JsonObject:
        status = _meta_status(entity)
        campaign = index.get(entity.campaign_id)
        objective = campaign.objective if campaign is not None else entity.objective
        attrs = entity.attributes
        values: JsonObject = {
            "id": entity.id,
            "account_id": account.account_id,
            "name": entity.name,
            "status": status,
            "configured_status": status,
            "effective_status": _effective_status(entity, index),
            "created_time": meta_time(entity.created_at, account.time_zone),
            "updated_time": meta_time(self._updated_at(entity, index, self.state.clock.now()), account.time_zone),
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
                values["bid_amount"] = attrs["bid_amount"]
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
        return _with_id(values, fields)

    def _update_entity(self, entity: SimEntity, account: SimAccount, params: Mapping[str, Any]) -> None:
        if entity.status is EntityStatus.removed:
            raise invalid_parameter(
                "Cannot update a deleted object",
                user_msg="This object has been deleted and can no longer be edited.",
            )
        known = {"access_token", "status", "name", "daily_budget", "lifetime_budget"}
        unknown = sorted(set(params) - known)
        if unknown:
            raise invalid_parameter(f"Param {unknown[0]} is not valid", field_name=unknown[0])
        changes: JsonObject = {}
        attributes: JsonObject | None = None
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
                attributes = {**entity.attributes, "meta_status": word}
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
                    user_msg=f"This {NODE_TYPES[entity.level].lower()} has no {budget_field.replace('_', ' ')} "
                    "of its own.",
                )
            micros = _budget_micros(params[budget_field], account.currency, budget_field)
            if entity.level is EntityLevel.ad_group and micros != current:
                self._count_budget_change(entity)
            changes[f"{budget_field}_micros"] = micros
        if attributes is not None:
            changes["attributes"] = attributes
        if changes:
            try:
                self.world.update_entity(Platform.meta, entity.id, **changes)
            except SandboxWorldError as exc:
                raise invalid_parameter(str(exc)) from None

    def _count_budget_change(self, entity: SimEntity) -> None:
        """Meta lets an ad set's budget change at most four times an hour (code 17 after that)."""
        now = self.state.clock.now()
        with self._lock:
            changes = self._budget_changes[entity.id]
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

    def _create(self, call: _Call, account: SimAccount, level: EntityLevel) -> JsonObject:
        params = call.params
        name = str(params.get("name") or "").strip()
        if not name:
            raise invalid_parameter("The parameter name is required", field_name="name")
        status_word = str(params.get("status") or "ACTIVE")
        if status_word not in ("ACTIVE", "PAUSED"):
            raise invalid_parameter("Param status must be one of {ACTIVE, PAUSED}", field_name="status")
        status = EntityStatus.active if status_word == "ACTIVE" else EntityStatus.paused
        daily = (
            _budget_micros(params["daily_budget"], account.currency, "daily_budget")
            if "daily_budget" in params
            else None
        )
        lifetime = (
            _budget_micros(params["lifetime_budget"], account.currency, "lifetime_budget")
            if "lifetime_budget" in params
            else None
        )
        if daily is not None and lifetime is not None:
            raise invalid_parameter(
                "Only one of daily_budget and lifetime_budget can be set", field_name="lifetime_budget"
            )
        try:
            if level is EntityLevel.campaign:
                entity = self._create_campaign(call, account, name, status, daily, lifetime)
            elif level is EntityLevel.ad_group:
                entity = self._create_ad_set(call, account, name, status, daily, lifetime)
            else:
                entity = self._create_ad(call, account, name, status)
        except SandboxWorldError as exc:
            raise invalid_parameter(str(exc)) from None
        return {"id": entity.id}

    def _create_campaign(
        self, call: _Call, account: SimAccount, name: str, status: EntityStatus, daily: int | None, lifetime: int | None
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
        categories = _json_param(params["special_ad_categories"], "special_ad_categories")
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
        entity: SimEntity = self.world.create_entity(
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
        self, call: _Call, account: SimAccount, name: str, status: EntityStatus, daily: int | None, lifetime: int | None
    ) -> SimEntity:
        params = call.params
        campaign = self._own_entity(account, EntityLevel.campaign, params.get("campaign_id"), "campaign_id")
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
        targeting = _json_param(params["targeting"], "targeting")
        if not isinstance(targeting, dict) or not isinstance(targeting.get("geo_locations"), dict):
            raise invalid_parameter(
                "Param targeting must include geo_locations",
                field_name="targeting",
                user_msg="Choose where the ads are shown (targeting.geo_locations).",
            )
        attributes: JsonObject = {"optimization_goal": goal, "billing_event": billing_event, "targeting": targeting}
        for optional in ("bid_strategy", "bid_amount", "end_time"):
            if params.get(optional):
                attributes[optional] = str(params[optional])
        entity: SimEntity = self.world.create_entity(
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

    def _create_ad(self, call: _Call, account: SimAccount, name: str, status: EntityStatus) -> SimEntity:
        params = call.params
        ad_set = self._own_entity(account, EntityLevel.ad_group, params.get("adset_id"), "adset_id")
        if "creative" not in params:
            raise invalid_parameter("The parameter creative is required", field_name="creative")
        creative = _json_param(params["creative"], "creative")
        if not isinstance(creative, dict) or not str(creative.get("creative_id") or "").isdigit():
            raise invalid_parameter('Param creative must be {"creative_id": "<id>"}', field_name="creative")
        live_ads = [
            ad
            for ad in self.world.entities(Platform.meta, account.account_id, EntityLevel.ad)
            if ad.parent_id == ad_set.id
        ]
        if len(live_ads) >= 50:
            raise invalid_parameter(
                "Ad set has reached the limit of 50 non-archived ads",
                user_msg="An ad set can hold at most 50 ads that are not archived.",
            )
        entity: SimEntity = self.world.create_entity(
            Platform.meta,
            account.account_id,
            EntityLevel.ad,
            name=name,
            parent_id=ad_set.id,
            status=status,
            objective=ad_set.objective,
            attributes={"creative_id": str(creative["creative_id"])},
        )
        return entity

    def _own_entity(self, account: SimAccount, level: EntityLevel, entity_id: Any, field_name: str) -> SimEntity:
        if not entity_id:
            raise invalid_parameter(f"The parameter {field_name} is required", field_name=field_name)
        entity = self.world.entity(Platform.meta, str(entity_id))
        if (
            not isinstance(entity, SimEntity)
            or entity.level is not level
            or entity.account_id != account.account_id
            or entity.status is EntityStatus.removed
        ):
            raise invalid_parameter(f"Param {field_name} is not a valid {NODE_TYPES[level]} id", field_name=field_name)
        return entity

    # ---- insights ----------------------------------------------------------------------------------------------

    def _sync_insights(self, call: _Call, account: SimAccount, *, scope: SimEntity | None) -> JsonObject:
        query = self._insights_query(call.params, account, scope)
        estimate = len(self._insights_entities(account, query)) * _bucket_count(query) * (24 if query.hourly else 1)
        if estimate > self.options.max_sync_insights_rows:
            raise GraphError(
                "Please reduce the amount of data you're asking for, then retry your request",
                code=1,
                status=500,
                usage_type="ads_insights",
            )
        return self._insights_page(call, account, query, self._insights_groups(account, query))

    def _start_report_run(self, call: _Call, account: SimAccount) -> JsonObject:
        query = self._insights_query(call.params, account, None)
        assert call.login is not None  # noqa: S101 (set by _serve)
        with self._lock:
            self._next_run += 1
            run_id = str(6_023_920_149_050_000 + self._next_run * 7919)
            fail = self.options.fail_report_runs > 0
            if fail:
                self.options.fail_report_runs -= 1
            self._runs[run_id] = _ReportRun(
                id=run_id,
                account_id=account.account_id,
                login_id=call.login.login_id,
                query=query,
                created_at=self.state.clock.now(),
                fail=fail,
            )
        return {"report_run_id": run_id}

    def _report_run(self, call: _Call, run: _ReportRun, edge: str | None) -> Any:
        account = self.world.account(Platform.meta, run.account_id)
        assert isinstance(account, SimAccount)  # noqa: S101 (runs are only created for existing accounts)
        if edge == "insights":
            if call.method != "GET":
                raise unsupported_request(call.method, run.id)
            if run.groups is None:
                raise invalid_parameter(
                    "The report is not ready yet: poll the report run until async_status is Job Completed"
                )
            return self._insights_page(call, account, run.query, run.groups)
        if edge is not None:
            raise GraphError(f"(#100) Tried accessing nonexisting field ({edge}) on node type (AdReportRun)", code=100)
        if call.method != "GET":
            raise unsupported_request(call.method, run.id)
        with self._lock:
            run.polls += 1
            polls = run.polls
        done = polls >= max(1, self.options.report_run_polls)
        if run.fail and polls >= 2:
            status, percent = "Job Failed", 50
        elif done:
            if run.groups is None:
                # The numbers as of completion: later polls and pages read this snapshot, like Meta's stored report.
                # Two polls at once (each in a worker thread) may both compute it; the first one stored is kept.
                groups = self._insights_groups(account, run.query)
                with self._lock:
                    if run.groups is None:
                        run.groups = groups
                        run.completed_at = self.state.clock.now()
            status, percent = "Job Completed", 100
        elif polls == 1:
            status, percent = "Job Not Started", 0
        else:
            status, percent = "Job Running", min(99, 100 * polls // max(1, self.options.report_run_polls))
        body: JsonObject = {
            "id": run.id,
            "account_id": run.account_id,
            "time_ref": int(run.created_at.timestamp()),
            "async_status": status,
            "async_percent_completion": percent,
            "date_start": run.query.since.isoformat(),
            "date_stop": run.query.until.isoformat(),
        }
        if run.completed_at is not None:
            body["time_completed"] = int(run.completed_at.timestamp())
        return body

    def _insights_query(
        self, params: Mapping[str, Any], account: SimAccount, scope: SimEntity | None
    ) -> _InsightsQuery:
        scope_level = scope.level if scope is not None else None
        level_word = params.get("level")
        if level_word is None:
            level = scope_level
        elif level_word in INSIGHTS_LEVELS:
            level = INSIGHTS_LEVELS[str(level_word)]
        else:
            raise invalid_parameter("Param level must be one of {ad, adset, campaign, account}", field_name="level")
        if _LEVEL_DEPTH[level] < _LEVEL_DEPTH[scope_level]:
            raise invalid_parameter("Param level cannot be above the level of the object", field_name="level")
        hourly = _hourly_breakdown(params.get("breakdowns"))
        raw_fields = str(params.get("fields") or "")
        fields = tuple(name.strip() for name in raw_fields.split(",") if name.strip()) or DEFAULT_INSIGHTS_FIELDS
        for name in fields:
            if name not in INSIGHTS_FIELDS:
                raise invalid_parameter(
                    f"{name} is not valid for fields param. please check "
                    "https://developers.facebook.com/docs/marketing-api/reference/ads-insights/ for all valid values",
                    field_name="fields",
                )
        since, until = self._date_range(params, account)
        increment_word = str(params.get("time_increment") or "all_days")
        increment: int | str
        if increment_word in ("all_days", "monthly"):
            increment = increment_word
        elif increment_word.isdigit() and 1 <= int(increment_word) <= 90:
            increment = int(increment_word)
        else:
            raise invalid_parameter(
                "Param time_increment must be 1-90, monthly or all_days", field_name="time_increment"
            )
        entity_ids = self._scope_ids(account, level, scope)
        filtered, status_filters = _filtering(params.get("filtering"))
        if filtered is not None:
            entity_ids = filtered if entity_ids is None else entity_ids & filtered
        for status_level, _ in status_filters:
            if _LEVEL_DEPTH[status_level] > _LEVEL_DEPTH[level or EntityLevel.campaign]:
                at = _PREFIXES[level] if level is not None else "account"
                raise invalid_parameter(
                    f"Filtering field {_PREFIXES[status_level]}.effective_status is invalid at level {at}",
                    field_name="filtering",
                )
        return _InsightsQuery(
            level,
            fields,
            since,
            until,
            increment,
            entity_ids,
            hourly,
            status_filters,
            scope.id if scope is not None else None,
        )

    def _date_range(self, params: Mapping[str, Any], account: SimAccount) -> tuple[date, date]:
        today = self.state.clock.today(account.time_zone)
        if params.get("time_range"):
            value = _json_param(params["time_range"], "time_range")
            try:
                since = date.fromisoformat(str(value["since"]))
                until = date.fromisoformat(str(value["until"]))
            except (KeyError, TypeError, ValueError):
                raise invalid_parameter(
                    "Param time_range must be a valid time range", field_name="time_range"
                ) from None
            if since > until:
                raise invalid_parameter("Param time_range must be a valid time range", field_name="time_range")
            if since < today - timedelta(days=37 * 31):
                raise invalid_parameter(
                    "Reporting data is only available for the last 37 months", field_name="time_range"
                )
            return since, until
        preset = str(params.get("date_preset") or "last_30d")
        if preset not in DATE_PRESETS:
            raise invalid_parameter(
                f"Param date_preset must be one of {sorted(DATE_PRESETS)}", field_name="date_preset"
            )
        if preset == "today":
            return today, today
        if preset == "yesterday":
            return today - timedelta(days=1), today - timedelta(days=1)
        if preset.startswith("last_") and preset.endswith("d"):
            days = int(preset[5:-1])
            return today - timedelta(days=days), today - timedelta(days=1)
        if preset == "this_month":
            return today.replace(day=1), today
        if preset == "last_month":
            end = today.replace(day=1) - timedelta(days=1)
            return end.replace(day=1), end
        if preset == "this_year":
            return today.replace(month=1, day=1), today
        if preset == "last_year":
            return date(today.year - 1, 1, 1), date(today.year - 1, 12, 31)
        return today - timedelta(days=37 * 30), today  # maximum

    def _scope_ids(
        self, account: SimAccount, level: EntityLevel | None, scope: SimEntity | None
    ) -> frozenset[str] | None:
        """The entities at ``level`` below ``scope`` (``None``: the whole account)."""
        if scope is None:
            return None
        if level is None or level is scope.level:
            return frozenset({scope.id})
        members = self.world.entities(Platform.meta, account.account_id, level, include_removed=True)
        if scope.level is EntityLevel.campaign:
            return frozenset(entity.id for entity in members if entity.campaign_id == scope.id)
        return frozenset(entity.id for entity in members if entity.parent_id == scope.id)

    def _insights_entities(self, account: SimAccount, query: _InsightsQuery) -> list[SimEntity]:
        """The objects the report covers. Like Meta, an ad account's report leaves deleted (and archived) objects
        out unless an ``effective_status`` filter admits them; an object's own insights edge always answers."""
        level = query.level or EntityLevel.campaign
        index = self._account_index(account.account_id)
        entities = [e for e in index.values() if e.level is level]
        chosen: list[SimEntity] = []
        for entity in entities:
            if query.entity_ids is not None and entity.id not in query.entity_ids:
                continue
            chain = _chain(entity, index)
            admitted = all(
                (owner := chain.get(status_level)) is not None and _effective_status(owner, index) in statuses
                for status_level, statuses in query.status_filters
            )
            gone = _effective_status(entity, index) in ("DELETED", "ARCHIVED")
            if not query.status_filters and gone and query.level is not None and entity.id != query.scope_id:
                admitted = False
            if admitted:
                chosen.append(entity)
        return chosen

    def _insights_groups(self, account: SimAccount, query: _InsightsQuery) -> list[_RowGroup]:
        """The report's rows before rendering, in Meta's order (by date, then object): paging renders one page only,
        so a long report is not turned into JSON again for every page asked for."""
        level = query.level or EntityLevel.campaign
        entity_ids: list[str] | None = None
        if query.entity_ids is not None or query.status_filters or query.level is not None:
            entity_ids = [entity.id for entity in self._insights_entities(account, query)]
            if not entity_ids:
                return []
        metrics: list[SimMetrics]
        if query.hourly:
            # Hour by hour of each day; today's hours stop at the current hour of the account's time zone.
            metrics = []
            today = self.state.clock.today(account.time_zone)
            day = query.since
            while day <= min(query.until, today):
                metrics += self.world.hourly_metrics(
                    Platform.meta, account.account_id, level, day, entity_ids=entity_ids
                )
                day += timedelta(days=1)
        else:
            metrics = self.world.daily_metrics(
                Platform.meta, account.account_id, level, query.since, query.until, entity_ids=entity_ids
            )
        # Group per (row key, bucket, hour); the account level folds every campaign into one row per bucket.
        grouped: dict[tuple[str, date, date, int], list[SimMetrics]] = defaultdict(list)
        for row in metrics:
            start, stop = _bucket(row.day, query)
            key = account.account_id if query.level is None else row.entity_id
            grouped[(key, start, stop, row.hour if row.hour is not None else -1)].append(row)
        return [
            _RowGroup(key, start, stop, tuple(group), hour if hour >= 0 else None)
            for (key, start, stop, hour), group in sorted(
                grouped.items(), key=lambda item: (item[0][1], item[0][3], item[0][0])
            )
        ]

    def _insights_page(
        self, call: _Call, account: SimAccount, query: _InsightsQuery, groups: Sequence[_RowGroup]
    ) -> JsonObject:
        # One read of the account's objects per page instead of three lookups per row.
        index = {
            entity.id: entity
            for level in EntityLevel
            for entity in self.world.entities(Platform.meta, account.account_id, level, include_removed=True)
        }
        return _page(call, groups, lambda group: self._insights_row(account, query, group, index))

    def _insights_row(
        self, account: SimAccount, query: _InsightsQuery, group: _RowGroup, index: Mapping[str, SimEntity]
    ) -> JsonObject:
        wanted = set(query.fields)
        metrics = group.metrics
        impressions = sum(m.impressions for m in metrics)
        # ``clicks`` is Meta's "Clicks (all)": link clicks plus likes, comments, profile and "see more" clicks;
        # ``inline_link_clicks`` the link clicks alone. ``ctr`` and ``cpc`` are Meta's "(all)" ratios.
        clicks = sum(m.all_clicks for m in metrics)
        link_clicks = sum(m.clicks for m in metrics)
        spend = sum(m.spend_micros for m in metrics)
        reach = sum(m.reach for m in metrics)
        currency = account.currency
        entity = index.get(group.key) if query.level is not None else None
        chain = _chain(entity, index) if entity is not None else {}
        campaign = chain.get(EntityLevel.campaign)
        values: JsonObject = {
            "account_id": account.account_id,
            "account_name": account.name,
            "account_currency": currency,
            "impressions": str(impressions),
            "clicks": str(clicks),
            "spend": major_units(spend, currency),
            "reach": str(reach),
            "inline_link_clicks": str(link_clicks),
            "date_start": group.start.isoformat(),
            "date_stop": group.stop.isoformat(),
        }
        ratios: dict[str, Callable[[], str]] = {
            "frequency": lambda: _ratio(impressions, reach, 1),
            "ctr": lambda: _ratio(clicks * 100, impressions, 1),
            "cpc": lambda: _money_ratio(spend, clicks, 1),
            "inline_link_click_ctr": lambda: _ratio(link_clicks * 100, impressions, 1),
            "cost_per_inline_link_click": lambda: _money_ratio(spend, link_clicks, 1),
            "cpm": lambda: _money_ratio(spend * 1000, impressions, 1),
        }
        values.update({name: ratio() for name, ratio in ratios.items() if name in wanted})
        for level, prefix in (
            (EntityLevel.campaign, "campaign"),
            (EntityLevel.ad_group, "adset"),
            (EntityLevel.ad, "ad"),
        ):
            member = chain.get(level)
            if member is not None:
                values[f"{prefix}_id"] = member.id
                values[f"{prefix}_name"] = member.name
        if campaign is not None:
            values["objective"] = meta_objective(campaign)
        ad_set = chain.get(EntityLevel.ad_group)
        if ad_set is not None:
            values["optimization_goal"] = ad_set.attributes.get(
                "optimization_goal", OPTIMIZATION_GOALS.get(ad_set.objective, "REACH")
            )
        if wanted & {"actions", "action_values"}:
            self._add_actions(values, metrics, campaign, index, currency)
            if group.hour is not None and not self.options.hourly_off_meta_actions:
                for name in ("actions", "action_values"):
                    kept = [a for a in values.get(name, []) if a["action_type"] in ON_META_ACTION_TYPES]
                    values.pop(name, None)
                    if kept:
                        values[name] = kept
        columns: tuple[str, ...] = (*query.fields, "date_start", "date_stop")
        if group.hour is not None:
            # Breakdown values come with every row; unique counts (reach) are not broken down by hour.
            values[HOURLY_BREAKDOWN] = f"{group.hour:02d}:00:00 - {group.hour:02d}:59:59"
            columns = (*(c for c in columns if c not in _NOT_HOURLY_FIELDS), HOURLY_BREAKDOWN)
        return {name: values[name] for name in columns if name in values}

    @staticmethod
    def _add_actions(
        values: JsonObject,
        metrics: Sequence[SimMetrics],
        campaign: SimEntity | None,
        index: Mapping[str, SimEntity],
        currency: str,
    ) -> None:
        # Actions follow the campaign's objective; an account-level row may mix objectives, so per source row.
        counts: dict[str, int] = defaultdict(int)
        money: dict[str, int] = defaultdict(int)
        for row in metrics:
            objective = campaign.objective if campaign is not None else _objective_of(row.entity_id, index)
            for action_type, count, value in _actions(row, objective):
                counts[action_type] += count
                money[action_type] += value
        actions = [{"action_type": t, "value": str(counts[t])} for t in sorted(counts) if counts[t] > 0]
        action_values = [
            {"action_type": t, "value": major_units(money[t], currency)} for t in sorted(money) if money[t] > 0
        ]
        if actions:
            values["actions"] = actions
        if action_values:
            values["action_values"] = action_values

    # ---- usage headers -----------------------------------------------------------------------------------------

    def _usage_headers(self, response: Response, call: _Call, regain_minutes: float | None) -> None:
        """X-App-Usage always; for an ad account's calls X-Ad-Account-Usage and X-Business-Use-Case-Usage (and the
        insights throttle header for insights). Percentages are shares of quotas twice the per-second gate."""
        rate = max(self.state.config.meta_requests_per_second, 1e-6)
        accounts = max(1, len(self.world.accounts(Platform.meta)))
        app_pct = _pct(self.usage.app_calls(), 2 * rate * USAGE_HOUR * accounts)
        response.headers["x-app-usage"] = _compact(
            {
                "call_count": math.ceil(app_pct),
                "total_time": math.ceil(app_pct / 2),
                "total_cputime": math.ceil(app_pct / 4),
            }
        )
        if call.account_id is None:
            return
        score_calls, score_reset = self.usage.score(call.account_id)
        account_pct = _pct(score_calls, 2 * rate * ACCOUNT_SCORE_WINDOW)
        response.headers["x-ad-account-usage"] = _compact(
            {
                "acc_id_util_pct": round(account_pct, 2),
                "reset_time_duration": math.ceil(score_reset) if score_calls else 0,
                "ads_api_access_tier": ACCESS_TIER,
            }
        )
        type_calls = self.usage.use_case_calls(call.account_id, call.usage_type)
        type_pct = math.ceil(_pct(type_calls, 2 * rate * USAGE_HOUR))
        entry = {
            "type": call.usage_type,
            "call_count": type_pct if regain_minutes is None else max(type_pct, 100),
            "total_cputime": math.ceil(type_pct / 4),
            "total_time": math.ceil(type_pct / 2),
            "estimated_time_to_regain_access": regain_minutes or 0,
            "ads_api_access_tier": ACCESS_TIER,
        }
        response.headers["x-business-use-case-usage"] = _compact({call.account_id: [entry]})
        if call.usage_type == "ads_insights":
            response.headers["x-fb-ads-insights-throttle"] = _compact(
                {
                    "app_id_util_pct": round(app_pct, 2),
                    "acc_id_util_pct": round(account_pct, 2),
                    "ads_api_access_tier": ACCESS_TIER,
                }
            )


_CODE_ERRORS: Mapping[str, str] = {
    "used": "This authorization code has been used.",
    "expired": "This authorization code has expired.",
    "redirect_mismatch": (
        "Error validating verification code. Please make sure your redirect_uri is identical to the one you used in "
        "the OAuth dialog request"
    ),
    "invalid": "Invalid verification code format.",
}


def _token_error(reason: str, app_id: str, *, now: datetime | None = None) -> GraphError:
    """Meta's answer to a bad user token: code 190 with the subcode of what went wrong (104 when there is none)."""
    if reason == "missing":
        return GraphError("An access token is required to request this resource.", code=104)
    if reason == "expired":
        moment = (now or datetime.now(UTC)).astimezone(ZoneInfo("America/Los_Angeles"))
        stamp = moment.strftime("%A, %d-%b-%y %H:%M:%S %Z")
        return GraphError(
            f"Error validating access token: Session has expired on {stamp}. The current time is {stamp}.",
            code=190,
            subcode=463,
        )
    if reason == "revoked":
        return GraphError(
            f"Error validating access token: The user has not authorized application {app_id}.",
            code=190,
            subcode=458,
        )
    return GraphError("Invalid OAuth access token - Cannot parse access token", code=190)


def _check_version(version: str) -> None:
    digits = version.removeprefix("v").split(".")
    if not version.startswith("v") or len(digits) != 2 or not all(part.isdigit() for part in digits):
        raise GraphError(f"Unknown path components: /{version}", code=2500)
    if int(digits[0]) < OLDEST_LIVE_VERSION:
        raise GraphError(
            "(#2635) You are calling a deprecated version of the Ads API. Please update to the latest version.",
            code=2635,
        )


async def _form(request: Request) -> dict[str, str]:
    if request.method != "POST":
        return {}
    return dict(parse_qsl((await request.body()).decode("utf-8", "replace"), keep_blank_values=True))


async def _body_params(request: Request) -> dict[str, Any]:
    """POST parameters, form-encoded or JSON (Graph takes both; structured values may be JSON strings in forms)."""
    if request.method == "GET":
        return {}
    raw = await request.body()
    if not raw:
        return {}
    if request.headers.get("content-type", "").startswith("application/json"):
        try:
            data = json.loads(raw)
        except ValueError:
            raise invalid_parameter("The request body is not valid JSON") from None
        if not isinstance(data, dict):
            raise invalid_parameter("The request body must be a JSON object")
        return data
    return dict(parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True))


def _json_param(value: Any, name: str) -> Any:
    if not isinstance(value, str):
        return value
    try:
        return json.loads(value)
    except ValueError:
        raise invalid_parameter(f"Param {name} must be a JSON encoded value", field_name=name) from None


def _fields(params: Mapping[str, Any], allowed: Iterable[str], default: Sequence[str], node_type: str) -> list[str]:
    raw = str(params.get("fields") or "")
    names = [name.strip().split("{", 1)[0] for name in raw.split(",") if name.strip()] or list(default)
    allowed_set = set(allowed)
    for name in names:
        if name not in allowed_set:
            raise GraphError(f"(#100) Tried accessing nonexisting field ({name}) on node type ({node_type})", code=100)
    return names


def _effective_status_filter(params: Mapping[str, Any]) -> frozenset[str]:
    if "effective_status" not in params:
        return EFFECTIVE_STATUSES - _HIDDEN_BY_DEFAULT
    value = _json_param(params["effective_status"], "effective_status")
    if not isinstance(value, list) or not value or any(v not in EFFECTIVE_STATUSES for v in value):
        raise invalid_parameter(
            "Filtering field effective_status with operation in has invalid value", field_name="effective_status"
        )
    return frozenset(str(v) for v in value)


_PREFIXES: Mapping[EntityLevel, str] = {
    EntityLevel.campaign: "campaign",
    EntityLevel.ad_group: "adset",
    EntityLevel.ad: "ad",
}
EFFECTIVE_STATUSES = frozenset(
    {"ACTIVE", "PAUSED", "DELETED", "ARCHIVED", "PENDING_REVIEW", "DISAPPROVED", "PREAPPROVED"}
    | {"PENDING_BILLING_INFO", "CAMPAIGN_PAUSED", "ADSET_PAUSED", "IN_PROCESS", "WITH_ISSUES"}
)


def _filtering(raw: Any) -> tuple[frozenset[str] | None, tuple[tuple[EntityLevel, frozenset[str]], ...]]:
    """Insights ``filtering``: on ``campaign.id`` / ``adset.id`` / ``ad.id`` (IN or EQUAL), the ids it admits; on
    ``<campaign|adset|ad>.effective_status`` (IN), the statuses each level must have."""
    if raw in (None, ""):
        return None, ()
    rules = _json_param(raw, "filtering")
    if not isinstance(rules, list):
        raise invalid_parameter("Param filtering must be an array", field_name="filtering")
    admitted: frozenset[str] | None = None
    statuses: list[tuple[EntityLevel, frozenset[str]]] = []
    by_prefix = {prefix: level for level, prefix in _PREFIXES.items()}
    for rule in rules:
        field_name = rule.get("field") if isinstance(rule, dict) else None
        prefix, _, attribute = str(field_name).partition(".")
        if not isinstance(rule, dict) or prefix not in by_prefix or attribute not in ("id", "effective_status"):
            raise invalid_parameter(
                "The sandbox filters insights by campaign, adset or ad id or effective_status", field_name="filtering"
            )
        value = rule.get("value")
        operator = rule.get("operator")
        if operator == "EQUAL" and attribute == "id":
            values = frozenset({str(value)})
        elif operator == "IN" and isinstance(value, list):
            values = frozenset(str(v) for v in value)
        else:
            raise invalid_parameter("Param filtering operator must be IN or EQUAL", field_name="filtering")
        if attribute == "id":
            admitted = values if admitted is None else admitted & values
            continue
        unknown = sorted(values - EFFECTIVE_STATUSES)
        if unknown:
            raise invalid_parameter(
                f"Filtering value {unknown[0]} is not a valid {prefix}.effective_status", field_name="filtering"
            )
        statuses.append((by_prefix[prefix], values))
    return admitted, tuple(statuses)


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
            owner = _chain(entity, index).get(self.level)
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
    rules = _json_param(raw, "filtering")
    if not isinstance(rules, list):
        raise invalid_parameter("Param filtering must be an array", field_name="filtering")
    by_prefix = {prefix: at for at, prefix in _PREFIXES.items()}
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


def _page(call: _Call, items: Sequence[T], render: Callable[[T], JsonObject]) -> JsonObject:
    """Cursor paging as Graph does it: ``cursors`` always, ``next`` only when another page exists. ``render`` turns
    the items of the page (only those) into JSON."""
    raw_limit = call.params.get("limit", DEFAULT_PAGE_SIZE)
    try:
        limit = int(raw_limit)
    except (TypeError, ValueError):
        raise invalid_parameter("Param limit must be an integer", field_name="limit") from None
    limit = min(max(limit, 1), MAX_PAGE_SIZE)
    start = decode_cursor(str(call.params["after"])) + 1 if call.params.get("after") else 0
    chunk = [render(item) for item in items[start : start + limit]]
    paging: JsonObject = {}
    if chunk:
        paging["cursors"] = {"before": encode_cursor(start), "after": encode_cursor(start + len(chunk) - 1)}
        if start + len(chunk) < len(items):
            url = call.request.url.remove_query_params("after").include_query_params(
                after=paging["cursors"]["after"], limit=limit
            )
            paging["next"] = str(url)
        if start > 0:
            paging["previous"] = str(
                call.request.url.remove_query_params("after").include_query_params(
                    before=paging["cursors"]["before"], limit=limit
                )
            )
    return {"data": chunk, "paging": paging}


def _effective_status(entity: SimEntity, index: Mapping[str, SimEntity]) -> str:
    """Meta's delivery status: a removed or paused parent shows on its children."""
    if entity.status is EntityStatus.removed:
        return "ARCHIVED" if entity.attributes.get("meta_status") == "ARCHIVED" else "DELETED"
    parents: list[tuple[str | None, str]] = []
    if entity.level is not EntityLevel.campaign:
        parents.append((entity.campaign_id, "CAMPAIGN_PAUSED"))
    if entity.level is EntityLevel.ad:
        parents.append((entity.parent_id, "ADSET_PAUSED"))
    for parent_id, paused_word in parents:
        parent = index.get(parent_id) if parent_id else None
        if parent is None:
            continue
        if parent.status is EntityStatus.removed:
            return "DELETED"
        if entity.status is EntityStatus.active and parent.status is EntityStatus.paused:
            return paused_word
    return "ACTIVE" if entity.status is EntityStatus.active else "PAUSED"


def _chain(entity: SimEntity, index: Mapping[str, SimEntity]) -> dict[EntityLevel, SimEntity]:
    """The entity with its ad set and campaign."""
    chain = {entity.level: entity}
    if entity.level is EntityLevel.ad and entity.parent_id and entity.parent_id in index:
        chain[EntityLevel.ad_group] = index[entity.parent_id]
    if entity.level is not EntityLevel.campaign and entity.campaign_id in index:
        chain[EntityLevel.campaign] = index[entity.campaign_id]
    return chain


def _objective_of(entity_id: str, index: Mapping[str, SimEntity]) -> str:
    entity = index.get(entity_id)
    if entity is None:
        return "sales"
    campaign = index.get(entity.campaign_id)
    return campaign.objective if campaign is not None else entity.objective


def _as_is(item: JsonObject) -> JsonObject:
    return item


def _account_json(account: SimAccount, fields: Sequence[str]) -> JsonObject:
    offset = datetime.now(UTC).astimezone(ZoneInfo(account.time_zone)).utcoffset() or timedelta(0)
    values: JsonObject = {
        "id": f"act_{account.account_id}",
        "account_id": account.account_id,
        "name": account.name,
        "currency": account.currency,
        "timezone_name": account.time_zone,
        "timezone_offset_hours_utc": offset.total_seconds() / 3600,
        "account_status": 1 if account.active else 2,
        "disable_reason": 0 if account.active else 3,
        "business_name": account.name,
    }
    return _with_id(values, fields)


def _with_id(values: Mapping[str, Any], fields: Sequence[str]) -> JsonObject:
    """The requested fields of a node; Graph adds the node's ``id`` whether it was asked for or not."""
    chosen = {name: values[name] for name in fields if name in values}
    chosen.setdefault("id", values["id"])
    return chosen


def _meta_status(entity: SimEntity) -> str:
    if entity.status is EntityStatus.removed:
        return "ARCHIVED" if entity.attributes.get("meta_status") == "ARCHIVED" else "DELETED"
    return "ACTIVE" if entity.status is EntityStatus.active else "PAUSED"


def _budget_micros(value: Any, currency: str, name: str) -> int:
    text = str(value).strip()
    if not text.isdigit() or int(text) <= 0:
        raise invalid_parameter(
            f"Param {name} must be a positive integer in the currency's minor unit",
            field_name=name,
            user_msg=f"The {name.replace('_', ' ')} must be a whole number of the smallest unit of {currency}.",
        )
    return int(text) * MICROS // currency_offset(currency)


def _actions(row: SimMetrics, objective: str) -> list[tuple[str, int, int]]:
    """(action type, count, value in micros) of one day of one entity, overlapping types included."""
    actions: list[tuple[str, int, int]] = []
    if row.clicks:
        actions.append(("link_click", row.clicks, 0))
        actions.append(("landing_page_view", row.clicks * 4 // 5, 0))
    engagement = row.clicks + row.video_views
    if engagement:
        actions.append(("page_engagement", engagement, 0))
        actions.append(("post_engagement", engagement, 0))
    if row.video_views:
        actions.append(("video_view", row.video_views, 0))
    if row.conversions:
        for action_type in CONVERSION_ACTION_TYPES.get(objective, PURCHASE_ACTION_TYPES):
            actions.append((action_type, row.conversions, row.conversion_value_micros))
    return actions


def _hourly_breakdown(raw: Any) -> bool:
    """Whether ``breakdowns`` (a JSON list or a comma-separated string) asks for the hourly breakdown, the only one
    the sandbox emulates."""
    if raw is None or raw == "" or raw == []:
        return False
    names: list[Any]
    if isinstance(raw, list):
        names = raw
    else:
        text = str(raw).strip()
        try:
            parsed = json.loads(text) if text.startswith("[") else None
        except ValueError:
            raise invalid_parameter("Param breakdowns must be an array of strings", field_name="breakdowns") from None
        names = parsed if isinstance(parsed, list) else [part.strip() for part in text.split(",") if part.strip()]
    for name in names:
        if name == HOURLY_BREAKDOWN:
            continue
        if name in OTHER_BREAKDOWNS:
            raise invalid_parameter(f"The sandbox does not emulate the {name} breakdown", field_name="breakdowns")
        raise invalid_parameter(
            f"{name} is not a valid breakdown. please check "
            "https://developers.facebook.com/docs/marketing-api/insights/breakdowns for all valid values",
            field_name="breakdowns",
        )
    return HOURLY_BREAKDOWN in names


def _bucket(day: date, query: _InsightsQuery) -> tuple[date, date]:
    if query.increment == "all_days":
        return query.since, query.until
    if query.increment == "monthly":
        start = max(day.replace(day=1), query.since)
        next_month = (day.replace(day=28) + timedelta(days=4)).replace(day=1)
        return start, min(next_month - timedelta(days=1), query.until)
    assert isinstance(query.increment, int)  # noqa: S101 (the remaining case)
    index = (day - query.since).days // query.increment
    start = query.since + timedelta(days=index * query.increment)
    return start, min(start + timedelta(days=query.increment - 1), query.until)


def _bucket_count(query: _InsightsQuery) -> int:
    days = (query.until - query.since).days + 1
    if query.increment == "all_days":
        return 1
    if query.increment == "monthly":
        return (query.until.year - query.since.year) * 12 + query.until.month - query.since.month + 1
    assert isinstance(query.increment, int)  # noqa: S101 (the remaining case)
    return math.ceil(days / query.increment)


def _ratio(numerator: int, denominator: int, scale: int) -> str:
    if not denominator:
        return "0"
    return format((Decimal(numerator) * scale / Decimal(denominator)).quantize(Decimal("0.000001")), "f")


def _money_ratio(micros: int, denominator: int, scale: int) -> str:
    if not denominator:
        return "0"
    return format((Decimal(micros) * scale / MICROS / Decimal(denominator)).quantize(Decimal("0.000001")), "f")


def _pct(used: float, capacity: float) -> float:
    return min(100.0, 100.0 * used / capacity) if capacity > 0 else 0.0


def _compact(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


def _error_page(message: str) -> HTMLResponse:
    # Facebook shows an error page (not a redirect) when the app or redirect URI is wrong: nothing to send back.
    escaped = message.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return HTMLResponse(
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Error</title></head>'
        f'<body><main><h1>Sorry, something went wrong.</h1><p role="alert">{escaped}</p></main></body></html>',
        status_code=400,
    )


__all__ = ["GraphError", "MetaEmulator", "MetaEmulatorOptions", "create_meta_emulator", "emulator_options"]
