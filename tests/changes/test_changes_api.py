"""The change pipeline through the API, against the sandbox emulators: every kind on every platform, approval,
rejection, the platforms' refusals, idempotent retries and undo."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from adpilot.db import Database
from adpilot.platforms.types import EntityLevel, EntityStatus, Platform
from adpilot.sandbox.faults import Fault, FaultKind
from tests.campaigns.test_entity_sync import all_entities, connect_sandbox, org_url, run_jobs, synced_account
from tests.events import deliver_events
from tests.fixtures import LoggedIn, OrgWorld
from tests.sandbox_fixtures import SandboxServer


async def synced(client: httpx.AsyncClient, world: OrgWorld, database: Database, platform: Platform) -> tuple[str, str]:
    connection = await connect_sandbox(client, world, platform, manage=1, metrics=False)
    await run_jobs(database)
    return synced_account(connection)


async def request(
    client: httpx.AsyncClient, world: OrgWorld, user: LoggedIn, *changes: dict[str, Any]
) -> httpx.Response:
    return await client.post(org_url(world, "/changes"), json={"changes": list(changes)}, headers=user.headers)


async def change(client: httpx.AsyncClient, world: OrgWorld, change_id: str) -> dict[str, Any]:
    response = await client.get(org_url(world, f"/changes/{change_id}"), headers=world.viewer.headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def entity_with(
    client: httpx.AsyncClient, world: OrgWorld, ad_account_id: str, level: EntityLevel, *, budget: bool
) -> dict[str, Any]:
    for entity in await all_entities(client, world, ad_account_id, level):
        if entity["status"] == "active" and (entity["daily_budget_micros"] is not None) == budget:
            return entity
    raise AssertionError(f"no active {level} {'with' if budget else 'without'} a daily budget")


async def budgeted_entity(
    client: httpx.AsyncClient, world: OrgWorld, ad_account_id: str, platform: Platform
) -> dict[str, Any]:
    """An active entity with a daily budget: Google keeps them on campaigns; Meta and TikTok on ad groups/ad sets or
    campaigns."""
    levels = [EntityLevel.campaign] if platform is Platform.google else [EntityLevel.ad_group, EntityLevel.campaign]
    for level in levels:
        for entity in await all_entities(client, world, ad_account_id, level):
            if entity["status"] == "active" and entity["daily_budget_micros"] is not None:
                return entity
    raise AssertionError("no active entity with a daily budget")


@pytest.mark.parametrize("platform", list(Platform))
async def test_a_managers_pause_and_budget_apply_and_verify_on_the_platform(
    client: httpx.AsyncClient, world: OrgWorld, database: Database, sandbox_platforms: SandboxServer, platform: Platform
) -> None:
    ad_account_id, _ = await synced(client, world, database, platform)
    campaign = await entity_with(client, world, ad_account_id, EntityLevel.campaign, budget=platform is Platform.google)
    budgeted = await budgeted_entity(client, world, ad_account_id, platform)
    new_budget = budgeted["daily_budget_micros"] + 5_000_000
    response = await request(
        client,
        world,
        world.manager,
        {"entity_id": campaign["id"], "kind": "status", "value": "paused", "reason": "too expensive"},
        {"entity_id": budgeted["id"], "kind": "daily_budget", "value": str(new_budget)},
    )
    assert response.status_code == 201, response.text
    paused, rebudgeted = response.json()["items"]
    assert paused["status"] == "queued" and paused["value_before"] == "active"
    await run_jobs(database)
    paused, rebudgeted = await change(client, world, paused["id"]), await change(client, world, rebudgeted["id"])
    assert paused["status"] == "verified", paused
    assert rebudgeted["status"] == "verified", rebudgeted
    assert rebudgeted["value_before"] == str(budgeted["daily_budget_micros"])
    truth = sandbox_platforms.state.world
    sim_campaign = truth.entity(platform, campaign["platform_id"])
    assert sim_campaign is not None and sim_campaign.status is EntityStatus.paused
    sim_budgeted = truth.entity(platform, budgeted["platform_id"])
    assert sim_budgeted is not None and sim_budgeted.daily_budget_micros == new_budget
    # The entity browser shows the new state at once.
    campaigns = await all_entities(client, world, ad_account_id, EntityLevel.campaign, name_contains=campaign["name"])
    assert campaigns[0]["status"] == "paused"
    history = await client.get(org_url(world, f"/entities/{budgeted['id']}/changes"), headers=world.viewer.headers)
    items = history.json()["items"]
    assert rebudgeted["id"] in [c["id"] for c in items] and {c["entity_id"] for c in items} == {budgeted["id"]}
    await deliver_events()


async def test_a_members_change_waits_for_approval_and_a_rejected_one_never_applies(
    client: httpx.AsyncClient, world: OrgWorld, database: Database, sandbox_platforms: SandboxServer
) -> None:
    ad_account_id, _ = await synced(client, world, database, Platform.meta)
    first, second = (await all_entities(client, world, ad_account_id, EntityLevel.campaign))[:2]
    response = await request(
        client,
        world,
        world.member,
        {"entity_id": first["id"], "kind": "status", "value": "paused"},
        {"entity_id": second["id"], "kind": "status", "value": "paused"},
    )
    assert response.status_code == 201, response.text
    approved, rejected = response.json()["items"]
    assert approved["status"] == rejected["status"] == "pending_approval"
    await run_jobs(database)
    assert (await change(client, world, approved["id"]))["status"] == "pending_approval"

    url = org_url(world, f"/changes/{approved['id']}/approve")
    assert (await client.post(url, json={}, headers=world.member.headers)).status_code == 403
    response = await client.post(url, json={"note": "ok"}, headers=world.manager.headers)
    assert response.status_code == 200 and response.json()["status"] == "queued", response.text
    response = await client.post(
        org_url(world, f"/changes/{rejected['id']}/reject"), json={"note": "no"}, headers=world.manager.headers
    )
    assert response.status_code == 200 and response.json()["status"] == "rejected", response.text
    again = await client.post(url, json={}, headers=world.manager.headers)
    assert again.status_code == 409 and again.json()["code"] == "change-not-pending"
    await run_jobs(database)
    assert (await change(client, world, approved["id"]))["status"] == "verified"
    assert (await change(client, world, rejected["id"]))["status"] == "rejected"
    truth = sandbox_platforms.state.world
    assert truth.entity(Platform.meta, first["platform_id"]).status is EntityStatus.paused  # type: ignore[union-attr]
    assert truth.entity(Platform.meta, second["platform_id"]).status is EntityStatus.active  # type: ignore[union-attr]
    pending = await client.get(org_url(world, "/changes"), params={"status": "rejected"}, headers=world.viewer.headers)
    assert [c["id"] for c in pending.json()["items"]] == [rejected["id"]]


async def test_refusals_name_each_problem_and_store_nothing(
    client: httpx.AsyncClient, world: OrgWorld, database: Database, sandbox_platforms: SandboxServer
) -> None:
    ad_account_id, _ = await synced(client, world, database, Platform.google)
    campaign = await entity_with(client, world, ad_account_id, EntityLevel.campaign, budget=True)
    group = (await all_entities(client, world, ad_account_id, EntityLevel.ad_group))[0]
    response = await request(
        client,
        world,
        world.manager,
        {"entity_id": campaign["id"], "kind": "daily_budget", "value": "1"},
        {"entity_id": group["id"], "kind": "daily_budget", "value": "10000000"},
        {"entity_id": campaign["id"], "kind": "status", "value": "sleeping"},
        {"entity_id": campaign["id"], "kind": "daily_budget", "value": "\u00b2"},
    )
    assert response.status_code == 409, response.text
    problems = response.json()["problems"]
    assert [p["code"] for p in problems] == ["budget-below-minimum", "no-budget-here", "invalid-value", "invalid-value"]
    assert "campaign" in problems[1]["detail"]
    listed = await client.get(org_url(world, "/changes"), headers=world.viewer.headers)
    assert listed.json()["items"] == []


async def test_meta_allows_four_ad_set_budget_changes_an_hour(
    client: httpx.AsyncClient, world: OrgWorld, database: Database, sandbox_platforms: SandboxServer
) -> None:
    ad_account_id, _ = await synced(client, world, database, Platform.meta)
    ad_set = await entity_with(client, world, ad_account_id, EntityLevel.ad_group, budget=True)
    budgets = [ad_set["daily_budget_micros"] + step * 1_000_000 for step in range(1, 6)]
    changes = [{"entity_id": ad_set["id"], "kind": "daily_budget", "value": str(b)} for b in budgets]
    refused = await request(client, world, world.manager, *changes)
    assert refused.status_code == 409, refused.text
    assert [p["index"] for p in refused.json()["problems"]] == [4]
    assert (await request(client, world, world.manager, *changes[:4])).status_code == 201
    again = await request(client, world, world.manager, changes[4])
    assert again.json()["problems"][0]["code"] == "budget-changes-per-hour"


async def test_a_retried_job_applies_once_and_undo_restores_the_value(
    client: httpx.AsyncClient, world: OrgWorld, database: Database, sandbox_platforms: SandboxServer
) -> None:
    ad_account_id, _ = await synced(client, world, database, Platform.tiktok)
    campaign = await entity_with(client, world, ad_account_id, EntityLevel.campaign, budget=False)
    truth = sandbox_platforms.state.world
    # The platform already has the value (a timeout after it applied, then the retry): nothing is sent again.
    response = await request(
        client, world, world.manager, {"entity_id": campaign["id"], "kind": "status", "value": "paused"}
    )
    applied = response.json()["items"][0]
    truth.update_entity(Platform.tiktok, campaign["platform_id"], status=EntityStatus.paused)
    await run_jobs(database)
    applied = await change(client, world, applied["id"])
    assert applied["status"] == "verified" and applied["attempts"] == 1

    undone = await client.post(org_url(world, f"/changes/{applied['id']}/undo"), headers=world.manager.headers)
    assert undone.status_code == 201, undone.text
    assert undone.json()["value_after"] == applied["value_before"] and undone.json()["undo_of"] == applied["id"]
    await run_jobs(database)
    assert (await change(client, world, undone.json()["id"]))["status"] == "verified"
    sim = truth.entity(Platform.tiktok, campaign["platform_id"])
    assert sim is not None and sim.status.value == applied["value_before"]


# What each platform says of a write to an entity removed there.
REMOVED_REFUSAL = {
    Platform.google: "Operation is not permitted on a removed resource.",
    Platform.tiktok: "has been deleted and cannot be modified",
}


@pytest.mark.parametrize("platform", list(REMOVED_REFUSAL))
async def test_a_status_write_of_several_entities_refused_for_one_fails_only_its_change(
    client: httpx.AsyncClient, world: OrgWorld, database: Database, sandbox_platforms: SandboxServer, platform: Platform
) -> None:
    ad_account_id, _ = await synced(client, world, database, platform)
    campaigns = [
        e for e in await all_entities(client, world, ad_account_id, EntityLevel.campaign) if e["status"] == "active"
    ]
    campaigns = campaigns[:3]
    assert len(campaigns) == 3
    truth = sandbox_platforms.state.world
    writes_before = {e["platform_id"]: truth.writes(platform, e["platform_id"]) for e in campaigns}
    response = await request(
        client, world, world.manager, *({"entity_id": e["id"], "kind": "status", "value": "paused"} for e in campaigns)
    )
    assert response.status_code == 201, response.text
    # Removed on the platform after the change was asked: Google refuses its operation (partial failure), TikTok
    # the whole request (the group then sends its entities one by one to learn which).
    gone = campaigns[1]
    truth.update_entity(platform, gone["platform_id"], status=EntityStatus.removed)
    await run_jobs(database)

    done = [await change(client, world, asked["id"]) for asked in response.json()["items"]]
    assert done[1]["status"] == "failed" and REMOVED_REFUSAL[platform] in (done[1]["error"] or ""), done[1]
    for entity, applied in ((campaigns[0], done[0]), (campaigns[2], done[2])):
        assert applied["status"] == "verified" and applied["attempts"] == 1, applied
        sim = truth.entity(platform, entity["platform_id"])
        assert sim is not None and sim.status is EntityStatus.paused
        assert truth.writes(platform, entity["platform_id"]) - writes_before[entity["platform_id"]] == 1
    assert truth.writes(platform, gone["platform_id"]) == writes_before[gone["platform_id"]] + 1  # the removal


@pytest.mark.parametrize("platform", list(Platform))
async def test_server_errors_while_applying_end_with_the_change_applied_exactly_once(
    client: httpx.AsyncClient, world: OrgWorld, database: Database, sandbox_platforms: SandboxServer, platform: Platform
) -> None:
    ad_account_id, platform_account_id = await synced(client, world, database, platform)
    budgeted = await budgeted_entity(client, world, ad_account_id, platform)
    new_budget = budgeted["daily_budget_micros"] + 7_000_000
    sandbox_platforms.state.faults.add(platform, platform_account_id, Fault(kind=FaultKind.server_error, count=3))
    response = await request(
        client, world, world.manager, {"entity_id": budgeted["id"], "kind": "daily_budget", "value": str(new_budget)}
    )
    assert response.status_code == 201, response.text
    await run_jobs(database)
    applied = await change(client, world, response.json()["items"][0]["id"])
    assert applied["status"] == "verified", applied
    assert applied["value_before"] == str(budgeted["daily_budget_micros"])
    sim = sandbox_platforms.state.world.entity(platform, budgeted["platform_id"])
    assert sim is not None and sim.daily_budget_micros == new_budget
    log = await client.get(org_url(world, "/audit-log"), params={"action": "change."}, headers=world.admin.headers)
    assert log.status_code == 200, log.text
    actions = [entry["action"] for entry in log.json()["items"]]
    assert actions.count("change.applied") == 1 and actions.count("change.requested") == 1


async def test_the_organization_decides_whose_changes_wait_for_approval(
    client: httpx.AsyncClient, world: OrgWorld, database: Database, sandbox_platforms: SandboxServer
) -> None:
    ad_account_id, _ = await synced(client, world, database, Platform.google)
    campaign = (await all_entities(client, world, ad_account_id, EntityLevel.campaign))[0]
    pause = {"entity_id": campaign["id"], "kind": "status", "value": "paused"}
    organization = await client.get(org_url(world, ""), headers=world.viewer.headers)
    assert organization.json()["changes_require_approval"] == "members"

    async def policy(value: str) -> None:
        response = await client.patch(
            org_url(world, ""), json={"changes_require_approval": value}, headers=world.admin.headers
        )
        assert response.status_code == 200 and response.json()["changes_require_approval"] == value, response.text

    await policy("all")
    managers = await request(client, world, world.manager, pause)
    assert managers.json()["items"][0]["status"] == "pending_approval"
    await policy("none")
    members = await request(client, world, world.member, pause)
    assert members.json()["items"][0]["status"] == "queued"
