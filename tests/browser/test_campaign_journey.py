"""Issue 11's journey in a real browser: a member drafts a campaign for Google and Meta, a manager approves it and
publishes it to both sandbox platforms, it appears in the entity browser of both accounts and accrues metrics on the
dashboard; then the manager pauses it from the dashboard's campaign table and the sandbox stops its spend.

Time passes on the sandbox's own clock (its control API), and the numbers arrive through the product's own metrics
sync, started from the dashboard's "Sync now" as a person would. What the platforms say is read from the sandbox's
own APIs. Both campaigns get a row with spend on the dashboard; the pause follows the Google one."""

from __future__ import annotations

import json
import re
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import quote

import httpx
from playwright.async_api import Locator, Page, expect

from adpilot.platforms.types import Platform
from adpilot.sandbox.state import SandboxState
from tests.browser.conftest import BROWSER_HOME
from tests.browser.test_connections import SYNC_TIMEOUT_MS, connect
from tests.browser.test_invitations import (
    fill_login,
    log_out,
    outbox_message,
    sign_up,
    unique_email,
    verify_email_from_outbox,
)

CAMPAIGN = f"Winter sale {uuid.uuid4().hex[:6]}"
# Any numeric id stands for a Facebook Page in the sandbox.
META_PAGE_ID = "104000000000001"


async def invite(page: Page, email: str, role: str) -> None:
    await page.get_by_label("Email").fill(email)
    await page.get_by_label("Role", exact=True).select_option(role)
    await page.get_by_role("button", name="Send invitation").click()
    await expect(page.get_by_text(f"Invitation sent to {email}")).to_be_visible()


async def join(page: Page, name: str, email: str, org_name: str) -> None:
    """Follow the mailed invitation: sign up, verify the address, accept, open the organization."""
    invitation = await outbox_message(page, email, re.compile("invit", re.IGNORECASE))
    url = await invitation.locator('a[href*="/invitations/accept?token="]').first.get_attribute("href")
    assert url is not None
    await page.goto("/signup")
    await sign_up(page, name, email)
    await verify_email_from_outbox(page, email)
    await page.goto(url)  # asks to log in first, then comes back here
    await fill_login(page, email)
    await expect(page.get_by_text(f"You joined {org_name}")).to_be_visible()
    await page.get_by_role("link", name=f"Open {org_name}").click()


class Sandbox:
    """The sandbox's own view of one ad account, read over its platform's API with a token the sandbox signs (the
    server's secret key is in its home): what the platform says, not what adpilot recorded."""

    def __init__(self, server_url: str, platform: Platform, account_id: str) -> None:
        state = SandboxState.demo(secret=(BROWSER_HOME / "secret.key").read_text().strip().encode())
        # The consent page's first login, the one connect() allows.
        login = state.world.logins(platform)[0]
        self.token, _ = state.auth.issue_token(platform, login.login_id, "access", None)
        self.direct = login.account_ids
        self.platform, self.account_id = platform, account_id.replace("-", "").removeprefix("act_")
        self.base = f"{server_url}/sandbox/{platform.value}"

    async def _gaql(self, query: str) -> list[dict[str, Any]]:
        headers = {"Authorization": f"Bearer {self.token}", "developer-token": "sandbox"}
        async with httpx.AsyncClient(base_url=self.base, headers=headers) as client:
            for login_customer in (None, *self.direct):
                extra = {"login-customer-id": login_customer} if login_customer else {}
                response = await client.post(
                    f"/v23/customers/{self.account_id}/googleAds:search", json={"query": query}, headers=extra
                )
                if response.status_code != 403:
                    break
        assert response.status_code == 200, response.text
        return list(response.json().get("results", []))

    async def campaign_status(self) -> str:
        if self.platform is Platform.google:
            # GAQL, not SQL: the campaign's name is this module's constant.
            rows = await self._gaql(f"SELECT campaign.status FROM campaign WHERE campaign.name = '{CAMPAIGN}'")  # noqa: S608
            assert len(rows) == 1, rows
            return str(rows[0]["campaign"]["status"])
        async with httpx.AsyncClient(base_url=self.base) as client:
            response = await client.get(
                f"/v23.0/act_{self.account_id}/campaigns",
                params={"fields": "name,status", "access_token": self.token, "limit": 500},
            )
        assert response.status_code == 200, response.text
        found = [c for c in response.json()["data"] if c["name"] == CAMPAIGN]
        assert len(found) == 1, response.json()
        return str(found[0]["status"])

    async def campaign_spend(self, around: date) -> int:
        """The campaign's cost over the days around ``around`` (every account time zone's today), in micros."""
        since, until = around - timedelta(days=1), around + timedelta(days=3)
        if self.platform is Platform.meta:
            async with httpx.AsyncClient(base_url=self.base) as client:
                response = await client.get(
                    f"/v23.0/act_{self.account_id}/insights",
                    params={
                        "level": "campaign",
                        "fields": "campaign_name,spend",
                        "time_range": json.dumps({"since": str(since), "until": str(until)}),
                        "time_increment": "1",
                        "access_token": self.token,
                        "limit": 500,
                    },
                )
            assert response.status_code == 200, response.text
            rows = [row for row in response.json()["data"] if row["campaign_name"] == CAMPAIGN]
            return sum(int(Decimal(row["spend"]) * 1_000_000) for row in rows)
        rows = await self._gaql(
            "SELECT metrics.cost_micros FROM campaign "  # noqa: S608 (GAQL of this module's constants)
            f"WHERE campaign.name = '{CAMPAIGN}' AND segments.date BETWEEN '{since}' AND '{until}'"
        )
        return sum(int(row["metrics"]["costMicros"]) for row in rows)


