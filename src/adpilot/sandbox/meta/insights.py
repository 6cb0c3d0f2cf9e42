"""Computing insights rows from the simulation (``platform-apis.md`` section B, "Insights"): which objects a report
covers, their rows per date bucket (and hour), and each row as Meta renders it: every number a string, money in
major units of the account currency, Meta's "(all)" clicks and ratios, and ``actions``/``action_values`` listing one
conversion under several overlapping types (``omni_purchase``, ``purchase``, ``offsite_conversion.fb_pixel_purchase``,
``onsite_web_purchase``) exactly like Meta — the trap that catches a client summing them. ``reports`` serves them.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from adpilot.platforms.types import EntityLevel, Platform
from adpilot.sandbox.engine import SimAccount, SimEntity, SimMetrics
from adpilot.sandbox.meta.context import GraphCall, InsightsQuery, MetaContext, RowGroup
from adpilot.sandbox.meta.graph import (
    MICROS,
    OPTIMIZATION_GOALS,
    account_index,
    chain,
    effective_status,
    major_units,
    meta_objective,
    page,
)

JsonObject = dict[str, Any]

# The breakdown the sandbox emulates: the hour of the day in the ad account's time zone, "13:00:00 - 13:59:59".
HOURLY_BREAKDOWN = "hourly_stats_aggregated_by_advertiser_time_zone"
# Unique counts Meta does not break down by hour.
_NOT_HOURLY_FIELDS = frozenset({"reach", "frequency"})
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


def insights_entities(context: MetaContext, account: SimAccount, query: InsightsQuery) -> list[SimEntity]:
    """The objects the report covers. Like Meta, an ad account's report leaves deleted (and archived) objects
    out unless an ``effective_status`` filter admits them; an object's own insights edge always answers."""
    level = query.level or EntityLevel.campaign
    index = account_index(context, account.account_id)
    entities = [e for e in index.values() if e.level is level]
    chosen: list[SimEntity] = []
    for entity in entities:
        if query.entity_ids is not None and entity.id not in query.entity_ids:
            continue
        links = chain(entity, index)
        admitted = all(
            (owner := links.get(status_level)) is not None and effective_status(owner, index) in statuses
            for status_level, statuses in query.status_filters
        )
        gone = effective_status(entity, index) in ("DELETED", "ARCHIVED")
        if not query.status_filters and gone and query.level is not None and entity.id != query.scope_id:
            admitted = False
        if admitted:
            chosen.append(entity)
    return chosen


def insights_groups(context: MetaContext, account: SimAccount, query: InsightsQuery) -> list[RowGroup]:
    """The report's rows before rendering, in Meta's order (by date, then object): paging renders one page only,
    so a long report is not turned into JSON again for every page asked for."""
    world = context.world
    level = query.level or EntityLevel.campaign
    entity_ids: list[str] | None = None
    if query.entity_ids is not None or query.status_filters or query.level is not None:
        entity_ids = [entity.id for entity in insights_entities(context, account, query)]
        if not entity_ids:
            return []
    metrics: list[SimMetrics]
    if query.hourly:
        # Hour by hour of each day; today's hours stop at the current hour of the account's time zone.
        metrics = []
        today = context.state.clock.today(account.time_zone)
        day = query.since
        while day <= min(query.until, today):
            metrics += world.hourly_metrics(Platform.meta, account.account_id, level, day, entity_ids=entity_ids)
            day += timedelta(days=1)
    else:
        metrics = world.daily_metrics(
            Platform.meta, account.account_id, level, query.since, query.until, entity_ids=entity_ids
        )
    # Group per (row key, bucket, hour); the account level folds every campaign into one row per bucket.
    grouped: dict[tuple[str, date, date, int], list[SimMetrics]] = defaultdict(list)
    for row in metrics:
        start, stop = _bucket(row.day, query)
        key = account.account_id if query.level is None else row.entity_id
        grouped[(key, start, stop, row.hour if row.hour is not None else -1)].append(row)
    return [
        RowGroup(key, start, stop, tuple(group), hour if hour >= 0 else None)
        for (key, start, stop, hour), group in sorted(
            grouped.items(), key=lambda item: (item[0][1], item[0][3], item[0][0])
        )
    ]


def insights_page(
    context: MetaContext, call: GraphCall, account: SimAccount, query: InsightsQuery, groups: Sequence[RowGroup]
) -> JsonObject:
    # One read of the account's objects per page instead of three lookups per row.
    index = account_index(context, account.account_id)
    hourly_off_meta = context.options.hourly_off_meta_actions
    return page(call, groups, lambda group: _insights_row(account, query, group, index, hourly_off_meta))


def bucket_count(query: InsightsQuery) -> int:
    days = (query.until - query.since).days + 1
    if query.increment == "all_days":
        return 1
    if query.increment == "monthly":
        return (query.until.year - query.since.year) * 12 + query.until.month - query.since.month + 1
    assert isinstance(query.increment, int)  # noqa: S101 (the remaining case)
    return math.ceil(days / query.increment)


def _insights_row(
    account: SimAccount,
    query: InsightsQuery,
    group: RowGroup,
    index: Mapping[str, SimEntity],
    hourly_off_meta_actions: bool,
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
    links = chain(entity, index) if entity is not None else {}
    campaign = links.get(EntityLevel.campaign)
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
        member = links.get(level)
        if member is not None:
            values[f"{prefix}_id"] = member.id
            values[f"{prefix}_name"] = member.name
    if campaign is not None:
        values["objective"] = meta_objective(campaign)
    ad_set = links.get(EntityLevel.ad_group)
    if ad_set is not None:
        values["optimization_goal"] = ad_set.attributes.get(
            "optimization_goal", OPTIMIZATION_GOALS.get(ad_set.objective, "REACH")
        )
    if wanted & {"actions", "action_values"}:
        _add_actions(values, metrics, campaign, index, currency)
        if group.hour is not None and not hourly_off_meta_actions:
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


def _objective_of(entity_id: str, index: Mapping[str, SimEntity]) -> str:
    entity = index.get(entity_id)
    if entity is None:
        return "sales"
    campaign = index.get(entity.campaign_id)
    return campaign.objective if campaign is not None else entity.objective


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


def _bucket(day: date, query: InsightsQuery) -> tuple[date, date]:
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


def _ratio(numerator: int, denominator: int, scale: int) -> str:
    if not denominator:
        return "0"
    return format((Decimal(numerator) * scale / Decimal(denominator)).quantize(Decimal("0.000001")), "f")


def _money_ratio(micros: int, denominator: int, scale: int) -> str:
    if not denominator:
        return "0"
    return format((Decimal(micros) * scale / MICROS / Decimal(denominator)).quantize(Decimal("0.000001")), "f")
