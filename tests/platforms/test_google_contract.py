"""The Google Ads adapter's contract: one suite, run against the sandbox emulator over real HTTP and against the
recorded real responses of ``../shared/reference/platform-apis.md`` §A (served by ``httpx.MockTransport``).

Both backends must give the same answers to the same questions: what the adapter sends on the wire (GAQL through
``googleAds:searchStream``, ``login-customer-id`` for a manager's client, form-encoded token grants, mutates with an
``updateMask``), how it reads what comes back (proto3 JSON: int64 as strings, doubles as numbers, ``results`` omitted
from an empty stream, ``conversionsValue`` in currency units) and how it lives through Google's errors (429
``RESOURCE_EXHAUSTED`` with ``retryDelay``, 503 bursts, expired and revoked tokens, array-wrapped 403s, query errors).
The emulator's error and stream bodies are also compared, shape for shape, with the recorded ones, so the stand-in
cannot drift from the real thing unnoticed.

Waiting is fake: the pipeline, the limiter and (where a test needs it) the emulator's quota share one clock that moves
only when someone sleeps.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qs
from zoneinfo import ZoneInfo

import httpx
import pytest
from fastapi import FastAPI

from adpilot.platforms.config import GoogleAdsConfig, Rate
from adpilot.platforms.errors import (
    PlatformAuthError,
    PlatformError,
    PlatformRateLimited,
    PlatformRejected,
    PlatformUnavailable,
)
from adpilot.platforms.google import GoogleAdsAdapter, classify, classify_token
from adpilot.platforms.google.client import GoogleAdsClient
from adpilot.platforms.google.payloads import SEARCH_STREAM
from adpilot.platforms.http import PlatformHttp
from adpilot.platforms.port import AdPlatformAdapter
from adpilot.platforms.types import (
    AdAccountRef,
    Credentials,
    EntityLevel,
    EntityRef,
    EntityStatus,
    Money,
    Platform,
)
from adpilot.sandbox.auth import pkce_challenge
from adpilot.sandbox.engine import SandboxLogin, SimAccount
from adpilot.sandbox.faults import FaultKind
from adpilot.sandbox.google import create_google_emulator
from adpilot.sandbox.google import reports as emulator_module
from adpilot.sandbox.quota import QuotaGate
from adpilot.sandbox.state import SandboxConfig, SandboxState
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

# --- recorded real responses (reference §A; sources in the comments) -----------------------------------------------

# §A.2, token exchange (Google's web-server OAuth documentation sample).
RECORDED_TOKEN = {
    "access_token": "1/fFAGRNJru1FTz70BzhT3Zg",
    "expires_in": 3920,
    "token_type": "Bearer",
    "scope": "https://www.googleapis.com/auth/adwords",
    "refresh_token": "1//xEoDL4iW3cxlI7yDbSRFYNG01kVKM2C-259HOF2aQbI",
}
# §A.2, refresh answer: no new refresh token (airbyte source-google-ads unit_tests/mock_server/helpers.py).
RECORDED_REFRESH = {
    "access_token": "ya29.a0Af...",
    "expires_in": 3599,
    "scope": "https://www.googleapis.com/auth/adwords",
    "token_type": "Bearer",
}
# OpenID Connect userinfo (openid.net/specs/openid-connect-core-1_0.html §5.3.2; built from its shape, not recorded).
USERINFO = {"sub": "110169484474386276334", "email": "ads@example.com", "email_verified": True}
# §A.2, real capture (googleads/google-ads-php#885).
RECORDED_INVALID_GRANT = {"error": "invalid_grant", "error_description": "Bad Request"}
RECORDED_INVALID_CLIENT = {"error": "invalid_client", "error_description": "Unauthorized"}
# §A.3 (airbyte helpers.py).
RECORDED_ACCESSIBLE = {"resourceNames": ["customers/1234567890", "customers/9876543210"]}
RECORDED_CLIENTS_STREAM = [
    {
        "results": [
            {
                "customerClient": {
                    "clientCustomer": "customers/1234567890",
                    "level": "1",
                    "id": "1234567890",
                    "manager": False,
                    "timeZone": "America/New_York",
                    "status": "ENABLED",
                }
            }
        ]
    }
]
# §A.4, the campaign row of the reference, in a stream batch.
RECORDED_CAMPAIGN_ROW = {
    "campaign": {
        "resourceName": "customers/1234567890/campaigns/700001",
        "id": "700001",
        "name": "Brand",
        "status": "ENABLED",
        "advertisingChannelType": "SEARCH",
    },
    "campaignBudget": {"resourceName": "customers/1234567890/campaignBudgets/800001", "amountMicros": "50000000"},
}
# §A.4, real capture: searchStream with zero rows (n8n workflow debug brief, execution #14811), verbatim.
RECORDED_EMPTY_STREAM_TEXT = """[
  {
    "fieldMask": "campaign.id,campaign.name,adGroup.id,adGroup.name,adGroupAd.ad.id,adGroupAd.ad.name,adGroupAd.status,segments.date,metrics.costMicros,metrics.clicks,metrics.impressions,metrics.conversions,metrics.conversionsValue,metrics.ctr,metrics.averageCpc",
    "requestId": "tTqZKHbtOL29Jg7mJFlY6Q",
    "queryResourceConsumption": "949"
  }
]"""  # noqa: E501 (verbatim)
# §A.5, real capture: a search answer with metrics, redacted by its author with <PHONE> placeholders. The placeholders
# are filled in order (customer, campaign, cost, date per row); everything else is verbatim. As the reference says, the
# searchStream body is the same object wrapped in an array, plus a requestId.
RECORDED_METRICS_SEARCH_TEXT = """{
  "results": [
    {
      "campaign": {"resourceName": "customers/<PHONE>/campaigns/<PHONE>"},
      "metrics": {"clicks": "34", "conversions": 2, "costMicros": "<PHONE>", "impressions": "191"},
      "segments": {"date": "<PHONE>"}
    },
    {
      "campaign": {"resourceName": "customers/<PHONE>/campaigns/<PHONE>"},
      "metrics": {"clicks": "21", "conversions": 0, "costMicros": "<PHONE>", "impressions": "188"},
      "segments": {"date": "<PHONE>"}
    }
  ],
  "fieldMask": "segments.date,metrics.costMicros,metrics.impressions,metrics.clicks,metrics.conversions",
  "queryResourceConsumption": "556"
}"""
PLACEHOLDERS = ["1234567890", "700001", "45670000", "2024-01-01", "1234567890", "700001", "32100000", "2024-01-02"]
# §A.5, the reference's fully populated row (types per proto3; values invented by the reference).
REFERENCE_POPULATED_STREAM = [
    {
        "results": [
            {
                "campaign": {"resourceName": "customers/1234567890/campaigns/700001", "id": "700001", "name": "Brand"},
                "metrics": {
                    "impressions": "5234",
                    "clicks": "487",
                    "costMicros": "234560000",
                    "conversions": 23.5,
                    "conversionsValue": 4750.0,
                },
                "segments": {"date": "2024-01-01"},
            }
        ],
        "fieldMask": "campaign.id,campaign.name,segments.date,metrics.impressions,metrics.clicks,metrics.costMicros,"
        "metrics.conversions,metrics.conversionsValue",
        "requestId": "V_YzUHhkv35zqntpPk9byg",
        "queryResourceConsumption": "322",
    }
]
# §A.7, real capture: 429 quota (PipedreamHQ/pipedream#21554, v21), verbatim.
RECORDED_429 = {
    "error": {
        "code": 429,
        "message": "Resource has been exhausted (e.g. check quota).",
        "status": "RESOURCE_EXHAUSTED",
        "details": [
            {
                "@type": "type.googleapis.com/google.ads.googleads.v21.errors.GoogleAdsFailure",
                "errors": [
                    {
                        "errorCode": {"quotaError": "RESOURCE_EXHAUSTED"},
                        "message": "Too many requests. Retry in 40591 seconds.",
                        "details": {
                            "quotaErrorDetails": {
                                "rateScope": "DEVELOPER",
                                "rateName": "Number of operations for basic access",
                                "retryDelay": "40591s",
                            }
                        },
                    }
                ],
                "requestId": "xN_KaZRHZuU6Rlgt3cM2uQ",
            }
        ],
    }
}
# §A.7, real capture: 403 on searchStream, array-wrapped (v23), verbatim.
RECORDED_403_STREAM = [
    {
        "error": {
            "code": 403,
            "message": "The caller does not have permission",
            "status": "PERMISSION_DENIED",
            "details": [
                {
                    "@type": "type.googleapis.com/google.ads.googleads.v23.errors.GoogleAdsFailure",
                    "errors": [
                        {
                            "errorCode": {"authorizationError": "DEVELOPER_TOKEN_NOT_APPROVED"},
                            "message": "The developer token is only approved for use with test accounts. To access "
                            "non-test accounts, apply for Basic or Standard access.",
                        }
                    ],
                    "requestId": "ctPQxfy09Y6rARFlyeiW6w",
                }
            ],
        }
    }
]
# §A.7, real capture: 400 query error (v25), verbatim.
RECORDED_400_QUERY = {
    "error": {
        "code": 400,
        "message": "Request contains an invalid argument.",
        "status": "INVALID_ARGUMENT",
        "details": [
            {
                "@type": "type.googleapis.com/google.ads.googleads.v25.errors.GoogleAdsFailure",
                "errors": [
                    {
                        "errorCode": {"queryError": "INVALID_VALUE_WITH_DURING_OPERATOR"},
                        "message": "Invalid date literal supplied for DURING operator: LAST_90_DAYS.",
                    }
                ],
                "requestId": "FAk-3h1TY-uJkxzKVt6jJg",
            }
        ],
    }
}


def _google_failure(code: int, status: str, message: str, category: str, enum: str, error_message: str) -> Any:
    """An error body in the reference's envelope (§A.7) where it records the code but no whole body [M]."""
    return {
        "error": {
            "code": code,
            "message": message,
            "status": status,
            "details": [
                {
                    "@type": "type.googleapis.com/google.ads.googleads.v23.errors.GoogleAdsFailure",
                    "errors": [{"errorCode": {category: enum}, "message": error_message}],
                    "requestId": "reference-shaped",
                }
            ],
        }
    }


UNAUTHENTICATED = (
    "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid "
    "authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project."
)
REFERENCE_401_EXPIRED = _google_failure(
    401, "UNAUTHENTICATED", UNAUTHENTICATED, "authenticationError", "OAUTH_TOKEN_EXPIRED", "Token expired."
)
REFERENCE_401_REVOKED = _google_failure(
    401, "UNAUTHENTICATED", UNAUTHENTICATED, "authenticationError", "OAUTH_TOKEN_REVOKED", "Token revoked."
)
REFERENCE_503 = {"error": {"code": 503, "message": "The service is currently unavailable.", "status": "UNAVAILABLE"}}
# The recorded 429 with a short-term delay on the account (a storm the pipeline sits out), rather than the captured
# daily developer quota (which must not be waited for; see TestRecordedOnly).
SHORT_429 = json.loads(json.dumps(RECORDED_429).replace('"DEVELOPER"', '"ACCOUNT"').replace('"40591s"', '"30s"'))

