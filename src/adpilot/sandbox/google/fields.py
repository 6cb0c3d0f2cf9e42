"""The resources and fields the Google Ads emulator's GAQL serves, and how a result row reads each field.

Google's resources as the product reads them (``customer``, ``customer_client``, ``campaign`` with its
``campaign_budget``, ``ad_group``, ``ad_group_ad``, ``change_status``) and the ``metrics`` and ``segments``
(``segments.date``, ``segments.hour``) of reports; which resources a ``FROM`` resource may select (its attributed
resources) and which report. Values are rendered as proto3 JSON: lowerCamelCase paths, int64 as strings, doubles as
numbers (whole ones without a fraction), enums by name.

Each campaign has its own (non-shared) campaign budget whose id is derived from the campaign id; budgets created
through ``campaignBudgets:mutate`` live in :class:`Budgets` until a campaign is created on them.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from adpilot.platforms.types import EntityLevel, EntityStatus
from adpilot.sandbox.engine import SimAccount, SimChange, SimEntity, SimMetrics

_BUDGET_ID_OFFSET = 10**12  # derived campaign budget id = campaign id + offset


@dataclass
class Totals:
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

    def merge(self, other: Totals) -> None:
        self.impressions += other.impressions
        self.clicks += other.clicks
        self.spend_micros += other.spend_micros
        self.conversions += other.conversions
        self.conversion_value_micros += other.conversion_value_micros
        self.video_views += other.video_views


@dataclass
class Row:
    """One result row before rendering: the entities it is about, and the day and numbers for segmented reports."""

    customer: SimAccount
    client: tuple[SimAccount, int] | None = None  # customer_client rows: (client account, level)
    campaign: SimEntity | None = None
    ad_group: SimEntity | None = None
    ad: SimEntity | None = None
    day: date | None = None
    hour: int | None = None  # segments.hour: the hour of the day in the account's time zone
    metrics: Totals | None = None
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
OBJECTIVE_BY_CHANNEL = {
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
BIDDING_FIELDS = {
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
    "manualCpa": "MANUAL_CPA",
    "fixedCpm": "FIXED_CPM",
    "targetCpv": "TARGET_CPV",
    "targetCpc": "TARGET_CPC",
}
ADVERTISING_CHANNELS = frozenset(
    {"SEARCH", "DISPLAY", "SHOPPING", "HOTEL", "VIDEO", "MULTI_CHANNEL", "LOCAL", "SMART", "PERFORMANCE_MAX",
     "LOCAL_SERVICES", "TRAVEL", "DEMAND_GEN"}
)  # fmt: skip


def channel_of(campaign: SimEntity) -> str:
    value = campaign.attributes.get("advertising_channel_type")
    return str(value) if value else _CHANNEL_BY_OBJECTIVE.get(campaign.objective, "SEARCH")


def _bidding(campaign: SimEntity) -> str:
    value = campaign.attributes.get("bidding_strategy_type")
    return str(value) if value else _BIDDING_BY_OBJECTIVE.get(campaign.objective, "MANUAL_CPC")


def _start_date_time(row: Row, campaign: SimEntity) -> str:
    """When the campaign starts, "YYYY-MM-DD HH:MM:SS" in the account's time zone (v23+; earlier versions had
    ``start_date`` as "YYYYMMDD")."""
    value = campaign.attributes.get("start_date_time")
    if value:
        return str(value)
    return campaign.created_at.astimezone(ZoneInfo(row.customer.time_zone)).strftime("%Y-%m-%d 00:00:00")


def _double(value: float) -> float | int:
    # proto3 JSON prints a whole double without a fraction ("conversions": 2), as Google's captures show.
    return int(value) if float(value).is_integer() else value


@dataclass(frozen=True)
class Field:
    name: str
    resource: str  # the resource whose object holds it: campaign, campaign_budget, ..., metrics, segments
    kind: str  # int64 | double | string | enum | bool | date
    read: Callable[[Row, Budgets], Any]
    enum: frozenset[str] | None = None


class Budgets:
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


def _customer_of(row: Row) -> str:
    return row.customer.account_id


def _campaign_fields() -> list[Field]:
    def c(row: Row) -> SimEntity:
        assert row.campaign is not None  # noqa: S101 - only read for rows that have one
        return row.campaign

    return [
        Field("campaign.resource_name", "campaign", "string",
               lambda r, b: f"customers/{_customer_of(r)}/campaigns/{c(r).id}"),
        Field("campaign.id", "campaign", "int64", lambda r, b: int(c(r).id)),
        Field("campaign.name", "campaign", "string", lambda r, b: c(r).name),
        Field("campaign.status", "campaign", "enum", lambda r, b: _STATUS_WORD[c(r).status], _STATUS_ENUM),
        Field("campaign.advertising_channel_type", "campaign", "enum", lambda r, b: channel_of(c(r)),
               ADVERTISING_CHANNELS),
        Field("campaign.bidding_strategy_type", "campaign", "enum", lambda r, b: _bidding(c(r))),
        Field("campaign.target_cpa.target_cpa_micros", "campaign", "int64",
               lambda r, b: c(r).attributes.get("target_cpa_micros") if _bidding(c(r)) == "TARGET_CPA" else None),
        Field("campaign.target_roas.target_roas", "campaign", "double",
               lambda r, b: c(r).attributes.get("target_roas") if _bidding(c(r)) == "TARGET_ROAS" else None),
        Field("campaign.start_date_time", "campaign", "string", lambda r, b: _start_date_time(r, c(r))),
        Field("campaign.end_date_time", "campaign", "string", lambda r, b: c(r).attributes.get("end_date_time")),
        Field("campaign.campaign_budget", "campaign", "string",
               lambda r, b: f"customers/{_customer_of(r)}/campaignBudgets/{b.id_of(c(r))}"),
        Field("campaign.serving_status", "campaign", "enum",
               lambda r, b: "ENDED" if c(r).status is EntityStatus.removed else "SERVING"),
        Field("campaign.contains_eu_political_advertising", "campaign", "enum",
               lambda r, b: c(r).attributes.get("contains_eu_political_advertising",
                                                 "DOES_NOT_CONTAIN_EU_POLITICAL_ADVERTISING")),
        Field("campaign_budget.resource_name", "campaign_budget", "string",
               lambda r, b: f"customers/{_customer_of(r)}/campaignBudgets/{b.id_of(c(r))}"),
        Field("campaign_budget.id", "campaign_budget", "int64", lambda r, b: int(b.id_of(c(r)))),
        Field("campaign_budget.name", "campaign_budget", "string",
               lambda r, b: c(r).attributes.get("budget_name") or f"{c(r).name} budget"),
        Field("campaign_budget.amount_micros", "campaign_budget", "int64", lambda r, b: c(r).daily_budget_micros),
        Field("campaign_budget.total_amount_micros", "campaign_budget", "int64",
               lambda r, b: c(r).lifetime_budget_micros),
        Field("campaign_budget.delivery_method", "campaign_budget", "enum",
               lambda r, b: c(r).attributes.get("budget_delivery_method", "STANDARD")),
        Field("campaign_budget.explicitly_shared", "campaign_budget", "bool", lambda r, b: False),
        Field("campaign_budget.reference_count", "campaign_budget", "int64", lambda r, b: 1),
        Field("campaign_budget.status", "campaign_budget", "enum",
               lambda r, b: "REMOVED" if c(r).status is EntityStatus.removed else "ENABLED"),
        Field("campaign_budget.period", "campaign_budget", "enum",
               lambda r, b: "DAILY" if c(r).daily_budget_micros is not None else "CUSTOM_PERIOD"),
    ]  # fmt: skip


def _ad_group_fields() -> list[Field]:
    def g(row: Row) -> SimEntity:
        assert row.ad_group is not None  # noqa: S101 - only read for rows that have one
        return row.ad_group

    return [
        Field("ad_group.resource_name", "ad_group", "string",
               lambda r, b: f"customers/{_customer_of(r)}/adGroups/{g(r).id}"),
        Field("ad_group.id", "ad_group", "int64", lambda r, b: int(g(r).id)),
        Field("ad_group.name", "ad_group", "string", lambda r, b: g(r).name),
        Field("ad_group.status", "ad_group", "enum", lambda r, b: _STATUS_WORD[g(r).status], _STATUS_ENUM),
        Field("ad_group.type", "ad_group", "enum", lambda r, b: g(r).attributes.get("type", "SEARCH_STANDARD")),
        Field("ad_group.campaign", "ad_group", "string",
               lambda r, b: f"customers/{_customer_of(r)}/campaigns/{g(r).campaign_id}"),
        Field("ad_group.cpc_bid_micros", "ad_group", "int64", lambda r, b: g(r).attributes.get("cpc_bid_micros")),
    ]  # fmt: skip


def _ad_group_ad_fields() -> list[Field]:
    def a(row: Row) -> SimEntity:
        assert row.ad is not None  # noqa: S101 - only read for rows that have one
        return row.ad

    return [
        Field("ad_group_ad.resource_name", "ad_group_ad", "string",
               lambda r, b: f"customers/{_customer_of(r)}/adGroupAds/{a(r).parent_id}~{a(r).id}"),
        Field("ad_group_ad.status", "ad_group_ad", "enum", lambda r, b: _STATUS_WORD[a(r).status], _STATUS_ENUM),
        Field("ad_group_ad.ad_group", "ad_group_ad", "string",
               lambda r, b: f"customers/{_customer_of(r)}/adGroups/{a(r).parent_id}"),
        Field("ad_group_ad.ad.id", "ad_group_ad", "int64", lambda r, b: int(a(r).id)),
        Field("ad_group_ad.ad.resource_name", "ad_group_ad", "string",
               lambda r, b: f"customers/{_customer_of(r)}/ads/{a(r).id}"),
        Field("ad_group_ad.ad.name", "ad_group_ad", "string", lambda r, b: a(r).name),
        Field("ad_group_ad.ad.type", "ad_group_ad", "enum",
               lambda r, b: a(r).attributes.get("type", "RESPONSIVE_SEARCH_AD")),
    ]  # fmt: skip


def _customer_status(account: SimAccount) -> str:
    return "ENABLED" if account.active else "CANCELED"


def _customer_fields() -> list[Field]:
    return [
        Field("customer.resource_name", "customer", "string", lambda r, b: f"customers/{r.customer.account_id}"),
        Field("customer.id", "customer", "int64", lambda r, b: int(r.customer.account_id)),
        Field("customer.descriptive_name", "customer", "string", lambda r, b: r.customer.name),
        Field("customer.currency_code", "customer", "string", lambda r, b: r.customer.currency),
        Field("customer.time_zone", "customer", "string", lambda r, b: r.customer.time_zone),
        Field("customer.manager", "customer", "bool", lambda r, b: r.customer.is_manager),
        Field("customer.status", "customer", "enum", lambda r, b: _customer_status(r.customer),
               _CUSTOMER_STATUS_ENUM),
        Field("customer.test_account", "customer", "bool", lambda r, b: False),
        Field("customer.auto_tagging_enabled", "customer", "bool", lambda r, b: True),
    ]  # fmt: skip


def _customer_client_fields() -> list[Field]:
    def cl(row: Row) -> tuple[SimAccount, int]:
        assert row.client is not None  # noqa: S101 - only read for rows that have one
        return row.client

    return [
        Field("customer_client.resource_name", "customer_client", "string",
               lambda r, b: f"customers/{r.customer.account_id}/customerClients/{cl(r)[0].account_id}"),
        Field("customer_client.client_customer", "customer_client", "string",
               lambda r, b: f"customers/{cl(r)[0].account_id}"),
        Field("customer_client.level", "customer_client", "int64", lambda r, b: cl(r)[1]),
        Field("customer_client.manager", "customer_client", "bool", lambda r, b: cl(r)[0].is_manager),
        Field("customer_client.descriptive_name", "customer_client", "string", lambda r, b: cl(r)[0].name),
        Field("customer_client.currency_code", "customer_client", "string", lambda r, b: cl(r)[0].currency),
        Field("customer_client.time_zone", "customer_client", "string", lambda r, b: cl(r)[0].time_zone),
        Field("customer_client.id", "customer_client", "int64", lambda r, b: int(cl(r)[0].account_id)),
        Field("customer_client.status", "customer_client", "enum", lambda r, b: _customer_status(cl(r)[0]),
               _CUSTOMER_STATUS_ENUM),
        Field("customer_client.hidden", "customer_client", "bool", lambda r, b: False),
        Field("customer_client.test_account", "customer_client", "bool", lambda r, b: False),
    ]  # fmt: skip


# change_status: the latest change of each campaign, ad group and ad group ad; Google keeps 90 days of them and insists
# on a finite last_change_date_time range and a LIMIT of at most 10,000.
CHANGE_STATUS_DAYS = 90
CHANGE_STATUS_LIMIT = 10_000
CHANGE_FIELD = "change_status.last_change_date_time"
_CHANGE_RESOURCE_TYPE = {
    EntityLevel.campaign: "CAMPAIGN",
    EntityLevel.ad_group: "AD_GROUP",
    EntityLevel.ad: "AD_GROUP_AD",
}
_CHANGE_TIME_FORMAT = "%Y-%m-%d %H:%M:%S.%f"


def _change_fields() -> list[Field]:
    def ch(row: Row) -> SimChange:
        assert row.change is not None  # noqa: S101 - only read for change_status rows
        return row.change

    def status(row: Row) -> str:
        change = ch(row)
        return "REMOVED" if change.removed else "ADDED" if change.added else "CHANGED"

    def changed_at(row: Row) -> str:
        moment = ch(row).changed_at.astimezone(ZoneInfo(row.customer.time_zone))
        return moment.strftime(_CHANGE_TIME_FORMAT)

    def campaign(row: Row) -> str:
        return f"customers/{_customer_of(row)}/campaigns/{ch(row).entity.campaign_id}"

    def ad_group(row: Row) -> str | None:
        entity = ch(row).entity
        group = {EntityLevel.ad_group: entity.id, EntityLevel.ad: entity.parent_id}.get(entity.level)
        return f"customers/{_customer_of(row)}/adGroups/{group}" if group else None

    def ad_group_ad(row: Row) -> str | None:
        entity = ch(row).entity
        if entity.level is not EntityLevel.ad:
            return None
        return f"customers/{_customer_of(row)}/adGroupAds/{entity.parent_id}~{entity.id}"

    def name(row: Row) -> str:
        entity = ch(row).entity
        return f"customers/{_customer_of(row)}/changeStatus/{_CHANGE_RESOURCE_TYPE[entity.level]}~{entity.id}"

    return [
        Field("change_status.resource_name", "change_status", "string", lambda r, b: name(r)),
        Field("change_status.resource_type", "change_status", "enum",
               lambda r, b: _CHANGE_RESOURCE_TYPE[ch(r).entity.level],
               frozenset({*_CHANGE_RESOURCE_TYPE.values(), "AD_GROUP_CRITERION", "CAMPAIGN_CRITERION", "ASSET",
                          "UNKNOWN", "UNSPECIFIED"})),
        Field("change_status.resource_status", "change_status", "enum", lambda r, b: status(r),
               frozenset({"ADDED", "CHANGED", "REMOVED", "UNKNOWN", "UNSPECIFIED"})),
        Field(CHANGE_FIELD, "change_status", "string", lambda r, b: changed_at(r)),
        Field("change_status.campaign", "change_status", "string", lambda r, b: campaign(r)),
        Field("change_status.ad_group", "change_status", "string", lambda r, b: ad_group(r)),
        Field("change_status.ad_group_ad", "change_status", "string", lambda r, b: ad_group_ad(r)),
    ]  # fmt: skip


def _metric_fields() -> list[Field]:
    def m(row: Row) -> Totals:
        return row.metrics or Totals()

    def ratio(numerator: float, denominator: float, scale: float = 1.0) -> float | int:
        return _double(numerator / denominator * scale) if denominator else 0

    return [
        Field("metrics.impressions", "metrics", "int64", lambda r, b: m(r).impressions),
        Field("metrics.clicks", "metrics", "int64", lambda r, b: m(r).clicks),
        Field("metrics.cost_micros", "metrics", "int64", lambda r, b: m(r).spend_micros),
        Field("metrics.conversions", "metrics", "double", lambda r, b: _double(m(r).conversions)),
        Field("metrics.conversions_value", "metrics", "double",
               lambda r, b: _double(m(r).conversion_value_micros / 1_000_000)),
        Field("metrics.all_conversions", "metrics", "double", lambda r, b: _double(m(r).conversions)),
        Field("metrics.all_conversions_value", "metrics", "double",
               lambda r, b: _double(m(r).conversion_value_micros / 1_000_000)),
        Field("metrics.ctr", "metrics", "double", lambda r, b: ratio(m(r).clicks, m(r).impressions)),
        Field("metrics.average_cpc", "metrics", "double", lambda r, b: ratio(m(r).spend_micros, m(r).clicks)),
        Field("metrics.average_cpm", "metrics", "double",
               lambda r, b: ratio(m(r).spend_micros, m(r).impressions, 1000)),
        Field("metrics.cost_per_conversion", "metrics", "double",
               lambda r, b: ratio(m(r).spend_micros, m(r).conversions)),
        Field("metrics.video_trueview_views", "metrics", "int64", lambda r, b: m(r).video_views),
        Field("segments.date", "segments", "date", lambda r, b: r.day.isoformat() if r.day else None),
        Field("segments.hour", "segments", "int32", lambda r, b: r.hour),
    ]  # fmt: skip


FIELDS: dict[str, Field] = {
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
SELECTABLE: dict[str, frozenset[str]] = {
    "customer": frozenset({"customer"}),
    "customer_client": frozenset({"customer_client", "customer"}),
    "campaign": frozenset({"campaign", "campaign_budget", "customer"}),
    "campaign_budget": frozenset({"campaign_budget", "customer"}),
    "ad_group": frozenset({"ad_group", "campaign", "customer"}),
    "ad_group_ad": frozenset({"ad_group_ad", "ad_group", "campaign", "customer"}),
    "change_status": frozenset({"change_status"}),
}
REPORTING = frozenset({"customer", "campaign", "campaign_budget", "ad_group", "ad_group_ad"})
LEVEL_OF: dict[str, EntityLevel] = {
    "campaign": EntityLevel.campaign,
    "campaign_budget": EntityLevel.campaign,
    "customer": EntityLevel.campaign,
    "ad_group": EntityLevel.ad_group,
    "ad_group_ad": EntityLevel.ad,
}
RESOURCE_NAME_FIELD = {
    "customer": "customer.resource_name",
    "customer_client": "customer_client.resource_name",
    "campaign": "campaign.resource_name",
    "campaign_budget": "campaign_budget.resource_name",
    "ad_group": "ad_group.resource_name",
    "ad_group_ad": "ad_group_ad.resource_name",
    "change_status": "change_status.resource_name",
}


def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def json_path(name: str) -> list[str]:
    return [camel(part) for part in name.split(".")]


def encode(kind: str, value: Any) -> Any:
    if kind == "int64":
        return str(int(value))
    if kind == "int32":  # proto3 JSON writes 32-bit integers as numbers, 64-bit ones as strings
        return int(value)
    if kind == "double":
        return _double(float(value)) if not isinstance(value, int) else value
    return value


def put(target: dict[str, Any], path: Sequence[str], value: Any) -> None:
    for key in path[:-1]:
        target = target.setdefault(key, {})
    target[path[-1]] = value
