"""The events the organizations module publishes (see ``adpilot.events``)."""

from __future__ import annotations

from typing import ClassVar

from adpilot.events import DomainEvent


class ReportingCurrencyChanged(DomainEvent):
    """The organization's reporting currency became ``currency``. It may have changed again by the time a subscriber
    runs: subscribers read the current one."""

    name: ClassVar[str] = "organizations.reporting_currency_changed"
    currency: str
