"""The platform gateway: ``platform_gateway.call(organization, ad_account, operation)`` through the real adapters
against the sandbox emulators (over real HTTP), with the product's own rate limiter and operation meter.

The adapters here make each request once (no retries of a 5xx inside the pipeline), so that one fault of the
emulator is one failure the gateway sees.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest

from adpilot.config import get_settings
from adpilot.connections import (
    AccountAccess,
    AdAccountNotFound,
    ConnectionNeedsReconnect,
    adapters,
    platform_gateway,
)
from adpilot.db import Database
from adpilot.platforms.errors import PlatformUnavailable
from adpilot.platforms.http import PlatformHttp, RetryPolicy, default_client
from adpilot.platforms.quota import PostgresOperationMeter
from adpilot.platforms.ratelimit import PostgresRateLimiter
from adpilot.platforms.types import Platform, RemoteEntity
from adpilot.sandbox.faults import Fault, FaultKind
from tests.campaigns.test_entity_sync import connect_sandbox, org_url
from tests.fixtures import OrgWorld
from tests.sandbox_fixtures import SandboxServer


@pytest.fixture
async def platforms(
    sandbox_platforms: SandboxServer, database: Database, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[SandboxServer]:
    """The product's adapters pointed at the sandbox server, each request made once, metered as in production."""
    http = PlatformHttp(
        limiter=PostgresRateLimiter(database.engine),
        client=default_client(),
        retry=RetryPolicy(max_attempts=1),
        meter=PostgresOperationMeter(database.engine),
    )
    built = {platform: adapters.build_adapter(platform, get_settings(), http) for platform in Platform}
    monkeypatch.setattr(adapters, "get_adapter", lambda platform: built[platform])
    yield sandbox_platforms
    await http.aclose()


async def list_entities(access: AccountAccess) -> list[RemoteEntity]:
    return await access.adapter.list_entities(access.credentials, access.account)


async def managed_account(client: httpx.AsyncClient, world: OrgWorld, platform: Platform) -> tuple[dict[str, Any], str]:
    """A connection made through the consent page, and the id of one of its managed (non-manager) ad accounts."""
    connection = await connect_sandbox(client, world, platform)
    account = next(a for a in connection["accounts"] if a["managed"])
    return connection, account["id"]


def token_requests(server: SandboxServer) -> int:
    return sum(1 for platform, _, path in server.state.request_log if platform is Platform.google and "token" in path)


async def connection_row(superuser_sql: Any, connection: dict[str, Any]) -> tuple[str, int, Any]:
    [row] = await superuser_sql(
        "SELECT health, consecutive_failures, refreshed_at FROM platform_connections WHERE id = :id",
        id=UUID(connection["id"]),
    )
    return tuple(row)


async def test_an_expired_token_is_refreshed_once_and_the_call_made_again(
    client: httpx.AsyncClient, world: OrgWorld, platforms: SandboxServer, superuser_sql: Any
) -> None:
    connection, account_id = await managed_account(client, world, Platform.google)
    _, _, refreshed_before = await connection_row(superuser_sql, connection)
    platform_account_id = next(a["platform_account_id"] for a in connection["accounts"] if a["id"] == account_id)
    platforms.state.faults.add(Platform.google, platform_account_id, Fault(kind=FaultKind.expire_token, count=1))
    tokens_before = token_requests(platforms)

    entities = await platform_gateway.call(UUID(world.organization_id), UUID(account_id), list_entities)

    assert entities, "the sandbox account has campaigns"
    assert token_requests(platforms) == tokens_before + 1  # one refresh, through the emulator's token endpoint
    health, failures, refreshed_after = await connection_row(superuser_sql, connection)
    assert (health, failures) == ("ok", 0)
    assert refreshed_after > refreshed_before


