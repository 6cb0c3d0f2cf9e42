"""Running queued domain-event deliveries in tests, as the interactive worker would."""

from __future__ import annotations

from uuid import UUID

from sqlalchemy import text

from adpilot.db import get_database, tenant_transaction
from adpilot.events import DELIVER_JOB, deliver

_PENDING = text("SELECT id, args FROM procrastinate_jobs WHERE task_name = :task AND status = 'todo' ORDER BY id")
_DONE = text("UPDATE procrastinate_jobs SET status = 'succeeded' WHERE id = :id")


async def deliver_events(*, skip: frozenset[str] = frozenset()) -> int:
    """Run every queued event delivery (and those their subscribers publish), each in its own tenant transaction as
    the worker runs it, and mark its job done. Returns how many ran. Deliveries to the subscribers named in ``skip``
    are marked done without running (a test that has no use for their work, e.g. a metrics backfill)."""
    ran = 0
    while True:
        async with get_database().transaction() as session:
            pending = (await session.execute(_PENDING, {"task": DELIVER_JOB})).all()
        if not pending:
            return ran
        for job_id, args in pending:
            if args["subscriber"] in skip:
                async with get_database().transaction() as session:
                    await session.execute(_DONE, {"id": job_id})
                continue
            organization_id = UUID(args["organization_id"]) if args["organization_id"] else None
            async with tenant_transaction(organization_id) as session:
                await deliver(
                    session,
                    organization_id,
                    event=args["event"],
                    payload=args["payload"],
                    subscriber=args["subscriber"],
                )
            async with get_database().transaction() as session:
                await session.execute(_DONE, {"id": job_id})
            ran += 1
