"""Fixtures of the connection tests: fake platforms in place of the real adapters, and connecting through the API."""

from __future__ import annotations

import io
import logging
from collections.abc import AsyncIterator, Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit
from uuid import UUID

import httpx
import pytest
import structlog
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from adpilot import jobs
from adpilot.connections import adapters
from adpilot.connections.jobs import discover_accounts
from adpilot.core.logging import configure_logging
from adpilot.db import Database, get_database, set_tenant
from adpilot.platforms.types import Platform
from tests.connections.fakes import FakeAdapter
from tests.events import deliver_events
from tests.fixtures import LoggedIn


@pytest.fixture
def fakes(monkeypatch: pytest.MonkeyPatch) -> dict[Platform, FakeAdapter]:
    """One fake per platform, in place of the real adapters (Meta takes no PKCE, like the real one)."""
    platforms = {p: FakeAdapter(p, supports_pkce=p is not Platform.meta) for p in Platform}
    monkeypatch.setattr(adapters, "get_adapter", lambda platform: platforms[platform])
    return platforms


@pytest.fixture
def google(fakes: dict[Platform, FakeAdapter]) -> FakeAdapter:
    return fakes[Platform.google]


def base(organization_id: str) -> str:
    return f"/api/v1/orgs/{organization_id}/connections"


async def authorize(client: httpx.AsyncClient, organization_id: str, user: LoggedIn, platform: str = "google") -> str:
    """Start a connection; the state the platform would send back."""
    response = await client.post(f"{base(organization_id)}/{platform}/authorize", headers=user.headers)
    assert response.status_code == 200, response.text
    authorization_url: str = response.json()["authorization_url"]
    return parse_qs(urlsplit(authorization_url).query)["state"][0]


async def callback(
    client: httpx.AsyncClient,
    organization_id: str,
    user: LoggedIn,
    state: str,
    platform: str = "google",
    **body: Any,
) -> httpx.Response:
    return await client.post(
        f"{base(organization_id)}/{platform}/callback",
        json={"state": state, **(body or {"code": "the-code"})},
        headers=user.headers,
    )


async def discover(
    client: httpx.AsyncClient, organization_id: str, user: LoggedIn, connection: dict[str, Any]
) -> dict[str, Any]:
    """Run the account discovery job the callback queued (as the worker would); the connection afterwards."""
    await discover_accounts(UUID(organization_id), connection_id=connection["id"])
    # Done here rather than by a worker: the queued job is done too, so a later worker does not run it again.
    async with get_database().transaction() as session:
        await session.execute(
            text(
                "UPDATE procrastinate_jobs SET status = 'succeeded' WHERE task_name = 'connections.discover_accounts'"
                " AND status = 'todo' AND args->>'connection_id' = :connection_id"
            ),
            {"connection_id": connection["id"]},
        )
    response = await client.get(f"{base(organization_id)}/{connection['id']}", headers=user.headers)
    assert response.status_code == 200, response.text
    discovered: dict[str, Any] = response.json()
    return discovered


async def run_platform_worker() -> None:
    """A worker of the platform queue runs what is due, then stops."""
    await jobs.app.run_worker_async(
        queues=[jobs.Queue.platform.value], wait=False, install_signal_handlers=False, concurrency=1
    )


async def discovery_jobs(database: Database) -> list[tuple[str, Any, Any]]:
    """The discovery jobs queued so far: status, arguments and when each is due."""
    async with database.transaction() as session:
        rows = await session.execute(
            text(
                "SELECT status::text, args, scheduled_at FROM procrastinate_jobs"
                " WHERE task_name = 'connections.discover_accounts' ORDER BY id"
            )
        )
        return [(row[0], row[1], row[2]) for row in rows]


async def connect(
    client: httpx.AsyncClient, organization_id: str, user: LoggedIn, platform: str = "google"
) -> dict[str, Any]:
    """The consent round trip, then the discovery of the login's accounts."""
    state = await authorize(client, organization_id, user, platform)
    response = await callback(client, organization_id, user, state, platform)
    assert response.status_code == 200, response.text
    return await discover(client, organization_id, user, response.json())


async def manage(
    client: httpx.AsyncClient, organization_id: str, user: LoggedIn, connection: dict[str, Any], *ids: str
) -> dict[str, Any]:
    response = await client.put(
        f"{base(organization_id)}/{connection['id']}/accounts",
        json={"managed_account_ids": list(ids)},
        headers=user.headers,
    )
    assert response.status_code == 200, response.text
    # Accounts becoming managed is an event: the first syncs are queued once its deliveries run.
    await deliver_events()
    body: dict[str, Any] = response.json()
    return body


def account_id(connection: dict[str, Any], platform_account_id: str) -> str:
    return str(next(a["id"] for a in connection["accounts"] if a["platform_account_id"] == platform_account_id))


async def audit_actions(client: httpx.AsyncClient, organization_id: str, admin: LoggedIn) -> list[str]:
    response = await client.get(
        f"/api/v1/orgs/{organization_id}/audit-log", params={"action": "connection."}, headers=admin.headers
    )
    assert response.status_code == 200, response.text
    return [entry["action"] for entry in reversed(response.json()["items"])]


@pytest.fixture
async def tenant_session(database: Database) -> AsyncIterator[Any]:
    """``async with tenant_session(org) as session``: a transaction scoped to one organization, committed at the end."""
    from contextlib import asynccontextmanager

    @asynccontextmanager
    async def open_session(organization_id: str | UUID) -> AsyncIterator[AsyncSession]:
        async with database.transaction() as session:
            await set_tenant(session, UUID(str(organization_id)))
            yield session

    yield open_session


@pytest.fixture
def captured_logs() -> Iterator[io.StringIO]:
    """Production logging (JSON, redaction) into a buffer; the previous setup restored afterwards."""
    root = logging.getLogger()
    previous_handlers, previous_level = root.handlers[:], root.level
    configure_logging("DEBUG", json=True)
    buffer = io.StringIO()
    handler = root.handlers[0]
    assert isinstance(handler, logging.StreamHandler)
    handler.setStream(buffer)
    yield buffer
    root.handlers[:] = previous_handlers
    root.setLevel(previous_level)
    structlog.reset_defaults()
