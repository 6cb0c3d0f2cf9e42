"""HTTP endpoints of ad platform connections: connect (consent round trip), accounts, disconnect."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Response, status

from adpilot.auth.errors import EmailNotVerified
from adpilot.connections.dependencies import CanManageConnections, CanReadConnections
from adpilot.connections.errors import (
    AdAccountsNotInConnection,
    AuthorizationCodeMissing,
    ConnectionDenied,
    ConnectionNeedsReconnect,
    ConnectionNotFound,
    ConnectionRejected,
    ConnectionStateInvalid,
    ManagerAccountNotManageable,
    PlatformAppNotConfigured,
    PlatformUnreachable,
)
from adpilot.connections.models import AdAccount
from adpilot.connections.schemas import (
    AdAccountRead,
    AuthorizationCallback,
    AuthorizationRead,
    ConnectionList,
    ConnectionRead,
    DiscoveryRead,
    ManagedAccountsUpdate,
    PlatformQuotaList,
    PlatformQuotaRead,
)
from adpilot.connections.service import (
    ConnectionDetails,
    account_service,
    discovery_as_seen,
    oauth_flow,
    platform_gateway,
)
from adpilot.core.errors import NotAuthenticated, NotFound, PermissionDenied, problem_responses
from adpilot.core.pagination import InvalidCursor, Page, TextCursorPage, TimeCursorPage, page_response
from adpilot.core.time import utcnow
from adpilot.db import DbSession
from adpilot.organizations.errors import MfaRequired
from adpilot.platforms.types import Platform

router = APIRouter(prefix="/api/v1/orgs/{organization_id}/connections", tags=["connections"])
TENANT_ERRORS = (NotAuthenticated, NotFound, PermissionDenied, MfaRequired)


def account_read(account: AdAccount) -> AdAccountRead:
    return AdAccountRead(
        id=account.id,
        platform_account_id=account.platform_account_id,
        name=account.name,
        currency=account.currency,
        time_zone=account.time_zone,
        login_customer_id=account.login_customer_id,
        managed=account.managed,
        is_manager=account.is_manager,
        platform_active=account.platform_active,
    )


def connection_read(details: ConnectionDetails) -> ConnectionRead:
    connection = details.connection
    discovery_state, discovery_error = discovery_as_seen(connection, utcnow())
    return ConnectionRead(
        id=connection.id,
        platform=Platform(connection.platform),
        display_name=connection.display_name,
        health=connection.health,
        health_reason=connection.health_reason,
        health_changed_at=connection.health_changed_at,
        token_expires_at=connection.token_expires_at,
        refreshed_at=connection.refreshed_at,
        created_at=connection.created_at,
        discovery=DiscoveryRead(
            state=discovery_state,
            accounts_found=connection.discovery_accounts_found,
            error=discovery_error,
            started_at=connection.discovery_started_at,
            finished_at=connection.discovery_finished_at,
        ),
        accounts=[account_read(account) for account in details.accounts],
        account_count=details.account_count,
        managed_account_count=details.managed_account_count,
        accounts_next_cursor=details.accounts_page.next_cursor,
    )


@router.get("", responses=problem_responses(*TENANT_ERRORS, InvalidCursor))
async def list_connections(tenant: CanReadConnections, session: DbSession, paging: TimeCursorPage) -> ConnectionList:
    """One page of the organization's platform connections (oldest first), each with the first page of its ad
    accounts, and how many connections need reconnecting."""
    overview = await account_service.overview(session, tenant, paging)
    return ConnectionList(
        items=[connection_read(details) for details in overview.connections.items],
        next_cursor=overview.connections.next_cursor,
        needs_reconnect_count=overview.needs_reconnect_count,
    )


@router.get(
    "/{connection_id}/accounts",
    response_model=Page[AdAccountRead],
    responses=problem_responses(*TENANT_ERRORS, ConnectionNotFound, InvalidCursor),
)
async def list_connection_accounts(
    connection_id: UUID, tenant: CanReadConnections, session: DbSession, paging: TextCursorPage
) -> Response:
    """One page of the ad accounts a connection's login reaches, by name."""
    page = await account_service.list_accounts(session, tenant, connection_id, paging)
    return page_response(AdAccountRead, page.map(account_read))


