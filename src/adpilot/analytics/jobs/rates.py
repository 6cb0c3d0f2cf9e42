"""Background job of the reference exchange rates."""

from __future__ import annotations

from uuid import UUID

from adpilot.analytics.service.reference_rates import reference_rates_service
from adpilot.jobs import job

REFRESH_REFERENCE_RATES_JOB = "analytics.refresh_reference_rates"


@job(REFRESH_REFERENCE_RATES_JOB, periodic_cron="* * * * *", max_attempts=1, own_transactions=True)
async def refresh_reference_rates(organization_id: UUID | None) -> None:
    """Every minute: fetch the reference rates that are missing (a cheap check; the source is called only when a
    publication is due or synced history lacks rates) and reconvert what they change."""
    await reference_rates_service.refresh()