CLIENT_ID = "recorded-client.apps.googleusercontent.com"
CLIENT_SECRET = "recorded-client-secret"
REDIRECT_URI = "http://app.test/connections/callback/google"
FAST = Rate(1000)
VERIFIER = "a-pkce-verifier-that-is-long-enough-to-satisfy-rfc-7636-rules"


def recorded_metrics_search() -> dict[str, Any]:
    text = RECORDED_METRICS_SEARCH_TEXT
    for value in PLACEHOLDERS:
        text = text.replace("<PHONE>", value, 1)
    body: dict[str, Any] = json.loads(text)
    return body


# --- test kit -------------------------------------------------------------------------------------------------------


@dataclass
class WireRequest:
    """One request as it left the adapter."""

    method: str
    path: str  # after the API version for API calls (``customers/1/googleAds:searchStream``), else the whole path
    api: bool
    headers: dict[str, str]
    form: dict[str, str]
    body: dict[str, Any] | None


@dataclass
class WireLog:
    requests: list[WireRequest] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)

    async def on_request(self, request: httpx.Request) -> None:
        path = request.url.path
        match = re.search(r"/v\d+/(customers.*)$", path)
        content_type = request.headers.get("content-type", "")
        body = json.loads(request.content) if request.content and content_type.startswith("application/json") else None
        form = (
            {k: v[0] for k, v in parse_qs(request.content.decode()).items()}
            if content_type.startswith("application/x-www-form-urlencoded")
            else {}
        )
        self.requests.append(
            WireRequest(
                request.method, match.group(1) if match else path, match is not None, dict(request.headers), form, body
            )
        )

    async def on_response(self, response: httpx.Response) -> None:
        self.statuses.append(response.status_code)

    def api(self) -> list[WireRequest]:
        return [r for r in self.requests if r.api]

    def queries(self) -> list[str]:
        return [str(r.body["query"]) for r in self.api() if r.body is not None and "query" in r.body]


def build_adapter(
    config: GoogleAdsConfig, transport: httpx.AsyncBaseTransport | None, fake: FakeTime, log: WireLog
) -> tuple[GoogleAdsAdapter, httpx.AsyncClient, PlatformHttp]:
    client = logged_client(transport, log.on_request, log.on_response)
    http = fake_time_http(client, fake)
    return GoogleAdsAdapter(config, http), client, http


def shape(value: Any) -> Any:
    """The structure of a JSON document: keys and JSON types, values left out."""
    if isinstance(value, dict):
        return {key: shape(item) for key, item in value.items()}
    if isinstance(value, list):
        return [shape(value[0])] if value else []
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    return type(value).__name__


