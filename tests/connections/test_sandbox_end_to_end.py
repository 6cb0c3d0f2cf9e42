"""The whole connect flow through the real adapters against the sandbox emulators of Google, Meta and TikTok.

The emulators run in-process behind the adapters' own HTTP pipeline (httpx over ASGI); the person's trip through the
consent page is played by a client that reads the page's form and answers it, as a browser would. Everything after the
consent page goes through the product's API and service: code exchange (with PKCE where the platform takes it), the
account list, choosing accounts, credentials for a sync (refreshed ahead of expiry), and a disconnect that revokes.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import httpx
import pytest
from fastapi import FastAPI
from pydantic import SecretStr

from adpilot import jobs
from adpilot.config import get_settings
from adpilot.connections import AccountAccess, adapters, platform_gateway
from adpilot.platforms.errors import PlatformAuthError
from adpilot.platforms.http import PlatformHttp
from adpilot.platforms.port import AdPlatformAdapter
from adpilot.platforms.ratelimit import MemoryRateLimiter
from adpilot.platforms.types import Platform
from adpilot.sandbox.app import create_sandbox_app
from adpilot.sandbox.state import SandboxConfig, SandboxState
from tests.connections.conftest import base, manage
from tests.fixtures import OrgWorld


@dataclass
class Sandbox:
    state: SandboxState
    browser: httpx.AsyncClient
    adapters: dict[Platform, AdPlatformAdapter]


def sandbox_urls(base_url: str) -> dict[str, str]:
    google, meta, tiktok = (f"{base_url}/sandbox/{platform}" for platform in ("google", "meta", "tiktok"))
    return {
        "google_ads_api_base_url": google,
        "google_oauth_authorize_url": f"{google}/o/oauth2/v2/auth",
        "google_oauth_token_url": f"{google}/token",
        "google_oauth_revoke_url": f"{google}/revoke",
        "google_oauth_userinfo_url": f"{google}/v1/userinfo",
        "meta_graph_base_url": meta,
        "meta_dialog_base_url": meta,
        "tiktok_api_base_url": tiktok,
        "tiktok_authorize_url": f"{tiktok}/portal/auth",
    }


@pytest.fixture
async def sandbox(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Sandbox]:
    """The emulators, and the product's adapters (built by its composition root) pointed at them."""
    state = SandboxState.demo(seed=7, config=SandboxConfig(tiktok_token_mode="rotating"))
    root = FastAPI()
    root.mount("/sandbox", create_sandbox_app(state))
    transport = httpx.ASGITransport(app=root)
    settings = get_settings()
    app_credentials = state.config.app_credentials
    overrides = {
        "sandbox": True,
        "google_client_id": app_credentials[Platform.google][0],
        "google_client_secret": SecretStr(app_credentials[Platform.google][1]),
        "meta_app_id": app_credentials[Platform.meta][0],
        "meta_app_secret": SecretStr(app_credentials[Platform.meta][1]),
        "tiktok_app_id": app_credentials[Platform.tiktok][0],
        "tiktok_app_secret": SecretStr(app_credentials[Platform.tiktok][1]),
        # With app credentials configured a platform is the real one unless pointed elsewhere explicitly.
        **sandbox_urls(settings.base_url),
    }
    http = PlatformHttp(limiter=MemoryRateLimiter(), client=httpx.AsyncClient(transport=transport))
    built = {p: adapters.build_adapter(p, settings.model_copy(update=overrides), http) for p in Platform}
    monkeypatch.setattr(adapters, "get_adapter", lambda platform: built[platform])
    async with httpx.AsyncClient(transport=transport) as browser:
        yield Sandbox(state, browser, built)
    await http.aclose()


async def consent(sandbox: Sandbox, authorization_url: str, platform: Platform) -> httpx.URL:
    """The person picks the first sandbox login and allows access; the platform redirects to the web app."""
    page = await sandbox.browser.get(authorization_url)
    assert page.status_code == 200, page.text
    action = re.search(r'<form method="post" action="([^"]+)"', page.text)
    assert action is not None
    hidden = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page.text))
    login = sandbox.state.world.logins(platform)[0]
    answer = await sandbox.browser.post(
        httpx.URL(authorization_url).join(action.group(1).replace("&amp;", "&")),
        data={**hidden, "login_id": login.login_id, "decision": "allow"},
    )
    assert answer.status_code in (302, 303), answer.text
    return httpx.URL(answer.headers["location"])


