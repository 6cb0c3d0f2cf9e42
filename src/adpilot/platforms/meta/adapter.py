"""The Meta Marketing API behind the product's adapter port (how Meta's numbers become ours: ``insights``).

Deleted objects and names
-------------------------
An ad account's lists and insights leave out deleted and archived campaigns, ad sets and ads unless the request
filters them in by ``effective_status``: every list and every report asks for every status, so a removed campaign's
past numbers stay in the history and its status (removed) is known even when it went before the first sync.
Each row carries the ids of the campaign (and ad set) its object sits in and the object's name as the report gives it.

Reading changes
---------------
``list_entity_changes`` asks the three edges only for the objects whose ``updated_time`` is after a moment (Meta's
object ``filtering`` with ``GREATER_THAN`` and unix seconds), every effective status included so that deletions come
back too. Ads and ad sets carry no objective: a changed one whose campaign did not change takes it from one more
read of just those campaigns (``campaign.id`` ``IN`` [...]). Beyond 37 months the whole tree is read instead.

Large reports
-------------
Date ranges longer than ``async_after_days`` and any synchronous request Meta answers with "Please reduce the amount
of data" go through an asynchronous report run (``POST /act_{id}/insights`` → poll ``GET /{report_run_id}`` → pages
of ``GET /{report_run_id}/insights``). Rows already yielded before such a switch are not yielded twice.
"""

from __future__ import annotations

import asyncio
import calendar
import json
import math
from collections.abc import AsyncIterator, Awaitable, Callable, Hashable, Mapping, Sequence
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any, ClassVar, TypeVar
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ValidationError

from adpilot.core.logging import get_logger
from adpilot.core.time import utcnow
from adpilot.platforms.config import MetaAdsConfig
from adpilot.platforms.errors import PlatformAuthError, PlatformRejected, PlatformUnavailable
from adpilot.platforms.http import PlatformHttp
from adpilot.platforms.meta.client import InsightsTooLarge, MetaGraphClient
from adpilot.platforms.meta.insights import hourly_row, metrics_row, minor_to_money, money_to_minor, unreadable
from adpilot.platforms.meta.payloads import (
    AccessToken,
    AdAccount,
    AdAccountCurrency,
    AdObject,
    AdReportRun,
    Me,
    Page,
    ReportRunCreated,
    Success,
)
from adpilot.platforms.meta.publishing import publish
from adpilot.platforms.types import (
    AdAccountRef,
    CampaignSpec,
    Credentials,
    DailyMetricsRow,
    EntityLevel,
    EntityRef,
    EntityStatus,
    HourlyMetricsRow,
    Money,
    Platform,
    PublishedIds,
    RemoteAdAccount,
    RemoteEntity,
)

log = get_logger(__name__)

_R = TypeVar("_R")
M = TypeVar("M", bound=BaseModel)

ACCOUNT_STATUS_NAMES: Mapping[int, str] = {
    1: "ACTIVE",
    2: "DISABLED",
    3: "UNSETTLED",
    7: "PENDING_RISK_REVIEW",
    8: "PENDING_SETTLEMENT",
    9: "IN_GRACE_PERIOD",
    100: "PENDING_CLOSURE",
    101: "CLOSED",
    201: "ANY_ACTIVE",
    202: "ANY_CLOSED",
}

_STATUS_FROM_META: Mapping[str, EntityStatus] = {
    "ACTIVE": EntityStatus.active,
    "PAUSED": EntityStatus.paused,
    "DELETED": EntityStatus.removed,
    "ARCHIVED": EntityStatus.removed,
}
_STATUS_TO_META: Mapping[EntityStatus, str] = {
    EntityStatus.active: "ACTIVE",
    EntityStatus.paused: "PAUSED",
    EntityStatus.removed: "DELETED",
}

