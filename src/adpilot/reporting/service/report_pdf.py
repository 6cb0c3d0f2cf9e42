"""The branded PDF report: its content from the query service (KPIs with their change, series, platform shares,
top campaigns) and its rendering, HTML (Jinja2) with SVG charts (matplotlib) printed to PDF by WeasyPrint.
"""

from __future__ import annotations

import asyncio
import base64
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from adpilot.reporting.service.query import (
    PLATFORM_TITLES,
    AnalyticsQuery,
    BreakdownSort,
    Dimension,
    Granularity,
    Totals,
    analytics_query_service,
)

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
