"""Fixtures of the Meta contract suite: the backends and the shared emulator."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from adpilot.platforms.types import Platform
from adpilot.sandbox.meta import emulator_options
from adpilot.sandbox.state import SandboxState
from tests.platforms.contract_kit import SandboxServer, lifted_rate
from tests.platforms.meta.kit import Backend, EmulatedMeta, RecordedMeta


@pytest.fixture
def shared_sandbox(sandbox_server: SandboxServer) -> Iterator[SandboxState]:
    """The sandbox server's state with Meta's settings restored after each test. The emulator's rate is lifted:
    waiting is fake in these tests, so its real-time quota has tests of its own on a private sandbox."""
    with lifted_rate(sandbox_server, Platform.meta) as state:
        options = emulator_options(state)
        saved = (options.max_sync_insights_rows, options.fail_report_runs)
        yield state
        options.max_sync_insights_rows, options.fail_report_runs = saved


@pytest.fixture(params=["emulator", "recorded"])
async def backend(request: pytest.FixtureRequest) -> AsyncIterator[Backend]:
    chosen: Backend
    if request.param == "emulator":
        server: SandboxServer = request.getfixturevalue("sandbox_server")
        chosen = EmulatedMeta(request.getfixturevalue("shared_sandbox"), server.base_url("meta"))
    else:
        chosen = RecordedMeta()
    yield chosen
    await chosen.client.aclose()


@pytest.fixture
async def emulator(sandbox_server: SandboxServer, shared_sandbox: SandboxState) -> AsyncIterator[EmulatedMeta]:
    backend = EmulatedMeta(shared_sandbox, sandbox_server.base_url("meta"))
    yield backend
    await backend.client.aclose()
