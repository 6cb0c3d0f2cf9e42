"""Account and organization settings in a real browser: profile name, the session surviving a reload, and the sole
admin being told to hand over before leaving."""

from __future__ import annotations

import re
import uuid

from playwright.async_api import Page, expect

PASSWORD = "a-long-and-unusual-passphrase"


async def test_profile_rename_reload_and_last_admin_cannot_leave(page: Page) -> None:
    email = f"settings-{uuid.uuid4().hex[:10]}@example.com"
    await page.goto("/signup")
    await page.get_by_label("Name").fill("Sam Settings")
    await page.get_by_label("Email").fill(email)
    await page.get_by_label("Password", exact=True).fill(PASSWORD)
    await page.get_by_role("button", name="Sign up").click()
    await expect(page.get_by_text("Check your inbox")).to_be_visible()
    await page.goto("/login")
    await page.get_by_label("Email").fill(email)
    await page.get_by_label("Password", exact=True).fill(PASSWORD)
    await page.get_by_role("button", name="Log in").click()
    await page.get_by_label("Organization name").fill("Solo Org")
    await page.get_by_role("button", name="Create organization").click()
    await expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()

    # Profile: inline validation, then a saved state and the new name in the sidebar.
    await page.get_by_role("link", name="Profile").click()
    name = page.get_by_label("Display name")
    await expect(name).to_have_value("Sam Settings")
    await name.fill("")
    await page.get_by_role("button", name="Save profile").click()
    await expect(page.get_by_text("Enter the name your teammates will see.")).to_be_visible()
    await name.fill("Samira Settings")
    await page.get_by_role("button", name="Save profile").click()
    await expect(page.get_by_text("Profile saved")).to_be_visible()
    sidebar = page.get_by_role("complementary")
    await expect(sidebar.get_by_text("Samira Settings")).to_be_visible()

    # A reload restores the session from the refresh cookie.
    await page.reload()
    await expect(page.get_by_label("Display name")).to_have_value("Samira Settings")

    # The only admin cannot leave.
    await sidebar.get_by_role("link", name="Members").click()
    await page.get_by_role("button", name="Leave organization").click()
    dialog = page.get_by_role("dialog")
    await dialog.get_by_role("button", name="Leave", exact=True).click()
    await expect(
        dialog.get_by_text("An organization needs at least one admin — make someone else admin first")
    ).to_be_visible()
    await dialog.get_by_role("button", name="Cancel").click()
    await expect(page).to_have_url(re.compile(r"/orgs/[0-9a-f-]{36}/members$"))
