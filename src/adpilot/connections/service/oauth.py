"""The consent round trip: a state bound to the person (with PKCE where the platform takes it), the code traded for
credentials kept encrypted, a refusal told in words, and the disconnect that revokes the grant.

These platform calls do not go through the gateway: the code exchange happens before there is a connection to
record health on, and a revoke is best effort while the connection is being deleted.
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from collections.abc import Sequence
from datetime import timedelta
from uuid import UUID, uuid4

from sqlalchemy.ext.asyncio import AsyncSession

from adpilot.audit import audit_service
from adpilot.config import get_settings
from adpilot.connections.errors import (
    AuthorizationCodeMissing,
    ConnectionDenied,
    ConnectionNotFound,
    ConnectionStateInvalid,
    CredentialsUnreadable,
    PlatformAppNotConfigured,
)
from adpilot.connections.models import OAuthState, PlatformConnection
from adpilot.connections.repository import ConnectionRepository
from adpilot.connections.service.accounts import (
    ACCOUNTS_SUBJECT,
    AccountService,
    account_service,
    accounts_digest,
    display_name,
)
from adpilot.connections.service.common import (
    PLATFORM_TITLES,
    AuthorizationStart,
    ConnectionDetails,
    ConnectionHealth,
    DiscoveryState,
    adapter_for,
    problem,
)
from adpilot.connections.service.credentials import (
    CredentialService,
    credential_service,
    credential_vault,
    seal_credentials,
)
from adpilot.connections.service.health import log, set_health
from adpilot.core.security import token_digest
from adpilot.core.time import utcnow
from adpilot.organizations import Permission, TenantContext
from adpilot.platforms.errors import PlatformError
from adpilot.platforms.types import Credentials, Platform, RemoteAdAccount

STATE_MINUTES = 10


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


class OAuthFlow:
    def __init__(self, credentials: CredentialService, accounts: AccountService) -> None:
        self._credentials = credentials
        self._accounts = accounts

    async def start_authorization(
        self, session: AsyncSession, tenant: TenantContext, platform: Platform
    ) -> AuthorizationStart:
        """The platform's consent page URL, with a state bound to this person, session and organization."""
        tenant.require(Permission.connections_manage)
        tenant.require_verified_email()
        adapter = adapter_for(platform)
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
        adapter = adapter_for(platform)
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
            raise problem(exc) from None

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
        subject = credentials.subject or accounts_digest(known_ids)
        name = display_name(platform, remote, subject) if remote is not None else PLATFORM_TITLES[platform]
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
                    display_name=name,
                    credentials_ciphertext=seal_credentials(vault, credentials, tenant.organization_id, new_id),
                    token_expires_at=credentials.expires_at,
                    refreshed_at=now,
                    health=ConnectionHealth.ok,
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
            self._credentials.store(connection, credentials, now)
            if remote is not None:
                connection.display_name = name
            connection.consecutive_failures = 0
            set_health(connection, ConnectionHealth.ok, None, now)
        if remote is not None:
            connection.discovery_state = DiscoveryState.succeeded
            connection.discovery_accounts_found = len(remote)
            connection.discovery_queued_at = None
            connection.discovery_started_at = connection.discovery_finished_at = now
            connection.discovery_error = None
        await session.flush()
        if remote is not None:
            await repository.upsert_accounts(tenant.organization_id, connection.id, platform.value, remote, now)
        else:
            # A reconnect while a discovery is under way leaves it be: it opens the credentials when it runs.
            await self._accounts.queue_discovery(session, tenant.organization_id, connection, refresh=False, now=now)
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
                "display_name": name,
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
        return await self._accounts.details(session, connection)

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
            credentials = self._credentials.open(connection)
            await adapter_for(platform).revoke(credentials)
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


oauth_flow = OAuthFlow(credential_service, account_service)
