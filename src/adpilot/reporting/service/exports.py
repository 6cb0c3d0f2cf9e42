"""Exports of the KPI query API: CSV (streamed page by page), XLSX, and the branded PDF report.

Every number comes from the query service (``analytics_query_service``); this module only lays it out. Money is
written as an exact decimal in the reporting currency (micros / 10^6), with the currency in the column header.
Text cells that a spreadsheet would read as a formula (``= + - @``, tab, carriage return) get a leading apostrophe.
"""

from __future__ import annotations

import asyncio
import base64
import csv
import io
from collections.abc import AsyncIterator, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
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
    PLATFORM_TITLES,
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


# --- the branded PDF report ----------------------------------------------------------------------------------------


class KpiKind(StrEnum):
    money = "money"
    number = "number"
    decimal = "decimal"
    ratio = "ratio"


@dataclass(frozen=True)
class Kpi:
    """One headline figure, and the comparison period's when the report compares."""

    label: str
    kind: KpiKind
    value: int | float | Decimal | None
    previous: int | float | Decimal | None
    # Whether a rise is good news (spend: neither; CPA and CPC: a fall is).
    higher_is_better: bool | None

    @property
    def delta(self) -> float | None:
        """The relative change against the comparison period (0.12 = +12 %); null without one or from zero."""
        if self.value is None or self.previous is None or not self.previous:
            return None
        return float((Decimal(str(self.value)) - Decimal(str(self.previous))) / abs(Decimal(str(self.previous))))


@dataclass(frozen=True)
class SeriesValue:
    period_start: date
    spend_micros: int | None
    conversions: Decimal | None
    conversion_value_micros: int | None


@dataclass(frozen=True)
class PlatformShare:
    platform: str
    spend_micros: int | None
    impressions: int
    clicks: int
    conversions: Decimal
    conversion_value_micros: int | None
    roas: float | None


@dataclass(frozen=True)
class CampaignLine:
    name: str
    platform: str
    ad_account_name: str | None
    spend_micros: int | None
    impressions: int
    clicks: int
    conversions: Decimal
    cpa_micros: int | None
    roas: float | None


@dataclass(frozen=True)
class ReportContent:
    """Everything a PDF report shows, already computed: the renderer only lays it out."""

    organization_name: str
    logo: bytes | None
    logo_content_type: str | None
    since: date
    until: date
    compare_since: date | None
    compare_until: date | None
    currency: str
    generated_at: datetime
    time_zone: str
    kpis: list[Kpi]
    series: list[SeriesValue]
    previous_series: list[SeriesValue] | None
    granularity: str
    platforms: list[PlatformShare]
    top_campaigns: list[CampaignLine]
    # Currencies and days no exchange rate covered: their money figures are missing from the totals.
    missing_rates: list[str]
    not_synced: list[str] = field(default_factory=list)


TOP_CAMPAIGNS = 10


def kpis_of(totals: Totals | None, previous: Totals | None) -> list[Kpi]:
    """The report's eight headline figures (null where the period is not synced)."""

    def pair(attribute: str) -> tuple[Any, Any]:
        return (
            getattr(totals, attribute) if totals is not None else None,
            getattr(previous, attribute) if previous is not None else None,
        )

    specs: list[tuple[str, KpiKind, str, bool | None]] = [
        ("Spend", KpiKind.money, "spend_micros", None),
        ("Impressions", KpiKind.number, "impressions", True),
        ("Clicks", KpiKind.number, "clicks", True),
        ("CTR", KpiKind.ratio, "ctr", True),
        ("Conversions", KpiKind.decimal, "conversions", True),
        ("CPA", KpiKind.money, "cpa_micros", False),
        ("Conversion value", KpiKind.money, "conversion_value_micros", True),
        ("ROAS", KpiKind.decimal, "roas", True),
    ]
    return [Kpi(label, kind, *pair(attribute), better) for label, kind, attribute, better in specs]


def _series(points: Sequence[Any]) -> list[SeriesValue]:
    return [
        SeriesValue(p.period_start, p.totals.spend_micros, p.totals.conversions, p.totals.conversion_value_micros)
        if p.totals is not None
        else SeriesValue(p.period_start, None, None, None)
        for p in points
    ]


def report_granularity(since: date, until: date) -> Granularity:
    days = (until - since).days + 1
    return Granularity.day if days <= 62 else Granularity.week if days <= 370 else Granularity.month


