"""HTTP endpoints of the exports: CSV (streamed), XLSX and the branded PDF report."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response
from fastapi.responses import StreamingResponse

from adpilot.core.errors import problem_responses
from adpilot.core.pagination import InvalidCursor
from adpilot.db import DbSession
from adpilot.reporting.dependencies import CanReadAnalytics
from adpilot.reporting.endpoints.query import Params
from adpilot.reporting.schemas.query import BreakdownSort, Dimension, Granularity
from adpilot.reporting.service.exports import (
    EXPORT_PAGE_SIZE,
    ExportRequest,
    ExportTooLarge,
    ExportView,
    content_disposition,
    export_service,
)
from adpilot.reporting.service.query import InvalidAnalyticsQuery
from adpilot.reporting.service.reports import report_service

router = APIRouter(prefix="/api/v1/orgs/{organization_id}/analytics", tags=["analytics"])

XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def export_request(
    query: Params,
    view: Annotated[ExportView, Query(description="The breakdown's rows or the time series' periods.")] = (
        ExportView.breakdown
    ),
    dimension: Annotated[Dimension, Query(description="Breakdown: what a row is.")] = Dimension.campaign,
    parent_platform_id: Annotated[
        str | None,
        Query(min_length=1, max_length=64, description="Breakdown: the campaign (ad_group) or ad group (ad)."),
    ] = None,
    sort: Annotated[BreakdownSort, Query(description="Breakdown: the row order.")] = BreakdownSort.spend_desc,
    granularity: Annotated[Granularity, Query(description="Time series: days, weeks or months.")] = Granularity.day,
) -> ExportRequest:
    """The query API's parameters plus the view and its own parameters."""
    return ExportRequest(query, view, dimension, parent_platform_id, sort, granularity)


Export = Annotated[ExportRequest, Depends(export_request)]


def _file(media_type: str, description: str) -> dict[int | str, dict[str, Any]]:
    return {
        200: {"content": {media_type: {"schema": {"type": "string", "format": "binary"}}}, "description": description}
    }


@router.get(
    "/export.csv",
    response_class=StreamingResponse,
    responses={
        **_file("text/csv", "The rows as CSV (UTF-8 with BOM), streamed; money in the reporting currency."),
        **problem_responses(InvalidAnalyticsQuery, InvalidCursor),
    },
)
async def export_analytics_csv(tenant: CanReadAnalytics, export: Export) -> StreamingResponse:
    """Download a breakdown or a time series as CSV, streamed page by page from one consistent snapshot."""
    table, chunks = await export_service.open_csv(tenant.organization_id, export, page_size=EXPORT_PAGE_SIZE)
    filename = export.file_stem(table.since, table.until) + ".csv"
    return StreamingResponse(
        chunks,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": content_disposition(filename), "Cache-Control": "no-store"},
    )


@router.get(
    "/export.xlsx",
    response_class=Response,
    responses={
        **_file(XLSX_MEDIA_TYPE, "The rows as an XLSX workbook with a totals row."),
        **problem_responses(InvalidAnalyticsQuery, InvalidCursor, ExportTooLarge),
    },
)
async def export_analytics_xlsx(tenant: CanReadAnalytics, export: Export) -> Response:
    """Download a breakdown or a time series as an XLSX workbook (typed cells, a totals row)."""
    async with export_service.snapshot(tenant.organization_id) as session:
        content, since, until = await export_service.xlsx_export(session, tenant.organization_id, export)
    return Response(
        content,
        media_type=XLSX_MEDIA_TYPE,
        headers={
            "Content-Disposition": content_disposition(export.file_stem(since, until) + ".xlsx"),
            "Cache-Control": "no-store",
        },
    )


@router.get(
    "/report.pdf",
    response_class=Response,
    responses={
        **_file("application/pdf", "The branded report: KPIs with deltas, charts, platforms, top campaigns."),
        **problem_responses(InvalidAnalyticsQuery),
    },
)
async def export_analytics_report(tenant: CanReadAnalytics, session: DbSession, query: Params) -> Response:
    """Download the branded PDF report of a date range (the organization's name and logo, KPIs, charts)."""
    pdf, content = await report_service.report_pdf_for_query(session, tenant, query)
    filename = f"adpilot-report-{content.since.isoformat()}-{content.until.isoformat()}.pdf"
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": content_disposition(filename), "Cache-Control": "no-store"},
    )