@router.get("/quotas", responses=problem_responses(*TENANT_ERRORS))
async def list_platform_quotas(tenant: CanReadConnections, session: DbSession) -> PlatformQuotaList:
    """Each platform's daily quota: operations used in the last 24 hours, the limit, what remains, when it frees."""
    quotas = await platform_gateway.platform_quotas(session)
    return PlatformQuotaList(
        items=[
            PlatformQuotaRead(
                platform=q.platform, used=q.used, limit=q.limit, remaining=q.remaining, resets_at=q.resets_at
            )
            for q in quotas
        ]
    )


@router.get("/{connection_id}", responses=problem_responses(*TENANT_ERRORS, ConnectionNotFound))
async def get_connection(connection_id: UUID, tenant: CanReadConnections, session: DbSession) -> ConnectionRead:
    """One platform connection with its ad accounts."""
    return connection_read(await account_service.get(session, tenant, connection_id))


@router.post(
    "/{platform}/authorize",
    responses=problem_responses(*TENANT_ERRORS, PlatformAppNotConfigured, EmailNotVerified),
)
async def authorize_connection(
    platform: Platform, tenant: CanManageConnections, session: DbSession
) -> AuthorizationRead:
    """Start connecting a platform: the consent page to send the person to (valid for 10 minutes).

    Needs a verified email address."""
    start = await oauth_flow.start_authorization(session, tenant, platform)
    return AuthorizationRead(authorization_url=start.authorization_url, expires_at=start.expires_at)


@router.post(
    "/{platform}/callback",
    responses=problem_responses(
        *TENANT_ERRORS,
        ConnectionStateInvalid,
        ConnectionDenied,
        ConnectionRejected,
        AuthorizationCodeMissing,
        PlatformAppNotConfigured,
        PlatformUnreachable,
    ),
)
async def complete_connection(
    platform: Platform, body: AuthorizationCallback, tenant: CanManageConnections, session: DbSession
) -> ConnectionRead:
    """Finish connecting with what the platform sent back to the web app; reconnecting replaces the credentials.

    The login's ad accounts are listed by a job: poll the connection until ``discovery.state`` is ``succeeded``
    (or ``failed``)."""
    details = await oauth_flow.complete_authorization(
        session,
        tenant,
        platform,
        state=body.state,
        code=body.code,
        error=body.error,
        error_description=body.error_description,
    )
    return connection_read(details)


@router.put(
    "/{connection_id}/accounts",
    responses=problem_responses(
        *TENANT_ERRORS, ConnectionNotFound, AdAccountsNotInConnection, ManagerAccountNotManageable
    ),
)
async def set_managed_accounts(
    connection_id: UUID, body: ManagedAccountsUpdate, tenant: CanManageConnections, session: DbSession
) -> ConnectionRead:
    """Choose which of the connection's ad accounts are managed; newly managed ones are synced."""
    details = await account_service.set_managed_accounts(session, tenant, connection_id, body.managed_account_ids)
    return connection_read(details)


@router.post(
    "/{connection_id}/accounts/refresh",
    status_code=status.HTTP_202_ACCEPTED,
    responses=problem_responses(
        *TENANT_ERRORS,
        ConnectionNotFound,
        ConnectionNeedsReconnect,
        PlatformAppNotConfigured,
    ),
)
async def refresh_connection_accounts(
    connection_id: UUID, tenant: CanManageConnections, session: DbSession
) -> ConnectionRead:
    """Queue a job that lists the login's ad accounts again: new ones appear unmanaged, those it no longer reaches
    become inactive. Poll the connection until ``discovery.state`` is ``succeeded`` (or ``failed``); while one is
    queued or running, this answers with it rather than queue a second."""
    return connection_read(await account_service.refresh_accounts(session, tenant, connection_id))


@router.delete(
    "/{connection_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(*TENANT_ERRORS, ConnectionNotFound),
)
async def disconnect_connection(connection_id: UUID, tenant: CanManageConnections, session: DbSession) -> None:
    """Disconnect: revoke access at the platform where possible and delete the credentials; ad accounts stay."""
    await oauth_flow.disconnect(session, tenant, connection_id)
