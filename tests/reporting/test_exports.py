"""Exports: the streamed CSV (content, paging, formula escaping), the XLSX (read back, totals) and the PDF report
(rendered to an image that is not blank, with the organization's name and the KPI values in its text)."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, cast
from uuid import UUID

import httpx
import pypdfium2
import pytest
from openpyxl import load_workbook
from PIL import Image

from adpilot.db import Database
from adpilot.platforms.types import EntityLevel, Platform
from adpilot.reporting.service.exports import ExportRequest, ExportView, export_service
from adpilot.reporting.service.query import AnalyticsQuery, BreakdownSort, analytics_query_service
from tests.fixtures import OrgWorld
from tests.metrics.helpers import add_ad_account, daily_row, ingest

pytestmark = pytest.mark.usefixtures("database")

SINCE = date(2026, 3, 1)
UNTIL = date(2026, 3, 4)
DAYS = [SINCE + timedelta(days=i) for i in range(4)]
NAMES = {"c1": '=HYPERLINK("http://evil")', "c2": 'Brand, Search "EU"', "c3": "+Retargeting", "c4": "Prospecting"}
# Spend per day of each campaign, in micros: c1 10.00, c2 7.50, c3 2.25, c4 0.123456.
SPEND = {"c1": 10_000_000, "c2": 7_500_000, "c3": 2_250_000, "c4": 123_456}


async def seed(database: Database, organization_id: str) -> None:
    target = await add_ad_account(database, organization_id, Platform.google, name="Main account")
    rows = [
        daily_row(EntityLevel.campaign, c, d, name=NAMES[c], spend_micros=SPEND[c], clicks=10, impressions=400)
        for d in DAYS
        for c in NAMES
    ]
    await ingest(database, target, EntityLevel.campaign, SINCE, UNTIL, rows)


def url(world: OrgWorld, path: str) -> str:
    return f"/api/v1/orgs/{world.organization_id}/analytics/{path}"


async def sync_after_first_page(database: Database, world: OrgWorld, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """After the export reads its first page, a sync of another account commits a campaign that sorts first by
    spend (a reader that re-reads the data per page then repeats a row and drops the last). Returns the page calls."""
    target = await add_ad_account(database, world.organization_id, Platform.google, name="Second account")
    await ingest(database, target, EntityLevel.campaign, SINCE, UNTIL, [])  # synced, nothing spent yet
    real_breakdown = analytics_query_service.breakdown
    calls: list[int] = []

    async def breakdown_then_sync(*args: Any, **kwargs: Any) -> Any:
        answer = await real_breakdown(*args, **kwargs)
        calls.append(1)
        if len(calls) == 1:
            rows = [daily_row(EntityLevel.campaign, "c9", d, name="New", spend_micros=90_000_000) for d in DAYS]
            await ingest(database, target, EntityLevel.campaign, SINCE, UNTIL, rows)
        return answer

    monkeypatch.setattr(analytics_query_service, "breakdown", breakdown_then_sync)
    return calls


RANGE = {"since": SINCE.isoformat(), "until": UNTIL.isoformat()}


class TestCsv:
    async def test_breakdown_rows_money_and_formula_escaping(
        self, client: httpx.AsyncClient, world: OrgWorld, database: Database
    ) -> None:
        await seed(database, world.organization_id)
        response = await client.get(
            url(world, "export.csv"),
            params={**RANGE, "view": "breakdown", "dimension": "campaign"},
            headers=world.viewer.headers,
        )
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith("text/csv")
        assert response.headers["content-disposition"] == (
            'attachment; filename="adpilot-breakdown-campaign-2026-03-01-2026-03-04.csv"'
        )
        text = response.content.decode("utf-8-sig")
        rows = list(csv.DictReader(io.StringIO(text)))
        assert [r["Name"] for r in rows] == [
            '\'=HYPERLINK("http://evil")',
            'Brand, Search "EU"',
            "'+Retargeting",
            "Prospecting",
        ]
        by_id = {r["ID"]: r for r in rows}
        assert by_id["c1"]["Spend (USD)"] == "40.00"
        assert by_id["c4"]["Spend (USD)"] == "0.493824"
        assert by_id["c2"]["Clicks"] == "40"
        assert by_id["c2"]["Platform"] == "google"
        assert by_id["c2"]["Ad account"] == "Main account"
        assert by_id["c1"]["CTR"] == "0.025"

    async def test_pages_are_streamed_in_order_without_gaps(
        self, client: httpx.AsyncClient, world: OrgWorld, database: Database, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        await seed(database, world.organization_id)
        monkeypatch.setattr("adpilot.reporting.endpoints.exports.EXPORT_PAGE_SIZE", 1)
        response = await client.get(
            url(world, "export.csv"), params={**RANGE, "sort": "name"}, headers=world.viewer.headers
        )
        assert response.status_code == 200
        rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
        assert [r["ID"] for r in rows] == ["c3", "c1", "c2", "c4"]  # by name: "+…", "=…", "Brand…", "Prospecting"

        # The body is produced one page at a time: the header, the first page, then each later page.
        organization_id = UUID(world.organization_id)
        request = ExportRequest(AnalyticsQuery(since=SINCE, until=UNTIL), ExportView.breakdown, sort=BreakdownSort.name)
        _, stream = await export_service.open_csv(organization_id, request, page_size=1)
        chunks = [chunk async for chunk in stream]
        assert len(chunks) == 1 + 4
        assert b"".join(chunks) == response.content

    async def test_a_sync_committed_mid_download_neither_duplicates_nor_drops_rows(
        self, client: httpx.AsyncClient, world: OrgWorld, database: Database, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        await seed(database, world.organization_id)
        monkeypatch.setattr("adpilot.reporting.endpoints.exports.EXPORT_PAGE_SIZE", 1)
        calls = await sync_after_first_page(database, world, monkeypatch)
        response = await client.get(
            url(world, "export.csv"), params={**RANGE, "sort": "-spend"}, headers=world.viewer.headers
        )
        assert response.status_code == 200, response.text
        rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
        # One snapshot: the rows as they were when the download began, each exactly once.
        assert [r["ID"] for r in rows] == ["c1", "c2", "c3", "c4"]
        assert calls == [1, 1, 1, 1]

    async def test_timeseries_has_every_day_and_a_comparison(
        self, client: httpx.AsyncClient, world: OrgWorld, database: Database
    ) -> None:
        await seed(database, world.organization_id)
        response = await client.get(
            url(world, "export.csv"),
            params={**RANGE, "view": "timeseries", "granularity": "day", "compare": "previous_period"},
            headers=world.viewer.headers,
        )
        assert response.status_code == 200, response.text
        rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
        assert [r["Period start"] for r in rows] == [d.isoformat() for d in DAYS]
        assert {r["Spend (USD)"] for r in rows} == {"19.873456"}
        # The comparison period was never synced: its figures are empty, not zeros.
        assert {r["Previous spend (USD)"] for r in rows} == {""}
        assert rows[0]["Previous period start"] == "2026-02-25"

    async def test_a_bad_query_is_a_problem_not_a_broken_download(
        self, client: httpx.AsyncClient, world: OrgWorld
    ) -> None:
        response = await client.get(
            url(world, "export.csv"),
            params={"since": "2026-03-04", "until": "2026-03-01"},
            headers=world.viewer.headers,
        )
        assert response.status_code == 422
        assert response.headers["content-type"] == "application/problem+json"

    async def test_another_organization_sees_nothing_of_it(
        self, client: httpx.AsyncClient, world: OrgWorld, database: Database
    ) -> None:
        await seed(database, world.organization_id)
        response = await client.get(
            f"/api/v1/orgs/{world.other_organization_id}/analytics/export.csv",
            params=RANGE,
            headers=world.outsider.headers,
        )
        assert response.status_code == 200
        assert list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))[1:] == []


class TestXlsx:
    async def test_opens_with_typed_cells_and_the_right_totals(
        self, client: httpx.AsyncClient, world: OrgWorld, database: Database
    ) -> None:
        await seed(database, world.organization_id)
        response = await client.get(url(world, "export.xlsx"), params=RANGE, headers=world.viewer.headers)
        assert response.status_code == 200, response.text
        assert response.headers["content-disposition"].endswith('.xlsx"')
        sheet = load_workbook(io.BytesIO(response.content), read_only=True).active
        assert sheet is not None
        rows = list(sheet.iter_rows(values_only=True))
        header, body, total = rows[0], rows[1:-1], rows[-1]
        spend = header.index("Spend (USD)")
        assert len(body) == 4
        assert body[0][header.index("Name")] == '\'=HYPERLINK("http://evil")'
        assert total[0] == "Total"
        assert Decimal(str(total[spend])) == Decimal("79.493824")
        assert sum(Decimal(str(r[spend])) for r in body) == Decimal("79.493824")
        assert total[header.index("Clicks")] == 160

    async def test_a_sync_committed_mid_export_neither_duplicates_nor_drops_rows(
        self, client: httpx.AsyncClient, world: OrgWorld, database: Database, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        await seed(database, world.organization_id)
        monkeypatch.setattr("adpilot.reporting.service.exports.EXPORT_PAGE_SIZE", 1)
        calls = await sync_after_first_page(database, world, monkeypatch)
        response = await client.get(
            url(world, "export.xlsx"), params={**RANGE, "sort": "-spend"}, headers=world.viewer.headers
        )
        assert response.status_code == 200, response.text
        sheet = load_workbook(io.BytesIO(response.content), read_only=True).active
        assert sheet is not None
        rows = list(sheet.iter_rows(values_only=True))
        header, body, total = rows[0], rows[1:-1], rows[-1]
        assert [r[header.index("ID")] for r in body] == ["c1", "c2", "c3", "c4"]
        # The totals row is read in the same snapshot: it is the sum of the rows above it.
        assert Decimal(str(total[header.index("Spend (USD)")])) == Decimal("79.493824")
        assert len(calls) == 4

    async def test_too_many_rows_for_a_spreadsheet_is_a_conflict(
        self, client: httpx.AsyncClient, world: OrgWorld, database: Database, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        await seed(database, world.organization_id)
        monkeypatch.setattr("adpilot.reporting.service.exports.MAX_XLSX_ROWS", 3)
        response = await client.get(url(world, "export.xlsx"), params=RANGE, headers=world.viewer.headers)
        assert response.status_code == 409
        assert response.json()["code"] == "export-too-large"


def page_image(pdf: bytes, mode: str = "L") -> Image.Image:
    document = pypdfium2.PdfDocument(pdf)
    try:
        image: Image.Image = document[0].render(scale=1).to_pil()
        return image.convert(mode)
    finally:
        document.close()


def pdf_text(pdf: bytes) -> str:
    document = pypdfium2.PdfDocument(pdf)
    try:
        return "\n".join(document[i].get_textpage().get_text_range() for i in range(len(document)))
    finally:
        document.close()


def ink(image: Image.Image) -> float:
    """The share of pixels that are not white."""
    histogram = image.histogram()
    return 1 - sum(histogram[245:]) / (image.width * image.height)


class TestPdf:
    async def test_renders_the_brand_the_kpis_and_the_charts(
        self, client: httpx.AsyncClient, world: OrgWorld, database: Database
    ) -> None:
        await seed(database, world.organization_id)
        response = await client.get(
            url(world, "report.pdf"), params={**RANGE, "compare": "previous_period"}, headers=world.viewer.headers
        )
        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == "application/pdf"
        assert response.content.startswith(b"%PDF")
        image = page_image(response.content)
        assert image.width > 500
        assert ink(image) > 0.03, "page 1 is blank"
        text = pdf_text(response.content)
        assert "ACME" in text.upper()
        assert "$79.49" in text  # spend
        assert "160" in text  # clicks
        assert "Prospecting" in text  # top campaigns
        # The comparison period was never synced: the report says so rather than showing zeros.
        assert "Main account: not synced before 1 Mar 2026" in " ".join(text.split())

    async def test_a_logo_is_printed_and_validated(
        self, client: httpx.AsyncClient, world: OrgWorld, database: Database
    ) -> None:
        await seed(database, world.organization_id)
        logo = io.BytesIO()
        Image.new("RGB", (240, 80), (220, 30, 30)).save(logo, format="PNG")
        logo_url = f"/api/v1/orgs/{world.organization_id}/branding/logo"
        put = await client.put(logo_url, content=logo.getvalue(), headers=world.admin.headers)
        assert put.status_code == 200, put.text
        assert put.json()["logo_content_type"] == "image/png"
        fetched = await client.get(logo_url, headers=world.viewer.headers)
        assert fetched.content == logo.getvalue()
        response = await client.get(url(world, "report.pdf"), params=RANGE, headers=world.viewer.headers)
        image = page_image(response.content, "RGB")
        pixels = cast("tuple[tuple[int, int, int], ...]", image.get_flattened_data())  # RGB: one triple a pixel
        reds = sum(1 for r, g, b in pixels if r > 180 and g < 80 and b < 80)
        assert reds > 500, "the red logo is not on page 1"

        for bad in (
            b"GIF89a....",
            b"<!DOCTYPE svg><svg xmlns='http://www.w3.org/2000/svg'></svg>",
            b"\x89PNG\r\n\x1a\nnot really",
            b"x" * (256 * 1024 + 1),
        ):
            refused = await client.put(logo_url, content=bad, headers=world.admin.headers)
            assert refused.status_code == 422, refused.text
            assert refused.json()["code"] == "logo-invalid"
        svg = b"<svg xmlns='http://www.w3.org/2000/svg' width='10' height='10'><rect width='10' height='10'/></svg>"
        assert (await client.put(logo_url, content=svg, headers=world.admin.headers)).status_code == 200
        # An SVG is stored sanitized: script and event handlers are gone, the drawing stays.
        hostile = b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'><script>alert(2)</script><rect/></svg>"
        assert (await client.put(logo_url, content=hostile, headers=world.admin.headers)).status_code == 200
        stored = (await client.get(logo_url, headers=world.viewer.headers)).text
        assert "alert" not in stored
        assert "<rect" in stored
        assert (await client.delete(logo_url, headers=world.admin.headers)).status_code == 204
        assert (await client.get(logo_url, headers=world.viewer.headers)).status_code == 404

    async def test_an_empty_period_still_renders(self, client: httpx.AsyncClient, world: OrgWorld) -> None:
        response = await client.get(url(world, "report.pdf"), params=RANGE, headers=world.viewer.headers)
        assert response.status_code == 200
        assert "No spend in this period" in pdf_text(response.content)
