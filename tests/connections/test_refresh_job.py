"""The refresh job: a periodic fan-out across organizations (ids only, through a SECURITY DEFINER function), then
one refresh per connection in its own tenant-scoped transaction."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from uuid import UUID

import httpx
import pytest
from sqlalchemy import text

from adpilot import jobs
from adpilot.connections import credential_service
from adpilot.connections.jobs import refresh_connection, refresh_credentials
from adpilot.db import Database, set_tenant
from adpilot.platforms.errors import PlatformAuthError, PlatformUnavailable
from tests.connections.conftest import base, connect
from tests.connections.fakes import FakeAdapter
from tests.fixtures import OrgWorld

DUE_SQL = "SELECT * FROM adpilot_connections_due_for_refresh(interval '15 minutes')"


@pytest.fixture
async def two_organizations(
    client: httpx.AsyncClient, world: OrgWorld, google: FakeAdapter, superuser_sql: Any
) -> dict[str, str]:
    """A connection in each organization expiring in 5 minutes, and one in the first expiring in 2 hours."""
    google.token_ttl = timedelta(minutes=5)
    soon = await connect(client, world.organization_id, world.manager)
    theirs = await connect(client, world.other_organization_id, world.outsider)
    google.token_ttl = timedelta(hours=2)
    google.subject = "login-2"
    later = await connect(client, world.organization_id, world.manager)
    return {"soon": soon["id"], "theirs": theirs["id"], "later": later["id"]}


async def queued_refreshes(database: Database) -> list[dict[str, Any]]:
    async with database.transaction() as session:
        rows = await session.execute(
            text("SELECT args FROM procrastinate_jobs WHERE task_name = 'connections.refresh_connection' ORDER BY id")
        )
        return [row[0] for row in rows]


class TestTheFanOutFunction:
    async def test_it_returns_only_the_ids_of_due_connections_across_organizations(
        self, database: Database, world: OrgWorld, two_organizations: dict[str, str]
    ) -> None:
        async with database.transaction() as session:
            # The app role, with no tenant: it sees no connection itself...
            assert (await session.execute(text("SELECT count(*) FROM platform_connections"))).scalar_one() == 0
            result = await session.execute(text(DUE_SQL))
            rows = result.mappings().all()
        # ...but the function tells it which ones are due, by id and nothing else.
        assert list(result.keys()) == ["organization_id", "connection_id"]
        assert {(str(r["organization_id"]), str(r["connection_id"])) for r in rows} == {
            (world.organization_id, two_organizations["soon"]),
            (world.other_organization_id, two_organizations["theirs"]),
        }

    async def test_connections_that_need_reconnecting_are_left_out(
        self, database: Database, two_organizations: dict[str, str], superuser_sql: Any
    ) -> None:
        await superuser_sql(
            "UPDATE platform_connections SET health = 'needs_reconnect' WHERE id = :id", id=two_organizations["soon"]
        )
        async with database.transaction() as session:
            ids = {str(row[1]) for row in await session.execute(text(DUE_SQL))}
        assert ids == {two_organizations["theirs"]}

    async def test_it_is_security_definer_with_a_fixed_search_path_and_not_public(self, superuser_sql: Any) -> None:
        [(definer, config, public, app)] = await superuser_sql(
            "SELECT p.prosecdef, p.proconfig, "
            "has_function_privilege('public', p.oid, 'EXECUTE'), "
            "has_function_privilege('adpilot_app', p.oid, 'EXECUTE') "
            "FROM pg_proc p WHERE p.proname = 'adpilot_connections_due_for_refresh'"
        )
        assert definer is True
        assert any(setting.startswith("search_path=") for setting in config)
        assert (public, app) == (False, True)


class TestTheJobs:
    async def test_the_periodic_job_queues_one_refresh_per_due_connection_once(
        self, database: Database, world: OrgWorld, two_organizations: dict[str, str]
    ) -> None:
        for _ in range(2):  # a second pass while the first refreshes still wait adds nothing
            async with database.transaction() as session:
                await set_tenant(session, None)
                await refresh_credentials(session, None)
        queued = await queued_refreshes(database)
        assert sorted((job["organization_id"], job["connection_id"]) for job in queued) == sorted(
            [
                (world.organization_id, two_organizations["soon"]),
                (world.other_organization_id, two_organizations["theirs"]),
            ]
        )

    def test_it_runs_every_five_minutes(self) -> None:
        assert "connections.refresh_credentials.periodic" in jobs.app.tasks
        assert "connections.refresh_connection" in jobs.app.tasks

    async def test_the_worker_refreshes_each_connection_in_its_tenant(
        self,
        database: Database,
        client: httpx.AsyncClient,
        world: OrgWorld,
        google: FakeAdapter,
        two_organizations: dict[str, str],
        superuser_sql: Any,
    ) -> None:
        async with database.transaction() as session:
            await credential_service.queue_due_refreshes(session)
        await jobs.app.run_worker_async(
            wait=False, install_signal_handlers=False, concurrency=1, fetch_job_polling_interval=0.05
        )
        assert len(google.calls.refreshes) == 2
        fresh = await superuser_sql(
            "SELECT bool_and(token_expires_at > now() + interval '1 hour'), count(*) FROM platform_connections"
        )
        assert fresh == [(True, 3)]
        statuses = await superuser_sql(
            "SELECT status::text FROM procrastinate_jobs WHERE task_name = 'connections.refresh_connection'"
        )
        assert statuses == [("succeeded",), ("succeeded",)]

    async def test_a_connection_locked_by_another_worker_is_skipped(
        self, database: Database, world: OrgWorld, google: FakeAdapter, two_organizations: dict[str, str]
    ) -> None:
        organization_id, connection_id = UUID(world.organization_id), UUID(two_organizations["soon"])
        async with database.transaction() as holder:
            await set_tenant(holder, organization_id)
            await holder.execute(
                text("SELECT 1 FROM platform_connections WHERE id = :id FOR UPDATE"), {"id": connection_id}
            )
            async with database.transaction() as session:
                await set_tenant(session, organization_id)
                await refresh_connection(session, organization_id, connection_id=str(connection_id))
        assert google.calls.refreshes == []

    async def test_a_refused_refresh_needs_reconnecting_and_is_not_retried(
        self,
        database: Database,
        client: httpx.AsyncClient,
        world: OrgWorld,
        google: FakeAdapter,
        two_organizations: dict[str, str],
    ) -> None:
        google.refresh_errors.append(PlatformAuthError("invalid_grant", refreshable=False))
        organization_id, connection_id = UUID(world.organization_id), UUID(two_organizations["soon"])
        async with database.transaction() as session:
            await set_tenant(session, organization_id)
            await refresh_connection(session, organization_id, connection_id=str(connection_id))  # no exception
        listed = (await client.get(base(world.organization_id), headers=world.viewer.headers)).json()
        assert listed["needs_reconnect_count"] == 1
        # It is not due any more: nobody refreshes it until a person reconnects.
        async with database.transaction() as session:
            ids = {str(row[1]) for row in await session.execute(text(DUE_SQL))}
        assert two_organizations["soon"] not in ids

    async def test_transient_refresh_failures_are_counted_then_degrade(
        self,
        database: Database,
        client: httpx.AsyncClient,
        world: OrgWorld,
        google: FakeAdapter,
        two_organizations: dict[str, str],
    ) -> None:
        organization_id, connection_id = UUID(world.organization_id), UUID(two_organizations["soon"])
        for _ in range(3):
            google.refresh_errors.append(PlatformUnavailable("HTTP 503"))
            async with database.transaction() as session:
                await set_tenant(session, organization_id)
                await refresh_connection(session, organization_id, connection_id=str(connection_id))
        healths = {
            item["id"]: item["health"]
            for item in (await client.get(base(world.organization_id), headers=world.viewer.headers)).json()["items"]
        }
        assert healths[str(connection_id)] == "degraded"
        # The next successful refresh heals it.
        async with database.transaction() as session:
            await set_tenant(session, organization_id)
            await refresh_connection(session, organization_id, connection_id=str(connection_id))
        healths = {
            item["id"]: item["health"]
            for item in (await client.get(base(world.organization_id), headers=world.viewer.headers)).json()["items"]
        }
        assert healths[str(connection_id)] == "ok"
