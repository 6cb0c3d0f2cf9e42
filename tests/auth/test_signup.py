"""Sign-up, password rules and email verification."""

from __future__ import annotations

import httpx

from tests.fixtures import PASSWORD, link_token, outbox, sign_up, unique_email


async def signup(client: httpx.AsyncClient, email: str, password: str = PASSWORD) -> httpx.Response:
    return await client.post("/api/v1/auth/signup", json={"email": email, "password": password, "display_name": "Ada"})


class TestSignUp:
    async def test_creates_an_unverified_account(self, client: httpx.AsyncClient) -> None:
        response = await signup(client, unique_email())
        assert response.status_code == 201
        body = response.json()
        assert body["email_verified"] is False
        assert body["mfa_enabled"] is False
        assert "password" not in response.text

    async def test_short_password_is_weak(self, client: httpx.AsyncClient) -> None:
        response = await signup(client, unique_email(), "short-pw")
        assert response.status_code == 422
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["code"] == "weak-password"

    async def test_common_password_is_weak(self, client: httpx.AsyncClient) -> None:
        response = await signup(client, unique_email(), "Password123")
        assert response.status_code == 422
        assert response.json()["code"] == "weak-password"

    async def test_password_equal_to_the_email_is_weak(self, client: httpx.AsyncClient) -> None:
        email = unique_email("longaddress")
        response = await signup(client, email, email)
        assert response.json()["code"] == "weak-password"

    async def test_invalid_email_is_a_validation_error(self, client: httpx.AsyncClient) -> None:
        response = await signup(client, "not-an-email")
        assert response.status_code == 422
        assert response.json()["code"] == "validation-error"

    async def test_duplicate_email_is_a_conflict_whatever_the_case(self, client: httpx.AsyncClient) -> None:
        email = unique_email("dupe")
        assert (await signup(client, email)).status_code == 201
        response = await signup(client, email.upper())
        assert response.status_code == 409
        assert response.json()["code"] == "email-taken"

    async def test_a_weak_password_creates_no_account(self, client: httpx.AsyncClient) -> None:
        email = unique_email()
        await signup(client, email, "short")
        assert (await signup(client, email)).status_code == 201


class TestEmailVerification:
    async def test_the_link_from_the_outbox_verifies_the_email(self, client: httpx.AsyncClient) -> None:
        user = await sign_up(client)
        [message] = await outbox(client, user.email)
        assert message["subject"] == "Verify your email for adpilot"
        token = link_token(message["body_text"], "/verify-email")
        assert (await client.post("/api/v1/auth/verify-email", json={"token": token})).status_code == 204
        assert (await client.get("/api/v1/me", headers=user.headers)).json()["email_verified"] is True

    async def test_a_link_works_once(self, client: httpx.AsyncClient) -> None:
        user = await sign_up(client)
        token = link_token((await outbox(client, user.email))[0]["body_text"], "/verify-email")
        await client.post("/api/v1/auth/verify-email", json={"token": token})
        again = await client.post("/api/v1/auth/verify-email", json={"token": token})
        assert again.status_code == 400
        assert again.json()["code"] == "invalid-token"

    async def test_an_unknown_token_is_invalid(self, client: httpx.AsyncClient) -> None:
        response = await client.post("/api/v1/auth/verify-email", json={"token": "x" * 43})
        assert response.status_code == 400
        assert response.json()["code"] == "invalid-token"

    async def test_resend_sends_a_new_link_and_invalidates_the_old_one(self, client: httpx.AsyncClient) -> None:
        user = await sign_up(client)
        first = link_token((await outbox(client, user.email))[0]["body_text"], "/verify-email")
        response = await client.post("/api/v1/auth/resend-verification", json={"email": user.email})
        assert response.status_code == 202
        messages = await outbox(client, user.email)
        assert len(messages) == 2
        second = link_token(messages[0]["body_text"], "/verify-email")
        assert second != first
        assert (await client.post("/api/v1/auth/verify-email", json={"token": first})).status_code == 400
        assert (await client.post("/api/v1/auth/verify-email", json={"token": second})).status_code == 204

    async def test_resend_for_an_unknown_email_answers_the_same_and_sends_nothing(
        self, client: httpx.AsyncClient
    ) -> None:
        email = unique_email("nobody")
        response = await client.post("/api/v1/auth/resend-verification", json={"email": email})
        assert response.status_code == 202
        assert await outbox(client, email) == []

    async def test_resend_for_a_verified_email_sends_nothing(self, client: httpx.AsyncClient) -> None:
        user = await sign_up(client)
        token = link_token((await outbox(client, user.email))[0]["body_text"], "/verify-email")
        await client.post("/api/v1/auth/verify-email", json={"token": token})
        await client.post("/api/v1/auth/resend-verification", json={"email": user.email})
        assert len(await outbox(client, user.email)) == 1
