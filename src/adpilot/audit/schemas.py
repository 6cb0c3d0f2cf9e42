"""Response models of the audit log endpoint."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict


class AuditEntryRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    seq: int
    occurred_at: datetime
    actor_user_id: UUID | None
    actor_email: str | None
    action: str
    # The action in words ("Changed a member's role"), for people; `action` stays the stable code.
    action_label: str
    target_type: str | None
    target_id: str | None
    # What the target is called (a member's name, a schedule's name), when it is known.
    target_name: str | None = None
    ip: str | None
    user_agent: str | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None
