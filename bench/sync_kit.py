"""What the sync benchmark shares: the sandbox logins and adapters, the record of every request sent, and the
figures per limiter key.
"""

from __future__ import annotations

import re
import time
from contextvars import ContextVar
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import httpx

from bench.harness import env_number

if TYPE_CHECKING:
    from adpilot.platforms.config import Rate
    from adpilot.platforms.port import AdPlatformAdapter
    from adpilot.platforms.ratelimit import RateLimiter
    from adpilot.platforms.types import Credentials, Platform
    from adpilot.sandbox.engine import SandboxWorld

SECRET_KEY = "bench-secret-key-long-enough-for-hmac-sha-256-signing"
# The keys the sandbox itself counts (per Google customer, per Meta ad account, per TikTok app); the adapters' other
# keys (google:app, meta:app, tiktok:account:*) guard real platform limits the sandbox does not emulate.
ENFORCED_PREFIXES = {"google": "google:account:", "meta": "meta:account:", "tiktok": "tiktok:app"}
# Meta's throttling codes (Graph: 4, 17, 32, 613; Marketing API: 80000-80014); TikTok's QPS limit is 40100.
META_THROTTLE_CODES = frozenset({4, 17, 32, 613, *range(80000, 80015)})
TIKTOK_RATE_LIMITED = 40100
_ENVELOPE_CODE = re.compile(rb'"code"\s*:\s*(\d+)')

Key = tuple[str, "Rate"]
# The limiter slots the current task took since its last request: read (and reset) when the request leaves.
_acquired: ContextVar[tuple[Key, ...]] = ContextVar("bench_sync_acquired", default=())


# --- what was sent ------------------------------------------------------------------------------------------------


@dataclass
class Sent:
    """One HTTP request as it left for the sandbox, and how it was answered."""

    platform: str
    keys: tuple[Key, ...]
    method: str
    url: str
    headers: list[tuple[str, str]]
    content: bytes
    sent_at: float
    answered_at: float | None = None
    status: int | None = None
    rate_limited: bool = False

    @property
    def enforced(self) -> Key | None:
        prefix = ENFORCED_PREFIXES[self.platform]
        return next((key for key in self.keys if key[0].startswith(prefix)), None)


async def is_rate_limited(platform: str, response: httpx.Response) -> bool:
    """The platform's throttling answer (read from the body only where the platform puts it there)."""
    if response.status_code == 429:
        return True
    if platform == "meta" and response.status_code >= 400:
        await response.aread()
        try:
            code = response.json()["error"]["code"]
        except (ValueError, KeyError, TypeError):
            return False
        return code in META_THROTTLE_CODES
    if platform == "tiktok" and response.status_code == 200:
        await response.aread()
        # The envelope's first field; matching it avoids parsing report pages of a megabyte.
        match = _ENVELOPE_CODE.search(response.content[:200])
        return match is not None and int(match.group(1)) == TIKTOK_RATE_LIMITED
    return False


def _platform_of(url: httpx.URL) -> str:
    # /sandbox/<platform>/...
    parts = url.path.split("/")
    return parts[2] if len(parts) > 2 else "?"


class Recorder:
    """httpx event hooks that log every request with the limiter keys its task took just before sending it."""

    def __init__(self) -> None:
        self.sent: list[Sent] = []
        self.blocks: list[tuple[str, float]] = []
        # Every limiter acquire (key, started, finished): the database round trip plus the wait for the slot.
        self.acquires: list[tuple[str, float, float]] = []
        self._open: dict[int, Sent] = {}

    async def on_request(self, request: httpx.Request) -> None:
        keys = _acquired.get()
        _acquired.set(())
        record = Sent(
            platform=_platform_of(request.url),
            keys=keys,
            method=request.method,
            url=str(request.url),
            headers=list(request.headers.multi_items()),
            content=request.content,
            sent_at=time.monotonic(),
        )
        self.sent.append(record)
        self._open[id(request)] = record

    async def on_response(self, response: httpx.Response) -> None:
        record = self._open.pop(id(response.request), None)
        if record is None:
            return
        record.answered_at = time.monotonic()
        record.status = response.status_code
        record.rate_limited = await is_rate_limited(record.platform, response)


