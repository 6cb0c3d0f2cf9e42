"""Metrics sync: pull each managed ad account's daily numbers (campaign, ad group/ad set and ad level) and today's
hours through its platform's adapter into the metrics store.

An account's first sync backfills every preset range (``backfill_since``), then a low-priority ``history`` run reads
older days back ``ADPILOT_METRICS_HISTORY_MONTHS``. Re-reads go by recency: every
``ADPILOT_METRICS_SYNC_INTERVAL_MINUTES`` a ``today`` run reads today's campaign hours (the campaigns' day is their
sum), every ``ADPILOT_METRICS_RECENT_INTERVAL_MINUTES`` a ``recent`` run re-reads the last 7 days at every level and
today's hours, and once a day a ``restate`` run re-reads 28 days, because platforms restate conversions after the
fact. Scheduled runs wait while a platform's daily quota is used beyond its share. Dates are the account's own (its
time zone).

A run reads one window (up to 30 days, newest first, so the dashboard fills from today backwards) with no
transaction open, then writes it (all three levels) in one transaction that also advances the run's progress. A run
retried after a failure resumes after the windows it already wrote; writing a window twice changes nothing.
"""

from __future__ import annotations

import calendar
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import TypeVar
from uuid import UUID
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from adpilot.audit import audit_service
from adpilot.campaigns import EntitiesSynced, entity_sync_service
from adpilot.config import get_settings
from adpilot.connections import (
    AccountAccess,
    AccountsManaged,
    AdAccountInfo,
    AdAccountNotFound,
    ConnectionNeedsReconnect,
    GatewaySession,
    account_service,
    platform_gateway,
)
from adpilot.core.logging import get_logger
from adpilot.core.pagination import KeysetPage, PageRequest, TimeKey
from adpilot.core.runs import Outcome, RunLifecycle, RunStatus
from adpilot.core.time import utcnow
from adpilot.db import tenant_transaction
from adpilot.events import publish
from adpilot.jobs import enqueue
from adpilot.metrics.errors import AccountNotSynced
from adpilot.metrics.events import MetricsIngested
from adpilot.metrics.models import MetricSyncRun
from adpilot.metrics.repository.sync import SyncRunRepository
from adpilot.metrics.schemas import MetricSyncScope, MetricSyncTrigger
from adpilot.metrics.service.store import IngestTarget, TreeEntity, metrics_store
from adpilot.organizations import TenantContext
from adpilot.platforms.errors import PlatformError
from adpilot.platforms.runs import decide_after
from adpilot.platforms.types import DailyMetricsRow, EntityLevel, HourlyMetricsRow

log = get_logger(__name__)

SYNC_METRICS_JOB = "analytics.sync_metrics"
# The run kit's limits, as for entity syncs: a transient platform failure is retried (by the job queue, with
# backoff) up to ``max_attempts``; a run running or queued too long was abandoned and may be replaced.
METRICS_SYNC_RUNS = RunLifecycle()
# Days per platform read: TikTok's daily reports allow 30; the others take it in their stride.
WINDOW_DAYS = 30
RECENT_DAYS = 7
RESTATE_DAYS = 28
LEVELS = (EntityLevel.campaign, EntityLevel.ad_group, EntityLevel.ad)
# A today run keeps the dashboard's today current between the recent runs with one read, today's campaign hours:
# the campaigns' day is the sum of their hours (so the pacing chart and the day's totals agree); ad groups and ads
# follow with the next recent run.
TODAY_LEVELS: tuple[EntityLevel, ...] = ()
# Job priority of history runs (procrastinate takes higher numbers first; everything else is queued at 0).
HISTORY_PRIORITY = -10
# A sync a person asked for goes before the scheduled ones.
MANUAL_PRIORITY = 10

T = TypeVar("T")


