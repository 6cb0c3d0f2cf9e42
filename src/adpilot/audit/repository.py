"""Every SQL statement on the audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Select, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from adpilot.audit.models import AuditEntry
from adpilot.db import driver_connection, like_escaped

LISTED_COLUMNS = (
    AuditEntry.id,
    AuditEntry.seq,
    AuditEntry.occurred_at,
    AuditEntry.actor_user_id,
    AuditEntry.actor_email,
    AuditEntry.action,
    AuditEntry.target_type,
    AuditEntry.target_id,
    AuditEntry.ip,
    AuditEntry.user_agent,
    AuditEntry.before,
    AuditEntry.after,
)


LISTED_COLUMN_NAMES = ", ".join(column.key for column in LISTED_COLUMNS)


class AuditRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def scoped(self, organization_id: UUID) -> Select[AuditEntry]:
        return select(AuditEntry).where(AuditEntry.organization_id == organization_id)

    async def lock_chain(self, organization_id: UUID) -> None:
        """Serialize appends to one organization's chain until the transaction ends."""
        await self.session.execute(
            text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"), {"key": f"audit:{organization_id}"}
        )

    async def last(self, organization_id: UUID) -> AuditEntry | None:
        query = self.scoped(organization_id).order_by(AuditEntry.seq.desc()).limit(1)
        return (await self.session.scalars(query)).first()

    async def add(self, entry: AuditEntry) -> None:
        self.session.add(entry)
        await self.session.flush()

    async def page(
        self,
        organization_id: UUID,
        *,
        limit: int,
        before_seq: int | None,
        action: str | None,
        actor_user_id: UUID | None,
        target_type: str | None,
        since: datetime | None,
        until: datetime | None,
    ) -> list[dict[str, Any]]:
        """One page, newest first, as plain rows.

        The audit log is the busiest list and every filter is a fixed column, so this runs hand-written SQL on the
        driver (parameters only, never interpolated values): no ORM identity map, no statement compilation.
        """
        args: list[Any] = [organization_id]
        conditions = ["organization_id = $1"]

        def where(condition: str, value: Any) -> None:
            args.append(value)
            conditions.append(condition.format(f"${len(args)}"))

        if before_seq is not None:
            where("seq < {}", before_seq)
        if action:
            where("action LIKE {} ESCAPE '\\'", like_escaped(action) + "%")
        if actor_user_id:
            where("actor_user_id = {}", actor_user_id)
        if target_type:
            where("target_type = {}", target_type)
        if since:
            where("occurred_at >= {}", since)
        if until:
            where("occurred_at < {}", until)
        args.append(limit)
        sql = (
            # Only fixed column names and $n placeholders are formatted in; every value is a bind parameter.
            f"SELECT {LISTED_COLUMN_NAMES} FROM audit_log WHERE {' AND '.join(conditions)} "  # noqa: S608
            f"ORDER BY seq DESC LIMIT ${len(args)}"
        )
        rows = await (await driver_connection(self.session)).fetch(sql, *args)
        return [dict(row) for row in rows]

    async def chain(self, organization_id: UUID, after_seq: int, limit: int) -> list[AuditEntry]:
        query = self.scoped(organization_id).where(AuditEntry.seq > after_seq).order_by(AuditEntry.seq).limit(limit)
        return list((await self.session.scalars(query)).all())
