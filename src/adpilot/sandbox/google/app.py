"""The Google Ads emulator: Google's OAuth endpoints and the Ads REST API, on the sandbox world.

It answers exactly as Google does, so the real adapter cannot tell the difference and a drift in the adapter shows up
here first:

* OAuth: the consent page (``/o/oauth2/v2/auth``), ``/token`` (authorization code with PKCE, refresh) and ``/revoke``,
  with RFC 6749 error bodies. A refresh token is issued only for ``access_type=offline``.
* The API under ``/{version}/``: ``customers:listAccessibleCustomers``, ``googleAds:search`` (pages of 10,000 rows,
  ``pageSize`` refused) and ``googleAds:searchStream`` (a JSON array of batches, ``results`` omitted when empty,
  errors array-wrapped), a GAQL subset large enough for the product and its tests (parsed and evaluated by
  :mod:`.gaql`; the resources and fields it serves are here), and ``:mutate`` for campaigns, ad groups, ads and
  campaign budgets (``updateMask`` required, ``validateOnly``, ``partialFailure``).
* proto3 JSON throughout: lowerCamelCase, int64 as strings, doubles as numbers, enums by name.
* Errors are ``google.rpc.Status`` envelopes with a ``GoogleAdsFailure`` and a ``request-id`` header; 401 for bad
  tokens, 403 ``USER_PERMISSION_DENIED`` for a client account asked for without its manager in ``login-customer-id``,
  429 ``RESOURCE_EXHAUSTED`` with ``quotaErrorDetails.retryDelay`` above the configured rate per customer.
* Faults queued in ``state.faults`` are served per customer (429 storms, 503 bursts, expired and revoked tokens,
  slow answers).

Each campaign has its own (non-shared) campaign budget whose id is derived from the campaign id; budgets created
through ``campaignBudgets:mutate`` live in the emulator until a campaign is created on them.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import json
import math
import re
import secrets
import threading
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, urlencode
from zoneinfo import ZoneInfo

from fastapi import FastAPI, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse

from adpilot.platforms.types import EntityLevel, EntityStatus, Platform
from adpilot.sandbox.auth import SandboxAuthError, redirect_uri_allowed, render_consent_page
from adpilot.sandbox.engine import (
    SandboxLogin,
    SimAccount,
    SimChange,
    SimEntity,
    SimMetrics,
    minor_unit_micros,
)
from adpilot.sandbox.faults import FaultKind
from adpilot.sandbox.google.gaql import Condition, GaqlError, Query, coerce_values, date_range, evaluate, parse_gaql
from adpilot.sandbox.state import SandboxState

SCOPE = "https://www.googleapis.com/auth/adwords"
PAGE_SIZE = 10_000  # fixed since v17; ``pageSize`` is refused
STREAM_BATCH_SIZE = 10_000
_BUDGET_ID_OFFSET = 10**12  # derived campaign budget id = campaign id + offset
_FAULT_RETRY_DELAY = 30.0  # seconds in an injected 429 that names no delay of its own
_VERSION = re.compile(r"^v\d{1,3}$")
_CUSTOMER_ID = re.compile(r"^\d{10}$")

_GRPC_STATUS = {
    400: ("INVALID_ARGUMENT", "Request contains an invalid argument."),
    401: (
        "UNAUTHENTICATED",
        "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid "
        "authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.",
    ),
    403: ("PERMISSION_DENIED", "The caller does not have permission"),
    404: ("NOT_FOUND", "Requested entity was not found."),
    429: ("RESOURCE_EXHAUSTED", "Resource has been exhausted (e.g. check quota)."),
    500: ("INTERNAL", "Internal error encountered."),
    503: ("UNAVAILABLE", "The service is currently unavailable."),
    504: ("DEADLINE_EXCEEDED", "The request deadline was exceeded."),
}
_MISSING_CREDENTIALS = (
    "Request is missing required authentication credential. Expected OAuth 2 access token, login cookie or other "
    "valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project."
)


# ---- errors ----------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AdsError:
    """One entry of a ``GoogleAdsFailure``: ``{"errorCode": {category: code}, "message", "location", "details"}``."""

    category: str
    code: str
    message: str
    location: tuple[tuple[str, int | None], ...] = ()
    details: Mapping[str, Any] | None = None

    def at(self, *path: tuple[str, int | None]) -> AdsError:
        return AdsError(self.category, self.code, self.message, (*path, *self.location), self.details)

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"errorCode": {self.category: self.code}, "message": self.message}
        if self.location:
            body["location"] = {
                "fieldPathElements": [
                    {"fieldName": name} if index is None else {"fieldName": name, "index": index}
                    for name, index in self.location
                ]
            }
        if self.details:
            body["details"] = dict(self.details)
        return body


class GoogleApiError(Exception):
    """An error answer of the Ads API. Without ``errors`` it is a front-end error (no ``GoogleAdsFailure``), such as
    a malformed JSON body or a 503; ``violations`` then become a ``google.rpc.BadRequest`` detail."""

    def __init__(
        self,
        http_status: int,
        errors: Sequence[AdsError] = (),
        *,
        message: str | None = None,
        violations: Sequence[str] = (),
    ) -> None:
        super().__init__(message or (errors[0].message if errors else str(http_status)))
        self.http_status = http_status
        self.errors = list(errors)
        self.message = message
        self.violations = list(violations)

    def body(self, version: str, request_id: str) -> dict[str, Any]:
        status, default_message = _GRPC_STATUS.get(self.http_status, ("UNKNOWN", "Unknown error."))
        error: dict[str, Any] = {"code": self.http_status, "message": self.message or default_message, "status": status}
        if self.errors:
            error["details"] = [
                {
                    "@type": f"type.googleapis.com/google.ads.googleads.{version}.errors.GoogleAdsFailure",
                    "errors": [e.to_json() for e in self.errors],
                    "requestId": request_id,
                }
            ]
        elif self.violations:
            error["details"] = [
                {
                    "@type": "type.googleapis.com/google.rpc.BadRequest",
                    "fieldViolations": [{"description": v} for v in self.violations],
                }
            ]
        return {"error": error}


def _query_error(error: GaqlError) -> GoogleApiError:
    return GoogleApiError(400, [AdsError(error.category, error.code, error.message)])


def _request_error(code: str, message: str) -> GoogleApiError:
    return GoogleApiError(400, [AdsError("requestError", code, message)])


def _invalid_json(description: str) -> GoogleApiError:
    return GoogleApiError(400, message=description, violations=[description])


def _permission_denied() -> GoogleApiError:
    return GoogleApiError(
        403,
        [
            AdsError(
                "authorizationError",
                "USER_PERMISSION_DENIED",
                "User doesn't have permission to access customer. Note: If you're accessing a client customer, the "
                "manager's customer id must be set in the 'login-customer-id' header. See "
                "https://developers.google.com/google-ads/api/docs/concepts/call-structure#cid",
            )
        ],
    )


def _duration(seconds: float) -> str:
    """A proto3 JSON ``Duration``: whole seconds as ``"30s"``, else 3, 6 or 9 fractional digits (``"0.250s"``)."""
    nanos = max(0, math.ceil(seconds * 1e9))
    whole, fraction = divmod(nanos, 10**9)
    if fraction == 0:
        return f"{whole}s"
    digits = f"{fraction:09d}"
    for width in (3, 6):
        if digits[width:] == "0" * (9 - width):
            return f"{whole}.{digits[:width]}s"
    return f"{whole}.{digits}s"


def _rate_limited(seconds: float, rate_name: str) -> GoogleApiError:
    delay = _duration(seconds)
    return GoogleApiError(
        429,
        [
            AdsError(
                "quotaError",
                "RESOURCE_EXHAUSTED",
                f"Too many requests. Retry in {math.ceil(seconds)} seconds.",
                details={"quotaErrorDetails": {"rateScope": "ACCOUNT", "rateName": rate_name, "retryDelay": delay}},
            )
        ],
    )


def _unauthenticated(code: str, message: str) -> GoogleApiError:
    return GoogleApiError(401, [AdsError("authenticationError", code, message)])


# ---- queries: the resources and fields served ------------------------------------------------------------------------


@dataclass
class _Totals:
    impressions: int = 0
    clicks: int = 0
    spend_micros: int = 0
    conversions: int = 0
    conversion_value_micros: int = 0
    video_views: int = 0

    def add(self, metrics: SimMetrics) -> None:
        self.impressions += metrics.impressions
        self.clicks += metrics.clicks
        self.spend_micros += metrics.spend_micros
        self.conversions += metrics.conversions
        self.conversion_value_micros += metrics.conversion_value_micros
        self.video_views += metrics.video_views

    def merge(self, other: _Totals) -> None:
        self.impressions += other.impressions
        self.clicks += other.clicks
        self.spend_micros += other.spend_micros
        self.conversions += other.conversions
        self.conversion_value_micros += other.conversion_value_micros
        self.video_views += other.video_views


@dataclass
class _Row:
    """One result row before rendering: the entities it is about, and the day and numbers for segmented reports."""

    customer: SimAccount
    client: tuple[SimAccount, int] | None = None  # customer_client rows: (client account, level)
    campaign: SimEntity | None = None
    ad_group: SimEntity | None = None
    ad: SimEntity | None = None
    day: date | None = None
    hour: int | None = None  # segments.hour: the hour of the day in the account's time zone
    metrics: _Totals | None = None
    change: SimChange | None = None  # change_status rows


_STATUS_WORD = {EntityStatus.active: "ENABLED", EntityStatus.paused: "PAUSED", EntityStatus.removed: "REMOVED"}
_STATUS_ENUM = frozenset({"ENABLED", "PAUSED", "REMOVED", "UNKNOWN", "UNSPECIFIED"})
_CUSTOMER_STATUS_ENUM = frozenset({"ENABLED", "CANCELED", "SUSPENDED", "CLOSED", "UNKNOWN", "UNSPECIFIED"})
_CHANNEL_BY_OBJECTIVE = {
    "sales": "SHOPPING",
    "traffic": "SEARCH",
    "leads": "SEARCH",
    "awareness": "DISPLAY",
    "video_views": "VIDEO",
    "app_installs": "MULTI_CHANNEL",
}
_BIDDING_BY_OBJECTIVE = {
    "sales": "MAXIMIZE_CONVERSION_VALUE",
    "traffic": "TARGET_SPEND",
    "leads": "MAXIMIZE_CONVERSIONS",
    "awareness": "TARGET_CPM",
    "video_views": "MANUAL_CPV",
    "app_installs": "TARGET_CPA",
}
_OBJECTIVE_BY_CHANNEL = {
    "SEARCH": "traffic",
    "DISPLAY": "awareness",
    "SHOPPING": "sales",
    "PERFORMANCE_MAX": "sales",
    "VIDEO": "video_views",
    "MULTI_CHANNEL": "app_installs",
    "DEMAND_GEN": "traffic",
    "LOCAL": "traffic",
    "SMART": "traffic",
}
# The bidding strategy oneof of a campaign (JSON name → bidding_strategy_type).
_BIDDING_FIELDS = {
    "manualCpc": "MANUAL_CPC",
    "manualCpm": "MANUAL_CPM",
    "manualCpv": "MANUAL_CPV",
    "maximizeConversions": "MAXIMIZE_CONVERSIONS",
    "maximizeConversionValue": "MAXIMIZE_CONVERSION_VALUE",
    "targetCpa": "TARGET_CPA",
    "targetRoas": "TARGET_ROAS",
    "targetSpend": "TARGET_SPEND",
    "targetImpressionShare": "TARGET_IMPRESSION_SHARE",
    "targetCpm": "TARGET_CPM",
    "percentCpc": "PERCENT_CPC",
    "commission": "COMMISSION",
    "biddingStrategy": "PORTFOLIO",
}
_ADVERTISING_CHANNELS = frozenset(
    {"SEARCH", "DISPLAY", "SHOPPING", "HOTEL", "VIDEO", "MULTI_CHANNEL", "LOCAL", "SMART", "PERFORMANCE_MAX",
     "LOCAL_SERVICES", "TRAVEL", "DEMAND_GEN"}
)  # fmt: skip


def _channel(campaign: SimEntity) -> str:
    value = campaign.attributes.get("advertising_channel_type")
    return str(value) if value else _CHANNEL_BY_OBJECTIVE.get(campaign.objective, "SEARCH")


def _bidding(campaign: SimEntity) -> str:
    value = campaign.attributes.get("bidding_strategy_type")
    return str(value) if value else _BIDDING_BY_OBJECTIVE.get(campaign.objective, "MANUAL_CPC")


def _double(value: float) -> float | int:
    # proto3 JSON prints a whole double without a fraction ("conversions": 2), as Google's captures show.
    return int(value) if float(value).is_integer() else value


@dataclass(frozen=True)
class _Field:
    name: str
    resource: str  # the resource whose object holds it: campaign, campaign_budget, ..., metrics, segments
    kind: str  # int64 | double | string | enum | bool | date
    read: Callable[[_Row, _Budgets], Any]
    enum: frozenset[str] | None = None


class _Budgets:
    """Campaign budget ids: derived from the campaign id, or those of budgets created through the API."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.pending: dict[str, dict[str, Any]] = {}  # budget id → created budget not yet used by a campaign
        self.by_campaign: dict[str, str] = {}  # campaign id → created budget id
        self.next_id = 9_100_000_000_000

    def id_of(self, campaign: SimEntity) -> str:
        return self.by_campaign.get(campaign.id) or str(int(campaign.id) + _BUDGET_ID_OFFSET)

    def campaign_of(self, budget_id: str) -> str | None:
        for campaign_id, owned in self.by_campaign.items():
            if owned == budget_id:
                return campaign_id
        if budget_id.isdigit() and int(budget_id) > _BUDGET_ID_OFFSET:
            return str(int(budget_id) - _BUDGET_ID_OFFSET)
        return None

    def new_id(self) -> str:
        with self._lock:
            self.next_id += 1
            return str(self.next_id)


