"""Sign-up, password rules and email verification."""

from __future__ import annotations

import asyncio

import httpx

from tests.fixtures import PASSWORD, link_token, log_in, outbox, sign_up, unique_email


async def signup(client: httpx.AsyncClient, email: str, password: str = PASSWORD) -> httpx.Response:
    return await client.post("/api/v1/auth/signup", json={"email": email, "password": password, "display_name": "Ada"})


class TestSignUp:
    async def test_creates_an_unverified_account(self, client: httpx.AsyncClient) -> None:
        email = unique_email()
        response = await signup(client, email)
        assert response.status_code == 202
        assert response.json()["email"] == email
        assert "password" not in response.text
        user = await log_in(client, email)
        me = (await client.get("/api/v1/me", headers=user.headers)).json()
        assert me["email_verified"] is False
        assert me["mfa_enabled"] is False

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

    async def test_a_registered_email_answers_like_a_new_one_and_mails_its_owner(
        self, client: httpx.AsyncClient
    ) -> None:
        email = unique_email("dupe")
        first = await signup(client, email)
        again = await signup(client, email, "another-long-and-unusual-passphrase")
        assert again.status_code == first.status_code == 202
        assert again.json() == first.json()
        assert (await signup(client, email.upper())).status_code == 202
        [notice, _, verification] = await outbox(client, email)
        assert notice["subject"] == "Someone tried to sign up for adpilot with your email"
        assert "/forgot-password" in notice["body_text"]
        assert "/verify-email" in verification["body_text"]
        # The account and its password are unchanged.
        await log_in(client, email)
        refused = await client.post(
            "/api/v1/auth/login", json={"email": email, "password": "another-long-and-unusual-passphrase"}
        )
        assert refused.status_code == 401

    async def test_concurrent_sign_ups_with_one_email_answer_alike(self, client: httpx.AsyncClient) -> None:
        email = unique_email("race")
        responses = await asyncio.gather(*(signup(client, email) for _ in range(4)))
        assert [response.status_code for response in responses] == [202] * 4
        assert len({response.text for response in responses}) == 1
        await log_in(client, email)

    async def test_a_weak_password_creates_no_account(self, client: httpx.AsyncClient) -> None:
        email = unique_email()
        await signup(client, email, "short")
        assert (await signup(client, email)).status_code == 202
        assert [m["subject"] for m in await outbox(client, email)] == ["Verify your email for adpilot"]


class TestEmailVerification:
    async def test_the_link_from_the_outbox_verifies_the_email(self, client: httpx.AsyncClient) -> None:
        user = await sign_up(client, verified=False)
        [message] = await outbox(client, user.email)
        assert message["subject"] == "Verify your email for adpilot"
        token = link_token(message["body_text"], "/verify-email")
        assert (await client.post("/api/v1/auth/verify-email", json={"token": token})).status_code == 204
        assert (await client.get("/api/v1/me", headers=user.headers)).json()["email_verified"] is True

    async def test_a_link_works_once(self, client: httpx.AsyncClient) -> None:
        user = await sign_up(client, verified=False)
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
        user = await sign_up(client, verified=False)
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
        user = await sign_up(client, verified=False)
        token = link_token((await outbox(client, user.email))[0]["body_text"], "/verify-email")
        await client.post("/api/v1/auth/verify-email", json={"token": token})
        await client.post("/api/v1/auth/resend-verification", json={"email": user.email})
        assert len(await outbox(client, user.email)) == 1
