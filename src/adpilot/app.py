"""create_app(): middleware, error handlers, routers and the single-page app."""

from __future__ import annotations

import asyncio
import gc
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response
from starlette.routing import compile_path
from starlette.types import Scope

from adpilot import __version__
from adpilot.config import Settings, get_settings
from adpilot.core.errors import PROBLEM_MEDIA_TYPE, AppError, FieldError, Problem, problem_document
from adpilot.core.logging import configure_logging, get_logger
from adpilot.core.middleware import RequestContextMiddleware
from adpilot.core.openapi import refine_openapi
from adpilot.core.rate_limit import RateLimitMiddleware
from adpilot.core.static_files import PrecompressedStaticFiles
from adpilot.db import close_database, init_database

if TYPE_CHECKING:  # the sandbox is imported only when it is served
    from adpilot.sandbox.state import SandboxState

log = get_logger(__name__)
WEB_DIST = Path(__file__).parent / "web" / "dist"

_HTTP_CODES = {
    400: "bad-request",
    401: "not-authenticated",
    403: "permission-denied",
    404: "not-found",
    405: "method-not-allowed",
    406: "not-acceptable",
    409: "conflict",
    413: "payload-too-large",
    415: "unsupported-media-type",
    422: "validation-error",
    429: "rate-limited",
}