def _customer_of(row: _Row) -> str:
    return row.customer.account_id


def _campaign_fields() -> list[_Field]:
    def c(row: _Row) -> SimEntity:
        assert row.campaign is not None  # noqa: S101 - only read for rows that have one
        return row.campaign

    return [
        _Field("campaign.resource_name", "campaign", "string",
               lambda r, b: f"customers/{_customer_of(r)}/campaigns/{c(r).id}"),
        _Field("campaign.id", "campaign", "int64", lambda r, b: int(c(r).id)),
        _Field("campaign.name", "campaign", "string", lambda r, b: c(r).name),
        _Field("campaign.status", "campaign", "enum", lambda r, b: _STATUS_WORD[c(r).status], _STATUS_ENUM),
        _Field("campaign.advertising_channel_type", "campaign", "enum", lambda r, b: _channel(c(r)),
               _ADVERTISING_CHANNELS),
        _Field("campaign.bidding_strategy_type", "campaign", "enum", lambda r, b: _bidding(c(r))),
        _Field("campaign.campaign_budget", "campaign", "string",
               lambda r, b: f"customers/{_customer_of(r)}/campaignBudgets/{b.id_of(c(r))}"),
        _Field("campaign.serving_status", "campaign", "enum",
               lambda r, b: "ENDED" if c(r).status is EntityStatus.removed else "SERVING"),
        _Field("campaign.contains_eu_political_advertising", "campaign", "enum",
               lambda r, b: c(r).attributes.get("contains_eu_political_advertising",
                                                 "DOES_NOT_CONTAIN_EU_POLITICAL_ADVERTISING")),
        _Field("campaign_budget.resource_name", "campaign_budget", "string",
               lambda r, b: f"customers/{_customer_of(r)}/campaignBudgets/{b.id_of(c(r))}"),
        _Field("campaign_budget.id", "campaign_budget", "int64", lambda r, b: int(b.id_of(c(r)))),
        _Field("campaign_budget.name", "campaign_budget", "string",
               lambda r, b: c(r).attributes.get("budget_name") or f"{c(r).name} budget"),
        _Field("campaign_budget.amount_micros", "campaign_budget", "int64", lambda r, b: c(r).daily_budget_micros),
        _Field("campaign_budget.total_amount_micros", "campaign_budget", "int64",
               lambda r, b: c(r).lifetime_budget_micros),
        _Field("campaign_budget.delivery_method", "campaign_budget", "enum",
               lambda r, b: c(r).attributes.get("budget_delivery_method", "STANDARD")),
        _Field("campaign_budget.explicitly_shared", "campaign_budget", "bool", lambda r, b: False),
        _Field("campaign_budget.reference_count", "campaign_budget", "int64", lambda r, b: 1),
        _Field("campaign_budget.status", "campaign_budget", "enum",
               lambda r, b: "REMOVED" if c(r).status is EntityStatus.removed else "ENABLED"),
        _Field("campaign_budget.period", "campaign_budget", "enum",
               lambda r, b: "DAILY" if c(r).daily_budget_micros is not None else "CUSTOM_PERIOD"),
    ]  # fmt: skip


def _ad_group_fields() -> list[_Field]:
    def g(row: _Row) -> SimEntity:
        assert row.ad_group is not None  # noqa: S101 - only read for rows that have one
        return row.ad_group

    return [
        _Field("ad_group.resource_name", "ad_group", "string",
               lambda r, b: f"customers/{_customer_of(r)}/adGroups/{g(r).id}"),
        _Field("ad_group.id", "ad_group", "int64", lambda r, b: int(g(r).id)),
        _Field("ad_group.name", "ad_group", "string", lambda r, b: g(r).name),
        _Field("ad_group.status", "ad_group", "enum", lambda r, b: _STATUS_WORD[g(r).status], _STATUS_ENUM),
        _Field("ad_group.type", "ad_group", "enum", lambda r, b: g(r).attributes.get("type", "SEARCH_STANDARD")),
        _Field("ad_group.campaign", "ad_group", "string",
               lambda r, b: f"customers/{_customer_of(r)}/campaigns/{g(r).campaign_id}"),
        _Field("ad_group.cpc_bid_micros", "ad_group", "int64", lambda r, b: g(r).attributes.get("cpc_bid_micros")),
    ]  # fmt: skip


def _ad_group_ad_fields() -> list[_Field]:
    def a(row: _Row) -> SimEntity:
        assert row.ad is not None  # noqa: S101 - only read for rows that have one
        return row.ad

    return [
        _Field("ad_group_ad.resource_name", "ad_group_ad", "string",
               lambda r, b: f"customers/{_customer_of(r)}/adGroupAds/{a(r).parent_id}~{a(r).id}"),
        _Field("ad_group_ad.status", "ad_group_ad", "enum", lambda r, b: _STATUS_WORD[a(r).status], _STATUS_ENUM),
        _Field("ad_group_ad.ad_group", "ad_group_ad", "string",
               lambda r, b: f"customers/{_customer_of(r)}/adGroups/{a(r).parent_id}"),
        _Field("ad_group_ad.ad.id", "ad_group_ad", "int64", lambda r, b: int(a(r).id)),
        _Field("ad_group_ad.ad.resource_name", "ad_group_ad", "string",
               lambda r, b: f"customers/{_customer_of(r)}/ads/{a(r).id}"),
        _Field("ad_group_ad.ad.name", "ad_group_ad", "string", lambda r, b: a(r).name),
        _Field("ad_group_ad.ad.type", "ad_group_ad", "enum",
               lambda r, b: a(r).attributes.get("type", "RESPONSIVE_SEARCH_AD")),
    ]  # fmt: skip


def _customer_status(account: SimAccount) -> str:
    return "ENABLED" if account.active else "CANCELED"


def _customer_fields() -> list[_Field]:
    return [
        _Field("customer.resource_name", "customer", "string", lambda r, b: f"customers/{r.customer.account_id}"),
        _Field("customer.id", "customer", "int64", lambda r, b: int(r.customer.account_id)),
        _Field("customer.descriptive_name", "customer", "string", lambda r, b: r.customer.name),
        _Field("customer.currency_code", "customer", "string", lambda r, b: r.customer.currency),
        _Field("customer.time_zone", "customer", "string", lambda r, b: r.customer.time_zone),
        _Field("customer.manager", "customer", "bool", lambda r, b: r.customer.is_manager),
        _Field("customer.status", "customer", "enum", lambda r, b: _customer_status(r.customer),
               _CUSTOMER_STATUS_ENUM),
        _Field("customer.test_account", "customer", "bool", lambda r, b: False),
        _Field("customer.auto_tagging_enabled", "customer", "bool", lambda r, b: True),
    ]  # fmt: skip


def _customer_client_fields() -> list[_Field]:
    def cl(row: _Row) -> tuple[SimAccount, int]:
        assert row.client is not None  # noqa: S101 - only read for rows that have one
        return row.client

    return [
        _Field("customer_client.resource_name", "customer_client", "string",
               lambda r, b: f"customers/{r.customer.account_id}/customerClients/{cl(r)[0].account_id}"),
        _Field("customer_client.client_customer", "customer_client", "string",
               lambda r, b: f"customers/{cl(r)[0].account_id}"),
        _Field("customer_client.level", "customer_client", "int64", lambda r, b: cl(r)[1]),
        _Field("customer_client.manager", "customer_client", "bool", lambda r, b: cl(r)[0].is_manager),
        _Field("customer_client.descriptive_name", "customer_client", "string", lambda r, b: cl(r)[0].name),
        _Field("customer_client.currency_code", "customer_client", "string", lambda r, b: cl(r)[0].currency),
        _Field("customer_client.time_zone", "customer_client", "string", lambda r, b: cl(r)[0].time_zone),
        _Field("customer_client.id", "customer_client", "int64", lambda r, b: int(cl(r)[0].account_id)),
        _Field("customer_client.status", "customer_client", "enum", lambda r, b: _customer_status(cl(r)[0]),
               _CUSTOMER_STATUS_ENUM),
        _Field("customer_client.hidden", "customer_client", "bool", lambda r, b: False),
        _Field("customer_client.test_account", "customer_client", "bool", lambda r, b: False),
    ]  # fmt: skip


