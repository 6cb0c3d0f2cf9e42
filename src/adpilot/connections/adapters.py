"""The composition root of the ad platforms: settings → adapter configurations → one adapter per platform.

Every adapter of a process shares one ``PlatformHttp`` (one connection pool) and one PostgreSQL rate limiter, so the
limits hold across the API process and every worker. A platform goes where ``Settings.platform_endpoint`` says: a
platform without app credentials or explicit URLs uses the local emulators under ``{base_url}/sandbox/<platform>``
with the sandbox apps' credentials; one with app credentials talks to the real platform (its URLs may still be set
explicitly), so a real client secret is never sent to the emulators.
"""

from __future__ import annotations

from adpilot.config import Settings, get_settings
from adpilot.db import get_database
from adpilot.platforms.config import SANDBOX_APP_CREDENTIALS, GoogleAdsConfig, MetaAdsConfig, Rate, TikTokAdsConfig
from adpilot.platforms.http import PlatformHttp, RetryPolicy, default_client
from adpilot.platforms.port import AdPlatformAdapter
from adpilot.platforms.quota import PostgresOperationMeter
from adpilot.platforms.ratelimit import PostgresRateLimiter
from adpilot.platforms.types import Platform


class PlatformNotConfigured(RuntimeError):
    """The platform has no app credentials configured (and the sandbox is off)."""


_http: PlatformHttp | None = None
_adapters: dict[Platform, AdPlatformAdapter] = {}


def sandbox_url(settings: Settings, platform: Platform) -> str:
    return f"{settings.base_url}/sandbox/{platform.value}"


def _sandbox(settings: Settings, platform: Platform) -> str | None:
    """The emulators' URL for the platform's URLs not set explicitly, or None: only a platform without app
    credentials of its own uses the sandbox this server serves (its real secret never reaches the emulators)."""
    if settings.sandbox_enabled and not settings.has_app_credentials(platform.value):
        return sandbox_url(settings, platform)
    return None


def _app_credentials(settings: Settings, platform: Platform) -> tuple[str, str]:
    client_id, secret = {
        Platform.google: (settings.google_client_id, settings.google_client_secret),
        Platform.meta: (settings.meta_app_id, settings.meta_app_secret),
        Platform.tiktok: (settings.tiktok_app_id, settings.tiktok_app_secret),
    }[platform]
    if client_id is not None and secret is not None:
        return client_id, secret.get_secret_value()
    if settings.sandbox_enabled:
        return SANDBOX_APP_CREDENTIALS[platform]
    raise PlatformNotConfigured(f"{platform.value} has no app credentials: set ADPILOT_{platform.name.upper()}_* ")


def google_config(settings: Settings) -> GoogleAdsConfig:
    client_id, secret = _app_credentials(settings, Platform.google)
    sandbox = _sandbox(settings, Platform.google)
    defaults = GoogleAdsConfig(client_id=client_id, client_secret=secret)
    token = settings.google_developer_token
    return GoogleAdsConfig(
        client_id=client_id,
        client_secret=secret,
        api_base_url=settings.google_ads_api_base_url or sandbox or defaults.api_base_url,
        api_version=settings.google_ads_api_version,
        authorize_url=settings.google_oauth_authorize_url
        or (f"{sandbox}/o/oauth2/v2/auth" if sandbox else defaults.authorize_url),
        token_url=settings.google_oauth_token_url or (f"{sandbox}/token" if sandbox else defaults.token_url),
        revoke_url=settings.google_oauth_revoke_url or (f"{sandbox}/revoke" if sandbox else defaults.revoke_url),
        userinfo_url=settings.google_oauth_userinfo_url
        or (f"{sandbox}/v1/userinfo" if sandbox else defaults.userinfo_url),
        developer_token=token.get_secret_value() if token is not None else None,
        account_rate=Rate(settings.google_requests_per_second),
    )


def meta_config(settings: Settings) -> MetaAdsConfig:
    app_id, secret = _app_credentials(settings, Platform.meta)
    sandbox = _sandbox(settings, Platform.meta)
    defaults = MetaAdsConfig(app_id=app_id, app_secret=secret)
    return MetaAdsConfig(
        app_id=app_id,
        app_secret=secret,
        graph_base_url=settings.meta_graph_base_url or sandbox or defaults.graph_base_url,
        dialog_base_url=settings.meta_dialog_base_url or sandbox or defaults.dialog_base_url,
        api_version=settings.meta_api_version,
        account_rate=Rate(settings.meta_requests_per_second),
    )


def tiktok_config(settings: Settings) -> TikTokAdsConfig:
    app_id, secret = _app_credentials(settings, Platform.tiktok)
    sandbox = _sandbox(settings, Platform.tiktok)
    defaults = TikTokAdsConfig(app_id=app_id, app_secret=secret)
    return TikTokAdsConfig(
        app_id=app_id,
        app_secret=secret,
        api_base_url=settings.tiktok_api_base_url or sandbox or defaults.api_base_url,
        authorize_url=settings.tiktok_authorize_url
        or (f"{sandbox}/portal/auth" if sandbox else defaults.authorize_url),
        app_rate=Rate(settings.tiktok_requests_per_second),
        account_rate=Rate(settings.tiktok_requests_per_second),
    )


def build_adapter(platform: Platform, settings: Settings, http: PlatformHttp) -> AdPlatformAdapter:
    """A new adapter for ``platform`` (imported here so each vendor package loads only when used)."""
    if platform is Platform.google:
        from adpilot.platforms.google import GoogleAdsAdapter

        return GoogleAdsAdapter(google_config(settings), http)
    if platform is Platform.meta:
        from adpilot.platforms.meta import MetaAdsAdapter

        return MetaAdsAdapter(meta_config(settings), http)
    from adpilot.platforms.tiktok import TikTokAdsAdapter

    return TikTokAdsAdapter(tiktok_config(settings), http)


def platform_http() -> PlatformHttp:
    """The process's shared pipeline (created on first use, closed by ``close_adapters``)."""
    global _http
    if _http is None:
        settings = get_settings()
        _http = PlatformHttp(
            limiter=PostgresRateLimiter(get_database().engine),
            client=default_client(settings.platform_timeout_seconds),
            retry=RetryPolicy(max_limiter_wait=settings.platform_limiter_max_wait_seconds),
            meter=PostgresOperationMeter(get_database().engine),
        )
    return _http


def get_adapter(platform: Platform) -> AdPlatformAdapter:
    """The process's adapter for ``platform``."""
    adapter = _adapters.get(platform)
    if adapter is None:
        adapter = _adapters[platform] = build_adapter(platform, get_settings(), platform_http())
    return adapter


async def close_adapters() -> None:
    global _http
    _adapters.clear()
    if _http is not None:
        await _http.aclose()
        _http = None
