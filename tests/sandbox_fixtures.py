"""The sandbox over real HTTP (uvicorn on a free loopback port in a background thread), its consent pages, and the
product pointed at it."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from html.parser import HTMLParser

import httpx
import pytest
import uvicorn

from adpilot.sandbox.state import SandboxState

SEED = 7


@dataclass
class SandboxServer:
    """``url`` is the sandbox root: adapters use ``f"{url}/google"`` etc. as their base URLs."""

    url: str
    state: SandboxState

    def base_url(self, platform: str) -> str:
        return f"{self.url}/{platform}"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class _ThreadedServer(uvicorn.Server):
    def install_signal_handlers(self) -> None:  # the main thread keeps its own
        pass


@contextmanager
def serve_sandbox(state: SandboxState) -> Iterator[SandboxServer]:
    """Serve ``state`` over real HTTP on a free loopback port for the duration of the block."""
    from adpilot.sandbox.app import create_standalone_app

    port = _free_port()
    config = uvicorn.Config(
        create_standalone_app(state), host="127.0.0.1", port=port, log_level="warning", lifespan="off"
    )
    server = _ThreadedServer(config)
    thread = threading.Thread(target=lambda: asyncio.run(server.serve()), daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the sandbox server did not start")
        time.sleep(0.02)
    try:
        yield SandboxServer(url=f"http://127.0.0.1:{port}/sandbox", state=state)
    finally:
        server.should_exit = True
        thread.join(timeout=5)


@pytest.fixture(scope="session")
def sandbox_session_server() -> Iterator[SandboxServer]:
    with serve_sandbox(SandboxState.demo(seed=SEED)) as server:
        yield server


@pytest.fixture
def sandbox_server(sandbox_session_server: SandboxServer) -> Iterator[SandboxServer]:
    """The shared sandbox server with faults, the request log and world edits reset after each test."""
    from adpilot.sandbox.engine import build_demo_world

    state = sandbox_session_server.state
    yield sandbox_session_server
    state.faults.clear()
    state.request_log.clear()
    state.clock.reset()
    # The emulators read ``state.world`` on every request, so a fresh world undoes a test's pauses and edits.
    state.world = build_demo_world(SEED, state.clock)


class _ConsentForm(HTMLParser):
    """The sandbox consent page's form: its action, hidden fields and the first login offered."""

    def __init__(self) -> None:
        super().__init__()
        self.action: str | None = None
        self.fields: dict[str, str] = {}
        self.login_id: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {name: value or "" for name, value in attrs}
        if tag == "form" and self.action is None:
            self.action = attributes.get("action", "")
        elif tag == "input" and attributes.get("type") == "hidden":
            self.fields[attributes["name"]] = attributes.get("value", "")
        elif (
            tag == "input"
            and attributes.get("type") == "radio"
            and attributes.get("name") == "login_id"
            and (self.login_id is None or "checked" in attributes)
        ):
            self.login_id = attributes["value"]


async def consent(authorization_url: str, *, decision: str = "allow", login_id: str | None = None) -> dict[str, str]:
    """Go through a sandbox consent page like a person would; returns the callback's query parameters."""
    async with httpx.AsyncClient() as browser:
        page = await browser.get(authorization_url)
        assert page.status_code == 200, page.text
        form = _ConsentForm()
        form.feed(page.text)
        assert form.action is not None, "the consent page has no form"
        data = {**form.fields, "decision": decision, "login_id": login_id or form.login_id or ""}
        answer = await browser.post(httpx.URL(authorization_url).join(form.action), data=data)
        assert answer.status_code in (302, 303), answer.text
        return dict(httpx.URL(answer.headers["location"]).params)


def point_platforms_at(server: SandboxServer, monkeypatch: pytest.MonkeyPatch) -> None:
    """The product's settings send every platform call to ``server`` (the adapters are rebuilt for it)."""
    from adpilot.config import get_settings
    from adpilot.connections import adapters

    google, meta, tiktok = (server.base_url(p) for p in ("google", "meta", "tiktok"))
    for name, value in {
        "GOOGLE_ADS_API_BASE_URL": google,
        "GOOGLE_OAUTH_AUTHORIZE_URL": f"{google}/o/oauth2/v2/auth",
        "GOOGLE_OAUTH_TOKEN_URL": f"{google}/token",
        "GOOGLE_OAUTH_REVOKE_URL": f"{google}/revoke",
        "GOOGLE_OAUTH_USERINFO_URL": f"{google}/v1/userinfo",
        "META_GRAPH_BASE_URL": meta,
        "META_DIALOG_BASE_URL": meta,
        "TIKTOK_API_BASE_URL": tiktok,
        "TIKTOK_AUTHORIZE_URL": f"{tiktok}/portal/auth",
    }.items():
        monkeypatch.setenv(f"ADPILOT_{name}", value)
    get_settings.cache_clear()
    adapters._adapters.clear()


@pytest.fixture
def sandbox_platforms(sandbox_server: SandboxServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[SandboxServer]:
    """The product pointed at the shared sandbox server for one test."""
    from adpilot.config import get_settings
    from adpilot.connections import adapters

    point_platforms_at(sandbox_server, monkeypatch)
    yield sandbox_server
    monkeypatch.undo()
    get_settings.cache_clear()
    adapters._adapters.clear()
