"""Ad platform connections: the consent round trip, encrypted credentials, their refresh, ad accounts and health.

Credentials are written in two ways on purpose. The connect flow writes them in the request's transaction. A refresh
(ahead of expiry, or after the platform rejected a token) writes them in a short transaction of its own, committed at
once under a row lock: a platform that rotates refresh tokens (TikTok) has already invalidated the old one, so the new
one must survive whatever happens to the caller's unit of work, and two workers must never rotate the same token.
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
import re
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, TypeVar
from uuid import UUID, uuid4

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from adpilot.audit import SYSTEM, Actor, audit_service
from adpilot.config import get_settings
from adpilot.connections import adapters
from adpilot.connections.errors import (
    AdAccountNotFound,
    AdAccountsNotInConnection,
    AuthorizationCodeMissing,
    ConnectionDenied,
    ConnectionNeedsReconnect,
    ConnectionNotFound,
    ConnectionRejected,
    ConnectionStateInvalid,
    CredentialsUnreadable,
    ManagerAccountNotManageable,
    PlatformAppNotConfigured,
    PlatformUnreachable,
)
from adpilot.connections.models import AdAccount, OAuthState, PlatformConnection
from adpilot.connections.repository import ConnectionRepository, platform_operations
from adpilot.core.errors import AppError
from adpilot.core.logging import get_logger
from adpilot.core.security import token_digest
from adpilot.core.time import utcnow
from adpilot.core.vault import CredentialVault, VaultDecryptionFailed
from adpilot.db import get_database, set_tenant
from adpilot.jobs import enqueue
from adpilot.organizations import Permission, TenantContext
from adpilot.platforms.errors import (
    PlatformAuthError,
    PlatformError,
    PlatformRateLimited,
    PlatformRejected,
    PlatformUnavailable,
    RateLimiterWait,
)
from adpilot.platforms.port import AdPlatformAdapter
from adpilot.platforms.types import AdAccountRef, Credentials, Platform, RemoteAdAccount

log = get_logger(__name__)

STATE_MINUTES = 10
# Transient failures in a row before a connection is shown as degraded.
DEGRADED_AFTER_FAILURES = 3
# A forced refresh (the platform rejected a token) is skipped when another worker refreshed this recently.
RECENT_REFRESH = timedelta(seconds=60)
# How long a refresh waits for another worker's refresh of the same connection before giving up for now.
REFRESH_LOCK_TIMEOUT = "30s"
REFRESH_CONNECTION_JOB = "connections.refresh_connection"
SYNC_ENTITIES_JOB = "campaigns.sync_entities"
DISCOVER_ACCOUNTS_JOB = "connections.discover_accounts"
# Tries of a discovery the platform could not answer (it was unavailable) before it is shown as failed.
DISCOVERY_ATTEMPTS = 4
# The sync runs' rule for abandoned runs (campaigns, analytics): a discovery "running" for longer than this was
# abandoned by a worker that died, and one "queued" for longer lost its job; a new callback or refresh starts it over.
DISCOVERY_ABANDONED_AFTER = timedelta(hours=1)
DISCOVERY_QUEUED_ABANDONED_AFTER = timedelta(hours=24)
DISCOVERY_ABANDONED = "abandoned: no worker finished it"

# The subject of a login the platform does not name: a digest of the accounts it reached when first connected.
ACCOUNTS_SUBJECT = "accounts:"

AccountsManagedHook = Callable[[AsyncSession, UUID, Sequence[UUID]], Awaitable[None]]
_accounts_managed_hooks: list[AccountsManagedHook] = []


def on_accounts_managed(hook: AccountsManagedHook) -> AccountsManagedHook:
    """Register ``hook(session, organization_id, ad_account_ids)``: run when accounts become managed, in the same
    transaction (so whatever it queues exists if and only if the change commits)."""
    if hook not in _accounts_managed_hooks:
        _accounts_managed_hooks.append(hook)
    return hook


PLATFORM_TITLES = {Platform.google: "Google Ads", Platform.meta: "Meta Ads", Platform.tiktok: "TikTok Ads"}
_CREDENTIALS_FORMAT = 1
T = TypeVar("T")


class ConnectionHealth(StrEnum):
    ok = "ok"
    degraded = "degraded"
    needs_reconnect = "needs_reconnect"


class DiscoveryState(StrEnum):
    """Listing a login's ad accounts, a job queued when the login is connected."""

    queued = "queued"
    running = "running"
    succeeded = "succeeded"
    failed = "failed"


class FailureOutcome(StrEnum):
    """What a caller should do after ``record_platform_failure``."""

    retry_now = "retry_now"  # fresh credentials were obtained: the call may be made once more
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


# Ad accounts shown with a connection (a Google manager login can reach thousands): the rest are paged.
ACCOUNTS_PER_CONNECTION = 100


@dataclass(frozen=True)
class ConnectionDetails:
    connection: PlatformConnection
    # The first page of its accounts by name; ``accounts_next_after`` continues it.
    accounts: list[AdAccount]
    account_count: int = 0
    managed_account_count: int = 0
    accounts_next_after: tuple[str, UUID] | None = None


@dataclass(frozen=True)
class ConnectionOverview:
    connections: list[ConnectionDetails]
    # Connections a person must reconnect: the web app shows a notice while this is not zero.
    needs_reconnect_count: int
    # The last connection of this page's key, when more follow.
    next_after: tuple[datetime, UUID] | None = None


@dataclass(frozen=True)
class AccountPage:
    accounts: list[AdAccount]
    next_after: tuple[str, UUID] | None


@dataclass(frozen=True)
class AuthorizationStart:
    authorization_url: str
    expires_at: datetime


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


def pkce_challenge(verifier: str) -> str:
    """RFC 7636 S256: base64url(SHA-256(verifier)) without padding."""
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")


# RFC 6749 §4.1.2.1: the error codes a consent page sends back, as a person would say them.
_CONSENT_ERRORS = {
    "access_denied": "access was not granted on its consent page",
    "invalid_scope": "it did not accept the permissions adpilot asks for",
    "unauthorized_client": "it does not allow this app to ask for access",
    "unsupported_response_type": "it does not accept this kind of request",
    "invalid_request": "it found the request malformed",
    "server_error": "it failed on its side",
    "temporarily_unavailable": "it is temporarily unavailable",
}


