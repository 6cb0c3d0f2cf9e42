"""The Meta adapter's contract: one suite, run against the sandbox emulator over real HTTP and against the recorded
real responses of ``../shared/reference/platform-apis.md`` §B (served by ``httpx.MockTransport``).

Both backends must give the same answers to the same questions: what the adapter sends (Graph paths under the API
version, the bearer header and never a token in a URL, form posts, JSON-string parameters), how it reads what comes
back (string numbers, minor-unit budgets, cursor paging, ``actions``/``action_values``, async report runs), and how it
lives through Meta's errors (190/463 and 190/458 tokens, 100/33 objects, 17 and 80000 throttling with
``estimated_time_to_regain_access`` in minutes, transient code 2, "reduce the amount of data"). The emulator's
answers are also compared with the recorded bodies key by key, and its numbers with the simulation's ground truth.

Waiting is fake unless a test says otherwise: the pipeline and the limiter share one clock that moves only when
someone sleeps.
"""

from __future__ import annotations

import asyncio
import json
import random
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs

import httpx

from adpilot.core.time import utcnow
from adpilot.platforms.config import MetaAdsConfig, Rate
from adpilot.platforms.http import PlatformHttp
from adpilot.platforms.meta import MetaAdsAdapter, currency_offset
from adpilot.platforms.ratelimit import MemoryRateLimiter
from adpilot.platforms.types import AdAccountRef, Credentials, EntityLevel, EntityRef, EntityStatus, Platform
from adpilot.sandbox.clock import SandboxClock
from adpilot.sandbox.engine import SandboxLogin, SimAccount
from adpilot.sandbox.faults import Fault, FaultKind
from adpilot.sandbox.meta import MetaEmulatorOptions, create_meta_emulator, emulator_options
from adpilot.sandbox.state import SandboxConfig, SandboxState
from tests.platforms.contract_kit import ContractBackend, FakeTime, Row, WorldBackend, in_process, logged_client

VERSION = "v23.0"
REDIRECT_URI = "http://app.test/connections/callback/meta"

# --- recorded real responses (reference §B; sources in the comments) ---------------------------------------------

