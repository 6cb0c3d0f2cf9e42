"""Cursor pagination: opaque cursors over a (timestamp, id) key, with a maximum page size."""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from datetime import UTC, datetime
from functools import lru_cache
from typing import Annotated, Any, Generic, TypeVar
from uuid import UUID

from fastapi import Query, Response
from pydantic import BaseModel, TypeAdapter

from adpilot.core.errors import AppError

T = TypeVar("T")

# Cursors are unpadded base64url (or, for the audit log, a sequence number).
CURSOR_PATTERN = r"^[A-Za-z0-9_-]+$"
MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 50


class InvalidCursor(AppError):
    status_code = 400
    code = "invalid-cursor"
    title = "The pagination cursor is invalid"


class Page(BaseModel, Generic[T]):
    """One page of a list; pass ``next_cursor`` back as ``cursor`` for the next page (null on the last)."""

    items: list[T]
    next_cursor: str | None = None


@lru_cache(maxsize=64)
def _page_adapter(model: type[BaseModel]) -> TypeAdapter[Page[Any]]:
    return TypeAdapter(Page[model])  # type: ignore[valid-type]


def page_response(model: type[BaseModel], items: Sequence[Any], next_cursor: str | None) -> Response:
    """A page validated and serialized once, straight to JSON.

    List endpoints are the hot read path: returning a ready Response spares FastAPI a second validation of every
    item against the response model. The endpoint declares ``response_model=Page[model]`` so the schema is the same.
    """
    adapter = _page_adapter(model)
    page = adapter.validate_python({"items": items, "next_cursor": next_cursor}, from_attributes=True)
    return Response(adapter.dump_json(page), media_type="application/json")


class PageParams(BaseModel):
    limit: int
    cursor: str | None


async def page_params(
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE, description="Items per page.")] = DEFAULT_PAGE_SIZE,
    cursor: Annotated[
        str | None,
        Query(max_length=200, pattern=CURSOR_PATTERN, description="From the previous page's next_cursor."),
    ] = None,
) -> PageParams:
    return PageParams(limit=limit, cursor=cursor)


def encode_cursor(at: datetime, id_: UUID | int) -> str:
    raw = json.dumps([at.isoformat(), str(id_)]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, UUID]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        at, id_ = json.loads(raw)
        parsed = datetime.fromisoformat(at)
        if parsed.tzinfo is None or not isinstance(id_, str):
            raise ValueError
        # In UTC, or the database meets a time outside the range of dates (year 1 at +14:00 is year 0 in UTC).
        return parsed.astimezone(UTC), UUID(id_)
    except (ValueError, TypeError, UnicodeDecodeError, OverflowError) as exc:
        raise InvalidCursor() from exc


def encode_text_cursor(text: str, id_: UUID) -> str:
    """A cursor over a (text, id) key, for lists ordered by name."""
    raw = json.dumps([text, str(id_)]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_text_cursor(cursor: str) -> tuple[str, UUID]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        text, id_ = json.loads(raw)
        if not isinstance(text, str) or not isinstance(id_, str) or "\x00" in text:
            raise ValueError
        return text, UUID(id_)
    except (ValueError, TypeError, UnicodeDecodeError) as exc:
        raise InvalidCursor() from exc
