"""The engine's public records: accounts, logins, entities, their changes and metrics, and an entity's traits.

Money is whole minor units of the account currency (cents, or yen for JPY) expressed in micros.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from adpilot.platforms.types import EntityLevel, EntityStatus, Platform

MICROS = 1_000_000
# ISO 4217 currencies without a minor unit in ad platforms' reports and budgets.
ZERO_DECIMAL_CURRENCIES = frozenset({"JPY", "KRW", "CLP", "VND", "ISK", "PYG", "UGX", "XAF", "XOF"})
# Rough price levels, so a campaign in yen spends about what its dollar twin would.
_UNITS_PER_USD = {"USD": 1.0, "EUR": 0.92, "GBP": 0.79, "JPY": 150.0, "CAD": 1.37, "AUD": 1.52, "CHF": 0.88}

_EntityKey = tuple[Platform, str]


def units_per_usd(currency: str) -> float:
    """The sandbox's price level of ``currency``: how many units of it buy what one US dollar does."""
    return _UNITS_PER_USD.get(currency, 1.0)


def minor_unit_micros(currency: str) -> int:
    """Micros in one minor unit of ``currency``: 10,000 for cents, 1,000,000 for zero-decimal currencies (JPY)."""
    return MICROS if currency in ZERO_DECIMAL_CURRENCIES else 10_000


@dataclass
class SimAccount:
    platform: Platform
    account_id: str
    name: str
    currency: str
    time_zone: str  # IANA
    manager_id: str | None = None  # Google: the manager (MCC) customer id it is reached through
    is_manager: bool = False
    active: bool = True


@dataclass
class SimEntity:
    platform: Platform
    level: EntityLevel
    id: str
    account_id: str
    campaign_id: str
    parent_id: str | None
    name: str
    status: EntityStatus
    objective: str  # neutral: sales|traffic|leads|awareness|app_installs|video_views
    daily_budget_micros: int | None
    lifetime_budget_micros: int | None
    created_at: datetime
    updated_at: datetime
    attributes: dict[str, Any]  # platform-flavoured extras (channel type, bid strategy, optimization goal...)


@dataclass(frozen=True, slots=True)
class SimChange:
    """An entity changed within a span: its state now, when it last changed, and whether it was created in the span
    (``added``) or is removed now (``removed``)."""

    entity: SimEntity
    changed_at: datetime
    added: bool
    removed: bool


@dataclass(frozen=True, slots=True)
class SimMetrics:
    level: EntityLevel
    entity_id: str
    day: date
    hour: int | None
    impressions: int
    clicks: int
    spend_micros: int
    conversions: int
    conversion_value_micros: int
    reach: int
    video_views: int
    # Every click, link clicks included: on Meta also likes, comments, profile and "see more" clicks (Ads Manager's
    # "Clicks (all)"); elsewhere the same as ``clicks``.
    all_clicks: int


@dataclass(frozen=True)
class SandboxLogin:
    """A person who can sign in on a platform's consent page, and the accounts that login reaches directly."""

    platform: Platform
    login_id: str
    display_name: str
    email: str
    account_ids: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class EntityProfile:
    """The seeded traits of one entity (a pure function of seed, platform and id). Fields apply by level."""

    weight: float  # share of the parent's budget relative to its siblings
    demand: float  # budget holders: potential spend on an average day ÷ first budget (> 1: budget-limited)
    ctr: float  # ads: click-through rate of the fresh creative
    cvr: float  # ads: conversions per click
    cpm_factor: float  # ads: price level relative to the channel's typical CPM
    aov_factor: float  # ads: value per conversion relative to the account's typical order value
    fatigue_rate: float  # ads: decay of click-through per day of age
    fatigue_floor: float  # ads: the share of click-through a worn-out creative keeps
    view_rate: float  # ads: video views per impression
    frequency: float  # ads: impressions per person per day


class SandboxWorldError(ValueError):
    """A write the simulation refuses (unknown account or parent, wrong level, reviving a removed entity)."""
