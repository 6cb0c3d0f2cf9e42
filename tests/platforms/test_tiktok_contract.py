"""The TikTok adapter's contract: one suite, run against the sandbox emulator over real HTTP and against the recorded
real responses of ``../shared/reference/platform-apis.md`` §C (served by ``httpx.MockTransport``).

Both backends must give the same answers to the same questions: what the adapter sends on the wire (paths with
their trailing slash, the ``Access-Token`` header, JSON-encoded query parameters, JSON bodies), how it reads what
comes back (the envelope, string metrics, ``"-"``, ``stat_time_day``), and how it lives through TikTok's errors
(40100 storms, 50000 bursts, 40067 windows, revoked tokens, missing permissions). The emulator's answers are also
compared field by field with the recorded bodies, so the stand-in cannot drift from the real thing unnoticed.

Waiting is fake: the pipeline, the limiter and (where a test needs it) the emulator's quota share one clock that moves
only when someone sleeps.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs
from zoneinfo import ZoneInfo

import httpx
import pytest

from adpilot.platforms.config import Rate, TikTokAdsConfig
from adpilot.platforms.errors import (
    PlatformAuthError,
    PlatformError,
    PlatformRateLimited,
    PlatformRejected,
    PlatformUnavailable,
)
from adpilot.platforms.port import AdPlatformAdapter
from adpilot.platforms.tiktok import TikTokAdsAdapter
from adpilot.platforms.tiktok.client import QueryTooLarge, classify, encode_query
from adpilot.platforms.tiktok.payloads import ReportRow
from adpilot.platforms.types import (
    AdAccountRef,
    Credentials,
    EntityLevel,
    EntityRef,
    EntityStatus,
    Money,
    Platform,
)
from adpilot.sandbox.engine import SandboxLogin
from adpilot.sandbox.faults import FaultKind
from adpilot.sandbox.quota import QuotaGate
from adpilot.sandbox.state import SandboxConfig, SandboxState
from adpilot.sandbox.tiktok import create_tiktok_emulator
from tests.platforms.contract_kit import (
    ContractBackend,
    FakeTime,
    SandboxServer,
    WorldBackend,
    as_tuples,
    collect,
    collect_hourly,
    fake_time_http,
    frozen_state,
    hourly_tuples,
    in_process,
    lifted_rate,
    logged_client,
    placements,
)

# --- recorded real responses (reference §C; sources in the comments) ---------------------------------------------

# §C.2, exchange answer (bububa/tiktok-business model/oauth/access_token.go; SDK AuthenticationApi.md).
RECORDED_TOKEN: dict[str, Any] = {
    "code": 0,
    "message": "OK",
    "request_id": "2020031009181201018904922342087A16",
    "data": {"access_token": "act.9e8f7d6c5b4a", "advertiser_ids": ["7001234567890123456"], "scope": [4, 5, 6]},
}
# §C.2, oauth2/advertiser/get/ (airbyte source-tiktok-marketing unit_tests/test_source.py).
RECORDED_ADVERTISERS: dict[str, Any] = {
    "code": 0,
    "message": "ok",
    "data": {"list": [{"advertiser_id": "917429327", "advertiser_name": "name"}]},
}
# §C.2, advertiser/info/ with the fields the reference lists (airbyte schemas/advertisers.json).
RECORDED_ADVERTISER_INFO_ITEM: dict[str, Any] = {
    "advertiser_id": "917429327",
    "name": "name",
    "currency": "USD",
    "timezone": "Etc/GMT+8",
    "display_timezone": "America/Los_Angeles",
    "status": "STATUS_ENABLE",
    "balance": 10.0,
    "company": "test company",
    "country": "US",
    "create_time": 1611047010,
}
# airbyte unit_tests/resource/http/response/advertisers.json: an advertiser/info answer without currency/timezone.
RECORDED_ADVERTISER_INFO_WITHOUT_CURRENCY: dict[str, Any] = {
    "code": 0,
    "message": "ok",
    "data": {"list": [{"advertiser_id": "872746382648", "name": "test name", "address": "test address"}]},
}
# §C.3, campaign/get/ (airbyte unit_tests/integration/test_service_error_retry.py): ids as JSON numbers.
RECORDED_CAMPAIGNS: dict[str, Any] = {
    "code": 0,
    "message": "ok",
    "data": {
        "list": [
            {
                "campaign_id": 123456789,
                "campaign_name": "Test Campaign",
                "advertiser_id": 872746382648,
                "budget": 100.0,
                "budget_mode": "BUDGET_MODE_DAY",
                "secondary_status": "CAMPAIGN_STATUS_ENABLE",
                "objective_type": "TRAFFIC",
                "create_time": "2024-01-01 00:00:00",
                "modify_time": "2024-01-01 12:00:00",
                "is_new_structure": True,
                "campaign_type": "REGULAR_CAMPAIGN",
            }
        ],
        "page_info": {"total_number": 1, "page": 1, "page_size": 1000, "total_page": 1},
    },
}
RECORDED_EMPTY_LIST: dict[str, Any] = {
    "code": 0,
    "message": "ok",
    "data": {"list": [], "page_info": {"total_number": 0, "page": 1, "page_size": 1000, "total_page": 0}},
}
# §C.3, status update answer (bububa model/campaign/status_update.go).
RECORDED_STATUS_UPDATE: dict[str, Any] = {
    "code": 0,
    "message": "OK",
    "request_id": "202409030000000000000000000000A1",
    "data": {
        "campaign_ids": [1800000000000001],
        "status": "DISABLE",
        "campaign_list": [{"campaign_id": "1800000000000001", "status": "DISABLE"}],
    },
}
# §C.4, the recorded hourly report (airbyte unit_tests/resource/http/response/campaigns_reports_hourly.json, trimmed
# as in the reference): string values, some counters as JSON numbers, the attribute metric inside "metrics".
RECORDED_HOURLY_REPORT: dict[str, Any] = {
    "code": 0,
    "message": "ok",
    "data": {
        "list": [
            {
                "dimensions": {"stat_time_hour": "2024-01-01 10:00:00", "campaign_id": "11111111"},
                "metrics": {
                    "spend": "20.00",
                    "impressions": "4696",
                    "clicks": "51",
                    "ctr": "1.09",
                    "cpc": "0.39",
                    "cpm": "4.26",
                    "reach": "3822",
                    "frequency": "1.23",
                    "cost_per_1000_reached": "5.23",
                    "campaign_name": "Website Traffic20211020010104",
                    "video_play_actions": 4179,
                    "video_watched_2s": 493,
                    "likes": 18,
                    "app_install": 0,
                },
            }
        ]
    },
}


def recorded_daily_row(campaign_id: str, day: str, **metrics: Any) -> dict[str, Any]:
    """A daily row as airbyte test_reports_daily_window_splitting.py records it: ``stat_time_day`` with its time."""
    return {"dimensions": {"campaign_id": campaign_id, "stat_time_day": f"{day} 00:00:00"}, "metrics": metrics}


# Daily rows in the recorded shape (reference §C.4 shape rules): strings, one counter as a JSON number, "-".
RECORDED_DAILY_ROWS = [
    recorded_daily_row(
        "1800000000000001",
        "2024-09-03",
        spend="1.00",
        impressions="4696",
        clicks="51",
        conversion="3",
        total_complete_payment_rate="89.70",
    ),
    recorded_daily_row(
        "1800000000000002",
        "2024-09-03",
        spend="20.00",
        impressions="3822",
        clicks=18,
        conversion="0",
        total_complete_payment_rate="-",
    ),
    recorded_daily_row(
        "1800000000000001",
        "2024-09-20",
        spend="14.35",
        impressions="1200",
        clicks="9",
        conversion="1",
        total_complete_payment_rate="29.99",
    ),
]
RECORDED_DAILY_EXPECTED = [
    ("1800000000000001", date(2024, 9, 3), 4696, 51, 1_000_000, Decimal(3), 89_700_000),
    ("1800000000000002", date(2024, 9, 3), 3822, 18, 20_000_000, Decimal(0), 0),
    ("1800000000000001", date(2024, 9, 20), 1200, 9, 14_350_000, Decimal(1), 29_990_000),
]
RECORDED_REPORT_RANGE = (date(2024, 9, 1), date(2024, 9, 30))

# §C.5, the error bodies, verbatim (airbyte test_source.py, test_reports_daily_window_splitting.py,
# test_service_error_retry.py); 40133 from test_reports_daily_window_splitting.py.
ERROR_QPS: dict[str, Any] = {"code": 40100, "message": "App reaches the QPS limit.", "data": {}}
ERROR_REVOKED: dict[str, Any] = {"code": 40105, "message": "Access token is incorrect or has been revoked.", "data": {}}
ERROR_SCOPE: dict[str, Any] = {
    "code": 40001,
    "message": "Permission error: The access token lacks the required scope for endpoint.",
    "data": {},
}
ERROR_TOO_LARGE: dict[str, Any] = {
    "code": 40067,
    "message": "The query is too large, please narrow the date range",
    "data": {},
}
ERROR_TOO_LARGE_WITH_ID: dict[str, Any] = {
    "code": 40067,
    "message": "Your query is too large, please reduce the query size (e.g. fewer metrics or time range) and retry "
    "after a while.",
    "request_id": "20241015000000000000000000000000",
    "data": {},
}
ERROR_SYSTEM: dict[str, Any] = {"code": 50000, "message": "System error.", "data": {}}
ERROR_ADVERTISER_QPS: dict[str, Any] = {
    "code": 40133,
    "message": "Advertiser (872746382648)'s QPS (21) reaches QPS limit 20 for current path, request is temporarily "
    "restricted.",
    "data": {},
}
ERROR_PARAMETER: dict[str, Any] = {"code": 40006, "message": "Invalid parameter", "data": {}}

APP_ID = "7123456789012345678"
APP_SECRET = "recorded-app-secret"
REDIRECT_URI = "http://app.test/connections/callback/tiktok"
# Waiting is fake in these tests: the adapter's own limiter is set high unless a test is about the rate.
UNTHROTTLED = Rate(1000)


# --- test kit -------------------------------------------------------------------------------------------------------


@dataclass
class WireRequest:
    """One request as it left the adapter."""

    method: str
    path: str  # after /open_api/v1.3/ for API calls, the full path for anything else (the consent page)
    api: bool
    params: dict[str, str]
    body: dict[str, Any] | None
    access_token: str | None


@dataclass
class WireLog:
    requests: list[WireRequest] = field(default_factory=list)
    codes: list[int] = field(default_factory=list)

    async def on_request(self, request: httpx.Request) -> None:
        path = request.url.path
        marker = "/open_api/v1.3/"
        api = marker in path
        if api:
            path = path.split(marker, 1)[1]
        is_json = request.headers.get("content-type", "").startswith("application/json")
        body = json.loads(request.content) if request.content and is_json else None
        self.requests.append(
            WireRequest(request.method, path, api, dict(request.url.params), body, request.headers.get("Access-Token"))
        )

    async def on_response(self, response: httpx.Response) -> None:
        await response.aread()
        try:
            self.codes.append(int(response.json()["code"]))
        except (ValueError, KeyError, TypeError):
            self.codes.append(-response.status_code)

    def to(self, path: str) -> list[WireRequest]:
        return [request for request in self.requests if request.path == path]

    def report_windows(self) -> list[tuple[str, str]]:
        """The date windows of report requests, in order, each once (retries and later pages folded)."""
        windows: list[tuple[str, str]] = []
        for request in self.to("report/integrated/get/"):
            window = (request.params["start_date"], request.params["end_date"])
            if window not in windows:
                windows.append(window)
        return windows


def build_adapter(
    config: TikTokAdsConfig, transport: httpx.AsyncBaseTransport | None, fake: FakeTime, log: WireLog
) -> tuple[TikTokAdsAdapter, httpx.AsyncClient]:
    client = logged_client(transport, log.on_request, log.on_response)
    return TikTokAdsAdapter(config, fake_time_http(client, fake)), client


def halving_windows(start: date, max_days: int) -> list[tuple[str, str]]:
    """The windows a 30-day request from ``start`` goes through when only ``max_days`` pass: rejected, then halves."""
    windows: list[tuple[str, str]] = []

    def visit(first: date, last: date) -> None:
        windows.append((first.isoformat(), last.isoformat()))
        days = (last - first).days + 1
        if days > max_days:
            middle = first + timedelta(days=days // 2 - 1)
            visit(first, middle)
            visit(middle + timedelta(days=1), last)

    visit(start, start + timedelta(days=29))
    return windows


# --- the two backends -------------------------------------------------------------------------------------------------


class Backend(ContractBackend):
    """What the contract needs from a TikTok: an adapter pointed at it, and the answers it should give. The forbidden
    account is one the token may not use (TikTok answers 40001)."""

    adapter: TikTokAdsAdapter
    log: WireLog
    report_range: tuple[date, date]

    def expected_accounts(self) -> list[tuple[str, str, str, str]]:
        """(id, name, currency, time zone) of every advertiser the token reaches."""
        raise NotImplementedError

    def narrow_reports(self, max_days: int) -> None:
        """Daily reports wider than ``max_days`` are answered with 40067."""
        raise NotImplementedError


class RecordedTikTok(Backend):
    """The recorded answers, served in the order TikTok would give them; faults replay the recorded error bodies."""

    name = "recorded"

    def __init__(self) -> None:
        self.fake = FakeTime()
        self.log = WireLog()
        self.account = AdAccountRef("872746382648")
        self.currency = "USD"
        self.report_range = RECORDED_REPORT_RANGE
        self.pending: list[dict[str, Any]] = []
        self.revoked = False
        self.max_days = 30
        self.statuses: dict[str, str] = {}
        self.budgets: dict[str, float] = {}
        config = TikTokAdsConfig(
            app_id=APP_ID,
            app_secret=APP_SECRET,
            api_base_url="https://business-api.tiktok.com",
            account_rate=Rate(1000),
            app_rate=Rate(1000),
        )
        self.adapter, self.client = build_adapter(config, httpx.MockTransport(self.answer), self.fake, self.log)

    def answer(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path.removeprefix("/open_api/v1.3/")
        params = dict(request.url.params)
        body = json.loads(request.content) if request.content else {}
        if path == "oauth2/access_token/":
            return httpx.Response(200, json=RECORDED_TOKEN)
        if "Access-Token" in request.headers:
            if self.revoked:
                return httpx.Response(200, json=ERROR_REVOKED)
            if self.pending:
                return httpx.Response(200, json=self.pending.pop(0))
        advertiser = params.get("advertiser_id") or str(body.get("advertiser_id", ""))
        if advertiser == "forbidden":
            return httpx.Response(200, json=ERROR_SCOPE)
        if path == "oauth2/advertiser/get/":
            return httpx.Response(200, json=RECORDED_ADVERTISERS)
        if path == "advertiser/info/":
            ids = json.loads(params["advertiser_ids"])
            items = [{**RECORDED_ADVERTISER_INFO_ITEM, "advertiser_id": i} for i in ids]
            return httpx.Response(200, json={"code": 0, "message": "OK", "data": {"list": items}})
        if path == "campaign/get/":
            return httpx.Response(200, json=RECORDED_CAMPAIGNS)
        if path in ("adgroup/get/", "ad/get/"):
            return httpx.Response(200, json=RECORDED_EMPTY_LIST)
        if path == "report/integrated/get/":
            return self.report(params)
        if path == "campaign/status/update/":
            for campaign_id in body["campaign_ids"]:
                self.statuses[campaign_id] = body["operation_status"]
            return httpx.Response(200, json=RECORDED_STATUS_UPDATE)
        if path == "campaign/update/":
            self.budgets[body["campaign_id"]] = body["budget"]
            return httpx.Response(200, json={"code": 0, "message": "OK", "data": RECORDED_CAMPAIGNS["data"]["list"][0]})
        return httpx.Response(404, text="404 page not found")

    def report(self, params: dict[str, str]) -> httpx.Response:
        start, end = date.fromisoformat(params["start_date"]), date.fromisoformat(params["end_date"])
        if (end - start).days + 1 > self.max_days:
            return httpx.Response(200, json=ERROR_TOO_LARGE)
        if params["data_level"] != "AUCTION_CAMPAIGN":
            return httpx.Response(200, json=RECORDED_EMPTY_LIST)
        if "stat_time_hour" in json.loads(params["dimensions"]):
            if start == end == date(2024, 1, 1):
                return httpx.Response(200, json=RECORDED_HOURLY_REPORT)
            return httpx.Response(200, json=RECORDED_EMPTY_LIST)
        rows = [
            row
            for row in RECORDED_DAILY_ROWS
            if start <= date.fromisoformat(row["dimensions"]["stat_time_day"][:10]) <= end
        ]
        page_info = {"total_number": len(rows), "page": 1, "page_size": 1000, "total_page": 1 if rows else 0}
        return httpx.Response(200, json={"code": 0, "message": "ok", "data": {"list": rows, "page_info": page_info}})

    async def connect(self) -> Credentials:
        return await self.adapter.exchange_code("a1b2c3", redirect_uri=REDIRECT_URI, code_verifier=None)

    def expected_accounts(self) -> list[tuple[str, str, str, str]]:
        return [("917429327", "name", "USD", "Etc/GMT+8")]

    def expected_entities(self) -> list[tuple[Any, ...]]:
        return [(EntityLevel.campaign, "123456789", EntityStatus.active, "123456789", None, 100_000_000, None)]

    def expected_daily(self, level: EntityLevel, since: date, until: date) -> list[tuple[Any, ...]]:
        if level is not EntityLevel.campaign:
            return []
        return sorted(row for row in RECORDED_DAILY_EXPECTED if since <= row[1] <= until)

    def inject(self, kind: FaultKind, count: int = 1) -> None:
        if kind is FaultKind.revoke_token:
            self.revoked = True
            return
        body = {FaultKind.rate_limit: ERROR_QPS, FaultKind.server_error: ERROR_SYSTEM}[kind]
        self.pending.extend([body] * count)

    def narrow_reports(self, max_days: int) -> None:
        self.max_days = max_days

    def forbidden_account(self) -> AdAccountRef:
        return AdAccountRef("forbidden")

    def budgeted_campaign(self) -> EntityRef:
        return EntityRef(self.account, EntityLevel.campaign, "123456789")

    def status_of(self, ref: EntityRef) -> EntityStatus:
        return {"ENABLE": EntityStatus.active, "DISABLE": EntityStatus.paused, "DELETE": EntityStatus.removed}[
            self.statuses.get(ref.platform_id, "ENABLE")
        ]

    def daily_budget_of(self, ref: EntityRef) -> int | None:
        budget = self.budgets.get(ref.platform_id)
        return None if budget is None else round(budget * 1_000_000)


class EmulatedTikTok(WorldBackend, Backend):
    """The sandbox emulator, reached the way the product reaches it: over HTTP, at ``…/sandbox/tiktok``."""

    name = "emulator"
    platform = Platform.tiktok

    def __init__(
        self,
        state: SandboxState,
        base_url: str,
        transport: httpx.AsyncBaseTransport | None = None,
        *,
        app_rate: Rate = UNTHROTTLED,
        report_range: tuple[int, int] = (38, 9),
    ) -> None:
        self.state = state
        self.fake = FakeTime()
        self.log = WireLog()
        self.base_url = base_url
        app_id, secret = state.config.app_credentials[Platform.tiktok]
        config = TikTokAdsConfig(
            app_id=app_id,
            app_secret=secret,
            api_base_url=base_url,
            authorize_url=f"{base_url}/portal/auth",
            account_rate=Rate(1000),
            app_rate=app_rate,
        )
        self.adapter, self.client = build_adapter(config, transport, self.fake, self.log)
        self.login: SandboxLogin = state.world.logins(Platform.tiktok)[0]
        self.account = AdAccountRef(self.login.account_ids[0])
        self.account_record = state.world.account(Platform.tiktok, self.account.account_id)
        assert self.account_record is not None
        self.currency = self.account_record.currency
        # By default days whose conversions are final (over a week old), so the numbers hold still on a sandbox
        # whose clock follows the wall clock; the frozen-clock tests read up to today.
        self.today = state.clock.today(self.account_record.time_zone)
        self.report_range = (self.today - timedelta(days=report_range[0]), self.today - timedelta(days=report_range[1]))

    async def consent(self, decision: str = "allow") -> httpx.Response:
        """The person's round trip through the consent page the adapter's authorization URL opens."""
        url = self.adapter.authorization_url(redirect_uri=REDIRECT_URI, state="state-123", code_challenge=None)
        page = await self.client.get(url)
        assert page.status_code == 200
        assert 'name="login_id"' in page.text
        action = re.search(r'<form method="post" action="([^"]+)"', page.text)
        assert action is not None
        form = {
            "app_id": self.state.config.app_credentials[Platform.tiktok][0],
            "state": "state-123",
            "redirect_uri": REDIRECT_URI,
            "login_id": self.login.login_id,
            "decision": decision,
        }
        return await self.client.post(httpx.URL(url).join(action.group(1).replace("&amp;", "&")), data=form)

    async def connect(self) -> Credentials:
        callback = httpx.URL((await self.consent()).headers["location"])
        assert callback.params["state"] == "state-123"
        assert callback.params["code"] == callback.params["auth_code"]
        return await self.adapter.exchange_code(
            callback.params["auth_code"], redirect_uri=REDIRECT_URI, code_verifier=None
        )

    def expected_accounts(self) -> list[tuple[str, str, str, str]]:
        return sorted(
            (a.account_id, a.name, a.currency, a.time_zone)
            for a in self.state.world.accessible_accounts(Platform.tiktok, self.login.login_id)
        )

    def expected_entities(self) -> list[tuple[Any, ...]]:
        expected = []
        for level in EntityLevel:
            # Deleted ones are listed too (a deleted campaign deletes what is under it).
            for entity in self.state.world.entities(
                Platform.tiktok, self.account.account_id, level, include_removed=True
            ):
                expected.append(
                    (
                        level,
                        entity.id,
                        entity.status,
                        entity.campaign_id,
                        entity.parent_id,
                        entity.daily_budget_micros,
                        entity.lifetime_budget_micros,
                    )
                )
        return sorted(expected, key=repr)

    def narrow_reports(self, max_days: int) -> None:
        self.state.config.tiktok_report_max_days = max_days

    def forbidden_account(self) -> AdAccountRef:
        reachable = set(self.login.account_ids)
        other_logins = [login for login in self.state.world.logins(Platform.tiktok) if login != self.login]
        for login in other_logins:
            for account_id in login.account_ids:
                if account_id not in reachable:
                    return AdAccountRef(account_id)
        return AdAccountRef("7999999999999999999")


@pytest.fixture
def shared_sandbox(sandbox_server: SandboxServer) -> Iterator[SandboxState]:
    """The sandbox server's state with TikTok's settings restored after each test (its rate is lifted: waiting is
    fake in these tests, so the emulator's real-time quota is exercised by its own tests below)."""
    with lifted_rate(sandbox_server, Platform.tiktok) as state:
        saved = state.config.tiktok_token_mode, state.config.tiktok_report_max_days
        yield state
        state.config.tiktok_token_mode, state.config.tiktok_report_max_days = saved


@pytest.fixture(params=["emulator", "recorded"])
async def backend(request: pytest.FixtureRequest) -> AsyncIterator[Backend]:
    chosen: Backend
    if request.param == "emulator":
        server: SandboxServer = request.getfixturevalue("sandbox_server")
        chosen = EmulatedTikTok(request.getfixturevalue("shared_sandbox"), server.base_url("tiktok"))
    else:
        chosen = RecordedTikTok()
    yield chosen
    await chosen.client.aclose()


@pytest.fixture
async def emulator(sandbox_server: SandboxServer, shared_sandbox: SandboxState) -> AsyncIterator[EmulatedTikTok]:
    backend = EmulatedTikTok(shared_sandbox, sandbox_server.base_url("tiktok"))
    yield backend
    await backend.client.aclose()


def private_emulator(state: SandboxState, **options: Any) -> EmulatedTikTok:
    """An emulator on a sandbox of its own (in-process ASGI), for tests that freeze or move its clock or throttle it:
    the shared server's clock follows the wall clock and its quota real time."""
    return EmulatedTikTok(state, *in_process(Platform.tiktok, create_tiktok_emulator(state)), **options)


# === the contract: same questions, same answers, on both backends =================================================


class TestContract:
    async def test_the_adapter_fits_the_port(self, backend: Backend) -> None:
        port: AdPlatformAdapter = backend.adapter
        assert port.platform is Platform.tiktok
        assert port.supports_pkce is False

    async def test_exchange_gives_a_long_term_token(self, backend: Backend) -> None:
        credentials = await backend.connect()
        assert credentials.access_token.startswith("act.")
        assert credentials.expires_at is None
        assert credentials.refresh_token is None
        assert credentials.scopes
        (exchange,) = backend.log.to("oauth2/access_token/")
        assert exchange.method == "POST"
        assert exchange.access_token is None
        assert exchange.body is not None
        assert set(exchange.body) == {"app_id", "secret", "auth_code"}

    async def test_refreshing_a_long_term_token_changes_nothing(self, backend: Backend) -> None:
        credentials = await backend.connect()
        sent = len(backend.log.requests)
        assert await backend.adapter.refresh(credentials) is credentials
        assert len(backend.log.requests) == sent

    async def test_ad_accounts_come_with_currency_and_time_zone(self, backend: Backend) -> None:
        credentials = await backend.connect()
        accounts = await backend.adapter.list_ad_accounts(credentials)
        assert sorted((a.account_id, a.name, a.currency, a.time_zone) for a in accounts) == backend.expected_accounts()
        assert all(a.active for a in accounts)
        (listing,) = backend.log.to("oauth2/advertiser/get/")
        assert set(listing.params) == {"app_id", "secret"}
        assert listing.access_token == credentials.access_token
        info = backend.log.to("advertiser/info/")
        asked = [i for request in info for i in json.loads(request.params["advertiser_ids"])]
        assert sorted(asked) == sorted(a.account_id for a in accounts)

    async def test_entities_include_deleted_and_carry_budgets_in_micros(self, backend: Backend) -> None:
        credentials = await backend.connect()
        entities = await backend.adapter.list_entities(credentials, backend.account)
        got = [
            (
                e.level,
                e.platform_id,
                e.status,
                e.campaign_platform_id,
                e.parent_platform_id,
                e.daily_budget.amount_micros if e.daily_budget else None,
                e.lifetime_budget.amount_micros if e.lifetime_budget else None,
            )
            for e in entities
        ]
        assert sorted(got, key=repr) == sorted(backend.expected_entities(), key=repr)
        assert all(e.raw for e in entities)
        for path in ("campaign/get/", "adgroup/get/", "ad/get/"):
            first = backend.log.to(path)[0]
            assert first.params["page_size"] == "1000"
            assert json.loads(first.params["filtering"]) == {"primary_status": "STATUS_ALL"}
            assert first.params["advertiser_id"] == backend.account.account_id

    async def test_daily_metrics_match_the_platform(self, backend: Backend) -> None:
        credentials = await backend.connect()
        since, until = backend.report_range
        rows = await collect(backend.adapter, credentials, backend.account, EntityLevel.campaign, since, until)
        assert as_tuples(rows) == backend.expected_daily(EntityLevel.campaign, since, until)
        assert rows, "the backend has data in the range"
        assert {row.currency for row in rows} == {backend.currency}
        (request,) = backend.log.to("report/integrated/get/")
        assert request.params["data_level"] == "AUCTION_CAMPAIGN"
        assert request.params["service_type"] == "AUCTION"
        assert request.params["report_type"] == "BASIC"
        assert json.loads(request.params["dimensions"]) == ["campaign_id", "stat_time_day"]
        assert json.loads(request.params["metrics"]) == [
            "spend",
            "impressions",
            "clicks",
            "conversion",
            "total_complete_payment_rate",
            "campaign_name",
        ]
        assert json.loads(request.params["filtering"]) == [
            {"field_name": "campaign_status", "filter_type": "IN", "filter_value": '["STATUS_ALL"]'}
        ]
        assert (request.params["start_date"], request.params["end_date"]) == (since.isoformat(), until.isoformat())

    async def test_a_qps_storm_ends_with_complete_data_and_no_duplicates(self, backend: Backend) -> None:
        credentials = await backend.connect()
        since, until = backend.report_range
        backend.inject(FaultKind.rate_limit, count=4)
        rows = await collect(backend.adapter, credentials, backend.account, EntityLevel.campaign, since, until)
        assert as_tuples(rows) == backend.expected_daily(EntityLevel.campaign, since, until)
        assert len({(r.entity_platform_id, r.day) for r in rows}) == len(rows)
        assert backend.log.codes.count(40100) == 4
        # Each 40100 blocked the app's limiter key for TikTok's one second before the next attempt.
        assert backend.fake.now >= 4.0

    async def test_system_errors_are_retried(self, backend: Backend) -> None:
        credentials = await backend.connect()
        since, until = backend.report_range
        backend.inject(FaultKind.server_error, count=3)
        rows = await collect(backend.adapter, credentials, backend.account, EntityLevel.campaign, since, until)
        assert as_tuples(rows) == backend.expected_daily(EntityLevel.campaign, since, until)
        assert backend.log.codes.count(50000) == 3

    async def test_a_token_revoked_mid_sync_stops_the_sync_for_a_reconnect(self, backend: Backend) -> None:
        credentials = await backend.connect()
        await backend.adapter.list_entities(credentials, backend.account)
        backend.inject(FaultKind.revoke_token)
        since, until = backend.report_range
        with pytest.raises(PlatformAuthError) as raised:
            await collect(backend.adapter, credentials, backend.account, EntityLevel.campaign, since, until)
        assert raised.value.refreshable is False
        assert raised.value.platform_code == "40105"
        # Revoked for good: the next call is refused too, and nothing was retried in between.
        with pytest.raises(PlatformAuthError):
            await backend.adapter.list_entities(credentials, backend.account)
        assert backend.log.codes.count(40105) == 2

    async def test_too_large_reports_are_split_in_halves(self, backend: Backend) -> None:
        credentials = await backend.connect()
        since, until = backend.report_range
        backend.narrow_reports(10)
        rows = await collect(backend.adapter, credentials, backend.account, EntityLevel.campaign, since, until)
        assert as_tuples(rows) == backend.expected_daily(EntityLevel.campaign, since, until)
        assert backend.log.report_windows() == halving_windows(since, 10)
        assert backend.log.codes.count(40067) == 3

    async def test_an_account_outside_the_grant_is_a_permission_error(self, backend: Backend) -> None:
        credentials = await backend.connect()
        with pytest.raises(PlatformAuthError) as raised:
            await backend.adapter.list_entities(credentials, backend.forbidden_account())
        assert raised.value.refreshable is False
        assert raised.value.platform_code == "40001"

    async def test_pausing_a_campaign(self, backend: Backend) -> None:
        credentials = await backend.connect()
        ref = backend.budgeted_campaign()
        await backend.adapter.set_status(credentials, ref, EntityStatus.paused)
        assert backend.status_of(ref) is EntityStatus.paused
        (update,) = backend.log.to("campaign/status/update/")
        assert update.body == {
            "advertiser_id": ref.account.account_id,
            "campaign_ids": [ref.platform_id],
            "operation_status": "DISABLE",
        }
        await backend.adapter.set_status(credentials, ref, EntityStatus.active)
        assert backend.status_of(ref) is EntityStatus.active

    async def test_changing_a_daily_budget(self, backend: Backend) -> None:
        credentials = await backend.connect()
        ref = backend.budgeted_campaign()
        await backend.adapter.set_daily_budget(credentials, ref, Money(123_450_000, backend.currency))
        assert backend.daily_budget_of(ref) == 123_450_000
        (update,) = backend.log.to("campaign/update/")
        assert update.body == {
            "advertiser_id": ref.account.account_id,
            "campaign_id": ref.platform_id,
            "budget": 123.45,
        }

    async def test_a_budget_in_another_currency_is_refused_before_sending(self, backend: Backend) -> None:
        credentials = await backend.connect()
        ref = backend.budgeted_campaign()
        with pytest.raises(PlatformRejected):
            other = "JPY" if backend.currency != "JPY" else "USD"
            await backend.adapter.set_daily_budget(credentials, ref, Money(50_000_000, other))
        assert not backend.log.to("campaign/update/")

    async def test_every_api_call_uses_the_access_token_header_and_trailing_slashes(self, backend: Backend) -> None:
        credentials = await backend.connect()
        await backend.adapter.list_ad_accounts(credentials)
        await backend.adapter.list_entities(credentials, backend.account)
        since, until = backend.report_range
        await collect(backend.adapter, credentials, backend.account, EntityLevel.campaign, since, until)
        api_calls = [request for request in backend.log.requests if request.api]
        assert len(api_calls) >= 6
        for request in api_calls:
            assert request.path.endswith("/")
            if request.path != "oauth2/access_token/":
                assert request.access_token == credentials.access_token


# === the emulator against the recorded bodies: same shapes ========================================================


def shape(value: Any) -> Any:
    """The JSON type of a value (numbers and strings kept apart: TikTok is particular about them)."""
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if value is None:
        return "null"
    return type(value).__name__


class TestEmulatorSpeaksTheRecordedFormat:
    async def test_token_answer(self, emulator: EmulatedTikTok) -> None:
        callback = httpx.URL((await emulator.consent()).headers["location"])
        app_id, secret = emulator.state.config.app_credentials[Platform.tiktok]
        response = await emulator.client.post(
            f"{emulator.base_url}/open_api/v1.3/oauth2/access_token/",
            json={"app_id": app_id, "secret": secret, "auth_code": callback.params["auth_code"]},
        )
        assert response.status_code == 200
        body = response.json()
        assert set(body) == set(RECORDED_TOKEN)
        assert set(body["data"]) == set(RECORDED_TOKEN["data"])
        assert all(isinstance(scope, int) for scope in body["data"]["scope"])
        assert all(isinstance(i, str) for i in body["data"]["advertiser_ids"])

    async def test_campaign_list(self, emulator: EmulatedTikTok) -> None:
        credentials = await emulator.connect()
        response = await emulator.client.get(
            f"{emulator.base_url}/open_api/v1.3/campaign/get/",
            params={"advertiser_id": emulator.account.account_id, "page_size": 1000},
            headers={"Access-Token": credentials.access_token},
        )
        body = response.json()
        recorded = RECORDED_CAMPAIGNS["data"]
        assert set(body["data"]) == set(recorded)
        assert body["data"]["page_info"]["page_size"] == 1000
        assert set(body["data"]["page_info"]) == set(recorded["page_info"])
        recorded_item = recorded["list"][0]
        for item in body["data"]["list"]:
            assert set(recorded_item) <= set(item)
            for key in ("budget", "budget_mode", "secondary_status", "create_time", "campaign_name"):
                assert shape(item[key]) == shape(recorded_item[key]), key
            assert re.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}", item["create_time"])
            assert item["operation_status"] in ("ENABLE", "DISABLE")

    async def test_hourly_report_rows(self, emulator: EmulatedTikTok) -> None:
        credentials = await emulator.connect()
        recorded_row = RECORDED_HOURLY_REPORT["data"]["list"][0]
        # The recorded metrics the emulator knows (the others are video and engagement counters it does not model).
        metrics = ["spend", "impressions", "clicks", "ctr", "cpc", "cpm", "reach", "frequency", "campaign_name"]
        assert set(metrics) <= set(recorded_row["metrics"])
        day = emulator.report_range[1]
        response = await emulator.client.get(
            f"{emulator.base_url}/open_api/v1.3/report/integrated/get/",
            params=encode_query(
                {
                    "advertiser_id": emulator.account.account_id,
                    "report_type": "BASIC",
                    "data_level": "AUCTION_CAMPAIGN",
                    "dimensions": ["campaign_id", "stat_time_hour"],
                    "metrics": metrics,
                    "start_date": day.isoformat(),
                    "end_date": day.isoformat(),
                    "page_size": 1000,
                }
            ),
            headers={"Access-Token": credentials.access_token},
        )
        body = response.json()
        assert body["code"] == 0
        rows = body["data"]["list"]
        assert rows
        for row in rows:
            assert set(row) == {"dimensions", "metrics"}
            assert set(row["dimensions"]) == set(recorded_row["dimensions"])
            assert re.fullmatch(rf"{day.isoformat()} \d{{2}}:00:00", row["dimensions"]["stat_time_hour"])
            assert set(row["metrics"]) == set(metrics)
            # Emitted as strings, as the reference says the API does (the recording mixes in a few numbers).
            assert all(isinstance(value, str) for value in row["metrics"].values())
        hourly = [ReportRow.model_validate(row) for row in rows]
        daily = emulator.state.world.daily_metrics(
            Platform.tiktok, emulator.account.account_id, EntityLevel.campaign, day, day
        )
        assert sum(int(row.decimal("impressions")) for row in hourly) == sum(m.impressions for m in daily)

    async def test_daily_rows_say_which_day_with_a_time(self, emulator: EmulatedTikTok) -> None:
        credentials = await emulator.connect()
        since, until = emulator.report_range
        response = await emulator.client.get(
            f"{emulator.base_url}/open_api/v1.3/report/integrated/get/",
            params=encode_query(
                {
                    "advertiser_id": emulator.account.account_id,
                    "report_type": "BASIC",
                    "data_level": "AUCTION_CAMPAIGN",
                    "dimensions": ["campaign_id", "stat_time_day"],
                    "metrics": ["spend", "cpc", "total_complete_payment_rate"],
                    "start_date": since.isoformat(),
                    "end_date": until.isoformat(),
                    "page_size": 1000,
                }
            ),
            headers={"Access-Token": credentials.access_token},
        )
        rows = response.json()["data"]["list"]
        assert all(re.fullmatch(r"\d{4}-\d{2}-\d{2} 00:00:00", r["dimensions"]["stat_time_day"]) for r in rows)
        assert all(re.fullmatch(r"-?\d+\.\d{2,6}", r["metrics"]["spend"]) for r in rows)
        # Metrics that do not apply are "-", as on TikTok.
        assert any(r["metrics"]["total_complete_payment_rate"] == "-" or r["metrics"]["cpc"] == "-" for r in rows)

    @pytest.mark.parametrize(
        ("fault", "recorded"),
        [
            (FaultKind.rate_limit, ERROR_QPS),
            (FaultKind.server_error, ERROR_SYSTEM),
            (FaultKind.revoke_token, ERROR_REVOKED),
        ],
    )
    async def test_error_bodies(self, emulator: EmulatedTikTok, fault: FaultKind, recorded: dict[str, Any]) -> None:
        credentials = await emulator.connect()
        emulator.inject(fault)
        response = await emulator.client.get(
            f"{emulator.base_url}/open_api/v1.3/campaign/get/",
            params={"advertiser_id": emulator.account.account_id},
            headers={"Access-Token": credentials.access_token},
        )
        assert response.status_code == 200
        body = response.json()
        assert (body["code"], body["message"], body["data"]) == (recorded["code"], recorded["message"], {})
        assert re.fullmatch(r"[0-9A-F]{32}", body["request_id"])

    async def test_too_large_body(self, emulator: EmulatedTikTok) -> None:
        credentials = await emulator.connect()
        since = emulator.report_range[0]
        response = await emulator.client.get(
            f"{emulator.base_url}/open_api/v1.3/report/integrated/get/",
            params=encode_query(
                {
                    "advertiser_id": emulator.account.account_id,
                    "report_type": "BASIC",
                    "data_level": "AUCTION_CAMPAIGN",
                    "dimensions": ["campaign_id", "stat_time_day"],
                    "start_date": (since - timedelta(days=40)).isoformat(),
                    "end_date": since.isoformat(),
                }
            ),
            headers={"Access-Token": credentials.access_token},
        )
        body = response.json()
        assert (body["code"], body["message"], body["data"]) == (40067, ERROR_TOO_LARGE["message"], {})

    async def test_permission_body(self, emulator: EmulatedTikTok) -> None:
        credentials = await emulator.connect()
        response = await emulator.client.get(
            f"{emulator.base_url}/open_api/v1.3/campaign/get/",
            params={"advertiser_id": emulator.forbidden_account().account_id},
            headers={"Access-Token": credentials.access_token},
        )
        body = response.json()
        assert (response.status_code, body["code"], body["data"]) == (200, ERROR_SCOPE["code"], {})
        assert body["message"].startswith("Permission error:")

    async def test_a_path_without_its_trailing_slash_is_not_found(self, emulator: EmulatedTikTok) -> None:
        credentials = await emulator.connect()
        response = await emulator.client.get(
            f"{emulator.base_url}/open_api/v1.3/campaign/get",
            params={"advertiser_id": emulator.account.account_id},
            headers={"Access-Token": credentials.access_token},
        )
        assert response.status_code == 404

    async def test_page_size_is_validated(self, emulator: EmulatedTikTok) -> None:
        credentials = await emulator.connect()
        for page_size in ("0", "1001"):
            response = await emulator.client.get(
                f"{emulator.base_url}/open_api/v1.3/campaign/get/",
                params={"advertiser_id": emulator.account.account_id, "page_size": page_size},
                headers={"Access-Token": credentials.access_token},
            )
            assert response.json()["code"] == 40002


