"""Domain events: published in the causing transaction, delivered by the job queue, one job per subscriber."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from datetime import date
from typing import Any, ClassVar
from uuid import UUID, uuid4

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from adpilot import events, jobs, subscriptions
from adpilot.campaigns import EntitiesSynced
from adpilot.connections import AccountsManaged
from adpilot.db import Database
from adpilot.events import DomainEvent, EventRegistry, EventRegistryNotBuilt, publish
from adpilot.metrics import MetricsIngested, keep_dimension_current
from tests.events import deliver_events
from tests.fixtures import OrgWorld
from tests.metrics.helpers import add_ad_account


class ThingHappened(DomainEvent):
    name: ClassVar[str] = "tests.thing_happened"
    thing_id: UUID


received: dict[str, list[UUID]] = {}
failures_left: dict[str, int] = {}


def recorder(subscriber: str) -> Any:
    async def handle(session: AsyncSession, event: ThingHappened) -> None:
        if failures_left.get(subscriber, 0) > 0:
            failures_left[subscriber] -= 1
            raise RuntimeError(f"{subscriber} fails")
        received.setdefault(subscriber, []).append(event.thing_id)

    return handle


@pytest.fixture
def registry(database: Database) -> Iterator[EventRegistry]:
    """A registry of two recording subscribers in place of the product's; the product's is put back afterwards."""
    received.clear()
    failures_left.clear()
    test_registry = EventRegistry()
    test_registry.subscribe(ThingHappened, recorder("first"), name="tests.first")
    test_registry.subscribe(ThingHappened, recorder("second"), name="tests.second")
    events.install(test_registry)
    yield test_registry
    subscriptions.install()


async def deliveries(database: Database) -> list[dict[str, Any]]:
    async with database.transaction() as session:
        rows = await session.execute(
            text(
                "SELECT status::text AS status, queue_name, attempts, args FROM procrastinate_jobs "
                "WHERE task_name = 'events.deliver' ORDER BY id"
            )
        )
        return [dict(row) for row in rows.mappings()]


async def run_worker(database: Database) -> None:
    """Run every job that is due (retries brought forward), then return."""
    async with database.transaction() as session:
        await session.execute(text("UPDATE procrastinate_jobs SET scheduled_at = now() WHERE status = 'todo'"))
    await jobs.app.run_worker_async(
        queues=[jobs.Queue.interactive.value],
        wait=False,
        install_signal_handlers=False,
        concurrency=1,
        fetch_job_polling_interval=0.05,
    )


class TestPublish:
    async def test_a_rolled_back_transaction_delivers_nothing(
        self, database: Database, registry: EventRegistry
    ) -> None:
        with pytest.raises(RuntimeError):
            async with database.tenant_transaction(uuid4()) as session:
                await publish(session, ThingHappened(organization_id=uuid4(), thing_id=uuid4()))
                raise RuntimeError("the change fails")
        assert await deliveries(database) == []
        await run_worker(database)
        assert received == {}

    async def test_a_committed_event_gives_each_subscriber_one_job(
        self, database: Database, registry: EventRegistry
    ) -> None:
        organization_id, thing_id = uuid4(), uuid4()
        async with database.tenant_transaction(organization_id) as session:
            assert await publish(session, ThingHappened(organization_id=organization_id, thing_id=thing_id)) == 2
        queued = await deliveries(database)
        assert [(job["queue_name"], job["args"]["subscriber"]) for job in queued] == [
            ("interactive", "tests.first"),
            ("interactive", "tests.second"),
        ]
        assert {job["args"]["event"] for job in queued} == {"tests.thing_happened"}
        assert queued[0]["args"]["payload"] == {"organization_id": str(organization_id), "thing_id": str(thing_id)}
        await run_worker(database)
        assert received == {"first": [thing_id], "second": [thing_id]}

    async def test_a_failing_subscriber_is_retried_without_running_the_others_again(
        self, database: Database, registry: EventRegistry
    ) -> None:
        failures_left["first"] = 1
        organization_id, thing_id = uuid4(), uuid4()
        async with database.tenant_transaction(organization_id) as session:
            await publish(session, ThingHappened(organization_id=organization_id, thing_id=thing_id))
        await run_worker(database)
        assert received == {"second": [thing_id]}
        assert [(job["status"], job["attempts"]) for job in await deliveries(database)] == [
            ("todo", 1),
            ("succeeded", 1),
        ]
        await run_worker(database)
        assert received == {"second": [thing_id], "first": [thing_id]}
        assert [job["status"] for job in await deliveries(database)] == ["succeeded", "succeeded"]

    async def test_an_event_with_no_subscriber_queues_nothing(
        self, database: Database, registry: EventRegistry
    ) -> None:
        class Unheard(DomainEvent):
            name: ClassVar[str] = "tests.unheard"

        async with database.tenant_transaction(uuid4()) as session:
            assert await publish(session, Unheard(organization_id=uuid4())) == 0
        assert await deliveries(database) == []

    async def test_publishing_before_the_registry_is_built_raises(self, database: Database) -> None:
        events.install(None)
        try:
            with pytest.raises(EventRegistryNotBuilt):
                async with database.tenant_transaction(uuid4()) as session:
                    await publish(session, ThingHappened(organization_id=uuid4(), thing_id=uuid4()))
        finally:
            subscriptions.install()
        assert await deliveries(database) == []


class TestRegistry:
    def test_a_subscriber_name_is_unique_per_event(self) -> None:
        registry = EventRegistry()
        registry.subscribe(ThingHappened, recorder("first"), name="tests.first")
        with pytest.raises(ValueError, match="already subscribes"):
            registry.subscribe(ThingHappened, recorder("again"), name="tests.first")

    def test_the_product_subscribes_every_reaction(self) -> None:
        registry = subscriptions.build_registry()
        assert [s.name for s in registry.subscribers(AccountsManaged)] == [
            "campaigns.queue_first_syncs",
            "metrics.queue_backfills",
        ]
        assert [s.name for s in registry.subscribers(EntitiesSynced)] == [
            "metrics.keep_dimension_current",
            "demo.queue_change_history",
        ]


# A process whose own code imports only the connections module (as an API process answering the accounts endpoint
# may): it starts like every process, by installing the subscriptions, then chooses the accounts to manage.
CHOOSE_ACCOUNTS = textwrap.dedent(
    """
    import asyncio, sys
    from uuid import UUID

    from adpilot.config import get_settings
    from adpilot.connections import account_service
    from adpilot.db import close_database, init_database
    from adpilot.organizations import Role, TenantContext

    assert "adpilot.campaigns" not in sys.modules and "adpilot.metrics" not in sys.modules

    from adpilot.subscriptions import install

    install()
    organization_id, user_id, connection_id, account_id = map(UUID, sys.argv[1:5])

    async def main() -> None:
        database = init_database(get_settings())
        tenant = TenantContext(organization_id, user_id, "admin@example.com", Role.admin, user_id, False, True)
        async with database.tenant_transaction(organization_id, user_id) as session:
            await account_service.set_managed_accounts(session, tenant, connection_id, [account_id])
        await close_database()

    asyncio.run(main())
    """
)


async def test_a_process_that_never_imported_campaigns_still_queues_the_first_syncs(
    client: httpx.AsyncClient, world: OrgWorld, database: Database
) -> None:
    target = await add_ad_account(database, world.organization_id)
    async with database.tenant_transaction(target.organization_id) as session:
        connection_id = (
            await session.execute(
                text("UPDATE ad_accounts SET managed = false WHERE id = :id RETURNING connection_id"),
                {"id": target.ad_account_id},
            )
        ).scalar_one()
    arguments = [world.organization_id, str(world.admin.user_id), str(connection_id), str(target.ad_account_id)]
    finished = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-c", CHOOSE_ACCOUNTS, *arguments],
        check=False,
        env=os.environ.copy(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert finished.returncode == 0, finished.stderr[-3000:]
    assert await deliver_events() == 2
    async with database.tenant_transaction(target.organization_id) as session:
        entity_runs = (await session.execute(text("SELECT trigger FROM sync_runs"))).scalars().all()
        metric_runs = (await session.execute(text("SELECT scope, trigger FROM metric_sync_runs"))).all()
    assert entity_runs == ["connect"]
    assert [tuple(row) for row in metric_runs] == [("backfill", "connect")]
    # A repeated delivery queues nothing twice: each module returns the run already queued.
    async with database.tenant_transaction(target.organization_id) as session:
        event = AccountsManaged(organization_id=target.organization_id, ad_account_ids=(target.ad_account_id,))
        await publish(session, event)
    assert await deliver_events() == 2
    async with database.tenant_transaction(target.organization_id) as session:
        assert (await session.execute(text("SELECT count(*) FROM sync_runs"))).scalar_one() == 1
        assert (await session.execute(text("SELECT count(*) FROM metric_sync_runs"))).scalar_one() == 1


async def write_tree(
    database: Database,
    organization_id: UUID,
    ad_account_id: UUID,
    rows: list[tuple[str, str, str, str | None, str, str]],
) -> None:
    """The campaigns module's current tree of the account: (level, platform id, campaign, parent, name, status)."""
    async with database.tenant_transaction(organization_id) as session:
        for level, platform_id, campaign, parent, name, status in rows:
            await session.execute(
                text(
                    "INSERT INTO ad_entities (id, organization_id, ad_account_id, platform, level, platform_id, "
                    "parent_platform_id, campaign_platform_id, name, status, platform_status, currency, raw, "
                    "first_seen_at, updated_at, removed_at) "
                    "VALUES (gen_random_uuid(), :org, :account, 'google', :level, :platform_id, :parent, :campaign, "
                    ":name, :status, :platform_status, 'USD', '{}', now(), now(), "
                    "CASE WHEN CAST(:removed AS boolean) THEN now() END) "
                    "ON CONFLICT (ad_account_id, level, platform_id) DO UPDATE SET "
                    "name = EXCLUDED.name, status = EXCLUDED.status, removed_at = EXCLUDED.removed_at"
                ),
                {
                    "org": organization_id,
                    "account": ad_account_id,
                    "level": level,
                    "platform_id": platform_id,
                    "parent": parent,
                    "campaign": campaign,
                    "name": name,
                    "status": status,
                    "platform_status": status.upper(),
                    "removed": status == "removed",
                },
            )


