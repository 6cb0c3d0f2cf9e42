"""Publishing under failures: a target that fails half-way keeps what it created and says why, retry continues
without creating anything twice, a create whose answer was lost is not sent again, and discard removes what was
created."""

from __future__ import annotations

import httpx
import pytest

from adpilot.db import Database
from adpilot.platforms.types import EntityLevel, EntityStatus, Platform
from adpilot.sandbox.faults import Fault, FaultKind
from tests.campaigns.test_entity_sync import org_url, run_jobs
from tests.drafts.publishing_helpers import accounts, approved_draft, emulated, publication
from tests.fixtures import OrgWorld
from tests.sandbox_fixtures import SandboxServer


def counts(sandbox: SandboxServer, account_id: str) -> tuple[int, int, int]:
    """How many of the draft's campaigns, ad sets and ads the emulator holds (removed ones included)."""
    return (
        len(emulated(sandbox, Platform.meta, account_id, EntityLevel.campaign, "Spring sale")),
        sum(len(emulated(sandbox, Platform.meta, account_id, EntityLevel.ad_group, n)) for n in ("Bouquets", "Plants")),
        sum(len(emulated(sandbox, Platform.meta, account_id, EntityLevel.ad, n)) for n in ("Roses", "Tulips", "Ferns")),
    )


async def test_a_failed_target_is_retried_without_duplicates_then_discarded(
    client: httpx.AsyncClient, world: OrgWorld, database: Database, sandbox_platforms: SandboxServer
) -> None:
    targets = await accounts(client, world, database, [Platform.google, Platform.meta])
    _, meta_account = targets[Platform.meta]
    draft_id = await approved_draft(client, world, targets)
    # Every attempt's first ad create fails, as long as the target has attempts left.
    sandbox_platforms.state.faults.add(
        Platform.meta, meta_account, Fault(FaultKind.server_error, 4, path="/ads", method="POST")
    )
    await client.post(org_url(world, f"/drafts/{draft_id}/publish"), headers=world.manager.headers)
    await run_jobs(database)

    body = await publication(client, world, draft_id)
    assert body["status"] == "failed"
    google, meta = body["targets"]
    assert google["status"] == "published" and google["created"] == 6
    assert meta["status"] == "failed" and meta["attempts"] == 4
    assert meta["error"] == "(#2) Service temporarily unavailable"
    # What exists is on record: the campaign and the first ad set, whose first ad failed.
    assert meta["created"] == 2
    assert {e["key"] for e in meta["entities"] if e["platform_id"]} == {"c", "g0"}
    assert counts(sandbox_platforms, meta_account) == (1, 1, 0)

    retried = await client.post(org_url(world, f"/drafts/{draft_id}/publication/retry"), headers=world.manager.headers)
    assert retried.status_code == 202, retried.text
    assert retried.json()["status"] == "publishing"
    assert [t["status"] for t in retried.json()["targets"]] == ["published", "pending"]
    await run_jobs(database)

    body = await publication(client, world, draft_id)
    assert body["status"] == "published"
    assert body["targets"][1]["status"] == "published" and body["targets"][1]["created"] == 6
    assert counts(sandbox_platforms, meta_account) == (1, 2, 3)


async def test_a_create_whose_answer_was_lost_is_not_sent_twice(
    client: httpx.AsyncClient, world: OrgWorld, database: Database, sandbox_platforms: SandboxServer
) -> None:
    targets = await accounts(client, world, database, [Platform.meta])
    _, meta_account = targets[Platform.meta]
    draft_id = await approved_draft(client, world, targets)
    sandbox_platforms.state.faults.add(
        Platform.meta, meta_account, Fault(FaultKind.applied_then_error, 2, path="/ads", method="POST")
    )
    await client.post(org_url(world, f"/drafts/{draft_id}/publish"), headers=world.manager.headers)
    await run_jobs(database)

    body = await publication(client, world, draft_id)
    assert body["status"] == "published", body
    [meta] = body["targets"]
    assert meta["attempts"] == 3 and meta["created"] == 6
    assert counts(sandbox_platforms, meta_account) == (1, 2, 3)
    stored = {e["platform_id"] for e in meta["entities"] if e["level"] == "ad"}
    on_platform = {
        ad.id
        for name in ("Roses", "Tulips", "Ferns")
        for ad in emulated(sandbox_platforms, Platform.meta, meta_account, EntityLevel.ad, name)
    }
    assert stored == on_platform


async def test_discard_removes_what_a_failed_publication_created(
    client: httpx.AsyncClient, world: OrgWorld, database: Database, sandbox_platforms: SandboxServer
) -> None:
    targets = await accounts(client, world, database, [Platform.meta])
    _, meta_account = targets[Platform.meta]
    draft_id = await approved_draft(client, world, targets)
    sandbox_platforms.state.faults.add(
        Platform.meta, meta_account, Fault(FaultKind.server_error, 4, path="/ads", method="POST")
    )
    await client.post(org_url(world, f"/drafts/{draft_id}/publish"), headers=world.manager.headers)
    await run_jobs(database)
    assert (await publication(client, world, draft_id))["status"] == "failed"

    member = await client.post(org_url(world, f"/drafts/{draft_id}/publication/discard"), headers=world.member.headers)
    assert member.status_code == 403
    discarded = await client.post(
        org_url(world, f"/drafts/{draft_id}/publication/discard"), headers=world.manager.headers
    )
    assert discarded.status_code == 202, discarded.text
    assert discarded.json()["targets"][0]["status"] == "discarding"
    await run_jobs(database)

    body = await publication(client, world, draft_id)
    assert body["status"] == "failed"
    assert body["targets"][0]["status"] == "discarded" and body["targets"][0]["created"] == 0
    [campaign] = emulated(sandbox_platforms, Platform.meta, meta_account, EntityLevel.campaign, "Spring sale")
    assert campaign.status is EntityStatus.removed
    again = await client.post(org_url(world, f"/drafts/{draft_id}/publication/discard"), headers=world.manager.headers)
    assert again.status_code == 409 and again.json()["code"] == "publication-nothing-to-discard"


@pytest.mark.parametrize(
    ("platform", "field"),
    [(Platform.meta, "platform_overrides.meta.page_id"), (Platform.tiktok, "platform_overrides.tiktok.identity_id")],
)
async def test_a_target_without_its_page_or_identity_fails_before_creating_anything(
    client: httpx.AsyncClient,
    world: OrgWorld,
    database: Database,
    sandbox_platforms: SandboxServer,
    platform: Platform,
    field: str,
) -> None:
    targets = await accounts(client, world, database, [platform])
    draft_id = await approved_draft(client, world, targets, overrides={"meta": {}, "tiktok": {}})
    draft = await client.get(org_url(world, f"/drafts/{draft_id}"), headers=world.viewer.headers)
    assert [p["severity"] for p in draft.json()["problems"] if p["path"] == field] == ["warning"]
    await client.post(org_url(world, f"/drafts/{draft_id}/publish"), headers=world.manager.headers)
    await run_jobs(database)

    [target] = (await publication(client, world, draft_id))["targets"]
    assert target["status"] == "failed" and target["created"] == 0, target
    assert field.rsplit(".", 1)[-1] in (target["error"] or ""), target
    _, account_id = targets[platform]
    assert emulated(sandbox_platforms, platform, account_id, EntityLevel.campaign, "Spring sale") == []
