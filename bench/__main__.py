"""Run every benchmark (``python -m bench``) or the named ones (``python -m bench api_list``)."""

from __future__ import annotations

import importlib
import sys
import time

# The registry: a benchmark is a module ``bench/<name>.py`` with ``main() -> int``. Add new ones here.
BENCHMARKS: list[str] = [
    "api_list",
    "sync",
    "ingest",
    "dashboard",
    "changes",
]


def main(argv: list[str]) -> int:
    if any(arg in ("-h", "--help") for arg in argv):
        print(__doc__)
        print("benchmarks:", " ".join(BENCHMARKS))
        return 0
    unknown = [name for name in argv if name not in BENCHMARKS]
    if unknown:
        print(f"unknown benchmark(s): {' '.join(unknown)}; known: {' '.join(BENCHMARKS)}", file=sys.stderr)
        return 2
    failed: list[str] = []
    for name in argv or BENCHMARKS:
        print(f"== bench {name}", flush=True)
        started = time.monotonic()
        module = importlib.import_module(f"bench.{name}")
        code = module.main()
        # On stderr, so that each module's headline BENCH line stays the last line it prints on stdout.
        print(f"== bench {name} finished in {time.monotonic() - started:.0f} s (exit {code})", file=sys.stderr)
        if code != 0:
            failed.append(name)
    if failed:
        print(f"failed: {' '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
