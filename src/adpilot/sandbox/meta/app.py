"""The Meta emulator as an ASGI app, and the pipeline every Graph request goes through.

Mounted at ``/sandbox/meta``; the paths inside are Graph's own, ``/{version}/...``. The pipeline, in order: the
request log and the operation count, the ad account's request rate counted on arrival (``quota``), the parameters,
the version (2635 for a version past its end of life), a batch (``POST /{version}/`` with ``batch``: each operation
goes through the rest of the pipeline, see ``batch``), the user token (``oauth``; the token endpoints need none),
the node the path names (``me``, ``act_{id}``, a report run or an object; another login's is Graph's "does not
exist"), the faults and the rate limit (``quota``), then the route of that node kind, edge and method (and, for a
write, a fault that comes after applying it). Every answer,
error or not, carries the usage headers (``usage``), ``x-fb-trace-id`` and ``x-fb-rev``.

The modules contribute their routes: ``oauth.routes`` the login dialog (a page, outside Graph), and each module's
``api_routes()`` the Graph routes it serves (see ``context.GraphRoute``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

from adpilot.platforms.types import Platform
from adpilot.sandbox.engine import SimEntity
from adpilot.sandbox.meta import accounts, batch, entities_read, entities_write, oauth, reports
from adpilot.sandbox.meta.accounts import owned_account
from adpilot.sandbox.meta.context import (
    GraphCall,
    GraphRoute,
    MetaContext,
    MetaEmulatorOptions,
    NodeKind,
    bind,
    emulator_options,
    set_emulator_options,
)
from adpilot.sandbox.meta.errors import (
    GraphError,
    check_version,
    error_response,
    invalid_parameter,
    new_trace_id,
    nonexisting_field,
    token_error,
    unsupported_request,
)
from adpilot.sandbox.meta.graph import NODE_TYPES, body_params
from adpilot.sandbox.meta.quota import count_arrival, serve_after_write, suffer_faults
from adpilot.sandbox.meta.usage import add_usage_headers
from adpilot.sandbox.state import SandboxState

GRAPH_METHODS = ["GET", "POST", "DELETE"]


@dataclass(frozen=True)
class GraphRoutes:
    """The Graph routes of every module, by path (token endpoints) and by node kind, edge and method."""

    public: Mapping[str, GraphRoute]
    by_node: Mapping[tuple[NodeKind, str | None, str], GraphRoute]

    @classmethod
    def of(cls, routes: Iterable[GraphRoute]) -> GraphRoutes:
        public: dict[str, GraphRoute] = {}
        by_node: dict[tuple[NodeKind, str | None, str], GraphRoute] = {}
        for route in routes:
            if route.node == "public":
                if route.edge is None or route.edge in public:
                    raise ValueError(f"the public Graph path {route.edge!r} is missing or served twice")
                public[route.edge] = route
                continue
            for method in route.methods:
                if (route.node, route.edge, method) in by_node:
                    raise ValueError(f"{method} on {route.node}/{route.edge} is served twice")
                by_node[(route.node, route.edge, method)] = route
        return cls(public, by_node)

    def serves(self, node: NodeKind, edge: str | None) -> bool:
        return any(kind == node and at == edge for kind, at, _ in self.by_node)


ROUTES = GraphRoutes.of(
    [
        *oauth.api_routes(),
        *accounts.api_routes(),
        *entities_read.api_routes(),
        *entities_write.api_routes(),
        *reports.api_routes(),
    ]
)


def create_meta_emulator(state: SandboxState, *, options: MetaEmulatorOptions | None = None) -> FastAPI:
    """The Meta emulator as an ASGI app; mount it at ``/sandbox/meta`` (paths inside are Graph's own).

    ``options`` (default: the state's, see ``emulator_options``) switch on Meta's rarer answers for tests."""
    if options is not None:
        set_emulator_options(state, options)
    context = MetaContext(state, emulator_options(state))
    app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)
    app.state.options = context.options
    app.state.context = context
    app.router.routes.extend(oauth.routes(context))
    app.add_api_route("/{version}/{path:path}", bind(context, graph), methods=GRAPH_METHODS, include_in_schema=False)
    return app


async def graph(context: MetaContext, request: Request) -> Response:
    """Every Graph path: parse, check, dispatch, and wrap the answer (or the error) with the usage headers."""
    state = context.state
    version = request.path_params["version"]
    path = request.path_params["path"].strip("/")
    state.request_log.append((Platform.meta, request.method, f"/{version}/{path}"))
    first = path.split("/", 1)[0]
    state.count_operations(Platform.meta, first.removeprefix("act_") if first.startswith("act_") else None)
    trace_id = new_trace_id()
    call = GraphCall(method=request.method, segments=path.split("/") if path else [], params={}, request=request)
    count_arrival(context, call)
    try:
        call.params = {**dict(request.query_params), **(await body_params(request))}
        check_version(version)
        body = await (batch.serve_batch(context, call, _serve) if batch.is_batch(call) else _serve(context, call))
        response: Response = JSONResponse(body)
    except GraphError as error:
        response = error_response(error, trace_id)
        if error.usage_type is not None:
            call.usage_type = error.usage_type
        _usage_headers(context, response, call, error.regain_minutes)
    else:
        _usage_headers(context, response, call, None)
    response.headers["x-fb-trace-id"] = trace_id
    response.headers["x-fb-rev"] = "1019283746"
    return response


async def _serve(context: MetaContext, call: GraphCall) -> Any:
    segments = call.segments
    public = ROUTES.public.get("/".join(segments))
    if public is not None:
        await suffer_faults(context, call)
        return await public.handler(context, call)
    token = oauth.verify(context, call)
    call.login = context.world.login(Platform.meta, token.login_id)
    if call.login is None:
        raise token_error("invalid", context.app_id)
    if not segments:
        if call.method == "GET" and "ids" in call.params:
            return await _read_many(context, call)
        raise invalid_parameter("Unsupported get request.")
    node, edge, rest = segments[0], segments[1] if len(segments) > 1 else None, segments[2:]
    if rest:
        raise GraphError(f"Unknown path components: /{'/'.join(rest)}", code=2500)
    kind, node_id, node_type = _resolve(context, call, node)
    if kind == "report_run" or (kind != "me" and edge == "insights"):
        call.usage_type = "ads_insights"
    write = call.method in ("POST", "DELETE") and kind in ("account", "object") and edge != "insights"
    after_write = await suffer_faults(context, call, write=write)
    route = ROUTES.by_node.get((kind, edge, call.method))
    if route is None:
        if ROUTES.serves(kind, edge):
            raise unsupported_request(call.method, node_id)
        raise nonexisting_field(str(edge), node_type)
    answer = await route.handler(context, call)
    await serve_after_write(after_write)
    return answer


async def _read_many(context: MetaContext, call: GraphCall) -> Any:
    """Graph's multiple-id read (``entities_read.read_entities``): the faults and the rate limit of each ad account
    the ids belong to, then the objects."""
    ids = [item.strip() for item in str(call.params["ids"]).split(",") if item.strip()]
    for account_id in entities_read.accounts_of(context, ids[: entities_read.MAX_IDS]):
        if call.login is not None and account_id in call.login.account_ids:
            call.account_id = account_id
            await suffer_faults(context, call)
    return await entities_read.read_entities(context, call, ids)


def _resolve(context: MetaContext, call: GraphCall, node: str) -> tuple[NodeKind, str, str]:
    """The kind of node the path names, its id (for Graph's "does not exist" answer) and its node type (for the
    "nonexisting field" one); the ad account, object or report run goes on the call."""
    if node == "me":
        return "me", call.the_login().login_id, "User"
    if node.startswith("act_"):
        call.account = owned_account(context, call, node.removeprefix("act_"))
        return "account", node, "AdAccount"
    run = context.memory.run(node)
    if run is not None:
        if call.login is None or run.login_id != call.login.login_id:
            raise unsupported_request(call.method, node)
        call.account_id = run.account_id
        call.run = run
        return "report_run", run.id, "AdReportRun"
    entity = context.world.entity(Platform.meta, node)
    if not isinstance(entity, SimEntity):
        raise unsupported_request(call.method, node)
    call.account = owned_account(context, call, entity.account_id)
    call.entity = entity
    return "object", node, NODE_TYPES[entity.level]


def _usage_headers(context: MetaContext, response: Response, call: GraphCall, regain_minutes: float | None) -> None:
    add_usage_headers(
        response,
        context.usage,
        requests_per_second=context.state.config.meta_requests_per_second,
        accounts=len(context.world.accounts(Platform.meta)),
        account_id=call.account_id,
        usage_type=call.usage_type,
        regain_minutes=regain_minutes,
    )
