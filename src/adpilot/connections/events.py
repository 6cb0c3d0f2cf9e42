"""The events the connections module publishes (see ``adpilot.events``)."""

from __future__ import annotations

from typing import ClassVar
from uuid import UUID

from adpilot.events import DomainEvent


class AccountsManaged(DomainEvent):
    """People chose to manage these ad accounts (they were not managed before): the modules that sync accounts queue
    their first syncs."""

    name: ClassVar[str] = "connections.accounts_managed"
    ad_account_ids: tuple[UUID, ...]