# change_status: the latest change of each campaign, ad group and ad group ad; Google keeps 90 days of them and insists
# on a finite last_change_date_time range and a LIMIT of at most 10,000.
CHANGE_STATUS_DAYS = 90
CHANGE_STATUS_LIMIT = 10_000
_CHANGE_FIELD = "change_status.last_change_date_time"
_CHANGE_RESOURCE_TYPE = {
    EntityLevel.campaign: "CAMPAIGN",
    EntityLevel.ad_group: "AD_GROUP",
    EntityLevel.ad: "AD_GROUP_AD",
}
_CHANGE_TIME_FORMAT = "%Y-%m-%d %H:%M:%S.%f"


def _change_fields() -> list[_Field]:
    def ch(row: _Row) -> SimChange:
        assert row.change is not None  # noqa: S101 - only read for change_status rows
        return row.change

    def status(row: _Row) -> str:
        change = ch(row)
        return "REMOVED" if change.removed else "ADDED" if change.added else "CHANGED"

    def changed_at(row: _Row) -> str:
        moment = ch(row).changed_at.astimezone(ZoneInfo(row.customer.time_zone))
        return moment.strftime(_CHANGE_TIME_FORMAT)

    def campaign(row: _Row) -> str:
        return f"customers/{_customer_of(row)}/campaigns/{ch(row).entity.campaign_id}"

    def ad_group(row: _Row) -> str | None:
        entity = ch(row).entity
        group = {EntityLevel.ad_group: entity.id, EntityLevel.ad: entity.parent_id}.get(entity.level)
        return f"customers/{_customer_of(row)}/adGroups/{group}" if group else None

    def ad_group_ad(row: _Row) -> str | None:
        entity = ch(row).entity
        if entity.level is not EntityLevel.ad:
            return None
        return f"customers/{_customer_of(row)}/adGroupAds/{entity.parent_id}~{entity.id}"

    def name(row: _Row) -> str:
        entity = ch(row).entity
        return f"customers/{_customer_of(row)}/changeStatus/{_CHANGE_RESOURCE_TYPE[entity.level]}~{entity.id}"

    return [
        _Field("change_status.resource_name", "change_status", "string", lambda r, b: name(r)),
        _Field("change_status.resource_type", "change_status", "enum",
               lambda r, b: _CHANGE_RESOURCE_TYPE[ch(r).entity.level],
               frozenset({*_CHANGE_RESOURCE_TYPE.values(), "AD_GROUP_CRITERION", "CAMPAIGN_CRITERION", "ASSET",
                          "UNKNOWN", "UNSPECIFIED"})),
        _Field("change_status.resource_status", "change_status", "enum", lambda r, b: status(r),
               frozenset({"ADDED", "CHANGED", "REMOVED", "UNKNOWN", "UNSPECIFIED"})),
        _Field(_CHANGE_FIELD, "change_status", "string", lambda r, b: changed_at(r)),
        _Field("change_status.campaign", "change_status", "string", lambda r, b: campaign(r)),
        _Field("change_status.ad_group", "change_status", "string", lambda r, b: ad_group(r)),
        _Field("change_status.ad_group_ad", "change_status", "string", lambda r, b: ad_group_ad(r)),
    ]  # fmt: skip


