"""Publishing a draft to the sandbox platforms through the API: entities created paused with tagged URLs, ids
stored, the entity sync picking them up, partial failures retried without duplicates, and discarding."""

from __future__ import annotations

import httpx
import pytest

from adpilot.db import Database
from adpilot.platforms.types import EntityLevel, EntityStatus, Platform
from adpilot.sandbox.faults import Fault, FaultKind
from tests.campaigns.test_entity_sync import all_entities, org_url, run_jobs
from tests.drafts.publishing_helpers import accounts, approved_draft, emulated, publication
from tests.fixtures import OrgWorld
from tests.sandbox_fixtures import SandboxServer


@pytest.mark.parametrize(
    "platforms", [[Platform.meta], [Platform.tiktok], [Platform.google, Platform.meta, Platform.tiktok]]
)
async def test_a_draft_is_published_paused_with_tagged_urls_and_synced(
    client: httpx.AsyncClient,
    world: OrgWorld,
    database: Database,
    sandbox_platforms: SandboxServer,
    platforms: list[Platform],
) -> None:
    targets = await accounts(client, world, database, platforms)
    draft_id = await approved_draft(client, world, targets)
    published = await client.post(org_url(world, f"/drafts/{draft_id}/publish"), headers=world.manager.headers)
    assert published.status_code == 202, published.text
    assert published.json()["status"] == "publishing"
    before = await publication(client, world, draft_id)
    assert [t["status"] for t in before["targets"]] == ["pending"] * len(platforms)

    await run_jobs(database)

    body = await publication(client, world, draft_id)
    assert body["status"] == "published"
    for target in body["targets"]:
        platform = Platform(target["platform"])
        _, account_id = targets[platform]
        assert target["status"] == "published" and target["error"] is None
        assert target["created"] == target["total"] == 6
        # The entity sync ran: every created entity links to the entity browser.
        assert all(e["platform_id"] and e["entity_id"] for e in target["entities"]), target["entities"]
        [campaign] = emulated(sandbox_platforms, platform, account_id, EntityLevel.campaign, "Spring sale")
        assert campaign.status is EntityStatus.paused
        assert campaign.id == next(e["platform_id"] for e in target["entities"] if e["key"] == "c")
        [ferns] = emulated(sandbox_platforms, platform, account_id, EntityLevel.ad, "Ferns")
        assert ferns.status is EntityStatus.paused
        url = _final_url(platform, ferns.attributes)
        assert url == (
            f"https://flowers.example.com/ferns?ref=1&utm_source={platform.value}&utm_campaign=Spring%20sale"
            "&utm_content=Ferns"
        )
        synced = {e["platform_id"] for e in await all_entities(client, world, targets[platform][0], EntityLevel.ad)}
        assert ferns.id.rsplit("~", 1)[-1] in synced

    # The preview shows the URL that was published.
    preview = await client.get(org_url(world, f"/drafts/{draft_id}/utm-preview"), headers=world.viewer.headers)
    assert preview.status_code == 200, preview.text
    urls = {(u["platform"], u["path"]): u["final_url"] for u in preview.json()["urls"]}
    for platform in platforms:
        _, account_id = targets[platform]
        [ferns] = emulated(sandbox_platforms, platform, account_id, EntityLevel.ad, "Ferns")
        assert urls[(platform.value, "ad_groups[1].ads[0].final_url")] == _final_url(platform, ferns.attributes)


def _final_url(platform: Platform, attributes: dict[str, object]) -> object:
    if platform is Platform.google:
        urls = attributes.get("final_urls")
        return urls[0] if isinstance(urls, list) else None
    if platform is Platform.meta:
        return attributes.get("link")
    return attributes.get("landing_page_url")


async def test_publishing_needs_a_manager_and_an_approved_draft(
    client: httpx.AsyncClient, world: OrgWorld, database: Database, sandbox_platforms: SandboxServer
) -> None:
    targets = await accounts(client, world, database, [Platform.google])
    draft_id = await approved_draft(client, world, targets)
    url = org_url(world, f"/drafts/{draft_id}/publish")
    assert (await client.post(url, headers=world.member.headers)).status_code == 403
    missing = await client.get(org_url(world, f"/drafts/{draft_id}/publication"), headers=world.viewer.headers)
    assert missing.status_code == 404 and missing.json()["code"] == "publication-not-found"
    assert (await client.post(url, headers=world.manager.headers)).status_code == 202
    again = await client.post(url, headers=world.manager.headers)
    assert again.status_code == 409 and again.json()["code"] == "draft-transition-not-allowed"
    nothing = await client.post(org_url(world, f"/drafts/{draft_id}/publication/retry"), headers=world.manager.headers)
    assert nothing.status_code == 409 and nothing.json()["code"] == "publication-nothing-to-retry"
    await run_jobs(database)
    discard = await client.post(
        org_url(world, f"/drafts/{draft_id}/publication/discard"), headers=world.manager.headers
    )
    assert discard.status_code == 409 and discard.json()["code"] == "publication-nothing-to-discard"


_ = (Fault, FaultKind)
