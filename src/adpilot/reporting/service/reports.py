"""Scheduled reports: schedules, the per-minute scheduler, the sending job with its retries, and the report logo.

A schedule names a local hour in an IANA time zone; ``next_run_at`` is that slot in UTC, computed with zoneinfo so
daylight-saving changes move nothing locally (a slot in a skipped hour runs at the first instant after the gap; in
a repeated hour, at its first occurrence). The scheduler queues one run per slot — (schedule, slot) is unique — and
moves ``next_run_at`` to the next slot after now (slots missed while nothing ran are not sent late one by one: one
catch-up run is). A run computes its range from the local date of its slot, renders the PDF (and the CSV), and
mails each recipient once: a retried run skips the recipients already reached, and a finished run is never sent
again. Failed attempts are retried with backoff; the run shows its attempts and the last error.
"""

from __future__ import annotations

import calendar
import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from adpilot.audit import SYSTEM, TargetNameResolver, audit_service
from adpilot.config import get_settings
from adpilot.core.errors import AppError, Conflict, NotFound, PermissionDenied
from adpilot.core.logging import get_logger
from adpilot.core.pagination import KeysetPage, PageRequest, TimeKey
from adpilot.core.runs import Outcome, RunLifecycle, RunStatus
from adpilot.core.svg import SvgRejected, sanitize_svg
from adpilot.core.time import utcnow
from adpilot.db import tenant_transaction
from adpilot.jobs import enqueue
from adpilot.notifications.mail import Attachment, send_mail_with_attachments_now
from adpilot.organizations import Permission, TenantContext, organization_service
from adpilot.organizations.permissions import role_allows
from adpilot.platforms.types import Platform
from adpilot.reporting.models import ReportRun, ReportSchedule
from adpilot.reporting.repository.reports import ReportRepository
from adpilot.reporting.schemas.reports import (
    ReportFilters,
    ReportFrequency,
    ReportRunTrigger,
    ReportScheduleCreate,
    ReportScheduleUpdate,
    check_day_fits_frequency,
)
from adpilot.reporting.service.exports import ExportRequest, ExportView, export_service
from adpilot.reporting.service.query import (
    AnalyticsQuery,
    BreakdownSort,
    CampaignStatus,
    Compare,
    Dimension,
    Preset,
    resolve_range,
)
from adpilot.reporting.service.report_pdf import (
    ReportContent,
    build_report_content,
    format_delta,
    format_kpi,
    report_pdf,
)

log = get_logger(__name__)

SEND_REPORT_JOB = "analytics.send_report"
# The run kit's limits: ``max_attempts`` of one run before it is failed for good, the waits between them growing
# (1, 5, then 25 minutes; the run re-queues its own job); a run "running" 30 minutes was abandoned by a dead worker
# and may be taken over. A queued run is never abandoned: every retry queues its job again.
REPORT_RUNS = RunLifecycle(
    abandoned_after=timedelta(minutes=30),
    queued_abandoned_after=None,
    retry_backoff=(timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=25)),
)
MAX_LOGO_BYTES = 256 * 1024
LOGO_TYPES = ("image/png", "image/jpeg", "image/svg+xml")


class ReportScheduleNotFound(NotFound):
    code = "report-schedule-not-found"
    title = "No such report schedule in this organization"


class ReportScheduleNotYours(PermissionDenied):
    code = "report-schedule-not-yours"
    title = "Only its creator or a manager can change this report schedule"


class ReportRecipientsOutside(PermissionDenied):
    code = "report-recipients-outside"
    title = "Only a manager can send reports outside the organization"

    def __init__(self, outside: list[str]) -> None:
        shown = ", ".join(outside[:5]) + (" …" if len(outside) > 5 else "")
        super().__init__(
            f"These recipients are neither members nor at an email domain the organization allows: {shown}. "
            "Ask a manager to add them, or an admin to allow their domain.",
            recipients=outside,
        )


class InvalidReportSchedule(AppError):
    status_code = 422
    code = "invalid-report-schedule"
    title = "The report schedule is invalid"


class LogoInvalid(AppError):
    status_code = 422
    code = "logo-invalid"
    title = "The logo must be a PNG, JPEG or SVG image of at most 256 kB"


class LogoNotFound(NotFound):
    code = "logo-not-found"
    title = "This organization has no report logo"


