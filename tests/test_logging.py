"""No password, token or secret reaches a log line, whether logged by us, by a library or during a real log-in."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import httpx
import pytest
import structlog

from adpilot.core.logging import configure_logging, get_logger
from tests.fixtures import PASSWORD, sign_up

JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"


@pytest.fixture
def captured_logs() -> Iterator[io.StringIO]:
    """Configure production logging (JSON, redaction) into a buffer; restore the previous setup afterwards."""
    root = logging.getLogger()
    previous_handlers, previous_level = root.handlers[:], root.level
    configure_logging("INFO", json=True)
    buffer = io.StringIO()
    handler = root.handlers[0]
    assert isinstance(handler, logging.StreamHandler)
    handler.setStream(buffer)
    yield buffer
    root.handlers[:] = previous_handlers
    root.setLevel(previous_level)
    structlog.reset_defaults()


class TestRedaction:
    def test_sensitive_keys_are_redacted(self, captured_logs: io.StringIO) -> None:
        get_logger("test").info(
            "signup",
            password="hunter2-hunter2",
            access_token="tok-123456",
            refresh_token="ref-123456",
            mfa_secret="JBSWY3DPEHPK3PXP",
            api_key="key-987654",
        )
        output = captured_logs.getvalue()
        for secret in ("hunter2-hunter2", "tok-123456", "ref-123456", "JBSWY3DPEHPK3PXP", "key-987654"):
            assert secret not in output
        assert output.count("[redacted]") == 5

    def test_nested_authorization_headers_are_redacted(self, captured_logs: io.StringIO) -> None:
        get_logger("test").info(
            "outgoing",
            headers={"Authorization": "Bearer abc.def.ghi", "Accept": "*/*"},
            cookies=[{"Cookie": "adpilot_refresh=xyz-secret"}],
        )
        output = captured_logs.getvalue()
        assert "abc.def.ghi" not in output
        assert "xyz-secret" not in output
        assert "*/*" in output

    def test_secrets_inside_innocent_values_are_redacted(self, captured_logs: io.StringIO) -> None:
        get_logger("test").info(
            "debug",
            note=f"got {JWT} back",
            header="bearer sk-live-abcdef",
            query="?email=a@b.c&password=p4ssw0rd-x&next=/",
            url="https://x/?token=t0k3n-abc",
        )
        output = captured_logs.getvalue()
        for secret in (JWT, "sk-live-abcdef", "p4ssw0rd-x", "t0k3n-abc"):
            assert secret not in output
        assert "a@b.c" in output

    def test_database_url_passwords_are_redacted(self, captured_logs: io.StringIO) -> None:
        get_logger("test").info("db", dsn="postgresql://adpilot:s3cr3t-pw@db.internal:5432/adpilot")
        output = captured_logs.getvalue()
        assert "s3cr3t-pw" not in output
        assert "db.internal:5432/adpilot" in output

    def test_the_event_message_itself_is_redacted(self, captured_logs: io.StringIO) -> None:
        get_logger("test").warning(f"login failed password=hunter2-hunter2 with {JWT}")
        output = captured_logs.getvalue()
        assert "hunter2-hunter2" not in output
        assert JWT not in output

    def test_standard_library_loggers_are_redacted(self, captured_logs: io.StringIO) -> None:
        logging.getLogger("some.library").warning("connecting to postgresql://app:lib-s3cret@h/db token=abc-999")
        output = captured_logs.getvalue()
        assert "lib-s3cret" not in output
        assert "abc-999" not in output
        assert "some.library" in output

    def test_exception_text_is_redacted(self, captured_logs: io.StringIO) -> None:
        try:
            raise ValueError("cannot connect to postgresql://app:exc-s3cret@h/db")
        except ValueError:
            get_logger("test").exception("boom")
        output = captured_logs.getvalue()
        assert "exc-s3cret" not in output
        assert "ValueError" in output


class TestRealRequests:
    async def test_a_log_in_leaks_neither_the_password_nor_the_tokens(
        self, client: httpx.AsyncClient, captured_logs: io.StringIO
    ) -> None:
        user = await sign_up(client)
        failed = await client.post("/api/v1/auth/login", json={"email": user.email, "password": "wrong-" + PASSWORD})
        assert failed.status_code == 401
        response = await client.post("/api/v1/auth/login", json={"email": user.email, "password": PASSWORD})
        refresh_token = response.cookies["adpilot_refresh"]
        refreshed = await client.post("/api/v1/auth/refresh")
        assert refreshed.status_code == 200
        await client.get("/api/v1/me", headers=user.headers)
        await client.get("/api/v1/me", headers={"Authorization": "Bearer " + JWT})
        output = captured_logs.getvalue()
        assert "http.request" in output  # the requests were logged
        for secret in (
            PASSWORD,
            "wrong-" + PASSWORD,
            user.access_token,
            response.json()["access_token"],
            refresh_token,
            refreshed.cookies["adpilot_refresh"],
            refreshed.json()["access_token"],
            JWT,
        ):
            assert secret not in output
        assert refresh_token.partition(".")[2] not in output
