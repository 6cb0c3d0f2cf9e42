"""The cursor codec and keyset kit: cursors round-trip and stay compatible, bad ones are a 400, and walking pages
over tied keys neither skips nor repeats a row."""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import httpx
import pytest
from sqlalchemy import DateTime, String, Uuid, insert, select
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from adpilot.core.keyset import Keyset, keyset_page
from adpilot.core.pagination import (
    DAY_PAIR,
    SEQ,
    TEXT_ID,
    TIME_ID,
    InvalidCursor,
    KeysetPage,
    PageRequest,
    TextKey,
    TimeKey,
)
from adpilot.db import to_sqlalchemy_url
from tests.fixtures import OrgWorld

ID = uuid.UUID("6f1c1d9e-32b5-4a57-9d0e-8d1e0f3c2a11")


def _raw(payload: Any) -> str:
    """A cursor made by hand, the way the API has always encoded them (unpadded base64url of JSON)."""
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")


class TestCodec:
    def test_a_time_key_round_trips(self) -> None:
        at = datetime(2026, 3, 4, 5, 6, 7, 891011, tzinfo=UTC)
        assert TIME_ID.decode(TIME_ID.encode((at, ID))) == (at, ID)

    def test_a_time_key_comes_back_in_utc(self) -> None:
        at = datetime(2026, 3, 4, 5, 6, 7, tzinfo=timezone(timedelta(hours=2)))
        decoded, _ = TIME_ID.decode(TIME_ID.encode((at, ID)))
        assert decoded == at and decoded.tzinfo == UTC

    @pytest.mark.parametrize("name", ["Été 2026", "Ärger — 夏のセール", "emoji 🚀", "", 'a"quote\\and\nnewline'])
    def test_a_text_key_round_trips_with_any_text(self, name: str) -> None:
        cursor = TEXT_ID.encode((name, ID))
        assert cursor.isascii()
        assert TEXT_ID.decode(cursor) == (name, ID)

    def test_cursors_are_the_ones_the_api_issued_before(self) -> None:
        at = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
        assert TIME_ID.encode((at, ID)) == _raw([at.isoformat(), str(ID)])
        assert TEXT_ID.encode(("Été", ID)) == _raw(["Été", str(ID)])
        assert TIME_ID.decode(_raw([at.isoformat(), str(ID)])) == (at, ID)
        assert DAY_PAIR.encode((date(2026, 1, 2), "EUR", "USD")) == _raw(["2026-01-02", "EUR", "USD"])
        assert SEQ.encode((42,)) == "42"

    def test_a_day_pair_key_round_trips(self) -> None:
        key = (date(2026, 3, 4), "EUR", "JPY")
        assert DAY_PAIR.decode(DAY_PAIR.encode(key)) == key

    def test_a_sequence_key_round_trips(self) -> None:
        assert SEQ.decode(SEQ.encode((123456789,))) == (123456789,)

    @pytest.mark.parametrize(
        "cursor",
        [
            "garbage",
            _raw(["2026-01-02", "EUR"]),
            _raw(["2026-13-02", "EUR", "USD"]),
            _raw(["2026-01-02", 1, "USD"]),
            _raw(["2026-01-02", "EUR", "US\x00"]),
            base64.urlsafe_b64encode(b'["2026-01-02", "\\ud800", "USD"]').decode().rstrip("="),  # a lone surrogate
            _raw([20260102, "EUR", "USD"]),
        ],
    )
    def test_a_tampered_day_pair_cursor_is_invalid(self, cursor: str) -> None:
        with pytest.raises(InvalidCursor):
            DAY_PAIR.decode(cursor)

    @pytest.mark.parametrize("cursor", ["garbage", "-1", "1.5", "²", "1" * 19, _raw([1])])
    def test_a_tampered_sequence_cursor_is_invalid(self, cursor: str) -> None:
        with pytest.raises(InvalidCursor):
            SEQ.decode(cursor)

    @pytest.mark.parametrize(
        "cursor",
        [
            "garbage",
            "W10",  # []
            _raw(["2026-01-01T00:00:00", str(ID)]),  # a naive time
            _raw(["2026-01-01T00:00:00+00:00", "not-a-uuid"]),
            _raw(["2026-01-01T00:00:00+00:00", 7]),
            _raw(["2026-01-01T00:00:00+00:00", str(ID), "extra"]),
            _raw({"at": "2026-01-01T00:00:00+00:00"}),
            _raw(["0001-01-01T00:00:00+14:00", str(ID)]),  # before year 1 in UTC
            base64.urlsafe_b64encode(b"\xff\xfe[1,2]").decode().rstrip("="),  # not UTF-8
            "é",  # not ASCII at all
        ],
    )
    def test_a_tampered_time_cursor_is_invalid(self, cursor: str) -> None:
        with pytest.raises(InvalidCursor):
            TIME_ID.decode(cursor)

    @pytest.mark.parametrize(
        "cursor",
        [
            _raw(["a\x00b", str(ID)]),  # NUL, which PostgreSQL text cannot hold
            _raw([1, str(ID)]),
            _raw(["name", "nope"]),
            base64.urlsafe_b64encode(b'["\\ud800", "' + str(ID).encode() + b'"]')
            .decode()
            .rstrip("="),  # a lone surrogate
            base64.urlsafe_b64encode('["é'.encode("latin-1")).decode().rstrip("="),  # not UTF-8
            "名前",
        ],
    )
    def test_a_tampered_text_cursor_is_invalid(self, cursor: str) -> None:
        with pytest.raises(InvalidCursor):
            TEXT_ID.decode(cursor)

    def test_a_page_encodes_its_next_key_and_none_on_the_last(self) -> None:
        at = datetime(2026, 1, 2, tzinfo=UTC)
        assert KeysetPage([1], (at, ID), TIME_ID).next_cursor == TIME_ID.encode((at, ID))
        assert KeysetPage([1], None, TIME_ID).next_cursor is None

    def test_a_page_of_limit_plus_one_rows_has_a_next_key(self) -> None:
        request = PageRequest[tuple[str, uuid.UUID]](2, None, TEXT_ID)
        rows = [("a", ID), ("b", ID), ("c", ID)]
        page = KeysetPage.of(rows, request, lambda row: row)
        assert page.items == rows[:2] and page.next_key == ("b", ID)
        assert KeysetPage.of(rows[:2], request, lambda row: row).next_key is None
        assert page.map(lambda row: row[0]).items == ["a", "b"]


