"""Property-based tests of every operation against the OpenAPI schema (schemathesis, in-process over ASGI).

Requests are authenticated as an organization admin and aimed at that admin's organization, so generated data
reaches the services and the database rather than stopping at 401/404. Any 500 is a bug; so is a response that
does not match the documented schema.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error, response_schema_conformance
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine
from sqlalchemy.pool import NullPool

from adpilot import db
from tests.fixtures import OrgWorld

MAX_EXAMPLES = 12
# The committed schema (kept equal to the live one by test_openapi_drift) lists the operations at collection.
OPENAPI = Path(__file__).resolve().parents[1] / "frontend" / "openapi.json"


@pytest.fixture
def loop_independent_database(database: db.Database) -> Iterator[None]:
    """schemathesis drives the ASGI app from its own event loop: use connections that belong to no loop."""
    engine, sessionmaker = database.engine, database.sessionmaker
    database.engine = create_async_engine(db.to_sqlalchemy_url(database.urls.app), poolclass=NullPool)
    database.sessionmaker = async_sessionmaker(database.engine, expire_on_commit=False, autoflush=True)
    yield
    database.engine, database.sessionmaker = engine, sessionmaker


def without_lifespan(app: FastAPI) -> Any:
    """The app without its lifespan: the test client must not close the session's database and job queue."""

    async def asgi(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "lifespan":
            await app(scope, receive, send)
            return
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return

    return asgi


OPERATIONS = [
    (method.upper(), path) for path, items in json.loads(OPENAPI.read_text())["paths"].items() for method in items
]
# Each example of these renders a whole document (about ten times the cost of any other operation's), so their
# twelve examples run in make test-long; make test still checks their 401 below, and tests/reporting their output.
SLOW_OPERATIONS = {("GET", "/api/v1/orgs/{organization_id}/analytics/report.pdf")}


@pytest.mark.parametrize(
    ("method", "path"),
    [
        pytest.param(m, p, id=f"{m} {p}", marks=[pytest.mark.slow] if (m, p) in SLOW_OPERATIONS else [])
        for m, p in OPERATIONS
    ],
)
def test_operation(method: str, path: str, app: FastAPI, world: OrgWorld, loop_independent_database: None) -> None:
    operation = schemathesis.openapi.from_asgi("/api/openapi.json", without_lifespan(app))[path][method]

    @given(case=operation.as_strategy())
    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def check(case: schemathesis.Case[Any]) -> None:
        if case.path_parameters and "organization_id" in case.path_parameters:
            case.path_parameters["organization_id"] = world.organization_id
        headers = {**case.headers, **world.admin.headers, "X-Requested-With": "XMLHttpRequest"}
        response = case.call(headers=headers)
        case.validate_response(response, checks=[not_a_server_error, response_schema_conformance])

    check()


SECURED = [
    (method.upper(), path)
    for path, items in json.loads(OPENAPI.read_text())["paths"].items()
    for method, operation in items.items()
    if operation.get("security")
]


@pytest.mark.parametrize(("method", "path"), SECURED, ids=[f"{m} {p}" for m, p in SECURED])
def test_anonymous_call_is_a_documented_401(
    method: str, path: str, app: FastAPI, world: OrgWorld, loop_independent_database: None
) -> None:
    """Without a token every authenticated operation answers the 401 problem document its schema describes."""
    operation = schemathesis.openapi.from_asgi("/api/openapi.json", without_lifespan(app))[path][method]

    @given(case=operation.as_strategy())
    @settings(
        max_examples=1,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def check(case: schemathesis.Case[Any]) -> None:
        if case.path_parameters and "organization_id" in case.path_parameters:
            case.path_parameters["organization_id"] = world.organization_id
        response = case.call(headers={**case.headers, "X-Requested-With": "XMLHttpRequest"})
        assert response.status_code == 401, response.text
        case.validate_response(response, checks=[not_a_server_error, response_schema_conformance])

    check()