# Our level -> (the Graph edge of an ad account, the insights level, the insights id field).
_EDGES: Mapping[EntityLevel, tuple[str, str, str]] = {
    EntityLevel.campaign: ("campaigns", "campaign", "campaign_id"),
    EntityLevel.ad_group: ("adsets", "adset", "adset_id"),
    EntityLevel.ad: ("ads", "ad", "ad_id"),
}
# Graph's multiple-id read takes at most 50 ids.
_MAX_IDS_PER_READ = 50
_ENTITY_FIELDS: Mapping[EntityLevel, str] = {
    EntityLevel.campaign: (
        "id,name,status,configured_status,effective_status,objective,daily_budget,lifetime_budget,buying_type,"
        "bid_strategy,special_ad_categories,start_time,stop_time,created_time,updated_time"
    ),
    EntityLevel.ad_group: (
        "id,name,campaign_id,status,configured_status,effective_status,daily_budget,lifetime_budget,"
        "optimization_goal,billing_event,bid_strategy,bid_amount,targeting,start_time,end_time,created_time,updated_time"
    ),
    EntityLevel.ad: (
        "id,name,campaign_id,adset_id,status,configured_status,effective_status,creative,created_time,updated_time"
    ),
}
_ACCOUNT_FIELDS = "id,account_id,name,currency,timezone_name,account_status"
_INSIGHTS_FIELDS = "objective,account_currency,impressions,clicks,spend,reach,inline_link_clicks,actions,action_values"
# Where a row's entity sits, per level: its id and name, then the ids of the ad set and campaign it belongs to.
_PLACEMENT_FIELDS: Mapping[EntityLevel, str] = {
    EntityLevel.campaign: "campaign_id,campaign_name",
    EntityLevel.ad_group: "adset_id,adset_name,campaign_id",
    EntityLevel.ad: "ad_id,ad_name,adset_id,campaign_id",
}
# Reach is a unique count Meta does not break down by hour.
_HOURLY_FIELDS = (
    "campaign_id,objective,account_currency,impressions,clicks,inline_link_clicks,spend,actions,action_values"
)
HOURLY_BREAKDOWN = "hourly_stats_aggregated_by_advertiser_time_zone"
# An ad account's lists and insights leave deleted and archived objects out unless filtered in by effective status:
# what they spent before they went is part of the account's history (and a status filter must be able to place them),
# so every status is asked for.
EFFECTIVE_STATUSES = (
    "ACTIVE",
    "PAUSED",
    "DELETED",
    "ARCHIVED",
    "PENDING_REVIEW",
    "DISAPPROVED",
    "PREAPPROVED",
    "PENDING_BILLING_INFO",
    "CAMPAIGN_PAUSED",
    "ADSET_PAUSED",
    "IN_PROCESS",
    "WITH_ISSUES",
)

_EVERY_EFFECTIVE_STATUS = json.dumps(EFFECTIVE_STATUSES, separators=(",", ":"))
# How far back changes can be asked for: Meta keeps an ad account's objects and numbers for 37 months.
CHANGES_HORIZON_MONTHS = 37
# Ids per ``IN`` object filter (one request each).
IDS_PER_FILTER = 100

PAGE_SIZE = 100
ENTITY_PAGE_SIZE = 200
INSIGHTS_PAGE_SIZE = 500

_JOB_COMPLETED = "Job Completed"
_JOB_GIVEN_UP = frozenset({"Job Failed", "Job Skipped"})

Sleep = Callable[[float], Awaitable[None]]