async def advance_sandbox_clock(server_url: str, *, hours: float) -> None:
    async with httpx.AsyncClient(base_url=f"{server_url}/sandbox/_control") as control:
        response = await control.post("/clock", json={"advance_seconds": hours * 3600})
        assert response.status_code == 204, response.text


async def visible_after_reloads(page: Page, locator: Locator, timeout_ms: int = SYNC_TIMEOUT_MS) -> None:
    """Wait for ``locator``, reloading the page now and then as a person would while a background sync runs."""
    deadline = time.monotonic() + timeout_ms / 1000
    while True:
        try:
            await expect(locator).to_be_visible(timeout=5_000)
            return
        except AssertionError:
            if time.monotonic() > deadline:
                raise
            await page.reload()


async def test_draft_approve_publish_browse_accrue_and_pause_from_the_dashboard(page: Page, server_url: str) -> None:
    admin, member, manager = unique_email("admin"), unique_email("member"), unique_email("manager")
    org_name = f"Journey Org {uuid.uuid4().hex[:6]}"

    # An admin creates the organization, connects Google Ads and Meta Ads, and invites a member and a manager.
    await page.goto("/signup")
    await sign_up(page, "Ada Admin", admin)
    await verify_email_from_outbox(page, admin)
    await page.goto("/login")
    await fill_login(page, admin)
    await page.get_by_label("Organization name").fill(org_name)
    await page.get_by_role("button", name="Create organization").click()
    await expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    main_nav = page.get_by_role("navigation", name="Main")
    await main_nav.get_by_role("link", name="Connections").click()
    accounts = {platform: await connect(page, platform) for platform in ("Google Ads", "Meta Ads")}
    await main_nav.get_by_role("link", name="Members").click()
    await invite(page, member, "member")
    await invite(page, manager, "manager")
    await log_out(page)

    # The member drafts the campaign for both platforms and submits it.
    await join(page, "Max Member", member, org_name)
    await main_nav.get_by_role("link", name="Drafts").click()
    await page.get_by_role("button", name="New draft").click()
    dialog = page.get_by_role("dialog")
    await dialog.get_by_label("Campaign name").fill(CAMPAIGN)
    await dialog.get_by_role("button", name="Create draft").click()
    await expect(page.get_by_role("heading", name=CAMPAIGN)).to_be_visible()
    await page.get_by_role("checkbox", name="Google Ads").check()
    await page.get_by_role("checkbox", name="Meta Ads").check()
    await page.get_by_role("checkbox", name=re.compile(r"^Publish paused")).set_checked(False)
    await page.get_by_label("Daily budget").fill("50")
    await page.get_by_role("button", name="Add an ad group").click()
    await page.get_by_label("Final URL").fill("https://example.com/winter")
    for index in range(1, 4):
        await page.get_by_role("button", name="Add a headline").click()
        await page.get_by_label(f"Headline {index}", exact=True).fill(f"Winter offer {index}")
    for index in range(1, 3):
        await page.get_by_role("button", name="Add a description").click()
        await page.get_by_label(f"Description {index}", exact=True).fill(f"Everything for winter, part {index}")
    await page.get_by_role("button", name="Add a primary text").click()
    await page.get_by_label("Primary text 1", exact=True).fill("Warm coats and boots for the cold months")
    await page.get_by_role("button", name="Add an image").click()
    await page.get_by_label("Image URL 1", exact=True).fill("https://example.com/winter.jpg")
    # Meta publishes ads through a Facebook Page: without one the Meta ad is refused after its campaign exists.
    await page.get_by_label("Facebook Page id", exact=True).fill(META_PAGE_ID)
    await page.get_by_role("button", name="Save version").click()
    await expect(page.get_by_text("Version 2: ready for review.")).to_be_visible()
    await page.get_by_role("button", name="Submit for review").click()
    await expect(page.get_by_text("This draft waits for a manager's review.", exact=False)).to_be_visible()
    await log_out(page)

    # The manager approves it and publishes it to both platforms.
    await join(page, "Mia Manager", manager, org_name)
    await main_nav.get_by_role("link", name="Drafts").click()
    await page.get_by_role("link", name=CAMPAIGN).click()
    await page.get_by_role("button", name="Approve").click()
    await expect(page.get_by_text("Approved: saving an edit sends it back to draft")).to_be_visible()
    await page.get_by_role("button", name="Publish", exact=True).click()
    await page.get_by_role("dialog").get_by_role("button", name="Publish now").click()
    # Anchored: "Being published: it cannot be edited" is shown meanwhile, and a failed target would end there too.
    await expect(page.get_by_text(re.compile(r"^Published: it cannot be edited\."))).to_be_visible(
        timeout=SYNC_TIMEOUT_MS
    )

    # The entity browser shows it in both accounts once the sync that follows the publication has run.
    await main_nav.get_by_role("link", name="Campaigns").click()
    await expect(page.get_by_role("heading", name="Campaigns", level=1)).to_be_visible()
    platform_ids: dict[str, str] = {}
    for account in accounts.values():
        picker = page.get_by_label("Ad account", exact=True)
        option = picker.locator("option").filter(has_text=f"{account} (").first
        platform_ids[account] = re.sub(r"^.*\((.+)\)$", r"\1", (await option.text_content() or "").strip())
        value = await option.get_attribute("value")
        assert value is not None, account
        await picker.select_option(value)
        await visible_after_reloads(
            page, page.get_by_role("table", name=re.compile(r"^Campaigns of ")).get_by_role("link", name=CAMPAIGN)
        )

    # A day passes on the platforms (their clock; adpilot's own stays on today, so a metrics sync still reads the
    # publication's day, now complete in every account's time zone, daytime hours included); a metrics sync of
    # each account, asked for from the dashboard, brings the new campaign's spend.
    await advance_sandbox_clock(server_url, hours=24)
    await main_nav.get_by_role("link", name="Dashboard").click()
    # Around today in every account's time zone (stat days are the account's, the range is the organization's).
    today = datetime.now(UTC).date()
    await page.goto(
        page.url.split("?")[0]
        + f"?since={today - timedelta(days=1)}&until={today + timedelta(days=1)}&q={quote(CAMPAIGN)}"
    )
    await page.locator("summary").filter(has_text="Data sources").click()
    for account in accounts.values():
        # Enabled once the account's first (backfill) sync has finished.
        await page.get_by_role("button", name=f"Sync now: {account}", exact=True).click(timeout=SYNC_TIMEOUT_MS)
    campaigns = page.get_by_role("table", name=re.compile(r"^Campaigns"))
    ours = campaigns.get_by_role("row").filter(has=page.get_by_role("link", name=CAMPAIGN))
    row, meta_row = ours.filter(has_text="Google Ads"), ours.filter(has_text="Meta Ads")
    await expect(row).to_be_visible(timeout=SYNC_TIMEOUT_MS)
    await expect(meta_row).to_be_visible(timeout=SYNC_TIMEOUT_MS)
    headers = [text.strip() for text in await campaigns.get_by_role("columnheader").all_text_contents()]
    spend_column = next(index for index, text in enumerate(headers) if text.startswith("Spend"))
    for campaign_row in (row, meta_row):
        await expect(campaign_row.get_by_text("Active", exact=True)).to_be_visible()
        # Some spend: a figure with a digit other than zero (not "—", not $0.00).
        await expect(campaign_row.locator("th, td").nth(spend_column)).to_have_text(re.compile(r"[1-9]"))
    google = Sandbox(server_url, Platform.google, platform_ids[accounts["Google Ads"]])
    meta = Sandbox(server_url, Platform.meta, platform_ids[accounts["Meta Ads"]])
    assert await meta.campaign_status() == "ACTIVE"
    assert await google.campaign_status() == "ENABLED"
    assert await google.campaign_spend(today) > 0
    assert await meta.campaign_spend(today) > 0

    # The manager pauses it from the dashboard; the change is verified by reading it back from the platform, and
    # the row says so.
    await row.get_by_role("button", name=f"Pause {CAMPAIGN}").click()
    await expect(row.get_by_text("Applied")).to_be_visible(timeout=SYNC_TIMEOUT_MS)
    await expect(row.get_by_role("button", name=f"Enable {CAMPAIGN}")).to_be_visible()
    await expect(row.get_by_text("Paused", exact=True)).to_be_visible()
    assert await google.campaign_status() == "PAUSED"

    # Once the hour of the pause is over, a paused campaign spends nothing more, however long it stays paused.
    await advance_sandbox_clock(server_url, hours=1)
    paused_spend = await google.campaign_spend(today)
    await advance_sandbox_clock(server_url, hours=6)
    assert await google.campaign_spend(today) == paused_spend
