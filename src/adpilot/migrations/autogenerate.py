"""What autogenerate compares: shared by env.py and the test that plays ``alembic check``."""

from __future__ import annotations

from typing import Any


def include_name(name: str | None, type_: str, parent_names: Any) -> bool:
    # procrastinate owns its tables; autogenerate must never try to drop them.
    return not (type_ == "table" and name is not None and name.startswith("procrastinate"))
