"""Applying a change: the jobs' bodies. Read the entity fresh, apply through the gateway unless the platform already
has the value, read it back, record the result. Idempotent on the change id: a job delivered or retried after the
platform applied the change finds the value there and does not send it again.

``apply_change`` does it for one change; ``apply_change_group`` for a batch's changes on one ad account, reading and
reading back many entities at once (about one request per change instead of three), through the same steps."""

from __future__ import annotations

import asyncio
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
from adpilot.changes.service import APPLY_CHANGE_JOB, CHANGE_RUNS, TARGET_TYPE, audit_view, queue_group
from adpilot.connections import AccountAccess, AdAccountNotFound, ConnectionNeedsReconnect, platform_gateway
from adpilot.core.logging import get_logger
from adpilot.core.runs import Decision, Outcome, error_text
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
        change_id: UUID,
        ad_account_id: UUID,
        level: EntityLevel,
        platform_id: str,
        kind: ChangeKind,
        value: str,
        currency: str | None,
        attempt: int,
    ) -> None:
        self.change_id = change_id
        self.ad_account_id = ad_account_id
        self.level = level
        self.platform_id = platform_id
        self.kind = kind
        self.value = value
        self.currency = currency
        self.attempt = attempt
        self.first_attempt = attempt == 1


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
        plan = _begin(change)

    async def apply(access: AccountAccess) -> tuple[str | None, RemoteEntity]:
        before = await read_entity(access, plan.level, plan.platform_id)
        await _send_unless_there(access, plan, before)
        after = await read_entity(access, plan.level, plan.platform_id)
        return value_of(before, plan.kind), after

    try:
        before_value, after = await platform_gateway.call(organization_id, plan.ad_account_id, apply)
    except (AdAccountNotFound, ConnectionNeedsReconnect) as exc:
        await _fail(organization_id, change_id, exc.detail or str(exc))
        return
    except PlatformError as error:
        async with tenant_transaction(organization_id) as session:
            change = await ChangeRepository(session).get(organization_id, change_id, for_update=True)
            if change is None:
                return
            decision = await _settle_error(session, change, error, plan.attempt)
            if decision.outcome is Outcome.defer:
                await enqueue(
                    session,
                    APPLY_CHANGE_JOB,
                    organization_id,
                    change_id=str(change_id),
                    lock=f"change:{change.entity_id}",
                    scheduled_at=utcnow() + (decision.delay or timedelta(minutes=1)),
                )
            if decision.outcome is not Outcome.retry:
                return
        raise  # retried by the job queue with its backoff

    async with tenant_transaction(organization_id) as session:
        change = await ChangeRepository(session).get(organization_id, change_id, for_update=True)
        if change is None:
            return
        await _record_applied(session, change, plan, before_value, after)


# A group job applies a batch's changes on one ad account this many at a time: each slice is read at once, written,
# read back at once and recorded, so the changes' statuses move as the group goes and a failure costs one slice's
# requests. 50 is Graph's multiple-id read.
GROUP_SLICE = 50
# Writes of a slice sent at once.
WRITES_IN_FLIGHT = 4


async def apply_change_group(organization_id: UUID, batch_id: UUID, ad_account_id: UUID) -> None:
    """Apply a batch's queued changes on one ad account (the ``changes.apply_changes`` job): per slice, one read of
    all its entities (per level), each change's write unless the platform already has the value, one read back, and
    each change recorded as ``apply_change`` records it. One change refused fails that change alone. Idempotent like
    ``apply_change``: a retry reads first and sends only what is not there yet."""
    while True:
        async with tenant_transaction(organization_id) as session:
            candidates = await ChangeRepository(session).group_to_apply(
                organization_id, batch_id, ad_account_id, GROUP_SLICE * 4
            )
            plans = [_begin(change) for change in _slice(candidates)]
        if not plans:
            return

        async def apply(access: AccountAccess, plans: list[_Plan] = plans) -> dict[UUID, _Result]:
            return await _apply_slice(access, plans)

        try:
            results = await platform_gateway.call(organization_id, ad_account_id, apply)
        except (AdAccountNotFound, ConnectionNeedsReconnect) as exc:
            for plan in plans:
                await _fail(organization_id, plan.change_id, exc.detail or str(exc))
            continue  # every other change of the group fails the same way, slice by slice
        except PlatformError as error:
            # The slice could not finish (a read, or a write the platform did not answer). Nothing it did is lost:
            # its changes are read again first when they run again, so a write the platform applied is not resent.
            # The group is queued again itself (its changes count their own attempts): the job queue's retries of
            # the group would run out while later slices still had attempts left.
            later: timedelta | None = None
            async with tenant_transaction(organization_id) as session:
                for plan in plans:
                    change = await ChangeRepository(session).get(organization_id, plan.change_id, for_update=True)
                    if change is None:
                        continue
                    decision = await _settle_error(session, change, error, plan.attempt)
                    if decision.outcome is not Outcome.fail:
                        # As the job queue would retry: an exponential wait, unless the platform named one.
                        wait = decision.delay or timedelta(seconds=2**plan.attempt)
                        later = wait if later is None else max(later, wait)
                if later is not None:
                    await queue_group(session, organization_id, batch_id, ad_account_id, scheduled_at=utcnow() + later)
                    return
            continue  # the slice's changes failed for good; the group goes on

        async with tenant_transaction(organization_id) as session:
            changes = await ChangeRepository(session).many(organization_id, [plan.change_id for plan in plans])
            audited: list[tuple[EntityChange, str]] = []
            for plan in plans:
                change = changes.get(plan.change_id)
                if change is None:
                    continue
                result = results[plan.change_id]
                if result.refusal is not None:
                    change.error = error_text(result.refusal)
                    change.updated_at = utcnow()
                    change.status = ChangeStatus.failed
                    audited.append((change, "change.failed"))
                elif result.after is not None:
                    await _record_applied(session, change, plan, result.before_value, result.after, audit=False)
                    audited.append((change, "change.applied"))
            # Last: the organization's audit chain is locked from the first entry to the commit.
            for change, action in audited:
                await audit_service_record(session, change, action)