# §B.2 long-lived exchange (developers.facebook.com/docs/facebook-login/guides/access-tokens/get-long-lived).
RECORDED_LONG_LIVED: dict[str, Any] = {
    "access_token": "{long-lived-user-access-token}",
    "token_type": "bearer",
    "expires_in": 5183944,
}
# §B.2 code exchange: the documented shape (the doc leaves expires_in as "<seconds>"; short tokens live ~1-2 h).
RECORDED_SHORT_LIVED: dict[str, Any] = {"access_token": "{access-token}", "token_type": "bearer", "expires_in": 7200}
# §B.3 /me/adaccounts (AdAccount schema example).
RECORDED_ADACCOUNTS: dict[str, Any] = {
    "data": [
        {
            "id": "act_798085168510957",
            "account_id": "798085168510957",
            "name": "Porsche Riverside",
            "currency": "USD",
            "timezone_name": "America/Los_Angeles",
            "account_status": 1,
        }
    ],
    "paging": {"cursors": {"before": "MAZDZD", "after": "MAZDZD"}},
}
RECORDED_ACCOUNT_ID = "798085168510957"
# §B.4 airbytehq/airbyte source-facebook-marketing unit_tests/resource/http/response/campaigns.json: ARCHIVED.
RECORDED_CAMPAIGN: dict[str, Any] = {
    "id": "0000000000000000",
    "account_id": "111111111111111",
    "buying_type": "AUCTION",
    "created_time": "2024-03-12T15:02:47-0700",
    "configured_status": "ACTIVE",
    "effective_status": "ACTIVE",
    "name": "New Test Campaign",
    "objective": "OUTCOME_AWARENESS",
    "special_ad_category": "NONE",
    "start_time": "2024-03-12T15:02:47-0700",
    "status": "ARCHIVED",
    "updated_time": "2024-03-12T15:02:47-0700",
}
# The same campaign live with a campaign budget, as §B.4 says budgets come back ("daily_budget": "5000").
RECORDED_CAMPAIGN_LIVE: dict[str, Any] = {
    **RECORDED_CAMPAIGN,
    "id": "23854404676180548",
    "status": "ACTIVE",
    "daily_budget": "5000",
}
# §B.5 airbyte …/resource/http/response/ads_insights_action_product_id.json (trimmed in the reference).
RECORDED_INSIGHTS: dict[str, Any] = {
    "data": [
        {
            "account_currency": "USD",
            "account_id": "798085168510957",
            "account_name": "Porsche Riverside",
            "actions": [
                {
                    "action_type": "page_engagement",
                    "value": "10",
                    "1d_click": "10",
                    "7d_click": "10",
                    "28d_click": "10",
                },
                {
                    "action_type": "post_engagement",
                    "value": "10",
                    "1d_click": "10",
                    "7d_click": "10",
                    "28d_click": "10",
                },
            ],
            "ad_id": "23854695759200548",
            "adset_id": "23854404706320548",
            "campaign_id": "23854404676180548",
            "campaign_name": "zzzzzNew - AIA - Advertised Offers",
            "clicks": "9",
            "cost_per_action_type": [
                {
                    "action_type": "link_click",
                    "value": "1.594444",
                    "1d_click": "1.594444",
                    "7d_click": "1.594444",
                    "28d_click": "1.594444",
                }
            ],
            "cpc": "1.594444",
            "cpm": "77.567568",
            "ctr": "4.864865",
            "date_start": "2023-06-01",
            "date_stop": "2023-06-01",
            "impressions": "185",
            "inline_link_clicks": "9",
            "objective": "PRODUCT_CATALOG_SALES",
            "optimization_goal": "OFFSITE_CONVERSIONS",
            "outbound_clicks": [{"action_type": "outbound_click", "value": "9"}],
            "spend": "14.35",
        }
    ],
    "paging": {"cursors": {"before": "MAZDZD", "after": "NzIZD"}},
}
RECORDED_DAY = date(2023, 6, 1)
# §B.5 async: airbyte unit_tests/test_async_job.py, the recorded AdReportRun.
RECORDED_REPORT_RUN: dict[str, Any] = {
    "id": "1128003977936306",
    "account_id": "212551616838260",
    "time_ref": 1642989751,
    "time_completed": 1642989754,
    "async_status": "Job Completed",
    "async_percent_completion": 100,
    "date_start": "2021-02-24",
    "date_stop": "2021-02-24",
}
RECORDED_REPORT_RUN_RUNNING: dict[str, Any] = {
    key: value for key, value in RECORDED_REPORT_RUN.items() if key != "time_completed"
} | {
    "async_status": "Job Running",
    "async_percent_completion": 50,
}
# §B.6 real error bodies collected by Airbyte (unit_tests/test_errors.py "TestRealErrors") and a real SDK log.
ERROR_EXPIRED: dict[str, Any] = {
    "error": {
        "message": "Error validating access token: Session has expired on Friday, 18-Aug",
        "type": "OAuthException",
        "code": 190,
        "error_subcode": 463,
    }
}
ERROR_NOT_AUTHORIZED: dict[str, Any] = {
    "error": {
        "message": "Error validating access token: The user has not authorized application 2586347315015828.",
        "type": "OAuthException",
        "code": 190,
        "error_subcode": 458,
        "fbtrace_id": "A3pz5DCfhBg3mGCS6Z9z9zY",
    }
}
ERROR_MISSING_PERMISSIONS: dict[str, Any] = {
    "error": {"message": "(#100) Missing permissions", "type": "OAuthException", "code": 100}
}
ERROR_UNKNOWN_OBJECT: dict[str, Any] = {
    "error": {
        "message": "Unsupported get request. Object with ID 'xxx' does not exist, cannot be loaded due to missing "
        "permissions, or does not support this operation. Please read the Graph API documentation at "
        "https://developers.facebook.com/docs/graph-api",
        "type": "GraphMethodException",
        "code": 100,
        "error_subcode": 33,
        "fbtrace_id": "A7qVRrTcBm8Pt6iUvnBrxwf",
    }
}
ERROR_ACCOUNT_LIMIT: dict[str, Any] = {
    "error": {
        "message": "(#80000) There have been too many calls from this ad-account. Wait a bit and try again. For more "
        "info, please refer to https://developers.facebook.com/docs/graph-api/overview/rate-limiting.",
        "type": "OAuthException",
        "code": 80000,
        "error_subcode": 2446079,
        "fbtrace_id": "...",
    }
}
ERROR_TRANSIENT: dict[str, Any] = {
    "error": {
        "message": "(#2) Service temporarily unavailable",
        "type": "OAuthException",
        "is_transient": True,
        "code": 2,
        "fbtrace_id": "AnUyGZoFqN2m50GHVpOQEqr",
    }
}
ERROR_REDUCE_DATA: dict[str, Any] = {
    "error": {"message": "Please reduce the amount of data you're asking for, then retry your request", "code": 1}
}
ERROR_USER_LIMIT: dict[str, Any] = {
    "error": {
        "message": "(#17) User request limit reached",
        "type": "OAuthException",
        "is_transient": True,
        "code": 17,
        "error_subcode": 2446079,
        "fbtrace_id": "AbCdEf",
    }
}
# §B.6 usage headers as Meta sends them.
RECORDED_USAGE_HEADERS: dict[str, str] = {
    "X-App-Usage": '{"call_count":28,"total_time":25,"total_cputime":25}',
    "X-Ad-Account-Usage": '{"acc_id_util_pct":9.67,"reset_time_duration":100,"ads_api_access_tier":"standard_access"}',
    "X-Business-Use-Case-Usage": '{"66782684":[{"type":"ads_management","call_count":95,"total_cputime":20,'
    '"total_time":20,"estimated_time_to_regain_access":0,"ads_api_access_tier":"development_access"}]}',
    "x-fb-ads-insights-throttle": '{"app_id_util_pct":0,"acc_id_util_pct":0,"ads_api_access_tier":"standard_access"}',
}


