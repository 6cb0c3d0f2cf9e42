"""Every SQL statement on platform connections, ad accounts and OAuth states."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from sqlalchemy import Select, case, delete, func, select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from adpilot.connections.models import AdAccount, ConnectionHealth, OAuthState, PlatformConnection
from adpilot.core.keyset import Keyset, keyset_page
from adpilot.core.pagination import KeysetPage, PageRequest, TextKey, TimeKey
from adpilot.db import driver_connection
from adpilot.platforms.types import RemoteAdAccount

CONNECTIONS_OLDEST_FIRST = Keyset((PlatformConnection.created_at, PlatformConnection.id))
ACCOUNTS_BY_NAME = Keyset((AdAccount.name, AdAccount.id))


class ConnectionRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, row: PlatformConnection | AdAccount | OAuthState) -> None:
        self.session.add(row)
        await self.session.flush()

    # --- connections ------------------------------------------------------------------------------------------

    def scoped_connections(self, organization_id: UUID) -> Select[PlatformConnection]:
        """Starting point of every read: the explicit tenant filter (row-level security is the safety net)."""
        return select(PlatformConnection).where(PlatformConnection.organization_id == organization_id)

    async def connection(
        self, organization_id: UUID, connection_id: UUID, *, lock: bool = False, skip_locked: bool = False
    ) -> PlatformConnection | None:
        query = self.scoped_connections(organization_id).where(PlatformConnection.id == connection_id)
        if lock:
            query = query.with_for_update(skip_locked=skip_locked)
        return (await self.session.scalars(query)).first()

    async def connection_by_subject(
        self, organization_id: UUID, platform: str, subject: str
    ) -> PlatformConnection | None:
        query = self.scoped_connections(organization_id).where(
            PlatformConnection.platform == platform, PlatformConnection.subject == subject
        )
        return (await self.session.scalars(query.with_for_update())).first()

    async def connection_reaching(
        self, organization_id: UUID, platform: str, subject_prefix: str, platform_account_ids: Sequence[str]
    ) -> PlatformConnection | None:
        """The organization's connection of a platform login identified only by its accounts (its subject starts
        with ``subject_prefix``) that reaches any of ``platform_account_ids``."""
        if not platform_account_ids:
            return None
        reaching = select(AdAccount.connection_id).where(
            AdAccount.organization_id == organization_id,
            AdAccount.platform == platform,
            AdAccount.platform_account_id.in_(list(platform_account_ids)),
        )
        query = (
            self.scoped_connections(organization_id)
            .where(
                PlatformConnection.platform == platform,
                PlatformConnection.subject.startswith(subject_prefix, autoescape=True),
                PlatformConnection.id.in_(reaching),
            )
            .order_by(PlatformConnection.created_at)
            .limit(1)
        )
        return (await self.session.scalars(query.with_for_update())).first()

    async def insert_connection_if_absent(self, row: PlatformConnection) -> bool:
        """Insert unless the organization already has this login (a concurrent callback); True when inserted."""
        statement = (
            insert(PlatformConnection)
            .values(
                id=row.id,
                organization_id=row.organization_id,
                platform=row.platform,
                subject=row.subject,
                display_name=row.display_name,
                credentials_ciphertext=row.credentials_ciphertext,
                token_expires_at=row.token_expires_at,
                refreshed_at=row.refreshed_at,
                health=row.health,
                consecutive_failures=row.consecutive_failures,
                created_by_user_id=row.created_by_user_id,
            )
            .on_conflict_do_nothing(index_elements=["organization_id", "platform", "subject"])
            .returning(PlatformConnection.id)
        )
        return (await self.session.execute(statement)).first() is not None

    async def connections_page(
        self, organization_id: UUID, page: PageRequest[TimeKey]
    ) -> KeysetPage[PlatformConnection, TimeKey]:
        """Connections oldest first."""
        return await keyset_page(self.session, self.scoped_connections(organization_id), CONNECTIONS_OLDEST_FIRST, page)

    async def needs_reconnect_count(self, organization_id: UUID) -> int:
        query = (
            select(func.count())
            .select_from(PlatformConnection)
            .where(
                PlatformConnection.organization_id == organization_id,
                PlatformConnection.health == ConnectionHealth.needs_reconnect,
            )
        )
        return int((await self.session.execute(query)).scalar_one())

    async def list_connections(self, organization_id: UUID) -> list[PlatformConnection]:
        query = self.scoped_connections(organization_id).order_by(
            PlatformConnection.platform, PlatformConnection.created_at, PlatformConnection.id
        )
        return list((await self.session.scalars(query)).all())

    async def mark_healthy(self, organization_id: UUID, connection_id: UUID, now: datetime) -> bool:
        """A degraded connection (or one counting failures) is healthy again; True when something changed.

        One conditional statement, so that the common case (already healthy) writes nothing. A connection that
        needs reconnecting is left alone: only a reconnect clears that.
        """
        statement = (
            update(PlatformConnection)
            .where(
                PlatformConnection.organization_id == organization_id,
                PlatformConnection.id == connection_id,
                PlatformConnection.health != ConnectionHealth.needs_reconnect,
                (PlatformConnection.health != ConnectionHealth.ok) | (PlatformConnection.consecutive_failures > 0),
            )
            .values(
                health="ok",
                health_reason=None,
                consecutive_failures=0,
                health_changed_at=case(
                    (PlatformConnection.health != ConnectionHealth.ok, now), else_=PlatformConnection.health_changed_at
                ),
                updated_at=now,
            )
            .execution_options(synchronize_session="fetch")
        )
        result = await self.session.execute(statement)
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def delete_connection(self, row: PlatformConnection) -> None:
        await self.session.delete(row)
        await self.session.flush()

    async def due_for_refresh(self, margin: timedelta) -> list[tuple[UUID, UUID]]:
        """(organization, connection) ids whose credentials expire within ``margin``, across every organization.

        The app role cannot read across tenants: this goes through a SECURITY DEFINER function that returns ids only
        (migration 0006); each connection is then refreshed in its own tenant-scoped transaction.
        """
        result = await self.session.execute(
            text("SELECT organization_id, connection_id FROM adpilot_connections_due_for_refresh(:margin)"),
            {"margin": margin},
        )
        return [(organization_id, connection_id) for organization_id, connection_id in result.all()]

    async def every_connection(self) -> list[tuple[UUID, UUID]]:
        """(organization, connection) ids of every organization: only the owner's scan policy lets this see them."""
        query = select(PlatformConnection.organization_id, PlatformConnection.id).order_by(
            PlatformConnection.organization_id, PlatformConnection.id
        )
        return [
            (organization_id, connection_id)
            for organization_id, connection_id in (await self.session.execute(query)).all()
        ]

    async def ciphertext_for_update(self, organization_id: UUID, connection_id: UUID) -> bytes | None:
        query = (
            select(PlatformConnection.credentials_ciphertext)
            .where(PlatformConnection.organization_id == organization_id, PlatformConnection.id == connection_id)
            .with_for_update()
        )
        return (await self.session.execute(query)).scalar_one_or_none()

    async def replace_ciphertext(self, organization_id: UUID, connection_id: UUID, ciphertext: bytes) -> None:
        """A re-encryption of the same credentials: nothing else about the connection changes."""
        await self.session.execute(
            update(PlatformConnection)
            .where(PlatformConnection.organization_id == organization_id, PlatformConnection.id == connection_id)
            .values(credentials_ciphertext=ciphertext)
            .execution_options(synchronize_session=False)
        )

    # --- ad accounts ------------------------------------------------------------------------------------------

    def scoped_accounts(self, organization_id: UUID) -> Select[AdAccount]:
        return select(AdAccount).where(AdAccount.organization_id == organization_id)

    async def account(self, organization_id: UUID, ad_account_id: UUID) -> AdAccount | None:
        query = self.scoped_accounts(organization_id).where(AdAccount.id == ad_account_id)
        return (await self.session.scalars(query)).first()

    async def accounts_page(
        self, organization_id: UUID, connection_id: UUID, page: PageRequest[TextKey]
    ) -> KeysetPage[AdAccount, TextKey]:
        """A connection's ad accounts by name."""
        query = (
            self.scoped_accounts(organization_id)
            .where(AdAccount.connection_id == connection_id)
            # Bulk upserts in the same transaction bypass the identity map: read the rows as they are now.
            .execution_options(populate_existing=True)
        )
        return await keyset_page(self.session, query, ACCOUNTS_BY_NAME, page)

    async def account_counts(
        self, organization_id: UUID, connection_ids: Sequence[UUID]
    ) -> dict[UUID, tuple[int, int]]:
        """(accounts, managed accounts) of each connection."""
        if not connection_ids:
            return {}
        query = (
            select(AdAccount.connection_id, func.count(), func.count().filter(AdAccount.managed))
            .where(AdAccount.organization_id == organization_id, AdAccount.connection_id.in_(connection_ids))
            .group_by(AdAccount.connection_id)
        )
        rows = (await self.session.execute(query)).all()
        return {row[0]: (int(row[1]), int(row[2])) for row in rows if row[0] is not None}

    async def accounts_of(self, organization_id: UUID, connection_ids: Sequence[UUID]) -> list[AdAccount]:
        if not connection_ids:
            return []
        query = (
            self.scoped_accounts(organization_id)
            .where(AdAccount.connection_id.in_(connection_ids))
            .order_by(AdAccount.is_manager.desc(), AdAccount.name, AdAccount.platform_account_id)
            # Bulk upserts in the same transaction bypass the identity map: read the rows as they are now.
            .execution_options(populate_existing=True)
        )
        return list((await self.session.scalars(query)).all())

    async def account_rows(self, organization_id: UUID) -> list[Any]:
        """Every account of the organization as plain rows of the fields other modules see, read on the driver:
        every dashboard query starts with them, and loading ORM objects cost more than the read itself."""
        await self.session.flush()  # what an ORM read would have flushed first
        rows: list[Any] = await (await driver_connection(self.session)).fetch(
            "SELECT id, platform, platform_account_id, name, currency, time_zone, connection_id, login_customer_id, "
            "managed FROM ad_accounts WHERE organization_id = $1 ORDER BY platform, name, id",
            organization_id,
        )
        return rows

    async def managed_accounts_page(
        self, organization_id: UUID, page: PageRequest[TextKey]
    ) -> KeysetPage[AdAccount, TextKey]:
        """Managed accounts on live connections by name."""
        query = self.scoped_accounts(organization_id).where(
            AdAccount.managed.is_(True), AdAccount.connection_id.is_not(None)
        )
        return await keyset_page(self.session, query, ACCOUNTS_BY_NAME, page)

    async def managed_accounts(self, organization_id: UUID) -> list[AdAccount]:
        query = (
            self.scoped_accounts(organization_id)
            .where(AdAccount.managed.is_(True), AdAccount.connection_id.is_not(None))
            .order_by(AdAccount.platform, AdAccount.name, AdAccount.id)
        )
        return list((await self.session.scalars(query)).all())

    async def upsert_accounts(
        self,
        organization_id: UUID,
        connection_id: UUID,
        platform: str,
        remote: Sequence[RemoteAdAccount],
        now: datetime,
    ) -> None:
        """Insert new accounts (unmanaged) and refresh the others' details, keyed by the platform's account id.

        An account another live connection of the organization already reaches stays with that connection; one
        whose connection was removed is taken over by this one.
        """
        if not remote:
            return
        # One row per account: a listing may name an account twice (pages that shifted), and one statement cannot
        # upsert the same row twice. The last listing wins.
        unique = {account.account_id: account for account in remote}.values()
        rows = [
            {
                "organization_id": organization_id,
                "connection_id": connection_id,
                "platform": platform,
                "platform_account_id": account.account_id,
                "name": account.name[:300],
                "currency": account.currency,
                "time_zone": account.time_zone,
                "login_customer_id": account.login_customer_id,
                "is_manager": account.is_manager,
                "platform_active": account.active,
                "managed": False,
                "updated_at": now,
            }
            for account in unique
        ]
        statement = insert(AdAccount).values(rows)
        excluded = statement.excluded
        statement = statement.on_conflict_do_update(
            index_elements=["organization_id", "platform", "platform_account_id"],
            set_={
                "connection_id": func.coalesce(AdAccount.connection_id, excluded.connection_id),
                "name": excluded.name,
                "currency": excluded.currency,
                "time_zone": excluded.time_zone,
                "login_customer_id": excluded.login_customer_id,
                "is_manager": excluded.is_manager,
                "platform_active": excluded.platform_active,
                # A manager account is never managed (it has no campaigns of its own).
                "managed": AdAccount.managed & ~excluded.is_manager,
                "updated_at": excluded.updated_at,
            },
        )
        await self.session.execute(statement)

    async def mark_unreachable(
        self, organization_id: UUID, connection_id: UUID, reachable_ids: Sequence[str], now: datetime
    ) -> int:
        """Accounts of the connection the login no longer reaches: kept, but no longer active."""
        statement = (
            update(AdAccount)
            .where(
                AdAccount.organization_id == organization_id,
                AdAccount.connection_id == connection_id,
                AdAccount.platform_account_id.not_in(list(reachable_ids)),
                AdAccount.platform_active.is_(True),
            )
            .values(platform_active=False, updated_at=now)
        )
        result = await self.session.execute(statement)
        return int(result.rowcount)  # type: ignore[attr-defined]

    async def set_managed(self, organization_id: UUID, connection_id: UUID, managed_ids: Sequence[UUID]) -> None:
        statement = (
            update(AdAccount)
            .where(AdAccount.organization_id == organization_id, AdAccount.connection_id == connection_id)
            .values(managed=AdAccount.id.in_(list(managed_ids)) if managed_ids else False)
        )
        await self.session.execute(statement)

    async def release_accounts(self, organization_id: UUID, connection_id: UUID) -> None:
        """Before a disconnect: nothing stays managed (the foreign key then clears ``connection_id``)."""
        statement = (
            update(AdAccount)
            .where(AdAccount.organization_id == organization_id, AdAccount.connection_id == connection_id)
            .values(managed=False)
        )
        await self.session.execute(statement)

    # --- OAuth states -----------------------------------------------------------------------------------------

    async def state_by_hash(self, organization_id: UUID, state_hash: str) -> OAuthState | None:
        query = (
            select(OAuthState)
            .where(OAuthState.organization_id == organization_id, OAuthState.state_hash == state_hash)
            .with_for_update()
        )
        return (await self.session.scalars(query)).first()

    async def delete_stale_states(self, organization_id: UUID, before: datetime) -> None:
        await self.session.execute(
            delete(OAuthState).where(OAuthState.organization_id == organization_id, OAuthState.expires_at < before)
        )

    async def names(
        self, organization_id: UUID, connection_ids: Sequence[UUID], ad_account_ids: Sequence[UUID]
    ) -> tuple[dict[UUID, str], dict[UUID, tuple[str, str]]]:
        """Display names of connections, and (name, platform) of ad accounts, of one organization, by id."""
        connections = await self.session.execute(
            select(PlatformConnection.id, PlatformConnection.display_name).where(
                PlatformConnection.organization_id == organization_id, PlatformConnection.id.in_(connection_ids)
            )
        )
        accounts = await self.session.execute(
            select(AdAccount.id, AdAccount.name, AdAccount.platform).where(
                AdAccount.organization_id == organization_id, AdAccount.id.in_(ad_account_ids)
            )
        )
        return (
            {row.id: row.display_name for row in connections.all()},
            {row.id: (row.name, row.platform) for row in accounts.all()},
        )


async def platform_operations(session: AsyncSession) -> list[tuple[str, int, datetime]]:
    """Per platform: operations counted in the last 24 hours (the hour under way and the 23 before it), and the
    start of the oldest of those hours. The counts are the installation's, not a tenant's (no organization)."""
    result = await session.execute(
        text(
            "SELECT platform, sum(operations)::bigint, min(hour) FROM platform_operations "
            "WHERE hour >= date_trunc('hour', now()) - interval '23 hours' AND operations > 0 GROUP BY platform"
        )
    )
    return [(platform, int(used), oldest) for platform, used, oldest in result.all()]
