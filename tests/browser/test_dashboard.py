"""The demo dashboard in a real browser: a demo server (`adpilot serve` with its demo workspace, whose numbers flow
from the sandbox's emulators through the real adapters into the store) is opened, the date range changed, a
campaign drilled into, and the table's CSV and the PDF report downloaded — the PDF is rendered to an image."""

from __future__ import annotations

import csv
import importlib
import io
import re
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
from playwright.async_api import Page, expect

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, WEB_DIST, require_browser
from tests.servers import ROOT, start_server

DEMO_EMAIL = "demo@example.com"
DEMO_PASSWORD = "a-demo-passphrase-for-browser-tests"
# The demo's metrics backfill runs in the server's in-process worker after start-up, and converted figures wait for
# the next reference-rate check after it (once a minute, behind the backfills on the platform queue). On a loaded
# machine, right after the backend suite, that took longer than two minutes.
DATA_TIMEOUT_MS = 240_000


@pytest.fixture(scope="module")
def demo_server_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real adpilot server with the demo workspace, its own embedded PostgreSQL and port; stopped at the end."""
    require_browser()
    log_path = tmp_path_factory.mktemp("demo-server") / "server.log"
    demo = {"ADPILOT_DEMO_EMAIL": DEMO_EMAIL, "ADPILOT_DEMO_PASSWORD": DEMO_PASSWORD}
    with start_server(ROOT / ".adpilot-browser-demo", log_path, env=demo, fresh_home=True) as server:
        yield server.url


@pytest.fixture
async def demo_page(demo_server_url: str) -> AsyncIterator[Page]:
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = await browser.new_context(base_url=demo_server_url, accept_downloads=True)
        page = await context.new_page()
        page.set_default_timeout(20_000)
        try:
            yield page
        finally:
            await context.close()
            await browser.close()


def search_of(page: Page) -> dict[str, list[str]]:
    return parse_qs(urlparse(page.url).query)


async def test_demo_dashboard_range_drill_down_and_downloads(demo_page: Page, tmp_path: Path) -> None:
    page = demo_page
    await page.goto("/login")
    await page.get_by_label("Email").fill(DEMO_EMAIL)
    await page.get_by_label("Password", exact=True).fill(DEMO_PASSWORD)
    await page.get_by_role("button", name="Log in").click()

    # The organization's home is the dashboard; it fills itself in as the demo's backfill lands.
    await expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    key_figures = page.get_by_role("list", name="Key figures")
    spend = key_figures.get_by_role("group", name="Spend", exact=True)
    await expect(spend).to_contain_text(re.compile(r"\$\d[\d,]*\.\d\d"), timeout=DATA_TIMEOUT_MS)
    await expect(page.get_by_text(re.compile(r"^Data as of "))).to_be_visible(timeout=DATA_TIMEOUT_MS)
    campaigns = page.get_by_role("table", name=re.compile(r"^Campaigns"))
    await expect(campaigns).to_be_visible()
    platforms = page.get_by_role("table", name="Spend, conversions and ROAS by platform")
    for platform in ("Google Ads", "Meta Ads", "TikTok Ads"):
        await expect(platforms.get_by_role("rowheader", name=platform)).to_be_visible(timeout=DATA_TIMEOUT_MS)
    # The charts (loaded on demand) draw: spend, conversions and ROAS over time, and per platform.
    for chart in ("Spend by day", "Conversions by day", "ROAS by day", "Spend by platform"):
        figure = page.get_by_role("figure", name=re.compile(rf"^{chart}"))
        await expect(figure.get_by_role("application")).to_be_visible()
    thirty_days = await spend.text_content()

    # Another date range: in the URL, and other numbers.
    await page.get_by_label("Date range").select_option("last_7_days")
    await expect(page).to_have_url(re.compile(r"[?&]preset=last_7_days"))
    await expect(spend).not_to_have_text(thirty_days or "")
    await expect(spend).to_contain_text(re.compile(r"\$\d[\d,]*\.\d\d"))

    # Drill into the biggest campaign: its ad groups (Meta: ad sets), with a breadcrumb back.
    first = campaigns.get_by_role("link").first
    campaign_name = (await first.text_content() or "").strip()
    assert campaign_name
    await first.click()
    breadcrumb = page.get_by_role("navigation", name="Breadcrumb")
    await expect(breadcrumb.get_by_text(campaign_name, exact=True)).to_have_attribute("aria-current", "page")
    await expect(page.get_by_role("table", name=re.compile(r"^(Ad groups|Ad sets) of "))).to_be_visible()
    query = search_of(page)
    assert query["preset"] == ["last_7_days"]
    assert "campaign" in query and "campaignAccount" in query

    # The table as CSV: the drilled-down level with the page's range.
    async with page.expect_download() as csv_download:
        await page.get_by_role("button", name="Table as CSV").click()
    csv_path = tmp_path / "table.csv"
    await (await csv_download.value).save_as(csv_path)
    rows = list(csv.reader(io.StringIO(csv_path.read_text(encoding="utf-8-sig"))))
    assert len(rows) >= 2, rows
    assert any("spend" in cell.lower() for cell in rows[0]), rows[0]

    # Back to the campaigns, then the PDF report, which renders.
    await breadcrumb.get_by_role("link", name="All campaigns").click()
    await expect(page.get_by_role("table", name=re.compile(r"^Campaigns"))).to_be_visible()
    assert "campaign" not in search_of(page)
    async with page.expect_download(timeout=60_000) as pdf_download:
        await page.get_by_role("button", name="PDF report").click()
    pdf_path = tmp_path / "report.pdf"
    await (await pdf_download.value).save_as(pdf_path)
    data = pdf_path.read_bytes()
    assert data.startswith(b"%PDF-"), data[:20]

    # pypdfium2 ships no type information.
    pdfium = importlib.import_module("pypdfium2")
    document = pdfium.PdfDocument(data)
    try:
        assert len(document) >= 1
        image = document[0].render(scale=1).to_pil()
        width, height = image.size
        assert width > 100 and height > 100
        # Not a blank page: the report draws text and charts.
        extrema = image.convert("L").getextrema()
        assert extrema[0] < 200, extrema
    finally:
        document.close()


async def test_first_load_is_sent_compressed_and_cached(demo_page: Page) -> None:
    """The dashboard's first load in a fresh browser: every script arrives brotli-compressed (those under 1 kB as
    they are), hashed files are cached as immutable and index.html is revalidated. Uncompressed, the same scripts
    weigh about 930 kB; brotli sends about 250 kB."""
    page = demo_page
    scripts: dict[str, dict[str, str]] = {}
    documents: list[dict[str, str]] = []

    async def record(response: object) -> None:
        from playwright.async_api import Response

        assert isinstance(response, Response)
        path = urlparse(response.url).path
        if path.startswith("/assets/") and path.endswith(".js"):
            scripts[path] = await response.all_headers()
        elif response.request.resource_type == "document":
            documents.append(await response.all_headers())

    page.on("response", record)
    await page.goto("/login")
    await page.get_by_label("Email").fill(DEMO_EMAIL)
    await page.get_by_label("Password", exact=True).fill(DEMO_PASSWORD)
    await page.get_by_role("button", name="Log in").click()
    await expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    figure = page.get_by_role("figure", name=re.compile(r"^Spend by day"))
    await expect(figure.get_by_role("application")).to_be_visible(timeout=DATA_TIMEOUT_MS)

    assert len(scripts) >= 5, scripts
    for path, headers in scripts.items():
        assert headers.get("cache-control") == "public, max-age=31536000, immutable", (path, headers)
        if (WEB_DIST / path.removeprefix("/")).stat().st_size >= 1024:  # smaller files are not worth compressing
            assert headers.get("content-encoding") == "br", (path, headers)
            assert headers.get("vary") == "Accept-Encoding", (path, headers)
    sent = sum(int(headers["content-length"]) for headers in scripts.values())
    uncompressed = sum((WEB_DIST / path.removeprefix("/")).stat().st_size for path in scripts)
    print(f"dashboard first load: {len(scripts)} scripts, {uncompressed / 1000:.0f} kB -> {sent / 1000:.0f} kB sent")
    assert sent < 0.35 * uncompressed, (sent, uncompressed)
    assert documents and all(headers.get("cache-control") == "no-cache" for headers in documents), documents


async def log_in_to_dashboard(page: Page) -> None:
    await page.goto("/login")
    await page.get_by_label("Email").fill(DEMO_EMAIL)
    await page.get_by_label("Password", exact=True).fill(DEMO_PASSWORD)
    await page.get_by_role("button", name="Log in").click()
    await expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()


async def test_the_dashboard_fits_a_laptop_and_a_phone(demo_page: Page) -> None:
    """At 1440 px every column of the campaign table, ROAS included, is inside its card; at 390 px the page never
    scrolls sideways (a wide table scrolls inside its own card)."""
    page = demo_page
    await page.set_viewport_size({"width": 1440, "height": 900})
    await log_in_to_dashboard(page)
    campaigns = page.get_by_role("table", name=re.compile(r"^Campaigns"))
    await expect(campaigns.get_by_role("row").nth(2)).to_be_visible(timeout=DATA_TIMEOUT_MS)
    await expect(page.get_by_role("rowheader", name="Meta Ads")).to_be_visible(timeout=DATA_TIMEOUT_MS)
    scroller = campaigns.locator("xpath=..")
    assert await scroller.evaluate("e => e.scrollWidth <= e.clientWidth"), "the campaign table overflows its card"
    card = await campaigns.locator("xpath=ancestor::div[contains(@class, 'rounded-lg')][1]").bounding_box()
    assert card is not None
    for column in ("ROAS", "Conv. rate"):
        header = await campaigns.get_by_role("columnheader", name=re.compile(rf"^{re.escape(column)}")).bounding_box()
        assert header is not None and header["x"] + header["width"] <= card["x"] + card["width"], column

    await page.set_viewport_size({"width": 390, "height": 844})
    await expect(campaigns).to_be_visible()
    await assert_no_sideways_scroll(page, "dashboard")
    dashboard = page.url.split("?")[0].rstrip("/")
    for path in ("/campaigns", "/connections", "/members", "/audit-log", "/reports", "/exchange-rates"):
        await page.goto(dashboard + path)
        await expect(page.get_by_role("heading", level=1)).to_be_visible()
        await assert_no_sideways_scroll(page, path)


WIDER_THAN_THE_SCREEN = """(width) => {
    const clipped = (e) => {
        for (let p = e.parentElement; p; p = p.parentElement) {
            const style = getComputedStyle(p);
            if (style.overflowX !== "visible" && p.getBoundingClientRect().right <= width + 1) return true;
        }
        return false;
    };
    return [...document.querySelectorAll("body *")]
        .filter((e) => e.getBoundingClientRect().right > width + 1 && !e.closest("details:not([open])"))
        // Absolutely placed text escapes a scroller that is not itself positioned.
        .filter((e) => !clipped(e) || ["absolute", "fixed"].includes(getComputedStyle(e).position))
        .map((e) => `${e.tagName}.${e.getAttribute("class") ?? ""} ${Math.round(e.getBoundingClientRect().right)}`)
        .slice(0, 10);
}"""


async def assert_no_sideways_scroll(page: Page, where: str, width: int = 390) -> None:
    """The page is no wider than the screen (charts resize a moment after the screen does: wait for them)."""
    scroll_width = 0
    for _ in range(20):
        scroll_width = await page.evaluate("document.documentElement.scrollWidth")
        if scroll_width <= width:
            return
        await page.wait_for_timeout(250)
    raise AssertionError((where, scroll_width, await page.evaluate(WIDER_THAN_THE_SCREEN, width)))


async def test_pages_are_named_and_the_charts_are_labelled_focus_stops(demo_page: Page) -> None:
    page = demo_page
    await log_in_to_dashboard(page)
    await expect(page).to_have_title(re.compile(r"^Dashboard · .+ · adpilot$"))
    # The first Tab stop skips the navigation.
    await page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to main content")
    await expect(skip).to_be_focused()
    await skip.press("Enter")
    await expect(page.locator("main#main")).to_be_focused()
    for chart in ("Spend by day", "Conversions by day", "ROAS by day", "Spend by platform"):
        stop = page.get_by_role("application", name=chart, exact=True)
        await expect(stop).to_be_visible(timeout=DATA_TIMEOUT_MS)
        assert await stop.get_attribute("tabindex") == "0"
    await page.get_by_role("link", name="Members").first.click()
    await expect(page).to_have_title(re.compile(r"^Members · .+ · adpilot$"))
