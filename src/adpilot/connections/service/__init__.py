"""The connections service, in four parts:

- ``oauth``: the consent round trip (state, PKCE, the code exchange, a refusal in words) and the disconnect;
- ``credentials``: the vault (credentials sealed to their connection) and their refresh under a row lock;
- ``accounts``: discovery of a login's ad accounts, the managed ones, the listings and pages;
- ``gateway``: the one way other code calls a platform with a connection's credentials (``platform_gateway.call``),
  with the connection's health (``health``) and the platforms' quotas.

``connection_service`` keeps the single object the endpoints, jobs and other modules have always called; each of its
methods is one of the parts'.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from adpilot.audit import audit_service
from adpilot.connections.models import AdAccount
from adpilot.connections.service.accounts import (
    DISCOVER_ACCOUNTS_JOB,
    SYNC_ENTITIES_JOB,
    AccountService,
    AccountsManagedHook,
    account_service,
    ad_account_names,
    connection_names,
    discovery_as_seen,
    on_accounts_managed,
)
from adpilot.connections.service.common import (
    PLATFORM_TITLES,
    AccountAccess,
    AdAccountInfo,
    AuthorizationStart,
    ConnectionAccess,
    ConnectionDetails,
    ConnectionHealth,
    ConnectionOverview,
    DiscoveryState,
    FailureOutcome,
)
from adpilot.connections.service.credentials import (
    REFRESH_CONNECTION_JOB,
    CredentialService,
    credential_service,
    credential_vault,
    open_credentials,
    seal_credentials,
)
from adpilot.connections.service.gateway import PlatformGateway, PlatformQuota, platform_gateway
from adpilot.connections.service.oauth import OAuthFlow, consent_refusal, oauth_flow, pkce_challenge
from adpilot.core.pagination import KeysetPage, PageRequest, TextKey, TimeKey
from adpilot.organizations import TenantContext
from adpilot.platforms.errors import PlatformError
from adpilot.platforms.types import Credentials, Platform, RemoteAdAccount

T = TypeVar("T")


class ConnectionService:
    """The module's service as one object: each method is the part's that owns it."""

    def __init__(
        self,
        oauth: OAuthFlow,
        credentials: CredentialService,
        accounts: AccountService,
        gateway: PlatformGateway,
    ) -> None:
        self.oauth = oauth
        self.credentials = credentials
        self.accounts = accounts
        self.gateway = gateway

    # --- reading (accounts) -----------------------------------------------------------------------------------

    async def overview(
        self, session: AsyncSession, tenant: TenantContext, page: PageRequest[TimeKey]
    ) -> ConnectionOverview:
        """One page of the organization's connections, and how many need reconnecting."""
        return await self.accounts.overview(session, tenant, page)

    async def list_accounts(
        self, session: AsyncSession, tenant: TenantContext, connection_id: UUID, page: PageRequest[TextKey]
    ) -> KeysetPage[AdAccount, TextKey]:
        """One page of a connection's ad accounts, by name."""
        return await self.accounts.list_accounts(session, tenant, connection_id, page)

    async def get(self, session: AsyncSession, tenant: TenantContext, connection_id: UUID) -> ConnectionDetails:
        """One connection with its ad accounts."""
        return await self.accounts.get(session, tenant, connection_id)

    async def get_ad_account(
        self, session: AsyncSession, organization_id: UUID, ad_account_id: UUID
    ) -> AdAccountInfo | None:
        """An ad account of the organization, managed or not, connected or not."""
        return await self.accounts.get_ad_account(session, organization_id, ad_account_id)

    async def list_managed_accounts(self, session: AsyncSession, organization_id: UUID) -> list[AdAccountInfo]:
        """The ad accounts people chose to manage, on live connections."""
        return await self.accounts.list_managed_accounts(session, organization_id)

    async def managed_accounts_page(
        self, session: AsyncSession, organization_id: UUID, page: PageRequest[TextKey]
    ) -> KeysetPage[AdAccountInfo, TextKey]:
        """One page of the managed accounts on live connections, by name."""
        return await self.accounts.managed_accounts_page(session, organization_id, page)

    async def list_ad_accounts(self, session: AsyncSession, organization_id: UUID) -> list[AdAccountInfo]:
        """Every ad account of the organization, managed or not, connected or not."""
        return await self.accounts.list_ad_accounts(session, organization_id)

    async def connection_health(self, session: AsyncSession, organization_id: UUID) -> dict[UUID, ConnectionHealth]:
        """The health of each of the organization's connections, by connection id."""
        return await self.accounts.connection_health(session, organization_id)

    # --- the connect flow (oauth) -------------------------------------------------------------------------------

    async def start_authorization(
        self, session: AsyncSession, tenant: TenantContext, platform: Platform
    ) -> AuthorizationStart:
        """The platform's consent page URL, with a state bound to this person, session and organization."""
        return await self.oauth.start_authorization(session, tenant, platform)

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
        """Finish the consent round trip: trade the code for credentials and keep them encrypted."""
        return await self.oauth.complete_authorization(
            session, tenant, platform, state=state, code=code, error=error, error_description=error_description
        )

    async def store_connection(
        self,
        session: AsyncSession,
        tenant: TenantContext,
        platform: Platform,
        credentials: Credentials,
        remote: Sequence[RemoteAdAccount] | None,
    ) -> ConnectionDetails:
        """Keep a login's credentials (encrypted) and its ad accounts: a new connection, or a reconnect."""
        return await self.oauth.store_connection(session, tenant, platform, credentials, remote)

    async def disconnect(self, session: AsyncSession, tenant: TenantContext, connection_id: UUID) -> None:
        """Revoke the grant at the platform (best effort) and delete the credentials; the ad accounts stay."""
        await self.oauth.disconnect(session, tenant, connection_id)

    # --- ad accounts ------------------------------------------------------------------------------------------

    async def set_managed_accounts(
        self, session: AsyncSession, tenant: TenantContext, connection_id: UUID, account_ids: Sequence[UUID]
    ) -> ConnectionDetails:
        """Choose which of the connection's ad accounts are managed; newly managed ones get a first sync."""
        return await self.accounts.set_managed_accounts(session, tenant, connection_id, account_ids)

    async def refresh_accounts(
        self, session: AsyncSession, tenant: TenantContext, connection_id: UUID
    ) -> ConnectionDetails:
        """Queue a discovery that lists the login's ad accounts again."""
        return await self.accounts.refresh_accounts(session, tenant, connection_id)

    async def discover_accounts(
        self, organization_id: UUID, connection_id: UUID, attempt: int = 1, *, refresh: bool = False
    ) -> None:
        """List a connection's ad accounts (the body of the discovery job)."""
        await self.accounts.discover_accounts(organization_id, connection_id, attempt, refresh=refresh)

    # --- platform calls (gateway) -------------------------------------------------------------------------------

    async def open_account(self, session: AsyncSession, organization_id: UUID, ad_account_id: UUID) -> AccountAccess:
        """Valid credentials for one managed ad account, refreshed first when they expire within the margin."""
        return await self.gateway.open_account(session, organization_id, ad_account_id)

    async def record_platform_success(
        self, session: AsyncSession, organization_id: UUID, connection_id: UUID | None
    ) -> None:
        """A call with the connection's credentials worked: a degraded connection is healthy again."""
        await self.gateway.record_platform_success(session, organization_id, connection_id)

    async def record_platform_failure(
        self,
        session: AsyncSession,
        organization_id: UUID,
        connection_id: UUID | None,
        error: PlatformError,
        *,
        rejected: Credentials | None = None,
    ) -> FailureOutcome:
        """Tell the connection's health what a call with its credentials ran into, and what to do next."""
        return await self.gateway.record_platform_failure(
            session, organization_id, connection_id, error, rejected=rejected
        )

    async def call_with_refresh(
        self, organization_id: UUID, access: AccountAccess, call: Callable[[AccountAccess], Awaitable[T]]
    ) -> T:
        """``call(access)`` outside any transaction, made again once with fresh credentials on an expired token."""
        return await self.gateway.call_with_refresh(organization_id, access, call)

    async def platform_quotas(self, session: AsyncSession) -> list[PlatformQuota]:
        """Each platform's daily quota: used, the limit, when the oldest counted hour leaves the window."""
        return await self.gateway.platform_quotas(session)

    async def platforms_over_budget(self, session: AsyncSession, share: float) -> set[Platform]:
        """Platforms whose scheduled work should wait: more than ``share`` of the daily quota is used."""
        return await self.gateway.platforms_over_budget(session, share)

    # --- the refresh job (credentials) --------------------------------------------------------------------------

    async def queue_due_refreshes(self, session: AsyncSession) -> int:
        """Queue a refresh for every connection whose credentials expire within the margin, across organizations."""
        return await self.credentials.queue_due_refreshes(session)

    async def refresh_connection(self, session: AsyncSession, organization_id: UUID, connection_id: UUID) -> None:
        """Refresh one connection's credentials if they are still due (the body of the refresh job)."""
        await self.credentials.refresh_connection(session, organization_id, connection_id)


connection_service = ConnectionService(oauth_flow, credential_service, account_service, platform_gateway)

# The audit log names connections and ad accounts by what people call them.
audit_service.register_target_names("connection", connection_names)
audit_service.register_target_names("ad_account", ad_account_names)

__all__ = [
    "DISCOVER_ACCOUNTS_JOB",
    "PLATFORM_TITLES",
    "REFRESH_CONNECTION_JOB",
    "SYNC_ENTITIES_JOB",
    "AccountAccess",
    "AccountService",
    "AccountsManagedHook",
    "AdAccountInfo",
    "AuthorizationStart",
    "ConnectionAccess",
    "ConnectionDetails",
    "ConnectionHealth",
    "ConnectionOverview",
    "ConnectionService",
    "CredentialService",
    "DiscoveryState",
    "FailureOutcome",
    "OAuthFlow",
    "PlatformGateway",
    "PlatformQuota",
    "account_service",
    "connection_service",
    "consent_refusal",
    "credential_service",
    "credential_vault",
    "discovery_as_seen",
    "oauth_flow",
    "on_accounts_managed",
    "open_credentials",
    "pkce_challenge",
    "platform_gateway",
    "seal_credentials",
]
