"""Google Ads behind the product's adapter port: OAuth, the account hierarchy, GAQL reads and mutates, translated to
``adpilot.platforms.types``.

Choices worth knowing:

* Reads go through ``googleAds:searchStream``: one request per query whatever the size (``search`` pages of 10,000
  would cost one request each against the quota), parsed as a whole JSON document.
* Money: Google reports micros of the account currency (``cost_micros``, ``amount_micros``) except
  ``conversions_value``, a double in currency units, converted to micros with decimal arithmetic. The currency is read
  once per call with a ``customer`` query, so every row of a call carries the account's currency even when the
  rows themselves do not say it.
* Entity changes come from ``change_status`` (the latest change of each campaign, ad group and ad of the last 90
  days, at most 10,000 rows a query); only the entities it names are then read, with the usual entity queries.
* Ads are identified by the ad id alone (what Google's interface shows); status changes look the ad's ad group up
  first, because Google addresses an ad as ``adGroupAds/{ad_group_id}~{ad_id}``.
* A client account reached through a manager (MCC) carries the manager's id as ``login_customer_id``; Google then
  needs it in the ``login-customer-id`` header of every call about that client.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, ClassVar
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from adpilot.core.time import utcnow
from adpilot.platforms.config import GoogleAdsConfig
from adpilot.platforms.errors import PlatformAuthError, PlatformRejected
from adpilot.platforms.google.client import SCOPES, GoogleAdsClient, customer_id
from adpilot.platforms.google.entities import (
    ad_entity,
    ad_group_entity,
    ad_ids,
    campaign_entity,
    id_from,
    last_id,
    numeric_id,
)
from adpilot.platforms.google.metrics_rows import hourly_row, metrics_row
from adpilot.platforms.google.payloads import GoogleAdsError, GoogleAdsRow, TokenResponse
from adpilot.platforms.google.publishing import publish
from adpilot.platforms.http import PlatformHttp
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

_CUSTOMER_QUERY = (
    "SELECT customer.id, customer.descriptive_name, customer.currency_code, customer.time_zone, "
    "customer.manager, customer.status FROM customer"
)
# Level 0 is the manager itself, level 1 its direct clients (sub-managers are expanded in turn).
_CLIENTS_QUERY = (
    "SELECT customer_client.client_customer, customer_client.level, customer_client.manager, "
    "customer_client.descriptive_name, customer_client.currency_code, customer_client.time_zone, "
    "customer_client.id, customer_client.status FROM customer_client WHERE customer_client.level <= 1"
)
# Removed entities are listed too (Google keeps them, status REMOVED): their past numbers are in the reports, and a
# status filter must be able to place them. An ad group or ad of a removed campaign (or ad group) is removed with it,
# whatever its own status says, so the parents' statuses are read alongside.
_CAMPAIGNS_QUERY = (
    "SELECT campaign.id, campaign.name, campaign.status, campaign.advertising_channel_type, "
    "campaign.bidding_strategy_type, campaign.target_cpa.target_cpa_micros, campaign.target_roas.target_roas, "
    "campaign.start_date_time, campaign.end_date_time, campaign_budget.resource_name, campaign_budget.amount_micros, "
    "campaign_budget.total_amount_micros FROM campaign ORDER BY campaign.id"
)
# An ad group's max CPC counts only under its campaign's manual CPC bidding, so the campaign's strategy comes along.
_AD_GROUPS_QUERY = (
    "SELECT ad_group.id, ad_group.name, ad_group.status, ad_group.type, ad_group.cpc_bid_micros, campaign.id, "
    "campaign.status, campaign.bidding_strategy_type FROM ad_group ORDER BY ad_group.id"
)
# Which field of each level's query names the entity, for reading one.
_ID_FIELD = {
    EntityLevel.campaign: "campaign.id",
    EntityLevel.ad_group: "ad_group.id",
    EntityLevel.ad: "ad_group_ad.ad.id",
}
_ADS_QUERY = (
    "SELECT ad_group_ad.ad.id, ad_group_ad.ad.name, ad_group_ad.ad.type, ad_group_ad.status, ad_group.id, "
    "ad_group.status, campaign.id, campaign.status FROM ad_group_ad ORDER BY ad_group_ad.ad.id"
)
# The ``ad_group_ad`` resource names of ads (an update or removal names the ad in its ad group).
_AD_NAMES_QUERY = "SELECT ad_group_ad.ad.id, ad_group_ad.status FROM ad_group_ad ORDER BY ad_group_ad.ad.id"
# Google keeps 90 days of change_status and answers at most 10,000 rows a query (a full answer may have left changes
# out). A span that starts a little later than 90 days ago keeps clear of the edge while the request travels.
_CHANGES_KEPT = timedelta(days=90) - timedelta(minutes=5)
_CHANGES_LIMIT = 10_000
_CHANGES_QUERY = (
    "SELECT change_status.resource_name, change_status.resource_type, change_status.resource_status, "
    "change_status.last_change_date_time, change_status.campaign, change_status.ad_group, change_status.ad_group_ad "
    "FROM change_status WHERE change_status.last_change_date_time >= '{since}' "
    "AND change_status.last_change_date_time <= '{until}' ORDER BY change_status.last_change_date_time "
    "LIMIT {limit}"
)
# Ids per ``IN (...)`` of a re-read: GAQL takes long lists, but a query stays well under Google's size limit (more
# ids than this: the level is read whole, which costs the same one operation).
_IN_CHUNK = 1_000
_METRICS = (
    "segments.date, metrics.impressions, metrics.clicks, metrics.cost_micros, metrics.conversions, "
    "metrics.conversions_value"
)
# FROM resource and the fields selected with the metrics, per level: the entity's id and name and the ids of the
# campaign and ad group it sits in. Removed entities are included on purpose: their past spend is part of the
# account's history, and the report still names them.
_METRICS_SOURCE: dict[EntityLevel, tuple[str, str]] = {
    EntityLevel.campaign: ("campaign", "campaign.id, campaign.name"),
    EntityLevel.ad_group: ("ad_group", "ad_group.id, ad_group.name, campaign.id"),
    EntityLevel.ad: ("ad_group_ad", "ad_group_ad.ad.id, ad_group_ad.ad.name, ad_group.id, campaign.id"),
}
# Today's pacing: one row per campaign and hour of one day (``segments.hour`` is the hour in the account's time zone).
_HOURLY_FIELDS = f"campaign.id, {_METRICS}, segments.hour"
# The mutate service of each level, which is also the collection in its resource names.
_MUTATE_SERVICE: dict[EntityLevel, str] = {
    EntityLevel.campaign: "campaigns",
    EntityLevel.ad_group: "adGroups",
    EntityLevel.ad: "adGroupAds",
}
_STATUS_TO_GOOGLE = {EntityStatus.active: "ENABLED", EntityStatus.paused: "PAUSED"}


def _operation_index(error: GoogleAdsError) -> int | None:
    """Which operation of a partly failed mutate ``error`` is about: ``operations[i]`` of its location."""
    if error.location is None:
        return None
    return next(
        (
            element.index
            for element in error.location.field_path_elements
            if element.field_name == "operations" and element.index is not None
        ),
        None,
    )


class GoogleAdsAdapter:
    """Google Ads REST (``config.api_version``) as an ``AdPlatformAdapter``."""

    platform: ClassVar[Platform] = Platform.google
    supports_pkce: ClassVar[bool] = True
    statuses_per_write: ClassVar[int] = _IN_CHUNK

    def __init__(self, config: GoogleAdsConfig, http: PlatformHttp, *, clock: Callable[[], datetime] = utcnow) -> None:
        self._config = config
        self._client = GoogleAdsClient(config, http)
        # Token expiry is computed on this clock (the sandbox's, in tests that move time).
        self._clock = clock

    # ---- OAuth -------------------------------------------------------------------------------------------------

    def authorization_url(self, *, redirect_uri: str, state: str, code_challenge: str | None) -> str:
        """Google's consent page: offline access (a refresh token) and ``prompt=consent``, so a reconnect always
        yields a fresh refresh token even when the person granted access before."""
        params = {
            "client_id": self._config.client_id,
            "redirect_uri": redirect_uri,
            "response_type": "code",
            "scope": SCOPES,
            "access_type": "offline",
            "prompt": "consent",
            "include_granted_scopes": "true",
            "state": state,
        }
        if code_challenge is not None:
            params |= {"code_challenge": code_challenge, "code_challenge_method": "S256"}
        return f"{self._config.authorize_url}?{urlencode(params)}"

    async def exchange_code(self, code: str, *, redirect_uri: str, code_verifier: str | None) -> Credentials:
        """The authorization code grant (with the PKCE verifier when the URL carried a challenge), then who granted
        it: the Google account's id is the connection's subject, so a reconnect finds its connection."""
        form = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri}
        if code_verifier is not None:
            form["code_verifier"] = code_verifier
        credentials = self._credentials(await self._client.token(form), previous=None)
        who = await self._client.userinfo(credentials.access_token)
        return replace(credentials, subject=who.sub)

    async def refresh(self, credentials: Credentials) -> Credentials:
        """The refresh grant. Google usually returns no new refresh token: the current one is kept."""
        if not credentials.refresh_token:
            raise PlatformAuthError("no Google refresh token: connect again", refreshable=False)
        token = await self._client.token({"grant_type": "refresh_token", "refresh_token": credentials.refresh_token})
        return self._credentials(token, previous=credentials)

    async def revoke(self, credentials: Credentials) -> None:
        """Revoke the grant: the refresh token when there is one (that ends every access token too)."""
        await self._client.revoke(credentials.refresh_token or credentials.access_token)

    def _credentials(self, token: TokenResponse, *, previous: Credentials | None) -> Credentials:
        now = self._clock()
        refresh_expires: datetime | None
        if token.refresh_token_expires_in is not None:
            refresh_expires = now + timedelta(seconds=token.refresh_token_expires_in)
        elif token.refresh_token is None and previous is not None:
            refresh_expires = previous.refresh_token_expires_at
        else:
            refresh_expires = None
        return Credentials(
            access_token=token.access_token,
            refresh_token=token.refresh_token or (previous.refresh_token if previous is not None else None),
            expires_at=now + timedelta(seconds=token.expires_in) if token.expires_in is not None else None,
            refresh_token_expires_at=refresh_expires,
            scopes=tuple(token.scope.split()) if token.scope else (previous.scopes if previous is not None else ()),
            subject=previous.subject if previous is not None else None,
        )

    # ---- accounts ----------------------------------------------------------------------------------------------

    async def list_ad_accounts(self, credentials: Credentials) -> list[RemoteAdAccount]:
        """The customers the login reaches directly, then the clients below each manager among them.

        A client reachable both directly and through a manager is listed once, as directly reachable (no
        ``login-customer-id`` needed). A directly listed customer Google refuses to describe (a cancelled account
        answers ``CUSTOMER_NOT_ENABLED``) cannot be managed and is left out.
        """
        token = credentials.access_token
        accounts: dict[str, RemoteAdAccount] = {}
        managers: list[str] = []
        for cid in await self._client.list_accessible_customers(token):
            try:
                rows = await self._client.search_stream(token, AdAccountRef(cid), _CUSTOMER_QUERY)
            except PlatformRejected:
                continue
            account = _account_from_customer(cid, rows)
            if account is not None:
                accounts[cid] = account
                if account.is_manager:
                    managers.append(cid)
        for manager in managers:
            await self._add_clients(token, manager, accounts)
        return list(accounts.values())

    async def _add_clients(self, token: str, manager: str, accounts: dict[str, RemoteAdAccount]) -> None:
        # Breadth-first below one top-level manager, which stays the login customer for every level.
        pending, seen = [manager], {manager}
        while pending:
            current = pending.pop(0)
            ref = AdAccountRef(current, login_customer_id=manager)
            for row in await self._client.search_stream(token, ref, _CLIENTS_QUERY):
                client = row.customer_client
                if client is None or client.level != 1:
                    continue
                client_id = str(client.id) if client.id is not None else last_id(client.client_customer)
                if not client_id or client_id in accounts:
                    continue
                accounts[client_id] = RemoteAdAccount(
                    account_id=client_id,
                    name=client.descriptive_name or client_id,
                    currency=client.currency_code or "",
                    time_zone=client.time_zone or "",
                    active=client.status == "ENABLED",
                    platform_status=client.status or "",
                    login_customer_id=manager,
                    is_manager=bool(client.manager),
                )
                if not client.currency_code or not client.time_zone:
                    # Some answers leave these out of customer_client; the client's own customer row has them.
                    await self._describe_client(token, accounts, client_id, manager)
                if client.manager and client_id not in seen:
                    seen.add(client_id)
                    pending.append(client_id)

    async def _describe_client(
        self, token: str, accounts: dict[str, RemoteAdAccount], client_id: str, manager: str
    ) -> None:
        try:
            rows = await self._client.search_stream(
                token, AdAccountRef(client_id, login_customer_id=manager), _CUSTOMER_QUERY
            )
        except PlatformRejected:
            return  # a cancelled client cannot be described; it stays listed as Google's hierarchy shows it
        described = _account_from_customer(client_id, rows)
        if described is not None:
            listed = accounts[client_id]
            accounts[client_id] = replace(
                listed,
                name=described.name if listed.name == client_id else listed.name,
                currency=listed.currency or described.currency,
                time_zone=listed.time_zone or described.time_zone,
            )

    async def _time_zone(self, token: str, account: AdAccountRef) -> str:
        if account.time_zone:
            return account.time_zone
        rows = await self._client.search_stream(token, account, _CUSTOMER_QUERY)
        zone = next((row.customer.time_zone for row in rows if row.customer and row.customer.time_zone), None)
        if zone is None:
            raise PlatformRejected(f"Google Ads customer {account.account_id} reported no time zone")
        return zone

    async def _currency(self, token: str, account: AdAccountRef) -> str:
        if account.currency:
            return account.currency
        rows = await self._client.search_stream(token, account, _CUSTOMER_QUERY)
        currency = next(
            (row.customer.currency_code for row in rows if row.customer and row.customer.currency_code), None
        )
        if currency is None:
            raise PlatformRejected(f"Google Ads customer {account.account_id} reported no currency")
        return currency

    # ---- entities ----------------------------------------------------------------------------------------------

    async def list_entities(self, credentials: Credentials, account: AdAccountRef) -> list[RemoteEntity]:
        """Campaigns (with their budget), ad groups and ads, removed ones included, in that order."""
        token = credentials.access_token
        currency = await self._currency(token, account)
        entities = [
            campaign_entity(row, currency)
            for row in await self._client.search_stream(token, account, _CAMPAIGNS_QUERY)
            if row.campaign is not None
        ]
        entities += [
            ad_group_entity(row, currency)
            for row in await self._client.search_stream(token, account, _AD_GROUPS_QUERY)
            if row.ad_group is not None
        ]
        entities += [
            ad_entity(row)
            for row in await self._client.search_stream(token, account, _ADS_QUERY)
            if row.ad_group_ad is not None
        ]
        return entities

    async def list_entity_changes(
        self, credentials: Credentials, account: AdAccountRef, since: datetime
    ) -> list[RemoteEntity] | None:
        """The entities ``change_status`` names since ``since``, read again with the entity queries: one operation
        for ``change_status`` and at most one per level with changes (none when nothing changed), so a run costs
        1 to 4 operations where a whole read costs 3. None when ``since`` is beyond Google's 90 days or the answer
        is full (10,000 rows: there may be more)."""
        now = self._clock()
        if now - since > _CHANGES_KEPT:
            return None
        token = credentials.access_token
        zone = ZoneInfo(await self._time_zone(token, account))
        query = _CHANGES_QUERY.format(
            since=since.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S"),
            # Whole seconds, rounded up: a change earlier in the current second must not fall outside.
            until=(now + timedelta(seconds=1)).astimezone(zone).strftime("%Y-%m-%d %H:%M:%S"),
            limit=_CHANGES_LIMIT,
        )
        try:
            rows = await self._client.search_stream(token, account, query)
        except PlatformRejected:
            # Google refuses the span (START_DATE_TOO_OLD, CHANGE_DATE_RANGE_NEGATIVE): its clock and ours disagree
            # by more than the span allows. The whole tree says what changed just as well.
            return None
        if len(rows) >= _CHANGES_LIMIT:
            return None
        campaigns: set[str] = set()
        ad_groups: set[str] = set()
        ads: set[str] = set()
        removed_campaigns: set[str] = set()
        removed_ad_groups: set[str] = set()
        for row in rows:
            change = row.change_status
            if change is None:
                continue
            removed = change.resource_status == "REMOVED"
            if change.resource_type == "CAMPAIGN" and change.campaign:
                campaigns.add(last_id(change.campaign))
                if removed:
                    removed_campaigns.add(last_id(change.campaign))
            elif change.resource_type == "AD_GROUP" and change.ad_group:
                ad_groups.add(last_id(change.ad_group))
                if removed:
                    removed_ad_groups.add(last_id(change.ad_group))
            elif change.resource_type == "AD_GROUP_AD" and change.ad_group_ad:
                ads.add(last_id(change.ad_group_ad))
        if not (campaigns or ad_groups or ads):
            return []
        # What sits below a removed campaign or ad group is removed with it, though change_status names only the
        # parent: its children are read again too.
        entities: list[RemoteEntity] = []
        currency = await self._currency(token, account)
        if campaigns:
            entities += [
                campaign_entity(row, currency)
                for row in await self._rows_for(token, account, _CAMPAIGNS_QUERY, [("campaign.id", campaigns)])
                if row.campaign is not None
            ]
        group_filters = [("ad_group.id", ad_groups), ("campaign.id", removed_campaigns)]
        if ad_groups or removed_campaigns:
            entities += [
                ad_group_entity(row, currency)
                for row in await self._rows_for(token, account, _AD_GROUPS_QUERY, group_filters)
                if row.ad_group is not None
            ]
        ad_filters = [
            ("ad_group_ad.ad.id", ads),
            ("ad_group.id", removed_ad_groups),
            ("campaign.id", removed_campaigns),
        ]
        if ads or removed_ad_groups or removed_campaigns:
            entities += [
                ad_entity(row)
                for row in await self._rows_for(token, account, _ADS_QUERY, ad_filters)
                if row.ad_group_ad is not None
            ]
        return _unique(entities)

    async def _rows_for(
        self, token: str, account: AdAccountRef, query: str, filters: list[tuple[str, set[str]]]
    ) -> list[GoogleAdsRow]:
        """``query`` (one of the entity queries) narrowed to the given ids: one ``IN`` query when that is enough,
        else (several filters, or more ids than one ``IN`` list takes) the level read whole and narrowed here, so a
        level never costs more than one operation."""
        select, order = query.split(" ORDER BY ", 1)
        wanted = [(field, {numeric_id(i) for i in ids if i}) for field, ids in filters]
        wanted = [(field, ids) for field, ids in wanted if ids]
        if not wanted:
            return []
        if len(wanted) == 1 and len(wanted[0][1]) <= _IN_CHUNK:
            field, ids = wanted[0]
            narrowed = f"{select} WHERE {field} IN ({', '.join(sorted(ids, key=int))}) ORDER BY {order}"
            return await self._client.search_stream(token, account, narrowed)
        return [
            row
            for row in await self._client.search_stream(token, account, query)
            if any(_field_id(row, field) in ids for field, ids in wanted)
        ]

    async def fetch_daily_metrics(
        self, credentials: Credentials, account: AdAccountRef, level: EntityLevel, since: date, until: date
    ) -> AsyncIterator[DailyMetricsRow]:
        """One row per entity and day with activity, from one streamed GAQL report (``segments.date BETWEEN``)."""
        if since > until:
            return
        token = credentials.access_token
        currency = await self._currency(token, account)
        resource, ids = _METRICS_SOURCE[level]
        query = _gaql(
            f"{ids}, {_METRICS}",
            resource,
            where=f"segments.date BETWEEN '{since.isoformat()}' AND '{until.isoformat()}'",
            order_by="segments.date ASC",
        )
        for row in await self._client.search_stream(token, account, query):
            daily = metrics_row(row, level, currency)
            if daily is not None:
                yield daily

    async def fetch_hourly_metrics(
        self, credentials: Credentials, account: AdAccountRef, day: date
    ) -> AsyncIterator[HourlyMetricsRow]:
        """One row per campaign and hour of ``day`` with activity (``segments.hour`` with ``segments.date = day``)."""
        token = credentials.access_token
        currency = await self._currency(token, account)
        query = _gaql(
            _HOURLY_FIELDS,
            "campaign",
            where=f"segments.date = '{day.isoformat()}'",
            order_by="segments.hour ASC",
        )
        for row in await self._client.search_stream(token, account, query):
            hourly = hourly_row(row, day, currency)
            if hourly is not None:
                yield hourly

    # ---- changes -----------------------------------------------------------------------------------------------

    async def set_status(
        self, credentials: Credentials, ref: EntityRef, status: EntityStatus, *, key: str | None = None
    ) -> None:
        """Pause or enable with an ``update`` of ``status``; remove with Google's ``remove`` operation (REMOVED
        cannot be set by an update, and is final)."""
        token = credentials.access_token
        cid = customer_id(ref.account.account_id)
        entity_id = numeric_id(ref.platform_id)
        service = _MUTATE_SERVICE[ref.level]
        if ref.level is EntityLevel.ad:
            resource_names = await self._ad_resource_names(token, ref.account, entity_id)
        else:
            resource_names = [f"customers/{cid}/{service}/{entity_id}"]
        operations: list[dict[str, Any]] = []
        for name in resource_names:
            if status is EntityStatus.removed:
                operations.append({"remove": name})
            else:
                operations.append(
                    {"update": {"resourceName": name, "status": _STATUS_TO_GOOGLE[status]}, "updateMask": "status"}
                )
        await self._client.mutate(token, ref.account, service, operations)

    async def publish_campaign(
        self,
        credentials: Credentials,
        account: AdAccountRef,
        spec: CampaignSpec,
        *,
        already: PublishedIds,
        resume: bool,
    ) -> PublishedIds:
        """One atomic ``googleAds:mutate`` with temporary ids (``google.publishing``)."""
        return await publish(self._client, self.list_entities, credentials, account, spec, already, resume=resume)

    async def set_statuses(
        self,
        credentials: Credentials,
        account: AdAccountRef,
        level: EntityLevel,
        statuses: Mapping[str, EntityStatus],
        *,
        key: str | None = None,
    ) -> dict[str, str]:
        """One ``:mutate`` of the level's service with the operations ``set_status`` would send for each entity
        (ads: their ``ad_group_ad`` resource names found first, with one search), and ``partialFailure``: the
        valid operations apply, each failed one is answered with Google's message for it."""
        if not statuses:
            return {}
        token = credentials.access_token
        cid = customer_id(account.account_id)
        service = _MUTATE_SERVICE[level]
        wanted = {numeric_id(platform_id): (platform_id, status) for platform_id, status in statuses.items()}
        refused: dict[str, str] = {}
        if level is EntityLevel.ad:
            names: dict[str, list[str]] = {ad_id: [] for ad_id in wanted}
            for row in await self._rows_for(token, account, _AD_NAMES_QUERY, [(_ID_FIELD[level], set(wanted))]):
                if row.ad_group_ad is not None and row.ad_group_ad.resource_name:
                    ad_id = _field_id(row, _ID_FIELD[level])
                    if ad_id in names:
                        names[ad_id].append(row.ad_group_ad.resource_name)
            for ad_id, found in names.items():
                if not found:
                    # What ``set_status`` says of an ad it cannot find.
                    refused[wanted[ad_id][0]] = f"Google Ads ad {ad_id} not found"
        else:
            names = {entity_id: [f"customers/{cid}/{service}/{entity_id}"] for entity_id in wanted}
        operations: list[dict[str, Any]] = []
        owners: list[str] = []  # the platform id each operation is for
        for entity_id, (platform_id, status) in wanted.items():
            for name in names[entity_id]:
                owners.append(platform_id)
                if status is EntityStatus.removed:
                    operations.append({"remove": name})
                else:
                    operations.append(
                        {"update": {"resourceName": name, "status": _STATUS_TO_GOOGLE[status]}, "updateMask": "status"}
                    )
        if not operations:
            return refused
        response = await self._client.mutate(token, account, service, operations, partial_failure=True)
        failure = response.partial_failure_error
        if failure is None:
            return refused
        for error in failure.errors:
            index = _operation_index(error)
            if index is None or not 0 <= index < len(owners):
                # Not told which operation failed: refused as a whole, the caller sends one by one.
                raise PlatformRejected(error.message or failure.message)
            refused.setdefault(owners[index], error.message or failure.message)
        if not failure.errors:
            raise PlatformRejected(failure.message or f"Google Ads {service}:mutate partly failed")
        return refused

    async def _ad_resource_names(self, token: str, account: AdAccountRef, ad_id: str) -> list[str]:
        query = _gaql("ad_group_ad.ad.id, ad_group_ad.status", "ad_group_ad", where=f"ad_group_ad.ad.id = {ad_id}")
        names = [
            row.ad_group_ad.resource_name
            for row in await self._client.search_stream(token, account, query)
            if row.ad_group_ad is not None and row.ad_group_ad.resource_name
        ]
        if not names:
            raise PlatformRejected(f"Google Ads ad {ad_id} not found", field_errors={"platform_id": ad_id})
        return names

    async def set_daily_budget(
        self, credentials: Credentials, ref: EntityRef, budget: Money, *, key: str | None = None
    ) -> None:
        """Set the amount of the campaign's budget (``campaignBudgets:mutate``, ``updateMask: amountMicros``)."""
        await self._set_budget(credentials, ref, budget, "amountMicros")

    async def set_lifetime_budget(
        self, credentials: Credentials, ref: EntityRef, budget: Money, *, key: str | None = None
    ) -> None:
        """Set the total of a campaign budget for a custom period (``updateMask: totalAmountMicros``)."""
        await self._set_budget(credentials, ref, budget, "totalAmountMicros")

    async def _set_budget(self, credentials: Credentials, ref: EntityRef, budget: Money, field: str) -> None:
        """Only campaigns have budgets on Google. A budget shared with other campaigns is refused rather than changed,
        since the change would silently move the others' spending too."""
        if ref.level is not EntityLevel.campaign:
            raise PlatformRejected(
                "Google Ads budgets belong to campaigns", field_errors={"level": "only campaigns have a budget"}
            )
        token = credentials.access_token
        campaign_id = numeric_id(ref.platform_id)
        await self._check_currency(token, ref.account, budget)
        query = _gaql(
            "campaign.id, campaign_budget.resource_name, campaign_budget.amount_micros, "
            "campaign_budget.explicitly_shared",
            "campaign",
            where=f"campaign.id = {campaign_id}",
        )
        rows = await self._client.search_stream(token, ref.account, query)
        budget_row = next((row.campaign_budget for row in rows if row.campaign_budget is not None), None)
        if budget_row is None or not budget_row.resource_name:
            raise PlatformRejected(
                f"Google Ads campaign {campaign_id} not found or without a budget",
                field_errors={"platform_id": campaign_id},
            )
        if budget_row.explicitly_shared:
            raise PlatformRejected(
                "the campaign's budget is shared with other campaigns; change it in Google Ads",
                field_errors={"budget": "shared budget"},
            )
        operation = {
            "update": {"resourceName": budget_row.resource_name, field: str(budget.amount_micros)},
            "updateMask": field,
        }
        await self._client.mutate(token, ref.account, "campaignBudgets", [operation])

    async def set_bid(self, credentials: Credentials, ref: EntityRef, bid: Money, *, key: str | None = None) -> None:
        """A campaign's target CPA (``targetCpa.targetCpaMicros``) or an ad group's max CPC (``cpcBidMicros``). A
        campaign must already bid on target CPA: setting the field would otherwise switch its bidding strategy."""
        token = credentials.access_token
        await self._check_currency(token, ref.account, bid)
        if ref.level is EntityLevel.ad_group:
            await self._update(token, ref, {"cpcBidMicros": str(bid.amount_micros)}, "cpcBidMicros")
            return
        if ref.level is not EntityLevel.campaign:
            raise PlatformRejected("Google Ads ads have no bid", field_errors={"bid": "campaigns and ad groups only"})
        await self._require_strategy(token, ref, "TARGET_CPA")
        fields = {"targetCpa": {"targetCpaMicros": str(bid.amount_micros)}}
        await self._update(token, ref, fields, "targetCpa.targetCpaMicros")

    async def set_target_roas(
        self, credentials: Credentials, ref: EntityRef, target: Decimal, *, key: str | None = None
    ) -> None:
        """A TARGET_ROAS campaign's ``targetRoas.targetRoas`` (a double: 3.5 = 350 %)."""
        if ref.level is not EntityLevel.campaign:
            raise PlatformRejected("a target ROAS is set on campaigns", field_errors={"target_roas": "campaigns only"})
        token = credentials.access_token
        await self._require_strategy(token, ref, "TARGET_ROAS")
        await self._update(token, ref, {"targetRoas": {"targetRoas": float(target)}}, "targetRoas.targetRoas")

    async def set_name(self, credentials: Credentials, ref: EntityRef, name: str, *, key: str | None = None) -> None:
        """Rename a campaign or ad group (an ad's name belongs to the immutable ad)."""
        if ref.level is EntityLevel.ad:
            raise PlatformRejected("Google Ads ads cannot be renamed", field_errors={"name": "not on ads"})
        await self._update(credentials.access_token, ref, {"name": name}, "name")

    async def set_end_date(
        self, credentials: Credentials, ref: EntityRef, end: date, time_zone: str, *, key: str | None = None
    ) -> None:
        """A campaign's ``endDateTime``: the last second of ``end``, which Google reads in the account's time zone."""
        if ref.level is not EntityLevel.campaign:
            raise PlatformRejected("Google Ads end dates are on campaigns", field_errors={"end_date": "campaigns only"})
        fields = {"endDateTime": f"{end.isoformat()} 23:59:59"}
        await self._update(credentials.access_token, ref, fields, "endDateTime")

    async def read_entity(self, credentials: Credentials, ref: EntityRef) -> RemoteEntity:
        """One campaign, ad group or ad: the level's entity query with a WHERE on its id."""
        token = credentials.access_token
        currency = await self._currency(token, ref.account)
        query = {EntityLevel.campaign: _CAMPAIGNS_QUERY, EntityLevel.ad_group: _AD_GROUPS_QUERY}.get(
            ref.level, _ADS_QUERY
        )
        rows = await self._rows_for(token, ref.account, query, [(_ID_FIELD[ref.level], {ref.platform_id})])
        for row in rows:
            if ref.level is EntityLevel.campaign and row.campaign is not None:
                return campaign_entity(row, currency)
            if ref.level is EntityLevel.ad_group and row.ad_group is not None:
                return ad_group_entity(row, currency)
            if ref.level is EntityLevel.ad and row.ad_group_ad is not None:
                return ad_entity(row)
        raise PlatformRejected(
            f"Google Ads {ref.level.value} {ref.platform_id} not found", field_errors={"platform_id": ref.platform_id}
        )

    async def read_entities(
        self, credentials: Credentials, account: AdAccountRef, level: EntityLevel, platform_ids: Sequence[str]
    ) -> dict[str, RemoteEntity]:
        """The level's entity query with ``WHERE <id> IN (…)``: one search for up to 1,000 ids."""
        token = credentials.access_token
        currency = await self._currency(token, account)
        query = {EntityLevel.campaign: _CAMPAIGNS_QUERY, EntityLevel.ad_group: _AD_GROUPS_QUERY}.get(level, _ADS_QUERY)
        wanted = list(dict.fromkeys(platform_ids))
        found: dict[str, RemoteEntity] = {}
        for start in range(0, len(wanted), _IN_CHUNK):
            chunk = set(wanted[start : start + _IN_CHUNK])
            for row in await self._rows_for(token, account, query, [(_ID_FIELD[level], chunk)]):
                entity: RemoteEntity | None = None
                if level is EntityLevel.campaign and row.campaign is not None:
                    entity = campaign_entity(row, currency)
                elif level is EntityLevel.ad_group and row.ad_group is not None:
                    entity = ad_group_entity(row, currency)
                elif level is EntityLevel.ad and row.ad_group_ad is not None:
                    entity = ad_entity(row)
                if entity is not None and entity.platform_id in chunk:
                    found.setdefault(entity.platform_id, entity)
        return found

    async def _update(self, token: str, ref: EntityRef, fields: dict[str, Any], mask: str) -> None:
        cid = customer_id(ref.account.account_id)
        service = _MUTATE_SERVICE[ref.level]
        name = f"customers/{cid}/{service}/{numeric_id(ref.platform_id)}"
        operation = {"update": {"resourceName": name, **fields}, "updateMask": mask}
        await self._client.mutate(token, ref.account, service, [operation])

    async def _require_strategy(self, token: str, ref: EntityRef, strategy: str) -> None:
        campaign_id = numeric_id(ref.platform_id)
        query = _gaql("campaign.id, campaign.bidding_strategy_type", "campaign", where=f"campaign.id = {campaign_id}")
        rows = await self._client.search_stream(token, ref.account, query)
        current = next((row.campaign.bidding_strategy_type for row in rows if row.campaign is not None), None)
        if current != strategy:
            raise PlatformRejected(
                f"the campaign bids with {current or 'another strategy'}, not {strategy}",
                field_errors={"bidding_strategy_type": current or ""},
            )

    async def _check_currency(self, token: str, account: AdAccountRef, money: Money) -> None:
        currency = await self._currency(token, account)
        if money.currency != currency:
            raise PlatformRejected(
                f"the account's currency is {currency}, not {money.currency}", field_errors={"currency": currency}
            )


