"""Exports of the KPI query API: CSV (streamed page by page) and XLSX; the branded PDF report is report_pdf.py.

Every number comes from the query service (``analytics_query_service``); this module only lays it out. Money is
written as an exact decimal in the reporting currency (micros / 10^6), with the currency in the column header.
Text cells that a spreadsheet would read as a formula (``= + - @``, tab, carriage return) get a leading apostrophe.
"""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Any
from uuid import UUID

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import Cell as XlsxCell
from openpyxl.styles import Font
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from sqlalchemy.ext.asyncio import AsyncSession

from adpilot.core.errors import Conflict
from adpilot.db import get_database, set_tenant, use_read_snapshot
from adpilot.reporting.service.query import (
    AnalyticsQuery,
    Breakdown,
    BreakdownSort,
    Dimension,
    Granularity,
    Summary,
    TimeSeries,
    Totals,
    analytics_query_service,
)

# Rows per query page while streaming a CSV (the query service's largest page).
EXPORT_PAGE_SIZE = 500
# An XLSX is built whole before it is sent: beyond this many rows, the streamed CSV is the way.
MAX_XLSX_ROWS = 100_000
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


class ExportView(StrEnum):
    breakdown = "breakdown"
    timeseries = "timeseries"


class ExportTooLarge(Conflict):
    code = "export-too-large"
    title = "The export has too many rows for a spreadsheet; download the CSV (streamed) or narrow the query"


class ColumnKind(StrEnum):
    text = "text"
    date = "date"
    integer = "integer"
    decimal = "decimal"
    money = "money"
    ratio = "ratio"


Cell = str | int | Decimal | date | None


@dataclass(frozen=True)
class Column:
    title: str
    kind: ColumnKind


@dataclass(frozen=True)
class ExportRequest:
    """What to export: the query, the view and the view's own parameters."""

    query: AnalyticsQuery
    view: ExportView
    dimension: Dimension = Dimension.campaign
    parent_platform_id: str | None = None
    sort: BreakdownSort = BreakdownSort.spend_desc
    granularity: Granularity = Granularity.day

    def file_stem(self, since: date, until: date) -> str:
        detail = self.dimension.value if self.view is ExportView.breakdown else self.granularity.value
        return f"adpilot-{self.view.value}-{detail}-{since.isoformat()}-{until.isoformat()}"


# --- cells ---------------------------------------------------------------------------------------------------------


def micros_to_decimal(micros: int | None) -> Decimal | None:
    """An exact decimal amount from micros (15230000 → 15.23)."""
    if micros is None:
        return None
    value = Decimal(micros).scaleb(-6)
    # At least two decimals, no trailing zeros beyond them: 15.23, 15.00, 0.123456.
    return value.quantize(Decimal("0.01")) if value == value.quantize(Decimal("0.01")) else value.normalize()


def _ratio(value: float | None) -> Decimal | None:
    return None if value is None else Decimal(repr(value))


def safe_text(value: str) -> str:
    """A text cell no spreadsheet evaluates as a formula."""
    return "'" + value if value.startswith(FORMULA_PREFIXES) else value


def _metric_columns(currency: str, prefix: str = "") -> list[Column]:
    title = (prefix + " {}").strip() if prefix else "{}"

    def named(label: str) -> str:
        text = title.format(label)
        return text[0].upper() + text[1:]

    return [
        Column(named("impressions"), ColumnKind.integer),
        Column(named("clicks"), ColumnKind.integer),
        Column(named(f"spend ({currency})"), ColumnKind.money),
        Column(named("conversions"), ColumnKind.decimal),
        Column(named(f"conversion value ({currency})"), ColumnKind.money),
        Column(named("CTR"), ColumnKind.ratio),
        Column(named(f"CPC ({currency})"), ColumnKind.money),
        Column(named(f"CPM ({currency})"), ColumnKind.money),
        Column(named(f"CPA ({currency})"), ColumnKind.money),
        Column(named("ROAS"), ColumnKind.decimal),
        Column(named("conversion rate"), ColumnKind.ratio),
    ]


