"""Teams in a real browser: an admin invites a viewer by email, the viewer signs up through the link and accepts, sees
read-only screens, and the admin finds the acceptance in the audit log. Plus the log-in throttle message."""

from __future__ import annotations

import re
import uuid

from playwright.async_api import Locator, Page, expect

PASSWORD = "a-long-and-unusual-passphrase"


def unique_email(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}@example.com"


async def sign_up(page: Page, name: str, email: str) -> None:
    await page.get_by_label("Name").fill(name)
    await page.get_by_label("Email").fill(email)
    await page.get_by_label("Password", exact=True).fill(PASSWORD)
    await page.get_by_role("button", name="Sign up").click()
    await expect(page.get_by_text("Check your inbox")).to_be_visible()


async def fill_login(page: Page, email: str, password: str = PASSWORD) -> None:
    await page.get_by_label("Email").fill(email)
    await page.get_by_label("Password", exact=True).fill(password)
    await page.get_by_role("button", name="Log in").click()


async def log_out(page: Page) -> None:
    await page.get_by_role("button", name="Log out").click()
    await expect(page.get_by_role("button", name="Log in")).to_be_visible()


async def outbox_message(page: Page, recipient: str, subject: re.Pattern[str]) -> Locator:
    """The newest outbox mail to `recipient` whose subject matches (mail may be sent just after the request)."""
    for _ in range(20):
        await page.goto("/dev/outbox")
        message = page.get_by_role("article", name=subject).filter(has_text=recipient).first
        try:
            await expect(message).to_be_visible(timeout=1_000)
            return message
        except AssertionError:
            continue
    raise AssertionError(f"no mail matching {subject.pattern!r} to {recipient} in the outbox")


async def verify_email_from_outbox(page: Page, email: str) -> None:
    """Open the verification link mailed to ``email``."""
    message = await outbox_message(page, email, re.compile("Verify your email"))
    await message.locator('a[href*="/verify-email?token="]').first.click()
    await expect(page.get_by_text("your email address is confirmed")).to_be_visible()