# === the emulator and the world: ground truth, writes, tokens, quota ==============================================


class TestGroundTruth:
    """The adapter's numbers are the simulation's, to the micro, up to today's partial hour (frozen clock)."""

    @pytest.mark.parametrize("level", list(EntityLevel))
    async def test_daily_metrics_equal_the_simulation_over_two_windows(self, level: EntityLevel) -> None:
        backend = private_emulator(frozen_state(tiktok_requests_per_second=1e5), report_range=(44, 0))
        credentials = await backend.connect()
        since, until = backend.report_range
        rows = await collect(backend.adapter, credentials, backend.account, level, since, until)
        assert as_tuples(rows) == backend.expected_daily(level, since, until)
        assert any(row.day == backend.today for row in rows), "today's partial numbers are read too"
        # The windows are asked for at once: which request leaves first is the scheduler's business.
        assert sorted(backend.log.report_windows()) == [
            (since.isoformat(), (since + timedelta(days=29)).isoformat()),
            ((since + timedelta(days=30)).isoformat(), until.isoformat()),
        ]
        assert {row.currency for row in rows} == {backend.currency}
        await backend.client.aclose()

    async def test_late_conversions_are_restated_on_the_next_read(self) -> None:
        state = frozen_state(tiktok_requests_per_second=1e5)
        backend = private_emulator(state, report_range=(6, 1))
        credentials = await backend.connect()
        since, until = backend.report_range
        first = await collect(backend.adapter, credentials, backend.account, EntityLevel.campaign, since, until)
        state.clock.advance(3 * 24 * 3600)
        again = await collect(backend.adapter, credentials, backend.account, EntityLevel.campaign, since, until)
        assert as_tuples(again) == backend.expected_daily(EntityLevel.campaign, since, until)
        assert sum(row.conversions for row in again) > sum(row.conversions for row in first)
        assert [(r.entity_platform_id, r.day, r.spend_micros) for r in again] == [
            (r.entity_platform_id, r.day, r.spend_micros) for r in first
        ]
        await backend.client.aclose()