class ReportRunInFlight(Conflict):
    code = "report-run-in-flight"
    title = "A sending of this report is already queued or running"


# --- timing --------------------------------------------------------------------------------------------------------


def _local_slot(day: date, hour: int, zone: ZoneInfo) -> datetime:
    """``hour``:00 on ``day`` in ``zone`` as an aware UTC instant.

    zoneinfo's rules: a wall time in a skipped hour (spring forward) resolves with the offset before the gap, i.e.
    to the instant that hour "would" be, which reads as the first hour after the gap; a repeated hour (fall back)
    takes its first occurrence (fold=0).
    """
    local = datetime.combine(day, time(hour), tzinfo=zone)
    return local.astimezone(ZoneInfo("UTC"))


def _slot_day(frequency: ReportFrequency, day: date, weekday: int | None, month_day: int | None) -> bool:
    if frequency is ReportFrequency.daily:
        return True
    if frequency is ReportFrequency.weekly:
        return day.weekday() == weekday
    last = calendar.monthrange(day.year, day.month)[1]
    return day.day == min(month_day or 1, last)


def next_run_after(
    frequency: ReportFrequency,
    weekday: int | None,
    month_day: int | None,
    hour: int,
    time_zone: str,
    after: datetime,
) -> datetime:
    """The first slot strictly after ``after``: the local hour on the next matching local date, in UTC."""
    zone = ZoneInfo(time_zone)
    day = after.astimezone(zone).date() - timedelta(days=1)
    for _ in range(400):  # a monthly slot is at most 31 days away; a year of days is a safe bound
        if _slot_day(frequency, day, weekday, month_day):
            slot = _local_slot(day, hour, zone)
            if slot > after:
                return slot
        day += timedelta(days=1)
    raise AssertionError("no slot within a year")  # unreachable: every month has a matching day


def schedule_next_run(schedule: ReportSchedule, after: datetime) -> datetime | None:
    if not schedule.enabled:
        return None
    return next_run_after(
        schedule.frequency,
        schedule.weekday,
        schedule.month_day,
        schedule.hour,
        schedule.time_zone,
        after,
    )


def report_query(preset: Preset, compare: Compare, filters: ReportFilters, local_today: date) -> AnalyticsQuery:
    """The schedule's range, resolved relative to the local date of the sending, with its filters."""
    resolved = resolve_range(AnalyticsQuery(preset=preset), local_today)
    return AnalyticsQuery(
        since=resolved.since,
        until=resolved.until,
        compare=compare,
        platforms=tuple(Platform(p) for p in filters.platforms),
        ad_account_ids=tuple(filters.ad_account_ids),
        statuses=tuple(CampaignStatus(s) for s in filters.statuses),
        name_contains=filters.name_contains,
    )


def _filters(schedule: ReportSchedule) -> ReportFilters:
    return ReportFilters.model_validate(schedule.filters or {})


@dataclass(frozen=True)
class Branding:
    logo: bytes | None
    content_type: str | None
    updated_at: datetime | None


# --- the service ---------------------------------------------------------------------------------------------------


