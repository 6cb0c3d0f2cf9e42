"""One request pipeline for every adapter: rate limits first, then the request, then the vendor's verdict, with
retries for what is transient and the platform's own wait for what is throttled.

Adapters supply ``classify`` (their error bodies → our errors); everything else — the shared httpx client, limiter
slots, jittered exponential backoff, honouring the platform's requested wait — is here, once.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

import httpx

from adpilot.core.logging import get_logger
from adpilot.platforms.config import Rate
from adpilot.platforms.errors import PlatformError, PlatformRateLimited, PlatformUnavailable, RateLimiterWait
from adpilot.platforms.quota import OperationMeter
from adpilot.platforms.ratelimit import RateLimiter

log = get_logger(__name__)

Classify = Callable[[httpx.Response], PlatformError | None]
OnResponse = Callable[[httpx.Response], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    max_attempts: int = 6
    base_delay: float = 0.5
    max_delay: float = 30.0
    # The longest wait a platform may ask for that is sat out inside one call; a longer one (Google's daily quota,
    # hours away) is raised as PlatformRateLimited so the job can be rescheduled instead of holding a worker.
    max_wait: float = 120.0
    # The longest a request waits for a slot of our own rate limiter; beyond it ``RateLimiterWait`` is raised (no
    # slot is taken) so that a job is scheduled for later instead of sleeping in a worker slot. None: always wait.
    max_limiter_wait: float | None = None

    def backoff(self, attempt: int, rng: random.Random) -> float:
        """Full-jitter exponential backoff for the given (1-based) failed attempt."""
        return rng.uniform(0, min(self.max_delay, self.base_delay * 2 ** (attempt - 1)))


@dataclass(frozen=True, slots=True)
class Limit:
    """A limiter slot a request must take: ``scope`` says which platform throttling answer blocks it."""

    key: str
    rate: Rate
    scope: str  # "account" | "app"


def default_client(timeout: float = 30.0) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        timeout=httpx.Timeout(timeout, connect=10.0),
        limits=httpx.Limits(max_connections=100, max_keepalive_connections=20),
        headers={"User-Agent": "adpilot"},
        follow_redirects=False,
    )


class PlatformHttp:
    """The shared HTTP client of the adapters (one per process)."""

    def __init__(
        self,
        *,
        limiter: RateLimiter,
        client: httpx.AsyncClient | None = None,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        rng: random.Random | None = None,
        meter: OperationMeter | None = None,
    ) -> None:
        self.limiter = limiter
        self.meter = meter
        self.client = client or default_client()
        self.retry = retry or RetryPolicy()
        self._sleep = sleep
        self._rng = rng or random.Random()  # noqa: S311 (jitter, not security)

    async def aclose(self) -> None:
        await self.client.aclose()

    async def request(
        self,
        method: str,
        url: str,
        *,
        limits: Sequence[Limit],
        classify: Classify,
        on_response: OnResponse | None = None,
        retry_unavailable: bool = True,
        **kwargs: Any,
    ) -> httpx.Response:
        """Send one logical request, retrying transient failures; returns a response ``classify`` accepted.

        ``retry_unavailable=False`` for a request that is not idempotent (a create): a timeout or 5xx may come after
        the platform applied it, so it is raised at once for the caller to check before sending it again (rate
        limits are still waited out: the platform applied nothing)."""
        attempt = 0
        while True:
            attempt += 1
            for limit in limits:
                try:
                    await self.limiter.acquire(limit.key, limit.rate, max_wait=self.retry.max_limiter_wait)
                except RateLimiterWait as wait_for_slot:
                    wait_for_slot.scope = limit.scope
                    raise
            error: PlatformError | None
            try:
                response = await self.client.request(method, url, **kwargs)
            except httpx.TimeoutException:
                error = PlatformUnavailable(f"{method} {_path(url)} timed out")
            except httpx.TransportError as exc:
                error = PlatformUnavailable(f"{method} {_path(url)} failed: {type(exc).__name__}")
            else:
                if self.meter is not None and limits:
                    # The platform answered: it counted the request ("google:account:…" names the platform).
                    await self.meter.record(limits[0].key.split(":", 1)[0])
                if on_response is not None:
                    await on_response(response)
                error = classify(response)
                if error is None:
                    return response
            if isinstance(error, PlatformRateLimited):
                wait = error.retry_after if error.retry_after is not None else self.retry.backoff(attempt, self._rng)
                for limit in limits:
                    if limit.scope == error.scope:
                        await self.limiter.block(limit.key, wait)
                if wait > self.retry.max_wait or attempt >= self.retry.max_attempts:
                    raise error
            elif isinstance(error, PlatformUnavailable):
                if attempt >= self.retry.max_attempts or not retry_unavailable:
                    raise error
                wait = self.retry.backoff(attempt, self._rng)
            else:
                raise error
            log.info(
                "platform_request_retry",
                method=method,
                path=_path(url),
                error=type(error).__name__,
                detail=error.detail,
                attempt=attempt,
                wait_seconds=round(wait, 3),
            )
            # The block on the limiter already makes the next acquire wait for a throttled key; sleeping here too
            # covers a scope the request has no limit for (an app-wide answer to an account-only limit list).
            if not isinstance(error, PlatformRateLimited) or not any(lim.scope == error.scope for lim in limits):
                await self._sleep(wait)


def _path(url: str) -> str:
    """The URL without its query string: queries may carry tokens (Meta accepts ``access_token=``)."""
    return httpx.URL(url).copy_with(query=None).path