class TestEmulatorTruth:
    async def test_every_account_of_the_login_reads_in_its_own_currency(self, emulator: EmulatedTikTok) -> None:
        credentials = await emulator.connect()
        for account in await emulator.adapter.list_ad_accounts(credentials):
            since, until = emulator.report_range
            rows = await collect(
                emulator.adapter, credentials, AdAccountRef(account.account_id), EntityLevel.campaign, since, until
            )
            assert rows
            assert {row.currency for row in rows} == {account.currency}

    async def test_deleting_a_campaign_is_final_and_takes_its_children(self, emulator: EmulatedTikTok) -> None:
        credentials = await emulator.connect()
        world = emulator.state.world
        campaign = world.create_entity(
            Platform.tiktok,
            emulator.account.account_id,
            EntityLevel.campaign,
            name="Contract test — to delete",
            parent_id=None,
            status=EntityStatus.paused,
            objective="traffic",
            daily_budget_micros=50_000_000,
        )
        adgroup = world.create_entity(
            Platform.tiktok,
            emulator.account.account_id,
            EntityLevel.ad_group,
            name="Contract test ad group",
            parent_id=campaign.id,
            status=EntityStatus.active,
            objective="traffic",
        )
        ref = EntityRef(emulator.account, EntityLevel.campaign, campaign.id)
        await emulator.adapter.set_status(credentials, ref, EntityStatus.removed)
        assert emulator.status_of(ref) is EntityStatus.removed
        removed_child = world.entity(Platform.tiktok, adgroup.id)
        assert removed_child is not None
        assert removed_child.status is EntityStatus.removed
        listed = {e.platform_id: e.status for e in await emulator.adapter.list_entities(credentials, emulator.account)}
        assert listed[campaign.id] is listed[adgroup.id] is EntityStatus.removed
        with pytest.raises(PlatformRejected) as raised:
            await emulator.adapter.set_status(credentials, ref, EntityStatus.active)
        assert raised.value.platform_code == "40002"
        # Deleting again is a no-op, so a retried DELETE cannot fail.
        await emulator.adapter.set_status(credentials, ref, EntityStatus.removed)

    async def test_an_ad_group_budget(self, emulator: EmulatedTikTok) -> None:
        credentials = await emulator.connect()
        world = emulator.state.world
        campaign = world.create_entity(
            Platform.tiktok,
            emulator.account.account_id,
            EntityLevel.campaign,
            name="Contract test — ad group budgets",
            parent_id=None,
            status=EntityStatus.paused,
            objective="sales",
        )
        adgroup = world.create_entity(
            Platform.tiktok,
            emulator.account.account_id,
            EntityLevel.ad_group,
            name="Contract test ad group with a budget",
            parent_id=campaign.id,
            status=EntityStatus.paused,
            objective="sales",
            daily_budget_micros=30_000_000,
        )
        currency = emulator.account_record.currency  # type: ignore[union-attr]
        ref = EntityRef(emulator.account, EntityLevel.ad_group, adgroup.id)
        await emulator.adapter.set_daily_budget(credentials, ref, Money(42_500_000, currency))
        assert emulator.daily_budget_of(ref) == 42_500_000
        # A campaign without a budget (the ad groups carry them) cannot be given a daily one.
        with pytest.raises(PlatformRejected):
            await emulator.adapter.set_daily_budget(
                credentials, EntityRef(emulator.account, EntityLevel.campaign, campaign.id), Money(1_000_000, currency)
            )
        with pytest.raises(PlatformRejected):
            await emulator.adapter.set_daily_budget(
                credentials, EntityRef(emulator.account, EntityLevel.ad, "1"), Money(1_000_000, currency)
            )

    async def test_creating_a_campaign_is_idempotent_on_request_id(self, emulator: EmulatedTikTok) -> None:
        credentials = await emulator.connect()
        body = {
            "advertiser_id": emulator.account.account_id,
            "campaign_name": "Contract test — Spring Sale",
            "objective_type": "TRAFFIC",
            "budget_mode": "BUDGET_MODE_DAY",
            "budget": 50.0,
            "operation_status": "DISABLE",
            "request_id": str(random.randrange(10**11, 10**12)),
        }
        url = f"{emulator.base_url}/open_api/v1.3/campaign/create/"
        headers = {"Access-Token": credentials.access_token}
        first = (await emulator.client.post(url, json=body, headers=headers)).json()
        second = (await emulator.client.post(url, json=body, headers=headers)).json()
        assert first["code"] == 0
        assert first["data"]["campaign_id"] == second["data"]["campaign_id"]
        created = emulator.state.world.entity(Platform.tiktok, first["data"]["campaign_id"])
        assert created is not None
        assert (created.status, created.daily_budget_micros, created.objective) == (
            EntityStatus.paused,
            50_000_000,
            "traffic",
        )
        bad = (await emulator.client.post(url, json={**body, "request_id": None, "budget": 0}, headers=headers)).json()
        assert bad["code"] == 40002

    async def test_consent_denied_sends_the_person_back_without_a_code(self, emulator: EmulatedTikTok) -> None:
        callback = httpx.URL((await emulator.consent("deny")).headers["location"])
        assert "auth_code" not in callback.params
        assert callback.params["error"] == "access_denied"
        assert callback.params["state"] == "state-123"

    async def test_an_auth_code_works_once(self, emulator: EmulatedTikTok) -> None:
        callback = httpx.URL((await emulator.consent()).headers["location"])
        code = callback.params["auth_code"]
        await emulator.adapter.exchange_code(code, redirect_uri=REDIRECT_URI, code_verifier=None)
        with pytest.raises(PlatformRejected) as raised:
            await emulator.adapter.exchange_code(code, redirect_uri=REDIRECT_URI, code_verifier=None)
        assert raised.value.platform_code == "40110"

    async def test_revoking_ends_the_grant(self, emulator: EmulatedTikTok) -> None:
        credentials = await emulator.connect()
        await emulator.adapter.revoke(credentials)
        with pytest.raises(PlatformAuthError) as raised:
            await emulator.adapter.list_ad_accounts(credentials)
        assert raised.value.refreshable is False
        # Revoking what is already revoked is not an error.
        await emulator.adapter.revoke(credentials)

    async def test_refresh_rotates_both_tokens(self, emulator: EmulatedTikTok) -> None:
        emulator.state.config.tiktok_token_mode = "rotating"
        credentials = await emulator.connect()
        assert credentials.refresh_token is not None
        assert credentials.expires_at is not None
        assert credentials.refresh_token_expires_at is not None
        assert credentials.subject == emulator.login.login_id
        rotated = await emulator.adapter.refresh(credentials)
        assert rotated.access_token != credentials.access_token
        assert rotated.refresh_token not in (None, credentials.refresh_token)
        assert rotated.expires_at is not None
        assert rotated.expires_at >= credentials.expires_at
        (request,) = emulator.log.to("tt_user/oauth2/refresh_token/")
        assert request.body is not None
        assert set(request.body) == {"client_id", "client_secret", "grant_type", "refresh_token"}
        assert request.body["grant_type"] == "refresh_token"
        # The refresh token just used is spent; the new one works.
        with pytest.raises(PlatformAuthError) as raised:
            await emulator.adapter.refresh(credentials)
        assert raised.value.refreshable is False
        assert await emulator.adapter.list_ad_accounts(rotated)
        assert (await emulator.adapter.refresh(rotated)).refresh_token != rotated.refresh_token

    async def test_an_expired_rotating_token_is_refreshable(self, emulator: EmulatedTikTok) -> None:
        emulator.state.config.tiktok_token_mode = "rotating"
        credentials = await emulator.connect()
        emulator.inject(FaultKind.expire_token)
        with pytest.raises(PlatformAuthError) as raised:
            await emulator.adapter.list_entities(credentials, emulator.account)
        assert (raised.value.platform_code, raised.value.refreshable) == ("40102", True)
        fresh = await emulator.adapter.refresh(credentials)
        assert await emulator.adapter.list_entities(fresh, emulator.account)


