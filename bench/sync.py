"""Sync every sandbox ad account through the real adapters while the emulators enforce a request rate.

The sandbox (``adpilot sandbox serve --requests-per-second R``, one process per platform, as the real platforms are
separate services: a heavy Google report does not hold up TikTok's answers) enforces R requests per second per Google
customer, per Meta ad account and per TikTok app, answering over it exactly as the platforms do (Google 429
``RESOURCE_EXHAUSTED``, Meta code 80000/80004, TikTok 40100). This process signs in one login per
platform (tokens minted with the sandbox's secret), then, through the real ``GoogleAdsAdapter``, ``MetaAdsAdapter``
and ``TikTokAdsAdapter`` on one ``PlatformHttp`` whose limiter is the product's ``PostgresRateLimiter`` on an
embedded PostgreSQL (migrated scratch database), with the adapters' rates set to R as the product sets them:

- lists each login's ad accounts (Google: the manager's clients too, through ``login-customer-id``);
- syncs every non-manager account, all accounts at once and, within an account, three streams at once: the entity
  tree (``list_entities``) and ``fetch_daily_metrics`` for the last BENCH_SYNC_DAYS days at ad and campaign level.

Every request the pipeline sends is recorded (which limiter keys it took, when it left, how it was answered). Then
the baseline replays exactly the requests that were answered with a bare httpx loop per rate-limited key that fires
at a fixed interval 1/R without waiting for answers (re-sending whatever was refused): the best a hand-written client
that already knows every request can do.

Per limiter key: requests, allowed rate, theoretical minimum time (answered requests / rate), measured time (first
request sent to last request sent, plus one interval: the time the key's slots spanned), utilisation (theoretical /
measured; target >= 0.8), the share of that time a request was queued for the key (low: the sync, not the limiter,
set the pace) and rate-limit answers (target: none beyond the first per limiter window). The binding
limiter is the sandbox-enforced key with the longest theoretical time; the last line is
``BENCH sync_utilisation <pipeline> fraction baseline=<bare loop> ratio=...`` for that key.

Tuning (environment): BENCH_SYNC_RATE requests per second (10), BENCH_SYNC_DAYS (90), BENCH_SYNC_SEED (7),
BENCH_SYNC_PLATFORMS (google,meta,tiktok), BENCH_SYNC_SHARED_SANDBOX=1 (one sandbox process for all three, as the
product mounts it), BENCH_SYNC_TIKTOK_ACCOUNT_RATE (the product's default per-advertiser rate, 5).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import time
from collections import Counter, deque
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

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
    stop_on_sigterm,
)
from bench.sync_kit import (
    SECRET_KEY,
    KeyFigures,
    Recorder,
    RecordingLimiter,
    Sent,
    binding,
    figures,
    is_rate_limited,
    sandbox_adapters,
    sandbox_credentials,
)
from bench.sync_operations import operations_day

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine

    from adpilot.platforms.port import AdPlatformAdapter
    from adpilot.platforms.types import Credentials, EntityLevel, Platform, RemoteAdAccount
    from adpilot.sandbox.engine import SandboxWorld

DATABASE = "adpilot_bench_sync"
TARGET_UTILISATION = 0.8


def _stepper() -> Callable[[str], None]:
    started = time.monotonic()

    def step(message: str) -> None:
        print(f"[{time.monotonic() - started:5.1f} s] {message}", file=sys.stderr, flush=True)

    return step


# --- the sandbox, the database ------------------------------------------------------------------------------------


def _sandbox_argv(port: int, seed: int, rate: float) -> list[str]:
    """``adpilot sandbox serve ...`` with the benchmark's directory on its command line (for pgrep and for the next
    run to stop it if this one is SIGKILLed); the tag is cut off before the CLI parses its arguments."""
    run_cli = "import sys; from adpilot.cli import cli; cli(sys.argv[1:-2], prog_name='adpilot')"
    serve = ["sandbox", "serve", "--port", str(port), "--seed", str(seed), "--requests-per-second", f"{rate:g}"]
    return [sys.executable, "-c", run_cli, *serve, "--tag", str(BENCH_HOME)]


def _stop_leftover_sandboxes() -> None:
    """Sandboxes an earlier, SIGKILLed run of this checkout left behind (only called while holding the lock)."""
    tag = str(BENCH_HOME)
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            words = [word.decode(errors="replace") for word in (entry / "cmdline").read_bytes().split(b"\0")]
        except OSError:
            continue
        if words[-3:-1] == ["--tag", tag] and "sandbox" in words and "serve" in words:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(int(entry.name), signal.SIGTERM)


@dataclass
class Running:
    sandboxes: dict[str, ServerProcess]  # per platform (the same process for all three with a shared sandbox)
    engine: AsyncEngine
    pgdata: Path

    @property
    def processes(self) -> list[ServerProcess]:
        return list({id(server): server for server in self.sandboxes.values()}.values())


@contextlib.contextmanager
def running(step: Callable[[str], None], seed: int, rate: float, *, shared: bool) -> Iterator[Running]:
    """Embedded PostgreSQL with a migrated scratch database, and the sandbox: one process per platform (as the real
    platforms are separate services), or one for all three when ``shared``. All stopped on the way out."""
    from sqlalchemy.ext.asyncio import create_async_engine

    from adpilot import migrate
    from adpilot.core.embedded_postgres import EmbeddedPostgres
    from adpilot.db import to_sqlalchemy_url

    postgres = EmbeddedPostgres(BENCH_HOME, APP_ROLE)
    sandboxes: dict[str, ServerProcess] = {}
    with stop_on_sigterm(), exclusive_bench_home():
        try:
            _stop_leftover_sandboxes()
            postgres.stop_if_running()  # left over by a run that was killed before it could clean up
            postgres.start()
            postgres.create_database(DATABASE)
            urls = postgres.start(database=DATABASE)
            migrate.upgrade(urls.owner, APP_ROLE)
            step("embedded PostgreSQL started and migrated")
            env = {
                **os.environ,
                "ADPILOT_SECRET_KEY": SECRET_KEY,
                "ADPILOT_HOME": str(BENCH_HOME / "home"),
                "ADPILOT_LOG_LEVEL": "WARNING",
            }
            for name in ("sandbox",) if shared else ("google", "meta", "tiktok"):
                port = free_port()
                server = ServerProcess.start(f"sandbox-{name}", _sandbox_argv(port, seed, rate), env, port)
                for platform in ("google", "meta", "tiktok") if shared else (name,):
                    sandboxes[platform] = server
            for server in {id(server): server for server in sandboxes.values()}.values():
                server.wait_ready("/sandbox/_control/requests", timeout=90)
            step(f"{'one sandbox' if shared else 'a sandbox per platform'} serving at {rate:g} req/s")
            # As the product's engine (adpilot.db.Database): the restricted app role, pool of 10 plus 10 overflow.
            engine = create_async_engine(to_sqlalchemy_url(urls.app), pool_size=10, max_overflow=10)
            yield Running(sandboxes, engine, postgres.pgdata)
        finally:
            for server in sandboxes.values():
                server.stop()
            postgres.stop()
            step("sandbox and PostgreSQL stopped")


# --- the pipeline ---------------------------------------------------------------------------------------------------


@dataclass
class Synced:
    platform: str
    accounts: int = 0
    entities: int = 0
    metric_rows: int = 0
    errors: list[str] = field(default_factory=list)
    finished_at: float = 0.0
    # (account, since, until) of every account synced, to count afterwards what the sandbox world holds.
    windows: list[tuple[str, date, date]] = field(default_factory=list)
    world_rows: int = 0


async def _sync_account(
    adapter: AdPlatformAdapter, credentials: Credentials, account: RemoteAdAccount, days: int, synced: Synced
) -> None:
    from adpilot.platforms.types import AdAccountRef, EntityLevel

    ref = AdAccountRef(account.account_id, login_customer_id=account.login_customer_id)
    until = datetime.now(ZoneInfo(account.time_zone)).date()
    since = until - timedelta(days=days - 1)
    synced.windows.append((account.account_id, since, until))

    async def entities() -> None:
        listed = await adapter.list_entities(credentials, ref)  # awaited first: ``+=`` would read before awaiting
        synced.entities += len(listed)

    async def metrics(level: EntityLevel, since: date, until: date) -> None:
        async for _ in adapter.fetch_daily_metrics(credentials, ref, level, since, until):
            synced.metric_rows += 1

    await asyncio.gather(entities(), metrics(EntityLevel.ad, since, until), metrics(EntityLevel.campaign, since, until))


async def _sync_platform(
    platform: Platform, adapter: AdPlatformAdapter, credentials: Credentials, days: int, synced: Synced
) -> None:
    try:
        accounts = [account for account in await adapter.list_ad_accounts(credentials) if not account.is_manager]
        synced.accounts = len(accounts)
        results = await asyncio.gather(
            *(_sync_account(adapter, credentials, account, days, synced) for account in accounts),
            return_exceptions=True,
        )
        synced.errors += [f"{type(error).__name__}: {error}" for error in results if isinstance(error, BaseException)]
    except Exception as exc:  # noqa: BLE001 - a platform that fails is reported, the others still measured
        synced.errors.append(f"{type(exc).__name__}: {exc}")
    synced.finished_at = time.monotonic()


@dataclass
class PipelineRun:
    recorder: Recorder
    synced: dict[str, Synced]
    started_at: float
    finished_at: float


async def limiter_round_trip(engine: AsyncEngine, samples: int = 50) -> float:
    """Median seconds of one ``PostgresRateLimiter.acquire`` that never waits (an idle key at a huge rate)."""
    from adpilot.platforms.config import Rate
    from adpilot.platforms.ratelimit import PostgresRateLimiter

    limiter, rate, seconds = PostgresRateLimiter(engine), Rate(1e9), []
    for _ in range(samples):
        started = time.monotonic()
        await limiter.acquire("bench:round-trip", rate)
        seconds.append(time.monotonic() - started)
    return sorted(seconds)[samples // 2]


async def run_pipeline(
    base_urls: dict[str, str], engine: AsyncEngine, rate: float, days: int, world: SandboxWorld, platforms: list[str]
) -> PipelineRun:
    from adpilot.platforms.http import PlatformHttp, default_client
    from adpilot.platforms.ratelimit import PostgresRateLimiter

    recorder = Recorder()
    client = default_client(60.0)
    client.event_hooks = {"request": [recorder.on_request], "response": [recorder.on_response]}
    http = PlatformHttp(limiter=RecordingLimiter(PostgresRateLimiter(engine), recorder), client=client)
    adapters = {p: adapter for p, adapter in sandbox_adapters(base_urls, rate, http).items() if p.value in platforms}
    credentials = sandbox_credentials(world)
    synced = {platform.value: Synced(platform.value) for platform in adapters}
    started = time.monotonic()
    try:
        await asyncio.gather(
            *(
                _sync_platform(platform, adapter, credentials[platform][1], days, synced[platform.value])
                for platform, adapter in adapters.items()
            )
        )
    finally:
        finished = time.monotonic()
        await http.aclose()
    return PipelineRun(recorder, synced, started, finished)


# --- the baseline: a bare loop with a fixed-interval sleep ----------------------------------------------------------


async def _fixed_interval(
    client: httpx.AsyncClient, requests: list[Sent], interval: float | None, out: list[Sent]
) -> None:
    """Send ``requests`` one every ``interval`` seconds (``None``: at once), never waiting for answers; a refused
    request goes to the back of the queue."""
    queue = deque(requests)
    in_flight: set[asyncio.Task[None]] = set()
    next_at = time.monotonic()

    async def fire(original: Sent) -> None:
        record = Sent(
            original.platform,
            original.keys,
            original.method,
            original.url,
            original.headers,
            original.content,
            time.monotonic(),
        )
        out.append(record)
        request = httpx.Request(original.method, original.url, headers=original.headers, content=original.content)
        response = await client.send(request)
        record.answered_at = time.monotonic()
        record.status = response.status_code
        record.rate_limited = await is_rate_limited(original.platform, response)
        if record.rate_limited:
            queue.append(original)

    while queue or in_flight:
        if not queue:
            await asyncio.wait(in_flight, return_when=asyncio.FIRST_COMPLETED)
            continue
        if interval is not None:
            now = time.monotonic()
            if next_at > now:
                await asyncio.sleep(next_at - now)
            next_at = max(next_at, time.monotonic()) + interval
        task = asyncio.create_task(fire(queue.popleft()))
        in_flight.add(task)
        task.add_done_callback(in_flight.discard)


async def run_baseline(sent: list[Sent]) -> tuple[list[Sent], float]:
    """The pipeline's answered requests grouped by the key the sandbox enforces; each group at its rate, all at once."""
    groups: dict[str | None, list[Sent]] = {}
    intervals: dict[str | None, float | None] = {None: None}
    for record in sent:
        if record.rate_limited:
            continue  # refused, then sent again: the retry is in the list
        enforced = record.enforced
        name = enforced[0] if enforced else None
        groups.setdefault(name, []).append(record)
        if enforced is not None:
            intervals[name] = enforced[1].interval
    out: list[Sent] = []
    async with httpx.AsyncClient(
        timeout=httpx.Timeout(60.0, connect=10.0), limits=httpx.Limits(max_connections=100)
    ) as client:
        started = time.monotonic()
        await asyncio.gather(
            *(_fixed_interval(client, records, intervals[name], out) for name, records in groups.items())
        )
        return out, time.monotonic() - started


