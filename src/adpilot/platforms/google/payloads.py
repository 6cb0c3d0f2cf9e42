"""Google Ads REST JSON as Pydantic models: only the fields the adapter reads, every one optional.

The API speaks proto3 canonical JSON (lowerCamelCase names, int64 as strings, doubles as numbers), but real captures
and third-party fixtures disagree on details (``"conversions": "12.5"`` as a string, ``"clicks": 34`` as a number),
so the models are lax: numbers are accepted as JSON numbers or numeric strings, and unknown fields are ignored.
Nothing here leaves ``adpilot.platforms.google``.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, TypeAdapter
from pydantic.alias_generators import to_camel


def _decimal(value: Any) -> Any:
    # A JSON double arrives as a Python float: go through its shortest repr, never through binary expansion, so that
    # 4750.1 stays 4750.1 (and becomes exactly 4,750,100,000 micros).
    if isinstance(value, float):
        return Decimal(repr(value))
    return value


def _int64(value: Any) -> Any:
    # int64 is a JSON string in proto3 ("34"); some producers send a number, possibly written as 34.0.
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


Int64 = Annotated[int, BeforeValidator(_int64)]
Double = Annotated[Decimal, BeforeValidator(_decimal)]


class GoogleModel(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="ignore", frozen=True)


# --- OAuth (oauth2.googleapis.com: snake_case, RFC 6749) --------------------------------------------------------------


class TokenResponse(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    access_token: str
    expires_in: Int64 | None = None
    refresh_token: str | None = None
    # Present when the OAuth consent screen is in "Testing" (refresh tokens then die after 7 days).
    refresh_token_expires_in: Int64 | None = None
    scope: str | None = None
    token_type: str | None = None


class UserInfo(BaseModel):
    """OpenID Connect userinfo: ``sub`` is the Google account's stable id."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    sub: str
    email: str | None = None


