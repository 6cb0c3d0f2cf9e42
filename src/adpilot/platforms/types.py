"""The product's own view of an ad platform: small frozen data objects, no vendor types.

Money is integer micros (1,000,000 = one unit of the account currency) with an ISO 4217 code; stat dates are in the
ad account's time zone; timestamps are aware UTC datetimes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

MICROS = 1_000_000


class Platform(StrEnum):
    google = "google"
    meta = "meta"
    tiktok = "tiktok"


class EntityLevel(StrEnum):
    """The three levels every platform shares: Google ad groups and Meta ad sets are both ``ad_group``."""

    campaign = "campaign"
    ad_group = "ad_group"
    ad = "ad"


class EntityStatus(StrEnum):
    """The status a person set on the entity (not its delivery state, which is in ``platform_status``)."""

    active = "active"
    paused = "paused"
    removed = "removed"


@dataclass(frozen=True, slots=True)
class Money:
    amount_micros: int
    currency: str

    def __post_init__(self) -> None:
        if len(self.currency) != 3 or not self.currency.isalpha() or not self.currency.isupper():
            raise ValueError(f"not an ISO 4217 currency code: {self.currency!r}")


@dataclass(frozen=True, slots=True)
class Credentials:
    """What a platform login grants. Kept encrypted at rest; never logged (``repr`` hides the secrets)."""

    access_token: str = field(repr=False)
    refresh_token: str | None = field(default=None, repr=False)
    expires_at: datetime | None = None
    refresh_token_expires_at: datetime | None = None
    scopes: tuple[str, ...] = ()
    # The platform's id of the person or app that granted access (Google user id, Meta user id, TikTok app id).
    subject: str | None = None
    # The ad accounts the grant names, when the token response lists them (TikTok's ``advertiser_ids``): what
    # identifies a login the platform does not name. Not kept with the stored credentials.
    account_ids: tuple[str, ...] = ()

    def expires_within(self, now: datetime, seconds: float) -> bool:
        return self.expires_at is not None and (self.expires_at - now).total_seconds() <= seconds


@dataclass(frozen=True, slots=True)
class AdAccountRef:
    """Which ad account a call is about; ``login_customer_id`` is the Google manager account it is reached through.

    ``currency`` and ``time_zone`` are the account's when the caller already knows them (accounts never change
    either): the adapters then do not spend a platform call asking for them.
    """

    account_id: str
    login_customer_id: str | None = None
    currency: str | None = None
    time_zone: str | None = None


@dataclass(frozen=True, slots=True)
class RemoteAdAccount:
    account_id: str
    name: str
    currency: str
    time_zone: str
    # Whether the platform lets it serve ads (``False`` for disabled, closed or unsettled accounts).
    active: bool = True
    platform_status: str = ""
    login_customer_id: str | None = None
    is_manager: bool = False


@dataclass(frozen=True, slots=True)
class RemoteEntity:
    """A campaign, ad group/ad set or ad as the platform reports it, with its raw fields for later use."""

    level: EntityLevel
    platform_id: str
    name: str
    status: EntityStatus
    # The platform's own status words, e.g. ``ENABLED``, ``CAMPAIGN_PAUSED``, ``CAMPAIGN_STATUS_ENABLE``.
    platform_status: str
    campaign_platform_id: str
    parent_platform_id: str | None = None
    objective: str | None = None
    daily_budget: Money | None = None
    lifetime_budget: Money | None = None
    # How the platform bids for the entity, in its own words (Google ``TARGET_CPA``, ``MANUAL_CPC``; Meta
    # ``LOWEST_COST_WITH_BID_CAP``; TikTok ``BID_TYPE_CUSTOM``). A Google ad group reports its campaign's strategy,
    # which decides whether the ad group's own bid counts.
    bid_strategy: str | None = None
    # The bid or target cost the strategy takes (Google target CPA or ad group max CPC, Meta ``bid_amount``, TikTok
    # ``bid_price``/``conversion_bid_price``); None where the strategy takes none.
    bid: Money | None = None
    # Google's target ROAS as a ratio (3.5 = 350 % return on ad spend).
    target_roas: Decimal | None = None
    # The days it serves between, in the account's time zone (the platform's exact times stay in ``raw``).
    start_date: date | None = None
    end_date: date | None = None
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False)


@dataclass(frozen=True, slots=True)
class EntityRef:
    account: AdAccountRef
    level: EntityLevel
    platform_id: str


@dataclass(frozen=True, slots=True)
class DailyMetricsRow:
    """One entity's numbers for one day in the account's time zone, money in the account's currency."""

    level: EntityLevel
    entity_platform_id: str
    day: date
    impressions: int
    clicks: int
    spend_micros: int
    # Platforms report fractional conversions (Google's data-driven attribution), so not an int.
    conversions: Decimal
    conversion_value_micros: int
    currency: str
    extras: Mapping[str, Any] = field(default_factory=dict, compare=False)
    # Where the entity sits: its campaign (itself for a campaign row), its parent (the ad group of an ad, the campaign
    # of an ad group; None for a campaign) and its name as the report gives it. Reports name entities the platform
    # no longer lists, so the store can show history for removed campaigns. None when the platform did not say.
    campaign_platform_id: str | None = None
    parent_platform_id: str | None = None
    entity_name: str | None = None
    # ``clicks`` are the clicks every platform counts alike: clicks to the ad's destination (Meta's link clicks).
    # ``all_clicks`` adds the clicks a platform counts beyond those (Meta: likes, comments, profile and "see more"
    # clicks); None when the platform has no such broader count, which then equals ``clicks``.
    all_clicks: int | None = None


