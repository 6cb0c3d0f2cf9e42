"""The run kit under faults: a worker process SIGKILLed at a random point of an account's first entity and metrics
syncs and of a report sending loses no run and doubles no effect (rows, mails) once a fresh worker takes over.

A killed worker leaves its jobs "doing" (and an entity sync's lock held); ``jobs.retry_stalled_jobs`` (every minute
in production) puts them back in the queue, and each run's claim tells the redelivery from a first delivery; a report
attempt whose worker died is taken over once it is 30 minutes old (here: made so). A few
iterations run in ``make test``; ``make test-long`` runs hundreds (the ``slow`` ones).
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import subprocess
import sys
from collections import Counter
from datetime import date
from typing import Any
from uuid import UUID

import httpx
import pytest
from sqlalchemy import text

from adpilot import jobs
from adpilot.config import get_settings
from adpilot.db import Database
from adpilot.metrics.service.sync import account_today, backfill_since
from adpilot.platforms.types import EntityLevel, Platform
from tests.campaigns.test_entity_sync import all_entities, connect_sandbox, expected_tree, run_jobs, synced_account
from tests.fixtures import OrgWorld, outbox
from tests.metrics.test_sync import stored, truth
from tests.sandbox_fixtures import SandboxServer

QUICK = 3
LONG = 200


def start_worker() -> subprocess.Popen[bytes]:
    """``adpilot worker`` on the platform queue, as a separate process against the test database and sandbox."""
    env = {
        **os.environ,
        # The platform queue's per-minute reference-rate refresh must not reach outside: a closed local port.
        "ADPILOT_FX_RATES_URL": "http://127.0.0.1:9/",
        "ADPILOT_WORKER_POLLING_INTERVAL": "0.1",
    }
    return subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from adpilot.cli import cli; cli()",
            "worker",
            "--queue",
            "platform",
            "--queue",
            "reports",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


async def working(database: Database, within: float = 120.0) -> None:
    """Wait until a worker has taken a job (its start-up takes seconds)."""
    deadline = asyncio.get_running_loop().time() + within
    while asyncio.get_running_loop().time() < deadline:
        async with database.transaction() as session:
            taken = await session.scalar(text("SELECT count(*) FROM procrastinate_jobs WHERE status <> 'todo'"))
        if taken:
            return
        await asyncio.sleep(0.1)
    raise AssertionError("the worker took no job")


async def sync_state(database: Database, organization_id: str) -> dict[str, list[tuple[Any, ...]]]:
    async with database.tenant_transaction(UUID(organization_id)) as session:
        entity_runs = (await session.execute(text("SELECT status, attempts, error FROM sync_runs"))).all()
        metric_runs = (await session.execute(text("SELECT scope, status, attempts, error FROM metric_sync_runs"))).all()
        report_runs = (await session.execute(text("SELECT status, attempts, error FROM report_runs"))).all()
    return {
        "entities": [tuple(r) for r in entity_runs],
        "metrics": [tuple(r) for r in metric_runs],
        "reports": [tuple(r) for r in report_runs],
    }


RECIPIENTS = ["first@example.com", "second@example.com"]


async def queue_report(client: httpx.AsyncClient, world: OrgWorld) -> None:
    """A report sent now to two recipients (mail goes to the outbox, in the run's own transactions)."""
    schedules = f"/api/v1/orgs/{world.organization_id}/report-schedules"
    created = await client.post(
        schedules,
        json={
            "name": "Faults",
            "frequency": "daily",
            "hour": 8,
            "time_zone": "UTC",
            "recipients": RECIPIENTS,
            "range_preset": "last_7_days",
            "compare": "none",
            "attach_csv": False,
        },
        headers=world.manager.headers,
    )
    assert created.status_code == 201, created.text
    sent = await client.post(f"{schedules}/{created.json()['id']}/send-now", headers=world.manager.headers)
    assert sent.status_code == 202, sent.text


async def check_killed_worker_loses_and_doubles_nothing(
    client: httpx.AsyncClient,
    world: OrgWorld,
    database: Database,
    sandbox: SandboxServer,
    seed: int,
) -> None:
    rng = random.Random(seed)
    platform = rng.choice(list(Platform))
    sandbox.state.clock.freeze()  # the store is compared with the platform's numbers at one instant
    connection = await connect_sandbox(client, world, platform)  # queues each account's entity and metrics sync
    ad_account_id, platform_account_id = synced_account(connection)
    account = next(a for a in connection["accounts"] if a["id"] == ad_account_id)
    await queue_report(client, world)

    worker = start_worker()
    try:
        # Killed at a random point once it works: while a job reads a platform, writes, renders or mails, or between.
        await working(database)
        await asyncio.sleep(rng.uniform(0.0, 3.0))
    finally:
        worker.send_signal(signal.SIGKILL)
        worker.wait()

    # A fresh worker: the dead one's jobs go back to the queue (no heartbeat since), then everything runs.
    await jobs.retry_stalled_jobs(seconds_since_heartbeat=0)
    async with database.tenant_transaction(UUID(world.organization_id)) as session:
        # The watchdog's wait: a report attempt "running" 31 minutes was abandoned by its worker.
        await session.execute(
            text("UPDATE report_runs SET started_at = now() - interval '31 minutes' WHERE status = 'running'")
        )
    await run_jobs(database)

    state = await sync_state(database, world.organization_id)
    managed = [a for a in connection["accounts"] if a["managed"]]
    assert Counter(status for status, *_ in state["entities"]) == {"succeeded": len(managed)}, state
    assert Counter(status for _, status, *_ in state["metrics"]) == {"succeeded": len(managed)}, state
    assert [status for status, *_ in state["reports"]] == ["succeeded"], state
    mails = Counter(message["recipient"] for message in await outbox(client))
    assert {recipient: mails[recipient] for recipient in RECIPIENTS} == dict.fromkeys(RECIPIENTS, 1)
    # Each effect exactly once: the account's tree as the platform has it, the metrics as the platform reports them.
    tree = expected_tree(sandbox, platform, platform_account_id)
    for level in EntityLevel:
        ids = [e["platform_id"] for e in await all_entities(client, world, ad_account_id, level)]
        assert sorted(ids) == sorted(tree[level]), level
    today: date = account_today(account["time_zone"])
    since = backfill_since(today, get_settings().metrics_backfill_days)
    expected = truth(sandbox, platform, platform_account_id, since, today)
    assert await stored(database, world.organization_id, ad_account_id) == expected


@pytest.mark.parametrize("seed", range(QUICK))
async def test_a_worker_killed_mid_sync_loses_no_run_and_doubles_nothing(
    client: httpx.AsyncClient, world: OrgWorld, database: Database, sandbox_platforms: SandboxServer, seed: int
) -> None:
    await check_killed_worker_loses_and_doubles_nothing(client, world, database, sandbox_platforms, seed)


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(QUICK, QUICK + LONG))
async def test_hundreds_of_killed_workers(
    client: httpx.AsyncClient, world: OrgWorld, database: Database, sandbox_platforms: SandboxServer, seed: int
) -> None:
    await check_killed_worker_loses_and_doubles_nothing(client, world, database, sandbox_platforms, seed)
