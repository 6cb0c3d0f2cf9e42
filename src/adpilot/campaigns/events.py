"""The events the campaigns module publishes (see ``adpilot.events``)."""

from __future__ import annotations

from typing import ClassVar
from uuid import UUID

from adpilot.events import DomainEvent


class EntitiesSynced(DomainEvent):
    """An entity sync of the account wrote what it read. ``complete``: it read the whole tree, so the entities it did
    not list were marked removed; else it read only what the platform reported changed.

    It names no entities: a subscriber reads the account's current tree (``entity_sync_service.account_tree``), so a
    late or repeated delivery still leaves it with the current state.
    """

    name: ClassVar[str] = "campaigns.entities_synced"
    ad_account_id: UUID
    run_id: UUID
    complete: bool
