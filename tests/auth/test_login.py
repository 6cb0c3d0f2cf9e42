"""Log-in, throttling of password guessing, refresh-token rotation and log-out."""

from __future__ import annotations

import asyncio
import secrets

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text

from adpilot.db import Database
from tests.fixtures import PASSWORD, client_at, sign_up, unique_email

# Also run against an external PostgreSQL server by `make test-long`.
pytestmark = pytest.mark.external_db

REFRESH_COOKIE = "adpilot_refresh"


async def login(client: httpx.AsyncClient, email: str, password: str = PASSWORD) -> httpx.Response:
    return await client.post("/api/v1/auth/login", json={"email": email, "password": password})


async def refresh(client: httpx.AsyncClient, token: str, **headers: str) -> httpx.Response:
    """Call refresh with exactly this refresh cookie (not whatever the client's jar holds)."""
    client.cookies.clear()
    return await client.post("/api/v1/auth/refresh", headers={"Cookie": f"{REFRESH_COOKIE}={token}", **headers})


async def logged_in_refresh_token(client: httpx.AsyncClient) -> tuple[str, str]:
    """(access token, refresh token) of a new user's log-in."""
    user = await sign_up(client)
    response = await login(client, user.email)
    return response.json()["access_token"], response.cookies[REFRESH_COOKIE]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


class TestLogIn:
    async def test_correct_password_gives_tokens_and_a_refresh_cookie(self, client: httpx.AsyncClient) -> None:
        user = await sign_up(client)
        response = await login(client, user.email)
        assert response.status_code == 200
        body = response.json()
        assert body["status"] == "ok"
        assert body["expires_in"] == 15 * 60
        cookie = response.headers["set-cookie"]
        assert cookie.startswith(f"{REFRESH_COOKIE}=")
        assert "HttpOnly" in cookie
        assert "Path=/api/v1/auth" in cookie
        assert "SameSite=strict" in cookie
        assert f"Max-Age={7 * 86400}" in cookie  # a session lasts 7 days by default
        assert (await client.get("/api/v1/me", headers=bearer(body["access_token"]))).json()["email"] == user.email

    async def test_email_is_case_insensitive(self, client: httpx.AsyncClient) -> None:
        user = await sign_up(client)
        assert (await login(client, user.email.upper())).status_code == 200

    async def test_wrong_password_is_a_401_problem(self, client: httpx.AsyncClient) -> None:
        user = await sign_up(client)
        response = await login(client, user.email, "not-the-password")
        assert response.status_code == 401
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["code"] == "invalid-credentials"
        assert REFRESH_COOKIE not in response.cookies

    async def test_unknown_email_looks_like_a_wrong_password(self, client: httpx.AsyncClient) -> None:
        response = await login(client, unique_email("ghost"))
        assert response.status_code == 401
        assert response.json()["code"] == "invalid-credentials"


class TestThrottling:
    async def test_five_failures_lock_the_account_with_retry_after(self, client: httpx.AsyncClient) -> None:
        user = await sign_up(client)
        for _ in range(5):
            assert (await login(client, user.email, "wrong-password")).status_code == 401
        response = await login(client, user.email)  # even the right password
        assert response.status_code == 429
        assert response.json()["code"] == "rate-limited"
        assert 1 <= int(response.headers["retry-after"]) <= 900

    async def test_a_locked_account_is_locked_from_every_address(self, app: FastAPI, client: httpx.AsyncClient) -> None:
        user = await sign_up(client)
        for _ in range(5):
            await login(client, user.email, "wrong-password")
        async with client_at(app, "10.1.2.3") as elsewhere:
            assert (await login(elsewhere, user.email)).status_code == 429

    async def test_failures_below_the_limit_are_cleared_by_a_success(self, client: httpx.AsyncClient) -> None:
        user = await sign_up(client)
        for _ in range(4):
            await login(client, user.email, "wrong-password")
        assert (await login(client, user.email)).status_code == 200
        for _ in range(4):
            await login(client, user.email, "wrong-password")
        assert (await login(client, user.email)).status_code == 200

    async def test_twenty_failures_from_one_address_block_that_address(
        self, app: FastAPI, client: httpx.AsyncClient
    ) -> None:
        user = await sign_up(client)
        async with client_at(app, "10.9.9.9") as attacker:
            for _ in range(20):  # a different account each time: the per-account limit never triggers
                assert (await login(attacker, unique_email("spray"), "wrong-password")).status_code == 401
            blocked = await login(attacker, user.email)
            assert blocked.status_code == 429
            assert "retry-after" in blocked.headers
        assert (await login(client, user.email)).status_code == 200  # other addresses are unaffected


