"""The development mail outbox (mounted only when no SMTP server is configured, never in production)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field

from adpilot.core.errors import problem_responses
from adpilot.core.pagination import InvalidCursor, Page, PageParams, decode_cursor, encode_cursor, page_params
from adpilot.db import DbSession
from adpilot.notifications.mail import list_outbox

router = APIRouter(prefix="/api/v1/dev", tags=["development"])


class OutboxAttachmentRead(BaseModel):
    filename: str
    content_type: str
    size: int


class OutboxMessageRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    recipient: str
    subject: str
    body_text: str
    attachments: list[OutboxAttachmentRead] = Field(description="The files the message carried (not kept).")
    created_at: datetime


@router.get("/outbox", responses=problem_responses(InvalidCursor))
async def list_outbox_messages(
    session: DbSession, page: Annotated[PageParams, Depends(page_params)]
) -> Page[OutboxMessageRead]:
    """Mail that would have been sent, newest first (development and demo only)."""
    before = decode_cursor(page.cursor) if page.cursor else None
    rows = await list_outbox(session, page.limit + 1, before)
    more = len(rows) > page.limit
    last = rows[page.limit - 1] if more else None
    return Page(
        items=[OutboxMessageRead.model_validate(row) for row in rows[: page.limit]],
        next_cursor=encode_cursor(last.created_at, last.id) if last else None,
    )