def _metric_cells(totals: Totals | None) -> list[Cell]:
    if totals is None:
        return [None] * 11
    return [
        totals.impressions,
        totals.clicks,
        micros_to_decimal(totals.spend_micros),
        Decimal(totals.conversions).normalize() if totals.conversions else Decimal(0),
        micros_to_decimal(totals.conversion_value_micros),
        _ratio(totals.ctr),
        micros_to_decimal(totals.cpc_micros),
        micros_to_decimal(totals.cpm_micros),
        micros_to_decimal(totals.cpa_micros),
        _ratio(totals.roas),
        _ratio(totals.conversion_rate),
    ]


KEY_COLUMNS = [
    Column("Platform", ColumnKind.text),
    Column("Ad account", ColumnKind.text),
    Column("Campaign ID", ColumnKind.text),
    Column("ID", ColumnKind.text),
    Column("Name", ColumnKind.text),
    Column("Status", ColumnKind.text),
    Column("Account currency", ColumnKind.text),
]


def breakdown_columns(currency: str, compare: bool) -> list[Column]:
    columns = [*KEY_COLUMNS, *_metric_columns(currency)]
    return columns + (_metric_columns(currency, "previous") if compare else [])


def breakdown_rows(answer: Breakdown, compare: bool) -> list[list[Cell]]:
    rows: list[list[Cell]] = []
    for row in answer.rows:
        key = row.key
        cells: list[Cell] = [
            key.platform.value,
            key.ad_account_name,
            key.campaign_platform_id,
            key.entity_platform_id,
            key.name,
            key.status,
            key.native_currency,
            *_metric_cells(row.totals),
        ]
        if compare:
            cells += _metric_cells(row.previous)
        rows.append(cells)
    return rows


def timeseries_columns(currency: str, compare: bool) -> list[Column]:
    columns = [Column("Period start", ColumnKind.date), Column("Period end", ColumnKind.date)]
    columns += _metric_columns(currency)
    if compare:
        columns += [Column("Previous period start", ColumnKind.date), Column("Previous period end", ColumnKind.date)]
        columns += _metric_columns(currency, "previous")
    return columns


def timeseries_rows(answer: TimeSeries) -> list[list[Cell]]:
    rows: list[list[Cell]] = []
    previous = answer.previous_points
    for index, point in enumerate(answer.points):
        cells: list[Cell] = [point.period_start, point.period_end, *_metric_cells(point.totals)]
        if previous is not None:
            before = previous[index] if index < len(previous) else None
            cells += [before.period_start if before else None, before.period_end if before else None]
            cells += _metric_cells(before.totals if before else None)
        rows.append(cells)
    return rows