def _change_moment(value: Any, time_zone: str) -> datetime:
    """A ``last_change_date_time`` literal (``'YYYY-MM-DD[ HH:MM:SS[.ffffff]]'`` in the account's time zone)."""
    text = str(value)
    for pattern in ("%Y-%m-%d %H:%M:%S.%f", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d"):
        try:
            return datetime.strptime(text, pattern).replace(tzinfo=ZoneInfo(time_zone))
        except ValueError:
            continue
    raise GaqlError("INVALID_DATE_FORMAT", f"Invalid date time format: {text!r}.")


def _change_span(plan: _Plan, account: SimAccount, now: datetime) -> datetime:
    """Check a change_status query as Google does and return where its range starts."""
    low: datetime | None = None
    high: datetime | None = None
    for spec, condition, values in plan.conditions:
        if spec.name != _CHANGE_FIELD:
            continue
        moments = [_change_moment(v, account.time_zone) for v in values]
        if condition.operator in (">", ">=", "BETWEEN", "="):
            low = moments[0] if low is None else max(low, moments[0])
        if condition.operator in ("<", "<=", "="):
            high = moments[0] if high is None else min(high, moments[0])
        if condition.operator == "BETWEEN":
            high = moments[1] if high is None else min(high, moments[1])
    if low is None or high is None:
        raise GaqlError(
            "CHANGE_DATE_RANGE_INFINITE",
            "The change_status search request must specify a finite range filter on last_change_date_time.",
            "changeStatusError",
        )
    if low > high:
        raise GaqlError(
            "CHANGE_DATE_RANGE_NEGATIVE",
            "The change status search request has specified invalid date time filters that can never logically "
            "produce any valid results.",
            "changeStatusError",
        )
    if low < now - timedelta(days=CHANGE_STATUS_DAYS):
        raise GaqlError("START_DATE_TOO_OLD", "The requested start date is too old.", "changeStatusError")
    if plan.query.limit is None:
        raise GaqlError(
            "LIMIT_NOT_SPECIFIED", "The change_status search request must specify a LIMIT.", "changeStatusError"
        )
    if plan.query.limit > CHANGE_STATUS_LIMIT:
        raise GaqlError(
            "INVALID_LIMIT_CLAUSE",
            "The LIMIT specified by change_status request should be less than or equal to 10K.",
            "changeStatusError",
        )
    return low


def _metric_fields() -> list[_Field]:
    def m(row: _Row) -> _Totals:
        return row.metrics or _Totals()

    def ratio(numerator: float, denominator: float, scale: float = 1.0) -> float | int:
        return _double(numerator / denominator * scale) if denominator else 0

    return [
        _Field("metrics.impressions", "metrics", "int64", lambda r, b: m(r).impressions),
        _Field("metrics.clicks", "metrics", "int64", lambda r, b: m(r).clicks),
        _Field("metrics.cost_micros", "metrics", "int64", lambda r, b: m(r).spend_micros),
        _Field("metrics.conversions", "metrics", "double", lambda r, b: _double(m(r).conversions)),
        _Field("metrics.conversions_value", "metrics", "double",
               lambda r, b: _double(m(r).conversion_value_micros / 1_000_000)),
        _Field("metrics.all_conversions", "metrics", "double", lambda r, b: _double(m(r).conversions)),
        _Field("metrics.all_conversions_value", "metrics", "double",
               lambda r, b: _double(m(r).conversion_value_micros / 1_000_000)),
        _Field("metrics.ctr", "metrics", "double", lambda r, b: ratio(m(r).clicks, m(r).impressions)),
        _Field("metrics.average_cpc", "metrics", "double", lambda r, b: ratio(m(r).spend_micros, m(r).clicks)),
        _Field("metrics.average_cpm", "metrics", "double",
               lambda r, b: ratio(m(r).spend_micros, m(r).impressions, 1000)),
        _Field("metrics.cost_per_conversion", "metrics", "double",
               lambda r, b: ratio(m(r).spend_micros, m(r).conversions)),
        _Field("metrics.video_trueview_views", "metrics", "int64", lambda r, b: m(r).video_views),
        _Field("segments.date", "segments", "date", lambda r, b: r.day.isoformat() if r.day else None),
        _Field("segments.hour", "segments", "int32", lambda r, b: r.hour),
    ]  # fmt: skip


FIELDS: dict[str, _Field] = {
    f.name: f
    for f in (
        *_campaign_fields(),
        *_ad_group_fields(),
        *_ad_group_ad_fields(),
        *_customer_fields(),
        *_customer_client_fields(),
        *_change_fields(),
        *_metric_fields(),
    )
}
# Which resources' fields a FROM resource can select (itself and its attributed resources), and whether it reports.
_SELECTABLE: dict[str, frozenset[str]] = {
    "customer": frozenset({"customer"}),
    "customer_client": frozenset({"customer_client", "customer"}),
    "campaign": frozenset({"campaign", "campaign_budget", "customer"}),
    "campaign_budget": frozenset({"campaign_budget", "customer"}),
    "ad_group": frozenset({"ad_group", "campaign", "customer"}),
    "ad_group_ad": frozenset({"ad_group_ad", "ad_group", "campaign", "customer"}),
    "change_status": frozenset({"change_status"}),
}
_REPORTING = frozenset({"customer", "campaign", "campaign_budget", "ad_group", "ad_group_ad"})
_LEVEL_OF: dict[str, EntityLevel] = {
    "campaign": EntityLevel.campaign,
    "campaign_budget": EntityLevel.campaign,
    "customer": EntityLevel.campaign,
    "ad_group": EntityLevel.ad_group,
    "ad_group_ad": EntityLevel.ad,
}
_RESOURCE_NAME_FIELD = {
    "customer": "customer.resource_name",
    "customer_client": "customer_client.resource_name",
    "campaign": "campaign.resource_name",
    "campaign_budget": "campaign_budget.resource_name",
    "ad_group": "ad_group.resource_name",
    "ad_group_ad": "ad_group_ad.resource_name",
    "change_status": "change_status.resource_name",
}


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def _json_path(name: str) -> list[str]:
    return [_camel(part) for part in name.split(".")]


def _encode(kind: str, value: Any) -> Any:
    if kind == "int64":
        return str(int(value))
    if kind == "int32":  # proto3 JSON writes 32-bit integers as numbers, 64-bit ones as strings
        return int(value)
    if kind == "double":
        return _double(float(value)) if not isinstance(value, int) else value
    return value


def _put(target: dict[str, Any], path: Sequence[str], value: Any) -> None:
    for key in path[:-1]:
        target = target.setdefault(key, {})
    target[path[-1]] = value


# ---- queries: planning and running (the language itself is in sandbox.gaql) ------------------------------------------


@dataclass
class _Plan:
    """A validated query: its fields, typed conditions, and the date range of a report."""

    query: Query
    fields: list[_Field]
    conditions: list[tuple[_Field, Condition, tuple[Any, ...]]]
    since: date | None = None
    until: date | None = None
    reports: bool = False  # metrics or segments.date involved: rows come from the metrics
    segmented: bool = False  # segments.date selected: one row per day
    hourly: bool = False  # segments.hour selected: one row per hour of the day (of each day when segmented)


def _plan(query: Query, account: SimAccount, today: date) -> _Plan:
    allowed = _SELECTABLE.get(query.resource)
    if allowed is None:
        raise GaqlError(
            "BAD_RESOURCE_TYPE_IN_FROM_CLAUSE",
            f"Error in query: invalid resource type '{query.resource}' in the FROM clause.",
        )

    def lookup(name: str, clause: str) -> _Field:
        spec = FIELDS.get(name)
        if spec is None:
            raise GaqlError("UNRECOGNIZED_FIELD", f"Unrecognized field in the query: '{name}'.")
        if spec.resource in ("metrics", "segments"):
            if query.resource not in _REPORTING:
                raise GaqlError(
                    "PROHIBITED_METRIC_IN_SELECT_OR_WHERE_CLAUSE",
                    f"Cannot select or filter on the following metrics or segments: '{name}' "
                    f"(could not support requested resources: '{query.resource}').",
                )
        elif spec.resource not in allowed:
            raise GaqlError(
                f"PROHIBITED_RESOURCE_TYPE_IN_{clause}_CLAUSE",
                f"Cannot select or filter on the following resource: '{spec.resource}', since it is not attributed "
                f"to '{query.resource}'.",
            )
        return spec

    fields = [lookup(name, "SELECT") for name in query.fields]
    plan = _Plan(query=query, fields=fields, conditions=[])
    for condition in query.conditions:
        spec = lookup(condition.field, "WHERE")
        plan.conditions.append((spec, condition, coerce_values(condition, spec.kind, spec.enum)))
    for name, _ in query.order_by:
        lookup(name, "SELECT")
        if name not in query.fields:
            raise GaqlError(
                "EXPECTED_REFERENCED_FIELD_IN_SELECT_CLAUSE",
                f"Error in query: '{name}' is used in ORDER BY but is missing from the SELECT clause.",
            )
    plan.segmented = "segments.date" in query.fields
    plan.hourly = "segments.hour" in query.fields
    uses_metrics = any(f.resource == "metrics" for f in fields) or any(
        spec.resource == "metrics" for spec, _, _ in plan.conditions
    )
    since, until = date_range(((condition, values) for _, condition, values in plan.conditions), today)
    if plan.segmented and (since is None or until is None):
        raise GaqlError(
            "EXPECTED_FILTERS_ON_DATE_RANGE",
            "Error in query: the query must include a finite date range filter on segments.date when segments.date "
            "is selected.",
        )
    if since is not None and until is not None and since > until:
        raise GaqlError("DATE_RANGE_TOO_NARROW", "Error in query: the date range starts after it ends.")
    plan.reports = uses_metrics or plan.segmented or plan.hourly or since is not None or until is not None
    plan.since, plan.until = since, until
    if plan.reports and account.is_manager:
        raise GaqlError(
            "REQUESTED_METRICS_FOR_MANAGER",
            "Metrics cannot be requested for a manager account. To retrieve metrics, issue separate requests against "
            "each client account under the manager account.",
        )
    return plan


class _Executor:
    """Runs a planned query for one customer against the world."""

    def __init__(self, state: SandboxState, budgets: _Budgets, account: SimAccount) -> None:
        self.state = state
        self.world = state.world
        self.budgets = budgets
        self.account = account
        self.today = state.clock.today(account.time_zone)

    def rows(self, plan: _Plan) -> list[_Row]:
        if plan.query.resource == "change_status":
            rows = self._change_rows(plan)
        elif plan.reports:
            rows = self._report_rows(plan)
        else:
            rows = self._entity_rows(plan.query.resource)
        # A date filter on a report that is not segmented by date already chose the days the rows sum up: it has
        # no per-row date to compare.
        where = [
            (self._reader(spec), condition, values)
            for spec, condition, values in plan.conditions
            if plan.segmented or spec.name != "segments.date"
        ]
        order_by = [(self._reader(FIELDS[name]), descending) for name, descending in plan.query.order_by]
        return evaluate(rows, where, order_by, plan.query.limit, self.today)

    def _reader(self, spec: _Field) -> Callable[[_Row], Any]:
        return lambda row: spec.read(row, self.budgets)

    def _entities(self, level: EntityLevel) -> dict[str, SimEntity]:
        return {
            e.id: e for e in self.world.entities(Platform.google, self.account.account_id, level, include_removed=True)
        }

    def _entity_rows(self, resource: str) -> list[_Row]:
        account = self.account
        if resource == "customer":
            return [_Row(account)]
        if resource == "customer_client":
            return [_Row(account, client=pair) for pair in self._hierarchy()]
        if account.is_manager:
            return []
        campaigns = self._entities(EntityLevel.campaign)
        if resource in ("campaign", "campaign_budget"):
            return [_Row(account, campaign=c) for c in campaigns.values()]
        groups = self._entities(EntityLevel.ad_group)
        if resource == "ad_group":
            return [_Row(account, campaign=campaigns.get(g.campaign_id), ad_group=g) for g in groups.values()]
        return [
            _Row(account, campaign=campaigns.get(ad.campaign_id), ad_group=groups.get(ad.parent_id or ""), ad=ad)
            for ad in self._entities(EntityLevel.ad).values()
        ]

    def _change_rows(self, plan: _Plan) -> list[_Row]:
        # Changes up to the clock's now only (the demo's histories hold planned ones); the query's own range is
        # applied by the WHERE clause like any other condition.
        now = self.state.clock.now()
        since = _change_span(plan, self.account, now)
        if self.account.is_manager:
            return []
        changes = self.world.entity_changes(Platform.google, self.account.account_id, since, now)
        return [_Row(self.account, change=change) for change in changes]

    def _hierarchy(self) -> list[tuple[SimAccount, int]]:
        found = [(self.account, 0)]
        seen = {self.account.account_id}
        frontier = [self.account]
        level = 0
        while frontier:
            level += 1
            children = [
                client
                for parent in frontier
                for client in self.world.clients(Platform.google, parent.account_id)
                if client.account_id not in seen
            ]
            seen.update(c.account_id for c in children)
            found += [(client, level) for client in children]
            frontier = [c for c in children if c.is_manager]
        return found

    def _report_rows(self, plan: _Plan) -> list[_Row]:
        resource = plan.query.resource
        level = _LEVEL_OF[resource]
        account = self.account
        since = plan.since if plan.since is not None else self._first_day()
        until = plan.until if plan.until is not None else self.today
        hint = self._id_hint(plan, resource)
        if plan.hourly:
            # Hour by hour of each day; the hours of today stop at the current hour of the account's time zone.
            metrics = []
            current = since
            while current <= min(until, self.today):
                metrics += self.world.hourly_metrics(
                    Platform.google, account.account_id, level, current, entity_ids=hint
                )
                current += timedelta(days=1)
        else:
            metrics = self.world.daily_metrics(
                Platform.google, account.account_id, level, since, until, entity_ids=hint
            )
        totals: dict[tuple[str, date | None, int | None], _Totals] = {}
        for item in metrics:
            key = (
                account.account_id if resource == "customer" else item.entity_id,
                item.day if plan.segmented else None,
                item.hour if plan.hourly else None,
            )
            totals.setdefault(key, _Totals()).add(item)
        if resource == "customer":
            return [_Row(account, day=day, hour=hour, metrics=t) for (_, day, hour), t in totals.items()]
        campaigns = self._entities(EntityLevel.campaign)
        groups = self._entities(EntityLevel.ad_group) if level is not EntityLevel.campaign else {}
        ads = self._entities(EntityLevel.ad) if level is EntityLevel.ad else {}
        rows: list[_Row] = []
        for (entity_id, day, hour), numbers in totals.items():
            if level is EntityLevel.campaign:
                rows.append(_Row(account, campaign=campaigns.get(entity_id), day=day, hour=hour, metrics=numbers))
            elif level is EntityLevel.ad_group:
                group = groups.get(entity_id)
                campaign = campaigns.get(group.campaign_id) if group else None
                rows.append(_Row(account, campaign=campaign, ad_group=group, day=day, hour=hour, metrics=numbers))
            else:
                ad = ads.get(entity_id)
                group = groups.get(ad.parent_id or "") if ad else None
                campaign = campaigns.get(ad.campaign_id) if ad else None
                rows.append(
                    _Row(account, campaign=campaign, ad_group=group, ad=ad, day=day, hour=hour, metrics=numbers)
                )
        # Deterministic order, as Google's is stable for a query: entity, then day and hour.
        rows.sort(key=lambda r: (r.day or date.min, -1 if r.hour is None else r.hour))
        return rows

    def _id_hint(self, plan: _Plan, resource: str) -> list[str] | None:
        # `campaign.id = 1` on FROM campaign (and the like) narrows the simulation to those entities.
        id_field = {"campaign": "campaign.id", "campaign_budget": "campaign.id", "ad_group": "ad_group.id",
                    "ad_group_ad": "ad_group_ad.ad.id"}.get(resource)  # fmt: skip
        for spec, condition, values in plan.conditions:
            if spec.name == id_field and condition.operator in ("=", "IN"):
                return [str(v) for v in values]
        return None

    def _first_day(self) -> date:
        # Without a date filter a report covers all time: from the account's first entity on.
        campaigns = self.world.entities(Platform.google, self.account.account_id, EntityLevel.campaign,
                                        include_removed=True)  # fmt: skip
        if not campaigns:
            return self.today
        return min(c.created_at for c in campaigns).date() - timedelta(days=1)


def _render(row: _Row, plan: _Plan, budgets: _Budgets) -> dict[str, Any]:
    out: dict[str, Any] = {}
    # The resource name of every resource the row speaks of comes first, and always, selected or not.
    touched = [plan.query.resource] + [f.resource for f in plan.fields if f.resource not in ("metrics", "segments")]
    for resource in dict.fromkeys(touched):
        name_field = _RESOURCE_NAME_FIELD.get(resource)
        if name_field is None:
            continue
        try:
            value = FIELDS[name_field].read(row, budgets)
        except AssertionError:  # the row has no such entity (a report row of a deleted parent)
            continue
        _put(out, [*_json_path(resource), "resourceName"], value)
    for spec in plan.fields:
        value = spec.read(row, budgets)
        if value is not None:
            _put(out, _json_path(spec.name), _encode(spec.kind, value))
    return out


def _field_mask(query: Query) -> str:
    return ",".join(".".join(_json_path(name)) for name in query.fields)


def _summary(account: SimAccount, rows: Sequence[_Row], plan: _Plan, budgets: _Budgets) -> dict[str, Any]:
    """The ``summaryRow``: the selected metrics summed over every row of the query."""
    total = _Totals()
    for row in rows:
        if row.metrics is not None:
            total.merge(row.metrics)
    summary_row = _Row(account, metrics=total)
    out: dict[str, Any] = {}
    for spec in plan.fields:
        if spec.resource == "metrics":
            _put(out, _json_path(spec.name), _encode(spec.kind, spec.read(summary_row, budgets)))
    return out


def _page_token(query: str, offset: int) -> str:
    digest = hashlib.sha256(query.encode()).hexdigest()[:16]
    raw = json.dumps({"q": digest, "o": offset}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _page_offset(query: str, token: str) -> int:
    invalid = _request_error("INVALID_PAGE_TOKEN", "Page token is invalid.")
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


# ---- mutates ---------------------------------------------------------------------------------------------------------

_MUTABLE: dict[str, dict[str, str]] = {
    # service → {updateMask path (snake_case): the kind of value it takes}
    "campaigns": {"name": "string", "status": "status", "advertising_channel_type": "immutable"},
    "adGroups": {"name": "string", "status": "status", "cpc_bid_micros": "int64"},
    "adGroupAds": {"status": "status"},
    "campaignBudgets": {"amount_micros": "int64", "name": "string"},
}
_COLLECTION_LEVEL = {"campaigns": EntityLevel.campaign, "adGroups": EntityLevel.ad_group, "adGroupAds": EntityLevel.ad}
_MUTATE_KEYS = frozenset({"operations", "partialFailure", "validateOnly", "responseContentType"})


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)([A-Z])", r"_\1", name).lower()


@dataclass
class _Change:
    """A validated operation, applied only when the whole request is valid (or partial failure is allowed)."""

    resource_name: str
    apply: Callable[[], str]  # returns the resource name of the result


@dataclass
class _MutateContext:
    state: SandboxState
    budgets: _Budgets
    account: SimAccount
    service: str
    index: int
    claimed_names: set[str] = field(default_factory=set)

    def error(self, category: str, code: str, message: str, *path: tuple[str, int | None]) -> AdsError:
        return AdsError(category, code, message, (("operations", self.index), *path))


def _parse_resource_name(ctx: _MutateContext, name: Any, operation: str) -> str:
    """The id at the end of ``customers/{cid}/{service}/{id}`` (``{ad_group}~{ad}`` for ads)."""
    pattern = rf"customers/(\d+)/{re.escape(ctx.service)}/([\d~]+)"
    match = re.fullmatch(pattern, name) if isinstance(name, str) else None
    if match is None:
        raise GoogleApiError(
            400,
            [ctx.error("requestError", "RESOURCE_NAME_MALFORMED", f"Malformed resource name: {name!r}.",
                       (operation, None), ("resource_name", None))],
        )  # fmt: skip
    if match.group(1) != ctx.account.account_id:
        raise GoogleApiError(
            400,
            [ctx.error("mutateError", "RESOURCE_NOT_FOUND", "The resource was not found in this customer.",
                       (operation, None), ("resource_name", None))],
        )  # fmt: skip
    return match.group(2)


def _find_entity(ctx: _MutateContext, resource_id: str, operation: str) -> SimEntity:
    level = _COLLECTION_LEVEL[ctx.service]
    ad_group_id: str | None = None
    if level is EntityLevel.ad:
        ad_group_id, _, resource_id = resource_id.partition("~")
    entity = ctx.state.world.entity(Platform.google, resource_id) if resource_id.isdigit() else None
    if (
        entity is None
        or entity.level is not level
        or entity.account_id != ctx.account.account_id
        or (ad_group_id is not None and entity.parent_id != ad_group_id)
    ):
        raise GoogleApiError(
            400,
            [ctx.error("mutateError", "RESOURCE_NOT_FOUND", "Resource was not found.", (operation, None),
                       ("resource_name", None))],
        )  # fmt: skip
    return entity


def _removed_error(ctx: _MutateContext, entity: SimEntity, operation: str) -> GoogleApiError:
    if entity.level is EntityLevel.campaign:
        error = ctx.error("campaignError", "CANNOT_MODIFY_REMOVED_CAMPAIGN", "Campaign is removed.")
    else:
        noun = "Ad group" if entity.level is EntityLevel.ad_group else "Ad"
        error = ctx.error("mutateError", "MUTATE_NOT_ALLOWED", f"{noun} is removed and cannot be modified.")
    return GoogleApiError(400, [error])


def _int64_value(ctx: _MutateContext, value: Any, path: str, operation: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str) or not str(value).lstrip("-").isdigit():
        raise _invalid_json(
            f"Invalid value at 'operations[{ctx.index}].{operation}.{_camel(path)}' (TYPE_INT64), {json.dumps(value)}"
        )
    return int(value)


def _status_value(ctx: _MutateContext, value: Any, operation: str) -> EntityStatus:
    if value == "ENABLED":
        return EntityStatus.active
    if value == "PAUSED":
        return EntityStatus.paused
    if value == "REMOVED":
        raise GoogleApiError(
            400,
            [ctx.error("fieldError", "INVALID_VALUE",
                       "The status REMOVED can only be set by a remove operation.", (operation, None),
                       ("status", None))],
        )  # fmt: skip
    raise _invalid_json(
        f"Invalid value at 'operations[{ctx.index}].{operation}.status' (type.googleapis.com/"
        f"google.ads.googleads.enums.Status), {json.dumps(value)}"
    )


def _check_budget_amount(ctx: _MutateContext, amount: int, operation: str) -> None:
    minor = minor_unit_micros(ctx.account.currency)
    path = ((operation, None), ("amount_micros", None))
    if amount < minor:
        raise GoogleApiError(
            400,
            [ctx.error("campaignBudgetError", "BUDGET_BELOW_PER_DAY_MINIMUM",
                       "The budget is below the daily minimum.", *path)],
        )  # fmt: skip
    if amount % minor:
        raise GoogleApiError(
            400,
            [ctx.error("campaignBudgetError", "NON_MULTIPLE_OF_MINIMUM_CURRENCY_UNIT",
                       "The budget amount must be a multiple of the minimum unit of the currency.", *path)],
        )  # fmt: skip


def _update(ctx: _MutateContext, operation: Mapping[str, Any]) -> _Change:
    resource = operation.get("update")
    if not isinstance(resource, dict):
        raise _invalid_json(f"Invalid value at 'operations[{ctx.index}].update': expected an object.")
    mask = operation.get("updateMask")
    if not isinstance(mask, str) or not mask.strip():
        raise GoogleApiError(
            400,
            [ctx.error("fieldMaskError", "FIELD_MASK_MISSING",
                       "The field mask must be present for an update operation.", ("update_mask", None))],
        )  # fmt: skip
    paths = [_snake(p.strip()) for p in mask.split(",") if p.strip()]
    mutable = _MUTABLE[ctx.service]
    for path in paths:
        if path not in mutable:
            raise GoogleApiError(
                400,
                [ctx.error("fieldMaskError", "FIELD_NOT_FOUND",
                           f"The field mask contained a field the resource does not have (or the sandbox does not "
                           f"emulate): {path}.", ("update_mask", None))],
            )  # fmt: skip
        if mutable[path] == "immutable":
            raise GoogleApiError(
                400,
                [ctx.error("fieldError", "IMMUTABLE_FIELD", "The field cannot be modified after creation.",
                           ("update", None), (path, None))],
            )  # fmt: skip
    resource_id = _parse_resource_name(ctx, resource.get("resourceName"), "update")
    values = {path: resource.get(_camel(path)) for path in paths}
    for path, value in values.items():
        if value is None or value == "":
            raise GoogleApiError(
                400,
                [ctx.error("fieldError", "REQUIRED", "The required field was not present.", ("update", None),
                           (path, None))],
            )  # fmt: skip
    world = ctx.state.world
    if ctx.service == "campaignBudgets":
        campaign_id = ctx.budgets.campaign_of(resource_id)
        pending = ctx.budgets.pending.get(resource_id)
        campaign = world.entity(Platform.google, campaign_id) if campaign_id else None
        if pending is None and (campaign is None or campaign.account_id != ctx.account.account_id):
            raise GoogleApiError(
                400,
                [ctx.error("mutateError", "RESOURCE_NOT_FOUND", "Resource was not found.", ("update", None),
                           ("resource_name", None))],
            )  # fmt: skip
        amount = _int64_value(ctx, values["amount_micros"], "amount_micros", "update") if "amount_micros" in values \
            else None  # fmt: skip
        if amount is not None:
            _check_budget_amount(ctx, amount, "update")
            if campaign is not None and campaign.daily_budget_micros is None:
                raise GoogleApiError(
                    400,
                    [ctx.error("fieldError", "INVALID_VALUE",
                               "The budget is a total for a custom period: set total_amount_micros, not amount_micros.",
                               ("update", None), ("amount_micros", None))],
                )  # fmt: skip
        name = str(values["name"]) if "name" in values else None
        resource_name = f"customers/{ctx.account.account_id}/campaignBudgets/{resource_id}"

        def apply_budget() -> str:
            if pending is not None and resource_id in ctx.budgets.pending:
                if amount is not None:
                    pending["amount_micros"] = amount
                if name is not None:
                    pending["name"] = name
            elif campaign is not None:
                world.update_entity(
                    Platform.google, campaign.id, daily_budget_micros=amount,
                    attributes={"budget_name": name} if name is not None else None,
                )  # fmt: skip
            return resource_name

        return _Change(resource_name, apply_budget)
    entity = _find_entity(ctx, resource_id, "update")
    if entity.status is EntityStatus.removed:
        raise _removed_error(ctx, entity, "update")
    status = _status_value(ctx, values["status"], "update") if "status" in values else None
    name = str(values["name"]) if "name" in values else None
    attributes: dict[str, Any] = {}
    if "cpc_bid_micros" in values:
        attributes["cpc_bid_micros"] = _int64_value(ctx, values["cpc_bid_micros"], "cpc_bid_micros", "update")
    if name is not None and entity.level is EntityLevel.campaign:
        _check_campaign_name(ctx, name, entity.id, "update")
    resource_name = resource.get("resourceName", "")

    def apply_entity() -> str:
        world.update_entity(Platform.google, entity.id, name=name, status=status, attributes=attributes or None)
        return str(resource_name)

    return _Change(str(resource_name), apply_entity)


def _check_campaign_name(ctx: _MutateContext, name: str, own_id: str | None, operation: str) -> None:
    taken = {
        c.name for c in ctx.state.world.entities(Platform.google, ctx.account.account_id, EntityLevel.campaign)
        if c.id != own_id
    } | ctx.claimed_names  # fmt: skip
    if name in taken:
        raise GoogleApiError(
            400,
            [ctx.error("campaignError", "DUPLICATE_CAMPAIGN_NAME",
                       "A campaign with this name already exists.", (operation, None), ("name", None))],
        )  # fmt: skip
    ctx.claimed_names.add(name)


def _remove(ctx: _MutateContext, operation: Mapping[str, Any]) -> _Change:
    name = operation.get("remove")
    resource_id = _parse_resource_name(ctx, name, "remove")
    if ctx.service == "campaignBudgets":
        if resource_id in ctx.budgets.pending:
            return _Change(str(name), lambda: (ctx.budgets.pending.pop(resource_id, None), str(name))[1])
        raise GoogleApiError(
            400,
            [ctx.error("campaignBudgetError", "CAMPAIGN_BUDGET_IN_USE",
                       "The campaign budget is associated with a campaign, and so it cannot be removed.",
                       ("remove", None))],
        )  # fmt: skip
    entity = _find_entity(ctx, resource_id, "remove")
    if entity.status is EntityStatus.removed:
        raise _removed_error(ctx, entity, "remove")

    def apply() -> str:
        ctx.state.world.update_entity(Platform.google, entity.id, status=EntityStatus.removed)
        return str(name)

    return _Change(str(name), apply)


def _create(ctx: _MutateContext, operation: Mapping[str, Any]) -> _Change:
    resource = operation.get("create")
    if not isinstance(resource, dict):
        raise _invalid_json(f"Invalid value at 'operations[{ctx.index}].create': expected an object.")
    cid = ctx.account.account_id

    def required(path: str) -> AdsError:
        return ctx.error("fieldError", "REQUIRED", "The required field was not present.", ("create", None),
                         (path, None))  # fmt: skip

    if ctx.service == "campaignBudgets":
        if "amountMicros" not in resource:
            raise GoogleApiError(400, [required("amount_micros")])
        amount = _int64_value(ctx, resource["amountMicros"], "amount_micros", "create")
        _check_budget_amount(ctx, amount, "create")
        # Google's default is a shared budget; the sandbox gives each campaign its own, so it must be asked for.
        if resource.get("explicitlyShared", True) is not False:
            raise GoogleApiError(
                400,
                [ctx.error("mutateError", "MUTATE_NOT_ALLOWED",
                           "The sandbox emulates non-shared campaign budgets only: set explicitlyShared to false.",
                           ("create", None), ("explicitly_shared", None))],
            )  # fmt: skip
        new_id = ctx.budgets.new_id()
        new_budget = {"name": str(resource.get("name") or f"Budget {new_id}"), "amount_micros": amount,
                      "delivery_method": str(resource.get("deliveryMethod") or "STANDARD")}  # fmt: skip

        def apply_budget() -> str:
            ctx.budgets.pending[new_id] = new_budget
            return f"customers/{cid}/campaignBudgets/{new_id}"

        return _Change(f"customers/{cid}/campaignBudgets/{new_id}", apply_budget)
    if ctx.service != "campaigns":
        raise GoogleApiError(
            400,
            [ctx.error("mutateError", "MUTATE_NOT_ALLOWED",
                       "The sandbox creates campaigns and campaign budgets only.", ("create", None))],
        )  # fmt: skip
    errors: list[AdsError] = []
    name = resource.get("name")
    if not name:
        errors.append(required("name"))
    channel = resource.get("advertisingChannelType")
    if not channel:
        errors.append(required("advertising_channel_type"))
    elif channel not in _ADVERTISING_CHANNELS:
        raise _invalid_json(
            f"Invalid value at 'operations[{ctx.index}].create.advertising_channel_type', {json.dumps(channel)}"
        )
    if "containsEuPoliticalAdvertising" not in resource:
        errors.append(required("contains_eu_political_advertising"))
    bidding = [key for key in _BIDDING_FIELDS if key in resource]
    if not bidding:
        errors.append(required("campaign_bidding_strategy"))
    elif len(bidding) > 1:
        raise _invalid_json(
            f"Invalid JSON payload received. Oneof field 'campaign_bidding_strategy' is already set. "
            f"Cannot set '{bidding[1]}'"
        )
    budget_name = resource.get("campaignBudget")
    budget_id: str | None = None
    if not budget_name:
        errors.append(required("campaign_budget"))
    else:
        match = re.fullmatch(rf"customers/{cid}/campaignBudgets/(\d+)", str(budget_name))
        budget_id = match.group(1) if match else None
        if budget_id is not None and budget_id not in ctx.budgets.pending and ctx.budgets.campaign_of(budget_id):
            errors.append(
                ctx.error("campaignBudgetError", "CANNOT_USE_IMPLICITLY_SHARED_CAMPAIGN_BUDGET_WITH_MULTIPLE_CAMPAIGNS",
                          "The campaign budget is not shared and is used by another campaign.", ("create", None),
                          ("campaign_budget", None))
            )  # fmt: skip
        elif budget_id is None or budget_id not in ctx.budgets.pending:
            errors.append(
                ctx.error("mutateError", "RESOURCE_NOT_FOUND", "The campaign budget was not found.",
                          ("create", None), ("campaign_budget", None))
            )  # fmt: skip
    status_word = resource.get("status", "ENABLED")
    if status_word not in ("ENABLED", "PAUSED"):
        errors.append(ctx.error("fieldError", "INVALID_VALUE", "A new campaign is ENABLED or PAUSED.",
                                ("create", None), ("status", None)))  # fmt: skip
    if errors:
        raise GoogleApiError(400, errors)
    assert budget_id is not None and isinstance(name, str)  # noqa: S101 - checked above
    chosen_budget: str = budget_id
    campaign_name: str = name
    _check_campaign_name(ctx, campaign_name, None, "create")
    budget = ctx.budgets.pending[chosen_budget]
    objective = _OBJECTIVE_BY_CHANNEL.get(str(channel), "traffic")
    attributes = {
        "advertising_channel_type": str(channel),
        "bidding_strategy_type": _BIDDING_FIELDS[bidding[0]],
        "contains_eu_political_advertising": str(resource["containsEuPoliticalAdvertising"]),
        "budget_name": budget["name"],
        "budget_delivery_method": budget["delivery_method"],
    }
    status = EntityStatus.active if status_word == "ENABLED" else EntityStatus.paused

    def apply_campaign() -> str:
        entity = ctx.state.world.create_entity(
            Platform.google, cid, EntityLevel.campaign, name=campaign_name, parent_id=None, status=status,
            objective=objective, daily_budget_micros=int(budget["amount_micros"]), attributes=attributes,
        )  # fmt: skip
        ctx.budgets.pending.pop(chosen_budget, None)
        ctx.budgets.by_campaign[entity.id] = chosen_budget
        return f"customers/{cid}/campaigns/{entity.id}"

    return _Change(f"customers/{cid}/campaigns/(new)", apply_campaign)


def _plan_operation(ctx: _MutateContext, operation: Any) -> _Change:
    if not isinstance(operation, dict):
        raise _invalid_json(f"Invalid value at 'operations[{ctx.index}]': expected an object.")
    kinds = [key for key in ("create", "update", "remove") if key in operation]
    unknown = set(operation) - {"create", "update", "remove", "updateMask"}
    if unknown:
        name = sorted(unknown)[0]
        raise _invalid_json(
            f"Invalid JSON payload received. Unknown name \"{name}\" at 'operations[{ctx.index}]': Cannot find field."
        )
    if not kinds:
        raise GoogleApiError(400, [ctx.error("requestError", "OPERATION_REQUIRED", "An operation is required.")])
    if len(kinds) > 1:
        raise _invalid_json(
            f"Invalid JSON payload received. Oneof field 'operation' is already set. Cannot set '{kinds[1]}'"
        )
    if kinds[0] == "update":
        return _update(ctx, operation)
    if kinds[0] == "remove":
        return _remove(ctx, operation)
    return _create(ctx, operation)


def _mutable_resource(state: SandboxState, budgets: _Budgets, account: SimAccount, name: str) -> dict[str, Any]:
    """The resource after the change, for ``responseContentType: MUTABLE_RESOURCE``."""
    service, _, rest = name.split("/", 2)[2].partition("/")
    resource_id = rest.rsplit("~", 1)[-1]
    row = _Row(account)
    if service == "campaignBudgets":
        campaign_id = budgets.campaign_of(resource_id)
        row.campaign = state.world.entity(Platform.google, campaign_id) if campaign_id else None
        resource = "campaign_budget"
    else:
        entity = state.world.entity(Platform.google, resource_id)
        if entity is None:
            return {}
        resource = {"campaigns": "campaign", "adGroups": "ad_group", "adGroupAds": "ad_group_ad"}[service]
        row.campaign = entity if entity.level is EntityLevel.campaign else None
        row.ad_group = entity if entity.level is EntityLevel.ad_group else None
        row.ad = entity if entity.level is EntityLevel.ad else None
    if row.campaign is None and row.ad_group is None and row.ad is None:
        return {}
    fields = [f for f in FIELDS.values() if f.resource == resource]
    plan = _Plan(query=Query(tuple(f.name for f in fields), resource), fields=fields, conditions=[])
    rendered = _render(row, plan, budgets)
    return {_camel(resource): rendered.get(_camel(resource), {})}


# ---- the app ---------------------------------------------------------------------------------------------------------


@dataclass
class _Caller:
    login: SandboxLogin
    version: str
    account: SimAccount | None


def _request_id(request: Request) -> str:
    value = getattr(request.state, "request_id", None)
    return value if isinstance(value, str) else secrets.token_urlsafe(16)


def _version_of(request: Request) -> str:
    version = request.path_params.get("version")
    return version if isinstance(version, str) and _VERSION.match(version) else "v23"


def _relative_path(request: Request) -> str:
    path = request.url.path
    root = str(request.scope.get("root_path", ""))
    return path[len(root) :] if root and path.startswith(root) else path


async def _form(request: Request) -> dict[str, str]:
    """An ``application/x-www-form-urlencoded`` body (or JSON object), without a multipart dependency."""
    raw = await request.body()
    if request.headers.get("content-type", "").startswith("application/json"):
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            return {}
        return {str(k): str(v) for k, v in body.items()} if isinstance(body, dict) else {}
    return dict(parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True))


