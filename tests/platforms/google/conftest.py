"""Fixtures of the Google Ads contract suite: the backends and the shared emulator."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from adpilot.platforms.types import Platform
from adpilot.sandbox.state import SandboxState
from tests.platforms.contract_kit import SandboxServer, lifted_rate
from tests.platforms.google.kit import Backend, EmulatedGoogle, RecordedGoogle


@pytest.fixture
def shared_sandbox(sandbox_server: SandboxServer) -> Iterator[SandboxState]:
    """The sandbox server's state with Google's rate lifted (waiting is fake in these tests; the emulator's real-time
    quota has its own test on a private sandbox below)."""
    with lifted_rate(sandbox_server, Platform.google) as state:
        yield state


@pytest.fixture(params=["emulator", "recorded"])
async def backend(request: pytest.FixtureRequest) -> AsyncIterator[Backend]:
    chosen: Backend
    if request.param == "emulator":
        server: SandboxServer = request.getfixturevalue("sandbox_server")
        chosen = EmulatedGoogle(request.getfixturevalue("shared_sandbox"), server.base_url("google"))
    else:
        chosen = RecordedGoogle()
    yield chosen
    await chosen.client.aclose()


@pytest.fixture
async def emulator(sandbox_server: SandboxServer, shared_sandbox: SandboxState) -> AsyncIterator[EmulatedGoogle]:
    backend = EmulatedGoogle(shared_sandbox, sandbox_server.base_url("google"))
    yield backend
    await backend.client.aclose()
