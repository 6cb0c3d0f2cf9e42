"""Background jobs of scheduled reports: the per-minute scheduler and the sending of one run.

Job names keep the ``analytics.`` prefix of the module they were first registered by: queued and failed jobs store
their task's name in the database, so renaming would orphan jobs queued by the previous version.
"""

from __future__ import annotations

from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from adpilot.jobs import Queue, job
from adpilot.reporting.service.reports import SEND_REPORT_JOB, report_service


# Retries are the run's own (re-queued with backoff and recorded on the run), so the queue never retries the job.
@job(SEND_REPORT_JOB, queue=Queue.reports, max_attempts=1, own_transactions=True)
async def send_report(organization_id: UUID | None, *, run_id: str, takeover: bool = False) -> None:
    """Render one run's PDF (and CSV) and mail it to each recipient not yet reached (``takeover``: only if the
    worker of its current attempt died)."""
    if organization_id is None:
        raise ValueError("report runs are always tenant-scoped")
    await report_service.run_report(organization_id, UUID(run_id), takeover=takeover)


@job("analytics.schedule_reports", queue=Queue.interactive, periodic_cron="* * * * *", max_attempts=1)
async def schedule_reports(session: AsyncSession, organization_id: UUID | None) -> None:
    """Every minute: queue one run per report schedule whose slot has come, and move it to its next slot."""
    await report_service.queue_due_runs(session)
