"""An organization that requires MFA, in a real browser: a member without it is sent to set it up, then gets in."""

from __future__ import annotations

import re
import time
import uuid

import httpx
import pyotp
from playwright.async_api import Page, expect

PASSWORD = "a-long-and-unusual-passphrase"


def unique_email(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}@example.com"


async def api_user(api: httpx.AsyncClient, email: str) -> dict[str, str]:
    """Sign up and log in through the API; the Authorization header of the new user."""
    signed_up = await api.post("/api/v1/auth/signup", json={"email": email, "password": PASSWORD, "display_name": "X"})
    assert signed_up.status_code == 202, signed_up.text
    messages = (await api.get("/api/v1/dev/outbox", params={"limit": 100})).json()["items"]
    body = next(
        m["body_text"] for m in messages if m["recipient"] == email and "/verify-email?token=" in m["body_text"]
    )
    token = re.search(r"verify-email\?token=(\S+)", body)
    assert token is not None
    assert (await api.post("/api/v1/auth/verify-email", json={"token": token.group(1)})).status_code == 204
    logged_in = await api.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
    return {"Authorization": f"Bearer {logged_in.json()['access_token']}"}


async def organization_requiring_mfa_with_a_member(server_url: str, member_email: str) -> str:
    """An admin with MFA creates an organization, requires MFA and invites ``member_email``, who accepts."""
    async with httpx.AsyncClient(base_url=server_url) as api:
        admin = await api_user(api, unique_email("mfa-admin"))
        organization = (await api.post("/api/v1/orgs", json={"name": "Strict Co"}, headers=admin)).json()["id"]
        secret = (await api.post("/api/v1/me/mfa/setup", headers=admin)).json()["secret"]
        code = pyotp.TOTP(secret).at(time.time() - 30)
        assert (await api.post("/api/v1/me/mfa/enable", json={"code": code}, headers=admin)).status_code == 200
        required = await api.patch(f"/api/v1/orgs/{organization}", json={"require_mfa": True}, headers=admin)
        assert required.status_code == 200, required.text
        invited = await api.post(
            f"/api/v1/orgs/{organization}/invitations", json={"email": member_email, "role": "member"}, headers=admin
        )
        assert invited.status_code == 201, invited.text
        messages = (await api.get("/api/v1/dev/outbox", params={"limit": 100})).json()["items"]
        body = next(m["body_text"] for m in messages if m["recipient"] == member_email)
        token = re.search(r"invitations/accept\?token=(\S+)", body)
        assert token is not None
        member = await api_user(api, member_email)
        accepted = await api.post("/api/v1/invitations/accept", json={"token": token.group(1)}, headers=member)
        assert accepted.status_code == 200, accepted.text
    return str(organization)


async def test_a_member_without_mfa_is_sent_to_set_it_up_and_then_gets_in(page: Page, server_url: str) -> None:
    member = unique_email("mfa-member")
    organization = await organization_requiring_mfa_with_a_member(server_url, member)

    await page.goto("/login")
    await page.get_by_label("Email").fill(member)
    await page.get_by_label("Password", exact=True).fill(PASSWORD)
    await page.get_by_role("button", name="Log in").click()
    await expect(page.get_by_role("button", name="Log out")).to_be_visible()

    await page.goto(f"/orgs/{organization}/members")
    await expect(page.get_by_role("heading", name="Two-factor authentication required")).to_be_visible()
    await page.get_by_role("link", name="Open security settings").click()
    await expect(page).to_have_url(re.compile(r"/account/security"))

    await page.get_by_role("button", name="Set up two-factor authentication").click()
    secret_box = page.get_by_test_id("mfa-secret")
    await expect(secret_box).to_be_visible()
    secret = (await secret_box.inner_text()).strip()
    await page.get_by_label("Authentication code").fill(pyotp.TOTP(secret).now())
    await page.get_by_role("button", name="Enable MFA").click()
    await expect(page.get_by_role("list", name="Recovery codes").get_by_role("listitem")).to_have_count(10)

    await page.goto(f"/orgs/{organization}/members")
    await expect(page.get_by_role("heading", name="Members")).to_be_visible()
    await expect(page.get_by_text(member).first).to_be_visible()
