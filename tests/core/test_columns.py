"""The enum column type: members in, members out, the same strings in the database, unknown values refused."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from enum import StrEnum

import pytest
from sqlalchemy import String, select, text
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import StatementError
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from adpilot.core.columns import EnumText
from adpilot.core.runs import ACTIVE_STATUSES, RunStatus
from adpilot.db import to_sqlalchemy_url


class Colour(StrEnum):
    red = "red"
    dark_green = "dark-green"


# SQLAlchemy's dialect classes carry no annotations on their constructors.
PG: Dialect = postgresql.dialect()  # type: ignore[no-untyped-call]


class _Base(DeclarativeBase):
    pass


class _Row(_Base):
    __tablename__ = "enum_probe"
    __table_args__ = ({"prefixes": ["TEMPORARY"]},)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    status: Mapped[RunStatus] = mapped_column(EnumText(RunStatus))
    colour: Mapped[Colour | None] = mapped_column(EnumText(Colour, length=12))


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


class TestTheType:
    def test_it_is_a_varchar_of_the_given_length(self) -> None:
        column = EnumText(Colour, length=12)
        assert isinstance(column.impl_instance, String) and column.impl_instance.length == 12
        assert str(column.compile(dialect=PG)) == "VARCHAR(12)"

    def test_a_member_longer_than_the_column_is_refused_at_definition(self) -> None:
        with pytest.raises(ValueError, match="longer than"):
            EnumText(Colour, length=3)

    def test_binds_the_value_and_reads_the_member(self) -> None:
        column = EnumText(Colour, length=12)
        dialect = PG
        assert column.process_bind_param(Colour.dark_green, dialect) == "dark-green"
        assert column.process_bind_param("red", dialect) == "red"  # the value of a member, from raw parameters
        assert column.process_bind_param(None, dialect) is None
        assert column.process_result_value("dark-green", dialect) is Colour.dark_green
        assert column.process_result_value(None, dialect) is None

    def test_an_unknown_value_is_refused_on_write(self) -> None:
        with pytest.raises(ValueError, match="is not a Colour"):
            EnumText(Colour, length=12).process_bind_param("blue", PG)

    def test_comparisons_render_the_plain_strings(self) -> None:
        query = select(_Row.id).where(_Row.status.in_(ACTIVE_STATUSES), _Row.colour == Colour.dark_green)
        sql = str(query.compile(dialect=PG, compile_kwargs={"literal_binds": True}))
        assert "IN ('queued', 'running')" in sql and "= 'dark-green'" in sql


class TestOverTheDatabase:
    async def test_stores_the_value_and_reads_back_the_member(self, probe: AsyncSession) -> None:
        probe.add(_Row(status=RunStatus.running, colour=Colour.dark_green))
        probe.add(_Row(status=RunStatus.failed, colour=None))
        await probe.flush()
        raw = (await probe.execute(text("SELECT status, colour FROM enum_probe ORDER BY status"))).all()
        assert [tuple(row) for row in raw] == [("failed", None), ("running", "dark-green")]
        probe.expunge_all()
        rows = (await probe.scalars(select(_Row).where(_Row.status.in_(ACTIVE_STATUSES)))).all()
        assert [(row.status, row.colour) for row in rows] == [(RunStatus.running, Colour.dark_green)]
        assert rows[0].status is RunStatus.running

    async def test_a_string_written_by_raw_sql_reads_as_the_member(self, probe: AsyncSession) -> None:
        await probe.execute(text("INSERT INTO enum_probe (id, status) VALUES (gen_random_uuid(), 'deferred')"))
        row = (await probe.scalars(select(_Row))).one()
        assert row.status is RunStatus.deferred and row.colour is None

    async def test_an_unknown_value_never_reaches_the_database(self, probe: AsyncSession) -> None:
        probe.add(_Row(status="paused"))  # what the type exists to refuse (a string where a member belongs)
        with pytest.raises(StatementError, match="is not a RunStatus"):
            await probe.flush()
