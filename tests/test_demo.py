"""The demo workspace: created once, logged into through the real API, and refused with a clear reason."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import httpx
import pytest
from pydantic import SecretStr

from adpilot.config import get_settings
from adpilot.connections.jobs import discover_accounts
from adpilot.db import Database
from adpilot.demo import DEMO_ORGANIZATION, DemoSettingsInvalid, seed_demo
from adpilot.platforms.types import EntityStatus, Platform
from adpilot.sandbox.engine import SimEntity


class TestSeedDemo:
    async def test_the_demo_user_logs_in_and_administers_the_demo_organization(
        self, database: Database, client: httpx.AsyncClient
    ) -> None:
        settings = get_settings()
        login = await seed_demo(database, settings)
        assert login.created is True
        response = await client.post("/api/v1/auth/login", json={"email": login.email, "password": login.password})
        assert response.status_code == 200, response.text
        headers = {"Authorization": f"Bearer {response.json()['access_token']}"}
        me = (await client.get("/api/v1/me", headers=headers)).json()
        assert me["email_verified"] is True
        [organization] = (await client.get("/api/v1/orgs", headers=headers)).json()["items"]
        assert (organization["name"], organization["role"]) == (DEMO_ORGANIZATION, "admin")

    async def test_seeding_twice_keeps_one_workspace(self, database: Database, client: httpx.AsyncClient) -> None:
        settings = get_settings()
        await seed_demo(database, settings)
        again = await seed_demo(database, settings)
        assert again.created is False
        response = await client.post("/api/v1/auth/login", json={"email": again.email, "password": again.password})
        headers = {"Authorization": f"Bearer {response.json()['access_token']}"}
        assert len((await client.get("/api/v1/orgs", headers=headers)).json()["items"]) == 1

    async def test_a_common_password_is_refused_with_the_setting_named(self, database: Database) -> None:
        settings = get_settings().model_copy(update={"demo_password": SecretStr("password123")})
        with pytest.raises(DemoSettingsInvalid, match="ADPILOT_DEMO_PASSWORD"):
            await seed_demo(database, settings)

    async def test_an_invalid_email_is_refused_with_the_setting_named(self, database: Database) -> None:
        settings = get_settings().model_copy(update={"demo_email": "not-an-email"})
        with pytest.raises(DemoSettingsInvalid, match="ADPILOT_DEMO_EMAIL"):
            await seed_demo(database, settings)


class TestDemoConnections:
    async def demo_headers(self, client: httpx.AsyncClient) -> tuple[dict[str, str], str]:
        settings = get_settings()
        response = await client.post(
            "/api/v1/auth/login",
            json={"email": settings.demo_email, "password": settings.demo_password.get_secret_value()},
        )
        headers = {"Authorization": f"Bearer {response.json()['access_token']}"}
        [organization] = (await client.get("/api/v1/orgs", headers=headers)).json()["items"]
        return headers, organization["id"]

    async def test_the_demo_is_connected_to_all_three_sandbox_platforms(
        self, database: Database, client: httpx.AsyncClient
    ) -> None:
        await seed_demo(database, get_settings())
        await seed_demo(database, get_settings())  # a second start connects nothing twice
        headers, organization_id = await self.demo_headers(client)
        connections = (await client.get(f"/api/v1/orgs/{organization_id}/connections", headers=headers)).json()
        assert sorted(c["platform"] for c in connections["items"]) == ["google", "meta", "tiktok"]
        assert all(c["health"] == "ok" for c in connections["items"])
        managed = [a for c in connections["items"] for a in c["accounts"] if a["managed"]]
        per_platform = {c["platform"]: sum(a["managed"] for a in c["accounts"]) for c in connections["items"]}
        assert all(2 <= count <= 3 for count in per_platform.values()), per_platform
        assert len({a["currency"] for a in managed}) >= 2
        assert len({a["time_zone"] for a in managed}) >= 2

    async def test_the_demo_has_drafts_at_each_step_of_their_review(
        self, database: Database, client: httpx.AsyncClient
    ) -> None:
        await seed_demo(database, get_settings())
        await seed_demo(database, get_settings())  # a second start adds no drafts
        headers, organization_id = await self.demo_headers(client)
        listed = await client.get(f"/api/v1/orgs/{organization_id}/drafts", params={"limit": 50}, headers=headers)
        assert listed.status_code == 200, listed.text
        by_status = {item["status"]: item for item in listed.json()["items"]}
        assert sorted(by_status) == ["approved", "changes_requested", "draft", "in_review"]
        assert set(by_status["draft"]["platforms"]) == {"google", "meta", "tiktok"}
        sent_back = await client.get(
            f"/api/v1/orgs/{organization_id}/drafts/{by_status['changes_requested']['id']}", headers=headers
        )
        [comment] = sent_back.json()["comments"]
        assert comment["path"] == "budget.amount_micros" and comment["message"]
        for item in by_status.values():
            # Each went through the workflow's checks: nothing the review would block on.
            draft = (await client.get(f"/api/v1/orgs/{organization_id}/drafts/{item['id']}", headers=headers)).json()
            assert [p for p in draft["problems"] if p["severity"] == "error"] == [], draft["problems"]

    async def test_a_platform_with_real_app_credentials_is_not_connected_to_the_sandbox(
        self, database: Database, client: httpx.AsyncClient
    ) -> None:
        staging = get_settings().model_copy(
            update={"meta_app_id": "1234567890", "meta_app_secret": SecretStr("real-meta-secret")}
        )
        await seed_demo(database, staging)
        headers, organization_id = await self.demo_headers(client)
        connections = (await client.get(f"/api/v1/orgs/{organization_id}/connections", headers=headers)).json()
        assert sorted(c["platform"] for c in connections["items"]) == ["google", "tiktok"]

    # The whole demo sync again (as the test below), then the rates: the slowest end-to-end variant. Its parts run in
    # make test: the demo's sync below, the ECB reference rates and the converted rollup in tests/exchange_rates.
    @pytest.mark.slow
    async def test_the_demo_converts_its_numbers_with_no_typed_rate(
        self, database: Database, client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """The demo's EUR, GBP and JPY accounts convert into USD with the reference rates fetched from the sandbox's
        ECB files (the job the worker runs every minute): no rate is typed or imported."""
        from adpilot.app import sandbox_state
        from adpilot.exchange_rates.service.reference_rates import reference_rates_service
        from tests.campaigns.test_entity_sync import run_jobs
        from tests.sandbox_fixtures import point_platforms_at, serve_sandbox

        settings = get_settings()
        await seed_demo(database, settings)
        headers, organization_id = await self.demo_headers(client)
        with serve_sandbox(sandbox_state(settings)) as server:
            point_platforms_at(server, monkeypatch)
            monkeypatch.setenv("ADPILOT_FX_RATES_URL", f"{server.url}/ecb/stats/eurofxref/")
            get_settings.cache_clear()
            await run_jobs(database)
            await reference_rates_service.refresh()
        get_settings.cache_clear()
        typed = await client.get(f"/api/v1/orgs/{organization_id}/exchange-rates", headers=headers)
        assert typed.status_code == 200 and typed.json()["items"] == []
        response = await client.get(
            f"/api/v1/orgs/{organization_id}/analytics/breakdown",
            params={"preset": "last_30_days", "dimension": "account"},
            headers=headers,
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["missing_rates"] == []
        assert body["currency"] == "USD"
        assert len(body["rows"]) >= 6
        assert all(row["totals"]["spend_micros"] is not None for row in body["rows"]), body["rows"]

    async def test_the_demo_accounts_sync_through_the_adapters_and_get_a_history_of_changes(
        self, database: Database, client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """The worker syncs the seeded accounts through the real adapters, against the process's own sandbox (here
        served on a loopback port, as `adpilot serve` serves it at /sandbox); the first syncs bring the demo's
        history of changes through the change pipeline, once, and the sandbox has what was applied."""
        from adpilot.app import sandbox_state
        from tests.campaigns.test_entity_sync import run_jobs
        from tests.sandbox_fixtures import point_platforms_at, serve_sandbox

        settings = get_settings()
        await seed_demo(database, settings)
        sandbox = sandbox_state(settings)
        with serve_sandbox(sandbox) as server:
            point_platforms_at(server, monkeypatch)
            await run_jobs(database)
            # A restart seeds again, and a later sync publishes its event again: no second history.
            await seed_demo(database, settings)
            headers, organization_id = await self.demo_headers(client)
            status = await client.get(f"/api/v1/orgs/{organization_id}/ad-accounts/sync-status", headers=headers)
            url = f"/api/v1/orgs/{organization_id}/ad-accounts/{status.json()['items'][0]['ad_account_id']}/sync"
            assert (await client.post(url, headers=headers)).status_code == 202
            await run_jobs(database)
        status = (await client.get(f"/api/v1/orgs/{organization_id}/ad-accounts/sync-status", headers=headers)).json()[
            "items"
        ]
        assert len(status) >= 6
        assert all(s["last_run"]["status"] == "succeeded" for s in status), status
        assert sum(s["entity_counts"].get("campaign", 0) for s in status) >= 30

        changes = await client.get(f"/api/v1/orgs/{organization_id}/changes", params={"limit": 50}, headers=headers)
        assert changes.status_code == 200, changes.text
        by_what = {(c["kind"], c["status"]): c for c in changes.json()["items"]}
        assert sorted(by_what) == [
            ("bid", "verified"),
            ("daily_budget", "failed"),
            ("daily_budget", "pending_approval"),
            ("daily_budget", "verified"),
            ("status", "rejected"),
            ("status", "verified"),
        ], sorted(by_what)
        world = sandbox.world

        def sim(change: dict[str, Any]) -> SimEntity:
            entity = world.entity(Platform(change["platform"]), change["platform_id"])
            assert entity is not None
            return entity

        paused = by_what[("status", "verified")]
        assert sim(paused).status is EntityStatus.paused
        raised = by_what[("daily_budget", "verified")]
        assert int(raised["value_after"]) == pytest.approx(int(raised["value_before"]) * 1.2, rel=0.01)
        sim_raised = sim(raised)
        assert sim_raised.daily_budget_micros == int(raised["value_after"])
        bid = by_what[("bid", "verified")]
        assert bid["value_before"] is None or int(bid["value_after"]) < int(bid["value_before"])
        bidder = sim(bid).attributes
        held = [bidder.get("target_cpa_micros"), bidder.get("cpc_bid_micros"), bidder.get("bid_amount", 0) * 10_000]
        assert int(bid["value_after"]) in held, bidder
        refused = by_what[("daily_budget", "failed")]
        assert refused["platform"] == "tiktok" and "at least" in refused["error"], refused
        sim_refused = sim(refused)
        assert sim_refused.daily_budget_micros != int(refused["value_after"])
        rejected = by_what[("status", "rejected")]
        assert rejected["review_note"] and rejected["requested_by_user_id"] != rejected["reviewed_by_user_id"]
        assert sim(rejected).status is EntityStatus.active
        waiting = by_what[("daily_budget", "pending_approval")]
        assert sim(waiting).daily_budget_micros == int(waiting["value_before"])
        members = await client.get(f"/api/v1/orgs/{organization_id}/members", headers=headers)
        roles = {m["user_id"]: m["role"] for m in members.json()["items"]}
        assert roles[waiting["requested_by_user_id"]] == "member" and roles[paused["requested_by_user_id"]] == "admin"

    @pytest.mark.parametrize("platform", ["google", "meta", "tiktok"])
    async def test_reconnecting_a_demo_login_through_the_consent_page_replaces_it(
        self, database: Database, client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch, platform: str
    ) -> None:
        from adpilot.app import sandbox_state
        from tests.sandbox_fixtures import consent, point_platforms_at, serve_sandbox

        settings = get_settings()
        await seed_demo(database, settings)
        headers, organization_id = await self.demo_headers(client)
        base = f"/api/v1/orgs/{organization_id}/connections"
        with serve_sandbox(sandbox_state(settings)) as server:
            point_platforms_at(server, monkeypatch)
            started = await client.post(f"{base}/{platform}/authorize", headers=headers)
            params = await consent(started.json()["authorization_url"])
            finished = await client.post(
                f"{base}/{platform}/callback",
                json={"state": params["state"], "code": params.get("code") or params.get("auth_code")},
                headers=headers,
            )
            assert finished.status_code == 200, finished.text
            assert finished.json()["discovery"]["state"] == "queued"
            await discover_accounts(UUID(organization_id), connection_id=finished.json()["id"])
        connections = (await client.get(base, headers=headers)).json()["items"]
        assert all(c["discovery"]["state"] == "succeeded" for c in connections)
        assert sorted(c["platform"] for c in connections) == ["google", "meta", "tiktok"]