class RecordingLimiter:
    """The product's limiter, unchanged, telling the recorder which keys each request took and which were blocked."""

    def __init__(self, inner: RateLimiter, recorder: Recorder) -> None:
        self._inner = inner
        self._recorder = recorder

    async def acquire(self, key: str, rate: Rate, *, max_wait: float | None = None) -> None:
        started = time.monotonic()
        await self._inner.acquire(key, rate, max_wait=max_wait)
        self._recorder.acquires.append((key, started, time.monotonic()))
        _acquired.set((*_acquired.get(), (key, rate)))

    async def block(self, key: str, seconds: float) -> None:
        self._recorder.blocks.append((key, seconds))
        await self._inner.block(key, seconds)


# --- per-key figures ----------------------------------------------------------------------------------------------


@dataclass
class KeyFigures:
    key: str
    rate: Rate
    enforced: bool
    sent_at: list[float] = field(default_factory=list)
    limited_at: list[float] = field(default_factory=list)
    # (sent, answered) of the refused requests, to tell those sent after the client could know of a refusal.
    refusals: list[tuple[float, float]] = field(default_factory=list)
    # Requests the platform answered (not refused for the rate): the work the sync needed.
    useful: int = 0
    blocks: int = 0
    # (started, finished) of every acquire of the key: while one is open, a request is waiting for the key's slot.
    acquiring: list[tuple[float, float]] = field(default_factory=list)

    @property
    def requests(self) -> int:
        return len(self.sent_at)

    @property
    def theoretical(self) -> float:
        """The least time the needed requests take at the allowed rate (a refused request is waste, not work)."""
        return self.useful * self.rate.interval

    @property
    def measured(self) -> float:
        """From the first request sent to the last, plus the last one's slot: n requests at exactly the rate give
        n intervals, so a limiter that keeps the pace scores 1.0."""
        return max(self.sent_at) - min(self.sent_at) + self.rate.interval if self.sent_at else 0.0

    @property
    def utilisation(self) -> float:
        return self.theoretical / self.measured if self.measured else float("nan")

    @property
    def queued(self) -> float:
        """The share of the measured time some request was waiting for this key's slot. Near 1: the key always had
        demand and the pace is the limiter's; low: the sync did not ask fast enough (answers awaited, pages in
        sequence, report polls), which no limiter can make up for."""
        if not self.acquiring or not self.sent_at:
            return float("nan")
        start, end = min(self.sent_at), min(self.sent_at) + self.measured
        covered, reach = 0.0, start
        for opened, closed in sorted(self.acquiring):
            begin, finish = max(opened, reach), min(closed, end)
            if finish > begin:
                covered += finish - begin
                reach = finish
        return covered / (end - start)

    @property
    def window(self) -> float:
        # The sandbox counts over one second (over 1/R seconds for Meta below one request per second).
        return max(1.0, self.rate.interval)

    @property
    def after_refusal(self) -> int:
        """Refusals of requests sent after another refusal of the key had been answered, within one window of it:
        the ones a client that heeds the platform should never get (requests already in flight are excused)."""
        return sum(
            1
            for sent, _ in self.refusals
            if any(answered <= sent < answered + self.window for _, answered in self.refusals)
        )

    @property
    def worst_window(self) -> int:
        """The most rate-limit answers within one limiter window."""
        stamps = sorted(self.limited_at)
        worst, start = 0, 0
        for end, stamp in enumerate(stamps):
            while stamp - stamps[start] >= self.window:
                start += 1
            worst = max(worst, end - start + 1)
        return worst


def figures(
    sent: list[Sent],
    blocks: list[tuple[str, float]],
    acquires: list[tuple[str, float, float]],
    *,
    enforced_only: bool,
) -> dict[str, KeyFigures]:
    by_key: dict[str, KeyFigures] = {}
    for record in sent:
        enforced = record.enforced
        for key, rate in record.keys:
            is_enforced = enforced is not None and enforced[0] == key
            if enforced_only and not is_enforced:
                continue
            # Utilisation is measured against what the sandbox allows, not the slightly slower pace the client keeps.
            allowed = replace(rate, requests=rate.requests / PACING) if is_enforced else rate
            figure = by_key.setdefault(key, KeyFigures(key, allowed, is_enforced))
            figure.sent_at.append(record.sent_at)
            if not record.rate_limited:
                figure.useful += 1
            # A throttling answer is counted against the key the sandbox enforces (the other keys merely rode along).
            if record.rate_limited and is_enforced:
                figure.limited_at.append(record.sent_at)
                figure.refusals.append((record.sent_at, record.answered_at or record.sent_at))
    for key, _ in blocks:
        if key in by_key:
            by_key[key].blocks += 1
    for key, started, finished in acquires:
        if key in by_key:
            by_key[key].acquiring.append((started, finished))
    return by_key


