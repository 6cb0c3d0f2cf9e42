"""The entry point publishing will call: only an approved draft moves to publishing, and only for managers."""

from __future__ import annotations

from uuid import UUID, uuid4

import httpx
import pytest

from adpilot.audit import SYSTEM
from adpilot.core.errors import PermissionDenied
from adpilot.db import Database
from adpilot.drafts import DraftStatus, draft_service
from adpilot.drafts.errors import DraftTransitionNotAllowed
from adpilot.organizations import Role, TenantContext
from adpilot.platforms.types import Platform
from tests.campaigns.test_entity_sync import connect_sandbox
from tests.drafts.documents import valid_document
from tests.fixtures import OrgWorld
from tests.sandbox_fixtures import SandboxServer


def tenant(world: OrgWorld, role: Role) -> TenantContext:
    return TenantContext(UUID(world.organization_id), uuid4(), f"{role}@example.com", role, uuid4(), False)


async def test_an_approved_draft_moves_to_publishing_then_to_its_outcome(
    client: httpx.AsyncClient, world: OrgWorld, database: Database, sandbox_platforms: SandboxServer
) -> None:
    connection = await connect_sandbox(client, world, Platform.google, manage=1, metrics=False)
    account = next(a["id"] for a in connection["accounts"] if a["managed"])
    drafts = f"/api/v1/orgs/{world.organization_id}/drafts"
    created = await client.post(
        drafts, json={"document": valid_document({Platform.google: account})}, headers=world.member.headers
    )
    draft_id = UUID(created.json()["id"])
    organization_id = UUID(world.organization_id)

    async with database.tenant_transaction(organization_id) as session:
        with pytest.raises(DraftTransitionNotAllowed):
            await draft_service.start_publishing(session, tenant(world, Role.manager), draft_id)
    await client.post(f"{drafts}/{draft_id}/submit", headers=world.member.headers)
    await client.post(f"{drafts}/{draft_id}/approve", headers=world.manager.headers)

    async with database.tenant_transaction(organization_id) as session:
        with pytest.raises(PermissionDenied):
            await draft_service.start_publishing(session, tenant(world, Role.member), draft_id)
    async with database.tenant_transaction(organization_id) as session:
        view = await draft_service.start_publishing(session, tenant(world, Role.manager), draft_id)
        assert view.draft.status is DraftStatus.publishing

    # A draft being published is not edited.
    locked = await client.put(
        f"{drafts}/{draft_id}",
        json={"base_version": 1, "document": valid_document({Platform.google: account}, name="Late edit")},
        headers=world.member.headers,
    )
    assert locked.status_code == 409
    assert locked.json()["code"] == "draft-locked"

    async with database.tenant_transaction(organization_id) as session:
        draft = await draft_service.finish_publishing(session, organization_id, draft_id, succeeded=False, actor=SYSTEM)
        assert draft.status is DraftStatus.failed
    # A failed draft can be edited again: the edit returns it to draft.
    edited = await client.put(
        f"{drafts}/{draft_id}",
        json={"base_version": 1, "document": valid_document({Platform.google: account}, name="Second try")},
        headers=world.member.headers,
    )
    assert edited.json()["status"] == "draft"