class _Result:
    """One change of a slice after the platform: refused (the platform's message), or its value before and the
    entity read back."""

    def __init__(
        self, *, refusal: str | None = None, before_value: str | None = None, after: RemoteEntity | None = None
    ) -> None:
        self.refusal = refusal
        self.before_value = before_value
        self.after = after


def _slice(changes: list[EntityChange]) -> list[EntityChange]:
    """The next slice of a group: at most ``GROUP_SLICE`` changes, each of an entity no earlier change of the slice
    touches (a second change of an entity waits for the next slice, so it sees the first one's result, as one job
    after another would)."""
    picked: list[EntityChange] = []
    seen: set[UUID] = set()
    for change in changes:
        if change.entity_id in seen:
            break  # later changes keep their order behind it
        seen.add(change.entity_id)
        picked.append(change)
        if len(picked) == GROUP_SLICE:
            break
    return picked


async def _apply_slice(access: AccountAccess, plans: list[_Plan]) -> dict[UUID, _Result]:
    before = await _read_all(access, plans)
    results: dict[UUID, _Result] = {}
    present: list[_Plan] = []
    for plan in plans:
        if (plan.level, plan.platform_id) in before:
            present.append(plan)
        else:
            results[plan.change_id] = _Result(refusal=_not_found(access, plan))
    # A few writes in flight at once, so that the account's rate (the adapter paces every request) and not each
    # answer's round trip sets the pace; the slice's entities are distinct, so their order does not matter. Status
    # changes of a level go together, as many a write as the platform's write of several entities takes (TikTok
    # 20, Google a whole slice); only what is not there yet is sent, so a retry sends nothing twice.
    gate = asyncio.Semaphore(WRITES_IN_FLIGHT)
    to_send = [plan for plan in present if not _is_there(plan, before[(plan.level, plan.platform_id)])]
    per_write = access.adapter.statuses_per_write
    by_level: dict[EntityLevel, list[_Plan]] = {}
    alone: list[list[_Plan]] = []
    for plan in to_send:
        if per_write > 1 and plan.kind is ChangeKind.status:
            by_level.setdefault(plan.level, []).append(plan)
        else:
            alone.append([plan])
    writes = [
        statuses[start : start + per_write]
        for statuses in by_level.values()
        for start in range(0, len(statuses), per_write)
    ]
    writes += alone

    async def write(plans: list[_Plan]) -> dict[UUID, str]:
        async with gate:
            return await _send_together(access, plans)

    outcomes = await asyncio.gather(*(write(plans) for plans in writes), return_exceptions=True)
    refused: dict[UUID, str] = {}
    for outcome in outcomes:
        if isinstance(outcome, BaseException):
            # Not applied, or not known to be: the whole slice runs again (reading first, so nothing is sent twice).
            raise outcome
        refused.update(outcome)
    sent: list[_Plan] = []
    for plan in present:
        if plan.change_id in refused:
            results[plan.change_id] = _Result(refusal=refused[plan.change_id])
        else:
            sent.append(plan)
    after = await _read_all(access, sent)
    for plan in sent:
        entity = after.get((plan.level, plan.platform_id))
        if entity is None:
            results[plan.change_id] = _Result(refusal=_not_found(access, plan))
            continue
        results[plan.change_id] = _Result(
            before_value=value_of(before[(plan.level, plan.platform_id)], plan.kind), after=entity
        )
    return results