def binding(figures_by_key: dict[str, KeyFigures]) -> KeyFigures:
    return max((f for f in figures_by_key.values() if f.enforced), key=lambda f: f.theoretical)


PACING = env_number("BENCH_SYNC_PACING", 0.95)


def sandbox_adapters(base_urls: dict[str, str], rate: float, http: Any) -> dict[Platform, AdPlatformAdapter]:
    """The three adapters configured as ``adpilot.connections.adapters`` configures them, with every rate the
    product reads from settings set to the sandbox's R (the others keep their defaults)."""
    from adpilot.platforms.config import (
        SANDBOX_APP_CREDENTIALS,
        GoogleAdsConfig,
        MetaAdsConfig,
        Rate,
        TikTokAdsConfig,
    )
    from adpilot.platforms.google import GoogleAdsAdapter
    from adpilot.platforms.meta import MetaAdsAdapter
    from adpilot.platforms.tiktok import TikTokAdsAdapter
    from adpilot.platforms.types import Platform

    def url(platform: Platform) -> str:
        return f"{base_urls[platform.value]}/sandbox/{platform.value}"

    # The product paces a little under each platform's limit (docs/adr/0007): the platform measures its window at
    # its end, so a client at exactly the limit is refused now and then by jitter alone.
    rate *= PACING
    google_id, google_secret = SANDBOX_APP_CREDENTIALS[Platform.google]
    meta_id, meta_secret = SANDBOX_APP_CREDENTIALS[Platform.meta]
    tiktok_id, tiktok_secret = SANDBOX_APP_CREDENTIALS[Platform.tiktok]
    google = GoogleAdsConfig(
        client_id=google_id,
        client_secret=google_secret,
        api_base_url=url(Platform.google),
        token_url=f"{url(Platform.google)}/token",
        account_rate=Rate(rate),
    )
    meta = MetaAdsConfig(
        app_id=meta_id,
        app_secret=meta_secret,
        graph_base_url=url(Platform.meta),
        dialog_base_url=url(Platform.meta),
        account_rate=Rate(rate),
    )
    tiktok = TikTokAdsConfig(
        app_id=tiktok_id, app_secret=tiktok_secret, api_base_url=url(Platform.tiktok), app_rate=Rate(rate)
    )
    # TikTok documents no per-advertiser limit; the product keeps a default one, which an experiment may change.
    tiktok_account_rate = env_number("BENCH_SYNC_TIKTOK_ACCOUNT_RATE", 0)
    if tiktok_account_rate:
        tiktok = replace(tiktok, account_rate=Rate(tiktok_account_rate))
    return {
        Platform.google: GoogleAdsAdapter(google, http),
        Platform.meta: MetaAdsAdapter(meta, http),
        Platform.tiktok: TikTokAdsAdapter(tiktok, http),
    }


def sandbox_credentials(world: SandboxWorld) -> dict[Platform, tuple[str, Credentials]]:
    """Per platform, the sandbox login that reaches the most accounts and a token for it, signed with the secret
    the sandbox process was given (the sandbox's tokens are stateless HMAC, valid in any process)."""
    from adpilot.platforms.types import Credentials, Platform
    from adpilot.sandbox.auth import TokenAuthority

    authority = TokenAuthority(SECRET_KEY.encode(), world.clock)
    kinds: dict[Platform, tuple[str, int | None]] = {
        Platform.google: ("access", 3599),
        Platform.meta: ("long_lived", 5183944),
        Platform.tiktok: ("long_lived", None),  # TikTok's long-term advertiser token
    }
    result: dict[Platform, tuple[str, Credentials]] = {}
    for platform in (Platform.google, Platform.meta, Platform.tiktok):
        login = max(world.logins(platform), key=lambda candidate: len(candidate.account_ids))
        kind, ttl = kinds[platform]
        token, expires_at = authority.issue_token(platform, login.login_id, kind, ttl)
        result[platform] = (login.login_id, Credentials(access_token=token, expires_at=expires_at))
    return result