class MetaAdsAdapter:
    """Meta Marketing API (Graph) adapter; the port's docstrings say what each method promises."""

    platform: ClassVar[Platform] = Platform.meta
    supports_pkce: ClassVar[bool] = False
    statuses_per_write: ClassVar[int] = 1

    def __init__(
        self,
        config: MetaAdsConfig,
        http: PlatformHttp,
        *,
        async_after_days: int = 31,
        report_poll_delays: tuple[float, float] = (0.5, 8.0),
        report_timeout_seconds: float = 1800.0,
        report_attempts: int = 3,
        sleep: Sleep = asyncio.sleep,
        now: Callable[[], datetime] = utcnow,
    ) -> None:
        """``async_after_days``: longer date ranges use asynchronous report runs. ``report_poll_delays``: the first
        and the longest pause between polls of a run (doubling in between). A run Meta reports failed is started
        again up to ``report_attempts`` times in all."""
        self._config = config
        self._graph = MetaGraphClient(config, http)
        self._async_after_days = async_after_days
        self._first_poll_delay, self._max_poll_delay = report_poll_delays
        self._report_timeout = report_timeout_seconds
        self._report_attempts = report_attempts
        self._sleep = sleep
        self._now = now

    # -- OAuth ---------------------------------------------------------------------------------------------------

    def authorization_url(self, *, redirect_uri: str, state: str, code_challenge: str | None) -> str:
        """Meta's login dialog (no PKCE: ``code_challenge`` is not part of Meta's manual flow and is ignored)."""
        query = urlencode(
            {
                "client_id": self._config.app_id,
                "redirect_uri": redirect_uri,
                "state": state,
                "scope": ",".join(self._config.scopes),
                "response_type": "code",
            }
        )
        return f"{self._config.dialog_base_url.rstrip('/')}/{self._config.api_version}/dialog/oauth?{query}"

    async def exchange_code(self, code: str, *, redirect_uri: str, code_verifier: str | None) -> Credentials:
        """Code → short-lived token → at once a long-lived one (~60 days); the subject and the granted scopes come
        from ``/me``. A used, expired or mismatched code means the person has to go through the dialog again."""
        try:
            short = await self._token_request(
                {
                    "client_id": self._config.app_id,
                    "client_secret": self._config.app_secret,
                    "redirect_uri": redirect_uri,
                    "code": code,
                }
            )
        except PlatformRejected as exc:
            if not (exc.platform_code or "").startswith("100"):
                raise  # not about the code: the app's credentials or the request itself
            # Code 100: the code was used, expired or issued for another redirect URI.
            raise PlatformAuthError(
                f"Meta did not accept the sign-in: {exc.detail}",
                refreshable=False,
                platform_code=exc.platform_code,
                request_id=exc.request_id,
            ) from exc
        long_lived = await self._long_lived(short.access_token)
        me = self._parse(
            Me, await self._graph.get("me", token=long_lived.access_token, params={"fields": "id,name,permissions"})
        )
        granted = tuple(p.permission for p in (me.permissions.data if me.permissions else []) if p.status == "granted")
        return Credentials(
            access_token=long_lived.access_token,
            expires_at=self._expires_at(long_lived),
            scopes=granted,
            subject=me.id,
        )

    async def refresh(self, credentials: Credentials) -> Credentials:
        """Exchange the current long-lived token for a new one before it expires. Meta has no refresh token: once a
        token has expired nothing but a new sign-in helps, so that case fails at once without a request."""
        if credentials.expires_at is None:
            return credentials
        if credentials.expires_at <= self._now():
            raise PlatformAuthError("the Meta token has expired; sign in to Meta again", refreshable=False)
        renewed = await self._long_lived(credentials.access_token)
        return Credentials(
            access_token=renewed.access_token,
            expires_at=self._expires_at(renewed),
            scopes=credentials.scopes,
            subject=credentials.subject,
        )

    async def revoke(self, credentials: Credentials) -> None:
        """Remove the app's permissions for the login. A token Meta already rejects has nothing left to revoke."""
        try:
            self._parse(Success, await self._graph.delete("me/permissions", token=credentials.access_token))
        except PlatformAuthError:
            log.info("meta_revoke_token_already_invalid")

    async def _long_lived(self, token: str) -> AccessToken:
        return await self._token_request(
            {
                "grant_type": "fb_exchange_token",
                "client_id": self._config.app_id,
                "client_secret": self._config.app_secret,
                "fb_exchange_token": token,
            }
        )

    async def _token_request(self, form: Mapping[str, str]) -> AccessToken:
        # Meta documents GET with query parameters; its token endpoint takes the same parameters as a POST form,
        # which keeps the app secret and the tokens out of URLs (and so out of access logs).
        return self._parse(AccessToken, await self._graph.post("oauth/access_token", token=None, data=form))

    def _expires_at(self, token: AccessToken) -> datetime | None:
        return self._now() + timedelta(seconds=token.expires_in) if token.expires_in else None

    # -- Reads ---------------------------------------------------------------------------------------------------

    async def list_ad_accounts(self, credentials: Credentials) -> list[RemoteAdAccount]:
        accounts = []
        params = {"fields": _ACCOUNT_FIELDS, "limit": str(PAGE_SIZE)}
        async for item in self._pages("me/adaccounts", credentials, params, account_id=None):
            account = self._parse(AdAccount, item)
            accounts.append(
                RemoteAdAccount(
                    account_id=account.account_id,
                    name=account.name,
                    currency=account.currency,
                    time_zone=account.timezone_name,
                    active=account.account_status == 1,
                    platform_status=ACCOUNT_STATUS_NAMES.get(account.account_status, str(account.account_status)),
                )
            )
        return accounts

    async def list_entities(self, credentials: Credentials, account: AdAccountRef) -> list[RemoteEntity]:
        return await self._read_entities(credentials, account, since=None)

    async def list_entity_changes(
        self, credentials: Credentials, account: AdAccountRef, since: datetime
    ) -> list[RemoteEntity] | None:
        """The campaigns, ad sets and ads whose ``updated_time`` is after ``since``: the reads of ``list_entities``
        (every effective status, so deletions come back with status removed) with Meta's object filter
        ``{"field": "<campaign|adset|ad>.updated_time", "operator": "GREATER_THAN", "value": <unix seconds>}``.
        Changed ads and ad sets take their objective from a changed campaign of the same read or, when their
        campaign did not change, from one more read of just those campaigns. ``None`` (read the whole tree) when
        ``since`` is older than Meta keeps an ad account's objects and numbers (37 months)."""
        if since < _months_before(self._now(), CHANGES_HORIZON_MONTHS):
            return None
        return await self._read_entities(credentials, account, since=since)

    async def _read_entities(
        self, credentials: Credentials, account: AdAccountRef, *, since: datetime | None
    ) -> list[RemoteEntity]:
        """Every campaign, ad set and ad of the account, or (``since`` given) those changed after it."""
        currency = await self._account_currency(credentials, account)
        read: list[tuple[EntityLevel, AdObject, dict[str, Any]]] = []
        objectives: dict[str, str | None] = {}
        for level in (EntityLevel.campaign, EntityLevel.ad_group, EntityLevel.ad):
            edge = _EDGES[level][0]
            params = {
                "fields": _ENTITY_FIELDS[level],
                "effective_status": _EVERY_EFFECTIVE_STATUS,
                "limit": str(ENTITY_PAGE_SIZE),
            }
            if since is not None:
                params["filtering"] = _changed_after(level, since)
            async for item in self._pages(f"{_act(account)}/{edge}", credentials, params, account.account_id):
                obj = self._parse(AdObject, item)
                if level is EntityLevel.campaign:
                    objectives[obj.id] = obj.objective
                elif obj.campaign_id is None:
                    raise unreadable(f"{edge} item without campaign_id")
                read.append((level, obj, item))
        if since is not None:
            # A full read lists every campaign; a read of changes only the changed ones.
            unknown = {obj.campaign_id for _, obj, _ in read if obj.campaign_id and obj.campaign_id not in objectives}
            objectives.update(await self._objectives(credentials, account, sorted(unknown)))
        return [_remote_entity(level, obj, item, currency, objectives) for level, obj, item in read]

    async def _objectives(
        self, credentials: Credentials, account: AdAccountRef, campaign_ids: Sequence[str]
    ) -> dict[str, str | None]:
        """The objectives of the given campaigns (whatever their status), by id: no request when there are none."""
        objectives: dict[str, str | None] = {}
        for start in range(0, len(campaign_ids), IDS_PER_FILTER):
            rule = {
                "field": "campaign.id",
                "operator": "IN",
                "value": list(campaign_ids[start : start + IDS_PER_FILTER]),
            }
            params = {
                "fields": "id,objective",
                "effective_status": _EVERY_EFFECTIVE_STATUS,
                "filtering": json.dumps([rule], separators=(",", ":")),
                "limit": str(ENTITY_PAGE_SIZE),
            }
            async for item in self._pages(f"{_act(account)}/campaigns", credentials, params, account.account_id):
                campaign = self._parse(AdObject, item)
                objectives[campaign.id] = campaign.objective
        return objectives

    async def fetch_daily_metrics(
        self, credentials: Credentials, account: AdAccountRef, level: EntityLevel, since: date, until: date
    ) -> AsyncIterator[DailyMetricsRow]:
        if until < since:
            return
        _, insights_level, id_field = _EDGES[level]
        params = {
            "level": insights_level,
            "fields": f"{_PLACEMENT_FIELDS[level]},{_INSIGHTS_FIELDS}",
            "time_range": _time_range(since, until),
            "time_increment": "1",
            "filtering": _every_status(insights_level),
            "use_unified_attribution_setting": "true",
            "limit": str(INSIGHTS_PAGE_SIZE),
        }
        rows = self._insights(
            credentials,
            account,
            params,
            days=(until - since).days + 1,
            parse=lambda item: metrics_row(item, level, id_field),
            key=lambda row: (row.entity_platform_id, row.day),
        )
        async for row in rows:
            yield row

    async def fetch_hourly_metrics(
        self, credentials: Credentials, account: AdAccountRef, day: date
    ) -> AsyncIterator[HourlyMetricsRow]:
        """Campaign rows of one day broken down by the hour of the ad account's time zone."""
        params = {
            "level": "campaign",
            "fields": _HOURLY_FIELDS,
            "breakdowns": HOURLY_BREAKDOWN,
            "time_range": _time_range(day, day),
            "filtering": _every_status("campaign"),
            "use_unified_attribution_setting": "true",
            "limit": str(INSIGHTS_PAGE_SIZE),
        }
        rows = self._insights(
            credentials,
            account,
            params,
            days=1,
            parse=hourly_row,
            key=lambda row: (row.campaign_platform_id, row.day, row.hour),
        )
        async for row in rows:
            yield row

    async def _insights(
        self,
        credentials: Credentials,
        account: AdAccountRef,
        params: Mapping[str, str],
        *,
        days: int,
        parse: Callable[[Mapping[str, Any]], _R],
        key: Callable[[_R], Hashable],
    ) -> AsyncIterator[_R]:
        """An insights report's rows: synchronously for short ranges, else (or when Meta finds the request too heavy)
        through an asynchronous report run; rows already yielded before such a switch are not yielded twice."""
        seen: set[Hashable] = set()
        if days <= self._async_after_days:
            try:
                async for item in self._pages(f"{_act(account)}/insights", credentials, params, account.account_id):
                    row = parse(item)
                    seen.add(key(row))
                    yield row
                return
            except InsightsTooLarge:
                log.info("meta_insights_async_fallback", account_id=account.account_id, level=params.get("level"))
        run_id = await self._completed_report_run(credentials, account, params)
        page_params = {"limit": str(INSIGHTS_PAGE_SIZE)}
        async for item in self._pages(f"{run_id}/insights", credentials, page_params, account.account_id):
            row = parse(item)
            if key(row) in seen:
                continue
            seen.add(key(row))
            yield row

    async def _completed_report_run(
        self, credentials: Credentials, account: AdAccountRef, params: Mapping[str, str]
    ) -> str:
        """Start an async report run and wait until Meta has it ready; a run Meta gives up on is started again."""
        form = {key: value for key, value in params.items() if key != "limit"}
        for attempt in range(1, self._report_attempts + 1):
            answer = await self._graph.post(
                f"{_act(account)}/insights", token=credentials.access_token, data=form, account_id=account.account_id
            )
            created = self._parse(ReportRunCreated, answer)
            status = await self._wait_for_report(credentials, account, created.report_run_id)
            if status == _JOB_COMPLETED:
                return created.report_run_id
            log.info("meta_report_run_failed", account_id=account.account_id, status=status, attempt=attempt)
        raise PlatformUnavailable(f"Meta could not complete the insights report after {self._report_attempts} runs")

    async def _wait_for_report(self, credentials: Credentials, account: AdAccountRef, run_id: str) -> str:
        delay, waited = self._first_poll_delay, 0.0
        while waited < self._report_timeout:
            await self._sleep(delay)
            waited += delay
            answer = await self._graph.get(run_id, token=credentials.access_token, account_id=account.account_id)
            run = self._parse(AdReportRun, answer)
            if run.async_status == _JOB_COMPLETED or run.async_status in _JOB_GIVEN_UP:
                return run.async_status
            delay = min(delay * 2, self._max_poll_delay)
        raise PlatformUnavailable(f"Meta's insights report was not ready after {self._report_timeout:.0f} s")

    # -- Writes --------------------------------------------------------------------------------------------------

    async def set_status(
        self, credentials: Credentials, ref: EntityRef, status: EntityStatus, *, key: str | None = None
    ) -> None:
        """``status=ACTIVE|PAUSED``; removal is ``status=DELETED`` (it cannot be undone on Meta)."""
        await self._update(credentials, ref, {"status": _STATUS_TO_META[status]})

    async def set_daily_budget(
        self, credentials: Credentials, ref: EntityRef, budget: Money, *, key: str | None = None
    ) -> None:
        """``daily_budget`` in the account currency's minor units, on a campaign (campaign budget) or an ad set."""
        await self._set_money(credentials, ref, "daily_budget", budget)

    async def set_lifetime_budget(
        self, credentials: Credentials, ref: EntityRef, budget: Money, *, key: str | None = None
    ) -> None:
        """``lifetime_budget`` in minor units, on a campaign or an ad set that has one."""
        await self._set_money(credentials, ref, "lifetime_budget", budget)

    async def set_bid(self, credentials: Credentials, ref: EntityRef, bid: Money, *, key: str | None = None) -> None:
        """An ad set's ``bid_amount`` (the bid cap or cost cap of its bid strategy) in minor units."""
        if ref.level is not EntityLevel.ad_group:
            raise PlatformRejected("Meta bids are set on ad sets", field_errors={"bid_amount": "ad sets only"})
        await self._set_money(credentials, ref, "bid_amount", bid)

    async def set_target_roas(
        self, credentials: Credentials, ref: EntityRef, target: Decimal, *, key: str | None = None
    ) -> None:
        raise PlatformRejected("Meta has no target ROAS to change", field_errors={"target_roas": "not on Meta"})

    async def set_name(self, credentials: Credentials, ref: EntityRef, name: str, *, key: str | None = None) -> None:
        await self._update(credentials, ref, {"name": name})

    async def set_end_date(
        self, credentials: Credentials, ref: EntityRef, end: date, time_zone: str, *, key: str | None = None
    ) -> None:
        """An ad set's ``end_time`` or a campaign's ``stop_time``: the last second of ``end`` in the account's time
        zone, ISO 8601 with its offset."""
        field = {EntityLevel.campaign: "stop_time", EntityLevel.ad_group: "end_time"}.get(ref.level)
        if field is None:
            raise PlatformRejected("Meta ads have no end time", field_errors={"end_date": "not on ads"})
        moment = datetime.combine(end, time(23, 59, 59), tzinfo=ZoneInfo(time_zone))
        await self._update(credentials, ref, {field: moment.strftime("%Y-%m-%dT%H:%M:%S%z")})

    async def read_entity(self, credentials: Credentials, ref: EntityRef) -> RemoteEntity:
        """``GET /{id}?fields=...`` with the fields the entity reads ask for."""
        currency = await self._account_currency(credentials, ref.account)
        item = await self._graph.get(
            ref.platform_id,
            token=credentials.access_token,
            params={"fields": _ENTITY_FIELDS[ref.level]},
            account_id=ref.account.account_id,
        )
        obj = self._parse(AdObject, item)
        return _remote_entity(ref.level, obj, item, currency, {})

    async def set_statuses(
        self,
        credentials: Credentials,
        account: AdAccountRef,
        level: EntityLevel,
        statuses: Mapping[str, EntityStatus],
        *,
        key: str | None = None,
    ) -> dict[str, str]:
        """One ``POST /{id}`` per entity, each refusal answered with Graph's message (the reference documents no
        write of several objects that the emulator serves)."""
        refused: dict[str, str] = {}
        for platform_id, status in statuses.items():
            try:
                await self.set_status(credentials, EntityRef(account, level, platform_id), status, key=key)
            except PlatformRejected as refusal:
                refused[platform_id] = refusal.detail
        return refused

    async def read_entities(
        self, credentials: Credentials, account: AdAccountRef, level: EntityLevel, platform_ids: Sequence[str]
    ) -> dict[str, RemoteEntity]:
        """Graph's multiple-id read ``GET /?ids=…&fields=…``, 50 ids a request. Graph fails the whole request when
        one id does not exist (code 803, naming them): those are dropped and the rest asked again."""
        currency = await self._account_currency(credentials, account)
        found: dict[str, RemoteEntity] = {}
        wanted = list(dict.fromkeys(platform_ids))
        for start in range(0, len(wanted), _MAX_IDS_PER_READ):
            chunk = wanted[start : start + _MAX_IDS_PER_READ]
            while chunk:
                try:
                    answer = await self._graph.get(
                        "",
                        token=credentials.access_token,
                        params={"ids": ",".join(chunk), "fields": _ENTITY_FIELDS[level]},
                        account_id=account.account_id,
                    )
                except PlatformRejected as error:
                    gone = _missing_aliases(error)
                    if not gone or not gone & set(chunk):
                        raise
                    chunk = [platform_id for platform_id in chunk if platform_id not in gone]
                    continue
                if not isinstance(answer, Mapping):
                    raise unreadable("the multiple-id read did not answer an object")
                for platform_id in chunk:
                    item = answer.get(platform_id)
                    if isinstance(item, Mapping):
                        found[platform_id] = _remote_entity(level, self._parse(AdObject, item), item, currency, {})
                break
        return found

    async def _set_money(self, credentials: Credentials, ref: EntityRef, field: str, money: Money) -> None:
        if ref.level is EntityLevel.ad:
            raise PlatformRejected("Meta ads have no budget or bid of their own", field_errors={field: "not an ad"})
        minor = money_to_minor(money)
        # The offset depends on the currency, so an amount in any other currency than the account's would be off by
        # a factor of 100 (or an exchange rate): checked against the account, never assumed.
        currency = await self._account_currency(credentials, ref.account)
        if currency != money.currency:
            raise PlatformRejected(
                f"the ad account's currency is {currency}, not {money.currency}",
                field_errors={field: f"must be in {currency}"},
            )
        await self._update(credentials, ref, {field: str(minor)})

    async def publish_campaign(
        self,
        credentials: Credentials,
        account: AdAccountRef,
        spec: CampaignSpec,
        *,
        already: PublishedIds,
        resume: bool,
    ) -> PublishedIds:
        """Campaign, ad sets, then ads, one create each (``meta.publishing``)."""
        return await publish(self._graph, self.list_entities, credentials, account, spec, already, resume=resume)

    async def _update(self, credentials: Credentials, ref: EntityRef, form: Mapping[str, str]) -> None:
        result = self._parse(
            Success,
            await self._graph.post(
                ref.platform_id,
                token=credentials.access_token,
                data=form,
                account_id=ref.account.account_id,
                # Not resent after a timeout or 5xx (it may have been applied): the change job reads and decides.
                retry_unavailable=False,
            ),
        )
        if not result.success:
            raise PlatformRejected(f"Meta did not apply the change to {ref.platform_id}")

    # -- Helpers -------------------------------------------------------------------------------------------------

    async def _account_currency(self, credentials: Credentials, account: AdAccountRef) -> str:
        if account.currency:
            return account.currency
        item = await self._graph.get(
            _act(account), token=credentials.access_token, params={"fields": "currency"}, account_id=account.account_id
        )
        return self._parse(AdAccountCurrency, item).currency

    async def _pages(
        self, path: str, credentials: Credentials, params: Mapping[str, str], account_id: str | None
    ) -> AsyncIterator[dict[str, Any]]:
        """Every item of a list edge, page by page. The next request is built from ``paging.cursors.after`` rather
        than by following ``paging.next``: that URL may carry the token and points at Meta's host, not ours."""
        query = dict(params)
        while True:
            page = self._parse(
                Page, await self._graph.get(path, token=credentials.access_token, params=query, account_id=account_id)
            )
            for item in page.data:
                yield item
            cursor = page.next_cursor
            if cursor is None:
                return
            query["after"] = cursor

    @staticmethod
    def _parse(model: type[M], data: Any) -> M:
        try:
            return model.model_validate(data)
        except ValidationError as exc:
            raise unreadable(f"{model.__name__}: {exc.error_count()} invalid field(s)") from exc


