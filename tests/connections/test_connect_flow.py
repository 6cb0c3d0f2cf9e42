"""Connecting a platform: the consent round trip, its state bound to the person, session and organization, PKCE,
reconnecting, and the problems a platform's failures become."""

from __future__ import annotations

import base64
import hashlib
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from sqlalchemy import text

from adpilot.connections import adapters
from adpilot.core.time import utcnow
from adpilot.db import Database
from adpilot.platforms.errors import PlatformAuthError, PlatformRateLimited, PlatformUnavailable
from adpilot.platforms.types import Platform
from tests.connections.conftest import (
    audit_actions,
    authorize,
    base,
    callback,
    connect,
    discovery_jobs,
    manage,
    run_platform_worker,
)
from tests.connections.fakes import FakeAdapter, remote_account
from tests.fixtures import OrgWorld, create_organization, log_in, sign_up, verify_email


class TestAuthorize:
    async def test_the_consent_url_carries_a_random_state_and_the_spa_callback(
        self, client: httpx.AsyncClient, world: OrgWorld, google: FakeAdapter
    ) -> None:
        response = await client.post(f"{base(world.organization_id)}/google/authorize", headers=world.manager.headers)
        assert response.status_code == 200
        query = parse_qs(urlsplit(response.json()["authorization_url"]).query)
        assert len(query["state"][0]) >= 40
        assert google.calls.authorization_urls[0]["redirect_uri"] == "http://testserver/connections/callback/google"
        again = await authorize(client, world.organization_id, world.manager)
        assert again != query["state"][0]

    async def test_an_unverified_account_must_verify_its_email_first(
        self, client: httpx.AsyncClient, google: FakeAdapter
    ) -> None:
        owner = await sign_up(client, verified=False)
        organization_id = await create_organization(client, owner)
        response = await client.post(f"{base(organization_id)}/google/authorize", headers=owner.headers)
        assert response.status_code == 403
        assert response.json()["code"] == "email-not-verified"
        assert google.calls.authorization_urls == []
        await verify_email(client, owner.email)
        assert (
            await client.post(f"{base(organization_id)}/google/authorize", headers=owner.headers)
        ).status_code == 200

    async def test_pkce_challenge_only_where_the_platform_takes_it(
        self, client: httpx.AsyncClient, world: OrgWorld, fakes: dict[Platform, FakeAdapter]
    ) -> None:
        await authorize(client, world.organization_id, world.manager, "google")
        await authorize(client, world.organization_id, world.manager, "meta")
        challenge = fakes[Platform.google].calls.authorization_urls[0]["code_challenge"]
        assert challenge and "=" not in challenge and len(challenge) == 43
        assert fakes[Platform.meta].calls.authorization_urls[0]["code_challenge"] is None

    async def test_the_state_is_stored_only_as_a_digest(
        self, client: httpx.AsyncClient, world: OrgWorld, google: FakeAdapter, superuser_sql: Any
    ) -> None:
        state = await authorize(client, world.organization_id, world.manager)
        rows = await superuser_sql("SELECT row_to_json(s)::text FROM oauth_states s")
        assert len(rows) == 1
        assert state not in rows[0][0]
        assert hashlib.sha256(state.encode()).hexdigest() in rows[0][0]

    async def test_an_unknown_platform_is_a_422(self, client: httpx.AsyncClient, world: OrgWorld) -> None:
        response = await client.post(f"{base(world.organization_id)}/myspace/authorize", headers=world.manager.headers)
        assert response.status_code == 422

    async def test_a_platform_without_app_credentials_is_a_409(
        self, client: httpx.AsyncClient, world: OrgWorld, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        def not_configured(platform: Platform) -> FakeAdapter:
            raise adapters.PlatformNotConfigured("google has no app credentials")

        monkeypatch.setattr(adapters, "get_adapter", not_configured)
        response = await client.post(f"{base(world.organization_id)}/google/authorize", headers=world.manager.headers)
        assert response.status_code == 409
        assert response.json()["code"] == "platform-not-configured"


class TestCallback:
    async def test_connecting_stores_the_login_and_lists_its_accounts_unmanaged(
        self, client: httpx.AsyncClient, world: OrgWorld, google: FakeAdapter
    ) -> None:
        google.accounts = [
            remote_account("9000", "Agency MCC", is_manager=True),
            remote_account("1001", "Shoes DE", login_customer_id="9000"),
            remote_account("1002", "Shoes FR", currency="USD", time_zone="America/New_York", active=False),
        ]
        connection = await connect(client, world.organization_id, world.manager)
        assert connection["platform"] == "google"
        assert connection["display_name"] == "Google Ads · Agency MCC"
        assert connection["health"] == "ok"
        assert connection["token_expires_at"] is not None
        accounts = {a["platform_account_id"]: a for a in connection["accounts"]}
        assert set(accounts) == {"9000", "1001", "1002"}
        assert not any(a["managed"] for a in accounts.values())
        assert accounts["9000"]["is_manager"] is True
        assert accounts["1001"]["login_customer_id"] == "9000"
        assert accounts["1002"] | {"id": None} == {
            "id": None,
            "platform_account_id": "1002",
            "name": "Shoes FR",
            "currency": "USD",
            "time_zone": "America/New_York",
            "login_customer_id": None,
            "managed": False,
            "is_manager": False,
            "platform_active": False,
        }
        listed = (await client.get(base(world.organization_id), headers=world.viewer.headers)).json()
        assert [c["id"] for c in listed["items"]] == [connection["id"]]
        assert listed["needs_reconnect_count"] == 0
        assert await audit_actions(client, world.organization_id, world.admin) == [
            "connection.connected",
            "connection.accounts_discovered",
        ]

    async def test_the_pkce_verifier_goes_with_the_code_and_matches_the_challenge(
        self, client: httpx.AsyncClient, world: OrgWorld, google: FakeAdapter
    ) -> None:
        await connect(client, world.organization_id, world.manager)
        verifier = google.calls.exchanges[0]["code_verifier"]
        challenge = google.calls.authorization_urls[0]["code_challenge"]
        digest = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
        assert digest == challenge
        assert 43 <= len(verifier) <= 128
        assert google.calls.exchanges[0]["redirect_uri"] == "http://testserver/connections/callback/google"

    async def test_no_verifier_where_the_platform_takes_no_pkce(
        self, client: httpx.AsyncClient, world: OrgWorld, fakes: dict[Platform, FakeAdapter]
    ) -> None:
        await connect(client, world.organization_id, world.manager, "meta")
        assert fakes[Platform.meta].calls.exchanges[0]["code_verifier"] is None

    async def test_the_state_is_single_use(
        self, client: httpx.AsyncClient, world: OrgWorld, google: FakeAdapter
    ) -> None:
        state = await authorize(client, world.organization_id, world.manager)
        assert (await callback(client, world.organization_id, world.manager, state)).status_code == 200
        reused = await callback(client, world.organization_id, world.manager, state)
        assert reused.status_code == 400
        assert reused.json()["code"] == "connection-state-invalid"
        assert len(google.calls.exchanges) == 1

    async def test_another_person_cannot_use_the_state(
        self, client: httpx.AsyncClient, world: OrgWorld, google: FakeAdapter
    ) -> None:
        state = await authorize(client, world.organization_id, world.manager)
        response = await callback(client, world.organization_id, world.admin, state)
        assert response.status_code == 400
        assert response.json()["code"] == "connection-state-invalid"
        assert google.calls.exchanges == []
        # The rightful person still can.
        assert (await callback(client, world.organization_id, world.manager, state)).status_code == 200

    async def test_another_session_of_the_same_person_cannot_use_the_state(
        self, client: httpx.AsyncClient, world: OrgWorld, google: FakeAdapter
    ) -> None:
        state = await authorize(client, world.organization_id, world.manager)
        other_session = await log_in(client, world.manager.email)
        response = await callback(client, world.organization_id, other_session, state)
        assert response.status_code == 400
        assert response.json()["code"] == "connection-state-invalid"
        assert google.calls.exchanges == []

    async def test_another_organization_cannot_use_the_state(
        self, client: httpx.AsyncClient, world: OrgWorld, google: FakeAdapter
    ) -> None:
        # The admin belongs to two organizations: a state from one is unknown in the other.
        second = await create_organization(client, world.admin, "Second")
        state = await authorize(client, world.organization_id, world.admin)
        response = await callback(client, second, world.admin, state)
        assert response.status_code == 400
        assert response.json()["code"] == "connection-state-invalid"

    async def test_another_platform_cannot_use_the_state(
        self, client: httpx.AsyncClient, world: OrgWorld, fakes: dict[Platform, FakeAdapter]
    ) -> None:
        state = await authorize(client, world.organization_id, world.manager, "google")
        response = await callback(client, world.organization_id, world.manager, state, "tiktok")
        assert response.status_code == 400
        assert response.json()["code"] == "connection-state-invalid"

    async def test_an_expired_state_is_refused(
        self, client: httpx.AsyncClient, world: OrgWorld, google: FakeAdapter, superuser_sql: Any
    ) -> None:
        state = await authorize(client, world.organization_id, world.manager)
        await superuser_sql("UPDATE oauth_states SET expires_at = now() - interval '1 second'")
        response = await callback(client, world.organization_id, world.manager, state)
        assert response.status_code == 400
        assert response.json()["code"] == "connection-state-invalid"

    async def test_an_unknown_state_is_refused(
        self, client: httpx.AsyncClient, world: OrgWorld, google: FakeAdapter
    ) -> None:
        response = await callback(client, world.organization_id, world.manager, "made-up-state")
        assert response.status_code == 400
        assert response.json()["code"] == "connection-state-invalid"

    async def test_the_audit_log_names_the_connection_and_its_accounts(
        self, client: httpx.AsyncClient, world: OrgWorld, google: FakeAdapter
    ) -> None:
        google.accounts = [remote_account("1001", "Shoes DE")]
        connection = await connect(client, world.organization_id, world.manager)
        [account] = connection["accounts"]
        await manage(client, world.organization_id, world.manager, connection, account["id"])
        sync = await client.post(
            f"/api/v1/orgs/{world.organization_id}/ad-accounts/{account['id']}/sync", headers=world.manager.headers
        )
        assert sync.status_code in {200, 202}, sync.text
        # One entry per page: a name must not depend on another entry being on the same page.
        for action, name in [
            ("connection.accounts_changed", "Google Ads · Shoes DE"),
            ("ad_account.sync_requested", "Shoes DE (Google Ads)"),
        ]:
            response = await client.get(
                f"/api/v1/orgs/{world.organization_id}/audit-log",
                params={"action": action, "limit": 1},
                headers=world.admin.headers,
            )
            [entry] = response.json()["items"]
            assert entry["target_name"] == name, entry

    async def test_a_person_who_declines_gets_connection_denied(
        self, client: httpx.AsyncClient, world: OrgWorld, google: FakeAdapter
    ) -> None:
        state = await authorize(client, world.organization_id, world.manager)
        response = await callback(
            client, world.organization_id, world.manager, state, error="access_denied", error_description="User said no"
        )
        assert response.status_code == 400
        assert response.json()["code"] == "connection-denied"
        assert "User said no" in response.json()["detail"]
        assert google.calls.exchanges == []
        assert (await client.get(base(world.organization_id), headers=world.manager.headers)).json()["items"] == []

    @pytest.mark.parametrize("description", [None, "user_denied", "access_denied"])
    async def test_a_refusal_is_told_in_words_not_as_the_protocols_code(
        self, client: httpx.AsyncClient, world: OrgWorld, google: FakeAdapter, description: str | None
    ) -> None:
        state = await authorize(client, world.organization_id, world.manager)
        response = await callback(
            client, world.organization_id, world.manager, state, error="access_denied", error_description=description
        )
        assert response.status_code == 400
        detail = response.json()["detail"]
        assert detail == "Google Ads was not connected: access was not granted on its consent page."
        assert "_" not in detail

    async def test_a_callback_without_code_or_error_is_refused(
        self, client: httpx.AsyncClient, world: OrgWorld, google: FakeAdapter
    ) -> None:
        state = await authorize(client, world.organization_id, world.manager)
        response = await client.post(
            f"{base(world.organization_id)}/google/callback", json={"state": state}, headers=world.manager.headers
        )
        assert response.status_code == 400
        assert response.json()["code"] == "connection-code-missing"

    async def test_a_code_the_platform_refuses_is_connection_rejected(
        self, client: httpx.AsyncClient, world: OrgWorld, google: FakeAdapter
    ) -> None:
        google.exchange_errors.append(PlatformAuthError("invalid_grant: Bad Request", refreshable=False))
        state = await authorize(client, world.organization_id, world.manager)
        response = await callback(client, world.organization_id, world.manager, state)
        assert response.status_code == 400
        assert response.json()["code"] == "connection-rejected"

    async def test_an_unavailable_platform_is_a_503_and_the_state_stays_usable(
        self, client: httpx.AsyncClient, world: OrgWorld, google: FakeAdapter
    ) -> None:
        google.exchange_errors.append(PlatformUnavailable("HTTP 503 from the token endpoint"))
        state = await authorize(client, world.organization_id, world.manager)
        response = await callback(client, world.organization_id, world.manager, state)
        assert response.status_code == 503
        assert response.json()["code"] == "platform-unavailable"
        assert "retry-after" not in response.headers
        # Nothing was committed: the same round trip can be completed once the platform is back.
        assert (await callback(client, world.organization_id, world.manager, state)).status_code == 200

    async def test_a_rate_limited_token_endpoint_is_a_503_with_retry_after(
        self, client: httpx.AsyncClient, world: OrgWorld, google: FakeAdapter
    ) -> None:
        google.exchange_errors.append(PlatformRateLimited("Too many requests", retry_after=11.2))
        state = await authorize(client, world.organization_id, world.manager)
        response = await callback(client, world.organization_id, world.manager, state)
        assert response.status_code == 503
        assert response.headers["retry-after"] == "12"
        assert response.json()["retry_after"] == 12


async def get_connection(client: httpx.AsyncClient, world: OrgWorld, connection_id: str) -> dict[str, Any]:
    response = await client.get(f"{base(world.organization_id)}/{connection_id}", headers=world.manager.headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


class TestDiscovery:
    """The callback only trades the code; a job on the platform queue lists the login's accounts."""

    async def test_the_callback_lists_no_account_and_the_job_lists_them_with_its_progress(
        self, client: httpx.AsyncClient, world: OrgWorld, google: FakeAdapter, database: Database
    ) -> None:
        google.accounts = [remote_account("1001"), remote_account("1002"), remote_account("1003")]
        state = await authorize(client, world.organization_id, world.manager)
        response = await callback(client, world.organization_id, world.manager, state)
        assert response.status_code == 200, response.text
        connection = response.json()
        assert google.calls.listings == []
        assert connection["discovery"] == {
            "state": "queued",
            "accounts_found": 0,
            "error": None,
            "started_at": None,
            "finished_at": None,
        }
        assert connection["accounts"] == []
        assert [job[0] for job in await discovery_jobs(database)] == ["todo"]

        await run_platform_worker()
        discovered = await get_connection(client, world, connection["id"])
        assert len(google.calls.listings) == 1
        assert discovered["discovery"]["state"] == "succeeded"
        assert discovered["discovery"]["accounts_found"] == 3
        assert discovered["discovery"]["started_at"] is not None
        assert discovered["discovery"]["finished_at"] is not None
        assert sorted(a["platform_account_id"] for a in discovered["accounts"]) == ["1001", "1002", "1003"]
        assert discovered["display_name"] == "Google Ads · Account 1001"

    async def test_a_rate_limited_listing_is_queued_again_for_when_the_platform_says(
        self, client: httpx.AsyncClient, world: OrgWorld, google: FakeAdapter, database: Database
    ) -> None:
        google.listing_errors.append(PlatformRateLimited("Too many requests", retry_after=30))
        state = await authorize(client, world.organization_id, world.manager)
        connection = (await callback(client, world.organization_id, world.manager, state)).json()
        await run_platform_worker()
        waiting = await get_connection(client, world, connection["id"])
        assert waiting["discovery"]["state"] == "queued"
        assert waiting["accounts"] == []
        [first, again] = await discovery_jobs(database)
        assert first[0] == "succeeded" and again[0] == "todo"
        assert (again[2] - utcnow()).total_seconds() > 20
        async with database.transaction() as session:
            await session.execute(text("UPDATE procrastinate_jobs SET scheduled_at = now() WHERE status = 'todo'"))
        await run_platform_worker()
        done = await get_connection(client, world, connection["id"])
        assert done["discovery"]["state"] == "succeeded"
        assert done["account_count"] == 2

    async def test_an_unavailable_platform_is_tried_again_then_the_discovery_fails_with_the_reason(
        self, client: httpx.AsyncClient, world: OrgWorld, google: FakeAdapter, database: Database
    ) -> None:
        google.listing_errors.extend(PlatformUnavailable("HTTP 503 from the API") for _ in range(4))
        state = await authorize(client, world.organization_id, world.manager)
        connection = (await callback(client, world.organization_id, world.manager, state)).json()
        for _ in range(4):
            async with database.transaction() as session:
                await session.execute(text("UPDATE procrastinate_jobs SET scheduled_at = now() WHERE status = 'todo'"))
            await run_platform_worker()
        failed = await get_connection(client, world, connection["id"])
        assert len(google.calls.listings) == 4
        assert failed["discovery"]["state"] == "failed"
        assert "HTTP 503 from the API" in failed["discovery"]["error"]
        assert failed["health"] == "degraded"
        assert [job[0] for job in await discovery_jobs(database)] == ["succeeded"] * 4

    async def test_a_refused_token_fails_the_discovery_and_asks_for_a_reconnect(
        self, client: httpx.AsyncClient, world: OrgWorld, google: FakeAdapter
    ) -> None:
        google.listing_errors.append(PlatformAuthError("The grant was revoked", refreshable=False))
        state = await authorize(client, world.organization_id, world.manager)
        connection = (await callback(client, world.organization_id, world.manager, state)).json()
        await run_platform_worker()
        failed = await get_connection(client, world, connection["id"])
        assert failed["discovery"]["state"] == "failed"
        assert failed["health"] == "needs_reconnect"


class TestReconnect:
    async def test_the_same_login_again_replaces_the_credentials_of_the_same_connection(
        self, client: httpx.AsyncClient, world: OrgWorld, google: FakeAdapter, superuser_sql: Any
    ) -> None:
        first = await connect(client, world.organization_id, world.manager)
        [(before,)] = await superuser_sql("SELECT credentials_ciphertext FROM platform_connections")
        await superuser_sql("UPDATE platform_connections SET health = 'needs_reconnect', health_reason = 'revoked'")
        listed = (await client.get(base(world.organization_id), headers=world.viewer.headers)).json()
        assert listed["needs_reconnect_count"] == 1

        second = await connect(client, world.organization_id, world.manager)
        assert second["id"] == first["id"]
        assert second["health"] == "ok"
        assert second["health_reason"] is None
        [(after,)] = await superuser_sql("SELECT credentials_ciphertext FROM platform_connections")
        assert after != before
        listed = (await client.get(base(world.organization_id), headers=world.viewer.headers)).json()
        assert len(listed["items"]) == 1
        assert listed["needs_reconnect_count"] == 0
        assert await audit_actions(client, world.organization_id, world.admin) == [
            "connection.connected",
            "connection.accounts_discovered",
            "connection.reconnected",
            "connection.accounts_discovered",
        ]

    async def test_another_login_of_the_same_platform_is_another_connection(
        self, client: httpx.AsyncClient, world: OrgWorld, google: FakeAdapter
    ) -> None:
        first = await connect(client, world.organization_id, world.manager)
        google.subject = "login-2"
        google.accounts = [remote_account("2001")]
        second = await connect(client, world.organization_id, world.manager)
        assert second["id"] != first["id"]
        assert [a["platform_account_id"] for a in second["accounts"]] == ["2001"]

    async def test_a_login_without_subject_is_recognized_by_its_accounts(
        self, client: httpx.AsyncClient, world: OrgWorld, fakes: dict[Platform, FakeAdapter]
    ) -> None:
        tiktok = fakes[Platform.tiktok]
        tiktok.subject = None
        first = await connect(client, world.organization_id, world.manager, "tiktok")
        second = await connect(client, world.organization_id, world.manager, "tiktok")
        assert first["id"] == second["id"]

    async def test_a_login_without_subject_that_gained_an_account_is_still_the_same_connection(
        self, client: httpx.AsyncClient, world: OrgWorld, fakes: dict[Platform, FakeAdapter]
    ) -> None:
        tiktok = fakes[Platform.tiktok]
        tiktok.subject = None
        first = await connect(client, world.organization_id, world.manager, "tiktok")
        tiktok.accounts = [*tiktok.accounts, remote_account("1003")]
        second = await connect(client, world.organization_id, world.manager, "tiktok")
        assert second["id"] == first["id"]
        assert sorted(a["platform_account_id"] for a in second["accounts"]) == ["1001", "1002", "1003"]
        # A login without subject that reaches none of those accounts is another connection.
        tiktok.accounts = [remote_account("9001")]
        third = await connect(client, world.organization_id, world.manager, "tiktok")
        assert third["id"] != first["id"]

    async def test_connections_are_per_organization(
        self, client: httpx.AsyncClient, world: OrgWorld, google: FakeAdapter
    ) -> None:
        mine = await connect(client, world.organization_id, world.manager)
        theirs = await connect(client, world.other_organization_id, world.outsider)
        assert mine["id"] != theirs["id"]
        response = await client.get(f"{base(world.organization_id)}/{theirs['id']}", headers=world.admin.headers)
        assert response.status_code == 404
        assert response.json()["code"] == "connection-not-found"


class TestListedTwice:
    async def test_an_account_the_platform_lists_twice_is_stored_once(
        self, client: httpx.AsyncClient, world: OrgWorld, fakes: dict[Platform, FakeAdapter]
    ) -> None:
        # A paginated listing that shifts between pages can return the same account on two pages.
        fakes[Platform.meta].accounts = [remote_account("1001", "Old name"), remote_account("1001", "New name")]
        connection = await connect(client, world.organization_id, world.manager, "meta")
        assert [(a["platform_account_id"], a["name"]) for a in connection["accounts"]] == [("1001", "New name")]