def buc_header(account_id: str, minutes: float) -> dict[str, str]:
    """An X-Business-Use-Case-Usage header announcing ``minutes`` until access is regained."""
    entry = {
        "type": "ads_insights",
        "call_count": 100,
        "total_cputime": 20,
        "total_time": 20,
        "estimated_time_to_regain_access": minutes,
        "ads_api_access_tier": "standard_access",
    }
    return {"X-Business-Use-Case-Usage": json.dumps({account_id: [entry]})}


# --- test kit -------------------------------------------------------------------------------------------------------


class RecordingLimiter(MemoryRateLimiter):
    """The in-memory limiter, remembering every block the adapter asked for (real time without a ``fake``)."""

    def __init__(self, fake: FakeTime | None) -> None:
        if fake is None:
            super().__init__()
        else:
            super().__init__(sleep=fake.sleep, clock=fake.clock)
        self.blocks: list[tuple[str, float]] = []

    async def block(self, key: str, seconds: float) -> None:
        self.blocks.append((key, seconds))
        await super().block(key, seconds)


@dataclass
class WireRequest:
    method: str
    path: str  # after /{version}/
    query: dict[str, str]
    form: dict[str, str]
    authorization: str | None


@dataclass
class WireLog:
    requests: list[WireRequest] = field(default_factory=list)

    async def on_request(self, request: httpx.Request) -> None:
        path = request.url.path
        marker = f"/{VERSION}/"
        path = path.split(marker, 1)[1] if marker in path else path
        form: dict[str, str] = {}
        if request.content and request.headers.get("content-type", "").startswith("application/x-www-form"):
            form = {key: values[0] for key, values in parse_qs(request.content.decode()).items()}
        self.requests.append(
            WireRequest(request.method, path, dict(request.url.params), form, request.headers.get("authorization"))
        )

    def to(self, path: str, method: str | None = None) -> list[WireRequest]:
        return [r for r in self.requests if r.path == path and (method is None or r.method == method)]


def build_adapter(
    config: MetaAdsConfig,
    transport: httpx.AsyncBaseTransport | None,
    fake: FakeTime,
    log: WireLog,
    *,
    real_time: bool = False,
    now: Callable[[], datetime] = utcnow,
    on_response: Callable[[httpx.Response], Awaitable[None]] | None = None,
) -> tuple[MetaAdsAdapter, httpx.AsyncClient, RecordingLimiter]:
    """An adapter on its own client; waits are ``fake``'s unless ``real_time`` (then they really happen)."""
    client = logged_client(transport, log.on_request, on_response)
    limiter = RecordingLimiter(None if real_time else fake)
    sleep = asyncio.sleep if real_time else fake.sleep
    http = PlatformHttp(limiter=limiter, client=client, sleep=sleep, rng=random.Random(5))
    adapter = MetaAdsAdapter(config, http, sleep=sleep, now=now)
    return adapter, client, limiter


