"""Engines, sessions, the per-request/per-job transaction and tenant scoping.

The app and workers connect as the restricted role (no superuser, not the owner, no BYPASSRLS), so the FORCE
row-level-security policies apply. The tenant is set per transaction with ``set_config(..., true)``.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Mapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, ClassVar
from urllib.parse import urlsplit, urlunsplit
from uuid import UUID

from fastapi import Depends
from pydantic_core import from_json
from sqlalchemy import DateTime, MetaData, event, func
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, SessionTransaction, mapped_column

from adpilot.config import Settings
from adpilot.core.embedded_postgres import EmbeddedPostgres

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: DateTime(timezone=True)}


class CreatedAtMixin:
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())


@dataclass(frozen=True)
class DatabaseUrls:
    """libpq-style URLs: ``owner`` runs migrations, ``app`` serves requests and jobs."""

    owner: str
    app: str


def to_sqlalchemy_url(url: str) -> str:
    scheme, _, rest = url.partition("://")
    if scheme in ("postgres", "postgresql", "postgresql+psycopg", "postgresql+asyncpg"):
        return "postgresql+asyncpg://" + rest
    raise ValueError(f"unsupported database URL scheme: {scheme}")


def to_libpq_url(url: str) -> str:
    _, _, rest = url.partition("://")
    return "postgresql://" + rest


def derive_app_url(owner_url: str, role: str, password: str | None) -> str:
    """The owner URL with the restricted role's credentials."""
    parts = urlsplit(to_libpq_url(owner_url))
    host = parts.netloc.rpartition("@")[2]
    credentials = role if password is None else f"{role}:{password}"
    return urlunsplit((parts.scheme, f"{credentials}@{host}", parts.path, parts.query, parts.fragment))


class Database:
    """The app's connection to PostgreSQL, embedded or external."""

    def __init__(self, urls: DatabaseUrls, pool_size: int = 10, embedded: EmbeddedPostgres | None = None) -> None:
        self.urls = urls
        self.embedded = embedded
        self.engine: AsyncEngine = create_async_engine(
            to_sqlalchemy_url(urls.app),
            pool_size=pool_size,
            max_overflow=pool_size,
            # A pooled connection is checked before use: after the database restarted, stale ones are replaced
            # instead of failing the request that drew them.
            pool_pre_ping=True,
            json_deserializer=from_json,  # JSONB columns parsed by pydantic-core (Rust), ~3x the stdlib's speed
            connect_args={"server_settings": {"application_name": "adpilot"}},
        )
        self.sessionmaker = async_sessionmaker(self.engine, expire_on_commit=False, autoflush=True)

    @classmethod
    def from_settings(cls, settings: Settings, *, start_embedded: bool = True) -> Database:
        return cls(resolve_urls(settings, start_embedded=start_embedded), settings.db_pool_size, _embedded)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """One unit of work: committed when the block ends, rolled back on error."""
        async with self.sessionmaker() as session, session.begin():
            yield session

    @asynccontextmanager
    async def tenant_transaction(
        self, organization_id: UUID | None, user_id: UUID | None = None
    ) -> AsyncIterator[AsyncSession]:
        """One unit of work scoped to an organization (and user) for row-level security from its first statement:
        for jobs and fan-outs that open their own transactions."""
        async with self.transaction() as session:
            await set_tenant(session, organization_id, user_id)
            yield session

    async def dispose(self) -> None:
        await self.engine.dispose()


_embedded: EmbeddedPostgres | None = None


def resolve_urls(settings: Settings, *, start_embedded: bool = True) -> DatabaseUrls:
    """The database URLs: from settings, or from the embedded server (started on first use)."""
    global _embedded
    if settings.database_url:
        password = settings.app_database_password.get_secret_value() if settings.app_database_password else None
        app = settings.app_database_url or derive_app_url(settings.database_url, settings.app_database_role, password)
        return DatabaseUrls(owner=to_libpq_url(settings.database_url), app=to_libpq_url(app))
    if not start_embedded:
        raise RuntimeError("no DATABASE_URL and the embedded PostgreSQL is not allowed here")
    if _embedded is None:
        _embedded = EmbeddedPostgres(settings.home, settings.app_database_role)
    urls = _embedded.start()
    return DatabaseUrls(owner=urls.owner, app=urls.app)


def stop_embedded() -> None:
    """Leave the embedded PostgreSQL: it is stopped only if this process started it and no other process uses it."""
    global _embedded
    if _embedded is not None:
        _embedded.stop()
        _embedded = None