class TokenErrorBody(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    error: str
    error_description: str | None = None


# --- Errors (google.rpc.Status with GoogleAdsFailure details) ---------------------------------------------------------


class FieldPathElement(GoogleModel):
    field_name: str
    index: int | None = None


class ErrorLocation(GoogleModel):
    field_path_elements: list[FieldPathElement] = Field(default_factory=list)

    def path(self) -> str:
        """``operations[0].update.amount_micros``: the dotted path of the field the error is about."""
        parts = []
        for element in self.field_path_elements:
            parts.append(element.field_name if element.index is None else f"{element.field_name}[{element.index}]")
        return ".".join(parts)


class QuotaErrorDetails(GoogleModel):
    rate_scope: str | None = None
    rate_name: str | None = None
    retry_delay: str | None = None


class ErrorDetails(GoogleModel):
    quota_error_details: QuotaErrorDetails | None = None


class GoogleAdsError(GoogleModel):
    # A oneof: exactly one key such as {"quotaError": "RESOURCE_EXHAUSTED"}.
    error_code: dict[str, str] = Field(default_factory=dict)
    message: str = ""
    location: ErrorLocation | None = None
    details: ErrorDetails | None = None

    @property
    def category(self) -> str:
        return next(iter(self.error_code), "")

    @property
    def code(self) -> str:
        return next(iter(self.error_code.values()), "")


class StatusDetail(GoogleModel):
    # Only GoogleAdsFailure details carry ``errors``; other google.rpc detail types parse to an empty list.
    type: str = Field(default="", alias="@type")
    errors: list[GoogleAdsError] = Field(default_factory=list)
    request_id: str | None = None


class Status(GoogleModel):
    code: int | None = None
    message: str = ""
    status: str = ""
    details: list[StatusDetail] = Field(default_factory=list)

    @property
    def errors(self) -> list[GoogleAdsError]:
        return [error for detail in self.details for error in detail.errors]

    @property
    def request_id(self) -> str | None:
        return next((detail.request_id for detail in self.details if detail.request_id), None)


class ErrorEnvelope(GoogleModel):
    error: Status


# --- Resources --------------------------------------------------------------------------------------------------------


class Customer(GoogleModel):
    resource_name: str | None = None
    id: Int64 | None = None
    descriptive_name: str | None = None
    currency_code: str | None = None
    time_zone: str | None = None
    manager: bool | None = None
    status: str | None = None
    test_account: bool | None = None


class CustomerClient(GoogleModel):
    resource_name: str | None = None
    client_customer: str | None = None
    level: Int64 | None = None
    manager: bool | None = None
    descriptive_name: str | None = None
    currency_code: str | None = None
    time_zone: str | None = None
    id: Int64 | None = None
    status: str | None = None
    hidden: bool | None = None


class TargetCpa(GoogleModel):
    target_cpa_micros: Int64 | None = None


class TargetRoas(GoogleModel):
    # A ratio: 3.5 means 350 % conversion value per cost.
    target_roas: Double | None = None


class Campaign(GoogleModel):
    resource_name: str | None = None
    id: Int64 | None = None
    name: str | None = None
    status: str | None = None
    serving_status: str | None = None
    advertising_channel_type: str | None = None
    advertising_channel_sub_type: str | None = None
    bidding_strategy_type: str | None = None
    campaign_budget: str | None = None
    target_cpa: TargetCpa | None = None
    target_roas: TargetRoas | None = None
    # "YYYY-MM-DD HH:MM:SS" in the account's time zone (v23+; "YYYYMMDD" start_date/end_date before).
    start_date_time: str | None = None
    end_date_time: str | None = None


class CampaignBudget(GoogleModel):
    resource_name: str | None = None
    id: Int64 | None = None
    amount_micros: Int64 | None = None
    total_amount_micros: Int64 | None = None
    explicitly_shared: bool | None = None
    delivery_method: str | None = None
    status: str | None = None


class AdGroup(GoogleModel):
    resource_name: str | None = None
    id: Int64 | None = None
    name: str | None = None
    status: str | None = None
    type: str | None = None
    campaign: str | None = None
    cpc_bid_micros: Int64 | None = None


class Ad(GoogleModel):
    resource_name: str | None = None
    id: Int64 | None = None
    name: str | None = None
    type: str | None = None
    final_urls: list[str] = Field(default_factory=list)


class AdGroupAd(GoogleModel):
    resource_name: str | None = None
    status: str | None = None
    ad_group: str | None = None
    ad: Ad | None = None


class ChangeStatus(GoogleModel):
    resource_name: str | None = None
    resource_type: str | None = None
    resource_status: str | None = None
    # "YYYY-MM-DD HH:MM:SS.ffffff" in the account's time zone.
    last_change_date_time: str | None = None
    campaign: str | None = None
    ad_group: str | None = None
    ad_group_ad: str | None = None


class Metrics(GoogleModel):
    impressions: Int64 = 0
    clicks: Int64 = 0
    cost_micros: Int64 = 0
    conversions: Double = Decimal(0)
    # A double in currency units (not micros).
    conversions_value: Double = Decimal(0)


class Segments(GoogleModel):
    # ``date`` on the wire; named ``day`` here so the field does not shadow the type.
    day: date | None = Field(default=None, alias="date")
    # int32 on the wire, so a JSON number (0 to 23, the hour of the day in the account's time zone).
    hour: Int64 | None = None


class GoogleAdsRow(GoogleModel):
    customer: Customer | None = None
    customer_client: CustomerClient | None = None
    campaign: Campaign | None = None
    campaign_budget: CampaignBudget | None = None
    ad_group: AdGroup | None = None
    ad_group_ad: AdGroupAd | None = None
    change_status: ChangeStatus | None = None
    metrics: Metrics | None = None
    segments: Segments | None = None


class SearchStreamBatch(GoogleModel):
    # Omitted entirely when the query matched nothing.
    results: list[GoogleAdsRow] = Field(default_factory=list)
    field_mask: str | None = None
    request_id: str | None = None
    query_resource_consumption: Int64 | None = None


SEARCH_STREAM = TypeAdapter(list[SearchStreamBatch])


class ListAccessibleCustomersResponse(GoogleModel):
    resource_names: list[str] = Field(default_factory=list)


class MutateResult(GoogleModel):
    resource_name: str | None = None


class MutateResponse(GoogleModel):
    results: list[MutateResult] = Field(default_factory=list)
    partial_failure_error: Status | None = None


class GoogleAdsMutateResponse(GoogleModel):
    """``googleAds:mutate``: one ``{"<resource>Result": {"resourceName": …}}`` per operation, in order."""

    mutate_operation_responses: list[dict[str, Any]] = Field(default_factory=list)
