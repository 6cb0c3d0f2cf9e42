"""Credentials never appear in clear: not in the database, not in a log line, not in an API response."""

from __future__ import annotations

import io
import json
from datetime import timedelta
from typing import Any
from uuid import UUID

import httpx

from adpilot.connections import AccountAccess, platform_gateway
from adpilot.platforms.errors import PlatformAuthError
from adpilot.platforms.types import Platform
from tests.connections.conftest import account_id, base, connect, manage, run_platform_worker
from tests.connections.fakes import FakeAdapter
from tests.fixtures import OrgWorld


async def dump_database(superuser_sql: Any) -> str:
    """Every row of every table as JSON text (bytea as hex), read as the superuser."""
    tables = [row[0] for row in await superuser_sql("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")]
    lines = []
    for table in tables:
        rows = await superuser_sql(f'SELECT row_to_json(t)::text FROM "{table}" t')  # noqa: S608 - catalog names
        lines += [row[0] for row in rows]
    return "\n".join(lines)


def forms(secret: str) -> list[str]:
    """How a secret could show up in a dump or a log: as text, or as the hex or base64 of its bytes."""
    import base64

    raw = secret.encode()
    return [secret, raw.hex(), base64.b64encode(raw).decode().rstrip("=")]


async def exercise_everything(client: httpx.AsyncClient, world: OrgWorld, fakes: dict[Platform, FakeAdapter]) -> None:
    """Connect (with PKCE and without), choose accounts, refresh ahead of expiry and after a rejected token, list
    accounts again, use the credentials, reconnect and disconnect."""
    google, meta = fakes[Platform.google], fakes[Platform.meta]
    google.token_ttl = timedelta(minutes=5)
    connection = await connect(client, world.organization_id, world.manager, "google")
    await connect(client, world.organization_id, world.manager, "meta")
    await manage(client, world.organization_id, world.manager, connection, account_id(connection, "1001"))
    rejected = False

    async def refused_once(access: AccountAccess) -> None:
        nonlocal rejected
        if not rejected:
            rejected = True
            raise PlatformAuthError("expired", refreshable=True)

    # Opened (refreshed ahead of expiry), then refused once (refreshed again) and called again.
    await platform_gateway.call(UUID(world.organization_id), UUID(account_id(connection, "1001")), refused_once)
    google.expire_all_tokens()
    refreshed = await client.post(
        f"{base(world.organization_id)}/{connection['id']}/accounts/refresh", headers=world.manager.headers
    )
    assert refreshed.status_code == 202, refreshed.text
    await run_platform_worker()  # the listing (with a refresh of the expired token) runs as a job
    await connect(client, world.organization_id, world.manager, "google")
    meta_id = (await client.get(base(world.organization_id), headers=world.manager.headers)).json()["items"][1]["id"]
    deleted = await client.delete(f"{base(world.organization_id)}/{meta_id}", headers=world.manager.headers)
    assert deleted.status_code == 204
    assert len(google.secrets) >= 8 and meta.secrets


class TestSecrecy:
    async def test_no_credential_is_readable_anywhere_in_the_database(
        self, client: httpx.AsyncClient, world: OrgWorld, fakes: dict[Platform, FakeAdapter], superuser_sql: Any
    ) -> None:
        await exercise_everything(client, world, fakes)
        dump = await dump_database(superuser_sql)
        [(ciphertext,)] = await superuser_sql("SELECT credentials_ciphertext FROM platform_connections")
        assert ciphertext.hex() in dump  # the dump does hold the stored credentials, encrypted
        for fake in fakes.values():
            for secret in fake.secrets:
                for form in forms(secret):
                    assert form not in dump, "a credential is readable in the database"

    async def test_no_credential_reaches_a_log_line(
        self,
        client: httpx.AsyncClient,
        world: OrgWorld,
        fakes: dict[Platform, FakeAdapter],
        captured_logs: io.StringIO,
    ) -> None:
        await exercise_everything(client, world, fakes)
        output = captured_logs.getvalue()
        assert "connection.connected" in output and "connection.credentials_refreshed" in output
        for fake in fakes.values():
            for secret in fake.secrets:
                assert secret not in output, "a credential reached the logs"

    async def test_no_credential_is_in_an_api_response(
        self, client: httpx.AsyncClient, world: OrgWorld, fakes: dict[Platform, FakeAdapter]
    ) -> None:
        await exercise_everything(client, world, fakes)
        bodies = [
            (await client.get(base(world.organization_id), headers=world.admin.headers)).text,
            (await client.get(f"/api/v1/orgs/{world.organization_id}/audit-log", headers=world.admin.headers)).text,
        ]
        items = json.loads(bodies[0])["items"]
        assert set(items[0]) == {
            "id",
            "platform",
            "display_name",
            "health",
            "health_reason",
            "health_changed_at",
            "token_expires_at",
            "refreshed_at",
            "created_at",
            "discovery",
            "accounts",
            "account_count",
            "managed_account_count",
            "accounts_next_cursor",
        }
        for fake in fakes.values():
            for secret in fake.secrets:
                assert not any(secret in body for body in bodies)
