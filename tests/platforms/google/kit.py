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
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qs

import httpx

from adpilot.platforms.config import GoogleAdsConfig, Rate
from adpilot.platforms.google import GoogleAdsAdapter
from adpilot.platforms.http import PlatformHttp
from adpilot.platforms.types import AdAccountRef, Credentials, EntityLevel, EntityRef, EntityStatus, Platform
from adpilot.sandbox.auth import pkce_challenge
from adpilot.sandbox.engine import SandboxLogin, SimAccount
from adpilot.sandbox.faults import FaultKind
from adpilot.sandbox.google import create_google_emulator
from adpilot.sandbox.state import SandboxState
from tests.platforms.contract_kit import (
    ContractBackend,
    FakeTime,
    WorldBackend,
    fake_time_http,
    in_process,
    logged_client,
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


def private_emulator(state: SandboxState, **options: Any) -> EmulatedGoogle:
    """An emulator on a sandbox of its own (in-process ASGI), for tests that move its clock or throttle it: the shared
    server's clock follows the wall clock and its quota real time."""
    return EmulatedGoogle(state, *in_process(Platform.google, create_google_emulator(state)), **options)


async def raw_search(
    emulator: EmulatedGoogle,
    credentials: Credentials,
    query: str,
    *,
    manager: bool = True,
    method: str = "searchStream",
) -> httpx.Response:
    """A GAQL query sent to the emulator as it is, for the tests that read its bodies."""
    headers = {"Authorization": f"Bearer {credentials.access_token}"}
    if manager:
        headers["login-customer-id"] = emulator.manager
    return await emulator.client.post(
        f"{emulator.base_url}/v23/customers/{emulator.account.account_id}/googleAds:{method}",
        headers=headers,
        json={"query": query},
    )
