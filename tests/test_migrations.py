"""Migrations: upgrade → downgrade → upgrade on a fresh database, and no drift between the models and the schema."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import date
from uuid import uuid4

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, text

from adpilot import migrate
from adpilot.core.embedded_postgres import EmbeddedPostgres
from adpilot.migrations.autogenerate import include_name
from adpilot.models import metadata

# Also run against an external PostgreSQL server by `make test-long`.
pytestmark = pytest.mark.external_db


def psycopg(url: str) -> str:
    return "postgresql+psycopg://" + url.partition("://")[2]


@pytest.fixture(scope="module")
def fresh_owner_url(embedded_server: EmbeddedPostgres) -> Iterator[str]:
    """An empty database of its own (the suite's database stays untouched), dropped afterwards."""
    name = f"adpilot_migrations_{os.getpid()}"
    embedded_server.create_database(name)
    yield embedded_server.start(database=name).owner
    embedded_server.drop_database(name)


def public_objects(owner_url: str) -> dict[str, set[str]]:
    engine = create_engine(psycopg(owner_url))
    with engine.connect() as connection:
        tables = set(connection.execute(text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")).scalars())
        policies = set(
            connection.execute(
                text("SELECT tablename || '.' || policyname FROM pg_policies WHERE schemaname = 'public'")
            ).scalars()
        )
        functions = set(
            connection.execute(
                text(
                    "SELECT p.proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
                    "WHERE n.nspname = 'public'"
                )
            ).scalars()
        )
        types = set(
            connection.execute(
                text(
                    "SELECT t.typname FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace "
                    "WHERE n.nspname = 'public' AND (t.typtype = 'e' OR (t.typtype = 'c' AND EXISTS "
                    "(SELECT 1 FROM pg_class c WHERE c.oid = t.typrelid AND c.relkind = 'c')))"
                )
            ).scalars()
        )
    engine.dispose()
    return {"tables": tables, "policies": policies, "functions": functions, "types": types}


class TestRoundTrip:
    def test_upgrade_downgrade_upgrade(self, fresh_owner_url: str) -> None:
        migrate.upgrade(fresh_owner_url, "adpilot_app")
        first = public_objects(fresh_owner_url)
        assert {"users", "organizations", "memberships", "audit_log", "procrastinate_jobs"} <= first["tables"]
        assert "audit_log.tenant_isolation" in first["policies"]
        assert "procrastinate_job_to_defer_v1" in first["types"]
        assert "procrastinate_defer_jobs_v1" in first["functions"]
        assert migrate.current_revision(fresh_owner_url) == migrate.head_revision()

        migrate.downgrade(fresh_owner_url, "base")
        empty = public_objects(fresh_owner_url)
        assert empty["tables"] == {"alembic_version"}
        assert empty["policies"] == set()
        assert empty["functions"] == set()
        assert empty["types"] == set()
        assert migrate.current_revision(fresh_owner_url) is None

        migrate.upgrade(fresh_owner_url, "adpilot_app")
        assert public_objects(fresh_owner_url) == first

    def test_upgrade_is_idempotent(self, fresh_owner_url: str) -> None:
        migrate.upgrade(fresh_owner_url, "adpilot_app")
        migrate.upgrade(fresh_owner_url, "adpilot_app")
        assert migrate.current_revision(fresh_owner_url) == migrate.head_revision()


class TestModelsMatchTheSchema:
    def test_autogenerate_finds_no_difference(self, fresh_owner_url: str) -> None:
        migrate.upgrade(fresh_owner_url, "adpilot_app")
        engine = create_engine(psycopg(fresh_owner_url))
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"include_name": include_name, "compare_type": True})
            differences = compare_metadata(context, metadata)
        engine.dispose()
        assert differences == [], "the models and the migrations differ; autogenerate a migration"

    def test_the_filter_keeps_procrastinate_out_of_autogenerate(self) -> None:
        assert not include_name("procrastinate_jobs", "table", {})
        assert include_name("users", "table", {})


class TestJobQueues:
    def test_jobs_queued_before_the_queues_split_move_to_their_queue(self, fresh_owner_url: str) -> None:
        migrate.upgrade(fresh_owner_url, "adpilot_app")
        migrate.downgrade(fresh_owner_url, "0009")
        engine = create_engine(psycopg(fresh_owner_url))
        tasks = ["campaigns.sync_entities", "analytics.send_report", "notifications.send_mail"]
        with engine.begin() as connection:
            for task in tasks:
                connection.execute(
                    text(
                        "SELECT procrastinate_defer_jobs_v1(ARRAY[ROW('default', :task, 0, NULL, NULL, "
                        "CAST('{}' AS jsonb), NULL)::procrastinate_job_to_defer_v1])"
                    ),
                    {"task": task},
                )
        migrate.upgrade(fresh_owner_url, "adpilot_app")
        with engine.connect() as connection:
            queues: dict[str, str] = dict(
                connection.execute(text("SELECT task_name, queue_name FROM procrastinate_jobs")).all()
            )
            connection.execute(text("DELETE FROM procrastinate_jobs"))
            connection.commit()
        engine.dispose()
        assert queues == {
            "campaigns.sync_entities": "platform",
            "analytics.send_report": "reports",
            "notifications.send_mail": "interactive",
        }


class TestSyncedCoverageFromRuns:
    def test_the_succeeded_runs_become_the_accounts_synced_days(self, fresh_owner_url: str) -> None:
        """Migration 0011 derives each account's synced days from its succeeded metric sync runs."""
        migrate.upgrade(fresh_owner_url, "adpilot_app")
        migrate.downgrade(fresh_owner_url, "0009")
        organization, connection, account = uuid4(), uuid4(), uuid4()
        engine = create_engine(psycopg(fresh_owner_url))
        with engine.begin() as c:
            c.execute(text("SELECT set_config('app.organization_id', :org, true)"), {"org": str(organization)})
            c.execute(
                text(
                    "INSERT INTO organizations (id, name, require_mfa, is_demo, created_at) "
                    "VALUES (:org, 'Shop', false, false, now())"
                ),
                {"org": organization},
            )
            c.execute(
                text(
                    "INSERT INTO platform_connections (id, organization_id, platform, subject, display_name, "
                    "credentials_ciphertext, health, consecutive_failures, created_at, updated_at, health_changed_at) "
                    "VALUES (:id, :org, 'google', 's', 'Login', '\\x00', 'ok', 0, now(), now(), now())"
                ),
                {"id": connection, "org": organization},
            )
            c.execute(
                text(
                    "INSERT INTO ad_accounts (id, organization_id, connection_id, platform, platform_account_id, "
                    "name, currency, time_zone, is_manager, platform_active, managed, created_at, updated_at) "
                    "VALUES (:id, :org, :connection, 'google', '123', 'Shop', 'USD', 'UTC', false, true, true, "
                    "now(), now())"
                ),
                {"id": account, "org": organization, "connection": connection},
            )
            runs = [
                ("backfill", "succeeded", "2026-01-01", "2026-03-31"),
                ("recent", "succeeded", "2026-03-25", "2026-04-01"),
                ("recent", "failed", "2026-04-02", "2026-04-08"),  # never written: not synced
                ("recent", "succeeded", "2026-04-10", "2026-04-16"),  # after a gap
            ]
            for scope, status, since, until in runs:
                c.execute(
                    text(
                        "INSERT INTO metric_sync_runs (id, organization_id, ad_account_id, scope, trigger, status, "
                        "since, until, days_total, days_done, rows_written, queued_at, attempts) "
                        "VALUES (:id, :org, :account, :scope, 'schedule', :status, :since, :until, 0, 0, 0, now(), 1)"
                    ),
                    {
                        "id": uuid4(),
                        "org": organization,
                        "account": account,
                        "scope": scope,
                        "status": status,
                        "since": date.fromisoformat(since),
                        "until": date.fromisoformat(until),
                    },
                )
        migrate.upgrade(fresh_owner_url, "adpilot_app")
        with engine.begin() as c:
            c.execute(text("SELECT set_config('app.organization_id', :org, true)"), {"org": str(organization)})
            ranges = c.execute(
                text(
                    "SELECT lower(r), upper(r) - 1 FROM metric_sync_coverage, unnest(synced_days) AS u(r) "
                    "WHERE ad_account_id = :account ORDER BY 1"
                ),
                {"account": account},
            ).all()
            # The runs' row-level security is forced again after the migration read them.
            forced = c.execute(
                text("SELECT relforcerowsecurity FROM pg_class WHERE relname = 'metric_sync_runs'")
            ).scalar()
        engine.dispose()
        assert [tuple(r) for r in ranges] == [
            (date(2026, 1, 1), date(2026, 4, 1)),
            (date(2026, 4, 10), date(2026, 4, 16)),
        ]
        assert forced is True
