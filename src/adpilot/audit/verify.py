"""Verify the audit chains of every organization (the ``adpilot audit verify`` command)."""

from __future__ import annotations

from sqlalchemy import text

from adpilot.audit.service import ChainReport, audit_service
from adpilot.db import Database, DatabaseUrls


async def verify_all(urls: DatabaseUrls) -> list[ChainReport]:
    """Enumerate organizations as the owner (cron fan-out), then verify each inside its own tenant scope."""
    owner = Database(DatabaseUrls(owner=urls.owner, app=urls.owner), pool_size=1)
    app = Database(urls, pool_size=1)
    try:
        async with owner.transaction() as session:
            ids = list((await session.execute(text("SELECT id FROM organizations ORDER BY created_at"))).scalars())
        reports = []
        for organization_id in ids:
            async with app.tenant_transaction(organization_id) as session:
                reports.append(await audit_service.verify_chain(session, organization_id))
        return reports
    finally:
        await owner.dispose()
        await app.dispose()
