"""Meta insights (``platform-apis.md`` section B, "Insights"), synchronous and asynchronous:

* synchronous: ``GET /act_{id}/insights`` and ``GET /{object_id}/insights`` (``level``, ``fields``, ``time_range`` or
  ``date_preset``, ``time_increment``, ``filtering`` on ids and ``<level>.effective_status``, the
  ``hourly_stats_aggregated_by_advertiser_time_zone`` breakdown, cursor paging); too many rows is Meta's 500 code 1
  "Please reduce the amount of data you're asking for";
* asynchronous: ``POST /act_{id}/insights`` starts a report run (``report_run_id``), ``GET /{report_run_id}`` polls
  it ("Job Not Started", "Job Running", then "Job Completed" or "Job Failed") and ``GET /{report_run_id}/insights``
  pages through the numbers as they were at completion.

Insights are simulated from the world: tenths of a second of CPU, so they run off the event loop, which meanwhile
keeps taking (and counting) requests. The rows themselves are computed in ``insights``.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any

from adpilot.platforms.types import EntityLevel, Platform
from adpilot.sandbox.engine import SimAccount, SimEntity
from adpilot.sandbox.meta.context import GraphCall, GraphRoute, InsightsQuery, MetaContext, ReportRun
from adpilot.sandbox.meta.errors import GraphError, invalid_parameter
from adpilot.sandbox.meta.graph import EFFECTIVE_STATUSES, PREFIXES, json_param, list_param
from adpilot.sandbox.meta.insights import (
    HOURLY_BREAKDOWN,
    bucket_count,
    insights_entities,
    insights_groups,
    insights_page,
)

JsonObject = dict[str, Any]

INSIGHTS_LEVELS: Mapping[str, EntityLevel | None] = {
    "account": None,
    "campaign": EntityLevel.campaign,
    "adset": EntityLevel.ad_group,
    "ad": EntityLevel.ad,
}
_LEVEL_DEPTH: Mapping[EntityLevel | None, int] = {
    None: 0,
    EntityLevel.campaign: 1,
    EntityLevel.ad_group: 2,
    EntityLevel.ad: 3,
}
INSIGHTS_FIELDS = frozenset(
    {"account_id", "account_name", "account_currency", "campaign_id", "campaign_name", "adset_id", "adset_name"}
    | {"ad_id", "ad_name", "objective", "optimization_goal", "impressions", "clicks", "spend", "reach"}
    | {"frequency", "ctr", "cpc", "cpm", "inline_link_clicks", "actions", "action_values", "date_start", "date_stop"}
    | {"inline_link_click_ctr", "cost_per_inline_link_click"}
)
DEFAULT_INSIGHTS_FIELDS = ("account_id", "impressions", "spend")
# Breakdowns Meta documents that the sandbox does not emulate (asked for, they are refused as not emulated).
OTHER_BREAKDOWNS = frozenset(
    {"age", "gender", "country", "region", "dma", "publisher_platform", "platform_position", "device_platform"}
    | {"impression_device", "hourly_stats_aggregated_by_audience_time_zone", "frequency_value", "product_id"}
)
DATE_PRESETS = frozenset(
    {"today", "yesterday", "this_month", "last_month", "this_year", "last_year", "maximum"}
    | {f"last_{n}d" for n in (3, 7, 14, 28, 30, 90)}
)


def api_routes() -> list[GraphRoute]:
    get, post = frozenset({"GET"}), frozenset({"POST"})
    return [
        GraphRoute("account", "insights", get, account_insights),
        GraphRoute("account", "insights", post, start_report_run),
        GraphRoute("object", "insights", get, object_insights),
        GraphRoute("report_run", None, get, poll_report_run),
        GraphRoute("report_run", "insights", get, report_run_insights),
    ]


async def account_insights(context: MetaContext, call: GraphCall) -> JsonObject:
    """``GET /act_{id}/insights``."""
    return await asyncio.to_thread(_sync_insights, context, call, call.the_account(), None)


async def object_insights(context: MetaContext, call: GraphCall) -> JsonObject:
    """``GET /{object_id}/insights``."""
    return await asyncio.to_thread(_sync_insights, context, call, call.the_account(), call.the_entity())


async def start_report_run(context: MetaContext, call: GraphCall) -> JsonObject:
    """``POST /act_{id}/insights``: an async report run of the same query."""
    return await asyncio.to_thread(_start_report_run, context, call, call.the_account())


async def poll_report_run(context: MetaContext, call: GraphCall) -> JsonObject:
    """``GET /{report_run_id}``."""
    return await asyncio.to_thread(_poll, context, call.the_run())


async def report_run_insights(context: MetaContext, call: GraphCall) -> JsonObject:
    """``GET /{report_run_id}/insights``: the numbers as of completion."""
    return await asyncio.to_thread(_run_insights, context, call, call.the_run())


def _sync_insights(context: MetaContext, call: GraphCall, account: SimAccount, scope: SimEntity | None) -> JsonObject:
    query = _insights_query(context, call.params, account, scope)
    rows = len(insights_entities(context, account, query)) * bucket_count(query) * (24 if query.hourly else 1)
    if rows > context.options.max_sync_insights_rows:
        raise GraphError(
            "Please reduce the amount of data you're asking for, then retry your request",
            code=1,
            status=500,
            usage_type="ads_insights",
        )
    return insights_page(context, call, account, query, insights_groups(context, account, query))


def _start_report_run(context: MetaContext, call: GraphCall, account: SimAccount) -> JsonObject:
    query = _insights_query(context, call.params, account, None)
    login = call.the_login()
    memory, options = context.memory, context.options
    with memory.lock:
        memory.next_run += 1
        run_id = str(6_023_920_149_050_000 + memory.next_run * 7919)
        fail = options.fail_report_runs > 0
        if fail:
            options.fail_report_runs -= 1
        memory.runs[run_id] = ReportRun(
            id=run_id,
            account_id=account.account_id,
            login_id=login.login_id,
            query=query,
            created_at=context.state.clock.now(),
            fail=fail,
        )
    return {"report_run_id": run_id}


def _run_account(context: MetaContext, run: ReportRun) -> SimAccount:
    account = context.world.account(Platform.meta, run.account_id)
    assert isinstance(account, SimAccount)  # noqa: S101 (runs are only created for existing accounts)
    return account


def _run_insights(context: MetaContext, call: GraphCall, run: ReportRun) -> JsonObject:
    account = _run_account(context, run)
    if run.groups is None:
        raise invalid_parameter("The report is not ready yet: poll the report run until async_status is Job Completed")
    return insights_page(context, call, account, run.query, run.groups)


def _poll(context: MetaContext, run: ReportRun) -> JsonObject:
    account = _run_account(context, run)
    memory = context.memory
    with memory.lock:
        run.polls += 1
        polls = run.polls
    done = polls >= max(1, context.options.report_run_polls)
    if run.fail and polls >= 2:
        status, percent = "Job Failed", 50
    elif done:
        if run.groups is None:
            # The numbers as of completion: later polls and pages read this snapshot, like Meta's stored report.
            # Two polls at once (each in a worker thread) may both compute it; the first one stored is kept.
            groups = insights_groups(context, account, run.query)
            with memory.lock:
                if run.groups is None:
                    run.groups = groups
                    run.completed_at = context.state.clock.now()
        status, percent = "Job Completed", 100
    elif polls == 1:
        status, percent = "Job Not Started", 0
    else:
        status, percent = "Job Running", min(99, 100 * polls // max(1, context.options.report_run_polls))
    body: JsonObject = {
        "id": run.id,
        "account_id": run.account_id,
        "time_ref": int(run.created_at.timestamp()),
        "async_status": status,
        "async_percent_completion": percent,
        "date_start": run.query.since.isoformat(),
        "date_stop": run.query.until.isoformat(),
    }
    if run.completed_at is not None:
        body["time_completed"] = int(run.completed_at.timestamp())
    return body


def _insights_query(
    context: MetaContext, params: Mapping[str, Any], account: SimAccount, scope: SimEntity | None
) -> InsightsQuery:
    scope_level = scope.level if scope is not None else None
    level_word = params.get("level")
    if level_word is None:
        level = scope_level
    elif level_word in INSIGHTS_LEVELS:
        level = INSIGHTS_LEVELS[str(level_word)]
    else:
        raise invalid_parameter("Param level must be one of {ad, adset, campaign, account}", field_name="level")
    if _LEVEL_DEPTH[level] < _LEVEL_DEPTH[scope_level]:
        raise invalid_parameter("Param level cannot be above the level of the object", field_name="level")
    hourly = _hourly_breakdown(params.get("breakdowns"))
    fields = tuple(list_param(params.get("fields"), "fields")) or DEFAULT_INSIGHTS_FIELDS
    for name in fields:
        if name not in INSIGHTS_FIELDS:
            raise invalid_parameter(
                f"{name} is not valid for fields param. please check "
                "https://developers.facebook.com/docs/marketing-api/reference/ads-insights/ for all valid values",
                field_name="fields",
            )
    since, until = _date_range(context, params, account)
    increment_word = str(params.get("time_increment") or "all_days")
    increment: int | str
    if increment_word in ("all_days", "monthly"):
        increment = increment_word
    elif increment_word.isdigit() and 1 <= int(increment_word) <= 90:
        increment = int(increment_word)
    else:
        raise invalid_parameter("Param time_increment must be 1-90, monthly or all_days", field_name="time_increment")
    entity_ids = _scope_ids(context, account, level, scope)
    filtered, status_filters = _filtering(params.get("filtering"))
    if filtered is not None:
        entity_ids = filtered if entity_ids is None else entity_ids & filtered
    for status_level, _ in status_filters:
        if _LEVEL_DEPTH[status_level] > _LEVEL_DEPTH[level or EntityLevel.campaign]:
            at = PREFIXES[level] if level is not None else "account"
            raise invalid_parameter(
                f"Filtering field {PREFIXES[status_level]}.effective_status is invalid at level {at}",
                field_name="filtering",
            )
    return InsightsQuery(
        level,
        fields,
        since,
        until,
        increment,
        entity_ids,
        hourly,
        status_filters,
        scope.id if scope is not None else None,
    )


def _date_range(context: MetaContext, params: Mapping[str, Any], account: SimAccount) -> tuple[date, date]:
    today = context.state.clock.today(account.time_zone)
    if params.get("time_range"):
        value = json_param(params["time_range"], "time_range")
        try:
            since = date.fromisoformat(str(value["since"]))
            until = date.fromisoformat(str(value["until"]))
        except (KeyError, TypeError, ValueError):
            raise invalid_parameter("Param time_range must be a valid time range", field_name="time_range") from None
        if since > until:
            raise invalid_parameter("Param time_range must be a valid time range", field_name="time_range")
        if since < today - timedelta(days=37 * 31):
            raise invalid_parameter("Reporting data is only available for the last 37 months", field_name="time_range")
        return since, until
    preset = str(params.get("date_preset") or "last_30d")
    if preset not in DATE_PRESETS:
        raise invalid_parameter(f"Param date_preset must be one of {sorted(DATE_PRESETS)}", field_name="date_preset")
    if preset == "today":
        return today, today
    if preset == "yesterday":
        return today - timedelta(days=1), today - timedelta(days=1)
    if preset.startswith("last_") and preset.endswith("d"):
        days = int(preset[5:-1])
        return today - timedelta(days=days), today - timedelta(days=1)
    if preset == "this_month":
        return today.replace(day=1), today
    if preset == "last_month":
        end = today.replace(day=1) - timedelta(days=1)
        return end.replace(day=1), end
    if preset == "this_year":
        return today.replace(month=1, day=1), today
    if preset == "last_year":
        return date(today.year - 1, 1, 1), date(today.year - 1, 12, 31)
    return today - timedelta(days=37 * 30), today  # maximum


def _scope_ids(
    context: MetaContext, account: SimAccount, level: EntityLevel | None, scope: SimEntity | None
) -> frozenset[str] | None:
    """The entities at ``level`` below ``scope`` (``None``: the whole account)."""
    if scope is None:
        return None
    if level is None or level is scope.level:
        return frozenset({scope.id})
    members = context.world.entities(Platform.meta, account.account_id, level, include_removed=True)
    if scope.level is EntityLevel.campaign:
        return frozenset(entity.id for entity in members if entity.campaign_id == scope.id)
    return frozenset(entity.id for entity in members if entity.parent_id == scope.id)


def _filtering(raw: Any) -> tuple[frozenset[str] | None, tuple[tuple[EntityLevel, frozenset[str]], ...]]:
    """Insights ``filtering``: on ``campaign.id`` / ``adset.id`` / ``ad.id`` (IN or EQUAL), the ids it admits; on
    ``<campaign|adset|ad>.effective_status`` (IN), the statuses each level must have."""
    if raw in (None, ""):
        return None, ()
    rules = json_param(raw, "filtering")
    if not isinstance(rules, list):
        raise invalid_parameter("Param filtering must be an array", field_name="filtering")
    admitted: frozenset[str] | None = None
    statuses: list[tuple[EntityLevel, frozenset[str]]] = []
    by_prefix = {prefix: level for level, prefix in PREFIXES.items()}
    for rule in rules:
        field_name = rule.get("field") if isinstance(rule, dict) else None
        prefix, _, attribute = str(field_name).partition(".")
        if not isinstance(rule, dict) or prefix not in by_prefix or attribute not in ("id", "effective_status"):
            raise invalid_parameter(
                "The sandbox filters insights by campaign, adset or ad id or effective_status", field_name="filtering"
            )
        value = rule.get("value")
        operator = rule.get("operator")
        if operator == "EQUAL" and attribute == "id":
            values = frozenset({str(value)})
        elif operator == "IN" and isinstance(value, list):
            values = frozenset(str(v) for v in value)
        else:
            raise invalid_parameter("Param filtering operator must be IN or EQUAL", field_name="filtering")
        if attribute == "id":
            admitted = values if admitted is None else admitted & values
            continue
        unknown = sorted(values - EFFECTIVE_STATUSES)
        if unknown:
            raise invalid_parameter(
                f"Filtering value {unknown[0]} is not a valid {prefix}.effective_status", field_name="filtering"
            )
        statuses.append((by_prefix[prefix], values))
    return admitted, tuple(statuses)


def _hourly_breakdown(raw: Any) -> bool:
    """Whether ``breakdowns`` (a JSON list or a comma-separated string) asks for the hourly breakdown, the only one
    the sandbox emulates."""
    if raw is None or raw == "" or raw == []:
        return False
    names: list[Any]
    if isinstance(raw, list):
        names = raw
    else:
        text = str(raw).strip()
        try:
            parsed = json.loads(text) if text.startswith("[") else None
        except ValueError:
            raise invalid_parameter("Param breakdowns must be an array of strings", field_name="breakdowns") from None
        names = parsed if isinstance(parsed, list) else [part.strip() for part in text.split(",") if part.strip()]
    for name in names:
        if name == HOURLY_BREAKDOWN:
            continue
        if name in OTHER_BREAKDOWNS:
            raise invalid_parameter(f"The sandbox does not emulate the {name} breakdown", field_name="breakdowns")
        raise invalid_parameter(
            f"{name} is not a valid breakdown. please check "
            "https://developers.facebook.com/docs/marketing-api/insights/breakdowns for all valid values",
            field_name="breakdowns",
        )
    return HOURLY_BREAKDOWN in names
