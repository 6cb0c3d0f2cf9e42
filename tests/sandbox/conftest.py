"""Sandbox tests run on a frozen clock so every figure is reproducible (and no database is needed)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from adpilot.sandbox.clock import SandboxClock
from adpilot.sandbox.engine import SandboxWorld, build_demo_world

# A Wednesday afternoon in UTC: Tokyo is already on Thursday, Los Angeles still on Wednesday morning.
FROZEN_AT = datetime(2026, 3, 18, 16, 30, tzinfo=UTC)


@pytest.fixture
def clock() -> SandboxClock:
    return SandboxClock(start=FROZEN_AT, frozen=True)


@pytest.fixture
def world(clock: SandboxClock) -> SandboxWorld:
    """A fresh demo world per test (building one takes ~50 ms), so tests may change it."""
    return build_demo_world(7, clock)


@pytest.fixture(scope="module")
def shared_world() -> SandboxWorld:
    """One demo world for tests that only read (its cache makes repeated reads cheap)."""
    return build_demo_world(7, SandboxClock(start=FROZEN_AT, frozen=True))
