"""HTTP endpoint of the audit log (admins only).

It lives here, above `audit`, because reading the log is an organization's permission: `audit` is the lower module
every module writes to and imports no domain module, so its HTTP reading sits with the permission check.
"""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Response

from adpilot.audit.schemas import AuditEntryRead
from adpilot.audit.service import audit_service
from adpilot.core.errors import NotAuthenticated, NotFound, PermissionDenied, problem_responses
from adpilot.core.pagination import InvalidCursor, Page, PageParams, page_params, page_response
from adpilot.core.text import NoNul
from adpilot.core.time import UtcDatetime
from adpilot.db import DbSession
from adpilot.organizations.dependencies import CanReadAudit

router = APIRouter(prefix="/api/v1", tags=["audit"])


@router.get(
    "/orgs/{organization_id}/audit-log",
    response_model=Page[AuditEntryRead],
    responses=problem_responses(NotAuthenticated, NotFound, PermissionDenied, InvalidCursor),
)
async def list_audit_entries(
    tenant: CanReadAudit,
    session: DbSession,
    page: Annotated[PageParams, Depends(page_params)],
    action: Annotated[
        str | None, Query(max_length=80, description="Action, or its prefix (e.g. 'member.')."), NoNul
    ] = None,
    actor_user_id: UUID | None = None,
    target_type: Annotated[str | None, Query(max_length=40), NoNul] = None,
    since: UtcDatetime | None = None,
    until: UtcDatetime | None = None,
) -> Response:
    """The organization's audit log, newest first, with filters."""
    before_seq = _seq_cursor(page.cursor)
    entries = await audit_service.list_entries(
        session,
        tenant.organization_id,
        limit=page.limit + 1,
        before_seq=before_seq,
        action=action,
        actor_user_id=actor_user_id,
        target_type=target_type,
        since=since,
        until=until,
    )
    more = len(entries) > page.limit
    items = entries[: page.limit]
    return page_response(AuditEntryRead, items, str(items[-1]["seq"]) if more else None)


def _seq_cursor(cursor: str | None) -> int | None:
    if cursor is None:
        return None
    if not (cursor.isascii() and cursor.isdigit()) or len(cursor) > 18:
        raise InvalidCursor()
    return int(cursor)