# --- keyset pages over the real database --------------------------------------------------------------------------


class _Base(DeclarativeBase):
    pass


class _Row(_Base):
    __tablename__ = "keyset_probe"
    __table_args__ = ({"prefixes": ["TEMPORARY"]},)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    name: Mapped[str] = mapped_column(String)


@pytest.fixture
async def probe(database_urls: tuple[str, str]) -> AsyncIterator[AsyncSession]:
    """A session over one connection holding a temporary table (gone when the connection closes)."""
    engine = create_async_engine(to_sqlalchemy_url(database_urls[0]))
    try:
        async with engine.connect() as connection:
            await connection.run_sync(_Base.metadata.create_all)
            async with AsyncSession(bind=connection) as session:
                yield session
    finally:
        await engine.dispose()


async def _walk(session: AsyncSession, keyset: Keyset, request: PageRequest[Any]) -> list[uuid.UUID]:
    """Every page in turn, each continued from the previous page's cursor as a client would."""
    seen: list[uuid.UUID] = []
    while True:
        page: KeysetPage[_Row, Any] = await keyset_page(session, select(_Row), keyset, request)
        assert len(page.items) <= request.limit
        seen += [row.id for row in page.items]
        if page.next_cursor is None:
            return seen
        request = PageRequest(request.limit, request.codec.decode(page.next_cursor), request.codec)


