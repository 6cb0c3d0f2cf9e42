"""The platform gateway: the one way a platform is called with a connection's credentials.

``await platform_gateway.call(organization_id, ad_account_id, operation)`` opens the ad account (its adapter, valid
credentials, the account's reference), calls ``operation(access)`` outside any database transaction, refreshes the
credentials once when the platform calls the access token expired and calls again, records the connection's health
in a short transaction of its own (a failure counted, a success clearing earlier ones) and raises the product's
errors: ``AdAccountNotFound`` (not a managed account of the organization), ``ConnectionNeedsReconnect`` (removed,
access revoked, or a refresh that did not fix an expired token), or the ``PlatformError`` kinds that say when to try
again (``PlatformRateLimited``, ``PlatformUnavailable``) or that the request itself was refused (``PlatformRejected``).
``async with platform_gateway.session(organization_id, ad_account_id) as platform`` opens the account once for several
``await platform.call(operation)`` with the same rules, and records one success when the block ends well.
Every request the adapters send is counted by the operation meter of the shared HTTP pipeline; ``platform_quotas``
reads that meter.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import TypeVar
from uuid import UUID

from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from adpilot.audit import SYSTEM
from adpilot.config import get_settings
from adpilot.connections.errors import AdAccountNotFound, ConnectionNeedsReconnect
from adpilot.connections.repository import ConnectionRepository, platform_operations
from adpilot.connections.service.common import (
    AccountAccess,
    AdAccountInfo,
    ConnectionAccess,
    access_revoked,
    account_info,
    adapter_for,
    connection_removed,
    ensure_usable,
    is_lock_timeout,
    not_refreshable,
)
from adpilot.connections.service.credentials import CredentialService, credential_service
from adpilot.connections.service.health import apply_failure, log, record_success
from adpilot.db import tenant_transaction
from adpilot.platforms.errors import PlatformAuthError, PlatformError
from adpilot.platforms.types import AdAccountRef, Credentials, Platform

T = TypeVar("T")
_Access = TypeVar("_Access", AccountAccess, ConnectionAccess)


@dataclass(frozen=True)
class PlatformQuota:
    """A platform's daily quota as the installation has used it: operations in the sliding 24 hours the platforms
    meter, the configured daily limit (None when the platform sets none for this app) and when the oldest counted
    operations leave the window."""

    platform: Platform
    used: int
    limit: int | None
    resets_at: datetime | None

    @property
    def remaining(self) -> int | None:
        return None if self.limit is None else max(0, self.limit - self.used)

    def over(self, share: float) -> bool:
        """Whether more than ``share`` of the limit is used (never, without a limit)."""
        return self.limit is not None and self.used >= self.limit * share


class GatewaySession:
    """One ad account opened by ``PlatformGateway.session`` for several calls (not made concurrently)."""

    def __init__(
        self, gateway: PlatformGateway, organization_id: UUID, connection_id: UUID, access: AccountAccess
    ) -> None:
        self._gateway = gateway
        self._organization_id = organization_id
        self._connection_id = connection_id
        self._access = access
        # Whether the latest call worked: what the session's end records on the connection.
        self.healthy = False

    @property
    def ad_account(self) -> AdAccountInfo:
        """The account as other modules see it (its currency, time zone, connection)."""
        return self._access.ad_account

    async def call(self, operation: Callable[[AccountAccess], Awaitable[T]]) -> T:
        """``operation(access)`` with the rules of ``PlatformGateway.call`` (no transaction may be open)."""
        self.healthy = False
        result, self._access = await self._gateway._attempt(
            self._organization_id, self._connection_id, self._access, operation
        )
        self.healthy = True
        return result


class PlatformGateway:
    def __init__(self, credentials: CredentialService) -> None:
        self._credentials = credentials

    # --- the entry points ---------------------------------------------------------------------------------------

    async def call(
        self,
        organization_id: UUID,
        ad_account_id: UUID,
        operation: Callable[[AccountAccess], Awaitable[T]],
    ) -> T:
        """``operation(access)`` for one managed ad account of the organization, as the module docstring says.

        Call it outside any transaction: the account is opened, and health recorded, in short transactions of their
        own, so that no transaction stays open while the platform answers.
        """
        async with self.session(organization_id, ad_account_id) as platform:
            return await platform.call(operation)

    @asynccontextmanager
    async def session(self, organization_id: UUID, ad_account_id: UUID) -> AsyncIterator[GatewaySession]:
        """The account opened once for several calls (``await platform.call(operation)`` each), with the rules of
        ``call``: each call refreshes an expired token once (later calls use the fresh credentials), and a failed
        call records its failure on the connection and raises the product's error.

        A success is recorded once, when the block ends normally after a call that worked; a block that ends with
        an exception (a failed call, a worker stopping) records nothing more. Open it outside any transaction: the
        block may write in transactions of its own between calls. Raises what ``call`` raises when the account
        cannot be opened (``AdAccountNotFound``, ``ConnectionNeedsReconnect``, or a ``PlatformError`` when
        expired credentials could not be refreshed just now).
        """
        async with tenant_transaction(organization_id) as session:
            try:
                access = await self._open_account(session, organization_id, ad_account_id)
            except ConnectionNeedsReconnect as exc:
                if exc.extra.get("reason") != "not_managed":
                    raise
                # Not one of the accounts people chose to manage: nothing the gateway acts on.
                raise AdAccountNotFound(exc.detail) from None
        connection_id = access.ad_account.connection_id
        if connection_id is None:  # pragma: no cover - _open_account refuses an account without a connection
            raise connection_removed()
        platform = GatewaySession(self, organization_id, connection_id, access)
        yield platform
        if platform.healthy:
            async with tenant_transaction(organization_id) as session:
                await record_success(session, organization_id, connection_id)

    async def call_connection(
        self,
        organization_id: UUID,
        connection_id: UUID,
        operation: Callable[[ConnectionAccess], Awaitable[T]],
    ) -> T:
        """``operation(access)`` about a whole login (listing its ad accounts): like ``call``, with the credentials
        as stored (an expired token is refreshed when the platform refuses it, as with ``call``).

        Raises ``ConnectionNeedsReconnect`` for a connection removed or needing a reconnect.
        """
        async with tenant_transaction(organization_id) as session:
            connection = await ConnectionRepository(session).connection(organization_id, connection_id)
            if connection is None:
                raise connection_removed()
            ensure_usable(connection)
            platform = Platform(connection.platform)
            adapter = adapter_for(platform)
            credentials = self._credentials.open(connection)
        access = ConnectionAccess(adapter, credentials, connection_id, platform)
        result, _ = await self._attempt(organization_id, connection_id, access, operation)
        async with tenant_transaction(organization_id) as session:
            await record_success(session, organization_id, connection_id)
        return result

    async def _attempt(
        self,
        organization_id: UUID,
        connection_id: UUID,
        access: _Access,
        operation: Callable[[_Access], Awaitable[T]],
    ) -> tuple[T, _Access]:
        """``operation(access)``, made again once with refreshed credentials when the platform calls the token
        expired; the result and the access that worked. A failure is recorded and raised as the product's error."""
        try:
            return await operation(access), access
        except PlatformAuthError as error:
            if not error.refreshable:
                raise await self._failed(organization_id, connection_id, error) from None
            # Refreshed once; a refresh that fails records its own failure on the connection.
            access = replace(
                access, credentials=await self._refreshed(organization_id, connection_id, error, access.credentials)
            )
            try:
                return await operation(access), access
            except PlatformError as again:
                # A refusal of the fresh credentials too: no second refresh can do better, a person must reconnect.
                raise await self._failed(organization_id, connection_id, not_refreshable(again)) from None
        except PlatformError as error:
            raise await self._failed(organization_id, connection_id, error) from None

    async def _refreshed(
        self, organization_id: UUID, connection_id: UUID, error: PlatformAuthError, rejected: Credentials
    ) -> Credentials:
        """Fresh credentials after the platform refused ``rejected`` (a refresh records its own failures)."""
        fresh, refresh_error = await self._credentials.refresh_in_own_transaction(
            organization_id, connection_id, cause=error, rejected=rejected
        )
        if refresh_error is None:
            return fresh
        if isinstance(refresh_error, PlatformAuthError):
            raise access_revoked(refresh_error)
        raise refresh_error

    async def _failed(self, organization_id: UUID, connection_id: UUID, error: PlatformError) -> Exception:
        """The connection's health after a failed call, in a short transaction of its own; the error to raise."""
        try:
            async with self._credentials.own_transaction(organization_id) as session:
                connection = await ConnectionRepository(session).connection(organization_id, connection_id, lock=True)
                if connection is not None:
                    await apply_failure(session, connection, error, SYSTEM)
        except DBAPIError as exc:
            if not is_lock_timeout(exc):
                raise
            log.warning("connection.health_not_recorded", connection_id=str(connection_id), reason="lock timeout")
        return access_revoked(error) if isinstance(error, PlatformAuthError) else error

    # --- opening an account -------------------------------------------------------------------------------------

    async def _open_account(self, session: AsyncSession, organization_id: UUID, ad_account_id: UUID) -> AccountAccess:
        """Valid credentials for one managed ad account, refreshed first (committed on their own) when they expire
        within the margin.

        Raises ``AdAccountNotFound``; ``ConnectionNeedsReconnect`` when the connection needs reconnecting, was
        removed, or the account is not managed; a ``PlatformError`` when the credentials are expired and the platform
        could not refresh them just now (try again later).
        """
        repository = ConnectionRepository(session)
        account = await repository.account(organization_id, ad_account_id)
        if account is None:
            raise AdAccountNotFound()
        if account.connection_id is None:
            raise connection_removed()
        if not account.managed:
            raise ConnectionNeedsReconnect("This ad account is not managed.", reason="not_managed")
        connection = await repository.connection(organization_id, account.connection_id)
        if connection is None:
            raise connection_removed()
        ensure_usable(connection)
        adapter = adapter_for(Platform(connection.platform))
        credentials = await self._credentials.valid(connection)
        return AccountAccess(
            adapter=adapter,
            credentials=credentials,
            # The stored currency (read when the account was listed) saves the adapters a call on every read.
            account=AdAccountRef(
                account.platform_account_id,
                account.login_customer_id,
                account.currency or None,
                account.time_zone or None,
            ),
            ad_account=account_info(account),
        )

    # --- quotas -------------------------------------------------------------------------------------------------

    async def platform_quotas(self, session: AsyncSession) -> list[PlatformQuota]:
        """Each platform's daily quota: used, the limit, when the oldest counted hour leaves the window."""
        counted = {platform: (used, oldest) for platform, used, oldest in await platform_operations(session)}
        settings = get_settings()
        limits = {
            Platform.google: settings.google_daily_operations,
            Platform.meta: settings.meta_daily_operations,
            Platform.tiktok: settings.tiktok_daily_operations,
        }
        quotas = []
        for platform in Platform:
            used, oldest = counted.get(platform.value, (0, None))
            resets_at = oldest + timedelta(hours=24) if oldest is not None else None
            quotas.append(PlatformQuota(platform, used, limits[platform], resets_at))
        return quotas

    async def platforms_over_budget(self, session: AsyncSession, share: float) -> set[Platform]:
        """Platforms whose scheduled work should wait: more than ``share`` of the daily quota is used (the rest is
        kept for what people ask for)."""
        return {quota.platform for quota in await self.platform_quotas(session) if quota.over(share)}


platform_gateway = PlatformGateway(credential_service)
