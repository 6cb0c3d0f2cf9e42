"""Planning and running a GAQL query for one customer: checks, rows from the world, rendering, the summary row.

The language itself (parsing, literals, ``DURING`` presets, filtering and ordering rows) is :mod:`.gaql`; the
resources and fields served are :mod:`.fields`. A query is checked as Google checks it (a field must exist and be
attributed to the ``FROM`` resource, metrics need a reporting resource and are refused for a manager account,
``segments.date`` needs a finite date range, ``change_status`` a finite ``last_change_date_time`` range within 90
days and a ``LIMIT`` of at most 10,000), then runs against the simulation: entity rows, ``change_status`` rows from
the engine's histories, or report rows summed per entity and day (and hour).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from adpilot.platforms.types import EntityLevel, Platform
from adpilot.sandbox.engine import SimAccount, SimEntity
from adpilot.sandbox.google.fields import (
    CHANGE_FIELD,
    CHANGE_STATUS_DAYS,
    CHANGE_STATUS_LIMIT,
    FIELDS,
    LEVEL_OF,
    REPORTING,
    RESOURCE_NAME_FIELD,
    SELECTABLE,
    Budgets,
    Field,
    Row,
    Totals,
    encode,
    json_path,
    put,
)
from adpilot.sandbox.google.gaql import Condition, GaqlError, Query, coerce_values, date_range, evaluate
from adpilot.sandbox.state import SandboxState


@dataclass
class Plan:
    """A validated query: its fields, typed conditions, and the date range of a report."""

    query: Query
    fields: list[Field]
    conditions: list[tuple[Field, Condition, tuple[Any, ...]]]
    since: date | None = None
    until: date | None = None
    reports: bool = False  # metrics or segments.date involved: rows come from the metrics
    segmented: bool = False  # segments.date selected: one row per day
    hourly: bool = False  # segments.hour selected: one row per hour of the day (of each day when segmented)


def _change_moment(value: Any, time_zone: str) -> datetime:
    """A ``last_change_date_time`` literal (``'YYYY-MM-DD[ HH:MM:SS[.ffffff]]'`` in the account's time zone)."""
    text = str(value)
    for pattern in ("%Y-%m-%d %H:%M:%S.%f", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d"):
        try:
            return datetime.strptime(text, pattern).replace(tzinfo=ZoneInfo(time_zone))
        except ValueError:
            continue
    raise GaqlError("INVALID_DATE_FORMAT", f"Invalid date time format: {text!r}.")


def _change_span(plan: Plan, account: SimAccount, now: datetime) -> datetime:
    """Check a change_status query as Google does and return where its range starts."""
    low: datetime | None = None
    high: datetime | None = None
    for spec, condition, values in plan.conditions:
        if spec.name != CHANGE_FIELD:
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


def plan_query(query: Query, account: SimAccount, today: date) -> Plan:
    allowed = SELECTABLE.get(query.resource)
    if allowed is None:
        raise GaqlError(
            "BAD_RESOURCE_TYPE_IN_FROM_CLAUSE",
            f"Error in query: invalid resource type '{query.resource}' in the FROM clause.",
        )

    def lookup(name: str, clause: str) -> Field:
        spec = FIELDS.get(name)
        if spec is None:
            raise GaqlError("UNRECOGNIZED_FIELD", f"Unrecognized field in the query: '{name}'.")
        if spec.resource in ("metrics", "segments"):
            if query.resource not in REPORTING:
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
    plan = Plan(query=query, fields=fields, conditions=[])
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


class Executor:
    """Runs a planned query for one customer against the world."""

    def __init__(self, state: SandboxState, budgets: Budgets, account: SimAccount) -> None:
        self.state = state
        self.world = state.world
        self.budgets = budgets
        self.account = account
        self.today = state.clock.today(account.time_zone)

    def rows(self, plan: Plan) -> list[Row]:
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

    def _reader(self, spec: Field) -> Callable[[Row], Any]:
        return lambda row: spec.read(row, self.budgets)

    def _entities(self, level: EntityLevel) -> dict[str, SimEntity]:
        return {
            e.id: e for e in self.world.entities(Platform.google, self.account.account_id, level, include_removed=True)
        }

    def _entity_rows(self, resource: str) -> list[Row]:
        account = self.account
        if resource == "customer":
            return [Row(account)]
        if resource == "customer_client":
            return [Row(account, client=pair) for pair in self._hierarchy()]
        if account.is_manager:
            return []
        campaigns = self._entities(EntityLevel.campaign)
        if resource in ("campaign", "campaign_budget"):
            return [Row(account, campaign=c) for c in campaigns.values()]
        groups = self._entities(EntityLevel.ad_group)
        if resource == "ad_group":
            return [Row(account, campaign=campaigns.get(g.campaign_id), ad_group=g) for g in groups.values()]
        return [
            Row(account, campaign=campaigns.get(ad.campaign_id), ad_group=groups.get(ad.parent_id or ""), ad=ad)
            for ad in self._entities(EntityLevel.ad).values()
        ]

    def _change_rows(self, plan: Plan) -> list[Row]:
        # Changes up to the clock's now only (the demo's histories hold planned ones); the query's own range is
        # applied by the WHERE clause like any other condition.
        now = self.state.clock.now()
        since = _change_span(plan, self.account, now)
        if self.account.is_manager:
            return []
        changes = self.world.entity_changes(Platform.google, self.account.account_id, since, now)
        return [Row(self.account, change=change) for change in changes]

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

    def _report_rows(self, plan: Plan) -> list[Row]:
        resource = plan.query.resource
        level = LEVEL_OF[resource]
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
        totals: dict[tuple[str, date | None, int | None], Totals] = {}
        for item in metrics:
            key = (
                account.account_id if resource == "customer" else item.entity_id,
                item.day if plan.segmented else None,
                item.hour if plan.hourly else None,
            )
            totals.setdefault(key, Totals()).add(item)
        if resource == "customer":
            return [Row(account, day=day, hour=hour, metrics=t) for (_, day, hour), t in totals.items()]
        campaigns = self._entities(EntityLevel.campaign)
        groups = self._entities(EntityLevel.ad_group) if level is not EntityLevel.campaign else {}
        ads = self._entities(EntityLevel.ad) if level is EntityLevel.ad else {}
        rows: list[Row] = []
        for (entity_id, day, hour), numbers in totals.items():
            if level is EntityLevel.campaign:
                rows.append(Row(account, campaign=campaigns.get(entity_id), day=day, hour=hour, metrics=numbers))
            elif level is EntityLevel.ad_group:
                group = groups.get(entity_id)
                campaign = campaigns.get(group.campaign_id) if group else None
                rows.append(Row(account, campaign=campaign, ad_group=group, day=day, hour=hour, metrics=numbers))
            else:
                ad = ads.get(entity_id)
                group = groups.get(ad.parent_id or "") if ad else None
                campaign = campaigns.get(ad.campaign_id) if ad else None
                rows.append(Row(account, campaign=campaign, ad_group=group, ad=ad, day=day, hour=hour, metrics=numbers))
        # Deterministic order, as Google's is stable for a query: entity, then day and hour.
        rows.sort(key=lambda r: (r.day or date.min, -1 if r.hour is None else r.hour))
        return rows

    def _id_hint(self, plan: Plan, resource: str) -> list[str] | None:
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


def render(row: Row, plan: Plan, budgets: Budgets) -> dict[str, Any]:
    out: dict[str, Any] = {}
    # The resource name of every resource the row speaks of comes first, and always, selected or not.
    touched = [plan.query.resource] + [f.resource for f in plan.fields if f.resource not in ("metrics", "segments")]
    for resource in dict.fromkeys(touched):
        name_field = RESOURCE_NAME_FIELD.get(resource)
        if name_field is None:
            continue
        try:
            value = FIELDS[name_field].read(row, budgets)
        except AssertionError:  # the row has no such entity (a report row of a deleted parent)
            continue
        put(out, [*json_path(resource), "resourceName"], value)
    for spec in plan.fields:
        value = spec.read(row, budgets)
        if value is not None:
            put(out, json_path(spec.name), encode(spec.kind, value))
    return out


def field_mask(query: Query) -> str:
    return ",".join(".".join(json_path(name)) for name in query.fields)


def summary(account: SimAccount, rows: Sequence[Row], plan: Plan, budgets: Budgets) -> dict[str, Any]:
    """The ``summaryRow``: the selected metrics summed over every row of the query."""
    total = Totals()
    for row in rows:
        if row.metrics is not None:
            total.merge(row.metrics)
    summary_row = Row(account, metrics=total)
    out: dict[str, Any] = {}
    for spec in plan.fields:
        if spec.resource == "metrics":
            put(out, json_path(spec.name), encode(spec.kind, spec.read(summary_row, budgets)))
    return out