async def _sandbox_log(servers: list[ServerProcess], *, clear: bool) -> Counter[str]:
    """The requests the sandbox processes logged, per platform (``/sandbox/_control/requests``)."""
    counts: Counter[str] = Counter()
    async with httpx.AsyncClient(timeout=30) as client:
        for server in servers:
            response = await client.get(f"{server.base_url}/sandbox/_control/requests")
            response.raise_for_status()
            counts.update(str(entry["platform"]) for entry in response.json())
            if clear:
                (await client.delete(f"{server.base_url}/sandbox/_control/requests")).raise_for_status()
    return counts


# --- the report -----------------------------------------------------------------------------------------------------


def _table(pipeline: dict[str, KeyFigures], baseline: dict[str, KeyFigures]) -> list[str]:
    lines = [
        f"{'limiter key':<34} {'sandbox':>7} {'sent':>5} {'rate/s':>6} {'theory_s':>8} {'measured_s':>10} "
        f"{'util':>5} {'queued':>6} {'429s':>4} {'worst/win':>9} {'after':>5} {'blocks':>6} | "
        f"{'bare_s':>6} {'bare_util':>9} {'bare_429s':>9}"
    ]
    for key in sorted(pipeline, key=lambda k: (not pipeline[k].enforced, -pipeline[k].theoretical)):
        figure = pipeline[key]
        bare = baseline.get(key)
        bare_columns = (
            f"{bare.measured:6.2f} {bare.utilisation:9.3f} {len(bare.limited_at):9d}"
            if bare is not None
            else f"{'-':>6} {'-':>9} {'-':>9}"
        )
        lines.append(
            f"{key:<34} {'yes' if figure.enforced else 'no':>7} {figure.requests:5d} {1 / figure.rate.interval:6.3g} "
            f"{figure.theoretical:8.2f} {figure.measured:10.2f} {figure.utilisation:5.3f} {figure.queued:6.2f} "
            f"{len(figure.limited_at):4d} {figure.worst_window:9d} {figure.after_refusal:5d} {figure.blocks:6d} | "
            f"{bare_columns}"
        )
    return lines


