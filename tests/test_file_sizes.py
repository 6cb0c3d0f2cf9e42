"""Source files stay small enough to read: no Python file outside the migrations is over 800 lines.

A file that grows past the limit is split along its seams (a package instead of a module, a test folder with a
``conftest.py`` instead of one test file) rather than let grow.
"""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MAX_LINES = 800
# Directories never walked: Alembic revisions (reviewed one by one, long by nature), installed and generated code.
SKIPPED = {"migrations", "node_modules", "__pycache__", "dist", "build"}


def python_files(root: Path) -> list[Path]:
    """Every ``*.py`` file of the repository, outside hidden directories (.venv, .tools, .git) and ``SKIPPED``."""
    found: list[Path] = []
    for directory, subdirectories, files in os.walk(root):
        subdirectories[:] = [name for name in subdirectories if not name.startswith(".") and name not in SKIPPED]
        found.extend(Path(directory, name) for name in files if name.endswith(".py"))
    return sorted(found)


def line_count(path: Path) -> int:
    return len(path.read_text(encoding="utf-8").splitlines())


def test_no_python_file_outside_the_migrations_is_over_800_lines() -> None:
    files = python_files(ROOT)
    assert any(path.name == "app.py" for path in files), "the walk found no sources: is ROOT right?"
    offenders = {str(path.relative_to(ROOT)): lines for path in files if (lines := line_count(path)) > MAX_LINES}
    assert offenders == {}, f"split these files (at most {MAX_LINES} lines each): {offenders}"


def test_the_walk_skips_migrations_and_hidden_directories(tmp_path: Path) -> None:
    for relative in ("src/pkg/big.py", "src/pkg/migrations/versions/0001.py", ".venv/lib/site.py", "bench/run.py"):
        (tmp_path / relative).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / relative).write_text("x = 1\n")
    assert [path.relative_to(tmp_path).as_posix() for path in python_files(tmp_path)] == [
        "bench/run.py",
        "src/pkg/big.py",
    ]
