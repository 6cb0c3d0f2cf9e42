"""HTTP endpoints of scheduled reports (schedules, run history, send now) and the organization's report logo."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Request, Response, status

from adpilot.core.errors import problem_responses
from adpilot.core.pagination import InvalidCursor, Page, TimeCursorPage, page_response
from adpilot.db import DbSession
from adpilot.organizations.dependencies import CanUpdateOrganization
from adpilot.reporting.dependencies import CanManageReports, CanReadAnalytics
from adpilot.reporting.models import ReportRun
from adpilot.reporting.schemas.reports import (
    BrandingRead,
    ReportRunRead,
    ReportRunStatus,
    ReportScheduleCreate,
    ReportScheduleRead,
    ReportScheduleUpdate,
)
from adpilot.reporting.service.reports import (
    MAX_LOGO_BYTES,
    Branding,
    InvalidReportSchedule,
    LogoInvalid,
    LogoNotFound,
    ReportRecipientsOutside,
    ReportRunInFlight,
    ReportScheduleNotFound,
    ReportScheduleNotYours,
    report_service,
)

router = APIRouter(prefix="/api/v1/orgs/{organization_id}", tags=["reports"])
LOGO_CSP = "default-src 'none'; style-src 'unsafe-inline'; sandbox"
LOGO_TYPES = ("image/png", "image/jpeg", "image/svg+xml")


def run_read(run: ReportRun) -> ReportRunRead:
    return ReportRunRead(
        id=run.id,
        schedule_id=run.schedule_id,
        scheduled_for=run.scheduled_for,
        trigger=run.trigger,
        # The run kit's status; a report run is never deferred (the table's CHECK refuses it).
        status=ReportRunStatus(run.status),
        since=run.since,
        until=run.until,
        attempts=run.attempts,
        error=run.error,
        recipients_count=run.recipients_count,
        delivered_count=len(run.delivered_to or []),
        pdf_bytes=run.pdf_bytes,
        csv_bytes=run.csv_bytes,
        queued_at=run.queued_at,
        started_at=run.started_at,
        finished_at=run.finished_at,
    )


@router.get("/report-schedules", response_model=Page[ReportScheduleRead], responses=problem_responses(InvalidCursor))
async def list_report_schedules(tenant: CanReadAnalytics, session: DbSession, paging: TimeCursorPage) -> Response:
    """The organization's scheduled reports, newest first."""
    return page_response(ReportScheduleRead, await report_service.list_schedules(session, tenant, paging))


@router.post(
    "/report-schedules",
    response_model=ReportScheduleRead,
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(InvalidReportSchedule, ReportRecipientsOutside),
)
async def create_report_schedule(
    body: ReportScheduleCreate, tenant: CanManageReports, session: DbSession
) -> ReportScheduleRead:
    """Schedule a report: daily, weekly or monthly at a local hour, to up to 50 recipients."""
    return ReportScheduleRead.model_validate(await report_service.create_schedule(session, tenant, body))


@router.get(
    "/report-schedules/{schedule_id}",
    response_model=ReportScheduleRead,
    responses=problem_responses(ReportScheduleNotFound),
)
async def get_report_schedule(schedule_id: UUID, tenant: CanReadAnalytics, session: DbSession) -> ReportScheduleRead:
    """One scheduled report."""
    return ReportScheduleRead.model_validate(await report_service.get_schedule(session, tenant, schedule_id))


@router.patch(
    "/report-schedules/{schedule_id}",
    response_model=ReportScheduleRead,
    responses=problem_responses(
        ReportScheduleNotFound, InvalidReportSchedule, ReportScheduleNotYours, ReportRecipientsOutside
    ),
)
async def update_report_schedule(
    schedule_id: UUID, body: ReportScheduleUpdate, tenant: CanManageReports, session: DbSession
) -> ReportScheduleRead:
    """Change a scheduled report (only the fields given); its next sending is recomputed."""
    schedule = await report_service.update_schedule(session, tenant, schedule_id, body)
    return ReportScheduleRead.model_validate(schedule)


