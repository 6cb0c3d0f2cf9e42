"""Credentials for other modules (open_account), their refresh ahead of expiry, and the connection's health."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any, cast
from uuid import UUID, uuid4

import httpx
import pytest

from adpilot.connections import (
    AdAccountNotFound,
    ConnectionNeedsReconnect,
    FailureOutcome,
    connection_service,
)
from adpilot.platforms.errors import (
    PlatformAuthError,
    PlatformRateLimited,
    PlatformRejected,
    PlatformUnavailable,
)
from adpilot.platforms.types import AdAccountRef, Credentials, Platform
from tests.connections.conftest import account_id, audit_actions, base, connect, manage
from tests.connections.fakes import FakeAdapter, remote_account
from tests.fixtures import OrgWorld


@pytest.fixture
async def connected(client: httpx.AsyncClient, world: OrgWorld, google: FakeAdapter) -> dict[str, Any]:
    """A Google connection whose account 1001 (reached through manager 9000) is managed."""
    google.accounts = [remote_account("9000", is_manager=True), remote_account("1001", login_customer_id="9000")]
    connection = await connect(client, world.organization_id, world.manager)
    return await manage(client, world.organization_id, world.manager, connection, account_id(connection, "1001"))


@pytest.fixture
def short_lived(google: FakeAdapter) -> FakeAdapter:
    """Tokens issued from now on expire in 5 minutes (inside the 15-minute refresh margin)."""
    google.token_ttl = timedelta(minutes=5)
    return google


class TestOpenAccount:
    async def test_it_gives_the_adapter_valid_credentials_and_the_account(
        self, world: OrgWorld, connected: dict[str, Any], google: FakeAdapter, tenant_session: Any
    ) -> None:
        managed = account_id(connected, "1001")
        async with tenant_session(world.organization_id) as session:
            access = await connection_service.open_account(session, UUID(world.organization_id), UUID(managed))
        # The fake takes its platform per instance, so it is not an AdPlatformAdapter to the type checker.
        assert cast(object, access.adapter) is google
        assert access.credentials.access_token in google.valid_access_tokens
        # The stored currency and time zone come along: the adapters need not ask the platform before each read.
        assert access.account == AdAccountRef("1001", "9000", "EUR", "Europe/Berlin")
        assert access.ad_account.id == UUID(managed)
        assert access.ad_account.platform is Platform.google
        assert access.ad_account.connection_id == UUID(connected["id"])
        assert (access.ad_account.currency, access.ad_account.time_zone) == ("EUR", "Europe/Berlin")
        assert google.calls.refreshes == []

    async def test_unmanaged_unknown_and_needs_reconnect_accounts_are_refused(
        self, world: OrgWorld, connected: dict[str, Any], tenant_session: Any, superuser_sql: Any
    ) -> None:
        organization_id = UUID(world.organization_id)
        async with tenant_session(organization_id) as session:
            with pytest.raises(ConnectionNeedsReconnect) as unmanaged:
                await connection_service.open_account(session, organization_id, UUID(account_id(connected, "9000")))
            assert unmanaged.value.extra["reason"] == "not_managed"
            with pytest.raises(AdAccountNotFound):
                await connection_service.open_account(session, organization_id, uuid4())
        await superuser_sql("UPDATE platform_connections SET health = 'needs_reconnect', health_reason = 'revoked'")
        async with tenant_session(organization_id) as session:
            with pytest.raises(ConnectionNeedsReconnect) as needs:
                await connection_service.open_account(session, organization_id, UUID(account_id(connected, "1001")))
        assert needs.value.status_code == 409
        assert needs.value.detail == "revoked"

    async def test_another_organization_cannot_open_the_account(
        self, world: OrgWorld, connected: dict[str, Any], tenant_session: Any
    ) -> None:
        other = UUID(world.other_organization_id)
        async with tenant_session(other) as session:
            with pytest.raises(AdAccountNotFound):
                await connection_service.open_account(session, other, UUID(account_id(connected, "1001")))
            assert await connection_service.list_managed_accounts(session, other) == []

    async def test_a_disconnected_account_needs_reconnecting(
        self, client: httpx.AsyncClient, world: OrgWorld, connected: dict[str, Any], tenant_session: Any
    ) -> None:
        await client.delete(f"{base(world.organization_id)}/{connected['id']}", headers=world.manager.headers)
        async with tenant_session(world.organization_id) as session:
            info = await connection_service.get_ad_account(
                session, UUID(world.organization_id), UUID(account_id(connected, "1001"))
            )
            assert info is not None
            assert (info.connection_id, info.managed) == (None, False)
            with pytest.raises(ConnectionNeedsReconnect) as disconnected:
                await connection_service.open_account(session, UUID(world.organization_id), info.id)
        assert disconnected.value.extra["reason"] == "disconnected"

    async def test_list_managed_accounts(self, world: OrgWorld, connected: dict[str, Any], tenant_session: Any) -> None:
        async with tenant_session(world.organization_id) as session:
            accounts = await connection_service.list_managed_accounts(session, UUID(world.organization_id))
        assert [(a.platform_account_id, a.login_customer_id, a.managed) for a in accounts] == [("1001", "9000", True)]


class TestRefreshAheadOfExpiry:
    async def test_credentials_expiring_within_the_margin_are_refreshed_and_stored(
        self,
        world: OrgWorld,
        short_lived: FakeAdapter,
        connected: dict[str, Any],
        tenant_session: Any,
        superuser_sql: Any,
    ) -> None:
        [(expiry_before,)] = await superuser_sql("SELECT token_expires_at FROM platform_connections")
        short_lived.token_ttl = timedelta(hours=1)  # the refreshed token is good for an hour
        async with tenant_session(world.organization_id) as session:
            access = await connection_service.open_account(
                session, UUID(world.organization_id), UUID(account_id(connected, "1001"))
            )
            # Committed on its own, before the caller's transaction ends.
            [(expiry_after, refreshed_at)] = await superuser_sql(
                "SELECT token_expires_at, refreshed_at FROM platform_connections"
            )
        assert len(short_lived.calls.refreshes) == 1
        assert access.credentials.access_token != short_lived.calls.listings[0].access_token
        assert expiry_after > expiry_before
        assert refreshed_at is not None
        # The next use finds the stored fresh credentials.
        async with tenant_session(world.organization_id) as session:
            again = await connection_service.open_account(
                session, UUID(world.organization_id), UUID(account_id(connected, "1001"))
            )
        assert again.credentials.access_token == access.credentials.access_token

    async def test_two_concurrent_uses_refresh_once(
        self, world: OrgWorld, short_lived: FakeAdapter, connected: dict[str, Any], tenant_session: Any
    ) -> None:
        short_lived.refresh_delay = 0.3
        short_lived.token_ttl = timedelta(hours=1)  # the refreshed token is good for an hour

        async def use() -> str:
            async with tenant_session(world.organization_id) as session:
                access = await connection_service.open_account(
                    session, UUID(world.organization_id), UUID(account_id(connected, "1001"))
                )
                return access.credentials.access_token

        first, second = await asyncio.gather(use(), use())
        assert len(short_lived.calls.refreshes) == 1
        assert first == second

    async def test_a_refresh_held_up_by_another_worker_for_too_long_uses_the_still_valid_token(
        self,
        world: OrgWorld,
        short_lived: FakeAdapter,
        connected: dict[str, Any],
        tenant_session: Any,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        from sqlalchemy import text

        from adpilot.connections.service import credentials

        monkeypatch.setattr(credentials, "REFRESH_LOCK_TIMEOUT", "200ms")
        async with tenant_session(world.organization_id) as holder:
            await holder.execute(
                text("SELECT 1 FROM platform_connections WHERE id = :id FOR UPDATE"), {"id": UUID(connected["id"])}
            )
            async with tenant_session(world.organization_id) as session:
                access = await connection_service.open_account(
                    session, UUID(world.organization_id), UUID(account_id(connected, "1001"))
                )
        assert short_lived.calls.refreshes == []
        assert access.credentials.access_token == short_lived.calls.listings[0].access_token

    async def test_a_refresh_the_platform_refuses_needs_reconnecting(
        self,
        client: httpx.AsyncClient,
        world: OrgWorld,
        short_lived: FakeAdapter,
        connected: dict[str, Any],
        tenant_session: Any,
    ) -> None:
        short_lived.refresh_errors.append(PlatformAuthError("invalid_grant: Token has been expired or revoked."))
        async with tenant_session(world.organization_id) as session:
            with pytest.raises(ConnectionNeedsReconnect):
                await connection_service.open_account(
                    session, UUID(world.organization_id), UUID(account_id(connected, "1001"))
                )
        listed = (await client.get(base(world.organization_id), headers=world.viewer.headers)).json()
        assert listed["needs_reconnect_count"] == 1
        assert "Token has been expired or revoked" in listed["items"][0]["health_reason"]
        assert (await audit_actions(client, world.organization_id, world.admin))[-1] == "connection.needs_reconnect"

    async def test_a_transient_refresh_failure_keeps_using_the_still_valid_token(
        self, world: OrgWorld, short_lived: FakeAdapter, connected: dict[str, Any], tenant_session: Any
    ) -> None:
        short_lived.refresh_errors.append(PlatformUnavailable("HTTP 503"))
        async with tenant_session(world.organization_id) as session:
            access = await connection_service.open_account(
                session, UUID(world.organization_id), UUID(account_id(connected, "1001"))
            )
        assert access.credentials.access_token == short_lived.calls.listings[0].access_token

    async def test_a_transient_refresh_failure_of_an_expired_token_says_try_later(
        self, client: httpx.AsyncClient, world: OrgWorld, google: FakeAdapter, tenant_session: Any
    ) -> None:
        google.token_ttl = timedelta(minutes=-1)  # the stored token is already expired
        connection = await connect(client, world.organization_id, world.manager)
        await manage(client, world.organization_id, world.manager, connection, account_id(connection, "1001"))
        google.refresh_errors.append(PlatformRateLimited("quota", retry_after=30))
        async with tenant_session(world.organization_id) as session:
            with pytest.raises(PlatformRateLimited):
                await connection_service.open_account(
                    session, UUID(world.organization_id), UUID(account_id(connection, "1001"))
                )


class TestHealth:
    async def record(self, world: OrgWorld, connection_id: str, error: Any, tenant_session: Any) -> FailureOutcome:
        async with tenant_session(world.organization_id) as session:
            return await connection_service.record_platform_failure(
                session, UUID(world.organization_id), UUID(connection_id), error
            )

    async def health(self, client: httpx.AsyncClient, world: OrgWorld) -> tuple[str, str | None]:
        item = (await client.get(base(world.organization_id), headers=world.viewer.headers)).json()["items"][0]
        return item["health"], item["health_reason"]

    async def test_three_transient_failures_in_a_row_degrade_and_a_success_heals(
        self, client: httpx.AsyncClient, world: OrgWorld, connected: dict[str, Any], tenant_session: Any
    ) -> None:
        for expected in ("ok", "ok", "degraded"):
            outcome = await self.record(world, connected["id"], PlatformUnavailable("HTTP 500"), tenant_session)
            assert outcome is FailureOutcome.retry_later
            assert (await self.health(client, world))[0] == expected
        assert "failed 3 times in a row: HTTP 500" in str((await self.health(client, world))[1])
        async with tenant_session(world.organization_id) as session:
            await connection_service.record_platform_success(
                session, UUID(world.organization_id), UUID(connected["id"])
            )
        assert await self.health(client, world) == ("ok", None)

    async def test_a_success_resets_the_count(
        self, client: httpx.AsyncClient, world: OrgWorld, connected: dict[str, Any], tenant_session: Any
    ) -> None:
        rate_limited = PlatformRateLimited("slow down", retry_after=5)
        for _ in range(2):
            await self.record(world, connected["id"], rate_limited, tenant_session)
        async with tenant_session(world.organization_id) as session:
            await connection_service.record_platform_success(
                session, UUID(world.organization_id), UUID(connected["id"])
            )
        for _ in range(2):
            await self.record(world, connected["id"], rate_limited, tenant_session)
        assert (await self.health(client, world))[0] == "ok"

    async def test_a_grant_no_refresh_can_fix_needs_reconnecting_and_stays_so(
        self, client: httpx.AsyncClient, world: OrgWorld, connected: dict[str, Any], tenant_session: Any
    ) -> None:
        error = PlatformAuthError("The user revoked access.", refreshable=False)
        assert await self.record(world, connected["id"], error, tenant_session) is FailureOutcome.reconnect
        assert await self.health(client, world) == (
            "needs_reconnect",
            "Google Ads no longer accepts this connection's access: The user revoked access.",
        )
        # Recorded again, or followed by a stray success: still one notice, one audit entry, until a reconnect.
        await self.record(world, connected["id"], error, tenant_session)
        async with tenant_session(world.organization_id) as session:
            await connection_service.record_platform_success(
                session, UUID(world.organization_id), UUID(connected["id"])
            )
        assert (await self.health(client, world))[0] == "needs_reconnect"
        actions = await audit_actions(client, world.organization_id, world.admin)
        assert actions.count("connection.needs_reconnect") == 1
        await connect(client, world.organization_id, world.manager)
        assert await self.health(client, world) == ("ok", None)

    async def test_an_expired_token_is_refreshed_once_and_the_call_may_be_retried(
        self,
        client: httpx.AsyncClient,
        world: OrgWorld,
        google: FakeAdapter,
        connected: dict[str, Any],
        tenant_session: Any,
        superuser_sql: Any,
    ) -> None:
        await superuser_sql("UPDATE platform_connections SET refreshed_at = now() - interval '1 hour'")
        error = PlatformAuthError("OAUTH_TOKEN_EXPIRED", refreshable=True)
        assert await self.record(world, connected["id"], error, tenant_session) is FailureOutcome.retry_now
        assert len(google.calls.refreshes) == 1
        # Another worker that ran into the same expired token right after does not refresh again.
        assert await self.record(world, connected["id"], error, tenant_session) is FailureOutcome.retry_now
        assert len(google.calls.refreshes) == 1
        assert (await self.health(client, world))[0] == "ok"

    async def test_the_refused_token_is_refreshed_even_right_after_a_refresh_unless_already_replaced(
        self, world: OrgWorld, google: FakeAdapter, connected: dict[str, Any], tenant_session: Any, superuser_sql: Any
    ) -> None:
        await superuser_sql("UPDATE platform_connections SET refreshed_at = now()")
        (current,) = google.valid_access_tokens
        error = PlatformAuthError("OAUTH_TOKEN_EXPIRED", refreshable=True)
        replaced = Credentials(access_token="an-earlier-token")
        async with tenant_session(world.organization_id) as session:
            outcome = await connection_service.record_platform_failure(
                session, UUID(world.organization_id), UUID(connected["id"]), error, rejected=replaced
            )
        assert outcome is FailureOutcome.retry_now and google.calls.refreshes == []
        refused = Credentials(access_token=current)
        async with tenant_session(world.organization_id) as session:
            outcome = await connection_service.record_platform_failure(
                session, UUID(world.organization_id), UUID(connected["id"]), error, rejected=refused
            )
        assert outcome is FailureOutcome.retry_now
        assert [c.access_token for c in google.calls.refreshes] == [current]

    async def test_a_failed_refresh_after_a_rejected_token_needs_reconnecting(
        self,
        client: httpx.AsyncClient,
        world: OrgWorld,
        google: FakeAdapter,
        connected: dict[str, Any],
        tenant_session: Any,
        superuser_sql: Any,
    ) -> None:
        await superuser_sql("UPDATE platform_connections SET refreshed_at = now() - interval '1 hour'")
        google.refresh_errors.append(PlatformAuthError("invalid_grant", refreshable=False))
        error = PlatformAuthError("OAUTH_TOKEN_EXPIRED", refreshable=True)
        assert await self.record(world, connected["id"], error, tenant_session) is FailureOutcome.reconnect
        assert (await self.health(client, world))[0] == "needs_reconnect"

    async def test_tokens_that_do_not_expire_cannot_be_fixed_by_a_refresh(
        self,
        client: httpx.AsyncClient,
        world: OrgWorld,
        google: FakeAdapter,
        connected: dict[str, Any],
        tenant_session: Any,
        superuser_sql: Any,
    ) -> None:
        await superuser_sql("UPDATE platform_connections SET refreshed_at = now() - interval '1 hour'")
        google.refresh_keeps_token = True  # like TikTok's long-term tokens: refresh returns them unchanged
        error = PlatformAuthError("Access token is incorrect or has been revoked.", refreshable=True)
        assert await self.record(world, connected["id"], error, tenant_session) is FailureOutcome.reconnect
        assert (await self.health(client, world))[0] == "needs_reconnect"

    async def test_a_rejected_request_says_nothing_about_the_connection(
        self, client: httpx.AsyncClient, world: OrgWorld, connected: dict[str, Any], tenant_session: Any
    ) -> None:
        error = PlatformRejected("budget too low", field_errors={"budget": "too low"})
        assert await self.record(world, connected["id"], error, tenant_session) is FailureOutcome.rejected
        assert await self.health(client, world) == ("ok", None)

    async def test_no_connection_means_reconnect(self, world: OrgWorld, tenant_session: Any) -> None:
        async with tenant_session(world.organization_id) as session:
            outcome = await connection_service.record_platform_failure(
                session, UUID(world.organization_id), None, PlatformUnavailable("x")
            )
            await connection_service.record_platform_success(session, UUID(world.organization_id), None)
        assert outcome is FailureOutcome.reconnect
