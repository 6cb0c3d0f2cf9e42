"""The job queue: procrastinate on PostgreSQL, and ``enqueue`` which inserts a job in the caller's transaction.

Jobs are named ``<module>.<verb_noun>``, take ids (never objects) and are idempotent. A handler receives the
organization id (or None) and keyword arguments, and runs in one transaction scoped to that organization.

Every job belongs to one of three queues, and each queue has its own worker and number of slots, so that a burst of
one kind of work never delays another: a person waiting for a password-reset mail does not wait for twenty accounts'
syncs, and a long report does not hold up either.
"""

from __future__ import annotations

import asyncio
import importlib
import json
from collections.abc import Awaitable, Callable, Iterable
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any
from uuid import UUID

import procrastinate
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from adpilot.core.logging import get_logger

if TYPE_CHECKING:
    from adpilot.config import Settings

log = get_logger(__name__)


class Queue(StrEnum):
    """The job queues; each is worked by its own worker with its own concurrency."""

    # Short work a person may be waiting for: mail, approvals, notifications, domain-event deliveries, housekeeping.
    interactive = "interactive"
    # Everything that calls an ad platform or another outside source: syncs, credential refreshes, account discovery
    # (rate-limited), the reference exchange rates.
    platform = "platform"
    # Building and sending reports (CPU-heavy, minutes at worst).
    reports = "reports"


# The queue of every registered task, by name: ``enqueue`` routes a job by it.
_task_queues: dict[str, Queue] = {}
# Modules whose jobs.py registers tasks; a new module with jobs adds itself here.
TASK_MODULES = (
    "adpilot.notifications.jobs",
    "adpilot.auth.jobs",
    "adpilot.connections.jobs",
    "adpilot.campaigns.jobs",
    "adpilot.changes.jobs",
    "adpilot.drafts.jobs",
    "adpilot.metrics.jobs",
    "adpilot.exchange_rates.jobs",
    "adpilot.reporting.jobs",
    "adpilot.events",
    "adpilot.demo_changes",
)

JobHandler = Callable[..., Awaitable[None]]

app = procrastinate.App(connector=procrastinate.PsycopgConnector(), import_paths=list(TASK_MODULES))

_DEFER_SQL = text(
    "SELECT procrastinate_defer_jobs_v1(ARRAY[ROW(:queue, :task, :priority, :lock, :queueing_lock, "
    "CAST(:args AS jsonb), :scheduled_at)::procrastinate_job_to_defer_v1]) AS ids"
)


async def enqueue(
    session: AsyncSession,
    task_name: str,
    organization_id: UUID | None,
    *,
    scheduled_at: datetime | None = None,
    lock: str | None = None,
    queueing_lock: str | None = None,
    priority: int = 0,
    **kwargs: Any,
) -> int:
    """Queue a job inside the caller's transaction: it exists if and only if the transaction commits.

    The job goes to the queue its task was registered with.
    """
    args = {"organization_id": str(organization_id) if organization_id else None, **kwargs}
    result = await session.execute(
        _DEFER_SQL,
        {
            "queue": queue_of(task_name).value,
            "task": task_name,
            "priority": priority,
            "lock": lock,
            "queueing_lock": queueing_lock,
            "args": json.dumps(args, default=str),
            "scheduled_at": scheduled_at,
        },
    )
    ids: list[int] = result.scalar_one()
    return ids[0]


def queue_of(task_name: str) -> Queue:
    """The queue a task's jobs go to (``LookupError`` for a name no module registers)."""
    queue = _task_queues.get(task_name)
    if queue is None:
        # A process that queues jobs without running them may not have imported every module's jobs yet.
        for module in TASK_MODULES:
            importlib.import_module(module)
        queue = _task_queues.get(task_name)
    if queue is None:
        raise LookupError(f"no job is registered as {task_name!r}")
    return queue


