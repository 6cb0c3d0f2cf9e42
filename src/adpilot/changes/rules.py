"""What a platform accepts for a change, checked before anything is stored (see docs/platforms.md, "Changes")."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from adpilot.campaigns import EntitySnapshot
from adpilot.changes.schemas import ChangeKind
from adpilot.core.currencies import minor_unit_digits
from adpilot.platforms.types import EntityLevel, EntityStatus, Platform

MICROS = 1_000_000
MAX_BUDGET_MICROS = 10**18
# Meta lets an ad set's budget change at most four times an hour.
META_AD_SET_BUDGET_CHANGES_PER_HOUR = 4

# The smallest daily budgets each platform documents, in major units of the currency, where it publishes a figure
# for that currency (Meta: 1.00 a day for ad sets billed on impressions; TikTok: 50.00 a day for a campaign and 20.00
# for an ad group in USD-like currencies). Elsewhere the floor is the currency's smallest unit, which every platform
# refuses to go below (Google's BUDGET_BELOW_PER_DAY_MINIMUM).
_MAJOR_UNIT_MINIMUMS: dict[tuple[Platform, EntityLevel], dict[str, int]] = {
    (Platform.meta, EntityLevel.campaign): {"USD": 1, "EUR": 1, "GBP": 1},
    (Platform.meta, EntityLevel.ad_group): {"USD": 1, "EUR": 1, "GBP": 1},
    (Platform.tiktok, EntityLevel.campaign): {"USD": 50, "EUR": 50, "GBP": 50},
    (Platform.tiktok, EntityLevel.ad_group): {"USD": 20, "EUR": 20, "GBP": 20},
}


@dataclass(frozen=True)
class Refusal:
    code: str
    detail: str


@dataclass(frozen=True)
class Allowance:
    """What the platform takes for one kind of change of one entity (money in micros of the entity's currency)."""

    current: str | None
    allowed: tuple[str, ...] | None = None
    minimum_micros: int | None = None
    step_micros: int | None = None
    maximum_micros: int | None = None
    # How many changes of this kind the platform takes per hour, where it limits them.
    hourly_limit: int | None = None


def minimum_daily_budget_micros(platform: Platform, level: EntityLevel, currency: str) -> int:
    """The smallest daily budget the platform takes at ``level`` in ``currency``, in micros."""
    smallest_unit = _currency_unit_micros(currency)
    major = _MAJOR_UNIT_MINIMUMS.get((platform, level), {}).get(currency)
    return max(smallest_unit, major * MICROS) if major is not None else smallest_unit


def parse_value(kind: ChangeKind, value: str) -> str | Refusal:
    """The value in its stored form: a status name, or a budget in micros as decimal digits."""
    if kind is ChangeKind.status:
        if value not in {status.value for status in EntityStatus}:
            return Refusal("invalid-value", f"a status is one of active, paused, removed, not {value!r}")
        return value
    text = value.strip()
    # ASCII digits only (str.isdigit also takes superscripts int() refuses), and below a trillion units.
    if not (text.isascii() and text.isdigit()) or not 0 < int(text) <= MAX_BUDGET_MICROS:
        return Refusal("invalid-value", "a budget is a positive whole number of micros of the account's currency")
    return str(int(text))


def check(entity: EntitySnapshot, kind: ChangeKind, value: str) -> Refusal | None:
    """Why the platform would refuse this change of ``entity``, or None."""
    if entity.status is EntityStatus.removed:
        return _removed(entity)
    if kind is ChangeKind.status:
        return None
    return _check_budget(entity, int(value))


def status_allowance(entity: EntitySnapshot) -> Allowance | Refusal:
    """A status change: any status but on a removed entity."""
    if entity.status is EntityStatus.removed:
        return _removed(entity)
    return Allowance(current=entity.status.value, allowed=tuple(status.value for status in EntityStatus))


def daily_budget_allowance(entity: EntitySnapshot) -> Allowance | Refusal:
    """A daily budget change: where the entity has a daily budget, from the platform's minimum in whole currency
    units, and on Meta's ad sets a few times an hour."""
    if entity.status is EntityStatus.removed:
        return _removed(entity)
    where = _where_the_budget_lives(entity)
    if where is not None:
        return Refusal("no-budget-here", where)
    return Allowance(
        current=str(entity.daily_budget_micros),
        minimum_micros=minimum_daily_budget_micros(entity.platform, entity.level, entity.currency),
        step_micros=_currency_unit_micros(entity.currency),
        maximum_micros=MAX_BUDGET_MICROS,
        hourly_limit=META_AD_SET_BUDGET_CHANGES_PER_HOUR if hourly_budget_limited(entity) else None,
    )


# One function per kind of change: what the entity allows of it, or why it allows none.
ALLOWANCES: dict[ChangeKind, Callable[[EntitySnapshot], Allowance | Refusal]] = {
    ChangeKind.status: status_allowance,
    ChangeKind.daily_budget: daily_budget_allowance,
}


def allowance(entity: EntitySnapshot, kind: ChangeKind) -> Allowance | Refusal:
    """What ``entity`` allows of changes of ``kind``, or why it allows none."""
    decide = ALLOWANCES.get(kind)
    if decide is None:
        return Refusal("kind-not-supported", f"{kind.value.replace('_', ' ')} changes are not supported yet")
    return decide(entity)


def hourly_budget_limited(entity: EntitySnapshot) -> bool:
    """Whether the platform limits the entity's budget changes per hour (Meta's ad sets)."""
    return entity.platform is Platform.meta and entity.level is EntityLevel.ad_group


def _removed(entity: EntitySnapshot) -> Refusal:
    return Refusal("entity-removed", f"{entity.name} is removed: a removed entity cannot be changed")


def _currency_unit_micros(currency: str) -> int:
    """The currency's smallest unit in micros (a cent where the currency is not known)."""
    return MICROS // 10 ** minor_unit_digits(currency) if currency else MICROS // 100


def _check_budget(entity: EntitySnapshot, micros: int) -> Refusal | None:
    where = _where_the_budget_lives(entity)
    if where is not None:
        return Refusal("no-budget-here", where)
    minimum = minimum_daily_budget_micros(entity.platform, entity.level, entity.currency)
    if micros < minimum:
        return Refusal(
            "budget-below-minimum",
            f"{entity.platform.value} takes a daily budget of at least {minimum / MICROS:g} {entity.currency} here",
        )
    if micros % _currency_unit_micros(entity.currency):
        return Refusal("budget-not-a-currency-unit", f"the budget must be a whole number of {entity.currency} units")
    return None


def _where_the_budget_lives(entity: EntitySnapshot) -> str | None:
    """Why the entity has no daily budget to change, naming where its budget is; None when it has one."""
    if entity.daily_budget_micros is not None:
        return None
    if entity.lifetime_budget_micros is not None:
        return f"{entity.name} has a lifetime budget, not a daily one"
    if entity.level is EntityLevel.ad:
        return "ads have no budget: it is kept on the ad group/ad set or the campaign"
    if entity.platform is Platform.google:
        if entity.level is EntityLevel.ad_group:
            return "Google Ads keeps budgets on campaigns (their campaign budget), not on ad groups"
        return f"{entity.name} has no campaign budget"
    if entity.level is EntityLevel.campaign:
        return f"{entity.name} has no campaign budget: its budgets are kept on its {_group_noun(entity)}s"
    return f"{entity.name} has no budget of its own: the budget is kept on its campaign"


def _group_noun(entity: EntitySnapshot) -> str:
    return "ad set" if entity.platform is Platform.meta else "ad group"
