"""The events the change pipeline publishes (see ``adpilot.events``)."""

from __future__ import annotations

from typing import ClassVar
from uuid import UUID

from adpilot.events import DomainEvent


class ChangeApplied(DomainEvent):
    """A change reached its platform and was read back (``verified``: the platform reports the value asked for).

    It carries ids only: a subscriber reads the change (``change_service``) or the entity for the current state."""

    name: ClassVar[str] = "changes.change_applied"
    change_id: UUID
    ad_account_id: UUID
    entity_id: UUID
    verified: bool
