"""What every part of the connections service shares: the data objects other modules see, the states a connection
goes through, and the small rules the parts apply alike (is a connection usable, which adapter, which problem)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from uuid import UUID

from sqlalchemy.exc import DBAPIError

from adpilot.connections import adapters
from adpilot.connections.errors import (
    ConnectionNeedsReconnect,
    ConnectionRejected,
    PlatformAppNotConfigured,
    PlatformUnreachable,
)
from adpilot.connections.models import AdAccount, PlatformConnection
from adpilot.connections.models import ConnectionHealth as ConnectionHealth
from adpilot.connections.models import DiscoveryState as DiscoveryState
from adpilot.core.errors import AppError
from adpilot.core.pagination import KeysetPage, TextKey, TimeKey
from adpilot.platforms.errors import PlatformAuthError, PlatformError, PlatformRateLimited, PlatformRejected
from adpilot.platforms.port import AdPlatformAdapter
from adpilot.platforms.types import AdAccountRef, Credentials, Platform

PLATFORM_TITLES = {Platform.google: "Google Ads", Platform.meta: "Meta Ads", Platform.tiktok: "TikTok Ads"}


class FailureOutcome(StrEnum):
    """What a failure recorded on a connection's health means for the caller."""

    retry_later = "retry_later"  # a transient failure: try again later
    reconnect = "reconnect"  # the connection needs a person to reconnect it: stop
    rejected = "rejected"  # the platform refused the request itself: repeating it cannot succeed


@dataclass(frozen=True)
class AdAccountInfo:
    """An ad account as other modules see it."""

    id: UUID
    platform: Platform
    platform_account_id: str
    name: str
    currency: str
    time_zone: str
    # None once its connection was removed (the account and its history stay).
    connection_id: UUID | None
    login_customer_id: str | None = None
    managed: bool = True


@dataclass(frozen=True)
class AccountAccess:
    """What it takes to call a platform about one ad account: valid credentials and the adapter to use them with."""

    adapter: AdPlatformAdapter
    credentials: Credentials
    account: AdAccountRef
    ad_account: AdAccountInfo


@dataclass(frozen=True)
class ConnectionAccess:
    """What it takes to call a platform about a whole login (its account listing): its credentials and adapter."""

    adapter: AdPlatformAdapter
    credentials: Credentials
    connection_id: UUID
    platform: Platform


@dataclass(frozen=True)
class ConnectionDetails:
    connection: PlatformConnection
    # The first page of its accounts by name; its next cursor continues it.
    accounts_page: KeysetPage[AdAccount, TextKey]
    account_count: int = 0
    managed_account_count: int = 0

    @property
    def accounts(self) -> list[AdAccount]:
        return self.accounts_page.items


@dataclass(frozen=True)
class ConnectionOverview:
    # One page of the organization's connections, oldest first.
    connections: KeysetPage[ConnectionDetails, TimeKey]
    # Connections a person must reconnect: the web app shows a notice while this is not zero.
    needs_reconnect_count: int


@dataclass(frozen=True)
class AuthorizationStart:
    authorization_url: str
    expires_at: datetime


def adapter_for(platform: Platform) -> AdPlatformAdapter:
    """The process's adapter for ``platform``; ``PlatformAppNotConfigured`` (a clear 409) when it has no app."""
    try:
        return adapters.get_adapter(platform)
    except adapters.PlatformNotConfigured as exc:
        raise PlatformAppNotConfigured(str(exc)) from None


def ensure_usable(connection: PlatformConnection) -> None:
    if connection.health == ConnectionHealth.needs_reconnect:
        raise ConnectionNeedsReconnect(
            connection.health_reason or "This connection needs reconnecting.", reason="needs_reconnect"
        )


def connection_removed() -> ConnectionNeedsReconnect:
    return ConnectionNeedsReconnect("This connection was removed; connect the platform again.", reason="disconnected")


def access_revoked(error: PlatformAuthError) -> ConnectionNeedsReconnect:
    """The platform no longer accepts the connection's access and no refresh fixed it."""
    revoked = ConnectionNeedsReconnect(error.detail, reason="needs_reconnect")
    revoked.platform_error = error
    return revoked


def not_refreshable(error: PlatformError) -> PlatformError:
    """An auth failure that a refresh already failed to fix (other errors unchanged)."""
    if not isinstance(error, PlatformAuthError) or not error.refreshable:
        return error
    return PlatformAuthError(
        error.detail, refreshable=False, platform_code=error.platform_code, request_id=error.request_id
    )


def is_lock_timeout(exc: DBAPIError) -> bool:
    return getattr(exc.orig, "sqlstate", None) == "55P03" or getattr(exc.orig, "pgcode", None) == "55P03"


def problem(error: PlatformError) -> AppError:
    """A platform failure during a person's request, as the problem they see (never a 500)."""
    if isinstance(error, PlatformAuthError | PlatformRejected):
        return ConnectionRejected(error.detail)
    retry_after = error.retry_after if isinstance(error, PlatformRateLimited) else None
    if retry_after is not None:
        seconds = max(1, math.ceil(retry_after))
        return PlatformUnreachable(error.detail, headers={"Retry-After": str(seconds)}, retry_after=seconds)
    return PlatformUnreachable(error.detail)


def account_info(account: AdAccount) -> AdAccountInfo:
    return AdAccountInfo(
        id=account.id,
        platform=Platform(account.platform),
        platform_account_id=account.platform_account_id,
        name=account.name,
        currency=account.currency,
        time_zone=account.time_zone,
        connection_id=account.connection_id,
        login_customer_id=account.login_customer_id,
        managed=account.managed,
    )
