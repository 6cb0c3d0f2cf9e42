"""Campaign drafts in a real browser: an admin connects Google Ads (sandbox), drafts a campaign whose checks point at
the fields still missing, fills them in, saves a version, submits it for review, approves it and compares versions."""

from __future__ import annotations

import re
import uuid

from playwright.async_api import Page, expect

from tests.browser.test_connections import connect
from tests.browser.test_invitations import fill_login, sign_up, unique_email, verify_email_from_outbox


async def test_draft_a_google_campaign_fix_its_problems_submit_approve_and_diff(page: Page) -> None:
    email = unique_email("drafter")
    await page.goto("/signup")
    await sign_up(page, "Dana Drafter", email)
    await verify_email_from_outbox(page, email)
    await page.goto("/login")
    await fill_login(page, email)
    await page.get_by_label("Organization name").fill(f"Drafts Org {uuid.uuid4().hex[:6]}")
    await page.get_by_role("button", name="Create organization").click()
    await expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    main_nav = page.get_by_role("navigation", name="Main")
    await main_nav.get_by_role("link", name="Connections").click()
    account = await connect(page, "Google Ads")

    await main_nav.get_by_role("link", name="Drafts").click()
    await expect(page.get_by_role("heading", name="Campaign drafts")).to_be_visible()
    await expect(page.get_by_text("No campaign drafts yet")).to_be_visible()
    await page.get_by_role("button", name="New draft").click()
    dialog = page.get_by_role("dialog")
    await dialog.get_by_label("Campaign name").fill("Spring sale")
    await dialog.get_by_role("button", name="Create draft").click()
    await expect(page).to_have_url(re.compile(r"/orgs/[0-9a-f-]{36}/drafts/[0-9a-f-]{36}$"))
    await expect(page.get_by_role("heading", name="Spring sale")).to_be_visible()

    # The checks of version 1 point at what is missing, and block the submission.
    problems = page.get_by_role("list", name="Problems")
    await expect(problems.get_by_text("Choose at least one platform.")).to_be_visible()
    await expect(page.get_by_role("button", name="Submit for review")).to_be_disabled()

    await page.get_by_role("checkbox", name="Google Ads").check()
    await expect(page.get_by_label("Google Ads ad account")).to_contain_text(account)
    await page.get_by_label("Daily budget").fill("50")
    await page.get_by_role("button", name="Add an ad group").click()
    await page.get_by_label("Final URL").fill("https://example.com/spring")
    for index in range(1, 4):
        await page.get_by_role("button", name="Add a headline").click()
        await page.get_by_label(f"Headline {index}", exact=True).fill(f"Spring offer {index}")
    for index in range(1, 3):
        await page.get_by_role("button", name="Add a description").click()
        await page.get_by_label(f"Description {index}", exact=True).fill(f"Everything for spring, part {index}")
    await expect(page.get_by_role("button", name="Submit for review")).to_be_disabled()
    await expect(page.get_by_text("Save your edits before submitting.")).to_be_visible()
    await page.get_by_role("button", name="Save version").click()
    await expect(page.get_by_text("Version 2 · saved")).to_be_visible()
    await expect(page.get_by_text("Version 2: ready for review.")).to_be_visible()

    await page.get_by_role("button", name="Submit for review").click()
    await expect(page.get_by_text("This draft waits for a review.", exact=False)).to_be_visible()
    await page.get_by_role("button", name="Approve").click()
    await expect(page.get_by_text("Approved: saving an edit sends it back to draft")).to_be_visible()

    await page.get_by_role("tab", name="Versions and history").click()
    changes = page.get_by_role("table", name="Changed fields, before and after")
    await expect(changes.get_by_text(re.compile(r"^Budget \W Amount$"))).to_be_visible()
    await expect(changes.get_by_text("50", exact=True)).to_be_visible()
    await expect(changes.get_by_text("Spring offer 3")).to_be_visible()

    await main_nav.get_by_role("link", name="Drafts").click()
    row = page.get_by_role("row").filter(has=page.get_by_role("link", name="Spring sale"))
    await expect(row.get_by_text("Approved")).to_be_visible()
    await expect(row.get_by_text("Google Ads")).to_be_visible()
    await expect(row.get_by_text("by Dana Drafter")).to_be_visible()