async def build_report_content(
    session: AsyncSession,
    organization_id: UUID,
    query: AnalyticsQuery,
    *,
    organization_name: str,
    logo: tuple[bytes, str] | None,
    time_zone: str,
    generated_at: datetime,
) -> ReportContent:
    """Fill a report from the query service: summary, time series, platform split and the top campaigns."""
    summary = await analytics_query_service.summary(session, organization_id, query)
    granularity = report_granularity(summary.range.since, summary.range.until)
    series = await analytics_query_service.timeseries(session, organization_id, query, granularity)
    platforms = await analytics_query_service.breakdown(
        session, organization_id, query, Dimension.platform, sort=BreakdownSort.spend_desc, limit=10
    )
    campaigns = await analytics_query_service.breakdown(
        session, organization_id, query, Dimension.campaign, sort=BreakdownSort.spend_desc, limit=TOP_CAMPAIGNS
    )
    gaps = {(gap.currency, gap.since, gap.until) for gap in [*summary.missing_rates, *series.missing_rates]}
    return ReportContent(
        organization_name=organization_name,
        logo=logo[0] if logo else None,
        logo_content_type=logo[1] if logo else None,
        since=summary.range.since,
        until=summary.range.until,
        compare_since=summary.range.compare_since,
        compare_until=summary.range.compare_until,
        currency=summary.currency,
        generated_at=generated_at,
        time_zone=time_zone,
        kpis=kpis_of(summary.totals, summary.previous),
        series=_series(series.points),
        previous_series=_series(series.previous_points) if series.previous_points is not None else None,
        granularity=granularity.value,
        platforms=[
            PlatformShare(
                row.key.name,
                row.totals.spend_micros,
                row.totals.impressions,
                row.totals.clicks,
                row.totals.conversions,
                row.totals.conversion_value_micros,
                row.totals.roas,
            )
            for row in platforms.rows
            if row.totals is not None
        ],
        top_campaigns=[
            CampaignLine(
                row.key.name,
                PLATFORM_TITLES.get(row.key.platform, row.key.platform.value),
                row.key.ad_account_name,
                row.totals.spend_micros,
                row.totals.impressions,
                row.totals.clicks,
                row.totals.conversions,
                row.totals.cpa_micros,
                row.totals.roas,
            )
            for row in campaigns.rows
            if row.totals is not None
        ],
        missing_rates=[f"{currency} {since:%Y-%m-%d} to {until:%Y-%m-%d}" for currency, since, until in sorted(gaps)],
        not_synced=sorted({gap.reason for gap in summary.not_synced}),
    )


# --- rendering: HTML (Jinja2) + charts (matplotlib, SVG) → PDF (WeasyPrint) ----------------------------------------

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
CURRENCY_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "INR": "₹", "BRL": "R$", "AUD": "A$", "CAD": "C$"}
ZERO_DECIMAL_CURRENCIES = {"JPY", "KRW", "VND", "CLP", "ISK", "HUF", "TWD", "IDR", "PYG", "UGX"}
PLATFORM_COLOURS = {"google": "#4285F4", "meta": "#1877F2", "tiktok": "#111111"}
ACCENT = "#4f46e5"
MINUS = "\u2212"


def format_money(micros: int | None, currency: str) -> str:
    if micros is None:
        return "n/a"
    decimals = 0 if currency in ZERO_DECIMAL_CURRENCIES else 2
    amount = f"{Decimal(micros).scaleb(-6):,.{decimals}f}"
    symbol = CURRENCY_SYMBOLS.get(currency)
    if amount.startswith("-"):
        return MINUS + (f"{symbol}{amount[1:]}" if symbol else f"{amount[1:]} {currency}")
    return f"{symbol}{amount}" if symbol else f"{amount} {currency}"


def format_kpi(kpi: Kpi, value: int | float | Decimal | None, currency: str) -> str:
    if value is None:
        return "n/a"
    match kpi.kind:
        case KpiKind.money:
            return format_money(int(value), currency)
        case KpiKind.number:
            return f"{int(value):,}"
        case KpiKind.ratio:
            return f"{float(value) * 100:.2f} %"
        case KpiKind.decimal:
            return f"{float(value):,.2f}"


def format_delta(delta: float | None) -> str:
    if delta is None:
        return ""
    sign = "+" if delta >= 0 else MINUS
    return f"{sign}{abs(delta) * 100:.1f} %"


def delta_tone(kpi: Kpi) -> str:
    delta = kpi.delta
    if delta is None or kpi.higher_is_better is None or abs(delta) < 0.0005:
        return "neutral"
    return "good" if (delta > 0) == kpi.higher_is_better else "bad"


def _svg(figure: Any) -> str:
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", bbox_inches="tight", transparent=True)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue().encode()).decode()


