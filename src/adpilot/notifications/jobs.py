"""Background jobs of the notifications module."""

from __future__ import annotations

from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from adpilot.config import get_settings
from adpilot.jobs import Queue, job
from adpilot.notifications.mail import deliver_smtp


@job("notifications.send_mail", queue=Queue.interactive, max_attempts=8)
async def send_mail(
    session: AsyncSession, organization_id: UUID | None, *, recipient: str, subject: str, body_text: str
) -> None:
    """Deliver one queued email over SMTP."""
    await deliver_smtp(get_settings(), recipient, subject, body_text)
