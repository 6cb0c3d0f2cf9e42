"""Ad platform connections in a real browser: a new organization connects Google Ads, Meta Ads and TikTok Ads through
the sandbox's consent pages, chooses ad accounts, waits for their first sync (the server's in-process worker) and
browses the synced campaigns, ad groups / ad sets and ads; then reconnects one platform and disconnects another."""

from __future__ import annotations

import re
import uuid

from playwright.async_api import Page, expect

from tests.browser.test_invitations import fill_login, sign_up, unique_email, verify_email_from_outbox

PLATFORMS = ("Google Ads", "Meta Ads", "TikTok Ads")
# The first sync of a fresh account reads every campaign, ad group and ad through the real adapters.
SYNC_TIMEOUT_MS = 90_000


async def connect(page: Page, platform: str) -> str:
    """Connect `platform` through its consent page (first sandbox login, Allow) and manage its first ad account.

    Returns the name of the managed account."""
    await page.get_by_role("button", name=f"Connect {platform}", exact=True).click()

    # The platform's (sandbox) consent page, outside the web app.
    await expect(page.get_by_role("heading", name=re.compile(r"\(sandbox\)$"))).to_be_visible()
    await expect(page.get_by_text("no real ad account is touched")).to_be_visible()
    await page.get_by_role("button", name="Allow").click()

    # Back in the web app: the callback finishes the connection and opens its account selection.
    await expect(page).to_have_url(re.compile(r"/orgs/[0-9a-f-]{36}/connections\?select="))
    selection = page.get_by_role("form", name=re.compile(r"^Ad accounts to manage for "))
    await expect(selection).to_be_visible()
    await expect(page.get_by_role("status").filter(has_text=re.compile(r"^Connected "))).to_be_visible()
    choice = selection.get_by_role("checkbox", name=re.compile(r"^Manage ")).and_(
        selection.locator("input:not([disabled])")
    )
    first = choice.first
    label = await first.get_attribute("aria-label")
    assert label and label.startswith("Manage ")
    await first.check()
    await selection.get_by_role("button", name="Save selection").click()
    await expect(page.get_by_text(re.compile(r"^Saved\. adpilot manages 1 ad account"))).to_be_visible()
    return label.removeprefix("Manage ")


async def test_connect_three_sandbox_platforms_choose_accounts_and_browse_their_entities(page: Page) -> None:
    email = unique_email("connector")
    await page.goto("/signup")
    await sign_up(page, "Connie Connector", email)
    await verify_email_from_outbox(page, email)  # connecting a platform needs a verified email
    await page.goto("/login")
    await fill_login(page, email)
    await page.get_by_label("Organization name").fill(f"Ads Org {uuid.uuid4().hex[:6]}")
    await page.get_by_role("button", name="Create organization").click()
    await expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()

    await page.get_by_role("navigation", name="Main").get_by_role("link", name="Connections").click()
    await expect(page.get_by_role("heading", name="Connections", exact=True)).to_be_visible()
    await expect(page.get_by_text("No ad platform is connected yet")).to_be_visible()

    accounts: dict[str, str] = {}
    for platform in PLATFORMS:
        accounts[platform] = await connect(page, platform)

    # Every platform card now holds a healthy connection; each managed account's first sync finishes.
    for platform in PLATFORMS:
        await expect(page.get_by_role("button", name=f"Connect another {platform} login")).to_be_visible()
    await expect(page.get_by_text("Healthy")).to_have_count(3)
    for name in accounts.values():
        row = page.get_by_role("row").filter(has=page.get_by_text(name, exact=True))
        await expect(row.get_by_text("Synced", exact=True)).to_be_visible(timeout=SYNC_TIMEOUT_MS)
        await expect(row.get_by_text(re.compile(r"\d+ campaigns?"))).to_be_visible()
    await expect(page.get_by_text(re.compile("needs reconnecting"))).to_have_count(0)

    # The entity browser: campaigns → ad groups → ads of the Google account.
    await page.get_by_role("navigation", name="Main").get_by_role("link", name="Campaigns").click()
    picker = page.get_by_label("Ad account")
    await expect(picker).to_be_visible()
    for platform, middle in (("Google Ads", "Ad groups"), ("Meta Ads", "Ad sets"), ("TikTok Ads", "Ad groups")):
        name = accounts[platform]
        option = picker.locator("option").filter(has_text=re.compile(rf"^{re.escape(name)} \("))
        value = await option.first.get_attribute("value")
        assert value
        await picker.select_option(value)
        await browse(page, name, middle)

    # Reconnecting goes through the consent page again and keeps the one connection; disconnecting asks first.
    await page.get_by_role("navigation", name="Main").get_by_role("link", name="Connections").click()
    google_card = page.get_by_role("region", name=re.compile(r"^Google Ads"))
    await expect(google_card).to_have_count(1)
    await page.get_by_role("button", name=re.compile(r"^Reconnect Google Ads")).click()
    await page.get_by_role("button", name="Allow").click()
    await expect(page).to_have_url(re.compile(r"/connections\?select="))
    await expect(page.get_by_role("status").filter(has_text=re.compile(r"^Connected "))).to_be_visible()
    await expect(google_card).to_have_count(1)
    await expect(google_card.get_by_text("Healthy")).to_be_visible()

    await page.get_by_role("button", name=re.compile(r"^Disconnect TikTok Ads")).click()
    dialog = page.get_by_role("dialog")
    await expect(dialog).to_contain_text("deletes the stored credentials")
    await dialog.get_by_role("button", name="Disconnect", exact=True).click()
    await expect(dialog).to_have_count(0)
    await expect(page.get_by_role("button", name="Connect TikTok Ads", exact=True)).to_be_visible()
    await expect(page.get_by_role("region", name=re.compile(r"^TikTok Ads"))).to_have_count(0)


async def browse(page: Page, account: str, middle: str) -> None:
    """From the account's campaigns into a campaign's ad groups (Meta: ad sets) and one of their ads."""
    campaigns = page.get_by_role("table", name=f"Campaigns of {account}")
    await expect(campaigns).to_be_visible()
    links = campaigns.get_by_role("link")
    await expect(links.first).to_be_visible()
    campaign = (await links.first.inner_text()).strip()
    await links.first.click()

    breadcrumb = page.get_by_role("navigation", name="Breadcrumb")
    await expect(breadcrumb.get_by_text(campaign, exact=True)).to_have_attribute("aria-current", "page")
    groups = page.get_by_role("table", name=f"{middle} of {account}")
    await expect(groups).to_be_visible()
    group_links = groups.get_by_role("link")
    await expect(group_links.first).to_be_visible()
    group = (await group_links.first.inner_text()).strip()
    await group_links.first.click()

    ads = page.get_by_role("table", name=f"Ads of {account}")
    await expect(ads).to_be_visible()
    await expect(ads.get_by_role("row").nth(1)).to_be_visible()
    await expect(breadcrumb.get_by_text(group, exact=True)).to_have_attribute("aria-current", "page")

    # Back to the campaigns through the breadcrumb; the name filter narrows them down.
    await breadcrumb.get_by_role("link", name="All campaigns").click()
    await expect(campaigns).to_be_visible()
    await page.get_by_role("searchbox", name="Filter by name").fill(campaign)
    await page.get_by_role("searchbox", name="Filter by name").press("Enter")
    await expect(campaigns.get_by_role("link", name=campaign, exact=True)).to_be_visible()
    await page.get_by_role("searchbox", name="Filter by name").fill("")
    await page.get_by_role("searchbox", name="Filter by name").press("Enter")
