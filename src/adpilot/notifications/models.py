"""The local mail outbox: where mail lands when no SMTP server is configured (development, demo, test)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import String, Text, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from adpilot.db import Base, CreatedAtMixin


class OutboxMessage(CreatedAtMixin, Base):
    __tablename__ = "mail_outbox"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    recipient: Mapped[str] = mapped_column(String(320), index=True)
    subject: Mapped[str] = mapped_column(String(300))
    body_text: Mapped[str] = mapped_column(Text)
    # What the message carried: [{"filename", "content_type", "size"}] (the content itself is not kept).
    attachments: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list, server_default=text("'[]'::jsonb"))
