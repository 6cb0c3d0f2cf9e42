"""What every benchmark shares: the BENCH line, server processes that are always stopped, the embedded database."""

from __future__ import annotations

import contextlib
import fcntl
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

ROOT = Path(__file__).resolve().parents[1]
# Gitignored (``.adpilot-*/``). Every process a benchmark starts has this path on its command line, so
# ``pgrep -af adpilot-bench`` lists whatever a benchmark left behind (it should list nothing).
BENCH_HOME = ROOT / ".adpilot-bench"
APP_ROLE = "adpilot_app"


def bench_line(name: str, value: float, unit: str, baseline: float, ratio: float) -> str:
    """The one machine-readable result format: ``BENCH <name> <value> <unit> baseline=<value> ratio=<value>``."""
    return f"BENCH {name} {value:.6g} {unit} baseline={baseline:.6g} ratio={ratio:.3f}"


def env_number(name: str, default: float) -> float:
    value = os.environ.get(name)
    return float(value) if value else default


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextlib.contextmanager
def exclusive_bench_home(timeout: float = 900) -> Iterator[None]:
    """One benchmark run at a time per checkout: they share BENCH_HOME, and would skew each other's figures anyway.

    The lock is a ``flock`` on ``BENCH_HOME/lock``; the kernel releases it when the holder dies, even by SIGKILL. The
    holder may therefore stop whatever an earlier, killed run left behind in BENCH_HOME.
    """
    BENCH_HOME.mkdir(exist_ok=True)
    with (BENCH_HOME / "lock").open("a+") as lock:
        deadline = time.monotonic() + timeout
        waiting = False
        while True:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if not waiting:
                    lock.seek(0)
                    holder = lock.read().strip() or "?"
                    print(
                        f"waiting for another benchmark run (pid {holder}) to finish with {BENCH_HOME}",
                        file=sys.stderr,
                        flush=True,
                    )
                    waiting = True
                if time.monotonic() > deadline:
                    raise RuntimeError(f"another benchmark run kept {BENCH_HOME} for {timeout:.0f} s") from None
                time.sleep(0.5)
        lock.seek(0)
        lock.truncate()
        lock.write(str(os.getpid()))
        lock.flush()
        try:
            _stop_leftover_servers()
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _stop_leftover_servers() -> None:
    """Servers of an earlier run of this checkout that was SIGKILLed (only called while holding the lock)."""
    tag = str(BENCH_HOME)
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        words = [word.decode(errors="replace") for word in argv]
        if "bench.servers" in words and "--tag" in words and words[words.index("--tag") + 1 :][:1] == [tag]:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(int(entry.name), signal.SIGTERM)


def _raise_system_exit(signum: int, _: FrameType | None) -> None:
    raise SystemExit(128 + signum)


@contextlib.contextmanager
def stop_on_sigterm() -> Iterator[None]:
    """SIGTERM (and SIGHUP) become SystemExit, so the ``finally`` blocks stopping servers and PostgreSQL run."""
    previous = {sig: signal.signal(sig, _raise_system_exit) for sig in (signal.SIGTERM, signal.SIGHUP)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


@dataclass
class ServerProcess:
    """A server in its own process group, stopped (SIGTERM, then SIGKILL) when the benchmark ends."""

    name: str
    port: int
    process: subprocess.Popen[bytes]
    log_path: Path

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @classmethod
    def start(cls, name: str, argv: list[str], env: dict[str, str], port: int) -> ServerProcess:
        log_path = BENCH_HOME / f"{name}.log"
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                argv,
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        return cls(name, port, process, log_path)

    def wait_ready(self, path: str, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"{self.name} exited with {self.process.returncode}; see {self.log_path}:\n" + self.log_tail()
                )
            try:
                with urllib.request.urlopen(self.base_url + path, timeout=1) as response:  # noqa: S310 (loopback)
                    if response.status == 200:
                        return
            except OSError:
                pass
            time.sleep(0.1)
        raise RuntimeError(
            f"{self.name} did not answer on {self.base_url}{path} within {timeout:.0f} s:\n" + self.log_tail()
        )

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self) -> None:
        if self.process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)


def python_module_argv(module: str, *args: str) -> list[str]:
    """``python -m <module> ... --tag <BENCH_HOME>``: the tag makes the process findable with pgrep."""
    return [sys.executable, "-m", module, *args, "--tag", str(BENCH_HOME)]


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (all its threads), 0 when it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _children(pid: int) -> list[int]:
    children = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                    children.append(int(entry.name))
            except (OSError, IndexError, ValueError):
                continue
    return children


class CpuMeter:
    """CPU seconds spent by a server process and by the PostgreSQL postmaster with its backends (Linux /proc).

    CPU per request does not depend on how much CPU other work on the machine leaves to the benchmark, unlike
    requests per second; it is the figure to trust on a busy machine.
    """

    def __init__(self, server_pid: int, pgdata: Path) -> None:
        self.server_pid = server_pid
        self.pgdata = pgdata

    def _postgres_pids(self) -> list[int]:
        try:
            postmaster = int((self.pgdata / "postmaster.pid").read_text().split()[0])
        except (OSError, IndexError, ValueError):
            return []
        return [postmaster, *_children(postmaster)]

    def sample(self) -> tuple[float, dict[int, float]]:
        return _cpu_seconds(self.server_pid), {pid: _cpu_seconds(pid) for pid in self._postgres_pids()}

    @staticmethod
    def spent(before: tuple[float, dict[int, float]], after: tuple[float, dict[int, float]]) -> tuple[float, float]:
        """(server, postgres) CPU seconds between two samples; backends started meanwhile count from zero."""
        postgres = sum(seconds - before[1].get(pid, 0.0) for pid, seconds in after[1].items())
        return after[0] - before[0], postgres
