"""Multi-factor authentication: setup, log-in with TOTP or recovery codes, disable, and organizations requiring it."""

from __future__ import annotations

import time

import httpx
import pyotp

from tests.fixtures import PASSWORD, LoggedIn, OrgWorld, enable_mfa, sign_up


async def login(client: httpx.AsyncClient, email: str) -> dict[str, object]:
    response = await client.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
    assert response.status_code == 200, response.text
    body: dict[str, object] = response.json()
    return body


async def second_step(client: httpx.AsyncClient, mfa_token: object, code: str) -> httpx.Response:
    return await client.post("/api/v1/auth/login/mfa", json={"mfa_token": mfa_token, "code": code})


class TestSetup:
    async def test_setup_returns_a_secret_a_uri_and_a_qr_code(self, client: httpx.AsyncClient) -> None:
        user = await sign_up(client)
        response = await client.post("/api/v1/me/mfa/setup", headers=user.headers)
        assert response.status_code == 200
        body = response.json()
        assert body["otpauth_uri"].startswith("otpauth://totp/adpilot:")
        assert body["secret"] in body["otpauth_uri"]
        assert body["qr_svg"].startswith("<svg")

    async def test_setup_again_before_confirming_returns_the_same_secret(self, client: httpx.AsyncClient) -> None:
        user = await sign_up(client)
        first = (await client.post("/api/v1/me/mfa/setup", headers=user.headers)).json()
        second = (await client.post("/api/v1/me/mfa/setup", headers=user.headers)).json()
        assert first["secret"] == second["secret"]

    async def test_after_disabling_setup_makes_a_new_secret(self, client: httpx.AsyncClient) -> None:
        user = await sign_up(client)
        mfa = await enable_mfa(client, user)
        disabled = await client.post(
            "/api/v1/me/mfa/disable", json={"code": mfa.recovery_codes[0]}, headers=user.headers
        )
        assert disabled.status_code == 204
        again = (await client.post("/api/v1/me/mfa/setup", headers=user.headers)).json()
        assert again["secret"] != mfa.secret

    async def test_enable_returns_ten_recovery_codes(self, client: httpx.AsyncClient) -> None:
        user = await sign_up(client)
        mfa = await enable_mfa(client, user)
        assert len(mfa.recovery_codes) == 10
        assert len(set(mfa.recovery_codes)) == 10
        assert (await client.get("/api/v1/me", headers=user.headers)).json()["mfa_enabled"] is True

    async def test_enable_with_a_wrong_code_is_refused(self, client: httpx.AsyncClient) -> None:
        user = await sign_up(client)
        await client.post("/api/v1/me/mfa/setup", headers=user.headers)
        response = await client.post("/api/v1/me/mfa/enable", json={"code": "000000"}, headers=user.headers)
        assert response.status_code == 401
        assert response.json()["code"] == "invalid-mfa-code"
        assert (await client.get("/api/v1/me", headers=user.headers)).json()["mfa_enabled"] is False

    async def test_enable_without_setup_is_a_conflict(self, client: httpx.AsyncClient) -> None:
        user = await sign_up(client)
        response = await client.post("/api/v1/me/mfa/enable", json={"code": "123456"}, headers=user.headers)
        assert response.status_code == 409
        assert response.json()["code"] == "mfa-setup-missing"

    async def test_setup_again_when_enabled_is_a_conflict(self, client: httpx.AsyncClient) -> None:
        user = await sign_up(client)
        await enable_mfa(client, user)
        response = await client.post("/api/v1/me/mfa/setup", headers=user.headers)
        assert response.status_code == 409
        assert response.json()["code"] == "mfa-already-enabled"

    async def test_enabling_signs_out_the_other_sessions(self, client: httpx.AsyncClient) -> None:
        user = await sign_up(client)
        other_response = await client.post("/api/v1/auth/login", json={"email": user.email, "password": PASSWORD})
        other = {"Authorization": f"Bearer {other_response.json()['access_token']}"}
        await enable_mfa(client, user)
        assert (await client.get("/api/v1/me", headers=other)).status_code == 401
        assert (await client.get("/api/v1/me", headers=user.headers)).status_code == 200


