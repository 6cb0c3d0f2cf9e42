"""Cursor pagination: one codec per key shape, the decoded key as a dependency, and pages that encode themselves.

An endpoint takes a ``PageRequest`` already decoded from the query string (``TimeCursorPage``, ``TextCursorPage``,
``DayPairCursorPage`` or ``SeqCursorPage``; a bad cursor is a 400 ``invalid-cursor`` before the endpoint runs), hands
it to its service, gets a ``KeysetPage`` back (its repository built it with ``core.keyset.keyset_page``) and answers
``page_response(Model, page)``, which encodes the next key. No endpoint encodes or decodes a cursor itself.
Cursors are opaque: unpadded base64url of a JSON array of the key's parts (the audit log's are sequence numbers).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import lru_cache
from typing import Annotated, Any, Generic, TypeVar
from uuid import UUID

from fastapi import Depends, Query, Response
from pydantic import BaseModel, TypeAdapter

from adpilot.core.errors import AppError

T = TypeVar("T")
U = TypeVar("U")
K = TypeVar("K", bound=tuple[Any, ...])

# Cursors are unpadded base64url (or, for the audit log, a sequence number).
CURSOR_PATTERN = r"^[A-Za-z0-9_-]+$"
MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 50

TimeKey = tuple[datetime, UUID]
"""A (timestamp, id) key: lists newest first."""
TextKey = tuple[str, UUID]
"""A (text, id) key: lists by name."""
DayPairKey = tuple[date, str, str]
"""A (day, text, text) key: newest day first, then by the two texts (exchange rates: day, base, quote)."""
SeqKey = tuple[int]
"""A (sequence number,) key: newest first (the audit log)."""


class InvalidCursor(AppError):
    status_code = 400
    code = "invalid-cursor"
    title = "The pagination cursor is invalid"


class Page(BaseModel, Generic[T]):
    """One page of a list; pass ``next_cursor`` back as ``cursor`` for the next page (null on the last)."""

    items: list[T]
    next_cursor: str | None = None


# --- the codec ----------------------------------------------------------------------------------------------------


def _encode_parts(*parts: str) -> str:
    raw = json.dumps(list(parts)).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_parts(cursor: str) -> list[Any]:
    """The JSON array inside a cursor; ValueError/TypeError when it is not one."""
    raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
    parts = json.loads(raw)
    if not isinstance(parts, list):
        raise ValueError
    return parts


def _database_text(value: Any) -> str:
    """``value`` when it is text PostgreSQL can compare; ValueError otherwise."""
    if not isinstance(value, str) or "\x00" in value:
        raise ValueError
    value.encode()  # a lone surrogate ("\ud800" in the JSON) is no text the database can compare
    return value


class CursorCodec(Generic[K]):
    """Turns a key into an opaque cursor and back; ``decode`` raises ``InvalidCursor`` for anything it did not make."""

    def encode(self, key: K) -> str:
        raise NotImplementedError

    def decode(self, cursor: str) -> K:
        raise NotImplementedError


class TimeIdCodec(CursorCodec[TimeKey]):
    """(aware timestamp, id) as ``["<ISO 8601>", "<id>"]``."""

    def encode(self, key: TimeKey) -> str:
        at, id_ = key
        return _encode_parts(at.isoformat(), str(id_))

    def decode(self, cursor: str) -> TimeKey:
        try:
            at, id_ = _decode_parts(cursor)
            if not isinstance(at, str):
                raise ValueError
            parsed = datetime.fromisoformat(at)
            if parsed.tzinfo is None or not isinstance(id_, str):
                raise ValueError
            # In UTC, or the database meets a time outside the range of dates (year 1 at +14:00 is year 0 in UTC).
            return parsed.astimezone(UTC), UUID(id_)
        except (ValueError, TypeError, UnicodeDecodeError, OverflowError) as exc:
            raise InvalidCursor() from exc


class TextIdCodec(CursorCodec[TextKey]):
    """(text, id) as ``["<text>", "<id>"]``."""

    def encode(self, key: TextKey) -> str:
        text, id_ = key
        return _encode_parts(text, str(id_))

    def decode(self, cursor: str) -> TextKey:
        try:
            text, id_ = _decode_parts(cursor)
            if not isinstance(id_, str):
                raise ValueError
            return _database_text(text), UUID(id_)
        except (ValueError, TypeError, UnicodeDecodeError) as exc:  # UnicodeEncodeError is a ValueError
            raise InvalidCursor() from exc


class DayPairCodec(CursorCodec[DayPairKey]):
    """(day, text, text) as ``["<YYYY-MM-DD>", "<text>", "<text>"]``."""

    def encode(self, key: DayPairKey) -> str:
        day, first, second = key
        return _encode_parts(day.isoformat(), first, second)

    def decode(self, cursor: str) -> DayPairKey:
        try:
            day, first, second = _decode_parts(cursor)
            if not isinstance(day, str):
                raise ValueError
            return date.fromisoformat(day), _database_text(first), _database_text(second)
        except (ValueError, TypeError, UnicodeDecodeError) as exc:
            raise InvalidCursor() from exc


# A sequence number fits PostgreSQL's bigint with room to spare at 18 digits.
_MAX_SEQ_DIGITS = 18


class SeqCodec(CursorCodec[SeqKey]):
    """(sequence number,) as its decimal digits."""

    def encode(self, key: SeqKey) -> str:
        return str(key[0])

    def decode(self, cursor: str) -> SeqKey:
        if not (cursor.isascii() and cursor.isdigit()) or len(cursor) > _MAX_SEQ_DIGITS:
            raise InvalidCursor()
        return (int(cursor),)


TIME_ID = TimeIdCodec()
TEXT_ID = TextIdCodec()
DAY_PAIR = DayPairCodec()
SEQ = SeqCodec()


# --- the request and the page -------------------------------------------------------------------------------------


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


@dataclass(frozen=True)
class PageRequest(Generic[K]):
    """A page to read: at most ``limit`` items from just after the key ``after`` (None: from the start)."""

    limit: int
    after: K | None
    codec: CursorCodec[K]


def page_request(codec: CursorCodec[K]) -> Callable[[PageParams], Awaitable[PageRequest[K]]]:
    """A dependency reading ``limit`` and ``cursor`` (the same query parameters as ``page_params``) and decoding the
    cursor with ``codec``."""

    async def dependency(page: Annotated[PageParams, Depends(page_params)]) -> PageRequest[K]:
        return PageRequest(page.limit, codec.decode(page.cursor) if page.cursor else None, codec)

    return dependency


TimeCursorPage = Annotated[PageRequest[TimeKey], Depends(page_request(TIME_ID))]
TextCursorPage = Annotated[PageRequest[TextKey], Depends(page_request(TEXT_ID))]
DayPairCursorPage = Annotated[PageRequest[DayPairKey], Depends(page_request(DAY_PAIR))]
SeqCursorPage = Annotated[PageRequest[SeqKey], Depends(page_request(SEQ))]


@dataclass(frozen=True)
class KeysetPage(Generic[T, K]):
    """One page of items and the key the next page starts after (None on the last page)."""

    items: list[T]
    next_key: K | None
    codec: CursorCodec[K]

    @classmethod
    def of(cls, rows: Sequence[T], request: PageRequest[K], key: Callable[[T], K]) -> KeysetPage[T, K]:
        """The page from up to ``limit + 1`` rows read in key order: one row more than the limit means more follow."""
        items = list(rows[: request.limit])
        more = len(rows) > request.limit and bool(items)
        return cls(items, key(items[-1]) if more else None, request.codec)

    @property
    def next_cursor(self) -> str | None:
        return self.codec.encode(self.next_key) if self.next_key is not None else None

    def map(self, function: Callable[[T], U]) -> KeysetPage[U, K]:
        """The same page with each item turned into something else (a response model, a summary)."""
        return KeysetPage([function(item) for item in self.items], self.next_key, self.codec)


@lru_cache(maxsize=64)
def _page_adapter(model: type[BaseModel]) -> TypeAdapter[Page[Any]]:
    return TypeAdapter(Page[model])  # type: ignore[valid-type]


def page_response(model: type[BaseModel], page: KeysetPage[Any, Any]) -> Response:
    """A page validated and serialized once, straight to JSON, its next key encoded by the page's codec.

    List endpoints are the hot read path: returning a ready Response spares FastAPI a second validation of every
    item against the response model. The endpoint declares ``response_model=Page[model]`` so the schema is the same.
    """
    adapter = _page_adapter(model)
    validated = adapter.validate_python({"items": page.items, "next_cursor": page.next_cursor}, from_attributes=True)
    return Response(adapter.dump_json(validated), media_type="application/json")
