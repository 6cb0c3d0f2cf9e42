"""Helpers of the publishing tests: an approved draft for sandbox accounts, and what the emulators hold."""

from __future__ import annotations

from typing import Any

import httpx

from adpilot.db import Database
from adpilot.platforms.types import EntityLevel, Platform
from adpilot.sandbox.engine import SimEntity
from tests.campaigns.test_entity_sync import connect_sandbox, org_url, run_jobs, synced_account
from tests.drafts.documents import valid_ad, valid_document
from tests.fixtures import OrgWorld
from tests.sandbox_fixtures import SandboxServer

TEMPLATE = "utm_source={platform}&utm_campaign={campaign}&utm_content={ad}"


async def accounts(
    client: httpx.AsyncClient, world: OrgWorld, database: Database, platforms: list[Platform]
) -> dict[Platform, tuple[str, str]]:
    """For each platform, a managed, synced sandbox account: (adpilot id, platform account id)."""
    found: dict[Platform, tuple[str, str]] = {}
    for platform in platforms:
        found[platform] = synced_account(await connect_sandbox(client, world, platform, manage=1, metrics=False))
    await run_jobs(database)
    return found


async def approved_draft(
    client: httpx.AsyncClient, world: OrgWorld, targets: dict[Platform, tuple[str, str]], **changes: Any
) -> str:
    """A draft for ``targets`` (two ad groups, three ads), submitted by a member and approved by a manager;
    ``overrides`` replaces the platform overrides (a Meta Page and a TikTok identity by default)."""
    document = valid_document(
        {platform: account for platform, (account, _) in targets.items()},
        name=changes.pop("name", "Spring sale"),
        utm_template=TEMPLATE,
        ad_groups=[
            {"name": "Bouquets", "ads": [valid_ad(name="Roses"), valid_ad(name="Tulips")]},
            {"name": "Plants", "ads": [valid_ad(name="Ferns", final_url="https://flowers.example.com/ferns?ref=1")]},
        ],
        platform_overrides=changes.pop(
            "overrides",
            {
                "meta": {"special_ad_categories": [], "page_id": "104000000000001"},
                "tiktok": {"identity_id": "7000000000000000001", "display_name": "Flowers"},
            },
        ),
        **changes,
    )
    drafts = org_url(world, "/drafts")
    created = await client.post(drafts, json={"document": document}, headers=world.member.headers)
    assert created.status_code == 201, created.text
    draft_id: str = created.json()["id"]
    submitted = await client.post(f"{drafts}/{draft_id}/submit", headers=world.member.headers)
    assert submitted.status_code == 200, submitted.text
    approved = await client.post(f"{drafts}/{draft_id}/approve", headers=world.manager.headers)
    assert approved.status_code == 200, approved.text
    return draft_id


async def publication(client: httpx.AsyncClient, world: OrgWorld, draft_id: str) -> dict[str, Any]:
    response = await client.get(org_url(world, f"/drafts/{draft_id}/publication"), headers=world.viewer.headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def emulated(
    sandbox: SandboxServer, platform: Platform, account_id: str, level: EntityLevel, name: str
) -> list[SimEntity]:
    """The emulator's entities of that name (removed ones included)."""
    return [
        entity
        for entity in sandbox.state.world.entities(platform, account_id, level, include_removed=True)
        if entity.name == name
    ]
