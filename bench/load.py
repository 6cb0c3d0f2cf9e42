"""Closed-loop HTTP load from a separate process: ``wrk`` when installed, else a small asyncio client.

Each of ``connections`` keep-alive connections sends its next request as soon as the previous answer arrived, for
``warmup`` seconds (discarded) and then ``duration`` seconds (measured). Latency percentiles are those of the
measured requests (closed loop: a slow server gets fewer requests, not queued ones, so tails are understated
compared with an open-loop load).

``python -m bench.load --url URL [--header 'Name: value'] --connections 32 --duration 10 --warmup 3`` is the
fallback generator; it prints the same JSON document the wrk reporter (``wrk_report.lua``) prints.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from bench.harness import BENCH_HOME

WRK_SCRIPT = Path(__file__).with_name("wrk_report.lua")


@dataclass(frozen=True)
class LoadResult:
    tool: str
    requests: int
    seconds: float
    errors: int
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float

    @property
    def rps(self) -> float:
        return self.requests / self.seconds

    @classmethod
    def from_report(cls, tool: str, report: dict[str, Any]) -> LoadResult:
        errors = sum(
            int(report[key]) for key in ("non2xx", "connect_errors", "read_errors", "write_errors", "timeouts")
        )
        return cls(
            tool,
            int(report["requests"]),
            report["duration_us"] / 1e6,
            errors,
            report["p50_us"] / 1000,
            report["p95_us"] / 1000,
            report["p99_us"] / 1000,
            report["max_us"] / 1000,
        )


def load_tool() -> str:
    """``wrk`` if it is on PATH (``apt-get install wrk``), else ``python``; BENCH_LOAD_TOOL forces one."""
    forced = os.environ.get("BENCH_LOAD_TOOL")
    if forced:
        if forced not in ("wrk", "python"):
            raise ValueError("BENCH_LOAD_TOOL must be wrk or python")
        return forced
    return "wrk" if shutil.which("wrk") else "python"


def run_load(
    tool: str, url: str, headers: dict[str, str], connections: int, duration: float, warmup: float
) -> LoadResult:
    if tool == "wrk":
        return _run_wrk(url, headers, connections, duration, warmup)
    argv = [
        sys.executable,
        "-m",
        "bench.load",
        "--url",
        url,
        "--connections",
        str(connections),
        "--duration",
        str(duration),
        "--warmup",
        str(warmup),
        "--tag",
        str(BENCH_HOME),
    ]
    for name, value in headers.items():
        argv += ["--header", f"{name}: {value}"]
    timeout = duration + warmup + 60
    output = subprocess.run(argv, check=True, capture_output=True, text=True, timeout=timeout).stdout
    return LoadResult.from_report("python-asyncio", json.loads(output.strip().splitlines()[-1]))


def _run_wrk(url: str, headers: dict[str, str], connections: int, duration: float, warmup: float) -> LoadResult:
    # One wrk thread: the server under test, PostgreSQL and the load share the same cores; wrk's thread is cheap.
    base = ["wrk", "-t1", f"-c{connections}", "--timeout", "10s"]
    for name, value in headers.items():
        base += ["-H", f"{name}: {value}"]
    if warmup > 0:
        subprocess.run([*base, f"-d{warmup:g}s", url], check=True, capture_output=True, timeout=warmup + 30)
    completed = subprocess.run(
        [*base, f"-d{duration:g}s", "-s", str(WRK_SCRIPT), url],
        check=True,
        capture_output=True,
        text=True,
        timeout=duration + 30,
    )
    for line in completed.stdout.splitlines():
        if line.startswith("WRKJSON "):
            return LoadResult.from_report("wrk", json.loads(line.removeprefix("WRKJSON ")))
    raise RuntimeError(f"wrk printed no report:\n{completed.stdout}\n{completed.stderr}")


# --- the fallback generator ----------------------------------------------------------------------------------------


async def _connection_loop(
    host: str,
    port: int,
    request: bytes,
    measure_from: float,
    stop_at: float,
    latencies: list[float],
    counts: dict[str, int],
) -> None:
    try:
        reader, writer = await asyncio.open_connection(host, port)
    except OSError:
        counts["connect_errors"] += 1
        return
    try:
        while (started := time.perf_counter()) < stop_at:
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head[9:12])
            length = None
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            if length is None:
                raise RuntimeError("the load generator needs Content-Length responses")
            await reader.readexactly(length)
            if started >= measure_from:
                latencies.append(time.perf_counter() - started)
                if not 200 <= status < 300:
                    counts["non2xx"] += 1
    except (OSError, asyncio.IncompleteReadError):
        counts["read_errors"] += 1
    finally:
        writer.close()


async def _generate(url: str, headers: list[str], connections: int, duration: float, warmup: float) -> dict[str, Any]:
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    request = "".join(
        [f"GET {target} HTTP/1.1\r\nHost: {parts.netloc}\r\n", *(f"{h}\r\n" for h in headers), "\r\n"]
    ).encode()
    measure_from = time.perf_counter() + warmup
    stop_at = measure_from + duration
    latencies: list[float] = []
    counts = {"non2xx": 0, "connect_errors": 0, "read_errors": 0}
    await asyncio.gather(
        *(_connection_loop(host, port, request, measure_from, stop_at, latencies, counts) for _ in range(connections))
    )
    latencies.sort()

    def percentile(p: float) -> int:
        if not latencies:
            return 0
        return round(latencies[min(len(latencies) - 1, int(len(latencies) * p / 100))] * 1e6)

    return {
        "requests": len(latencies),
        "duration_us": round(duration * 1e6),
        **counts,
        "write_errors": 0,
        "timeouts": 0,
        "p50_us": percentile(50),
        "p95_us": percentile(95),
        "p99_us": percentile(99),
        "max_us": round(latencies[-1] * 1e6) if latencies else 0,
        "mean_us": sum(latencies) / len(latencies) * 1e6 if latencies else 0,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", required=True)
    parser.add_argument("--header", action="append", default=[])
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--duration", type=float, default=10)
    parser.add_argument("--warmup", type=float, default=3)
    parser.add_argument("--tag", help="ignored; names the benchmark's directory so pgrep finds the process")
    args = parser.parse_args()
    loop_factory: Callable[[], asyncio.AbstractEventLoop]
    try:
        import uvloop

        loop_factory = uvloop.new_event_loop
    except ImportError:
        loop_factory = asyncio.new_event_loop
    with asyncio.Runner(loop_factory=loop_factory) as runner:
        report = runner.run(_generate(args.url, args.header, args.connections, args.duration, args.warmup))
    print(json.dumps(report))


if __name__ == "__main__":
    main()
