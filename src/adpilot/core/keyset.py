"""Keyset pagination in SQL: "after this key, ordered by these columns, limit + 1" on a select.

A repository names its order once and pages with it::

    NEWEST_FIRST = Keyset((SyncRun.queued_at, SyncRun.id), descending=True)

    async def runs_page(self, ..., page: PageRequest[TimeKey]) -> KeysetPage[SyncRun, TimeKey]:
        return await keyset_page(self.session, select(SyncRun).where(...), NEWEST_FIRST, page)

The key of the last item is read from the columns' attributes, so the key's parts follow the columns' order, and
the last column must make the order total (an id), or rows tied on the others would be skipped or repeated.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypeVar, cast

from sqlalchemy import Select, literal, tuple_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from adpilot.core.pagination import KeysetPage, PageRequest

T = TypeVar("T")
K = TypeVar("K", bound=tuple[Any, ...])


@dataclass(frozen=True)
class Keyset:
    """An order over columns (the last one unique) that a page continues from a key in."""

    columns: tuple[InstrumentedAttribute[Any], ...]
    descending: bool = False

    def apply(self, query: Select[T], request: PageRequest[Any]) -> Select[T]:
        """``query`` from just after ``request.after``, in this order, one row more than the limit."""
        if request.after is not None:
            row = tuple_(*self.columns)
            key = tuple_(
                *(literal(value, column.type) for value, column in zip(request.after, self.columns, strict=True))
            )
            query = query.where(row < key if self.descending else row > key)
        order = [column.desc() if self.descending else column.asc() for column in self.columns]
        return query.order_by(*order).limit(request.limit + 1)

    def key_of(self, item: object) -> tuple[Any, ...]:
        return tuple(getattr(item, column.key) for column in self.columns)


def page_of(rows: Sequence[T], keyset: Keyset, request: PageRequest[K]) -> KeysetPage[T, K]:
    """The page from rows read with ``keyset.apply``."""
    return KeysetPage.of(rows, request, lambda item: cast(K, keyset.key_of(item)))


async def keyset_page(
    session: AsyncSession, query: Select[T], keyset: Keyset, request: PageRequest[K]
) -> KeysetPage[T, K]:
    """Run ``query`` (a select of one ORM entity) as one page in ``keyset``'s order."""
    rows = (await session.scalars(keyset.apply(query, request))).all()
    return page_of(rows, keyset, request)
