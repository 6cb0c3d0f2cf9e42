"""The development mail outbox (mounted only when no SMTP server is configured, never in production)."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from fastapi import APIRouter, Response
from pydantic import BaseModel, ConfigDict, Field

from adpilot.core.errors import problem_responses
from adpilot.core.pagination import InvalidCursor, Page, TimeCursorPage, page_response
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


@router.get("/outbox", response_model=Page[OutboxMessageRead], responses=problem_responses(InvalidCursor))
async def list_outbox_messages(session: DbSession, paging: TimeCursorPage) -> Response:
    """Mail that would have been sent, newest first (development and demo only)."""
    return page_response(OutboxMessageRead, await list_outbox(session, paging))