class TestLogInWithMfa:
    async def test_password_alone_asks_for_the_second_step(self, client: httpx.AsyncClient) -> None:
        user = await sign_up(client)
        await enable_mfa(client, user)
        body = await login(client, user.email)
        assert body["status"] == "mfa_required"
        assert body["access_token"] is None
        assert body["mfa_token"]

    async def test_a_totp_code_completes_the_log_in(self, client: httpx.AsyncClient) -> None:
        user = await sign_up(client)
        mfa = await enable_mfa(client, user)
        body = await login(client, user.email)
        response = await second_step(client, body["mfa_token"], pyotp.TOTP(mfa.secret).now())
        assert response.status_code == 200
        assert response.json()["status"] == "ok"
        token = response.json()["access_token"]
        assert (await client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})).status_code == 200

    async def test_a_totp_code_is_accepted_once(self, client: httpx.AsyncClient) -> None:
        user = await sign_up(client)
        mfa = await enable_mfa(client, user)
        code = pyotp.TOTP(mfa.secret).now()
        assert (await second_step(client, (await login(client, user.email))["mfa_token"], code)).status_code == 200
        replay = await second_step(client, (await login(client, user.email))["mfa_token"], code)
        assert replay.status_code == 401
        assert replay.json()["code"] == "invalid-mfa-code"

    async def test_an_older_code_is_refused_after_a_newer_one(self, client: httpx.AsyncClient) -> None:
        user = await sign_up(client)
        mfa = await enable_mfa(client, user)
        totp = pyotp.TOTP(mfa.secret)
        newer = await second_step(client, (await login(client, user.email))["mfa_token"], totp.at(time.time() + 30))
        assert newer.status_code == 200
        older = await second_step(client, (await login(client, user.email))["mfa_token"], totp.now())
        assert older.status_code == 401

    async def test_a_wrong_code_is_refused(self, client: httpx.AsyncClient) -> None:
        user = await sign_up(client)
        await enable_mfa(client, user)
        body = await login(client, user.email)
        response = await second_step(client, body["mfa_token"], "999999")
        assert response.status_code == 401
        assert response.json()["code"] == "invalid-mfa-code"

    async def test_the_mfa_token_is_not_an_access_token(self, client: httpx.AsyncClient) -> None:
        user = await sign_up(client)
        await enable_mfa(client, user)
        body = await login(client, user.email)
        me = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {body['mfa_token']}"})
        assert me.status_code == 401

    async def test_a_forged_mfa_token_is_refused(self, client: httpx.AsyncClient) -> None:
        response = await second_step(client, "x" * 40, "123456")
        assert response.status_code == 401
        assert response.json()["code"] == "session-expired"

    async def test_a_recovery_code_works_once(self, client: httpx.AsyncClient) -> None:
        user = await sign_up(client)
        mfa = await enable_mfa(client, user)
        code = mfa.recovery_codes[3]
        first = await second_step(client, (await login(client, user.email))["mfa_token"], code.upper())
        assert first.status_code == 200
        again = await second_step(client, (await login(client, user.email))["mfa_token"], code)
        assert again.status_code == 401
        other = await second_step(client, (await login(client, user.email))["mfa_token"], mfa.recovery_codes[4])
        assert other.status_code == 200

    async def test_second_step_failures_are_throttled(self, client: httpx.AsyncClient) -> None:
        user = await sign_up(client)
        mfa = await enable_mfa(client, user)
        token = (await login(client, user.email))["mfa_token"]
        for _ in range(5):
            assert (await second_step(client, token, "000000")).status_code == 401
        blocked = await second_step(client, token, pyotp.TOTP(mfa.secret).now())
        assert blocked.status_code == 429
        assert "retry-after" in blocked.headers


class TestDisable:
    async def test_disable_with_a_code_turns_mfa_off(self, client: httpx.AsyncClient) -> None:
        user = await sign_up(client)
        mfa = await enable_mfa(client, user)
        response = await client.post(
            "/api/v1/me/mfa/disable", json={"code": pyotp.TOTP(mfa.secret).now()}, headers=user.headers
        )
        assert response.status_code == 204
        assert (await login(client, user.email))["status"] == "ok"

    async def test_disable_with_a_recovery_code(self, client: httpx.AsyncClient) -> None:
        user = await sign_up(client)
        mfa = await enable_mfa(client, user)
        response = await client.post(
            "/api/v1/me/mfa/disable", json={"code": mfa.recovery_codes[0]}, headers=user.headers
        )
        assert response.status_code == 204

    async def test_disable_with_a_wrong_code_is_refused(self, client: httpx.AsyncClient) -> None:
        user = await sign_up(client)
        await enable_mfa(client, user)
        response = await client.post("/api/v1/me/mfa/disable", json={"code": "000000"}, headers=user.headers)
        assert response.status_code == 401
        assert (await client.get("/api/v1/me", headers=user.headers)).json()["mfa_enabled"] is True

    async def test_disable_when_off_is_a_conflict(self, client: httpx.AsyncClient) -> None:
        user = await sign_up(client)
        response = await client.post("/api/v1/me/mfa/disable", json={"code": "123456"}, headers=user.headers)
        assert response.status_code == 409
        assert response.json()["code"] == "mfa-not-enabled"


async def require_mfa(client: httpx.AsyncClient, admin: LoggedIn, organization_id: str) -> httpx.Response:
    return await client.patch(f"/api/v1/orgs/{organization_id}", json={"require_mfa": True}, headers=admin.headers)


class TestOrganizationRequiresMfa:
    async def test_an_admin_without_mfa_cannot_require_it(self, client: httpx.AsyncClient, world: OrgWorld) -> None:
        response = await require_mfa(client, world.admin, world.organization_id)
        assert response.status_code == 409
        assert response.json()["code"] == "enable-mfa-first"

    async def test_an_admin_with_mfa_can_require_it(self, client: httpx.AsyncClient, world: OrgWorld) -> None:
        await enable_mfa(client, world.admin)
        response = await require_mfa(client, world.admin, world.organization_id)
        assert response.status_code == 200
        assert response.json()["require_mfa"] is True

    async def test_members_without_mfa_are_then_refused(self, client: httpx.AsyncClient, world: OrgWorld) -> None:
        await enable_mfa(client, world.admin)
        await require_mfa(client, world.admin, world.organization_id)
        response = await client.get(f"/api/v1/orgs/{world.organization_id}", headers=world.member.headers)
        assert response.status_code == 403
        assert response.json()["code"] == "mfa-required"

    async def test_members_with_mfa_are_let_in(self, client: httpx.AsyncClient, world: OrgWorld) -> None:
        await enable_mfa(client, world.admin)
        await require_mfa(client, world.admin, world.organization_id)
        await enable_mfa(client, world.member)
        response = await client.get(f"/api/v1/orgs/{world.organization_id}", headers=world.member.headers)
        assert response.status_code == 200

    async def test_outsiders_still_get_not_found(self, client: httpx.AsyncClient, world: OrgWorld) -> None:
        await enable_mfa(client, world.admin)
        await require_mfa(client, world.admin, world.organization_id)
        response = await client.get(f"/api/v1/orgs/{world.organization_id}", headers=world.outsider.headers)
        assert response.status_code == 404