def _missing_aliases(error: PlatformRejected) -> set[str]:
    """The ids a multiple-id read named as not existing (code 803, "Some of the aliases you requested do not exist:
    a,b"); empty for any other refusal."""
    if error.platform_code != "803" or ":" not in error.detail:
        return set()
    return {alias.strip() for alias in error.detail.rsplit(":", 1)[1].split(",") if alias.strip()}


def _act(account: AdAccountRef) -> str:
    return f"act_{account.account_id.removeprefix('act_')}"


def _entity_status(obj: AdObject) -> EntityStatus:
    # ``status`` is what a person set (``configured_status`` is its older name); ``effective_status`` adds delivery
    # states such as CAMPAIGN_PAUSED that belong in ``platform_status`` instead.
    # An object deleted with its campaign or ad set shows it in ``effective_status`` only.
    if obj.effective_status in ("DELETED", "ARCHIVED"):
        return EntityStatus.removed
    word = obj.status or obj.configured_status or obj.effective_status or ""
    return _STATUS_FROM_META.get(word, EntityStatus.paused)


def _remote_entity(
    level: EntityLevel, obj: AdObject, item: Mapping[str, Any], currency: str, objectives: Mapping[str, str | None]
) -> RemoteEntity:
    campaign_id = obj.id if level is EntityLevel.campaign else obj.campaign_id
    if campaign_id is None:
        raise unreadable(f"{_EDGES[level][0]} item without campaign_id")
    return RemoteEntity(
        level=level,
        platform_id=obj.id,
        name=obj.name,
        status=_entity_status(obj),
        platform_status=obj.effective_status or obj.status or "",
        campaign_platform_id=campaign_id,
        parent_platform_id={
            EntityLevel.campaign: None,
            EntityLevel.ad_group: obj.campaign_id,
            EntityLevel.ad: obj.adset_id,
        }[level],
        objective=obj.objective if level is EntityLevel.campaign else objectives.get(campaign_id),
        daily_budget=minor_to_money(obj.daily_budget, currency),
        lifetime_budget=minor_to_money(obj.lifetime_budget, currency),
        bid_strategy=obj.bid_strategy,
        bid=minor_to_money(obj.bid_amount, currency),
        start_date=_local_day(obj.start_time),
        end_date=_local_day(obj.end_time if level is EntityLevel.ad_group else obj.stop_time),
        raw=item,
    )