def tenant_transaction(
    organization_id: UUID | None, user_id: UUID | None = None
) -> AbstractAsyncContextManager[AsyncSession]:
    """``async with tenant_transaction(organization_id) as session``: a transaction of the process's database,
    scoped to the organization (see ``Database.tenant_transaction``)."""
    return get_database().tenant_transaction(organization_id, user_id)


async def set_tenant(session: AsyncSession, organization_id: UUID | None, user_id: UUID | None = None) -> None:
    """Scope the current transaction to one organization (and user) for the row-level-security policies.

    It begins the transaction if need be. It runs at the start of every request and job, on the driver.
    """
    await (await driver_connection(session)).execute(
        "SELECT set_config('app.organization_id', $1, true), set_config('app.user_id', $2, true)",
        str(organization_id) if organization_id else "",
        str(user_id) if user_id else "",
    )


async def use_read_snapshot(session: AsyncSession) -> None:
    """Make the session's transaction one read-only snapshot (REPEATABLE READ): every statement sees the database
    as the first one did, whatever commits meanwhile. Call it before any other statement of the transaction."""
    await (await driver_connection(session)).execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")


async def driver_connection(session: AsyncSession) -> Any:
    """The asyncpg connection inside the session's transaction, for fixed statements on the hot path.

    Skips SQLAlchemy's statement layer (about 0.3 ms of CPU per statement) where a repository runs the same fixed
    SQL on every request. The statements run in the session's transaction: if the session has not yet sent any,
    the transaction is begun here exactly as SQLAlchemy's asyncpg adapter begins it on its first statement, so the
    session commits or rolls it back as usual (tests/test_tenancy.py covers both).
    """
    cached = session.sync_session.info.get(_DRIVER_KEY)
    if cached is not None:
        return cached
    connection = await session.connection()
    raw = await connection.get_raw_connection()
    adapted: Any = raw.dbapi_connection  # SQLAlchemy's AsyncAdapt_asyncpg_connection
    if adapted._transaction is None:
        await adapted._start_transaction()
    driver = raw.driver_connection
    # Kept for the rest of this transaction (four lookups per request otherwise); forgotten when it ends.
    session.sync_session.info[_DRIVER_KEY] = driver
    return driver


_DRIVER_KEY = "adpilot.driver_connection"

# A ``:name`` bind parameter; the ``::`` of a cast is not one.
_NAMED_PARAMETER = re.compile(r"(?<![:\w]):([A-Za-z_]\w*)")


def like_escaped(text: str) -> str:
    """``text`` with LIKE's wildcards and escape character escaped (for ``LIKE … ESCAPE '\\'``): a person's search
    text matches itself, not a pattern."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def like_pattern(fragment: str) -> str:
    """The LIKE pattern of "contains ``fragment``" (with ``ESCAPE '\\'``)."""
    return f"%{like_escaped(fragment)}%"


def positional(sql: str, values: Mapping[str, Any]) -> tuple[str, list[Any]]:
    """``sql`` with its ``:name`` parameters numbered as the driver takes them (``$1`` …, one number per name), and
    their values in that order: for SQL text written with named parameters and sent to ``driver_connection``."""
    numbers: dict[str, int] = {}

    def number(match: re.Match[str]) -> str:
        return f"${numbers.setdefault(match.group(1), len(numbers) + 1)}"

    numbered = _NAMED_PARAMETER.sub(number, sql)
    return numbered, [values[name] for name in numbers]


@event.listens_for(Session, "after_transaction_end")
def _forget_driver_connection(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:  # the outermost transaction: the connection goes back to the pool
        session.info.pop(_DRIVER_KEY, None)


_database: Database | None = None


def init_database(settings: Settings) -> Database:
    """Create the process's Database (starting the embedded server when needed)."""
    global _database
    if _database is None:
        _database = Database.from_settings(settings)
    return _database


def get_database() -> Database:
    if _database is None:
        raise RuntimeError("the database is not initialised; call init_database() first")
    return _database


async def close_database() -> None:
    global _database
    if _database is not None:
        await _database.dispose()
        _database = None


async def _request_session() -> AsyncIterator[AsyncSession]:
    async with get_database().transaction() as session:
        yield session


# One request = one transaction, committed when the endpoint returns and before the response is sent
# (scope="function"), rolled back when it raises.
DbSession = Annotated[AsyncSession, Depends(_request_session, scope="function")]
