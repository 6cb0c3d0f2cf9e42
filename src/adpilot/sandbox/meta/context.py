"""What every Meta handler is handed: the emulator's context (the sandbox state, the options, the usage meter and the
emulator's own memory), the parsed request (``GraphCall``) and the shape of a route (``GraphRoute``).

Graph addresses objects by id, not by path shape (``/{version}/{object_id}/{edge}`` is a campaign, an ad set, an ad
or a report run depending on the id), so Graph routes are keyed by the kind of node the id resolves to and the edge;
``app`` resolves the node and dispatches.
"""

from __future__ import annotations

import threading
import weakref
from collections import defaultdict, deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal

from fastapi import Request
from fastapi.responses import Response

from adpilot.platforms.types import EntityLevel, Platform
from adpilot.sandbox.engine import SandboxLogin, SandboxWorld, SimAccount, SimEntity, SimMetrics
from adpilot.sandbox.meta.usage import UsageMeter
from adpilot.sandbox.state import SandboxState


@dataclass
class MetaEmulatorOptions:
    """Behaviour a test can switch (through ``app.state.options``) to reach Meta's rarer answers."""

    # A synchronous insights request for more rows than this is answered 500 code 1 "Please reduce the amount of
    # data you're asking for" (Meta's answer to heavy synchronous reports).
    max_sync_insights_rows: int = 50_000
    # Polls of a report run until it is done: "Job Not Started", then "Job Running", then "Job Completed".
    report_run_polls: int = 3
    # The next N report runs end "Job Failed" instead.
    fail_report_runs: int = 0
    # Meta leaves off-Meta actions (website pixel and app events) out of rows broken down by hour. The sandbox keeps
    # them by default, so its hours add up to its days; switched off, hourly rows carry on-Meta actions only.
    hourly_off_meta_actions: bool = True


# The options of each state's emulator, so a test holding only the state (the shared sandbox server) can switch them.
_OPTIONS: dict[int, MetaEmulatorOptions] = {}


def emulator_options(state: SandboxState) -> MetaEmulatorOptions:
    """The options of the Meta emulator serving ``state`` (created with defaults if there is none yet)."""
    options = _OPTIONS.get(id(state))
    if options is None:
        options = _OPTIONS[id(state)] = MetaEmulatorOptions()
        weakref.finalize(state, _OPTIONS.pop, id(state), None)
    return options


def set_emulator_options(state: SandboxState, options: MetaEmulatorOptions) -> None:
    if id(state) not in _OPTIONS:
        weakref.finalize(state, _OPTIONS.pop, id(state), None)
    _OPTIONS[id(state)] = options


@dataclass(frozen=True)
class InsightsQuery:
    level: EntityLevel | None
    fields: tuple[str, ...]
    since: date
    until: date
    increment: int | str  # days per bucket, "all_days" or "monthly"
    entity_ids: frozenset[str] | None
    hourly: bool = False  # breakdowns=hourly_stats_aggregated_by_advertiser_time_zone
    # ``<campaign|adset|ad>.effective_status`` filters: (the level they read, the statuses they admit).
    status_filters: tuple[tuple[EntityLevel, frozenset[str]], ...] = ()
    scope_id: str | None = None  # the object whose insights edge was asked, when not the account


@dataclass(frozen=True)
class RowGroup:
    """One insights row to be: the object (or account), its date bucket and the simulation rows summed into it."""

    key: str
    start: date
    stop: date
    metrics: tuple[SimMetrics, ...]
    hour: int | None = None  # the hourly breakdown's hour, when asked for


@dataclass
class ReportRun:
    id: str
    account_id: str
    login_id: str
    query: InsightsQuery
    created_at: datetime
    fail: bool
    polls: int = 0
    completed_at: datetime | None = None
    groups: list[RowGroup] | None = None


@dataclass
class EmulatorMemory:
    """What the emulator remembers beyond the world: report runs and recent ad-set budget changes."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    runs: dict[str, ReportRun] = field(default_factory=dict)
    next_run: int = 0
    budget_changes: dict[str, deque[datetime]] = field(default_factory=lambda: defaultdict(deque))

    def run(self, run_id: str) -> ReportRun | None:
        with self.lock:
            return self.runs.get(run_id)


@dataclass(frozen=True)
class MetaContext:
    """The per-emulator context handed to every handler."""

    state: SandboxState
    options: MetaEmulatorOptions
    usage: UsageMeter = field(default_factory=UsageMeter)
    memory: EmulatorMemory = field(default_factory=EmulatorMemory)

    @property
    def world(self) -> SandboxWorld:
        return self.state.world

    @property
    def app_id(self) -> str:
        return self.state.config.app_credentials[Platform.meta][0]

    @property
    def app_secret(self) -> str:
        return self.state.config.app_credentials[Platform.meta][1]


@dataclass
class GraphCall:
    """One Graph request after parsing: what every handler needs, filled in as the pipeline goes."""

    method: str
    segments: list[str]
    params: dict[str, Any]
    request: Request
    account_id: str | None = None
    usage_type: str = "ads_management"
    login: SandboxLogin | None = None
    # The ad account the request was counted against on arrival, and the quota's answer then (None: admitted).
    arrival_account: str | None = None
    arrival_retry: float | None = None
    # The node the path names, once resolved: an ad account, an object (with its ad account) or a report run.
    account: SimAccount | None = None
    entity: SimEntity | None = None
    run: ReportRun | None = None

    def the_login(self) -> SandboxLogin:
        if self.login is None:
            raise RuntimeError("the login is set by the pipeline before any handler runs")
        return self.login

    def the_account(self) -> SimAccount:
        if self.account is None:
            raise RuntimeError("the route is for an ad account's or an object's node")
        return self.account

    def the_entity(self) -> SimEntity:
        if self.entity is None:
            raise RuntimeError("the route is for an object's node")
        return self.entity

    def the_run(self) -> ReportRun:
        if self.run is None:
            raise RuntimeError("the route is for a report run's node")
        return self.run

    @property
    def edge(self) -> str | None:
        return self.segments[1] if len(self.segments) > 1 else None


# The kinds of node a Graph path can name: the token endpoints (no user token needed, matched by their whole path),
# the user (``me``), an ad account (``act_<id>``), an object (campaign, ad set, ad) and an async report run.
NodeKind = Literal["public", "me", "account", "object", "report_run"]
GraphHandler = Callable[[MetaContext, GraphCall], Awaitable[Any]]
ALL_METHODS = frozenset({"GET", "POST", "DELETE"})


@dataclass(frozen=True)
class GraphRoute:
    """A Graph route: the node kind and edge it serves (``edge`` is the whole path for ``public`` routes), the
    methods, and the handler, whose return value is the JSON answer."""

    node: NodeKind
    edge: str | None
    methods: frozenset[str]
    handler: GraphHandler


def bind(context: MetaContext, handler: Callable[[MetaContext, Request], Awaitable[Response]]) -> Endpoint:
    """A Starlette endpoint serving ``handler`` with this emulator's context."""

    async def endpoint(request: Request) -> Response:
        return await handler(context, request)

    return endpoint


Endpoint = Callable[[Request], Awaitable[Response]]
