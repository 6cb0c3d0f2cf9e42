"""Start a real `adpilot serve` for a test: one way for the browser tests and the server tests.

``start_server(home, log_path, ...)`` picks a free port, runs ``python -m adpilot.cli serve`` with a clean
environment (no ``ADPILOT_*`` or ``DATABASE_URL`` inherited from the test run), sends its output to ``log_path``,
waits for ``/readyz`` to answer 200 (failing at once, with the log, if the process exits first) and stops it with
SIGTERM at the end, as a process manager does (SIGKILL if it does not stop in time).

    with start_server(home, tmp_path / "server.log", "--no-demo") as server:
        httpx.get(f"{server.url}/readyz")
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[1]
LOG_TAIL = 3000


def free_port() -> int:
    """A TCP port nobody listens on right now (the OS picks it)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def server_env(home: Path, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment of an adpilot process on ``home``: development, quiet logs, nothing of the test run's own."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("ADPILOT_") and key != "DATABASE_URL"}
    env.update(
        {
            "ADPILOT_HOME": str(home),
            "ADPILOT_ENVIRONMENT": "development",
            "ADPILOT_LOG_LEVEL": "WARNING",
            **(extra or {}),
        }
    )
    return env


@dataclass
class Server:
    """A running `adpilot serve`: its URL, process and log file."""

    url: str
    process: subprocess.Popen[bytes]
    log_path: Path
    stop_timeout: float

    def log(self) -> str:
        """The end of the server's output, for assertion messages."""
        return self.log_path.read_text(errors="replace")[-LOG_TAIL:]

    def stop(self) -> int:
        """SIGTERM (SIGKILL after ``stop_timeout`` seconds); the exit code. Stopping twice is harmless."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=self.stop_timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
        return self.process.wait()


@contextmanager
def start_server(
    home: Path,
    log_path: Path,
    *args: str,
    env: Mapping[str, str] | None = None,
    fresh_home: bool = False,
    ready_timeout: float = 90,
    ready_interval: float = 0.5,
    stop_timeout: float = 30,
) -> Iterator[Server]:
    """Run `adpilot serve *args` on ``home`` until the block ends.

    ``env`` adds to :func:`server_env` (``ADPILOT_PORT`` is set here). With ``fresh_home`` the home directory is
    deleted before the start and after the stop.
    """
    if fresh_home:
        shutil.rmtree(home, ignore_errors=True)
    port = free_port()
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "adpilot.cli", "serve", *args],
            env=server_env(home, {**(env or {}), "ADPILOT_PORT": str(port)}),
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
        )
    server = Server(f"http://127.0.0.1:{port}", process, log_path, stop_timeout)
    try:
        _wait_ready(server, ready_timeout, ready_interval)
        yield server
    finally:
        server.stop()
        if fresh_home:
            shutil.rmtree(home, ignore_errors=True)


def _wait_ready(server: Server, timeout: float, interval: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            pytest.fail(f"adpilot serve exited early:\n{server.log()}")
        try:
            if httpx.get(f"{server.url}/readyz", timeout=5).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(interval)
    pytest.fail(f"adpilot serve did not become ready:\n{server.log()}")
