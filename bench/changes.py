"""A bulk change through the change pipeline against the sandbox's rate limits, and the same writes in a bare loop.

The sandbox runs in its own process (``adpilot sandbox serve --requests-per-second R``: R requests per second per
Google customer, per Meta ad account and per TikTok app, refused over it as the platforms do), on an embedded
PostgreSQL with a migrated scratch database. In this process: the product itself (``create_app`` over ASGI, its job
queue, its adapters pointed at the sandbox and paced at R like ``bench/sync.py`` paces them), the demo organization
connected to the sandbox's 8 ad accounts (``adpilot.demo.seed_demo``) and their entities synced by the worker.

The pipeline: BENCH_CHANGES_COUNT (1000) status changes (pause what is active, enable what is paused, campaigns,
ad groups and ads, round-robin over the 8 accounts), requested through ``POST /changes`` as the demo's admin (no
approval needed), applied by the worker (the platform queue at BENCH_CHANGES_CONCURRENCY, default the product's
setting) and finished when every change is verified or failed. Its time runs from the first request to the last
change finished.

The baseline: the same writes (one status write per change, in each platform's wire format) sent in a bare httpx
loop, one key (Google customer, Meta ad account, TikTok app) at a time interval 1/R, all keys at once, re-sending
whatever is refused: the least time those writes can take.

Utilisation is the writes' theoretical minimum (the busiest key's writes / R) over the measured time; the headline
is ``BENCH changes_bulk_utilisation <pipeline> fraction baseline=<bare loop> ratio=<pipeline/bare>``. Then
BENCH_CHANGES_SINGLE (9) single changes, one at a time on the quiet pipeline, give
``BENCH change_apply_to_verified_median <seconds> s``: from ``POST /changes`` to the change verified.

Tuning (environment): BENCH_CHANGES_RATE (10), BENCH_CHANGES_COUNT (1000), BENCH_CHANGES_CONCURRENCY,
BENCH_CHANGES_SINGLE (9), BENCH_CHANGES_SEED (7).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import httpx

from bench.harness import (
    APP_ROLE,
    BENCH_HOME,
    ServerProcess,
    bench_line,
    env_number,
    exclusive_bench_home,
    free_port,
    stop_on_sigterm,
)
from bench.sync import _fixed_interval, _sandbox_argv, _stepper, _stop_leftover_sandboxes
from bench.sync_kit import PACING, SECRET_KEY, Sent, sandbox_credentials

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine

    from adpilot.db import Database
    from adpilot.sandbox.engine import SandboxWorld

DATABASE = "adpilot_bench_changes"
TARGET_RATIO = 0.8
HEADERS = {"X-Requested-With": "XMLHttpRequest"}
# Jobs the bench lets run: event deliveries, entity syncs and changes (metric syncs would only compete for the keys).
KEPT_TASKS = (
    "events.deliver",
    "campaigns.sync_entities",
    "changes.apply_change",
    "changes.apply_changes",
    "connections.discover_accounts",
)
GRAPH_VERSION = "v23.0"
GOOGLE_VERSION = "v23"
TIKTOK_VERSION = "v1.3"


@contextlib.contextmanager
def running(step: Callable[[str], None], seed: int, rate: float) -> Iterator[tuple[str, str, str]]:
    """Embedded PostgreSQL (migrated scratch database) and one sandbox process; yields (owner URL, app URL, the
    sandbox's base URL). Both stopped on the way out."""
    from adpilot import migrate
    from adpilot.core.embedded_postgres import EmbeddedPostgres

    postgres = EmbeddedPostgres(BENCH_HOME, APP_ROLE)
    sandbox: ServerProcess | None = None
    with stop_on_sigterm(), exclusive_bench_home():
        try:
            _stop_leftover_sandboxes()
            postgres.stop_if_running()
            postgres.start()
            postgres.drop_database(DATABASE)
            postgres.create_database(DATABASE)
            urls = postgres.start(database=DATABASE)
            migrate.upgrade(urls.owner, APP_ROLE)
            env = {**os.environ, "ADPILOT_SECRET_KEY": SECRET_KEY, "ADPILOT_LOG_LEVEL": "WARNING"}
            env["ADPILOT_HOME"] = str(BENCH_HOME / "home")
            port = free_port()
            sandbox = ServerProcess.start("sandbox", _sandbox_argv(port, seed, rate), env, port)
            sandbox.wait_ready("/sandbox/_control/requests", timeout=90)
            step(f"PostgreSQL migrated, sandbox serving at {rate:g} req/s")
            yield urls.owner, urls.app, sandbox.base_url
        finally:
            if sandbox is not None:
                sandbox.stop()
            postgres.stop()
            step("sandbox and PostgreSQL stopped")


def configure_product(owner_url: str, app_url: str, sandbox_url: str, rate: float) -> None:
    """The product's settings: this database, every platform at the sandbox, the adapters paced at R."""
    from adpilot.config import get_settings
    from adpilot.connections import adapters

    root = f"{sandbox_url}/sandbox"
    paced = f"{rate * PACING:g}"
    os.environ.update(
        {
            "DATABASE_URL": owner_url,
            "ADPILOT_APP_DATABASE_URL": app_url,
            "ADPILOT_SECRET_KEY": SECRET_KEY,
            "ADPILOT_HOME": str(BENCH_HOME / "home"),
            "ADPILOT_LOG_LEVEL": "WARNING",
            "ADPILOT_GOOGLE_ADS_API_BASE_URL": f"{root}/google",
            "ADPILOT_GOOGLE_OAUTH_TOKEN_URL": f"{root}/google/token",
            "ADPILOT_GOOGLE_OAUTH_AUTHORIZE_URL": f"{root}/google/o/oauth2/v2/auth",
            "ADPILOT_GOOGLE_OAUTH_REVOKE_URL": f"{root}/google/revoke",
            "ADPILOT_GOOGLE_OAUTH_USERINFO_URL": f"{root}/google/v1/userinfo",
            "ADPILOT_META_GRAPH_BASE_URL": f"{root}/meta",
            "ADPILOT_META_DIALOG_BASE_URL": f"{root}/meta",
            "ADPILOT_TIKTOK_API_BASE_URL": f"{root}/tiktok",
            "ADPILOT_TIKTOK_AUTHORIZE_URL": f"{root}/tiktok/portal/auth",
            "ADPILOT_GOOGLE_REQUESTS_PER_SECOND": paced,
            "ADPILOT_META_REQUESTS_PER_SECOND": paced,
            "ADPILOT_TIKTOK_REQUESTS_PER_SECOND": paced,
        }
    )
    if "BENCH_CHANGES_CONCURRENCY" in os.environ:
        os.environ["ADPILOT_WORKER_PLATFORM_CONCURRENCY"] = os.environ["BENCH_CHANGES_CONCURRENCY"]
    get_settings.cache_clear()
    adapters._adapters.clear()


async def drain(database: Database, *, concurrency: int, until: Callable[[], Any] | None = None) -> None:
    """Run the worker until nothing the bench keeps is due (other jobs are dropped), or until ``until()`` holds."""
    from sqlalchemy import text

    from adpilot import jobs

    while True:
        async with database.transaction() as session:
            await session.execute(
                text("DELETE FROM procrastinate_jobs WHERE status = 'todo' AND NOT task_name = ANY(:kept)"),
                {"kept": list(KEPT_TASKS)},
            )
        await jobs.app.run_worker_async(
            wait=False, install_signal_handlers=False, concurrency=concurrency, fetch_job_polling_interval=0.05
        )
        if until is not None and await until():
            return
        async with database.transaction() as session:
            waiting = (
                await session.execute(
                    text(
                        "SELECT count(*) FROM procrastinate_jobs"
                        " WHERE status IN ('todo', 'doing') AND task_name = ANY(:kept)"
                    ),
                    {"kept": list(KEPT_TASKS)},
                )
            ).scalar_one()
        if not waiting:
            return
        await asyncio.sleep(0.2)  # a retry or deferral is scheduled later: wait for it, as a worker would


@dataclass
class Target:
    """One entity to change: where it is, its status now and the one asked for."""

    entity_id: str
    platform: str
    account_id: str  # the platform's account id
    level: str
    platform_id: str
    status: str
    wanted: str


async def pick_targets(owner: AsyncEngine, count: int) -> tuple[str, list[Target]]:
    """The demo organization and ``count`` of its synced entities, round-robin over its ad accounts."""
    from sqlalchemy import text

    async with owner.begin() as connection:
        org = (await connection.execute(text("SELECT id FROM organizations WHERE is_demo"))).scalar_one()
        # Row-level security holds for the owner too: the tenant is set as the app sets it.
        await connection.execute(text("SELECT set_config('app.organization_id', :org, true)"), {"org": str(org)})
        rows = (
            await connection.execute(
                text(
                    "SELECT e.id, e.platform, a.platform_account_id, e.level, e.platform_id, e.status"
                    " FROM ad_entities e JOIN ad_accounts a ON a.id = e.ad_account_id"
                    " WHERE e.organization_id = :org AND a.managed AND e.status IN ('active', 'paused')"
                    " ORDER BY a.platform_account_id, e.level, e.platform_id"
                ),
                {"org": org},
            )
        ).all()
    per_account: dict[str, list[Target]] = {}
    for row in rows:
        wanted = "paused" if row.status == "active" else "active"
        target = Target(
            str(row.id), row.platform, row.platform_account_id, row.level, row.platform_id, row.status, wanted
        )
        per_account.setdefault(row.platform_account_id, []).append(target)
    picked: list[Target] = []
    queues = list(per_account.values())
    while len(picked) < count and any(queues):
        for queue in queues:
            if queue and len(picked) < count:
                picked.append(queue.pop(0))
    return str(org), picked


def enforced_key(target: Target) -> str:
    """The key the sandbox counts this target's requests on (TikTok counts per app)."""
    return "tiktok:app" if target.platform == "tiktok" else f"{target.platform}:{target.account_id}"


def bare_write(target: Target, world: SandboxWorld, sandbox_url: str, tokens: dict[str, str]) -> Sent:
    """The status write the change sends, in the platform's own wire format, ready for the bare loop."""
    import json

    from adpilot.platforms.types import Platform

    root = f"{sandbox_url}/sandbox/{target.platform}"
    token = tokens[target.platform]
    if target.platform == "google":
        status = "PAUSED" if target.wanted == "paused" else "ENABLED"
        cid = target.account_id
        if target.level == "ad":
            entity = world.entity(Platform.google, target.platform_id)
            service, name = "adGroupAds", f"customers/{cid}/adGroupAds/{entity.parent_id if entity else ''}~"
            name += target.platform_id
        else:
            service = "campaigns" if target.level == "campaign" else "adGroups"
            name = f"customers/{cid}/{service}/{target.platform_id}"
        body = {"operations": [{"update": {"resourceName": name, "status": status}, "updateMask": "status"}]}
        url = f"{root}/{GOOGLE_VERSION}/customers/{cid}/{service}:mutate"
        headers = [("authorization", f"Bearer {token}"), ("content-type", "application/json")]
        account = world.account(Platform.google, cid)
        if account is not None and account.manager_id:
            headers.append(("login-customer-id", account.manager_id))  # a client reached through its manager
        return Sent("google", (), "POST", url, headers, json.dumps(body).encode(), 0.0)
    if target.platform == "meta":
        status = "PAUSED" if target.wanted == "paused" else "ACTIVE"
        url = f"{root}/{GRAPH_VERSION}/{target.platform_id}"
        headers = [("authorization", f"Bearer {token}"), ("content-type", "application/x-www-form-urlencoded")]
        return Sent("meta", (), "POST", url, headers, f"status={status}".encode(), 0.0)
    noun = {"campaign": "campaign", "ad_group": "adgroup", "ad": "ad"}[target.level]
    tiktok: dict[str, object] = {
        "advertiser_id": target.account_id,
        f"{noun}_ids": [target.platform_id],
        "operation_status": "DISABLE" if target.wanted == "paused" else "ENABLE",
    }
    url = f"{root}/open_api/{TIKTOK_VERSION}/{noun}/status/update/"
    headers = [("access-token", token), ("content-type", "application/json")]
    return Sent("tiktok", (), "POST", url, headers, json.dumps(tiktok).encode(), 0.0)


async def run_bare_loop(writes: dict[str, list[Sent]], rate: float) -> tuple[list[Sent], float]:
    out: list[Sent] = []
    async with httpx.AsyncClient(
        timeout=httpx.Timeout(60.0, connect=10.0), limits=httpx.Limits(max_connections=100)
    ) as client:
        started = time.monotonic()
        await asyncio.gather(*(_fixed_interval(client, sent, 1 / rate, out) for sent in writes.values()))
        return out, time.monotonic() - started


@dataclass
class PipelineResult:
    seconds: float
    statuses: Counter[str]
    attempts: Counter[int]
    errors: Counter[str]


async def sandbox_requests(sandbox_url: str, *, clear: bool) -> Counter[str]:
    """The requests the sandbox served per platform since it was last cleared (``/sandbox/_control/requests``)."""
    async with httpx.AsyncClient(timeout=30) as client:
        response = await client.get(f"{sandbox_url}/sandbox/_control/requests")
        response.raise_for_status()
        counts = Counter(str(entry["platform"]) for entry in response.json())
        if clear:
            (await client.delete(f"{sandbox_url}/sandbox/_control/requests")).raise_for_status()
    return counts


async def request_changes(client: httpx.AsyncClient, org: str, token: str, targets: list[Target]) -> list[str]:
    ids: list[str] = []
    headers = {"Authorization": f"Bearer {token}"}
    for start in range(0, len(targets), 500):
        chunk = targets[start : start + 500]
        body = {"changes": [{"entity_id": t.entity_id, "kind": "status", "value": t.wanted} for t in chunk]}
        response = await client.post(f"/api/v1/orgs/{org}/changes", json=body, headers=headers)
        if response.status_code != 201:
            raise RuntimeError(f"POST /changes answered {response.status_code}: {response.text[:500]}")
        ids += [item["id"] for item in response.json()["items"]]
    return ids


async def finished(owner: AsyncEngine, org: str, ids: list[str]) -> tuple[Counter[str], Counter[int], Counter[str]]:
    from sqlalchemy import text

    async with owner.begin() as connection:
        await connection.execute(text("SELECT set_config('app.organization_id', :org, true)"), {"org": org})
        rows = (
            await connection.execute(
                text("SELECT status, attempts, error FROM entity_changes WHERE id::text = ANY(:ids)"), {"ids": ids}
            )
        ).all()
    return (
        Counter(str(row.status) for row in rows),
        Counter(int(row.attempts) for row in rows),
        Counter(str(row.error)[:120] for row in rows if row.error),
    )


async def measure(owner_url: str, app_url: str, sandbox_url: str, rate: float, step: Callable[[str], None]) -> int:
    from sqlalchemy.ext.asyncio import create_async_engine

    from adpilot import jobs
    from adpilot.app import create_app
    from adpilot.config import get_settings
    from adpilot.db import close_database, init_database, to_sqlalchemy_url
    from adpilot.demo import seed_demo
    from adpilot.jobs import queue_concurrency
    from adpilot.sandbox.clock import SandboxClock
    from adpilot.sandbox.engine import build_demo_world
    from adpilot.subscriptions import install as install_subscriptions

    count = int(env_number("BENCH_CHANGES_COUNT", 1000))
    singles = int(env_number("BENCH_CHANGES_SINGLE", 9))
    seed = int(env_number("BENCH_CHANGES_SEED", 7))
    configure_product(owner_url, app_url, sandbox_url, rate)
    settings = get_settings()
    concurrency = queue_concurrency(settings, jobs.Queue.platform)
    database = init_database(settings)
    job_app = jobs.configure(database.urls.app)
    await job_app.open_async()
    install_subscriptions()
    owner = create_async_engine(to_sqlalchemy_url(owner_url))
    transport = httpx.ASGITransport(app=create_app(settings, run_worker=False), client=("127.0.0.1", 50000))
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://bench", headers=HEADERS) as client:
            login = await seed_demo(database, settings)
            await drain(database, concurrency=concurrency)
            answer = await client.post("/api/v1/auth/login", json={"email": login.email, "password": login.password})
            answer.raise_for_status()
            token = answer.json()["access_token"]
            org, targets = await pick_targets(owner, count + singles)
            # The demo world may hold fewer entities than asked for: the single changes are kept apart first.
            single = targets[len(targets) - singles :] if singles else []
            bulk = targets[: min(count, len(targets) - len(single))]
            step(f"demo organization synced; {len(bulk)} entities over {len({enforced_key(t) for t in bulk})} keys")

            # --- the pipeline
            await sandbox_requests(sandbox_url, clear=True)
            started = time.monotonic()
            ids = await request_changes(client, org, token, bulk)
            requested_seconds = time.monotonic() - started

            async def all_done() -> bool:
                statuses, _, _ = await finished(owner, org, ids)
                return statuses["verified"] + statuses["failed"] + statuses["applied"] == len(ids)

            await drain(database, concurrency=concurrency, until=all_done)
            pipeline_seconds = time.monotonic() - started
            served = await sandbox_requests(sandbox_url, clear=True)
            statuses, attempts, errors = await finished(owner, org, ids)
            step(f"pipeline: {len(ids)} changes finished in {pipeline_seconds:.1f} s")

            # --- a single change at a time, the pipeline quiet
            seconds: list[float] = []
            for target in single:
                began = time.monotonic()
                one = await request_changes(client, org, token, [target])

                async def done(one: list[str] = one) -> bool:
                    found, _, _ = await finished(owner, org, one)
                    return found["verified"] + found["failed"] + found["applied"] == 1

                await drain(database, concurrency=concurrency, until=done)
                seconds.append(time.monotonic() - began)
    finally:
        await job_app.close_async()
        await close_database()
        await owner.dispose()

    # --- the bare loop: the same writes, at the allowed rate per key
    world = build_demo_world(seed, SandboxClock())
    tokens = {
        platform.value: credentials.access_token for platform, (_, credentials) in sandbox_credentials(world).items()
    }
    writes: dict[str, list[Sent]] = {}
    for target in bulk:
        writes.setdefault(enforced_key(target), []).append(bare_write(target, world, sandbox_url, tokens))
    await asyncio.sleep(2.0)  # let the sandbox's windows empty
    bare_sent, bare_seconds = await run_bare_loop(writes, rate)
    refused = sum(1 for s in bare_sent if s.rate_limited)
    failed_bare = Counter(s.status for s in bare_sent if s.status != 200)

    busiest = max(len(sent) for sent in writes.values())
    theory = busiest / rate
    # Measured as the time the busiest key's slots spanned: first request to last, plus one interval (as bench.sync).
    utilisation = theory / (pipeline_seconds + 1 / rate)
    bare_utilisation = theory / (bare_seconds + 1 / rate)
    print(
        f"changes: sandbox rate {rate:g} req/s per key, {len(bulk)} status changes over {len(writes)} keys "
        f"({dict(sorted(Counter(t.platform for t in bulk).items()))}), busiest key {busiest} writes, "
        f"theoretical minimum {theory:.1f} s; worker concurrency {concurrency}; cpus={os.cpu_count()} "
        f"loadavg={os.getloadavg()[0]:.2f}",
        flush=True,
    )
    print(
        f"changes pipeline: {pipeline_seconds:.1f} s ({requested_seconds:.1f} s of it in POST /changes), "
        f"statuses {dict(statuses)}, "
        f"attempts {dict(sorted(attempts.items()))}",
        flush=True,
    )
    per_change = {
        platform: round(n / max(1, Counter(t.platform for t in bulk)[platform]), 1) for platform, n in served.items()
    }
    print(f"changes pipeline requests the sandbox served: {dict(served)}; per change {per_change}", flush=True)
    for error, times in errors.most_common(5):
        print(f"changes   error x{times}: {error}", flush=True)
    print(
        f"changes bare loop: {len(bare_sent)} writes sent in {bare_seconds:.1f} s, {refused} refused for the rate, "
        f"other answers {dict(failed_bare)}",
        flush=True,
    )
    median = statistics.median(seconds) if seconds else float("nan")
    print(f"changes single: {len(seconds)} changes one at a time, request to verified {[round(s, 2) for s in seconds]}")
    verdict = "meets" if bare_utilisation and utilisation / bare_utilisation >= TARGET_RATIO else "MISSES"
    print(f"changes verdict: ratio {utilisation / bare_utilisation:.2f} {verdict} the target >= {TARGET_RATIO}")
    print(
        bench_line(
            "changes_bulk_utilisation", utilisation, "fraction", bare_utilisation, utilisation / bare_utilisation
        )
    )
    print(f"BENCH change_apply_to_verified_median {median:.6g} s")
    return 0 if statuses["verified"] == len(ids) else 1


def main() -> int:
    from adpilot.core.logging import configure_logging

    rate = env_number("BENCH_CHANGES_RATE", 10)
    seed = int(env_number("BENCH_CHANGES_SEED", 7))
    configure_logging("WARNING")
    step = _stepper()
    with running(step, seed, rate) as (owner_url, app_url, sandbox_url):
        code = asyncio.run(measure(owner_url, app_url, sandbox_url, rate, step))
    if code:
        print("changes: some changes did not verify; the figures cover what was sent", file=sys.stderr)
    return code


if __name__ == "__main__":
    sys.exit(main())
