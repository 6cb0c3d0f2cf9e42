"""A connection's ad accounts: their discovery (a job that lists what the login reaches), which of them people chose
to manage, and the listings and pages the API and other modules read."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from adpilot.audit import SYSTEM, audit_service
from adpilot.connections.errors import AdAccountsNotInConnection, ConnectionNotFound, ManagerAccountNotManageable
from adpilot.connections.events import AccountsManaged
from adpilot.connections.models import AdAccount, PlatformConnection
from adpilot.connections.repository import ConnectionRepository
from adpilot.connections.service.common import (
    PLATFORM_TITLES,
    AdAccountInfo,
    ConnectionAccess,
    ConnectionDetails,
    ConnectionHealth,
    ConnectionOverview,
    DiscoveryState,
    account_info,
    adapter_for,
    ensure_usable,
)
from adpilot.connections.service.credentials import credential_service
from adpilot.connections.service.gateway import PlatformGateway, platform_gateway
from adpilot.connections.service.health import log
from adpilot.core.errors import AppError
from adpilot.core.pagination import TEXT_ID, KeysetPage, PageRequest, TextKey, TimeKey
from adpilot.core.time import utcnow
from adpilot.db import tenant_transaction
from adpilot.events import publish
from adpilot.jobs import enqueue
from adpilot.organizations import Permission, TenantContext
from adpilot.platforms.errors import PlatformError, PlatformRateLimited, PlatformUnavailable
from adpilot.platforms.types import Platform, RemoteAdAccount

DISCOVER_ACCOUNTS_JOB = "connections.discover_accounts"
# Tries of a discovery the platform could not answer (it was unavailable) before it is shown as failed.
DISCOVERY_ATTEMPTS = 4
# The sync runs' rule for abandoned runs (campaigns, analytics): a discovery "running" for longer than this was
# abandoned by a worker that died, and one "queued" for longer lost its job; a new callback or refresh starts it over.
DISCOVERY_ABANDONED_AFTER = timedelta(hours=1)
DISCOVERY_QUEUED_ABANDONED_AFTER = timedelta(hours=24)
DISCOVERY_ABANDONED = "abandoned: no worker finished it"
# Ad accounts shown with a connection (a Google manager login can reach thousands): the rest are paged.
ACCOUNTS_PER_CONNECTION = 100
FIRST_ACCOUNTS = PageRequest(ACCOUNTS_PER_CONNECTION, None, TEXT_ID)
# The subject of a login the platform does not name: a digest of the accounts it reached when first connected.
ACCOUNTS_SUBJECT = "accounts:"


class AccountService:
    def __init__(self, gateway: PlatformGateway) -> None:
        self._gateway = gateway

    # --- reading ----------------------------------------------------------------------------------------------

    async def overview(
        self, session: AsyncSession, tenant: TenantContext, page: PageRequest[TimeKey]
    ) -> ConnectionOverview:
        """One page of the organization's connections (oldest first), each with the first page of its ad accounts,
        and how many connections need reconnecting."""
        tenant.require(Permission.connections_read)
        repository = ConnectionRepository(session)
        connections = await repository.connections_page(tenant.organization_id, page)
        details = await self.details_of(session, tenant.organization_id, connections.items)
        needs_reconnect = await repository.needs_reconnect_count(tenant.organization_id)
        return ConnectionOverview(KeysetPage(details, connections.next_key, connections.codec), needs_reconnect)

    async def list_accounts(
        self, session: AsyncSession, tenant: TenantContext, connection_id: UUID, page: PageRequest[TextKey]
    ) -> KeysetPage[AdAccount, TextKey]:
        """One page of a connection's ad accounts, by name."""
        tenant.require(Permission.connections_read)
        repository = ConnectionRepository(session)
        if await repository.connection(tenant.organization_id, connection_id) is None:
            raise ConnectionNotFound()
        return await repository.accounts_page(tenant.organization_id, connection_id, page)

    async def get(self, session: AsyncSession, tenant: TenantContext, connection_id: UUID) -> ConnectionDetails:
        """One connection with its ad accounts."""
        tenant.require(Permission.connections_read)
        connection = await ConnectionRepository(session).connection(tenant.organization_id, connection_id)
        if connection is None:
            raise ConnectionNotFound()
        return await self.details(session, connection)

    async def get_ad_account(
        self, session: AsyncSession, organization_id: UUID, ad_account_id: UUID
    ) -> AdAccountInfo | None:
        """An ad account of the organization, managed or not, connected or not."""
        account = await ConnectionRepository(session).account(organization_id, ad_account_id)
        return account_info(account) if account is not None else None

    async def list_managed_accounts(self, session: AsyncSession, organization_id: UUID) -> list[AdAccountInfo]:
        """The ad accounts people chose to manage, on live connections."""
        return [account_info(a) for a in await ConnectionRepository(session).managed_accounts(organization_id)]

    async def managed_accounts_page(
        self, session: AsyncSession, organization_id: UUID, page: PageRequest[TextKey]
    ) -> KeysetPage[AdAccountInfo, TextKey]:
        """One page of the managed accounts on live connections, by name."""
        return (await ConnectionRepository(session).managed_accounts_page(organization_id, page)).map(account_info)

    async def list_ad_accounts(self, session: AsyncSession, organization_id: UUID) -> list[AdAccountInfo]:
        """Every ad account of the organization, managed or not, connected or not (for names in reports)."""
        return [
            AdAccountInfo(**{**dict(row), "platform": Platform(row["platform"])})
            for row in await ConnectionRepository(session).account_rows(organization_id)
        ]

    async def connection_health(self, session: AsyncSession, organization_id: UUID) -> dict[UUID, ConnectionHealth]:
        """The health of each of the organization's connections, by connection id."""
        connections = await ConnectionRepository(session).list_connections(organization_id)
        return {connection.id: connection.health for connection in connections}

    async def details(self, session: AsyncSession, connection: PlatformConnection) -> ConnectionDetails:
        """A connection with the first page of its ad accounts and their counts."""
        [details] = await self.details_of(session, connection.organization_id, [connection])
        return details

    async def details_of(
        self, session: AsyncSession, organization_id: UUID, connections: Sequence[PlatformConnection]
    ) -> list[ConnectionDetails]:
        repository = ConnectionRepository(session)
        counts = await repository.account_counts(organization_id, [c.id for c in connections])
        details = []
        for connection in connections:
            page = await repository.accounts_page(organization_id, connection.id, FIRST_ACCOUNTS)
            total, managed = counts.get(connection.id, (0, 0))
            details.append(ConnectionDetails(connection, page, total, managed))
        return details

    # --- managed accounts -------------------------------------------------------------------------------------

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
            # The modules that sync accounts subscribe to it and queue the accounts' first syncs.
            await publish(
                session, AccountsManaged(organization_id=tenant.organization_id, ad_account_ids=tuple(newly_managed))
            )
        return await self.details(session, connection)

    # --- discovery ---------------------------------------------------------------------------------------------

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
        ensure_usable(connection)
        adapter_for(Platform(connection.platform))
        credential_service.open(connection)
        if await self.queue_discovery(session, tenant.organization_id, connection, refresh=True, now=utcnow()):
            await audit_service.record(
                session,
                tenant.organization_id,
                tenant.actor,
                "connection.accounts_refreshed",
                target_type="connection",
                target_id=connection.id,
                after={"discovery": DiscoveryState.queued},
            )
        return await self.details(session, connection)

    async def queue_discovery(
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
        if connection.discovery_state in (DiscoveryState.queued, DiscoveryState.running):
            if not _discovery_abandoned(connection, now):
                return False
            connection.discovery_state = DiscoveryState.failed
            connection.discovery_error = DISCOVERY_ABANDONED
            connection.discovery_finished_at = now
            await _audit_discovery(session, connection)
            log.warning(
                "connection.discovery_abandoned",
                organization_id=str(organization_id),
                connection_id=str(connection.id),
            )
        connection.discovery_state = DiscoveryState.queued
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

    async def discover_accounts(
        self, organization_id: UUID, connection_id: UUID, attempt: int = 1, *, refresh: bool = False
    ) -> None:
        """List a connection's ad accounts (the body of the discovery job), in short transactions of its own so that
        its progress is visible while the platform is asked. ``refresh`` (a person asked to list them again): the
        accounts the login no longer reaches become inactive.

        The listing goes through the gateway, which refreshes an expired token once and records the connection's
        health. A wait the rate limiter asks for, or a platform that is briefly unavailable, queues the job again
        for later (no worker slot sleeps); other failures end it as failed, with the reason.
        """
        async with tenant_transaction(organization_id) as session:
            connection = await ConnectionRepository(session).connection(organization_id, connection_id, lock=True)
            if connection is None or connection.discovery_state not in (
                DiscoveryState.queued,
                DiscoveryState.running,
            ):
                return  # disconnected, or already done (a job queued twice)
            connection.discovery_state = DiscoveryState.running
            connection.discovery_started_at = utcnow()
            connection.discovery_error = None
            platform = Platform(connection.platform)

        async def list_accounts(access: ConnectionAccess) -> list[RemoteAdAccount]:
            return await access.adapter.list_ad_accounts(access.credentials)

        try:
            remote = await self._gateway.call_connection(organization_id, connection_id, list_accounts)
        except PlatformError as error:
            await self._discovery_failed(organization_id, connection_id, error, error.detail, attempt, refresh)
            return
        except AppError as error:  # needs reconnecting, unreadable credentials, platform no longer configured
            reason = error.detail or error.title
            await self._discovery_failed(organization_id, connection_id, None, reason, attempt, refresh)
            return
        now = utcnow()
        async with tenant_transaction(organization_id) as session:
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
            connection.display_name = display_name(platform, remote, connection.subject)
            connection.discovery_state = DiscoveryState.succeeded
            connection.discovery_accounts_found = len(remote)
            connection.discovery_finished_at = now
            await _audit_discovery(session, connection, vanished)
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
        """End or postpone a discovery the platform did not answer (the gateway recorded the health already)."""
        async with tenant_transaction(organization_id) as session:
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
                connection.discovery_state = DiscoveryState.queued
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
                connection.discovery_state = DiscoveryState.failed
                connection.discovery_error = f"The ad accounts could not be listed: {reason}"[:1000]
                connection.discovery_finished_at = utcnow()
                await _audit_discovery(session, connection)
        log.warning(
            "connection.discovery_failed" if later is None else "connection.discovery_deferred",
            organization_id=str(organization_id),
            connection_id=str(connection_id),
            error=type(error).__name__ if error is not None else None,
            retry_in=later,
        )


async def _audit_discovery(
    session: AsyncSession, connection: PlatformConnection, no_longer_reachable: int | None = None
) -> None:
    """A discovery that ended: succeeded with the accounts it listed, or failed with the reason."""
    succeeded = connection.discovery_state == DiscoveryState.succeeded
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


def discovery_as_seen(connection: PlatformConnection, now: datetime) -> tuple[DiscoveryState, str | None]:
    """A connection's discovery state and error as people should see them: one abandoned (its worker died, its job
    was lost) reads as failed, so that nobody waits for it; the next callback or refresh starts it over."""
    state = DiscoveryState(connection.discovery_state)
    if state in (DiscoveryState.queued, DiscoveryState.running) and _discovery_abandoned(connection, now):
        return DiscoveryState.failed, DISCOVERY_ABANDONED
    return state, connection.discovery_error


def _discovery_abandoned(connection: PlatformConnection, now: datetime) -> bool:
    if connection.discovery_state == DiscoveryState.queued:
        queued_at = connection.discovery_queued_at
        return queued_at is None or now - queued_at > DISCOVERY_QUEUED_ABANDONED_AFTER
    started_at = connection.discovery_started_at
    return started_at is None or now - started_at > DISCOVERY_ABANDONED_AFTER


def _discovery_lock(connection: PlatformConnection) -> str:
    """One discovery of a connection at a time; a discovery started over does not wait behind the job of a worker
    that died (still "doing" in the queue), so each start has its own lock."""
    queued_at = connection.discovery_queued_at or utcnow()
    return f"discovery:{connection.id}:{queued_at.timestamp():.6f}"


def accounts_digest(account_ids: Sequence[str]) -> str:
    """A stable subject for a login the platform does not identify: its account list when first connected."""
    ids = ",".join(sorted(account_ids))
    return ACCOUNTS_SUBJECT + hashlib.sha256(ids.encode()).hexdigest()[:40]


def display_name(platform: Platform, remote: Sequence[RemoteAdAccount], subject: str) -> str:
    managers = [account.name for account in remote if account.is_manager]
    names = managers or [account.name for account in remote]
    return f"{PLATFORM_TITLES[platform]} · {names[0] if names else subject}"[:300]


async def connection_names(session: AsyncSession, organization_id: UUID, ids: Sequence[UUID]) -> dict[UUID, str]:
    """Connections by what people call them (for the audit log)."""
    connections, _ = await ConnectionRepository(session).names(organization_id, ids, [])
    return connections


async def ad_account_names(session: AsyncSession, organization_id: UUID, ids: Sequence[UUID]) -> dict[UUID, str]:
    """Ad accounts by what people call them, with their platform (for the audit log)."""
    _, accounts = await ConnectionRepository(session).names(organization_id, [], ids)
    return {
        account_id: f"{name} ({PLATFORM_TITLES[Platform(platform)]})"
        for account_id, (name, platform) in accounts.items()
    }


account_service = AccountService(platform_gateway)
