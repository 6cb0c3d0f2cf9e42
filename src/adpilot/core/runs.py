"""The run kit: one lifecycle for every background run the product records on a row (entity syncs, metrics syncs,
report sendings; publish, change and rule runs next).

A run is a row that exists from the moment it is queued, so people see it at once; its job names it by id::

    queued ──claim──> running ──succeed──> succeeded
      ^                  │ ──fail──────> failed
      └──── retry ───────┘ ──defer─────> deferred   (the platform's quota is spent: a new run is queued for later)

Rules every run follows:

- **One attempt at a time, counted.** ``claim`` starts an attempt (``attempts`` + 1, ``started_at``, no error);
  a run already finished is never claimed again, so a job delivered twice does nothing twice.
- **Abandoned runs are detected, not trusted.** A run ``running`` for longer than ``abandoned_after`` lost its
  worker; one ``queued`` for longer than ``queued_abandoned_after`` lost its job. Queuing the next run of the same
  subject fails the abandoned one (``current``), and an exclusive claim may take it over.
- **One retry decision.** After an error, ``decide`` says retry (a transient failure with attempts left), defer (a
  spent quota, for as long as the platform asks) or fail; ``settle`` writes that decision on the row, and
  ``settle_and_requeue`` also has the caller queue what comes next when the decision says when: the new run of a
  deferral, or the next attempt of a run that waits its own backoff between retries.
- **The history pages newest first** by (``queued_at``, ``id``): a ``core.keyset.Keyset`` over those columns,
  descending.

The kit only changes the row it is given: the caller holds the row lock (``SELECT ... FOR UPDATE``) in its own
transaction (``db.tenant_transaction``), queues jobs and records other effects there.

Example (a job body)::

    async with tenant_transaction(organization_id) as session:
        run = await repository.get_run(organization_id, run_id, for_update=True)
        if not RUNS.claimable(run):
            return  # done already, or another worker has it
        attempt = RUNS.start(run)
    try:
        ...  # the slow part, with no transaction open
    except TransientError as error:
        async with tenant_transaction(organization_id) as session:
            run = await repository.get_run(organization_id, run_id, for_update=True)
            decision = await RUNS.settle_and_requeue(
                run, RUNS.decide(attempt, transient=True), str(error), lambda delay: queue_again(session, delay)
            )
        if decision.outcome is Outcome.retry:
            raise  # the job queue retries it with backoff
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Protocol, TypeVar
from uuid import UUID

from adpilot.core.time import utcnow

# A transient failure is retried this many times before the run fails (the first attempt included).
MAX_ATTEMPTS = 4
# A run "running" for longer than this was abandoned by a worker that died...
ABANDONED_AFTER = timedelta(hours=1)
# ...and one "queued" for longer lost its job (the schedulers' SQL functions use the same limits).
QUEUED_ABANDONED_AFTER = timedelta(hours=24)
# How long a deferred run waits when the platform did not say.
DEFAULT_DEFER = timedelta(seconds=60)
# Errors recorded on a run are cut to this many characters.
MAX_ERROR_LENGTH = 2000
ABANDONED_ERROR = "abandoned: no worker finished it"


class RunStatus(StrEnum):
    queued = "queued"
    running = "running"
    succeeded = "succeeded"
    failed = "failed"
    # Ended early because the platform's quota was spent; a new run of the same subject was queued for later.
    deferred = "deferred"


ACTIVE_STATUSES = (RunStatus.queued, RunStatus.running)
FINISHED_STATUSES = (RunStatus.succeeded, RunStatus.failed, RunStatus.deferred)


class RunRecord(Protocol):
    """The columns every run row has (each module keeps its own table; these are what the kit reads and writes)."""

    id: UUID
    status: RunStatus
    attempts: int
    error: str | None
    queued_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


R = TypeVar("R", bound=RunRecord)


class Outcome(StrEnum):
    retry = "retry"
    defer = "defer"
    fail = "fail"


@dataclass(frozen=True)
class Decision:
    """What becomes of a run after an error: retried (after ``delay`` when the caller re-queues it itself), deferred
    to a new run ``delay`` from now, or failed."""

    outcome: Outcome
    delay: timedelta | None = None


def error_text(message: str) -> str:
    """An error as recorded on a run."""
    return message[:MAX_ERROR_LENGTH]


@dataclass(frozen=True)
class RunLifecycle:
    """The limits of one kind of run, and its transitions."""

    max_attempts: int = MAX_ATTEMPTS
    abandoned_after: timedelta = ABANDONED_AFTER
    # None: a queued run is never considered abandoned (its job is queued again on every retry).
    queued_abandoned_after: timedelta | None = QUEUED_ABANDONED_AFTER
    # Waits between attempts for runs that re-queue their own job (the n-th wait after the n-th attempt; the last
    # one repeats); empty when the job queue's own retries with backoff are used.
    retry_backoff: tuple[timedelta, ...] = ()

    # --- detection -----------------------------------------------------------------------------------------------

    def abandoned(self, run: RunRecord, now: datetime | None = None) -> bool:
        """Whether an active run lost its worker (running too long) or its job (queued too long)."""
        moment = now or utcnow()
        if run.status == RunStatus.queued:
            limit = self.queued_abandoned_after
            return limit is not None and moment - run.queued_at > limit
        if run.status != RunStatus.running:
            return False
        return run.started_at is None or moment - run.started_at > self.abandoned_after

    def current(self, active: R | None, now: datetime | None = None) -> R | None:
        """The subject's active run to return instead of queuing another, or None to queue one: an abandoned run is
        failed first (rather than left "running" for ever beside the new one)."""
        if active is None:
            return None
        if not self.abandoned(active, now):
            return active
        self.fail(active, ABANDONED_ERROR, now)
        return None

    # --- transitions ---------------------------------------------------------------------------------------------

    def claimable(self, run: RunRecord | None, *, exclusive: bool = False, takeover: bool = False) -> bool:
        """Whether a job may start an attempt of ``run``: never a missing or finished run (a duplicate delivery).

        ``exclusive``: nor a run another worker is running, unless that worker was abandoned; ``takeover``: only
        such an abandoned run (a watchdog job). Without ``exclusive`` the job queue's lock keeps runs of the same
        subject apart, and a run left ``running`` by a dead worker is simply started again.
        """
        if run is None or run.status in FINISHED_STATUSES:
            return False
        if not exclusive:
            return True
        abandoned = run.status == RunStatus.running and self.abandoned(run)
        if run.status == RunStatus.running and not abandoned:
            return False
        return abandoned or not takeover

    def start(self, run: RunRecord, now: datetime | None = None) -> int:
        """Begin one more attempt; returns its number."""
        run.status = RunStatus.running
        run.started_at = now or utcnow()
        run.error = None
        run.attempts += 1
        return run.attempts

    def succeed(self, run: RunRecord, now: datetime | None = None) -> None:
        run.status = RunStatus.succeeded
        run.finished_at = now or utcnow()
        run.error = None

    def fail(self, run: RunRecord, message: str, now: datetime | None = None) -> None:
        run.status = RunStatus.failed
        run.finished_at = now or utcnow()
        run.error = error_text(message)

    # --- after an error ------------------------------------------------------------------------------------------

    def decide(self, attempt: int, *, transient: bool, defer_for: timedelta | None = None) -> Decision:
        """The one retry decision: a spent quota (``defer_for``) defers; a transient failure with attempts left is
        retried (after the backoff for this attempt, when the run has one); anything else fails."""
        if defer_for is not None:
            return Decision(Outcome.defer, defer_for)
        if transient and attempt < self.max_attempts:
            delay = self.retry_backoff[min(attempt, len(self.retry_backoff)) - 1] if self.retry_backoff else None
            return Decision(Outcome.retry, delay)
        return Decision(Outcome.fail)

    def settle(self, run: RunRecord, decision: Decision, message: str, now: datetime | None = None) -> Decision:
        """Write ``decision`` on the run with its error: queued again (retry), deferred or failed (finished)."""
        if decision.outcome is Outcome.fail:
            self.fail(run, message, now)
            return decision
        run.error = error_text(message)
        if decision.outcome is Outcome.retry:
            run.status = RunStatus.queued
        else:
            run.status = RunStatus.deferred
            run.finished_at = now or utcnow()
        return decision

    async def settle_and_requeue(
        self,
        run: RunRecord,
        decision: Decision,
        message: str,
        requeue: Callable[[timedelta], Awaitable[None]],
        now: datetime | None = None,
    ) -> Decision:
        """``settle``, then ``requeue(delay)`` when the decision says when to go on: a deferral (a new run of the
        same subject, ``delay`` from now) or a retry after the run's own backoff (its job queued again). A retry
        left to the job queue's backoff, and a failure, queue nothing. ``requeue`` writes in the caller's
        transaction (flush the settled row first when it queries the subject's runs)."""
        self.settle(run, decision, message, now)
        if decision.outcome is not Outcome.fail and decision.delay is not None:
            await requeue(decision.delay)
        return decision