async def tables(database: Database, organization_id: UUID) -> tuple[set[tuple[Any, ...]], set[tuple[Any, ...]]]:
    """(campaigns' tree, metrics' dimension) as comparable rows."""
    columns = "SELECT level, platform_id, campaign_platform_id, parent_platform_id, name, status FROM "
    async with database.tenant_transaction(organization_id) as session:
        tree = {tuple(r) for r in await session.execute(text(columns + "ad_entities"))}
        dimension = {tuple(r) for r in await session.execute(text(columns + "metric_entities"))}
    return tree, dimension


async def test_repeated_and_late_entity_sync_events_leave_the_dimension_equal_to_the_current_tree(
    client: httpx.AsyncClient, world: OrgWorld, database: Database
) -> None:
    target = await add_ad_account(database, world.organization_id)
    organization_id, account_id = target.organization_id, target.ad_account_id

    async def delivered(event: EntitiesSynced) -> None:
        async with database.tenant_transaction(organization_id) as session:
            await keep_dimension_current(session, event)

    first = EntitiesSynced(organization_id=organization_id, ad_account_id=account_id, run_id=uuid4(), complete=True)
    await write_tree(
        database,
        organization_id,
        account_id,
        [
            ("campaign", "c1", "c1", None, "Spring", "active"),
            ("campaign", "c2", "c2", None, "Summer", "active"),
            ("ad_group", "g1", "c1", "c1", "Hikers", "active"),
        ],
    )
    await delivered(first)
    tree, dimension = await tables(database, organization_id)
    assert dimension == tree
    # A later incremental run renamed one campaign and saw another removed; its event is delivered...
    later = EntitiesSynced(organization_id=organization_id, ad_account_id=account_id, run_id=uuid4(), complete=False)
    await write_tree(
        database,
        organization_id,
        account_id,
        [("campaign", "c1", "c1", None, "Spring sale", "paused"), ("campaign", "c2", "c2", None, "Summer", "removed")],
    )
    await delivered(later)
    tree, dimension = await tables(database, organization_id)
    assert dimension == tree
    # ... and then the first event again, late (a retry, a redelivery): the dimension stays the current tree.
    await delivered(first)
    await delivered(later)
    tree, dimension = await tables(database, organization_id)
    assert dimension == tree
    assert ("campaign", "c1", "c1", None, "Spring sale", "paused") in dimension


async def test_a_backfill_queues_a_reference_rate_check_ahead_of_scheduled_work(
    client: httpx.AsyncClient, world: OrgWorld, database: Database
) -> None:
    organization_id = UUID(world.organization_id)
    async with database.tenant_transaction(organization_id) as session:
        for scope in ("backfill", "today", "recent"):
            await publish(
                session,
                MetricsIngested(
                    organization_id=organization_id,
                    ad_account_id=uuid4(),
                    run_id=uuid4(),
                    scope=scope,
                    first_day=date(2026, 9, 1),
                    last_day=date(2026, 11, 30),
                    rows_written=10,
                ),
            )
    await deliver_events()
    async with database.transaction() as session:
        checks = (
            await session.execute(
                text(
                    "SELECT priority, queue_name FROM procrastinate_jobs "
                    "WHERE task_name = 'analytics.refresh_reference_rates' AND status = 'todo'"
                )
            )
        ).all()
    # Only the backfill's new days ask for a check; recent days wait for the scheduled one.
    assert [tuple(row) for row in checks] == [(10, "platform")]
