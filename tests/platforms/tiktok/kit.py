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
import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import httpx

from adpilot.platforms.config import Rate, TikTokAdsConfig
from adpilot.platforms.tiktok import TikTokAdsAdapter
from adpilot.platforms.types import AdAccountRef, Credentials, EntityLevel, EntityRef, EntityStatus, Platform
from adpilot.sandbox.engine import SandboxLogin
from adpilot.sandbox.faults import FaultKind
from adpilot.sandbox.state import SandboxState
from adpilot.sandbox.tiktok import create_tiktok_emulator
from tests.platforms.contract_kit import (
    ContractBackend,
    FakeTime,
    WorldBackend,
    fake_time_http,
    in_process,
    logged_client,
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


def private_emulator(state: SandboxState, **options: Any) -> EmulatedTikTok:
    """An emulator on a sandbox of its own (in-process ASGI), for tests that freeze or move its clock or throttle it:
    the shared server's clock follows the wall clock and its quota real time."""
    return EmulatedTikTok(state, *in_process(Platform.tiktok, create_tiktok_emulator(state)), **options)
