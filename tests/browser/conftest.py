"""Browser tests: a real `adpilot serve` (embedded PostgreSQL, built web app) driven by Chromium through Playwright."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from tests.servers import ROOT, start_server

WEB_DIST = ROOT / "src" / "adpilot" / "web" / "dist"
# The home of the browser tests' server (its secret key signs the in-process sandbox's tokens too).
BROWSER_HOME = ROOT / ".adpilot-browser"
CHROMIUM = os.environ.get("ADPILOT_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/browser" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


def require_browser() -> None:
    """Skip without Chromium; fail without the built web app (`make test` provides both)."""
    if not Path(CHROMIUM).exists():
        pytest.skip(f"Chromium is not installed at {CHROMIUM} (make test installs it with apt-get install chromium)")
    if not (WEB_DIST / "index.html").exists():
        pytest.fail("the web app is not built: run `make web` (make test does it)")


@pytest.fixture(scope="session")
def server_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real adpilot server on a free port with its own embedded PostgreSQL; stopped (SIGTERM) at the end."""
    require_browser()
    log_path = tmp_path_factory.mktemp("server") / "server.log"
    with start_server(BROWSER_HOME, log_path, "--no-demo", fresh_home=True) as server:
        yield server.url


@pytest.fixture
async def page(server_url: str) -> AsyncIterator[object]:
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = await browser.new_context(base_url=server_url)
        page = await context.new_page()
        page.set_default_timeout(15_000)
        try:
            yield page
        finally:
            await context.close()
            await browser.close()
