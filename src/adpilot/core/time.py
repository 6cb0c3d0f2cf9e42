"""Aware UTC time, the only kind the product uses."""

from datetime import UTC, datetime


def utcnow() -> datetime:
    return datetime.now(UTC)
