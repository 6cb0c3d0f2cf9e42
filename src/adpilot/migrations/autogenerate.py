"""What autogenerate compares: shared by env.py and the test that plays ``alembic check``."""

from __future__ import annotations

from typing import Any

UNMAPPED_TABLES = frozenset({"platform_rate_limits", "platform_operations"})


def include_name(name: str | None, type_: str, parent_names: Any) -> bool:
    # procrastinate owns its tables; autogenerate must never try to drop them. platform_rate_limits has no ORM model:
    # adpilot.platforms (domain-free, no declarative base) reads and writes it with two fixed statements.
    if type_ != "table" or name is None:
        return True
    return not name.startswith("procrastinate") and name not in UNMAPPED_TABLES