def consent_refusal(platform: Platform, error: str, description: str | None) -> str:
    """What to tell a person whose consent round trip came back with an error, never the bare protocol code."""
    title = PLATFORM_TITLES[platform]
    reason = _CONSENT_ERRORS.get(error.strip().lower())
    sentence = f"{title} was not connected: {reason}." if reason else f"{title} was not connected."
    # A description in words is worth passing on; one that is itself a code ("user_denied") is not.
    if description and not re.fullmatch(r"[\w.-]+", description.strip()):
        sentence += f" {title} said: “{description.strip()[:300]}”"
    return sentence


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


class ConnectionService:
    # --- reading ----------------------------------------------------------------------------------------------

    async def overview(
        self,
        session: AsyncSession,
        tenant: TenantContext,
        *,
        after: tuple[datetime, UUID] | None = None,
        limit: int = 100,
    ) -> ConnectionOverview:
        """One page of the organization's connections (oldest first), each with the first page of its ad accounts,
        and how many connections need reconnecting."""
        tenant.require(Permission.connections_read)
        repository = ConnectionRepository(session)
        connections = await repository.connections_page(tenant.organization_id, after=after, limit=limit + 1)
        more = len(connections) > limit
        connections = connections[:limit]
        details = await self._details_of(session, tenant.organization_id, connections)
        needs_reconnect = await repository.needs_reconnect_count(tenant.organization_id)
        last = connections[-1] if more and connections else None
        return ConnectionOverview(details, needs_reconnect, (last.created_at, last.id) if last else None)

    async def list_accounts(
        self,
        session: AsyncSession,
        tenant: TenantContext,
        connection_id: UUID,
        *,
        after: tuple[str, UUID] | None,
        limit: int,
    ) -> AccountPage:
        """One page of a connection's ad accounts, by name."""
        tenant.require(Permission.connections_read)
        repository = ConnectionRepository(session)
        if await repository.connection(tenant.organization_id, connection_id) is None:
            raise ConnectionNotFound()
        return await self._accounts_page(repository, tenant.organization_id, connection_id, after, limit)

    async def get(self, session: AsyncSession, tenant: TenantContext, connection_id: UUID) -> ConnectionDetails:
        """One connection with its ad accounts."""
        tenant.require(Permission.connections_read)
        connection = await ConnectionRepository(session).connection(tenant.organization_id, connection_id)
        if connection is None:
            raise ConnectionNotFound()
        return await self._details(session, connection)

    async def get_ad_account(
        self, session: AsyncSession, organization_id: UUID, ad_account_id: UUID
    ) -> AdAccountInfo | None:
        """An ad account of the organization, managed or not, connected or not."""
        account = await ConnectionRepository(session).account(organization_id, ad_account_id)
        return _account_info(account) if account is not None else None

    async def list_managed_accounts(self, session: AsyncSession, organization_id: UUID) -> list[AdAccountInfo]:
        """The ad accounts people chose to manage, on live connections."""
        return [_account_info(a) for a in await ConnectionRepository(session).managed_accounts(organization_id)]

    async def managed_accounts_page(
        self, session: AsyncSession, organization_id: UUID, *, after: tuple[str, UUID] | None, limit: int
    ) -> tuple[list[AdAccountInfo], tuple[str, UUID] | None]:
        """One page of the managed accounts on live connections, by name, and the key of the next page's start."""
        rows = await ConnectionRepository(session).managed_accounts_page(organization_id, after=after, limit=limit + 1)
        more = len(rows) > limit
        accounts = [_account_info(a) for a in rows[:limit]]
        return accounts, ((accounts[-1].name, accounts[-1].id) if more and accounts else None)

    async def list_ad_accounts(self, session: AsyncSession, organization_id: UUID) -> list[AdAccountInfo]:
        """Every ad account of the organization, managed or not, connected or not (for names in reports)."""
        return [
            AdAccountInfo(**{**dict(row), "platform": Platform(row["platform"])})
            for row in await ConnectionRepository(session).account_rows(organization_id)
        ]

    async def connection_health(self, session: AsyncSession, organization_id: UUID) -> dict[UUID, ConnectionHealth]:
        """The health of each of the organization's connections, by connection id."""
        connections = await ConnectionRepository(session).list_connections(organization_id)
        return {connection.id: ConnectionHealth(connection.health) for connection in connections}

    # --- the connect flow -------------------------------------------------------------------------------------

    async def start_authorization(
        self, session: AsyncSession, tenant: TenantContext, platform: Platform
    ) -> AuthorizationStart:
        """The platform's consent page URL, with a state bound to this person, session and organization."""
        tenant.require(Permission.connections_manage)
        tenant.require_verified_email()
        adapter = self._adapter(platform)
        state = secrets.token_urlsafe(32)
        verifier = secrets.token_urlsafe(64) if adapter.supports_pkce else None
        redirect_uri = f"{get_settings().base_url}/connections/callback/{platform.value}"
        now = utcnow()
        repository = ConnectionRepository(session)
        await repository.delete_stale_states(tenant.organization_id, now - timedelta(days=1))
        row = OAuthState(
            organization_id=tenant.organization_id,
            user_id=tenant.user_id,
            session_id=tenant.session_id,
            platform=platform.value,
            state_hash=token_digest(state),
            code_verifier_ciphertext=credential_vault().encrypt(verifier.encode()) if verifier else None,
            redirect_uri=redirect_uri,
            expires_at=now + timedelta(minutes=STATE_MINUTES),
        )
        await repository.add(row)
        url = adapter.authorization_url(
            redirect_uri=redirect_uri, state=state, code_challenge=pkce_challenge(verifier) if verifier else None
        )
        log.info("connection.authorization_started", organization_id=str(tenant.organization_id), platform=platform)
        return AuthorizationStart(url, row.expires_at)

    async def complete_authorization(
        self,
        session: AsyncSession,
        tenant: TenantContext,
        platform: Platform,
        *,
        state: str,
        code: str | None,
        error: str | None = None,
        error_description: str | None = None,
    ) -> ConnectionDetails:
        """Finish the consent round trip: trade the code for credentials (one-time and short-lived, so at once) and
        store them encrypted; listing the login's ad accounts (a walk of Google's manager hierarchies) is a job.

        Connecting a login the organization already has (same platform user) replaces its credentials and makes it
        healthy again: that is how a connection is reconnected. A login that the platform names neither by a person
        nor by the accounts of its grant can only be told apart by its accounts: those are listed at once.
        """
        tenant.require(Permission.connections_manage)
        repository = ConnectionRepository(session)
        now = utcnow()
        pending = await repository.state_by_hash(tenant.organization_id, token_digest(state))
        if (
            pending is None
            or pending.platform != platform.value
            or pending.user_id != tenant.user_id
            or pending.session_id != tenant.session_id
            or pending.used_at is not None
            or pending.expires_at <= now
        ):
            raise ConnectionStateInvalid()
        pending.used_at = now
        if error is not None:
            raise ConnectionDenied(consent_refusal(platform, error, error_description))
        if not code:
            raise AuthorizationCodeMissing()
        vault = credential_vault()
        verifier = (
            vault.decrypt(pending.code_verifier_ciphertext).decode() if pending.code_verifier_ciphertext else None
        )
        adapter = self._adapter(platform)
        try:
            credentials = await adapter.exchange_code(code, redirect_uri=pending.redirect_uri, code_verifier=verifier)
            remote = (
                None if credentials.subject or credentials.account_ids else await adapter.list_ad_accounts(credentials)
            )
        except PlatformError as exc:
            log.warning(
                "connection.connect_failed",
                organization_id=str(tenant.organization_id),
                platform=platform,
                error=type(exc).__name__,
                detail=exc.detail,
            )
            raise _problem(exc) from None

        return await self.store_connection(session, tenant, platform, credentials, remote)

    async def store_connection(
        self,
        session: AsyncSession,
        tenant: TenantContext,
        platform: Platform,
        credentials: Credentials,
        remote: Sequence[RemoteAdAccount] | None,
    ) -> ConnectionDetails:
        """Keep a login's credentials (encrypted) and its ad accounts: a new connection, or a reconnect of the
        organization's connection for the same platform login. The end of the consent round trip; the demo seeds
        its sandbox connections through it too.

        Without ``remote`` the accounts are not known yet: a discovery job is queued in this transaction.
        """
        tenant.require(Permission.connections_manage)
        repository = ConnectionRepository(session)
        vault = credential_vault()
        now = utcnow()
        known_ids = [a.account_id for a in remote] if remote is not None else list(credentials.account_ids)
        subject = credentials.subject or _accounts_digest(known_ids)
        display_name = _display_name(platform, remote, subject) if remote is not None else PLATFORM_TITLES[platform]
        connection = await repository.connection_by_subject(tenant.organization_id, platform.value, subject)
        if connection is None and credentials.subject is None:
            # A login the platform does not name (TikTok advertiser tokens) is known by its
            # accounts. Reconnecting after it gained or lost one must still find it: the connection that reaches
            # any of the same accounts is this login.
            connection = await repository.connection_reaching(
                tenant.organization_id, platform.value, ACCOUNTS_SUBJECT, known_ids
            )
            if connection is not None:
                connection.subject = subject
        reconnected = connection is not None
        if connection is None:
            new_id = uuid4()
            inserted = await repository.insert_connection_if_absent(
                PlatformConnection(
                    id=new_id,
                    organization_id=tenant.organization_id,
                    platform=platform.value,
                    subject=subject,
                    display_name=display_name,
                    credentials_ciphertext=seal_credentials(vault, credentials, tenant.organization_id, new_id),
                    token_expires_at=credentials.expires_at,
                    refreshed_at=now,
                    health=ConnectionHealth.ok.value,
                    consecutive_failures=0,
                    created_by_user_id=tenant.user_id,
                )
            )
            connection = await repository.connection_by_subject(tenant.organization_id, platform.value, subject)
            if connection is None:  # pragma: no cover - it was inserted or already there, and rows are not deleted
                raise ConnectionStateInvalid()
            reconnected = not inserted
        previous_health = connection.health
        if reconnected:
            self._store(connection, credentials, now)
            if remote is not None:
                connection.display_name = display_name
            connection.consecutive_failures = 0
            _set_health(connection, ConnectionHealth.ok, None, now)
        if remote is not None:
            connection.discovery_state = DiscoveryState.succeeded.value
            connection.discovery_accounts_found = len(remote)
            connection.discovery_queued_at = None
            connection.discovery_started_at = connection.discovery_finished_at = now
            connection.discovery_error = None
        await session.flush()
        if remote is not None:
            await repository.upsert_accounts(tenant.organization_id, connection.id, platform.value, remote, now)
        else:
            # A reconnect while a discovery is under way leaves it be: it opens the credentials when it runs.
            await self._queue_discovery(session, tenant.organization_id, connection, refresh=False, now=now)
        await audit_service.record(
            session,
            tenant.organization_id,
            tenant.actor,
            "connection.reconnected" if reconnected else "connection.connected",
            target_type="connection",
            target_id=connection.id,
            before={"health": previous_health} if reconnected else None,
            after={
                "platform": platform.value,
                "display_name": display_name,
                "subject": subject,
                "ad_accounts": len(remote) if remote is not None else None,
            },
        )
        log.info(
            "connection.reconnected" if reconnected else "connection.connected",
            organization_id=str(tenant.organization_id),
            connection_id=str(connection.id),
            platform=platform,
            ad_accounts=len(remote) if remote is not None else None,
        )
        return await self._details(session, connection)

    # --- account discovery (a job) ----------------------------------------------------------------------------

    async def _queue_discovery(
        self,
        session: AsyncSession,
        organization_id: UUID,
        connection: PlatformConnection,
        *,
        refresh: bool,
        now: datetime,
    ) -> bool:
        """Queue the discovery job for a connection (locked or just written by the caller), in the caller's
        transaction; False when one is already queued or running (never two at once).

        One left running by a worker that died, or queued while its job was lost (the sync runs' rule), is ended as
        failed, audited, and started over.
        """
        if connection.discovery_state in (DiscoveryState.queued.value, DiscoveryState.running.value):
            if not _discovery_abandoned(connection, now):
                return False
            connection.discovery_state = DiscoveryState.failed.value
            connection.discovery_error = DISCOVERY_ABANDONED
            connection.discovery_finished_at = now
            await self._audit_discovery(session, connection)
            log.warning(
                "connection.discovery_abandoned",
                organization_id=str(organization_id),
                connection_id=str(connection.id),
            )
        connection.discovery_state = DiscoveryState.queued.value
        connection.discovery_accounts_found = 0
        connection.discovery_error = None
        connection.discovery_queued_at = now
        connection.discovery_started_at = connection.discovery_finished_at = None
        await session.flush()
        # The same transaction as the connection's state: the job exists if and only if the state says queued.
        await enqueue(
            session,
            DISCOVER_ACCOUNTS_JOB,
            organization_id,
            connection_id=str(connection.id),
            refresh=refresh,
            lock=_discovery_lock(connection),
        )
        return True

    @staticmethod
    async def _audit_discovery(
        session: AsyncSession, connection: PlatformConnection, no_longer_reachable: int | None = None
    ) -> None:
        """A discovery that ended: succeeded with the accounts it listed, or failed with the reason."""
        succeeded = connection.discovery_state == DiscoveryState.succeeded.value
        after: dict[str, Any] = (
            {"ad_accounts": connection.discovery_accounts_found} if succeeded else {"error": connection.discovery_error}
        )
        if succeeded and no_longer_reachable is not None:
            after["no_longer_reachable"] = no_longer_reachable
        await audit_service.record(
            session,
            connection.organization_id,
            SYSTEM,
            "connection.accounts_discovered" if succeeded else "connection.discovery_failed",
            target_type="connection",
            target_id=connection.id,
            after={"display_name": connection.display_name, **after},
        )

    async def discover_accounts(
        self, organization_id: UUID, connection_id: UUID, attempt: int = 1, *, refresh: bool = False
    ) -> None:
        """List a connection's ad accounts (the body of the discovery job), in short transactions of its own so that
        its progress is visible while the platform is asked. ``refresh`` (a person asked to list them again): the
        accounts the login no longer reaches become inactive.

        A wait the rate limiter asks for, or a platform that is briefly unavailable, queues the job again for later
        (no worker slot sleeps); other failures end it as failed, with the reason, and tell the connection's health.
        """
        async with self._tenant_transaction(organization_id) as session:
            connection = await ConnectionRepository(session).connection(organization_id, connection_id, lock=True)
            if connection is None or connection.discovery_state not in (
                DiscoveryState.queued.value,
                DiscoveryState.running.value,
            ):
                return  # disconnected, or already done (a job queued twice)
            connection.discovery_state = DiscoveryState.running.value
            connection.discovery_started_at = utcnow()
            connection.discovery_error = None
            platform = Platform(connection.platform)
        try:
            adapter = self._adapter(platform)
            async with self._tenant_transaction(organization_id) as session:
                connection = await ConnectionRepository(session).connection(organization_id, connection_id)
                if connection is None:
                    return
                _ensure_usable(connection)
                # As exchanged (or last refreshed): a token that has expired meanwhile is refreshed on refusal.
                credentials = self._open(connection)
            try:
                remote = await adapter.list_ad_accounts(credentials)
            except PlatformAuthError as error:
                if not error.refreshable:
                    raise
                fresh, refresh_error = await self._refresh_in_own_transaction(
                    organization_id, connection_id, cause=error, rejected=credentials
                )
                if refresh_error is not None:
                    raise refresh_error from None
                remote = await adapter.list_ad_accounts(fresh)
        except PlatformError as error:
            await self._discovery_failed(organization_id, connection_id, error, error.detail, attempt, refresh)
            return
        except AppError as error:  # needs reconnecting, unreadable credentials, platform no longer configured
            reason = error.detail or error.title
            await self._discovery_failed(organization_id, connection_id, None, reason, attempt, refresh)
            return
        now = utcnow()
        async with self._tenant_transaction(organization_id) as session:
            repository = ConnectionRepository(session)
            connection = await repository.connection(organization_id, connection_id, lock=True)
            if connection is None:
                return
            await repository.upsert_accounts(organization_id, connection.id, platform.value, remote, now)
            vanished = (
                await repository.mark_unreachable(organization_id, connection.id, [a.account_id for a in remote], now)
                if refresh
                else None
            )
            connection.display_name = _display_name(platform, remote, connection.subject)
            connection.discovery_state = DiscoveryState.succeeded.value
            connection.discovery_accounts_found = len(remote)
            connection.discovery_finished_at = now
            await self._audit_discovery(session, connection, vanished)
            await self.record_platform_success(session, organization_id, connection.id)
        log.info(
            "connection.accounts_discovered",
            organization_id=str(organization_id),
            connection_id=str(connection_id),
            platform=platform,
            ad_accounts=len(remote),
        )

    async def _discovery_failed(
        self,
        organization_id: UUID,
        connection_id: UUID,
        error: PlatformError | None,
        reason: str,
        attempt: int,
        refresh: bool,
    ) -> None:
        async with self._tenant_transaction(organization_id) as session:
            connection = await ConnectionRepository(session).connection(organization_id, connection_id, lock=True)
            if connection is None:
                return
            later: float | None = None
            if isinstance(error, PlatformRateLimited):
                # The platform's (or our limiter's) quota is spent for now: ask again when it says, without
                # holding a worker slot meanwhile.
                later = error.retry_after if error.retry_after is not None else 60.0
            elif isinstance(error, PlatformUnavailable) and attempt < DISCOVERY_ATTEMPTS:
                later = 5.0 * 2**attempt
                attempt += 1
            if later is not None:
                connection.discovery_state = DiscoveryState.queued.value
                # Queued again: it counts as queued from now (it may wait as long as the platform asks, within a day).
                connection.discovery_queued_at = utcnow()
                await enqueue(
                    session,
                    DISCOVER_ACCOUNTS_JOB,
                    organization_id,
                    connection_id=str(connection_id),
                    attempt=attempt,
                    refresh=refresh,
                    lock=_discovery_lock(connection),
                    scheduled_at=utcnow() + timedelta(seconds=later),
                )
            else:
                connection.discovery_state = DiscoveryState.failed.value
                connection.discovery_error = f"The ad accounts could not be listed: {reason}"[:1000]
                connection.discovery_finished_at = utcnow()
                await self._audit_discovery(session, connection)
            if error is not None:
                await self._apply_failure(session, connection, _not_refreshable(error), SYSTEM)
        log.warning(
            "connection.discovery_failed" if later is None else "connection.discovery_deferred",
            organization_id=str(organization_id),
            connection_id=str(connection_id),
            error=type(error).__name__ if error is not None else None,
            retry_in=later,
        )

    @asynccontextmanager
    async def _tenant_transaction(self, organization_id: UUID) -> AsyncIterator[AsyncSession]:
        async with get_database().transaction() as session:
            await set_tenant(session, organization_id)
            yield session

    # --- ad accounts ------------------------------------------------------------------------------------------

    async def set_managed_accounts(
        self, session: AsyncSession, tenant: TenantContext, connection_id: UUID, account_ids: Sequence[UUID]
    ) -> ConnectionDetails:
        """Choose which of the connection's ad accounts are managed; newly managed ones get a first sync."""
        tenant.require(Permission.connections_manage)
        repository = ConnectionRepository(session)
        connection = await repository.connection(tenant.organization_id, connection_id, lock=True)
        if connection is None:
            raise ConnectionNotFound()
        accounts = {a.id: a for a in await repository.accounts_of(tenant.organization_id, [connection.id])}
        wanted = list(dict.fromkeys(account_ids))
        unknown = [str(i) for i in wanted if i not in accounts]
        if unknown:
            raise AdAccountsNotInConnection(f"Not accounts of this connection: {', '.join(unknown[:20])}")
        managers = [accounts[i].platform_account_id for i in wanted if accounts[i].is_manager]
        if managers:
            raise ManagerAccountNotManageable(f"Manager accounts: {', '.join(managers[:20])}")
        before = sorted(a.platform_account_id for a in accounts.values() if a.managed)
        newly_managed = [i for i in wanted if not accounts[i].managed]
        await repository.set_managed(tenant.organization_id, connection.id, wanted)
        after = sorted(accounts[i].platform_account_id for i in wanted)
        if before != after:
            await audit_service.record(
                session,
                tenant.organization_id,
                tenant.actor,
                "connection.accounts_changed",
                target_type="connection",
                target_id=connection.id,
                before={"managed": before},
                after={"managed": after},
            )
        if newly_managed:
            await self._on_accounts_managed(session, tenant, newly_managed)
        return await self._details(session, connection)

    async def _on_accounts_managed(
        self, session: AsyncSession, tenant: TenantContext, account_ids: Sequence[UUID]
    ) -> None:
        """Accounts a person just chose to manage get their first sync, in the caller's transaction.

        The modules that sync accounts register a hook (``on_accounts_managed``), so this module depends on none of
        them. Without one (a process that never imported the campaigns module), the entity sync job is queued by name.
        """
        if _accounts_managed_hooks:
            for hook in _accounts_managed_hooks:
                await hook(session, tenant.organization_id, account_ids)
            return
        for account_id in account_ids:
            await enqueue(
                session, SYNC_ENTITIES_JOB, tenant.organization_id, ad_account_id=str(account_id), trigger="connect"
            )

    async def refresh_accounts(
        self, session: AsyncSession, tenant: TenantContext, connection_id: UUID
    ) -> ConnectionDetails:
        """Queue a discovery that lists the login's ad accounts again: new ones appear unmanaged, vanished ones become
        inactive. One already queued or running is the answer, rather than a second.

        What can be told without the platform is told at once: a connection that needs reconnecting, credentials no
        configured key opens, a platform no longer configured.
        """
        tenant.require(Permission.connections_manage)
        repository = ConnectionRepository(session)
        connection = await repository.connection(tenant.organization_id, connection_id, lock=True)
        if connection is None:
            raise ConnectionNotFound()
        _ensure_usable(connection)
        self._adapter(Platform(connection.platform))
        self._open(connection)
        if await self._queue_discovery(session, tenant.organization_id, connection, refresh=True, now=utcnow()):
            await audit_service.record(
                session,
                tenant.organization_id,
                tenant.actor,
                "connection.accounts_refreshed",
                target_type="connection",
                target_id=connection.id,
                after={"discovery": DiscoveryState.queued.value},
            )
        return await self._details(session, connection)

    # --- disconnect -------------------------------------------------------------------------------------------

    async def disconnect(self, session: AsyncSession, tenant: TenantContext, connection_id: UUID) -> None:
        """Revoke the grant at the platform (best effort) and delete the credentials; the ad accounts stay."""
        tenant.require(Permission.connections_manage)
        repository = ConnectionRepository(session)
        connection = await repository.connection(tenant.organization_id, connection_id, lock=True)
        if connection is None:
            raise ConnectionNotFound()
        platform = Platform(connection.platform)
        revoke_error: str | None = None
        try:
            credentials = self._open(connection)
            await self._adapter(platform).revoke(credentials)
        except PlatformError as exc:
            revoke_error = f"{type(exc).__name__}: {exc.detail}"[:500]
        except CredentialsUnreadable:
            revoke_error = "the stored credentials could not be decrypted with the configured keys"
        except PlatformAppNotConfigured:
            revoke_error = "the platform is not configured on this server"
        accounts = await repository.accounts_of(tenant.organization_id, [connection.id])
        await repository.release_accounts(tenant.organization_id, connection.id)
        await repository.delete_connection(connection)
        await audit_service.record(
            session,
            tenant.organization_id,
            tenant.actor,
            "connection.disconnected",
            target_type="connection",
            target_id=connection_id,
            before={
                "platform": platform.value,
                "display_name": connection.display_name,
                "subject": connection.subject,
                "managed": sorted(a.platform_account_id for a in accounts if a.managed),
            },
            after={"revoked": revoke_error is None, "revoke_error": revoke_error},
        )
        log.info(
            "connection.disconnected",
            organization_id=str(tenant.organization_id),
            connection_id=str(connection_id),
            platform=platform,
            revoked=revoke_error is None,
        )

    # --- credentials for other modules ------------------------------------------------------------------------

    async def open_account(self, session: AsyncSession, organization_id: UUID, ad_account_id: UUID) -> AccountAccess:
        """Valid credentials for one managed ad account, refreshed first when they expire within the margin.

        Raises ``AdAccountNotFound``; ``ConnectionNeedsReconnect`` when the connection needs reconnecting, was
        removed, or the account is not managed; a ``PlatformError`` when the credentials are expired and the platform
        could not refresh them just now (try again later). A refresh commits on its own (see the module docstring):
        call this before writing the connection's row in your transaction.
        """
        repository = ConnectionRepository(session)
        account = await repository.account(organization_id, ad_account_id)
        if account is None:
            raise AdAccountNotFound()
        if account.connection_id is None:
            raise _connection_removed()
        if not account.managed:
            raise ConnectionNeedsReconnect("This ad account is not managed.", reason="not_managed")
        connection = await repository.connection(organization_id, account.connection_id)
        if connection is None:
            raise _connection_removed()
        _ensure_usable(connection)
        adapter = self._adapter(Platform(connection.platform))
        credentials = await self._valid_credentials(connection)
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
            ad_account=_account_info(account),
        )

    async def record_platform_success(
        self, session: AsyncSession, organization_id: UUID, connection_id: UUID | None
    ) -> None:
        """A call with the connection's credentials worked: a degraded connection is healthy again.

        A connection that needs reconnecting stays so until a person reconnects it.
        """
        if connection_id is None:
            return
        changed = await ConnectionRepository(session).mark_healthy(organization_id, connection_id, utcnow())
        if changed:
            log.info("connection.healthy", organization_id=str(organization_id), connection_id=str(connection_id))

    async def record_platform_failure(
        self,
        session: AsyncSession,
        organization_id: UUID,
        connection_id: UUID | None,
        error: PlatformError,
        *,
        rejected: Credentials | None = None,
    ) -> FailureOutcome:
        """Tell the connection's health what a call with its credentials ran into, and what to do next.

        A rejected token that a refresh may fix is refreshed once (committed on its own): ``retry_now`` when that
        worked. A token no refresh can fix, or a failed refresh, means a person must reconnect (audited, and shown
        as a notice). Transient failures count; the third in a row marks the connection degraded. Written in the
        caller's transaction otherwise: commit it (do not re-raise inside it) or the health change is lost.
        ``rejected`` (the credentials the platform refused, when known) refreshes them even right after another
        refresh, unless they were already replaced.
        """
        if connection_id is None:
            return FailureOutcome.reconnect
        if isinstance(error, PlatformAuthError) and error.refreshable:
            try:
                _, refresh_error = await self._refresh_in_own_transaction(
                    organization_id, connection_id, cause=error, rejected=rejected
                )
            except ConnectionNeedsReconnect:
                return FailureOutcome.reconnect
            except PlatformUnavailable:
                return FailureOutcome.retry_later
            if refresh_error is None:
                return FailureOutcome.retry_now
            return _outcome(refresh_error)
        connection = await ConnectionRepository(session).connection(organization_id, connection_id, lock=True)
        if connection is None:
            return FailureOutcome.reconnect
        return await self._apply_failure(session, connection, error, SYSTEM)

    async def call_with_refresh(
        self, organization_id: UUID, access: AccountAccess, call: Callable[[AccountAccess], Awaitable[T]]
    ) -> T:
        """``call(access)`` outside any transaction; when the platform calls the access token expired, the
        credentials are refreshed once (committed on their own) and the call is made again with them.

        Any other ``PlatformError`` (and an auth error no refresh fixed) is raised for the caller to record.
        """
        try:
            return await call(access)
        except PlatformAuthError as error:
            if not error.refreshable:
                raise
            async with get_database().transaction() as session:
                await set_tenant(session, organization_id)
                outcome = await self.record_platform_failure(
                    session, organization_id, access.ad_account.connection_id, error, rejected=access.credentials
                )
            if outcome is not FailureOutcome.retry_now:
                raise
            async with get_database().transaction() as session:
                await set_tenant(session, organization_id)
                access = await self.open_account(session, organization_id, access.ad_account.id)
            return await call(access)

    # --- the refresh job --------------------------------------------------------------------------------------

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
        await self._refresh_locked(session, connection)

    # --- internals --------------------------------------------------------------------------------------------

    @staticmethod
    def _adapter(platform: Platform) -> AdPlatformAdapter:
        try:
            return adapters.get_adapter(platform)
        except adapters.PlatformNotConfigured as exc:
            raise PlatformAppNotConfigured(str(exc)) from None

    @staticmethod
    def _open(connection: PlatformConnection) -> Credentials:
        """The stored credentials; ``ConnectionNeedsReconnect`` when no configured key opens them (a key was
        removed from ``ADPILOT_CREDENTIAL_KEYS`` before ``adpilot keys rotate``): a clear 409, never a 500."""
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
    def _store(connection: PlatformConnection, credentials: Credentials, now: datetime) -> None:
        connection.credentials_ciphertext = seal_credentials(
            credential_vault(), credentials, connection.organization_id, connection.id
        )
        connection.token_expires_at = credentials.expires_at
        connection.refreshed_at = now

    async def _details(self, session: AsyncSession, connection: PlatformConnection) -> ConnectionDetails:
        [details] = await self._details_of(session, connection.organization_id, [connection])
        return details

    async def _details_of(
        self, session: AsyncSession, organization_id: UUID, connections: Sequence[PlatformConnection]
    ) -> list[ConnectionDetails]:
        repository = ConnectionRepository(session)
        counts = await repository.account_counts(organization_id, [c.id for c in connections])
        details = []
        for connection in connections:
            page = await self._accounts_page(repository, organization_id, connection.id, None, ACCOUNTS_PER_CONNECTION)
            total, managed = counts.get(connection.id, (0, 0))
            details.append(ConnectionDetails(connection, page.accounts, total, managed, page.next_after))
        return details

    @staticmethod
    async def _accounts_page(
        repository: ConnectionRepository,
        organization_id: UUID,
        connection_id: UUID,
        after: tuple[str, UUID] | None,
        limit: int,
    ) -> AccountPage:
        accounts = await repository.accounts_page(organization_id, connection_id, after=after, limit=limit + 1)
        more = len(accounts) > limit
        accounts = accounts[:limit]
        return AccountPage(accounts, (accounts[-1].name, accounts[-1].id) if more and accounts else None)

    async def _valid_credentials(self, connection: PlatformConnection) -> Credentials:
        """The connection's credentials, refreshed first (in a transaction of their own) when they are due."""
        credentials = self._open(connection)
        if not _refresh_due(credentials):
            return credentials
        try:
            fresh, error = await self._refresh_in_own_transaction(connection.organization_id, connection.id)
        except PlatformUnavailable as busy:  # another worker has been refreshing them for too long
            fresh, error = credentials, busy
        if error is None:
            return fresh
        if isinstance(error, PlatformAuthError):
            raise _access_revoked(error)
        if credentials.expires_at is not None and credentials.expires_at > utcnow():
            return credentials  # refreshed ahead of expiry: the current token still works for now
        raise error

    @asynccontextmanager
    async def _own_transaction(self, organization_id: UUID) -> AsyncIterator[AsyncSession]:
        async with get_database().transaction() as session:
            await set_tenant(session, organization_id)
            await session.execute(text(f"SET LOCAL lock_timeout = '{REFRESH_LOCK_TIMEOUT}'"))
            yield session

    async def _refresh_in_own_transaction(
        self,
        organization_id: UUID,
        connection_id: UUID,
        *,
        cause: PlatformAuthError | None = None,
        rejected: Credentials | None = None,
    ) -> tuple[Credentials, PlatformError | None]:
        """Refresh under the connection's row lock in a transaction committed at once (waits for another refresh)."""
        try:
            async with self._own_transaction(organization_id) as session:
                connection = await ConnectionRepository(session).connection(organization_id, connection_id, lock=True)
                if connection is None:
                    raise _connection_removed()
                _ensure_usable(connection)
                return await self._refresh_locked(session, connection, cause=cause, rejected=rejected)
        except DBAPIError as exc:
            if _is_lock_timeout(exc):
                raise PlatformUnavailable(
                    "The connection's credentials are being refreshed; try again shortly."
                ) from None
            raise

    async def _refresh_locked(
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
        current = self._open(connection)
        if cause is None:
            if not _refresh_due(current):
                return current, None  # another worker refreshed them while this one waited for the lock
        elif rejected is not None:
            if rejected.access_token != current.access_token:
                return current, None  # the refused token was already replaced
        elif connection.refreshed_at is not None and now - connection.refreshed_at < RECENT_REFRESH:
            return current, None
        adapter = self._adapter(Platform(connection.platform))
        try:
            fresh = await adapter.refresh(current)
        except PlatformError as error:
            await self._apply_failure(session, connection, error, SYSTEM)
            return current, error
        if cause is not None and fresh.access_token == current.access_token:
            # The platform's tokens do not expire (nothing to refresh), yet it refused this one: only a person can
            # grant access again.
            await self._apply_failure(session, connection, _not_refreshable(cause), SYSTEM)
            return current, cause
        self._store(connection, fresh, now)
        if connection.health == ConnectionHealth.degraded:
            _set_health(connection, ConnectionHealth.ok, None, now)
        connection.consecutive_failures = 0
        log.info(
            "connection.credentials_refreshed",
            organization_id=str(connection.organization_id),
            connection_id=str(connection.id),
            platform=connection.platform,
        )
        return fresh, None

    async def _apply_failure(
        self, session: AsyncSession, connection: PlatformConnection, error: PlatformError, actor: Actor
    ) -> FailureOutcome:
        now = utcnow()
        title = PLATFORM_TITLES[Platform(connection.platform)]
        if isinstance(error, PlatformRejected):
            return FailureOutcome.rejected
        if isinstance(error, RateLimiterWait):
            return FailureOutcome.retry_later  # our own limiter said "later": nothing was sent, nothing failed
        if isinstance(error, PlatformAuthError):
            if connection.health != ConnectionHealth.needs_reconnect:
                reason = f"{title} no longer accepts this connection's access: {error.detail}"[:1000]
                previous = connection.health
                _set_health(connection, ConnectionHealth.needs_reconnect, reason, now)
                await session.flush()
                await audit_service.record(
                    session,
                    connection.organization_id,
                    actor,
                    "connection.needs_reconnect",
                    target_type="connection",
                    target_id=connection.id,
                    before={"health": previous},
                    after={"health": ConnectionHealth.needs_reconnect.value, "reason": reason},
                )
                log.warning(
                    "connection.needs_reconnect",
                    organization_id=str(connection.organization_id),
                    connection_id=str(connection.id),
                    platform=connection.platform,
                    error=type(error).__name__,
                )
            return FailureOutcome.reconnect
        connection.consecutive_failures += 1
        if connection.consecutive_failures >= DEGRADED_AFTER_FAILURES and connection.health == ConnectionHealth.ok:
            reason = f"{title} failed {connection.consecutive_failures} times in a row: {error.detail}"[:1000]
            _set_health(connection, ConnectionHealth.degraded, reason, now)
            log.warning(
                "connection.degraded",
                organization_id=str(connection.organization_id),
                connection_id=str(connection.id),
                platform=connection.platform,
            )
        await session.flush()
        return FailureOutcome.retry_later

    async def _record_failure_in_own_transaction(
        self, organization_id: UUID, connection_id: UUID, error: PlatformError, actor: Actor
    ) -> None:
        """For a request about to answer with an error (its own transaction rolls back): the health change stays."""
        try:
            async with self._own_transaction(organization_id) as session:
                connection = await ConnectionRepository(session).connection(organization_id, connection_id, lock=True)
                if connection is not None:
                    await self._apply_failure(session, connection, error, actor)
        except DBAPIError as exc:
            if not _is_lock_timeout(exc):
                raise
            log.warning("connection.health_not_recorded", connection_id=str(connection_id), reason="lock timeout")

    async def _call_for_person(
        self,
        session: AsyncSession,
        tenant: TenantContext,
        connection: PlatformConnection,
        call: Callable[[Credentials], Awaitable[T]],
    ) -> T:
        """Call the platform with the connection's credentials on a person's behalf; failures become problems.

        A refreshable rejection is refreshed and retried once. The request answers a failure with an error, so its
        transaction rolls back: the health change is committed on its own (a refresh records its own failures).
        """
        _ensure_usable(connection)
        try:
            credentials = await self._valid_credentials(connection)
        except PlatformError as error:
            raise _problem(error) from None
        try:
            try:
                return await self._succeeded(session, connection, await call(credentials))
            except PlatformAuthError as error:
                if not error.refreshable:
                    raise
                rejected = error
            fresh, refresh_error = await self._refresh_in_own_transaction(
                connection.organization_id, connection.id, cause=rejected, rejected=credentials
            )
            if refresh_error is not None:
                if isinstance(refresh_error, PlatformAuthError):
                    raise _access_revoked(refresh_error) from None
                raise _problem(refresh_error) from None
            return await self._succeeded(session, connection, await call(fresh))
        except PlatformError as error:
            if not isinstance(error, PlatformRejected):
                await self._record_failure_in_own_transaction(
                    connection.organization_id, connection.id, _not_refreshable(error), tenant.actor
                )
            if isinstance(error, PlatformAuthError):
                raise _access_revoked(error) from None
            raise _problem(error) from None

    async def _succeeded(self, session: AsyncSession, connection: PlatformConnection, result: T) -> T:
        await self.record_platform_success(session, connection.organization_id, connection.id)
        return result

    # --- quotas ----------------------------------------------------------------------------------------------------

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


def _ensure_usable(connection: PlatformConnection) -> None:
    if connection.health == ConnectionHealth.needs_reconnect:
        raise ConnectionNeedsReconnect(
            connection.health_reason or "This connection needs reconnecting.", reason="needs_reconnect"
        )


def discovery_as_seen(connection: PlatformConnection, now: datetime) -> tuple[DiscoveryState, str | None]:
    """A connection's discovery state and error as people should see them: one abandoned (its worker died, its job
    was lost) reads as failed, so that nobody waits for it; the next callback or refresh starts it over."""
    state = DiscoveryState(connection.discovery_state)
    if state in (DiscoveryState.queued, DiscoveryState.running) and _discovery_abandoned(connection, now):
        return DiscoveryState.failed, DISCOVERY_ABANDONED
    return state, connection.discovery_error


def _discovery_abandoned(connection: PlatformConnection, now: datetime) -> bool:
    if connection.discovery_state == DiscoveryState.queued.value:
        queued_at = connection.discovery_queued_at
        return queued_at is None or now - queued_at > DISCOVERY_QUEUED_ABANDONED_AFTER
    started_at = connection.discovery_started_at
    return started_at is None or now - started_at > DISCOVERY_ABANDONED_AFTER


def _discovery_lock(connection: PlatformConnection) -> str:
    """One discovery of a connection at a time; a discovery started over does not wait behind the job of a worker
    that died (still "doing" in the queue), so each start has its own lock."""
    queued_at = connection.discovery_queued_at or utcnow()
    return f"discovery:{connection.id}:{queued_at.timestamp():.6f}"


def _connection_removed() -> ConnectionNeedsReconnect:
    return ConnectionNeedsReconnect("This connection was removed; connect the platform again.", reason="disconnected")


def _access_revoked(error: PlatformAuthError) -> ConnectionNeedsReconnect:
    """The platform no longer accepts the connection's access and no refresh fixed it."""
    return ConnectionNeedsReconnect(error.detail, reason="needs_reconnect")


def _refresh_due(credentials: Credentials) -> bool:
    margin = timedelta(minutes=get_settings().credential_refresh_margin_minutes)
    return credentials.expires_within(utcnow(), margin.total_seconds())


def _set_health(connection: PlatformConnection, health: ConnectionHealth, reason: str | None, now: datetime) -> None:
    if connection.health != health.value:
        connection.health_changed_at = now
    connection.health = health.value
    connection.health_reason = reason


def _not_refreshable(error: PlatformError) -> PlatformError:
    """An auth failure that a refresh already failed to fix (other errors unchanged)."""
    if not isinstance(error, PlatformAuthError) or not error.refreshable:
        return error
    return PlatformAuthError(
        error.detail, refreshable=False, platform_code=error.platform_code, request_id=error.request_id
    )


def _outcome(error: PlatformError) -> FailureOutcome:
    if isinstance(error, PlatformAuthError):
        return FailureOutcome.reconnect
    if isinstance(error, PlatformRejected):
        return FailureOutcome.rejected
    return FailureOutcome.retry_later


def _is_lock_timeout(exc: DBAPIError) -> bool:
    return getattr(exc.orig, "sqlstate", None) == "55P03" or getattr(exc.orig, "pgcode", None) == "55P03"


def _problem(error: PlatformError) -> AppError:
    """A platform failure during a person's request, as the problem they see (never a 500)."""
    if isinstance(error, PlatformAuthError | PlatformRejected):
        return ConnectionRejected(error.detail)
    retry_after = error.retry_after if isinstance(error, PlatformRateLimited) else None
    if retry_after is not None:
        seconds = max(1, math.ceil(retry_after))
        return PlatformUnreachable(error.detail, headers={"Retry-After": str(seconds)}, retry_after=seconds)
    return PlatformUnreachable(error.detail)


def _accounts_digest(account_ids: Sequence[str]) -> str:
    """A stable subject for a login the platform does not identify: its account list when first connected."""
    ids = ",".join(sorted(account_ids))
    return ACCOUNTS_SUBJECT + hashlib.sha256(ids.encode()).hexdigest()[:40]


def _display_name(platform: Platform, remote: Sequence[RemoteAdAccount], subject: str) -> str:
    managers = [account.name for account in remote if account.is_manager]
    names = managers or [account.name for account in remote]
    return f"{PLATFORM_TITLES[platform]} · {names[0] if names else subject}"[:300]


def _account_info(account: AdAccount) -> AdAccountInfo:
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


connection_service = ConnectionService()


async def _connection_names(session: AsyncSession, organization_id: UUID, ids: Sequence[UUID]) -> dict[UUID, str]:
    connections, _ = await ConnectionRepository(session).names(organization_id, ids, [])
    return connections


async def _ad_account_names(session: AsyncSession, organization_id: UUID, ids: Sequence[UUID]) -> dict[UUID, str]:
    _, accounts = await ConnectionRepository(session).names(organization_id, [], ids)
    return {
        account_id: f"{name} ({PLATFORM_TITLES[Platform(platform)]})"
        for account_id, (name, platform) in accounts.items()
    }


# The audit log names connections and ad accounts by what people call them.
audit_service.register_target_names("connection", _connection_names)
audit_service.register_target_names("ad_account", _ad_account_names)
