"""HTTP endpoints of the change pipeline."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, Response, status

from adpilot.changes.dependencies import CanApproveChanges, CanReadChanges, CanRequestChanges
from adpilot.changes.errors import ChangeNotFound, ChangeNotPending, ChangeNotUndoable, ChangesRefused
from adpilot.changes.schemas import (
    ChangeRead,
    ChangeReview,
    ChangesCreate,
    ChangesCreated,
    ChangeSource,
    ChangeStatus,
)
from adpilot.changes.service import ChangeFilters, change_service
from adpilot.core.errors import problem_responses
from adpilot.core.pagination import InvalidCursor, Page, TimeCursorPage, page_response
from adpilot.db import DbSession

router = APIRouter(prefix="/api/v1/orgs/{organization_id}", tags=["changes"])


@router.post(
    "/changes",
    response_model=ChangesCreated,
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(ChangesRefused),
)
async def request_changes(body: ChangesCreate, tenant: CanRequestChanges, session: DbSession) -> ChangesCreated:
    """Ask for one change or a bulk of up to 1,000: all validated first, then stored (and queued, or left for a
    manager's approval)."""
    changes = await change_service.request_changes(session, tenant, body.changes)
    return ChangesCreated(items=[ChangeRead.model_validate(change) for change in changes])


@router.get("/changes", response_model=Page[ChangeRead], responses=problem_responses(InvalidCursor))
async def list_changes(
    tenant: CanReadChanges,
    session: DbSession,
    paging: TimeCursorPage,
    status: Annotated[ChangeStatus | None, Query()] = None,
    ad_account_id: Annotated[UUID | None, Query()] = None,
    entity_id: Annotated[UUID | None, Query()] = None,
    source: Annotated[ChangeSource | None, Query()] = None,
    requested_by: Annotated[UUID | None, Query()] = None,
) -> Response:
    """The organization's changes, newest first."""
    filters = ChangeFilters(status, ad_account_id, entity_id, source, requested_by)
    return page_response(ChangeRead, await change_service.list_changes(session, tenant, filters, paging))


@router.get("/changes/{change_id}", response_model=ChangeRead, responses=problem_responses(ChangeNotFound))
async def get_change(change_id: UUID, tenant: CanReadChanges, session: DbSession) -> ChangeRead:
    """One change: its values, its review and its result."""
    return ChangeRead.model_validate(await change_service.get(session, tenant, change_id))


@router.post(
    "/changes/{change_id}/approve",
    response_model=ChangeRead,
    responses=problem_responses(ChangeNotFound, ChangeNotPending),
)
async def approve_change(
    change_id: UUID, body: ChangeReview, tenant: CanApproveChanges, session: DbSession
) -> ChangeRead:
    """Approve a change waiting for approval: it is queued for applying."""
    return ChangeRead.model_validate(await change_service.approve(session, tenant, change_id, body.note))


@router.post(
    "/changes/{change_id}/reject",
    response_model=ChangeRead,
    responses=problem_responses(ChangeNotFound, ChangeNotPending),
)
async def reject_change(
    change_id: UUID, body: ChangeReview, tenant: CanApproveChanges, session: DbSession
) -> ChangeRead:
    """Reject a change waiting for approval: it is never applied."""
    return ChangeRead.model_validate(await change_service.reject(session, tenant, change_id, body.note))


@router.post(
    "/changes/{change_id}/undo",
    response_model=ChangeRead,
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(ChangeNotFound, ChangeNotUndoable, ChangesRefused),
)
async def undo_change(change_id: UUID, tenant: CanRequestChanges, session: DbSession) -> ChangeRead:
    """Ask for the inverse of an applied change (the value before), where the platform allows it."""
    return ChangeRead.model_validate(await change_service.undo(session, tenant, change_id))


@router.get(
    "/entities/{entity_id}/changes", response_model=Page[ChangeRead], responses=problem_responses(InvalidCursor)
)
async def list_entity_changes(
    entity_id: UUID, tenant: CanReadChanges, session: DbSession, paging: TimeCursorPage
) -> Response:
    """The history of one entity's changes, newest first."""
    filters = ChangeFilters(entity_id=entity_id)
    return page_response(ChangeRead, await change_service.list_changes(session, tenant, filters, paging))
