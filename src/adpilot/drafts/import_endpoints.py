"""HTTP endpoints of the CSV import of drafts: the template and the import (dry run, then confirmed)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from adpilot.core.errors import problem_responses
from adpilot.core.uploads import UploadMissing, UploadTooLarge, read_upload, upload_request_body
from adpilot.db import DbSession
from adpilot.drafts.csv_format import LIST_SEPARATOR, MAX_IMPORT_BYTES, MAX_IMPORT_ROWS
from adpilot.drafts.dependencies import CanEditDrafts, CanReadDrafts
from adpilot.drafts.errors import DraftImportInvalid
from adpilot.drafts.importing import draft_import_service
from adpilot.drafts.schemas import DraftImportResult

# Included by the drafts router (endpoints.py), under its /api/v1/orgs/{organization_id}.
router = APIRouter(prefix="/drafts/import", tags=["drafts"])


@router.get(
    "/template.csv",
    response_class=Response,
    responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}}, "description": "The import template."}},
)
async def get_draft_import_template(tenant: CanReadDrafts, session: DbSession) -> Response:
    """The CSV template of the drafts import: every column and example rows naming the organization's ad accounts."""
    content = await draft_import_service.template(session, tenant)
    return Response(
        content.encode(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="adpilot-drafts-template.csv"'},
    )


@router.post(
    "",
    response_model=DraftImportResult,
    openapi_extra={
        "requestBody": upload_request_body(
            f"A CSV file of campaigns, ad groups and ads, one row per ad (UTF-8, comma or semicolon separated, lists "
            f"separated by `{LIST_SEPARATOR}`; at most {MAX_IMPORT_BYTES // (1024 * 1024)} MB and "
            f"{MAX_IMPORT_ROWS:,} rows): a form with a `file` field, or the file as the body."
        )
    },
    responses=problem_responses(DraftImportInvalid, UploadTooLarge, UploadMissing),
)
async def import_drafts(
    request: Request,
    tenant: CanEditDrafts,
    session: DbSession,
    dry_run: Annotated[bool, Query(description="Only check the file and answer what it would create.")] = True,
) -> DraftImportResult:
    """Import drafts from a CSV file: a dry run lists every problem by line and column and the drafts it would
    create; otherwise all the drafts are created, or none (422) when the file has an error. The same file again
    creates nothing and answers the earlier import (``duplicate``)."""
    content = await read_upload(request, max_bytes=MAX_IMPORT_BYTES)
    return await draft_import_service.import_csv(session, tenant, content, dry_run=dry_run)
