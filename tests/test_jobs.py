"""The job queue: jobs enqueued in the caller's transaction, run by the worker, retried, listed when failed."""

from __future__ import annotations

import asyncio
import importlib
from typing import Any
from uuid import UUID, uuid4

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from adpilot import jobs
from adpilot.config import get_settings
from adpilot.db import Database

# Also run against an external PostgreSQL server by `make test-long`.
pytestmark = pytest.mark.external_db

calls: list[dict[str, Any]] = []
failing = {"enabled": True}


@jobs.job("tests.record_call")
async def record_call(session: AsyncSession, organization_id: UUID | None, **kwargs: Any) -> None:
    tenant = (await session.execute(text("SELECT current_setting('app.organization_id', true)"))).scalar_one()
    calls.append({"organization_id": organization_id, "tenant": tenant, **kwargs})


@jobs.job("tests.fail_while_enabled", max_attempts=2)
async def fail_while_enabled(session: AsyncSession, organization_id: UUID | None, **kwargs: Any) -> None:
    calls.append({"failing": failing["enabled"]})
    if failing["enabled"]:
        raise RuntimeError("the remote system is down")


class PlatformWork:
    """Stand-ins for slow platform jobs, and the events a test waits on."""

    def __init__(self) -> None:
        self.running = 0
        self.finished = 0
        self.release = asyncio.Event()
        self.all_finished = asyncio.Event()
        self.slots_full = asyncio.Event()
        self.mail_sent = asyncio.Event()


platform_work = PlatformWork()


@jobs.job("tests.call_platform", queue=jobs.Queue.platform)
async def call_platform(session: AsyncSession, organization_id: UUID | None, **kwargs: Any) -> None:
    """Stands for a sync stuck on a slow platform: it holds its slot until released."""
    platform_work.running += 1
    if platform_work.running == 2:
        platform_work.slots_full.set()
    await platform_work.release.wait()
    platform_work.finished += 1
    if platform_work.finished == 6:
        platform_work.all_finished.set()


@jobs.job("tests.send_mail", queue=jobs.Queue.interactive)
async def send_test_mail(session: AsyncSession, organization_id: UUID | None, **kwargs: Any) -> None:
    calls.append({"mail": kwargs["to"]})
    platform_work.mail_sent.set()


@pytest.fixture(autouse=True)
def reset_calls() -> None:
    calls.clear()
    failing["enabled"] = True
    global platform_work
    platform_work = PlatformWork()


async def run_worker() -> None:
    """Drain the queue: run every job that is due, then return."""
    await jobs.app.run_worker_async(
        wait=False, install_signal_handlers=False, concurrency=1, fetch_job_polling_interval=0.05
    )


async def job_rows(database: Database, task_name: str) -> list[Any]:
    async with database.transaction() as session:
        rows = await session.execute(
            text(
                "SELECT id, status::text AS status, attempts, args FROM procrastinate_jobs "
                "WHERE task_name = :task ORDER BY id"
            ),
            {"task": task_name},
        )
        return list(rows.mappings().all())


async def make_due(database: Database) -> None:
    """Retries are scheduled seconds ahead; bring them forward instead of sleeping."""
    async with database.transaction() as session:
        await session.execute(text("UPDATE procrastinate_jobs SET scheduled_at = now() WHERE status = 'todo'"))


