"""Settings whose defaults protect people: the development outbox is only served where nobody else can reach it."""

from __future__ import annotations

from typing import Any

import pytest

from adpilot.config import Environment, Settings


def settings(**values: Any) -> Settings:
    return Settings(_env_file=None, **values)


class TestOutboxPage:
    def test_served_on_loopback_in_development(self) -> None:
        assert settings(environment=Environment.development, host="127.0.0.1").outbox_page_enabled is True

    @pytest.mark.parametrize("host", ["0.0.0.0", "10.0.0.5", "::"])  # noqa: S104 - the point of the test
    def test_not_served_when_listening_beyond_loopback(self, host: str) -> None:
        assert settings(environment=Environment.demo, host=host).outbox_page_enabled is False

    def test_served_beyond_loopback_only_when_asked(self) -> None:
        assert settings(host="0.0.0.0", dev_outbox=True).outbox_page_enabled is True  # noqa: S104

    def test_never_in_production_even_when_asked(self) -> None:
        production = settings(environment=Environment.production, dev_outbox=True, secret_key="x" * 40)
        assert production.outbox_page_enabled is False

    def test_never_when_mail_goes_to_smtp(self) -> None:
        assert settings(smtp_host="smtp.example.com", dev_outbox=True).outbox_page_enabled is False

    def test_can_be_switched_off_on_loopback(self) -> None:
        assert settings(dev_outbox=False).outbox_page_enabled is False
