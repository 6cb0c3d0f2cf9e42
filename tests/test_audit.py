"""The audit log: written in the request's transaction, hash-chained, filterable, and tamper-evident."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from typing import Any
from uuid import UUID

import httpx
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError
from typer.testing import CliRunner

from adpilot.audit import SYSTEM, audit_service
from adpilot.audit.service import GENESIS_HASH
from adpilot.audit.verify import verify_all
from adpilot.cli import cli
from adpilot.db import Database, DatabaseUrls, set_tenant
from tests.fixtures import OrgWorld

# Also run against an external PostgreSQL server by `make test-long`.
pytestmark = pytest.mark.external_db


def audit_url(world: OrgWorld) -> str:
    return f"/api/v1/orgs/{world.organization_id}/audit-log"


async def entries(client: httpx.AsyncClient, world: OrgWorld, **params: Any) -> list[dict[str, Any]]:
    response = await client.get(audit_url(world), params=params, headers=world.admin.headers)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def chain(database: Database, organization_id: str) -> list[Any]:
    async with database.transaction() as session:
        await set_tenant(session, UUID(organization_id))
        rows = await session.execute(text("SELECT seq, prev_hash, hash FROM audit_log ORDER BY seq"))
        return list(rows.all())


def superuser_execute(superuser_url: str, statement: str, **params: Any) -> None:
    """Tamper as the superuser: the only role that may switch off the append-only trigger."""
    engine = create_engine("postgresql+psycopg://" + superuser_url.partition("://")[2])
    with engine.begin() as connection:
        connection.execute(text("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only"))
        connection.execute(text(statement), params)
        connection.execute(text("ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only"))
    engine.dispose()


class TestWriting:
    async def test_world_actions_are_recorded_newest_first(self, client: httpx.AsyncClient, world: OrgWorld) -> None:
        actions = [e["action"] for e in await entries(client, world)]
        assert actions[-1] == "organization.created"
        assert actions.count("invitation.created") == 3
        assert actions.count("invitation.accepted") == 3

    async def test_an_entry_rolls_back_with_its_transaction(self, database: Database, world: OrgWorld) -> None:
        before = len(await chain(database, world.organization_id))
        with pytest.raises(RuntimeError):
            async with database.transaction() as session:
                await set_tenant(session, UUID(world.organization_id))
                await audit_service.record(session, UUID(world.organization_id), SYSTEM, "test.failed")
                raise RuntimeError("the change fails after the entry was written")
        assert len(await chain(database, world.organization_id)) == before

    async def test_a_failing_request_leaves_no_entry(self, client: httpx.AsyncClient, world: OrgWorld) -> None:
        before = await entries(client, world)
        response = await client.patch(
            f"/api/v1/orgs/{world.organization_id}",
            headers=world.admin.headers,
            json={"name": "Renamed", "require_mfa": True},
        )  # 409: the admin lacks MFA
        assert response.status_code == 409
        assert await entries(client, world) == before
        assert (await client.get(f"/api/v1/orgs/{world.organization_id}", headers=world.admin.headers)).json()[
            "name"
        ] == "Acme"

    async def test_records_who_and_from_where(self, client: httpx.AsyncClient, world: OrgWorld) -> None:
        await client.patch(
            f"/api/v1/orgs/{world.organization_id}",
            json={"name": "Renamed"},
            headers={**world.admin.headers, "User-Agent": "audit-test/1.0", "X-Request-Id": "req-42"},
        )
        [entry] = await entries(client, world, action="organization.updated")
        assert entry["actor_email"] == world.admin.email
        assert entry["user_agent"] == "audit-test/1.0"
        assert entry["target_type"] == "organization"
        assert entry["target_id"] == world.organization_id


class TestChain:
    async def test_each_entry_links_to_the_previous_one(self, database: Database, world: OrgWorld) -> None:
        rows = await chain(database, world.organization_id)
        assert [row.seq for row in rows] == list(range(1, len(rows) + 1))
        assert rows[0].prev_hash == GENESIS_HASH
        for previous, current in pairwise(rows):
            assert current.prev_hash == previous.hash

    async def test_each_organization_has_its_own_chain(self, database: Database, world: OrgWorld) -> None:
        rows = await chain(database, world.other_organization_id)
        assert [row.seq for row in rows] == [1]
        assert rows[0].prev_hash == GENESIS_HASH


class TestFilters:
    async def test_action_prefix(self, client: httpx.AsyncClient, world: OrgWorld) -> None:
        found = await entries(client, world, action="invitation.")
        assert len(found) == 6
        assert all(e["action"].startswith("invitation.") for e in found)

    async def test_action_prefix_is_literal(self, client: httpx.AsyncClient, world: OrgWorld) -> None:
        assert await entries(client, world, action="%") == []
        assert await entries(client, world, action="invitation_") == []

    async def test_actor(self, client: httpx.AsyncClient, world: OrgWorld) -> None:
        found = await entries(client, world, actor_user_id=str(world.viewer.user_id))
        assert [e["action"] for e in found] == ["invitation.accepted"]

    async def test_target_type(self, client: httpx.AsyncClient, world: OrgWorld) -> None:
        found = await entries(client, world, target_type="organization")
        assert [e["action"] for e in found] == ["organization.created"]

    async def test_since_and_until(self, client: httpx.AsyncClient, world: OrgWorld) -> None:
        everything = await entries(client, world)
        now = datetime.now(UTC)
        assert len(await entries(client, world, since=(now - timedelta(hours=1)).isoformat())) == len(everything)
        assert await entries(client, world, since=(now + timedelta(minutes=5)).isoformat()) == []
        assert await entries(client, world, until=(now - timedelta(hours=1)).isoformat()) == []
        oldest = everything[-1]["occurred_at"]
        assert [e["action"] for e in await entries(client, world, until=oldest)] == []
        assert (await entries(client, world, since=oldest))[-1]["action"] == "organization.created"

    async def test_pages_follow_the_sequence(self, client: httpx.AsyncClient, world: OrgWorld) -> None:
        first = await client.get(audit_url(world), params={"limit": 3}, headers=world.admin.headers)
        cursor = first.json()["next_cursor"]
        second = await client.get(audit_url(world), params={"limit": 3, "cursor": cursor}, headers=world.admin.headers)
        seqs = [e["seq"] for e in first.json()["items"] + second.json()["items"]]
        assert seqs == sorted(seqs, reverse=True)
        assert len(set(seqs)) == 6

    async def test_an_invalid_cursor_is_a_bad_request(self, client: httpx.AsyncClient, world: OrgWorld) -> None:
        response = await client.get(audit_url(world), params={"cursor": "abc"}, headers=world.admin.headers)
        assert response.status_code == 400
        assert response.json()["code"] == "invalid-cursor"


class TestAccess:
    async def test_managers_cannot_read_the_log(self, client: httpx.AsyncClient, world: OrgWorld) -> None:
        response = await client.get(audit_url(world), headers=world.manager.headers)
        assert response.status_code == 403

    async def test_the_app_role_cannot_update_entries(self, database: Database, world: OrgWorld) -> None:
        with pytest.raises(DBAPIError, match="permission denied"):
            async with database.transaction() as session:
                await set_tenant(session, UUID(world.organization_id))
                await session.execute(text("UPDATE audit_log SET action = 'forged'"))

    async def test_the_app_role_cannot_delete_entries(self, database: Database, world: OrgWorld) -> None:
        with pytest.raises(DBAPIError, match="permission denied"):
            async with database.transaction() as session:
                await set_tenant(session, UUID(world.organization_id))
                await session.execute(text("DELETE FROM audit_log"))

    async def test_even_the_owner_cannot_rewrite_entries(self, database_urls: tuple[str, str], world: OrgWorld) -> None:
        owner = Database(DatabaseUrls(owner=database_urls[0], app=database_urls[0]), pool_size=1)
        try:
            with pytest.raises(DBAPIError, match="append-only"):
                async with owner.transaction() as session:
                    await set_tenant(session, UUID(world.organization_id))
                    await session.execute(text("UPDATE audit_log SET action = 'forged'"))
        finally:
            await owner.dispose()


class TestVerify:
    async def test_intact_chains_verify(self, database_urls: tuple[str, str], world: OrgWorld) -> None:
        reports = await verify_all(DatabaseUrls(*database_urls))
        assert {str(r.organization_id) for r in reports} == {world.organization_id, world.other_organization_id}
        assert all(report.ok for report in reports)
        assert sum(report.entries for report in reports) == 8

    async def test_a_modified_entry_is_detected(
        self, database_urls: tuple[str, str], superuser_url: str, world: OrgWorld
    ) -> None:
        superuser_execute(
            superuser_url,
            "UPDATE audit_log SET actor_email = 'someone@else.com' WHERE organization_id = :org AND seq = 3",
            org=world.organization_id,
        )
        [report] = [
            r for r in await verify_all(DatabaseUrls(*database_urls)) if str(r.organization_id) == world.organization_id
        ]
        assert not report.ok
        assert [(b.seq, b.reason) for b in report.breaks] == [(3, "content was modified after it was written")]

    async def test_a_deleted_entry_is_detected(
        self, database_urls: tuple[str, str], superuser_url: str, world: OrgWorld
    ) -> None:
        superuser_execute(
            superuser_url, "DELETE FROM audit_log WHERE organization_id = :org AND seq = 2", org=world.organization_id
        )
        [report] = [
            r for r in await verify_all(DatabaseUrls(*database_urls)) if str(r.organization_id) == world.organization_id
        ]
        reasons = [(b.seq, b.reason) for b in report.breaks]
        assert (3, "entries 2..2 are missing") in reasons
        assert (3, "does not link to the previous entry") in reasons

    async def test_a_rehashed_forgery_still_breaks_the_link(
        self, database_urls: tuple[str, str], superuser_url: str, world: OrgWorld
    ) -> None:
        # Recomputing the modified entry's own hash is not enough: the next entry points at the old hash.
        from adpilot.audit.models import AuditEntry
        from adpilot.audit.service import entry_hash

        superuser_execute(
            superuser_url,
            "UPDATE audit_log SET action = 'forged' WHERE organization_id = :org AND seq = 2",
            org=world.organization_id,
        )
        superuser = Database(DatabaseUrls(owner=superuser_url, app=superuser_url), pool_size=1)
        try:
            async with superuser.transaction() as session:
                entry = (
                    await session.execute(
                        text("SELECT id FROM audit_log WHERE organization_id = :org AND seq = 2"),
                        {"org": world.organization_id},
                    )
                ).scalar_one()
                row = await session.get(AuditEntry, entry)
                assert row is not None
                new_hash = entry_hash(row)
        finally:
            await superuser.dispose()
        superuser_execute(superuser_url, "UPDATE audit_log SET hash = :hash WHERE id = :id", hash=new_hash, id=entry)
        [report] = [
            r for r in await verify_all(DatabaseUrls(*database_urls)) if str(r.organization_id) == world.organization_id
        ]
        assert [(b.seq, b.reason) for b in report.breaks] == [(3, "does not link to the previous entry")]


class TestVerifyCommand:
    def run(self, database_urls: tuple[str, str]) -> Any:
        env = {"DATABASE_URL": database_urls[0], "ADPILOT_APP_DATABASE_URL": database_urls[1]}
        assert os.environ["DATABASE_URL"] == database_urls[0]  # get_settings() (cached) already points here
        return CliRunner().invoke(cli, ["audit", "verify"], env=env)

    def test_reports_ok(self, database_urls: tuple[str, str], world: OrgWorld) -> None:
        result = self.run(database_urls)
        assert result.exit_code == 0, result.output
        assert f"{world.organization_id}" in result.output
        assert "BROKEN" not in result.output
        assert result.output.count(" ok") == 2

    def test_exits_1_on_a_broken_chain(
        self, database_urls: tuple[str, str], superuser_url: str, world: OrgWorld
    ) -> None:
        superuser_execute(
            superuser_url, "DELETE FROM audit_log WHERE organization_id = :org AND seq = 1", org=world.organization_id
        )
        result = self.run(database_urls)
        assert result.exit_code == 1
        assert f"{world.organization_id}" in result.output
        assert "BROKEN" in result.output
        assert "entries 1..1 are missing" in result.output


class TestReadableEntries:
    async def test_actions_are_in_words_and_targets_by_name(self, client: httpx.AsyncClient, world: OrgWorld) -> None:
        log = await entries(client, world)
        created = next(e for e in log if e["action"] == "organization.created")
        assert created["action_label"] == "Created the organization"
        assert created["target_name"] == "Acme"
        invited = [e for e in log if e["action"] == "invitation.created"]
        assert all(e["action_label"] == "Invited someone" for e in invited)
        assert all("@" in (e["target_name"] or "") for e in invited), invited

    async def test_a_member_target_is_named_by_name_and_email(self, client: httpx.AsyncClient, world: OrgWorld) -> None:
        member_id = world.member.user_id
        response = await client.patch(
            f"/api/v1/orgs/{world.organization_id}/members/{member_id}",
            json={"role": "viewer"},
            headers=world.admin.headers,
        )
        assert response.status_code == 200, response.text
        [changed] = await entries(client, world, action="member.role_changed")
        assert changed["action_label"] == "Changed a member's role"
        assert changed["target_name"] is not None
        assert world.member.email in changed["target_name"]

    async def test_an_unlabelled_action_still_reads_as_words(self) -> None:
        from adpilot.audit.labels import action_label, target_type_label

        assert action_label("report_schedule.paused") == "Report schedule paused"
        assert target_type_label("webhook_endpoint") == "Webhook endpoint"

    def test_every_action_the_product_records_has_its_words(self) -> None:
        """Scan the code for recorded actions: each has a label, and each target type a filter entry."""
        import re
        from pathlib import Path

        from adpilot.audit.labels import ACTION_LABELS, TARGET_TYPE_LABELS

        source = Path(__file__).resolve().parents[1] / "src" / "adpilot"
        text_of_calls = "\n".join(
            call
            for path in source.rglob("*.py")
            for call in re.findall(r"audit_service\.record\((.*?)\n\s*\)", path.read_text(), flags=re.DOTALL)
        )
        actions = set(re.findall(r'"([a-z_]+\.[a-z_]+)"', text_of_calls))
        target_types = set(re.findall(r'target_type="([a-z_]+)"', text_of_calls))
        assert actions and actions <= set(ACTION_LABELS), actions - set(ACTION_LABELS)
        assert target_types and target_types <= set(TARGET_TYPE_LABELS), target_types - set(TARGET_TYPE_LABELS)

    def test_the_web_apps_target_filter_offers_every_target_type(self) -> None:
        import re
        from pathlib import Path

        from adpilot.audit.labels import TARGET_TYPE_LABELS

        search = Path(__file__).resolve().parents[1] / "frontend" / "src" / "features" / "audit" / "search.ts"
        listed = re.search(r"AUDIT_TARGET_TYPES = \[(.*?)\]", search.read_text(), flags=re.DOTALL)
        assert listed is not None
        assert re.findall(r'"([a-z_]+)"', listed.group(1)) == list(TARGET_TYPE_LABELS)