@router.delete(
    "/report-schedules/{schedule_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(ReportScheduleNotFound, ReportScheduleNotYours),
)
async def delete_report_schedule(schedule_id: UUID, tenant: CanManageReports, session: DbSession) -> None:
    """Delete a scheduled report and its run history."""
    await report_service.delete_schedule(session, tenant, schedule_id)


@router.get(
    "/report-schedules/{schedule_id}/runs",
    response_model=Page[ReportRunRead],
    responses=problem_responses(ReportScheduleNotFound, InvalidCursor),
)
async def list_report_runs(
    schedule_id: UUID, tenant: CanReadAnalytics, session: DbSession, paging: TimeCursorPage
) -> Response:
    """The report's sendings, newest first: status, attempts, recipients reached, and the last error."""
    page = await report_service.list_runs(session, tenant, schedule_id, paging)
    return page_response(ReportRunRead, page.map(run_read))


@router.post(
    "/report-schedules/{schedule_id}/send-now",
    response_model=ReportRunRead,
    status_code=status.HTTP_202_ACCEPTED,
    responses=problem_responses(ReportScheduleNotFound, ReportRunInFlight, ReportScheduleNotYours),
)
async def send_report_now(schedule_id: UUID, tenant: CanManageReports, session: DbSession) -> ReportRunRead:
    """Queue a sending of the report now, to all its recipients."""
    return run_read(await report_service.send_now(session, tenant, schedule_id))


# --- the report logo -------------------------------------------------------------------------------------------------


def branding_read(branding: Branding) -> BrandingRead:
    return BrandingRead(
        has_logo=branding.logo is not None,
        logo_content_type=branding.content_type,
        logo_bytes=len(branding.logo) if branding.logo is not None else None,
        updated_at=branding.updated_at,
    )


@router.get("/branding", response_model=BrandingRead)
async def get_branding(tenant: CanReadAnalytics, session: DbSession) -> BrandingRead:
    """Whether the organization's reports carry a logo, and which."""
    return branding_read(await report_service.get_branding(session, tenant))


@router.get(
    "/branding/logo",
    response_class=Response,
    responses={
        200: {
            "content": {t: {"schema": {"type": "string", "format": "binary"}} for t in LOGO_TYPES},
            "description": "The logo as uploaded (PNG, JPEG or SVG).",
        },
        **problem_responses(LogoNotFound),
    },
)
async def get_report_logo(tenant: CanReadAnalytics, session: DbSession) -> Response:
    """The organization's report logo."""
    branding = await report_service.get_branding(session, tenant)
    if branding.logo is None or branding.content_type is None:
        raise LogoNotFound()
    return Response(
        branding.logo,
        media_type=branding.content_type,
        # An SVG opened on its own must not run anything or load anything.
        headers={
            "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; sandbox",
            "Cache-Control": "no-store",
        },
    )


@router.put(
    "/branding/logo",
    response_model=BrandingRead,
    openapi_extra={
        "requestBody": {
            "required": True,
            "description": f"The image itself (PNG, JPEG or SVG, at most {MAX_LOGO_BYTES // 1024} kB).",
            "content": {
                t: {"schema": {"type": "string", "format": "binary"}}
                for t in ("image/png", "image/jpeg", "image/svg+xml")
            },
        }
    },
    responses=problem_responses(LogoInvalid),
)
async def put_report_logo(request: Request, tenant: CanUpdateOrganization, session: DbSession) -> BrandingRead:
    """Set the logo printed on the organization's PDF reports (admins); its type is read from the image itself."""
    content = bytearray()
    async for chunk in request.stream():
        content += chunk
        if len(content) > MAX_LOGO_BYTES:
            raise LogoInvalid(f"The file is larger than {MAX_LOGO_BYTES // 1024} kB.")
    return branding_read(await report_service.put_logo(session, tenant, bytes(content)))


@router.delete("/branding/logo", status_code=status.HTTP_204_NO_CONTENT, responses=problem_responses(LogoNotFound))
async def delete_report_logo(tenant: CanUpdateOrganization, session: DbSession) -> None:
    """Remove the logo from the organization's reports (admins)."""
    await report_service.delete_logo(session, tenant)
