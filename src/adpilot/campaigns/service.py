"""Entity sync: keep each managed ad account's campaign tree in step with its platform, and let people browse it.

A sync run is visible from the moment it is queued. The job reads the platform with no database transaction open
(platform calls can take minutes under rate limits), then writes what it read in one transaction, so a run either
lands completely or not at all; upserts are keyed by (account, level, platform id), so a repeated run changes
nothing twice.

A run is ``full`` (the whole tree: what is no longer listed was removed) or ``incremental`` (only the entities the
platform reports changed since the previous run, where it can tell: Google's ``change_status``). The whole tree is
read at least every ``entity_full_sync_hours``, and whenever the platform cannot tell what changed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from adpilot.audit import audit_service
from adpilot.campaigns.errors import AdAccountNotManaged
from adpilot.campaigns.events import EntitiesSynced
from adpilot.campaigns.models import AdEntity, SyncRun
from adpilot.campaigns.repository import CampaignRepository
from adpilot.campaigns.schemas import SyncMode, SyncTrigger
from adpilot.config import get_settings
from adpilot.connections import (
    AccountAccess,
    AccountsManaged,
    AdAccountInfo,
    AdAccountNotFound,
    ConnectionNeedsReconnect,
    account_service,
    platform_gateway,
)
from adpilot.core.logging import get_logger
from adpilot.core.pagination import KeysetPage, PageRequest, TextKey, TimeKey
from adpilot.core.runs import Outcome, RunLifecycle, RunStatus
from adpilot.core.time import utcnow
from adpilot.db import tenant_transaction
from adpilot.events import publish
from adpilot.jobs import enqueue
from adpilot.organizations import TenantContext
from adpilot.platforms.errors import PlatformError
from adpilot.platforms.runs import decide_after
from adpilot.platforms.types import EntityLevel, EntityStatus, Platform, RemoteEntity

log = get_logger(__name__)

ENTITIES = "entities"
SYNC_ENTITIES_JOB = "campaigns.sync_entities"
# The run kit's limits: a transient platform failure is retried (by the job queue, with backoff) up to
# ``max_attempts``; a run running or queued too long was abandoned and may be replaced.
ENTITY_SYNC_RUNS = RunLifecycle()
# Job priority of a sync a person asked for (procrastinate takes higher numbers first; scheduled ones are 0).
MANUAL_PRIORITY = 10
# An incremental run asks for changes since the previous run started, less this margin: for clocks that disagree a
# little, and for changes that landed at the platform while the previous run was reading.
CHANGES_MARGIN = timedelta(minutes=10)


@dataclass(frozen=True)
class EntityState:
    """An entity of an account as the entity sync last wrote it (``status`` is ``removed`` for one the platform
    removed or no longer lists)."""

    level: EntityLevel
    platform_id: str
    campaign_platform_id: str
    parent_platform_id: str | None
    name: str
    status: str


@dataclass(frozen=True)
class SyncedEntity:
    """A live campaign, ad group/ad set or ad as the entity sync last read it, with the platform's own fields."""

    level: EntityLevel
    platform_id: str
    parent_platform_id: str | None
    name: str
    status: EntityStatus
    objective: str | None
    currency: str
    daily_budget_micros: int | None
    lifetime_budget_micros: int | None
    raw: dict[str, Any]


@dataclass(frozen=True)
class CampaignBudget:
    """A campaign's daily budget in micros of its account's currency (None when it has none)."""

    ad_account_id: UUID
    campaign_platform_id: str
    name: str
    status: str
    currency: str
    daily_budget_micros: int | None


