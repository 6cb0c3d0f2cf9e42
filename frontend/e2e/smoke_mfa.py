"""Manual browser smoke run: sign up, verify via the dev outbox, log in, create an org, invite, audit log,
enable MFA, log out, log in with a TOTP code. Usage: python frontend/e2e/smoke_mfa.py http://127.0.0.1:8000
(needs playwright and /usr/bin/chromium; screenshots go to /tmp/e2e/)."""
import os
import base64, hmac, hashlib, struct, time, re, sys, uuid
from playwright.sync_api import sync_playwright, expect

BASE = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8000"

def totp(secret: str, offset: int = 0) -> str:
    key = base64.b32decode(secret.replace(" ", "").upper() + "=" * (-len(secret.replace(" ", "")) % 8))
    counter = int(time.time()) // 30 + offset
    digest = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    o = digest[-1] & 0x0F
    return str((struct.unpack(">I", digest[o:o + 4])[0] & 0x7FFFFFFF) % 1_000_000).zfill(6)

email = f"e2e-{uuid.uuid4().hex[:8]}@example.com"
password = "a perfectly fine passphrase"
with sync_playwright() as p:
    os.makedirs("/tmp/e2e", exist_ok=True)
    browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"])
    page = browser.new_page()
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(f"{BASE}/signup")
    page.get_by_label("Name").fill("E2E User")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign up").click()
    expect(page.get_by_text("Check your inbox")).to_be_visible()
    page.screenshot(path="/tmp/e2e/1-signup-done.png")
    page.get_by_role("link", name="Development mail outbox").click()
    article = page.get_by_role("article").filter(has_text=email).first
    expect(article).to_be_visible(timeout=15000)
    page.screenshot(path="/tmp/e2e/2-outbox.png", full_page=True)
    link = article.get_by_role("link").filter(has_text="verify-email").first
    link.click()
    expect(page.get_by_text("Email verified")).to_be_visible()
    page.get_by_role("link", name="Continue to log in").click()
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Create your first organization")).to_be_visible()
    page.screenshot(path="/tmp/e2e/3-onboarding.png")
    page.get_by_label("Organization name").fill("E2E Org")
    page.get_by_role("button", name="Create organization").click()
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    page.screenshot(path="/tmp/e2e/4-dashboard.png")
    page.get_by_role("link", name="Members").click()
    expect(page.get_by_role("heading", name="Members")).to_be_visible()
    page.get_by_label("Email").fill("friend@example.com")
    page.get_by_role("button", name="Send invitation").click()
    expect(page.get_by_text("Invitation sent to friend@example.com")).to_be_visible()
    page.screenshot(path="/tmp/e2e/5-members.png", full_page=True)
    page.get_by_role("link", name="Audit log").click()
    expect(page.get_by_role("heading", name="Audit log")).to_be_visible()
    page.wait_for_timeout(800)
    page.locator("summary").first.click()
    page.screenshot(path="/tmp/e2e/6-audit.png", full_page=True)
    page.get_by_role("link", name="Security").click()
    secret = page.get_by_label("Secret key").inner_text(timeout=10000).strip()
    print("secret", secret)
    page.screenshot(path="/tmp/e2e/7-security.png", full_page=True)
    page.get_by_label("Authentication code").fill(totp(secret))
    page.get_by_role("button", name="Enable MFA").click()
    expect(page.get_by_role("list", name="Recovery codes")).to_be_visible()
    page.screenshot(path="/tmp/e2e/8-recovery.png", full_page=True)
    page.get_by_role("button", name="I've saved my codes").click()
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("button", name="Log in")).to_be_visible()
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    # the code used for enabling can't be reused: wait for the next window
    time.sleep(31 - (time.time() % 30))
    page.get_by_label("Authentication code").fill(totp(secret))
    page.screenshot(path="/tmp/e2e/9-mfa-login.png")
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    # reload: session restored from the refresh cookie
    page.reload()
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    print("console errors:", errors)
    print("OK")
    browser.close()
