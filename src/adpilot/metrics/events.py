"""The events the metrics module publishes (see ``adpilot.events``)."""

from __future__ import annotations

from datetime import date
from typing import ClassVar
from uuid import UUID

from adpilot.events import DomainEvent


class MetricsIngested(DomainEvent):
    """A metrics sync run of the account finished and stored its days ``first_day``..``last_day`` (the account's
    dates); ``rows_written`` is how many stored rows it inserted, changed or deleted. For rules and alerts, which read
    the store's current numbers."""

    name: ClassVar[str] = "metrics.metrics_ingested"
    ad_account_id: UUID
    run_id: UUID
    scope: str
    first_day: date
    last_day: date
    rows_written: int
