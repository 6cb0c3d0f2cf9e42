"""Platform quotas: the operations the platforms count are metered, shown per platform with what remains and when
the window frees, and scheduled syncs wait once their share of a daily quota is used."""

from __future__ import annotations

from datetime import datetime, timedelta

import httpx
import pytest
from sqlalchemy import text

from adpilot.campaigns.service import entity_sync_service
from adpilot.config import get_settings
from adpilot.core.time import utcnow
from adpilot.db import Database
from adpilot.metrics.service.sync import metrics_sync_service
from adpilot.platforms.types import Platform
from tests.campaigns.test_entity_sync import connect_sandbox, org_url, run_jobs
from tests.fixtures import OrgWorld
from tests.metrics.test_sync import age_runs, runs
from tests.sandbox_fixtures import SandboxServer


async def quotas(client: httpx.AsyncClient, world: OrgWorld) -> dict[str, dict[str, object]]:
    response = await client.get(org_url(world, "/connections/quotas"), headers=world.viewer.headers)
    assert response.status_code == 200, response.text
    return {item["platform"]: item for item in response.json()["items"]}


async def test_the_meter_counts_what_the_platform_counts(
    client: httpx.AsyncClient, world: OrgWorld, database: Database, sandbox_platforms: SandboxServer
) -> None:
    before = await quotas(client, world)
    assert before["google"] == {"platform": "google", "used": 0, "limit": 15000, "remaining": 15000, "resets_at": None}
    assert before["meta"]["limit"] is None and before["meta"]["remaining"] is None

    sandbox_platforms.state.operations.clear()
    await connect_sandbox(client, world, Platform.google)
    await run_jobs(database)
    counted = sum(n for (platform, _), n in sandbox_platforms.state.operations.items() if platform is Platform.google)
    google = (await quotas(client, world))["google"]
    assert counted > 0
    # Every API request the emulator counted, and the OAuth token requests it does not.
    assert isinstance(google["used"], int) and counted <= google["used"] <= counted + 5
    assert google["remaining"] == 15000 - google["used"]
    resets_at = google["resets_at"]
    assert isinstance(resets_at, str)
    assert utcnow() + timedelta(hours=22) < datetime.fromisoformat(resets_at) <= utcnow() + timedelta(hours=24)


async def test_scheduled_syncs_wait_for_the_quota_and_a_person_goes_first(
    client: httpx.AsyncClient,
    world: OrgWorld,
    database: Database,
    sandbox_platforms: SandboxServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    connection = await connect_sandbox(client, world, Platform.google)
    await run_jobs(database)
    account = next(a for a in connection["accounts"] if a["managed"])
    used = (await quotas(client, world))["google"]["used"]
    assert isinstance(used, int)
    # A quota of which the syncs so far used more than the share kept for scheduled work.
    monkeypatch.setattr(get_settings(), "google_daily_operations", used)
    await age_runs(database, world)
    async with database.transaction() as session:
        assert await metrics_sync_service.queue_due_syncs(session, 30) == 0
        assert await entity_sync_service.queue_due_syncs(session, 0) == 0
    assert [r["scope"] for r in await runs(client, world, account["id"])] == ["backfill"]
    assert (await quotas(client, world))["google"]["remaining"] == 0

    # What a person asks for is not held back.
    response = await client.post(
        org_url(world, f"/ad-accounts/{account['id']}/metric-sync"), headers=world.member.headers
    )
    assert response.status_code == 202, response.text

    # With room in the quota again, the schedule resumes.
    monkeypatch.setattr(get_settings(), "google_daily_operations", 15000)
    await run_jobs(database)
    await age_runs(database, world)
    async with database.transaction() as session:
        assert await metrics_sync_service.queue_due_syncs(session, 30) > 0


async def test_a_sync_a_person_asks_for_goes_before_the_scheduled_ones(
    client: httpx.AsyncClient, world: OrgWorld, database: Database, sandbox_platforms: SandboxServer
) -> None:
    connection = await connect_sandbox(client, world, Platform.meta)
    await run_jobs(database)
    account = next(a for a in connection["accounts"] if a["managed"])
    for path in ("sync", "metric-sync"):
        response = await client.post(
            org_url(world, f"/ad-accounts/{account['id']}/{path}"), headers=world.member.headers
        )
        assert response.status_code == 202, response.text
    async with database.transaction() as session:
        queued = (
            await session.execute(
                text(
                    "SELECT task_name, priority FROM procrastinate_jobs WHERE status = 'todo' "
                    "AND task_name IN ('campaigns.sync_entities', 'analytics.sync_metrics') ORDER BY task_name"
                )
            )
        ).all()
    assert [tuple(row) for row in queued] == [("analytics.sync_metrics", 10), ("campaigns.sync_entities", 10)]
