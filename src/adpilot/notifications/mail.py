"""Outgoing mail: SMTP in production; a local outbox (shown by the web app) when no SMTP host is configured."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from email.message import EmailMessage

import aiosmtplib
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from adpilot.config import Settings, get_settings
from adpilot.core.keyset import Keyset, keyset_page
from adpilot.core.pagination import KeysetPage, PageRequest, TimeKey
from adpilot.jobs import enqueue
from adpilot.notifications.models import OutboxMessage

OUTBOX_NEWEST_FIRST = Keyset((OutboxMessage.created_at, OutboxMessage.id), descending=True)


@dataclass(frozen=True)
class Attachment:
    """A file carried by a message, e.g. ``Attachment("report.pdf", "application/pdf", pdf)``."""

    filename: str
    content_type: str
    content: bytes

    def describe(self) -> dict[str, str | int]:
        return {"filename": self.filename, "content_type": self.content_type, "size": len(self.content)}


async def send_mail(session: AsyncSession, recipient: str, subject: str, body_text: str) -> None:
    """Send a plain-text email once the current transaction commits (outbox row or queued SMTP job)."""
    settings = get_settings()
    if settings.outbox_enabled:
        session.add(OutboxMessage(recipient=recipient, subject=subject, body_text=body_text))
        await session.flush()
        return
    await enqueue(session, "notifications.send_mail", None, recipient=recipient, subject=subject, body_text=body_text)


async def send_mail_with_attachments_now(
    session: AsyncSession, recipient: str, subject: str, body_text: str, attachments: Sequence[Attachment]
) -> None:
    """Send a message with files at once (SMTP), or put it in the outbox (listing its files) when no SMTP host is
    configured. Raises when the SMTP server refuses or cannot be reached: the caller records and retries.

    Not queued as a job: attachments are too large for job arguments, so the caller (a job) delivers and retries.
    """
    settings = get_settings()
    if settings.outbox_enabled:
        session.add(
            OutboxMessage(
                recipient=recipient,
                subject=subject,
                body_text=body_text,
                attachments=[attachment.describe() for attachment in attachments],
            )
        )
        await session.flush()
        return
    await deliver_smtp(settings, recipient, subject, body_text, attachments)


def build_message(
    settings: Settings, recipient: str, subject: str, body_text: str, attachments: Sequence[Attachment] = ()
) -> EmailMessage:
    """The MIME message: plain text, and multipart/mixed with each attachment when there are any."""
    message = EmailMessage()
    message["From"] = settings.mail_from
    message["To"] = recipient
    message["Subject"] = subject
    message.set_content(body_text)
    for attachment in attachments:
        maintype, _, subtype = attachment.content_type.partition("/")
        message.add_attachment(
            attachment.content, maintype=maintype, subtype=subtype or "octet-stream", filename=attachment.filename
        )
    return message


async def deliver_smtp(
    settings: Settings, recipient: str, subject: str, body_text: str, attachments: Sequence[Attachment] = ()
) -> None:
    """Hand one message to the configured SMTP server; raises on failure so the job is retried."""
    message = build_message(settings, recipient, subject, body_text, attachments)
    if settings.smtp_host is None:
        raise RuntimeError("ADPILOT_SMTP_HOST is not set; mail goes to the outbox instead")
    await aiosmtplib.send(
        message,
        hostname=settings.smtp_host,
        port=settings.smtp_port,
        username=settings.smtp_username,
        password=settings.smtp_password.get_secret_value() if settings.smtp_password else None,
        start_tls=settings.smtp_starttls and not settings.smtp_tls,
        use_tls=settings.smtp_tls,
        timeout=30,
    )


async def list_outbox(session: AsyncSession, page: PageRequest[TimeKey]) -> KeysetPage[OutboxMessage, TimeKey]:
    """A page of outbox messages, newest first."""
    return await keyset_page(session, select(OutboxMessage), OUTBOX_NEWEST_FIRST, page)
