"""The emulators count operations as the platforms meter them: Google one per search or searchStream request (however
many rows) and one per mutate operation; Meta and TikTok one per API call."""

from __future__ import annotations

import httpx

from adpilot.platforms.types import Platform
from adpilot.sandbox.app import create_standalone_app
from adpilot.sandbox.clock import SandboxClock
from adpilot.sandbox.state import SandboxState

SECRET = b"operations-test-secret"


def _token(state: SandboxState, platform: Platform, kind: str, ttl: int | None) -> tuple[str, list[str]]:
    login = max(state.world.logins(platform), key=lambda candidate: len(candidate.account_ids))
    token, _ = state.auth.issue_token(platform, login.login_id, kind, ttl)
    return token, list(login.account_ids)


async def test_operations_are_counted_as_each_platform_counts_them() -> None:
    clock = SandboxClock()
    clock.freeze()
    state = SandboxState.demo(secret=SECRET, clock=clock)
    transport = httpx.ASGITransport(app=create_standalone_app(state))
    async with httpx.AsyncClient(transport=transport, base_url="http://sandbox/sandbox") as client:
        google, google_accounts = _token(state, Platform.google, "access", 3599)
        customer = next(
            a
            for a in google_accounts
            if not state.world.account(Platform.google, a).is_manager  # type: ignore[union-attr]
        )
        headers = {"Authorization": f"Bearer {google}"}
        for path in ("searchStream", "search"):
            response = await client.post(
                f"/google/v23/customers/{customer}/googleAds:{path}",
                json={"query": "SELECT campaign.id, campaign.name FROM campaign"},
                headers=headers,
            )
            assert response.status_code == 200, response.text
        campaign = response.json()["results"][0]["campaign"]["resourceName"]
        response = await client.post(
            f"/google/v23/customers/{customer}/campaigns:mutate",
            json={
                "operations": [
                    {"update": {"resourceName": campaign, "status": "PAUSED"}, "updateMask": "status"},
                    {"update": {"resourceName": campaign, "name": "Renamed"}, "updateMask": "name"},
                ],
                "validateOnly": True,
            },
            headers=headers,
        )
        assert response.status_code == 200, response.text
        assert state.operations[(Platform.google, customer)] == 4  # two reads, two mutate operations

        meta, meta_accounts = _token(state, Platform.meta, "long_lived", 5183944)
        response = await client.get(
            f"/meta/v23.0/act_{meta_accounts[0]}/campaigns", params={"access_token": meta, "fields": "id,name"}
        )
        assert response.status_code == 200, response.text
        assert state.operations[(Platform.meta, meta_accounts[0])] == 1

        tiktok, tiktok_accounts = _token(state, Platform.tiktok, "long_lived", None)
        response = await client.get(
            "/tiktok/open_api/v1.3/campaign/get/",
            params={"advertiser_id": tiktok_accounts[0]},
            headers={"Access-Token": tiktok},
        )
        assert response.status_code == 200 and response.json()["code"] == 0, response.text
        assert state.operations[(Platform.tiktok, tiktok_accounts[0])] == 1

        listed = (await client.get("/_control/operations")).json()
        assert {"platform": "google", "account_id": customer, "operations": 4} in listed
        assert (await client.delete("/_control/operations")).status_code == 204
        assert not state.operations