async def test_invited_viewer_joins_sees_read_only_screens_and_admin_sees_the_acceptance(page: Page) -> None:
    admin = unique_email("admin")
    viewer = unique_email("viewer")
    org_name = f"Viewer Org {uuid.uuid4().hex[:6]}"

    # The admin signs up, logs in without verifying yet (banner with a resend button) and creates an organization.
    await page.goto("/signup")
    await sign_up(page, "Ada Admin", admin)
    await page.goto("/login")
    await fill_login(page, admin)
    await expect(page.get_by_text("Please verify your email address")).to_be_visible()
    await page.get_by_role("button", name="Resend email").click()
    await expect(page.get_by_text("Email sent")).to_be_visible()
    await page.get_by_label("Organization name").fill(org_name)
    await page.get_by_role("button", name="Create organization").click()
    await expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()

    # Invite the viewer by email.
    await page.get_by_role("link", name="Members").click()
    await page.get_by_label("Email").fill(viewer)
    await page.get_by_label("Role", exact=True).select_option("viewer")
    await page.get_by_role("button", name="Send invitation").click()
    await expect(page.get_by_text(f"Invitation sent to {viewer}")).to_be_visible()
    await log_out(page)

    # The invitee follows the link from the mail: log-in page → sign up → log in → back to the acceptance.
    invitation = await outbox_message(page, viewer, re.compile("invit", re.IGNORECASE))
    invitation_link = invitation.locator('a[href*="/invitations/accept?token="]').first
    invitation_url = await invitation_link.get_attribute("href")
    assert invitation_url is not None
    await invitation_link.click()
    await expect(page.get_by_role("button", name="Log in")).to_be_visible()
    await page.get_by_role("link", name="Create an account").click()
    await sign_up(page, "Vic Viewer", viewer)
    await page.get_by_role("link", name="Continue to log in").click()
    await fill_login(page, viewer)
    # Joining needs a verified email: the page says so and offers a new link; the mailed one verifies it.
    await expect(page.get_by_text("Verify your email to accept this invitation")).to_be_visible()
    await expect(page.get_by_role("button", name="Resend email")).to_be_visible()
    await verify_email_from_outbox(page, viewer)
    await page.goto(invitation_url)
    await expect(page.get_by_text(f"You joined {org_name}")).to_be_visible()
    await page.get_by_role("link", name=f"Open {org_name}").click()

    # Members: the team is listed, but there are no role selects, remove buttons or invitation form.
    await page.get_by_role("link", name="Members").click()
    team = page.get_by_role("table")
    await expect(team.get_by_text(admin)).to_be_visible()
    await expect(team.get_by_text(viewer)).to_be_visible()
    await expect(page.get_by_role("combobox")).to_have_count(0)
    await expect(page.get_by_role("button", name=re.compile("^Remove"))).to_have_count(0)
    await expect(page.get_by_role("button", name="Send invitation")).to_have_count(0)
    await expect(page.get_by_role("button", name="Leave organization")).to_be_visible()

    # Organization settings are read-only; the audit log is for admins.
    await page.get_by_role("link", name="Organization settings").click()
    await expect(page.get_by_text("Only admins can change these settings.")).to_be_visible()
    await expect(page.get_by_label("Organization name")).to_have_attribute("readonly", "")
    await expect(page.get_by_label("Require two-factor authentication")).to_be_disabled()
    await expect(page.get_by_role("button", name="Save changes")).to_have_count(0)
    await page.get_by_role("link", name="Audit log").click()
    await expect(page.get_by_text("Only admins can view the audit log.")).to_be_visible()

    await log_out(page)

    # The admin sees the acceptance in the audit log, also when filtering by the viewer as actor (kept in the URL).
    await fill_login(page, admin)
    await page.get_by_role("link", name="Audit log").click()
    accepted = page.get_by_role("listitem").filter(has_text="invitation.accepted")
    await expect(accepted).to_have_count(1)
    await expect(accepted).to_contain_text(viewer)
    await page.get_by_label("Actor").select_option(label=f"Vic Viewer ({viewer})")
    await page.get_by_label("Target type").select_option("invitation")
    await page.get_by_role("button", name="Apply filters").click()
    await expect(page).to_have_url(re.compile(r"[?&]target_type=invitation"))
    await expect(page).to_have_url(re.compile(r"[?&]actor_user_id=[0-9a-f-]{36}"))
    await expect(page.get_by_role("listitem").filter(has_text="invitation.accepted")).to_have_count(1)
    await expect(page.get_by_role("listitem").filter(has_text="invitation.created")).to_have_count(0)
    await page.reload()
    await expect(page.get_by_label("Target type")).to_have_value("invitation")
    await expect(page.get_by_role("listitem").filter(has_text="invitation.accepted")).to_have_count(1)
    await log_out(page)

    # Any member may leave; with no organization left, the viewer lands on onboarding.
    await fill_login(page, viewer)
    await page.get_by_role("link", name="Organization settings").click()
    await page.get_by_role("button", name="Leave organization").click()
    await page.get_by_role("dialog").get_by_role("button", name="Leave", exact=True).click()
    await expect(page).to_have_url(re.compile(r"/onboarding$"))


async def test_repeated_wrong_passwords_are_throttled_with_a_wait_time(page: Page) -> None:
    # A fresh address: the per-account limit (5 failures) is reached without touching other tests' accounts.
    email = unique_email("throttled")
    await page.goto("/login")
    statuses = []
    for _ in range(6):
        async with page.expect_response(lambda r: r.url.endswith("/api/v1/auth/login")) as response:
            await fill_login(page, email, "not the right passphrase")
        statuses.append((await response.value).status)
    assert statuses == [401] * 5 + [429]
    await expect(page.get_by_text(re.compile(r"Try again in \d+ seconds"))).to_be_visible()
