"""Incremental entity sync: between whole-tree reads, a sync reads only what the platform reports changed, and marks
nothing removed for not being listed (neither in the entity tree nor in the reporting dimension)."""

from __future__ import annotations

from uuid import UUID

import httpx
from sqlalchemy import text

from adpilot.db import Database, set_tenant
from adpilot.platforms.types import EntityLevel, EntityStatus, Platform
from tests.campaigns.test_entity_sync import all_entities, connect_sandbox, org_url, run_jobs, sync_runs
from tests.fixtures import OrgWorld
from tests.sandbox_fixtures import SandboxServer


async def removed_counts(database: Database, organization_id: str, ad_account_id: str) -> tuple[int, int]:
    """Entities marked removed in the entity tree and in the reporting dimension."""
    async with database.transaction() as session:
        await set_tenant(session, UUID(organization_id))
        tree = await session.scalar(
            text("SELECT count(*) FROM ad_entities WHERE ad_account_id = :id AND status = 'removed'"),
            {"id": ad_account_id},
        )
        dimension = await session.scalar(
            text("SELECT count(*) FROM metric_entities WHERE ad_account_id = :id AND status = 'removed'"),
            {"id": ad_account_id},
        )
    return int(tree or 0), int(dimension or 0)


async def sync_now(client: httpx.AsyncClient, world: OrgWorld, database: Database, ad_account_id: str) -> dict:  # type: ignore[type-arg]
    response = await client.post(org_url(world, f"/ad-accounts/{ad_account_id}/sync"), headers=world.member.headers)
    assert response.status_code == 202, response.text
    await run_jobs(database)
    latest = (await sync_runs(client, world, ad_account_id))[0]
    assert latest["status"] == "succeeded", latest
    return latest


async def test_a_sync_within_a_day_reads_only_changes_and_a_day_later_the_whole_tree(
    client: httpx.AsyncClient, world: OrgWorld, database: Database, sandbox_platforms: SandboxServer
) -> None:
    connection = await connect_sandbox(client, world, Platform.google)
    await run_jobs(database)
    account = next(a for a in connection["accounts"] if a["managed"])
    ad_account_id, platform_account_id = account["id"], account["platform_account_id"]
    first = (await sync_runs(client, world, ad_account_id))[0]
    assert first["mode"] == "full"
    removed_before = await removed_counts(database, world.organization_id, ad_account_id)
    live_before = await all_entities(client, world, ad_account_id, EntityLevel.ad)

    # Someone pauses a campaign on the platform; the next sync within the day asks Google what changed.
    sandbox_world = sandbox_platforms.state.world
    now = sandbox_platforms.state.clock.now()
    # One with no change planned ahead in the demo's history (a pause would take effect only after it).
    campaign = next(
        c
        for c in sandbox_world.entities(Platform.google, platform_account_id, EntityLevel.campaign)
        if c.status is EntityStatus.active
        and c.updated_at <= now
        and all(at <= now for at, _ in sandbox_world.status_history(Platform.google, c.id))
    )
    sandbox_world.update_entity(Platform.google, campaign.id, status=EntityStatus.paused)
    latest = await sync_now(client, world, database, ad_account_id)

    assert latest["mode"] == "incremental"
    assert latest["counts"]["campaign"]["updated"] >= 1
    # Far fewer entities than the tree were read, and nothing was taken for removed for not being listed.
    assert sum(sum(c.values()) for c in latest["counts"].values()) < len(live_before)
    assert await removed_counts(database, world.organization_id, ad_account_id) == removed_before
    assert len(await all_entities(client, world, ad_account_id, EntityLevel.ad)) == len(live_before)
    paused = await all_entities(client, world, ad_account_id, EntityLevel.campaign, name_contains=campaign.name)
    assert [c["status"] for c in paused if c["platform_id"] == campaign.id] == ["paused"]

    # A day on (the runs so far started 25 hours ago), the whole tree is read again.
    async with database.transaction() as session:
        await set_tenant(session, UUID(world.organization_id))
        await session.execute(
            text("UPDATE sync_runs SET started_at = started_at - interval '25 hours' WHERE ad_account_id = :id"),
            {"id": ad_account_id},
        )
    assert (await sync_now(client, world, database, ad_account_id))["mode"] == "full"


async def test_a_platform_that_cannot_tell_what_changed_gets_the_whole_tree_read(
    client: httpx.AsyncClient, world: OrgWorld, database: Database, sandbox_platforms: SandboxServer
) -> None:
    connection = await connect_sandbox(client, world, Platform.tiktok)
    await run_jobs(database)
    account = next(a for a in connection["accounts"] if a["managed"])
    latest = await sync_now(client, world, database, account["id"])
    assert latest["mode"] == "full"
    assert latest["counts"]["campaign"]["unchanged"] > 0
