"""TikTok API for Business v1.3 behind the product's adapter port.

What is TikTok-specific and decided here:

* **Tokens.** An advertiser authorization gives a long-term access token without expiry and without a refresh token:
  ``refresh`` returns such credentials unchanged. When the token answer carries ``expires_in``/``refresh_token``
  (the rotating mode: 24 h access token, 1 year refresh token), both are kept and ``refresh`` rotates them through
  ``tt_user/oauth2/refresh_token/``: the new refresh token replaces the old one, which TikTok invalidates.
* **Money.** Budgets are JSON floats in major units of the advertiser currency, report money is decimal strings;
  both become integer micros with the currency from ``advertiser/info`` (asked once per adapter call).
* **Reports.** ``report/integrated/get/`` with ``stat_time_day`` covers at most 30 days per request: ranges are cut
  into 30-day windows, and a window TikTok still finds too large (40067) is halved until it passes. Deleted entities
  are included (``<level>_status IN ["STATUS_ALL"]``) because what they spent before deletion was spent.
  Conversions are ``conversion`` (the count of the ad group's optimization event, TikTok's "Conversions" column);
  conversion value is ``total_complete_payment_rate`` ("Total complete payment value", purchases' value), the
  value metric the basic report offers for every objective. ``"-"`` (not applicable) counts as zero. Rows name
  their entity and its campaign and ad group through attribute metrics (``campaign_name``, ``adgroup_id``...), which
  TikTok writes inside ``metrics``. Hourly pacing is one campaign report of one day with ``stat_time_hour`` (TikTok
  allows one day per request with it).
* **Entities.** ``campaign/get/``, ``adgroup/get/``, ``ad/get/`` with ``primary_status = STATUS_ALL``, every page of
  1000: deleted entities are listed too (TikTok's default, ``STATUS_NOT_DELETE``, leaves them out), so that an entity
  deleted before the first sync still has a status (removed) beside the numbers the reports keep for it.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, ClassVar
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from adpilot.core.time import utcnow
from adpilot.platforms.config import TikTokAdsConfig
from adpilot.platforms.errors import PlatformAuthError, PlatformRejected, PlatformUnavailable
from adpilot.platforms.http import PlatformHttp
from adpilot.platforms.tiktok.client import (
    CODE_TOKEN_EXPIRED,
    CODE_TOKEN_INVALID,
    QueryTooLarge,
    TikTokClient,
    request_id,
)
from adpilot.platforms.tiktok.entities import entity_of, entity_of_item, parse
from adpilot.platforms.tiktok.payloads import (
    AccessTokenData,
    Ad,
    AdGroup,
    AdvertiserInfo,
    AuthorizedAdvertiser,
    Campaign,
    ListData,
    ReportRow,
    ReportWindow,
    major_units,
    report_windows,
)
from adpilot.platforms.tiktok.publishing import publish
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
    to_micros,
)

PAGE_SIZE = 1000
# advertiser/info takes at most 100 advertiser ids per call.
ADVERTISER_INFO_BATCH = 100
# With the stat_time_day dimension a report covers at most 30 days.
MAX_REPORT_DAYS = 30

METRIC_SPEND = "spend"
METRIC_IMPRESSIONS = "impressions"
METRIC_CLICKS = "clicks"
METRIC_CONVERSIONS = "conversion"
METRIC_CONVERSION_VALUE = "total_complete_payment_rate"
REPORT_METRICS = (METRIC_SPEND, METRIC_IMPRESSIONS, METRIC_CLICKS, METRIC_CONVERSIONS, METRIC_CONVERSION_VALUE)
# Attribute metrics per level, as TikTok offers them: the entity's name and the ids of its ad group and campaign
# (a campaign row's id is its dimension).
ATTRIBUTE_METRICS: dict[EntityLevel, tuple[str, ...]] = {
    EntityLevel.campaign: ("campaign_name",),
    EntityLevel.ad_group: ("adgroup_name", "campaign_id"),
    EntityLevel.ad: ("ad_name", "adgroup_id", "campaign_id"),
}

ADVERTISER_FIELDS = ("advertiser_id", "name", "currency", "timezone", "display_timezone", "status")
EVERY_STATUS = {"primary_status": "STATUS_ALL"}
# The most ids a ``filtering`` id list of ``{level}/get/`` takes, and ``{level}/status/update/``.
_MAX_FILTER_IDS = 100
_MAX_STATUS_UPDATE_IDS = 20


@dataclass(frozen=True, slots=True)
class _Level:
    """How one of our entity levels is named on TikTok."""

    noun: str  # campaign | adgroup | ad
    data_level: str

    @property
    def id_field(self) -> str:
        return f"{self.noun}_id"

    @property
    def ids_field(self) -> str:
        return f"{self.noun}_ids"


LEVELS: dict[EntityLevel, _Level] = {
    EntityLevel.campaign: _Level("campaign", "AUCTION_CAMPAIGN"),
    EntityLevel.ad_group: _Level("adgroup", "AUCTION_ADGROUP"),
    EntityLevel.ad: _Level("ad", "AUCTION_AD"),
}
OPERATION_STATUS = {EntityStatus.active: "ENABLE", EntityStatus.paused: "DISABLE", EntityStatus.removed: "DELETE"}


class TikTokAdsAdapter:
    """The product's port onto TikTok API for Business v1.3 (``api_base_url`` may point at the sandbox)."""

    platform: ClassVar[Platform] = Platform.tiktok
    # TikTok's advertiser authorization takes no PKCE challenge.
    supports_pkce: ClassVar[bool] = False
    statuses_per_write: ClassVar[int] = _MAX_STATUS_UPDATE_IDS

    def __init__(
        self,
        config: TikTokAdsConfig,
        http: PlatformHttp,
        *,
        now: Callable[[], datetime] = utcnow,
        max_report_days: int = MAX_REPORT_DAYS,
    ) -> None:
        self._config = config
        self._client = TikTokClient(config, http)
        self._now = now
        self._max_report_days = max_report_days

    # --- authorization -------------------------------------------------------------------------------------------

    def authorization_url(self, *, redirect_uri: str, state: str, code_challenge: str | None) -> str:
        """TikTok's advertiser consent page; ``code_challenge`` is not sent (no PKCE, see ``supports_pkce``)."""
        query = urlencode({"app_id": self._config.app_id, "state": state, "redirect_uri": redirect_uri})
        separator = "&" if "?" in self._config.authorize_url else "?"
        return f"{self._config.authorize_url}{separator}{query}"

    async def exchange_code(self, code: str, *, redirect_uri: str, code_verifier: str | None) -> Credentials:
        """Trade the callback's ``auth_code`` (single use, valid one hour) for the advertiser token.

        TikTok's exchange takes neither the redirect URI nor a verifier: the app secret authenticates it.
        """
        data = await self._client.post(
            "oauth2/access_token/",
            {"app_id": self._config.app_id, "secret": self._config.app_secret, "auth_code": code},
            credentials=None,
        )
        return self._credentials(parse(AccessTokenData, data, "the token answer"), previous=None)

    async def refresh(self, credentials: Credentials) -> Credentials:
        """Long-term tokens do not expire: returned unchanged. Rotating tokens: a new access token and a new refresh
        token (the old refresh token stops working, so the caller must store the result before anything else)."""
        if credentials.refresh_token is None:
            return credentials
        data = await self._client.post(
            "tt_user/oauth2/refresh_token/",
            {
                "client_id": self._config.app_id,
                "client_secret": self._config.app_secret,
                "grant_type": "refresh_token",
                "refresh_token": credentials.refresh_token,
            },
            credentials=None,
        )
        return self._credentials(parse(AccessTokenData, data, "the refresh answer"), previous=credentials)

    async def revoke(self, credentials: Credentials) -> None:
        """Withdraw the token at TikTok; a token TikTok already considers invalid or expired counts as withdrawn."""
        try:
            await self._client.post(
                "oauth2/revoke_token/",
                {
                    "app_id": self._config.app_id,
                    "secret": self._config.app_secret,
                    "access_token": credentials.access_token,
                },
                credentials=credentials,
            )
        except PlatformAuthError as exc:
            if exc.platform_code not in (str(CODE_TOKEN_INVALID), str(CODE_TOKEN_EXPIRED)):
                raise

    def _credentials(self, token: AccessTokenData, *, previous: Credentials | None) -> Credentials:
        now = self._now()
        refresh_token = token.refresh_token or (previous.refresh_token if previous else None)
        refresh_expires_at: datetime | None
        if token.refresh_token_expires_in is not None:
            refresh_expires_at = now + timedelta(seconds=token.refresh_token_expires_in)
        else:
            refresh_expires_at = previous.refresh_token_expires_at if previous else None
        scopes = token.scope_list() or (previous.scopes if previous else ())
        return Credentials(
            access_token=token.access_token,
            refresh_token=refresh_token,
            # No expires_in: the long-term advertiser token, which never expires.
            expires_at=now + timedelta(seconds=token.expires_in) if token.expires_in else None,
            refresh_token_expires_at=refresh_expires_at if refresh_token else None,
            scopes=scopes,
            # The TikTok account's id in the rotating mode. Advertiser tokens name no person: none, so that the
            # connection is told apart by the advertisers it reaches (two logins of one app are two connections).
            subject=token.open_id or (previous.subject if previous else None),
            account_ids=tuple(dict.fromkeys(token.advertiser_ids)),
        )

    # --- reads ---------------------------------------------------------------------------------------------------

    async def list_ad_accounts(self, credentials: Credentials) -> list[RemoteAdAccount]:
        """The advertisers that authorized the app for this token, with currency and time zone."""
        data = await self._client.get(
            "oauth2/advertiser/get/",
            {"app_id": self._config.app_id, "secret": self._config.app_secret},
            credentials=credentials,
        )
        authorized = [parse(AuthorizedAdvertiser, item, "an advertiser") for item in _items(data)]
        names = {advertiser.advertiser_id: advertiser.advertiser_name for advertiser in authorized}
        ids = list(dict.fromkeys(advertiser.advertiser_id for advertiser in authorized))
        accounts: list[RemoteAdAccount] = []
        for start in range(0, len(ids), ADVERTISER_INFO_BATCH):
            for info in await self._advertiser_info(credentials, ids[start : start + ADVERTISER_INFO_BATCH]):
                accounts.append(_ad_account(info, names.get(info.advertiser_id)))
        return accounts

    async def _advertiser_info(self, credentials: Credentials, ids: Sequence[str]) -> list[AdvertiserInfo]:
        data = await self._client.get(
            "advertiser/info/",
            {"advertiser_ids": list(ids), "fields": list(ADVERTISER_FIELDS)},
            advertiser_id=ids[0] if len(ids) == 1 else None,
            credentials=credentials,
        )
        return [parse(AdvertiserInfo, item, "an advertiser") for item in _items(data)]

    async def _currency(self, credentials: Credentials, advertiser_id: str, known: str | None = None) -> str:
        """The advertiser's currency (asked once per adapter call unless the caller knows it: budgets and reports
        are in it)."""
        if known:
            return known
        for info in await self._advertiser_info(credentials, [advertiser_id]):
            if info.advertiser_id == advertiser_id:
                return _currency_of(info)
        raise PlatformRejected(
            f"TikTok advertiser {advertiser_id} is not visible to this token", platform_code="advertiser_not_found"
        )

    async def list_entity_changes(
        self, credentials: Credentials, account: AdAccountRef, since: datetime
    ) -> list[RemoteEntity] | None:
        """Always None: the tree is read whole. TikTok's ``campaign/get``, ``adgroup/get`` and ``ad/get`` (v1.3)
        filter by creation time only (``creation_filter_start_time``); there is no modification-time filter, so a
        change to an existing entity can only be seen by reading it. TikTok's quota is a per-second rate (QPS), not a
        daily count of operations, so a whole read costs no daily budget."""
        return None

    async def list_entities(self, credentials: Credentials, account: AdAccountRef) -> list[RemoteEntity]:
        """Campaigns, ad groups and ads of the advertiser, deleted ones included."""
        advertiser_id = account.account_id
        currency = await self._currency(credentials, advertiser_id, account.currency)
        campaigns = [
            parse(Campaign, item, "a campaign")
            for item in await self._all_pages(credentials, "campaign/get/", advertiser_id)
        ]
        adgroups = [
            parse(AdGroup, item, "an ad group")
            for item in await self._all_pages(credentials, "adgroup/get/", advertiser_id)
        ]
        ads = [parse(Ad, item, "an ad") for item in await self._all_pages(credentials, "ad/get/", advertiser_id)]
        objectives = {campaign.campaign_id: campaign.objective_type for campaign in campaigns}
        entities: list[RemoteEntity] = []
        for campaign in campaigns:
            entities.append(
                entity_of(
                    campaign,
                    EntityLevel.campaign,
                    campaign.campaign_id,
                    campaign.campaign_name,
                    None,
                    campaign.objective_type,
                    currency,
                )
            )
        for adgroup in adgroups:
            entities.append(
                entity_of(
                    adgroup,
                    EntityLevel.ad_group,
                    adgroup.adgroup_id,
                    adgroup.adgroup_name,
                    adgroup.campaign_id,
                    objectives.get(adgroup.campaign_id),
                    currency,
                )
            )
        for ad in ads:
            entities.append(
                entity_of(
                    ad, EntityLevel.ad, ad.ad_id, ad.ad_name, ad.adgroup_id, objectives.get(ad.campaign_id), currency
                )
            )
        return entities

    async def _all_pages(self, credentials: Credentials, path: str, advertiser_id: str) -> list[dict[str, Any]]:
        """Every item of a paginated list, each once even if the list shifts between pages."""
        id_field = path.split("/", 1)[0] + "_id"
        items: dict[str, dict[str, Any]] = {}
        page = 1
        while True:
            data = await self._client.get(
                path,
                {"advertiser_id": advertiser_id, "filtering": EVERY_STATUS, "page": page, "page_size": PAGE_SIZE},
                advertiser_id=advertiser_id,
                credentials=credentials,
            )
            listing = parse(ListData, data, f"the {path} page")
            for item in listing.items:
                items.setdefault(str(item.get(id_field)), item)
            total_pages = listing.page_info.total_page if listing.page_info else 1
            if not listing.items or page >= total_pages:
                return list(items.values())
            page += 1

    async def fetch_daily_metrics(
        self, credentials: Credentials, account: AdAccountRef, level: EntityLevel, since: date, until: date
    ) -> AsyncIterator[DailyMetricsRow]:
        """Daily rows per entity from ``report/integrated/get/``, in windows TikTok accepts, each row once."""
        if until < since:
            return
        currency = await self._currency(credentials, account.account_id, account.currency)

        async def collect(window: ReportWindow) -> list[DailyMetricsRow]:
            return [row async for row in self._report_window(credentials, account.account_id, level, currency, window)]

        # The windows are independent requests: asked for at once, they keep the rate limiter's slots busy instead of
        # waiting on each answer in turn (the limiter, not this loop, decides how fast they go out).
        try:
            async with asyncio.TaskGroup() as group:
                tasks = [group.create_task(collect(w)) for w in report_windows(since, until, self._max_report_days)]
        except BaseExceptionGroup as failed:
            raise failed.exceptions[0] from None
        for task in tasks:
            for row in task.result():
                yield row

    async def _report_window(
        self, credentials: Credentials, advertiser_id: str, level: EntityLevel, currency: str, window: ReportWindow
    ) -> AsyncIterator[DailyMetricsRow]:
        """One window, halved for as long as TikTok answers 40067; rows already yielded are not yielded again."""
        seen: set[tuple[str, date]] = set()
        pending = [window]
        while pending:
            current = pending.pop(0)
            try:
                async for row in self._report_pages(credentials, advertiser_id, level, currency, current):
                    key = (row.entity_platform_id, row.day)
                    if key not in seen:
                        seen.add(key)
                        yield row
            except QueryTooLarge as exc:
                if current.days == 1:
                    # Narrower is impossible: TikTok may accept it later (Airbyte treats this as transient too).
                    raise PlatformUnavailable(
                        f"TikTok finds the report of {advertiser_id} for {current.start} too large even for one day",
                        platform_code=exc.platform_code,
                        request_id=exc.request_id,
                    ) from exc
                pending[:0] = current.halves()

    async def _report_pages(
        self, credentials: Credentials, advertiser_id: str, level: EntityLevel, currency: str, window: ReportWindow
    ) -> AsyncIterator[DailyMetricsRow]:
        tiktok = LEVELS[level]
        page = 1
        while True:
            data = await self._client.get(
                "report/integrated/get/",
                {
                    "advertiser_id": advertiser_id,
                    "service_type": "AUCTION",
                    "report_type": "BASIC",
                    "data_level": tiktok.data_level,
                    "dimensions": [tiktok.id_field, "stat_time_day"],
                    "metrics": [*REPORT_METRICS, *ATTRIBUTE_METRICS[level]],
                    "start_date": window.start.isoformat(),
                    "end_date": window.end.isoformat(),
                    "filtering": _every_status(tiktok),
                    "page": page,
                    "page_size": PAGE_SIZE,
                },
                advertiser_id=advertiser_id,
                credentials=credentials,
            )
            listing = parse(ListData, data, "the report page")
            for item in listing.items:
                yield _metrics_row(parse(ReportRow, item, "a report row"), level, tiktok, currency)
            total_pages = listing.page_info.total_page if listing.page_info else 1
            if not listing.items or page >= total_pages:
                return
            page += 1

    async def fetch_hourly_metrics(
        self, credentials: Credentials, account: AdAccountRef, day: date
    ) -> AsyncIterator[HourlyMetricsRow]:
        """Campaign rows per hour of ``day`` from one ``stat_time_hour`` report (deleted campaigns included)."""
        advertiser_id = account.account_id
        currency = await self._currency(credentials, advertiser_id, account.currency)
        tiktok = LEVELS[EntityLevel.campaign]
        page = 1
        while True:
            try:
                data = await self._client.get(
                    "report/integrated/get/",
                    {
                        "advertiser_id": advertiser_id,
                        "service_type": "AUCTION",
                        "report_type": "BASIC",
                        "data_level": tiktok.data_level,
                        "dimensions": [tiktok.id_field, "stat_time_hour"],
                        "metrics": list(REPORT_METRICS),
                        "start_date": day.isoformat(),
                        "end_date": day.isoformat(),
                        "filtering": _every_status(tiktok),
                        "page": page,
                        "page_size": PAGE_SIZE,
                    },
                    advertiser_id=advertiser_id,
                    credentials=credentials,
                )
            except QueryTooLarge as exc:
                raise PlatformUnavailable(
                    f"TikTok finds the hourly report of {advertiser_id} for {day} too large",
                    platform_code=exc.platform_code,
                    request_id=exc.request_id,
                ) from exc
            listing = parse(ListData, data, "the report page")
            for item in listing.items:
                yield _hourly_row(parse(ReportRow, item, "a report row"), currency)
            total_pages = listing.page_info.total_page if listing.page_info else 1
            if not listing.items or page >= total_pages:
                return
            page += 1

    # --- writes --------------------------------------------------------------------------------------------------

    async def set_status(
        self, credentials: Credentials, ref: EntityRef, status: EntityStatus, *, key: str | None = None
    ) -> None:
        """ENABLE, DISABLE or DELETE one entity (TikTok never undoes DELETE)."""
        tiktok = LEVELS[ref.level]
        path = f"{tiktok.noun}/status/update/"
        body: dict[str, Any] = {
            "advertiser_id": ref.account.account_id,
            tiktok.ids_field: [ref.platform_id],
            "operation_status": OPERATION_STATUS[status],
        }
        if key is not None:
            body["request_id"] = request_id(path, key)
        # It may have been applied: the change job reads before sending again.
        await self._client.post(
            path, body, advertiser_id=ref.account.account_id, credentials=credentials, retry_unavailable=False
        )

    async def set_statuses(
        self,
        credentials: Credentials,
        account: AdAccountRef,
        level: EntityLevel,
        statuses: Mapping[str, EntityStatus],
        *,
        key: str | None = None,
    ) -> dict[str, str]:
        """``{level}/status/update/`` with up to 20 ids of the same status a request; ``request_id`` from ``key``
        and the request's ids. TikTok validates every id before changing any and refuses the request whole, so a
        refusal is raised (nothing refused is answered otherwise)."""
        tiktok = LEVELS[level]
        path = f"{tiktok.noun}/status/update/"
        by_status: dict[EntityStatus, list[str]] = {}
        for platform_id, status in statuses.items():
            by_status.setdefault(status, []).append(platform_id)
        for status, ids in by_status.items():
            for start in range(0, len(ids), _MAX_STATUS_UPDATE_IDS):
                chunk = ids[start : start + _MAX_STATUS_UPDATE_IDS]
                body: dict[str, Any] = {
                    "advertiser_id": account.account_id,
                    tiktok.ids_field: chunk,
                    "operation_status": OPERATION_STATUS[status],
                }
                if key is not None:
                    body["request_id"] = request_id(path, f"{key}:{','.join(chunk)}")
                # It may have been applied: the caller reads before sending again.
                await self._client.post(
                    path, body, advertiser_id=account.account_id, credentials=credentials, retry_unavailable=False
                )
        return {}

    async def publish_campaign(
        self,
        credentials: Credentials,
        account: AdAccountRef,
        spec: CampaignSpec,
        *,
        already: PublishedIds,
        resume: bool,
    ) -> PublishedIds:
        """Campaign, ad groups, then ads (``tiktok.publishing``), creates idempotent on ``request_id``."""
        return await publish(self._client, self.list_entities, credentials, account, spec, already, resume=resume)

    async def set_daily_budget(
        self, credentials: Credentials, ref: EntityRef, budget: Money, *, key: str | None = None
    ) -> None:
        """Set the budget of a campaign or ad group whose budget mode is daily (TikTok rejects the others)."""
        await self._set_budget(credentials, ref, budget, key)

    async def set_lifetime_budget(
        self, credentials: Credentials, ref: EntityRef, budget: Money, *, key: str | None = None
    ) -> None:
        """Set the budget of a campaign or ad group whose budget mode is ``BUDGET_MODE_TOTAL``: the same ``budget``
        field, which TikTok reads by the mode (the mode itself cannot change)."""
        await self._set_budget(credentials, ref, budget, key)

    async def _set_budget(self, credentials: Credentials, ref: EntityRef, budget: Money, key: str | None) -> None:
        if ref.level is EntityLevel.ad:
            raise PlatformRejected("TikTok ads have no budget", field_errors={"budget": "ads have no budget"})
        if budget.amount_micros <= 0:
            raise PlatformRejected("A budget must be positive", field_errors={"budget": "must be positive"})
        await self._check_currency(credentials, ref, budget, "budget")
        await self._update(credentials, ref, {"budget": major_units(budget)}, key)

    async def set_bid(self, credentials: Credentials, ref: EntityRef, bid: Money, *, key: str | None = None) -> None:
        """Set an ad group's ``bid_price`` (``conversion_bid_price`` when it is billed by OCPM); TikTok takes one
        only with ``bid_type`` BID_TYPE_CUSTOM."""
        if ref.level is not EntityLevel.ad_group:
            raise PlatformRejected("TikTok bids are set on ad groups", field_errors={"bid": "ad groups only"})
        await self._check_currency(credentials, ref, bid, "bid")
        group = parse(AdGroup, await self._item(credentials, ref), "an ad group")
        await self._update(credentials, ref, {group.bid_field: major_units(bid)}, key)

    async def set_target_roas(
        self, credentials: Credentials, ref: EntityRef, target: Decimal, *, key: str | None = None
    ) -> None:
        raise PlatformRejected("TikTok has no target ROAS to change", field_errors={"target_roas": "not on TikTok"})

    async def set_name(self, credentials: Credentials, ref: EntityRef, name: str, *, key: str | None = None) -> None:
        """``campaign_name`` or ``adgroup_name`` (TikTok renames an ad only with its creative, on ``ad/update/``)."""
        if ref.level is EntityLevel.ad:
            raise PlatformRejected("TikTok ads are renamed with their creative", field_errors={"name": "not on ads"})
        await self._update(credentials, ref, {f"{LEVELS[ref.level].noun}_name": name}, key)

    async def set_end_date(
        self, credentials: Credentials, ref: EntityRef, end: date, time_zone: str, *, key: str | None = None
    ) -> None:
        """An ad group's ``schedule_end_time`` (the end of ``end`` in the advertiser's time zone), which TikTok
        takes with ``schedule_type`` SCHEDULE_START_END and a start: the ad group's own, else now."""
        if ref.level is not EntityLevel.ad_group:
            raise PlatformRejected("TikTok keeps end dates on ad groups", field_errors={"end_date": "ad groups only"})
        group = parse(AdGroup, await self._item(credentials, ref), "an ad group")
        start = group.schedule_start_time or utcnow().astimezone(ZoneInfo(time_zone)).strftime("%Y-%m-%d %H:%M:%S")
        fields = {
            "schedule_type": "SCHEDULE_START_END",
            "schedule_start_time": start,
            "schedule_end_time": f"{end.isoformat()} 23:59:59",
        }
        await self._update(credentials, ref, fields, key)

    async def read_entity(self, credentials: Credentials, ref: EntityRef) -> RemoteEntity:
        """One campaign, ad group or ad from ``{level}/get/`` filtered by its id (deleted ones included)."""
        found = await self.read_entities(credentials, ref.account, ref.level, [ref.platform_id])
        if ref.platform_id not in found:
            noun = LEVELS[ref.level].noun
            raise PlatformRejected(
                f"TikTok has no {noun} {ref.platform_id}", field_errors={"platform_id": ref.platform_id}
            )
        return found[ref.platform_id]

    async def _item(self, credentials: Credentials, ref: EntityRef) -> dict[str, Any]:
        tiktok = LEVELS[ref.level]
        advertiser_id = ref.account.account_id
        filtering = {**EVERY_STATUS, tiktok.ids_field: [ref.platform_id]}
        data = await self._client.get(
            f"{tiktok.noun}/get/",
            {"advertiser_id": advertiser_id, "filtering": filtering, "page": 1, "page_size": 10},
            advertiser_id=advertiser_id,
            credentials=credentials,
        )
        for item in parse(ListData, data, f"the {tiktok.noun}/get/ page").items:
            if str(item.get(tiktok.id_field)) == ref.platform_id:
                return item
        raise PlatformRejected(
            f"TikTok has no {tiktok.noun} {ref.platform_id}", field_errors={"platform_id": ref.platform_id}
        )

    async def read_entities(
        self, credentials: Credentials, account: AdAccountRef, level: EntityLevel, platform_ids: Sequence[str]
    ) -> dict[str, RemoteEntity]:
        """``{level}/get/`` filtered by 100 ids a request (deleted ones included)."""
        currency = await self._currency(credentials, account.account_id, account.currency)
        tiktok = LEVELS[level]
        advertiser_id = account.account_id
        wanted = list(dict.fromkeys(platform_ids))
        found: dict[str, RemoteEntity] = {}
        for start in range(0, len(wanted), _MAX_FILTER_IDS):
            chunk = wanted[start : start + _MAX_FILTER_IDS]
            filtering = {**EVERY_STATUS, tiktok.ids_field: chunk}
            data = await self._client.get(
                f"{tiktok.noun}/get/",
                {"advertiser_id": advertiser_id, "filtering": filtering, "page": 1, "page_size": len(chunk)},
                advertiser_id=advertiser_id,
                credentials=credentials,
            )
            for item in parse(ListData, data, f"the {tiktok.noun}/get/ page").items:
                platform_id = str(item.get(tiktok.id_field))
                if platform_id in chunk:
                    found[platform_id] = entity_of_item(item, level, platform_id, currency)
        return found

    async def _check_currency(self, credentials: Credentials, ref: EntityRef, money: Money, field: str) -> None:
        currency = await self._currency(credentials, ref.account.account_id, ref.account.currency)
        if money.currency != currency:
            raise PlatformRejected(
                f"The advertiser's currency is {currency}, not {money.currency}",
                field_errors={field: f"must be in {currency}"},
            )

    async def _update(self, credentials: Credentials, ref: EntityRef, fields: dict[str, Any], key: str | None) -> None:
        """``{level}/update/`` of one campaign or ad group with ``fields``; ``request_id`` from ``key``."""
        tiktok = LEVELS[ref.level]
        path = f"{tiktok.noun}/update/"
        body = {"advertiser_id": ref.account.account_id, tiktok.id_field: ref.platform_id, **fields}
        if key is not None:
            body["request_id"] = request_id(path, key)
        # It may have been applied: the change job reads before sending again.
        await self._client.post(
            path, body, advertiser_id=ref.account.account_id, credentials=credentials, retry_unavailable=False
        )