@dataclass(frozen=True)
class EntitySnapshot:
    """One entity as the entity sync last wrote it, with its account, money and status (for the change pipeline)."""

    id: UUID
    ad_account_id: UUID
    platform: Platform
    level: EntityLevel
    platform_id: str
    name: str
    status: EntityStatus
    currency: str
    daily_budget_micros: int | None
    lifetime_budget_micros: int | None
    bid_strategy: str | None = None
    bid_micros: int | None = None
    target_roas: Decimal | None = None
    start_date: date | None = None
    end_date: date | None = None
    # Where the entity sits (the campaign of an ad group, the ad group of an ad), for checks against its parents.
    parent_platform_id: str | None = None


def entity_row(organization_id: UUID, account: AdAccountInfo, entity: RemoteEntity) -> dict[str, Any]:
    """A platform entity as an ``ad_entities`` row (money in the account's currency, as micros)."""
    budget = entity.daily_budget or entity.lifetime_budget
    return {
        "organization_id": organization_id,
        "ad_account_id": account.id,
        "platform": account.platform.value,
        "level": entity.level.value,
        "platform_id": entity.platform_id,
        "parent_platform_id": entity.parent_platform_id,
        "campaign_platform_id": entity.campaign_platform_id,
        "name": entity.name[:512],
        "status": entity.status.value,
        "platform_status": entity.platform_status[:64],
        "objective": entity.objective[:64] if entity.objective else None,
        "currency": budget.currency if budget is not None else account.currency,
        "daily_budget_micros": entity.daily_budget.amount_micros if entity.daily_budget else None,
        "lifetime_budget_micros": entity.lifetime_budget.amount_micros if entity.lifetime_budget else None,
        **entity_settings(entity),
        "raw": dict(entity.raw),
    }


def entity_settings(entity: RemoteEntity) -> dict[str, Any]:
    """The bid settings and dates of a platform entity as ``ad_entities`` columns."""
    return {
        "bid_strategy": entity.bid_strategy[:64] if entity.bid_strategy else None,
        "bid_micros": entity.bid.amount_micros if entity.bid is not None else None,
        "target_roas": entity.target_roas,
        "start_date": entity.start_date,
        "end_date": entity.end_date,
    }


