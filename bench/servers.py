"""The servers of the API benchmarks, each run in its own uvicorn process.

``python -m bench.servers {adpilot,starlette,fastapi} --port N --tag DIR``

- ``adpilot``: the real application (``adpilot.app:create_app``), configured from the ``ADPILOT_*`` environment.
- ``starlette``: a bare Starlette endpoint on an asyncpg pool, the floor of what Python can serve here.
- ``fastapi``: a bare FastAPI endpoint on an asyncpg pool with a Pydantic response model, the framework's floor.

Both baselines connect as the same restricted role as adpilot and set the tenant with ``set_config`` inside a
transaction, exactly as the row-level-security policies require, then return the same page of the audit log in the
same JSON shape (``{"items": [...], "next_cursor": ...}``, each entry with its action in words and the name its
snapshots record, from the same ``adpilot.audit.labels`` functions). They do no authentication: the difference
between them and adpilot is the price of authentication, tenancy checks, the ORM, the middleware and the error
handling.
"""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

import asyncpg
import uvicorn
from fastapi import FastAPI, Query, Request
from pydantic import BaseModel
from starlette.applications import Starlette
from starlette.requests import Request as StarletteRequest
from starlette.responses import JSONResponse
from starlette.routing import Route

from adpilot.audit.labels import action_label, name_in_snapshots

LIST_PATH = "/api/v1/orgs/{organization_id}/audit-log"
TENANT_SQL = "SELECT set_config('app.organization_id', $1, true), set_config('app.user_id', $2, true)"
# The statement adpilot's repository sends for the first page (one extra row tells whether there is a next page).
LIST_SQL = (
    "SELECT id, seq, occurred_at, actor_user_id, actor_email, action, target_type, target_id, ip, user_agent,"
    " before, after FROM audit_log WHERE organization_id = $1 ORDER BY seq DESC LIMIT $2"
)
# adpilot's engine: pool_size=10 (ADPILOT_DB_POOL_SIZE) plus max_overflow=10.
POOL_MIN, POOL_MAX = 10, 20


def adpilot_app() -> Any:
    """The uvicorn factory of the real application, set up the way ``adpilot serve`` sets it up."""
    from adpilot.app import configure_observability, create_app
    from adpilot.config import get_settings

    settings = get_settings()
    configure_observability(settings)
    return create_app(settings, run_worker=False)


async def _init_connection(connection: asyncpg.Connection) -> None:
    # As SQLAlchemy's asyncpg dialect does: JSONB arrives decoded.
    await connection.set_type_codec("jsonb", encoder=json.dumps, decoder=json.loads, schema="pg_catalog")


@asynccontextmanager
async def _pool() -> AsyncIterator[asyncpg.Pool]:
    pool = await asyncpg.create_pool(
        os.environ["BENCH_APP_DATABASE_URL"],
        min_size=POOL_MIN,
        max_size=POOL_MAX,
        init=_init_connection,
        server_settings={"application_name": "bench"},
    )
    try:
        yield pool
    finally:
        await pool.close()


async def _fetch_page(pool: asyncpg.Pool, organization_id: UUID, limit: int) -> list[asyncpg.Record]:
    """One transaction: the tenant for the RLS policies, then the page."""
    async with pool.acquire() as connection, connection.transaction():
        await connection.execute(TENANT_SQL, str(organization_id), os.environ["BENCH_USER_ID"])
        rows: list[asyncpg.Record] = await connection.fetch(LIST_SQL, organization_id, limit + 1)
        return rows


# --- bare Starlette ----------------------------------------------------------------------------------------------


def _entry_json(row: asyncpg.Record) -> dict[str, Any]:
    actor = row["actor_user_id"]
    return {
        "id": str(row["id"]),
        "seq": row["seq"],
        "occurred_at": row["occurred_at"].isoformat(),
        "actor_user_id": str(actor) if actor else None,
        "actor_email": row["actor_email"],
        "action": row["action"],
        "action_label": action_label(row["action"]),
        "target_type": row["target_type"],
        "target_id": row["target_id"],
        "target_name": name_in_snapshots(row["before"], row["after"]),
        "ip": row["ip"],
        "user_agent": row["user_agent"],
        "before": row["before"],
        "after": row["after"],
    }


async def _starlette_list(request: StarletteRequest) -> JSONResponse:
    limit = int(request.query_params.get("limit", "50"))
    rows = await _fetch_page(request.app.state.pool, request.path_params["organization_id"], limit)
    items = [_entry_json(row) for row in rows[:limit]]
    return JSONResponse({"items": items, "next_cursor": str(items[-1]["seq"]) if len(rows) > limit else None})


async def _healthz(_: StarletteRequest) -> JSONResponse:
    return JSONResponse({"status": "ok"})


@asynccontextmanager
async def _starlette_lifespan(app: Starlette) -> AsyncIterator[None]:
    async with _pool() as pool:
        app.state.pool = pool
        yield


def starlette_app() -> Starlette:
    return Starlette(
        routes=[Route(LIST_PATH.replace("}", ":uuid}"), _starlette_list), Route("/healthz", _healthz)],
        lifespan=_starlette_lifespan,
    )


# --- bare FastAPI --------------------------------------------------------------------------------------------------


class EntryRead(BaseModel):
    id: UUID
    seq: int
    occurred_at: datetime
    actor_user_id: UUID | None
    actor_email: str | None
    action: str
    action_label: str
    target_type: str | None
    target_id: str | None
    target_name: str | None
    ip: str | None
    user_agent: str | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None


class EntryPage(BaseModel):
    items: list[EntryRead]
    next_cursor: str | None = None


@asynccontextmanager
async def _fastapi_lifespan(app: FastAPI) -> AsyncIterator[None]:
    async with _pool() as pool:
        app.state.pool = pool
        yield


def fastapi_app() -> FastAPI:
    app = FastAPI(lifespan=_fastapi_lifespan)

    @app.get(LIST_PATH)
    async def list_entries(
        organization_id: UUID, request: Request, limit: Annotated[int, Query(ge=1, le=100)] = 50
    ) -> EntryPage:
        rows = await _fetch_page(request.app.state.pool, organization_id, limit)
        items = [
            EntryRead.model_validate(
                {
                    **dict(row),
                    "action_label": action_label(row["action"]),
                    "target_name": name_in_snapshots(row["before"], row["after"]),
                }
            )
            for row in rows[:limit]
        ]
        return EntryPage(items=items, next_cursor=str(items[-1].seq) if len(rows) > limit else None)

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app


FACTORIES = {
    "adpilot": "bench.servers:adpilot_app",
    "starlette": "bench.servers:starlette_app",
    "fastapi": "bench.servers:fastapi_app",
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("target", choices=sorted(FACTORIES))
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--tag", help="ignored; names the benchmark's directory so pgrep finds the process")
    args = parser.parse_args()
    # The same server for all three: one worker, uvloop + httptools ("auto"), no access log, warnings only.
    uvicorn.run(
        FACTORIES[args.target],
        factory=True,
        host="127.0.0.1",
        port=args.port,
        workers=1,
        access_log=False,
        log_level="warning",
        log_config=None,
        server_header=False,
    )


if __name__ == "__main__":
    main()
