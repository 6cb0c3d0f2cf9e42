"""The change pipeline: one write path for every edit of an ad platform entity.

validate → (approval) → queued → applying (a job: read fresh, apply through the gateway, read back) → verified |
failed. See docs/architecture.md, "Changes".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from adpilot.audit import SYSTEM, TargetNameResolver, audit_service
from adpilot.campaigns import EntitySnapshot, entity_sync_service
from adpilot.changes import rules
from adpilot.changes.errors import (
    ChangeExpired,
    ChangeNotFound,
    ChangeNotPending,
    ChangeNotUndoable,
    ChangesRefused,
    EntityNotFound,
    InvalidChangeFilters,
)
from adpilot.changes.models import ChangeBatch, EntityChange
from adpilot.changes.repository import ChangeRepository
from adpilot.changes.schemas import (
    BatchSource,
    ChangeFilters,
    ChangeKind,
    ChangeOptions,
    ChangePreviewItem,
    ChangeProblem,
    ChangeRequest,
    ChangeSource,
    ChangesPreview,
    ChangeStatus,
    KindOption,
    KindRefusal,
)
from adpilot.core.pagination import KeysetPage, PageRequest, TimeKey
from adpilot.core.runs import RunLifecycle
from adpilot.core.time import utcnow
from adpilot.jobs import enqueue
from adpilot.organizations import ChangeApproval, Permission, TenantContext, organization_service
from adpilot.organizations.permissions import role_allows
from adpilot.platforms.types import EntityStatus

APPLY_CHANGE_JOB = "changes.apply_change"
# A batch's changes on one ad account, applied together (``applying.apply_change_group``).
APPLY_CHANGES_JOB = "changes.apply_changes"
# Attempts of one change's job (a platform unavailable is retried; a refusal fails at once).
CHANGE_RUNS = RunLifecycle()
TARGET_TYPE = "entity_change"
# A change left waiting for approval this long expires (the hourly job changes.expire_pending): the entity it was
# meant for has moved on, and an approval must not apply a week-old decision.
PENDING_APPROVAL_EXPIRES_AFTER = timedelta(days=7)


@dataclass(frozen=True)
class PlannedChange:
    """A valid change of a request, not stored yet (``index`` is its place in the request)."""

    index: int
    entity: EntitySnapshot
    kind: ChangeKind
    value: str
    reason: str | None


@dataclass(frozen=True)
class CheckedChanges:
    """A request checked: its valid changes, the problems of the others, and the status the changes would start
    in (waiting for approval or queued)."""

    planned: list[PlannedChange]
    problems: list[dict[str, Any]]
    status: ChangeStatus


def audit_view(change: EntityChange) -> dict[str, Any]:
    """A change as its audit entries record it."""
    return {
        "entity_id": str(change.entity_id),
        "name": change.entity_name,
        "platform": change.platform,
        "level": change.level,
        "platform_id": change.platform_id,
        "kind": change.kind.value,
        "value_before": change.value_before,
        "value_after": change.value_after,
        "currency": change.currency,
        "status": change.status.value,
    }


class ChangeService:
    # --- asking for changes -------------------------------------------------------------------------------------

    async def check_changes(
        self, session: AsyncSession, tenant: TenantContext, requests: Sequence[ChangeRequest]
    ) -> CheckedChanges:
        """Every change of a request checked by the platform's rules against the entity as last synced: the valid
        ones planned, the others as problems by their index. Nothing is stored."""
        planned: list[PlannedChange] = []
        problems: list[dict[str, Any]] = []
        budget_counts: dict[UUID, int] = {}
        for index, request in enumerate(requests):
            refusal, entity, value = await self._validate(session, tenant.organization_id, request, budget_counts)
            if refusal is not None:
                problems.append(
                    {
                        "index": index,
                        "entity_id": str(request.entity_id),
                        "code": refusal.code,
                        "detail": refusal.detail,
                    }
                )
            elif entity is not None and value is not None:
                planned.append(PlannedChange(index, entity, request.kind, value, request.reason))
        return CheckedChanges(planned, problems, await self._initial_status(session, tenant))

    async def preview(
        self, session: AsyncSession, tenant: TenantContext, requests: Sequence[ChangeRequest]
    ) -> ChangesPreview:
        """What POST /changes would store for this request, and the problems that would refuse it; nothing is
        stored. ``value_before`` is the value as last synced: the change reads it fresh just before applying."""
        checked = await self.check_changes(session, tenant, requests)
        problems = [ChangeProblem.model_validate(problem) for problem in checked.problems]
        return ChangesPreview(items=self.preview_items(checked), problems=problems)

    def preview_items(self, checked: CheckedChanges) -> list[ChangePreviewItem]:
        """The valid changes of a checked request as they would be stored."""
        needs_approval = checked.status is ChangeStatus.pending_approval
        return [
            ChangePreviewItem(
                index=change.index,
                entity_id=change.entity.id,
                entity_name=change.entity.name,
                platform=change.entity.platform,
                level=change.entity.level,
                ad_account_id=change.entity.ad_account_id,
                kind=change.kind,
                value_before=_current_value(change.entity, change.kind),
                value_after=change.value,
                currency=_change_currency(change.entity, change.kind),
                needs_approval=needs_approval,
            )
            for change in checked.planned
        ]

    async def request_changes(
        self, session: AsyncSession, tenant: TenantContext, requests: Sequence[ChangeRequest]
    ) -> tuple[ChangeBatch, list[EntityChange]]:
        """Validate every change first (nothing is stored when one is refused: ``ChangesRefused`` lists each
        problem by its index), then store them as one batch: waiting for a manager's approval when the caller is a
        member, else queued for applying at once."""
        checked = await self.check_changes(session, tenant, requests)
        if checked.problems:
            raise ChangesRefused(
                f"{len(checked.problems)} of {len(requests)} changes refused; none was stored",
                problems=checked.problems,
            )
        return await self.store_batch(session, tenant, checked, BatchSource.api)

    async def store_batch(
        self,
        session: AsyncSession,
        tenant: TenantContext,
        checked: CheckedChanges,
        source: BatchSource,
        *,
        file_sha256: str | None = None,
    ) -> tuple[ChangeBatch, list[EntityChange]]:
        """Store checked changes (without problems) as one batch. Queued at once, a batch of several changes is
        applied by one job per ad account (reading its entities at once), a single change by its own job."""
        batch = await ChangeRepository(session).add_batch(
            ChangeBatch(
                organization_id=tenant.organization_id,
                source=source,
                file_sha256=file_sha256,
                requested_by_user_id=tenant.user_id,
                created_at=utcnow(),
                change_count=len(checked.planned),
            )
        )
        grouped = checked.status is ChangeStatus.queued and len(checked.planned) > 1
        changes = [
            await self._store(
                session,
                tenant,
                change.entity,
                change.kind,
                change.value,
                change.reason,
                checked.status,
                batch=batch,
                queue=not grouped,
            )
            for change in checked.planned
        ]
        if grouped:
            for ad_account_id in dict.fromkeys(change.ad_account_id for change in changes):
                await queue_group(session, tenant.organization_id, batch.id, ad_account_id)
        return batch, changes

    async def _initial_status(self, session: AsyncSession, tenant: TenantContext) -> ChangeStatus:
        """Waiting for approval or queued at once, by the organization's ``changes_require_approval``: by default a
        member's change waits for a manager and a manager's own change applies at once."""
        policy = await organization_service.change_approval(session, tenant.organization_id)
        if policy is ChangeApproval.none:
            return ChangeStatus.queued
        if policy is ChangeApproval.members and role_allows(tenant.role, Permission.changes_approve):
            return ChangeStatus.queued
        return ChangeStatus.pending_approval

    async def _validate(
        self, session: AsyncSession, organization_id: UUID, request: ChangeRequest, budget_counts: dict[UUID, int]
    ) -> tuple[rules.Refusal | None, EntitySnapshot | None, str | None]:
        entity = await entity_sync_service.entity(session, organization_id, request.entity_id)
        if entity is None:
            return rules.Refusal("entity-not-found", "no such entity in this organization"), None, None
        value = rules.parse_value(request.kind, request.value)
        if isinstance(value, rules.Refusal):
            return value, None, None
        refusal = rules.check(entity, request.kind, value)
        if refusal is None and request.kind in rules.BUDGET_KINDS and rules.hourly_budget_limited(entity):
            refusal = await self._check_hourly_budget_changes(session, organization_id, entity, budget_counts)
        return refusal, entity, value

    async def _check_hourly_budget_changes(
        self, session: AsyncSession, organization_id: UUID, entity: EntitySnapshot, counts: dict[UUID, int]
    ) -> rules.Refusal | None:
        if entity.id not in counts:
            since = utcnow() - timedelta(hours=1)
            counts[entity.id] = await ChangeRepository(session).budget_changes_since(organization_id, entity.id, since)
        if counts[entity.id] >= rules.META_AD_SET_BUDGET_CHANGES_PER_HOUR:
            return rules.Refusal(
                "budget-changes-per-hour",
                f"Meta allows {rules.META_AD_SET_BUDGET_CHANGES_PER_HOUR} budget changes an hour on an ad set; "
                f"{entity.name} has had them",
            )
        counts[entity.id] += 1
        return None

    async def _store(
        self,
        session: AsyncSession,
        tenant: TenantContext,
        entity: EntitySnapshot,
        kind: ChangeKind,
        value: str,
        reason: str | None,
        status: ChangeStatus,
        *,
        source: ChangeSource = ChangeSource.person,
        undo_of: UUID | None = None,
        batch: ChangeBatch | None = None,
        queue: bool = True,
    ) -> EntityChange:
        now = utcnow()
        change = await ChangeRepository(session).add(
            EntityChange(
                organization_id=tenant.organization_id,
                ad_account_id=entity.ad_account_id,
                entity_id=entity.id,
                platform=entity.platform.value,
                level=entity.level.value,
                platform_id=entity.platform_id,
                entity_name=entity.name,
                kind=kind,
                # As last synced until the job reads it fresh from the platform, just before applying.
                value_before=_current_value(entity, kind),
                value_after=value,
                currency=_change_currency(entity, kind),
                source=source,
                requested_by_user_id=tenant.user_id,
                reason=reason,
                status=status,
                attempts=0,
                undo_of=undo_of,
                batch_id=batch.id if batch is not None else None,
                created_at=now,
                updated_at=now,
            )
        )
        entry = await audit_service.record(
            session,
            tenant.organization_id,
            tenant.actor,
            "change.requested",
            target_type=TARGET_TYPE,
            target_id=change.id,
            after=audit_view(change),
        )
        change.audit_entry_id = entry.id
        if status is ChangeStatus.queued and queue:
            await self._queue(session, change)
        return change

    async def _queue(self, session: AsyncSession, change: EntityChange) -> None:
        # Same transaction as the change: the job exists if and only if the change does. One change of an entity is
        # applied at a time, in the order they were queued.
        await enqueue(
            session,
            APPLY_CHANGE_JOB,
            change.organization_id,
            change_id=str(change.id),
            lock=f"change:{change.entity_id}",
        )

    # --- review -------------------------------------------------------------------------------------------------

    async def approve(
        self, session: AsyncSession, tenant: TenantContext, change_id: UUID, note: str | None
    ) -> EntityChange:
        """A manager approves a change waiting for approval: it is queued for applying."""
        change = await self._pending(session, tenant, change_id)
        before = audit_view(change)
        change.status = ChangeStatus.queued
        self._reviewed(change, tenant, note)
        await audit_service.record(
            session,
            tenant.organization_id,
            tenant.actor,
            "change.approved",
            target_type=TARGET_TYPE,
            target_id=change.id,
            before=before,
            after={**audit_view(change), "note": note},
        )
        await self._queue(session, change)
        return change

    async def reject(
        self, session: AsyncSession, tenant: TenantContext, change_id: UUID, note: str | None
    ) -> EntityChange:
        """A manager rejects a change waiting for approval: it is never applied."""
        change = await self._pending(session, tenant, change_id)
        before = audit_view(change)
        change.status = ChangeStatus.rejected
        self._reviewed(change, tenant, note)
        await audit_service.record(
            session,
            tenant.organization_id,
            tenant.actor,
            "change.rejected",
            target_type=TARGET_TYPE,
            target_id=change.id,
            before=before,
            after={**audit_view(change), "note": note},
        )
        return change

    async def _pending(self, session: AsyncSession, tenant: TenantContext, change_id: UUID) -> EntityChange:
        change = await ChangeRepository(session).get(tenant.organization_id, change_id, for_update=True)
        if change is None:
            raise ChangeNotFound()
        expired = change.status is ChangeStatus.expired or (
            change.status is ChangeStatus.pending_approval
            and change.created_at < utcnow() - PENDING_APPROVAL_EXPIRES_AFTER
        )
        if expired:
            raise ChangeExpired(
                f"the change waited more than {PENDING_APPROVAL_EXPIRES_AFTER.days} days for approval and expired; "
                "ask for it again if it is still wanted",
                change_status=ChangeStatus.expired.value,
            )
        if change.status is not ChangeStatus.pending_approval:
            raise ChangeNotPending(f"the change is {change.status.value}", change_status=change.status.value)
        return change

    async def expire_pending(self, session: AsyncSession, organization_id: UUID) -> int:
        """Expire the organization's changes waiting for approval longer than ``PENDING_APPROVAL_EXPIRES_AFTER``,
        each with an audit entry; the number expired."""
        now = utcnow()
        changes = await ChangeRepository(session).pending_before(organization_id, now - PENDING_APPROVAL_EXPIRES_AFTER)
        for change in changes:
            before = audit_view(change)
            change.status = ChangeStatus.expired
            change.updated_at = now
            await audit_service.record(
                session,
                organization_id,
                SYSTEM,
                "change.expired",
                target_type=TARGET_TYPE,
                target_id=change.id,
                before=before,
                after=audit_view(change),
            )
        return len(changes)

    async def organizations_with_expiring_changes(self, session: AsyncSession) -> list[UUID]:
        """Organizations with a change waiting for approval longer than ``PENDING_APPROVAL_EXPIRES_AFTER``."""
        cutoff = utcnow() - PENDING_APPROVAL_EXPIRES_AFTER
        return await ChangeRepository(session).organizations_with_pending_before(cutoff)

    def _reviewed(self, change: EntityChange, tenant: TenantContext, note: str | None) -> None:
        change.reviewed_by_user_id = tenant.user_id
        change.review_note = note
        change.updated_at = utcnow()

    async def undo(self, session: AsyncSession, tenant: TenantContext, change_id: UUID) -> EntityChange:
        """Ask for the inverse of an applied change (its value before), through the same rules and approval."""
        change = await ChangeRepository(session).get(tenant.organization_id, change_id)
        if change is None:
            raise ChangeNotFound()
        if change.status not in (ChangeStatus.applied, ChangeStatus.verified) or change.value_before is None:
            raise ChangeNotUndoable(f"only an applied change can be undone; this one is {change.status.value}")
        if change.kind is ChangeKind.status and change.value_after == EntityStatus.removed.value:
            raise ChangeNotUndoable("a removal is final on every platform")
        entity = await entity_sync_service.entity(session, tenant.organization_id, change.entity_id)
        if entity is None:
            raise ChangeNotUndoable("the entity is no longer known")
        refusal = rules.check(entity, change.kind, change.value_before)
        if refusal is None and change.kind in rules.BUDGET_KINDS and rules.hourly_budget_limited(entity):
            refusal = await self._check_hourly_budget_changes(session, tenant.organization_id, entity, {})
        if refusal is not None:
            raise ChangesRefused(
                refusal.detail,
                problems=[{"index": 0, "entity_id": str(entity.id), "code": refusal.code, "detail": refusal.detail}],
            )
        return await self._store(
            session,
            tenant,
            entity,
            change.kind,
            change.value_before,
            f"undo of change {change.id}",
            await self._initial_status(session, tenant),
            source=ChangeSource.undo,
            undo_of=change.id,
        )

    # --- reading ------------------------------------------------------------------------------------------------

    async def get(self, session: AsyncSession, tenant: TenantContext, change_id: UUID) -> EntityChange:
        """One change of the organization."""
        change = await ChangeRepository(session).get(tenant.organization_id, change_id)
        if change is None:
            raise ChangeNotFound()
        return change

    async def list_changes(
        self, session: AsyncSession, tenant: TenantContext, filters: ChangeFilters, page: PageRequest[TimeKey]
    ) -> KeysetPage[EntityChange, TimeKey]:
        """A page of the organization's changes, newest first."""
        if filters.created_from and filters.created_to and filters.created_from >= filters.created_to:
            raise InvalidChangeFilters("created_from must be before created_to")
        repository = ChangeRepository(session)
        if filters.entity_id is not None:
            # An entity unknown here is a mistake (or another organization's); a removed entity keeps its history.
            known = await entity_sync_service.entity(session, tenant.organization_id, filters.entity_id)
            if known is None and not await repository.has_changes_of(tenant.organization_id, filters.entity_id):
                raise EntityNotFound("no such entity in this organization")
        return await repository.page(tenant.organization_id, page, filters)

    # --- what an entity allows ----------------------------------------------------------------------------------

    async def options(self, session: AsyncSession, tenant: TenantContext, entity_id: UUID) -> ChangeOptions:
        """Every kind of change, as allowed on the entity (as last synced) or refused with the reason: from the
        platform's rules in ``rules.py``, and for Meta's ad sets the budget changes left in the current hour."""
        entity = await entity_sync_service.entity(session, tenant.organization_id, entity_id)
        if entity is None:
            raise EntityNotFound("no such entity in this organization")
        editable: list[KindOption] = []
        not_editable: list[KindRefusal] = []
        for kind in ChangeKind:
            allowance = rules.allowance(entity, kind)
            if isinstance(allowance, rules.Refusal):
                not_editable.append(KindRefusal(kind=kind, reason=allowance.detail))
                continue
            left = None
            if allowance.hourly_limit is not None:
                since = utcnow() - timedelta(hours=1)
                used = await ChangeRepository(session).budget_changes_since(tenant.organization_id, entity.id, since)
                left = max(allowance.hourly_limit - used, 0)
            if left == 0:
                reason = f"{entity.name} has had its {allowance.hourly_limit} changes of the hour; try again later"
                not_editable.append(KindRefusal(kind=kind, reason=reason))
                continue
            editable.append(
                KindOption(
                    kind=kind,
                    current=allowance.current,
                    allowed=list(allowance.allowed) if allowance.allowed is not None else None,
                    minimum_micros=allowance.minimum_micros,
                    step_micros=allowance.step_micros,
                    maximum_micros=allowance.maximum_micros,
                    hourly_changes_left=left,
                )
            )
        return ChangeOptions(
            entity_id=entity.id,
            entity_name=entity.name,
            platform=entity.platform,
            level=entity.level,
            currency=entity.currency,
            editable=editable,
            not_editable=not_editable,
        )


