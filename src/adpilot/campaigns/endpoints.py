"""HTTP endpoints of entity sync and the entity browser."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, Response, status

from adpilot.campaigns.dependencies import CanReadConnections, CanSyncConnections
from adpilot.campaigns.errors import AdAccountNotManaged
from adpilot.campaigns.schemas import AccountSyncSummary, EntityRead, SyncRunRead
from adpilot.campaigns.service import entity_sync_service
from adpilot.connections import AdAccountNotFound
from adpilot.core.errors import problem_responses
from adpilot.core.pagination import InvalidCursor, Page, TextCursorPage, TimeCursorPage, page_response
from adpilot.core.text import NoNul
from adpilot.db import DbSession
from adpilot.platforms.types import EntityLevel

router = APIRouter(prefix="/api/v1/orgs/{organization_id}", tags=["campaigns"])


@router.get(
    "/ad-accounts/{ad_account_id}/entities",
    response_model=Page[EntityRead],
    responses=problem_responses(AdAccountNotFound, InvalidCursor),
)
async def list_ad_entities(
    ad_account_id: UUID,
    tenant: CanReadConnections,
    session: DbSession,
    paging: TextCursorPage,
    level: Annotated[EntityLevel, Query(description="Which level of the tree to list.")] = EntityLevel.campaign,
    parent_platform_id: Annotated[
        str | None,
        Query(max_length=64, description="Only children of this campaign or ad group (its platform id)."),
        NoNul,
    ] = None,
    name_contains: Annotated[str | None, Query(max_length=200), NoNul] = None,
    include_removed: bool = False,
) -> Response:
    """An ad account's campaigns, ad groups/ad sets or ads as last synced, by name."""
    page = await entity_sync_service.list_entities(
        session,
        tenant,
        ad_account_id,
        level,
        parent_platform_id=parent_platform_id,
        include_removed=include_removed,
        name_contains=name_contains,
        page=paging,
    )
    return page_response(EntityRead, page)


@router.post(
    "/ad-accounts/{ad_account_id}/sync",
    response_model=SyncRunRead,
    status_code=status.HTTP_202_ACCEPTED,
    responses=problem_responses(AdAccountNotFound, AdAccountNotManaged),
)
async def sync_ad_account(ad_account_id: UUID, tenant: CanSyncConnections, session: DbSession) -> SyncRunRead:
    """Queue an entity sync of the account now (or return the one already queued or running)."""
    run = await entity_sync_service.request_sync(session, tenant, ad_account_id)
    return SyncRunRead.model_validate(run)


@router.get(
    "/ad-accounts/{ad_account_id}/sync-runs",
    response_model=Page[SyncRunRead],
    responses=problem_responses(AdAccountNotFound, InvalidCursor),
)
async def list_sync_runs(
    ad_account_id: UUID, tenant: CanReadConnections, session: DbSession, paging: TimeCursorPage
) -> Response:
    """The account's sync log, newest first: when each run started and ended, what it changed, why it failed."""
    return page_response(SyncRunRead, await entity_sync_service.list_runs(session, tenant, ad_account_id, paging))


@router.get(
    "/ad-accounts/sync-status",
    response_model=Page[AccountSyncSummary],
    responses=problem_responses(InvalidCursor),
)
async def list_account_sync_status(tenant: CanReadConnections, session: DbSession, paging: TextCursorPage) -> Response:
    """One page of the managed ad accounts (by name): entity counts, the latest sync run and when a sync last
    succeeded."""
    return page_response(AccountSyncSummary, await entity_sync_service.account_summaries(session, tenant, paging))
