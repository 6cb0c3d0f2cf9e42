"""Where adpilot's time goes on the api_list request: each stage timed on its own, in-process, one at a time.

``uv run python -m bench.api_list_breakdown`` sets up the same database as ``bench api_list`` and prints, for each
stage, the Python CPU time per operation (best of 5 repetitions; PostgreSQL's own CPU is not included) and the wall
time. A diagnostic for docs/benchmarks.md, not a benchmark: it prints no BENCH line and is not in the registry.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any

from bench.api_list import SECRET_KEY, Running, _stepper, running
from bench.harness import BENCH_HOME

REPEATS = 5


async def _timed(label: str, operation: Callable[[], Awaitable[object]], count: int = 200) -> float:
    for _ in range(max(10, count // 10)):
        await operation()
    best_cpu, best_wall = float("inf"), float("inf")
    for _ in range(REPEATS):
        cpu, wall = time.process_time(), time.perf_counter()
        for _ in range(count):
            await operation()
        best_cpu = min(best_cpu, (time.process_time() - cpu) / count)
        best_wall = min(best_wall, (time.perf_counter() - wall) / count)
    print(f"  {label:<72} cpu {best_cpu * 1000:7.3f} ms   wall {best_wall * 1000:7.3f} ms", flush=True)
    return best_cpu


def _asgi_get(app: Any, path: str, token: str) -> Callable[[], Awaitable[None]]:
    raw_path, _, query = path.partition("?")

    async def call() -> None:
        scope = {
            "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET", "scheme": "http",
            "path": raw_path, "raw_path": raw_path.encode(), "query_string": query.encode(), "root_path": "",
            "headers": [(b"host", b"127.0.0.1"), (b"authorization", f"Bearer {token}".encode())],
            "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 80), "state": {},
        }  # fmt: skip
        messages: list[dict[str, Any]] = []

        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message: dict[str, Any]) -> None:
            messages.append(message)

        await app(scope, receive, send)
        if messages[0]["status"] != 200:
            raise RuntimeError(f"{path} answered {messages[0]['status']}")

    return call


async def _breakdown(bench: Running) -> None:
    from starlette.concurrency import run_in_threadpool
    from starlette.types import Receive, Scope, Send

    from adpilot.app import configure_observability, create_app
    from adpilot.audit import audit_service
    from adpilot.audit.schemas import AuditEntryRead
    from adpilot.auth.service import auth_service
    from adpilot.auth.tokens import TokenClaims, read_token
    from adpilot.config import get_settings
    from adpilot.core.logging import get_logger
    from adpilot.core.pagination import SEQ, Page, PageRequest
    from adpilot.core.rate_limit import RateLimitMiddleware
    from adpilot.db import close_database, init_database, set_tenant
    from adpilot.organizations.service import organization_service
    from bench import servers

    settings = get_settings()
    configure_observability(settings)
    database = init_database(settings)
    organization_id, user_id = bench.world.organization_id, bench.world.admin_id
    token = bench.world.access_token

    print("PostgreSQL through asyncpg (what the baselines do):")
    async with servers._pool() as pool:

        async def raw_transaction() -> None:
            async with pool.acquire() as connection, connection.transaction():
                await connection.execute(servers.TENANT_SQL, str(organization_id), str(user_id))

        async def raw_page_json() -> str:
            rows = await servers._fetch_page(pool, organization_id, 50)
            return json.dumps({"items": [servers._entry_json(row) for row in rows[:50]], "next_cursor": "50"})

        await _timed("BEGIN; set_config; COMMIT", raw_transaction)
        await _timed("BEGIN; set_config; SELECT 51 rows; COMMIT; dicts; json.dumps", raw_page_json)

    print("The same through adpilot's session, services and schemas:")

    async def orm_transaction() -> None:
        async with database.transaction() as session:
            await set_tenant(session, organization_id, user_id)

    async def authenticate() -> None:
        async with database.transaction() as session:
            await auth_service.authenticate(session, token)

    async def authenticate_and_resolve() -> None:
        async with database.transaction() as session:
            principal = await auth_service.authenticate(session, token)
            claims = TokenClaims(principal.user_id, principal.session_id, "access")
            await organization_service.resolve_tenant(session, claims, organization_id)

    async def orm_page() -> list[Any]:
        async with database.transaction() as session:
            await set_tenant(session, organization_id, user_id)
            page = await audit_service.list_entries(session, organization_id, PageRequest(50, None, SEQ))
            return list(page.items)

    entries = await orm_page()

    async def validate_entries() -> list[AuditEntryRead]:
        return [AuditEntryRead.model_validate(entry) for entry in entries[:50]]

    page = Page[AuditEntryRead](items=await validate_entries(), next_cursor="50")

    async def dump_page() -> bytes:
        return page.__pydantic_serializer__.to_json(page)

    async def jwt_decode() -> None:
        read_token(settings.resolved_secret_key(), token, "access")

    async def two_threadpool_hops() -> None:
        await run_in_threadpool(lambda: None)
        await run_in_threadpool(lambda: None)

    async def no_app(scope: Scope, receive: Receive, send: Send) -> None:
        """Never called: only the limiter's own bookkeeping is timed."""

    limiter = RateLimitMiddleware(no_app, per_minute=settings.rate_limit_per_minute, storage_uri="memory://")

    async def rate_limit_hit() -> None:
        limiter.limiter.hit(limiter.item, "api", "127.0.0.1")

    log = get_logger("adpilot.http")

    async def filtered_log_line() -> None:
        log.info("http.request", method="GET", path=bench.path, status=200, duration_ms=1.0)

    await _timed("BEGIN; set_tenant; COMMIT (AsyncSession)", orm_transaction)
    await _timed("... + authenticate: JWT + active-session query", authenticate)
    await _timed("... + resolve_tenant: set_tenant + role/MFA-policy query", authenticate_and_resolve)
    await _timed("BEGIN; set_tenant; audit_service.list_entries (51 rows); COMMIT", orm_page)
    await _timed("50 x AuditEntryRead.model_validate (of what list_entries returns)", validate_entries)
    await _timed("Page[AuditEntryRead] to JSON", dump_page)
    await _timed("PyJWT decode + claims check", jwt_decode, 1000)
    await _timed("2 sync dependencies (access_token, page_params) in the threadpool", two_threadpool_hops, 1000)
    await _timed("rate limiter hit (limits, moving window, memory://)", rate_limit_hit, 1000)
    await _timed("log.info filtered at WARNING (structlog processors still run)", filtered_log_line, 1000)

    print("Whole ASGI applications, called directly (no HTTP server, no socket), interleaved, best of 5 rounds:")
    apps = {
        "starlette": servers.starlette_app(),
        "fastapi": servers.fastapi_app(),
        "adpilot": create_app(settings, run_worker=False),
    }
    async with contextlib.AsyncExitStack() as stack:
        for app in apps.values():
            await stack.enter_async_context(app.router.lifespan_context(app))
        calls = {name: _asgi_get(app, bench.path, token) for name, app in apps.items()}
        best = dict.fromkeys(calls, float("inf"))
        for _ in range(REPEATS):
            for name, call in calls.items():
                for _ in range(20):
                    await call()
                cpu = time.process_time()
                for _ in range(100):
                    await call()
                best[name] = min(best[name], (time.process_time() - cpu) / 100)
        for name, seconds in best.items():
            print(f"  {name + ': GET audit-log?limit=50':<72} cpu {seconds * 1000:7.3f} ms", flush=True)
        for name in ("starlette", "fastapi", "adpilot"):
            await _timed(
                f"{name}: GET /healthz (framework + middleware floor)", _asgi_get(apps[name], "/healthz", token)
            )
    await close_database()


def main() -> int:
    with running(_stepper(), 120) as bench:
        os.environ.update({
            "DATABASE_URL": bench.owner_url,
            "ADPILOT_APP_DATABASE_URL": bench.app_url,
            "BENCH_APP_DATABASE_URL": bench.app_url,
            "BENCH_USER_ID": str(bench.world.admin_id),
            "ADPILOT_HOME": str(BENCH_HOME / "home"),
            "ADPILOT_ENVIRONMENT": "production",
            "ADPILOT_SECRET_KEY": SECRET_KEY,
            "ADPILOT_LOG_LEVEL": "WARNING",
            "ADPILOT_RATE_LIMIT_PER_MINUTE": "100000000",
        })  # fmt: skip
        loop_factory: Callable[[], asyncio.AbstractEventLoop]
        try:
            import uvloop

            loop_factory = uvloop.new_event_loop
        except ImportError:
            loop_factory = asyncio.new_event_loop
        with asyncio.Runner(loop_factory=loop_factory) as runner:
            runner.run(_breakdown(bench))
    return 0


if __name__ == "__main__":
    sys.exit(main())
