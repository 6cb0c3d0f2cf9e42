"""The sandbox's notion of time: real time plus an offset that tests move forward.

Token expiry, late conversions and "today" in every account's time zone all read this clock, so a test can jump a
week ahead without sleeping, while the demo simply follows the wall clock.
"""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo


class SandboxClock:
    """Aware UTC time: the wall clock shifted by an offset (or, when ``frozen``, a fixed instant moved only by hand)."""

    def __init__(self, *, start: datetime | None = None, frozen: bool = False) -> None:
        if start is not None and start.tzinfo is None:
            raise ValueError("start must be an aware datetime")
        self._lock = threading.Lock()
        self._frozen = frozen
        real_now = datetime.now(UTC)
        anchor = start.astimezone(UTC) if start is not None else real_now
        # A frozen clock keeps its instant in ``_fixed``; a running one keeps the offset from real time.
        self._fixed = anchor
        self._offset = anchor - real_now

    @property
    def frozen(self) -> bool:
        return self._frozen

    def now(self) -> datetime:
        with self._lock:
            if self._frozen:
                return self._fixed
            return datetime.now(UTC) + self._offset

    def advance(self, seconds: float) -> None:
        """Move time forward (or back, with a negative number) for everyone reading this clock."""
        step = timedelta(seconds=seconds)
        with self._lock:
            self._fixed += step
            self._offset += step

    def freeze(self) -> None:
        """Stop at the current instant (tests that compare a sync with the ground truth read both at one moment)."""
        with self._lock:
            if not self._frozen:
                self._fixed = datetime.now(UTC) + self._offset
                self._frozen = True

    def reset(self) -> None:
        """Back to the wall clock, running."""
        with self._lock:
            self._frozen = False
            self._offset = timedelta(0)
            self._fixed = datetime.now(UTC)

    def today(self, time_zone: str) -> date:
        """The calendar date it is now in an IANA time zone (an ad account's "today")."""
        return self.now().astimezone(ZoneInfo(time_zone)).date()