async def _json_object(request: Request, known: frozenset[str]) -> dict[str, Any]:
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except ValueError:
        raise _invalid_json("Invalid JSON payload received. Unexpected token.") from None
    if not isinstance(body, dict):
        raise _invalid_json("Invalid JSON payload received. Expected an object.")
    unknown = sorted(set(body) - known)
    if unknown:
        raise _invalid_json(f'Invalid JSON payload received. Unknown name "{unknown[0]}": Cannot find field.')
    return body


def create_google_emulator(
    state: SandboxState, *, sunset_versions: Iterable[str] = (), test_project: bool = False
) -> FastAPI:
    """The emulator as an ASGI app with Google's paths (mount it at ``/sandbox/google``).

    ``sunset_versions`` answer ``UNSUPPORTED_VERSION`` like Google's dead API versions; ``test_project`` refuses
    every customer with ``CLOUD_PROJECT_NOT_APPROVED_FOR_PRODUCTION``, like a Cloud project with test access only.
    """
    app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)
    dead_versions = frozenset(sunset_versions)
    budgets = _Budgets()
    offline_codes: set[str] = set()
    client_id, client_secret = state.config.app_credentials[Platform.google]

    @app.middleware("http")
    async def log_and_tag(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        state.request_log.append((Platform.google, request.method, _relative_path(request)))
        request.state.request_id = secrets.token_urlsafe(16)
        response = await call_next(request)
        response.headers["request-id"] = request.state.request_id
        return response

    @app.exception_handler(GoogleApiError)
    async def api_error(request: Request, exc: GoogleApiError) -> Response:
        body: Any = exc.body(_version_of(request), _request_id(request))
        if request.url.path.endswith(":searchStream"):
            body = [body]
        return JSONResponse(body, status_code=exc.http_status)

    async def caller(request: Request, version: str, customer_id: str | None) -> _Caller:
        """Version, bearer token, injected faults, the per-customer quota and access, in Google's order.

        The quota counts the request first, on arrival, as Google's does: the moment that decides is when a request
        came in, not when it is checked. Its answer still comes in Google's order (a bad token before a 429).
        """
        wait = None
        if customer_id is not None and _CUSTOMER_ID.match(customer_id):
            wait = state.quota.check_rate(f"google:{customer_id}", state.config.google_requests_per_second)
        if not _VERSION.match(version):
            raise GoogleApiError(404, message=f"Method not found: {version}.")
        if version in dead_versions:
            raise _request_error(
                "UNSUPPORTED_VERSION", f"Version {version} is deprecated. Requests to this version will be blocked."
            )
        header = request.headers.get("authorization", "")
        token = header[7:].strip() if header[:7].lower() == "bearer " else None
        if not token:
            raise GoogleApiError(401, message=_MISSING_CREDENTIALS)
        try:
            info = state.auth.verify(Platform.google, token, "access")
        except SandboxAuthError as exc:
            code = {"expired": "OAUTH_TOKEN_EXPIRED", "revoked": "OAUTH_TOKEN_REVOKED"}.get(
                exc.reason, "OAUTH_TOKEN_INVALID"
            )
            raise _unauthenticated(code, "Authentication of the request failed.") from None
        login = state.world.login(Platform.google, info.login_id)
        if login is None:
            raise _unauthenticated("NOT_ADS_USER", "The Google account is not associated with any Google Ads account.")
        fault = state.faults.take(Platform.google, customer_id)
        if fault is not None:
            await _serve_fault(fault.kind, fault.delay_seconds, login)
        account: SimAccount | None = None
        if customer_id is not None:
            if not _CUSTOMER_ID.match(customer_id):
                raise _request_error("INVALID_CUSTOMER_ID", f"Invalid customer ID '{customer_id}'.")
            if wait is not None:
                raise _rate_limited(wait, "Requests per customer per second")
            account = _check_access(request, login, customer_id)
        return _Caller(login, version, account)

    async def _serve_fault(kind: FaultKind, delay: float, login: SandboxLogin) -> None:
        if kind is FaultKind.slow:
            await asyncio.sleep(delay)
        elif kind is FaultKind.rate_limit:
            raise _rate_limited(delay or _FAULT_RETRY_DELAY, "Requests per customer per second")
        elif kind is FaultKind.server_error:
            raise GoogleApiError(503)
        elif kind is FaultKind.expire_token:
            raise _unauthenticated("OAUTH_TOKEN_EXPIRED", "Authentication of the request failed: the token expired.")
        elif kind is FaultKind.revoke_token:
            # Revoked for real: the refresh token dies with it, as when a person removes the app's access.
            state.auth.revoke_login(Platform.google, login.login_id)
            raise _unauthenticated(
                "OAUTH_TOKEN_REVOKED", "Authentication of the request failed: the token was revoked."
            )

    def _check_access(request: Request, login: SandboxLogin, customer_id: str) -> SimAccount:
        account = state.world.account(Platform.google, customer_id)
        login_customer = request.headers.get("login-customer-id")
        if login_customer is not None and not _CUSTOMER_ID.match(login_customer.strip()):
            raise GoogleApiError(
                400,
                [AdsError("headerError", "INVALID_LOGIN_CUSTOMER_ID",
                          "The login customer id must be 10 digits without dashes.")],
            )  # fmt: skip
        direct = set(login.account_ids)
        if account is None:
            raise _permission_denied()
        if login_customer is None:
            allowed = customer_id in direct
        else:
            login_customer = login_customer.strip()
            allowed = login_customer in direct and (
                login_customer == customer_id or login_customer in _ancestors(account)
            )
        if not allowed:
            raise _permission_denied()
        if test_project:
            raise GoogleApiError(
                403,
                [AdsError("authorizationError", "CLOUD_PROJECT_NOT_APPROVED_FOR_PRODUCTION",
                          "The Google Cloud project is only approved for use with test accounts.")],
            )  # fmt: skip
        if not account.active:
            raise GoogleApiError(
                403,
                [AdsError("authorizationError", "CUSTOMER_NOT_ENABLED",
                          "The customer account can't be accessed because it is not yet enabled or has been "
                          "deactivated.")],
            )  # fmt: skip
        return account

    def _ancestors(account: SimAccount) -> set[str]:
        found: set[str] = set()
        current = account
        while current.manager_id is not None and current.manager_id not in found:
            found.add(current.manager_id)
            parent = state.world.account(Platform.google, current.manager_id)
            if parent is None:
                break
            current = parent
        return found

    # ---- OAuth -----------------------------------------------------------------------------------------------------

    def consent_error(message: str, status_code: int = 400) -> HTMLResponse:
        return HTMLResponse(
            "<!doctype html><html lang='en'><head><meta charset='utf-8'><title>Error</title></head><body>"
            f"<main><h1>Access blocked: authorization error</h1><p>{message}</p></main></body></html>",
            status_code=status_code,
        )

    def callback(redirect_uri: str, params: dict[str, str]) -> RedirectResponse:
        separator = "&" if "?" in redirect_uri else "?"
        return RedirectResponse(f"{redirect_uri}{separator}{urlencode(params)}", status_code=302)

    def authorization_problem(params: Mapping[str, str]) -> HTMLResponse | None:
        if params.get("client_id") != client_id:
            return consent_error("Error 401: invalid_client. The OAuth client was not found.", 401)
        if not params.get("redirect_uri"):
            return consent_error("Error 400: invalid_request. Missing required parameter: redirect_uri")
        if not redirect_uri_allowed(Platform.google, params["redirect_uri"], state.config.redirect_origins):
            return consent_error(
                "Error 400: redirect_uri_mismatch. The redirect URI in the request does not match the ones "
                "authorized for the OAuth client."
            )
        if not params.get("scope"):
            return consent_error("Error 400: invalid_request. Missing required parameter: scope")
        method = params.get("code_challenge_method")
        if params.get("code_challenge") and method not in (None, "", "S256", "plain"):
            return consent_error(f"Error 400: invalid_request. Invalid code_challenge_method: {method}")
        return None

    @app.get("/o/oauth2/v2/auth", response_model=None)
    async def consent_page(request: Request) -> Response:
        params = dict(request.query_params)
        problem = authorization_problem(params)
        if problem is not None:
            return problem
        if params.get("response_type") != "code":
            return callback(
                params["redirect_uri"], {"error": "unsupported_response_type", "state": params.get("state", "")}
            )
        hidden = {key: value for key, value in params.items() if key in _AUTHORIZE_PARAMS}
        names = {a.account_id: a.name for a in state.world.accounts(Platform.google)}
        return HTMLResponse(
            render_consent_page(
                platform_title="Google",
                app_name="adpilot",
                logins=state.world.logins(Platform.google),
                form_action=request.url.path,
                hidden=hidden,
                account_names=names,
            )
        )

    @app.post("/o/oauth2/v2/auth", response_model=None)
    async def consent_decision(request: Request) -> Response:
        form = await _form(request)
        problem = authorization_problem(form)
        if problem is not None:
            return problem
        redirect_uri, state_param = form["redirect_uri"], form.get("state", "")
        if form.get("decision") != "allow":
            return callback(redirect_uri, {"error": "access_denied", "state": state_param})
        login = state.world.login(Platform.google, form.get("login_id", ""))
        if login is None:
            hidden = {key: value for key, value in form.items() if key in _AUTHORIZE_PARAMS}
            return HTMLResponse(
                render_consent_page(
                    platform_title="Google",
                    app_name="adpilot",
                    logins=state.world.logins(Platform.google),
                    form_action=request.url.path,
                    hidden=hidden,
                    error="Choose an account to continue.",
                ),
                status_code=400,
            )
        challenge = form.get("code_challenge") or None
        code = state.auth.issue_code(
            Platform.google,
            login.login_id,
            redirect_uri=redirect_uri,
            code_challenge=challenge,
            code_challenge_method=form.get("code_challenge_method") or ("plain" if challenge else "S256"),
        )
        if form.get("access_type") == "offline":
            offline_codes.add(code)
        return callback(redirect_uri, {"state": state_param, "code": code, "scope": form.get("scope", SCOPE)})

    def token_error(error: str, description: str, status_code: int = 400) -> JSONResponse:
        return JSONResponse(
            {"error": error, "error_description": description},
            status_code=status_code,
            headers={"Cache-Control": "no-store", "Pragma": "no-cache"},
        )

    def client_credentials(request: Request, form: Mapping[str, str]) -> tuple[str, str]:
        header = request.headers.get("authorization", "")
        if header[:6].lower() == "basic ":
            try:
                decoded = base64.b64decode(header[6:]).decode()
            except (ValueError, binascii.Error):
                return "", ""
            given_id, _, given_secret = decoded.partition(":")
            return given_id, given_secret
        return form.get("client_id", ""), form.get("client_secret", "")

    @app.post("/token")
    async def token(request: Request) -> JSONResponse:
        form = await _form(request)
        given_id, given_secret = client_credentials(request, form)
        if given_id != client_id:
            return token_error("invalid_client", "The OAuth client was not found.", 401)
        if not secrets.compare_digest(given_secret, client_secret):
            return token_error("invalid_client", "Unauthorized", 401)
        grant = form.get("grant_type", "")
        ttl = state.config.google_access_token_ttl
        if grant == "authorization_code":
            code = form.get("code")
            if not code:
                return token_error("invalid_request", "Missing required parameter: code")
            try:
                login_id = state.auth.redeem_code(
                    Platform.google,
                    code,
                    redirect_uri=form.get("redirect_uri", ""),
                    code_verifier=form.get("code_verifier") or None,
                )
            except SandboxAuthError as exc:
                if exc.reason == "redirect_mismatch":
                    return token_error("redirect_uri_mismatch", "Bad Request")
                if exc.reason == "pkce":
                    return token_error("invalid_grant", "Invalid code verifier.")
                return token_error("invalid_grant", "Bad Request")
            access, _ = state.auth.issue_token(Platform.google, login_id, "access", ttl)
            body: dict[str, Any] = {"access_token": access, "expires_in": ttl, "scope": SCOPE, "token_type": "Bearer"}
            if code in offline_codes:
                offline_codes.discard(code)
                body["refresh_token"], _ = state.auth.issue_token(Platform.google, login_id, "refresh", None)
            return JSONResponse(body, headers={"Cache-Control": "no-store", "Pragma": "no-cache"})
        if grant == "refresh_token":
            refresh = form.get("refresh_token")
            if not refresh:
                return token_error("invalid_request", "Missing required parameter: refresh_token")
            try:
                info = state.auth.verify(Platform.google, refresh, "refresh")
            except SandboxAuthError:
                return token_error("invalid_grant", "Token has been expired or revoked.")
            access, _ = state.auth.issue_token(Platform.google, info.login_id, "access", ttl)
            return JSONResponse(
                {"access_token": access, "expires_in": ttl, "scope": SCOPE, "token_type": "Bearer"},
                headers={"Cache-Control": "no-store", "Pragma": "no-cache"},
            )
        return token_error("unsupported_grant_type", f"Invalid grant_type: {grant}")

    @app.post("/revoke")
    async def revoke(request: Request) -> JSONResponse:
        form = await _form(request)
        given = form.get("token") or request.query_params.get("token")
        for kind in ("refresh", "access"):
            try:
                info = state.auth.verify(Platform.google, given, kind)
            except SandboxAuthError:
                continue
            # Revoking either token ends the whole grant.
            state.auth.revoke_login(Platform.google, info.login_id)
            return JSONResponse({})
        return token_error("invalid_token", "Token expired or revoked")

    @app.get("/v1/userinfo")
    async def userinfo(request: Request) -> JSONResponse:
        """OpenID Connect's userinfo (openidconnect.googleapis.com/v1/userinfo): who the access token belongs to."""
        header = request.headers.get("authorization", "")
        token = header[7:] if header.lower().startswith("bearer ") else None
        try:
            info = state.auth.verify(Platform.google, token, "access")
        except SandboxAuthError:
            return JSONResponse(
                {"error": "invalid_request", "error_description": "Invalid Credentials"},
                status_code=401,
                headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
            )
        login = state.world.login(Platform.google, info.login_id)
        body: dict[str, Any] = {"sub": info.login_id}
        if login is not None:
            body |= {"email": login.email, "email_verified": True, "name": login.display_name}
        return JSONResponse(body)

    # ---- the Ads API ---------------------------------------------------------------------------------------------

    @app.get("/{version}/customers:listAccessibleCustomers")
    async def list_accessible_customers(request: Request, version: str) -> JSONResponse:
        who = await caller(request, version, None)
        state.count_operations(Platform.google, None)
        names = [
            f"customers/{account_id}"
            for account_id in who.login.account_ids
            if state.world.account(Platform.google, account_id) is not None
        ]
        return JSONResponse({"resourceNames": names})

    def run_query(who: _Caller, text: Any) -> tuple[SimAccount, _Plan, list[_Row]]:
        if not isinstance(text, str):
            raise GoogleApiError(
                400, [AdsError("fieldError", "REQUIRED", "The required field was not present.", (("query", None),))]
            )
        assert who.account is not None  # noqa: S101 - customer calls always have one
        try:
            query = parse_gaql(text)
            executor = _Executor(state, budgets, who.account)
            plan = _plan(query, who.account, executor.today)
            return who.account, plan, executor.rows(plan)
        except GaqlError as exc:
            raise _query_error(exc) from None

    @app.post("/{version}/customers/{customer_id}/googleAds:search")
    async def search(request: Request, version: str, customer_id: str) -> JSONResponse:
        who = await caller(request, version, customer_id)
        state.count_operations(Platform.google, customer_id)  # every page asked for is one
        body = await _json_object(
            request,
            frozenset({"query", "pageToken", "pageSize", "validateOnly", "returnTotalResultsCount",
                       "summaryRowSetting", "searchSettings"}),
        )  # fmt: skip
        if "pageSize" in body:
            raise _request_error(
                "PAGE_SIZE_NOT_SUPPORTED",
                f"Setting the page size is not supported. Search Responses will have fixed page size of "
                f"'{PAGE_SIZE}' rows.",
            )
        # Reports take tenths of a second of CPU to simulate and render: off the event loop, which meanwhile keeps
        # taking (and counting) requests.
        return await asyncio.to_thread(search_answer, who, body, _request_id(request))

    def search_answer(who: _Caller, body: dict[str, Any], request_id: str) -> JSONResponse:
        account, plan, rows = run_query(who, body.get("query"))
        if body.get("validateOnly"):
            return JSONResponse({"fieldMask": _field_mask(plan.query), "requestId": request_id})
        given_settings = body.get("searchSettings")
        settings: dict[str, Any] = given_settings if isinstance(given_settings, dict) else {}
        summary = str(body.get("summaryRowSetting", "NO_SUMMARY_ROW"))
        if settings.get("returnSummaryRow"):
            summary = "SUMMARY_ROW_WITH_RESULTS"
        offset = _page_offset(body["query"], body["pageToken"]) if body.get("pageToken") else 0
        page = rows[offset : offset + PAGE_SIZE] if summary != "SUMMARY_ROW_ONLY" else []
        result: dict[str, Any] = {}
        if page:
            result["results"] = [_render(row, plan, budgets) for row in page]
        if summary != "SUMMARY_ROW_ONLY" and offset + PAGE_SIZE < len(rows):
            result["nextPageToken"] = _page_token(body["query"], offset + PAGE_SIZE)
        if body.get("returnTotalResultsCount") or settings.get("returnTotalResultsCount"):
            result["totalResultsCount"] = str(len(rows))
        result["fieldMask"] = _field_mask(plan.query)
        if summary in ("SUMMARY_ROW_WITH_RESULTS", "SUMMARY_ROW_ONLY"):
            result["summaryRow"] = {"metrics": _summary(account, rows, plan, budgets).get("metrics", {})}
        result["requestId"] = request_id
        result["queryResourceConsumption"] = str(_consumption(rows))
        return JSONResponse(result)

    @app.post("/{version}/customers/{customer_id}/googleAds:searchStream")
    async def search_stream(request: Request, version: str, customer_id: str) -> Response:
        who = await caller(request, version, customer_id)
        state.count_operations(Platform.google, customer_id)  # one however many rows it streams
        body = await _json_object(request, frozenset({"query", "summaryRowSetting"}))
        # As for search: simulated, rendered and serialised off the event loop.
        document = await asyncio.to_thread(stream_answer, who, body, _request_id(request))
        return Response(document, media_type="application/json; charset=UTF-8")

    def stream_answer(who: _Caller, body: dict[str, Any], request_id: str) -> str:
        account, plan, rows = run_query(who, body.get("query"))
        summary = str(body.get("summaryRowSetting", "NO_SUMMARY_ROW"))
        mask = _field_mask(plan.query)
        batches: list[dict[str, Any]] = []
        if summary != "SUMMARY_ROW_ONLY":
            for start in range(0, len(rows), STREAM_BATCH_SIZE):
                chunk = rows[start : start + STREAM_BATCH_SIZE]
                batches.append(
                    {"results": [_render(r, plan, budgets) for r in chunk], "fieldMask": mask, "requestId": request_id}
                )
        if summary in ("SUMMARY_ROW_WITH_RESULTS", "SUMMARY_ROW_ONLY"):
            batches.append(
                {"summaryRow": _summary(account, rows, plan, budgets), "fieldMask": mask, "requestId": request_id}
            )
        if not batches:
            # Zero rows: one batch without ``results``.
            batches.append({"fieldMask": mask, "requestId": request_id})
        batches[-1]["queryResourceConsumption"] = str(_consumption(rows))
        # Google pretty-prints the stream; clients must parse the whole document, not lines.
        return json.dumps(batches, indent=2, ensure_ascii=False)

    async def mutate(request: Request, version: str, customer_id: str, service: str) -> JSONResponse:
        who = await caller(request, version, customer_id)
        assert who.account is not None  # noqa: S101 - customer calls always have one
        body = await _json_object(request, _MUTATE_KEYS)
        operations = body.get("operations")
        if not isinstance(operations, list) or not operations:
            raise GoogleApiError(
                400,
                [AdsError("fieldError", "REQUIRED", "The required field was not present.", (("operations", None),))],
            )
        state.count_operations(Platform.google, customer_id, len(operations))
        partial = bool(body.get("partialFailure"))
        validate_only = bool(body.get("validateOnly"))
        planned: list[_Change | None] = []
        errors: list[AdsError] = []
        claimed: set[str] = set()
        for index, operation in enumerate(operations):
            ctx = _MutateContext(state, budgets, who.account, service, index, claimed)
            try:
                planned.append(_plan_operation(ctx, operation))
            except GoogleApiError as exc:
                if not exc.errors:
                    raise  # a malformed request fails as a whole, whatever partialFailure says
                errors += exc.errors
                planned.append(None)
        if errors and not partial:
            raise GoogleApiError(400, errors)
        if validate_only:
            return JSONResponse({})
        results: list[dict[str, Any]] = []
        mutable = body.get("responseContentType") == "MUTABLE_RESOURCE"
        for change in planned:
            if change is None:
                results.append({})
                continue
            name = change.apply()
            result: dict[str, Any] = {"resourceName": name}
            if mutable:
                result |= _mutable_resource(state, budgets, who.account, name)
            results.append(result)
        response: dict[str, Any] = {"results": results}
        if errors:
            response["partialFailureError"] = {
                "code": 3,
                "message": f"{sum(1 for c in planned if c is None)} operation(s) failed.",
                "details": [
                    {
                        "@type": f"type.googleapis.com/google.ads.googleads.{who.version}.errors.GoogleAdsFailure",
                        "errors": [e.to_json() for e in errors],
                        "requestId": _request_id(request),
                    }
                ],
            }
        return JSONResponse(response)

    def mutate_endpoint(service: str) -> Callable[[Request, str, str], Awaitable[JSONResponse]]:
        # A closure rather than a defaulted parameter, which FastAPI would expose as a query parameter.
        async def endpoint(request: Request, version: str, customer_id: str) -> JSONResponse:
            return await mutate(request, version, customer_id, service)

        return endpoint

    for service in _MUTABLE:
        app.add_api_route(
            f"/{{version}}/customers/{{customer_id}}/{service}:mutate", mutate_endpoint(service), methods=["POST"]
        )

    return app


_AUTHORIZE_PARAMS = frozenset(
    {"client_id", "redirect_uri", "response_type", "scope", "state", "access_type", "prompt", "include_granted_scopes",
     "code_challenge", "code_challenge_method", "login_hint"}
)  # fmt: skip


def _consumption(rows: Sequence[_Row]) -> int:
    # Google's "query resource consumption" grows with the rows read; the exact unit is Google's own.
    return 100 + len(rows) // 5