def queue_concurrency(settings: Settings, queue: Queue) -> int:
    """How many jobs of the queue one worker process runs at once."""
    return {
        Queue.interactive: settings.worker_interactive_concurrency,
        Queue.platform: settings.worker_platform_concurrency,
        Queue.reports: settings.worker_reports_concurrency,
    }[queue]


async def run_workers(
    job_app: procrastinate.App,
    settings: Settings,
    *,
    queues: Iterable[Queue] | None = None,
    concurrency: int | None = None,
    **options: Any,
) -> None:
    """Run one worker per queue (all queues unless ``queues`` names some), each with its queue's concurrency.

    ``concurrency`` overrides every queue's setting; ``options`` go to each worker (``wait``, signal handlers...).
    A worker that stops on its own (its database restarting) starts again; cancelling this stops every worker,
    each letting its running jobs finish within ``ADPILOT_WORKER_SHUTDOWN_TIMEOUT``.
    """
    options.setdefault("fetch_job_polling_interval", settings.worker_polling_interval)
    options.setdefault("shutdown_graceful_timeout", settings.worker_shutdown_timeout)
    selected = list(dict.fromkeys(queues or Queue))

    def worker_of(queue: Queue) -> Callable[[], Awaitable[None]]:
        return lambda: job_app.run_worker_async(
            queues=[queue.value],
            name=f"{queue.value}-worker",
            concurrency=concurrency or queue_concurrency(settings, queue),
            **options,
        )

    async with asyncio.TaskGroup() as group:
        for queue in selected:
            group.create_task(keep_running(worker_of(queue)), name=f"{queue.value}-worker")


def configure(conninfo: str, *, import_tasks: bool = True) -> procrastinate.App:
    """Point the job app at the database (the restricted role) and register every module's tasks."""
    connector = procrastinate.PsycopgConnector(conninfo=conninfo, min_size=1, max_size=4)
    # The job manager (used by the worker and for deferring) keeps its own reference to the connector: replace both,
    # as procrastinate's App.replace_connector does, or the worker runs on the unconfigured, never-opened one.
    app.connector = connector
    app.job_manager.connector = connector
    if import_tasks:
        for module in TASK_MODULES:
            importlib.import_module(module)
    return app


async def keep_running(run_worker: Callable[[], Awaitable[None]], *, pause: float = 1.0) -> None:
    """Run the worker until cancelled, starting it again when it stops on its own.

    procrastinate's worker stops when its database goes away (a restart, a fail-over); the process keeps serving,
    so its worker comes back once the database does. Cancelling this stops the worker gracefully.
    """
    while True:
        try:
            await run_worker()
            log.warning("worker.stopped", restart_in=pause)
        except Exception as exc:  # noqa: BLE001 - any failure of the worker's database means "try again shortly"
            log.warning("worker.failed", error=f"{type(exc).__name__}: {exc}", restart_in=pause)
        await asyncio.sleep(pause)


async def failed_jobs(limit: int = 50) -> list[dict[str, Any]]:
    """The most recent failed jobs, for ``adpilot jobs`` and the metrics."""
    rows = await app.connector.execute_query_all_async(
        "SELECT id, task_name, args, attempts, status::text AS status, scheduled_at "
        "FROM procrastinate_jobs WHERE status = 'failed' ORDER BY id DESC LIMIT %(limit)s",
        limit=limit,
    )
    return list(rows)


async def retry_job(job_id: int) -> bool:
    """Put a failed job back in the queue; False when no failed job has that id."""
    rows = await app.connector.execute_query_all_async(
        "UPDATE procrastinate_jobs SET status = 'todo', scheduled_at = NULL "
        "WHERE id = %(id)s AND status = 'failed' RETURNING id",
        id=job_id,
    )
    return bool(rows)


async def job_counts() -> dict[str, int]:
    rows = await app.connector.execute_query_all_async(
        "SELECT status::text AS status, count(*) AS n FROM procrastinate_jobs GROUP BY status"
    )
    return {row["status"]: int(row["n"]) for row in rows}


