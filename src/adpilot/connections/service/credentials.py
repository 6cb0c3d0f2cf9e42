"""The credential vault and the refresh of credentials.

Credentials are written in two ways on purpose. The connect flow writes them in the request's transaction. A refresh
(ahead of expiry, or after the platform rejected a token) writes them in a short transaction of its own, committed at
once under a row lock: a platform that rotates refresh tokens (TikTok) has already invalidated the old one, so the new
one must survive whatever happens to the caller's unit of work, and two workers must never rotate the same token.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from adpilot.audit import SYSTEM
from adpilot.config import get_settings
from adpilot.connections.errors import CredentialsUnreadable
from adpilot.connections.models import PlatformConnection
from adpilot.connections.repository import ConnectionRepository
from adpilot.connections.service.common import (
    ConnectionHealth,
    access_revoked,
    adapter_for,
    connection_removed,
    ensure_usable,
    is_lock_timeout,
    not_refreshable,
)
from adpilot.connections.service.health import apply_failure, log, set_health
from adpilot.core.time import utcnow
from adpilot.core.vault import CredentialVault, VaultDecryptionFailed
from adpilot.db import tenant_transaction
from adpilot.jobs import enqueue
from adpilot.platforms.errors import PlatformAuthError, PlatformError, PlatformUnavailable
from adpilot.platforms.types import Credentials, Platform

# A forced refresh (the platform rejected a token) is skipped when another worker refreshed this recently.
RECENT_REFRESH = timedelta(seconds=60)
# How long a refresh waits for another worker's refresh of the same connection before giving up for now.
REFRESH_LOCK_TIMEOUT = "30s"
REFRESH_CONNECTION_JOB = "connections.refresh_connection"
_CREDENTIALS_FORMAT = 1


def credential_vault() -> CredentialVault:
    """The vault with the configured keys (newest first)."""
    return _vault(tuple(get_settings().resolved_credential_keys()))


_vaults: dict[tuple[str, ...], CredentialVault] = {}


def _vault(keys: tuple[str, ...]) -> CredentialVault:
    vault = _vaults.get(keys)
    if vault is None:
        vault = _vaults[keys] = CredentialVault(keys)
    return vault


def seal_credentials(
    vault: CredentialVault, credentials: Credentials, organization_id: UUID, connection_id: UUID
) -> bytes:
    """Credentials as encrypted JSON, bound to their connection (a ciphertext copied to another row is refused)."""
    document = {
        "format": _CREDENTIALS_FORMAT,
        "organization_id": str(organization_id),
        "connection_id": str(connection_id),
        "access_token": credentials.access_token,
        "refresh_token": credentials.refresh_token,
        "expires_at": credentials.expires_at.isoformat() if credentials.expires_at else None,
        "refresh_token_expires_at": (
            credentials.refresh_token_expires_at.isoformat() if credentials.refresh_token_expires_at else None
        ),
        "scopes": list(credentials.scopes),
        "subject": credentials.subject,
    }
    return vault.encrypt(json.dumps(document, separators=(",", ":")).encode())


def open_credentials(
    vault: CredentialVault, ciphertext: bytes, organization_id: UUID, connection_id: UUID
) -> Credentials:
    document: dict[str, Any] = json.loads(vault.decrypt(ciphertext))
    if document.get("organization_id") != str(organization_id) or document.get("connection_id") != str(connection_id):
        raise VaultDecryptionFailed("these credentials belong to another connection")
    return Credentials(
        access_token=document["access_token"],
        refresh_token=document.get("refresh_token"),
        expires_at=_parse_time(document.get("expires_at")),
        refresh_token_expires_at=_parse_time(document.get("refresh_token_expires_at")),
        scopes=tuple(document.get("scopes") or ()),
        subject=document.get("subject"),
    )


def _parse_time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def refresh_due(credentials: Credentials) -> bool:
    margin = timedelta(minutes=get_settings().credential_refresh_margin_minutes)
    return credentials.expires_within(utcnow(), margin.total_seconds())


class CredentialService:
    """Opens and stores a connection's credentials, and refreshes them under the connection's row lock."""

    @staticmethod
    def open(connection: PlatformConnection) -> Credentials:
        """The stored credentials; ``CredentialsUnreadable`` (a clear 409, never a 500) when no configured key opens
        them (a key was removed from ``ADPILOT_CREDENTIAL_KEYS`` before ``adpilot keys rotate``)."""
        try:
            return open_credentials(
                credential_vault(), connection.credentials_ciphertext, connection.organization_id, connection.id
            )
        except VaultDecryptionFailed:
            raise CredentialsUnreadable(
                "This connection's stored credentials cannot be decrypted: no configured credential key opens them."
                " Restore the key that encrypted them, or connect the platform again.",
                reason="credentials_unreadable",
            ) from None

    @staticmethod
    def store(connection: PlatformConnection, credentials: Credentials, now: datetime) -> None:
        """Seal ``credentials`` onto the connection's row (in the caller's transaction)."""
        connection.credentials_ciphertext = seal_credentials(
            credential_vault(), credentials, connection.organization_id, connection.id
        )
        connection.token_expires_at = credentials.expires_at
        connection.refreshed_at = now

    async def valid(self, connection: PlatformConnection) -> Credentials:
        """The connection's credentials, refreshed first (in a transaction of their own) when they are due."""
        credentials = self.open(connection)
        if not refresh_due(credentials):
            return credentials
        try:
            fresh, error = await self.refresh_in_own_transaction(connection.organization_id, connection.id)
        except PlatformUnavailable as busy:  # another worker has been refreshing them for too long
            fresh, error = credentials, busy
        if error is None:
            return fresh
        if isinstance(error, PlatformAuthError):
            raise access_revoked(error)
        if credentials.expires_at is not None and credentials.expires_at > utcnow():
            return credentials  # refreshed ahead of expiry: the current token still works for now
        raise error

    @asynccontextmanager
    async def own_transaction(self, organization_id: UUID) -> AsyncIterator[AsyncSession]:
        """A short transaction of its own for writing a connection's row: it waits at most ``REFRESH_LOCK_TIMEOUT``
        for another worker's refresh holding the row."""
        async with tenant_transaction(organization_id) as session:
            await session.execute(text(f"SET LOCAL lock_timeout = '{REFRESH_LOCK_TIMEOUT}'"))
            yield session

    async def refresh_in_own_transaction(
        self,
        organization_id: UUID,
        connection_id: UUID,
        *,
        cause: PlatformAuthError | None = None,
        rejected: Credentials | None = None,
    ) -> tuple[Credentials, PlatformError | None]:
        """Refresh under the connection's row lock in a transaction committed at once (waits for another refresh).

        Raises ``ConnectionNeedsReconnect`` for a connection removed or needing a reconnect, ``PlatformUnavailable``
        when another worker's refresh holds the lock too long; a platform failure is recorded and returned.
        """
        try:
            async with self.own_transaction(organization_id) as session:
                connection = await ConnectionRepository(session).connection(organization_id, connection_id, lock=True)
                if connection is None:
                    raise connection_removed()
                ensure_usable(connection)
                return await self.refresh_locked(session, connection, cause=cause, rejected=rejected)
        except DBAPIError as exc:
            if is_lock_timeout(exc):
                raise PlatformUnavailable(
                    "The connection's credentials are being refreshed; try again shortly."
                ) from None
            raise

    async def refresh_locked(
        self,
        session: AsyncSession,
        connection: PlatformConnection,
        *,
        cause: PlatformAuthError | None = None,
        rejected: Credentials | None = None,
    ) -> tuple[Credentials, PlatformError | None]:
        """Refresh a locked connection's credentials when they are due, or because the platform refused them
        (``cause``, with the ``rejected`` credentials when known) unless another worker already replaced them.

        Returns the credentials to use and the platform error, if any: never raised, so that the caller's
        transaction commits the health change.
        """
        now = utcnow()
        current = self.open(connection)
        if cause is None:
            if not refresh_due(current):
                return current, None  # another worker refreshed them while this one waited for the lock
        elif rejected is not None:
            if rejected.access_token != current.access_token:
                return current, None  # the refused token was already replaced
        elif connection.refreshed_at is not None and now - connection.refreshed_at < RECENT_REFRESH:
            return current, None
        adapter = adapter_for(Platform(connection.platform))
        try:
            # The one platform call made under a row lock, on purpose: two workers must never rotate one token.
            fresh = await adapter.refresh(current)
        except PlatformError as error:
            await apply_failure(session, connection, error, SYSTEM)
            return current, error
        if cause is not None and fresh.access_token == current.access_token:
            # The platform's tokens do not expire (nothing to refresh), yet it refused this one: only a person can
            # grant access again.
            await apply_failure(session, connection, not_refreshable(cause), SYSTEM)
            return current, cause
        self.store(connection, fresh, now)
        if connection.health == ConnectionHealth.degraded:
            set_health(connection, ConnectionHealth.ok, None, now)
        connection.consecutive_failures = 0
        log.info(
            "connection.credentials_refreshed",
            organization_id=str(connection.organization_id),
            connection_id=str(connection.id),
            platform=connection.platform,
        )
        return fresh, None

    # --- the scheduled refresh ----------------------------------------------------------------------------------

    async def queue_due_refreshes(self, session: AsyncSession) -> int:
        """Queue a refresh for every connection whose credentials expire within the margin, across organizations."""
        margin = timedelta(minutes=get_settings().credential_refresh_margin_minutes)
        queued = 0
        for organization_id, connection_id in await ConnectionRepository(session).due_for_refresh(margin):
            try:
                async with session.begin_nested():
                    await enqueue(
                        session,
                        REFRESH_CONNECTION_JOB,
                        organization_id,
                        connection_id=str(connection_id),
                        queueing_lock=f"{REFRESH_CONNECTION_JOB}:{connection_id}",
                    )
            except IntegrityError:  # a refresh of this connection is already waiting in the queue
                continue
            queued += 1
        return queued

    async def refresh_connection(self, session: AsyncSession, organization_id: UUID, connection_id: UUID) -> None:
        """Refresh one connection's credentials if they are still due (the body of the refresh job).

        A connection another worker is refreshing right now is skipped. Platform failures are recorded on the
        connection, never raised: the job is not retried, the next scheduled pass looks again.
        """
        connection = await ConnectionRepository(session).connection(
            organization_id, connection_id, lock=True, skip_locked=True
        )
        if connection is None or connection.health == ConnectionHealth.needs_reconnect:
            return
        await self.refresh_locked(session, connection)


credential_service = CredentialService()
