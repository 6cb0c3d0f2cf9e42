"""Password reset and the signed-in devices."""

from __future__ import annotations

import httpx

from tests.fixtures import PASSWORD, link_token, log_in, outbox, sign_up, unique_email

NEW_PASSWORD = "another-long-passphrase-2"


async def reset_link(client: httpx.AsyncClient, email: str) -> str:
    response = await client.post("/api/v1/auth/forgot-password", json={"email": email})
    assert response.status_code == 202
    message = (await outbox(client, email))[0]
    assert message["subject"] == "Reset your adpilot password"
    return link_token(message["body_text"], "/reset-password")


class TestPasswordReset:
    async def test_the_link_sets_a_new_password(self, client: httpx.AsyncClient) -> None:
        user = await sign_up(client)
        token = await reset_link(client, user.email)
        response = await client.post("/api/v1/auth/reset-password", json={"token": token, "password": NEW_PASSWORD})
        assert response.status_code == 204
        old = await client.post("/api/v1/auth/login", json={"email": user.email, "password": PASSWORD})
        assert old.status_code == 401
        await log_in(client, user.email, NEW_PASSWORD)

    async def test_reset_signs_out_every_session(self, client: httpx.AsyncClient) -> None:
        user = await sign_up(client)
        token = await reset_link(client, user.email)
        await client.post("/api/v1/auth/reset-password", json={"token": token, "password": NEW_PASSWORD})
        assert (await client.get("/api/v1/me", headers=user.headers)).status_code == 401

    async def test_reset_verifies_the_email(self, client: httpx.AsyncClient) -> None:
        user = await sign_up(client)
        token = await reset_link(client, user.email)
        await client.post("/api/v1/auth/reset-password", json={"token": token, "password": NEW_PASSWORD})
        me = await log_in(client, user.email, NEW_PASSWORD)
        assert (await client.get("/api/v1/me", headers=me.headers)).json()["email_verified"] is True

    async def test_the_link_works_once(self, client: httpx.AsyncClient) -> None:
        user = await sign_up(client)
        token = await reset_link(client, user.email)
        await client.post("/api/v1/auth/reset-password", json={"token": token, "password": NEW_PASSWORD})
        again = await client.post("/api/v1/auth/reset-password", json={"token": token, "password": PASSWORD})
        assert again.status_code == 400
        assert again.json()["code"] == "invalid-token"

    async def test_a_weak_new_password_is_rejected_and_the_link_stays_usable(self, client: httpx.AsyncClient) -> None:
        user = await sign_up(client)
        token = await reset_link(client, user.email)
        weak = await client.post("/api/v1/auth/reset-password", json={"token": token, "password": "password123"})
        assert weak.status_code == 422
        assert weak.json()["code"] == "weak-password"
        ok = await client.post("/api/v1/auth/reset-password", json={"token": token, "password": NEW_PASSWORD})
        assert ok.status_code == 204

    async def test_a_newer_link_invalidates_the_older_one(self, client: httpx.AsyncClient) -> None:
        user = await sign_up(client)
        first = await reset_link(client, user.email)
        await reset_link(client, user.email)
        response = await client.post("/api/v1/auth/reset-password", json={"token": first, "password": NEW_PASSWORD})
        assert response.status_code == 400

    async def test_unknown_email_answers_the_same_and_sends_nothing(self, client: httpx.AsyncClient) -> None:
        email = unique_email("nobody")
        response = await client.post("/api/v1/auth/forgot-password", json={"email": email})
        assert response.status_code == 202
        assert await outbox(client, email) == []


class TestSessions:
    async def test_lists_active_sessions_marking_the_current_one(self, client: httpx.AsyncClient) -> None:
        user = await sign_up(client)
        other = await log_in(client, user.email)
        response = await client.get("/api/v1/me/sessions", headers=user.headers)
        assert response.status_code == 200
        items = response.json()["items"]
        assert len(items) == 2
        assert [item["current"] for item in items].count(True) == 1
        assert all(item["ip"] == "127.0.0.1" for item in items)
        assert other.access_token != user.access_token

    async def test_revoking_a_session_signs_that_device_out(self, client: httpx.AsyncClient) -> None:
        user = await sign_up(client)
        other = await log_in(client, user.email)
        items = (await client.get("/api/v1/me/sessions", headers=user.headers)).json()["items"]
        [target] = [item for item in items if not item["current"]]
        response = await client.delete(f"/api/v1/me/sessions/{target['id']}", headers=user.headers)
        assert response.status_code == 204
        assert (await client.get("/api/v1/me", headers=other.headers)).status_code == 401
        assert (await client.get("/api/v1/me", headers=user.headers)).status_code == 200
        assert len((await client.get("/api/v1/me/sessions", headers=user.headers)).json()["items"]) == 1

    async def test_another_users_session_is_not_found(self, client: httpx.AsyncClient) -> None:
        user = await sign_up(client)
        stranger = await sign_up(client)
        their = (await client.get("/api/v1/me/sessions", headers=stranger.headers)).json()["items"][0]
        response = await client.delete(f"/api/v1/me/sessions/{their['id']}", headers=user.headers)
        assert response.status_code == 404
        assert (await client.get("/api/v1/me", headers=stranger.headers)).status_code == 200

    async def test_a_revoked_session_cannot_be_revoked_again(self, client: httpx.AsyncClient) -> None:
        user = await sign_up(client)
        await log_in(client, user.email)
        items = (await client.get("/api/v1/me/sessions", headers=user.headers)).json()["items"]
        [target] = [item for item in items if not item["current"]]
        await client.delete(f"/api/v1/me/sessions/{target['id']}", headers=user.headers)
        again = await client.delete(f"/api/v1/me/sessions/{target['id']}", headers=user.headers)
        assert again.status_code == 404


class TestProfile:
    async def test_rename(self, client: httpx.AsyncClient) -> None:
        user = await sign_up(client)
        response = await client.patch("/api/v1/me", json={"display_name": "  Grace  "}, headers=user.headers)
        assert response.status_code == 200
        assert response.json()["display_name"] == "Grace"

    async def test_blank_name_is_invalid(self, client: httpx.AsyncClient) -> None:
        user = await sign_up(client)
        response = await client.patch("/api/v1/me", json={"display_name": "   "}, headers=user.headers)
        assert response.status_code == 422
