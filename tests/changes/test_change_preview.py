"""Previewing a request of changes (what POST /changes would store, nothing stored), the kinds of change an entity
allows, batches and the filters of the list of changes."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx

from adpilot.changes import rules
from adpilot.core.time import utcnow
from adpilot.db import Database
from adpilot.platforms.types import EntityLevel, Platform
from tests.campaigns.test_entity_sync import all_entities, org_url
from tests.changes.test_changes_api import budgeted_entity, entity_with, request, synced
from tests.fixtures import LoggedIn, OrgWorld
from tests.sandbox_fixtures import SandboxServer

PREVIEWED = ("entity_id", "kind", "value_before", "value_after", "currency", "platform", "level", "ad_account_id")


async def preview(
    client: httpx.AsyncClient, world: OrgWorld, user: LoggedIn, *changes: dict[str, Any]
) -> dict[str, Any]:
    response = await client.post(
        org_url(world, "/changes/preview"), json={"changes": list(changes)}, headers=user.headers
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def listed(client: httpx.AsyncClient, world: OrgWorld, **params: Any) -> list[dict[str, Any]]:
    response = await client.get(org_url(world, "/changes"), params=params, headers=world.viewer.headers)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def options(client: httpx.AsyncClient, world: OrgWorld, entity_id: str) -> dict[str, Any]:
    response = await client.get(
        org_url(world, "/changes/options"), params={"entity_id": entity_id}, headers=world.viewer.headers
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_the_preview_shows_what_post_stores_and_stores_nothing(
    client: httpx.AsyncClient, world: OrgWorld, database: Database, sandbox_platforms: SandboxServer
) -> None:
    ad_account_id, _ = await synced(client, world, database, Platform.meta)
    campaign = await entity_with(client, world, ad_account_id, EntityLevel.campaign, budget=False)
    ad_set = await entity_with(client, world, ad_account_id, EntityLevel.ad_group, budget=True)
    changes = [
        {"entity_id": campaign["id"], "kind": "status", "value": "paused"},
        {"entity_id": ad_set["id"], "kind": "daily_budget", "value": str(ad_set["daily_budget_micros"] + 2_000_000)},
    ]
    previewed = await preview(client, world, world.manager, *changes)
    assert previewed["problems"] == []
    assert [item["index"] for item in previewed["items"]] == [0, 1]
    assert [item["needs_approval"] for item in previewed["items"]] == [False, False]
    assert previewed["items"][0]["entity_name"] == campaign["name"]
    assert previewed["items"][1]["value_before"] == str(ad_set["daily_budget_micros"])
    assert await listed(client, world) == []
    # A member's changes would wait for a manager.
    members = await preview(client, world, world.member, *changes)
    assert [item["needs_approval"] for item in members["items"]] == [True, True]

    response = await request(client, world, world.manager, *changes)
    assert response.status_code == 201, response.text
    created = response.json()
    stored = created["items"]
    for item, change in zip(previewed["items"], stored, strict=True):
        assert {key: item[key] for key in PREVIEWED} == {key: change[key] for key in PREVIEWED}
        assert change["entity_name"] == item["entity_name"] and change["status"] == "queued"
    assert {change["batch_id"] for change in stored} == {created["batch_id"]}
    in_batch = await listed(client, world, batch_id=created["batch_id"])
    assert sorted(c["id"] for c in in_batch) == sorted(c["id"] for c in stored)
    assert len(await listed(client, world, batch_source="api")) == 2
    assert await listed(client, world, batch_source="csv") == []


async def test_a_preview_names_each_problem_and_previews_the_valid_changes(
    client: httpx.AsyncClient, world: OrgWorld, database: Database, sandbox_platforms: SandboxServer
) -> None:
    ad_account_id, _ = await synced(client, world, database, Platform.google)
    campaign = await entity_with(client, world, ad_account_id, EntityLevel.campaign, budget=True)
    group = (await all_entities(client, world, ad_account_id, EntityLevel.ad_group))[0]
    changes = [
        {"entity_id": group["id"], "kind": "daily_budget", "value": "10000000"},
        {"entity_id": campaign["id"], "kind": "status", "value": "paused"},
        {"entity_id": "00000000-0000-4000-8000-000000000000", "kind": "status", "value": "paused"},
    ]
    previewed = await preview(client, world, world.member, *changes)
    assert [(p["index"], p["code"]) for p in previewed["problems"]] == [(0, "no-budget-here"), (2, "entity-not-found")]
    assert [item["index"] for item in previewed["items"]] == [1]
    refused = await request(client, world, world.member, *changes)
    assert refused.status_code == 409 and refused.json()["problems"] == previewed["problems"]
    empty = await client.post(org_url(world, "/changes/preview"), json={"changes": []}, headers=world.member.headers)
    assert empty.status_code == 422 and empty.json()["code"] == "validation-error"


async def test_options_follow_each_platforms_rules(
    client: httpx.AsyncClient, world: OrgWorld, database: Database, sandbox_platforms: SandboxServer
) -> None:
    google_account, _ = await synced(client, world, database, Platform.google)
    group = (await all_entities(client, world, google_account, EntityLevel.ad_group))[0]
    group_options = await options(client, world, group["id"])
    assert group_options["level"] == "ad_group" and group_options["platform"] == "google"
    assert [o["kind"] for o in group_options["editable"]] == ["status"]
    assert group_options["editable"][0]["allowed"] == ["active", "paused", "removed"]
    refusal = next(r for r in group_options["not_editable"] if r["kind"] == "daily_budget")
    assert "campaign" in refusal["reason"]
    campaign = await entity_with(client, world, google_account, EntityLevel.campaign, budget=True)
    budget = next(o for o in (await options(client, world, campaign["id"]))["editable"] if o["kind"] == "daily_budget")
    assert budget["current"] == str(campaign["daily_budget_micros"]) and budget["hourly_changes_left"] is None
    assert (
        budget["minimum_micros"]
        == budget["step_micros"]
        == rules.minimum_daily_budget_micros(Platform.google, EntityLevel.campaign, campaign["currency"])
    )

    tiktok_account, _ = await synced(client, world, database, Platform.tiktok)
    tiktok_budgeted = await budgeted_entity(client, world, tiktok_account, Platform.tiktok)
    tiktok = await options(client, world, tiktok_budgeted["id"])
    minimum = next(o for o in tiktok["editable"] if o["kind"] == "daily_budget")["minimum_micros"]
    level = EntityLevel(tiktok["level"])
    assert minimum == rules.minimum_daily_budget_micros(Platform.tiktok, level, tiktok["currency"])
    if tiktok["currency"] == "USD":
        assert minimum == (50_000_000 if level is EntityLevel.campaign else 20_000_000)

    meta_account, _ = await synced(client, world, database, Platform.meta)
    ad_set = await entity_with(client, world, meta_account, EntityLevel.ad_group, budget=True)
    meta = await options(client, world, ad_set["id"])
    assert next(o for o in meta["editable"] if o["kind"] == "daily_budget")["hourly_changes_left"] == 4
    budgets = [ad_set["daily_budget_micros"] + step * 1_000_000 for step in range(1, 5)]
    for index, new_budget in enumerate(budgets):
        change = {"entity_id": ad_set["id"], "kind": "daily_budget", "value": str(new_budget)}
        assert (await request(client, world, world.manager, change)).status_code == 201
        meta = await options(client, world, ad_set["id"])
        left = [o["hourly_changes_left"] for o in meta["editable"] if o["kind"] == "daily_budget"]
        assert left == ([3 - index] if index < 3 else [])
    assert "changes of the hour" in next(r for r in meta["not_editable"] if r["kind"] == "daily_budget")["reason"]


async def test_options_of_an_unknown_entity_are_not_found(client: httpx.AsyncClient, world: OrgWorld) -> None:
    url = org_url(world, "/changes/options")
    unknown = await client.get(
        url, params={"entity_id": "00000000-0000-4000-8000-000000000000"}, headers=world.viewer.headers
    )
    assert unknown.status_code == 404 and unknown.json()["code"] == "entity-not-found"
    missing = await client.get(url, headers=world.viewer.headers)
    assert missing.status_code == 422 and missing.json()["code"] == "validation-error"


async def test_the_list_of_changes_narrows_by_every_filter(
    client: httpx.AsyncClient, world: OrgWorld, database: Database, sandbox_platforms: SandboxServer
) -> None:
    ad_account_id, _ = await synced(client, world, database, Platform.meta)
    first, second = (await all_entities(client, world, ad_account_id, EntityLevel.campaign))[:2]
    ad_set = await entity_with(client, world, ad_account_id, EntityLevel.ad_group, budget=True)
    pause = {"entity_id": first["id"], "kind": "status", "value": "paused"}
    members = (await request(client, world, world.member, pause)).json()
    managers = (
        await request(
            client,
            world,
            world.manager,
            {"entity_id": second["id"], "kind": "status", "value": "paused"},
            {"entity_id": ad_set["id"], "kind": "daily_budget", "value": str(ad_set["daily_budget_micros"] + 10**6)},
        )
    ).json()
    pending, (paused, budget) = members["items"][0], managers["items"]
    assert members["batch_id"] != managers["batch_id"]

    def ids(items: list[dict[str, Any]]) -> set[str]:
        return {item["id"] for item in items}

    everything = {pending["id"], paused["id"], budget["id"]}
    assert ids(await listed(client, world)) == everything
    assert ids(await listed(client, world, status=["pending_approval", "queued"])) == everything
    assert ids(await listed(client, world, status="pending_approval")) == {pending["id"]}
    assert ids(await listed(client, world, kind="daily_budget")) == {budget["id"]}
    assert ids(await listed(client, world, platform="meta", ad_account_id=ad_account_id)) == everything
    assert await listed(client, world, platform="google") == []
    assert ids(await listed(client, world, entity_id=first["id"])) == {pending["id"]}
    assert ids(await listed(client, world, batch_id=managers["batch_id"])) == {paused["id"], budget["id"]}
    assert ids(await listed(client, world, source="person")) == everything
    now = utcnow()
    window = {
        "created_from": (now - timedelta(hours=1)).isoformat(),
        "created_to": (now + timedelta(minutes=1)).isoformat(),
    }
    assert ids(await listed(client, world, **window)) == everything
    assert await listed(client, world, created_from=(now + timedelta(minutes=1)).isoformat()) == []

    url = org_url(world, "/changes")
    unknown = await client.get(
        url, params={"entity_id": "00000000-0000-4000-8000-000000000000"}, headers=world.viewer.headers
    )
    assert unknown.status_code == 404 and unknown.json()["code"] == "entity-not-found"
    backwards = {"created_from": window["created_to"], "created_to": window["created_from"]}
    inverted = await client.get(url, params=backwards, headers=world.viewer.headers)
    assert inverted.status_code == 422 and inverted.json()["code"] == "invalid-change-filters"
    naive = await client.get(url, params={"created_from": "2026-01-01T00:00:00"}, headers=world.viewer.headers)
    assert naive.status_code == 422
