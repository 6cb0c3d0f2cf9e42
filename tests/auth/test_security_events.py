"""Your account's security events: log-ins, sign-outs, MFA and password changes, with where they came from."""

from __future__ import annotations

from typing import Any

import httpx
import pyotp

from tests.fixtures import PASSWORD, LoggedIn, enable_mfa, log_in, sign_up

REFRESH_COOKIE = "adpilot_refresh"


async def events(client: httpx.AsyncClient, user: LoggedIn, **params: Any) -> list[dict[str, Any]]:
    response = await client.get("/api/v1/me/security-events", headers=user.headers, params=params)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


class TestSecurityEvents:
    async def test_a_log_in_is_recorded_with_its_address_and_device(self, client: httpx.AsyncClient) -> None:
        user = await sign_up(client, verified=False)
        [event] = await events(client, user)
        assert event["kind"] == "logged_in"
        assert event["ip"] == "127.0.0.1"
        assert event["user_agent"]
        assert event["current_session"] is True

    async def test_mfa_changes_and_recovery_code_log_ins_are_recorded_newest_first(
        self, client: httpx.AsyncClient
    ) -> None:
        user = await sign_up(client, verified=False)
        mfa = await enable_mfa(client, user)
        step = await client.post("/api/v1/auth/login", json={"email": user.email, "password": PASSWORD})
        second = await client.post(
            "/api/v1/auth/login/mfa", json={"mfa_token": step.json()["mfa_token"], "code": mfa.recovery_codes[0]}
        )
        assert second.status_code == 200
        disabled = await client.post(
            "/api/v1/me/mfa/disable", json={"code": pyotp.TOTP(mfa.secret).now()}, headers=user.headers
        )
        assert disabled.status_code == 204
        kinds = [event["kind"] for event in await events(client, user)]
        assert kinds == ["mfa_disabled", "logged_in_with_recovery_code", "mfa_enabled", "logged_in"]

    async def test_revoking_a_device_is_recorded(self, client: httpx.AsyncClient) -> None:
        user = await sign_up(client, verified=False)
        other = await log_in(client, user.email)
        sessions = (await client.get("/api/v1/me/sessions", headers=user.headers)).json()["items"]
        other_session = next(s["id"] for s in sessions if not s["current"])
        await client.delete(f"/api/v1/me/sessions/{other_session}", headers=user.headers)
        kinds = [event["kind"] for event in await events(client, user)]
        assert kinds == ["session_revoked", "logged_in", "logged_in"]
        assert (await client.get("/api/v1/me", headers=other.headers)).status_code == 401

    async def test_signing_out_is_recorded(self, client: httpx.AsyncClient) -> None:
        user = await sign_up(client, verified=False)
        assert (await client.post("/api/v1/auth/logout")).status_code == 204
        fresh = await log_in(client, user.email)
        kinds = [event["kind"] for event in await events(client, fresh)]
        assert kinds == ["logged_in", "logged_out", "logged_in"]

    async def test_a_replayed_refresh_token_is_recorded(self, client: httpx.AsyncClient) -> None:
        user = await sign_up(client, verified=False)
        first = client.cookies[REFRESH_COOKIE]
        second = (await client.post("/api/v1/auth/refresh")).cookies[REFRESH_COOKIE]
        client.cookies.set(REFRESH_COOKIE, second, path="/api/v1/auth")
        await client.post("/api/v1/auth/refresh")
        client.cookies.set(REFRESH_COOKIE, first, path="/api/v1/auth")
        assert (await client.post("/api/v1/auth/refresh")).status_code == 401
        fresh = await log_in(client, user.email)
        kinds = [event["kind"] for event in await events(client, fresh)]
        assert "refresh_token_reused" in kinds

    async def test_pages_walk_every_event_once(self, client: httpx.AsyncClient) -> None:
        user = await sign_up(client, verified=False)
        for _ in range(4):
            await log_in(client, user.email)
        seen: list[str] = []
        cursor = None
        while True:
            params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
            response = await client.get("/api/v1/me/security-events", headers=user.headers, params=params)
            body = response.json()
            seen += [event["id"] for event in body["items"]]
            cursor = body["next_cursor"]
            if cursor is None:
                break
        assert len(seen) == len(set(seen)) == 5

    async def test_nobody_sees_another_accounts_events(self, client: httpx.AsyncClient) -> None:
        user = await sign_up(client, verified=False)
        other = await sign_up(client, verified=False)
        mine = {event["id"] for event in await events(client, user)}
        theirs = {event["id"] for event in await events(client, other)}
        assert mine and theirs and not mine & theirs

    async def test_anonymous_is_unauthorized(self, client: httpx.AsyncClient) -> None:
        assert (await client.get("/api/v1/me/security-events")).status_code == 401