class TestPrivateSandbox:
    """Tests that move the sandbox clock or throttle the emulator run on a sandbox of their own."""

    async def test_a_rotating_access_token_expires_after_a_day(self) -> None:
        state = SandboxState.demo(config=SandboxConfig(tiktok_token_mode="rotating", tiktok_requests_per_second=1e5))
        backend = private_emulator(state)
        credentials = await backend.connect()
        state.clock.advance(24 * 3600 + 1)
        with pytest.raises(PlatformAuthError) as raised:
            await backend.adapter.list_ad_accounts(credentials)
        assert (raised.value.platform_code, raised.value.refreshable) == ("40102", True)
        fresh = await backend.adapter.refresh(credentials)
        assert await backend.adapter.list_ad_accounts(fresh)
        await backend.client.aclose()

    async def test_an_auth_code_expires_after_an_hour(self) -> None:
        state = SandboxState.demo(config=SandboxConfig(tiktok_requests_per_second=1e5))
        backend = private_emulator(state)
        code = httpx.URL((await backend.consent()).headers["location"]).params["auth_code"]
        state.clock.advance(3601)
        with pytest.raises(PlatformRejected):
            await backend.adapter.exchange_code(code, redirect_uri=REDIRECT_URI, code_verifier=None)
        await backend.client.aclose()

    async def test_the_emulator_enforces_its_qps_and_the_adapter_recovers(self) -> None:
        state = SandboxState.demo(config=SandboxConfig(tiktok_requests_per_second=5))
        backend = private_emulator(state)
        state.quota = QuotaGate(now=backend.fake.clock)  # the emulator counts on the test's clock
        credentials = await backend.connect()
        since, until = backend.report_range
        backend.narrow_reports(3)  # many requests: 30 days in windows of at most 3 days
        rows = await collect(backend.adapter, credentials, backend.account, EntityLevel.campaign, since, until)
        assert as_tuples(rows) == backend.expected_daily(EntityLevel.campaign, since, until)
        assert backend.log.codes.count(40100) > 0  # the adapter (1000/s configured) was too fast, and recovered

    async def test_just_under_the_allowed_rate_the_emulator_never_throttles(self) -> None:
        # 2% under the emulator's 5/s: exactly at the rate, request k and k+5 are exactly one window apart and
        # whether the platform counts both is a matter of rounding; a client keeps a margin.
        state = SandboxState.demo(config=SandboxConfig(tiktok_requests_per_second=5))
        backend = private_emulator(state, app_rate=Rate(4.9))
        state.quota = QuotaGate(now=backend.fake.clock)
        credentials = await backend.connect()
        since, until = backend.report_range
        backend.narrow_reports(3)
        await collect(backend.adapter, credentials, backend.account, EntityLevel.campaign, since, until)
        assert backend.log.codes.count(40100) == 0
        api_calls = len([request for request in backend.log.requests if request.api])
        assert api_calls > 20
        # And close to the allowed rate: the sync took about as long as its requests need at 5/s.
        assert backend.fake.now <= api_calls / 5 * 1.05
        await backend.client.aclose()