class _ConsentForm(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.action: str | None = None
        self.fields: dict[str, str] = {}
        self.logins: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {name: value or "" for name, value in attrs}
        if tag == "form":
            self.action = attributes.get("action")
        elif tag == "input" and attributes.get("type") == "hidden":
            self.fields[attributes["name"]] = attributes.get("value", "")
        elif tag == "input" and attributes.get("name") == "login_id":
            self.logins.append(attributes["value"])


# --- the two backends -------------------------------------------------------------------------------------------------


class Backend(ContractBackend):
    """What the contract needs from a Google Ads: an adapter pointed at it, and the answers it should give. Faults
    hit API calls; the forbidden account is one the call may not reach (Google answers 403, array-wrapped on the
    stream)."""

    config: GoogleAdsConfig
    adapter: GoogleAdsAdapter
    http: PlatformHttp
    log: WireLog
    report_range: tuple[date, date]
    empty_range: tuple[date, date]
    expires_in: int
    # The Google account id that userinfo names.
    expected_subject: str

    def expected_accounts(self) -> list[tuple[Any, ...]]:
        """(id, name, currency, time zone, login customer id, is manager) of every account the login reaches."""
        raise NotImplementedError


class RecordedGoogle(Backend):
    """The recorded answers, served for the requests Google would give them to; faults replay recorded bodies."""

    name = "recorded"

    def __init__(self) -> None:
        self.fake = FakeTime()
        self.log = WireLog()
        self.account = AdAccountRef("1234567890")
        self.currency = "USD"
        self.report_range = (date(2024, 1, 1), date(2024, 1, 14))
        self.empty_range = (date(2023, 6, 1), date(2023, 6, 30))
        self.expires_in = RECORDED_TOKEN["expires_in"]  # type: ignore[assignment]
        self.expected_subject = str(USERINFO["sub"])
        self.pending: list[tuple[int, Any]] = []
        self.grant_revoked = False
        self.statuses: dict[str, str] = {}
        self.budgets: dict[str, int] = {}
        self.config = GoogleAdsConfig(
            client_id=CLIENT_ID,
            client_secret=CLIENT_SECRET,
            api_version="v23",
            account_rate=Rate(1000),
            app_rate=Rate(1000),
        )
        self.adapter, self.client, self.http = build_adapter(
            self.config, httpx.MockTransport(self.answer), self.fake, self.log
        )

    def answer(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if request.url.host == "openidconnect.googleapis.com" and path == "/v1/userinfo":
            return httpx.Response(200, json=USERINFO)
        if request.url.host == "oauth2.googleapis.com":
            form = {k: v[0] for k, v in parse_qs(request.content.decode()).items()}
            if path == "/revoke":
                self.grant_revoked = True
                return httpx.Response(200, json={})
            if form.get("client_secret") != CLIENT_SECRET:
                return httpx.Response(401, json=RECORDED_INVALID_CLIENT)
            if self.grant_revoked:
                return httpx.Response(400, json=RECORDED_INVALID_GRANT)
            if form.get("grant_type") == "authorization_code":
                return httpx.Response(200, json=RECORDED_TOKEN)
            return httpx.Response(200, json=RECORDED_REFRESH)
        if self.pending:
            status, body = self.pending.pop(0)
            return httpx.Response(status, json=body, headers={"request-id": "recorded"})
        if path == "/v23/customers:listAccessibleCustomers":
            return httpx.Response(200, json=RECORDED_ACCESSIBLE)
        match = re.fullmatch(r"/v23/customers/(\d+)/(\w+):(\w+)", path)
        assert match is not None, path
        customer, service, method = match.groups()
        body = json.loads(request.content)
        if service == "googleAds" and method == "searchStream":
            return self.stream(customer, body["query"])
        name = body["operations"][0]["update"]["resourceName"]
        if service == "campaigns":
            self.statuses[name.rsplit("/", 1)[-1]] = body["operations"][0]["update"]["status"]
        elif service == "campaignBudgets":
            self.budgets[name.rsplit("/", 1)[-1]] = int(body["operations"][0]["update"]["amountMicros"])
        # §A.6: a mutate answers the resource names it changed.
        return httpx.Response(200, json={"results": [{"resourceName": name}]})

    def stream(self, customer: str, query: str) -> httpx.Response:
        if customer == "5555555555":
            return httpx.Response(403, json=RECORDED_403_STREAM)
        if "DURING LAST_90_DAYS" in query:
            return httpx.Response(400, json=RECORDED_400_QUERY)
        resource = re.search(r"\bFROM (\w+)", query)
        assert resource is not None
        source = resource.group(1)
        if source == "customer_client":
            return httpx.Response(200, json=RECORDED_CLIENTS_STREAM)
        if source == "customer":
            manager = customer == "9876543210"
            row = {
                "customer": {
                    "resourceName": f"customers/{customer}",
                    "id": customer,
                    "descriptiveName": "Recorded manager" if manager else "Recorded client",
                    "currencyCode": "USD",
                    "timeZone": "America/New_York",
                    "manager": manager,
                    "status": "ENABLED",
                }
            }
            return httpx.Response(200, json=[{"results": [row], "fieldMask": "customer.id", "requestId": "r"}])
        if "segments.date" in query:
            dates = re.findall(r"'(\d{4}-\d{2}-\d{2})'", query)
            if source == "campaign" and dates and dates[0] <= "2024-01-01" and dates[1] >= "2024-01-02":
                body = {**recorded_metrics_search(), "requestId": "tTqZKHbtOL29Jg7mJFlY6Q"}
                return httpx.Response(200, text=json.dumps([body], indent=2))
            return httpx.Response(200, text=RECORDED_EMPTY_STREAM_TEXT)
        if source == "campaign":
            return httpx.Response(200, json=[{"results": [RECORDED_CAMPAIGN_ROW], "requestId": "r"}])
        return httpx.Response(200, text=RECORDED_EMPTY_STREAM_TEXT)

    async def connect(self) -> Credentials:
        return await self.adapter.exchange_code(
            "4/P7q7W91a-oMsCeLvIaQm6bTrgtp7", redirect_uri=REDIRECT_URI, code_verifier=VERIFIER
        )

    def expected_accounts(self) -> list[tuple[Any, ...]]:
        return sorted(
            [
                ("1234567890", "Recorded client", "USD", "America/New_York", None, False),
                ("9876543210", "Recorded manager", "USD", "America/New_York", None, True),
            ]
        )

    def expected_entities(self) -> list[tuple[Any, ...]]:
        return [(EntityLevel.campaign, "700001", EntityStatus.active, "700001", None, 50_000_000)]

    def expected_daily(self, level: EntityLevel, since: date, until: date) -> list[tuple[Any, ...]]:
        if level is not EntityLevel.campaign:
            return []
        return [
            ("700001", date(2024, 1, 1), 191, 34, 45_670_000, Decimal(2), 0),
            ("700001", date(2024, 1, 2), 188, 21, 32_100_000, Decimal(0), 0),
        ]

    def inject(self, kind: FaultKind, count: int = 1) -> None:
        body = {
            FaultKind.rate_limit: (429, SHORT_429),
            FaultKind.server_error: (503, REFERENCE_503),
            FaultKind.expire_token: (401, REFERENCE_401_EXPIRED),
            FaultKind.revoke_token: (401, REFERENCE_401_REVOKED),
        }[kind]
        self.pending += [body] * count
        if kind is FaultKind.revoke_token:
            self.grant_revoked = True

    def forbidden_account(self) -> AdAccountRef:
        return AdAccountRef("5555555555")

    def budgeted_campaign(self) -> EntityRef:
        return EntityRef(self.account, EntityLevel.campaign, "700001")

    def status_of(self, ref: EntityRef) -> EntityStatus:
        word = self.statuses.get(ref.platform_id, "ENABLED")
        return {"ENABLED": EntityStatus.active, "PAUSED": EntityStatus.paused}[word]

    def daily_budget_of(self, ref: EntityRef) -> int | None:
        return self.budgets.get("800001", 50_000_000)


class EmulatedGoogle(WorldBackend, Backend):
    """The sandbox emulator, reached the way the product reaches it (over HTTP at ``…/sandbox/google``), through a
    client account of a manager, so every call carries ``login-customer-id``."""

    name = "emulator"
    platform = Platform.google

    def __init__(
        self,
        state: SandboxState,
        base_url: str,
        transport: httpx.AsyncBaseTransport | None = None,
        *,
        account_rate: Rate = FAST,
        fake: FakeTime | None = None,
    ) -> None:
        self.state = state
        self.fake = fake or FakeTime()
        self.log = WireLog()
        self.base_url = base_url
        client_id, secret = state.config.app_credentials[Platform.google]
        self.config = GoogleAdsConfig(
            client_id=client_id,
            client_secret=secret,
            api_base_url=base_url,
            api_version="v23",
            authorize_url=f"{base_url}/o/oauth2/v2/auth",
            token_url=f"{base_url}/token",
            revoke_url=f"{base_url}/revoke",
            userinfo_url=f"{base_url}/v1/userinfo",
            account_rate=account_rate,
            app_rate=Rate(1000),
        )
        self.adapter, self.client, self.http = build_adapter(self.config, transport, self.fake, self.log)
        self.login: SandboxLogin = next(
            login
            for login in state.world.logins(Platform.google)
            if any(self.world_account(a).is_manager for a in login.account_ids)
        )
        self.manager = next(a for a in self.login.account_ids if self.world_account(a).is_manager)
        client = state.world.clients(Platform.google, self.manager)[0]
        self.account = AdAccountRef(client.account_id, login_customer_id=self.manager)
        self.currency = client.currency
        self.expires_in = state.config.google_access_token_ttl
        self.expected_subject = self.login.login_id
        # Days whose conversions are final (over a week old), so the numbers hold still on a sandbox whose clock
        # follows the wall clock.
        today = state.clock.today(client.time_zone)
        self.report_range = (today - timedelta(days=38), today - timedelta(days=9))
        self.empty_range = (today + timedelta(days=2), today + timedelta(days=20))

    def world_account(self, account_id: str) -> SimAccount:
        account = self.state.world.account(Platform.google, account_id)
        assert account is not None
        return account

    async def consent(self, *, decision: str = "allow", code_challenge: str | None = None) -> httpx.URL:
        url = self.adapter.authorization_url(
            redirect_uri=REDIRECT_URI, state="state-123", code_challenge=code_challenge
        )
        page = await self.client.get(url)
        assert page.status_code == 200, page.text
        form = _ConsentForm()
        form.feed(page.text)
        assert form.action is not None
        assert self.login.login_id in form.logins
        answer = await self.client.post(
            httpx.URL(url).join(form.action),
            data={**form.fields, "decision": decision, "login_id": self.login.login_id},
        )
        assert answer.status_code == 302, answer.text
        return httpx.URL(answer.headers["location"])

    async def connect(self) -> Credentials:
        callback = await self.consent(code_challenge=pkce_challenge(VERIFIER))
        assert callback.params["state"] == "state-123"
        return await self.adapter.exchange_code(
            callback.params["code"], redirect_uri=REDIRECT_URI, code_verifier=VERIFIER
        )

    def expected_accounts(self) -> list[tuple[Any, ...]]:
        direct = set(self.login.account_ids)
        return sorted(
            (
                a.account_id,
                a.name,
                a.currency,
                a.time_zone,
                None if a.account_id in direct else a.manager_id,
                a.is_manager,
            )
            for a in self.state.world.accessible_accounts(Platform.google, self.login.login_id)
        )

    def expected_entities(self) -> list[tuple[Any, ...]]:
        # Removed entities are listed too; an entity under a removed campaign or ad group is removed with it.
        expected = []
        world = self.state.world
        for level in EntityLevel:
            for entity in world.entities(Platform.google, self.account.account_id, level, include_removed=True):
                campaign = world.entity(Platform.google, entity.campaign_id)
                parent = world.entity(Platform.google, entity.parent_id) if entity.parent_id else None
                assert campaign is not None
                gone = EntityStatus.removed in (campaign.status, parent.status if parent is not None else None)
                status = EntityStatus.removed if gone else entity.status
                expected.append(
                    (level, entity.id, status, entity.campaign_id, entity.parent_id, entity.daily_budget_micros)
                )
        return sorted(expected, key=repr)

    def forbidden_account(self) -> AdAccountRef:
        # A manager's client asked for without the manager in login-customer-id.
        return AdAccountRef(self.account.account_id)


@pytest.fixture
def shared_sandbox(sandbox_server: SandboxServer) -> Iterator[SandboxState]:
    """The sandbox server's state with Google's rate lifted (waiting is fake in these tests; the emulator's real-time
    quota has its own test on a private sandbox below)."""
    with lifted_rate(sandbox_server, Platform.google) as state:
        yield state


@pytest.fixture(params=["emulator", "recorded"])
async def backend(request: pytest.FixtureRequest) -> AsyncIterator[Backend]:
    chosen: Backend
    if request.param == "emulator":
        server: SandboxServer = request.getfixturevalue("sandbox_server")
        chosen = EmulatedGoogle(request.getfixturevalue("shared_sandbox"), server.base_url("google"))
    else:
        chosen = RecordedGoogle()
    yield chosen
    await chosen.client.aclose()


@pytest.fixture
async def emulator(sandbox_server: SandboxServer, shared_sandbox: SandboxState) -> AsyncIterator[EmulatedGoogle]:
    backend = EmulatedGoogle(shared_sandbox, sandbox_server.base_url("google"))
    yield backend
    await backend.client.aclose()


def private_emulator(state: SandboxState, **options: Any) -> EmulatedGoogle:
    """An emulator on a sandbox of its own (in-process ASGI), for tests that move its clock or throttle it: the shared
    server's clock follows the wall clock and its quota real time."""
    return EmulatedGoogle(state, *in_process(Platform.google, create_google_emulator(state)), **options)


# === the contract: same questions, same answers, on both backends =================================================


class TestContract:
    async def test_the_adapter_fits_the_port(self, backend: Backend) -> None:
        port: AdPlatformAdapter = backend.adapter
        assert port.platform is Platform.google
        assert port.supports_pkce is True

    async def test_the_authorization_url_asks_for_offline_access_with_pkce(self, backend: Backend) -> None:
        url = httpx.URL(
            backend.adapter.authorization_url(redirect_uri=REDIRECT_URI, state="s1", code_challenge="challenge")
        )
        assert url.params["response_type"] == "code"
        # The Ads scope, and OpenID's so that userinfo names the Google account that granted it.
        assert url.params["scope"].split() == ["https://www.googleapis.com/auth/adwords", "openid", "email"]
        assert url.params["access_type"] == "offline"
        assert url.params["prompt"] == "consent"
        assert url.params["state"] == "s1"
        assert url.params["redirect_uri"] == REDIRECT_URI
        assert (url.params["code_challenge"], url.params["code_challenge_method"]) == ("challenge", "S256")

    async def test_exchanging_the_code_gives_access_and_refresh_tokens(self, backend: Backend) -> None:
        before = datetime.now(UTC)
        credentials = await backend.connect()
        assert credentials.access_token
        assert credentials.refresh_token
        assert credentials.expires_at is not None
        assert abs((credentials.expires_at - before).total_seconds() - backend.expires_in) < 60
        assert credentials.scopes == ("https://www.googleapis.com/auth/adwords",)
        # The Google account that granted access, from OpenID Connect's userinfo: the connection's identity.
        assert credentials.subject == backend.expected_subject
        who = backend.log.requests[-1]
        assert (who.method, who.headers["authorization"]) == ("GET", f"Bearer {credentials.access_token}")
        assert who.path.endswith("/v1/userinfo")
        grant = backend.log.requests[-2]
        assert grant.method == "POST"
        assert grant.headers["content-type"] == "application/x-www-form-urlencoded"
        assert grant.form["grant_type"] == "authorization_code"
        assert grant.form["redirect_uri"] == REDIRECT_URI
        assert grant.form["code_verifier"] == VERIFIER
        assert {"code", "client_id", "client_secret"} <= set(grant.form)

    async def test_refreshing_keeps_the_refresh_token(self, backend: Backend) -> None:
        credentials = await backend.connect()
        refreshed = await backend.adapter.refresh(credentials)
        assert refreshed.refresh_token == credentials.refresh_token
        assert refreshed.access_token
        assert refreshed.expires_at is not None
        grant = backend.log.requests[-1]
        # Exactly the body Airbyte's mock asserts.
        assert set(grant.form) == {"grant_type", "refresh_token", "client_id", "client_secret"}
        assert grant.form["grant_type"] == "refresh_token"
        assert grant.form["refresh_token"] == credentials.refresh_token
        assert "authorization" not in grant.headers

    async def test_a_revoked_grant_cannot_be_refreshed(self, backend: Backend) -> None:
        credentials = await backend.connect()
        await backend.adapter.revoke(credentials)
        assert backend.log.requests[-1].form == {"token": credentials.refresh_token}
        with pytest.raises(PlatformAuthError) as caught:
            await backend.adapter.refresh(credentials)
        assert caught.value.refreshable is False
        assert caught.value.platform_code == "invalid_grant"

    async def test_ad_accounts_come_with_currency_time_zone_and_their_manager(self, backend: Backend) -> None:
        credentials = await backend.connect()
        accounts = await backend.adapter.list_ad_accounts(credentials)
        assert (
            sorted((a.account_id, a.name, a.currency, a.time_zone, a.login_customer_id, a.is_manager) for a in accounts)
            == backend.expected_accounts()
        )
        assert all(a.active for a in accounts)
        listing = backend.log.api()[0]
        assert listing.method == "GET"
        assert listing.path == "customers:listAccessibleCustomers"
        assert "login-customer-id" not in listing.headers

    async def test_entities_include_removed_ones_and_carry_budgets_in_micros(self, backend: Backend) -> None:
        credentials = await backend.connect()
        entities = await backend.adapter.list_entities(credentials, backend.account)
        got = sorted(
            (
                e.level,
                e.platform_id,
                e.status,
                e.campaign_platform_id,
                e.parent_platform_id,
                e.daily_budget.amount_micros if e.daily_budget else None,
            )
            for e in entities
        )
        assert sorted(got, key=repr) == sorted(backend.expected_entities(), key=repr)
        assert len({(e.level, e.platform_id) for e in entities}) == len(entities)
        assert all(e.daily_budget is None or e.daily_budget.currency == backend.currency for e in entities)
        campaigns = [e for e in entities if e.level is EntityLevel.campaign]
        assert campaigns and all(e.raw["campaign"]["resourceName"].endswith(e.platform_id) for e in campaigns)
        # Removed rows are not filtered out: their status is what places their past numbers.
        assert not any("REMOVED" in q for q in backend.log.queries() if "FROM customer" not in q)

    async def test_daily_metrics_match_the_platform(self, backend: Backend) -> None:
        credentials = await backend.connect()
        since, until = backend.report_range
        rows = await collect(backend.adapter, credentials, backend.account, EntityLevel.campaign, since, until)
        assert as_tuples(rows) == backend.expected_daily(EntityLevel.campaign, since, until)
        assert rows and all(r.currency == backend.currency and r.level is EntityLevel.campaign for r in rows)
        report = [r for r in backend.log.api() if r.body and "metrics.cost_micros" in r.body["query"]]
        assert len(report) == 1
        assert report[0].path == f"customers/{backend.account.account_id}/googleAds:searchStream"
        assert f"segments.date BETWEEN '{since.isoformat()}' AND '{until.isoformat()}'" in report[0].body["query"]  # type: ignore[index]

    async def test_an_empty_stream_is_no_rows(self, backend: Backend) -> None:
        credentials = await backend.connect()
        since, until = backend.empty_range
        for level in EntityLevel:
            assert await collect(backend.adapter, credentials, backend.account, level, since, until) == []

    async def test_a_rate_limit_storm_ends_with_complete_data_and_no_duplicates(self, backend: Backend) -> None:
        credentials = await backend.connect()
        since, until = backend.report_range
        backend.inject(FaultKind.rate_limit, 3)
        rows = await collect(backend.adapter, credentials, backend.account, EntityLevel.campaign, since, until)
        assert as_tuples(rows) == backend.expected_daily(EntityLevel.campaign, since, until)
        assert len({(r.entity_platform_id, r.day) for r in rows}) == len(rows)
        assert backend.log.statuses.count(429) == 3
        # Google's retryDelay ("30s") was honoured three times, on the fake clock.
        assert backend.fake.now >= 90

    async def test_server_error_bursts_are_retried(self, backend: Backend) -> None:
        credentials = await backend.connect()
        backend.inject(FaultKind.server_error, 2)
        entities = await backend.adapter.list_entities(credentials, backend.account)
        assert len(entities) == len(backend.expected_entities())
        assert backend.log.statuses.count(503) == 2

    async def test_an_expired_token_is_refreshable_and_refreshing_cures_it(self, backend: Backend) -> None:
        credentials = await backend.connect()
        backend.inject(FaultKind.expire_token)
        with pytest.raises(PlatformAuthError) as caught:
            await backend.adapter.list_entities(credentials, backend.account)
        assert caught.value.refreshable is True
        assert caught.value.platform_code == "OAUTH_TOKEN_EXPIRED"
        refreshed = await backend.adapter.refresh(credentials)
        assert len(await backend.adapter.list_entities(refreshed, backend.account)) == len(backend.expected_entities())

    async def test_a_token_revoked_mid_sync_needs_a_reconnect(self, backend: Backend) -> None:
        credentials = await backend.connect()
        backend.inject(FaultKind.revoke_token)
        with pytest.raises(PlatformAuthError) as caught:
            await backend.adapter.list_entities(credentials, backend.account)
        assert caught.value.refreshable is False
        assert caught.value.platform_code == "OAUTH_TOKEN_REVOKED"
        with pytest.raises(PlatformAuthError) as refresh_failure:
            await backend.adapter.refresh(credentials)
        assert refresh_failure.value.refreshable is False

    async def test_an_account_out_of_reach_is_a_permission_error(self, backend: Backend) -> None:
        credentials = await backend.connect()
        with pytest.raises(PlatformAuthError) as caught:
            await backend.adapter.list_entities(credentials, backend.forbidden_account())
        assert caught.value.refreshable is False
        assert caught.value.request_id
        assert backend.log.statuses[-1] == 403

    async def test_a_query_error_is_a_rejection_naming_the_query(self, backend: Backend) -> None:
        credentials = await backend.connect()
        client = GoogleAdsClient(backend.config, backend.http)
        with pytest.raises(PlatformRejected) as caught:
            await client.search_stream(
                credentials.access_token,
                backend.account,
                "SELECT campaign.id, metrics.clicks FROM campaign WHERE segments.date DURING LAST_90_DAYS",
            )
        assert caught.value.platform_code == "INVALID_VALUE_WITH_DURING_OPERATOR"
        assert caught.value.field_errors == {
            "queryError": "Invalid date literal supplied for DURING operator: LAST_90_DAYS."
        }
        assert backend.log.statuses.count(400) == 1  # not retried

    async def test_pausing_a_campaign(self, backend: Backend) -> None:
        credentials = await backend.connect()
        ref = backend.budgeted_campaign()
        await backend.adapter.set_status(credentials, ref, EntityStatus.paused)
        assert backend.status_of(ref) is EntityStatus.paused
        mutate = backend.log.api()[-1]
        assert mutate.path == f"customers/{ref.account.account_id}/campaigns:mutate"
        assert mutate.body == {
            "operations": [
                {
                    "update": {
                        "resourceName": f"customers/{ref.account.account_id}/campaigns/{ref.platform_id}",
                        "status": "PAUSED",
                    },
                    "updateMask": "status",
                }
            ]
        }

    async def test_changing_a_daily_budget(self, backend: Backend) -> None:
        credentials = await backend.connect()
        ref = backend.budgeted_campaign()
        await backend.adapter.set_daily_budget(credentials, ref, Money(75_000_000, backend.currency))
        assert backend.daily_budget_of(ref) == 75_000_000
        mutate = backend.log.api()[-1]
        assert mutate.path == f"customers/{ref.account.account_id}/campaignBudgets:mutate"
        assert mutate.body is not None
        operation = mutate.body["operations"][0]
        assert operation["updateMask"] == "amountMicros"
        assert operation["update"]["amountMicros"] == "75000000"  # int64 → JSON string
        assert re.fullmatch(r"customers/\d+/campaignBudgets/\d+", operation["update"]["resourceName"])

    async def test_a_budget_in_another_currency_is_refused_before_sending(self, backend: Backend) -> None:
        credentials = await backend.connect()
        other = "JPY" if backend.currency != "JPY" else "USD"
        with pytest.raises(PlatformRejected):
            await backend.adapter.set_daily_budget(credentials, backend.budgeted_campaign(), Money(5_000_000, other))
        assert not any(r.path.endswith(":mutate") for r in backend.log.api())

    async def test_every_api_call_carries_the_bearer_token_and_no_developer_token(self, backend: Backend) -> None:
        credentials = await backend.connect()
        await backend.adapter.list_entities(credentials, backend.account)
        for request in backend.log.api():
            assert request.headers["authorization"] == f"Bearer {credentials.access_token}"
            assert "developer-token" not in request.headers
            if request.path.startswith("customers/"):
                assert request.path.endswith(":searchStream")
                assert request.headers.get("login-customer-id") == backend.account.login_customer_id


# === recorded bodies: what only the recordings can show ============================================================


class TestRecordedOnly:
    async def test_a_daily_developer_quota_is_not_waited_for(self) -> None:
        backend = RecordedGoogle()
        credentials = await backend.connect()
        backend.pending.append((429, RECORDED_429))
        with pytest.raises(PlatformRateLimited) as caught:
            await backend.adapter.list_entities(credentials, backend.account)
        assert caught.value.retry_after == 40591
        assert caught.value.scope == "app"
        assert caught.value.request_id == "recorded"
        assert backend.log.statuses.count(429) == 1
        assert backend.fake.now < 1
        await backend.client.aclose()

    def test_the_populated_row_of_the_reference_is_read_exactly(self) -> None:
        rows = SEARCH_STREAM.validate_json(json.dumps(REFERENCE_POPULATED_STREAM))[0].results
        metrics = rows[0].metrics
        assert metrics is not None
        assert (metrics.impressions, metrics.clicks, metrics.cost_micros) == (5234, 487, 234_560_000)
        assert metrics.conversions == Decimal("23.5")
        assert metrics.conversions_value == Decimal("4750.0")

    def test_numbers_sent_the_wrong_way_round_are_still_read(self) -> None:
        # Third-party fixtures send doubles as strings and int64 as numbers.
        body = [
            {
                "results": [
                    {
                        "metrics": {
                            "clicks": 34,
                            "conversions": "12.5",
                            "conversionsValue": "99.99",
                            "costMicros": 1500000.0,
                        }
                    }
                ]
            }
        ]
        metrics = SEARCH_STREAM.validate_json(json.dumps(body))[0].results[0].metrics
        assert metrics is not None
        assert (metrics.clicks, metrics.cost_micros) == (34, 1_500_000)
        assert (metrics.conversions, metrics.conversions_value) == (Decimal("12.5"), Decimal("99.99"))

    @pytest.mark.parametrize(
        ("status", "body", "kind", "details"),
        [
            (429, RECORDED_429, PlatformRateLimited, {"retry_after": 40591.0, "scope": "app"}),
            (429, SHORT_429, PlatformRateLimited, {"retry_after": 30.0, "scope": "account"}),
            (403, RECORDED_403_STREAM, PlatformAuthError, {"refreshable": False}),
            (400, RECORDED_400_QUERY, PlatformRejected, {"platform_code": "INVALID_VALUE_WITH_DURING_OPERATOR"}),
            (401, REFERENCE_401_EXPIRED, PlatformAuthError, {"refreshable": True}),
            (401, REFERENCE_401_REVOKED, PlatformAuthError, {"refreshable": False}),
            (503, REFERENCE_503, PlatformUnavailable, {}),
            (
                429,
                _google_failure(429, "RESOURCE_EXHAUSTED", "x", "quotaError", "RESOURCE_TEMPORARILY_EXHAUSTED", "x"),
                PlatformUnavailable,
                {},
            ),
            (
                403,
                _google_failure(403, "PERMISSION_DENIED", "x", "authorizationError", "CUSTOMER_NOT_ENABLED", "x"),
                PlatformRejected,
                {},
            ),
            (502, "<html>Bad Gateway</html>", PlatformUnavailable, {}),
        ],
    )
    def test_google_errors_map_to_ours(
        self, status: int, body: Any, kind: type[PlatformError], details: dict[str, Any]
    ) -> None:
        content = body if isinstance(body, str) else json.dumps(body)
        error = classify(httpx.Response(status, content=content, headers={"request-id": "rid"}))
        assert isinstance(error, kind)
        assert error.request_id == "rid"
        for name, value in details.items():
            assert getattr(error, name) == value

    def test_a_stream_that_fails_after_it_started_is_an_error(self) -> None:
        body = [{"results": [RECORDED_CAMPAIGN_ROW], "requestId": "r"}, RECORDED_403_STREAM[0]]
        error = classify(httpx.Response(200, json=body))
        assert isinstance(error, PlatformAuthError)
        assert error.platform_code == "DEVELOPER_TOKEN_NOT_APPROVED"
        assert classify(httpx.Response(200, text=RECORDED_EMPTY_STREAM_TEXT)) is None

    @pytest.mark.parametrize(
        ("status", "body", "kind", "refreshable"),
        [
            (400, RECORDED_INVALID_GRANT, PlatformAuthError, False),
            (401, RECORDED_INVALID_CLIENT, PlatformAuthError, False),
            (400, {"error": "invalid_request", "error_description": "Missing code"}, PlatformRejected, None),
            (503, {"error": "temporarily_unavailable"}, PlatformUnavailable, None),
        ],
    )
    def test_token_endpoint_errors_map_to_ours(
        self, status: int, body: Any, kind: type[PlatformError], refreshable: bool | None
    ) -> None:
        error = classify_token(httpx.Response(status, json=body))
        assert isinstance(error, kind)
        if refreshable is not None:
            assert isinstance(error, PlatformAuthError)
            assert error.refreshable is refreshable
        assert classify_token(httpx.Response(200, json=RECORDED_TOKEN)) is None


class ManagerOnlyRecorded(RecordedGoogle):
    """The login reaches only the manager; the client comes from the hierarchy, whose recorded row has no currency."""

    def answer(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("customers:listAccessibleCustomers"):
            return httpx.Response(200, json={"resourceNames": ["customers/9876543210"]})
        return super().answer(request)


class TestRecordedHierarchy:
    async def test_a_client_found_below_a_manager_is_described_through_the_manager(self) -> None:
        backend = ManagerOnlyRecorded()
        credentials = await backend.connect()
        accounts = await backend.adapter.list_ad_accounts(credentials)
        assert sorted((a.account_id, a.currency, a.time_zone, a.login_customer_id, a.is_manager) for a in accounts) == [
            ("1234567890", "USD", "America/New_York", "9876543210", False),
            ("9876543210", "USD", "America/New_York", None, True),
        ]
        hierarchy, described = backend.log.api()[2:4]
        assert "FROM customer_client" in (hierarchy.body or {})["query"]
        assert hierarchy.headers["login-customer-id"] == "9876543210"
        assert described.path == "customers/1234567890/googleAds:searchStream"
        assert described.headers["login-customer-id"] == "9876543210"
        await backend.client.aclose()

    async def test_the_developer_token_is_sent_only_when_configured(self) -> None:
        backend = RecordedGoogle()
        config = GoogleAdsConfig(
            client_id=CLIENT_ID,
            client_secret=CLIENT_SECRET,
            developer_token="dev-token",
            account_rate=FAST,
            app_rate=FAST,
        )
        backend.adapter, backend.client, backend.http = build_adapter(
            config, httpx.MockTransport(backend.answer), backend.fake, backend.log
        )
        credentials = await backend.connect()
        await backend.adapter.list_entities(credentials, backend.account)
        assert all(r.headers["developer-token"] == "dev-token" for r in backend.log.api())
        await backend.client.aclose()


# === the emulator against the recordings: the same shapes =========================================================


class TestEmulatorSpeaksGoogle:
    async def raw(
        self,
        emulator: EmulatedGoogle,
        credentials: Credentials,
        query: str,
        *,
        manager: bool = True,
        method: str = "searchStream",
    ) -> httpx.Response:
        headers = {"Authorization": f"Bearer {credentials.access_token}"}
        if manager:
            headers["login-customer-id"] = emulator.manager
        return await emulator.client.post(
            f"{emulator.base_url}/v23/customers/{emulator.account.account_id}/googleAds:{method}",
            headers=headers,
            json={"query": query},
        )

    async def test_an_empty_stream_looks_like_the_recorded_one(self, emulator: EmulatedGoogle) -> None:
        credentials = await emulator.connect()
        since, until = emulator.empty_range
        dates = f"segments.date BETWEEN '{since}' AND '{until}'"
        query = f"SELECT campaign.id, segments.date, metrics.clicks FROM campaign WHERE {dates}"  # noqa: S608 (GAQL)
        answer = await self.raw(emulator, credentials, query)
        assert answer.status_code == 200
        assert "\n" in answer.text  # pretty-printed, like Google's
        assert shape(answer.json()) == shape(json.loads(RECORDED_EMPTY_STREAM_TEXT))
        assert answer.json()[0]["fieldMask"] == "campaign.id,segments.date,metrics.clicks"

    async def test_a_metrics_stream_looks_like_the_recorded_one(self, emulator: EmulatedGoogle) -> None:
        credentials = await emulator.connect()
        since, until = emulator.report_range
        fields = "segments.date, metrics.cost_micros, metrics.impressions, metrics.clicks, metrics.conversions"
        dates = f"segments.date BETWEEN '{since}' AND '{until}'"
        answer = await self.raw(emulator, credentials, " ".join(["SELECT", fields, "FROM campaign WHERE", dates]))
        recorded = [{**recorded_metrics_search(), "requestId": "x"}]
        assert shape(answer.json()) == shape(recorded)
        batch = answer.json()[0]
        assert batch["fieldMask"] == recorded[0]["fieldMask"]
        row = batch["results"][0]
        assert re.fullmatch(r"customers/\d{10}/campaigns/\d+", row["campaign"]["resourceName"])
        assert all(isinstance(row["metrics"][k], str) for k in ("clicks", "costMicros", "impressions"))
        assert isinstance(row["metrics"]["conversions"], int | float)
        assert answer.headers["request-id"] == batch["requestId"]

    async def test_the_rate_limit_body_looks_like_the_recorded_one(self, emulator: EmulatedGoogle) -> None:
        credentials = await emulator.connect()
        emulator.inject(FaultKind.rate_limit)
        answer = await self.raw(emulator, credentials, "SELECT campaign.id FROM campaign", method="search")
        assert answer.status_code == 429
        assert shape(answer.json()) == shape(RECORDED_429)
        failure = answer.json()["error"]["details"][0]["errors"][0]
        assert failure["details"]["quotaErrorDetails"]["retryDelay"] == "30s"
        assert failure["details"]["quotaErrorDetails"]["rateScope"] == "ACCOUNT"

    async def test_the_stream_permission_error_looks_like_the_recorded_one(self, emulator: EmulatedGoogle) -> None:
        credentials = await emulator.connect()
        answer = await self.raw(emulator, credentials, "SELECT campaign.id FROM campaign", manager=False)
        assert answer.status_code == 403
        assert shape(answer.json()) == shape(RECORDED_403_STREAM)
        assert answer.json()[0]["error"]["details"][0]["errors"][0]["errorCode"] == {
            "authorizationError": "USER_PERMISSION_DENIED"
        }

    async def test_the_query_error_is_the_recorded_one(self, emulator: EmulatedGoogle) -> None:
        credentials = await emulator.connect()
        answer = await self.raw(
            emulator,
            credentials,
            "SELECT campaign.id FROM campaign WHERE segments.date DURING LAST_90_DAYS",
            method="search",
        )
        assert answer.status_code == 400
        recorded = RECORDED_400_QUERY["error"]
        got = answer.json()["error"]
        assert (got["code"], got["message"], got["status"]) == (
            recorded["code"],
            recorded["message"],
            recorded["status"],
        )
        assert got["details"][0]["errors"] == recorded["details"][0]["errors"]  # type: ignore[index]
        assert got["details"][0]["@type"].endswith(".v23.errors.GoogleAdsFailure")


# === emulator only: the simulation's ground truth, hierarchies, OAuth, GAQL, mutates ==============================


class TestGroundTruth:
    @pytest.mark.parametrize("level", list(EntityLevel))
    async def test_the_adapter_returns_exactly_the_simulation(
        self, emulator: EmulatedGoogle, level: EntityLevel
    ) -> None:
        credentials = await emulator.connect()
        since, until = emulator.report_range
        rows = await collect(emulator.adapter, credentials, emulator.account, level, since, until)
        expected = emulator.expected_daily(level, since, until)
        assert as_tuples(rows) == expected
        assert sum(r.spend_micros for r in rows) == sum(e[4] for e in expected) > 0
        assert len({(r.entity_platform_id, r.day) for r in rows}) == len(rows)

    async def test_levels_sum_to_the_same_totals(self, emulator: EmulatedGoogle) -> None:
        credentials = await emulator.connect()
        since, until = emulator.report_range
        totals = []
        for level in EntityLevel:
            rows = await collect(emulator.adapter, credentials, emulator.account, level, since, until)
            totals.append(
                (
                    sum(r.impressions for r in rows),
                    sum(r.spend_micros for r in rows),
                    sum(r.conversion_value_micros for r in rows),
                )
            )
        assert totals[0] == totals[1] == totals[2]

    async def test_late_conversions_are_restated_upward(self) -> None:
        state = frozen_state()
        backend = private_emulator(state)
        credentials = await backend.connect()
        account = state.world.account(Platform.google, backend.account.account_id)
        assert account is not None
        yesterday = state.clock.today(account.time_zone) - timedelta(days=1)
        first = await collect(backend.adapter, credentials, backend.account, EntityLevel.campaign, yesterday, yesterday)
        state.clock.advance(7 * 86_400)
        credentials = await backend.adapter.refresh(credentials)
        later = await collect(backend.adapter, credentials, backend.account, EntityLevel.campaign, yesterday, yesterday)
        assert sum(r.conversions for r in later) > sum(r.conversions for r in first)
        assert [r.spend_micros for r in later] == [r.spend_micros for r in first]


class TestAccountsAndAccess:
    async def test_a_login_without_a_manager_sees_its_own_account_only(self, emulator: EmulatedGoogle) -> None:
        other = next(
            login for login in emulator.state.world.logins(Platform.google) if emulator.manager not in login.account_ids
        )
        emulator.login = other
        credentials = await emulator.connect()
        accounts = await emulator.adapter.list_ad_accounts(credentials)
        assert sorted(a.account_id for a in accounts) == sorted(other.account_ids)
        assert all(a.login_customer_id is None for a in accounts)

    async def test_a_client_of_the_manager_is_reached_only_through_it(self, emulator: EmulatedGoogle) -> None:
        credentials = await emulator.connect()
        entities = await emulator.adapter.list_entities(credentials, emulator.account)
        assert entities
        with pytest.raises(PlatformAuthError) as caught:
            await emulator.adapter.list_entities(credentials, AdAccountRef(emulator.account.account_id))
        assert caught.value.platform_code == "USER_PERMISSION_DENIED"

    async def test_a_manager_the_login_cannot_use_is_refused(self, emulator: EmulatedGoogle) -> None:
        other = next(
            login for login in emulator.state.world.logins(Platform.google) if emulator.manager not in login.account_ids
        )
        emulator.login = other
        credentials = await emulator.connect()
        with pytest.raises(PlatformAuthError):
            await emulator.adapter.list_entities(credentials, emulator.account)

    async def test_a_manager_has_no_metrics(self, emulator: EmulatedGoogle) -> None:
        credentials = await emulator.connect()
        since, until = emulator.report_range
        with pytest.raises(PlatformRejected) as caught:
            await collect(
                emulator.adapter, credentials, AdAccountRef(emulator.manager), EntityLevel.campaign, since, until
            )
        assert caught.value.platform_code == "REQUESTED_METRICS_FOR_MANAGER"

    async def test_every_call_is_logged_by_the_emulator(self, emulator: EmulatedGoogle) -> None:
        emulator.state.request_log.clear()
        credentials = await emulator.connect()
        await emulator.adapter.list_ad_accounts(credentials)
        paths = [path for platform, _, path in emulator.state.request_log if platform is Platform.google]
        assert paths[:3] == ["/o/oauth2/v2/auth", "/o/oauth2/v2/auth", "/token"]
        assert "/v23/customers:listAccessibleCustomers" in paths


class TestOAuth:
    async def test_denying_consent_returns_access_denied(self, emulator: EmulatedGoogle) -> None:
        callback = await emulator.consent(decision="deny")
        assert callback.params["error"] == "access_denied"
        assert callback.params["state"] == "state-123"
        assert "code" not in callback.params

    async def test_a_wrong_pkce_verifier_is_an_invalid_grant(self, emulator: EmulatedGoogle) -> None:
        callback = await emulator.consent(code_challenge=pkce_challenge(VERIFIER))
        with pytest.raises(PlatformAuthError) as caught:
            await emulator.adapter.exchange_code(
                callback.params["code"],
                redirect_uri=REDIRECT_URI,
                code_verifier="not-the-verifier-but-long-enough-0123456789",
            )
        assert caught.value.platform_code == "invalid_grant"

    async def test_a_code_is_single_use(self, emulator: EmulatedGoogle) -> None:
        callback = await emulator.consent()
        code = callback.params["code"]
        await emulator.adapter.exchange_code(code, redirect_uri=REDIRECT_URI, code_verifier=None)
        with pytest.raises(PlatformAuthError):
            await emulator.adapter.exchange_code(code, redirect_uri=REDIRECT_URI, code_verifier=None)

    async def test_without_offline_access_there_is_no_refresh_token(self, emulator: EmulatedGoogle) -> None:
        client_id, secret = emulator.state.config.app_credentials[Platform.google]
        url = emulator.adapter.authorization_url(redirect_uri=REDIRECT_URI, state="s", code_challenge=None)
        online = str(httpx.URL(url).copy_set_param("access_type", "online"))
        page = await emulator.client.get(online)
        form = _ConsentForm()
        form.feed(page.text)
        assert form.action is not None
        answer = await emulator.client.post(
            httpx.URL(online).join(form.action),
            data={**form.fields, "decision": "allow", "login_id": emulator.login.login_id},
        )
        code = httpx.URL(answer.headers["location"]).params["code"]
        token = await emulator.client.post(
            f"{emulator.base_url}/token",
            data={
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": REDIRECT_URI,
                "client_id": client_id,
                "client_secret": secret,
            },
        )
        assert token.status_code == 200
        assert "refresh_token" not in token.json()
        assert token.json()["expires_in"] == 3599

    async def test_wrong_client_credentials_are_refused(self, emulator: EmulatedGoogle) -> None:
        answer = await emulator.client.post(
            f"{emulator.base_url}/token",
            data={
                "grant_type": "refresh_token",
                "refresh_token": "1//x",
                "client_id": "someone-else",
                "client_secret": "nope",
            },
        )
        assert answer.status_code == 401
        assert answer.json()["error"] == "invalid_client"

    async def test_an_unknown_client_gets_no_consent_page(self, emulator: EmulatedGoogle) -> None:
        url = emulator.adapter.authorization_url(redirect_uri=REDIRECT_URI, state="s", code_challenge=None)
        page = await emulator.client.get(str(httpx.URL(url).copy_set_param("client_id", "intruder")))
        assert page.status_code == 401
        assert "invalid_client" in page.text

    async def test_access_tokens_expire_on_the_sandbox_clock(self) -> None:
        state = frozen_state()
        backend = private_emulator(state)
        credentials = await backend.connect()
        state.clock.advance(3600)
        with pytest.raises(PlatformAuthError) as caught:
            await backend.adapter.list_entities(credentials, backend.account)
        assert (caught.value.refreshable, caught.value.platform_code) == (True, "OAUTH_TOKEN_EXPIRED")
        refreshed = await backend.adapter.refresh(credentials)
        assert await backend.adapter.list_entities(refreshed, backend.account)

    async def test_a_missing_token_is_unauthenticated(self, emulator: EmulatedGoogle) -> None:
        answer = await emulator.client.get(f"{emulator.base_url}/v23/customers:listAccessibleCustomers")
        assert answer.status_code == 401
        assert answer.json()["error"]["status"] == "UNAUTHENTICATED"
        error = classify(answer)
        assert isinstance(error, PlatformAuthError) and error.refreshable


class TestQuota:
    async def test_the_emulator_enforces_its_rate_and_the_adapter_rides_it_out(self) -> None:
        fake = FakeTime()
        state = SandboxState.demo(config=SandboxConfig(google_requests_per_second=2))
        state.quota = QuotaGate(now=fake.clock)
        # The adapter is configured faster than the emulator allows, so the emulator's 429s must do the pacing.
        backend = private_emulator(state, account_rate=Rate(1000), fake=fake)
        credentials = await backend.connect()
        for _ in range(3):
            entities = await backend.adapter.list_entities(credentials, backend.account)
        assert len(entities) == len(backend.expected_entities())
        throttled = backend.log.statuses.count(429)
        assert throttled > 0
        # 12 calls, 2 per second: the last cannot start before 5 s; each 429 said exactly how long to wait.
        assert fake.now >= 5.0
        assert throttled <= 12

    async def test_an_adapter_at_the_documented_rate_is_never_throttled(self) -> None:
        fake = FakeTime()
        state = SandboxState.demo(config=SandboxConfig(google_requests_per_second=2))
        state.quota = QuotaGate(now=fake.clock)
        # Just under the emulator's rate: the gate counts exactly, and a schedule at exactly 2/s can land a float's
        # breadth inside the window.
        backend = private_emulator(state, account_rate=Rate(1.95), fake=fake)
        credentials = await backend.connect()
        for _ in range(3):
            await backend.adapter.list_entities(credentials, backend.account)
        assert 429 not in backend.log.statuses
        assert 5.0 <= fake.now <= 6.0


class TestGaql:
    async def search(
        self, emulator: EmulatedGoogle, body: dict[str, Any], *, customer: str | None = None
    ) -> httpx.Response:
        credentials = await emulator.connect()
        return await emulator.client.post(
            f"{emulator.base_url}/v23/customers/{customer or emulator.account.account_id}/googleAds:search",
            headers={"Authorization": f"Bearer {credentials.access_token}", "login-customer-id": emulator.manager},
            json=body,
        )

    async def test_search_pages_are_fixed_and_page_size_is_refused(
        self, emulator: EmulatedGoogle, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        refused = await self.search(emulator, {"query": "SELECT campaign.id FROM campaign", "pageSize": 5})
        assert refused.status_code == 400
        assert refused.json()["error"]["details"][0]["errors"][0]["errorCode"] == {
            "requestError": "PAGE_SIZE_NOT_SUPPORTED"
        }
        monkeypatch.setattr(emulator_module, "PAGE_SIZE", 4)
        query = "SELECT campaign.id, campaign.name FROM campaign ORDER BY campaign.id"
        seen: list[str] = []
        body: dict[str, Any] = {"query": query, "searchSettings": {"returnTotalResultsCount": True}}
        while True:
            page = (await self.search(emulator, body)).json()
            seen += [row["campaign"]["id"] for row in page.get("results", [])]
            if "nextPageToken" not in page:
                break
            body = {"query": query, "pageToken": page["nextPageToken"]}
        all_campaigns = emulator.state.world.entities(
            Platform.google, emulator.account.account_id, EntityLevel.campaign, include_removed=True
        )
        assert seen == sorted((c.id for c in all_campaigns), key=int)
        bad_token = await self.search(emulator, {"query": "SELECT campaign.name FROM campaign", "pageToken": "zz"})
        assert bad_token.json()["error"]["details"][0]["errors"][0]["errorCode"] == {
            "requestError": "INVALID_PAGE_TOKEN"
        }

    @pytest.mark.parametrize(
        ("query", "code"),
        [
            ("SELECT campaign.nonsense FROM campaign", "UNRECOGNIZED_FIELD"),
            ("SELECT campaign.id FROM keyword_view_of_nothing", "BAD_RESOURCE_TYPE_IN_FROM_CLAUSE"),
            ("SELECT ad_group.id FROM campaign", "PROHIBITED_RESOURCE_TYPE_IN_SELECT_CLAUSE"),
            ("SELECT campaign.id, segments.date FROM campaign", "EXPECTED_FILTERS_ON_DATE_RANGE"),
            ("SELECT campaign.id FROM campaign ORDER BY campaign.name", "EXPECTED_REFERENCED_FIELD_IN_SELECT_CLAUSE"),
            ("SELECT campaign.id FROM campaign WHERE campaign.status = 'ACTIVE'", "BAD_ENUM_CONSTANT"),
            ("SELECT campaign.id campaign.name FROM campaign", "EXPECTED_FROM"),
            ("campaign.id FROM campaign", "EXPECTED_SELECT"),
            ("SELECT campaign.id FROM campaign WHERE campaign.name = 'open", "STRING_NOT_TERMINATED"),
            ("SELECT campaign.id FROM campaign LIMIT 0", "LIMIT_VALUE_TOO_LOW"),
        ],
    )
    async def test_query_errors(self, emulator: EmulatedGoogle, query: str, code: str) -> None:
        answer = await self.search(emulator, {"query": query})
        assert answer.status_code == 400
        assert list(answer.json()["error"]["details"][0]["errors"][0]["errorCode"].values()) == [code]

    async def test_filters_order_limit_and_presets(self, emulator: EmulatedGoogle) -> None:
        enabled = await self.search(
            emulator,
            {
                "query": "SELECT campaign.id, campaign.status, campaign_budget.amount_micros FROM campaign "
                "WHERE campaign.status IN ('ENABLED', 'PAUSED') ORDER BY campaign.id DESC LIMIT 3"
            },
        )
        rows = enabled.json()["results"]
        assert len(rows) == 3
        assert [int(r["campaign"]["id"]) for r in rows] == sorted(
            (int(r["campaign"]["id"]) for r in rows), reverse=True
        )
        assert all(r["campaign"]["status"] in ("ENABLED", "PAUSED") for r in rows)
        assert all(isinstance(r["campaignBudget"]["amountMicros"], str) for r in rows)
        week = await self.search(
            emulator,
            {
                "query": "SELECT campaign.id, segments.date, metrics.clicks FROM campaign "
                "WHERE segments.date DURING LAST_7_DAYS",
                "searchSettings": {"returnSummaryRow": True},
            },
        )
        body = week.json()
        days = {r["segments"]["date"] for r in body["results"]}
        account = emulator.world_account(emulator.account.account_id)
        today = emulator.state.clock.today(account.time_zone)
        assert days == {(today - timedelta(days=n)).isoformat() for n in range(1, 8)}
        assert int(body["summaryRow"]["metrics"]["clicks"]) == sum(int(r["metrics"]["clicks"]) for r in body["results"])

    async def test_customer_client_hierarchy(self, emulator: EmulatedGoogle) -> None:
        answer = await self.search(
            emulator,
            {
                "query": "SELECT customer_client.id, customer_client.level, customer_client.manager "
                "FROM customer_client WHERE customer_client.level <= 1"
            },
            customer=emulator.manager,
        )
        rows = answer.json()["results"]
        levels = {r["customerClient"]["id"]: r["customerClient"]["level"] for r in rows}
        assert levels[emulator.manager] == "0"
        assert levels[emulator.account.account_id] == "1"
        assert all(r["customerClient"]["resourceName"].startswith(f"customers/{emulator.manager}/") for r in rows)


class TestMutates:
    async def mutate(self, emulator: EmulatedGoogle, service: str, body: dict[str, Any]) -> httpx.Response:
        credentials = await emulator.connect()
        return await emulator.client.post(
            f"{emulator.base_url}/v23/customers/{emulator.account.account_id}/{service}:mutate",
            headers={"Authorization": f"Bearer {credentials.access_token}", "login-customer-id": emulator.manager},
            json=body,
        )

    def campaign_name(self, emulator: EmulatedGoogle, ref: EntityRef) -> str:
        return f"customers/{emulator.account.account_id}/campaigns/{ref.platform_id}"

    def error_code(self, answer: httpx.Response) -> dict[str, str]:
        code: dict[str, str] = answer.json()["error"]["details"][0]["errors"][0]["errorCode"]
        return code

    async def test_an_update_needs_its_mask(self, emulator: EmulatedGoogle) -> None:
        ref = emulator.budgeted_campaign()
        answer = await self.mutate(
            emulator,
            "campaigns",
            {"operations": [{"update": {"resourceName": self.campaign_name(emulator, ref), "status": "PAUSED"}}]},
        )
        assert answer.status_code == 400
        assert self.error_code(answer) == {"fieldMaskError": "FIELD_MASK_MISSING"}
        assert emulator.status_of(ref) is EntityStatus.active

    async def test_validate_only_changes_nothing(self, emulator: EmulatedGoogle) -> None:
        ref = emulator.budgeted_campaign()
        answer = await self.mutate(
            emulator,
            "campaigns",
            {
                "validateOnly": True,
                "operations": [
                    {
                        "update": {"resourceName": self.campaign_name(emulator, ref), "status": "PAUSED"},
                        "updateMask": "status",
                    }
                ],
            },
        )
        assert answer.status_code == 200
        assert answer.json() == {}
        assert emulator.status_of(ref) is EntityStatus.active

    async def test_renaming_and_a_partial_failure(self, emulator: EmulatedGoogle) -> None:
        ref = emulator.budgeted_campaign()
        answer = await self.mutate(
            emulator,
            "campaigns",
            {
                "partialFailure": True,
                "operations": [
                    {
                        "update": {"resourceName": self.campaign_name(emulator, ref), "name": "Renamed"},
                        "updateMask": "name",
                    },
                    {
                        "update": {
                            "resourceName": self.campaign_name(emulator, ref),
                            "advertisingChannelType": "VIDEO",
                        },
                        "updateMask": "advertisingChannelType",
                    },
                ],
            },
        )
        assert answer.status_code == 200
        body = answer.json()
        assert body["results"][0] == {"resourceName": self.campaign_name(emulator, ref)}
        assert body["results"][1] == {}
        failure = body["partialFailureError"]["details"][0]["errors"][0]
        assert failure["errorCode"] == {"fieldError": "IMMUTABLE_FIELD"}
        assert failure["location"]["fieldPathElements"][0] == {"fieldName": "operations", "index": 1}
        entity = emulator.state.world.entity(Platform.google, ref.platform_id)
        assert entity is not None and entity.name == "Renamed"

    async def test_budget_amounts_follow_the_currency(self, emulator: EmulatedGoogle) -> None:
        credentials = await emulator.connect()
        ref = emulator.budgeted_campaign()
        with pytest.raises(PlatformRejected) as caught:
            await emulator.adapter.set_daily_budget(credentials, ref, Money(5_000, emulator.currency))
        assert caught.value.platform_code == "BUDGET_BELOW_PER_DAY_MINIMUM"
        with pytest.raises(PlatformRejected) as caught:
            await emulator.adapter.set_daily_budget(credentials, ref, Money(10_001_000, emulator.currency))
        assert caught.value.platform_code == "NON_MULTIPLE_OF_MINIMUM_CURRENCY_UNIT"
        assert caught.value.field_errors.keys() == {"operations[0].update.amount_micros"}

    async def test_removing_is_final(self, emulator: EmulatedGoogle) -> None:
        credentials = await emulator.connect()
        ref = emulator.budgeted_campaign()
        await emulator.adapter.set_status(credentials, ref, EntityStatus.removed)
        assert emulator.status_of(ref) is EntityStatus.removed
        assert emulator.log.api()[-1].body == {"operations": [{"remove": self.campaign_name(emulator, ref)}]}
        with pytest.raises(PlatformRejected) as caught:
            await emulator.adapter.set_status(credentials, ref, EntityStatus.active)
        assert caught.value.platform_code == "OPERATION_NOT_PERMITTED_FOR_REMOVED_RESOURCE"
        entities = await emulator.adapter.list_entities(credentials, emulator.account)
        # Still listed, removed, and so is everything under it.
        under = [e for e in entities if e.campaign_platform_id == ref.platform_id]
        assert len(under) > 1 and all(e.status is EntityStatus.removed for e in under)

    async def test_pausing_an_ad_and_an_ad_group(self, emulator: EmulatedGoogle) -> None:
        credentials = await emulator.connect()
        world = emulator.state.world
        ad = next(
            e
            for e in world.entities(Platform.google, emulator.account.account_id, EntityLevel.ad)
            if e.status is EntityStatus.active
        )
        await emulator.adapter.set_status(
            credentials, EntityRef(emulator.account, EntityLevel.ad, ad.id), EntityStatus.paused
        )
        assert emulator.status_of(EntityRef(emulator.account, EntityLevel.ad, ad.id)) is EntityStatus.paused
        mutate = emulator.log.api()[-1]
        assert mutate.path.endswith("/adGroupAds:mutate")
        assert mutate.body is not None
        assert mutate.body["operations"][0]["update"]["resourceName"].endswith(f"/adGroupAds/{ad.parent_id}~{ad.id}")
        assert ad.parent_id is not None
        group = EntityRef(emulator.account, EntityLevel.ad_group, ad.parent_id)
        await emulator.adapter.set_status(credentials, group, EntityStatus.paused)
        assert emulator.status_of(group) is EntityStatus.paused

    async def test_creating_a_campaign_checks_what_google_requires(self, emulator: EmulatedGoogle) -> None:
        budget = await self.mutate(
            emulator,
            "campaignBudgets",
            {
                "operations": [
                    {
                        "create": {
                            "name": "Budget 1",
                            "amountMicros": "50000000",
                            "deliveryMethod": "STANDARD",
                            "explicitlyShared": False,
                        }
                    }
                ]
            },
        )
        assert budget.status_code == 200
        budget_name = budget.json()["results"][0]["resourceName"]
        campaign = {
            "name": "Search launch",
            "status": "PAUSED",
            "advertisingChannelType": "SEARCH",
            "campaignBudget": budget_name,
            "manualCpc": {},
        }
        missing = await self.mutate(emulator, "campaigns", {"operations": [{"create": campaign}]})
        assert missing.status_code == 400
        assert self.error_code(missing) == {"fieldError": "REQUIRED"}
        assert missing.json()["error"]["details"][0]["errors"][0]["location"]["fieldPathElements"][-1] == {
            "fieldName": "contains_eu_political_advertising"
        }
        campaign["containsEuPoliticalAdvertising"] = "DOES_NOT_CONTAIN_EU_POLITICAL_ADVERTISING"
        created = await self.mutate(
            emulator, "campaigns", {"operations": [{"create": campaign}], "responseContentType": "MUTABLE_RESOURCE"}
        )
        assert created.status_code == 200, created.text
        result = created.json()["results"][0]
        assert result["campaign"]["status"] == "PAUSED"
        assert result["campaign"]["campaignBudget"] == budget_name
        credentials = await emulator.connect()
        entities = await emulator.adapter.list_entities(credentials, emulator.account)
        new = next(e for e in entities if e.name == "Search launch")
        assert new.daily_budget == Money(50_000_000, emulator.currency)
        assert new.status is EntityStatus.paused


class TestEmulatorModes:
    async def call(self, app: FastAPI, state: SandboxState, path: str, headers: dict[str, str]) -> httpx.Response:
        login = state.world.logins(Platform.google)[0]
        token, _ = state.auth.issue_token(Platform.google, login.login_id, "access", 3599)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://sandbox.test") as client:
            return await client.post(
                path,
                headers={"Authorization": f"Bearer {token}", **headers},
                json={"query": "SELECT customer.id FROM customer"},
            )

    async def test_a_sunset_version_is_refused(self) -> None:
        state = frozen_state()
        app = create_google_emulator(state, sunset_versions={"v20"})
        customer = state.world.logins(Platform.google)[0].account_ids[0]
        answer = await self.call(app, state, f"/v20/customers/{customer}/googleAds:search", {})
        assert answer.status_code == 400
        failure = answer.json()["error"]["details"][0]["errors"][0]
        assert failure["errorCode"] == {"requestError": "UNSUPPORTED_VERSION"}
        assert failure["message"] == "Version v20 is deprecated. Requests to this version will be blocked."
        assert (await self.call(app, state, f"/v23/customers/{customer}/googleAds:search", {})).status_code == 200

    async def test_a_test_project_reaches_no_production_account(self) -> None:
        state = frozen_state()
        app = create_google_emulator(state, test_project=True)
        customer = state.world.logins(Platform.google)[0].account_ids[0]
        answer = await self.call(app, state, f"/v23/customers/{customer}/googleAds:searchStream", {})
        assert answer.status_code == 403
        assert answer.json()[0]["error"]["details"][0]["errors"][0]["errorCode"] == {
            "authorizationError": "CLOUD_PROJECT_NOT_APPROVED_FOR_PRODUCTION"
        }

    async def test_a_login_customer_id_with_dashes_is_a_header_error(self) -> None:
        state = frozen_state()
        app = create_google_emulator(state)
        customer = state.world.logins(Platform.google)[0].account_ids[0]
        dashed = f"{customer[:3]}-{customer[3:6]}-{customer[6:]}"
        answer = await self.call(
            app, state, f"/v23/customers/{customer}/googleAds:search", {"login-customer-id": dashed}
        )
        assert answer.status_code == 400
        assert answer.json()["error"]["details"][0]["errors"][0]["errorCode"] == {
            "headerError": "INVALID_LOGIN_CUSTOMER_ID"
        }
        assert answer.headers["request-id"] == answer.json()["error"]["details"][0]["requestId"]

    async def test_unknown_body_fields_are_refused_like_google_does(self) -> None:
        state = frozen_state()
        app = create_google_emulator(state)
        login = state.world.logins(Platform.google)[0]
        token, _ = state.auth.issue_token(Platform.google, login.login_id, "access", 3599)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://sandbox.test") as client:
            answer = await client.post(
                f"/v23/customers/{login.account_ids[0]}/googleAds:searchStream",
                headers={"Authorization": f"Bearer {token}"},
                json={"query": "SELECT customer.id FROM customer", "pageToken": "x"},
            )
        assert answer.status_code == 400
        assert 'Unknown name "pageToken"' in answer.json()[0]["error"]["message"]
        assert isinstance(classify(answer), PlatformRejected)


# === where report rows sit, hourly pacing, removed entities =======================================================


class TestPlacementAndHours:
    @pytest.mark.parametrize("level", list(EntityLevel))
    async def test_daily_rows_name_their_entity_campaign_and_parent(
        self, emulator: EmulatedGoogle, level: EntityLevel
    ) -> None:
        credentials = await emulator.connect()
        since, until = emulator.report_range
        rows = await collect(emulator.adapter, credentials, emulator.account, level, since, until)
        assert placements(rows) == emulator.expected_placements(level, since, until)
        assert all(r.extras == {} for r in rows)
        if level is EntityLevel.campaign:
            assert all(r.campaign_platform_id == r.entity_platform_id and r.parent_platform_id is None for r in rows)
        (query,) = [r.body["query"] for r in emulator.log.api() if r.body and "metrics.cost_micros" in r.body["query"]]
        names = {
            EntityLevel.campaign: "campaign.id, campaign.name",
            EntityLevel.ad_group: "ad_group.id, ad_group.name, campaign.id",
            EntityLevel.ad: "ad_group_ad.ad.id, ad_group_ad.ad.name, ad_group.id, campaign.id",
        }[level]
        assert query.startswith(f"SELECT {names}, ")

    async def test_recorded_rows_without_names_still_place_the_campaign(self) -> None:
        backend = RecordedGoogle()
        credentials = await backend.connect()
        since, until = backend.report_range
        rows = await collect(backend.adapter, credentials, backend.account, EntityLevel.campaign, since, until)
        assert [(r.campaign_platform_id, r.parent_platform_id, r.entity_name) for r in rows] == [
            ("700001", None, None),
            ("700001", None, None),
        ]
        await backend.client.aclose()

    async def test_hourly_rows_are_the_simulation_hour_by_hour(self, emulator: EmulatedGoogle) -> None:
        credentials = await emulator.connect()
        day = emulator.report_range[1]  # conversions final: the numbers hold still
        rows = await collect_hourly(emulator.adapter, credentials, emulator.account, day)
        expected = emulator.expected_hourly(day)
        assert hourly_tuples(rows) == expected
        assert len(expected) > 24  # several campaigns over many hours
        assert all(r.currency == emulator.currency and 0 <= r.hour <= 23 for r in rows)
        (query,) = [r.body["query"] for r in emulator.log.api() if r.body and "segments.hour" in r.body["query"]]
        assert query.startswith("SELECT campaign.id, ")
        assert f"FROM campaign WHERE segments.date = '{day.isoformat()}'" in query

    async def test_the_hours_of_a_day_add_up_to_its_daily_row(self, emulator: EmulatedGoogle) -> None:
        credentials = await emulator.connect()
        day = emulator.report_range[1]
        hours = await collect_hourly(emulator.adapter, credentials, emulator.account, day)
        days = await collect(emulator.adapter, credentials, emulator.account, EntityLevel.campaign, day, day)
        summed: dict[str, list[Any]] = {}
        for h in hours:
            into = summed.setdefault(h.campaign_platform_id, [0, 0, 0, Decimal(0), 0])
            for i, value in enumerate(
                (h.impressions, h.clicks, h.spend_micros, h.conversions, h.conversion_value_micros)
            ):
                into[i] += value
        assert summed == {
            d.entity_platform_id: [d.impressions, d.clicks, d.spend_micros, d.conversions, d.conversion_value_micros]
            for d in days
        }

    async def test_today_has_hours_up_to_the_current_one(self) -> None:
        state = frozen_state()
        backend = private_emulator(state)
        credentials = await backend.connect()
        account = backend.world_account(backend.account.account_id)
        zone = ZoneInfo(account.time_zone)
        today = state.clock.today(account.time_zone)
        first = await collect_hourly(backend.adapter, credentials, backend.account, today)
        assert hourly_tuples(first) == backend.expected_hourly(today)
        assert max(r.hour for r in first) == state.clock.now().astimezone(zone).hour
        state.clock.advance(2 * 3600)
        credentials = await backend.adapter.refresh(credentials)
        later = await collect_hourly(backend.adapter, credentials, backend.account, today)
        assert hourly_tuples(later) == backend.expected_hourly(today)
        if state.clock.today(account.time_zone) == today:
            assert max(r.hour for r in later) == state.clock.now().astimezone(zone).hour
        assert sum(r.spend_micros for r in later) > sum(r.spend_micros for r in first)
        tomorrow = await collect_hourly(backend.adapter, credentials, backend.account, today + timedelta(days=3))
        assert tomorrow == []

    async def test_the_hour_is_a_json_number_in_the_stream(self, emulator: EmulatedGoogle) -> None:
        credentials = await emulator.connect()
        day = emulator.report_range[1]
        query = (
            "SELECT campaign.id, segments.hour, metrics.clicks FROM campaign "  # noqa: S608 (GAQL)
            f"WHERE segments.date = '{day}' AND segments.hour >= 12 ORDER BY segments.hour DESC"
        )
        answer = await TestEmulatorSpeaksGoogle().raw(emulator, credentials, query)
        assert answer.status_code == 200, answer.text
        batch = answer.json()[0]
        assert batch["fieldMask"] == "campaign.id,segments.hour,metrics.clicks"
        hours = [row["segments"]["hour"] for row in batch["results"]]
        assert all(isinstance(h, int) and 12 <= h <= 23 for h in hours)
        assert hours == sorted(hours, reverse=True)

    async def test_a_removed_campaign_is_still_named_in_its_reports(self) -> None:
        state = frozen_state()
        backend = private_emulator(state)
        credentials = await backend.connect()
        account = backend.world_account(backend.account.account_id)
        yesterday = state.clock.today(account.time_zone) - timedelta(days=1)
        before = await collect(
            backend.adapter, credentials, backend.account, EntityLevel.campaign, yesterday, yesterday
        )
        target = before[0]
        assert target.entity_name
        await backend.adapter.set_status(
            credentials,
            EntityRef(backend.account, EntityLevel.campaign, target.entity_platform_id),
            EntityStatus.removed,
        )
        listed = await backend.adapter.list_entities(credentials, backend.account)
        assert {e.platform_id: e.status for e in listed}[target.entity_platform_id] is EntityStatus.removed
        after = await collect(backend.adapter, credentials, backend.account, EntityLevel.campaign, yesterday, yesterday)
        (again,) = [r for r in after if r.entity_platform_id == target.entity_platform_id]
        assert (again.entity_name, again.campaign_platform_id, again.spend_micros) == (
            target.entity_name,
            target.entity_platform_id,
            target.spend_micros,
        )
        groups = await collect(backend.adapter, credentials, backend.account, EntityLevel.ad, yesterday, yesterday)
        own = [r for r in groups if r.campaign_platform_id == target.entity_platform_id]
        assert own and all(r.parent_platform_id and r.entity_name for r in own)
        hours = await collect_hourly(backend.adapter, credentials, backend.account, yesterday)
        assert sum(h.spend_micros for h in hours if h.campaign_platform_id == target.entity_platform_id) == (
            target.spend_micros
        )


class HourlyRecorded(RecordedGoogle):
    """The recorded backend answering an hourly query with rows in the reference's proto3 shape (§A.1: int64 as
    strings, doubles and the int32 hour as numbers)."""

    def __init__(self, hours: list[int]) -> None:
        super().__init__()
        self.hours = hours

    def stream(self, customer: str, query: str) -> httpx.Response:
        if "segments.hour" not in query:
            return super().stream(customer, query)
        results = [
            {
                "campaign": {"resourceName": f"customers/{customer}/campaigns/700001", "id": "700001"},
                "metrics": {
                    "impressions": str(100 + hour),
                    "clicks": "3",
                    "costMicros": "1250000",
                    "conversions": 0.5,
                    "conversionsValue": 12.3,
                },
                "segments": {"date": "2024-01-01", "hour": hour},
            }
            for hour in self.hours
        ]
        mask = "campaign.id,segments.date,metrics.impressions,segments.hour"
        return httpx.Response(200, text=json.dumps([{"results": results, "fieldMask": mask, "requestId": "r"}]))


class TestRecordedHours:
    async def test_hourly_rows_in_googles_shape_are_read(self) -> None:
        backend = HourlyRecorded([0, 13, 23])
        credentials = await backend.connect()
        rows = await collect_hourly(backend.adapter, credentials, backend.account, date(2024, 1, 1))
        assert hourly_tuples(rows) == [
            ("700001", date(2024, 1, 1), hour, 100 + hour, 3, 1_250_000, Decimal("0.5"), 12_300_000)
            for hour in (0, 13, 23)
        ]
        assert {r.currency for r in rows} == {"USD"}
        await backend.client.aclose()

    async def test_an_hour_out_of_range_is_an_unreadable_answer(self) -> None:
        backend = HourlyRecorded([24])
        credentials = await backend.connect()
        with pytest.raises(PlatformUnavailable):
            await collect_hourly(backend.adapter, credentials, backend.account, date(2024, 1, 1))
        await backend.client.aclose()
