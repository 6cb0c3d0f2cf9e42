"""SQL of scheduled reports, their runs and the organization's report logo."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from sqlalchemy import delete, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from adpilot.core.keyset import Keyset, keyset_page
from adpilot.core.pagination import KeysetPage, PageRequest, TimeKey
from adpilot.reporting.models import OrganizationBranding, ReportRun, ReportSchedule
from adpilot.reporting.schemas.reports import ReportRunTrigger

SCHEDULES_NEWEST_FIRST = Keyset((ReportSchedule.created_at, ReportSchedule.id), descending=True)
RUNS_NEWEST_FIRST = Keyset((ReportRun.queued_at, ReportRun.id), descending=True)


class ReportRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    # --- schedules ---------------------------------------------------------------------------------------------

    async def add_schedule(self, schedule: ReportSchedule) -> ReportSchedule:
        self.session.add(schedule)
        await self.session.flush()
        return schedule

    async def schedule(
        self, organization_id: UUID, schedule_id: UUID, *, for_update: bool = False
    ) -> ReportSchedule | None:
        query = select(ReportSchedule).where(
            ReportSchedule.organization_id == organization_id, ReportSchedule.id == schedule_id
        )
        if for_update:
            query = query.with_for_update()
        return (await self.session.scalars(query)).first()

    async def schedules_page(
        self, organization_id: UUID, page: PageRequest[TimeKey]
    ) -> KeysetPage[ReportSchedule, TimeKey]:
        """The organization's schedules, newest first."""
        query = select(ReportSchedule).where(ReportSchedule.organization_id == organization_id)
        return await keyset_page(self.session, query, SCHEDULES_NEWEST_FIRST, page)

    async def delete_schedule(self, schedule: ReportSchedule) -> None:
        await self.session.delete(schedule)
        await self.session.flush()

    async def due_schedules(self) -> list[tuple[UUID, UUID, datetime]]:
        """(organization, schedule, slot) of every enabled schedule whose next slot has come, across organizations.

        Goes through the SECURITY DEFINER function of migration 0009, which returns ids only; each is then queued
        in its own tenant-scoped transaction.
        """
        result = await self.session.execute(
            text("SELECT organization_id, schedule_id, next_run_at FROM adpilot_due_report_schedules()")
        )
        return [(org, schedule, at) for org, schedule, at in result.all()]

    # --- runs --------------------------------------------------------------------------------------------------

    async def add_run_once(self, run: ReportRun) -> ReportRun | None:
        """Insert the run unless its (schedule, slot) exists: None when the slot was already queued."""
        values = {column.key: getattr(run, column.key) for column in ReportRun.__table__.columns}
        inserted = await self.session.execute(
            insert(ReportRun)
            .values(**values)
            .on_conflict_do_nothing(index_elements=["schedule_id", "scheduled_for"])
            .returning(ReportRun.id)
        )
        run_id = inserted.scalar_one_or_none()
        if run_id is None:
            return None
        return await self.run(run.organization_id, run_id)

    async def run(self, organization_id: UUID, run_id: UUID, *, for_update: bool = False) -> ReportRun | None:
        query = select(ReportRun).where(ReportRun.organization_id == organization_id, ReportRun.id == run_id)
        if for_update:
            query = query.with_for_update()
        return (await self.session.scalars(query)).first()

    async def active_manual_run(self, organization_id: UUID, schedule_id: UUID) -> ReportRun | None:
        query = (
            select(ReportRun)
            .where(
                ReportRun.organization_id == organization_id,
                ReportRun.schedule_id == schedule_id,
                ReportRun.trigger == ReportRunTrigger.manual,
                ReportRun.status.in_(("queued", "running")),
            )
            .order_by(ReportRun.queued_at.desc())
            .limit(1)
        )
        return (await self.session.scalars(query)).first()

    async def trim_runs(self, organization_id: UUID, schedule_id: UUID, keep: int) -> int:
        """Delete a schedule's finished runs beyond its newest ``keep``; the newest succeeded one always stays (when
        the report last went out). Old slots are never queued again (``next_run_at`` only moves forward), so
        nothing depends on their rows. Returns how many were deleted."""
        result = await self.session.execute(
            _TRIM_RUNS, {"organization_id": organization_id, "schedule_id": schedule_id, "keep": keep}
        )
        return len(result.all())

    async def runs_page(
        self, organization_id: UUID, schedule_id: UUID, page: PageRequest[TimeKey]
    ) -> KeysetPage[ReportRun, TimeKey]:
        """The schedule's runs, newest first."""
        query = select(ReportRun).where(
            ReportRun.organization_id == organization_id, ReportRun.schedule_id == schedule_id
        )
        return await keyset_page(self.session, query, RUNS_NEWEST_FIRST, page)

    # --- branding and the organization's name ------------------------------------------------------------------

    async def branding(self, organization_id: UUID) -> OrganizationBranding | None:
        query = select(OrganizationBranding).where(OrganizationBranding.organization_id == organization_id)
        return (await self.session.scalars(query)).first()

    async def put_branding(
        self, organization_id: UUID, logo: bytes, content_type: str, user_id: UUID | None, at: datetime
    ) -> None:
        values = {
            "organization_id": organization_id,
            "logo": logo,
            "logo_content_type": content_type,
            "updated_by_user_id": user_id,
            "updated_at": at,
        }
        await self.session.execute(
            insert(OrganizationBranding)
            .values(**values)
            .on_conflict_do_update(index_elements=["organization_id"], set_=values)
        )

    async def delete_branding(self, organization_id: UUID) -> bool:
        result = await self.session.execute(
            delete(OrganizationBranding)
            .where(OrganizationBranding.organization_id == organization_id)
            .returning(OrganizationBranding.organization_id)
        )
        return result.first() is not None

    async def schedule_names(
        self, organization_id: UUID, schedule_ids: list[UUID], run_ids: list[UUID]
    ) -> tuple[dict[UUID, str], dict[UUID, str]]:
        """Names of schedules, and of the schedules of runs, of one organization, by id."""
        schedules = await self.session.execute(
            select(ReportSchedule.id, ReportSchedule.name).where(
                ReportSchedule.organization_id == organization_id, ReportSchedule.id.in_(schedule_ids)
            )
        )
        runs = await self.session.execute(
            select(ReportRun.id, ReportSchedule.name)
            .join(ReportSchedule, ReportSchedule.id == ReportRun.schedule_id)
            .where(ReportRun.organization_id == organization_id, ReportRun.id.in_(run_ids))
        )
        return {row.id: row.name for row in schedules.all()}, {row.id: row.name for row in runs.all()}


_TRIM_RUNS = text(
    """
    DELETE FROM report_runs
     WHERE organization_id = :organization_id AND schedule_id = :schedule_id
       AND status IN ('succeeded', 'failed')
       AND id IN (
           SELECT id FROM report_runs
            WHERE organization_id = :organization_id AND schedule_id = :schedule_id
            ORDER BY queued_at DESC, id DESC OFFSET :keep)
       AND id IS DISTINCT FROM (
           SELECT id FROM report_runs
            WHERE organization_id = :organization_id AND schedule_id = :schedule_id AND status = 'succeeded'
            ORDER BY queued_at DESC, id DESC LIMIT 1)
    RETURNING id
    """
)