# === how the adapter reads TikTok's answers =======================================================================


def envelope_response(body: dict[str, Any], status: int = 200) -> httpx.Response:
    return httpx.Response(status, json=body)


class TestClassify:
    def test_success(self) -> None:
        assert classify(envelope_response(RECORDED_CAMPAIGNS)) is None

    def test_qps_limit_is_the_apps_and_waits_a_second(self) -> None:
        error = classify(envelope_response(ERROR_QPS))
        assert isinstance(error, PlatformRateLimited)
        assert (error.scope, error.retry_after, error.platform_code) == ("app", 1.0, "40100")

    def test_advertiser_qps_limit_is_the_accounts(self) -> None:
        error = classify(envelope_response(ERROR_ADVERTISER_QPS))
        assert isinstance(error, PlatformRateLimited)
        assert error.scope == "account"

    def test_revoked_token_needs_a_reconnect(self) -> None:
        error = classify(envelope_response(ERROR_REVOKED), has_refresh_token=True)
        assert isinstance(error, PlatformAuthError)
        assert error.refreshable is False

    @pytest.mark.parametrize("has_refresh_token", [True, False])
    def test_expired_token_is_refreshable_only_with_a_refresh_token(self, has_refresh_token: bool) -> None:
        body = {"code": 40102, "message": "Access token has expired.", "data": {}}
        error = classify(envelope_response(body), has_refresh_token=has_refresh_token)
        assert isinstance(error, PlatformAuthError)
        assert error.refreshable is has_refresh_token

    def test_missing_scope_needs_a_reconnect(self) -> None:
        error = classify(envelope_response(ERROR_SCOPE))
        assert isinstance(error, PlatformAuthError)
        assert error.refreshable is False

    @pytest.mark.parametrize("body", [ERROR_TOO_LARGE, ERROR_TOO_LARGE_WITH_ID])
    def test_too_large_is_its_own_signal(self, body: dict[str, Any]) -> None:
        error = classify(envelope_response(body))
        assert isinstance(error, QueryTooLarge)
        assert error.request_id == body.get("request_id")

    @pytest.mark.parametrize("code", [50000, 51002, 51004])
    def test_transient_codes_are_retried(self, code: int) -> None:
        assert isinstance(classify(envelope_response({**ERROR_SYSTEM, "code": code})), PlatformUnavailable)

    def test_http_5xx_is_transient(self) -> None:
        assert isinstance(classify(httpx.Response(502, text="<html>Bad Gateway</html>")), PlatformUnavailable)

    def test_a_2xx_without_the_envelope_is_transient(self) -> None:
        assert isinstance(classify(httpx.Response(200, text="<html>maintenance</html>")), PlatformUnavailable)

    def test_other_codes_are_rejections_with_their_field(self) -> None:
        error = classify(envelope_response(ERROR_PARAMETER))
        assert isinstance(error, PlatformRejected)
        assert error.detail == "TikTok 40006: Invalid parameter"
        named = classify(envelope_response({"code": 40002, "message": "page_size: Must be between 1 and 1000."}))
        assert isinstance(named, PlatformRejected)
        assert named.field_errors == {"page_size": "Must be between 1 and 1000."}

    def test_query_parameters_are_json_strings(self) -> None:
        assert encode_query({"advertiser_ids": ["917429327"], "filtering": {"a": 1}, "page": 2, "x": None}) == {
            "advertiser_ids": '["917429327"]',
            "filtering": '{"a":1}',
            "page": "2",
        }


