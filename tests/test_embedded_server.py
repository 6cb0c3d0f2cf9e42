"""The embedded PostgreSQL shared by `adpilot serve` and the commands run beside it, and the server's resilience.

A command attaches to the server that is already running and never stops one it did not start; concurrent starts
are serialised; a running `adpilot serve` survives its database restarting (readiness, log-in and the job worker
come back without restarting the process).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager
from pathlib import Path

import httpx
import psycopg
import pytest

from adpilot import migrate
from adpilot.core.embedded_postgres import EmbeddedPostgres
from tests.conftest import ROOT, TEST_HOME
from tests.servers import Server, server_env, start_server

APP_ROLE = "adpilot_app"
PASSWORD = "a-long-and-unusual-passphrase"
SECRET_KEY = "test-secret-key-that-is-long-enough-for-hmac-256"


def _fresh_home(name: str) -> Iterator[Path]:
    """A fresh ADPILOT_HOME whose server is stopped and deleted at the end, whatever the test left behind."""
    path = TEST_HOME / f"embedded-{name[:40]}-{os.getpid()}"
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    yield path
    EmbeddedPostgres(path, APP_ROLE).stop_if_running()
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def home(request: pytest.FixtureRequest) -> Iterator[Path]:
    yield from _fresh_home(request.node.name)


@pytest.fixture(scope="module")
def served_home() -> Iterator[Path]:
    yield from _fresh_home("served")


def _env(home: Path, **extra: str) -> dict[str, str]:
    return server_env(home, {"ADPILOT_SECRET_KEY": SECRET_KEY, **extra})


def _command(home: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "adpilot.cli", *args]


def _run_command(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        _command(home, *args), env=_env(home), cwd=ROOT, capture_output=True, text=True, timeout=180, check=False
    )


def postmaster_running(pgdata: Path) -> bool:
    """Whether a live postmaster serves this data directory (read from its pid file, as an operator would)."""
    try:
        pid = int((pgdata / "postmaster.pid").read_text().split("\n", 1)[0])
        os.kill(pid, 0)
    except (OSError, ValueError):
        return False
    return True


def _answers(app_url: str) -> bool:
    with psycopg.connect(app_url, connect_timeout=5) as connection:
        return connection.execute("SELECT 1").fetchone() == (1,)


def _migrated_home(home: Path) -> EmbeddedPostgres:
    server = EmbeddedPostgres(home, APP_ROLE)
    urls = server.start()
    migrate.upgrade(urls.owner, APP_ROLE)
    return server


def test_a_command_beside_a_running_server_leaves_its_database_up(home: Path) -> None:
    server = _migrated_home(home)  # what `adpilot serve` does first
    app_url = server.start().app

    result = _run_command(home, "mail", "outbox")

    assert result.returncode == 0, result.stderr
    assert "The outbox is empty." in result.stdout
    assert postmaster_running(server.pgdata), "the command stopped the server it did not start"
    assert _answers(app_url)
    server.stop()  # the process that started it stops it once nobody else uses it
    assert not postmaster_running(server.pgdata)


def test_the_last_to_leave_stops_a_server_whose_starter_has_left(home: Path) -> None:
    starter, attached = EmbeddedPostgres(home, APP_ROLE), EmbeddedPostgres(home, APP_ROLE)
    starter.start()
    app_url = attached.start().app

    starter.stop()
    assert postmaster_running(home / "pg") and _answers(app_url), "stopped under a process still using it"
    attached.stop()
    assert not postmaster_running(home / "pg")


def test_a_server_started_outside_adpilot_is_left_running(home: Path) -> None:
    EmbeddedPostgres(home, APP_ROLE).start()
    (home / "pg.holders.json").unlink(missing_ok=True)  # as if started by hand, or by a version that kept no record
    visitor = EmbeddedPostgres(home, APP_ROLE)
    visitor.start()
    visitor.stop()
    assert postmaster_running(home / "pg")


def test_commands_started_together_share_one_server_and_the_last_stops_it(home: Path) -> None:
    _migrated_home(home).stop()
    assert not postmaster_running(home / "pg")

    commands = [
        subprocess.Popen(
            _command(home, "mail", "outbox"),
            env=_env(home),
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    outputs = [command.communicate(timeout=180) for command in commands]

    assert [command.returncode for command in commands] == [0, 0, 0], [stderr for _, stderr in outputs]
    assert not postmaster_running(home / "pg"), "the server the commands started was left running"


def _wait_until(check: object, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():  # type: ignore[operator]
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    pytest.fail(f"timed out waiting for {what}")


def _serve(home: Path, log_path: Path, *args: str) -> AbstractContextManager[Server]:
    """A real `adpilot serve` on a home of its own; leaving the block sends SIGTERM as a process manager does."""
    return start_server(
        home,
        log_path,
        *args,
        env={"ADPILOT_SECRET_KEY": SECRET_KEY, "ADPILOT_WORKER_POLLING_INTERVAL": "0.5"},
        ready_timeout=180,
        ready_interval=0.3,
        stop_timeout=60,
    )


@pytest.fixture(scope="module")
def served(served_home: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """A real `adpilot serve` (with its worker, no demo), shared by the tests that leave it working; (URL, log)."""
    with _serve(served_home, tmp_path_factory.mktemp("served") / "server.log", "--no-demo") as server:
        yield server.url, server.log_path
    assert not postmaster_running(served_home / "pg"), "the server's database outlived it"


def _sign_up_and_log_in(url: str, email: str) -> httpx.Response:
    headers = {"X-Requested-With": "XMLHttpRequest"}
    signup = httpx.post(
        f"{url}/api/v1/auth/signup",
        json={"email": email, "password": PASSWORD, "display_name": "Ada"},
        headers=headers,
        timeout=30,
    )
    assert signup.status_code == 202, signup.text
    return httpx.post(
        f"{url}/api/v1/auth/login", json={"email": email, "password": PASSWORD}, headers=headers, timeout=30
    )


def _mail_delivered(url: str, recipient: str) -> bool:
    messages = httpx.get(f"{url}/api/v1/dev/outbox", timeout=5).json()["items"]
    return any(message["recipient"] == recipient for message in messages)


def test_a_command_beside_adpilot_serve_leaves_it_working(served_home: Path, served: tuple[str, Path]) -> None:
    url, _ = served

    result = _run_command(served_home, "mail", "outbox")

    assert result.returncode == 0, result.stderr
    assert httpx.get(f"{url}/readyz", timeout=10).status_code == 200
    assert _sign_up_and_log_in(url, "beside@example.com").status_code == 200


def test_the_server_survives_its_database_restarting(served_home: Path, served: tuple[str, Path]) -> None:
    url, log_path = served
    assert _sign_up_and_log_in(url, "before@example.com").status_code == 200
    _wait_until(lambda: _mail_delivered(url, "before@example.com"), 30, "the worker to send the first mail")

    EmbeddedPostgres(served_home, APP_ROLE).stop_if_running()
    time.sleep(3)  # the worker polls the queue every 0.5 s meanwhile, and finds the database gone
    restarted = EmbeddedPostgres(served_home, APP_ROLE)
    restarted.start()
    try:
        # Stale pooled connections are discarded: the first requests after the restart succeed.
        assert httpx.get(f"{url}/readyz", timeout=10).status_code == 200, log_path.read_text()[-3000:]
        login = _sign_up_and_log_in(url, "after@example.com")
        assert login.status_code == 200, log_path.read_text()[-3000:]
        # The job worker is back too: the sign-up's mail is delivered.
        _wait_until(lambda: _mail_delivered(url, "after@example.com"), 60, "the worker to send mail after restarting")
    finally:
        restarted.stop()  # leaving it does not stop it under the running server
    assert postmaster_running(served_home / "pg")


def test_readiness_reports_the_database_down_and_up_again(served_home: Path, served: tuple[str, Path]) -> None:
    url, _ = served

    EmbeddedPostgres(served_home, APP_ROLE).stop_if_running()
    down = httpx.get(f"{url}/readyz", timeout=10)
    restarted = EmbeddedPostgres(served_home, APP_ROLE)
    restarted.start()
    try:
        assert down.status_code == 503
        assert down.json()["checks"]["database"].startswith("unreachable")
        assert httpx.get(f"{url}/readyz", timeout=10).status_code == 200
    finally:
        restarted.stop()


def test_stopping_the_server_while_its_worker_syncs_records_no_platform_failure(home: Path, tmp_path: Path) -> None:
    # With the demo, the worker syncs the sandbox's accounts through this server's own /sandbox/ emulators.
    with _serve(home, tmp_path / "server.log") as server:
        try:
            _wait_until(lambda: _sync_jobs_started(home), 60, "the demo's syncs to start")
        finally:
            assert server.stop() in (0, 143), server.log()

    database = EmbeddedPostgres(home, APP_ROLE)
    superuser = database.start().superuser.replace("@/postgres?", "@/adpilot?", 1)
    try:
        with psycopg.connect(superuser) as connection:
            connections = connection.execute(
                "SELECT platform, health, consecutive_failures, health_reason FROM platform_connections"
            ).fetchall()
    finally:
        database.stop()
    assert len(connections) == 3
    assert [row for row in connections if row[1] != "ok" or row[2] != 0] == [], server.log()


def _sync_jobs_started(home: Path) -> bool:
    database = EmbeddedPostgres(home, APP_ROLE)
    superuser = database.start().superuser.replace("@/postgres?", "@/adpilot?", 1)
    try:
        with psycopg.connect(superuser) as connection:
            row = connection.execute(
                "SELECT count(*) FROM procrastinate_jobs WHERE status = 'doing' "
                "AND task_name IN ('campaigns.sync_entities', 'analytics.sync_metrics')"
            ).fetchone()
    finally:
        database.stop()
    return row is not None and row[0] > 0


def test_the_standalone_worker_stops_on_sigterm(home: Path) -> None:
    _migrated_home(home).stop()
    worker = subprocess.Popen(
        _command(home, "worker"), env=_env(home), cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    _wait_until(lambda: worker.poll() is None and _workers_registered(home) > 0, 120, "the worker to start")
    worker.send_signal(signal.SIGTERM)
    output, _ = worker.communicate(timeout=60)
    assert worker.returncode in (0, 143), output
    assert b"Traceback" not in output, output
    assert not postmaster_running(home / "pg")


def _workers_registered(home: Path) -> int:
    database = EmbeddedPostgres(home, APP_ROLE)
    superuser = database.start().superuser.replace("@/postgres?", "@/adpilot?", 1)
    try:
        with psycopg.connect(superuser) as connection:
            row = connection.execute("SELECT count(*) FROM procrastinate_workers").fetchone()
    finally:
        database.stop()
    return 0 if row is None else int(row[0])
