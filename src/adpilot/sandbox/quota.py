"""The emulators' own request quota: a sliding-window log per key, like the real platforms' per-account limits.

The benchmark measures how close the adapters get to an allowed rate without tripping it, so the gate must be exact:
it counts every admitted request in the last ``window_seconds`` and refuses the next one with the time until the
oldest leaves the window.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable


class QuotaGate:
    """Sliding-window request counter per key; safe to call from the event loop and from other threads."""

    def __init__(self, *, now: Callable[[], float] = time.monotonic) -> None:
        self._now = now
        self._lock = threading.Lock()
        # Per key: the admitted requests' times and the window they were counted in (for forgetting idle keys).
        self._admitted: dict[str, deque[float]] = {}
        self._windows: dict[str, float] = {}
        self._checks = 0

    def check(self, key: str, limit: int, window_seconds: float) -> float | None:
        """Admit one request under ``key`` (``None``) or refuse it, returning the seconds until one would be admitted.

        A refused request does not count against the window: a client that retries after the returned delay gets in.
        """
        if limit < 1 or window_seconds <= 0:
            raise ValueError("a quota needs a positive limit and window")
        with self._lock:
            now = self._now()
            admitted = self._admitted.get(key)
            if admitted is None:
                admitted = self._admitted[key] = deque()
            self._windows[key] = window_seconds
            horizon = now - window_seconds
            while admitted and admitted[0] <= horizon:
                admitted.popleft()
            self._checks += 1
            if self._checks % 1024 == 0:
                self._forget_idle(now)
            if len(admitted) < limit:
                admitted.append(now)
                return None
            # The request that would free a slot is the one ``limit`` places back from the end.
            return max(admitted[-limit] + window_seconds - now, 1e-3)

    def check_rate(self, key: str, requests_per_second: float, *, window_seconds: float = 1.0) -> float | None:
        """``check`` for a configured rate: ``requests_per_second`` over a window (at least one request)."""
        return self.check(key, max(1, int(requests_per_second * window_seconds)), window_seconds)

    def reset(self, key: str | None = None) -> None:
        with self._lock:
            if key is None:
                self._admitted.clear()
                self._windows.clear()
            else:
                self._admitted.pop(key, None)
                self._windows.pop(key, None)

    def _forget_idle(self, now: float) -> None:
        # Keys whose newest request left their window are dropped so the gate does not grow with every key ever seen.
        for key in [k for k, q in self._admitted.items() if not q or q[-1] <= now - self._windows.get(k, 0.0)]:
            del self._admitted[key]
            self._windows.pop(key, None)
