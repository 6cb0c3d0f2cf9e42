"""Request and response models of the connection endpoints. No model here ever carries a credential."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

from pydantic import BaseModel, Field, StringConstraints

from adpilot.connections.service import ConnectionHealth, DiscoveryState
from adpilot.core.text import NoNul
from adpilot.platforms.types import Platform


class AuthorizationRead(BaseModel):
    """Where to send the person: the platform's consent page. It comes back to the web app's callback route."""

    authorization_url: str
    expires_at: datetime


class AuthorizationCallback(BaseModel):
    """The query parameters the platform sent to the web app's callback route."""

    state: Annotated[str, StringConstraints(min_length=1, max_length=512), NoNul]
    code: Annotated[str, StringConstraints(min_length=1, max_length=4096), NoNul] | None = None
    error: Annotated[str, StringConstraints(min_length=1, max_length=200), NoNul] | None = None
    error_description: Annotated[str, StringConstraints(max_length=2000), NoNul] | None = None


class AdAccountRead(BaseModel):
    id: UUID
    platform_account_id: str
    name: str
    currency: str
    time_zone: str
    login_customer_id: str | None
    managed: bool
    is_manager: bool
    platform_active: bool


class DiscoveryRead(BaseModel):
    """Listing the login's ad accounts: a job queued when the platform is connected (or reconnected)."""

    state: DiscoveryState
    accounts_found: int = Field(description="Ad accounts listed (when it succeeded).")
    error: str | None = Field(description="Why it failed (state failed).")
    started_at: datetime | None
    finished_at: datetime | None


class ConnectionRead(BaseModel):
    id: UUID
    platform: Platform
    display_name: str
    health: ConnectionHealth
    health_reason: str | None
    health_changed_at: datetime
    token_expires_at: datetime | None
    refreshed_at: datetime | None
    created_at: datetime
    discovery: DiscoveryRead = Field(description="Until it succeeded, the accounts listed here may be incomplete.")
    accounts: list[AdAccountRead] = Field(
        description="The first page of its ad accounts by name (up to 100); GET …/accounts with "
        "accounts_next_cursor lists the rest."
    )
    account_count: int = Field(description="All its ad accounts.")
    managed_account_count: int = Field(description="Its ad accounts adpilot manages.")
    accounts_next_cursor: str | None = Field(description="Pass as cursor to GET …/{connection_id}/accounts; null: all.")


class ConnectionList(BaseModel):
    """One page of connections, oldest first; pass ``next_cursor`` back as ``cursor`` for the next (null: last)."""

    items: list[ConnectionRead]
    next_cursor: str | None = None
    needs_reconnect_count: int = Field(description="Connections a person must reconnect (the web app shows a notice).")


class ManagedAccountsUpdate(BaseModel):
    managed_account_ids: list[UUID] = Field(max_length=1000, description="Every account to manage; the others stop.")


class PlatformQuotaRead(BaseModel):
    """A platform's daily quota as this installation has used it (every organization's syncs and changes share the
    installation's platform app, so the figures are not this organization's alone)."""

    platform: Platform
    used: int = Field(
        description="Operations the platform counted in the last 24 hours (Google: operations; Meta "
        "and TikTok: API calls)."
    )
    limit: int | None = Field(description="The daily quota configured for the platform; null when none is known.")
    remaining: int | None = Field(description="limit - used (never below 0); null without a limit.")
    resets_at: datetime | None = Field(
        description="When the oldest operations counted leave the sliding 24-hour window; null when none were counted."
    )


class PlatformQuotaList(BaseModel):
    items: list[PlatformQuotaRead]
