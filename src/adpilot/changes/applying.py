"""Applying a change: the job's body. Read the entity fresh, apply through the gateway unless the platform already
has the value, read it back, record the result. Idempotent on the change id: a job delivered or retried after the
platform applied the change finds the value there and does not send it again."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from adpilot.audit import SYSTEM, audit_service
from adpilot.campaigns import entity_sync_service
from adpilot.changes import rules
from adpilot.changes.events import ChangeApplied
from adpilot.changes.models import EntityChange
from adpilot.changes.repository import ChangeRepository
from adpilot.changes.schemas import ChangeKind, ChangeStatus
from adpilot.changes.service import APPLY_CHANGE_JOB, CHANGE_RUNS, TARGET_TYPE, audit_view
from adpilot.connections import AccountAccess, AdAccountNotFound, ConnectionNeedsReconnect, platform_gateway
from adpilot.core.logging import get_logger
from adpilot.core.runs import Outcome, error_text
from adpilot.core.time import utcnow
from adpilot.db import tenant_transaction
from adpilot.events import publish
from adpilot.jobs import enqueue
from adpilot.platforms.errors import PlatformError, PlatformRejected
from adpilot.platforms.runs import decide_after
from adpilot.platforms.types import EntityLevel, EntityRef, EntityStatus, Money, RemoteEntity

log = get_logger(__name__)


class _Plan:
    """What the job needs from the change, read in its first transaction."""

    def __init__(
        self,
        ad_account_id: UUID,
        level: EntityLevel,
        platform_id: str,
        kind: ChangeKind,
        value: str,
        currency: str | None,
        first_attempt: bool,
    ) -> None:
        self.ad_account_id = ad_account_id
        self.level = level
        self.platform_id = platform_id
        self.kind = kind
        self.value = value
        self.currency = currency
        self.first_attempt = first_attempt


def value_of(entity: RemoteEntity, kind: ChangeKind) -> str | None:
    """The entity's current value of what ``kind`` changes, in the change's stored form (``rules.parse_value``)."""
    value: object = {
        ChangeKind.status: entity.status.value,
        ChangeKind.daily_budget: entity.daily_budget.amount_micros if entity.daily_budget is not None else None,
        ChangeKind.lifetime_budget: (
            entity.lifetime_budget.amount_micros if entity.lifetime_budget is not None else None
        ),
        ChangeKind.bid: entity.bid.amount_micros if entity.bid is not None else None,
        ChangeKind.target_roas: rules.ratio_text(entity.target_roas) if entity.target_roas is not None else None,
        ChangeKind.name: entity.name,
        ChangeKind.end_date: entity.end_date.isoformat() if entity.end_date is not None else None,
    }[kind]
    return None if value is None else str(value)


async def read_entity(access: AccountAccess, level: EntityLevel, platform_id: str) -> RemoteEntity:
    """The entity as its platform has it now (one entity's read, not the account's tree)."""
    return await access.adapter.read_entity(access.credentials, EntityRef(access.account, level, platform_id))


async def send(access: AccountAccess, plan: _Plan, key: str) -> None:
    """Send the change through the adapter's write for its kind; ``key`` (the change id) is the same on every
    retry, for platforms that deduplicate writes by it."""
    adapter, credentials = access.adapter, access.credentials
    ref = EntityRef(access.account, plan.level, plan.platform_id)
    money = (
        Money(int(plan.value), plan.currency or access.account.currency or "")
        if plan.kind in rules.MONEY_KINDS
        else None
    )
    match plan.kind:
        case ChangeKind.status:
            await adapter.set_status(credentials, ref, EntityStatus(plan.value), key=key)
        case ChangeKind.daily_budget if money is not None:
            await adapter.set_daily_budget(credentials, ref, money, key=key)
        case ChangeKind.lifetime_budget if money is not None:
            await adapter.set_lifetime_budget(credentials, ref, money, key=key)
        case ChangeKind.bid if money is not None:
            await adapter.set_bid(credentials, ref, money, key=key)
        case ChangeKind.target_roas:
            await adapter.set_target_roas(credentials, ref, Decimal(plan.value), key=key)
        case ChangeKind.name:
            await adapter.set_name(credentials, ref, plan.value, key=key)
        case ChangeKind.end_date:
            time_zone = access.account.time_zone or "UTC"
            await adapter.set_end_date(credentials, ref, date.fromisoformat(plan.value), time_zone, key=key)
        case _:
            raise PlatformRejected(f"cannot apply a {plan.kind.value} change")


async def apply_change(organization_id: UUID, change_id: UUID) -> None:
    """Apply one queued change (the ``changes.apply_change`` job)."""
    async with tenant_transaction(organization_id) as session:
        change = await ChangeRepository(session).get(organization_id, change_id, for_update=True)
        if change is None or change.status not in (ChangeStatus.queued, ChangeStatus.applying):
            return  # finished, rejected or unknown: a duplicate delivery does nothing
        change.attempts += 1
        change.status = ChangeStatus.applying
        change.updated_at = utcnow()
        plan = _Plan(
            change.ad_account_id,
            EntityLevel(change.level),
            change.platform_id,
            change.kind,
            change.value_after,
            change.currency,
            change.attempts == 1,
        )
        attempt = change.attempts

    async def apply(access: AccountAccess) -> tuple[str | None, RemoteEntity]:
        before = await read_entity(access, plan.level, plan.platform_id)
        # Checked before every send, so a retry after a timeout that the platform did apply sends nothing twice.
        if value_of(before, plan.kind) != plan.value:
            await send(access, plan, str(change_id))
        after = await read_entity(access, plan.level, plan.platform_id)
        return value_of(before, plan.kind), after

    try:
        before_value, after = await platform_gateway.call(organization_id, plan.ad_account_id, apply)
    except (AdAccountNotFound, ConnectionNeedsReconnect) as exc:
        await _fail(organization_id, change_id, exc.detail or str(exc))
        return
    except PlatformError as error:
        decision = decide_after(CHANGE_RUNS, error, attempt)
        async with tenant_transaction(organization_id) as session:
            change = await ChangeRepository(session).get(organization_id, change_id, for_update=True)
            if change is None:
                return
            change.error = error_text(error.detail)
            change.updated_at = utcnow()
            if decision.outcome is Outcome.fail:
                await _record_failure(session, change)
                return
            change.status = ChangeStatus.queued
            if decision.outcome is Outcome.defer:
                delay = decision.delay or timedelta(minutes=1)
                await enqueue(
                    session,
                    APPLY_CHANGE_JOB,
                    organization_id,
                    change_id=str(change_id),
                    lock=f"change:{change.entity_id}",
                    scheduled_at=utcnow() + delay,
                )
                return
        raise  # retried by the job queue with its backoff

    async with tenant_transaction(organization_id) as session:
        change = await ChangeRepository(session).get(organization_id, change_id, for_update=True)
        if change is None:
            return
        now = utcnow()
        if plan.first_attempt and before_value is not None:
            # The value before, fresh from the platform (a retry may already see the new value there).
            change.value_before = before_value
        verified = value_of(after, plan.kind) == plan.value
        change.status = ChangeStatus.verified if verified else ChangeStatus.applied
        change.error = None if verified else f"the platform reports {value_of(after, plan.kind)} after the change"
        change.applied_at = now
        change.verified_at = now if verified else None
        change.updated_at = now
        await entity_sync_service.record_change(session, organization_id, after, change.entity_id)
        await audit_service_record(session, change, "change.applied")
        await publish(
            session,
            ChangeApplied(
                organization_id=organization_id,
                change_id=change.id,
                ad_account_id=change.ad_account_id,
                entity_id=change.entity_id,
                verified=verified,
            ),
        )


async def _fail(organization_id: UUID, change_id: UUID, message: str) -> None:
    async with tenant_transaction(organization_id) as session:
        change = await ChangeRepository(session).get(organization_id, change_id, for_update=True)
        if change is None:
            return
        change.error = error_text(message)
        change.updated_at = utcnow()
        await _record_failure(session, change)


async def _record_failure(session: AsyncSession, change: EntityChange) -> None:
    change.status = ChangeStatus.failed
    await audit_service_record(session, change, "change.failed")


async def audit_service_record(session: AsyncSession, change: EntityChange, action: str) -> None:
    """The change's result in the audit log, as the system (the job acts on the requester's behalf)."""
    await audit_service.record(
        session,
        change.organization_id,
        SYSTEM,
        action,
        target_type=TARGET_TYPE,
        target_id=change.id,
        before={"value": change.value_before},
        after={**audit_view(change), "error": change.error},
    )
