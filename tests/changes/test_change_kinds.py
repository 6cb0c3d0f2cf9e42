"""Every change kind beyond status and daily budget, through the API against the sandbox emulators: requested,
applied, verified by reading the entity back; the platforms' own refusals; undo."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest

from adpilot.core.time import utcnow
from adpilot.db import Database
from adpilot.platforms.types import EntityLevel, EntityStatus, Platform
from adpilot.sandbox.engine import SimEntity
from tests.campaigns.test_entity_sync import all_entities, org_url, run_jobs
from tests.changes.test_changes_api import change, request, synced
from tests.fixtures import OrgWorld
from tests.sandbox_fixtures import SandboxServer

# Where each platform keeps the bid and the end date this test changes.
BID_LEVEL = {
    Platform.google: EntityLevel.campaign,
    Platform.meta: EntityLevel.ad_group,
    Platform.tiktok: EntityLevel.ad_group,
}
END_LEVEL = {
    Platform.google: EntityLevel.campaign,
    Platform.meta: EntityLevel.ad_group,
    Platform.tiktok: EntityLevel.ad_group,
}
# The bid settings that let the entity take a bid, as each emulator keeps them.
BID_SETTINGS: dict[Platform, dict[str, Any]] = {
    Platform.google: {"bidding_strategy_type": "TARGET_CPA", "target_cpa_micros": 5_000_000},
    Platform.meta: {"bid_strategy": "LOWEST_COST_WITH_BID_CAP", "bid_amount": 150},
    Platform.tiktok: {"bid_type": "BID_TYPE_CUSTOM", "bid_price": 1.5, "billing_event": "CPC"},
}


def prepare(sandbox: SandboxServer, platform: Platform) -> tuple[SimEntity, SimEntity | None]:
    """Before the first sync: one active entity per account bids with a strategy that takes a bid, and (Google) one
    campaign bids on target ROAS. Returns those of the first account."""
    world = sandbox.state.world
    chosen: list[tuple[SimEntity, SimEntity | None]] = []
    for account in world.accounts(platform):
        active = [
            e
            for e in world.entities(platform, account.account_id, BID_LEVEL[platform])
            if e.status is EntityStatus.active
        ]
        if len(active) < 2:
            continue
        bidder = world.update_entity(platform, active[0].id, attributes=BID_SETTINGS[platform])
        roas = None
        if platform is Platform.google:
            roas = world.update_entity(
                platform, active[1].id, attributes={"bidding_strategy_type": "TARGET_ROAS", "target_roas": 3.0}
            )
        chosen.append((bidder, roas))
    return chosen[0]


async def by_platform_id(
    client: httpx.AsyncClient, world: OrgWorld, ad_account_id: str, level: EntityLevel, platform_id: str
) -> dict[str, Any]:
    for entity in await all_entities(client, world, ad_account_id, level):
        if entity["platform_id"] == platform_id:
            return entity
    raise AssertionError(f"{level} {platform_id} was not synced")


@pytest.mark.parametrize("platform", list(Platform))
async def test_names_bids_targets_and_end_dates_apply_verify_and_undo(
    client: httpx.AsyncClient, world: OrgWorld, database: Database, sandbox_platforms: SandboxServer, platform: Platform
) -> None:
    bidder, roas = prepare(sandbox_platforms, platform)
    ad_account_id, _ = await synced(client, world, database, platform)
    truth = sandbox_platforms.state.world
    bid_entity = await by_platform_id(client, world, ad_account_id, BID_LEVEL[platform], bidder.id)
    campaign = next(
        e
        for e in await all_entities(client, world, ad_account_id, EntityLevel.campaign)
        if e["status"] == "active" and e["platform_id"] != (roas.id if roas else None)
    )
    end_entity = bid_entity if END_LEVEL[platform] is BID_LEVEL[platform] else campaign
    end_day = (utcnow() + timedelta(days=30)).date().isoformat()
    new_name = f"{campaign['name']} (renamed)"
    changes = [
        {"entity_id": campaign["id"], "kind": "name", "value": f"  {new_name} "},
        {"entity_id": bid_entity["id"], "kind": "bid", "value": "2000000"},
        {"entity_id": end_entity["id"], "kind": "end_date", "value": end_day},
    ]
    if roas is not None:
        roas_entity = await by_platform_id(client, world, ad_account_id, EntityLevel.campaign, roas.id)
        changes.append({"entity_id": roas_entity["id"], "kind": "target_roas", "value": "3.50"})
    response = await request(client, world, world.manager, *changes)
    assert response.status_code == 201, response.text
    items = response.json()["items"]
    assert items[0]["value_after"] == new_name and items[0]["value_before"] == campaign["name"]
    await run_jobs(database)
    done = [await change(client, world, item["id"]) for item in items]
    assert [c["status"] for c in done] == ["verified"] * len(done), done
    assert done[1]["currency"] is not None and done[1]["value_after"] == "2000000"
    renamed = truth.entity(platform, campaign["platform_id"])
    assert renamed is not None and renamed.name == new_name
    bid_holder = truth.entity(platform, bidder.id)
    assert bid_holder is not None
    if platform is Platform.google:
        assert bid_holder.attributes["target_cpa_micros"] == 2_000_000
        assert bid_holder.attributes["end_date_time"] == f"{end_day} 23:59:59"
        assert done[3]["value_after"] == "3.5" and done[3]["value_before"] == "3"
    elif platform is Platform.meta:
        assert bid_holder.attributes["bid_amount"] * 1_000_000 // 100 in (2_000_000, 2 * 1_000_000 * 100)
        assert str(bid_holder.attributes["end_time"]).startswith(f"{end_day}T23:59:59")
    else:
        assert bid_holder.attributes["bid_price"] == 2.0
        assert bid_holder.attributes["schedule_end_time"] == f"{end_day} 23:59:59"
    assert done[2]["value_after"] == end_day

    undone = await client.post(org_url(world, f"/changes/{done[0]['id']}/undo"), headers=world.manager.headers)
    assert undone.status_code == 201, undone.text
    await run_jobs(database)
    assert (await change(client, world, undone.json()["id"]))["status"] == "verified"
    restored = truth.entity(platform, campaign["platform_id"])
    assert restored is not None and restored.name == campaign["name"]


async def test_each_kind_is_refused_where_the_platform_would_refuse_it(
    client: httpx.AsyncClient, world: OrgWorld, database: Database, sandbox_platforms: SandboxServer
) -> None:
    _, roas = prepare(sandbox_platforms, Platform.google)
    ad_account_id, _ = await synced(client, world, database, Platform.google)
    assert roas is not None
    roas_campaign = await by_platform_id(client, world, ad_account_id, EntityLevel.campaign, roas.id)
    group = (await all_entities(client, world, ad_account_id, EntityLevel.ad_group))[0]
    ad = (await all_entities(client, world, ad_account_id, EntityLevel.ad))[0]
    yesterday = (utcnow() - timedelta(days=2)).date().isoformat()
    response = await request(
        client,
        world,
        world.manager,
        {"entity_id": roas_campaign["id"], "kind": "bid", "value": "1000000"},
        {"entity_id": group["id"], "kind": "target_roas", "value": "2"},
        {"entity_id": roas_campaign["id"], "kind": "end_date", "value": yesterday},
        {"entity_id": group["id"], "kind": "end_date", "value": "2099-01-01"},
        {"entity_id": roas_campaign["id"], "kind": "name", "value": "   "},
        {"entity_id": roas_campaign["id"], "kind": "name", "value": "x" * 256},
        {"entity_id": ad["id"], "kind": "name", "value": "New ad name"},
        {"entity_id": roas_campaign["id"], "kind": "lifetime_budget", "value": "100000000"},
        {"entity_id": roas_campaign["id"], "kind": "target_roas", "value": "0"},
        {"entity_id": roas_campaign["id"], "kind": "end_date", "value": "20991231"},
    )
    assert response.status_code == 409, response.text
    assert [p["code"] for p in response.json()["problems"]] == [
        "bid-strategy-takes-no-bid",
        "no-target-roas-here",
        "end-date-in-the-past",
        "no-end-date-here",
        "invalid-value",
        "name-too-long",
        "name-not-editable",
        "no-budget-here",
        "invalid-value",
        "invalid-value",
    ]
    assert "cannot be switched" in response.json()["problems"][7]["detail"]


async def test_the_platforms_own_refusal_fails_the_change_with_its_message(
    client: httpx.AsyncClient, world: OrgWorld, database: Database, sandbox_platforms: SandboxServer
) -> None:
    # A name another campaign has: Google refuses it (DUPLICATE_CAMPAIGN_NAME) when the change is applied.
    ad_account_id, _ = await synced(client, world, database, Platform.google)
    first, second = [
        e for e in await all_entities(client, world, ad_account_id, EntityLevel.campaign) if e["status"] == "active"
    ][:2]
    response = await request(
        client, world, world.manager, {"entity_id": first["id"], "kind": "name", "value": second["name"]}
    )
    assert response.status_code == 201, response.text
    await run_jobs(database)
    failed = await change(client, world, response.json()["items"][0]["id"])
    assert failed["status"] == "failed" and "already exists" in (failed["error"] or ""), failed


def first_account_entity(sandbox: SandboxServer, platform: Platform, level: EntityLevel, **wanted: Any) -> SimEntity:
    """The first active entity at ``level`` of the login's first client account with the attributes ``wanted``
    (``lifetime_budget=True``: one with a lifetime budget)."""
    world = sandbox.state.world
    login = world.logins(platform)[0]
    account = next(a for a in world.accessible_accounts(platform, login.login_id) if not a.is_manager)
    lifetime = wanted.pop("lifetime_budget", False)
    for entity in world.entities(platform, account.account_id, level):
        if entity.status is not EntityStatus.active or (lifetime and entity.lifetime_budget_micros is None):
            continue
        if all(entity.attributes.get(key) == value for key, value in wanted.items()):
            return entity
    raise AssertionError(f"the sandbox's first {platform} account has no active {level} with {wanted}")


# Where each platform keeps a lifetime budget in the sandbox's demo accounts: Meta ad sets (``lifetime_budget``),
# TikTok campaigns in BUDGET_MODE_TOTAL.
LIFETIME_LEVEL = {Platform.meta: EntityLevel.ad_group, Platform.tiktok: EntityLevel.campaign}


@pytest.mark.parametrize("platform", [Platform.meta, Platform.tiktok])
async def test_a_lifetime_budget_applies_verifies_and_undoes(
    client: httpx.AsyncClient, world: OrgWorld, database: Database, sandbox_platforms: SandboxServer, platform: Platform
) -> None:
    sim = first_account_entity(sandbox_platforms, platform, LIFETIME_LEVEL[platform], lifetime_budget=True)
    assert sim.lifetime_budget_micros is not None
    ad_account_id, _ = await synced(client, world, database, platform)
    entity = await by_platform_id(client, world, ad_account_id, LIFETIME_LEVEL[platform], sim.id)
    assert entity["lifetime_budget_micros"] == sim.lifetime_budget_micros and entity["daily_budget_micros"] is None
    new_budget = sim.lifetime_budget_micros + 250_000_000
    response = await request(
        client, world, world.manager, {"entity_id": entity["id"], "kind": "lifetime_budget", "value": str(new_budget)}
    )
    assert response.status_code == 201, response.text
    await run_jobs(database)
    done = await change(client, world, response.json()["items"][0]["id"])
    assert done["status"] == "verified", done
    assert (done["value_before"], done["value_after"]) == (str(sim.lifetime_budget_micros), str(new_budget))
    assert done["currency"] == entity["currency"]
    truth = sandbox_platforms.state.world
    applied = truth.entity(platform, sim.id)
    assert applied is not None and applied.lifetime_budget_micros == new_budget and applied.daily_budget_micros is None
    if platform is Platform.tiktok:
        assert applied.attributes["budget_mode"] == "BUDGET_MODE_TOTAL"

    undone = await client.post(org_url(world, f"/changes/{done['id']}/undo"), headers=world.manager.headers)
    assert undone.status_code == 201, undone.text
    assert undone.json()["value_after"] == str(sim.lifetime_budget_micros)
    await run_jobs(database)
    assert (await change(client, world, undone.json()["id"]))["status"] == "verified"
    restored = truth.entity(platform, sim.id)
    assert restored is not None and restored.lifetime_budget_micros == sim.lifetime_budget_micros


async def test_a_google_manual_cpc_ad_groups_max_cpc_bid_applies_and_verifies(
    client: httpx.AsyncClient, world: OrgWorld, database: Database, sandbox_platforms: SandboxServer
) -> None:
    campaign = first_account_entity(
        sandbox_platforms, Platform.google, EntityLevel.campaign, bidding_strategy_type="MANUAL_CPC"
    )
    truth = sandbox_platforms.state.world
    group = next(
        g
        for g in truth.entities(Platform.google, campaign.account_id, EntityLevel.ad_group)
        if g.parent_id == campaign.id and g.status is EntityStatus.active
    )
    truth.update_entity(Platform.google, group.id, attributes={"cpc_bid_micros": 1_200_000})
    ad_account_id, _ = await synced(client, world, database, Platform.google)
    entity = await by_platform_id(client, world, ad_account_id, EntityLevel.ad_group, group.id)
    options = await client.get(
        org_url(world, "/changes/options"), params={"entity_id": entity["id"]}, headers=world.manager.headers
    )
    assert options.status_code == 200, options.text
    bid = next(o for o in options.json()["editable"] if o["kind"] == "bid")
    assert bid["current"] == "1200000"
    response = await request(
        client, world, world.manager, {"entity_id": entity["id"], "kind": "bid", "value": "1450000"}
    )
    assert response.status_code == 201, response.text
    await run_jobs(database)
    done = await change(client, world, response.json()["items"][0]["id"])
    assert done["status"] == "verified", done
    assert (done["value_before"], done["value_after"], done["currency"]) == ("1200000", "1450000", "USD")
    applied = truth.entity(Platform.google, group.id)
    assert applied is not None and applied.attributes["cpc_bid_micros"] == 1_450_000
