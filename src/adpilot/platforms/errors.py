"""The errors every adapter raises, whatever the platform said. Vendor error bodies never leave the adapter."""

from __future__ import annotations

from collections.abc import Mapping


class PlatformError(Exception):
    """Base of every ad platform failure. ``detail`` is safe to show a person and to log: it holds no credentials."""

    def __init__(self, detail: str, *, platform_code: str | None = None, request_id: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.platform_code = platform_code
        self.request_id = request_id


class PlatformAuthError(PlatformError):
    """The credentials are expired, revoked or lack a permission: refreshing may help, else the person reconnects."""

    def __init__(
        self,
        detail: str,
        *,
        refreshable: bool = True,
        platform_code: str | None = None,
        request_id: str | None = None,
    ) -> None:
        super().__init__(detail, platform_code=platform_code, request_id=request_id)
        # False when no refresh can fix it (revoked grant, missing permission): the connection needs reconnecting.
        self.refreshable = refreshable


class PlatformRateLimited(PlatformError):
    """Too many requests. ``retry_after`` is the platform's own estimate in seconds, when it gave one."""

    def __init__(
        self,
        detail: str,
        *,
        retry_after: float | None = None,
        scope: str = "account",
        platform_code: str | None = None,
        request_id: str | None = None,
    ) -> None:
        super().__init__(detail, platform_code=platform_code, request_id=request_id)
        self.retry_after = retry_after
        # "account" (this ad account's quota) or "app" (the whole application's quota).
        self.scope = scope


class RateLimiterWait(PlatformRateLimited):
    """Our own limiter has no slot for this key within the wait a caller may sit out: nothing was sent.

    ``retry_after`` is when the limiter expects a slot. Not a platform failure (the connection is fine): a job
    schedules itself for then instead of sleeping in a worker slot, and a person's request answers "try again".
    """

    def __init__(self, key: str, retry_after: float, *, scope: str = "account") -> None:
        super().__init__(
            f"The request rate allowed for {key.split(':', 1)[0]} is used up for the next {retry_after:.0f} s",
            retry_after=retry_after,
            scope=scope,
        )
        self.key = key


class PlatformRejected(PlatformError):
    """The platform refused the request as invalid: retrying the same request cannot succeed."""

    def __init__(
        self,
        detail: str,
        *,
        field_errors: Mapping[str, str] | None = None,
        platform_code: str | None = None,
        request_id: str | None = None,
    ) -> None:
        super().__init__(detail, platform_code=platform_code, request_id=request_id)
        self.field_errors: dict[str, str] = dict(field_errors or {})


class PlatformUnavailable(PlatformError):
    """A transient failure: 5xx, timeouts, connection errors, "try again" errors. Retried with backoff."""