@dataclass(frozen=True, slots=True)
class HourlyMetricsRow:
    """One campaign's numbers for one hour (0 to 23) of one day in the account's time zone: today's pacing."""

    campaign_platform_id: str
    day: date
    hour: int
    impressions: int
    clicks: int
    spend_micros: int
    conversions: Decimal
    conversion_value_micros: int
    currency: str
    all_clicks: int | None = None  # as in DailyMetricsRow


def to_micros(amount: Decimal | str | float | int) -> int:
    """Major currency units (``"14.35"``) to integer micros, rounding half away from zero at the micro."""
    value = amount if isinstance(amount, Decimal) else Decimal(str(amount))
    return int((value * MICROS).to_integral_value(rounding="ROUND_HALF_UP"))


def from_micros(micros: int) -> Decimal:
    return Decimal(micros) / MICROS


# --- publishing a campaign -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TargetingSpec:
    """Who sees the ads: countries (ISO 3166-1 alpha-2), languages (ISO 639-1), ages, genders, placements."""

    locations: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    age_min: int | None = None
    age_max: int | None = None
    genders: tuple[str, ...] = ()  # "male" / "female"; empty: everyone
    placements: tuple[str, ...] = ()  # the platform's own placement names; empty: automatic


@dataclass(frozen=True)
class AdSpec:
    """One ad to create. ``key`` names it within the campaign ("g0.a1": the second ad of the first ad group)."""

    key: str
    name: str
    headlines: tuple[str, ...] = ()
    descriptions: tuple[str, ...] = ()
    primary_texts: tuple[str, ...] = ()
    # Already rendered with the URL template and the platform's own macros.
    final_url: str | None = None
    display_path: tuple[str, ...] = ()
    call_to_action: str | None = None
    image_urls: tuple[str, ...] = ()
    video_urls: tuple[str, ...] = ()


@dataclass(frozen=True)
class AdGroupSpec:
    """One ad group (ad set) to create, with its ads. ``key`` is "g0", "g1"…"""

    key: str
    name: str
    ads: tuple[AdSpec, ...] = ()
    daily_budget: Money | None = None
    lifetime_budget: Money | None = None
    bid_micros: int | None = None
    targeting: TargetingSpec = field(default_factory=TargetingSpec)


@dataclass(frozen=True)
class CampaignSpec:
    """A campaign to create with its ad groups and ads, in platform-neutral terms but for one platform: ``objective``
    is the platform's own value, ``options`` the draft's fields for that platform only (``platform_overrides``)."""

    name: str
    objective: str
    status: EntityStatus = EntityStatus.paused
    daily_budget: Money | None = None
    lifetime_budget: Money | None = None
    # lowest_cost | cost_cap | bid_cap | target_cpa | target_roas | manual_cpc
    bid_strategy: str = "lowest_cost"
    bid_micros: int | None = None
    target_roas: float | None = None
    start_date: date | None = None
    end_date: date | None = None
    targeting: TargetingSpec = field(default_factory=TargetingSpec)
    ad_groups: tuple[AdGroupSpec, ...] = ()
    options: Mapping[str, Any] = field(default_factory=dict)
    # A stable seed for the platform's idempotency keys (TikTok ``request_id``): the same publication, the same keys.
    idempotency_seed: str = ""

    def all_keys(self) -> list[tuple[EntityLevel, str]]:
        """Every entity of the spec in creation order: the campaign ("c"), then each ad group and its ads."""
        keys: list[tuple[EntityLevel, str]] = [(EntityLevel.campaign, CAMPAIGN_KEY)]
        for group in self.ad_groups:
            keys.append((EntityLevel.ad_group, group.key))
            keys.extend((EntityLevel.ad, ad.key) for ad in group.ads)
        return keys


CAMPAIGN_KEY = "c"


@dataclass
class PublishedIds:
    """What exists on the platform for a spec: the platform id of each key ("c" the campaign, "g0", "g0.a1"…).

    Adapters record an id here the moment the platform returns it, so after any failure the object says exactly what
    was created (and is stored by the caller)."""

    ids: dict[str, str] = field(default_factory=dict)

    def get(self, key: str) -> str | None:
        return self.ids.get(key)

    def record(self, key: str, platform_id: str) -> None:
        self.ids[key] = platform_id

    @property
    def campaign(self) -> str | None:
        return self.ids.get(CAMPAIGN_KEY)
