"""Test fixtures: a real embedded PostgreSQL, the app over ASGI, users and organizations, and a blocked network.

One embedded server serves the whole run, in a directory of its own (concurrent runs never share a server); each
test process gets its own database. Migrations run once; after each test every table is truncated. The app connects
as the restricted role, exactly as in production. Password hashing uses argon2id at its cheapest cost (see below).
"""

from __future__ import annotations

import os
import shutil
import socket
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

ROOT = Path(__file__).resolve().parents[1]
TEST_ROOT = ROOT / ".adpilot-test"
# Each pytest run (its xdist workers included) gets its own embedded server: several people or tools may run the
# suite at once in one checkout, and a shared server would be dropped or stopped under a concurrent run's feet.
# The controlling process picks the directory; xdist workers inherit it through the environment.
os.environ.setdefault("ADPILOT_TEST_RUN_DIR", str(TEST_ROOT / f"run-{os.getpid()}"))
TEST_HOME = Path(os.environ["ADPILOT_TEST_RUN_DIR"])

os.environ.update(
    {
        "ADPILOT_ENVIRONMENT": "test",
        "ADPILOT_HOME": str(TEST_HOME / "home"),
        "ADPILOT_SECRET_KEY": "test-secret-key-that-is-long-enough-for-hmac-256",
        "ADPILOT_RATE_LIMIT_PER_MINUTE": "100000",
        "ADPILOT_LOG_JSON": "true",
        "ADPILOT_PUBLIC_URL": "http://testserver",
        # A connect queues a metrics backfill; tests that are not about metrics need not read 90 days of them.
        "ADPILOT_METRICS_BACKFILL_DAYS": "3",
        "ADPILOT_METRICS_HISTORY_MONTHS": "0",
    }
)
os.environ.pop("DATABASE_URL", None)

from argon2 import PasswordHasher  # noqa: E402

from adpilot.core import security  # noqa: E402
from adpilot.core.embedded_postgres import EmbeddedPostgres, EmbeddedUrls  # noqa: E402

# argon2id at production cost takes ~0.2-0.4 s per hash or verify; the fixtures sign up and log in dozens of users.
# The tests exercise the same code with the cheapest argon2id parameters (the algorithm and the code path are real).
security._hasher = PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)
security._DUMMY_HASH = security._hasher.hash("no-such-account")


def _worker_database() -> str:
    # One database per test process, so parallel runs (xdist workers, two terminals) never share one.
    return f"adpilot_test_{os.getpid()}"


