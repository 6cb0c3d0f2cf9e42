"""An authenticated, tenant-scoped JSON list (50 audit-log entries) against bare Starlette and bare FastAPI.

All three servers run at once, each in its own uvicorn process (one worker), on loopback, against one embedded
PostgreSQL, and serve ``GET /api/v1/orgs/{organization_id}/audit-log?limit=50`` with the same 50 rows:

- ``adpilot``: the real app: bearer JWT, session check, tenant + membership + permission, ORM, Pydantic, middleware.
- ``starlette``: asyncpg pool, ``set_config`` tenant in a transaction, one SELECT, ``JSONResponse``.
- ``fastapi``: the same on FastAPI with a Pydantic response model.

The load generator (wrk, else ``bench.load``) runs in its own process and drives one server at a time with the same
concurrency for the same time after a warm-up, in rounds that interleave the three. The CPU time the server process
and PostgreSQL spend is read from /proc around each measurement. Prints one line per server, then
``BENCH api_list_cpu ...``, ``BENCH api_list_p99 ...`` and, last, the headline
``BENCH api_list_rps <adpilot> req/s baseline=<starlette> ratio=...``.

Tuning (environment): BENCH_CONNECTIONS (32), BENCH_ROUNDS (3), BENCH_DURATION seconds per round (4),
BENCH_WARMUP seconds before the first round (3; 1 before later ones), BENCH_LOAD_TOOL (wrk|python),
BENCH_SEED_ENTRIES per organization (120).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx

from bench.harness import (
    APP_ROLE,
    BENCH_HOME,
    CpuMeter,
    ServerProcess,
    bench_line,
    env_number,
    exclusive_bench_home,
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


@dataclass
class Running:
    """The seeded database and the three servers, ready to be measured."""

    servers: dict[str, ServerProcess]
    world: World
    path: str
    headers: dict[str, str]
    pgdata: Path
    owner_url: str
    app_url: str


def _stepper() -> Callable[[str], None]:
    started = time.monotonic()

    def step(message: str) -> None:
        print(f"[{time.monotonic() - started:5.1f} s] {message}", file=sys.stderr, flush=True)

    return step


@contextlib.contextmanager
def running(step: Callable[[str], None], seed_entries: int) -> Iterator[Running]:
    """Embedded PostgreSQL, migrated and seeded, and the three servers; all stopped on the way out, whatever happens."""
    from adpilot import migrate
    from adpilot.core.embedded_postgres import EmbeddedPostgres

    postgres = EmbeddedPostgres(BENCH_HOME, APP_ROLE)
    servers: dict[str, ServerProcess] = {}
    with stop_on_sigterm(), exclusive_bench_home():
        try:
            postgres.stop_if_running()  # left over by a run that was killed before it could clean up
            postgres.start()
            postgres.create_database(DATABASE)
            urls = postgres.start(database=DATABASE)
            step("embedded PostgreSQL started; migrating")
            migrate.upgrade(urls.owner, APP_ROLE)
            servers["adpilot"] = _start_adpilot(urls.owner, urls.app)
            servers["adpilot"].wait_ready("/healthz", timeout=60)
            step("adpilot is serving; seeding through its API")
            world = asyncio.run(_seed(servers["adpilot"].base_url, urls.owner, urls.app, seed_entries))
            for name in ("starlette", "fastapi"):
                port = free_port()
                env = {**os.environ, "BENCH_APP_DATABASE_URL": urls.app, "BENCH_USER_ID": str(world.admin_id)}
                servers[name] = ServerProcess.start(
                    name, python_module_argv("bench.servers", name, "--port", str(port)), env, port
                )
            for name in ("starlette", "fastapi"):
                servers[name].wait_ready("/healthz", timeout=60)
            path = f"/api/v1/orgs/{world.organization_id}/audit-log?limit={PAGE}"
            headers = {"Authorization": f"Bearer {world.access_token}"}
            asyncio.run(_verify(servers, path, headers, world))
            step(f"all three serve the same {PAGE} rows")
            yield Running(servers, world, path, headers, postgres.pgdata, urls.owner, urls.app)
        finally:
            for server in servers.values():
                server.stop()
            postgres.stop()
            step("servers and PostgreSQL stopped")


@dataclass
class Measured:
    """One target's rounds: requests and CPU add up; latency percentiles are the median of the rounds'."""

    rounds: list[LoadResult]
    server_cpu: float
    postgres_cpu: float

    @property
    def requests(self) -> int:
        return sum(result.requests for result in self.rounds)

    @property
    def rps(self) -> float:
        return self.requests / sum(result.seconds for result in self.rounds)

    def percentile_ms(self, name: str) -> float:
        values: list[float] = [getattr(result, name) for result in self.rounds]
        return statistics.median(values)

    @property
    def errors(self) -> int:
        return sum(result.errors for result in self.rounds)

    def cpu_ms_per_request(self, seconds: float) -> float:
        return 1000 * seconds / self.requests if self.requests else float("nan")

    def describe(self, name: str) -> str:
        return (
            f"api_list target={name} rps={self.rps:.1f} p50={self.percentile_ms('p50_ms'):.2f}ms "
            f"p95={self.percentile_ms('p95_ms'):.2f}ms p99={self.percentile_ms('p99_ms'):.2f}ms "
            f"max={max(result.max_ms for result in self.rounds):.2f}ms "
            f"server_cpu={self.cpu_ms_per_request(self.server_cpu):.2f}ms/req "
            f"postgres_cpu={self.cpu_ms_per_request(self.postgres_cpu):.2f}ms/req "
            f"requests={self.requests} errors={self.errors} "
            f"rounds_rps={','.join(f'{result.rps:.0f}' for result in self.rounds)}"
        )


def main() -> int:
    connections = int(env_number("BENCH_CONNECTIONS", 32))
    duration = env_number("BENCH_DURATION", 4)
    rounds = int(env_number("BENCH_ROUNDS", 3))
    warmup = env_number("BENCH_WARMUP", 3)
    seed_entries = int(env_number("BENCH_SEED_ENTRIES", 120))
    tool = load_tool()
    step = _stepper()
    with running(step, seed_entries) as bench:
        print(
            f"api_list: GET {bench.path.replace(str(bench.world.organization_id), '{org}')} tool={tool} "
            f"connections={connections} rounds={rounds}x{duration:g}s warmup={warmup:g}s(first)/1s "
            f"cpus={os.cpu_count()} loadavg={os.getloadavg()[0]:.2f}",
            flush=True,
        )
        results = {name: Measured([], 0.0, 0.0) for name in TARGETS}
        # Rounds interleave the targets, so that a change in the machine's other load hits all three alike.
        for number in range(rounds):
            for name in TARGETS:
                server = bench.servers[name]
                meter = CpuMeter(server.process.pid, bench.pgdata)
                url = server.base_url + bench.path
                run_warmup = warmup if number == 0 else min(warmup, 1.0)
                if tool == "wrk" and run_warmup > 0:
                    run_load(tool, url, bench.headers, connections, run_warmup, 0)
                    run_warmup = 0
                before = meter.sample()
                result = run_load(tool, url, bench.headers, connections, duration, run_warmup)
                server_cpu, postgres_cpu = CpuMeter.spent(before, meter.sample())
                measured = results[name]
                measured.rounds.append(result)
                measured.server_cpu += server_cpu
                measured.postgres_cpu += postgres_cpu
            step(f"round {number + 1}/{rounds} done")
        for name in TARGETS:
            print(results[name].describe(name), flush=True)
        failed = [name for name, measured in results.items() if measured.errors or not measured.requests]
        if failed:
            for name in failed:
                print(
                    f"api_list: {name} answered with errors; its log:\n{bench.servers[name].log_tail()}",
                    file=sys.stderr,
                )
            return 1
    adpilot, starlette, fastapi = results["adpilot"], results["starlette"], results["fastapi"]
    adpilot_cpu = adpilot.cpu_ms_per_request(adpilot.server_cpu + adpilot.postgres_cpu)
    starlette_cpu = starlette.cpu_ms_per_request(starlette.server_cpu + starlette.postgres_cpu)
    print(
        f"api_list: adpilot/fastapi rps ratio={adpilot.rps / fastapi.rps:.3f}; "
        f"fastapi/starlette rps ratio={fastapi.rps / starlette.rps:.3f}; "
        f"target: api_list_rps ratio >= 0.5 and api_list_p99 <= 50 ms on 2 cores",
        flush=True,
    )
    print(bench_line("api_list_cpu", adpilot_cpu, "ms/req", starlette_cpu, adpilot_cpu / starlette_cpu), flush=True)
    adpilot_p99, starlette_p99 = adpilot.percentile_ms("p99_ms"), starlette.percentile_ms("p99_ms")
    print(bench_line("api_list_p99", adpilot_p99, "ms", starlette_p99, adpilot_p99 / starlette_p99), flush=True)
    print(bench_line("api_list_rps", adpilot.rps, "req/s", starlette.rps, adpilot.rps / starlette.rps), flush=True)
    return 0


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
    return ServerProcess.start(
        "adpilot", python_module_argv("bench.servers", "adpilot", "--port", str(port)), env, port
    )


class World:
    def __init__(
        self,
        admin_id: UUID,
        access_token: str,
        organization_id: UUID,
        other_organization_id: UUID,
        other_access_token: str,
    ) -> None:
        self.admin_id = admin_id
        self.access_token = access_token
        self.organization_id = organization_id
        self.other_organization_id = other_organization_id
        self.other_access_token = other_access_token


async def _sign_up_and_log_in(client: httpx.AsyncClient, email: str) -> tuple[UUID, str]:
    response = await client.post(
        "/api/v1/auth/signup", json={"email": email, "password": PASSWORD, "display_name": email.split("@")[0]}
    )
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

    async with httpx.AsyncClient(
        base_url=base_url, headers={"X-Requested-With": "XMLHttpRequest"}, timeout=30
    ) as client:
        organizations: list[tuple[UUID, UUID, str, str]] = []
        for name in ("Acme", "Other Co"):
            email = f"admin@{name.split()[0].lower()}.example.com"
            user_id, token = await _sign_up_and_log_in(client, email)
            response = await client.post(
                "/api/v1/orgs", json={"name": name}, headers={"Authorization": f"Bearer {token}"}
            )
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
                        session,
                        organization_id,
                        actor,
                        "campaign.budget_changed",
                        target_type="campaign",
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
            differing = next(
                (pair for pair in zip(document["items"], reference["items"], strict=False) if pair[0] != pair[1]), None
            )
            raise RuntimeError(
                f"{name} does not return the same page as adpilot: first differing item {differing!r}, "
                f"next cursors {document['next_cursor']!r} and {reference['next_cursor']!r}"
            )