class ReportService:
    # --- schedules -----------------------------------------------------------------------------------------------

    async def list_schedules(
        self, session: AsyncSession, tenant: TenantContext, page: PageRequest[TimeKey]
    ) -> KeysetPage[ReportSchedule, TimeKey]:
        """The organization's report schedules, newest first."""
        return await ReportRepository(session).schedules_page(tenant.organization_id, page)

    async def get_schedule(self, session: AsyncSession, tenant: TenantContext, schedule_id: UUID) -> ReportSchedule:
        schedule = await ReportRepository(session).schedule(tenant.organization_id, schedule_id)
        if schedule is None:
            raise ReportScheduleNotFound()
        return schedule

    async def create_schedule(
        self, session: AsyncSession, tenant: TenantContext, body: ReportScheduleCreate
    ) -> ReportSchedule:
        """Create a schedule; its first slot is the next local hour that matches. Audited.

        A member may only address people inside the organization (members, allowed domains); a manager anyone.
        """
        await self._check_recipients(session, tenant, [str(r) for r in body.recipients])
        now = utcnow()
        schedule = ReportSchedule(
            organization_id=tenant.organization_id,
            name=body.name,
            frequency=body.frequency,
            weekday=body.weekday,
            month_day=body.month_day,
            hour=body.hour,
            time_zone=body.time_zone,
            recipients=[str(r) for r in body.recipients],
            range_preset=body.range_preset,
            compare=body.compare,
            filters=body.filters.model_dump(mode="json"),
            attach_csv=body.attach_csv,
            enabled=body.enabled,
            created_by_user_id=tenant.user_id,
            created_at=now,
            updated_at=now,
        )
        schedule.next_run_at = schedule_next_run(schedule, now)
        await ReportRepository(session).add_schedule(schedule)
        await audit_service.record(
            session,
            tenant.organization_id,
            tenant.actor,
            "report_schedule.created",
            target_type="report_schedule",
            target_id=schedule.id,
            after=_audit_view(schedule),
        )
        return schedule

    async def update_schedule(
        self, session: AsyncSession, tenant: TenantContext, schedule_id: UUID, body: ReportScheduleUpdate
    ) -> ReportSchedule:
        """Change the fields given; the next slot is recomputed from now. Audited."""
        repository = ReportRepository(session)
        schedule = await repository.schedule(tenant.organization_id, schedule_id, for_update=True)
        if schedule is None:
            raise ReportScheduleNotFound()
        self._check_owner(tenant, schedule)
        before = _audit_view(schedule)
        changes = body.model_dump(exclude_unset=True, mode="json")
        if changes.get("recipients") is not None:
            known = {address.lower() for address in schedule.recipients}
            added = [address for address in changes["recipients"] if address.lower() not in known]
            await self._check_recipients(session, tenant, added)
        for field in ("name", "hour", "time_zone", "attach_csv", "enabled", "recipients"):
            if field in changes and changes[field] is not None:
                setattr(schedule, field, changes[field])
        if body.range_preset is not None:
            schedule.range_preset = body.range_preset
        if body.compare is not None:
            schedule.compare = body.compare
        if "filters" in changes and changes["filters"] is not None:
            schedule.filters = changes["filters"]
        if body.frequency is not None:
            schedule.frequency = body.frequency
            # Days that belong to another frequency are dropped unless given again.
            schedule.weekday = changes.get("weekday") if schedule.frequency is ReportFrequency.weekly else None
            schedule.month_day = changes.get("month_day") if schedule.frequency is ReportFrequency.monthly else None
        else:
            if "weekday" in changes:
                schedule.weekday = changes["weekday"]
            if "month_day" in changes:
                schedule.month_day = changes["month_day"]
        try:
            check_day_fits_frequency(schedule.frequency, schedule.weekday, schedule.month_day)
        except ValueError as error:
            raise InvalidReportSchedule(
                str(error), errors=[{"loc": ["body", "frequency"], "msg": str(error), "type": "value_error"}]
            ) from None
        now = utcnow()
        schedule.updated_at = now
        schedule.next_run_at = schedule_next_run(schedule, now)
        after = _audit_view(schedule)
        if after != before:
            await audit_service.record(
                session,
                tenant.organization_id,
                tenant.actor,
                "report_schedule.updated",
                target_type="report_schedule",
                target_id=schedule.id,
                before=before,
                after=after,
            )
        return schedule

    async def delete_schedule(self, session: AsyncSession, tenant: TenantContext, schedule_id: UUID) -> None:
        """Delete a schedule and its run history. Audited."""
        repository = ReportRepository(session)
        schedule = await repository.schedule(tenant.organization_id, schedule_id, for_update=True)
        if schedule is None:
            raise ReportScheduleNotFound()
        self._check_owner(tenant, schedule)
        before = _audit_view(schedule)
        await repository.delete_schedule(schedule)
        await audit_service.record(
            session,
            tenant.organization_id,
            tenant.actor,
            "report_schedule.deleted",
            target_type="report_schedule",
            target_id=schedule_id,
            before=before,
        )

    @staticmethod
    def _check_owner(tenant: TenantContext, schedule: ReportSchedule) -> None:
        """Members act on their own schedules; managers and admins on every one."""
        if schedule.created_by_user_id != tenant.user_id and not role_allows(
            tenant.role, Permission.reports_manage_all
        ):
            raise ReportScheduleNotYours()

    async def _check_recipients(self, session: AsyncSession, tenant: TenantContext, recipients: list[str]) -> None:
        """Refuse recipients outside the organization unless the caller may send reports anywhere."""
        if not recipients or role_allows(tenant.role, Permission.reports_manage_all):
            return
        policy = await organization_service.report_recipient_policy(session, tenant.organization_id)
        outside = policy.outside(recipients)
        if outside:
            raise ReportRecipientsOutside(outside)

    async def list_runs(
        self,
        session: AsyncSession,
        tenant: TenantContext,
        schedule_id: UUID,
        page: PageRequest[TimeKey],
    ) -> KeysetPage[ReportRun, TimeKey]:
        """The schedule's sendings, newest first, with their status, attempts and last error."""
        await self.get_schedule(session, tenant, schedule_id)
        return await ReportRepository(session).runs_page(tenant.organization_id, schedule_id, page)

    async def send_now(self, session: AsyncSession, tenant: TenantContext, schedule_id: UUID) -> ReportRun:
        """Queue a sending of the report now (its range relative to today in its time zone). Audited."""
        repository = ReportRepository(session)
        schedule = await repository.schedule(tenant.organization_id, schedule_id, for_update=True)
        if schedule is None:
            raise ReportScheduleNotFound()
        self._check_owner(tenant, schedule)
        if await repository.active_manual_run(tenant.organization_id, schedule_id) is not None:
            raise ReportRunInFlight()
        run = await self._queue_run(session, schedule, utcnow(), ReportRunTrigger.manual, requested_by=tenant.user_id)
        if run is None:  # the same microsecond as another slot: practically impossible
            raise ReportRunInFlight()
        await audit_service.record(
            session,
            tenant.organization_id,
            tenant.actor,
            "report_schedule.sent_now",
            target_type="report_schedule",
            target_id=schedule.id,
            after={"run_id": str(run.id), "recipients": len(schedule.recipients)},
        )
        return run

    async def _queue_run(
        self,
        session: AsyncSession,
        schedule: ReportSchedule,
        slot: datetime,
        trigger: ReportRunTrigger,
        *,
        requested_by: UUID | None = None,
    ) -> ReportRun | None:
        run = await ReportRepository(session).add_run_once(
            ReportRun(
                id=uuid4(),
                organization_id=schedule.organization_id,
                schedule_id=schedule.id,
                scheduled_for=slot,
                trigger=trigger,
                status=RunStatus.queued,
                since=None,
                until=None,
                attempts=0,
                error=None,
                recipients_count=len(schedule.recipients),
                delivered_to=[],
                pdf_bytes=None,
                csv_bytes=None,
                requested_by_user_id=requested_by,
                queued_at=utcnow(),
                started_at=None,
                finished_at=None,
            )
        )
        if run is not None:
            # The same transaction as the run row: the job exists if and only if the run does.
            await enqueue(session, SEND_REPORT_JOB, schedule.organization_id, run_id=str(run.id))
            # The schedule's run history is bounded: each new run makes room by dropping the oldest finished ones.
            await ReportRepository(session).trim_runs(
                schedule.organization_id, schedule.id, get_settings().report_run_history_per_schedule
            )
        return run

    # --- the scheduler ---------------------------------------------------------------------------------------------

    async def queue_due_runs(self, session: AsyncSession, *, now: datetime | None = None) -> int:
        """Every minute: queue one run per due slot, across organizations (one transaction each), and move each
        schedule to its next slot after now."""
        moment = now or utcnow()
        queued = 0
        for organization_id, schedule_id, _slot in await ReportRepository(session).due_schedules():
            async with tenant_transaction(organization_id) as tenant_session:
                repository = ReportRepository(tenant_session)
                schedule = await repository.schedule(organization_id, schedule_id, for_update=True)
                # Re-checked under the row lock: another scheduler may have taken this slot meanwhile.
                if schedule is None or not schedule.enabled or schedule.next_run_at is None:
                    continue
                if schedule.next_run_at > moment:
                    continue
                slot = schedule.next_run_at
                run = await self._queue_run(tenant_session, schedule, slot, ReportRunTrigger.schedule)
                schedule.next_run_at = schedule_next_run(schedule, max(moment, slot))
                if run is not None:
                    queued += 1
        return queued

    # --- the job -------------------------------------------------------------------------------------------------

    async def run_report(self, organization_id: UUID, run_id: UUID, *, takeover: bool = False) -> None:
        """Render and mail one run (the body of the ``analytics.send_report`` job), in short transactions.

        ``takeover`` is the watchdog queued with every attempt: it acts only on a run still ``running`` long after
        its attempt started (its worker died), and finishes it; otherwise it does nothing.
        """
        claimed = await self._claim(organization_id, run_id, takeover=takeover)
        if claimed is None:
            return
        schedule, run = claimed
        try:
            rendered = await self._render(organization_id, schedule, run)
            for recipient in schedule.recipients:
                if recipient in run.delivered_to:
                    continue
                async with tenant_transaction(organization_id) as session:
                    current = await ReportRepository(session).run(organization_id, run_id, for_update=True)
                    if current is None:
                        return
                    await send_mail_with_attachments_now(
                        session, recipient, rendered.subject, rendered.body, rendered.attachments
                    )
                    current.delivered_to = [*current.delivered_to, recipient]
                    run = current
        except Exception as error:  # noqa: BLE001 - any failure of a sending is recorded on the run and retried
            await self._fail_or_retry(organization_id, run_id, error)
            return
        async with tenant_transaction(organization_id) as session:
            current = await ReportRepository(session).run(organization_id, run_id, for_update=True)
            if current is None:
                return
            REPORT_RUNS.succeed(current)
            current.pdf_bytes = rendered.pdf_bytes
            current.csv_bytes = rendered.csv_bytes
        log.info("report.sent", organization_id=str(organization_id), run_id=str(run_id))

    async def _claim(
        self, organization_id: UUID, run_id: UUID, *, takeover: bool = False
    ) -> tuple[ReportSchedule, ReportRun] | None:
        """Mark the run running (one more attempt) unless it finished or another worker holds it; queue the
        watchdog that takes the attempt over if its worker dies."""
        async with tenant_transaction(organization_id) as session:
            repository = ReportRepository(session)
            run = await repository.run(organization_id, run_id, for_update=True)
            # Not a finished run (never sent twice), nor one another worker is on; the watchdog (``takeover``) only
            # acts on an attempt whose worker died, not on one that ended or a run waiting for its retry.
            if run is None or not REPORT_RUNS.claimable(run, exclusive=True, takeover=takeover):
                return None
            schedule = await repository.schedule(organization_id, run.schedule_id)
            if schedule is None:
                return None  # deleted with its runs (cascade)
            now = utcnow()
            REPORT_RUNS.start(run, now)
            run.recipients_count = len(schedule.recipients)
            await enqueue(
                session,
                SEND_REPORT_JOB,
                organization_id,
                run_id=str(run.id),
                takeover=True,
                scheduled_at=now + REPORT_RUNS.abandoned_after + timedelta(minutes=1),
            )
            if run.since is None or run.until is None:
                local_today = run.scheduled_for.astimezone(ZoneInfo(schedule.time_zone)).date()
                query = report_query(schedule.range_preset, schedule.compare, _filters(schedule), local_today)
                run.since, run.until = query.since, query.until
            return schedule, run

    async def _render(self, organization_id: UUID, schedule: ReportSchedule, run: ReportRun) -> _Rendered:
        if run.since is None or run.until is None:
            raise AssertionError("a claimed run has its range")
        filters = _filters(schedule)
        query = AnalyticsQuery(
            since=run.since,
            until=run.until,
            compare=schedule.compare,
            platforms=tuple(Platform(p) for p in filters.platforms),
            ad_account_ids=tuple(filters.ad_account_ids),
            statuses=tuple(CampaignStatus(s) for s in filters.statuses),
            name_contains=filters.name_contains,
        )
        async with tenant_transaction(organization_id) as session:
            content = await self._content(
                session, organization_id, query, time_zone=schedule.time_zone, generated_at=utcnow()
            )
            csv = (
                await export_service.csv_bytes(
                    session,
                    organization_id,
                    ExportRequest(query, ExportView.breakdown, Dimension.campaign, sort=BreakdownSort.spend_desc),
                )
                if schedule.attach_csv
                else None
            )
        pdf = await report_pdf(content)
        stem = f"{_slug(content.organization_name)}-report-{run.since.isoformat()}-{run.until.isoformat()}"
        attachments = [Attachment(stem + ".pdf", "application/pdf", pdf)]
        if csv is not None:
            attachments.append(Attachment(stem + "-campaigns.csv", "text/csv", csv))
        return _Rendered(
            subject=f"{schedule.name}: {content.organization_name}, {_span(run.since, run.until)}",
            body=_mail_body(schedule, content),
            attachments=attachments,
            pdf_bytes=len(pdf),
            csv_bytes=len(csv) if csv is not None else None,
        )

    async def _fail_or_retry(self, organization_id: UUID, run_id: UUID, error: Exception) -> None:
        message = f"{type(error).__name__}: {error}"[:2000]
        log.warning("report.failed", organization_id=str(organization_id), run_id=str(run_id), error=message)
        async with tenant_transaction(organization_id) as session:
            run = await ReportRepository(session).run(organization_id, run_id, for_update=True)
            if run is None:
                return

            async def send_again(delay: timedelta) -> None:
                await enqueue(
                    session, SEND_REPORT_JOB, organization_id, run_id=str(run_id), scheduled_at=utcnow() + delay
                )

            decision = await REPORT_RUNS.settle_and_requeue(
                run, REPORT_RUNS.decide(run.attempts, transient=True), message, send_again
            )
            if decision.outcome is Outcome.fail:
                await audit_service.record(
                    session,
                    organization_id,
                    SYSTEM,
                    "report_run.failed",
                    target_type="report_run",
                    target_id=run.id,
                    after={"schedule_id": str(run.schedule_id), "attempts": run.attempts, "error": message},
                )

    # --- the PDF on demand, and the content both share ---------------------------------------------------------

    async def report_pdf_for_query(
        self, session: AsyncSession, tenant: TenantContext, query: AnalyticsQuery
    ) -> tuple[bytes, ReportContent]:
        """The branded PDF of a query, in the organization's time zone."""
        settings = await organization_service.reporting_settings(session, tenant.organization_id)
        content = await self._content(
            session, tenant.organization_id, query, time_zone=settings.time_zone, generated_at=utcnow()
        )
        return await report_pdf(content), content

    async def _content(
        self,
        session: AsyncSession,
        organization_id: UUID,
        query: AnalyticsQuery,
        *,
        time_zone: str,
        generated_at: datetime,
    ) -> ReportContent:
        repository = ReportRepository(session)
        branding = await repository.branding(organization_id)
        return await build_report_content(
            session,
            organization_id,
            query,
            organization_name=(await organization_service.reporting_settings(session, organization_id)).name,
            logo=(branding.logo, branding.logo_content_type) if branding is not None else None,
            time_zone=time_zone,
            generated_at=generated_at.astimezone(ZoneInfo(time_zone)),
        )

    # --- the logo ------------------------------------------------------------------------------------------------

    async def get_branding(self, session: AsyncSession, tenant: TenantContext) -> Branding:
        branding = await ReportRepository(session).branding(tenant.organization_id)
        if branding is None:
            return Branding(None, None, None)
        return Branding(branding.logo, branding.logo_content_type, branding.updated_at)

    async def put_logo(self, session: AsyncSession, tenant: TenantContext, content: bytes) -> Branding:
        """Store the organization's report logo after checking what it really is. Audited."""
        content, content_type = checked_logo(content)
        now = utcnow()
        await ReportRepository(session).put_branding(tenant.organization_id, content, content_type, tenant.user_id, now)
        await audit_service.record(
            session,
            tenant.organization_id,
            tenant.actor,
            "organization.logo_set",
            target_type="organization",
            target_id=tenant.organization_id,
            after={"content_type": content_type, "bytes": len(content)},
        )
        return Branding(content, content_type, now)

    async def delete_logo(self, session: AsyncSession, tenant: TenantContext) -> None:
        if not await ReportRepository(session).delete_branding(tenant.organization_id):
            raise LogoNotFound()
        await audit_service.record(
            session,
            tenant.organization_id,
            tenant.actor,
            "organization.logo_removed",
            target_type="organization",
            target_id=tenant.organization_id,
        )


