"""Choosing the ad accounts to manage, listing them again, and disconnecting."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

import httpx
from sqlalchemy import text

from adpilot.db import Database
from adpilot.platforms.errors import PlatformAuthError, PlatformUnavailable
from adpilot.platforms.types import Platform
from tests.connections.conftest import (
    account_id,
    audit_actions,
    authorize,
    base,
    callback,
    connect,
    discovery_jobs,
    manage,
    run_platform_worker,
)
from tests.connections.fakes import FakeAdapter, remote_account
from tests.fixtures import OrgWorld


async def queued_syncs(database: Database) -> list[dict[str, object]]:
    async with database.transaction() as session:
        rows = await session.execute(
            text("SELECT args FROM procrastinate_jobs WHERE task_name = 'campaigns.sync_entities' ORDER BY id")
        )
        return [row[0] for row in rows]


async def first_syncs(client: httpx.AsyncClient, world: OrgWorld) -> dict[str, list[str]]:
    """Each managed account's queued sync runs, by trigger (the campaigns module records them)."""
    response = await client.get(
        f"/api/v1/orgs/{world.organization_id}/ad-accounts/sync-status", headers=world.viewer.headers
    )
    assert response.status_code == 200, response.text
    return {
        s["ad_account_id"]: [s["last_run"]["trigger"]] if s["last_run"] and s["last_run"]["status"] == "queued" else []
        for s in response.json()["items"]
    }


class TestChoosingAccounts:
    async def test_managed_accounts_are_saved_audited_and_get_a_first_sync(
        self, client: httpx.AsyncClient, world: OrgWorld, google: FakeAdapter, database: Database
    ) -> None:
        connection = await connect(client, world.organization_id, world.manager)
        first, second = account_id(connection, "1001"), account_id(connection, "1002")
        updated = await manage(client, world.organization_id, world.manager, connection, first)
        assert {a["platform_account_id"]: a["managed"] for a in updated["accounts"]} == {"1001": True, "1002": False}
        assert await first_syncs(client, world) == {first: ["connect"]}
        assert len(await queued_syncs(database)) == 1

        updated = await manage(client, world.organization_id, world.manager, connection, second, first)
        assert all(a["managed"] for a in updated["accounts"])
        # Only the newly managed account is synced for the first time: a queued run, visible at once.
        assert await first_syncs(client, world) == {first: ["connect"], second: ["connect"]}
        assert len(await queued_syncs(database)) == 2

        updated = await manage(client, world.organization_id, world.manager, connection)
        assert not any(a["managed"] for a in updated["accounts"])
        assert await audit_actions(client, world.organization_id, world.admin) == [
            "connection.connected",
            "connection.accounts_discovered",
            "connection.accounts_changed",
            "connection.accounts_changed",
            "connection.accounts_changed",
        ]

    async def test_an_unchanged_selection_writes_nothing(
        self, client: httpx.AsyncClient, world: OrgWorld, google: FakeAdapter, database: Database
    ) -> None:
        connection = await connect(client, world.organization_id, world.manager)
        first = account_id(connection, "1001")
        await manage(client, world.organization_id, world.manager, connection, first)
        await manage(client, world.organization_id, world.manager, connection, first, first)
        assert len(await queued_syncs(database)) == 1
        assert (await audit_actions(client, world.organization_id, world.admin)).count(
            "connection.accounts_changed"
        ) == 1

    async def test_accounts_of_another_connection_or_unknown_ids_are_refused(
        self, client: httpx.AsyncClient, world: OrgWorld, fakes: dict[Platform, FakeAdapter]
    ) -> None:
        google = await connect(client, world.organization_id, world.manager, "google")
        meta = await connect(client, world.organization_id, world.manager, "meta")
        for ids in ([account_id(meta, "1001")], [str(uuid4())], [account_id(google, "1001"), str(uuid4())]):
            response = await client.put(
                f"{base(world.organization_id)}/{google['id']}/accounts",
                json={"managed_account_ids": ids},
                headers=world.manager.headers,
            )
            assert response.status_code == 400, ids
            assert response.json()["code"] == "ad-accounts-not-in-connection"
        url = f"{base(world.organization_id)}/{google['id']}"
        listed = (await client.get(url, headers=world.viewer.headers)).json()
        assert not any(a["managed"] for a in listed["accounts"])

    async def test_a_manager_account_cannot_be_managed(
        self, client: httpx.AsyncClient, world: OrgWorld, google: FakeAdapter
    ) -> None:
        google.accounts = [remote_account("9000", "MCC", is_manager=True), remote_account("1001")]
        connection = await connect(client, world.organization_id, world.manager)
        response = await client.put(
            f"{base(world.organization_id)}/{connection['id']}/accounts",
            json={"managed_account_ids": [account_id(connection, "9000")]},
            headers=world.manager.headers,
        )
        assert response.status_code == 400
        assert response.json()["code"] == "manager-account-not-manageable"

    async def test_an_unknown_connection_is_not_found(self, client: httpx.AsyncClient, world: OrgWorld) -> None:
        response = await client.put(
            f"{base(world.organization_id)}/{uuid4()}/accounts",
            json={"managed_account_ids": []},
            headers=world.manager.headers,
        )
        assert response.status_code == 404
        assert response.json()["code"] == "connection-not-found"