class TestEnqueue:
    async def test_a_rolled_back_transaction_leaves_no_job(self, database: Database) -> None:
        with pytest.raises(RuntimeError):
            async with database.transaction() as session:
                await jobs.enqueue(session, "tests.record_call", None, note="rolled back")
                raise RuntimeError("the change fails")
        assert await job_rows(database, "tests.record_call") == []

    async def test_a_committed_transaction_queues_the_job(self, database: Database) -> None:
        organization_id = uuid4()
        async with database.transaction() as session:
            job_id = await jobs.enqueue(session, "tests.record_call", organization_id, note="hello")
        [row] = await job_rows(database, "tests.record_call")
        assert row["id"] == job_id
        assert row["status"] == "todo"
        assert row["args"] == {"organization_id": str(organization_id), "note": "hello"}

    async def test_the_worker_runs_it_in_the_tenant_scope(self, database: Database) -> None:
        organization_id = uuid4()
        async with database.transaction() as session:
            await jobs.enqueue(session, "tests.record_call", organization_id, note="hello")
        await run_worker()
        assert calls == [{"organization_id": organization_id, "tenant": str(organization_id), "note": "hello"}]
        assert [row["status"] for row in await job_rows(database, "tests.record_call")] == ["succeeded"]

    async def test_a_job_without_organization_runs_unscoped(self, database: Database) -> None:
        async with database.transaction() as session:
            await jobs.enqueue(session, "tests.record_call", None)
        await run_worker()
        assert calls == [{"organization_id": None, "tenant": ""}]

    async def test_a_queueing_lock_refuses_a_duplicate(self, database: Database) -> None:
        async with database.transaction() as session:
            await jobs.enqueue(session, "tests.record_call", None, queueing_lock="only-one")
        with pytest.raises(Exception, match="procrastinate_jobs_queueing_lock_idx"):
            async with database.transaction() as session:
                await jobs.enqueue(session, "tests.record_call", None, queueing_lock="only-one")
        assert len(await job_rows(database, "tests.record_call")) == 1


class TestFailures:
    async def fail_for_good(self, database: Database) -> int:
        async with database.transaction() as session:
            job_id = await jobs.enqueue(session, "tests.fail_while_enabled", None)
        for _ in range(5):
            await run_worker()
            if (await job_rows(database, "tests.fail_while_enabled"))[0]["status"] == "failed":
                return job_id
            await make_due(database)
        raise AssertionError("the job never failed for good")

    async def test_a_failing_job_is_retried_then_marked_failed(self, database: Database) -> None:
        await self.fail_for_good(database)
        [row] = await job_rows(database, "tests.fail_while_enabled")
        assert row["status"] == "failed"
        assert len(calls) == 2  # max_attempts=2
        assert row["attempts"] == 2

    async def test_failed_jobs_lists_it(self, database: Database) -> None:
        job_id = await self.fail_for_good(database)
        [failed] = await jobs.failed_jobs()
        assert failed["id"] == job_id
        assert failed["task_name"] == "tests.fail_while_enabled"

    async def test_retry_job_requeues_it(self, database: Database) -> None:
        job_id = await self.fail_for_good(database)
        failing["enabled"] = False
        assert await jobs.retry_job(job_id) is True
        await run_worker()
        assert [row["status"] for row in await job_rows(database, "tests.fail_while_enabled")] == ["succeeded"]
        assert await jobs.failed_jobs() == []

    async def test_retry_job_ignores_a_job_that_did_not_fail(self, database: Database) -> None:
        async with database.transaction() as session:
            job_id = await jobs.enqueue(session, "tests.record_call", None)
        assert await jobs.retry_job(job_id) is False
        assert await jobs.retry_job(10**9) is False

    async def test_job_counts_by_status(self, database: Database) -> None:
        async with database.transaction() as session:
            await jobs.enqueue(session, "tests.record_call", None)
            await jobs.enqueue(session, "tests.record_call", None)
        assert await jobs.job_counts() == {"todo": 2}


class TestRemoveFinished:
    async def test_old_succeeded_jobs_go_and_failed_or_recent_ones_stay(self, database: Database) -> None:
        async with database.transaction() as session:
            old = await jobs.enqueue(session, "tests.record_call", None)
            recent = await jobs.enqueue(session, "tests.record_call", None)
        await run_worker()
        failed = await TestFailures().fail_for_good(database)
        # Age the first job's events beyond the retention (the "finished at" procrastinate goes by).
        async with database.transaction() as session:
            await session.execute(
                text("UPDATE procrastinate_events SET at = now() - interval '8 days' WHERE job_id = :id"), {"id": old}
            )
        async with database.transaction() as session:
            await jobs.remove_finished_jobs(session, None)
        remaining = {row["id"] for row in await job_rows(database, "tests.record_call")}
        assert remaining == {recent}
        assert [row["id"] for row in await job_rows(database, "tests.fail_while_enabled")] == [failed]

    def test_it_is_scheduled_daily(self) -> None:
        assert "jobs.remove_finished.periodic" in jobs.app.tasks


