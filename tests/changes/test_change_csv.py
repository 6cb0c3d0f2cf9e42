"""Bulk changes from a CSV file: a dry run reports every problem by line and column and previews the changes; a
confirmed import stores one batch of source csv; the same file again is answered with that batch."""

from __future__ import annotations

from typing import Any

import httpx

from adpilot.db import Database
from adpilot.platforms.types import EntityLevel, Platform
from tests.campaigns.test_entity_sync import org_url
from tests.changes.test_changes_api import entity_with, synced
from tests.fixtures import LoggedIn, OrgWorld
from tests.sandbox_fixtures import SandboxServer


async def upload(
    client: httpx.AsyncClient, world: OrgWorld, content: bytes, *, dry_run: bool = True, user: LoggedIn | None = None
) -> httpx.Response:
    return await client.post(
        org_url(world, "/changes/import"),
        params={"dry_run": str(dry_run).lower()},
        content=content,
        headers={**(user or world.manager).headers, "Content-Type": "text/csv"},
    )


def problems_of(response: httpx.Response) -> list[tuple[int | None, str | None, str]]:
    return [(p["line"], p["column"], p["code"]) for p in response.json()["problems"]]


async def test_a_dry_run_reports_each_row_then_the_file_is_stored_once(
    client: httpx.AsyncClient, world: OrgWorld, database: Database, sandbox_platforms: SandboxServer
) -> None:
    ad_account_id, _ = await synced(client, world, database, Platform.meta)
    campaign = await entity_with(client, world, ad_account_id, EntityLevel.campaign, budget=False)
    ad_set = await entity_with(client, world, ad_account_id, EntityLevel.ad_group, budget=True)
    major = ad_set["daily_budget_micros"] // 1_000_000 + 3
    bad = (
        "\ufeffentity_id;field;value;reason\r\n"
        f"{campaign['id']};status;paused;weekend\r\n"
        f"{ad_set['id']};daily_budget;{major},5;\r\n"
        "\r\n"
        f"not-an-id;status;paused;\r\n"
        f"{campaign['id']};colour;red;\r\n"
        f"{ad_set['id']};daily_budget;12.345;\r\n"
        f"{campaign['id']};daily_budget;10;\r\n"
        f"{campaign['id']};status;\r\n"
    ).encode()
    response = await upload(client, world, bad)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["dry_run"] is True and body["duplicate"] is False and body["batch_id"] is None
    assert problems_of(response) == [
        (5, "entity_id", "invalid-entity-id"),
        (6, "field", "invalid-field"),
        (7, "value", "invalid-value"),
        (8, "field", "no-budget-here"),
        (9, None, "wrong-field-count"),
    ]
    assert [(item["line"], item["kind"], item["value_after"]) for item in body["items"]] == [
        (2, "status", "paused"),
        (3, "daily_budget", str(major * 1_000_000 + 500_000)),
    ]
    assert body["rows"] == 7 and body["changes"] == []
    refused = await upload(client, world, bad, dry_run=False)
    assert refused.status_code == 409 and refused.json()["code"] == "changes-refused"
    listed = await client.get(org_url(world, "/changes"), headers=world.viewer.headers)
    assert listed.json()["items"] == []

    good = (
        f'entity_id,field,value\n{campaign["id"]},status,paused\n"{ad_set["id"]}",daily_budget,"{major}.50"\n'
    ).encode()
    stored = await upload(client, world, good, dry_run=False, user=world.member)
    assert stored.status_code == 201, stored.text
    batch = stored.json()
    assert batch["batch_id"] is not None and [c["status"] for c in batch["changes"]] == ["pending_approval"] * 2
    assert {c["batch_id"] for c in batch["changes"]} == {batch["batch_id"]}
    in_batch = await client.get(
        org_url(world, "/changes"), params={"batch_source": "csv"}, headers=world.viewer.headers
    )
    assert sorted(c["id"] for c in in_batch.json()["items"]) == sorted(c["id"] for c in batch["changes"])

    again = await upload(client, world, good, dry_run=False)
    assert again.status_code == 200, again.text
    assert again.json()["duplicate"] is True and again.json()["batch_id"] == batch["batch_id"]
    assert [c["id"] for c in again.json()["changes"]] == [c["id"] for c in batch["changes"]]
    previewed = await upload(client, world, good)
    assert previewed.json()["duplicate"] is True and previewed.json()["batch_id"] == batch["batch_id"]
    everything = await client.get(org_url(world, "/changes"), headers=world.viewer.headers)
    assert len(everything.json()["items"]) == 2


async def test_a_file_that_cannot_be_read_is_refused_whole(client: httpx.AsyncClient, world: OrgWorld) -> None:
    def invalid(response: httpx.Response) -> list[tuple[int | None, str | None, str]]:
        assert response.status_code == 422 and response.json()["code"] == "changes-csv-invalid", response.text
        return problems_of(response)

    assert invalid(await upload(client, world, b"")) == [(1, None, "empty-file")]
    assert invalid(await upload(client, world, b"\n\nentity_id,value,colour\n")) == [
        (3, "colour", "unknown-column"),
        (3, "field", "missing-column"),
    ]
    assert invalid(await upload(client, world, b"entity_id,field,value\n")) == [(1, None, "no-rows")]
    assert invalid(await upload(client, world, b"entity_id,field,value\nx,status,p\xe4used\n")) == [
        (2, None, "not-utf-8")
    ]
    assert invalid(await upload(client, world, b"entity_id,field,value\n" + b"x,status,paused\n" * 70_000)) == [
        (None, None, "file-too-large")
    ]
    rows = b"entity_id,field,value\n" + b"00000000-0000-4000-8000-000000000000,status,paused\n" * 1001
    assert invalid(await upload(client, world, rows)) == [(1002, None, "too-many-rows")]
    template = await client.get(org_url(world, "/changes/import/template.csv"), headers=world.viewer.headers)
    assert template.status_code == 200 and template.headers["content-type"].startswith("text/csv")
    assert template.text.splitlines()[0] == "entity_id,field,value,reason"
    # The template itself reads: its sample ids are unknown here.
    checked: dict[str, Any] = (await upload(client, world, template.content)).json()
    assert [(p["line"], p["code"]) for p in checked["problems"]] == [(2, "entity-not-found"), (3, "entity-not-found")]