def _axes(width: float, height: float) -> tuple[Any, Any]:
    # The object API (no pyplot): thread-safe, and no GUI backend is ever loaded.
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height), dpi=100)
    axes = figure.add_subplot()
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    axes.tick_params(labelsize=7, colors="#475569")
    axes.grid(axis="y", color="#e2e8f0", linewidth=0.6)
    axes.set_axisbelow(True)
    return figure, axes


def series_chart(content: ReportContent, metric: str, title: str) -> str:
    """Bars of the period's values, the comparison period's as a dashed line (SVG data URI)."""
    import matplotlib

    with matplotlib.rc_context({"svg.hashsalt": "adpilot", "font.family": "DejaVu Sans"}):
        figure, axes = _axes(7.2, 1.7)
        money = metric != "conversions"

        def values(points: Sequence[SeriesValue]) -> list[float]:
            raw = [getattr(p, metric) for p in points]
            return [float(Decimal(v).scaleb(-6)) if money and v is not None else float(v or 0) for v in raw]

        positions = list(range(len(content.series)))
        axes.bar(positions, values(content.series), color=ACCENT, width=0.7, label="This period")
        if content.previous_series:
            axes.plot(
                positions[: len(content.previous_series)],
                values(content.previous_series),
                color="#94a3b8",
                linestyle="--",
                linewidth=1.2,
                label="Comparison period",
            )
            axes.legend(fontsize=7, frameon=False, loc="upper left")
        step = max(1, len(positions) // 8)
        axes.set_xticks(positions[::step])
        axes.set_xticklabels([p.period_start.strftime("%d %b") for p in content.series][::step])
        axes.set_title(title, fontsize=9, loc="left", color="#0f172a")
        return _svg(figure)


def platform_chart(content: ReportContent) -> str:
    import matplotlib

    with matplotlib.rc_context({"svg.hashsalt": "adpilot", "font.family": "DejaVu Sans"}):
        figure, axes = _axes(3.4, 1.9)
        shares = [p for p in content.platforms if p.spend_micros]
        labels = [p.platform for p in shares]
        spend = [float(Decimal(p.spend_micros or 0).scaleb(-6)) for p in shares]
        colours = [PLATFORM_COLOURS.get(_platform_key(p.platform), ACCENT) for p in shares]
        axes.barh(labels, spend, color=colours, height=0.6)
        axes.invert_yaxis()
        axes.grid(axis="x", color="#e2e8f0", linewidth=0.6)
        axes.grid(axis="y", visible=False)
        axes.set_title(f"Spend by platform ({content.currency})", fontsize=9, loc="left", color="#0f172a")
        return _svg(figure)


def _platform_key(title: str) -> str:
    return title.split()[0].lower()


def report_html(content: ReportContent) -> str:
    """The report as HTML (charts embedded as SVG data URIs; nothing is fetched from anywhere)."""
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    environment = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]))
    logo = (
        f"data:{content.logo_content_type};base64,{base64.b64encode(content.logo).decode()}"
        if content.logo is not None and content.logo_content_type
        else None
    )
    has_spend = any(p.spend_micros for p in content.series)
    return environment.get_template("report.html").render(
        content=content,
        css=(TEMPLATES / "report.css").read_text(encoding="utf-8"),
        logo=logo,
        kpis=[
            {
                "label": kpi.label,
                "value": format_kpi(kpi, kpi.value, content.currency),
                "previous": format_kpi(kpi, kpi.previous, content.currency) if content.compare_since else None,
                "delta": format_delta(kpi.delta),
                "tone": delta_tone(kpi),
            }
            for kpi in content.kpis
        ],
        spend_chart=series_chart(content, "spend_micros", f"Spend ({content.currency})") if has_spend else None,
        conversions_chart=series_chart(content, "conversions", "Conversions") if has_spend else None,
        platform_chart=platform_chart(content) if any(p.spend_micros for p in content.platforms) else None,
        money=lambda micros: format_money(micros, content.currency),
        count=lambda value: f"{int(value):,}",
        decimal=lambda value: "n/a" if value is None else f"{float(value):,.2f}",
    )


def render_report_pdf(content: ReportContent) -> bytes:
    """The PDF (CPU-bound: call it in a worker thread). Only data: URLs may be loaded while rendering."""
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    fetcher = URLFetcher(allowed_protocols={"data"})
    pdf: bytes = HTML(string=report_html(content), url_fetcher=fetcher).write_pdf()
    return pdf


async def report_pdf(content: ReportContent) -> bytes:
    return await asyncio.to_thread(render_report_pdf, content)