class TestReading:
    def test_the_recorded_hourly_row_reads_leniently(self) -> None:
        row = ReportRow.model_validate(RECORDED_HOURLY_REPORT["data"]["list"][0])
        assert row.dimension("campaign_id") == "11111111"
        assert row.decimal("spend") == Decimal("20.00")
        assert row.decimal("impressions") == 4696
        assert row.decimal("video_play_actions") == 4179  # a JSON number in the recording
        assert row.decimal("orders") == 0  # absent

    def test_not_applicable_is_zero_and_garbage_is_an_error(self) -> None:
        row = ReportRow.model_validate({"dimensions": {}, "metrics": {"orders": "-", "spend": "abc"}})
        assert row.decimal("orders") == 0
        with pytest.raises(ValueError, match="spend"):
            row.decimal("spend")

    async def test_an_advertiser_without_currency_is_refused_not_guessed(self) -> None:
        def answer(request: httpx.Request) -> httpx.Response:
            if request.url.path.endswith("oauth2/advertiser/get/"):
                return httpx.Response(200, json=RECORDED_ADVERTISERS)
            return httpx.Response(200, json=RECORDED_ADVERTISER_INFO_WITHOUT_CURRENCY)

        adapter, client = build_adapter(
            TikTokAdsConfig(app_id=APP_ID, app_secret=APP_SECRET), httpx.MockTransport(answer), FakeTime(), WireLog()
        )
        with pytest.raises(PlatformError, match="currency"):
            await adapter.list_ad_accounts(Credentials(access_token="act.x"))
        await client.aclose()

    async def test_all_pages_are_read_once_each(self) -> None:
        pages: list[int] = []

        def answer(request: httpx.Request) -> httpx.Response:
            path = request.url.path
            if path.endswith("advertiser/info/"):
                items = [{**RECORDED_ADVERTISER_INFO_ITEM, "advertiser_id": "1"}]
                return httpx.Response(200, json={"code": 0, "message": "OK", "data": {"list": items}})
            page = int(request.url.params["page"])
            pages.append(page)
            day = f"2024-09-0{page}"
            rows = [recorded_daily_row("7", day, spend="1.00", impressions="10", clicks="1")]
            info = {"total_number": 2, "page": page, "page_size": 1000, "total_page": 2}
            return httpx.Response(200, json={"code": 0, "message": "OK", "data": {"list": rows, "page_info": info}})

        adapter, client = build_adapter(
            TikTokAdsConfig(app_id=APP_ID, app_secret=APP_SECRET), httpx.MockTransport(answer), FakeTime(), WireLog()
        )
        rows = await collect(
            adapter, Credentials(access_token="act.x"), AdAccountRef("1"), EntityLevel.campaign,
            date(2024, 9, 1), date(2024, 9, 2),
        )  # fmt: skip
        assert pages == [1, 2]
        assert [(r.day, r.spend_micros, r.currency) for r in rows] == [
            (date(2024, 9, 1), 1_000_000, "USD"),
            (date(2024, 9, 2), 1_000_000, "USD"),
        ]
        await client.aclose()

    async def test_a_single_day_still_too_large_is_transient(self) -> None:
        def answer(request: httpx.Request) -> httpx.Response:
            if request.url.path.endswith("advertiser/info/"):
                items = [{**RECORDED_ADVERTISER_INFO_ITEM, "advertiser_id": "1"}]
                return httpx.Response(200, json={"code": 0, "message": "OK", "data": {"list": items}})
            return httpx.Response(200, json=ERROR_TOO_LARGE_WITH_ID)

        log = WireLog()
        adapter, client = build_adapter(
            TikTokAdsConfig(app_id=APP_ID, app_secret=APP_SECRET), httpx.MockTransport(answer), FakeTime(), log
        )
        with pytest.raises(PlatformUnavailable, match="one day"):
            await collect(
                adapter, Credentials(access_token="act.x"), AdAccountRef("1"), EntityLevel.campaign,
                date(2024, 9, 1), date(2024, 9, 2),
            )  # fmt: skip
        # As in Airbyte's recording: 2 days rejected, then the first day rejected too.
        assert log.report_windows() == [("2024-09-01", "2024-09-02"), ("2024-09-01", "2024-09-01")]
        await client.aclose()

    async def test_the_authorization_url(self) -> None:
        adapter, client = build_adapter(
            TikTokAdsConfig(app_id=APP_ID, app_secret=APP_SECRET), None, FakeTime(), WireLog()
        )
        url = httpx.URL(adapter.authorization_url(redirect_uri=REDIRECT_URI, state="s t", code_challenge="ignored"))
        assert str(url).startswith("https://business-api.tiktok.com/portal/auth?")
        assert dict(url.params) == {"app_id": APP_ID, "state": "s t", "redirect_uri": REDIRECT_URI}
        assert parse_qs(url.query.decode())["redirect_uri"] == [REDIRECT_URI]
        await client.aclose()


