"""A newcomer's first minutes, in a real browser: sign up, verify through the outbox, log in, enable MFA, log in
again."""

from __future__ import annotations

import re
import time
from typing import Any

import pyotp
from playwright.async_api import Page, expect

PASSWORD = "a-long-and-unusual-passphrase"


async def log_in(page: Page, email: str) -> None:
    await page.goto("/login")
    await page.get_by_label("Email").fill(email)
    await page.get_by_label("Password", exact=True).fill(PASSWORD)
    await page.get_by_role("button", name="Log in").click()


def totp_code(secret: str, steps_from_now: int = 0) -> str:
    """A code as an authenticator app shows it; the server accepts each time step once (and +-1 step of drift)."""
    return pyotp.TOTP(secret).at(time.time() + 30 * steps_from_now)


async def test_sign_up_verify_log_in_enable_mfa_and_log_in_with_a_code(page: Page, server_url: str) -> None:
    email = "newcomer@example.com"

    await page.goto("/signup")
    await page.get_by_label("Name").fill("Nia Newcomer")
    await page.get_by_label("Email").fill(email)
    await page.get_by_label("Password", exact=True).fill(PASSWORD)
    await page.get_by_role("button", name="Sign up").click()
    await expect(page.get_by_text("Check your inbox")).to_be_visible()

    # The verification mail lands in the development outbox; follow its link.
    await page.goto("/dev/outbox")
    verification = page.locator('a[href*="/verify-email?token="]')
    await expect(verification.first).to_be_visible()
    await verification.first.click()
    await expect(page.get_by_text("your email address is confirmed")).to_be_visible()

    await log_in(page, email)
    await expect(page.get_by_role("button", name="Log out")).to_be_visible()

    # Enable MFA with the secret shown on the security page: nothing is set up until asked for.
    await page.goto("/account/security")
    await expect(page).to_have_title("Security · adpilot")
    mfa = page.get_by_role("heading", name="Two-factor authentication").locator("xpath=../../..")
    await expect(mfa.get_by_text("Off", exact=True)).to_be_visible()
    await page.get_by_role("button", name="Set up two-factor authentication").click()
    secret_box = page.get_by_test_id("mfa-secret")
    await expect(secret_box).to_be_visible()
    secret = (await secret_box.inner_text()).strip()
    await page.get_by_label("Authentication code").fill(totp_code(secret, -1))
    await page.get_by_role("button", name="Enable MFA").click()
    codes = page.get_by_role("list", name="Recovery codes").get_by_role("listitem")
    await expect(codes).to_have_count(10)
    await expect(mfa.get_by_text("On", exact=True)).to_be_visible()
    await expect(mfa.get_by_text("Off", exact=True)).to_have_count(0)

    await page.get_by_role("button", name="Log out").click()
    await expect(page).to_have_url(re.compile(r"/login"))

    # Logging in now takes a second step with a code from the authenticator.
    await log_in(page, email)
    code_field = page.get_by_label("Authentication code")
    await expect(code_field).to_be_visible()
    await code_field.fill(totp_code(secret))
    await page.get_by_role("button", name="Verify").click()
    await expect(page.get_by_role("button", name="Log out")).to_be_visible()
    me: Any = await page.evaluate("fetch('/api/v1/config').then(r => r.status)")
    assert me == 200
