"""Outgoing mail over real SMTP (a local aiosmtpd server), and the queued-job path used when SMTP is configured."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from email import message_from_bytes
from email.message import Message
from typing import Any

import httpx
import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import text

from adpilot import jobs
from adpilot.config import Settings, get_settings
from adpilot.db import Database
from adpilot.notifications.mail import deliver_smtp
from tests.fixtures import outbox, sign_up


class CollectingHandler:
    def __init__(self) -> None:
        self.messages: list[tuple[list[str], Message]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append((list(envelope.rcpt_tos), message_from_bytes(envelope.content)))
        return "250 Message accepted for delivery"


def decoded_text(part: Message) -> str:
    """The text of a single-part message (its transfer encoding undone)."""
    payload = part.get_payload(decode=True)
    assert isinstance(payload, bytes)
    return payload.decode()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
def smtp_server() -> Iterator[tuple[CollectingHandler, int]]:
    handler = CollectingHandler()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    yield handler, port
    controller.stop()


@pytest.fixture
def smtp_settings(smtp_server: tuple[CollectingHandler, int], monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    """The process's settings with SMTP configured (environment + cleared cache), restored afterwards."""
    monkeypatch.setenv("ADPILOT_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("ADPILOT_SMTP_PORT", str(smtp_server[1]))
    monkeypatch.setenv("ADPILOT_SMTP_STARTTLS", "false")
    get_settings.cache_clear()
    yield get_settings()
    monkeypatch.undo()
    get_settings.cache_clear()


class TestDeliverSmtp:
    async def test_delivers_subject_recipient_and_body(self, smtp_server: tuple[CollectingHandler, int]) -> None:
        handler, port = smtp_server
        settings = get_settings().model_copy(
            update={"smtp_host": "127.0.0.1", "smtp_port": port, "smtp_starttls": False}
        )
        await deliver_smtp(settings, "ada@example.com", "Weekly report", "Spend is on track.\n")
        [(recipients, message)] = handler.messages
        assert recipients == ["ada@example.com"]
        assert message["Subject"] == "Weekly report"
        assert message["To"] == "ada@example.com"
        assert message["From"] == settings.mail_from
        assert decoded_text(message).strip() == "Spend is on track."

    async def test_an_unreachable_server_raises_so_the_job_is_retried(self) -> None:
        settings = get_settings().model_copy(
            update={"smtp_host": "127.0.0.1", "smtp_port": free_port(), "smtp_starttls": False}
        )
        with pytest.raises(OSError):
            await deliver_smtp(settings, "ada@example.com", "Weekly report", "body")


class TestSendMailWithSmtp:
    async def test_queues_a_job_instead_of_writing_the_outbox(
        self, client: httpx.AsyncClient, database: Database, smtp_settings: Settings
    ) -> None:
        user = await sign_up(client, verified=False)  # the verification link goes by SMTP, not to the outbox
        assert await outbox(client, user.email) == []
        async with database.transaction() as session:
            rows = await session.execute(
                text("SELECT args FROM procrastinate_jobs WHERE task_name = 'notifications.send_mail'")
            )
            [args] = rows.scalars().all()
        assert args["recipient"] == user.email
        assert args["subject"] == "Verify your email for adpilot"

    async def test_the_worker_delivers_the_queued_mail(
        self,
        client: httpx.AsyncClient,
        database: Database,
        smtp_server: tuple[CollectingHandler, int],
        smtp_settings: Settings,
    ) -> None:
        user = await sign_up(client, verified=False)  # the verification link goes by SMTP, not to the outbox
        await jobs.app.run_worker_async(wait=False, install_signal_handlers=False, concurrency=1)
        [(recipients, message)] = smtp_server[0].messages
        assert recipients == [user.email]
        assert message["Subject"] == "Verify your email for adpilot"
        assert "/verify-email?token=" in decoded_text(message)
