"""Aware UTC time, the only kind the product uses."""

import re
from datetime import UTC, date, datetime
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime, BeforeValidator, WithJsonSchema


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


_ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
ISO_DAY_PATTERN = _ISO_DAY.pattern


def _iso_day(value: object) -> object:
    """Only a calendar day in ISO form: pydantic would also take a date-time at midnight or a Unix timestamp."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if not isinstance(value, str) or not _ISO_DAY.match(value):
        raise ValueError("must be a day in the form YYYY-MM-DD")
    return value


# A calendar day given as YYYY-MM-DD (path and query parameters).
IsoDay = Annotated[
    date,
    BeforeValidator(_iso_day),
    WithJsonSchema({"type": "string", "format": "date", "pattern": ISO_DAY_PATTERN}),
]