def job(
    name: str,
    *,
    queue: Queue = Queue.interactive,
    max_attempts: int = 5,
    periodic_cron: str | None = None,
    own_transactions: bool = False,
) -> Callable[[JobHandler], JobHandler]:
    """Register a job handler ``handler(session, organization_id, **kwargs)``, run in one tenant-scoped transaction.

    ``queue`` says which worker runs it: ``Queue.platform`` for anything that calls an ad platform,
    ``Queue.reports`` for reports, ``Queue.interactive`` (the default) for short work.

    Failures are retried with exponential backoff; after ``max_attempts`` the job stays visible as failed.
    With ``own_transactions`` the handler is ``handler(organization_id, **kwargs)`` and opens its own transactions:
    for jobs that call an outside system between writes and must not hold a transaction open meanwhile.
    """
    from adpilot.db import tenant_transaction

    def decorator(handler: JobHandler) -> JobHandler:
        async def run(organization_id: str | None = None, **kwargs: Any) -> None:
            org = UUID(organization_id) if organization_id else None
            if own_transactions:
                await handler(org, **kwargs)
                log.info("job.done", task=name, organization_id=organization_id)
                return
            async with tenant_transaction(org) as session:
                await handler(session, org, **kwargs)
            log.info("job.done", task=name, organization_id=organization_id)

        # procrastinate's max_attempts counts retries after the first run (and 0 means "retry forever").
        retry: procrastinate.RetryStrategy | bool = (
            procrastinate.RetryStrategy(max_attempts=max_attempts - 1, exponential_wait=2)
            if max_attempts > 1
            else False
        )
        _task_queues[name] = queue
        task = app.task(name=name, retry=retry, queue=queue.value)(run)
        if periodic_cron is not None:
            # procrastinate passes the schedule's timestamp; the handler does not need it.
            async def run_periodic(timestamp: int) -> None:
                await run()

            # The queueing lock skips a tick while the previous one still waits in a busy queue, so a frequent
            # check (every minute) never piles up behind long jobs.
            app.periodic(cron=periodic_cron, periodic_id=name)(
                app.task(name=name + ".periodic", retry=retry, queue=queue.value, queueing_lock=name + ".periodic")(
                    run_periodic
                )
            )
        del task
        return handler

    return decorator


FINISHED_JOB_RETENTION_HOURS = 7 * 24


@job("jobs.remove_finished", periodic_cron="23 3 * * *")
async def remove_finished_jobs(session: AsyncSession, organization_id: UUID | None) -> None:
    """Daily: delete jobs that succeeded over a week ago (failed ones stay for ``adpilot jobs failed``).

    Their arguments can hold one-time links (mail bodies); those expire within two days, and the queue table stays
    small.
    """
    await app.job_manager.delete_old_jobs(nb_hours=FINISHED_JOB_RETENTION_HOURS)


# A worker that died (killed, its machine lost) leaves its running jobs "doing" for ever, and the lock such a job holds
# (one sync per account) then blocks every later job of the same lock. Jobs whose worker sent no heartbeat for this
# long (procrastinate's workers send one every 10 s) go back to the queue; the runs they name tell a redelivery from a
# first delivery (``core.runs``: a finished run is never claimed again).
STALLED_AFTER_SECONDS = 60.0


async def retry_stalled_jobs(seconds_since_heartbeat: float = STALLED_AFTER_SECONDS) -> int:
    """Put back in the queue the jobs of workers that stopped sending heartbeats; returns how many."""
    stalled = list(await app.job_manager.get_stalled_jobs(seconds_since_heartbeat=seconds_since_heartbeat))
    for stalled_job in stalled:
        await app.job_manager.retry_job(stalled_job)
        log.warning("job.stalled_retried", task=stalled_job.task_name, job_id=stalled_job.id)
    return len(stalled)


@job("jobs.retry_stalled", periodic_cron="* * * * *", max_attempts=1, own_transactions=True)
async def retry_stalled(organization_id: UUID | None) -> None:
    """Every minute: the jobs of dead workers run again."""
    await retry_stalled_jobs()
