"""HTTP endpoints of the change pipeline."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, Request, Response, status
from pydantic import AwareDatetime

from adpilot.changes.dependencies import CanApproveChanges, CanReadChanges, CanRequestChanges
from adpilot.changes.errors import (
    ChangeExpired,
    ChangeNotFound,
    ChangeNotPending,
    ChangeNotUndoable,
    ChangesCsvInvalid,
    ChangesRefused,
    EntityNotFound,
    InvalidChangeFilters,
)
from adpilot.changes.importing import MAX_CSV_BYTES, TEMPLATE, change_import_service
from adpilot.changes.schemas import (
    BatchSource,
    ChangeFilters,
    ChangeImportItem,
    ChangeKind,
    ChangeOptions,
    ChangeRead,
    ChangeReview,
    ChangesCreate,
    ChangesCreated,
    ChangesImported,
    ChangeSource,
    ChangesPreview,
    ChangeStatus,
    CsvProblem,
)
from adpilot.changes.service import change_service
from adpilot.core.errors import problem_responses
from adpilot.core.pagination import InvalidCursor, Page, TimeCursorPage, page_response
from adpilot.db import DbSession
from adpilot.platforms.types import Platform

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
    batch, changes = await change_service.request_changes(session, tenant, body.changes)
    return ChangesCreated(batch_id=batch.id, items=[ChangeRead.model_validate(change) for change in changes])


@router.post("/changes/preview", response_model=ChangesPreview)
async def preview_changes(body: ChangesCreate, tenant: CanRequestChanges, session: DbSession) -> ChangesPreview:
    """Check a request of changes as POST /changes would and store nothing: the changes it would store (with
    ``value_before`` as last synced, and whether they would wait for approval) and the problems that would refuse
    it."""
    return await change_service.preview(session, tenant, body.changes)


@router.get("/changes/options", response_model=ChangeOptions, responses=problem_responses(EntityNotFound))
async def get_change_options(
    entity_id: Annotated[UUID, Query()], tenant: CanReadChanges, session: DbSession
) -> ChangeOptions:
    """What can be changed on one entity: each kind of change with the entity's current value and what the platform
    takes, or the reason it cannot be changed."""
    return await change_service.options(session, tenant, entity_id)


@router.post(
    "/changes/import",
    response_model=ChangesImported,
    openapi_extra={
        "requestBody": {
            "required": True,
            "description": (
                "A CSV file (UTF-8, `,` or `;`, at most 1 MB and 1,000 rows) with the header entity_id,field,value "
                "and an optional reason column; budgets in the account's currency (`25.50`). See "
                "GET /changes/import/template.csv."
            ),
            "content": {"text/csv": {"schema": {"type": "string"}}},
        }
    },
    responses={
        201: {"model": ChangesImported, "description": "The file's changes stored as one batch."},
        **problem_responses(ChangesCsvInvalid, ChangesRefused),
    },
)
async def import_changes(
    request: Request,
    response: Response,
    tenant: CanRequestChanges,
    session: DbSession,
    dry_run: Annotated[bool, Query(description="Check and preview only (the default); false stores them.")] = True,
) -> ChangesImported:
    """Bulk changes from a CSV file: every row checked (problems by line and column) and previewed; with
    ``dry_run=false`` stored as one batch of source csv, all or nothing. The same file again answers its earlier
    batch (``duplicate``) and stores nothing."""
    content = bytearray()
    async for chunk in request.stream():
        content += chunk
        if len(content) > MAX_CSV_BYTES:
            raise ChangesCsvInvalid(
                "the file is larger than 1 MB",
                problems=[
                    {"line": None, "column": None, "code": "file-too-large", "detail": "at most 1,000,000 bytes"}
                ],
            )
    result = await change_import_service.import_csv(session, tenant, bytes(content), dry_run=dry_run)
    stored = not dry_run and not result.duplicate
    response.status_code = status.HTTP_201_CREATED if stored else status.HTTP_200_OK
    return ChangesImported(
        dry_run=dry_run,
        duplicate=result.duplicate,
        file_sha256=result.file_sha256,
        rows=result.rows,
        batch_id=result.batch.id if result.batch is not None else None,
        problems=[CsvProblem.model_validate(problem) for problem in result.problems],
        items=[ChangeImportItem(line=line, **item.model_dump()) for line, item in result.items],
        changes=[ChangeRead.model_validate(change) for change in result.changes],
    )


@router.get(
    "/changes/import/template.csv",
    response_class=Response,
    responses={
        200: {
            "content": {"text/csv": {"schema": {"type": "string"}}},
            "description": "entity_id,field,value,reason with two sample rows",
        }
    },
)
async def get_changes_import_template(tenant: CanReadChanges) -> Response:
    """A CSV template for bulk changes: the columns entity_id, field (a kind of change), value (a status, or a
    budget in the account's currency such as 25.50) and reason (optional)."""
    return Response(
        TEMPLATE,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="changes-template.csv"'},
    )


@router.get(
    "/changes",
    response_model=Page[ChangeRead],
    responses=problem_responses(InvalidCursor, InvalidChangeFilters, EntityNotFound),
)
async def list_changes(
    tenant: CanReadChanges,
    session: DbSession,
    paging: TimeCursorPage,
    status: Annotated[list[ChangeStatus] | None, Query(description="Any of these statuses (repeatable).")] = None,
    kind: Annotated[ChangeKind | None, Query()] = None,
    platform: Annotated[Platform | None, Query()] = None,
    ad_account_id: Annotated[UUID | None, Query()] = None,
    entity_id: Annotated[UUID | None, Query(description="An entity of the organization (404 if unknown).")] = None,
    source: Annotated[ChangeSource | None, Query(description="Who or what asked for the changes.")] = None,
    batch_id: Annotated[UUID | None, Query()] = None,
    batch_source: Annotated[BatchSource | None, Query(description="How the changes came in: api or csv.")] = None,
    requested_by: Annotated[UUID | None, Query()] = None,
    created_from: Annotated[AwareDatetime | None, Query(description="Created at or after.")] = None,
    created_to: Annotated[AwareDatetime | None, Query(description="Created before.")] = None,
) -> Response:
    """The organization's changes, newest first, narrowed by every filter given."""
    filters = ChangeFilters(
        statuses=tuple(status or ()),
        kind=kind,
        platform=platform,
        ad_account_id=ad_account_id,
        entity_id=entity_id,
        source=source,
        requested_by=requested_by,
        batch_id=batch_id,
        batch_source=batch_source,
        created_from=created_from,
        created_to=created_to,
    )
    return page_response(ChangeRead, await change_service.list_changes(session, tenant, filters, paging))


@router.get("/changes/{change_id}", response_model=ChangeRead, responses=problem_responses(ChangeNotFound))
async def get_change(change_id: UUID, tenant: CanReadChanges, session: DbSession) -> ChangeRead:
    """One change: its values, its review and its result."""
    return ChangeRead.model_validate(await change_service.get(session, tenant, change_id))


@router.post(
    "/changes/{change_id}/approve",
    response_model=ChangeRead,
    responses=problem_responses(ChangeNotFound, ChangeNotPending, ChangeExpired),
)
async def approve_change(
    change_id: UUID, body: ChangeReview, tenant: CanApproveChanges, session: DbSession
) -> ChangeRead:
    """Approve a change waiting for approval: it is queued for applying."""
    return ChangeRead.model_validate(await change_service.approve(session, tenant, change_id, body.note))


@router.post(
    "/changes/{change_id}/reject",
    response_model=ChangeRead,
    responses=problem_responses(ChangeNotFound, ChangeNotPending, ChangeExpired),
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