async def test_a_token_refused_again_after_the_refresh_needs_a_reconnect(
    client: httpx.AsyncClient, world: OrgWorld, platforms: SandboxServer, superuser_sql: Any
) -> None:
    connection, account_id = await managed_account(client, world, Platform.google)
    platform_account_id = next(a["platform_account_id"] for a in connection["accounts"] if a["id"] == account_id)
    platforms.state.faults.add(Platform.google, platform_account_id, Fault(kind=FaultKind.expire_token, count=2))
    tokens_before = token_requests(platforms)

    with pytest.raises(ConnectionNeedsReconnect) as refused:
        await platform_gateway.call(UUID(world.organization_id), UUID(account_id), list_entities)

    assert refused.value.status_code == 409
    assert token_requests(platforms) == tokens_before + 1  # refreshed once, never twice
    health, _, _ = await connection_row(superuser_sql, connection)
    assert health == "needs_reconnect"
    listed = (await client.get(org_url(world, "/connections"), headers=world.viewer.headers)).json()
    assert listed["needs_reconnect_count"] == 1
    # Nothing is asked of the platform any more until a person reconnects.
    with pytest.raises(ConnectionNeedsReconnect):
        await platform_gateway.call(UUID(world.organization_id), UUID(account_id), list_entities)


async def test_failures_are_recorded_on_the_connection_and_cleared_by_a_success(
    client: httpx.AsyncClient, world: OrgWorld, platforms: SandboxServer, superuser_sql: Any
) -> None:
    connection, account_id = await managed_account(client, world, Platform.meta)
    platform_account_id = next(a["platform_account_id"] for a in connection["accounts"] if a["id"] == account_id)
    platforms.state.faults.add(Platform.meta, platform_account_id, Fault(kind=FaultKind.server_error, count=3))
    organization_id = UUID(world.organization_id)

    for expected_failures in (1, 2, 3):
        with pytest.raises(PlatformUnavailable):
            await platform_gateway.call(organization_id, UUID(account_id), list_entities)
        _, failures, _ = await connection_row(superuser_sql, connection)
        assert failures == expected_failures
    listed = (await client.get(org_url(world, "/connections"), headers=world.viewer.headers)).json()
    assert listed["items"][0]["health"] == "degraded"

    assert await platform_gateway.call(organization_id, UUID(account_id), list_entities)
    health, failures, _ = await connection_row(superuser_sql, connection)
    assert (health, failures) == ("ok", 0)
    listed = (await client.get(org_url(world, "/connections"), headers=world.viewer.headers)).json()
    assert listed["items"][0]["health"] == "ok"


async def test_the_requests_of_an_operation_are_counted_in_the_platform_quota(
    client: httpx.AsyncClient, world: OrgWorld, platforms: SandboxServer, database: Database
) -> None:
    _, account_id = await managed_account(client, world, Platform.tiktok)

    async def used() -> int:
        async with database.transaction() as session:
            quotas = {quota.platform: quota for quota in await platform_gateway.platform_quotas(session)}
        return quotas[Platform.tiktok].used

    before = await used()
    sent_before = sum(1 for platform, _, _ in platforms.state.request_log if platform is Platform.tiktok)

    await platform_gateway.call(UUID(world.organization_id), UUID(account_id), list_entities)

    sent = sum(1 for platform, _, _ in platforms.state.request_log if platform is Platform.tiktok) - sent_before
    assert sent > 0
    assert await used() == before + sent


async def test_an_unknown_or_unmanaged_account_is_not_found(
    client: httpx.AsyncClient, world: OrgWorld, platforms: SandboxServer
) -> None:
    connection, _ = await managed_account(client, world, Platform.google)
    manager = next(a for a in connection["accounts"] if a["is_manager"])
    organization_id = UUID(world.organization_id)
    sent_before = len(platforms.state.request_log)

    with pytest.raises(AdAccountNotFound):
        await platform_gateway.call(organization_id, uuid4(), list_entities)
    with pytest.raises(AdAccountNotFound) as unmanaged:
        await platform_gateway.call(organization_id, UUID(manager["id"]), list_entities)

    assert unmanaged.value.status_code == 404
    assert len(platforms.state.request_log) == sent_before  # the platform was never asked


async def test_another_organizations_account_is_not_found(
    client: httpx.AsyncClient, world: OrgWorld, platforms: SandboxServer
) -> None:
    _, account_id = await managed_account(client, world, Platform.meta)
    sent_before = len(platforms.state.request_log)

    with pytest.raises(AdAccountNotFound):
        await platform_gateway.call(UUID(world.other_organization_id), UUID(account_id), list_entities)

    assert len(platforms.state.request_log) == sent_before