# === where report rows sit, hourly pacing, deleted entities =======================================================


def _sums(rows: list[Any]) -> dict[str, list[Any]]:
    summed: dict[str, list[Any]] = {}
    for r in rows:
        key = getattr(r, "campaign_platform_id", None) or r.entity_platform_id
        into = summed.setdefault(key, [0, 0, 0, Decimal(0), 0])
        for i, value in enumerate((r.impressions, r.clicks, r.spend_micros, r.conversions, r.conversion_value_micros)):
            into[i] += value
    return summed


class TestPlacementAndHours:
    @pytest.mark.parametrize("level", list(EntityLevel))
    async def test_daily_rows_name_their_entity_campaign_and_parent(
        self, emulator: EmulatedTikTok, level: EntityLevel
    ) -> None:
        credentials = await emulator.connect()
        since, until = emulator.report_range
        rows = await collect(emulator.adapter, credentials, emulator.account, level, since, until)
        assert rows
        assert placements(rows) == emulator.expected_placements(level, since, until)
        request = emulator.log.to("report/integrated/get/")[0]
        attributes = {
            EntityLevel.campaign: ["campaign_name"],
            EntityLevel.ad_group: ["adgroup_name", "campaign_id"],
            EntityLevel.ad: ["ad_name", "adgroup_id", "campaign_id"],
        }[level]
        assert json.loads(request.params["metrics"])[-len(attributes) :] == attributes

    async def test_the_recorded_hourly_report_is_read(self) -> None:
        backend = RecordedTikTok()
        credentials = await backend.connect()
        rows = await collect_hourly(backend.adapter, credentials, backend.account, date(2024, 1, 1))
        assert hourly_tuples(rows) == [("11111111", date(2024, 1, 1), 10, 4696, 51, 20_000_000, Decimal(0), 0)]
        assert rows[0].currency == "USD"
        (request,) = backend.log.to("report/integrated/get/")
        assert json.loads(request.params["dimensions"]) == ["campaign_id", "stat_time_hour"]
        assert request.params["start_date"] == request.params["end_date"] == "2024-01-01"
        assert request.params["data_level"] == "AUCTION_CAMPAIGN"
        await backend.client.aclose()

    async def test_hourly_rows_are_the_simulation_hour_by_hour(self, emulator: EmulatedTikTok) -> None:
        credentials = await emulator.connect()
        day = emulator.report_range[1]
        rows = await collect_hourly(emulator.adapter, credentials, emulator.account, day)
        assert hourly_tuples(rows) == emulator.expected_hourly(day)
        assert len(rows) > 24 and {r.currency for r in rows} == {emulator.currency}
        daily = await collect(emulator.adapter, credentials, emulator.account, EntityLevel.campaign, day, day)
        assert _sums(rows) == _sums(daily)

    async def test_today_has_hours_up_to_the_current_one(self) -> None:
        state = frozen_state(tiktok_requests_per_second=1e5)
        backend = private_emulator(state)
        credentials = await backend.connect()
        assert backend.account_record is not None
        zone = ZoneInfo(backend.account_record.time_zone)
        today = backend.today
        first = await collect_hourly(backend.adapter, credentials, backend.account, today)
        assert first and hourly_tuples(first) == backend.expected_hourly(today)
        assert max(r.hour for r in first) == state.clock.now().astimezone(zone).hour
        state.clock.advance(90 * 60)
        later = await collect_hourly(backend.adapter, credentials, backend.account, today)
        assert hourly_tuples(later) == backend.expected_hourly(today)
        assert sum(r.spend_micros for r in later) > sum(r.spend_micros for r in first)
        assert await collect_hourly(backend.adapter, credentials, backend.account, today + timedelta(days=2)) == []
        await backend.client.aclose()

    async def test_a_deleted_campaign_is_still_named_in_its_reports(self) -> None:
        state = frozen_state(tiktok_requests_per_second=1e5)
        backend = private_emulator(state)
        credentials = await backend.connect()
        yesterday = backend.today - timedelta(days=1)
        campaign = EntityLevel.campaign
        before = await collect(backend.adapter, credentials, backend.account, campaign, yesterday, yesterday)
        target = before[0]
        assert target.entity_name and target.parent_platform_id is None
        ref = EntityRef(backend.account, EntityLevel.campaign, target.entity_platform_id)
        await backend.adapter.set_status(credentials, ref, EntityStatus.removed)
        listed = await backend.adapter.list_entities(credentials, backend.account)
        assert {e.platform_id: e.status for e in listed}[target.entity_platform_id] is EntityStatus.removed
        after = await collect(backend.adapter, credentials, backend.account, campaign, yesterday, yesterday)
        (again,) = [r for r in after if r.entity_platform_id == target.entity_platform_id]
        assert (again.entity_name, again.campaign_platform_id, again.spend_micros) == (
            target.entity_name,
            target.entity_platform_id,
            target.spend_micros,
        )
        groups = await collect(
            backend.adapter, credentials, backend.account, EntityLevel.ad_group, yesterday, yesterday
        )
        own = [r for r in groups if r.campaign_platform_id == target.entity_platform_id]
        assert own and all(r.parent_platform_id == target.entity_platform_id and r.entity_name for r in own)
        hours = await collect_hourly(backend.adapter, credentials, backend.account, yesterday)
        assert _sums(hours)[target.entity_platform_id][2] == target.spend_micros
        await backend.client.aclose()


