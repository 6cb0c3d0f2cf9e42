"""The demo workspace's change history: a few changes that went through the real change pipeline once the demo's
accounts were first synced (changes need synced entities, and the demo's syncs run as jobs after start-up).

Every entity sync of a demo organization publishes ``EntitiesSynced``; the reaction queues ``demo.seed_change_history``
(one at a time per organization), which waits until the accounts it needs have their entities and then asks for the
changes as the demo's people would: the admin's applied at once by the apply jobs against the sandbox, the colleague's
waiting for approval or rejected. Once the organization has a change, the job does nothing, so a restart adds nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from uuid import UUID, uuid4

from sqlalchemy.ext.asyncio import AsyncSession

from adpilot.auth import auth_service
from adpilot.campaigns import EntitiesSynced, entity_sync_service
from adpilot.changes import change_service
from adpilot.changes.schemas import ChangeFilters, ChangeKind, ChangeRequest, ChangeStatus, KindOption
from adpilot.config import get_settings
from adpilot.connections import AdAccountInfo, account_service
from adpilot.core.logging import get_logger
from adpilot.core.pagination import MAX_PAGE_SIZE, TEXT_ID, TIME_ID, PageRequest
from adpilot.jobs import enqueue, job
from adpilot.organizations import Role, TenantContext, organization_service
from adpilot.platforms.types import EntityLevel, EntityStatus, Platform

log = get_logger(__name__)

SEED_CHANGE_HISTORY_JOB = "demo.seed_change_history"
# The demo admin's colleague: a member, whose changes wait for a manager's approval.
DEMO_COLLEAGUE_EMAIL = "sam.rivera@adpilot.dev"
DEMO_COLLEAGUE_NAME = "Sam Rivera"
REJECTION_NOTE = "Keep it running until the end of the sale; we review it on Monday."


async def queue_change_history(session: AsyncSession, event: EntitiesSynced) -> None:
    """A demo organization's account was synced: queue the history's job (the reaction to ``EntitiesSynced``)."""
    if not await organization_service.is_demo(session, event.organization_id):
        return
    # One at a time per organization: the second of two syncs finishing together finds the first one's changes.
    await enqueue(session, SEED_CHANGE_HISTORY_JOB, event.organization_id, lock=f"demo-history:{event.organization_id}")


@dataclass(frozen=True)
class _Candidate:
    entity_id: UUID
    name: str
    campaign_platform_id: str
    options: dict[ChangeKind, KindOption]


@job(SEED_CHANGE_HISTORY_JOB, max_attempts=3)
async def seed_change_history(session: AsyncSession, organization_id: UUID | None) -> None:
    """Ask for the demo's history of changes once the accounts it needs are synced, unless it has changes already."""
    if organization_id is None:
        raise ValueError("the demo's history belongs to an organization")
    await seed_history(session, organization_id)