@dataclass
class Phase:
    """One run over the sandbox (the pipeline or the bare loop): what was sent and what it cost."""

    sent: list[Sent]
    seconds: float
    served: Counter[str]  # requests the sandbox logged, per platform
    sandbox_cpu: float
    postgres_cpu: float
    client_cpu: float

    def describe(self, name: str) -> str:
        statuses = Counter(record.status for record in self.sent)
        return (
            f"sync {name}: {len(self.sent)} requests in {self.seconds:.2f} s, "
            f"statuses {dict(sorted(statuses.items(), key=str))}, the sandbox logged {sum(self.served.values())} "
            f"({dict(sorted(self.served.items()))}); cpu: sandbox {self.sandbox_cpu:.2f} s, "
            f"postgres {self.postgres_cpu:.2f} s, this process {self.client_cpu:.2f} s"
        )


def _latency(sent: list[Sent]) -> str:
    seconds = sorted(s.answered_at - s.sent_at for s in sent if s.answered_at is not None)
    if not seconds:
        return "latency -"
    p50, p90 = seconds[len(seconds) // 2], seconds[min(len(seconds) - 1, int(len(seconds) * 0.9))]
    return f"latency p50={1000 * p50:.0f}ms p90={1000 * p90:.0f}ms max={1000 * seconds[-1]:.0f}ms"


def report(
    run: PipelineRun, pipeline_phase: Phase, bare_phase: Phase, rate: float, days: int, round_trip: float
) -> tuple[int, str]:
    sent = run.recorder.sent
    pipeline = figures(sent, run.recorder.blocks, run.recorder.acquires, enforced_only=False)
    baseline = figures(bare_phase.sent, [], [], enforced_only=True)
    wall = run.finished_at - run.started_at
    print(
        f"sync: sandbox rate {rate:g} req/s per Google customer, per Meta ad account and per TikTok app; "
        f"{days} days at ad and campaign level; limiter PostgresRateLimiter (embedded PostgreSQL); "
        f"cpus={os.cpu_count()} loadavg={os.getloadavg()[0]:.2f}",
        flush=True,
    )
    for synced in run.synced.values():
        mine = [record for record in sent if record.platform == synced.platform]
        bare = [record for record in bare_phase.sent if record.platform == synced.platform]
        print(
            f"sync platform={synced.platform} accounts={synced.accounts} entities={synced.entities} "
            f"metric_rows={synced.metric_rows} (world {synced.world_rows}) requests={len(mine)} "
            f"done_after={synced.finished_at - run.started_at:.2f}s errors={len(synced.errors)} "
            f"{_latency(mine)} (bare loop {_latency(bare).removeprefix('latency ')})",
            flush=True,
        )
        for error in synced.errors:
            print(f"sync   error: {error}", flush=True)
    print(pipeline_phase.describe("pipeline"), flush=True)
    print(bare_phase.describe("baseline (bare httpx loop, fixed interval)"), flush=True)
    acquires = sorted(finished - started for _, started, finished in run.recorder.acquires)
    if acquires:
        print(
            f"sync limiter: {len(acquires)} acquires, {1000 * acquires[len(acquires) // 2]:.1f} ms median "
            f"(database round trip plus the wait for the slot; an acquire that does not wait: "
            f"{1000 * round_trip:.1f} ms), {len(run.recorder.blocks)} block(s) "
            f"for {sum(seconds for _, seconds in run.recorder.blocks):.2f} s in all",
            flush=True,
        )
    for line in _table(pipeline, baseline):
        print(f"sync {line}", flush=True)
    bound = binding(pipeline)
    bare_bound = baseline.get(bound.key)
    bare_utilisation = bare_bound.utilisation if bare_bound is not None else float("nan")
    enforced = [figure for figure in pipeline.values() if figure.enforced]
    throttled = sum(len(figure.limited_at) for figure in enforced)
    over_window = [figure.key for figure in enforced if figure.worst_window > 1]
    avoidable = sum(figure.after_refusal for figure in enforced)
    print(
        f"sync binding limiter {bound.key}: {bound.useful} requests answered ({bound.requests} sent) at "
        f"{1 / bound.rate.interval:g}/s, theoretical minimum {bound.theoretical:.2f} s, measured "
        f"{bound.measured:.2f} s, utilisation {bound.utilisation:.3f} (queued {bound.queued:.2f} of the time; "
        f"bare loop {bare_utilisation:.3f}); the whole sync took {wall:.2f} s, "
        f"{bound.theoretical / wall:.3f} of it the binding limiter's minimum",
        flush=True,
    )
    verdicts = [
        f"utilisation {bound.utilisation:.2f} {'meets' if bound.utilisation >= TARGET_UTILISATION else 'MISSES'} "
        f"the target >= {TARGET_UTILISATION}",
        f"{throttled} rate-limit answer(s), "
        + (
            f"more than one within a window on {', '.join(over_window)} (MISSES the target)"
            if over_window
            else "never more than one per limiter window (meets the target)"
        )
        + f", {avoidable} sent after the client had been told to wait",
    ]
    failed = [f"{s.platform}: {len(s.errors)} error(s)" for s in run.synced.values() if s.errors]
    if failed:
        verdicts.append("sync errors: " + "; ".join(failed))
    print("sync verdict: " + "; ".join(verdicts), flush=True)
    headline = bench_line(
        "sync_utilisation",
        bound.utilisation,
        "fraction",
        bare_utilisation,
        bound.utilisation / bare_utilisation if bare_utilisation else float("nan"),
    )
    return (1 if failed else 0), headline


def _count_world_rows(world: SandboxWorld, synced: Synced) -> None:
    """What the sandbox world holds for the windows synced (after the measurement: it costs CPU)."""
    from adpilot.platforms.types import EntityLevel, Platform

    platform = Platform(synced.platform)
    for account_id, since, until in synced.windows:
        for level in (EntityLevel.ad, EntityLevel.campaign):
            synced.world_rows += len(world.daily_metrics(platform, account_id, level, since, until))


def main() -> int:
    from adpilot.core.logging import configure_logging
    from adpilot.sandbox.clock import SandboxClock
    from adpilot.sandbox.engine import build_demo_world

    rate = env_number("BENCH_SYNC_RATE", 10)
    days = int(env_number("BENCH_SYNC_DAYS", 90))
    seed = int(env_number("BENCH_SYNC_SEED", 7))
    configure_logging("WARNING")
    ops_headline = operations_day(seed)
    if os.environ.get("BENCH_SYNC_OPS_ONLY", "") not in ("", "0"):
        print(ops_headline, flush=True)
        return 0
    platforms = os.environ.get("BENCH_SYNC_PLATFORMS", "google,meta,tiktok").replace(" ", "").split(",")
    shared = os.environ.get("BENCH_SYNC_SHARED_SANDBOX", "") not in ("", "0")
    # The adapters log every retry at INFO; the report counts them instead.
    configure_logging("WARNING")
    step = _stepper()
    # The same seeded world the sandbox builds: for the logins to sign in as, and to check what the sync brought.
    world = build_demo_world(seed, SandboxClock())
    with running(step, seed, rate, shared=shared) as bench:
        base_urls = {platform: server.base_url for platform, server in bench.sandboxes.items()}
        # PostgreSQL's CPU is counted with the first sandbox's meter only.
        meters = [CpuMeter(server.process.pid, bench.pgdata) for server in bench.processes]

        async def phase(work: Callable[[], Awaitable[tuple[list[Sent], float]]]) -> Phase:
            await _sandbox_log(bench.processes, clear=True)
            before, client_before = [meter.sample() for meter in meters], time.process_time()
            sent, seconds = await work()
            spent = [CpuMeter.spent(b, meter.sample()) for b, meter in zip(before, meters, strict=True)]
            client_cpu = time.process_time() - client_before
            served = await _sandbox_log(bench.processes, clear=True)
            return Phase(sent, seconds, served, sum(s for s, _ in spent), spent[0][1], client_cpu)

        async def measure() -> tuple[PipelineRun, Phase, Phase, float]:
            runs: list[PipelineRun] = []

            async def pipeline() -> tuple[list[Sent], float]:
                run = await run_pipeline(base_urls, bench.engine, rate, days, world, platforms)
                runs.append(run)
                return run.recorder.sent, run.finished_at - run.started_at

            try:
                round_trip = await limiter_round_trip(bench.engine)
                pipeline_phase = await phase(pipeline)
                step(f"pipeline: {len(pipeline_phase.sent)} requests in {pipeline_phase.seconds:.1f} s")
                # Let every sliding window of the sandbox empty before the baseline starts.
                await asyncio.sleep(2.0)
                bare_phase = await phase(lambda: run_baseline(runs[0].recorder.sent))
                step(f"baseline: {len(bare_phase.sent)} requests in {bare_phase.seconds:.1f} s")
                return runs[0], pipeline_phase, bare_phase, round_trip
            finally:
                await bench.engine.dispose()

        run, pipeline_phase, bare_phase, round_trip = asyncio.run(measure())
    for synced in run.synced.values():
        _count_world_rows(world, synced)
    code, headline = report(run, pipeline_phase, bare_phase, rate, days, round_trip)
    if code:
        print("sync: some accounts failed to sync; the figures cover what was sent", file=sys.stderr)
    print(headline, flush=True)
    # The operations a day of the default schedule costs: the module's last BENCH line.
    print(ops_headline, flush=True)
    return code
