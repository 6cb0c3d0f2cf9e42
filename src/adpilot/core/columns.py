"""Column types of the repository kit: an enum stored as its plain string.

A status, trigger, scope or mode column is a VARCHAR holding the enum's value (no database enum type, so adding a
member needs no migration beyond the column's CHECK constraint). ``EnumText`` makes the mapped attribute the
``StrEnum`` member itself::

    class SyncRun(Base):
        status: Mapped[RunStatus] = mapped_column(EnumText(RunStatus))


    select(SyncRun).where(SyncRun.status.in_((RunStatus.queued, RunStatus.running)))
    run.status = RunStatus.running  # an unknown value is refused before it reaches the database

Reads give the member back (``run.status is RunStatus.running``), so comparisons need no ``.value``.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Generic, TypeVar

from sqlalchemy import Dialect, String
from sqlalchemy.types import TypeDecorator

E = TypeVar("E", bound=StrEnum)

DEFAULT_LENGTH = 20


class EnumText(TypeDecorator[E], Generic[E]):
    """A ``StrEnum`` kept in a VARCHAR column as its value; takes and returns members, refuses unknown values."""

    impl = String
    cache_ok = True

    def __init__(self, enum: type[E], length: int = DEFAULT_LENGTH) -> None:
        longest = max((len(member.value) for member in enum), default=0)
        if longest > length:
            raise ValueError(f"{enum.__name__} has a value longer than the column's {length} characters")
        super().__init__(length)
        self.enum = enum

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        if value is None:
            return None
        # A member, or a string that is one's value (a raw SQL parameter); anything else is a bug, not data.
        try:
            return self.enum(value).value
        except ValueError:
            raise ValueError(f"{value!r} is not a {self.enum.__name__}") from None

    def process_result_value(self, value: Any, dialect: Dialect) -> E | None:
        return None if value is None else self.enum(value)

    @property
    def python_type(self) -> type[E]:
        return self.enum
