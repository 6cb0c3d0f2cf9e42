"""The adapter port: what the product needs from an ad platform, deliberately small."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import ClassVar, Protocol

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


class AdPlatformAdapter(Protocol):
    """One ad platform behind the product's own types and errors (``adpilot.platforms.errors``).

    Writes (``set_*``) take an optional ``key``: the caller's own id for the write (the change pipeline passes the
    change id), the same on every retry of it. A platform that deduplicates writes by a request id (TikTok's
    ``request_id``) gets one derived from it, so a retry after a lost answer is not applied twice; the others ignore
    it, and their callers read the entity before retrying instead.
    """

    platform: ClassVar[Platform]
    # Whether the authorization URL takes a PKCE challenge.
    supports_pkce: ClassVar[bool]
    # How many entities' status one write of ``set_statuses`` sets (1: one write per entity).
    statuses_per_write: ClassVar[int]

    def authorization_url(self, *, redirect_uri: str, state: str, code_challenge: str | None) -> str:
        """The consent page a person is sent to."""
        ...

    async def exchange_code(self, code: str, *, redirect_uri: str, code_verifier: str | None) -> Credentials:
        """Trade the callback's code for credentials (Meta: straight on to a long-lived token)."""
        ...

    async def refresh(self, credentials: Credentials) -> Credentials:
        """Fresh credentials before the current ones expire (Google refresh grant, Meta long-lived exchange,
        TikTok refresh-token rotation). Returns ``credentials`` unchanged when the platform's tokens do not expire."""
        ...

    async def revoke(self, credentials: Credentials) -> None:
        """Withdraw the grant at the platform, where the platform allows it."""
        ...

    async def list_ad_accounts(self, credentials: Credentials) -> list[RemoteAdAccount]:
        """Every ad account the login can reach, with its currency and time zone."""
        ...

    async def list_entities(self, credentials: Credentials, account: AdAccountRef) -> list[RemoteEntity]:
        """The account's campaigns, ad groups/ad sets and ads, removed (deleted, archived) ones included with status
        removed."""
        ...

    async def list_entity_changes(
        self, credentials: Credentials, account: AdAccountRef, since: datetime
    ) -> list[RemoteEntity] | None:
        """Entities created, changed or removed at the platform since ``since`` (removed ones with status removed, as
        ``list_entities`` reports them); None when the platform cannot tell for that span (too long ago, too many
        changes, or no such filter) and the whole tree must be read."""
        ...

    def fetch_daily_metrics(
        self, credentials: Credentials, account: AdAccountRef, level: EntityLevel, since: date, until: date
    ) -> AsyncIterator[DailyMetricsRow]:
        """Daily numbers per entity at ``level``, for ``since``..``until`` inclusive in the account's time zone."""
        ...

    def fetch_hourly_metrics(
        self, credentials: Credentials, account: AdAccountRef, day: date
    ) -> AsyncIterator[HourlyMetricsRow]:
        """Campaign-level numbers per hour of ``day`` in the account's time zone (today's pacing); hours without
        activity may be absent."""
        ...

    async def set_status(
        self, credentials: Credentials, ref: EntityRef, status: EntityStatus, *, key: str | None = None
    ) -> None:
        """Pause, enable or remove one entity."""
        ...

    async def set_statuses(
        self,
        credentials: Credentials,
        account: AdAccountRef,
        level: EntityLevel,
        statuses: Mapping[str, EntityStatus],
        *,
        key: str | None = None,
    ) -> dict[str, str]:
        """Set the status of many entities of one level (by platform id) in as few writes as the platform takes:
        TikTok's ``…/status/update/`` 1-20 ids a request, Google one ``:mutate`` of many operations with
        ``partialFailure``, Meta one write per entity. Answers the entities the platform refused, each with the
        platform's own message (Google names the failed operations); a refusal that names no entity (TikTok
        refuses a request whole) raises ``PlatformRejected``, and the caller sends the entities one by one to
        learn which. Like every write, a timeout or 5xx may follow an applied write: the caller reads first."""
        ...

    async def set_daily_budget(
        self, credentials: Credentials, ref: EntityRef, budget: Money, *, key: str | None = None
    ) -> None:
        """Change the daily budget of a campaign or ad group/ad set that has one."""
        ...

    async def read_entity(self, credentials: Credentials, ref: EntityRef) -> RemoteEntity:
        """One entity as the platform has it now, read on its own (not from the account's tree): what a change is
        checked against before it is sent and verified with after. Raises ``PlatformRejected`` when the platform
        does not have it."""
        ...

    async def read_entities(
        self, credentials: Credentials, account: AdAccountRef, level: EntityLevel, platform_ids: Sequence[str]
    ) -> dict[str, RemoteEntity]:
        """Many entities of one level of one account as the platform has them now, in as few requests as the
        platform allows (Google one GAQL ``IN`` query, Meta's multiple-id read of 50 ids, TikTok ``…/get/`` filtered
        by 100 ids): what a bulk change is checked against and verified with. By platform id; an id the platform
        does not have is absent (where ``read_entity`` raises ``PlatformRejected``)."""
        ...

    async def set_lifetime_budget(
        self, credentials: Credentials, ref: EntityRef, budget: Money, *, key: str | None = None
    ) -> None:
        """Change the lifetime (total) budget of a campaign or ad group/ad set that has one (Google: a campaign
        budget for a custom period; TikTok: ``BUDGET_MODE_TOTAL``)."""
        ...

    async def set_bid(self, credentials: Credentials, ref: EntityRef, bid: Money, *, key: str | None = None) -> None:
        """Change the bid or target cost the entity's bid strategy takes: Google a campaign's target CPA or a manual
        CPC ad group's max CPC, Meta an ad set's ``bid_amount``, TikTok an ad group's bid price."""
        ...

    async def set_target_roas(
        self, credentials: Credentials, ref: EntityRef, target: Decimal, *, key: str | None = None
    ) -> None:
        """Change a campaign's target ROAS (a ratio, 3.5 = 350 %) where its bid strategy has one."""
        ...

    async def set_name(self, credentials: Credentials, ref: EntityRef, name: str, *, key: str | None = None) -> None:
        """Rename a campaign, ad group/ad set or ad."""
        ...

    async def set_end_date(
        self, credentials: Credentials, ref: EntityRef, end: date, time_zone: str, *, key: str | None = None
    ) -> None:
        """Make the entity stop serving at the end of ``end`` in the account's time zone ``time_zone``."""
        ...

    async def publish_campaign(
        self,
        credentials: Credentials,
        account: AdAccountRef,
        spec: CampaignSpec,
        *,
        already: PublishedIds,
        resume: bool,
    ) -> PublishedIds:
        """Create ``spec``'s campaign, ad groups/ad sets and ads, and return (in ``already``) each one's id.

        Each id is recorded into ``already`` the moment the platform returns it, so whatever is raised, ``already``
        holds what exists. Only what ``already`` lacks is created, so publishing again continues where a failure
        stopped. ``resume``: an earlier attempt may have created entities it could not report (a timeout after the
        platform applied a create); each entity is then looked up by its name under its parent before it is sent
        again. Google creates everything in one atomic ``googleAds:mutate``: all or nothing.
        """
        ...