class TestReadingPlacement:
    async def rows(self, level: EntityLevel, report_rows: list[dict[str, Any]]) -> list[Any]:
        def answer(request: httpx.Request) -> httpx.Response:
            if request.url.path.endswith("advertiser/info/"):
                items = [{**RECORDED_ADVERTISER_INFO_ITEM, "advertiser_id": "1"}]
                return httpx.Response(200, json={"code": 0, "message": "OK", "data": {"list": items}})
            info = {"total_number": len(report_rows), "page": 1, "page_size": 1000, "total_page": 1}
            return httpx.Response(
                200, json={"code": 0, "message": "OK", "data": {"list": report_rows, "page_info": info}}
            )

        adapter, client = build_adapter(
            TikTokAdsConfig(app_id=APP_ID, app_secret=APP_SECRET), httpx.MockTransport(answer), FakeTime(), WireLog()
        )
        day = date(2024, 9, 3)
        rows = await collect(adapter, Credentials(access_token="act.x"), AdAccountRef("1"), level, day, day)
        await client.aclose()
        return rows

    async def test_the_recorded_rows_without_attributes_still_place_the_campaign(self) -> None:
        rows = await self.rows(EntityLevel.campaign, RECORDED_DAILY_ROWS[:2])
        assert [(r.entity_platform_id, r.campaign_platform_id, r.parent_platform_id, r.entity_name) for r in rows] == [
            ("1800000000000001", "1800000000000001", None, None),
            ("1800000000000002", "1800000000000002", None, None),
        ]

    async def test_attribute_metrics_place_an_ad_and_not_applicable_is_none(self) -> None:
        row = {
            "dimensions": {"ad_id": "9001", "stat_time_day": "2024-09-03 00:00:00"},
            "metrics": {"spend": "1.00", "ad_name": "Spring video", "adgroup_id": 8001, "campaign_id": "7001"},
        }
        blank = {
            "dimensions": {"ad_id": "9002", "stat_time_day": "2024-09-03 00:00:00"},
            "metrics": {"spend": "2.00", "ad_name": "-", "adgroup_id": "-", "campaign_id": ""},
        }
        rows = await self.rows(EntityLevel.ad, [row, blank])
        assert [(r.entity_platform_id, r.campaign_platform_id, r.parent_platform_id, r.entity_name) for r in rows] == [
            ("9001", "7001", "8001", "Spring video"),
            ("9002", None, None, None),
        ]
