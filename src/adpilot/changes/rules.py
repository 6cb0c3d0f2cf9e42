"""What a platform accepts for a change, checked before anything is stored (see docs/platforms.md, "Changes").

One parser and one check function per change kind (``_CHECKS``): the change API's preview and options read the same
functions. Values are kept in one stored form per kind (``parse_value``): a status name; money (budgets, bids) as
micros of the account's currency in decimal digits; a target ROAS as a plain decimal ratio (``3.5`` = 350 %); a name
as given, trimmed; an end date as ``YYYY-MM-DD`` in the account's time zone.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

from adpilot.campaigns import EntitySnapshot
from adpilot.changes.schemas import ChangeKind
from adpilot.core.currencies import minor_unit_digits
from adpilot.core.time import utcnow
from adpilot.platforms.types import EntityLevel, EntityStatus, Platform

MICROS = 1_000_000
MAX_BUDGET_MICROS = 10**18
# Meta lets an ad set's budget change at most four times an hour.
META_AD_SET_BUDGET_CHANGES_PER_HOUR = 4
# Kinds that change a budget (Meta's four an hour count both).
BUDGET_KINDS = frozenset({ChangeKind.daily_budget, ChangeKind.lifetime_budget})
# Kinds that change money, stored with the account's currency.
MONEY_KINDS = frozenset({ChangeKind.daily_budget, ChangeKind.lifetime_budget, ChangeKind.bid})

# The smallest budgets the platforms publish, in major units of the currency, where the platform reference gives a
# figure: TikTok documents 20 a day for a campaign in USD. Elsewhere (Google, Meta, TikTok ad groups) the floor is the
# currency's smallest unit, which every platform refuses to go below (Google's BUDGET_BELOW_PER_DAY_MINIMUM) and
# the platform's own answer names any higher floor when a change is applied. A lifetime budget has the same floor.
_MAJOR_UNIT_MINIMUMS: dict[tuple[Platform, EntityLevel], dict[str, int]] = {
    (Platform.tiktok, EntityLevel.campaign): {"USD": 20},
}
# The longest name each platform takes, at every level.
NAME_MAX_LENGTH = {Platform.google: 255, Platform.meta: 400, Platform.tiktok: 512}
# Bid strategies whose bid an adpilot change may set, per platform and level (the platform's own words). A Google ad
# group reports its campaign's strategy: its max CPC counts under manual CPC only.
_BID_STRATEGIES: dict[tuple[Platform, EntityLevel], frozenset[str]] = {
    (Platform.google, EntityLevel.campaign): frozenset({"TARGET_CPA"}),
    (Platform.google, EntityLevel.ad_group): frozenset({"MANUAL_CPC"}),
    (Platform.meta, EntityLevel.ad_group): frozenset({"LOWEST_COST_WITH_BID_CAP", "COST_CAP"}),
    (Platform.tiktok, EntityLevel.ad_group): frozenset({"BID_TYPE_CUSTOM"}),
}
_ROAS_STRATEGIES = frozenset({"TARGET_ROAS"})
MAX_TARGET_ROAS = Decimal(1000)
# Where an end date lives: Google campaigns (end_date_time), Meta campaigns (stop_time) and ad sets (end_time), TikTok
# ad groups (schedule_end_time).
_END_DATE_LEVELS = {
    Platform.google: frozenset({EntityLevel.campaign}),
    Platform.meta: frozenset({EntityLevel.campaign, EntityLevel.ad_group}),
    Platform.tiktok: frozenset({EntityLevel.ad_group}),
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
    """The smallest daily (or lifetime) budget the platform takes at ``level`` in ``currency``, in micros."""
    smallest_unit = currency_unit_micros(currency)
    major = _MAJOR_UNIT_MINIMUMS.get((platform, level), {}).get(currency)
    return max(smallest_unit, major * MICROS) if major is not None else smallest_unit


def currency_unit_micros(currency: str) -> int:
    return MICROS // 10 ** minor_unit_digits(currency) if currency else MICROS // 100


# --- parsing ----------------------------------------------------------------------------------------------------------


def parse_value(kind: ChangeKind, value: str) -> str | Refusal:
    """The value in its stored form for ``kind`` (see the module's docstring)."""
    return _PARSERS[kind](value)


def _parse_status(value: str) -> str | Refusal:
    if value not in {status.value for status in EntityStatus}:
        return Refusal("invalid-value", f"a status is one of active, paused, removed, not {value!r}")
    return value


def _parse_micros(value: str) -> str | Refusal:
    text = value.strip()
    # ASCII digits only (str.isdigit also takes superscripts int() refuses), and below a trillion units.
    if not (text.isascii() and text.isdigit()) or not 0 < int(text) <= MAX_BUDGET_MICROS:
        return Refusal("invalid-value", "an amount is a positive whole number of micros of the account's currency")
    return str(int(text))


def _parse_ratio(value: str) -> str | Refusal:
    text = value.strip()
    try:
        ratio = Decimal(text) if text.isascii() else None
    except InvalidOperation:
        ratio = None
    if ratio is None or not ratio.is_finite() or not 0 < ratio <= MAX_TARGET_ROAS:
        return Refusal("invalid-value", f"a target ROAS is a ratio above 0 and at most {MAX_TARGET_ROAS} (3.5 = 350 %)")
    if ratio != ratio.quantize(Decimal("0.0001")):
        return Refusal("invalid-value", "a target ROAS has at most four decimal places")
    return ratio_text(ratio)


def ratio_text(ratio: Decimal) -> str:
    """A target ROAS in its stored form: plain digits, no trailing zeros (``3.5``, ``4``)."""
    text = format(ratio.normalize(), "f")
    return text


def _parse_name(value: str) -> str | Refusal:
    name = value.strip()
    if not name:
        return Refusal("invalid-value", "a name cannot be empty")
    if any(ord(char) < 32 or ord(char) == 127 for char in name):
        return Refusal("invalid-value", "a name cannot contain line breaks or control characters")
    return name


def _parse_date(value: str) -> str | Refusal:
    text = value.strip()
    refusal = Refusal("invalid-value", "an end date is a day as YYYY-MM-DD, in the ad account's time zone")
    if len(text) != 10:  # fromisoformat also takes 20261231 and week dates
        return refusal
    try:
        return date.fromisoformat(text).isoformat()
    except ValueError:
        return refusal


_PARSERS: dict[ChangeKind, Callable[[str], str | Refusal]] = {
    ChangeKind.status: _parse_status,
    ChangeKind.daily_budget: _parse_micros,
    ChangeKind.lifetime_budget: _parse_micros,
    ChangeKind.bid: _parse_micros,
    ChangeKind.target_roas: _parse_ratio,
    ChangeKind.name: _parse_name,
    ChangeKind.end_date: _parse_date,
}


# --- checks -----------------------------------------------------------------------------------------------------------


def check(entity: EntitySnapshot, kind: ChangeKind, value: str) -> Refusal | None:
    """Why the platform would refuse this change of ``entity`` (``value`` in its stored form), or None."""
    if entity.status is EntityStatus.removed:
        return Refusal("entity-removed", f"{entity.name} is removed: a removed entity cannot be changed")
    return _CHECKS[kind](entity, value)


def check_status(entity: EntitySnapshot, value: str) -> Refusal | None:
    return None  # any status but from removed, which ``check`` refuses for every kind


def check_daily_budget(entity: EntitySnapshot, value: str) -> Refusal | None:
    where = _where_the_budget_lives(entity, daily=True)
    if where is not None:
        return Refusal("no-budget-here", where)
    return _check_budget_amount(entity, int(value), "daily")


def check_lifetime_budget(entity: EntitySnapshot, value: str) -> Refusal | None:
    where = _where_the_budget_lives(entity, daily=False)
    if where is not None:
        return Refusal("no-budget-here", where)
    return _check_budget_amount(entity, int(value), "lifetime")


def check_bid(entity: EntitySnapshot, value: str) -> Refusal | None:
    refusal = _bid_place(entity)
    if refusal is not None:
        return refusal
    if int(value) % currency_unit_micros(entity.currency):
        return Refusal("bid-not-a-currency-unit", f"the bid must be a whole number of {entity.currency} units")
    return None


def check_target_roas(entity: EntitySnapshot, value: str) -> Refusal | None:
    return _target_roas_place(entity)


def check_name(entity: EntitySnapshot, value: str) -> Refusal | None:
    refusal = _name_place(entity)
    if refusal is not None:
        return refusal
    longest = NAME_MAX_LENGTH[entity.platform]
    if len(value) > longest:
        return Refusal("name-too-long", f"{entity.platform.value} takes names of at most {longest} characters")
    return None


def check_end_date(entity: EntitySnapshot, value: str) -> Refusal | None:
    refusal = _end_date_place(entity)
    if refusal is not None:
        return refusal
    end = date.fromisoformat(value)
    # The day is in the account's time zone: refused only when it is over everywhere on earth (UTC-12); the platform
    # refuses the rest.
    if end < (utcnow() - timedelta(hours=12)).date():
        return Refusal("end-date-in-the-past", f"{value} is in the past")
    if entity.start_date is not None and end < entity.start_date:
        return Refusal("end-date-before-start", f"{entity.name} starts on {entity.start_date.isoformat()}")
    return None


def _bid_place(entity: EntitySnapshot) -> Refusal | None:
    """Why the entity takes no bid, or None."""
    strategies = _BID_STRATEGIES.get((entity.platform, entity.level))
    if strategies is None:
        return Refusal("no-bid-here", _where_the_bid_lives(entity))
    if entity.bid_strategy not in strategies:
        return Refusal(
            "bid-strategy-takes-no-bid",
            f"{entity.name} bids with {entity.bid_strategy or 'an automatic strategy'}, which takes no bid; "
            f"a bid is set under {' or '.join(sorted(strategies))}",
        )
    return None


def _target_roas_place(entity: EntitySnapshot) -> Refusal | None:
    if entity.platform is not Platform.google or entity.level is not EntityLevel.campaign:
        return Refusal("no-target-roas-here", "a target ROAS is set on Google Ads campaigns that bid on target ROAS")
    if entity.bid_strategy not in _ROAS_STRATEGIES:
        return Refusal(
            "bid-strategy-takes-no-target-roas",
            f"{entity.name} bids with {entity.bid_strategy or 'another strategy'}, which has no target ROAS",
        )
    return None


def _name_place(entity: EntitySnapshot) -> Refusal | None:
    if entity.platform is Platform.google and entity.level is EntityLevel.ad:
        return Refusal("name-not-editable", "Google Ads ad names cannot be changed after the ad is created")
    if entity.platform is Platform.tiktok and entity.level is EntityLevel.ad:
        return Refusal("name-not-editable", "TikTok ads are renamed with their creative; change the name in TikTok")
    return None


def _end_date_place(entity: EntitySnapshot) -> Refusal | None:
    if entity.level not in _END_DATE_LEVELS[entity.platform]:
        levels = " and ".join(sorted(level.value for level in _END_DATE_LEVELS[entity.platform]))
        return Refusal("no-end-date-here", f"{entity.platform.value} keeps end dates on {levels}s")
    return None


_CHECKS: dict[ChangeKind, Callable[[EntitySnapshot, str], Refusal | None]] = {
    ChangeKind.status: check_status,
    ChangeKind.daily_budget: check_daily_budget,
    ChangeKind.lifetime_budget: check_lifetime_budget,
    ChangeKind.bid: check_bid,
    ChangeKind.target_roas: check_target_roas,
    ChangeKind.name: check_name,
    ChangeKind.end_date: check_end_date,
}


# --- what an entity allows (the options the API shows before a change is asked) ------------------------------------


def allowance(entity: EntitySnapshot, kind: ChangeKind) -> Allowance | Refusal:
    """What ``entity`` allows of changes of ``kind``, or why it allows none."""
    if entity.status is EntityStatus.removed:
        return Refusal("entity-removed", f"{entity.name} is removed: a removed entity cannot be changed")
    return ALLOWANCES[kind](entity)


def status_allowance(entity: EntitySnapshot) -> Allowance | Refusal:
    return Allowance(current=entity.status.value, allowed=tuple(status.value for status in EntityStatus))


def _budget_allowance(entity: EntitySnapshot, *, daily: bool) -> Allowance | Refusal:
    """A budget change: where the entity has a budget of that type, from the platform's minimum in whole currency
    units, and on Meta's ad sets a few times an hour."""
    where = _where_the_budget_lives(entity, daily=daily)
    if where is not None:
        return Refusal("no-budget-here", where)
    current = entity.daily_budget_micros if daily else entity.lifetime_budget_micros
    return Allowance(
        current=str(current),
        minimum_micros=minimum_daily_budget_micros(entity.platform, entity.level, entity.currency),
        step_micros=currency_unit_micros(entity.currency),
        maximum_micros=MAX_BUDGET_MICROS,
        hourly_limit=META_AD_SET_BUDGET_CHANGES_PER_HOUR if hourly_budget_limited(entity) else None,
    )


def daily_budget_allowance(entity: EntitySnapshot) -> Allowance | Refusal:
    return _budget_allowance(entity, daily=True)


def lifetime_budget_allowance(entity: EntitySnapshot) -> Allowance | Refusal:
    return _budget_allowance(entity, daily=False)


def bid_allowance(entity: EntitySnapshot) -> Allowance | Refusal:
    refusal = _bid_place(entity)
    if refusal is not None:
        return refusal
    unit = currency_unit_micros(entity.currency)
    current = str(entity.bid_micros) if entity.bid_micros is not None else None
    return Allowance(current=current, minimum_micros=unit, step_micros=unit, maximum_micros=MAX_BUDGET_MICROS)


def target_roas_allowance(entity: EntitySnapshot) -> Allowance | Refusal:
    refusal = _target_roas_place(entity)
    if refusal is not None:
        return refusal
    return Allowance(current=ratio_text(entity.target_roas) if entity.target_roas is not None else None)


def name_allowance(entity: EntitySnapshot) -> Allowance | Refusal:
    return _name_place(entity) or Allowance(current=entity.name)


def end_date_allowance(entity: EntitySnapshot) -> Allowance | Refusal:
    refusal = _end_date_place(entity)
    if refusal is not None:
        return refusal
    return Allowance(current=entity.end_date.isoformat() if entity.end_date is not None else None)


# One function per kind of change: what the entity allows of it, or why it allows none.
ALLOWANCES: dict[ChangeKind, Callable[[EntitySnapshot], Allowance | Refusal]] = {
    ChangeKind.status: status_allowance,
    ChangeKind.daily_budget: daily_budget_allowance,
    ChangeKind.lifetime_budget: lifetime_budget_allowance,
    ChangeKind.bid: bid_allowance,
    ChangeKind.target_roas: target_roas_allowance,
    ChangeKind.name: name_allowance,
    ChangeKind.end_date: end_date_allowance,
}


def hourly_budget_limited(entity: EntitySnapshot) -> bool:
    """Whether the platform limits the entity's budget changes per hour (Meta's ad sets)."""
    return entity.platform is Platform.meta and entity.level is EntityLevel.ad_group


def _check_budget_amount(entity: EntitySnapshot, micros: int, period: str) -> Refusal | None:
    minimum = minimum_daily_budget_micros(entity.platform, entity.level, entity.currency)
    if micros < minimum:
        return Refusal(
            "budget-below-minimum",
            f"{entity.platform.value} takes a {period} budget of at least {minimum / MICROS:g} {entity.currency} here",
        )
    if micros % currency_unit_micros(entity.currency):
        return Refusal("budget-not-a-currency-unit", f"the budget must be a whole number of {entity.currency} units")
    return None


def _where_the_budget_lives(entity: EntitySnapshot, *, daily: bool) -> str | None:
    """Why the entity has no budget of the kind to change, naming where its budget is; None when it has one. A
    budget cannot switch between daily and lifetime on any platform."""
    own, other = (
        (entity.daily_budget_micros, entity.lifetime_budget_micros)
        if daily
        else (entity.lifetime_budget_micros, entity.daily_budget_micros)
    )
    if own is not None:
        return None
    if other is not None:
        have, want = ("lifetime", "daily") if daily else ("daily", "lifetime")
        return f"{entity.name} has a {have} budget, not a {want} one: the budget type cannot be switched"
    if entity.level is EntityLevel.ad:
        return "ads have no budget: it is kept on the ad group/ad set or the campaign"
    if entity.platform is Platform.google:
        if entity.level is EntityLevel.ad_group:
            return "Google Ads keeps budgets on campaigns (their campaign budget), not on ad groups"
        return f"{entity.name} has no campaign budget"
    if entity.level is EntityLevel.campaign:
        return f"{entity.name} has no campaign budget: its budgets are kept on its {_group_noun(entity)}s"
    return f"{entity.name} has no budget of its own: the budget is kept on its campaign"


def _where_the_bid_lives(entity: EntitySnapshot) -> str:
    if entity.platform is Platform.google:
        return "Google Ads bids are set on campaigns (target CPA) or manual CPC ad groups (max CPC)"
    return f"{entity.platform.value} bids are set on {_group_noun(entity)}s"


def _group_noun(entity: EntitySnapshot) -> str:
    return "ad set" if entity.platform is Platform.meta else "ad group"