class TestRefresh:
    async def test_rotates_the_cookie_and_issues_a_working_access_token(self, client: httpx.AsyncClient) -> None:
        _, first = await logged_in_refresh_token(client)
        response = await refresh(client, first)
        assert response.status_code == 200
        second = response.cookies[REFRESH_COOKIE]
        assert second != first
        third = (await refresh(client, second)).cookies[REFRESH_COOKIE]
        assert third not in (first, second)
        me = await client.get("/api/v1/me", headers=bearer(response.json()["access_token"]))
        assert me.status_code == 200

    async def test_requires_the_x_requested_with_header(self, client: httpx.AsyncClient) -> None:
        _, token = await logged_in_refresh_token(client)
        response = await refresh(client, token, **{"X-Requested-With": ""})
        assert response.status_code == 403
        assert response.json()["code"] == "csrf-header-missing"

    async def test_without_a_cookie_is_unauthorized(self, client: httpx.AsyncClient) -> None:
        client.cookies.clear()
        response = await client.post("/api/v1/auth/refresh")
        assert response.status_code == 401
        assert response.json()["code"] == "session-expired"

    async def test_garbage_cookie_is_unauthorized(self, client: httpx.AsyncClient) -> None:
        assert (await refresh(client, "not-a-refresh-token")).status_code == 401

    async def test_reusing_an_old_token_revokes_the_whole_family(self, client: httpx.AsyncClient) -> None:
        access, first = await logged_in_refresh_token(client)
        second = (await refresh(client, first)).cookies[REFRESH_COOKIE]
        rotated = await refresh(client, second)
        newest = rotated.cookies[REFRESH_COOKIE]
        async with asyncio.timeout(10):  # regression: the replay once deadlocked on its own row lock
            replay = await refresh(client, first)  # two rotations old: no tab of the browser can still hold it
        assert replay.status_code == 401
        assert replay.json()["code"] == "session-expired"
        assert (await refresh(client, newest)).status_code == 401  # the legitimate holder is signed out too
        new_access = rotated.json()["access_token"]
        assert (await client.get("/api/v1/me", headers=bearer(new_access))).status_code == 401
        assert (await client.get("/api/v1/me", headers=bearer(access))).status_code == 401

    async def test_a_second_tab_refreshing_at_once_gets_an_access_token_and_keeps_the_cookie(
        self, client: httpx.AsyncClient
    ) -> None:
        _, first = await logged_in_refresh_token(client)
        winner = await refresh(client, first)
        newest = winner.cookies[REFRESH_COOKIE]
        loser = await refresh(client, first)  # sent with the cookie it read before the winner's answer arrived
        assert loser.status_code == 200
        assert REFRESH_COOKIE not in loser.cookies  # the browser keeps the winner's new cookie
        assert (await client.get("/api/v1/me", headers=bearer(loser.json()["access_token"]))).status_code == 200
        assert (await refresh(client, newest)).status_code == 200  # nobody was signed out

    async def test_the_replaced_token_after_the_grace_period_revokes_the_family(
        self, client: httpx.AsyncClient, database: Database
    ) -> None:
        _, first = await logged_in_refresh_token(client)
        newest = (await refresh(client, first)).cookies[REFRESH_COOKIE]
        async with database.transaction() as session:
            await session.execute(text("UPDATE user_sessions SET rotated_at = rotated_at - interval '1 minute'"))
        assert (await refresh(client, first)).status_code == 401
        assert (await refresh(client, newest)).status_code == 401

    async def test_a_wrong_secret_for_a_known_session_signs_nobody_out(self, client: httpx.AsyncClient) -> None:
        # The session id is no secret (every access token carries it): guessing at its refresh secret must fail
        # without revoking the session of its owner.
        _, token = await logged_in_refresh_token(client)
        session_id, _, secret = token.partition(".")
        for guess in ("x" * len(secret), secrets.token_urlsafe(32), secret[:-1] + ("A" if secret[-1] != "A" else "B")):
            response = await refresh(client, f"{session_id}.{guess}")
            assert response.status_code == 401
            assert response.json()["code"] == "session-expired"
        assert (await refresh(client, token)).status_code == 200

    async def test_tokens_are_never_cached(self, client: httpx.AsyncClient) -> None:
        user = await sign_up(client)
        logged_in = await login(client, user.email)
        assert logged_in.headers["cache-control"] == "no-store"
        refreshed = await refresh(client, logged_in.cookies[REFRESH_COOKIE])
        assert refreshed.status_code == 200
        assert refreshed.headers["cache-control"] == "no-store"


class TestLogOut:
    async def test_a_wrong_secret_does_not_end_the_session(self, client: httpx.AsyncClient) -> None:
        access, token = await logged_in_refresh_token(client)
        session_id, _, secret = token.partition(".")
        client.cookies.clear()
        for guess in ("x" * len(secret), ""):
            response = await client.post(
                "/api/v1/auth/logout", headers={"Cookie": f"{REFRESH_COOKIE}={session_id}.{guess}"}
            )
            assert response.status_code == 204
        assert (await client.get("/api/v1/me", headers=bearer(access))).status_code == 200
        assert (await refresh(client, token)).status_code == 200

    async def test_ends_the_session(self, client: httpx.AsyncClient) -> None:
        access, token = await logged_in_refresh_token(client)
        client.cookies.clear()
        response = await client.post("/api/v1/auth/logout", headers={"Cookie": f"{REFRESH_COOKIE}={token}"})
        assert response.status_code == 204
        assert 'adpilot_refresh=""' in response.headers["set-cookie"] or "Max-Age=0" in response.headers["set-cookie"]
        assert (await refresh(client, token)).status_code == 401
        assert (await client.get("/api/v1/me", headers=bearer(access))).status_code == 401

    async def test_without_a_session_is_harmless(self, client: httpx.AsyncClient) -> None:
        client.cookies.clear()
        assert (await client.post("/api/v1/auth/logout")).status_code == 204

    async def test_requires_the_x_requested_with_header(self, client: httpx.AsyncClient) -> None:
        response = await client.post("/api/v1/auth/logout", headers={"X-Requested-With": ""})
        assert response.status_code == 403
