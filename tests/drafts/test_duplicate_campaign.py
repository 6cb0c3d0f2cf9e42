"""Duplicating a live campaign, as the entity sync stored it from the sandbox, into a new draft."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

import httpx
import pytest

from adpilot.campaigns import SyncedEntity
from adpilot.db import Database
from adpilot.drafts.schemas import BudgetLevel, DraftTarget, Objective
from adpilot.drafts.service import campaign_document
from adpilot.platforms.types import EntityLevel, EntityStatus, Platform
from tests.campaigns.test_entity_sync import all_entities, connect_sandbox, run_jobs
from tests.fixtures import OrgWorld
from tests.sandbox_fixtures import SandboxServer


@pytest.mark.parametrize("platform", list(Platform))
async def test_a_synced_campaign_becomes_a_draft(
    client: httpx.AsyncClient, world: OrgWorld, database: Database, sandbox_platforms: SandboxServer, platform: Platform
) -> None:
    connection = await connect_sandbox(client, world, platform, manage=1, metrics=False)
    await run_jobs(database)
    account = next(a for a in connection["accounts"] if a["managed"])
    campaigns = await all_entities(client, world, account["id"], EntityLevel.campaign)
    groups = await all_entities(client, world, account["id"], EntityLevel.ad_group)
    ads = await all_entities(client, world, account["id"], EntityLevel.ad)
    campaign = next(c for c in campaigns if any(g["parent_platform_id"] == c["platform_id"] for g in groups))
    its_groups = sorted(
        (g for g in groups if g["parent_platform_id"] == campaign["platform_id"]), key=lambda g: g["name"]
    )

    response = await client.post(
        f"/api/v1/orgs/{world.organization_id}/drafts/from-campaign",
        json={"ad_account_id": account["id"], "campaign_platform_id": campaign["platform_id"]},
        headers=world.member.headers,
    )
    assert response.status_code == 201, response.text
    draft = response.json()
    document = draft["document"]
    assert draft["status"] == "draft"
    assert document["name"] == f"Copy of {campaign['name']}"
    assert document["targets"] == [{"platform": platform.value, "ad_account_id": account["id"]}]
    budget = campaign["daily_budget_micros"] or campaign["lifetime_budget_micros"]
    if budget:
        assert document["budget"]["level"] == "campaign"
        assert document["budget"]["amount_micros"] == budget
    else:
        assert document["budget"]["level"] == "ad_group"
    assert [g["name"] for g in document["ad_groups"]] == [g["name"] for g in its_groups]
    for group, synced in zip(document["ad_groups"], its_groups, strict=True):
        expected = sorted(a["name"] for a in ads if a["parent_platform_id"] == synced["platform_id"])
        assert sorted(a["name"] for a in group["ads"]) == expected

    audit = (
        await client.get(
            f"/api/v1/orgs/{world.organization_id}/audit-log?target_type=draft", headers=world.admin.headers
        )
    ).json()
    assert audit["items"][0]["action"] == "draft.duplicated"
    assert audit["items"][0]["after"]["source_campaign_platform_id"] == campaign["platform_id"]


async def test_a_campaign_not_synced_is_not_found(
    client: httpx.AsyncClient, world: OrgWorld, sandbox_platforms: SandboxServer
) -> None:
    connection = await connect_sandbox(client, world, Platform.google, manage=1, metrics=False)
    account = next(a for a in connection["accounts"] if a["managed"])
    response = await client.post(
        f"/api/v1/orgs/{world.organization_id}/drafts/from-campaign",
        json={"ad_account_id": account["id"], "campaign_platform_id": "404"},
        headers=world.member.headers,
    )
    assert response.status_code == 404
    assert response.json()["code"] == "campaign-not-synced"


def test_the_synced_platform_fields_fill_the_ads_where_they_carry_them() -> None:
    def entity(level: EntityLevel, platform_id: str, parent: str | None, **fields: Any) -> SyncedEntity:
        defaults: dict[str, Any] = {
            "name": platform_id,
            "status": EntityStatus.active,
            "objective": None,
            "currency": "EUR",
            "daily_budget_micros": None,
            "lifetime_budget_micros": None,
            "raw": {},
        }
        return SyncedEntity(level, platform_id, parent, **{**defaults, **fields})

    entities = [
        entity(EntityLevel.campaign, "c1", None, objective="OUTCOME_LEADS"),
        entity(EntityLevel.ad_group, "g1", "c1", daily_budget_micros=9_000_000),
        entity(
            EntityLevel.ad,
            "a1",
            "g1",
            raw={"creative": {"body": "Fresh flowers", "link_url": "https://example.com/", "title": "Tulips"}},
        ),
        entity(
            EntityLevel.ad,
            "a2",
            "g1",
            raw={"ad": {"finalUrls": ["https://example.com/g"], "headlines": [{"text": "H1"}, {"text": "H2"}]}},
        ),
    ]
    document = campaign_document(entities, DraftTarget(platform=Platform.meta, ad_account_id=uuid4()))
    assert document.objective is Objective.leads
    assert document.budget.level is BudgetLevel.ad_group
    group = document.ad_groups[0]
    assert group.budget is not None
    assert group.budget.amount_micros == 9_000_000
    first, second = group.ads
    assert (first.primary_texts, first.headlines, first.final_url) == (
        ["Fresh flowers"],
        ["Tulips"],
        "https://example.com/",
    )
    assert (second.headlines, second.final_url) == (["H1", "H2"], "https://example.com/g")
