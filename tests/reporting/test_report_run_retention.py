"""A schedule's report run history is bounded; the last successful sending always stays."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import httpx
import pytest
from sqlalchemy import text

from adpilot.config import get_settings
from adpilot.db import Database, set_tenant
from tests.fixtures import OrgWorld

pytestmark = pytest.mark.usefixtures("database")

KEEP = 10

SCHEDULE = {
    "name": "Daily numbers",
    "frequency": "daily",
    "hour": 8,
    "time_zone": "Europe/Berlin",
    "recipients": ["owner@example.com"],
}


def schedules_url(world: OrgWorld) -> str:
    return f"/api/v1/orgs/{world.organization_id}/report-schedules"


async def all_runs(client: httpx.AsyncClient, world: OrgWorld, schedule_id: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"limit": 100, **({"cursor": cursor} if cursor else {})}
        response = await client.get(
            f"{schedules_url(world)}/{schedule_id}/runs", params=params, headers=world.viewer.headers
        )
        assert response.status_code == 200, response.text
        body = response.json()
        items.extend(body["items"])
        cursor = body.get("next_cursor")
        if not cursor:
            return items


async def test_the_run_history_stays_bounded_and_keeps_the_last_success(
    client: httpx.AsyncClient, world: OrgWorld, database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    created = await client.post(schedules_url(world), json=SCHEDULE, headers=world.manager.headers)
    assert created.status_code == 201, created.text
    schedule_id = created.json()["id"]
    # A success sixty days ago, then fifty-nine daily sendings that failed (a mail server down).
    async with database.transaction() as session:
        await set_tenant(session, UUID(world.organization_id))
        await session.execute(
            text(
                "INSERT INTO report_runs (id, organization_id, schedule_id, scheduled_for, trigger, status, attempts,"
                " error, recipients_count, delivered_to, queued_at, started_at, finished_at)"
                " SELECT gen_random_uuid(), :org, :schedule, now() - make_interval(days => n), 'schedule',"
                " CASE WHEN n = 60 THEN 'succeeded' ELSE 'failed' END, 1,"
                " CASE WHEN n = 60 THEN NULL ELSE 'smtp down' END, 1, '[]'::jsonb,"
                " now() - make_interval(days => n), now() - make_interval(days => n),"
                " now() - make_interval(days => n) + interval '1 minute'"
                " FROM generate_series(1, 60) AS n"
            ),
            {"org": world.organization_id, "schedule": schedule_id},
        )
    [success] = [r for r in await all_runs(client, world, schedule_id) if r["status"] == "succeeded"]

    monkeypatch.setattr(get_settings(), "report_run_history_per_schedule", KEEP)
    sent = await client.post(f"{schedules_url(world)}/{schedule_id}/send-now", headers=world.manager.headers)
    assert sent.status_code == 202, sent.text

    runs = await all_runs(client, world, schedule_id)
    # The newest ten (the new queued run and the nine latest failures), and the last success, however old.
    assert len(runs) == KEEP + 1
    assert runs[0]["id"] == sent.json()["id"] and runs[0]["status"] == "queued"
    assert [r["status"] for r in runs[1:KEEP]] == ["failed"] * (KEEP - 1)
    assert runs[-1]["id"] == success["id"]
