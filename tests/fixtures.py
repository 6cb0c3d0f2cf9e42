"""Fixtures and helpers shared by the tests: the HTTP client, users, organizations and their roles."""

from __future__ import annotations

import itertools
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import httpx
import pytest
from fastapi import FastAPI

PASSWORD = "a-long-and-unusual-passphrase"
HEADERS = {"X-Requested-With": "XMLHttpRequest"}
_counter = itertools.count(1)


@dataclass
class LoggedIn:
    """A user with an access token; ``headers`` authenticate a request."""

    user_id: UUID
    email: str
    access_token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access_token}"}


@pytest.fixture(scope="session")
def app(database: object) -> FastAPI:
    from adpilot.app import create_app
    from adpilot.config import get_settings

    return create_app(get_settings(), run_worker=False)


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver", headers=HEADERS) as client:
        yield client


def unique_email(prefix: str = "user") -> str:
    return f"{prefix}{next(_counter)}@example.com"


async def sign_up(
    client: httpx.AsyncClient, email: str | None = None, password: str = PASSWORD, *, verified: bool = True
) -> LoggedIn:
    """Sign up, verify the email with the mailed link (unless ``verified`` is False) and log in, through the API."""
    email = email or unique_email()
    response = await client.post(
        "/api/v1/auth/signup", json={"email": email, "password": password, "display_name": email.split("@")[0]}
    )
    assert response.status_code == 202, response.text
    if verified:
        await verify_email(client, email)
    return await log_in(client, email, password)


async def verify_email(client: httpx.AsyncClient, email: str) -> None:
    """Open the newest verification link mailed to ``email``."""
    message = next(m for m in await outbox(client, email) if "/verify-email?token=" in m["body_text"])
    token = link_token(message["body_text"], "/verify-email")
    verified = await client.post("/api/v1/auth/verify-email", json={"token": token})
    assert verified.status_code == 204, verified.text


async def log_in(client: httpx.AsyncClient, email: str, password: str = PASSWORD) -> LoggedIn:
    response = await client.post("/api/v1/auth/login", json={"email": email, "password": password})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "ok", body
    me = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    return LoggedIn(UUID(me.json()["id"]), email, body["access_token"])


async def create_organization(client: httpx.AsyncClient, owner: LoggedIn, name: str = "Acme") -> str:
    response = await client.post("/api/v1/orgs", json={"name": name}, headers=owner.headers)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def outbox(client: httpx.AsyncClient, recipient: str | None = None) -> list[dict[str, Any]]:
    messages: list[dict[str, Any]] = (await client.get("/api/v1/dev/outbox")).json()["items"]
    return [m for m in messages if recipient is None or m["recipient"] == recipient]


def link_token(body: str, path: str) -> str:
    match = re.search(re.escape(path) + r"\?token=(\S+)", body)
    assert match, f"no {path} link in: {body}"
    return match.group(1)


async def add_member(client: httpx.AsyncClient, admin: LoggedIn, organization_id: str, role: str) -> LoggedIn:
    """Invite a new user with ``role`` and have them accept, through the API."""
    email = unique_email(role)
    response = await client.post(
        f"/api/v1/orgs/{organization_id}/invitations", json={"email": email, "role": role}, headers=admin.headers
    )
    assert response.status_code == 201, response.text
    token = link_token((await outbox(client, email))[0]["body_text"], "/invitations/accept")
    member = await sign_up(client, email)
    accepted = await client.post("/api/v1/invitations/accept", json={"token": token}, headers=member.headers)
    assert accepted.status_code == 200, accepted.text
    return member


@dataclass
class OrgWorld:
    """An organization with one user per role, and a second organization with its own admin."""

    organization_id: str
    admin: LoggedIn
    manager: LoggedIn
    member: LoggedIn
    viewer: LoggedIn
    other_organization_id: str
    outsider: LoggedIn

    def as_role(self, role: str) -> LoggedIn:
        return {"admin": self.admin, "manager": self.manager, "member": self.member, "viewer": self.viewer}[role]


@pytest.fixture
async def world(client: httpx.AsyncClient) -> OrgWorld:
    admin = await sign_up(client, unique_email("admin"))
    organization_id = await create_organization(client, admin, "Acme")
    members = {role: await add_member(client, admin, organization_id, role) for role in ("manager", "member", "viewer")}
    outsider = await sign_up(client, unique_email("outsider"))
    other = await create_organization(client, outsider, "Other Co")
    return OrgWorld(organization_id, admin, members["manager"], members["member"], members["viewer"], other, outsider)


def client_at(app: FastAPI, ip: str) -> httpx.AsyncClient:
    """A client whose requests come from ``ip`` (for per-IP throttling and audit metadata)."""
    transport = httpx.ASGITransport(app=app, client=(ip, 50000))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver", headers=HEADERS)


@dataclass
class MfaEnabled:
    secret: str
    recovery_codes: list[str]


async def enable_mfa(client: httpx.AsyncClient, user: LoggedIn) -> MfaEnabled:
    """Set up and enable TOTP for ``user`` through the API, with a code computed like an authenticator app.

    The code is the previous time step's (accepted for clock drift), so the current step's code is still unused
    for the test's next log-in: the server accepts each step once. Near the end of a step the code is computed in
    the next one, so that a slow server still checks it within the step after.
    """
    import asyncio
    import time

    import pyotp

    setup = await client.post("/api/v1/me/mfa/setup", headers=user.headers)
    assert setup.status_code == 200, setup.text
    secret = setup.json()["secret"]
    left_in_step = 30 - time.time() % 30
    if left_in_step < 10:
        await asyncio.sleep(left_in_step + 0.05)
    enabled = await client.post(
        "/api/v1/me/mfa/enable", json={"code": pyotp.TOTP(secret).at(time.time() - 30)}, headers=user.headers
    )
    assert enabled.status_code == 200, enabled.text
    return MfaEnabled(secret, enabled.json()["recovery_codes"])


@pytest.fixture
async def superuser_sql(superuser_url: str) -> AsyncIterator[Any]:
    """Run SQL as the PostgreSQL superuser (bypasses RLS and grants): for arranging states the API cannot reach."""
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    from adpilot.db import to_sqlalchemy_url

    engine = create_async_engine(to_sqlalchemy_url(superuser_url))

    async def run(sql: str, **params: Any) -> list[Any]:
        async with engine.begin() as connection:
            result = await connection.execute(text(sql), params)
            return list(result.all()) if result.returns_rows else []

    yield run
    await engine.dispose()