async def connect_through_consent(
    client: httpx.AsyncClient, sandbox: Sandbox, world: OrgWorld, platform: Platform
) -> dict[str, Any]:
    started = await client.post(f"{base(world.organization_id)}/{platform}/authorize", headers=world.manager.headers)
    assert started.status_code == 200, started.text
    url = started.json()["authorization_url"]
    back = await consent(sandbox, url, platform)
    assert str(back).startswith(f"http://testserver/connections/callback/{platform}")
    params = dict(back.params)
    finished = await client.post(
        f"{base(world.organization_id)}/{platform}/callback",
        json={"state": params["state"], "code": params.get("code") or params["auth_code"]},
        headers=world.manager.headers,
    )
    assert finished.status_code == 200, finished.text
    connection: dict[str, Any] = finished.json()
    return connection


# What each platform's account listing asks (the walk of Google's manager hierarchies included).
LISTING_PATHS = {
    Platform.google: ("customers:listAccessibleCustomers", "googleAds:search"),
    Platform.meta: ("/adaccounts",),
    Platform.tiktok: ("advertiser/get/", "advertiser/info/"),
}


def listing_requests(sandbox: Sandbox, platform: Platform) -> int:
    return sum(
        1
        for logged_platform, _, path in sandbox.state.request_log
        if logged_platform is platform and any(marker in path for marker in LISTING_PATHS[platform])
    )


async def discover(client: httpx.AsyncClient, world: OrgWorld, connection: dict[str, Any]) -> dict[str, Any]:
    """A platform worker runs the discovery the callback queued; the connection afterwards."""
    await jobs.app.run_worker_async(
        queues=[jobs.Queue.platform.value], wait=False, install_signal_handlers=False, concurrency=1
    )
    response = await client.get(f"{base(world.organization_id)}/{connection['id']}", headers=world.manager.headers)
    assert response.status_code == 200, response.text
    discovered: dict[str, Any] = response.json()
    return discovered


@pytest.mark.parametrize("platform", list(Platform))
async def test_connect_choose_use_refresh_and_disconnect(
    client: httpx.AsyncClient,
    world: OrgWorld,
    sandbox: Sandbox,
    platform: Platform,
    tenant_session: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    connection = await connect_through_consent(client, sandbox, world, platform)
    # The callback only traded the code: the login's accounts are listed by a job, which reports its progress.
    assert listing_requests(sandbox, platform) == 0
    assert connection["discovery"]["state"] == "queued"
    assert connection["accounts"] == [] and connection["account_count"] == 0
    connection = await discover(client, world, connection)
    assert listing_requests(sandbox, platform) > 0
    assert connection["discovery"]["state"] == "succeeded"
    assert connection["discovery"]["accounts_found"] == connection["account_count"] > 0
    assert connection["discovery"]["error"] is None
    assert connection["discovery"]["started_at"] <= connection["discovery"]["finished_at"]
    login = sandbox.state.world.logins(platform)[0]
    listed_ids = {a["platform_account_id"] for a in connection["accounts"]}
    assert set(login.account_ids) <= listed_ids
    assert connection["health"] == "ok"
    assert all(len(a["currency"]) == 3 and "/" in a["time_zone"] for a in connection["accounts"])

    chosen = next(a for a in connection["accounts"] if not a["is_manager"] and a["platform_active"])
    await manage(client, world.organization_id, world.manager, connection, chosen["id"])

    # A sync's view: credentials for the account, refreshed ahead of expiry where the platform's tokens expire
    # (a margin longer than any access token's life makes every expiring token due).
    monkeypatch.setattr(get_settings(), "credential_refresh_margin_minutes", 60 * 24 * 90)

    async def opened(access: AccountAccess) -> AccountAccess:
        return access

    access = await platform_gateway.call(UUID(world.organization_id), UUID(chosen["id"]), opened)
    assert access.account.account_id == chosen["platform_account_id"]
    entities = await access.adapter.list_entities(access.credentials, access.account)
    assert entities, "the sandbox account has campaigns"
    # Google's access tokens last an hour, Meta's long-lived ones 60 days, TikTok's rotating ones a day: each was
    # refreshed through the emulator's own token endpoint (Meta: exchanged again for a long-lived one).
    url = f"{base(world.organization_id)}/{connection['id']}"
    refreshed = (await client.get(url, headers=world.viewer.headers)).json()
    assert refreshed["refreshed_at"] > connection["refreshed_at"]
    assert refreshed["health"] == "ok"

    deleted = await client.delete(url, headers=world.manager.headers)
    assert deleted.status_code == 204
    entries = (
        await client.get(
            f"/api/v1/orgs/{world.organization_id}/audit-log",
            params={"action": "connection.disconnected"},
            headers=world.admin.headers,
        )
    ).json()["items"]
    assert entries[0]["after"]["revoked"] is True, entries[0]["after"]
    # The platform no longer accepts what was revoked.
    with pytest.raises(PlatformAuthError):
        await access.adapter.list_ad_accounts(access.credentials)