def _local_day(moment: str | None) -> date | None:
    """The day of a Graph timestamp, which Graph writes in the ad account's time zone (``-0700`` style offset)."""
    try:
        return date.fromisoformat(moment[:10]) if moment else None
    except ValueError:
        return None


def _changed_after(level: EntityLevel, since: datetime) -> str:
    """The object filter for "changed after ``since``". ``updated_time`` has whole seconds: the filter starts one
    second early, so a change in the very second of ``since`` is not lost (one reported twice does no harm)."""
    seconds = math.floor(since.timestamp()) - 1
    rule = {"field": f"{_EDGES[level][1]}.updated_time", "operator": "GREATER_THAN", "value": seconds}
    return json.dumps([rule], separators=(",", ":"))


def _months_before(moment: datetime, months: int) -> datetime:
    index = moment.year * 12 + moment.month - 1 - months
    year, month = divmod(index, 12)
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)


def _every_status(insights_level: str) -> str:
    rule = {"field": f"{insights_level}.effective_status", "operator": "IN", "value": list(EFFECTIVE_STATUSES)}
    return json.dumps([rule], separators=(",", ":"))


def _time_range(since: date, until: date) -> str:
    return json.dumps({"since": since.isoformat(), "until": until.isoformat()}, separators=(",", ":"))
