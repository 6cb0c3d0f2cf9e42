"""The TikTok emulator's routing: every Open API endpoint goes through one pipeline, and everything else is 404 (still
logged and counted, as TikTok counts the requests that reach it)."""

from __future__ import annotations

from pathlib import Path

import httpx

import adpilot.sandbox.engine
import adpilot.sandbox.tiktok
from adpilot.platforms.types import Platform
from adpilot.sandbox.clock import SandboxClock
from adpilot.sandbox.state import SandboxState
from adpilot.sandbox.tiktok import create_tiktok_emulator

SECRET = b"tiktok-emulator-test-secret"
ENDPOINTS = [
    ("POST", "oauth2/access_token/"),
    ("POST", "tt_user/oauth2/refresh_token/"),
    ("POST", "oauth2/revoke_token/"),
    ("GET", "oauth2/advertiser/get/"),
    ("GET", "advertiser/info/"),
    ("GET", "campaign/get/"),
    ("GET", "adgroup/get/"),
    ("GET", "ad/get/"),
    ("POST", "campaign/create/"),
    ("POST", "campaign/update/"),
    ("POST", "adgroup/create/"),
    ("POST", "ad/create/"),
    ("POST", "ad/update/"),
    ("POST", "adgroup/update/"),
    ("POST", "campaign/status/update/"),
    ("POST", "adgroup/status/update/"),
    ("POST", "ad/status/update/"),
    ("GET", "report/integrated/get/"),
]


async def test_every_endpoint_answers_in_the_envelope_and_other_calls_are_not_found() -> None:
    clock = SandboxClock()
    clock.freeze()
    state = SandboxState.demo(secret=SECRET, clock=clock)
    login = state.world.logins(Platform.tiktok)[0]
    token, _ = state.auth.issue_token(Platform.tiktok, login.login_id, "long_lived", None)
    advertiser = login.account_ids[0]
    transport = httpx.ASGITransport(app=create_tiktok_emulator(state))
    async with httpx.AsyncClient(transport=transport, base_url="http://tiktok") as client:
        for method, path in ENDPOINTS:
            response = await client.request(
                method,
                f"/open_api/v1.3/{path}",
                params={"advertiser_id": advertiser},
                headers={"Access-Token": token},
            )
            body = response.json()
            assert response.status_code == 200, (method, path)
            assert set(body) == {"code", "message", "request_id", "data"}, (method, path)

        state.request_log.clear()
        state.operations.clear()
        other = {"GET": "POST", "POST": "GET"}
        for method, path in [
            *((other[method], path) for method, path in ENDPOINTS),
            ("GET", "campaign/get"),  # no trailing slash
            ("GET", "campaign/list/"),
        ]:
            response = await client.request(method, f"/open_api/v1.3/{path}", params={"advertiser_id": advertiser})
            assert (response.status_code, response.json()) == (404, {"detail": "Not Found"}), (method, path)
        response = await client.get("/open_api/v2/campaign/get/", params={"advertiser_id": advertiser})
        assert response.status_code == 404

    assert len(state.request_log) == len(ENDPOINTS) + 3
    assert state.request_log[-1] == (Platform.tiktok, "GET", "/open_api/v2/campaign/get/")
    assert state.operations[(Platform.tiktok, advertiser)] == len(ENDPOINTS) + 3


def test_the_tiktok_emulator_and_the_engine_are_packages_of_small_modules() -> None:
    # Each part has one job and an obvious place for what comes next; no module grows past about 800 lines.
    for package in (adpilot.sandbox.tiktok, adpilot.sandbox.engine):
        assert package.__file__ is not None
        assert Path(package.__file__).name == "__init__.py", package.__name__
        modules = list(Path(package.__file__).parent.glob("*.py"))
        assert len(modules) > 4, package.__name__
        for module in modules:
            assert len(module.read_text().splitlines()) <= 800, module