# ---- translation ---------------------------------------------------------------------------------------------------


def _gaql(select: str, resource: str, *, where: str | None = None, order_by: str | None = None) -> str:
    """A GAQL query. Callers interpolate nothing but fixed field names, digits (``numeric_id``) and ISO dates."""
    query = f"SELECT {select} FROM {resource}"  # noqa: S608 (GAQL, not SQL; see above)
    if where:
        query += f" WHERE {where}"
    if order_by:
        query += f" ORDER BY {order_by}"
    return query


def _field_id(row: GoogleAdsRow, field: str) -> str:
    """The id a row holds in ``field`` (``campaign.id``, ``ad_group.id`` or ``ad_group_ad.ad.id``)."""
    if field == "campaign.id":
        return id_from(row.campaign.id, row.campaign.resource_name) if row.campaign is not None else ""
    if field == "ad_group.id":
        return id_from(row.ad_group.id, row.ad_group.resource_name) if row.ad_group is not None else ""
    return ad_ids(row)[0] if row.ad_group_ad is not None else ""


def _unique(entities: list[RemoteEntity]) -> list[RemoteEntity]:
    """Each entity once (a re-read by several filters may list one twice), in the order first seen."""
    seen: dict[tuple[EntityLevel, str], RemoteEntity] = {}
    for entity in entities:
        seen.setdefault((entity.level, entity.platform_id), entity)
    return list(seen.values())


def _account_from_customer(cid: str, rows: list[GoogleAdsRow]) -> RemoteAdAccount | None:
    customer = next((row.customer for row in rows if row.customer is not None), None)
    if customer is None:
        return None
    return RemoteAdAccount(
        account_id=cid,
        name=customer.descriptive_name or cid,
        currency=customer.currency_code or "",
        time_zone=customer.time_zone or "",
        active=customer.status in (None, "ENABLED"),
        platform_status=customer.status or "",
        login_customer_id=None,
        is_manager=bool(customer.manager),
    )