def _items(data: dict[str, Any]) -> list[dict[str, Any]]:
    return parse(ListData, data, "the list").items


def _currency_of(info: AdvertiserInfo) -> str:
    currency = (info.currency or "").strip().upper()
    if len(currency) != 3 or not currency.isalpha():
        # Without its currency no amount of the account can be stored correctly: refuse rather than guess.
        raise PlatformUnavailable(f"TikTok advertiser {info.advertiser_id} has no valid currency ({info.currency!r})")
    return currency


def _ad_account(info: AdvertiserInfo, authorized_name: str | None) -> RemoteAdAccount:
    currency = _currency_of(info)
    time_zone = info.timezone or info.display_timezone
    if not time_zone:
        raise PlatformUnavailable(f"TikTok advertiser {info.advertiser_id} has no time zone")
    status = info.status or ""
    return RemoteAdAccount(
        account_id=info.advertiser_id,
        name=info.name or authorized_name or info.advertiser_id,
        currency=currency,
        time_zone=time_zone,
        active=status in ("", "STATUS_ENABLE"),
        platform_status=status,
    )


def _every_status(tiktok: _Level) -> list[dict[str, str]]:
    # Without a status filter TikTok leaves deleted entities out of a report.
    return [{"field_name": f"{tiktok.noun}_status", "filter_type": "IN", "filter_value": '["STATUS_ALL"]'}]