def csv_cell(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return safe_text(value)
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def csv_line(cells: Sequence[Cell]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow([csv_cell(cell) for cell in cells])
    return buffer.getvalue()


# --- the table: pages from the query service ----------------------------------------------------------------------


@dataclass(frozen=True)
class ExportTable:
    """The first page (fetched in the request, so a bad query is a problem answer, not a broken download) and
    the way to fetch the rest."""

    columns: list[Column]
    first_rows: list[list[Cell]]
    next_cursor: str | None
    total_count: int
    currency: str
    since: date
    until: date


class ExportService:
    async def open_table(
        self, session: AsyncSession, organization_id: UUID, request: ExportRequest, *, page_size: int
    ) -> ExportTable:
        """The export's columns and first page (the whole time series: it is at most a few thousand periods)."""
        compare = request.query.compare.value != "none"
        if request.view is ExportView.timeseries:
            series = await analytics_query_service.timeseries(
                session, organization_id, request.query, request.granularity
            )
            rows = timeseries_rows(series)
            return ExportTable(
                timeseries_columns(series.currency, compare),
                rows,
                None,
                len(rows),
                series.currency,
                series.range.since,
                series.range.until,
            )
        answer = await self._breakdown_page(session, organization_id, request, None, page_size)
        return ExportTable(
            breakdown_columns(answer.currency, compare),
            breakdown_rows(answer, compare),
            answer.next_cursor,
            answer.total_count,
            answer.currency,
            answer.range.since,
            answer.range.until,
        )

    async def _breakdown_page(
        self, session: AsyncSession, organization_id: UUID, request: ExportRequest, cursor: str | None, limit: int
    ) -> Breakdown:
        return await analytics_query_service.breakdown(
            session,
            organization_id,
            request.query,
            request.dimension,
            parent_platform_id=request.parent_platform_id,
            sort=request.sort,
            limit=limit,
            cursor=cursor,
        )

    async def remaining_pages(
        self,
        session: AsyncSession,
        organization_id: UUID,
        request: ExportRequest,
        cursor: str | None,
        *,
        page_size: int,
    ) -> AsyncIterator[list[list[Cell]]]:
        """The pages after the first, read in the export's snapshot, so no more than one page is ever in memory."""
        compare = request.query.compare.value != "none"
        while cursor is not None:
            answer = await self._breakdown_page(session, organization_id, request, cursor, page_size)
            yield breakdown_rows(answer, compare)
            cursor = answer.next_cursor

    @asynccontextmanager
    async def snapshot(self, organization_id: UUID) -> AsyncIterator[AsyncSession]:
        """A read-only REPEATABLE READ transaction of the organization: every page of an export read in it sees
        the same data, so a sync that commits mid-download can neither repeat nor skip a row."""
        async with get_database().transaction() as session:
            await use_read_snapshot(session)
            await set_tenant(session, organization_id)
            yield session

    async def open_csv(
        self, organization_id: UUID, request: ExportRequest, *, page_size: int
    ) -> tuple[ExportTable, AsyncIterator[bytes]]:
        """The export's first page (read now, so a bad query raises before anything is sent) and the whole CSV as a
        stream of chunks; every page comes from one snapshot, which the stream closes when it ends."""
        stack = AsyncExitStack()
        session = await stack.enter_async_context(self.snapshot(organization_id))
        try:
            table = await self.open_table(session, organization_id, request, page_size=page_size)
        except BaseException as exc:
            await stack.__aexit__(type(exc), exc, exc.__traceback__)
            raise
        return table, self._csv_chunks(stack, session, organization_id, request, table, page_size)

    async def _csv_chunks(
        self,
        stack: AsyncExitStack,
        session: AsyncSession,
        organization_id: UUID,
        request: ExportRequest,
        table: ExportTable,
        page_size: int,
    ) -> AsyncIterator[bytes]:
        async with stack:
            async for chunk in self.csv_stream(session, organization_id, request, table, page_size=page_size):
                yield chunk

    async def csv_stream(
        self,
        session: AsyncSession,
        organization_id: UUID,
        request: ExportRequest,
        table: ExportTable,
        *,
        page_size: int,
    ) -> AsyncIterator[bytes]:
        """The CSV, header first, page by page (UTF-8 with a byte-order mark, so spreadsheets read the accents)."""
        yield ("\ufeff" + csv_line([column.title for column in table.columns])).encode()
        yield "".join(csv_line(row) for row in table.first_rows).encode()
        pages = self.remaining_pages(session, organization_id, request, table.next_cursor, page_size=page_size)
        async for rows in pages:
            yield "".join(csv_line(row) for row in rows).encode()

    async def csv_bytes(self, session: AsyncSession, organization_id: UUID, request: ExportRequest) -> bytes:
        """The whole CSV at once, in the caller's transaction (for mail attachments)."""
        table = await self.open_table(session, organization_id, request, page_size=EXPORT_PAGE_SIZE)
        parts = ["\ufeff" + csv_line([column.title for column in table.columns])]
        parts += [csv_line(row) for row in table.first_rows]
        cursor = table.next_cursor
        compare = request.query.compare.value != "none"
        while cursor is not None:
            answer = await self._breakdown_page(session, organization_id, request, cursor, EXPORT_PAGE_SIZE)
            parts += [csv_line(row) for row in breakdown_rows(answer, compare)]
            cursor = answer.next_cursor
        return "".join(parts).encode()

    async def xlsx_export(
        self, session: AsyncSession, organization_id: UUID, request: ExportRequest
    ) -> tuple[bytes, date, date]:
        """The export as an XLSX workbook (typed cells, money and percent formats) with a totals row, and its
        range."""
        table = await self.open_table(session, organization_id, request, page_size=EXPORT_PAGE_SIZE)
        if table.total_count > MAX_XLSX_ROWS:
            raise ExportTooLarge(f"{table.total_count} rows; a spreadsheet export holds at most {MAX_XLSX_ROWS}.")
        summary = await analytics_query_service.summary(session, organization_id, request.query)
        workbook = Workbook(write_only=True)
        sheet: WriteOnlyWorksheet = workbook.create_sheet(
            "Breakdown" if request.view is ExportView.breakdown else "Time series"
        )
        bold = Font(bold=True)
        sheet.append([_xlsx_cell(sheet, column.title, ColumnKind.text, bold) for column in table.columns])
        compare = request.query.compare.value != "none"
        for row in table.first_rows:
            sheet.append(_xlsx_row(sheet, table.columns, row))
        cursor = table.next_cursor
        while cursor is not None:
            answer = await self._breakdown_page(session, organization_id, request, cursor, EXPORT_PAGE_SIZE)
            for row in breakdown_rows(answer, compare):
                sheet.append(_xlsx_row(sheet, table.columns, row))
            cursor = answer.next_cursor
        sheet.append(_xlsx_row(sheet, table.columns, totals_row(table.columns, summary, request.view), bold))
        buffer = io.BytesIO()
        workbook.save(buffer)
        return buffer.getvalue(), table.since, table.until


def totals_row(columns: Sequence[Column], summary: Summary, view: ExportView) -> list[Cell]:
    """ "Total" under the key columns, then the summary's totals (and the comparison's, when asked)."""
    lead = len(KEY_COLUMNS) if view is ExportView.breakdown else 2
    cells: list[Cell] = ["Total", *([None] * (lead - 1)), *_metric_cells(summary.totals)]
    if summary.range.compare_since is not None:
        if view is ExportView.timeseries:
            cells += [summary.range.compare_since, summary.range.compare_until]
        cells += _metric_cells(summary.previous)
    return cells[: len(columns)] + [None] * (len(columns) - len(cells))


XLSX_FORMATS = {
    ColumnKind.money: "#,##0.00",
    ColumnKind.ratio: "0.00%",
    ColumnKind.decimal: "0.00",
    ColumnKind.date: "yyyy-mm-dd",
    ColumnKind.integer: "#,##0",
}


def _xlsx_cell(sheet: WriteOnlyWorksheet, value: Cell, kind: ColumnKind, font: Font | None = None) -> XlsxCell:
    written: Any = safe_text(value) if isinstance(value, str) else value
    cell = WriteOnlyCell(sheet, value=written)
    if kind in XLSX_FORMATS and not isinstance(value, str):
        cell.number_format = XLSX_FORMATS[kind]
    if font is not None:
        cell.font = font
    return cell


def _xlsx_row(
    sheet: WriteOnlyWorksheet, columns: Sequence[Column], row: Sequence[Cell], font: Font | None = None
) -> list[XlsxCell]:
    return [_xlsx_cell(sheet, value, column.kind, font) for column, value in zip(columns, row, strict=True)]


def content_disposition(filename: str) -> str:
    """An attachment header; the name is ASCII (built from dates and enum values), so no RFC 5987 form is needed."""
    return f'attachment; filename="{filename}"'


export_service = ExportService()
