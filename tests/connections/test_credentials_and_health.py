"""Opening an account for a platform call (through the gateway), credentials refreshed ahead of expiry, and the
connection's health as the gateway records it."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any, cast
from uuid import UUID, uuid4

import httpx
import pytest

from adpilot.connections import (
    AccountAccess,
    AdAccountNotFound,
    ConnectionNeedsReconnect,
    account_service,
    credential_service,
    platform_gateway,
)
from adpilot.platforms.errors import (
    PlatformAuthError,
    PlatformError,
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


async def opened(access: AccountAccess) -> AccountAccess:
    """An operation that only looks at what the gateway opened."""
    return access


async def open_account(organization_id: str | UUID, ad_account_id: str | UUID) -> AccountAccess:
    """The account as the gateway opens it for a call."""
    return await platform_gateway.call(UUID(str(organization_id)), UUID(str(ad_account_id)), opened)


class TestOpenAccount:
    async def test_it_gives_the_adapter_valid_credentials_and_the_account(
        self, world: OrgWorld, connected: dict[str, Any], google: FakeAdapter
    ) -> None:
        managed = account_id(connected, "1001")
        access = await open_account(world.organization_id, managed)
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
        self, world: OrgWorld, connected: dict[str, Any], superuser_sql: Any
    ) -> None:
        with pytest.raises(AdAccountNotFound) as unmanaged:
            await open_account(world.organization_id, account_id(connected, "9000"))
        assert unmanaged.value.detail == "This ad account is not managed."
        with pytest.raises(AdAccountNotFound):
            await open_account(world.organization_id, uuid4())
        await superuser_sql("UPDATE platform_connections SET health = 'needs_reconnect', health_reason = 'revoked'")
        with pytest.raises(ConnectionNeedsReconnect) as needs:
            await open_account(world.organization_id, account_id(connected, "1001"))
        assert needs.value.status_code == 409
        assert needs.value.detail == "revoked"

    async def test_another_organization_cannot_open_the_account(
        self, world: OrgWorld, connected: dict[str, Any], tenant_session: Any
    ) -> None:
        with pytest.raises(AdAccountNotFound):
            await open_account(world.other_organization_id, account_id(connected, "1001"))
        async with tenant_session(world.other_organization_id) as session:
            assert await account_service.list_managed_accounts(session, UUID(world.other_organization_id)) == []

    async def test_a_disconnected_account_needs_reconnecting(
        self, client: httpx.AsyncClient, world: OrgWorld, connected: dict[str, Any], tenant_session: Any
    ) -> None:
        await client.delete(f"{base(world.organization_id)}/{connected['id']}", headers=world.manager.headers)
        async with tenant_session(world.organization_id) as session:
            info = await account_service.get_ad_account(
                session, UUID(world.organization_id), UUID(account_id(connected, "1001"))
            )
        assert info is not None
        assert (info.connection_id, info.managed) == (None, False)
        with pytest.raises(ConnectionNeedsReconnect) as disconnected:
            await open_account(world.organization_id, info.id)
        assert disconnected.value.extra["reason"] == "disconnected"

    async def test_list_managed_accounts(self, world: OrgWorld, connected: dict[str, Any], tenant_session: Any) -> None:
        async with tenant_session(world.organization_id) as session:
            accounts = await account_service.list_managed_accounts(session, UUID(world.organization_id))
        assert [(a.platform_account_id, a.login_customer_id, a.managed) for a in accounts] == [("1001", "9000", True)]


class TestRefreshAheadOfExpiry:
    async def test_credentials_expiring_within_the_margin_are_refreshed_and_stored(
        self, world: OrgWorld, short_lived: FakeAdapter, connected: dict[str, Any], superuser_sql: Any
    ) -> None:
        [(expiry_before,)] = await superuser_sql("SELECT token_expires_at FROM platform_connections")
        short_lived.token_ttl = timedelta(hours=1)  # the refreshed token is good for an hour
        access = await open_account(world.organization_id, account_id(connected, "1001"))
        [(expiry_after, refreshed_at)] = await superuser_sql(
            "SELECT token_expires_at, refreshed_at FROM platform_connections"
        )
        assert len(short_lived.calls.refreshes) == 1
        assert access.credentials.access_token != short_lived.calls.listings[0].access_token
        assert expiry_after > expiry_before
        assert refreshed_at is not None
        # The next use finds the stored fresh credentials.
        again = await open_account(world.organization_id, account_id(connected, "1001"))
        assert again.credentials.access_token == access.credentials.access_token

    async def test_two_concurrent_uses_refresh_once(
        self, world: OrgWorld, short_lived: FakeAdapter, connected: dict[str, Any]
    ) -> None:
        short_lived.refresh_delay = 0.3
        short_lived.token_ttl = timedelta(hours=1)  # the refreshed token is good for an hour

        async def use() -> str:
            return (await open_account(world.organization_id, account_id(connected, "1001"))).credentials.access_token

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
            access = await open_account(world.organization_id, account_id(connected, "1001"))
        assert short_lived.calls.refreshes == []
        assert access.credentials.access_token == short_lived.calls.listings[0].access_token

    async def test_a_refresh_the_platform_refuses_needs_reconnecting(
        self, client: httpx.AsyncClient, world: OrgWorld, short_lived: FakeAdapter, connected: dict[str, Any]
    ) -> None:
        short_lived.refresh_errors.append(PlatformAuthError("invalid_grant: Token has been expired or revoked."))
        with pytest.raises(ConnectionNeedsReconnect):
            await open_account(world.organization_id, account_id(connected, "1001"))
        listed = (await client.get(base(world.organization_id), headers=world.viewer.headers)).json()
        assert listed["needs_reconnect_count"] == 1
        assert "Token has been expired or revoked" in listed["items"][0]["health_reason"]
        assert (await audit_actions(client, world.organization_id, world.admin))[-1] == "connection.needs_reconnect"

    async def test_a_transient_refresh_failure_keeps_using_the_still_valid_token(
        self, world: OrgWorld, short_lived: FakeAdapter, connected: dict[str, Any]
    ) -> None:
        short_lived.refresh_errors.append(PlatformUnavailable("HTTP 503"))
        access = await open_account(world.organization_id, account_id(connected, "1001"))
        assert access.credentials.access_token == short_lived.calls.listings[0].access_token

    async def test_a_transient_refresh_failure_of_an_expired_token_says_try_later(
        self, client: httpx.AsyncClient, world: OrgWorld, google: FakeAdapter
    ) -> None:
        google.token_ttl = timedelta(minutes=-1)  # the stored token is already expired
        connection = await connect(client, world.organization_id, world.manager)
        await manage(client, world.organization_id, world.manager, connection, account_id(connection, "1001"))
        google.refresh_errors.append(PlatformRateLimited("quota", retry_after=30))
        with pytest.raises(PlatformRateLimited):
            await open_account(world.organization_id, account_id(connection, "1001"))


def failing(error: PlatformError, times: int = 1) -> Callable[[AccountAccess], Awaitable[AccountAccess]]:
    """An operation the platform refuses ``times`` times with ``error``, then answers."""
    left = times

    async def operation(access: AccountAccess) -> AccountAccess:
        nonlocal left
        if left:
            left -= 1
            raise error
        return access

    return operation


class TestHealth:
    """What the gateway records on the connection after a call: a failure counts, a success clears the count."""

    async def fail(self, world: OrgWorld, connected: dict[str, Any], error: PlatformError) -> Exception:
        """A call about the managed account that the platform refuses with ``error``; what the gateway raised."""
        with pytest.raises(Exception) as raised:
            await platform_gateway.call(
                UUID(world.organization_id), UUID(account_id(connected, "1001")), failing(error)
            )
        return raised.value

    async def succeed(self, world: OrgWorld, connected: dict[str, Any]) -> None:
        await open_account(world.organization_id, account_id(connected, "1001"))

    async def health(self, client: httpx.AsyncClient, world: OrgWorld) -> tuple[str, str | None]:
        item = (await client.get(base(world.organization_id), headers=world.viewer.headers)).json()["items"][0]
        return item["health"], item["health_reason"]

    async def test_three_transient_failures_in_a_row_degrade_and_a_success_heals(
        self, client: httpx.AsyncClient, world: OrgWorld, connected: dict[str, Any]
    ) -> None:
        for expected in ("ok", "ok", "degraded"):
            assert isinstance(await self.fail(world, connected, PlatformUnavailable("HTTP 500")), PlatformUnavailable)
            assert (await self.health(client, world))[0] == expected
        assert "failed 3 times in a row: HTTP 500" in str((await self.health(client, world))[1])
        await self.succeed(world, connected)
        assert await self.health(client, world) == ("ok", None)

    async def test_a_success_resets_the_count(
        self, client: httpx.AsyncClient, world: OrgWorld, connected: dict[str, Any]
    ) -> None:
        rate_limited = PlatformRateLimited("slow down", retry_after=5)
        for _ in range(2):
            await self.fail(world, connected, rate_limited)
        await self.succeed(world, connected)
        for _ in range(2):
            await self.fail(world, connected, rate_limited)
        assert (await self.health(client, world))[0] == "ok"

    async def test_a_grant_no_refresh_can_fix_needs_reconnecting_and_stays_so(
        self, client: httpx.AsyncClient, world: OrgWorld, connected: dict[str, Any]
    ) -> None:
        organization_id, ad_account_id = UUID(world.organization_id), UUID(account_id(connected, "1001"))
        error = PlatformAuthError("The user revoked access.", refreshable=False)
        # Two more calls opened before the access was revoked: one refused too, one that still worked.
        async with (
            platform_gateway.session(organization_id, ad_account_id) as refused_too,
            platform_gateway.session(organization_id, ad_account_id) as stray,
        ):
            assert isinstance(await self.fail(world, connected, error), ConnectionNeedsReconnect)
            assert await self.health(client, world) == (
                "needs_reconnect",
                "Google Ads no longer accepts this connection's access: The user revoked access.",
            )
            # Recorded again, or followed by a stray success: still one notice, one audit entry, until a reconnect.
            with pytest.raises(ConnectionNeedsReconnect):
                await refused_too.call(failing(error))
            await stray.call(opened)
        assert (await self.health(client, world))[0] == "needs_reconnect"
        actions = await audit_actions(client, world.organization_id, world.admin)
        assert actions.count("connection.needs_reconnect") == 1
        await connect(client, world.organization_id, world.manager)
        assert await self.health(client, world) == ("ok", None)

    async def test_an_expired_token_is_refreshed_once_and_the_call_made_again(
        self, client: httpx.AsyncClient, world: OrgWorld, google: FakeAdapter, connected: dict[str, Any]
    ) -> None:
        error = PlatformAuthError("OAUTH_TOKEN_EXPIRED", refreshable=True)
        (before,) = google.valid_access_tokens
        access = await platform_gateway.call(
            UUID(world.organization_id), UUID(account_id(connected, "1001")), failing(error)
        )
        assert [c.access_token for c in google.calls.refreshes] == [before]
        assert access.credentials.access_token in google.valid_access_tokens
        assert (await self.health(client, world))[0] == "ok"

    async def test_a_refresh_without_the_refused_token_is_skipped_right_after_another(
        self, world: OrgWorld, google: FakeAdapter, connected: dict[str, Any], superuser_sql: Any
    ) -> None:
        await superuser_sql("UPDATE platform_connections SET refreshed_at = now() - interval '1 hour'")
        error = PlatformAuthError("OAUTH_TOKEN_EXPIRED", refreshable=True)
        organization_id, connection_id = UUID(world.organization_id), UUID(connected["id"])
        _, failed = await credential_service.refresh_in_own_transaction(organization_id, connection_id, cause=error)
        assert failed is None and len(google.calls.refreshes) == 1
        # Another worker that ran into the same expired token right after does not refresh again.
        _, failed = await credential_service.refresh_in_own_transaction(organization_id, connection_id, cause=error)
        assert failed is None and len(google.calls.refreshes) == 1

    async def test_the_refused_token_is_refreshed_even_right_after_a_refresh_unless_already_replaced(
        self, world: OrgWorld, google: FakeAdapter, connected: dict[str, Any], superuser_sql: Any
    ) -> None:
        await superuser_sql("UPDATE platform_connections SET refreshed_at = now()")
        (current,) = google.valid_access_tokens
        error = PlatformAuthError("OAUTH_TOKEN_EXPIRED", refreshable=True)
        organization_id, connection_id = UUID(world.organization_id), UUID(connected["id"])
        replaced = Credentials(access_token="an-earlier-token")
        fresh, failed = await credential_service.refresh_in_own_transaction(
            organization_id, connection_id, cause=error, rejected=replaced
        )
        assert (fresh.access_token, failed, google.calls.refreshes) == (current, None, [])
        refused = Credentials(access_token=current)
        fresh, failed = await credential_service.refresh_in_own_transaction(
            organization_id, connection_id, cause=error, rejected=refused
        )
        assert failed is None and fresh.access_token != current
        assert [c.access_token for c in google.calls.refreshes] == [current]

    async def test_a_failed_refresh_after_a_rejected_token_needs_reconnecting(
        self, client: httpx.AsyncClient, world: OrgWorld, google: FakeAdapter, connected: dict[str, Any]
    ) -> None:
        google.refresh_errors.append(PlatformAuthError("invalid_grant", refreshable=False))
        error = PlatformAuthError("OAUTH_TOKEN_EXPIRED", refreshable=True)
        assert isinstance(await self.fail(world, connected, error), ConnectionNeedsReconnect)
        assert (await self.health(client, world))[0] == "needs_reconnect"

    async def test_tokens_that_do_not_expire_cannot_be_fixed_by_a_refresh(
        self, client: httpx.AsyncClient, world: OrgWorld, google: FakeAdapter, connected: dict[str, Any]
    ) -> None:
        google.refresh_keeps_token = True  # like TikTok's long-term tokens: refresh returns them unchanged
        error = PlatformAuthError("Access token is incorrect or has been revoked.", refreshable=True)
        assert isinstance(await self.fail(world, connected, error), ConnectionNeedsReconnect)
        assert (await self.health(client, world))[0] == "needs_reconnect"

    async def test_a_rejected_request_says_nothing_about_the_connection(
        self, client: httpx.AsyncClient, world: OrgWorld, connected: dict[str, Any]
    ) -> None:
        error = PlatformRejected("budget too low", field_errors={"budget": "too low"})
        assert isinstance(await self.fail(world, connected, error), PlatformRejected)
        assert await self.health(client, world) == ("ok", None)

    async def test_a_session_records_one_success_when_it_ends_well_and_none_otherwise(
        self, client: httpx.AsyncClient, world: OrgWorld, connected: dict[str, Any], superuser_sql: Any
    ) -> None:
        organization_id, ad_account_id = UUID(world.organization_id), UUID(account_id(connected, "1001"))

        async def failures() -> int:
            [(count,)] = await superuser_sql("SELECT consecutive_failures FROM platform_connections")
            return int(count)

        for _ in range(3):
            await self.fail(world, connected, PlatformUnavailable("HTTP 500"))
        # A block stopped by something other than the platform (a worker stopping) records no success.
        with pytest.raises(asyncio.CancelledError):
            async with platform_gateway.session(organization_id, ad_account_id) as platform:
                await platform.call(opened)
                raise asyncio.CancelledError
        assert (await failures(), (await self.health(client, world))[0]) == (3, "degraded")
        async with platform_gateway.session(organization_id, ad_account_id) as platform:
            await platform.call(opened)
            await platform.call(opened)
            # Not yet: the success is recorded when the session ends.
            assert (await self.health(client, world))[0] == "degraded"
        assert await self.health(client, world) == ("ok", None)
        with pytest.raises(PlatformUnavailable):
            async with platform_gateway.session(organization_id, ad_account_id) as platform:
                await platform.call(opened)
                await platform.call(failing(PlatformUnavailable("HTTP 500")))
        # The failure counted; the earlier call of the same session cleared nothing after it.
        assert await failures() == 1