def _remove_abandoned_runs() -> None:
    """Stop and delete the servers of earlier runs whose process is gone (killed before its teardown)."""
    for run in TEST_ROOT.glob("run-*"):
        pid = run.name.removeprefix("run-")
        if run == TEST_HOME or not pid.isdigit() or _alive(int(pid)):
            continue
        EmbeddedPostgres(run, "adpilot_app").stop_if_running()
        shutil.rmtree(run, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


# `make test-long` also runs the tests marked `external_db` with ADPILOT_TEST_DATABASE=external: against an external
# PostgreSQL server (tests/external_postgres.py), reached over TCP with passwords, as in production.
EXTERNAL_DATABASE = os.environ.get("ADPILOT_TEST_DATABASE") == "external"


@pytest.fixture(scope="session")
def embedded_server() -> Iterator[Any]:
    """The run's PostgreSQL server: embedded, or the external one of ADPILOT_TEST_DATABASE=external."""
    TEST_HOME.mkdir(parents=True, exist_ok=True)
    if EXTERNAL_DATABASE:
        yield from _external_server()
        return
    server = EmbeddedPostgres(TEST_HOME, "adpilot_app")
    server.start()
    yield server


def _external_server() -> Iterator[Any]:
    from tests.external_postgres import ExternalPostgres, find_bindir

    bindir = find_bindir()
    if bindir is None:
        pytest.skip(
            "no PostgreSQL >= 15 server binaries in /usr/lib/postgresql/*/bin: the external-database tests need the "
            "Debian postgresql-15 package (make test-long installs it with apt-get where it can)"
        )
    # Under /tmp: the server runs as the `postgres` system user when the tests run as root, and must reach its
    # directory (a checkout under /root would not do); a short path also keeps the socket's name within limits.
    root = Path(tempfile.mkdtemp(prefix="adpilot-external-pg-"))
    server = ExternalPostgres(root, bindir, "adpilot_app")
    try:
        server.start()
        yield server
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def embedded_urls(embedded_server: EmbeddedPostgres) -> Iterator[EmbeddedUrls]:
    """Superuser, owner and app URLs of this worker's freshly migrated database."""
    from adpilot import migrate

    name = _worker_database()
    embedded_server.create_database(name)
    urls = embedded_server.start(database=name)
    migrate.upgrade(urls.owner, "adpilot_app")
    # The server's superuser URL names the maintenance database; point it at this worker's database.
    superuser = urls.superuser.replace("@/postgres?", f"@/{name}?", 1)
    yield EmbeddedUrls(superuser=superuser, owner=urls.owner, app=urls.app)
    embedded_server.drop_database(name)


@pytest.fixture(scope="session")
def superuser_url(embedded_urls: EmbeddedUrls) -> str:
    """The PostgreSQL superuser on this worker's database: bypasses RLS and can disable triggers (tamper tests)."""
    return embedded_urls.superuser


@pytest.fixture(scope="session")
def database_urls(embedded_urls: EmbeddedUrls) -> Iterator[tuple[str, str]]:
    """(owner URL, app URL) of this worker's freshly migrated database."""
    from adpilot.config import get_settings

    urls = embedded_urls
    os.environ["DATABASE_URL"] = urls.owner
    if EXTERNAL_DATABASE:
        # As the README's production steps configure it: the app role's URL derived from DATABASE_URL.
        os.environ["ADPILOT_APP_DATABASE_PASSWORD"] = urlsplit(urls.app).password or ""
    else:
        os.environ["ADPILOT_APP_DATABASE_URL"] = urls.app
    get_settings.cache_clear()
    yield urls.owner, urls.app


@pytest.fixture(scope="session")
async def database(database_urls: tuple[str, str]) -> AsyncIterator[object]:
    from procrastinate.periodic import PeriodicRegistry

    from adpilot import jobs
    from adpilot.config import get_settings
    from adpilot.db import close_database, init_database
    from adpilot.subscriptions import install as install_subscriptions

    db = init_database(get_settings())
    job_app = jobs.configure(db.urls.app)
    # The workers tests start defer no periodic jobs. A test of a scheduled fan-out calls it itself; the deferrer
    # would queue, in every minute of the run, the scheduled syncs of every managed account, the report and expiry
    # sweeps..., work no test asked for that made the suite slow and its runs depend on the minute they fell in.
    job_app.periodic_registry = PeriodicRegistry()  # type: ignore[no-untyped-call]  # procrastinate leaves it untyped
    await job_app.open_async()
    install_subscriptions()  # as every process does at start-up: the event registry and the audit log's names
    yield db
    await job_app.close_async()
    await close_database()


TRUNCATE_SQL = """
DO $$ DECLARE tables text; BEGIN
  SELECT string_agg(quote_ident(tablename), ', ') INTO tables FROM pg_tables
   WHERE schemaname = 'public' AND tablename <> 'alembic_version';
  EXECUTE 'TRUNCATE ' || tables || ' RESTART IDENTITY CASCADE';
END $$;
"""


@pytest.fixture(autouse=True)
async def clean_database(request: pytest.FixtureRequest) -> AsyncIterator[None]:
    yield
    if "database" not in request.fixturenames:
        return
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    from adpilot.db import to_sqlalchemy_url

    owner_url = request.getfixturevalue("database_urls")[0]
    engine = create_async_engine(to_sqlalchemy_url(owner_url))
    async with engine.begin() as connection:
        await connection.execute(text(TRUNCATE_SQL))
    await engine.dispose()


@pytest.fixture(autouse=True)
def block_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests never reach the network: only loopback and Unix sockets are allowed."""
    original = socket.socket.connect

    def guarded(self: socket.socket, address: object) -> object:
        if self.family in (socket.AF_INET, socket.AF_INET6) and isinstance(address, tuple):
            host = str(address[0])
            if host not in ("127.0.0.1", "::1", "localhost"):
                raise OSError(f"tests may not reach the network ({host})")
        return original(self, address)  # type: ignore[arg-type]

    monkeypatch.setattr(socket.socket, "connect", guarded)


def pytest_sessionfinish(session: pytest.Session) -> None:
    # The process that owns the run (not an xdist worker) stops its server and deletes it, leaving nothing behind.
    if "PYTEST_XDIST_WORKER" not in os.environ:
        EmbeddedPostgres(TEST_HOME, "adpilot_app").stop_if_running()
        shutil.rmtree(TEST_HOME, ignore_errors=True)
        _remove_abandoned_runs()


pytest_plugins = ["tests.fixtures", "tests.sandbox_fixtures"]
