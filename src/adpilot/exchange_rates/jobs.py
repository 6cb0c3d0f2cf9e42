"""Background job of the reference exchange rates.

Job names keep the ``analytics.`` prefix of the module they were first registered by: queued and failed jobs store
their task's name in the database, so renaming would orphan jobs queued by the previous version.
"""

from __future__ import annotations

from uuid import UUID

from adpilot.exchange_rates.service.reference_rates import REFRESH_REFERENCE_RATES_JOB, reference_rates_service
from adpilot.jobs import Queue, job


# On the platform queue: it downloads a file from an outside source (seconds, or a timeout when it is down) and may
# reconvert every organization's history, which must not hold a slot that mail and approvals need.
@job(
    REFRESH_REFERENCE_RATES_JOB,
    queue=Queue.platform,
    periodic_cron="* * * * *",
    max_attempts=1,
    own_transactions=True,
)
async def refresh_reference_rates(organization_id: UUID | None) -> None:
    """Every minute: fetch the reference rates that are missing (a cheap check; the source is called only when a
    publication is due or synced history lacks rates) and reconvert what they change."""
    await reference_rates_service.refresh()
