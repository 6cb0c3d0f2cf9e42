"""What a platform error means for a run of the run kit (``core.runs``): every sync decides the same way."""

from __future__ import annotations

from datetime import timedelta

from adpilot.core.runs import DEFAULT_DEFER, Decision, RunLifecycle
from adpilot.platforms.errors import PlatformError, PlatformRateLimited, PlatformUnavailable


def decide_after(lifecycle: RunLifecycle, error: PlatformError, attempt: int) -> Decision:
    """A spent quota defers the run for as long as the platform asks (a minute when it does not say); a platform
    that is unavailable is retried while attempts are left; anything else (refused, unauthorized) fails the run."""
    defer_for: timedelta | None = None
    if isinstance(error, PlatformRateLimited):
        defer_for = timedelta(seconds=error.retry_after) if error.retry_after is not None else DEFAULT_DEFER
    return lifecycle.decide(attempt, transient=isinstance(error, PlatformUnavailable), defer_for=defer_for)