# --- the two backends -------------------------------------------------------------------------------------------------


class Backend(ContractBackend):
    """What the contract needs from a Meta: an adapter pointed at it, and the answers it should give."""

    adapter: MetaAdsAdapter
    limiter: RecordingLimiter
    log: WireLog
    sync_range: tuple[date, date]
    async_range: tuple[date, date]

    def expected_accounts(self) -> list[tuple[str, str, str, str, bool]]:
        raise NotImplementedError

    def inject(self, kind: FaultKind, count: int = 1, delay_seconds: float = 0.0) -> None:
        """The next ``count`` calls about the account fail with Meta's answer for ``kind`` (a throttle announcing
        ``delay_seconds`` until access is regained)."""
        raise NotImplementedError

    def refuse_sync_reports(self) -> None:
        """Synchronous insights requests are answered "Please reduce the amount of data"."""
        raise NotImplementedError


class RecordedMeta(Backend):
    """The recorded answers, served as Graph would; faults replay the recorded error bodies."""

    name = "recorded"

    def __init__(self) -> None:
        self.fake = FakeTime()
        self.log = WireLog()
        self.account = AdAccountRef(RECORDED_ACCOUNT_ID)
        self.currency = "USD"
        self.sync_range = (date(2023, 5, 20), date(2023, 6, 10))
        self.async_range = (date(2023, 4, 1), date(2023, 6, 30))
        self.pending: list[httpx.Response] = []
        self.sync_refused = False
        self.polls = 0
        self.statuses: dict[str, str] = {}
        self.budgets: dict[str, str] = {}
        config = MetaAdsConfig(
            app_id="2586347315015828",
            app_secret="recorded-app-secret",
            account_rate=Rate(1000),
            app_rate=Rate(1000),
        )
        self.adapter, self.client, self.limiter = build_adapter(
            config, httpx.MockTransport(self.answer), self.fake, self.log
        )

    def answer(self, request: httpx.Request) -> httpx.Response:
        response = self._answer(request)
        for name, value in RECORDED_USAGE_HEADERS.items():
            response.headers.setdefault(name, value)
        return response

    def _answer(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path.removeprefix(f"/{VERSION}/")
        form = {key: values[0] for key, values in parse_qs(request.content.decode()).items()}
        if path == "oauth/access_token":
            body = RECORDED_LONG_LIVED if form.get("grant_type") == "fb_exchange_token" else RECORDED_SHORT_LIVED
            return httpx.Response(200, json=body)
        if path == "me":
            permissions = [{"permission": p, "status": "granted"} for p in ("ads_management", "ads_read")]
            return httpx.Response(200, json={"id": "10150000000000001", "permissions": {"data": permissions}})
        if path == "me/adaccounts":
            return httpx.Response(200, json=RECORDED_ADACCOUNTS)
        if path.startswith("act_forbidden"):
            return httpx.Response(400, json=ERROR_UNKNOWN_OBJECT)
        if self.pending:
            return self.pending.pop(0)
        act = f"act_{RECORDED_ACCOUNT_ID}"
        if path == act:
            return httpx.Response(200, json={"currency": "USD", "id": act})
        if path == f"{act}/campaigns":
            return httpx.Response(200, json={"data": [RECORDED_CAMPAIGN, RECORDED_CAMPAIGN_LIVE], "paging": {}})
        if path in (f"{act}/adsets", f"{act}/ads"):
            return httpx.Response(200, json={"data": [], "paging": {}})
        if path == f"{act}/insights" and request.method == "POST":
            self.polls = 0
            return httpx.Response(200, json={"report_run_id": RECORDED_REPORT_RUN["id"]})
        if path == f"{act}/insights":
            if self.sync_refused:
                return httpx.Response(500, json=ERROR_REDUCE_DATA)
            time_range = json.loads(request.url.params["time_range"])
            return self._insights(date.fromisoformat(time_range["since"]), date.fromisoformat(time_range["until"]))
        if path == RECORDED_REPORT_RUN["id"]:
            self.polls += 1
            return httpx.Response(200, json=RECORDED_REPORT_RUN if self.polls > 1 else RECORDED_REPORT_RUN_RUNNING)
        if path == f"{RECORDED_REPORT_RUN['id']}/insights":
            return self._insights(*self.async_range)
        if request.method == "POST" and path.isdigit():
            if "status" in form:
                self.statuses[path] = form["status"]
            if "daily_budget" in form:
                self.budgets[path] = form["daily_budget"]
            return httpx.Response(200, json={"success": True})
        return httpx.Response(400, json=ERROR_UNKNOWN_OBJECT)

    def _insights(self, since: date, until: date) -> httpx.Response:
        if since <= RECORDED_DAY <= until:
            return httpx.Response(200, json=RECORDED_INSIGHTS)
        return httpx.Response(200, json={"data": [], "paging": {}})

    async def connect(self) -> Credentials:
        return await self.adapter.exchange_code("AQD-recorded-code", redirect_uri=REDIRECT_URI, code_verifier=None)

    def expected_accounts(self) -> list[tuple[str, str, str, str, bool]]:
        return [("798085168510957", "Porsche Riverside", "USD", "America/Los_Angeles", True)]

    def expected_entities(self) -> list[tuple[Any, ...]]:
        # The archived campaign is listed too (asked for by effective_status), as removed.
        return [
            (EntityLevel.campaign, "0000000000000000", EntityStatus.removed, "0000000000000000", None, None),
            (EntityLevel.campaign, "23854404676180548", EntityStatus.active, "23854404676180548", None, 50_000_000),
        ]

    def expected_daily(self, level: EntityLevel, since: date, until: date) -> list[Row]:
        if not since <= RECORDED_DAY <= until:
            return []
        entity = {
            EntityLevel.campaign: "23854404676180548",
            EntityLevel.ad_group: "23854404706320548",
            EntityLevel.ad: "23854695759200548",
        }[level]
        # No purchase among the recorded actions (page/post engagement only): zero conversions, not ten.
        return [(entity, RECORDED_DAY, 185, 9, 14_350_000, Decimal(0), 0)]

    def inject(self, kind: FaultKind, count: int = 1, delay_seconds: float = 0.0) -> None:
        if kind is FaultKind.rate_limit:
            headers = buc_header(RECORDED_ACCOUNT_ID, delay_seconds / 60)
            self.pending.extend(httpx.Response(400, json=ERROR_USER_LIMIT, headers=headers) for _ in range(count))
            return
        status, body = {
            FaultKind.server_error: (500, ERROR_TRANSIENT),
            FaultKind.expire_token: (400, ERROR_EXPIRED),
            FaultKind.revoke_token: (400, ERROR_NOT_AUTHORIZED),
        }[kind]
        self.pending.extend(httpx.Response(status, json=body) for _ in range(count))

    def refuse_sync_reports(self) -> None:
        self.sync_refused = True

    def forbidden_account(self) -> AdAccountRef:
        return AdAccountRef("forbidden")

    def budgeted_campaign(self) -> EntityRef:
        return EntityRef(self.account, EntityLevel.campaign, "23854404676180548")

    def status_of(self, ref: EntityRef) -> EntityStatus:
        word = self.statuses.get(ref.platform_id, "ACTIVE")
        return {"ACTIVE": EntityStatus.active, "PAUSED": EntityStatus.paused}.get(word, EntityStatus.removed)

    def daily_budget_of(self, ref: EntityRef) -> int | None:
        budget = self.budgets.get(ref.platform_id, "5000")
        return int(budget) * 1_000_000 // currency_offset("USD")


class EmulatedMeta(WorldBackend, Backend):
    """The sandbox emulator, reached the way the product reaches it: over HTTP, at ``…/sandbox/meta``."""

    name = "emulator"
    platform = Platform.meta

    def __init__(
        self,
        state: SandboxState,
        base_url: str,
        transport: httpx.AsyncBaseTransport | None = None,
        *,
        account_index: int = 0,
    ) -> None:
        self.state = state
        self.fake = FakeTime()
        self.log = WireLog()
        self.base_url = base_url
        app_id, secret = state.config.app_credentials[Platform.meta]
        config = MetaAdsConfig(
            app_id=app_id,
            app_secret=secret,
            graph_base_url=base_url,
            dialog_base_url=base_url,
            api_version=VERSION,
            account_rate=Rate(1000),
            app_rate=Rate(1000),
        )
        self.adapter, self.client, self.limiter = build_adapter(config, transport, self.fake, self.log)
        self.login: SandboxLogin = state.world.logins(Platform.meta)[0]
        self.account = AdAccountRef(self.login.account_ids[account_index])
        record = state.world.account(Platform.meta, self.account.account_id)
        assert record is not None
        self.record: SimAccount = record
        self.currency = record.currency
        self.transport = transport
        today = state.clock.today(record.time_zone)
        # Days at least 8 days old: their late conversions have all arrived, so the truth does not move under the
        # test's feet while the sandbox clock runs.
        self.sync_range = (today - timedelta(days=24), today - timedelta(days=10))
        self.async_range = (today - timedelta(days=70), today - timedelta(days=10))

    async def consent(self, decision: str = "allow", state_value: str = "state-123") -> httpx.Response:
        """The person's round trip through the login dialog the adapter's authorization URL opens."""
        url = self.adapter.authorization_url(redirect_uri=REDIRECT_URI, state=state_value, code_challenge=None)
        page = await self.client.get(url)
        assert page.status_code == 200
        assert 'name="login_id"' in page.text
        action = re.search(r'<form method="post" action="([^"]+)"', page.text)
        assert action is not None
        hidden = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page.text))
        form = {**hidden, "login_id": self.login.login_id, "decision": decision}
        return await self.client.post(httpx.URL(url).join(action.group(1)), data=form)

    async def connect(self) -> Credentials:
        callback = httpx.URL((await self.consent()).headers["location"])
        assert callback.params["state"] == "state-123"
        assert callback.fragment == "_=_"
        return await self.adapter.exchange_code(callback.params["code"], redirect_uri=REDIRECT_URI, code_verifier=None)

    def token(self, ttl: int | None = None) -> Credentials:
        """A long-lived token minted straight from the sandbox (for tests that are not about signing in)."""
        ttl = self.state.config.meta_long_token_ttl if ttl is None else ttl
        token, expires = self.state.auth.issue_token(Platform.meta, self.login.login_id, "long_lived", ttl)
        return Credentials(access_token=token, expires_at=expires, subject=self.login.login_id)

    def expected_accounts(self) -> list[tuple[str, str, str, str, bool]]:
        accounts = [self.state.world.account(Platform.meta, account_id) for account_id in self.login.account_ids]
        return sorted((a.account_id, a.name, a.currency, a.time_zone, a.active) for a in accounts if a is not None)

    def expected_entities(self) -> list[tuple[Any, ...]]:
        expected: list[tuple[Any, ...]] = []
        removed: set[str] = set()
        for level in EntityLevel:
            for entity in self.state.world.entities(
                Platform.meta, self.account.account_id, level, include_removed=True
            ):
                # Removed ones are listed too; a removed campaign or ad set takes its children with it (Meta:
                # effective_status DELETED).
                status = entity.status
                if entity.status is EntityStatus.removed or {entity.campaign_id, entity.parent_id} & removed:
                    removed.add(entity.id)
                    status = EntityStatus.removed
                parent = None if level is EntityLevel.campaign else entity.parent_id
                expected.append((level, entity.id, status, entity.campaign_id, parent, entity.daily_budget_micros))
        return sorted(expected, key=repr)

    def inject(self, kind: FaultKind, count: int = 1, delay_seconds: float = 0.0) -> None:
        self.state.faults.add(Platform.meta, self.account.account_id, Fault(kind, count, delay_seconds))

    def refuse_sync_reports(self) -> None:
        emulator_options(self.state).max_sync_insights_rows = 0

    def forbidden_account(self) -> AdAccountRef:
        reachable = set(self.login.account_ids)
        for account in self.state.world.accounts(Platform.meta):
            if account.account_id not in reachable:
                return AdAccountRef(account.account_id)
        return AdAccountRef("1999999999999999")


def private_sandbox(*, rate: float = 100_000.0, frozen: bool = True) -> SandboxState:
    clock = SandboxClock(frozen=frozen)
    return SandboxState.demo(seed=11, clock=clock, config=SandboxConfig(meta_requests_per_second=rate))


def private_emulator(state: SandboxState, *, account_index: int = 0) -> EmulatedMeta:
    """An emulator on a sandbox of its own (ASGI), for tests that move its clock or throttle it."""
    base_url, transport = in_process(Platform.meta, create_meta_emulator(state, options=MetaEmulatorOptions()))
    return EmulatedMeta(state, base_url, transport, account_index=account_index)
