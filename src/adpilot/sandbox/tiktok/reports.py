"""TikTok's synchronous report, ``GET /open_api/v1.3/report/integrated/get/`` (reference §C.4, checklist item 5).

``BASIC`` ``AUCTION`` reports at the campaign, ad group, ad or advertiser ``data_level``, by the level's id with at
most one of ``stat_time_day`` (at most ``config.tiktok_report_max_days`` days, 30 by default, else 40067) or
``stat_time_hour`` (one day); JSON-encoded ``dimensions``, ``metrics`` (default ``["spend", "impressions"]``) and
``filtering`` (``{"field_name", "filter_type": "IN", "filter_value": "<JSON array>"}``). Rows are
``{"dimensions", "metrics"}`` with string values, ``"-"`` where a metric does not apply, paged with ``page_info``.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from adpilot.platforms.types import EntityLevel, EntityStatus
from adpilot.sandbox.engine import SimAccount, SimEntity, SimMetrics
from adpilot.sandbox.tiktok.context import PLATFORM, Call, JsonObject, Operation, TikTokContext, reachable_account
from adpilot.sandbox.tiktok.entities import (
    MAX_FILTER_IDS,
    NOUNS,
    entities_of,
    entity_tree,
    objective_type,
    primary_status,
    status_matches,
)
from adpilot.sandbox.tiktok.errors import QUERY_TOO_LARGE, TikTokError, bad_parameter
from adpilot.sandbox.tiktok.params import date_param, json_param, paged, paging

MAX_REPORT_DAYS_WITHOUT_TIME = 365

_DATA_LEVELS: dict[str, EntityLevel | None] = {
    "AUCTION_CAMPAIGN": EntityLevel.campaign,
    "AUCTION_ADGROUP": EntityLevel.ad_group,
    "AUCTION_AD": EntityLevel.ad,
    "AUCTION_ADVERTISER": None,
}
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


def api_routes() -> list[Operation]:
    return [Operation("GET", "report/integrated/get/", report)]


async def report(call: Call, context: TikTokContext) -> JsonObject:
    # Simulating a month of an account takes up to a fifth of a second of CPU: off the event loop, which meanwhile
    # keeps taking (and counting) requests.
    return await asyncio.to_thread(_report, call, context)


def _report(call: Call, context: TikTokContext) -> JsonObject:
    query = call.query
    account = reachable_account(context, call, query.get("advertiser_id"))
    if query.get("service_type", "AUCTION") != "AUCTION":
        raise bad_parameter("service_type: Only AUCTION is supported.")
    if query.get("report_type") != "BASIC":
        raise bad_parameter("report_type: The sandbox supports BASIC reports.")
    data_level = query.get("data_level", "")
    if data_level not in _DATA_LEVELS:
        raise bad_parameter(f"data_level: Must be one of {', '.join(_DATA_LEVELS)}.")
    level = _DATA_LEVELS[data_level]
    id_dimension = f"{NOUNS[level]}_id" if level is not None else "advertiser_id"
    dimensions = [str(d) for d in json_param(query, "dimensions", list, required=True)]
    time_dimensions = [d for d in dimensions if d in ("stat_time_day", "stat_time_hour")]
    if id_dimension not in dimensions or len(time_dimensions) > 1 or len(dimensions) != 1 + len(time_dimensions):
        raise bad_parameter(
            f'dimensions: With data_level {data_level} use ["{id_dimension}"] with at most one of '
            '"stat_time_day" or "stat_time_hour".',
        )
    time_dimension = time_dimensions[0] if time_dimensions else None
    metrics = [str(m) for m in (json_param(query, "metrics", list, required=False) or _DEFAULT_METRICS)]
    unknown = [m for m in metrics if m not in _KNOWN_METRICS]
    if unknown:
        raise bad_parameter(f"metrics: The sandbox does not know {', '.join(unknown)}.")
    if query.get("query_lifetime") == "true":
        raise bad_parameter("query_lifetime: Not supported by the sandbox; pass start_date and end_date.")
    start, end = date_param(query, "start_date"), date_param(query, "end_date")
    if end < start:
        raise bad_parameter("end_date: Must not be before start_date.")
    span = (end - start).days + 1
    limit = {
        "stat_time_day": context.report_max_days,
        "stat_time_hour": 1,
        None: MAX_REPORT_DAYS_WITHOUT_TIME,
    }[time_dimension]
    if span > limit:
        raise TikTokError(QUERY_TOO_LARGE, "The query is too large, please narrow the date range")
    page, page_size = paging(query)
    filtering = json_param(query, "filtering", list, required=False) or []
    tree = entity_tree(context, account)
    report_level = level or EntityLevel.campaign
    entities = [
        entity
        for entity in entities_of(context, account, report_level)
        if _report_filter_matches(entity, report_level, level is None, filtering, tree)
    ]
    rows = _report_rows(context, account, report_level, entities, start, end, time_dimension)
    if level is None:
        rows = _advertiser_totals(rows)
    items = [
        _report_row_json(row, id_dimension, time_dimension, metrics, account, tree.get(row.entity_id), level, tree)
        for row in rows
    ]
    return paged(items, page, page_size)


def _report_rows(
    context: TikTokContext,
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
    world = context.state.world
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


def _numeric(entity_id: str) -> int:
    return int(entity_id) if entity_id.isdigit() else 0


# --- filtering ---------------------------------------------------------------------------------------------------


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
            raise bad_parameter("filtering: Each condition must be an object.")
        field_name = condition.get("field_name")
        if condition.get("filter_type") != "IN":
            raise bad_parameter(f"filtering.{field_name}.filter_type: The sandbox supports IN.")
        raw = condition.get("filter_value")
        try:
            values = json.loads(raw) if isinstance(raw, str) else None
        except ValueError:
            values = None
        if not isinstance(values, list) or not values:
            raise bad_parameter(f"filtering.{field_name}.filter_value: Must be a JSON array string.")
        wanted = {str(v) for v in values}
        if field_name in ("campaign_ids", "adgroup_ids", "ad_ids"):
            if len(wanted) > MAX_FILTER_IDS:
                raise bad_parameter(f"filtering.{field_name}: At most {MAX_FILTER_IDS} ids.")
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
                raise bad_parameter(f"filtering.{field_name}: Not available at this data level.")
            status_filtered = status_filtered or owner is entity
            primary = primary_status(owner, tree)
            if not any(status_matches(primary, value) for value in wanted):
                return False
        else:
            raise bad_parameter(f"filtering: Unknown field_name {field_name}.")
    # TikTok's default at the data level: STATUS_NOT_DELETE.
    return status_filtered or advertiser_level or entity.status is not EntityStatus.removed


def _status_owner(entity: SimEntity, noun: str, tree: Mapping[str, SimEntity]) -> SimEntity | None:
    """The entity whose status a ``<noun>_status`` report filter reads: the row's own, or an ancestor's."""
    if NOUNS[entity.level] == noun:
        return entity
    if noun == "campaign":
        return tree.get(entity.campaign_id)
    if noun == "adgroup" and entity.level is EntityLevel.ad:
        return tree.get(entity.parent_id or "")
    return None


# --- rows as TikTok writes them ----------------------------------------------------------------------------------


def _money(micros: int) -> str:
    """Report money: a decimal string with at least two decimals ("20.00"), never rounding away micros."""
    text = f"{Decimal(micros) / 1_000_000:.6f}".rstrip("0")
    whole, _, fraction = text.partition(".")
    return f"{whole}.{fraction.ljust(2, '0')}"


def _ratio(numerator: Decimal, denominator: int, scale: int = 1) -> str:
    if denominator == 0:
        return "-"
    return f"{numerator * scale / denominator:.2f}"


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
        purchases_apply = entity is None or objective_type(entity, tree) in ("WEB_CONVERSIONS", "PRODUCT_SALES")
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
        "objective_type": objective_type(entity, tree),
        "adgroup_name": adgroup.name if adgroup and entity.level is not EntityLevel.campaign else "-",
        "adgroup_id": adgroup.id if adgroup and entity.level is not EntityLevel.campaign else "-",
        "ad_name": entity.name if entity.level is EntityLevel.ad else "-",
    }
    return values.get(metric, "-")