async def queue_group(
    session: AsyncSession,
    organization_id: UUID,
    batch_id: UUID,
    ad_account_id: UUID,
    *,
    scheduled_at: datetime | None = None,
) -> None:
    """Queue the job that applies a batch's changes on one ad account, in the caller's transaction. One group of an
    ad account runs at a time (a change of the group and a single change of the same entity are not ordered by the
    queue: the group reads each entity just before it writes it)."""
    await enqueue(
        session,
        APPLY_CHANGES_JOB,
        organization_id,
        batch_id=str(batch_id),
        ad_account_id=str(ad_account_id),
        lock=f"changes:{ad_account_id}",
        scheduled_at=scheduled_at,
    )


def _current_value(entity: EntitySnapshot, kind: ChangeKind) -> str | None:
    """The entity's value of what ``kind`` changes as last synced, in the change's stored form."""
    value: object = {
        ChangeKind.status: entity.status.value,
        ChangeKind.daily_budget: entity.daily_budget_micros,
        ChangeKind.lifetime_budget: entity.lifetime_budget_micros,
        ChangeKind.bid: entity.bid_micros,
        ChangeKind.target_roas: rules.ratio_text(entity.target_roas) if entity.target_roas is not None else None,
        ChangeKind.name: entity.name,
        ChangeKind.end_date: entity.end_date.isoformat() if entity.end_date is not None else None,
    }[kind]
    return None if value is None else str(value)


def _change_currency(entity: EntitySnapshot, kind: ChangeKind) -> str | None:
    """The currency of a change's values: the entity's for money, None otherwise."""
    return entity.currency if kind in rules.MONEY_KINDS else None


change_service = ChangeService()


async def change_names(session: AsyncSession, organization_id: UUID, ids: Sequence[UUID]) -> dict[UUID, str]:
    """Changes by what they did to which entity (for the audit log)."""
    return await ChangeRepository(session).names(organization_id, ids)


# The audit log names changes by their kind and entity (installed at start-up).
AUDIT_TARGET_NAMES: dict[str, TargetNameResolver] = {TARGET_TYPE: change_names}
