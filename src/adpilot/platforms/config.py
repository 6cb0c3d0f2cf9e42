"""Where each platform lives and how fast it may be called. Built from settings by the caller, so that the same
adapters talk to the real platforms or to the sandbox: only these values differ."""

from __future__ import annotations

from dataclasses import dataclass, field

from adpilot.platforms.types import Platform

# The sandbox's own OAuth apps: public, fixed values that only open the local emulators. The emulators accept these
# and nothing else, and the product uses them for every platform without configured credentials in sandbox mode.
SANDBOX_APP_CREDENTIALS: dict[Platform, tuple[str, str]] = {
    Platform.google: ("318512964921-sandbox.apps.googleusercontent.com", "GOCSPX-adpilot-sandbox"),
    Platform.meta: ("1180427796455610", "adpilot-sandbox-meta-app-secret"),
    Platform.tiktok: ("7351884290365521937", "adpilot-sandbox-tiktok-app-secret"),
}


@dataclass(frozen=True, slots=True)
class Rate:
    """At most ``requests`` per ``per_seconds``, spread evenly (a burst of ``burst`` requests is allowed)."""

    requests: float
    per_seconds: float = 1.0
    burst: int = 1

    @property
    def interval(self) -> float:
        """Seconds between two requests at the steady rate."""
        return self.per_seconds / self.requests


@dataclass(frozen=True, slots=True)
class GoogleAdsConfig:
    client_id: str
    client_secret: str = field(repr=False)
    api_base_url: str = "https://googleads.googleapis.com"
    api_version: str = "v23"
    authorize_url: str = "https://accounts.google.com/o/oauth2/v2/auth"
    token_url: str = "https://oauth2.googleapis.com/token"  # noqa: S105 (a URL, not a secret)
    revoke_url: str = "https://oauth2.googleapis.com/revoke"
    # Who granted access (OpenID Connect): the connection's stable identity, and the email shown beside it.
    userinfo_url: str = "https://openidconnect.googleapis.com/v1/userinfo"
    # Optional since 2026-09-09; sent only when set.
    developer_token: str | None = field(default=None, repr=False)
    # Requests per customer account, and for the whole application (the Cloud project).
    account_rate: Rate = Rate(10)
    app_rate: Rate = Rate(50)


@dataclass(frozen=True, slots=True)
class MetaAdsConfig:
    app_id: str
    app_secret: str = field(repr=False)
    graph_base_url: str = "https://graph.facebook.com"
    dialog_base_url: str = "https://www.facebook.com"
    api_version: str = "v23.0"
    scopes: tuple[str, ...] = ("ads_management", "ads_read", "business_management")
    account_rate: Rate = Rate(5)
    app_rate: Rate = Rate(50)
    # Above this share of any usage header, calls for that scope pause until the platform's reset time.
    usage_slowdown_pct: float = 90.0


@dataclass(frozen=True, slots=True)
class TikTokAdsConfig:
    app_id: str
    app_secret: str = field(repr=False)
    api_base_url: str = "https://business-api.tiktok.com"
    authorize_url: str = "https://business-api.tiktok.com/portal/auth"
    # TikTok documents its QPS limits per application; the per-advertiser limit only keeps one advertiser from
    # taking every slot, so it defaults to the same rate.
    account_rate: Rate = Rate(10)
    app_rate: Rate = Rate(10)
