"""Fault injection: tests queue failures per ad account and the emulators serve them on the next requests.

A fault is consumed one request at a time, so ``Fault(FaultKind.rate_limit, count=5)`` is a storm of five 429s and the
sixth request goes through: exactly what retry and backoff code needs to be tested against.

Writes have faults of their own. ``writes_only`` keeps a fault for the account's next write (an update, create,
status change or removal), letting reads through; the ``applied_then_*`` kinds are always for writes: the emulator
applies the write, then answers with a transient 5xx (``applied_then_error``) or sits on the answer for
``delay_seconds``, past the client's timeout (``applied_then_timeout``): the platform applied it but the caller never
heard. ``SimWorld.writes`` counts what was applied, per entity, so a test can assert that a write happened once.
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass, replace
from enum import StrEnum

from adpilot.platforms.types import Platform

ANY_ACCOUNT = "*"


class FaultKind(StrEnum):
    rate_limit = "rate_limit"  # the platform's own rate-limit response
    server_error = "server_error"  # a transient 5xx (or TikTok's transient code on HTTP 200)
    expire_token = "expire_token"  # noqa: S105 - a fault name, not a secret; the token is reported expired
    revoke_token = "revoke_token"  # noqa: S105 - a fault name, not a secret; the token is reported revoked
    slow = "slow"  # wait delay_seconds, then answer normally
    applied_then_error = "applied_then_error"  # a write is applied, then answered with a transient 5xx
    applied_then_timeout = "applied_then_timeout"  # a write is applied, then answered after delay_seconds

    @property
    def after_write(self) -> bool:
        """Served after the write was applied (and only to writes), rather than instead of the request."""
        return self in _AFTER_WRITE


_AFTER_WRITE = frozenset({FaultKind.applied_then_error, FaultKind.applied_then_timeout})


@dataclass
class Fault:
    kind: FaultKind
    count: int = 1
    delay_seconds: float = 0.0
    writes_only: bool = False  # served to the account's writes only; reads pass untouched
    # Only requests whose path ends with this (e.g. "/ads"), and with this method ("POST"); None: any.
    path: str | None = None
    method: str | None = None

    def __post_init__(self) -> None:
        if self.count < 1:
            raise ValueError("a fault happens at least once")
        if self.delay_seconds < 0:
            raise ValueError("delay_seconds cannot be negative")
        if self.kind.after_write:
            self.writes_only = True


class FaultPlan:
    """Queued faults per (platform, account); ``"*"`` matches any account of the platform, and calls made without an
    account (token endpoint, account listing)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queues: dict[tuple[Platform, str], deque[Fault]] = {}

    def add(self, platform: Platform, account_id: str, fault: Fault) -> None:
        """Queue a fault; faults for the same key are served in the order they were added."""
        with self._lock:
            self._queues.setdefault((platform, account_id), deque()).append(replace(fault))

    def take(
        self,
        platform: Platform,
        account_id: str | None,
        *,
        write: bool = False,
        path: str | None = None,
        method: str | None = None,
    ) -> Fault | None:
        """Consume one request's worth of fault: the account's own queue first, then the platform-wide one. A fault
        for a path waits at the head of its queue for a request to that path (``path``: the request's).

        Returns a ``Fault`` with ``count=1`` describing what this request must suffer, or ``None`` to answer normally.
        A queue whose next fault is ``writes_only`` waits for a write (``write``): a read leaves it untouched.
        """
        keys = [(platform, account_id)] if account_id is not None else []
        keys.append((platform, ANY_ACCOUNT))
        with self._lock:
            for key in keys:
                queue = self._queues.get(key)
                if not queue:
                    continue
                head = queue[0]
                if head.writes_only and not write:
                    continue
                if head.path is not None and not (path or "").rstrip("/").endswith(head.path.rstrip("/")):
                    continue
                if head.method is not None and head.method != method:
                    continue
                head.count -= 1
                if head.count == 0:
                    queue.popleft()
                if not queue:
                    del self._queues[key]
                return Fault(head.kind, 1, head.delay_seconds, head.writes_only, head.path, head.method)
        return None

    def pending(self, platform: Platform | None = None) -> list[tuple[Platform, str, Fault]]:
        """What is still queued (copies), for assertions that a test's faults were all served."""
        with self._lock:
            return [
                (key[0], key[1], replace(fault))
                for key, queue in self._queues.items()
                if platform is None or key[0] == platform
                for fault in queue
            ]

    def clear(self) -> None:
        with self._lock:
            self._queues.clear()
