"""The audit log: who did what, when, from where, to what, with before/after; hash-chained per organization."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from adpilot.audit.labels import action_label, name_in_snapshots
from adpilot.audit.models import AuditEntry
from adpilot.audit.repository import AuditRepository
from adpilot.core.pagination import KeysetPage, PageRequest, SeqKey
from adpilot.core.request_context import current_request_meta
from adpilot.core.time import utcnow

GENESIS_HASH = "0" * 64
VERIFY_BATCH = 1000


@dataclass(frozen=True)
class Actor:
    """Who acts: a person (user id and email) or the system (both None)."""

    user_id: UUID | None = None
    email: str | None = None


SYSTEM = Actor()


@dataclass(frozen=True)
class ChainBreak:
    seq: int
    reason: str


@dataclass(frozen=True)
class ChainReport:
    organization_id: UUID
    entries: int
    breaks: list[ChainBreak] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.breaks


def entry_hash(entry: AuditEntry) -> str:
    """SHA-256 over the entry's canonical JSON, including the previous entry's hash."""
    document = {
        "organization_id": str(entry.organization_id),
        "seq": entry.seq,
        "occurred_at": entry.occurred_at.isoformat(),
        "actor_user_id": str(entry.actor_user_id) if entry.actor_user_id else None,
        "actor_email": entry.actor_email,
        "action": entry.action,
        "target_type": entry.target_type,
        "target_id": entry.target_id,
        "ip": entry.ip,
        "user_agent": entry.user_agent,
        "request_id": entry.request_id,
        "before": entry.before,
        "after": entry.after,
        "prev_hash": entry.prev_hash,
    }
    canonical = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


# Names of targets of one type, by id, for one organization: {target_id: name}.
# (session, organization id, target ids) -> names by id; it reads only that organization's rows.
TargetNameResolver = Callable[[AsyncSession, UUID, Sequence[UUID]], Awaitable[dict[UUID, str]]]


class AuditService:
    def __init__(self) -> None:
        self._resolvers: dict[str, TargetNameResolver] = {}

    async def record(
        self,
        session: AsyncSession,
        organization_id: UUID,
        actor: Actor,
        action: str,
        *,
        target_type: str | None = None,
        target_id: UUID | str | None = None,
        before: dict[str, Any] | None = None,
        after: dict[str, Any] | None = None,
    ) -> AuditEntry:
        """Append an entry in the caller's transaction (it exists if and only if the change commits)."""
        repository = AuditRepository(session)
        await repository.lock_chain(organization_id)
        last = await repository.last(organization_id)
        meta = current_request_meta()
        entry = AuditEntry(
            organization_id=organization_id,
            seq=(last.seq + 1) if last else 1,
            occurred_at=utcnow(),
            actor_user_id=actor.user_id,
            actor_email=actor.email,
            action=action,
            target_type=target_type,
            target_id=str(target_id) if target_id is not None else None,
            ip=meta.ip,
            user_agent=(meta.user_agent or "")[:400] or None,
            request_id=meta.request_id,
            before=_jsonable(before),
            after=_jsonable(after),
            prev_hash=last.hash if last else GENESIS_HASH,
        )
        entry.hash = entry_hash(entry)
        await repository.add(entry)
        return entry

    async def list_entries(
        self,
        session: AsyncSession,
        organization_id: UUID,
        page: PageRequest[SeqKey],
        *,
        action: str | None = None,
        actor_user_id: UUID | None = None,
        target_type: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> KeysetPage[dict[str, Any], SeqKey]:
        """One page, newest first (by sequence number). Each entry also says its action in words (``action_label``)
        and names its target (``target_name``) where it can."""
        rows = await AuditRepository(session).page(
            organization_id,
            limit=page.limit + 1,
            before_seq=page.after[0] if page.after is not None else None,
            action=action,
            actor_user_id=actor_user_id,
            target_type=target_type,
            since=since,
            until=until,
        )
        entries = KeysetPage.of(rows, page, lambda entry: (int(entry["seq"]),))
        await self._name_targets(session, organization_id, entries.items)
        return entries

    def use_target_names(self, resolvers: Mapping[str, TargetNameResolver]) -> None:
        """Name targets in the log with these resolvers, by target type (the modules that own each kind of target
        provide them; the start-up composition, ``adpilot.subscriptions``, hands them over)."""
        self._resolvers = dict(resolvers)

    async def _name_targets(self, session: AsyncSession, organization_id: UUID, entries: list[dict[str, Any]]) -> None:
        wanted: dict[str, dict[UUID, str]] = {}
        for entry in entries:
            entry["action_label"] = action_label(entry["action"])
            target_id = _uuid(entry["target_id"])
            if entry["target_type"] in self._resolvers and target_id is not None:
                wanted.setdefault(entry["target_type"], {})[target_id] = entry["target_id"]
        names: dict[tuple[str, str], str] = {}
        for target_type, ids in wanted.items():
            # Each resolver reads its own module's rows of this organization only.
            found = await self._resolvers[target_type](session, organization_id, sorted(ids))
            names.update({(target_type, ids[target_id]): name for target_id, name in found.items() if target_id in ids})
        # An entry that recorded its target's name (a deleted schedule, a revoked invitation) keeps telling it.
        recorded: dict[tuple[str, str], str] = {}
        for entry in reversed(entries):  # oldest first: the newest recorded name wins
            name = name_in_snapshots(entry["after"], entry["before"])
            if name and entry["target_type"] and entry["target_id"]:
                recorded[(entry["target_type"], entry["target_id"])] = name
        for entry in entries:
            key = (entry["target_type"], entry["target_id"])
            entry["target_name"] = names.get(key) or recorded.get(key)

    async def verify_chain(self, session: AsyncSession, organization_id: UUID) -> ChainReport:
        """Recompute the chain: a modified entry breaks its hash, a deleted one breaks the sequence."""
        repository = AuditRepository(session)
        breaks: list[ChainBreak] = []
        expected_prev, expected_seq, count = GENESIS_HASH, 1, 0
        while True:
            batch = await repository.chain(organization_id, expected_seq - 1, VERIFY_BATCH)
            if not batch:
                break
            for entry in batch:
                count += 1
                if entry.seq != expected_seq:
                    breaks.append(ChainBreak(entry.seq, f"entries {expected_seq}..{entry.seq - 1} are missing"))
                if entry.prev_hash != expected_prev:
                    breaks.append(ChainBreak(entry.seq, "does not link to the previous entry"))
                if entry_hash(entry) != entry.hash:
                    breaks.append(ChainBreak(entry.seq, "content was modified after it was written"))
                expected_prev, expected_seq = entry.hash, entry.seq + 1
        return ChainReport(organization_id, count, breaks)


def _jsonable(value: dict[str, Any] | None) -> dict[str, Any] | None:
    if value is None:
        return None
    loaded: dict[str, Any] = json.loads(json.dumps(value, default=str))
    return loaded


audit_service = AuditService()


def _uuid(value: str | None) -> UUID | None:
    """A target id as a UUID; None for an empty one or one of another shape (recorded by older code)."""
    try:
        return UUID(value) if value else None
    except ValueError:
        return None
