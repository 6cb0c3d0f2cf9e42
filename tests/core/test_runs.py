"""The run kit: each transition, abandoned detection, the retry decision and history pages (on plain run records),
and through a real sync job against the sandbox: a job delivered twice does nothing twice, whatever its run's end."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

import httpx
import pytest
from sqlalchemy import text

from adpilot.campaigns.jobs import sync_entities
from adpilot.core.runs import (
    ABANDONED_ERROR,
    MAX_ERROR_LENGTH,
    Decision,
    Outcome,
    RunLifecycle,
    RunStatus,
)
from adpilot.db import Database
from adpilot.platforms.errors import PlatformAuthError, PlatformRateLimited, PlatformRejected, PlatformUnavailable
from adpilot.platforms.runs import decide_after
from adpilot.platforms.types import Platform
from tests.campaigns.test_entity_sync import connect_sandbox, run_jobs, sync_runs, synced_account
from tests.fixtures import OrgWorld
from tests.sandbox_fixtures import SandboxServer

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
RUNS = RunLifecycle()


@dataclass
class Run:
    status: RunStatus = RunStatus.queued
    attempts: int = 0
    error: str | None = None
    queued_at: datetime = NOW
    started_at: datetime | None = None
    finished_at: datetime | None = None
    id: UUID = field(default_factory=uuid4)


class TestTransitions:
    def test_a_claim_starts_one_more_attempt_and_clears_the_last_error(self) -> None:
        run = Run(error="PlatformUnavailable: down", attempts=1)
        assert RUNS.claimable(run)
        assert RUNS.start(run, NOW) == 2
        assert (run.status, run.attempts, run.started_at, run.error) == ("running", 2, NOW, None)

    def test_success_finishes_the_run_without_an_error(self) -> None:
        run = Run(status=RunStatus.running, error="stale")
        RUNS.succeed(run, NOW)
        assert (run.status, run.finished_at, run.error) == ("succeeded", NOW, None)

    def test_failure_finishes_the_run_with_its_error_cut_to_size(self) -> None:
        run = Run(status=RunStatus.running)
        RUNS.fail(run, "x" * (MAX_ERROR_LENGTH + 10), NOW)
        assert (run.status, run.finished_at) == ("failed", NOW)
        assert run.error == "x" * MAX_ERROR_LENGTH

    def test_a_retry_puts_the_run_back_in_the_queue_unfinished(self) -> None:
        run = Run(status=RunStatus.running, attempts=1)
        RUNS.settle(run, Decision(Outcome.retry), "PlatformUnavailable: down", NOW)
        assert (run.status, run.finished_at, run.error) == ("queued", None, "PlatformUnavailable: down")

    def test_a_deferral_finishes_the_run(self) -> None:
        run = Run(status=RunStatus.running, attempts=1)
        RUNS.settle(run, Decision(Outcome.defer, timedelta(seconds=30)), "PlatformRateLimited: quota", NOW)
        assert (run.status, run.finished_at, run.error) == ("deferred", NOW, "PlatformRateLimited: quota")

    def test_a_settled_failure_is_a_failure(self) -> None:
        run = Run(status=RunStatus.running, attempts=4)
        RUNS.settle(run, Decision(Outcome.fail), "PlatformRejected: no", NOW)
        assert (run.status, run.finished_at, run.error) == ("failed", NOW, "PlatformRejected: no")

    @pytest.mark.parametrize("status", ["succeeded", "failed", "deferred"])
    def test_a_finished_run_is_never_claimed_again(self, status: str) -> None:
        run = Run(status=RunStatus(status), attempts=1)
        assert not RUNS.claimable(run)
        assert not RUNS.claimable(run, exclusive=True)
        assert not RUNS.claimable(run, exclusive=True, takeover=True)
        assert not RUNS.claimable(None)


class TestAbandoned:
    def test_a_running_run_is_abandoned_after_the_limit(self) -> None:
        run = Run(status=RunStatus.running, started_at=NOW)
        assert not RUNS.abandoned(run, NOW + RUNS.abandoned_after)
        assert RUNS.abandoned(run, NOW + RUNS.abandoned_after + timedelta(seconds=1))

    def test_a_running_run_that_never_started_is_abandoned(self) -> None:
        assert RUNS.abandoned(Run(status=RunStatus.running, started_at=None), NOW)

    def test_a_queued_run_is_abandoned_after_its_own_limit_or_never(self) -> None:
        run = Run(queued_at=NOW)
        assert RUNS.queued_abandoned_after is not None
        assert not RUNS.abandoned(run, NOW + RUNS.abandoned_after * 2)
        assert RUNS.abandoned(run, NOW + RUNS.queued_abandoned_after + timedelta(seconds=1))
        never = RunLifecycle(queued_abandoned_after=None)
        assert not never.abandoned(run, NOW + timedelta(days=365))

    def test_a_finished_run_is_not_abandoned(self) -> None:
        run = Run(status=RunStatus.succeeded, started_at=NOW - timedelta(days=3))
        assert not RUNS.abandoned(run, NOW)

    def test_the_active_run_is_returned_while_alive_and_failed_once_abandoned(self) -> None:
        alive = Run(status=RunStatus.running, started_at=NOW)
        assert RUNS.current(alive, NOW) is alive
        assert alive.status == "running"
        dead = Run(status=RunStatus.running, started_at=NOW - timedelta(hours=2))
        assert RUNS.current(dead, NOW) is None
        assert (dead.status, dead.finished_at, dead.error) == ("failed", NOW, ABANDONED_ERROR)
        assert RUNS.current(None, NOW) is None

    def test_an_exclusive_claim_leaves_a_live_attempt_alone_and_takes_over_a_dead_one(self) -> None:
        queued = Run()
        live = Run(status=RunStatus.running, started_at=datetime.now(UTC))
        dead = Run(status=RunStatus.running, started_at=datetime.now(UTC) - RUNS.abandoned_after - timedelta(minutes=1))
        assert RUNS.claimable(live)  # the job queue's lock keeps non-exclusive runs apart
        assert not RUNS.claimable(live, exclusive=True)
        assert RUNS.claimable(dead, exclusive=True)
        assert RUNS.claimable(queued, exclusive=True)
        # The watchdog acts only on a dead attempt.
        assert RUNS.claimable(dead, exclusive=True, takeover=True)
        assert not RUNS.claimable(live, exclusive=True, takeover=True)
        assert not RUNS.claimable(queued, exclusive=True, takeover=True)


class TestRetryDecision:
    def test_a_transient_failure_is_retried_while_attempts_are_left(self) -> None:
        assert [RUNS.decide(attempt, transient=True).outcome for attempt in range(1, 6)] == [
            Outcome.retry,
            Outcome.retry,
            Outcome.retry,
            Outcome.fail,
            Outcome.fail,
        ]
        assert RUNS.decide(1, transient=False).outcome is Outcome.fail

    def test_a_spent_quota_defers_whatever_the_attempt(self) -> None:
        decision = RUNS.decide(9, transient=True, defer_for=timedelta(seconds=90))
        assert decision == Decision(Outcome.defer, timedelta(seconds=90))

    def test_retries_of_a_run_with_its_own_backoff_wait_longer_each_time(self) -> None:
        lifecycle = RunLifecycle(max_attempts=5, retry_backoff=(timedelta(minutes=1), timedelta(minutes=5)))
        delays = [lifecycle.decide(attempt, transient=True).delay for attempt in range(1, 5)]
        assert delays == [timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=5), timedelta(minutes=5)]
        assert lifecycle.decide(5, transient=True).outcome is Outcome.fail
        assert RUNS.decide(1, transient=True).delay is None  # the job queue's own backoff

    def test_platform_errors(self) -> None:
        assert decide_after(RUNS, PlatformUnavailable("down"), 1).outcome is Outcome.retry
        assert decide_after(RUNS, PlatformUnavailable("down"), RUNS.max_attempts).outcome is Outcome.fail
        assert decide_after(RUNS, PlatformRejected("no"), 1).outcome is Outcome.fail
        assert decide_after(RUNS, PlatformAuthError("expired"), 1).outcome is Outcome.fail
        limited = decide_after(RUNS, PlatformRateLimited("quota", retry_after=120), 1)
        assert limited == Decision(Outcome.defer, timedelta(seconds=120))
        unsaid = decide_after(RUNS, PlatformRateLimited("quota"), RUNS.max_attempts)
        assert unsaid == Decision(Outcome.defer, timedelta(seconds=60))


class TestSettleAndRequeue:
    """The one "settle the failure, then queue what comes next" every run kind uses."""

    async def settled(self, lifecycle: RunLifecycle, decision: Decision) -> tuple[Run, list[timedelta]]:
        run = Run(status=RunStatus.running, attempts=1, started_at=NOW)
        requeued: list[timedelta] = []

        async def requeue(delay: timedelta) -> None:
            requeued.append(delay)

        assert await lifecycle.settle_and_requeue(run, decision, "PlatformX: no", requeue, NOW) == decision
        return run, requeued

    async def test_a_deferral_queues_the_next_run_when_the_platform_says(self) -> None:
        run, requeued = await self.settled(RUNS, RUNS.decide(1, transient=True, defer_for=timedelta(seconds=90)))
        assert (run.status, run.error, run.finished_at) == (RunStatus.deferred, "PlatformX: no", NOW)
        assert requeued == [timedelta(seconds=90)]

    async def test_a_retry_left_to_the_job_queue_queues_nothing(self) -> None:
        run, requeued = await self.settled(RUNS, RUNS.decide(1, transient=True))
        assert (run.status, run.finished_at) == (RunStatus.queued, None)
        assert requeued == []

    async def test_a_retry_after_the_runs_own_backoff_queues_its_next_attempt(self) -> None:
        lifecycle = RunLifecycle(retry_backoff=(timedelta(minutes=1), timedelta(minutes=5)))
        run, requeued = await self.settled(lifecycle, lifecycle.decide(2, transient=True))
        assert run.status == RunStatus.queued
        assert requeued == [timedelta(minutes=5)]

    async def test_a_failure_queues_nothing(self) -> None:
        run, requeued = await self.settled(RUNS, RUNS.decide(RUNS.max_attempts, transient=True))
        assert (run.status, run.finished_at) == (RunStatus.failed, NOW)
        assert requeued == []


async def _set_status(database: Database, world: OrgWorld, run_id: str, status: str) -> None:
    async with database.tenant_transaction(UUID(world.organization_id)) as session:
        await session.execute(
            text("UPDATE sync_runs SET status = :status WHERE id = :id"), {"status": status, "id": run_id}
        )


class TestDuplicateDelivery:
    @pytest.mark.parametrize("status", ["succeeded", "failed", "deferred"])
    async def test_a_job_delivered_again_after_its_run_ended_does_nothing(
        self,
        client: httpx.AsyncClient,
        world: OrgWorld,
        database: Database,
        sandbox_platforms: SandboxServer,
        status: str,
    ) -> None:
        connection = await connect_sandbox(client, world, Platform.tiktok)
        ad_account_id, _ = synced_account(connection)
        await run_jobs(database)
        [run] = await sync_runs(client, world, ad_account_id)
        assert (run["status"], run["attempts"]) == ("succeeded", 1)
        await _set_status(database, world, run["id"], status)
        requests = len(sandbox_platforms.state.request_log)

        await sync_entities(UUID(world.organization_id), run_id=run["id"])

        [again] = await sync_runs(client, world, ad_account_id)
        assert (again["status"], again["attempts"], again["finished_at"]) == (status, 1, run["finished_at"])
        assert len(sandbox_platforms.state.request_log) == requests  # the platform was not asked again