async def _send_together(access: AccountAccess, plans: list[_Plan]) -> dict[UUID, str]:
    """Send ``plans`` (one change, or status changes of one level) and answer the platform's refusals by change,
    each with the platform's message. When the platform refuses a write of several entities without saying which
    one it refused, they are read again and each one not there yet is sent alone, so that only the refused one
    fails."""
    if len(plans) == 1:
        try:
            await send(access, plans[0], str(plans[0].change_id))
        except PlatformRejected as refusal:
            return {plans[0].change_id: refusal.detail}
        return {}
    statuses = {plan.platform_id: EntityStatus(plan.value) for plan in plans}
    try:
        refused = await access.adapter.set_statuses(
            access.credentials, access.account, plans[0].level, statuses, key=str(plans[0].change_id)
        )
    except PlatformRejected:
        pass
    else:
        change_of = {plan.platform_id: plan.change_id for plan in plans}
        return {change_of[platform_id]: message for platform_id, message in refused.items() if platform_id in change_of}
    now = await _read_all(access, plans)
    one_by_one: dict[UUID, str] = {}
    for plan in plans:
        entity = now.get((plan.level, plan.platform_id))
        if entity is None:
            one_by_one[plan.change_id] = _not_found(access, plan)
        elif not _is_there(plan, entity):
            try:
                await send(access, plan, str(plan.change_id))
            except PlatformRejected as refusal:
                one_by_one[plan.change_id] = refusal.detail
    return one_by_one


async def _read_all(access: AccountAccess, plans: list[_Plan]) -> dict[tuple[EntityLevel, str], RemoteEntity]:
    """The entities of ``plans`` as the platform has them now: one batched read per level."""
    by_level: dict[EntityLevel, list[str]] = {}
    for plan in plans:
        by_level.setdefault(plan.level, []).append(plan.platform_id)
    found: dict[tuple[EntityLevel, str], RemoteEntity] = {}
    for level, ids in by_level.items():
        entities = await access.adapter.read_entities(access.credentials, access.account, level, ids)
        found.update(((level, platform_id), entity) for platform_id, entity in entities.items())
    return found


def _not_found(access: AccountAccess, plan: _Plan) -> str:
    # What the platform's single read says (``read_entity`` raises it): the entity is gone.
    return f"{access.adapter.platform.value} has no {plan.level.value} {plan.platform_id}"


# --- the steps both jobs share ------------------------------------------------------------------------------------


def _begin(change: EntityChange) -> _Plan:
    """Mark the change applying (one more attempt) and take what its platform calls need."""
    change.attempts += 1
    change.status = ChangeStatus.applying
    change.updated_at = utcnow()
    return _Plan(
        change.id,
        change.ad_account_id,
        EntityLevel(change.level),
        change.platform_id,
        change.kind,
        change.value_after,
        change.currency,
        change.attempts,
    )


def _is_there(plan: _Plan, before: RemoteEntity) -> bool:
    """Whether the platform already has the change's value. Checked before every send, so a retry after a timeout
    that the platform did apply sends nothing twice."""
    return value_of(before, plan.kind) == plan.value


async def _send_unless_there(access: AccountAccess, plan: _Plan, before: RemoteEntity) -> None:
    if not _is_there(plan, before):
        await send(access, plan, str(plan.change_id))


async def _settle_error(session: AsyncSession, change: EntityChange, error: PlatformError, attempt: int) -> Decision:
    """After a platform error: the change failed for good (recorded), or queued again (retried or deferred, which
    the caller arranges)."""
    decision = decide_after(CHANGE_RUNS, error, attempt)
    change.error = error_text(error.detail)
    change.updated_at = utcnow()
    if decision.outcome is Outcome.fail:
        await _record_failure(session, change)
    else:
        change.status = ChangeStatus.queued
    return decision


async def _record_applied(
    session: AsyncSession,
    change: EntityChange,
    plan: _Plan,
    before_value: str | None,
    after: RemoteEntity,
    *,
    audit: bool = True,
) -> None:
    """The change's result: verified when the platform reads back the value, else applied with what it reports;
    its ``ChangeApplied`` event and (unless the caller writes it later) its audit entry."""
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
    await entity_sync_service.record_change(session, change.organization_id, after, change.entity_id)
    if audit:
        await audit_service_record(session, change, "change.applied")
    await publish(
        session,
        ChangeApplied(
            organization_id=change.organization_id,
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
