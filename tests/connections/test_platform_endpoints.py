"""Where each platform's calls go: real app credentials never reach the sandbox, and the API says which is used."""

from __future__ import annotations

import dataclasses
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from adpilot import operations
from adpilot.config import Environment, PlatformEndpoint, Settings
from adpilot.connections import adapters
from adpilot.platforms.config import SANDBOX_APP_CREDENTIALS, GoogleAdsConfig, MetaAdsConfig, TikTokAdsConfig
from adpilot.platforms.types import Platform

REAL = {
    "google_client_id": "real-client.apps.googleusercontent.com",
    "google_client_secret": SecretStr("real-google-secret"),
    "meta_app_id": "1234567890",
    "meta_app_secret": SecretStr("real-meta-secret"),
    "tiktok_app_id": "7000000000",
    "tiktok_app_secret": SecretStr("real-tiktok-secret"),
}


def settings(**values: Any) -> Settings:
    return Settings(_env_file=None, environment=Environment.development, **values)


AdsConfig = GoogleAdsConfig | MetaAdsConfig | TikTokAdsConfig


def urls_of(config: AdsConfig) -> list[str]:
    values = [getattr(config, field.name) for field in dataclasses.fields(config) if field.name.endswith("_url")]
    return [value for value in values if isinstance(value, str)]


class TestRealCredentialsNeverReachTheSandbox:
    def test_a_platform_with_app_credentials_talks_to_the_real_platform_with_the_sandbox_on(self) -> None:
        staging = settings(sandbox=True, **REAL)
        google, meta, tiktok = (
            adapters.google_config(staging),
            adapters.meta_config(staging),
            adapters.tiktok_config(staging),
        )
        defaults: tuple[AdsConfig, ...] = (
            GoogleAdsConfig(client_id="x", client_secret="y"),
            MetaAdsConfig(app_id="x", app_secret="y"),
            TikTokAdsConfig(app_id="x", app_secret="y"),
        )
        configured: tuple[AdsConfig, ...] = (google, meta, tiktok)
        for config, default in zip(configured, defaults, strict=True):
            assert urls_of(config) == urls_of(default)
            assert not any("/sandbox/" in url for url in urls_of(config))
        assert google.client_secret == "real-google-secret"
        assert meta.app_secret == "real-meta-secret"
        assert tiktok.app_secret == "real-tiktok-secret"
        for platform in Platform:
            assert staging.platform_endpoint(platform.value) is PlatformEndpoint.real

    def test_a_platform_without_credentials_uses_the_sandbox_and_its_credentials(self) -> None:
        mixed = settings(sandbox=True, google_client_id="real-id", google_client_secret=SecretStr("real-secret"))
        meta = adapters.meta_config(mixed)
        assert meta.graph_base_url == f"{mixed.base_url}/sandbox/meta"
        assert (meta.app_id, meta.app_secret) == SANDBOX_APP_CREDENTIALS[Platform.meta]
        google = adapters.google_config(mixed)
        assert google.api_base_url == GoogleAdsConfig(client_id="x", client_secret="y").api_base_url
        assert mixed.platform_endpoint("google") is PlatformEndpoint.real
        assert mixed.platform_endpoint("meta") is PlatformEndpoint.sandbox
        assert mixed.platform_endpoint("tiktok") is PlatformEndpoint.sandbox

    def test_an_id_without_its_secret_is_not_credentials(self) -> None:
        partial = settings(sandbox=True, tiktok_app_id="7000000000")
        assert partial.platform_endpoint("tiktok") is PlatformEndpoint.sandbox

    def test_explicit_urls_win_and_are_reported_as_custom(self) -> None:
        pointed = settings(sandbox=True, meta_graph_base_url="http://127.0.0.1:9000/sandbox/meta", **REAL)
        meta = adapters.meta_config(pointed)
        assert meta.graph_base_url == "http://127.0.0.1:9000/sandbox/meta"
        # The URL not set explicitly is the real platform's, never the in-process sandbox's.
        assert meta.dialog_base_url == MetaAdsConfig(app_id="x", app_secret="y").dialog_base_url
        assert pointed.platform_endpoint("meta") is PlatformEndpoint.custom

    def test_without_sandbox_or_credentials_the_platform_is_unconfigured(self) -> None:
        production = settings(sandbox=False)
        assert production.platform_endpoint("google") is PlatformEndpoint.unconfigured
        with pytest.raises(adapters.PlatformNotConfigured):
            adapters.google_config(production)


@pytest.mark.usefixtures("database")
class TestClientConfig:
    async def test_says_which_endpoint_each_platform_uses(
        self, client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        staging = settings(
            sandbox=True,
            google_client_id="real-id",
            google_client_secret=SecretStr("real-secret"),
            tiktok_api_base_url="https://proxy.example.com/tiktok",
        )
        monkeypatch.setattr(operations, "get_settings", lambda: staging)
        response = await client.get("/api/v1/config")
        assert response.status_code == 200, response.text
        assert response.json()["platform_endpoints"] == {"google": "real", "meta": "sandbox", "tiktok": "custom"}

    async def test_the_default_development_server_uses_the_sandbox_everywhere(self, client: httpx.AsyncClient) -> None:
        body = (await client.get("/api/v1/config")).json()
        assert body["platform_endpoints"] == {"google": "sandbox", "meta": "sandbox", "tiktok": "sandbox"}
