"""Fixtures of the TikTok contract suite: the backends and the shared emulator."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from adpilot.platforms.types import Platform
from adpilot.sandbox.state import SandboxState
from tests.platforms.contract_kit import SandboxServer, lifted_rate
from tests.platforms.tiktok.kit import Backend, EmulatedTikTok, RecordedTikTok


@pytest.fixture
def shared_sandbox(sandbox_server: SandboxServer) -> Iterator[SandboxState]:
    """The sandbox server's state with TikTok's settings restored after each test (its rate is lifted: waiting is
    fake in these tests, so the emulator's real-time quota is exercised by its own tests below)."""
    with lifted_rate(sandbox_server, Platform.tiktok) as state:
        saved = state.config.tiktok_token_mode, state.config.tiktok_report_max_days
        yield state
        state.config.tiktok_token_mode, state.config.tiktok_report_max_days = saved


@pytest.fixture(params=["emulator", "recorded"])
async def backend(request: pytest.FixtureRequest) -> AsyncIterator[Backend]:
    chosen: Backend
    if request.param == "emulator":
        server: SandboxServer = request.getfixturevalue("sandbox_server")
        chosen = EmulatedTikTok(request.getfixturevalue("shared_sandbox"), server.base_url("tiktok"))
    else:
        chosen = RecordedTikTok()
    yield chosen
    await chosen.client.aclose()


@pytest.fixture
async def emulator(sandbox_server: SandboxServer, shared_sandbox: SandboxState) -> AsyncIterator[EmulatedTikTok]:
    backend = EmulatedTikTok(shared_sandbox, sandbox_server.base_url("tiktok"))
    yield backend
    await backend.client.aclose()