class EntitySyncService:
    # --- queueing ------------------------------------------------------------------------------------------------

    async def queue_sync(
        self,
        session: AsyncSession,
        organization_id: UUID,
        ad_account_id: UUID,
        trigger: SyncTrigger,
        *,
        requested_by: UUID | None = None,
        not_before: datetime | None = None,
        with_job: bool = True,
    ) -> SyncRun:
        """Queue an entity sync of one account, or return the one already queued or running (never two at once).

        ``with_job=False`` only records the run: for a job that was queued by name without one (jobs queued by
        earlier versions, which named the account) and runs it at once.
        """
        repository = CampaignRepository(session)
        active = ENTITY_SYNC_RUNS.current(await repository.active_run(organization_id, ad_account_id, ENTITIES))
        if active is not None:
            return active
        run = await repository.add_run(
            SyncRun(
                organization_id=organization_id,
                ad_account_id=ad_account_id,
                kind=ENTITIES,
                trigger=trigger,
                status=RunStatus.queued,
                requested_by_user_id=requested_by,
                queued_at=utcnow(),
                counts={},
            )
        )
        # The log of an account's runs is bounded: each new run makes room by dropping the oldest finished ones.
        await repository.trim_runs(
            organization_id, ad_account_id, ENTITIES, get_settings().sync_run_history_per_account
        )
        if not with_job:
            return run
        # The same transaction as the run row: the job exists if and only if the run does.
        await enqueue(
            session,
            SYNC_ENTITIES_JOB,
            organization_id,
            run_id=str(run.id),
            lock=f"entities:{ad_account_id}",
            scheduled_at=not_before,
            # A person waiting goes before the scheduled syncs.
            priority=MANUAL_PRIORITY if trigger is SyncTrigger.manual else 0,
        )
        return run

    async def request_sync(self, session: AsyncSession, tenant: TenantContext, ad_account_id: UUID) -> SyncRun:
        """A person asks for a sync now (a use of the connection's credentials on their behalf: audited)."""
        account = await self._account(session, tenant.organization_id, ad_account_id)
        if not account.managed or account.connection_id is None:
            raise AdAccountNotManaged()
        run = await self.queue_sync(
            session, tenant.organization_id, account.id, SyncTrigger.manual, requested_by=tenant.user_id
        )
        await audit_service.record(
            session,
            tenant.organization_id,
            tenant.actor,
            "ad_account.sync_requested",
            target_type="ad_account",
            target_id=account.id,
            after={"platform": account.platform.value, "platform_account_id": account.platform_account_id},
        )
        return run

    async def queue_due_syncs(self, session: AsyncSession, interval_minutes: int) -> int:
        """Scheduled fan-out: queue a sync for every managed account whose last one is older than the interval, unless
        its platform's daily quota is used beyond the share kept for scheduled work."""
        queued = 0
        waiting = await platform_gateway.platforms_over_budget(session, get_settings().sync_quota_share)
        for organization_id, ad_account_id in await CampaignRepository(session).due_accounts(interval_minutes):
            async with tenant_transaction(organization_id) as tenant_session:
                if waiting:
                    account = await account_service.get_ad_account(tenant_session, organization_id, ad_account_id)
                    if account is None or account.platform in waiting:
                        continue
                try:
                    await self.queue_sync(tenant_session, organization_id, ad_account_id, SyncTrigger.schedule)
                except IntegrityError:  # the account went away between the listing and now
                    continue
            queued += 1
        return queued

    # --- the job -------------------------------------------------------------------------------------------------

    async def run_sync(
        self,
        organization_id: UUID,
        run_id: UUID | None,
        *,
        ad_account_id: UUID | None = None,
        trigger: SyncTrigger = SyncTrigger.schedule,
    ) -> None:
        """Run one entity sync (the body of the ``campaigns.sync_entities`` job).

        The job names its run, or (a job queued by an earlier version) the account, in which case the run is
        recorded here.
        """
        async with tenant_transaction(organization_id) as session:
            repository = CampaignRepository(session)
            if run_id is None:
                if ad_account_id is None:
                    raise ValueError("a sync job names its run or its ad account")
                run_id = (await self.queue_sync(session, organization_id, ad_account_id, trigger, with_job=False)).id
            run = await repository.get_run(organization_id, run_id, for_update=True)
            if run is None or not ENTITY_SYNC_RUNS.claimable(run):
                return  # already done (a duplicate delivery of the job): nothing to do twice
            now = utcnow()
            attempt = ENTITY_SYNC_RUNS.start(run, now)
            account_id = run.ad_account_id
            changes_since = await self._changes_since(repository, organization_id, account_id, now)
            # What the run sets out to do; a platform that cannot tell what changed makes it full after all.
            run.mode = SyncMode.full if changes_since is None else SyncMode.incremental

        # The gateway opens the account, refreshes an expired token once and records the connection's health.
        try:
            account, entities, complete = await platform_gateway.call(
                organization_id, account_id, lambda access: self._fetch_entities(access, changes_since)
            )
        except (ConnectionNeedsReconnect, AdAccountNotFound) as exc:
            await self._fail(organization_id, run_id, _reason(exc))
            return
        except PlatformError as error:
            if await self._record_failure(organization_id, run_id, error, attempt) is Outcome.retry:
                raise  # the job queue retries with backoff; the run stays visible as queued with its last error
            return

        async with tenant_transaction(organization_id) as session:
            repository = CampaignRepository(session)
            run = await repository.get_run(organization_id, run_id, for_update=True)
            if run is None:
                return
            now = utcnow()
            rows = [entity_row(organization_id, account, entity) for entity in entities]
            written = await repository.upsert_entities(rows, now)
            removed: dict[str, int] = {}
            if complete:
                # Only a whole tree says what is gone; an incremental listing leaves out everything unchanged.
                removed = await repository.mark_missing_removed(
                    organization_id,
                    account.id,
                    [(entity.level.value, entity.platform_id) for entity in entities],
                    now,
                )
            run.mode = SyncMode.full if complete else SyncMode.incremental
            run.counts = _counts(entities, written, removed)
            ENTITY_SYNC_RUNS.succeed(run, now)
            # Other modules keep their own view of names and status (metrics' reporting dimension): they read the
            # account's tree as it now is once this commits.
            await publish(
                session,
                EntitiesSynced(
                    organization_id=organization_id, ad_account_id=account.id, run_id=run.id, complete=complete
                ),
            )
        log.info(
            "entity_sync.done",
            organization_id=str(organization_id),
            run_id=str(run_id),
            entities=len(entities),
            mode="full" if complete else "incremental",
        )

    async def _changes_since(
        self, repository: CampaignRepository, organization_id: UUID, ad_account_id: UUID, now: datetime
    ) -> datetime | None:
        """Where an incremental run of the account starts, or None when this run must read the whole tree (no whole
        tree read within ``entity_full_sync_hours``)."""
        last_full = await repository.last_started(organization_id, ad_account_id, ENTITIES, mode=SyncMode.full)
        if last_full is None or now - last_full >= timedelta(hours=get_settings().entity_full_sync_hours):
            return None
        last = await repository.last_started(organization_id, ad_account_id, ENTITIES)
        return (last or last_full) - CHANGES_MARGIN

    async def _fetch_entities(
        self, access: AccountAccess, changes_since: datetime | None
    ) -> tuple[AdAccountInfo, list[RemoteEntity], bool]:
        """The account; what changed since ``changes_since`` when given and the platform can tell, else the whole
        tree; and whether it is the whole tree (the gateway's operation: run again after a refreshed token)."""
        if changes_since is not None:
            changed = await access.adapter.list_entity_changes(access.credentials, access.account, changes_since)
            if changed is not None:
                return access.ad_account, changed, False
        tree = await access.adapter.list_entities(access.credentials, access.account)
        return access.ad_account, tree, True

    async def _fail(self, organization_id: UUID, run_id: UUID, reason: str) -> None:
        """The run cannot go on (the account is not usable until a person acts): failed, with the reason."""
        async with tenant_transaction(organization_id) as session:
            run = await CampaignRepository(session).get_run(organization_id, run_id, for_update=True)
            if run is not None:
                ENTITY_SYNC_RUNS.fail(run, reason)

    async def _record_failure(
        self, organization_id: UUID, run_id: UUID, error: PlatformError, attempt: int
    ) -> Outcome | None:
        """Say on the run why it did not finish and reschedule what can wait (the gateway recorded the health); what
        becomes of the run (None when it is gone)."""
        async with tenant_transaction(organization_id) as session:
            run = await CampaignRepository(session).get_run(organization_id, run_id, for_update=True)
            if run is None:
                return None

            async def sync_later(delay: timedelta) -> None:
                # The platform's quota is spent for longer than a call may wait: this run ends, and the next one is
                # queued for when the platform says the quota is back.
                await session.flush()
                await self.queue_sync(
                    session, organization_id, run.ad_account_id, run.trigger, not_before=utcnow() + delay
                )

            message = f"{type(error).__name__}: {error.detail}"
            decision = await ENTITY_SYNC_RUNS.settle_and_requeue(
                run, decide_after(ENTITY_SYNC_RUNS, error, attempt), message, sync_later
            )
            return decision.outcome

    # --- reading -------------------------------------------------------------------------------------------------

    async def _account(self, session: AsyncSession, organization_id: UUID, ad_account_id: UUID) -> AdAccountInfo:
        account = await account_service.get_ad_account(session, organization_id, ad_account_id)
        if account is None:
            raise AdAccountNotFound()
        return account

    async def list_entities(
        self,
        session: AsyncSession,
        tenant: TenantContext,
        ad_account_id: UUID,
        level: EntityLevel,
        *,
        parent_platform_id: str | None,
        include_removed: bool,
        name_contains: str | None,
        page: PageRequest[TextKey],
    ) -> KeysetPage[AdEntity, TextKey]:
        """One page of an account's entities at one level, by name."""
        await self._account(session, tenant.organization_id, ad_account_id)
        return await CampaignRepository(session).browse(
            tenant.organization_id,
            ad_account_id,
            level.value,
            parent_platform_id=parent_platform_id,
            include_removed=include_removed,
            name_contains=name_contains,
            page=page,
        )

    async def list_runs(
        self,
        session: AsyncSession,
        tenant: TenantContext,
        ad_account_id: UUID,
        page: PageRequest[TimeKey],
    ) -> KeysetPage[SyncRun, TimeKey]:
        """A page of an account's sync log, newest first."""
        await self._account(session, tenant.organization_id, ad_account_id)
        return await CampaignRepository(session).runs_page(tenant.organization_id, ad_account_id, page)

    async def entity(self, session: AsyncSession, organization_id: UUID, entity_id: UUID) -> EntitySnapshot | None:
        """One entity of the organization by its id, as last synced (None when there is no such entity)."""
        row = await CampaignRepository(session).entity_by_id(organization_id, entity_id)
        if row is None:
            return None
        return _snapshot(row)

    async def record_change(
        self,
        session: AsyncSession,
        organization_id: UUID,
        entity: RemoteEntity,
        entity_id: UUID,
    ) -> None:
        """Write an entity read back from its platform after a change, so that the browser shows the new state
        before the next sync."""
        row = await CampaignRepository(session).entity_by_id(organization_id, entity_id)
        if row is None:
            return
        row.name = entity.name[:512]
        row.status = entity.status
        row.platform_status = entity.platform_status[:64]
        row.daily_budget_micros = entity.daily_budget.amount_micros if entity.daily_budget else None
        row.lifetime_budget_micros = entity.lifetime_budget.amount_micros if entity.lifetime_budget else None
        for column, value in entity_settings(entity).items():
            setattr(row, column, value)
        row.updated_at = utcnow()

    async def account_tree(
        self, session: AsyncSession, organization_id: UUID, ad_account_id: UUID
    ) -> list[EntityState]:
        """Every entity of the account as the entity sync last wrote it, removed ones included (for other modules'
        views of the tree)."""
        rows = await CampaignRepository(session).tree(organization_id, ad_account_id)
        return [
            EntityState(EntityLevel(level), platform_id, campaign_id, parent_id, name, status)
            for level, platform_id, campaign_id, parent_id, name, status in rows
        ]

    async def entity_ids(
        self, session: AsyncSession, organization_id: UUID, ad_account_id: UUID, platform_ids: list[str]
    ) -> dict[tuple[EntityLevel, str], UUID]:
        """adpilot's ids of the account's synced entities among ``platform_ids``, by level and platform id."""
        rows = await CampaignRepository(session).entity_ids(organization_id, ad_account_id, platform_ids)
        return {(EntityLevel(level), platform_id): entity_id for level, platform_id, entity_id in rows}

    async def campaign_snapshot(
        self, session: AsyncSession, organization_id: UUID, ad_account_id: UUID, campaign_platform_id: str
    ) -> list[SyncedEntity]:
        """A campaign and its live ad groups and ads as last synced, campaign first (empty when not synced)."""
        rows = await CampaignRepository(session).campaign_entities(organization_id, ad_account_id, campaign_platform_id)
        return [
            SyncedEntity(
                EntityLevel(row.level),
                row.platform_id,
                row.parent_platform_id,
                row.name,
                row.status,
                row.objective,
                row.currency,
                row.daily_budget_micros,
                row.lifetime_budget_micros,
                dict(row.raw),
            )
            for row in rows
        ]

    async def daily_budgets(self, session: AsyncSession, organization_id: UUID) -> list[CampaignBudget]:
        """The daily budget of every live campaign of the organization (for today's pacing): the campaign's own,
        else the sum of its active ad groups' (budgets set on ad sets), else None."""
        rows = await CampaignRepository(session).daily_budgets(organization_id)
        return [CampaignBudget(*row) for row in rows]

    async def account_summaries(
        self, session: AsyncSession, tenant: TenantContext, page: PageRequest[TextKey]
    ) -> KeysetPage[dict[str, Any], TextKey]:
        """One page of managed accounts (by name): live entity counts, the latest run and when a run last
        succeeded."""
        repository = CampaignRepository(session)
        accounts_page = await account_service.managed_accounts_page(session, tenant.organization_id, page)
        accounts = accounts_page.items
        ids = [account.id for account in accounts]
        counts = await repository.entity_counts(tenant.organization_id, ids)
        latest = await repository.latest_runs(tenant.organization_id, ENTITIES, ids)
        succeeded = await repository.latest_success(tenant.organization_id, ENTITIES, ids)
        summaries = [
            {
                "ad_account_id": account.id,
                "entity_counts": counts.get(account.id, {}),
                "last_run": latest.get(account.id),
                "last_succeeded_at": succeeded.get(account.id),
            }
            for account in accounts
        ]
        return KeysetPage(summaries, accounts_page.next_key, accounts_page.codec)