def test_a_periodic_task_never_waits_twice_in_its_queue() -> None:
    """Every periodic task has a queueing lock, so procrastinate skips a tick while the last one still waits (a
    per-minute check behind long syncs would otherwise pile up a copy a minute)."""
    for module in jobs.TASK_MODULES:
        importlib.import_module(module)
    periodic = {name: task for name, task in jobs.app.tasks.items() if name.endswith(".periodic")}
    assert "analytics.refresh_reference_rates.periodic" in periodic
    assert {name: task.queueing_lock for name, task in periodic.items()} == {name: name for name in periodic}


class TestQueues:
    def test_each_kind_of_work_has_its_queue(self) -> None:
        assert jobs.queue_of("notifications.send_mail") is jobs.Queue.interactive
        assert jobs.queue_of("campaigns.sync_entities") is jobs.Queue.platform
        assert jobs.queue_of("analytics.sync_metrics") is jobs.Queue.platform
        assert jobs.queue_of("connections.refresh_connection") is jobs.Queue.platform
        assert jobs.queue_of("analytics.send_report") is jobs.Queue.reports
        # An outside download that may reconvert history: not in the slots mail and approvals need.
        assert jobs.queue_of("analytics.refresh_reference_rates") is jobs.Queue.platform
        assert jobs.app.tasks["analytics.refresh_reference_rates.periodic"].queue == jobs.Queue.platform.value
        with pytest.raises(LookupError):
            jobs.queue_of("nobody.registered_this")

    async def test_a_job_is_queued_on_its_tasks_queue(self, database: Database) -> None:
        async with database.transaction() as session:
            await jobs.enqueue(session, "tests.call_platform", None)
            await jobs.enqueue(session, "tests.send_mail", None, to="a@example.com")
            rows = await session.execute(text("SELECT task_name, queue_name FROM procrastinate_jobs ORDER BY id"))
            assert [tuple(row) for row in rows] == [
                ("tests.call_platform", "platform"),
                ("tests.send_mail", "interactive"),
            ]

    async def test_a_burst_of_platform_jobs_does_not_delay_mail(self, database: Database) -> None:
        settings = get_settings().model_copy(
            update={"worker_platform_concurrency": 2, "worker_interactive_concurrency": 1}
        )
        async with database.transaction() as session:
            for _ in range(6):  # three times the platform slots
                await jobs.enqueue(session, "tests.call_platform", None)
        async with database.transaction() as session:
            await jobs.enqueue(session, "tests.send_mail", None, to="reset@example.com")
        workers = asyncio.create_task(
            jobs.run_workers(
                jobs.app,
                settings,
                queues=[jobs.Queue.platform, jobs.Queue.interactive],
                install_signal_handlers=False,
                fetch_job_polling_interval=0.05,
                listen_notify=False,
            )
        )
        try:
            await asyncio.wait_for(platform_work.slots_full.wait(), 15)
            await asyncio.wait_for(platform_work.mail_sent.wait(), 15)
            # The mail went out while every platform slot was taken and four platform jobs still waited.
            assert calls == [{"mail": "reset@example.com"}]
            assert (platform_work.running, platform_work.finished) == (2, 0)
            statuses = [row["status"] for row in await job_rows(database, "tests.call_platform")]
            assert sorted(statuses) == ["doing", "doing", "todo", "todo", "todo", "todo"]
        finally:
            platform_work.release.set()
            await asyncio.wait_for(platform_work.all_finished.wait(), 15)
            workers.cancel()
            with pytest.raises(asyncio.CancelledError):
                await workers
        assert [row["status"] for row in await job_rows(database, "tests.call_platform")] == ["succeeded"] * 6


def test_a_worker_refuses_an_unknown_queue() -> None:
    from typer.testing import CliRunner

    from adpilot.cli import cli

    result = CliRunner().invoke(cli, ["worker", "--queue", "platform", "--queue", "everything"])
    assert result.exit_code == 2
    assert "interactive, platform, reports" in result.output