def account_today(time_zone: str, now: datetime | None = None) -> date:
    """Today in the ad account's time zone (UTC for a zone this machine does not know)."""
    try:
        zone = ZoneInfo(time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    return (now or utcnow()).astimezone(zone).date()


def backfill_since(today: date, backfill_days: int) -> date:
    """The oldest day an account's first sync reads: every preset range of the dashboard (``last_N_days`` ends
    yesterday, so "last 90 days" starts 90 days before today; "last month" and "this year" start on their first day),
    and one day more, because presets resolve in the organization's time zone, which may be a day behind the
    account's."""
    last_month = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
    earliest = min(today - timedelta(days=backfill_days), last_month, today.replace(month=1, day=1))
    return earliest - timedelta(days=1)


def history_since(today: date, months: int) -> date:
    """The same day ``months`` months back (the last day of that month when it is shorter)."""
    year, month = divmod(today.year * 12 + today.month - 1 - months, 12)
    return date(year, month + 1, min(today.day, calendar.monthrange(year, month + 1)[1]))


def scope_range(scope: MetricSyncScope, today: date, backfill_days: int, history_months: int = 0) -> tuple[date, date]:
    """The days a run of ``scope`` reads. Every scope but ``history`` ends today (today's numbers are partial, and
    re-read later); ``history`` reads the days before the backfill's, back to ``history_months`` months ago (an
    empty range, since after until, when there is nothing older to read)."""
    if scope is MetricSyncScope.history:
        return history_since(today, history_months), backfill_since(today, backfill_days) - timedelta(days=1)
    if scope is MetricSyncScope.backfill:
        return backfill_since(today, backfill_days), today
    if scope is MetricSyncScope.today:
        return today, today
    back = RECENT_DAYS if scope is MetricSyncScope.recent else RESTATE_DAYS
    return today - timedelta(days=back), today


def windows(since: date, until: date, size: int = WINDOW_DAYS) -> list[tuple[date, date]]:
    """since..until cut into windows of at most ``size`` days, newest first."""
    result: list[tuple[date, date]] = []
    end = until
    while end >= since:
        start = max(since, end - timedelta(days=size - 1))
        result.append((start, end))
        end = start - timedelta(days=1)
    return result


@dataclass(frozen=True)
class _Started:
    ad_account_id: UUID
    scope: MetricSyncScope
    since: date
    until: date
    days_done: int
    attempt: int


class MetricsSyncService:
    # --- queueing ------------------------------------------------------------------------------------------------

    async def queue_sync(
        self,
        session: AsyncSession,
        organization_id: UUID,
        ad_account_id: UUID,
        scope: MetricSyncScope,
        trigger: MetricSyncTrigger,
        *,
        requested_by: UUID | None = None,
        not_before: datetime | None = None,
    ) -> MetricSyncRun:
        """Queue a metrics sync of one account, or return the one already queued or running (never two at once)."""
        repository = SyncRunRepository(session)
        active = METRICS_SYNC_RUNS.current(await repository.active(organization_id, ad_account_id))
        if active is not None:
            return active
        account = await account_service.get_ad_account(session, organization_id, ad_account_id)
        if account is None:
            raise AdAccountNotFound()
        since, until = _range(scope, account.time_zone)
        empty = since > until  # history with nothing older to read: recorded as done, not queued
        run = await repository.add(
            MetricSyncRun(
                organization_id=organization_id,
                ad_account_id=ad_account_id,
                scope=scope,
                trigger=trigger,
                status=RunStatus.succeeded if empty else RunStatus.queued,
                since=min(since, until),
                until=until,
                days_total=max(0, (until - since).days + 1),
                days_done=0,
                rows_written=0,
                requested_by_user_id=requested_by,
                queued_at=utcnow(),
                finished_at=utcnow() if empty else None,
                attempts=0,
            )
        )
        # The log of an account's runs is bounded: each new run makes room by dropping the oldest finished ones.
        await repository.trim(organization_id, ad_account_id, get_settings().metric_sync_run_history_per_account)
        if empty:
            return run
        # The same transaction as the run row: the job exists if and only if the run does. History goes after
        # every other job waiting (the dashboard's own days first).
        await enqueue(
            session,
            SYNC_METRICS_JOB,
            organization_id,
            run_id=str(run.id),
            lock=f"metrics:{ad_account_id}",
            scheduled_at=not_before,
            priority=_priority(scope, trigger),
        )
        return run

    async def request_sync(self, session: AsyncSession, tenant: TenantContext, ad_account_id: UUID) -> MetricSyncRun:
        """A person asks for the recent days now (an account never synced gets its backfill). Audited."""
        account = await self._account(session, tenant.organization_id, ad_account_id)
        if not account.managed or account.connection_id is None:
            raise AccountNotSynced()
        repository = SyncRunRepository(session)
        backfilled = await repository.has_succeeded(tenant.organization_id, ad_account_id, MetricSyncScope.backfill)
        scope = MetricSyncScope.recent if backfilled else MetricSyncScope.backfill
        run = await self.queue_sync(
            session, tenant.organization_id, account.id, scope, MetricSyncTrigger.manual, requested_by=tenant.user_id
        )
        await audit_service.record(
            session,
            tenant.organization_id,
            tenant.actor,
            "ad_account.metrics_sync_requested",
            target_type="ad_account",
            target_id=account.id,
            after={"platform": account.platform.value, "scope": run.scope},
        )
        return run

    async def queue_due_syncs(self, session: AsyncSession, interval_minutes: int) -> int:
        """Scheduled fan-out across organizations (ids from a SECURITY DEFINER function; one transaction each).

        Re-read by recency: today every ``interval_minutes``, the last 7 days every
        ``ADPILOT_METRICS_RECENT_INTERVAL_MINUTES``, 28 days once a day; older days are never re-read."""
        queued = 0
        settings = get_settings()
        history = settings.metrics_history_months > 0
        due = await SyncRunRepository(session).due(interval_minutes, settings.metrics_recent_interval_minutes, history)
        # Within each platform's daily quota: scheduled runs wait once their share is used, history at half of it;
        # the rest is kept for what people ask for.
        share = settings.sync_quota_share
        waiting = await platform_gateway.platforms_over_budget(session, share)
        history_waiting = await platform_gateway.platforms_over_budget(session, share / 2)
        for organization_id, ad_account_id, scope in due:
            async with tenant_transaction(organization_id) as tenant_session:
                if history_waiting:
                    account = await account_service.get_ad_account(tenant_session, organization_id, ad_account_id)
                    held = history_waiting if scope == MetricSyncScope.history else waiting
                    if account is None or account.platform in held:
                        continue
                try:
                    await self.queue_sync(
                        tenant_session,
                        organization_id,
                        ad_account_id,
                        MetricSyncScope(scope),
                        MetricSyncTrigger.schedule,
                    )
                except (IntegrityError, AdAccountNotFound):  # the account went away meanwhile
                    continue
            queued += 1
        return queued

    # --- the job -------------------------------------------------------------------------------------------------

    async def run_sync(self, organization_id: UUID, run_id: UUID) -> None:
        """Run one metrics sync (the body of the ``analytics.sync_metrics`` job)."""
        started = await self._start(organization_id, run_id)
        if started is None:
            return
        # The gateway opens the account once for every read of the run, refreshes an expired token once, records a
        # failed read on the connection's health and, when the run ends well, its success.
        try:
            async with platform_gateway.session(organization_id, started.ad_account_id) as platform:
                await self._read_and_write(organization_id, run_id, started, platform)
        except (ConnectionNeedsReconnect, AdAccountNotFound) as exc:
            await self._fail(organization_id, run_id, _reason(exc))
            return
        except PlatformError as error:
            if await self._fail_or_retry(organization_id, run_id, error, started.attempt) is Outcome.retry:
                raise  # the job queue retries with backoff; the run resumes after the windows it wrote
            return
        log.info("metrics_sync.done", organization_id=str(organization_id), run_id=str(run_id))

    async def _read_and_write(
        self, organization_id: UUID, run_id: UUID, started: _Started, platform: GatewaySession
    ) -> None:
        """Each window not written yet (read with no transaction open, then written in one), then today's hours;
        the run succeeds with the last write."""
        account = platform.ad_account
        target = IngestTarget(organization_id, account.id, account.platform, account.currency)
        covered = 0
        today_only = started.scope is MetricSyncScope.today
        for since, until in [] if today_only else windows(started.since, started.until):
            days = (until - since).days + 1
            covered += days
            if covered <= started.days_done:
                continue  # written by an earlier attempt of this run
            fetched = {level: await _read(platform, level, since, until) for level in LEVELS}
            async with tenant_transaction(organization_id) as session:
                run = await SyncRunRepository(session).get(organization_id, run_id, for_update=True)
                if run is None:
                    return
                written = 0
                for level, rows in fetched.items():
                    result = await metrics_store.ingest_daily(session, target, level, since, until, rows)
                    written += result.written + result.deleted
                run.days_done = min(run.days_total, run.days_done + days)
                run.rows_written += written

        today = account_today(account.time_zone)
        hours: list[HourlyMetricsRow] | None = None
        if started.scope is not MetricSyncScope.history:  # history ends long before today
            hours = await _read_hours(platform, today)
        async with tenant_transaction(organization_id) as session:
            run = await SyncRunRepository(session).get(organization_id, run_id, for_update=True)
            if run is None:
                return
            if hours is not None:
                if today_only:
                    campaigns = campaign_days(hours)
                    result = await metrics_store.ingest_daily(
                        session, target, EntityLevel.campaign, today, today, campaigns
                    )
                    run.rows_written += result.written + result.deleted
                await metrics_store.ingest_hourly(session, target, today, hours)
            METRICS_SYNC_RUNS.succeed(run)
            run.days_done = run.days_total
            await publish(
                session,
                MetricsIngested(
                    organization_id=organization_id,
                    ad_account_id=account.id,
                    run_id=run.id,
                    scope=run.scope,
                    first_day=run.since,
                    last_day=run.until,
                    rows_written=run.rows_written,
                ),
            )
            if started.scope is MetricSyncScope.backfill and get_settings().metrics_history_months > 0:
                await session.flush()
                # Older days for "previous period" and "previous year", in the background.
                await self.queue_sync(
                    session, organization_id, account.id, MetricSyncScope.history, MetricSyncTrigger.schedule
                )

    async def _start(self, organization_id: UUID, run_id: UUID) -> _Started | None:
        """Mark the run running; None when there is nothing (more) to do."""
        async with tenant_transaction(organization_id) as session:
            run = await SyncRunRepository(session).get(organization_id, run_id, for_update=True)
            if run is None or not METRICS_SYNC_RUNS.claimable(run):
                return None  # a duplicate delivery of the job
            attempt = METRICS_SYNC_RUNS.start(run)
            account = await account_service.get_ad_account(session, organization_id, run.ad_account_id)
            if account is None:
                gone = AdAccountNotFound()
                METRICS_SYNC_RUNS.fail(run, gone.detail or gone.title)
                return None
            if run.days_done == 0:  # not begun: read up to today as it is now (a deferred run may be late)
                since, until = _range(MetricSyncScope(run.scope), account.time_zone)
                if since <= until:
                    run.since, run.until, run.days_total = since, until, (until - since).days + 1
            return _Started(run.ad_account_id, MetricSyncScope(run.scope), run.since, run.until, run.days_done, attempt)

    async def _fail(self, organization_id: UUID, run_id: UUID, reason: str) -> None:
        """The run cannot go on (the account is not usable until a person acts): failed, with the reason."""
        async with tenant_transaction(organization_id) as session:
            run = await SyncRunRepository(session).get(organization_id, run_id, for_update=True)
            if run is not None:
                METRICS_SYNC_RUNS.fail(run, reason)

    async def _fail_or_retry(
        self, organization_id: UUID, run_id: UUID, error: PlatformError, attempt: int
    ) -> Outcome | None:
        """Say on the run why it stopped (the gateway told the connection's health): a transient failure is retried
        by the job queue with backoff; a spent quota defers the run to when the platform says. What becomes of the
        run (None when it is gone)."""
        async with tenant_transaction(organization_id) as session:
            run = await SyncRunRepository(session).get(organization_id, run_id, for_update=True)
            if run is None:
                return None

            async def sync_later(delay: timedelta) -> None:
                # The next run starts where the platform's quota allows; windows already written stay written.
                await session.flush()
                await self.queue_sync(
                    session,
                    organization_id,
                    run.ad_account_id,
                    MetricSyncScope(run.scope),
                    MetricSyncTrigger(run.trigger),
                    not_before=utcnow() + delay,
                )

            message = f"{type(error).__name__}: {error.detail}"
            decision = await METRICS_SYNC_RUNS.settle_and_requeue(
                run, decide_after(METRICS_SYNC_RUNS, error, attempt), message, sync_later
            )
            return decision.outcome

    # --- reading -------------------------------------------------------------------------------------------------

    async def _account(self, session: AsyncSession, organization_id: UUID, ad_account_id: UUID) -> AdAccountInfo:
        account = await account_service.get_ad_account(session, organization_id, ad_account_id)
        if account is None:
            raise AdAccountNotFound()
        return account

    async def list_runs(
        self,
        session: AsyncSession,
        tenant: TenantContext,
        ad_account_id: UUID,
        page: PageRequest[TimeKey],
    ) -> KeysetPage[MetricSyncRun, TimeKey]:
        """An account's metrics sync log, newest first."""
        await self._account(session, tenant.organization_id, ad_account_id)
        return await SyncRunRepository(session).page(tenant.organization_id, ad_account_id, page)


def campaign_days(hours: Sequence[HourlyMetricsRow]) -> list[DailyMetricsRow]:
    """Each campaign's numbers for the day: the sum of its hours (every hour the platform reported activity in)."""
    days: dict[tuple[str, date], DailyMetricsRow] = {}
    for hour in hours:
        key = (hour.campaign_platform_id, hour.day)
        seen = days.get(key)
        days[key] = DailyMetricsRow(
            level=EntityLevel.campaign,
            entity_platform_id=hour.campaign_platform_id,
            day=hour.day,
            impressions=hour.impressions + (seen.impressions if seen else 0),
            clicks=hour.clicks + (seen.clicks if seen else 0),
            spend_micros=hour.spend_micros + (seen.spend_micros if seen else 0),
            conversions=hour.conversions + (seen.conversions if seen else Decimal(0)),
            conversion_value_micros=hour.conversion_value_micros + (seen.conversion_value_micros if seen else 0),
            all_clicks=_all_clicks(hour) + (_all_clicks(seen) if seen else 0),
            currency=hour.currency,
            extras={"from_hours": True},
            campaign_platform_id=hour.campaign_platform_id,
        )
    return list(days.values())


def _all_clicks(row: HourlyMetricsRow | DailyMetricsRow) -> int:
    """All clicks, which only Meta reports apart from link clicks (elsewhere they are the clicks)."""
    return row.clicks if row.all_clicks is None else row.all_clicks


def _priority(scope: MetricSyncScope, trigger: MetricSyncTrigger) -> int:
    """A person waiting goes first; history goes last."""
    if trigger is MetricSyncTrigger.manual:
        return MANUAL_PRIORITY
    return HISTORY_PRIORITY if scope is MetricSyncScope.history else 0


def _range(scope: MetricSyncScope, time_zone: str) -> tuple[date, date]:
    settings = get_settings()
    return scope_range(scope, account_today(time_zone), settings.metrics_backfill_days, settings.metrics_history_months)


async def _collect(rows: AsyncIterator[T]) -> list[T]:
    return [row async for row in rows]


async def _read(platform: GatewaySession, level: EntityLevel, since: date, until: date) -> list[DailyMetricsRow]:
    async def read(access: AccountAccess) -> list[DailyMetricsRow]:
        return await _collect(
            access.adapter.fetch_daily_metrics(access.credentials, access.account, level, since, until)
        )

    return await platform.call(read)


async def _read_hours(platform: GatewaySession, day: date) -> list[HourlyMetricsRow]:
    async def read(access: AccountAccess) -> list[HourlyMetricsRow]:
        return await _collect(access.adapter.fetch_hourly_metrics(access.credentials, access.account, day))

    return await platform.call(read)


def _reason(exc: ConnectionNeedsReconnect | AdAccountNotFound) -> str:
    """Why the run failed, in words; naming the platform's error when the platform's answer was the reason."""
    cause = exc.platform_error if isinstance(exc, ConnectionNeedsReconnect) else None
    if cause is not None:
        return f"{type(cause).__name__}: {cause.detail}"
    return exc.detail or exc.title


metrics_sync_service = MetricsSyncService()


async def queue_backfills(session: AsyncSession, event: AccountsManaged) -> None:
    """Accounts just chosen for management get their backfill (the active run when one is already queued or running:
    a repeated delivery queues nothing twice)."""
    for ad_account_id in event.ad_account_ids:
        await metrics_sync_service.queue_sync(
            session, event.organization_id, ad_account_id, MetricSyncScope.backfill, MetricSyncTrigger.connect
        )


async def keep_dimension_current(session: AsyncSession, event: EntitiesSynced) -> None:
    """Names, places and status of the account's entities as the campaigns module now has them.

    The account's whole tree is read rather than what the event's run read: the tree only grows (a removed entity
    stays, marked removed), so a late, repeated or out-of-order delivery leaves the dimension equal to the current
    tree. After a ``complete`` run, entities the dimension has and the tree lacks (named only by reports) become
    removed; after an incremental one nothing is marked removed for being absent.
    """
    account = await account_service.get_ad_account(session, event.organization_id, event.ad_account_id)
    if account is None:
        return  # the account went away meanwhile: its dimension went with it
    tree = await entity_sync_service.account_tree(session, event.organization_id, event.ad_account_id)
    target = IngestTarget(event.organization_id, account.id, account.platform, account.currency)
    await metrics_store.upsert_tree(
        session,
        target,
        [
            TreeEntity(
                level=entity.level,
                platform_id=entity.platform_id,
                campaign_platform_id=entity.campaign_platform_id,
                parent_platform_id=entity.parent_platform_id,
                name=entity.name,
                status=entity.status,
            )
            for entity in tree
        ],
        complete=event.complete,
    )
