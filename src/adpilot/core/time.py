"""Aware UTC time, the only kind the product uses."""

from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime


def utcnow() -> datetime:
    return datetime.now(UTC)


def in_utc(value: datetime) -> datetime:
    """The same moment in UTC; a ValueError when it has none (year 1 at +14:00 is before year 1 in UTC)."""
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise ValueError("is outside the range of representable times") from None


# A request's date-time with an offset, as the same moment in UTC (a 422 when out of range, not a database error).
UtcDatetime = Annotated[AwareDatetime, AfterValidator(in_utc)]
