"""The sandbox's consent pages send people (and authorization codes) only to adpilot's own OAuth callbacks."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from adpilot.platforms.types import Platform
from adpilot.sandbox.app import create_sandbox_app
from adpilot.sandbox.auth import redirect_uri_allowed
from adpilot.sandbox.state import SandboxConfig, SandboxState

ORIGIN = "http://app.test"


@pytest.fixture
async def sandbox() -> AsyncIterator[tuple[SandboxState, httpx.AsyncClient]]:
    state = SandboxState.demo(config=SandboxConfig(redirect_origins=(ORIGIN,)))
    transport = httpx.ASGITransport(app=create_sandbox_app(state))
    async with httpx.AsyncClient(transport=transport, base_url="http://sandbox.test") as client:
        yield state, client


def consent_request(state: SandboxState, platform: Platform, redirect_uri: str) -> tuple[str, dict[str, str]]:
    """The consent page's path and the parameters adpilot's adapter sends to it."""
    app_id = state.config.app_credentials[platform][0]
    if platform is Platform.google:
        params = {"client_id": app_id, "response_type": "code", "scope": "https://www.googleapis.com/auth/adwords"}
        return "/google/o/oauth2/v2/auth", {**params, "redirect_uri": redirect_uri, "state": "s-1"}
    if platform is Platform.meta:
        return "/meta/v21.0/dialog/oauth", {"client_id": app_id, "redirect_uri": redirect_uri, "state": "s-1"}
    return "/tiktok/portal/auth", {"app_id": app_id, "redirect_uri": redirect_uri, "state": "s-1"}


HOSTILE = [
    "https://attacker.example/connections/callback/{platform}",
    "http://app.test.attacker.example/connections/callback/{platform}",
    "http://app.test@attacker.example/connections/callback/{platform}",
    "http://app.test/somewhere-else",
    "javascript:alert(1)//connections/callback/{platform}",
]


@pytest.mark.parametrize("platform", list(Platform))
@pytest.mark.parametrize("hostile", HOSTILE)
async def test_a_foreign_redirect_uri_gets_an_error_page_and_no_redirect(
    sandbox: tuple[SandboxState, httpx.AsyncClient], platform: Platform, hostile: str
) -> None:
    state, client = sandbox
    path, params = consent_request(state, platform, hostile.format(platform=platform.value))
    page = await client.get(path, params=params)
    assert page.status_code == 400
    assert "location" not in page.headers
    login = state.world.logins(platform)[0].login_id
    for decision in ("allow", "deny"):
        answer = await client.post(path, data={**params, "login_id": login, "decision": decision})
        assert answer.status_code == 400, answer.text
        assert "location" not in answer.headers


@pytest.mark.parametrize("platform", list(Platform))
async def test_adpilots_callback_gets_the_code(
    sandbox: tuple[SandboxState, httpx.AsyncClient], platform: Platform
) -> None:
    state, client = sandbox
    callback = f"{ORIGIN}/connections/callback/{platform.value}"
    path, params = consent_request(state, platform, callback)
    assert (await client.get(path, params=params)).status_code == 200
    login = state.world.logins(platform)[0].login_id
    answer = await client.post(path, data={**params, "login_id": login, "decision": "allow"})
    assert answer.status_code in (302, 303), answer.text
    assert answer.headers["location"].startswith(callback + "?")


def test_without_configured_origins_only_the_callback_path_is_checked() -> None:
    assert redirect_uri_allowed(Platform.meta, "https://adpilot.example.com/connections/callback/meta")
    assert not redirect_uri_allowed(Platform.meta, "https://adpilot.example.com/connections/callback/google")
    assert not redirect_uri_allowed(Platform.meta, "https://adpilot.example.com/connections/callback/meta#x")
    assert not redirect_uri_allowed(Platform.meta, "https://adpilot.example.com:99999/connections/callback/meta")
