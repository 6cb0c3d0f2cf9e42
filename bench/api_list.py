"""An authenticated, tenant-scoped JSON list (50 audit-log entries) against bare Starlette and bare FastAPI.

All three servers run at once, each in its own uvicorn process (one worker), on loopback, against one embedded
PostgreSQL, and serve ``GET /api/v1/orgs/{organization_id}/audit-log?limit=50`` with the same 50 rows:

- ``adpilot``: the real app: bearer JWT, session check, tenant + membership + permission, ORM, Pydantic, middleware.
- ``starlette``: asyncpg pool, ``set_config`` tenant in a transaction, one SELECT, ``JSONResponse``.
- ``fastapi``: the same on FastAPI with a Pydantic response model.

The load generator (wrk, else ``bench.load``) runs in its own process and drives each server in turn with the same
concurrency for the same time after a warm-up. Prints one line per server, then
``BENCH api_list_p99 ...`` and, last, the headline ``BENCH api_list_rps <adpilot> req/s baseline=<starlette> ...``.

Tuning (environment): BENCH_CONNECTIONS (32), BENCH_DURATION seconds (10), BENCH_WARMUP seconds (3),
BENCH_LOAD_TOOL (wrk|python), BENCH_SEED_ENTRIES per organization (120).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
import time
from datetime import datetime
from typing import Any
from uuid import UUID

import httpx

from bench.harness import (
    APP_ROLE,
    BENCH_HOME,
    ServerProcess,
    bench_line,
    env_number,
    free_port,
    python_module_argv,
    stop_on_sigterm,
)
from bench.load import LoadResult, load_tool, run_load

DATABASE = "adpilot_bench"
PASSWORD = "bench-passphrase-not-for-production"
SECRET_KEY = "bench-secret-key-long-enough-for-hmac-sha-256-signing"
TARGETS = ("starlette", "fastapi", "adpilot")  # baselines first; adpilot last so its lines end the report
PAGE = 50


def main() -> int:
    connections = int(env_number("BENCH_CONNECTIONS", 32))
    duration = env_number("BENCH_DURATION", 10)
    warmup = env_number("BENCH_WARMUP", 3)
    seed_entries = int(env_number("BENCH_SEED_ENTRIES", 120))
    tool = load_tool()
    from adpilot.core.embedded_postgres import EmbeddedPostgres

    BENCH_HOME.mkdir(exist_ok=True)
    postgres = EmbeddedPostgres(BENCH_HOME, APP_ROLE)
    servers: dict[str, ServerProcess] = {}
    started = time.monotonic()

    def step(message: str) -> None:
        print(f"[{time.monotonic() - started:5.1f} s] {message}", file=sys.stderr, flush=True)

    with stop_on_sigterm():
        try:
            postgres.stop_if_running()  # left over by a run that was killed before it could clean up
            postgres.start()
            postgres.create_database(DATABASE)
            urls = postgres.start(database=DATABASE)
            step("embedded PostgreSQL started; migrating")
            from adpilot import migrate

            migrate.upgrade(urls.owner, APP_ROLE)

            servers["adpilot"] = _start_adpilot(urls.owner, urls.app)
            servers["adpilot"].wait_ready("/healthz")
            step("adpilot is serving; seeding through its API")
            world = asyncio.run(_seed(servers["adpilot"].base_url, urls.owner, urls.app, seed_entries))
            for name in ("starlette", "fastapi"):
                port = free_port()
                env = {**os.environ, "BENCH_APP_DATABASE_URL": urls.app, "BENCH_USER_ID": str(world.admin_id)}
                servers[name] = ServerProcess.start(name, python_module_argv("bench.servers", name, "--port",
                                                                             str(port)), env, port)
            for name in ("starlette", "fastapi"):
                servers[name].wait_ready("/healthz")
            path = f"/api/v1/orgs/{world.organization_id}/audit-log?limit={PAGE}"
            headers = {"Authorization": f"Bearer {world.access_token}"}
            asyncio.run(_verify(servers, path, headers, world))
            step(f"all three serve the same {PAGE} rows; measuring with {tool}, {connections} connections, "
                 f"{warmup:g} s warm-up + {duration:g} s each")

            print(f"api_list: GET {path.replace(str(world.organization_id), '{org}')}  tool={tool} "
                  f"connections={connections} duration={duration:g}s warmup={warmup:g}s cpus={os.cpu_count()} "
                  f"wrk={'yes' if shutil.which('wrk') else 'no'}", flush=True)
            results: dict[str, LoadResult] = {}
            for name in TARGETS:
                result = run_load(tool, servers[name].base_url + path, headers, connections, duration, warmup)
                results[name] = result
                print(f"api_list target={name} rps={result.rps:.1f} p50={result.p50_ms:.2f}ms "
                      f"p95={result.p95_ms:.2f}ms p99={result.p99_ms:.2f}ms max={result.max_ms:.2f}ms "
                      f"requests={result.requests} errors={result.errors}", flush=True)
            failed = [name for name, result in results.items() if result.errors or not result.requests]
            if failed:
                for name in failed:
                    print(f"api_list: {name} answered with errors; its log:\n{servers[name].log_tail()}",
                          file=sys.stderr)
                return 1
            adpilot, starlette, fastapi = results["adpilot"], results["starlette"], results["fastapi"]
            print(f"api_list: adpilot/fastapi rps ratio={adpilot.rps / fastapi.rps:.3f}; "
                  f"fastapi/starlette rps ratio={fastapi.rps / starlette.rps:.3f}; "
                  f"target: ratio >= 0.5 and adpilot p99 <= 50 ms", flush=True)
            print(bench_line("api_list_p99", adpilot.p99_ms, "ms", starlette.p99_ms,
                             adpilot.p99_ms / starlette.p99_ms), flush=True)
            print(bench_line("api_list_rps", adpilot.rps, "req/s", starlette.rps, adpilot.rps / starlette.rps),
                  flush=True)
            return 0
        finally:
            for server in servers.values():
                server.stop()
            postgres.stop()
            step("servers and PostgreSQL stopped")


def _start_adpilot(owner_url: str, app_url: str) -> ServerProcess:
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": owner_url,
        "ADPILOT_APP_DATABASE_URL": app_url,
        "ADPILOT_HOME": str(BENCH_HOME / "home"),
        "ADPILOT_ENVIRONMENT": "production",
        "ADPILOT_SECRET_KEY": SECRET_KEY,
        "ADPILOT_PUBLIC_URL": f"http://127.0.0.1:{port}",
        "ADPILOT_RUN_WORKER": "false",
        "ADPILOT_LOG_LEVEL": "WARNING",
        # The limiter counts per client IP and all load comes from 127.0.0.1.
        "ADPILOT_RATE_LIMIT_PER_MINUTE": "100000000",
        "ADPILOT_ACCESS_TOKEN_MINUTES": "60",
    }
    return ServerProcess.start("adpilot", python_module_argv("bench.servers", "adpilot", "--port", str(port)),
                               env, port)


class World:
    def __init__(self, admin_id: UUID, access_token: str, organization_id: UUID, other_organization_id: UUID,
                 other_access_token: str) -> None:
        self.admin_id = admin_id
        self.access_token = access_token
        self.organization_id = organization_id
        self.other_organization_id = other_organization_id
        self.other_access_token = other_access_token


async def _sign_up_and_log_in(client: httpx.AsyncClient, email: str) -> tuple[UUID, str]:
    response = await client.post("/api/v1/auth/signup",
                                 json={"email": email, "password": PASSWORD, "display_name": email.split("@")[0]})
    response.raise_for_status()
    response = await client.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
    response.raise_for_status()
    token = response.json()["access_token"]
    me = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    me.raise_for_status()
    return UUID(me.json()["id"]), token


async def _seed(base_url: str, owner_url: str, app_url: str, entries: int) -> World:
    """Two organizations, each with an admin (through the API) and ``entries`` audit entries (through the service)."""
    from adpilot.audit import Actor, audit_service
    from adpilot.db import Database, DatabaseUrls, set_tenant

    async with httpx.AsyncClient(base_url=base_url, headers={"X-Requested-With": "XMLHttpRequest"},
                                 timeout=30) as client:
        organizations: list[tuple[UUID, UUID, str, str]] = []
        for name in ("Acme", "Other Co"):
            email = f"admin@{name.split()[0].lower()}.example.com"
            user_id, token = await _sign_up_and_log_in(client, email)
            response = await client.post("/api/v1/orgs", json={"name": name},
                                         headers={"Authorization": f"Bearer {token}"})
            response.raise_for_status()
            organizations.append((UUID(response.json()["id"]), user_id, email, token))

    database = Database(DatabaseUrls(owner=owner_url, app=app_url), pool_size=1)
    try:
        for organization_id, user_id, email, _ in organizations:
            async with database.transaction() as session:
                await set_tenant(session, organization_id, user_id)
                actor = Actor(user_id, email)
                for number in range(entries):
                    await audit_service.record(
                        session, organization_id, actor, "campaign.budget_changed", target_type="campaign",
                        target_id=f"cmp_{number:05d}",
                        before={"daily_budget_micros": 10_000_000 + number, "currency": "EUR", "status": "active"},
                        after={"daily_budget_micros": 12_500_000 + number, "currency": "EUR", "status": "active"},
                    )
    finally:
        await database.dispose()
    (organization_id, admin_id, _, token), (other_id, _, _, other_token) = organizations
    return World(admin_id, token, organization_id, other_id, other_token)


def _normalised(document: dict[str, Any]) -> dict[str, Any]:
    """Compare documents across servers modulo timestamp spelling ('Z' vs '+00:00')."""
    items = [{**item, "occurred_at": datetime.fromisoformat(item["occurred_at"])} for item in document["items"]]
    return {"items": items, "next_cursor": document["next_cursor"]}


async def _verify(servers: dict[str, ServerProcess], path: str, headers: dict[str, str], world: World) -> None:
    """Before measuring: every server returns the same full page, and adpilot really enforces tenancy."""
    documents = {}
    async with httpx.AsyncClient(headers=headers, timeout=30) as client:
        for name, server in servers.items():
            response = await client.get(server.base_url + path)
            if response.status_code != 200:
                raise RuntimeError(f"{name} answered {response.status_code}: {response.text[:500]}")
            documents[name] = _normalised(response.json())
        adpilot = servers["adpilot"].base_url
        other_path = path.replace(str(world.organization_id), str(world.other_organization_id))
        foreign = await client.get(adpilot + other_path)
        if foreign.status_code != 404:
            raise RuntimeError(f"adpilot answered {foreign.status_code} for another organization's audit log")
        anonymous = await client.get(adpilot + path, headers={"Authorization": ""})
        if anonymous.status_code != 401:
            raise RuntimeError(f"adpilot answered {anonymous.status_code} to an anonymous request")
        other = await client.get(adpilot + other_path, headers={"Authorization": f"Bearer {world.other_access_token}"})
        other_ids = {item["id"] for item in other.json()["items"]}
    reference = documents["adpilot"]
    if len(reference["items"]) != PAGE or reference["next_cursor"] is None:
        raise RuntimeError(f"adpilot returned {len(reference['items'])} items; expected a full page of {PAGE}")
    if other_ids & {item["id"] for item in reference["items"]}:
        raise RuntimeError("the two organizations' audit logs overlap")
    for name, document in documents.items():
        if document != reference:
            raise RuntimeError(f"{name} does not return the same page as adpilot")
