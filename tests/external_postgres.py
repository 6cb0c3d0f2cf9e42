"""An external PostgreSQL server for the production-path tests (``make test-long``, marker ``external_db``).

The Debian ``postgresql-15`` package's binaries (``make postgresql`` installs it when missing), a cluster created in
a directory of the test run, listening on 127.0.0.1 on a free port (and a Unix socket for the superuser), with the two
roles the README's production steps create: the owner (runs migrations, owns the database) and the restricted app
role, both logging in with passwords over TCP as a deployment does. It offers what the suite's fixtures use of the
embedded server: ``start(database)``, ``create_database`` and ``drop_database``.
"""

from __future__ import annotations

import os
import pwd
import secrets
import shutil
import socket
import subprocess
from pathlib import Path

from adpilot.core.embedded_postgres import EmbeddedUrls

OWNER_ROLE = "adpilot_owner"
# PostgreSQL refuses to run as root; the Debian package creates this system user.
SYSTEM_USER = "postgres"


def find_bindir() -> Path | None:
    """The binaries of the newest PostgreSQL >= 15 installed from Debian packages (or ADPILOT_TEST_PG_BINDIR)."""
    configured = os.environ.get("ADPILOT_TEST_PG_BINDIR")
    if configured:
        return Path(configured) if (Path(configured) / "postgres").exists() else None
    for version in range(30, 14, -1):
        bindir = Path(f"/usr/lib/postgresql/{version}/bin")
        if (bindir / "postgres").exists() and (bindir / "initdb").exists():
            return bindir
    return None


class ExternalPostgres:
    def __init__(self, root: Path, bindir: Path, app_role: str) -> None:
        self.root = root
        self.bindir = bindir
        self.app_role = app_role
        self.pgdata = root / "data"
        self.socket_dir = root / "socket"
        self.port = _free_port()
        self.owner_password = secrets.token_urlsafe(16)
        self.app_password = secrets.token_urlsafe(16)
        self._user = SYSTEM_USER if os.geteuid() == 0 else None

    def start(self, database: str = "adpilot") -> EmbeddedUrls:
        """Create the cluster and the roles on first use (idempotent), and the URLs of ``database``."""
        if not (self.pgdata / "PG_VERSION").exists():
            self._initdb()
        if not (self.pgdata / "postmaster.pid").exists():
            self._pg_ctl(
                "-w",
                "-l",
                str(self.root / "server.log"),
                "-o",
                f"-p {self.port} -k {self.socket_dir} -c listen_addresses=127.0.0.1",
                "start",
            )
            # The README's production step 1: an owner and a restricted app role, both with passwords.
            self.psql(
                f"CREATE ROLE {OWNER_ROLE} LOGIN PASSWORD '{self.owner_password}';\n"
                f"CREATE ROLE {self.app_role} LOGIN PASSWORD '{self.app_password}' "
                "NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;\n"
            )
        self.psql(
            f"SELECT 'CREATE DATABASE \"{database}\" OWNER {OWNER_ROLE}' "  # noqa: S608 - names from the test run
            f"WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = '{database}')\\gexec\n"
        )
        tcp = f"127.0.0.1:{self.port}/{database}"
        return EmbeddedUrls(
            superuser=f"postgresql://{SYSTEM_USER}@/{database}?host={self.socket_dir}&port={self.port}",
            owner=f"postgresql://{OWNER_ROLE}:{self.owner_password}@{tcp}",
            app=f"postgresql://{self.app_role}:{self.app_password}@{tcp}",
        )

    def create_database(self, database: str, template: str | None = None) -> None:
        clause = f" TEMPLATE {template}" if template else ""
        self.psql(
            f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE);\n'
            f'CREATE DATABASE "{database}" OWNER {OWNER_ROLE}{clause};\n'
        )

    def drop_database(self, database: str) -> None:
        self.psql(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE);\n')

    def stop(self) -> None:
        if (self.pgdata / "postmaster.pid").exists():
            self._pg_ctl("-w", "-m", "fast", "stop")

    def psql(self, sql: str) -> str:
        return self._run(
            [
                str(self.bindir / "psql"),
                "-X",
                "-q",
                "-v",
                "ON_ERROR_STOP=1",
                "-h",
                str(self.socket_dir),
                "-p",
                str(self.port),
                "-U",
                SYSTEM_USER,
                "-d",
                "postgres",
            ],
            stdin=sql,
        )

    def _initdb(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)
        self.pgdata.mkdir(parents=True)
        self.socket_dir.mkdir()
        if self._user is not None:
            entry = pwd.getpwnam(self._user)
            for path in (self.root, self.pgdata, self.socket_dir):
                os.chown(path, entry.pw_uid, entry.pw_gid)
        self._run(
            [
                str(self.bindir / "initdb"),
                "-D",
                str(self.pgdata),
                "-U",
                SYSTEM_USER,
                "--encoding=UTF8",
                "--auth-local=trust",
                "--auth-host=scram-sha-256",
            ]
        )

    def _pg_ctl(self, *args: str) -> None:
        self._run([str(self.bindir / "pg_ctl"), "-D", str(self.pgdata), *args])

    def _run(self, command: list[str], stdin: str | None = None) -> str:
        if self._user is not None:
            command = ["runuser", "-u", self._user, "--", *command]
        result = subprocess.run(command, input=stdin, capture_output=True, text=True, check=False, cwd="/")
        if result.returncode != 0:
            raise RuntimeError(f"{' '.join(command)} failed:\n{result.stdout}\n{result.stderr}")
        return result.stdout


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