def problem_response(
    request: Request,
    status: int,
    code: str,
    title: str,
    detail: str | None = None,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    document = problem_document(
        status=status,
        code=code,
        title=title,
        detail=detail,
        instance=request.url.path,
        request_id=getattr(request.state, "request_id", None),
        **extra,
    )
    return JSONResponse(document, status_code=status, media_type=PROBLEM_MEDIA_TYPE, headers=headers)


async def _app_error(request: Request, exc: AppError) -> Response:
    return problem_response(request, exc.status_code, exc.code, exc.title, exc.detail, exc.headers, **exc.extra)


async def _validation_error(request: Request, exc: RequestValidationError) -> Response:
    errors = [
        FieldError(
            loc=[part if isinstance(part, int) else str(part) for part in error.get("loc", ())],
            msg=str(error.get("msg", "")),
            type=str(error.get("type", "")),
        )
        for error in exc.errors()
    ]
    malformed = any(error.type == "json_invalid" for error in errors)
    if malformed:
        return problem_response(
            request, 400, "malformed-json", "The request body is not valid JSON", errors[0].msg if errors else None
        )
    return problem_response(
        request,
        422,
        "validation-error",
        "The request is invalid",
        "; ".join(f"{'.'.join(map(str, e.loc))}: {e.msg}" for e in errors)[:1000],
        errors=[error.model_dump() for error in errors],
    )


async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
    code = _HTTP_CODES.get(exc.status_code, "http-error")
    title = exc.detail or "HTTP error"
    return problem_response(request, exc.status_code, code, title, headers=dict(exc.headers or {}))


async def _unexpected_error(request: Request, exc: Exception) -> Response:
    log.exception("http.unhandled_error", path=request.url.path)
    return problem_response(
        request,
        500,
        "internal-error",
        "Something went wrong on our side",
        "The error was logged with this request's id.",
    )


@lru_cache(maxsize=4)
def _api_path_methods(app: FastAPI) -> list[tuple[re.Pattern[str], frozenset[str]]]:
    """Every documented API path as a regex, with the methods it accepts (from the OpenAPI schema)."""
    return [
        (compile_path(path)[0], frozenset(method.upper() for method in operations))
        for path, operations in app.openapi()["paths"].items()
    ]


class SinglePageApp(PrecompressedStaticFiles):
    """The built web app, pre-compressed; client-side routes fall back to index.html (API paths never do)."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        try:
            return await super().get_response(path, scope)
        except StarletteHTTPException as exc:
            if exc.status_code != 404 or path.startswith(("api/", "assets/")) or "." in path.rsplit("/", 1)[-1]:
                raise
            return await super().get_response("index.html", scope)


def create_app(settings: Settings | None = None, *, run_worker: bool | None = None) -> FastAPI:
    settings = settings or get_settings()
    worker_enabled = settings.run_worker if run_worker is None else run_worker
    from adpilot.subscriptions import install as install_subscriptions

    # Every reaction to a domain event, and the audit log's target names, before a request or job can need them.
    install_subscriptions()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        database = init_database(settings)
        worker: asyncio.Task[None] | None = None
        from adpilot import jobs

        job_app = jobs.configure(database.urls.app)
        await job_app.open_async()
        if worker_enabled:
            worker = asyncio.create_task(jobs.run_workers(job_app, settings, install_signal_handlers=False))

        async def stop_worker() -> None:
            """Let the running jobs finish (within the shutdown timeout), then stop the worker; idempotent."""
            nonlocal worker
            task, worker = worker, None
            if task is not None:
                task.cancel()
                with suppress(asyncio.CancelledError, Exception):
                    await task

        # `adpilot serve` calls this before the server stops listening: running jobs may call the API's own
        # in-process sandbox, and would otherwise record its disappearance as platform failures.
        app.state.stop_worker = stop_worker
        # Everything loaded at start-up lives as long as the process: keep it out of the garbage collector's
        # full passes, which otherwise pause every request now and then (long p99 tails).
        gc.collect()
        gc.freeze()
        try:
            yield
        finally:
            await stop_worker()
            await job_app.close_async()
            await close_database()

    app = FastAPI(
        title="adpilot API",
        version=__version__,
        description="Self-hostable AI marketing automation for Google Ads, Meta Ads and TikTok Ads.",
        openapi_url="/api/openapi.json",
        docs_url="/api/docs",
        redoc_url=None,
        lifespan=lifespan,
        generate_unique_id_function=lambda route: route.name,  # operation ids are the endpoint function names
        responses={
            400: {"model": Problem, "description": "Malformed request (for example invalid JSON)"},
            422: {"model": Problem, "description": "The request is invalid"},
            429: {"model": Problem, "description": "Too many requests"},
        },
    )
    build_openapi = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            refine_openapi(build_openapi())
        return app.openapi_schema or build_openapi()

    app.openapi = openapi  # type: ignore[method-assign]
    # The decorator form accepts handlers typed with their exception class (add_exception_handler wants Exception).
    app.exception_handler(AppError)(_app_error)
    app.exception_handler(RequestValidationError)(_validation_error)
    app.exception_handler(StarletteHTTPException)(_http_error)
    app.exception_handler(Exception)(_unexpected_error)

    from adpilot.auth.endpoints import router as auth_router
    from adpilot.campaigns.endpoints import router as campaigns_router
    from adpilot.changes.endpoints import router as changes_router
    from adpilot.connections.endpoints import router as connections_router
    from adpilot.drafts.endpoints import router as drafts_router
    from adpilot.exchange_rates.endpoints import router as exchange_rates_router
    from adpilot.metrics.endpoints import router as metrics_router
    from adpilot.operations import router as operations_router
    from adpilot.organizations.audit_endpoints import router as audit_router
    from adpilot.organizations.endpoints import router as organizations_router
    from adpilot.reporting.endpoints import router as reporting_router

    for router in (
        operations_router,
        auth_router,
        organizations_router,
        audit_router,
        connections_router,
        campaigns_router,
        drafts_router,
        changes_router,
        metrics_router,
        exchange_rates_router,
        reporting_router,
    ):
        app.include_router(router)
    if settings.outbox_page_enabled:
        from adpilot.notifications.endpoints import router as outbox_router

        app.include_router(outbox_router)

    @app.api_route(
        "/api/{path:path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"], include_in_schema=False
    )
    async def unknown_api_route(request: Request) -> None:
        # Reached only when no API route took the request: a known path with another method is a 405.
        path = request.url.path
        allowed = sorted(
            {method for regex, methods in _api_path_methods(app) for method in methods if regex.match(path)}
        )
        if allowed:
            raise StarletteHTTPException(405, "Method not allowed", headers={"Allow": ", ".join(allowed)})
        raise StarletteHTTPException(404, "No such API route")

    if settings.sandbox_enabled:
        from adpilot.sandbox.app import create_sandbox_app

        app.mount("/sandbox", create_sandbox_app(sandbox_state(settings)), name="sandbox")

    if WEB_DIST.is_dir():
        app.mount("/", SinglePageApp(directory=WEB_DIST, html=True), name="web")

    app.add_middleware(
        RateLimitMiddleware, per_minute=settings.rate_limit_per_minute, storage_uri=settings.rate_limit_storage_uri
    )
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_credentials=True,
            allow_methods=["*"],
            allow_headers=["*"],
        )
    app.add_middleware(RequestContextMiddleware, hsts=settings.secure_cookies)
    return app


_sandbox_state: SandboxState | None = None


def sandbox_state(settings: Settings) -> SandboxState:
    """The process's in-process sandbox. Its tokens are signed with the app's secret key, so credentials that the
    demo seeded in another process are valid here; its world is the demo world, the same in every process."""
    global _sandbox_state
    if _sandbox_state is None:
        from urllib.parse import urlsplit

        from adpilot.sandbox.state import SandboxConfig, SandboxState

        # Its consent pages send people back only to this server's OAuth callbacks.
        base = urlsplit(settings.base_url)
        config = SandboxConfig(redirect_origins=(f"{base.scheme}://{base.netloc}",))
        _sandbox_state = SandboxState.demo(secret=settings.resolved_secret_key().encode(), config=config)
    return _sandbox_state


def configure_observability(settings: Settings) -> None:
    configure_logging(settings.log_level, settings.log_json)
    if settings.sentry_dsn is not None:
        import sentry_sdk

        sentry_sdk.init(
            dsn=settings.sentry_dsn.get_secret_value(),
            environment=settings.environment.value,
            release=__version__,
            auto_enabling_integrations=False,
            send_default_pii=False,
        )
