"""Everything one running sandbox shares: the simulated world, its clock, sign-in, faults, quota and settings.

The three emulators receive the same ``SandboxState``, so a test can advance the clock, queue a fault or pause a
campaign in one place and observe it through any adapter.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from adpilot.platforms.config import SANDBOX_APP_CREDENTIALS
from adpilot.platforms.types import Platform
from adpilot.sandbox.auth import TokenAuthority
from adpilot.sandbox.clock import SandboxClock
from adpilot.sandbox.engine import SandboxWorld, build_demo_world
from adpilot.sandbox.faults import FaultPlan
from adpilot.sandbox.quota import QuotaGate


def _default_app_credentials() -> dict[Platform, tuple[str, str]]:
    # The sandbox's own OAuth apps: the same public, fixed values the product uses in sandbox mode.
    return dict(SANDBOX_APP_CREDENTIALS)


@dataclass
class SandboxConfig:
    google_requests_per_second: float = 20.0  # per customer account
    meta_requests_per_second: float = 20.0  # per ad account
    tiktok_requests_per_second: float = 20.0  # per app
    google_access_token_ttl: int = 3599
    meta_short_token_ttl: int = 7200
    meta_long_token_ttl: int = 5183944
    # "long_term": advertiser tokens that never expire; "rotating": 24 h access + 1 y refresh, rotated on refresh.
    tiktok_token_mode: str = "long_term"  # noqa: S105 - a mode name, not a secret
    # Days a TikTok report with ``stat_time_day`` may cover before the emulator answers 40067 (TikTok's rule: 30).
    tiktok_report_max_days: int = 30
    app_credentials: dict[Platform, tuple[str, str]] = field(default_factory=_default_app_credentials)
    # The origins (scheme://host[:port]) of adpilot servers whose OAuth callbacks the consent pages redirect to, like
    # the redirect URIs registered in a platform's app settings; empty: any origin, but only adpilot's callback path.
    redirect_origins: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.tiktok_token_mode not in ("long_term", "rotating"):
            raise ValueError("tiktok_token_mode is long_term or rotating")


@dataclass
class SandboxState:
    world: SandboxWorld
    clock: SandboxClock
    auth: TokenAuthority
    faults: FaultPlan
    quota: QuotaGate
    config: SandboxConfig
    # (platform, method, path) of every request the emulators served, in order, for tests to assert call patterns.
    request_log: list[tuple[Platform, str, str]] = field(default_factory=list)
    # Operations as each platform counts them against its quota, per (platform, account id; "" for calls about no
    # one account): Google one per search or searchStream request and one per mutate operation, Meta and TikTok one
    # per API call.
    operations: Counter[tuple[Platform, str]] = field(default_factory=Counter)

    def count_operations(self, platform: Platform, account_id: str | None, count: int = 1) -> None:
        self.operations[(platform, account_id or "")] += count

    @classmethod
    def demo(
        cls,
        *,
        seed: int = 7,
        secret: bytes = b"sandbox",
        config: SandboxConfig | None = None,
        clock: SandboxClock | None = None,
    ) -> SandboxState:
        """The demo world for ``seed`` with fresh sign-in, faults and quota, all on one clock."""
        clock = clock or SandboxClock()
        return cls(
            world=build_demo_world(seed, clock),
            clock=clock,
            auth=TokenAuthority(secret, clock),
            faults=FaultPlan(),
            quota=QuotaGate(),
            config=config or SandboxConfig(),
        )