@dataclass(frozen=True)
class _Rendered:
    subject: str
    body: str
    attachments: list[Attachment]
    pdf_bytes: int
    csv_bytes: int | None


def checked_logo(content: bytes) -> tuple[bytes, str]:
    """The logo to store and its type, from its bytes (never from what the upload claims); raises LogoInvalid.

    PNG and JPEG are stored as uploaded after a decode check. An SVG is sanitized: rebuilt from drawing elements and
    presentation attributes only, so no script, event handler, link, style sheet or outside reference survives.
    """
    if not content:
        raise LogoInvalid("The file is empty.")
    if len(content) > MAX_LOGO_BYTES:
        raise LogoInvalid(f"The file has {len(content)} bytes; at most {MAX_LOGO_BYTES} are allowed.")
    if content.startswith(b"\x89PNG\r\n\x1a\n"):
        return content, _checked_raster(content, "PNG", "image/png")
    if content.startswith(b"\xff\xd8\xff"):
        return content, _checked_raster(content, "JPEG", "image/jpeg")
    head = content.lstrip(b"\xef\xbb\xbf \t\r\n")[:400].lower()
    if not (head.startswith(b"<svg") or (head.startswith(b"<?xml") and b"<svg" in content.lower())):
        raise LogoInvalid("The file is not a PNG, JPEG or SVG image.")
    try:
        return sanitize_svg(content), "image/svg+xml"
    except SvgRejected as error:
        raise LogoInvalid(str(error)) from None


