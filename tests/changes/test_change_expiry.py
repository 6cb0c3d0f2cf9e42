"""Changes left waiting for approval expire after PENDING_APPROVAL_EXPIRES_AFTER: the hourly job marks them expired
with an audit entry, and approving one answers 409."""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID

import httpx
from sqlalchemy import update

from adpilot.changes.jobs import expire_pending
from adpilot.changes.models import EntityChange
from adpilot.changes.service import PENDING_APPROVAL_EXPIRES_AFTER
from adpilot.core.time import utcnow
from adpilot.db import Database
from adpilot.platforms.types import EntityLevel, Platform
from tests.campaigns.test_entity_sync import all_entities, org_url
from tests.changes.test_changes_api import change, request, synced
from tests.fixtures import OrgWorld
from tests.sandbox_fixtures import SandboxServer


async def test_a_change_waiting_a_week_expires_and_cannot_be_approved(
    client: httpx.AsyncClient, world: OrgWorld, database: Database, sandbox_platforms: SandboxServer
) -> None:
    ad_account_id, _ = await synced(client, world, database, Platform.google)
    old, recent, late = (await all_entities(client, world, ad_account_id, EntityLevel.campaign))[:3]
    response = await request(
        client,
        world,
        world.member,
        *({"entity_id": entity["id"], "kind": "status", "value": "paused"} for entity in (old, recent, late)),
    )
    assert response.status_code == 201, response.text
    old_change, recent_change, late_change = response.json()["items"]
    week_ago = utcnow() - PENDING_APPROVAL_EXPIRES_AFTER
    async with database.tenant_transaction(UUID(world.organization_id)) as session:
        await session.execute(
            update(EntityChange)
            .where(EntityChange.id.in_([UUID(old_change["id"]), UUID(late_change["id"])]))
            .values(created_at=week_ago - timedelta(minutes=1))
        )
    # Not expired by the job yet, but past its time: approving it is refused all the same.
    late_approval = await client.post(
        org_url(world, f"/changes/{late_change['id']}/approve"), json={}, headers=world.manager.headers
    )
    assert late_approval.status_code == 409 and late_approval.json()["code"] == "change-expired", late_approval.text

    await expire_pending(None)
    assert (await change(client, world, old_change["id"]))["status"] == "expired"
    assert (await change(client, world, late_change["id"]))["status"] == "expired"
    assert (await change(client, world, recent_change["id"]))["status"] == "pending_approval"
    approve = await client.post(
        org_url(world, f"/changes/{old_change['id']}/approve"), json={}, headers=world.manager.headers
    )
    assert approve.status_code == 409 and approve.json()["code"] == "change-expired"
    assert "7 days" in approve.json()["detail"]
    log = await client.get(
        org_url(world, "/audit-log"), params={"action": "change.expired"}, headers=world.admin.headers
    )
    assert sorted(entry["target_id"] for entry in log.json()["items"]) == sorted([old_change["id"], late_change["id"]])
    # A second pass finds nothing left to expire.
    await expire_pending(None)
    assert (await change(client, world, recent_change["id"]))["status"] == "pending_approval"