async def refresh(client: httpx.AsyncClient, world: OrgWorld, connection: dict[str, Any]) -> httpx.Response:
    return await client.post(
        f"{base(world.organization_id)}/{connection['id']}/accounts/refresh", headers=world.manager.headers
    )


async def read(client: httpx.AsyncClient, world: OrgWorld, connection: dict[str, Any]) -> dict[str, Any]:
    response = await client.get(f"{base(world.organization_id)}/{connection['id']}", headers=world.manager.headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


class TestRefreshingAccounts:
    async def test_it_queues_a_discovery_that_adds_new_accounts_and_makes_vanished_ones_inactive(
        self, client: httpx.AsyncClient, world: OrgWorld, google: FakeAdapter, database: Database
    ) -> None:
        connection = await connect(client, world.organization_id, world.manager)
        await manage(client, world.organization_id, world.manager, connection, account_id(connection, "1001"))
        google.accounts = [remote_account("1001", "Renamed"), remote_account("1003")]
        response = await refresh(client, world, connection)
        # The platform is not asked inside the request: a job on the platform queue lists the accounts.
        assert response.status_code == 202, response.text
        assert response.json()["discovery"]["state"] == "queued"
        assert len(google.calls.listings) == 1  # only the connect's
        assert [job[0] for job in await discovery_jobs(database)] == ["succeeded", "todo"]
        await run_platform_worker()
        refreshed = await read(client, world, connection)
        assert refreshed["discovery"]["state"] == "succeeded"
        assert refreshed["discovery"]["accounts_found"] == 2
        accounts = {a["platform_account_id"]: a for a in refreshed["accounts"]}
        assert (accounts["1001"]["name"], accounts["1001"]["managed"], accounts["1001"]["platform_active"]) == (
            "Renamed",
            True,
            True,
        )
        assert (accounts["1002"]["managed"], accounts["1002"]["platform_active"]) == (False, False)
        assert (accounts["1003"]["managed"], accounts["1003"]["platform_active"]) == (False, True)
        assert "connection.accounts_refreshed" in await audit_actions(client, world.organization_id, world.admin)

    async def test_a_refresh_while_one_is_queued_or_running_answers_with_it_and_queues_no_second(
        self, client: httpx.AsyncClient, world: OrgWorld, google: FakeAdapter, database: Database, superuser_sql: Any
    ) -> None:
        connection = await connect(client, world.organization_id, world.manager)
        first = await refresh(client, world, connection)
        assert first.status_code == 202, first.text
        again = await refresh(client, world, connection)
        assert again.status_code == 202, again.text
        assert again.json()["discovery"] == first.json()["discovery"]
        await superuser_sql("UPDATE platform_connections SET discovery_state = 'running', discovery_started_at = now()")
        running = await refresh(client, world, connection)
        assert running.status_code == 202, running.text
        assert running.json()["discovery"]["state"] == "running"
        assert [job[0] for job in await discovery_jobs(database)] == ["succeeded", "todo"]
        actions = await audit_actions(client, world.organization_id, world.admin)
        assert actions.count("connection.accounts_refreshed") == 1

    async def test_an_expired_token_is_refreshed_and_the_listing_retried(
        self, client: httpx.AsyncClient, world: OrgWorld, google: FakeAdapter
    ) -> None:
        connection = await connect(client, world.organization_id, world.manager)
        google.expire_all_tokens()
        response = await refresh(client, world, connection)
        assert response.status_code == 202, response.text
        await run_platform_worker()
        assert len(google.calls.refreshes) == 1
        assert len(google.calls.listings) == 3  # connect, refused, retried with the fresh token
        refreshed = await read(client, world, connection)
        assert refreshed["health"] == "ok"
        assert refreshed["discovery"]["state"] == "succeeded"

    async def test_a_revoked_grant_needs_reconnecting_and_it_is_remembered(
        self, client: httpx.AsyncClient, world: OrgWorld, google: FakeAdapter
    ) -> None:
        connection = await connect(client, world.organization_id, world.manager)
        google.listing_errors.append(PlatformAuthError("The grant was revoked.", refreshable=False))
        response = await refresh(client, world, connection)
        assert response.status_code == 202, response.text
        await run_platform_worker()
        listed = (await client.get(base(world.organization_id), headers=world.viewer.headers)).json()
        assert listed["needs_reconnect_count"] == 1
        assert listed["items"][0]["health"] == "needs_reconnect"
        assert "revoked" in listed["items"][0]["health_reason"]
        assert listed["items"][0]["discovery"]["state"] == "failed"
        actions = await audit_actions(client, world.organization_id, world.admin)
        assert {"connection.needs_reconnect", "connection.discovery_failed"} <= set(actions)
        again = await refresh(client, world, connection)
        assert again.status_code == 409
        assert again.json()["code"] == "connection-needs-reconnect"
        assert len(google.calls.listings) == 2  # the platform is not called again until a reconnect

    async def test_an_unavailable_platform_is_counted_and_tried_again_later(
        self, client: httpx.AsyncClient, world: OrgWorld, google: FakeAdapter, superuser_sql: Any, database: Database
    ) -> None:
        connection = await connect(client, world.organization_id, world.manager)
        google.listing_errors.append(PlatformUnavailable("HTTP 502"))
        response = await refresh(client, world, connection)
        assert response.status_code == 202, response.text
        await run_platform_worker()
        assert await superuser_sql("SELECT consecutive_failures FROM platform_connections") == [(1,)]
        assert (await read(client, world, connection))["discovery"]["state"] == "queued"
        assert [job[0] for job in await discovery_jobs(database)] == ["succeeded", "succeeded", "todo"]


class TestAbandonedDiscovery:
    """A discovery left running by a dead worker, or queued while its job was lost, is started over."""

    async def test_one_running_for_over_an_hour_is_failed_audited_and_started_over_by_a_refresh(
        self, client: httpx.AsyncClient, world: OrgWorld, google: FakeAdapter, database: Database, superuser_sql: Any
    ) -> None:
        connection = await connect(client, world.organization_id, world.manager)
        assert (await refresh(client, world, connection)).status_code == 202
        # The worker took the job, then died: the job stays "doing" and the discovery "running".
        await superuser_sql("UPDATE procrastinate_jobs SET status = 'doing' WHERE status = 'todo'")
        await superuser_sql(
            "UPDATE platform_connections SET discovery_state = 'running',"
            " discovery_started_at = now() - interval '59 minutes'"
        )
        recent = await refresh(client, world, connection)
        assert recent.json()["discovery"]["state"] == "running"  # within the hour: still its own
        await superuser_sql("UPDATE platform_connections SET discovery_started_at = now() - interval '61 minutes'")
        google.accounts = [remote_account("1001"), remote_account("1002"), remote_account("1004")]
        response = await refresh(client, world, connection)
        assert response.status_code == 202, response.text
        assert response.json()["discovery"]["state"] == "queued"
        assert [job[0] for job in await discovery_jobs(database)] == ["succeeded", "doing", "todo"]
        # The new job does not wait behind the dead worker's.
        await run_platform_worker()
        done = await read(client, world, connection)
        assert done["discovery"]["state"] == "succeeded"
        assert "1004" in {a["platform_account_id"] for a in done["accounts"]}
        entries = await audit_entries(client, world, "connection.discovery_failed")
        assert [e["after"]["error"] for e in entries] == ["abandoned: no worker finished it"]

    async def test_an_abandoned_one_reads_as_failed_so_that_nobody_waits_for_it(
        self, client: httpx.AsyncClient, world: OrgWorld, google: FakeAdapter, superuser_sql: Any
    ) -> None:
        connection = await connect(client, world.organization_id, world.manager)
        await superuser_sql(
            "UPDATE platform_connections SET discovery_state = 'running',"
            " discovery_started_at = now() - interval '61 minutes'"
        )
        running = (await read(client, world, connection))["discovery"]
        assert (running["state"], running["error"]) == ("failed", "abandoned: no worker finished it")
        await superuser_sql(
            "UPDATE platform_connections SET discovery_state = 'queued', discovery_started_at = NULL,"
            " discovery_queued_at = now() - interval '23 hours'"
        )
        assert (await read(client, world, connection))["discovery"]["state"] == "queued"
        await superuser_sql("UPDATE platform_connections SET discovery_queued_at = now() - interval '25 hours'")
        listed = (await client.get(base(world.organization_id), headers=world.viewer.headers)).json()
        assert listed["items"][0]["discovery"]["state"] == "failed"

    async def test_one_queued_for_over_a_day_is_started_over_by_a_new_callback(
        self, client: httpx.AsyncClient, world: OrgWorld, google: FakeAdapter, database: Database, superuser_sql: Any
    ) -> None:
        state = await authorize(client, world.organization_id, world.manager)
        connection = (await callback(client, world.organization_id, world.manager, state)).json()
        assert connection["discovery"]["state"] == "queued"
        # Its job was lost (deleted from the queue by hand, say).
        await superuser_sql("DELETE FROM procrastinate_jobs WHERE task_name = 'connections.discover_accounts'")
        await superuser_sql("UPDATE platform_connections SET discovery_queued_at = now() - interval '23 hours'")
        state = await authorize(client, world.organization_id, world.manager)
        assert (await callback(client, world.organization_id, world.manager, state)).status_code == 200
        assert await discovery_jobs(database) == []  # within the day it is left be
        await superuser_sql("UPDATE platform_connections SET discovery_queued_at = now() - interval '25 hours'")
        state = await authorize(client, world.organization_id, world.manager)
        reconnected = await callback(client, world.organization_id, world.manager, state)
        assert reconnected.status_code == 200, reconnected.text
        assert reconnected.json()["discovery"]["state"] == "queued"
        assert [job[0] for job in await discovery_jobs(database)] == ["todo"]
        await run_platform_worker()
        assert (await read(client, world, connection))["discovery"]["state"] == "succeeded"


async def audit_entries(client: httpx.AsyncClient, world: OrgWorld, action: str) -> list[dict[str, Any]]:
    response = await client.get(
        f"/api/v1/orgs/{world.organization_id}/audit-log", params={"action": action}, headers=world.admin.headers
    )
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


class TestDiscoveryAudit:
    async def test_a_discovery_that_succeeds_is_audited_with_the_accounts_it_listed(
        self, client: httpx.AsyncClient, world: OrgWorld, google: FakeAdapter
    ) -> None:
        google.accounts = [remote_account("1001"), remote_account("1002"), remote_account("1003")]
        connection = await connect(client, world.organization_id, world.manager)
        [entry] = await audit_entries(client, world, "connection.accounts_discovered")
        assert entry["target_id"] == connection["id"]
        assert entry["after"]["ad_accounts"] == 3
        assert entry["actor_user_id"] is None  # the job, not a person

    async def test_a_discovery_that_fails_is_audited_with_the_reason(
        self, client: httpx.AsyncClient, world: OrgWorld, google: FakeAdapter
    ) -> None:
        google.listing_errors.append(PlatformAuthError("The grant was revoked.", refreshable=False))
        state = await authorize(client, world.organization_id, world.manager)
        connection = (await callback(client, world.organization_id, world.manager, state)).json()
        await run_platform_worker()
        [entry] = await audit_entries(client, world, "connection.discovery_failed")
        assert entry["target_id"] == connection["id"]
        assert "The grant was revoked." in entry["after"]["error"]
        assert await audit_entries(client, world, "connection.accounts_discovered") == []


class TestDisconnect:
    async def test_it_revokes_deletes_the_credentials_and_keeps_the_accounts(
        self, client: httpx.AsyncClient, world: OrgWorld, google: FakeAdapter, superuser_sql: Any
    ) -> None:
        connection = await connect(client, world.organization_id, world.manager)
        await manage(client, world.organization_id, world.manager, connection, account_id(connection, "1001"))
        url = f"{base(world.organization_id)}/{connection['id']}"
        response = await client.delete(url, headers=world.manager.headers)
        assert response.status_code == 204
        assert [c.access_token for c in google.calls.revokes] == [google.calls.listings[0].access_token]
        assert await superuser_sql("SELECT count(*) FROM platform_connections") == [(0,)]
        rows = await superuser_sql(
            "SELECT platform_account_id, connection_id, managed FROM ad_accounts ORDER BY platform_account_id"
        )
        assert rows == [("1001", None, False), ("1002", None, False)]
        listed = (await client.get(base(world.organization_id), headers=world.viewer.headers)).json()
        assert listed == {"items": [], "next_cursor": None, "needs_reconnect_count": 0}
        assert (await audit_actions(client, world.organization_id, world.admin))[-1] == "connection.disconnected"
        gone = await client.delete(url, headers=world.manager.headers)
        assert gone.status_code == 404

    async def test_a_platform_failure_to_revoke_is_recorded_not_fatal(
        self, client: httpx.AsyncClient, world: OrgWorld, google: FakeAdapter
    ) -> None:
        connection = await connect(client, world.organization_id, world.manager)
        google.revoke_errors.append(PlatformUnavailable("HTTP 500 from the revoke endpoint"))
        url = f"{base(world.organization_id)}/{connection['id']}"
        response = await client.delete(url, headers=world.manager.headers)
        assert response.status_code == 204
        entries = (
            await client.get(
                f"/api/v1/orgs/{world.organization_id}/audit-log",
                params={"action": "connection.disconnected"},
                headers=world.admin.headers,
            )
        ).json()["items"]
        assert entries[0]["after"] == {
            "revoked": False,
            "revoke_error": "PlatformUnavailable: HTTP 500 from the revoke endpoint",
        }
        assert entries[0]["before"]["platform"] == "google"

    async def test_reconnecting_after_a_disconnect_takes_the_accounts_back(
        self, client: httpx.AsyncClient, world: OrgWorld, google: FakeAdapter
    ) -> None:
        first = await connect(client, world.organization_id, world.manager)
        old_ids = {a["platform_account_id"]: a["id"] for a in first["accounts"]}
        await client.delete(f"{base(world.organization_id)}/{first['id']}", headers=world.manager.headers)
        second = await connect(client, world.organization_id, world.manager)
        assert second["id"] != first["id"]
        # The same rows (and so their history) belong to the new connection.
        assert {a["platform_account_id"]: a["id"] for a in second["accounts"]} == old_ids


class TestPaging:
    """A Google manager login can reach thousands of accounts: no list answers with all of them at once."""

    async def test_a_connection_shows_its_first_accounts_and_pages_the_rest(
        self, client: httpx.AsyncClient, world: OrgWorld, google: FakeAdapter
    ) -> None:
        google.accounts = [remote_account(str(2000 + i), f"Client {i:04d}") for i in range(250)]
        connection = await connect(client, world.organization_id, world.manager)
        assert (connection["account_count"], len(connection["accounts"])) == (250, 100)
        listed = (await client.get(base(world.organization_id), headers=world.viewer.headers)).json()
        [first] = listed["items"]
        assert (first["account_count"], first["managed_account_count"], len(first["accounts"])) == (250, 0, 100)
        names = [a["name"] for a in first["accounts"]]
        cursor = first["accounts_next_cursor"]
        pages = 0
        while cursor:
            response = await client.get(
                f"{base(world.organization_id)}/{first['id']}/accounts",
                params={"cursor": cursor, "limit": 70},
                headers=world.viewer.headers,
            )
            assert response.status_code == 200, response.text
            names += [a["name"] for a in response.json()["items"]]
            cursor = response.json()["next_cursor"]
            pages += 1
        assert pages == 3
        assert names == [f"Client {i:04d}" for i in range(250)]

    async def test_connections_are_paged_oldest_first_with_the_reconnect_count_of_all(
        self, client: httpx.AsyncClient, world: OrgWorld, fakes: dict[Platform, FakeAdapter]
    ) -> None:
        for platform in Platform:
            fakes[platform].subject = f"{platform.value}-login"
            await connect(client, world.organization_id, world.manager, platform.value)
        seen: list[str] = []
        cursor: str | None = None
        while True:
            response = await client.get(
                base(world.organization_id),
                params={"limit": 2, **({"cursor": cursor} if cursor else {})},
                headers=world.viewer.headers,
            )
            assert response.status_code == 200, response.text
            page = response.json()
            assert len(page["items"]) <= 2
            assert page["needs_reconnect_count"] == 0
            seen += [c["platform"] for c in page["items"]]
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert seen == [p.value for p in Platform]

    async def test_a_bad_cursor_is_a_400_and_another_organizations_connection_a_404(
        self, client: httpx.AsyncClient, world: OrgWorld, google: FakeAdapter
    ) -> None:
        connection = await connect(client, world.organization_id, world.manager)
        bad = await client.get(base(world.organization_id), params={"cursor": "nope"}, headers=world.viewer.headers)
        assert bad.status_code == 400
        accounts_url = f"{base(world.organization_id)}/{connection['id']}/accounts"
        assert (await client.get(accounts_url)).status_code == 401
        assert (await client.get(accounts_url, headers=world.outsider.headers)).status_code == 404
        foreign = f"{base(world.other_organization_id)}/{connection['id']}/accounts"
        assert (await client.get(foreign, headers=world.outsider.headers)).status_code == 404
        unknown = f"{base(world.organization_id)}/{uuid4()}/accounts"
        assert (await client.get(unknown, headers=world.viewer.headers)).status_code == 404