def _checked_raster(content: bytes, expected: str, content_type: str) -> str:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(content)) as image:
            if image.format != expected:
                raise LogoInvalid(f"The file claims to be {expected} but is not.")
            width, height = image.size
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as error:
        raise LogoInvalid("The image is damaged or unreadable.") from error
    if width > 4000 or height > 4000:
        raise LogoInvalid("The image may be at most 4000 by 4000 pixels.")
    return content_type


def _audit_view(schedule: ReportSchedule) -> dict[str, Any]:
    return {
        "name": schedule.name,
        "frequency": schedule.frequency,
        "weekday": schedule.weekday,
        "month_day": schedule.month_day,
        "hour": schedule.hour,
        "time_zone": schedule.time_zone,
        "recipients": list(schedule.recipients),
        "range_preset": schedule.range_preset,
        "compare": schedule.compare,
        "filters": schedule.filters,
        "attach_csv": schedule.attach_csv,
        "enabled": schedule.enabled,
    }


def _slug(name: str) -> str:
    slug = "".join(c.lower() if c.isascii() and c.isalnum() else "-" for c in name).strip("-")
    while "--" in slug:
        slug = slug.replace("--", "-")
    return slug[:40] or "adpilot"


def _span(since: date, until: date) -> str:
    return since.strftime("%d %b %Y") if since == until else f"{since:%d %b %Y} to {until:%d %b %Y}"


