"""The sandbox over real HTTP: uvicorn on a free loopback port in a background thread, for contract tests."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import uvicorn

from adpilot.sandbox.state import SandboxState


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


@pytest.fixture(scope="session")
def sandbox_session_server() -> Iterator[SandboxServer]:
    from adpilot.sandbox.app import create_standalone_app

    state = SandboxState.demo(seed=7)
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
    yield SandboxServer(url=f"http://127.0.0.1:{port}/sandbox", state=state)
    server.should_exit = True
    thread.join(timeout=5)


@pytest.fixture
def sandbox_server(sandbox_session_server: SandboxServer) -> Iterator[SandboxServer]:
    """The shared sandbox server with faults, the request log and world edits reset after each test."""
    state = sandbox_session_server.state
    yield sandbox_session_server
    state.faults.clear()
    state.request_log.clear()