def _reason(exc: ConnectionNeedsReconnect | AdAccountNotFound) -> str:
    """Why the run failed, in words; naming the platform's error when the platform's answer was the reason."""
    cause = exc.platform_error if isinstance(exc, ConnectionNeedsReconnect) else None
    if cause is not None:
        return f"{type(cause).__name__}: {cause.detail}"
    return exc.detail or exc.title


def _counts(
    entities: list[RemoteEntity], written: dict[str, dict[str, int]], removed: dict[str, int]
) -> dict[str, dict[str, int]]:
    """Per level: entities new to the product, changed, unchanged, and removed in this run (listed as removed by the
    platform, or no longer listed at all). For an incremental run, the entities seen are those reported changed."""
    seen: dict[str, int] = {}
    for entity in entities:
        seen[entity.level.value] = seen.get(entity.level.value, 0) + 1
    counts: dict[str, dict[str, int]] = {}
    for level in EntityLevel:
        created = written.get(level.value, {}).get("created", 0)
        updated = written.get(level.value, {}).get("updated", 0)
        removed_listed = written.get(level.value, {}).get("removed", 0)
        counts[level.value] = {
            "created": created,
            "updated": updated,
            "unchanged": seen.get(level.value, 0) - created - updated - removed_listed,
            "removed": removed_listed + removed.get(level.value, 0),
        }
    return counts


entity_sync_service = EntitySyncService()


async def queue_first_syncs(session: AsyncSession, event: AccountsManaged) -> None:
    """Accounts just chosen for management get an entity sync run (the active one when a run is already queued or
    running: a repeated delivery queues nothing twice)."""
    for ad_account_id in event.ad_account_ids:
        await entity_sync_service.queue_sync(session, event.organization_id, ad_account_id, SyncTrigger.connect)


def _snapshot(row: AdEntity) -> EntitySnapshot:
    return EntitySnapshot(
        id=row.id,
        ad_account_id=row.ad_account_id,
        platform=Platform(row.platform),
        level=EntityLevel(row.level),
        platform_id=row.platform_id,
        name=row.name,
        status=row.status,
        currency=row.currency,
        daily_budget_micros=row.daily_budget_micros,
        lifetime_budget_micros=row.lifetime_budget_micros,
        bid_strategy=row.bid_strategy,
        bid_micros=row.bid_micros,
        target_roas=row.target_roas,
        start_date=row.start_date,
        end_date=row.end_date,
        parent_platform_id=row.parent_platform_id,
    )