def _mail_body(schedule: ReportSchedule, content: ReportContent) -> str:
    lines = [
        f"{content.organization_name}: {schedule.name}",
        f"{_span(content.since, content.until)} (money in {content.currency})",
        "",
    ]
    for kpi in content.kpis:
        delta = format_delta(kpi.delta)
        lines.append(f"{kpi.label}: {format_kpi(kpi, kpi.value, content.currency)}" + (f" ({delta})" if delta else ""))
    if content.missing_rates:
        lines += ["", "Some money figures are missing: no exchange rate covers " + ", ".join(content.missing_rates)]
    lines += [
        "",
        "The full report is attached as a PDF" + (" with the campaigns as CSV." if schedule.attach_csv else "."),
    ]
    return "\n".join(lines) + "\n"


report_service = ReportService()


async def _schedule_names(session: AsyncSession, organization_id: UUID, ids: Sequence[UUID]) -> dict[UUID, str]:
    schedules, _ = await ReportRepository(session).schedule_names(organization_id, list(ids), [])
    return schedules


async def _run_names(session: AsyncSession, organization_id: UUID, ids: Sequence[UUID]) -> dict[UUID, str]:
    _, runs = await ReportRepository(session).schedule_names(organization_id, [], list(ids))
    return {run_id: f"run of “{name}”" for run_id, name in runs.items()}


# The audit log names schedules (and their runs) by the schedule's name (installed at start-up).
AUDIT_TARGET_NAMES: dict[str, TargetNameResolver] = {"report_schedule": _schedule_names, "report_run": _run_names}
