"""Key rotation: credentials encrypted with an old key are re-encrypted with the newest, then the old key can go."""

from __future__ import annotations

import asyncio
from typing import Any
from uuid import UUID

import httpx
import pytest
from cryptography.fernet import Fernet
from pydantic import SecretStr
from typer.testing import CliRunner

from adpilot.cli import cli
from adpilot.config import get_settings
from adpilot.connections import AccountAccess, platform_gateway
from adpilot.connections.keys import rotate_credentials
from adpilot.core.vault import CredentialVault
from tests.connections.conftest import account_id, connect, manage
from tests.connections.fakes import FakeAdapter
from tests.fixtures import OrgWorld

OLD, NEW = Fernet.generate_key().decode(), Fernet.generate_key().decode()


@pytest.fixture
def use_keys(monkeypatch: pytest.MonkeyPatch) -> Any:
    """``use_keys(k1, k2, ...)``: the configured credential keys, newest first."""
    settings = get_settings()

    def use(*keys: str) -> None:
        monkeypatch.setattr(settings, "credential_keys", SecretStr(",".join(keys)))

    return use


@pytest.fixture
async def connected_with_old_key(
    client: httpx.AsyncClient, world: OrgWorld, google: FakeAdapter, use_keys: Any
) -> dict[str, Any]:
    """Connections in two organizations, encrypted with the old key; account 1001 of the first is managed."""
    use_keys(OLD)
    connection = await connect(client, world.organization_id, world.manager)
    await connect(client, world.other_organization_id, world.outsider)
    return await manage(client, world.organization_id, world.manager, connection, account_id(connection, "1001"))


async def open_managed(world: OrgWorld, connection: dict[str, Any], tenant_session: Any) -> str:
    async def opened(access: AccountAccess) -> AccountAccess:
        return access

    access = await platform_gateway.call(UUID(world.organization_id), UUID(account_id(connection, "1001")), opened)
    return access.credentials.access_token


class TestRotation:
    async def test_every_organizations_credentials_move_to_the_new_key(
        self,
        world: OrgWorld,
        connected_with_old_key: dict[str, Any],
        google: FakeAdapter,
        use_keys: Any,
        database_urls: tuple[str, str],
        tenant_session: Any,
        superuser_sql: Any,
    ) -> None:
        token = await open_managed(world, connected_with_old_key, tenant_session)
        use_keys(NEW)
        with pytest.raises(ValueError, match="no configured credential key"):
            await open_managed(world, connected_with_old_key, tenant_session)

        report = await rotate_credentials(database_urls[0], CredentialVault([NEW, OLD]))
        assert (report.connections, report.rotated, report.unreadable) == (2, 2, [])

        # Only the new key is needed now, in both organizations.
        use_keys(NEW)
        assert await open_managed(world, connected_with_old_key, tenant_session) == token
        old_only = CredentialVault([OLD])
        for (ciphertext,) in await superuser_sql("SELECT credentials_ciphertext FROM platform_connections"):
            assert old_only.needs_rotation(ciphertext)
            assert not CredentialVault([NEW]).needs_rotation(ciphertext)

        again = await rotate_credentials(database_urls[0], CredentialVault([NEW, OLD]))
        assert (again.connections, again.rotated) == (2, 0)

    async def test_credentials_no_key_decrypts_are_reported(
        self, connected_with_old_key: dict[str, Any], database_urls: tuple[str, str]
    ) -> None:
        third = Fernet.generate_key().decode()
        report = await rotate_credentials(database_urls[0], CredentialVault([NEW, third]))
        assert (report.connections, report.rotated, len(report.unreadable)) == (2, 0, 2)


class TestCommands:
    def test_keys_generate_prints_a_usable_key(self) -> None:
        result = CliRunner().invoke(cli, ["keys", "generate"])
        assert result.exit_code == 0
        CredentialVault([result.stdout.strip()])

    async def test_keys_rotate_reports_how_many_rows(
        self,
        world: OrgWorld,
        connected_with_old_key: dict[str, Any],
        use_keys: Any,
        tenant_session: Any,
    ) -> None:
        use_keys(NEW, OLD)
        # The command runs its own event loop, as it does from a shell.
        result = await asyncio.to_thread(CliRunner().invoke, cli, ["keys", "rotate"])
        assert result.exit_code == 0, result.output
        assert "2 of 2 connection credentials re-encrypted with the newest key (2 key(s) configured)" in result.stdout
        use_keys(NEW)
        await open_managed(world, connected_with_old_key, tenant_session)

    def test_keys_rotate_refuses_a_bad_key(self, use_keys: Any) -> None:
        use_keys("not-a-key")
        result = CliRunner().invoke(cli, ["keys", "rotate"])
        assert result.exit_code == 2
        assert "credential key #1 of 1 is not a Fernet key" in result.output


class TestLostKey:
    async def test_credentials_no_configured_key_opens_are_a_clear_conflict_not_a_500(
        self, client: httpx.AsyncClient, world: OrgWorld, connected_with_old_key: dict[str, Any], use_keys: Any
    ) -> None:
        use_keys(NEW)  # the old key was removed before the credentials were rotated
        response = await client.post(
            f"/api/v1/orgs/{world.organization_id}/connections/{connected_with_old_key['id']}/accounts/refresh",
            headers=world.manager.headers,
        )
        assert response.status_code == 409, response.text
        assert response.json()["code"] == "connection-needs-reconnect"
        assert "cannot be decrypted" in response.json()["detail"]
        # Disconnecting still works: there is nothing to revoke with, but the connection goes.
        gone = await client.delete(
            f"/api/v1/orgs/{world.organization_id}/connections/{connected_with_old_key['id']}",
            headers=world.manager.headers,
        )
        assert gone.status_code == 204, gone.text
