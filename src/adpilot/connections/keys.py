"""Re-encrypt every stored credential with the newest vault key (the ``adpilot keys rotate`` command)."""

from __future__ import annotations

from dataclasses import dataclass, field
from uuid import UUID

from adpilot.connections.repository import ConnectionRepository
from adpilot.core.vault import CredentialVault, VaultDecryptionFailed
from adpilot.db import Database, DatabaseUrls


@dataclass(frozen=True)
class RotationReport:
    connections: int
    rotated: int
    # Connections whose credentials no configured key decrypts (their key was removed too early): reconnect them.
    unreadable: list[UUID] = field(default_factory=list)


async def rotate_credentials(owner_url: str, vault: CredentialVault) -> RotationReport:
    """As the owner (cron fan-out: it must see every organization), re-encrypt each organization's credentials.

    The owner may read every connection (its scan policy) but writes only inside a tenant scope, so each
    organization is rewritten in its own transaction, each row locked while it is rewritten (a refresh running at
    the same time waits, then re-encrypts with the newest key anyway). Safe to run again: rows already on the newest
    key are left alone.
    """
    owner = Database(DatabaseUrls(owner=owner_url, app=owner_url), pool_size=1)
    try:
        async with owner.transaction() as session:
            rows = await ConnectionRepository(session).every_connection()
        by_organization: dict[UUID, list[UUID]] = {}
        for organization_id, connection_id in rows:
            by_organization.setdefault(organization_id, []).append(connection_id)
        rotated, unreadable = 0, []
        for organization_id, connection_ids in by_organization.items():
            async with owner.tenant_transaction(organization_id) as session:
                repository = ConnectionRepository(session)
                for connection_id in connection_ids:
                    current = await repository.ciphertext_for_update(organization_id, connection_id)
                    if current is None or not vault.needs_rotation(current):
                        continue
                    try:
                        replacement = vault.rotate(current)
                    except VaultDecryptionFailed:
                        unreadable.append(connection_id)
                        continue
                    await repository.replace_ciphertext(organization_id, connection_id, replacement)
                    rotated += 1
        return RotationReport(len(rows), rotated, unreadable)
    finally:
        await owner.dispose()
