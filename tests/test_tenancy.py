"""Row-level security: every tenant table fails closed, and the app's role cannot get around it."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID, uuid4

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from adpilot.db import Database, DatabaseUrls, driver_connection, set_tenant
from tests.fixtures import create_organization, sign_up, unique_email

# Also run against an external PostgreSQL server by `make test-long`.
pytestmark = pytest.mark.external_db

TENANT_TABLES_SQL = text("""
    SELECT c.relname AS name, c.relrowsecurity AS enabled, c.relforcerowsecurity AS forced,
           (SELECT count(*) FROM pg_policies p WHERE p.schemaname = 'public' AND p.tablename = c.relname) AS policies
      FROM information_schema.columns col
      JOIN pg_class c ON c.relname = col.table_name
      JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = col.table_schema
     WHERE col.table_schema = 'public' AND col.column_name = 'organization_id' AND c.relkind = 'r'
     ORDER BY c.relname
""")
ISOLATED_TABLES = ("memberships", "invitations", "audit_log")


@dataclass(frozen=True)
class TwoOrganizations:
    organization_id: UUID
    other_organization_id: UUID


@pytest.fixture
async def world(client: httpx.AsyncClient) -> TwoOrganizations:
    """Two organizations, each with a member, an invitation and audit entries (lighter than the role world)."""
    ids = []
    for name in ("Acme", "Other Co"):
        admin = await sign_up(client)
        organization_id = await create_organization(client, admin, name)
        invited = await client.post(
            f"/api/v1/orgs/{organization_id}/invitations",
            json={"email": unique_email(), "role": "viewer"},
            headers=admin.headers,
        )
        assert invited.status_code == 201
        ids.append(UUID(organization_id))
    return TwoOrganizations(*ids)


async def visible_organizations(session: AsyncSession, table: str) -> set[UUID]:
    rows = await session.execute(text(f"SELECT DISTINCT organization_id FROM {table}"))  # noqa: S608 - constant
    return set(rows.scalars())


class TestCatalog:
    async def test_every_tenant_table_forces_row_level_security_with_a_policy(self, database: Database) -> None:
        async with database.transaction() as session:
            tables = (await session.execute(TENANT_TABLES_SQL)).mappings().all()
        assert {t["name"] for t in tables} >= set(ISOLATED_TABLES)
        unprotected = [t["name"] for t in tables if not (t["enabled"] and t["forced"] and t["policies"] >= 1)]
        assert not unprotected, f"tenant tables without FORCE row-level security and a policy: {unprotected}"

    async def test_the_app_role_is_not_superuser_and_cannot_bypass_rls(self, database: Database) -> None:
        async with database.transaction() as session:
            role = (
                (
                    await session.execute(
                        text(
                            "SELECT rolname, rolsuper, rolbypassrls, rolcreaterole, rolcreatedb FROM pg_roles "
                            "WHERE rolname = current_user"
                        )
                    )
                )
                .mappings()
                .one()
            )
        assert role["rolname"] == "adpilot_app"
        assert not role["rolsuper"]
        assert not role["rolbypassrls"]
        assert not role["rolcreaterole"]
        assert not role["rolcreatedb"]

    async def test_the_app_role_owns_no_table(self, database: Database) -> None:
        async with database.transaction() as session:
            owned = (
                (
                    await session.execute(
                        text(
                            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tableowner = current_user"
                        )
                    )
                )
                .scalars()
                .all()
            )
        assert owned == []


class TestIsolation:
    @pytest.mark.parametrize("table", ISOLATED_TABLES)
    async def test_rows_of_another_organization_are_invisible(
        self, database: Database, world: TwoOrganizations, table: str
    ) -> None:
        mine, other = world.organization_id, world.other_organization_id
        async with database.transaction() as session:
            await set_tenant(session, other)
            assert await visible_organizations(session, table) <= {other}
            await set_tenant(session, mine)
            assert await visible_organizations(session, table) == {mine}

    @pytest.mark.parametrize("table", [*ISOLATED_TABLES, "organizations"])
    async def test_nothing_is_visible_without_a_tenant(
        self, database: Database, world: TwoOrganizations, table: str
    ) -> None:
        async with database.transaction() as session:
            count = (await session.execute(text(f"SELECT count(*) FROM {table}"))).scalar_one()  # noqa: S608
        assert count == 0

    async def test_the_tenant_setting_does_not_outlive_its_transaction(
        self, database: Database, world: TwoOrganizations
    ) -> None:
        async with database.transaction() as session:
            await set_tenant(session, world.organization_id)
        async with database.transaction() as session:
            assert (await session.execute(text("SELECT count(*) FROM memberships"))).scalar_one() == 0

    async def test_both_organizations_exist_for_the_superuser(
        self, database: Database, superuser_url: str, world: TwoOrganizations
    ) -> None:
        # The invisibility above is row-level security, not missing data (FORCE applies even to the table owner;
        # only the superuser bypasses it).
        superuser = Database(DatabaseUrls(owner=superuser_url, app=superuser_url), pool_size=1)
        try:
            async with superuser.transaction() as session:
                organizations = await visible_organizations(session, "memberships")
        finally:
            await superuser.dispose()
        assert organizations == {world.organization_id, world.other_organization_id}


class TestWithCheck:
    async def test_inserting_a_row_for_another_organization_is_rejected(
        self, database: Database, world: TwoOrganizations
    ) -> None:
        with pytest.raises(DBAPIError, match="row-level security"):
            async with database.transaction() as session:
                await set_tenant(session, world.organization_id)
                await session.execute(
                    text(
                        "INSERT INTO invitations (id, organization_id, email, role, token_hash, expires_at) "
                        "VALUES (:id, :org, 'x@example.com', 'viewer', :hash, now() + interval '1 day')"
                    ),
                    {"id": uuid4(), "org": world.other_organization_id, "hash": uuid4().hex},
                )

    async def test_moving_a_row_to_another_organization_is_rejected(
        self, database: Database, world: TwoOrganizations
    ) -> None:
        with pytest.raises(DBAPIError, match="row-level security"):
            async with database.transaction() as session:
                await set_tenant(session, world.organization_id)
                await session.execute(
                    text("UPDATE memberships SET organization_id = :other"), {"other": world.other_organization_id}
                )

    async def test_inserting_without_a_tenant_is_rejected(self, database: Database, world: TwoOrganizations) -> None:
        with pytest.raises(DBAPIError, match="row-level security"):
            async with database.transaction() as session:
                await session.execute(
                    text(
                        "INSERT INTO audit_log (id, organization_id, seq, occurred_at, action, prev_hash, hash) "
                        "VALUES (:id, :org, 999, now(), 'forged', '', '')"
                    ),
                    {"id": uuid4(), "org": world.organization_id},
                )


async def organization_name(database: Database, organization_id: UUID) -> str:
    async with database.transaction() as session:
        await set_tenant(session, organization_id)
        query = text("SELECT name FROM organizations WHERE id = :id")
        return str((await session.execute(query, {"id": organization_id})).scalar_one())


class TestSetTenantBeginsTheSessionsTransaction:
    """set_tenant (and the driver-level queries after it) run inside the session's transaction, whatever comes first."""

    async def test_a_change_after_set_tenant_commits_with_the_session(
        self, database: Database, world: TwoOrganizations
    ) -> None:
        async with database.transaction() as session:
            await set_tenant(session, world.organization_id)
            await session.execute(
                text("UPDATE organizations SET name = 'Renamed' WHERE id = :id"), {"id": world.organization_id}
            )
        name = await organization_name(database, world.organization_id)
        assert name == "Renamed"

    async def test_a_change_after_set_tenant_rolls_back_with_the_session(
        self, database: Database, world: TwoOrganizations
    ) -> None:
        with pytest.raises(RuntimeError, match="abandon"):
            async with database.transaction() as session:
                await set_tenant(session, world.organization_id)
                connection = await driver_connection(session)
                await connection.execute("UPDATE organizations SET name = 'Lost' WHERE id = $1", world.organization_id)
                raise RuntimeError("abandon the unit of work")
        name = await organization_name(database, world.organization_id)
        assert name == "Acme"

    async def test_the_tenant_is_transaction_local_even_when_set_first(
        self, database: Database, world: TwoOrganizations
    ) -> None:
        async with database.transaction() as session:
            await set_tenant(session, world.organization_id)
            inside = (await session.execute(text("SELECT current_setting('app.organization_id', true)"))).scalar_one()
        async with database.transaction() as session:
            after = (await session.execute(text("SELECT current_setting('app.organization_id', true)"))).scalar_one()
        assert inside == str(world.organization_id)
        assert after in ("", None)

    async def test_the_driver_connection_is_forgotten_when_the_transaction_ends(
        self, database: Database, world: TwoOrganizations
    ) -> None:
        async with database.sessionmaker() as session:
            await set_tenant(session, world.organization_id)
            await driver_connection(session)
            await session.commit()
            assert "adpilot.driver_connection" not in session.sync_session.info
            # A new transaction on the same session gets a connection of its own, scoped afresh.
            await set_tenant(session, world.other_organization_id)
            organizations = await (await driver_connection(session)).fetch(
                "SELECT DISTINCT organization_id FROM memberships"
            )
            await session.commit()
        assert [row["organization_id"] for row in organizations] == [world.other_organization_id]
