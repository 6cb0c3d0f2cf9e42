"""Manual browser smoke run: weak-password error, verify banner, invite a viewer, org switcher dialog, accept the
invitation while logged out (login redirect round trip), viewer sees no edit controls, login rate limit.
Usage: python frontend/e2e/smoke_invitations.py http://127.0.0.1:8000"""
import os
import sys, uuid, re
from playwright.sync_api import sync_playwright, expect
BASE = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8000"
a = f"admin-{uuid.uuid4().hex[:6]}@example.com"
b = f"viewer-{uuid.uuid4().hex[:6]}@example.com"
pw = "a perfectly fine passphrase"
with sync_playwright() as p:
    os.makedirs("/tmp/e2e", exist_ok=True)
    browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"])
    page = browser.new_page()
    # weak password -> 422 next to the field
    page.goto(f"{BASE}/signup")
    page.get_by_label("Name").fill("Admin")
    page.get_by_label("Email").fill(a)
    page.get_by_label("Password").fill("password1234")
    page.get_by_role("button", name="Sign up").click()
    expect(page.get_by_label("Password")).to_have_attribute("aria-invalid", "true")
    print("weak password message:", page.get_by_label("Password").evaluate("e => document.getElementById(e.getAttribute('aria-describedby')).textContent"))
    page.screenshot(path="/tmp/e2e/b1-weak.png")
    page.get_by_label("Password").fill(pw)
    page.get_by_role("button", name="Sign up").click()
    expect(page.get_by_text("Check your inbox")).to_be_visible()
    page.get_by_role("link", name="Continue to log in").click()
    page.get_by_label("Email").fill(a); page.get_by_label("Password").fill(pw)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_text("Please verify your email address")).to_be_visible()
    page.get_by_label("Organization name").fill("Viewer Org")
    page.get_by_role("button", name="Create organization").click()
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    page.screenshot(path="/tmp/e2e/b2-banner.png")
    page.get_by_role("link", name="Members").click()
    page.get_by_label("Email").fill(b)
    page.get_by_label("Role", exact=True).select_option("viewer")
    page.get_by_role("button", name="Send invitation").click()
    expect(page.get_by_text(f"Invitation sent to {b}")).to_be_visible()
    # org switcher + create dialog
    page.get_by_role("button", name="Switch organization").click()
    page.get_by_role("menuitem", name="+ Create organization").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("Organization name").fill("Second Org")
    dialog.get_by_role("button", name="Create organization").click()
    expect(page.get_by_role("button", name="Switch organization")).to_contain_text("Second Org")
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("button", name="Log in")).to_be_visible()
    # follow the invitation link while logged out
    page.goto(f"{BASE}/dev/outbox")
    art = page.get_by_role("article").filter(has_text=b).first
    expect(art).to_be_visible(timeout=15000)
    art.get_by_role("link").filter(has_text="invitations/accept").first.click()
    expect(page.get_by_role("button", name="Log in")).to_be_visible()
    print("login url:", page.url)
    page.get_by_role("link", name="Create an account").click()
    page.get_by_label("Name").fill("Viewer"); page.get_by_label("Email").fill(b); page.get_by_label("Password").fill(pw)
    page.get_by_role("button", name="Sign up").click()
    page.get_by_role("link", name="Continue to log in").click()
    page.get_by_label("Email").fill(b); page.get_by_label("Password").fill(pw)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_text("You joined Viewer Org")).to_be_visible()
    page.get_by_role("link", name="Open Viewer Org").click()
    page.get_by_role("link", name="Members").click()
    expect(page.get_by_text(a)).to_be_visible()
    assert page.get_by_role("combobox").count() == 0
    assert page.get_by_role("button", name="Send invitation").count() == 0
    page.screenshot(path="/tmp/e2e/b3-viewer-members.png")
    page.get_by_role("link", name="Audit log").click()
    expect(page.get_by_text("Only admins can view the audit log.")).to_be_visible()
    page.get_by_role("link", name="Organization settings").click()
    expect(page.get_by_text("Only admins can change these settings.")).to_be_visible()
    page.get_by_role("button", name="Log out").click()
    # rate limiting on wrong passwords
    for i in range(7):
        page.get_by_label("Email").fill(b); page.get_by_label("Password").fill("wrong password!")
        page.get_by_role("button", name="Log in").click()
        page.wait_for_timeout(300)
        txt = page.get_by_role("alert").first.inner_text()
    print("after failures:", txt)
    page.screenshot(path="/tmp/e2e/b4-ratelimit.png")
    print("OK")
    browser.close()