async def seed_history(session: AsyncSession, organization_id: UUID) -> bool:
    """The history's changes asked for now; False when they exist already or the accounts are not synced yet."""
    admin = await _tenant(session, organization_id, get_settings().demo_email, Role.admin)
    colleague = await _tenant(session, organization_id, DEMO_COLLEAGUE_EMAIL, Role.member)
    if admin is None or colleague is None:
        return False
    existing = await change_service.list_changes(session, admin, ChangeFilters(), PageRequest(1, None, TIME_ID))
    if existing.items:
        return False
    page = PageRequest(MAX_PAGE_SIZE, None, TEXT_ID)
    accounts = (await account_service.managed_accounts_page(session, organization_id, page)).items
    google = _first(accounts, Platform.google)
    meta = _first(accounts, Platform.meta)
    # TikTok's published minimum is in US dollars (checked before storing); elsewhere the platform has the last word.
    tiktok = _first(accounts, Platform.tiktok, lambda account: account.currency != "USD")
    if google is None or meta is None or tiktok is None:
        return False
    google_campaigns = await _candidates(session, admin, google, EntityLevel.campaign)
    meta_campaigns = await _candidates(session, admin, meta, EntityLevel.campaign)
    meta_ad_sets = await _candidates(session, admin, meta, EntityLevel.ad_group)
    tiktok_campaigns = await _candidates(session, admin, tiktok, EntityLevel.campaign)
    if not (google_campaigns and meta_campaigns and tiktok_campaigns):
        return False  # an account's first sync has not landed yet: a later sync's event brings the job back

    budgeted = [c for c in google_campaigns if _current(c, ChangeKind.daily_budget)]
    raised = budgeted[0] if budgeted else None
    # The entities that take a bid (another than the one whose budget is raised), those that have one first.
    bidders = sorted(
        (c for c in google_campaigns + meta_ad_sets if ChangeKind.bid in c.options and c is not raised),
        key=lambda c: not _current(c, ChangeKind.bid),
    )
    paused = meta_campaigns[0]
    meta_budgeted = [
        c
        for c in meta_ad_sets + meta_campaigns
        if _current(c, ChangeKind.daily_budget) and c.campaign_platform_id != paused.campaign_platform_id
    ]
    tiktok_budgeted = [c for c in tiktok_campaigns if _current(c, ChangeKind.daily_budget)]
    requests = [
        ChangeRequest(
            entity_id=paused.entity_id,
            kind=ChangeKind.status,
            value="paused",
            reason="Spent a third of the month's budget with two sales.",
        )
    ]
    if raised is not None:
        requests.append(
            ChangeRequest(
                entity_id=raised.entity_id,
                kind=ChangeKind.daily_budget,
                value=str(_scaled(raised.options[ChangeKind.daily_budget], 1.2)),
                reason="Limited by budget on most days at a good ROAS: +20 %.",
            )
        )
    if bidders:
        option = bidders[0].options[ChangeKind.bid]
        requests.append(
            ChangeRequest(
                entity_id=bidders[0].entity_id,
                kind=ChangeKind.bid,
                # A bid 10 % lower, or a first one where the strategy had none yet.
                value=str(_scaled(option, 0.9) if option.current else _whole_units(option, 12)),
                reason="Cost per acquisition above target for two weeks.",
            )
        )
    if tiktok_budgeted:
        option = tiktok_budgeted[0].options[ChangeKind.daily_budget]
        requests.append(
            ChangeRequest(
                entity_id=tiktok_budgeted[0].entity_id,
                kind=ChangeKind.daily_budget,
                # Five whole units: above adpilot's floor for the currency, below what TikTok takes for a campaign.
                value=str(_whole_units(option, 5)),
                reason="Testing the campaign on a small budget.",
            )
        )
    await change_service.request_changes(session, admin, requests)

    # The colleague asks for two changes: a manager rejects one and has not looked at the other yet.
    others = [c for c in google_campaigns if c is not raised and c is not (bidders[0] if bidders else None)]
    colleague_requests = []
    if others:
        colleague_requests.append(
            ChangeRequest(
                entity_id=others[0].entity_id,
                kind=ChangeKind.status,
                value="paused",
                reason="Low click-through rate this week.",
            )
        )
    if meta_budgeted:
        colleague_requests.append(
            ChangeRequest(
                entity_id=meta_budgeted[0].entity_id,
                kind=ChangeKind.daily_budget,
                value=str(_scaled(meta_budgeted[0].options[ChangeKind.daily_budget], 1.15)),
                reason="Best cost per purchase of the account: +15 % before the weekend.",
            )
        )
    if colleague_requests:
        _, waiting = await change_service.request_changes(session, colleague, colleague_requests)
        # Under the default approval policy a member's changes wait; an organization that changed it has none.
        if others and waiting[0].status is ChangeStatus.pending_approval:
            await change_service.reject(session, admin, waiting[0].id, REJECTION_NOTE)
    log.info("demo.change_history_seeded", organization_id=str(organization_id))
    return True


async def _tenant(session: AsyncSession, organization_id: UUID, email: str, role: Role) -> TenantContext | None:
    user = await auth_service.find_user(session, email)
    if user is None:
        return None
    return TenantContext(
        organization_id=organization_id,
        user_id=user.id,
        email=user.email,
        role=role,
        session_id=uuid4(),
        mfa_enabled=False,
        email_verified=True,
    )


def _first(
    accounts: list[AdAccountInfo], platform: Platform, wanted: Callable[[AdAccountInfo], bool] = lambda _: True
) -> AdAccountInfo | None:
    return next((a for a in accounts if a.platform is platform and wanted(a)), None)


async def _candidates(
    session: AsyncSession, tenant: TenantContext, account: AdAccountInfo, level: EntityLevel
) -> list[_Candidate]:
    """The account's active entities at ``level`` (by name), each with what the change rules let change."""
    page = await entity_sync_service.list_entities(
        session,
        tenant,
        account.id,
        level,
        parent_platform_id=None,
        include_removed=False,
        name_contains=None,
        page=PageRequest(MAX_PAGE_SIZE, None, TEXT_ID),
    )
    candidates = []
    for entity in page.items:
        if entity.status is not EntityStatus.active:
            continue
        options = await change_service.options(session, tenant, entity.id)
        candidates.append(
            _Candidate(
                entity.id,
                entity.name,
                entity.campaign_platform_id,
                {option.kind: option for option in options.editable},
            )
        )
    return candidates


def _current(candidate: _Candidate, kind: ChangeKind) -> bool:
    option = candidate.options.get(kind)
    return option is not None and option.current is not None


def _scaled(option: KindOption, factor: float) -> int:
    """The option's current amount times ``factor``, in whole steps of the currency, at least its minimum."""
    step = option.step_micros or 10_000
    amount = round(int(option.current or 0) * factor / step) * step
    return max(amount, option.minimum_micros or step)


def _whole_units(option: KindOption, units: int) -> int:
    """``units`` whole units of the currency in micros, at least the option's minimum."""
    return max(units * 1_000_000, option.minimum_micros or 0)