def _attribute(row: ReportRow, name: str) -> str | None:
    """An attribute metric (``campaign_name``, ``adgroup_id``...); ``"-"`` (not applicable) and blanks are None."""
    value = row.metrics.get(name)
    if value is None or isinstance(value, bool | dict | list):
        return None
    text = str(value).strip()
    return None if text in ("", "-") else text


def _metrics_row(row: ReportRow, level: EntityLevel, tiktok: _Level, currency: str) -> DailyMetricsRow:
    entity_id = row.dimension(tiktok.id_field)
    stat_time = row.dimension("stat_time_day")
    if not entity_id or not stat_time:
        raise PlatformUnavailable(f"TikTok sent a report row without {tiktok.id_field} or stat_time_day")
    campaign_id: str | None
    parent_id: str | None
    if level is EntityLevel.campaign:
        campaign_id, parent_id = entity_id, None
    else:
        campaign_id = _attribute(row, "campaign_id")
        parent_id = campaign_id if level is EntityLevel.ad_group else _attribute(row, "adgroup_id")
    try:
        # "2024-09-03 00:00:00": the day in the advertiser's time zone.
        day = date.fromisoformat(stat_time.strip()[:10])
        return DailyMetricsRow(
            level=level,
            entity_platform_id=entity_id,
            day=day,
            impressions=int(row.decimal(METRIC_IMPRESSIONS)),
            clicks=int(row.decimal(METRIC_CLICKS)),
            spend_micros=to_micros(row.decimal(METRIC_SPEND)),
            conversions=row.decimal(METRIC_CONVERSIONS),
            conversion_value_micros=to_micros(row.decimal(METRIC_CONVERSION_VALUE)),
            currency=currency,
            campaign_platform_id=campaign_id,
            parent_platform_id=parent_id,
            entity_name=_attribute(row, f"{tiktok.noun}_name"),
        )
    except ValueError as exc:
        raise PlatformUnavailable(f"TikTok sent an unreadable report row: {exc}") from None


def _hourly_row(row: ReportRow, currency: str) -> HourlyMetricsRow:
    campaign_id = row.dimension("campaign_id")
    stat_time = (row.dimension("stat_time_hour") or "").strip()
    if not campaign_id or not stat_time:
        raise PlatformUnavailable("TikTok sent an hourly report row without campaign_id or stat_time_hour")
    try:
        # "2024-09-03 13:00:00": the hour in the advertiser's time zone.
        moment = datetime.fromisoformat(stat_time)
        return HourlyMetricsRow(
            campaign_platform_id=campaign_id,
            day=moment.date(),
            hour=moment.hour,
            impressions=int(row.decimal(METRIC_IMPRESSIONS)),
            clicks=int(row.decimal(METRIC_CLICKS)),
            spend_micros=to_micros(row.decimal(METRIC_SPEND)),
            conversions=row.decimal(METRIC_CONVERSIONS),
            conversion_value_micros=to_micros(row.decimal(METRIC_CONVERSION_VALUE)),
            currency=currency,
        )
    except ValueError as exc:
        raise PlatformUnavailable(f"TikTok sent an unreadable hourly report row: {exc}") from None