class TestKeysetOverTheDatabase:
    async def _fill(self, session: AsyncSession) -> None:
        noon = datetime(2026, 5, 1, 12, tzinfo=UTC)
        names = ["Été", "ete", "Ärger", "zeta", "Zeta", "名前", "same", "same", "same", "same", "", "🚀"]
        rows = [
            # Most rows share one timestamp (a batch written in one transaction), the rest one microsecond apart.
            {"id": uuid.uuid4(), "at": noon if index < 8 else noon + timedelta(microseconds=index), "name": name}
            for index, name in enumerate(names)
        ]
        await session.execute(insert(_Row), rows)

    @pytest.mark.parametrize("limit", [1, 2, 3, 5, 100])
    async def test_newest_first_over_equal_times_never_skips_or_repeats(self, probe: AsyncSession, limit: int) -> None:
        await self._fill(probe)
        keyset = Keyset((_Row.at, _Row.id), descending=True)
        expected = list((await probe.scalars(select(_Row.id).order_by(_Row.at.desc(), _Row.id.desc()))).all())
        walked = await _walk(probe, keyset, PageRequest[TimeKey](limit, None, TIME_ID))
        assert walked == expected
        assert len(set(walked)) == 12

    @pytest.mark.parametrize("limit", [1, 2, 4, 100])
    async def test_by_name_over_equal_and_non_ascii_names_never_skips_or_repeats(
        self, probe: AsyncSession, limit: int
    ) -> None:
        await self._fill(probe)
        keyset = Keyset((_Row.name, _Row.id))
        expected = list((await probe.scalars(select(_Row.id).order_by(_Row.name, _Row.id))).all())
        walked = await _walk(probe, keyset, PageRequest[TextKey](limit, None, TEXT_ID))
        assert walked == expected
        assert len(set(walked)) == 12

    async def test_an_empty_list_is_one_empty_last_page(self, probe: AsyncSession) -> None:
        page = await keyset_page(
            probe, select(_Row), Keyset((_Row.at, _Row.id)), PageRequest[TimeKey](5, None, TIME_ID)
        )
        assert page.items == [] and page.next_cursor is None


# --- through the API ----------------------------------------------------------------------------------------------

# Invalid for both key shapes (a naive time, say, is a fine name).
TAMPERED = [
    "garbage",
    _raw([1, str(ID)]),
    _raw(["a\x00b", str(ID)]),
    base64.urlsafe_b64encode(b'["\\ud800", "' + str(ID).encode() + b'"]').decode().rstrip("="),
    base64.urlsafe_b64encode(b"\xff\xfe").decode().rstrip("="),
]


class TestThroughTheApi:
    @pytest.mark.parametrize("cursor", TAMPERED)
    async def test_a_tampered_cursor_is_a_400_on_every_converted_list(
        self, client: httpx.AsyncClient, world: OrgWorld, cursor: str
    ) -> None:
        org = f"/api/v1/orgs/{world.organization_id}"
        lists = [
            "/api/v1/me/security-events",
            "/api/v1/dev/outbox",
            f"{org}/ad-accounts/{uuid.uuid4()}/entities",
            f"{org}/ad-accounts/{uuid.uuid4()}/sync-runs",
            f"{org}/ad-accounts/sync-status",
        ]
        for url in lists:
            response = await client.get(url, params={"cursor": cursor}, headers=world.admin.headers)
            assert response.status_code == 400, (url, response.text)
            assert response.headers["content-type"] == "application/problem+json"
            assert response.json()["code"] == "invalid-cursor"

    async def test_a_non_ascii_cursor_is_refused_by_the_schema(
        self, client: httpx.AsyncClient, world: OrgWorld
    ) -> None:
        response = await client.get(
            f"/api/v1/orgs/{world.organization_id}/ad-accounts/sync-status",
            params={"cursor": "名前"},
            headers=world.admin.headers,
        )
        assert response.status_code == 422
        assert response.json()["code"] == "validation-error"

    async def test_a_bad_cursor_does_not_hide_that_the_caller_is_anonymous(self, client: httpx.AsyncClient) -> None:
        response = await client.get("/api/v1/me/security-events", params={"cursor": "garbage"})
        assert response.status_code == 401
