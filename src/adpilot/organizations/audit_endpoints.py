"""HTTP endpoint of the audit log (admins only).

It lives here, above `audit`, because reading the log is an organization's permission: `audit` is the lower module
every module writes to and imports no domain module, so its HTTP reading sits with the permission check.
"""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, Response

from adpilot.audit.schemas import AuditEntryRead
from adpilot.audit.service import audit_service
from adpilot.core.errors import NotAuthenticated, NotFound, PermissionDenied, problem_responses
from adpilot.core.pagination import InvalidCursor, Page, SeqCursorPage, page_response
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
    page: SeqCursorPage,
    action: Annotated[
        str | None, Query(max_length=80, description="Action, or its prefix (e.g. 'member.')."), NoNul
    ] = None,
    actor_user_id: UUID | None = None,
    target_type: Annotated[str | None, Query(max_length=40), NoNul] = None,
    since: UtcDatetime | None = None,
    until: UtcDatetime | None = None,
) -> Response:
    """The organization's audit log, newest first, with filters."""
    entries = await audit_service.list_entries(
        session,
        tenant.organization_id,
        page,
        action=action,
        actor_user_id=actor_user_id,
        target_type=target_type,
        since=since,
        until=until,
    )
    return page_response(AuditEntryRead, entries)
