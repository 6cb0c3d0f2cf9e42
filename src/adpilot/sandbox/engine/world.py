"""The simulation behind the sandbox: ad accounts, their entity trees and the performance those entities deliver.

Every number is a pure function of the seed, an entity id and a date (plus the entity's status and budget history),
so nothing per day is stored and two worlds built from the same seed report the same figures. Metrics are made at
the ad level hour by hour and summed upward, which is why campaign = its ad groups = their ads, exactly, for every
field, and why a day equals the sum of its hours.

The model, in the order it is applied:

* A budget holder (the campaign, or the ad set on Meta campaigns without a campaign budget) has a *potential*: what
  its audience and bids could absorb on a day, in money, set by its first budget times a seeded *demand* trait and
  moved by weekday, season and noise. The day's spend is a soft minimum of potential and budget, so demand-rich
  holders pace to their budget and others underspend; a delivery noise lets a day overspend a little (at most 25%,
  well inside Google's 2x rule).
* Spend is split between the holder's ad groups and ads by per-entity weights, over the hours each of them is active
  (status history) with an hour-of-day curve in the account's local time. Budget changes apply from their timestamp.
* CPM rises with the share of the potential bought (diminishing returns: a bigger budget buys pricier inventory, so
  impressions grow sub-linearly with spend). Each ad has its own click-through rate, which decays with the ad's age
  (creative fatigue: cumulative frequency grows with age), its own conversion rate and order value, with weekday
  seasonality and multiplicative noise per day.
* A day's conversions are final from the start, but they are *reported* late: each conversion carries a seeded
  reporting lag, so a recent day shows about 60% of them at the end of the hour they happened in, 85% a day later and
  all of them after seven days. Restatements only ever go up, and levels stay consistent because the lag is decided
  per ad.
* Money is whole minor units of the account currency (cents, or yen for JPY) expressed in micros, so every wire
  format (micros, decimal strings, minor-unit integers) represents it exactly.
"""

from __future__ import annotations

import bisect
import hashlib
import itertools
import math
import random
import struct
import threading
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from adpilot.platforms.types import EntityLevel, EntityStatus, Platform
from adpilot.sandbox.clock import SandboxClock

MICROS = 1_000_000
# ISO 4217 currencies without a minor unit in ad platforms' reports and budgets.
ZERO_DECIMAL_CURRENCIES = frozenset({"JPY", "KRW", "CLP", "VND", "ISK", "PYG", "UGX", "XAF", "XOF"})
# Rough price levels, so a campaign in yen spends about what its dollar twin would.
_UNITS_PER_USD = {"USD": 1.0, "EUR": 0.92, "GBP": 0.79, "JPY": 150.0, "CAD": 1.37, "AUD": 1.52, "CHF": 0.88}

# Late conversions: the share of a day's conversions reported this many hours after the hour they happened in.
_MATURITY = ((0.0, 0.60), (24.0, 0.85), (48.0, 0.92), (72.0, 0.955), (96.0, 0.975), (120.0, 0.988), (144.0, 0.995))
MATURITY_HOURS = 168.0

_CACHE_LIMIT = 40_000  # campaign-days kept (the demo has ~15,000); each holds a few ads' day figures
_SECONDS_PER_DAY = 86_400


def minor_unit_micros(currency: str) -> int:
    """Micros in one minor unit of ``currency``: 10,000 for cents, 1,000,000 for zero-decimal currencies (JPY)."""
    return MICROS if currency in ZERO_DECIMAL_CURRENCIES else 10_000


def maturity(age_hours: float) -> float:
    """The share of conversions reported ``age_hours`` after the hour they happened in (monotonic, 1.0 at 7 days)."""
    if age_hours <= 0:
        return _MATURITY[0][1]
    if age_hours >= MATURITY_HOURS:
        return 1.0
    points = (*_MATURITY, (MATURITY_HOURS, 1.0))
    for (h0, m0), (h1, m1) in itertools.pairwise(points):
        if age_hours <= h1:
            return m0 + (m1 - m0) * (age_hours - h0) / (h1 - h0)
    return 1.0


# ---- public data ---------------------------------------------------------------------------------------------------


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


# ---- seeded draws --------------------------------------------------------------------------------------------------

_U32 = struct.Struct("<16I")
_TWO_PI = 2.0 * math.pi


def _uniforms(key: str) -> tuple[float, ...]:
    """Sixteen uniforms in (0, 1) that depend only on ``key`` (stable across processes, unlike ``hash``)."""
    raw = _U32.unpack(hashlib.blake2b(key.encode(), digest_size=64).digest())
    return tuple([x * 2.3283064365386963e-10 + 1.1641532182693481e-10 for x in raw])


def _normal(u1: float, u2: float) -> float:
    return math.sqrt(-2.0 * math.log(u1)) * math.cos(_TWO_PI * u2)


# ---- platform flavour ----------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Channel:
    ctr: float
    cvr: float
    cpm_usd: float
    view_rate: float
    fatigue_floor: float
    fatigue_rate: float
    frequency: float
    family: str  # which hour curve and weekday pattern applies


_CHANNELS: dict[str, _Channel] = {
    "SEARCH": _Channel(0.045, 0.050, 55.0, 0.0, 0.85, 0.004, 1.3, "search"),
    "SHOPPING": _Channel(0.012, 0.025, 11.0, 0.0, 0.80, 0.006, 1.4, "search"),
    "PERFORMANCE_MAX": _Channel(0.011, 0.030, 12.0, 0.05, 0.75, 0.008, 1.6, "search"),
    "DISPLAY": _Channel(0.005, 0.012, 3.5, 0.0, 0.60, 0.015, 2.2, "display"),
    "VIDEO": _Channel(0.004, 0.006, 9.0, 0.30, 0.65, 0.012, 1.8, "display"),
    "DEMAND_GEN": _Channel(0.008, 0.015, 7.0, 0.10, 0.60, 0.012, 1.8, "display"),
    "meta": _Channel(0.014, 0.035, 11.0, 0.12, 0.60, 0.020, 1.9, "social"),
    "tiktok": _Channel(0.011, 0.025, 7.5, 0.32, 0.55, 0.030, 1.7, "tiktok"),
}

# objective -> multipliers of (ctr, cvr, cpm, value per conversion, video view rate)
_OBJECTIVES: dict[str, tuple[float, float, float, float, float]] = {
    "sales": (1.0, 1.0, 1.0, 1.0, 1.0),
    "traffic": (1.35, 0.35, 0.8, 0.7, 1.0),
    "leads": (1.0, 1.8, 1.1, 0.25, 1.0),
    "awareness": (0.45, 0.15, 0.45, 0.6, 1.3),
    "app_installs": (1.1, 2.2, 0.9, 0.2, 1.0),
    "video_views": (0.5, 0.15, 0.55, 0.6, 2.2),
}
OBJECTIVES = frozenset(_OBJECTIVES)


def _normalized_cumulative(weights: Sequence[float]) -> tuple[float, ...]:
    """Cumulative shares with exact 0.0 and 1.0 ends: splitting by them telescopes to the day total exactly."""
    total = sum(weights)
    cumulative = [0.0]
    running = 0.0
    for weight in weights[:-1]:
        running += weight
        cumulative.append(running / total)
    cumulative.append(1.0)
    return tuple(cumulative)


# Local hour-of-day traffic: search peaks in office hours and the evening, social and TikTok late in the evening.
_HOUR_WEIGHTS: dict[str, tuple[float, ...]] = {
    "search": (0.9, 0.6, 0.4, 0.3, 0.3, 0.5, 1.0, 2.0, 3.2, 4.2, 4.8, 5.0,
               5.1, 5.0, 4.9, 4.8, 4.7, 4.8, 5.0, 5.3, 5.4, 4.8, 3.5, 2.0),
    "display": (1.5, 1.0, 0.7, 0.5, 0.5, 0.7, 1.3, 2.2, 3.0, 3.5, 3.8, 4.0,
                4.2, 4.1, 4.0, 4.0, 4.1, 4.4, 4.8, 5.2, 5.4, 5.0, 3.9, 2.5),
    "social": (2.2, 1.4, 0.9, 0.6, 0.5, 0.6, 1.0, 1.8, 2.6, 3.2, 3.5, 3.8,
               4.2, 4.2, 4.0, 4.0, 4.2, 4.6, 5.2, 6.0, 6.6, 6.5, 5.4, 3.6),
    "tiktok": (3.4, 2.4, 1.5, 0.9, 0.6, 0.6, 0.9, 1.5, 2.2, 2.8, 3.1, 3.4,
               3.9, 3.9, 3.7, 3.7, 4.0, 4.5, 5.3, 6.2, 6.9, 7.1, 6.3, 4.8),
}  # fmt: skip
_HOUR_WEIGHT = {family: tuple(w / sum(ws) for w in ws) for family, ws in _HOUR_WEIGHTS.items()}
_HOUR_CUMULATIVE = {family: _normalized_cumulative(ws) for family, ws in _HOUR_WEIGHTS.items()}


def _day_curve(family: str, hours: Sequence[float]) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """(hour weights, cumulative shares) of a local day: on a daylight-saving day the skipped hour gets nothing and
    the repeated one twice its usual share."""
    if hours[24] - hours[0] == _SECONDS_PER_DAY:
        return _HOUR_WEIGHT[family], _HOUR_CUMULATIVE[family]
    lengths = [hours[h + 1] - hours[h] for h in range(24)]
    weighted = [w * length for w, length in zip(_HOUR_WEIGHT[family], lengths, strict=True)]
    total = sum(weighted)
    return tuple(w / total for w in weighted), _normalized_cumulative(weighted)


# Monday..Sunday: (demand, conversion rate). Search is a weekday business, social and TikTok peak at the weekend.
_WEEKDAY: dict[str, tuple[tuple[float, float], ...]] = {
    "search": ((1.04, 1.02), (1.06, 1.03), (1.05, 1.02), (1.03, 1.0), (0.98, 0.97), (0.88, 0.92), (0.93, 0.97)),
    "display": ((1.0, 1.0), (1.01, 1.01), (1.01, 1.0), (1.0, 1.0), (0.99, 0.98), (0.97, 0.96), (1.0, 0.99)),
    "social": ((0.97, 0.98), (0.98, 0.99), (0.99, 1.0), (1.0, 1.0), (1.02, 1.01), (1.04, 1.04), (1.06, 1.05)),
    "tiktok": ((0.95, 0.97), (0.96, 0.98), (0.98, 0.99), (1.0, 1.0), (1.04, 1.02), (1.07, 1.05), (1.08, 1.05)),
}


def _season(day: date) -> float:
    # A gentle yearly wave peaking in early December (holiday shopping).
    return 1.0 + 0.08 * math.sin(_TWO_PI * (day.timetuple().tm_yday - 250) / 365.25)


# ---- histories -----------------------------------------------------------------------------------------------------


class _History:
    """Values in effect from timestamps on (epoch seconds, ascending); nothing exists before the first entry."""

    __slots__ = ("times", "values")

    def __init__(self) -> None:
        self.times: list[float] = []
        self.values: list[Any] = []

    def append(self, moment: datetime, value: Any) -> None:
        # A change never precedes the last one (a test may have moved the clock back): it takes effect then instead.
        stamp = max(moment.timestamp(), self.times[-1]) if self.times else moment.timestamp()
        self.times.append(stamp)
        self.values.append(value)

    def changes_within(self, start: float, end: float) -> bool:
        return bisect.bisect_right(self.times, start) != bisect.bisect_left(self.times, end)

    def at(self, stamp: float) -> Any:
        index = bisect.bisect_right(self.times, stamp) - 1
        return self.values[index] if index >= 0 else None

    def average(self, start: float, end: float, numeric: Any) -> float:
        """Time-weighted mean of ``numeric(value)`` over [start, end); 0 where nothing exists yet."""
        if end <= start:
            return 0.0
        index = bisect.bisect_right(self.times, start) - 1
        total = 0.0
        cursor = start
        while cursor < end:
            following = self.times[index + 1] if index + 1 < len(self.times) else end
            segment_end = min(following, end)
            if index >= 0 and segment_end > cursor:
                total += numeric(self.values[index]) * (segment_end - cursor)
            cursor = max(cursor, segment_end)
            index += 1
        return total / (end - start)

    def active_spans(self, start: float, end: float) -> tuple[tuple[float, float], ...]:
        """The [from, to) spans within [start, end) in which the status was active."""
        spans: list[tuple[float, float]] = []
        index = bisect.bisect_right(self.times, start) - 1
        cursor = start
        while cursor < end:
            following = self.times[index + 1] if index + 1 < len(self.times) else end
            segment_end = min(following, end)
            if index >= 0 and segment_end > cursor and self.values[index] is EntityStatus.active:
                if spans and spans[-1][1] == cursor:
                    spans[-1] = (spans[-1][0], segment_end)
                else:
                    spans.append((cursor, segment_end))
            cursor = max(cursor, segment_end)
            index += 1
        return tuple(spans)


# When an entity delivered during a day: 1.0 (all day) or 0.0 (not at all) in the common case that nothing changed
# that day, else the exact active spans (epoch seconds), so a pause at 14:20 stops delivery at 14:20.
_Spans = tuple[tuple[float, float], ...]
_Activity = float | _Spans


def _combine(a: _Activity, b: _Activity) -> _Activity:
    """Delivery needs the campaign, the ad group and the ad active at once: the intersection of their activity."""
    if isinstance(a, float):
        return b if a == 1.0 else 0.0
    if isinstance(b, float):
        return a if b == 1.0 else 0.0
    spans: list[tuple[float, float]] = []
    i = j = 0
    while i < len(a) and j < len(b):
        low, high = max(a[i][0], b[j][0]), min(a[i][1], b[j][1])
        if low < high:
            spans.append((low, high))
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return tuple(spans) if spans else 0.0


def _overlap(spans: _Spans, start: float, end: float) -> float:
    return sum(max(0.0, min(high, end) - max(low, start)) for low, high in spans)


def _hour_fractions(activity: _Activity, hours: Sequence[float]) -> tuple[float, ...]:
    if isinstance(activity, float):
        return (activity,) * 24
    return tuple(
        _overlap(activity, hours[h], hours[h + 1]) / (hours[h + 1] - hours[h]) if hours[h + 1] > hours[h] else 0.0
        for h in range(24)
    )


# A holder's budget over a day: one daily-equivalent amount, or 24 hourly values when it changed that day.
_Hourly = float | tuple[float, ...]


# ---- one ad's day ---------------------------------------------------------------------------------------------------


class _AdDay:
    """One ad's final figures for one local day.

    Spend and impressions are floats split into whole units along the day's cumulative delivery curve; clicks, reach
    and video views follow the whole impressions delivered so far (a ratio each), and conversions follow impressions
    too. That keeps every hour with no impressions and no spend empty in every field, and every figure causal: what
    an hour shows depends only on delivery up to it.
    """

    __slots__ = (
        "ad_id",
        "click_ratio",
        "conversions",
        "cumulative",
        "group_id",
        "impressions",
        "lag_seed",
        "offset",
        "other_click_ratio",
        "reach_ratio",
        "spans",
        "spend_minor",
        "value_minor",
        "view_ratio",
    )

    def __init__(
        self,
        ad_id: str,
        group_id: str,
        *,
        spend_minor: float,
        impressions: float,
        click_ratio: float,
        reach_ratio: float,
        view_ratio: float,
        conversions: int,
        other_click_ratio: float = 0.0,
        value_minor: int,
        cumulative: tuple[float, ...],
        spans: _Spans | None,
        offset: float,
        lag_seed: int,
    ) -> None:
        self.ad_id = ad_id
        self.group_id = group_id
        self.spend_minor = spend_minor
        self.impressions = impressions
        self.click_ratio = click_ratio
        # Clicks that are not link clicks (likes, profile, "see more"): Meta counts them in all clicks only.
        self.other_click_ratio = other_click_ratio
        self.reach_ratio = reach_ratio
        self.view_ratio = view_ratio
        self.conversions = conversions  # final count for the whole day
        self.value_minor = value_minor  # final value for the whole day
        # Cumulative share of the day's delivery at each local hour boundary (25 values, exactly 0.0 ... 1.0).
        self.cumulative = cumulative
        self.spans = spans  # None: active all day
        self.offset = offset
        self.lag_seed = lag_seed

    def full_impressions(self) -> int:
        return math.floor(self.impressions + self.offset)


# (impressions, clicks, spend_minor, conversions, value_minor, reach, video_views, all_clicks)
_Figures = tuple[int, int, int, int, int, int, int, int]
_NOTHING: _Figures = (0, 0, 0, 0, 0, 0, 0, 0)
_FIGURES = len(_NOTHING)


def _cumulative_figures(ad: _AdDay, share: float) -> tuple[int, int, int, int, int, int, int]:
    """Whole units delivered up to a cumulative share of the day: impressions, clicks, spend, conversions (final
    count), reach, video views, all clicks (never fewer than clicks). Non-decreasing in ``share``, so hour values
    are differences of these."""
    offset = ad.offset
    impressions = math.floor(ad.impressions * share + offset)
    full = ad.full_impressions()
    return (
        impressions,
        math.floor(ad.click_ratio * impressions + offset),
        math.floor(ad.spend_minor * share + offset),
        ad.conversions * impressions // full if full else 0,
        math.floor(ad.reach_ratio * impressions + offset),
        math.floor(ad.view_ratio * impressions + offset),
        math.floor((ad.click_ratio + ad.other_click_ratio) * impressions + offset),
    )


def _reported(
    ad: _AdDay, hour_ends: Sequence[float], as_of: float, per_hour: Sequence[int]
) -> tuple[list[int], list[int]]:
    """Per hour: how many of its conversions, and what value, are reported at ``as_of``.

    Each conversion of the day (in order) has a seeded threshold; it is reported once the maturity of its hour's age
    reaches the threshold. Thresholds never change, maturity only grows: restatements only go up.
    """
    conversions = [0] * 24
    values = [0] * 24
    total, value = ad.conversions, ad.value_minor
    if total <= 0:
        return conversions, values
    thresholds = random.Random(ad.lag_seed)  # noqa: S311 - a simulation, not security
    index = 0
    for hour, count in enumerate(per_hour):
        if count <= 0:
            continue
        mature = maturity((as_of - hour_ends[hour]) / 3600.0)
        for _ in range(count):
            if thresholds.random() <= mature:
                conversions[hour] += 1
                values[hour] += value * (index + 1) // total - value * index // total
            index += 1
    return conversions, values


# ---- the world -----------------------------------------------------------------------------------------------------

_EntityKey = tuple[Platform, str]
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class SandboxWorld:
    """Accounts, logins and entity trees of the three platforms, and the performance they deliver over time.

    Methods return copies: change the world only through ``create_entity`` and ``update_entity``, which keep the
    status and budget histories the metrics are computed from.

    Safe to share between threads: the emulators compute reports in worker threads (so their event loop keeps taking
    requests) while other requests read and change the world on the loop. One re-entrant lock guards everything the
    world holds, its caches included (a cache read moves an LRU entry, a miss fills it). Every public method takes
    it. The metric methods take it once per day of the report: to read the state and that day's cached (or newly
    simulated) ad days, a few milliseconds at most. They work out the figures reported at ``as_of`` outside it, from
    ad days that are never changed once cached. So a long report holds up a call on the event loop for one day's
    simulation, not for the whole report. A change made while a report runs shows from the next day of that report
    on, as a report read while a real platform changes also may.
    """

    def __init__(self, *, seed: int, clock: SandboxClock) -> None:
        self.seed = seed
        self.clock = clock
        self._lock = threading.RLock()
        self._accounts: dict[Platform, dict[str, SimAccount]] = {p: {} for p in Platform}
        self._logins: dict[Platform, dict[str, SandboxLogin]] = {p: {} for p in Platform}
        self._order_value_usd: dict[_EntityKey, float] = {}
        self._entities: dict[_EntityKey, SimEntity] = {}
        self._children: dict[_EntityKey, list[str]] = {}
        self._by_account: dict[tuple[Platform, str, EntityLevel], list[str]] = {}
        self._statuses: dict[_EntityKey, _History] = {}
        self._account_statuses: dict[_EntityKey, _History] = {}
        self._budgets: dict[_EntityKey, _History] = {}
        self._profiles: dict[_EntityKey, EntityProfile] = {}
        self._creation_days: dict[_EntityKey, int] = {}
        self._generation: dict[_EntityKey, int] = {}
        self._cache: OrderedDict[tuple[Platform, str, int, int], dict[str, _AdDay]] = OrderedDict()
        self._hour_cache: dict[tuple[str, int], tuple[float, ...]] = {}
        self._ids = random.Random(f"{seed}:runtime-ids")  # noqa: S311 - ids only need to look right
        self._used_ids: set[_EntityKey] = set()

    # ---- accounts and logins -----------------------------------------------------------------------------------

    def add_account(self, account: SimAccount, *, order_value_usd: float = 70.0) -> SimAccount:
        """Register an ad account (``order_value_usd`` sets its typical value per conversion)."""
        ZoneInfo(account.time_zone)  # fails early on an unknown zone
        with self._lock:
            if account.account_id in self._accounts[account.platform]:
                raise SandboxWorldError(f"account {account.account_id} exists")
            self._accounts[account.platform][account.account_id] = replace(account)
            self._order_value_usd[(account.platform, account.account_id)] = order_value_usd
            statuses = self._account_statuses[(account.platform, account.account_id)] = _History()
            statuses.append(_EPOCH, EntityStatus.active if account.active else EntityStatus.paused)
            self._used_ids.add((account.platform, account.account_id))
        return replace(account)

    def add_login(self, login: SandboxLogin) -> SandboxLogin:
        with self._lock:
            self._logins[login.platform][login.login_id] = login
        return login

    def accounts(self, platform: Platform) -> list[SimAccount]:
        with self._lock:
            return [replace(a) for a in self._accounts[platform].values()]

    def account(self, platform: Platform, account_id: str) -> SimAccount | None:
        with self._lock:
            found = self._accounts[platform].get(account_id)
            return replace(found) if found is not None else None

    def update_account(
        self, platform: Platform, account_id: str, *, name: str | None = None, active: bool | None = None
    ) -> SimAccount:
        """Rename an account or switch it off: from now on an inactive account delivers nothing (its history stays)."""
        with self._lock:
            account = self._require_account(platform, account_id)
            if name is not None:
                account.name = name
            if active is not None and active is not account.active:
                account.active = active
                status = EntityStatus.active if active else EntityStatus.paused
                self._account_statuses[(platform, account_id)].append(self.clock.now(), status)
                for campaign_id in self._by_account.get((platform, account_id, EntityLevel.campaign), []):
                    self._touch(platform, campaign_id)
            return replace(account)

    def clients(self, platform: Platform, manager_id: str) -> list[SimAccount]:
        """The accounts managed through ``manager_id`` (Google manager accounts)."""
        with self._lock:
            return [replace(a) for a in self._accounts[platform].values() if a.manager_id == manager_id]

    def logins(self, platform: Platform) -> list[SandboxLogin]:
        with self._lock:
            return list(self._logins[platform].values())

    def login(self, platform: Platform, login_id: str) -> SandboxLogin | None:
        with self._lock:
            return self._logins[platform].get(login_id)

    def accessible_accounts(self, platform: Platform, login_id: str) -> list[SimAccount]:
        """Every account a login can reach: its own accounts and, for managers, the clients under them."""
        with self._lock:
            login = self._logins[platform].get(login_id)
            if login is None:
                return []
            reached: dict[str, SimAccount] = {}
            for account_id in login.account_ids:
                account = self._accounts[platform].get(account_id)
                if account is None:
                    continue
                reached[account_id] = account
                if account.is_manager:
                    for client in self._accounts[platform].values():
                        if client.manager_id == account_id:
                            reached.setdefault(client.account_id, client)
            return [replace(a) for a in reached.values()]

    # ---- entities ----------------------------------------------------------------------------------------------

    def entities(
        self, platform: Platform, account_id: str, level: EntityLevel, *, include_removed: bool = False
    ) -> list[SimEntity]:
        """The account's entities of one level in creation order (removed ones only when asked)."""
        with self._lock:
            ids = self._by_account.get((platform, account_id, level), [])
            found = (self._entities[(platform, i)] for i in ids)
            return [_snapshot(e) for e in found if include_removed or e.status is not EntityStatus.removed]

    def entity(self, platform: Platform, entity_id: str) -> SimEntity | None:
        with self._lock:
            found = self._entities.get((platform, entity_id))
            return _snapshot(found) if found is not None else None

    def children(self, platform: Platform, entity_id: str, *, include_removed: bool = True) -> list[SimEntity]:
        """An entity's direct children (ad groups of a campaign, ads of an ad group) in creation order."""
        with self._lock:
            found = (self._entities[(platform, i)] for i in self._children.get((platform, entity_id), []))
            return [_snapshot(e) for e in found if include_removed or e.status is not EntityStatus.removed]

    def status_history(self, platform: Platform, entity_id: str) -> list[tuple[datetime, EntityStatus]]:
        with self._lock:
            history = self._require_history(self._statuses, platform, entity_id)
            return [(datetime.fromtimestamp(t, UTC), v) for t, v in zip(history.times, history.values, strict=True)]

    def budget_history(self, platform: Platform, entity_id: str) -> list[tuple[datetime, int | None, int | None]]:
        """(from, daily budget micros, lifetime budget micros) entries, oldest first."""
        with self._lock:
            history = self._require_history(self._budgets, platform, entity_id)
            return [
                (datetime.fromtimestamp(t, UTC), v[0], v[1]) for t, v in zip(history.times, history.values, strict=True)
            ]

    def entity_changes(
        self, platform: Platform, account_id: str, since: datetime, until: datetime | None = None
    ) -> list[SimChange]:
        """The account's entities created, changed or removed in [``since``, ``until``] (default: now), oldest last
        change first. Only changes in effect by ``until`` count: a history entry further on (the demo plans some) is
        not reported before it happens."""
        end = (until or self.clock.now()).timestamp()
        start = since.timestamp()
        found: list[SimChange] = []
        with self._lock:
            for level in EntityLevel:
                for entity_id in self._by_account.get((platform, account_id, level), []):
                    key = (platform, entity_id)
                    entity = self._entities[key]
                    statuses, budgets = self._statuses[key], self._budgets[key]
                    moments = [t for t in (*statuses.times, *budgets.times, entity.updated_at.timestamp()) if t <= end]
                    if not moments or max(moments) < start:
                        continue
                    created = entity.created_at.timestamp()
                    current = _snapshot(entity)
                    current.status = statuses.at(end)
                    found.append(
                        SimChange(
                            entity=current,
                            changed_at=datetime.fromtimestamp(max(moments), UTC),
                            added=start <= created,
                            removed=current.status is EntityStatus.removed,
                        )
                    )
        found.sort(key=lambda change: change.changed_at)
        return found

    def profile(self, platform: Platform, entity_id: str) -> EntityProfile:
        """The entity's seeded traits (weights, demand, rates), for tests and explanations."""
        with self._lock:
            entity = self._require_entity(platform, entity_id)
            return self._profile(entity)

    def create_entity(
        self,
        platform: Platform,
        account_id: str,
        level: EntityLevel,
        *,
        name: str,
        parent_id: str | None,
        status: EntityStatus,
        objective: str,
        daily_budget_micros: int | None = None,
        lifetime_budget_micros: int | None = None,
        attributes: dict[str, Any] | None = None,
        created_at: datetime | None = None,
    ) -> SimEntity:
        """Create a campaign (no parent), ad group (parent: campaign) or ad (parent: ad group), from now on.

        ``created_at`` (default: the clock's now) lets the demo build history; an entity has no metrics before it.
        """
        with self._lock:
            account = self._accounts[platform].get(account_id)
            if account is None:
                raise SandboxWorldError(f"unknown account {account_id}")
            if account.is_manager:
                raise SandboxWorldError("a manager account has no campaigns")
            campaign_id = self._check_parent(platform, account_id, level, parent_id)
            if objective not in OBJECTIVES:
                raise SandboxWorldError(f"unknown objective {objective!r}")
            _check_budgets(level, daily_budget_micros, lifetime_budget_micros)
            moment = created_at or self.clock.now()
            entity_id = self._new_id(platform, level)
            entity = SimEntity(
                platform=platform,
                level=level,
                id=entity_id,
                account_id=account_id,
                campaign_id=campaign_id or entity_id,
                parent_id=parent_id,
                name=name,
                status=status,
                objective=objective,
                daily_budget_micros=daily_budget_micros,
                lifetime_budget_micros=lifetime_budget_micros,
                created_at=moment,
                updated_at=moment,
                attributes=dict(attributes or {}),
            )
            key = (platform, entity_id)
            self._entities[key] = entity
            self._by_account.setdefault((platform, account_id, level), []).append(entity_id)
            if parent_id is not None:
                self._children.setdefault((platform, parent_id), []).append(entity_id)
            self._statuses[key] = _History()
            self._statuses[key].append(moment, status)
            self._budgets[key] = _History()
            self._budgets[key].append(moment, (daily_budget_micros, lifetime_budget_micros))
            self._touch(platform, entity.campaign_id)
            return _snapshot(entity)

    def update_entity(
        self,
        platform: Platform,
        entity_id: str,
        *,
        name: str | None = None,
        status: EntityStatus | None = None,
        daily_budget_micros: int | None = None,
        lifetime_budget_micros: int | None = None,
        attributes: dict[str, Any] | None = None,
        clear_daily_budget: bool = False,
        clear_lifetime_budget: bool = False,
        at: datetime | None = None,
    ) -> SimEntity:
        """Change an entity from now on (``at``: a past moment, for building history). ``None`` leaves a field as it
        is; ``attributes`` are merged; the ``clear_*`` flags remove a budget. A removed entity stays removed."""
        with self._lock:
            entity = self._require_entity(platform, entity_id)
            moment = at or self.clock.now()
            if status is not None and status is not entity.status:
                if entity.status is EntityStatus.removed:
                    raise SandboxWorldError("a removed entity cannot change status")
                self._statuses[(platform, entity_id)].append(moment, status)
                entity.status = status
            daily = None if clear_daily_budget else (daily_budget_micros or entity.daily_budget_micros)
            lifetime = None if clear_lifetime_budget else (lifetime_budget_micros or entity.lifetime_budget_micros)
            if (daily, lifetime) != (entity.daily_budget_micros, entity.lifetime_budget_micros):
                _check_budgets(entity.level, daily, lifetime)
                self._budgets[(platform, entity_id)].append(moment, (daily, lifetime))
                entity.daily_budget_micros, entity.lifetime_budget_micros = daily, lifetime
            if name is not None:
                entity.name = name
            if attributes:
                entity.attributes.update(attributes)
            entity.updated_at = max(entity.updated_at, moment)
            self._touch(platform, entity.campaign_id)
            return _snapshot(entity)

    # ---- metrics -----------------------------------------------------------------------------------------------

    def daily_metrics(
        self,
        platform: Platform,
        account_id: str,
        level: EntityLevel,
        since: date,
        until: date,
        *,
        entity_ids: Iterable[str] | None = None,
        as_of: datetime | None = None,
    ) -> list[SimMetrics]:
        """One row per entity per local day with impressions or spend, as reported at ``as_of`` (default: now).

        Days after the account's "today" have no rows; today holds what was delivered up to ``as_of``; recent days'
        conversions are lower than they will finally be (late conversions). Rows come day by day, entities in
        creation order.
        """
        wanted = set(entity_ids) if entity_ids is not None else None
        with self._lock:
            account = self._require_account(platform, account_id)
            moment = (as_of or self.clock.now()).timestamp()
            time_zone, minor = account.time_zone, minor_unit_micros(account.currency)
            campaigns = self._campaigns_for(platform, account_id, level, wanted)
        rows: list[SimMetrics] = []
        if not campaigns:
            return rows
        day = since
        last = min(until, datetime.fromtimestamp(moment, ZoneInfo(time_zone)).date())
        while day <= last:
            hours, ad_days = self._ad_days(account, campaigns, day)
            totals: dict[str, list[int]] = {}
            for campaign_id, ads in ad_days:
                for ad in ads:
                    key = _level_key(level, ad, campaign_id)
                    if wanted is not None and key not in wanted:
                        continue
                    figures = _day_figures(ad, hours, moment)
                    into = totals.get(key)
                    if into is None:
                        totals[key] = list(figures)
                    else:
                        for i, value in enumerate(figures):
                            into[i] += value
            rows.extend(_row(level, key, day, None, values, minor) for key, values in totals.items())
            day += timedelta(days=1)
        return [r for r in rows if r.impressions or r.spend_micros]

    def hourly_metrics(
        self,
        platform: Platform,
        account_id: str,
        level: EntityLevel,
        day: date,
        *,
        entity_ids: Iterable[str] | None = None,
        as_of: datetime | None = None,
    ) -> list[SimMetrics]:
        """Rows per entity per local hour of ``day`` (hour-major order), as reported at ``as_of``; they sum to the
        day's row exactly."""
        wanted = set(entity_ids) if entity_ids is not None else None
        with self._lock:
            account = self._require_account(platform, account_id)
            moment = (as_of or self.clock.now()).timestamp()
            minor = minor_unit_micros(account.currency)
            campaigns = self._campaigns_for(platform, account_id, level, wanted)
        if not campaigns:
            return []
        hours, ad_days = self._ad_days(account, campaigns, day)
        totals: dict[str, list[list[int]]] = {}
        for campaign_id, ads in ad_days:
            for ad in ads:
                key = _level_key(level, ad, campaign_id)
                if wanted is not None and key not in wanted:
                    continue
                into = totals.setdefault(key, [[0] * _FIGURES for _ in range(24)])
                for hour, figures in enumerate(_hour_figures(ad, hours, moment)):
                    for i, value in enumerate(figures):
                        into[hour][i] += value
        rows = [
            _row(level, key, day, hour, per_hour[hour], minor) for hour in range(24) for key, per_hour in totals.items()
        ]
        return [r for r in rows if r.impressions or r.spend_micros]

    def _ad_days(
        self, account: SimAccount, campaigns: Sequence[SimEntity], day: date
    ) -> tuple[tuple[float, ...], list[tuple[str, tuple[_AdDay, ...]]]]:
        """The day's local hour boundaries and every campaign's ad days, read under the lock (see the class)."""
        with self._lock:
            hours = self._hours(account.time_zone, day)
            return hours, [
                (campaign.id, tuple(self._campaign_day(account, campaign, day, hours).values()))
                for campaign in campaigns
            ]

    # ---- internals: structure ----------------------------------------------------------------------------------

    def _require_account(self, platform: Platform, account_id: str) -> SimAccount:
        account = self._accounts[platform].get(account_id)
        if account is None:
            raise SandboxWorldError(f"unknown account {account_id}")
        return account

    def _require_entity(self, platform: Platform, entity_id: str) -> SimEntity:
        entity = self._entities.get((platform, entity_id))
        if entity is None:
            raise SandboxWorldError(f"unknown entity {entity_id}")
        return entity

    def _require_history(self, histories: dict[_EntityKey, _History], platform: Platform, entity_id: str) -> _History:
        history = histories.get((platform, entity_id))
        if history is None:
            raise SandboxWorldError(f"unknown entity {entity_id}")
        return history

    def _check_parent(
        self, platform: Platform, account_id: str, level: EntityLevel, parent_id: str | None
    ) -> str | None:
        expected = {EntityLevel.campaign: None, EntityLevel.ad_group: EntityLevel.campaign}.get(
            level, EntityLevel.ad_group
        )
        if expected is None:
            if parent_id is not None:
                raise SandboxWorldError("a campaign has no parent")
            return None
        if parent_id is None:
            raise SandboxWorldError(f"an entity at level {level} needs a parent")
        parent = self._entities.get((platform, parent_id))
        if parent is None or parent.account_id != account_id or parent.level is not expected:
            raise SandboxWorldError(f"parent {parent_id} is not a {expected} of account {account_id}")
        if parent.status is EntityStatus.removed:
            raise SandboxWorldError(f"parent {parent_id} is removed")
        return parent.campaign_id

    def _new_id(self, platform: Platform, level: EntityLevel) -> str:
        while True:
            candidate = _entity_id(self._ids, platform, level)
            if (platform, candidate) not in self._used_ids:
                self._used_ids.add((platform, candidate))
                return candidate

    def _touch(self, platform: Platform, campaign_id: str) -> None:
        # Cached days of this campaign were computed from the old histories; a new generation makes them unreachable
        # (they age out of the LRU cache).
        key = (platform, campaign_id)
        self._generation[key] = self._generation.get(key, 0) + 1

    def _campaigns_for(
        self, platform: Platform, account_id: str, level: EntityLevel, wanted: set[str] | None
    ) -> list[SimEntity]:
        ids = self._by_account.get((platform, account_id, EntityLevel.campaign), [])
        campaigns = [self._entities[(platform, i)] for i in ids]
        if wanted is None:
            return campaigns
        owners = {self._entities[(platform, i)].campaign_id for i in wanted if (platform, i) in self._entities}
        return [c for c in campaigns if c.id in owners]

    def _channel(self, campaign: SimEntity) -> _Channel:
        if campaign.platform is Platform.google:
            return _CHANNELS.get(
                str(campaign.attributes.get("advertising_channel_type", "SEARCH")), _CHANNELS["SEARCH"]
            )
        return _CHANNELS[str(campaign.platform)]

    def _profile(self, entity: SimEntity) -> EntityProfile:
        key = (entity.platform, entity.id)
        known = self._profiles.get(key)
        if known is not None:
            return known
        campaign = self._entities.get((entity.platform, entity.campaign_id), entity)
        channel = self._channel(campaign)
        ctr_m, cvr_m, _, _, view_m = _OBJECTIVES.get(campaign.objective, _OBJECTIVES["sales"])
        u = _uniforms(f"{self.seed}:{entity.platform}:{entity.id}:profile")
        z = [_normal(u[i], u[i + 1]) for i in range(0, 16, 2)]
        profile = EntityProfile(
            weight=math.exp(0.6 * z[0]),
            demand=1.3 * math.exp(0.55 * z[1]),
            ctr=min(0.35, channel.ctr * ctr_m * math.exp(0.35 * z[2])),
            cvr=min(0.6, channel.cvr * cvr_m * math.exp(0.4 * z[3])),
            cpm_factor=math.exp(0.25 * z[4]),
            aov_factor=math.exp(0.3 * z[5]),
            fatigue_rate=channel.fatigue_rate * math.exp(0.3 * z[6]),
            fatigue_floor=channel.fatigue_floor,
            view_rate=min(0.9, channel.view_rate * view_m * math.exp(0.15 * z[7])),
            frequency=channel.frequency,
        )
        self._profiles[key] = profile
        return profile

    # ---- internals: simulation ---------------------------------------------------------------------------------

    def _hours(self, time_zone: str, day: date) -> tuple[float, ...]:
        """Epoch seconds of the 25 local hour boundaries of ``day`` (a DST gap makes an hour empty)."""
        key = (time_zone, day.toordinal())
        known = self._hour_cache.get(key)
        if known is not None:
            return known
        if len(self._hour_cache) > 20_000:
            self._hour_cache.clear()
        zone = ZoneInfo(time_zone)
        following = day + timedelta(days=1)
        bounds = [datetime(day.year, day.month, day.day, h, tzinfo=zone).timestamp() for h in range(24)]
        bounds.append(datetime(following.year, following.month, following.day, tzinfo=zone).timestamp())
        for i in range(1, 25):  # keep them non-decreasing even around a DST change
            bounds[i] = max(bounds[i], bounds[i - 1])
        hours = tuple(bounds)
        self._hour_cache[key] = hours
        return hours

    def _activity(self, platform: Platform, entity_id: str, hours: Sequence[float]) -> _Activity:
        """When the entity was active during the day: 1.0 or 0.0 if nothing changed that day, else exact spans."""
        return self._activity_of(self._statuses[(platform, entity_id)], hours)

    @staticmethod
    def _activity_of(history: _History, hours: Sequence[float]) -> _Activity:
        start, end = hours[0], hours[24]
        if not history.changes_within(start, end):
            return 1.0 if history.times[0] <= start and history.at(start) is EntityStatus.active else 0.0
        return history.active_spans(start, end) or 0.0

    def _budget(self, platform: Platform, entity: SimEntity, hours: Sequence[float]) -> _Hourly | None:
        """The daily-equivalent budget in effect (micros) per hour, or ``None`` when the entity has none all day."""
        history = self._budgets[(platform, entity.id)]
        flight_days = max(1, int(entity.attributes.get("flight_days", 30)))

        def daily(value: Any) -> float:
            if value is None:
                return 0.0
            per_day, lifetime = value
            if per_day is not None:
                return float(per_day)
            return float(lifetime) / flight_days if lifetime is not None else 0.0

        start = hours[0]
        if not history.changes_within(start, hours[24]):
            value = history.at(start)
            if value is None or value == (None, None):
                return None
            return daily(value)
        return tuple(history.average(hours[h], hours[h + 1], daily) for h in range(24))

    def _campaign_day(
        self, account: SimAccount, campaign: SimEntity, day: date, hours: Sequence[float]
    ) -> dict[str, _AdDay]:
        """Every ad's final figures for one local day, cached per campaign generation."""
        platform = campaign.platform
        key = (platform, campaign.id, day.toordinal(), self._generation.get((platform, campaign.id), 0))
        cached = self._cache.get(key)
        if cached is not None:
            self._cache.move_to_end(key)
            return cached
        result = self._simulate_campaign_day(account, campaign, day, hours)
        self._cache[key] = result
        if len(self._cache) > _CACHE_LIMIT:
            self._cache.popitem(last=False)
        return result

    def _simulate_campaign_day(
        self, account: SimAccount, campaign: SimEntity, day: date, hours: Sequence[float]
    ) -> dict[str, _AdDay]:
        platform = campaign.platform
        if campaign.created_at.timestamp() >= hours[24]:
            return {}
        campaign_activity = _combine(
            self._activity_of(self._account_statuses[(platform, account.account_id)], hours),
            self._activity(platform, campaign.id, hours),
        )
        if campaign_activity == 0.0:
            return {}
        # (group, ad, activity) for every ad that was active at some point of the day.
        members: list[tuple[SimEntity, SimEntity, _Activity]] = []
        for group_id in self._children.get((platform, campaign.id), []):
            group = self._entities[(platform, group_id)]
            group_activity = _combine(campaign_activity, self._activity(platform, group_id, hours))
            if group_activity == 0.0:
                continue
            for ad_id in self._children.get((platform, group_id), []):
                ad_activity = _combine(group_activity, self._activity(platform, ad_id, hours))
                if ad_activity != 0.0:
                    members.append((group, self._entities[(platform, ad_id)], ad_activity))
        if not members:
            return {}
        channel = self._channel(campaign)
        # Budget holders: the campaign when it has a budget, else each ad group with one (Meta ad set budgets).
        holders: list[tuple[SimEntity, _Hourly, list[tuple[SimEntity, SimEntity, _Activity, float]]]] = []
        campaign_budget = self._budget(platform, campaign, hours)
        if campaign_budget is not None:
            shares = [
                (group, ad, activity, self._profile(group).weight * self._profile(ad).weight)
                for group, ad, activity in members
            ]
            holders.append((campaign, campaign_budget, shares))
        else:
            by_group: dict[str, list[tuple[SimEntity, SimEntity, _Activity, float]]] = {}
            for group, ad, activity in members:
                by_group.setdefault(group.id, []).append((group, ad, activity, self._profile(ad).weight))
            for entries in by_group.values():
                group_budget = self._budget(platform, entries[0][0], hours)
                if group_budget is not None:
                    holders.append((entries[0][0], group_budget, entries))
        result: dict[str, _AdDay] = {}
        curve = _day_curve(channel.family, hours)
        for holder, budget, shares in holders:
            mean_budget = (
                budget if isinstance(budget, float) else sum(w * b for w, b in zip(curve[0], budget, strict=True))
            )
            spend_share, utilization = self._pace(holder, channel, day, mean_budget)
            if spend_share <= 0.0:
                continue
            for group, ad, activity, spend, cumulative in _split_spend(budget, spend_share, shares, curve, hours):
                ad_day = self._ad_day(account, campaign, channel, group, ad, day, spend, utilization, cumulative)
                if ad_day is not None:
                    ad_day.spans = None if isinstance(activity, float) else activity
                    result[ad.id] = ad_day
        return result

    def _pace(self, holder: SimEntity, channel: _Channel, day: date, budget: float) -> tuple[float, float]:
        """(share of the budget spent, share of the available inventory bought) for one holder-day.

        The holder's *potential* (what its audience and bids could absorb that day) is fixed in absolute terms by its
        first budget and its demand trait, so raising the budget later buys a growing share of the same inventory at
        a rising price: diminishing returns.
        """
        reference = self._reference_budget(holder)
        if budget <= 0.0 or reference <= 0.0:
            return 0.0, 0.0
        u = _uniforms(f"{self.seed}:{holder.platform}:{holder.id}:{day.toordinal()}:pace")
        weekday_demand = _WEEKDAY[channel.family][day.weekday()][0]
        noise = math.exp(0.18 * _normal(u[0], u[1]))
        potential = self._profile(holder).demand * reference * weekday_demand * _season(day) * noise
        ratio = potential / budget
        # A soft minimum of potential and budget: demand-rich holders pace to the budget, others underspend.
        saturation = 1.0 / (1.0 + ratio**4) ** 0.25
        delivery = min(1.25, max(0.85, 1.0 + 0.06 * _normal(u[2], u[3])))
        return ratio * saturation * delivery, saturation

    def _local_creation_day(self, entity: SimEntity, time_zone: str) -> int:
        key = (entity.platform, entity.id)
        known = self._creation_days.get(key)
        if known is None:
            known = self._creation_days[key] = entity.created_at.astimezone(ZoneInfo(time_zone)).date().toordinal()
        return known

    def _reference_budget(self, holder: SimEntity) -> float:
        """The holder's first daily-equivalent budget: the scale its potential was set at."""
        flight_days = max(1, int(holder.attributes.get("flight_days", 30)))
        for daily, lifetime in self._budgets[(holder.platform, holder.id)].values:
            if daily is not None:
                return float(daily)
            if lifetime is not None:
                return float(lifetime) / flight_days
        return 0.0

    def _ad_day(
        self,
        account: SimAccount,
        campaign: SimEntity,
        channel: _Channel,
        group: SimEntity,
        ad: SimEntity,
        day: date,
        spend_micros: float,
        utilization: float,
        cumulative: tuple[float, ...],
    ) -> _AdDay | None:
        minor = minor_unit_micros(account.currency)
        spend_minor = spend_micros / minor
        if spend_minor < 1.0:
            return None
        profile = self._profile(ad)
        u = _uniforms(f"{self.seed}:{ad.platform}:{ad.id}:{day.toordinal()}")
        z = [_normal(u[i], u[i + 1]) for i in range(0, 12, 2)]
        units_per_usd = _UNITS_PER_USD.get(account.currency, 1.0)
        _, _, cpm_m, value_m, _ = _OBJECTIVES.get(campaign.objective, _OBJECTIVES["sales"])
        weekday_cvr = _WEEKDAY[channel.family][day.weekday()][1]
        # CPM in account-currency micros; it climbs as the holder buys more of its available inventory.
        cpm = channel.cpm_usd * cpm_m * units_per_usd * MICROS * profile.cpm_factor
        cpm *= (1.0 + 0.5 * utilization * utilization) * math.exp(0.08 * z[0])
        impressions = spend_micros / cpm * 1000.0
        age_days = max(0, day.toordinal() - self._local_creation_day(ad, account.time_zone))
        fatigue = profile.fatigue_floor + (1.0 - profile.fatigue_floor) * math.exp(-profile.fatigue_rate * age_days)
        order_value_minor = (
            self._order_value_usd.get((account.platform, account.account_id), 70.0)
            * units_per_usd
            * (MICROS / minor)
            * value_m
            * profile.aov_factor
            * math.exp(0.2 * z[3])
        )
        frequency = profile.frequency * (0.9 + 0.4 * utilization) * math.exp(0.05 * z[4])
        click_ratio = min(0.5, profile.ctr * fatigue * math.exp(0.12 * z[1]))
        ad_day = _AdDay(
            ad.id,
            group.id,
            spend_minor=spend_minor,
            impressions=impressions,
            click_ratio=click_ratio,
            reach_ratio=1.0 / max(1.0, frequency),
            view_ratio=min(0.95, profile.view_rate * math.exp(0.1 * z[5])),
            # Meta's all clicks add likes, comments, profile and "see more" clicks to link clicks: a third more or
            # so, varying with the ad (no draw of its own, so every other figure stays as it was).
            other_click_ratio=click_ratio * 0.35 * math.exp(0.3 * z[4]) if account.platform is Platform.meta else 0.0,
            conversions=0,
            value_minor=0,
            cumulative=cumulative,
            spans=None,
            offset=u[12],
            lag_seed=int(u[14] * 2**32) ^ (int(u[15] * 2**32) << 32),
        )
        clicks = _cumulative_figures(ad_day, 1.0)[1]
        expected = clicks * min(0.9, profile.cvr * weekday_cvr * math.exp(0.15 * z[2]))
        # Stochastic rounding keeps small ads converting now and then instead of never.
        ad_day.conversions = min(clicks, math.floor(expected + u[13]))
        ad_day.value_minor = round(ad_day.conversions * order_value_minor)
        return ad_day


def _split_spend(
    budget: _Hourly,
    spend_share: float,
    shares: list[tuple[SimEntity, SimEntity, _Activity, float]],
    curve: tuple[tuple[float, ...], tuple[float, ...]],
    hours: Sequence[float],
) -> list[tuple[SimEntity, SimEntity, _Activity, float, tuple[float, ...]]]:
    """Split a holder's day among its ads by weight, hour by hour among those active in the hour.

    Returns (group, ad, activity, spend micros, cumulative hourly shape) per ad that spent. An ad paused for part of
    an hour gets that part of its share; its siblings take up the rest.
    """
    if isinstance(budget, float) and all(isinstance(activity, float) for _, _, activity, _ in shares):
        # Nothing changed during the day: every ad follows the platform's hour curve.
        total_weight = sum(weight for _, _, _, weight in shares)
        day_spend = budget * spend_share
        return [
            (group, ad, activity, day_spend * weight / total_weight, curve[1]) for group, ad, activity, weight in shares
        ]
    hour_weights = curve[0]
    hourly_budget = budget if isinstance(budget, tuple) else (budget,) * 24
    fractions = [_hour_fractions(activity, hours) for _, _, activity, _ in shares]
    weights = [weight for _, _, _, weight in shares]
    per_ad = [[0.0] * 24 for _ in shares]
    for hour in range(24):
        active_weight = sum(f[hour] * w for f, w in zip(fractions, weights, strict=True))
        if active_weight <= 0.0:
            continue
        covered = max(f[hour] for f in fractions)
        hour_spend = hourly_budget[hour] * spend_share * hour_weights[hour] * covered
        for i, (f, w) in enumerate(zip(fractions, weights, strict=True)):
            per_ad[i][hour] = hour_spend * f[hour] * w / active_weight
    split: list[tuple[SimEntity, SimEntity, _Activity, float, tuple[float, ...]]] = []
    for (group, ad, activity, _), hourly in zip(shares, per_ad, strict=True):
        total = sum(hourly)
        if total > 0.0:
            split.append((group, ad, activity, total, _normalized_cumulative(hourly)))
    return split


def _level_key(level: EntityLevel, ad: _AdDay, campaign_id: str) -> str:
    if level is EntityLevel.ad:
        return ad.ad_id
    if level is EntityLevel.ad_group:
        return ad.group_id
    return campaign_id


def _visible_share(ad: _AdDay, hours: Sequence[float], as_of: float) -> tuple[int, float]:
    """(the last local hour with data, the cumulative delivery share visible at ``as_of``); (-1, 0.0) if none.

    Within the current hour delivery is spread evenly over the time the ad was active in it.
    """
    if as_of >= hours[24]:
        return 23, 1.0
    if as_of <= hours[0]:
        return -1, 0.0
    hour = min(23, bisect.bisect_right(hours, as_of) - 1)
    start, end = hours[hour], hours[hour + 1]
    if ad.spans is None:
        fraction = (as_of - start) / (end - start) if end > start else 1.0
    else:
        active = _overlap(ad.spans, start, end)
        fraction = _overlap(ad.spans, start, as_of) / active if active > 0 else 1.0
    low, high = ad.cumulative[hour], ad.cumulative[hour + 1]
    return hour, low + (high - low) * fraction


def _conversions_per_hour(ad: _AdDay, last_hour: int, share: float) -> list[int]:
    """How many of the day's final conversions belong to each hour up to the visible share."""
    per_hour = [0] * 24
    previous = 0
    for hour in range(last_hour + 1):
        boundary = share if hour == last_hour else ad.cumulative[hour + 1]
        upto = _cumulative_figures(ad, boundary)[3]
        per_hour[hour] = upto - previous
        previous = upto
    return per_hour


def _is_settled(hours: Sequence[float], as_of: float) -> bool:
    return as_of >= hours[24] + MATURITY_HOURS * 3600


def _day_figures(ad: _AdDay, hours: Sequence[float], as_of: float) -> _Figures:
    last_hour, share = _visible_share(ad, hours, as_of)
    if last_hour < 0:
        return _NOTHING
    impressions, clicks, spend, visible_conversions, reach, views, all_clicks = _cumulative_figures(ad, share)
    if _is_settled(hours, as_of):
        conversions, value = ad.conversions, ad.value_minor
    elif visible_conversions == 0:
        conversions, value = 0, 0
    else:
        per_hour, values = _reported(ad, hours[1:], as_of, _conversions_per_hour(ad, last_hour, share))
        conversions, value = sum(per_hour), sum(values)
    return impressions, clicks, spend, conversions, value, reach, views, all_clicks


def _hour_figures(ad: _AdDay, hours: Sequence[float], as_of: float) -> list[_Figures]:
    """Per local hour; differences of cumulative figures, so the hours sum exactly to ``_day_figures``."""
    last_hour, share = _visible_share(ad, hours, as_of)
    figures: list[_Figures] = [_NOTHING] * 24
    if last_hour < 0:
        return figures
    conversions, values = _reported(ad, hours[1:], as_of, _conversions_per_hour(ad, last_hour, share))
    previous = (0, 0, 0, 0, 0, 0, 0)
    for hour in range(last_hour + 1):
        current = _cumulative_figures(ad, share if hour == last_hour else ad.cumulative[hour + 1])
        delta = [c - p for c, p in zip(current, previous, strict=True)]
        figures[hour] = (
            delta[0], delta[1], delta[2], conversions[hour], values[hour], delta[4], delta[5], delta[6]
        )  # fmt: skip
        previous = current
    return figures


def _row(level: EntityLevel, key: str, day: date, hour: int | None, values: Sequence[int], minor: int) -> SimMetrics:
    return SimMetrics(
        level=level,
        entity_id=key,
        day=day,
        hour=hour,
        impressions=values[0],
        clicks=values[1],
        spend_micros=values[2] * minor,
        conversions=values[3],
        conversion_value_micros=values[4] * minor,
        reach=values[5],
        video_views=values[6],
        all_clicks=values[7],
    )


def _snapshot(entity: SimEntity) -> SimEntity:
    return replace(entity, attributes=dict(entity.attributes))


def _check_budgets(level: EntityLevel, daily: int | None, lifetime: int | None) -> None:
    if level is EntityLevel.ad and (daily is not None or lifetime is not None):
        raise SandboxWorldError("ads have no budget")
    for value in (daily, lifetime):
        if value is not None and value <= 0:
            raise SandboxWorldError("a budget must be positive")


def _digits(rng: random.Random, prefix: str, length: int) -> str:
    return prefix + "".join(rng.choice("0123456789") for _ in range(length - len(prefix)))


def _entity_id(rng: random.Random, platform: Platform, level: EntityLevel) -> str:
    """An id shaped like the platform's own: Google numeric (11-12 digits), Meta 17 digits, TikTok 19 digits."""
    if platform is Platform.google:
        return {
            EntityLevel.campaign: _digits(rng, "2" + rng.choice("0123"), 11),
            EntityLevel.ad_group: _digits(rng, "1" + rng.choice("45678"), 12),
            EntityLevel.ad: _digits(rng, "7" + rng.choice("0123456"), 12),
        }[level]
    if platform is Platform.meta:
        return _digits(rng, "238" + rng.choice("56789"), 17)
    return _digits(rng, "17" + rng.choice("6789"), 19)


# ---- the demo world ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Brand:
    name: str
    products: tuple[str, ...]
    geos: tuple[str, ...]
    order_value_usd: float


_CONTOSO = _Brand("Contoso Outdoor", ("Hiking boots", "Rain jackets", "Tents", "Trail shoes", "Backpacks"),
                  ("US", "CA"), 95.0)  # fmt: skip
_FABRIKAM = _Brand("Fabrikam Home", ("Sofas", "Lighting", "Bedding", "Rugs", "Kitchen"), ("DE", "AT", "CH"), 140.0)
_TAILSPIN = _Brand("Tailspin Coffee", ("Espresso beans", "Subscriptions", "Grinders", "Gift boxes"), ("UK", "IE"), 48.0)
_KANDA = _Brand("Kanda Tea", ("Matcha", "Sencha", "Tea sets", "Gift boxes"), ("JP",), 55.0)
_COUNTRY = {"UK": "GB"}  # market names in campaign names -> ISO 3166 codes in targeting
_SEASONS = ("Spring", "Summer", "Autumn", "Holiday", "Evergreen")


@dataclass(frozen=True)
class _Template:
    name: str  # formatted with brand, product, geo, season
    objective: str
    attributes: dict[str, Any]
    budget_usd: tuple[float, float]
    group_names: tuple[str, ...]
    ad_names: tuple[str, ...]


def _g(channel: str, bidding: str, **extra: Any) -> dict[str, Any]:
    return {"advertising_channel_type": channel, "bidding_strategy_type": bidding, **extra}


_GOOGLE_TEMPLATES = (
    _Template("{brand} — Search — {geo}", "sales", _g("SEARCH", "TARGET_ROAS"), (60, 300),
              ("Brand — exact", "Brand — phrase", "Brand + product"), ("RSA — brand — v{n}", "RSA — offer — v{n}")),
    _Template("Generic — Search — {product} — {geo}", "sales", _g("SEARCH", "MAXIMIZE_CONVERSIONS"), (80, 450),
              ("{product} — exact", "{product} — phrase", "{product} — broad", "Buy {product} online"),
              ("RSA — {product} — v{n}", "RSA — free shipping — v{n}", "RSA — reviews — v{n}")),
    _Template("Competitors — Search — {geo}", "traffic", _g("SEARCH", "TARGET_CPA"), (40, 160),
              ("Competitor terms", "Alternatives to"), ("RSA — compare — v{n}",)),
    _Template("PMax — {product} — {geo}", "sales", _g("PERFORMANCE_MAX", "MAXIMIZE_CONVERSION_VALUE"), (100, 500),
              ("Asset group — {product}", "Asset group — bestsellers"), ("Asset group ad — v{n}",)),
    _Template("Shopping — {product} — {geo}", "sales", _g("SHOPPING", "MANUAL_CPC"), (50, 250),
              ("All products", "{product} — top sellers"), ("Product ad",)),
    _Template("Display — Remarketing — 30d", "sales", _g("DISPLAY", "TARGET_CPA"), (20, 120),
              ("Cart abandoners 30d", "Site visitors 30d", "Past buyers 180d"),
              ("Responsive display — {product} — v{n}", "Responsive display — offer — v{n}")),
    _Template("YouTube — Awareness — {geo}", "awareness", _g("VIDEO", "TARGET_CPM"), (40, 200),
              ("In-market — {product}", "Custom segment — competitors"),
              ("Bumper 6s — {product} — v{n}", "In-stream 15s — {season} — v{n}")),
    _Template("Leads — Search — Wholesale — {geo}", "leads", _g("SEARCH", "MAXIMIZE_CONVERSIONS"), (30, 120),
              ("Wholesale {product}", "B2B {product}"), ("RSA — wholesale — v{n}",)),
)  # fmt: skip


def _m(objective: str, goal: str, billing: str = "IMPRESSIONS", **extra: Any) -> dict[str, Any]:
    return {"objective": objective, "optimization_goal": goal, "billing_event": billing,
            "bid_strategy": "LOWEST_COST_WITHOUT_CAP", **extra}  # fmt: skip


_META_TEMPLATES = (
    _Template("Prospecting | Lookalike 1% | {season}", "sales", _m("OUTCOME_SALES", "OFFSITE_CONVERSIONS"), (60, 300),
              ("LAL 1% purchasers — 25-54", "LAL 1% add to cart — 18-65+", "LAL 3% purchasers — {geo}"),
              ("Video — UGC testimonial v{n}", "Carousel — bestsellers", "Static — {season} offer v{n}")),
    _Template("Prospecting | Broad | Advantage+", "sales", _m("OUTCOME_SALES", "OFFSITE_CONVERSIONS"), (80, 400),
              ("Broad — {geo} — 18-65+", "Broad — {geo} — women 25-54"),
              ("Reel — {product} demo v{n}", "Collection — {product}", "Static — {product} v{n}")),
    _Template("Retargeting — DPA — 30d", "sales", _m("OUTCOME_SALES", "OFFSITE_CONVERSIONS"), (30, 150),
              ("Viewed product 30d", "Add to cart 14d"), ("DPA — catalog carousel", "DPA — single image")),
    _Template("Retargeting | Engaged 60d | {product}", "sales", _m("OUTCOME_SALES", "OFFSITE_CONVERSIONS"), (25, 120),
              ("Engaged IG 60d", "Website visitors 60d"), ("Video — {product} how-to v{n}", "Static — reviews v{n}")),
    _Template("Traffic | Blog | {geo}", "traffic", _m("OUTCOME_TRAFFIC", "LANDING_PAGE_VIEWS"), (20, 80),
              ("Interests — {product}", "Broad — {geo}"), ("Link — guide to {product} v{n}",)),
    _Template("Leads | Newsletter | {geo}", "leads", _m("OUTCOME_LEADS", "LEAD_GENERATION"), (30, 120),
              ("Lead form — {geo} — 25-54", "Lead form — LAL subscribers"), ("Lead ad — {season} guide v{n}",)),
    _Template("Awareness | Video | {season}", "awareness", _m("OUTCOME_AWARENESS", "REACH"), (40, 200),
              ("Broad — {geo} — 18-44",), ("Video — brand film 15s v{n}", "Video — {product} 6s v{n}")),
    _Template("App | Installs | iOS", "app_installs", _m("OUTCOME_APP_PROMOTION", "APP_INSTALLS"), (50, 200),
              ("iOS — {geo} — broad", "iOS — LAL app users"), ("Video — app walkthrough v{n}", "Static — app v{n}")),
)  # fmt: skip


def _t(objective_type: str, goal: str, billing: str) -> dict[str, Any]:
    return {"objective_type": objective_type, "optimization_goal": goal, "billing_event": billing,
            "budget_mode": "BUDGET_MODE_DAY", "bid_type": "BID_TYPE_NO_BID"}  # fmt: skip


_TIKTOK_TEMPLATES = (
    _Template("Web Conversions — Broad — {geo}", "sales", _t("WEB_CONVERSIONS", "CONVERT", "OCPM"), (50, 300),
              ("Broad 18-44", "Broad 25-54 — {geo}", "Interest — {product}"),
              ("UGC hook A — 15s v{n}", "UGC hook B — 21s v{n}", "Product demo — 9:16 v{n}")),
    _Template("Spark Ads — Creators — {season}", "sales", _t("WEB_CONVERSIONS", "CONVERT", "OCPM"), (60, 250),
              ("Spark — creators — broad", "Spark — LAL purchasers"), ("Spark — @creator{n} — {product}",)),
    _Template("Traffic — {product} — {geo}", "traffic", _t("TRAFFIC", "CLICK", "CPC"), (50, 150),
              ("Interest — {product}", "Broad 18-34"), ("Product demo — 9:16 v{n}", "Slideshow — {product} v{n}")),
    _Template("Reach — Brand — {season}", "awareness", _t("REACH", "REACH", "CPM"), (50, 200),
              ("Broad 18-54 — {geo}",), ("Brand story — 30s v{n}", "Logo sting — 6s v{n}")),
    _Template("Video Views — {product} launch", "video_views", _t("VIDEO_VIEWS", "VIDEO_VIEW", "CPV"), (50, 180),
              ("Broad 18-34", "Interest — lifestyle"), ("Launch teaser — 9s v{n}", "Launch — 15s v{n}")),
    _Template("App Install — Android — {geo}", "app_installs", _t("APP_PROMOTION", "INSTALL", "OCPM"), (50, 200),
              ("Android — broad", "Android — LAL app users"), ("App walkthrough — 15s v{n}",)),
    _Template("Lead Gen — {product} — {geo}", "leads", _t("LEAD_GENERATION", "LEAD_GENERATION", "OCPM"), (50, 150),
              ("Instant form — {geo}", "Instant form — interest {product}"), ("Lead form — {season} offer v{n}",)),
)  # fmt: skip


@dataclass(frozen=True)
class _DemoAccount:
    platform: Platform
    name: str
    currency: str
    time_zone: str
    brand: _Brand | None  # None: a manager account
    campaigns: int
    manager_of: tuple[int, ...] = ()  # indexes (within the platform) of the clients of a manager


_DEMO_ACCOUNTS = (
    _DemoAccount(Platform.google, "Northwind Agency MCC", "USD", "America/New_York", None, 0, manager_of=(1, 2)),
    _DemoAccount(Platform.google, "Contoso Outdoor — US", "USD", "America/Los_Angeles", _CONTOSO, 14),
    _DemoAccount(Platform.google, "Fabrikam Home — DE", "EUR", "Europe/Berlin", _FABRIKAM, 12),
    _DemoAccount(Platform.google, "Tailspin Coffee Roasters", "GBP", "Europe/London", _TAILSPIN, 10),
    _DemoAccount(Platform.meta, "Contoso Outdoor", "USD", "America/Los_Angeles", _CONTOSO, 12),
    _DemoAccount(Platform.meta, "Fabrikam Home EU", "EUR", "Europe/Berlin", _FABRIKAM, 10),
    _DemoAccount(Platform.meta, "Kanda Tea Japan", "JPY", "Asia/Tokyo", _KANDA, 8),
    _DemoAccount(Platform.tiktok, "Contoso Outdoor — TikTok", "USD", "America/New_York", _CONTOSO, 12),
    _DemoAccount(Platform.tiktok, "Tailspin Coffee UK", "GBP", "Europe/London", _TAILSPIN, 9),
)

# (display name, email, which of the platform's accounts by index): the first sees everything, the second one account.
_DEMO_LOGINS: dict[Platform, tuple[tuple[str, str, tuple[int, ...]], ...]] = {
    Platform.google: (
        ("Alex Rivera", "alex.rivera@northwind-agency.example", (0, 3)),
        ("Sam Chen", "sam.chen@tailspin-coffee.example", (3,)),
    ),
    Platform.meta: (
        ("Alex Rivera", "alex.rivera@northwind-agency.example", (0, 1, 2)),
        ("Priya Natarajan", "priya@fabrikam-home.example", (1,)),
    ),
    Platform.tiktok: (
        ("Alex Rivera", "alex.rivera@northwind-agency.example", (0, 1)),
        ("Jamie Okafor", "jamie@tailspin-coffee.example", (1,)),
    ),
}


def _account_id(rng: random.Random, platform: Platform) -> str:
    if platform is Platform.google:
        return _digits(rng, str(rng.randint(1, 9)), 10)
    if platform is Platform.meta:
        return _digits(rng, str(rng.randint(1, 9)), 16)
    return _digits(rng, "7" + rng.choice("0123"), 19)


def _login_id(rng: random.Random, platform: Platform) -> str:
    if platform is Platform.google:
        return _digits(rng, "1", 21)  # Google account (``sub``) ids
    if platform is Platform.meta:
        return _digits(rng, "10", 17)
    return _digits(rng, "7", 19)


def _money(rng: random.Random, usd_range: tuple[float, float], currency: str) -> int:
    """A round budget in the account currency: whole units (hundreds of yen), in micros."""
    amount = rng.uniform(*usd_range) * _UNITS_PER_USD.get(currency, 1.0)
    step = 100 if currency in ZERO_DECIMAL_CURRENCIES else 5
    return max(step, round(amount / step) * step) * MICROS


def build_demo_world(seed: int = 7, clock: SandboxClock | None = None) -> SandboxWorld:
    """The demo's three platforms, 100-200 days of history up to the clock's today, reproducible for a seed.

    History is placed relative to midnight UTC of the clock's current day, so worlds built the same day from the same
    seed are identical.
    """
    clock = clock or SandboxClock()
    world = SandboxWorld(seed=seed, clock=clock)
    rng = random.Random(f"adpilot-sandbox:{seed}")  # noqa: S311 - a simulation, not security
    now = clock.now()
    anchor = datetime(now.year, now.month, now.day, tzinfo=UTC)
    platform_accounts: dict[Platform, list[str]] = {p: [] for p in Platform}
    for spec in _DEMO_ACCOUNTS:
        account_id = _account_id(rng, spec.platform)
        platform_accounts[spec.platform].append(account_id)
        world.add_account(
            SimAccount(
                platform=spec.platform,
                account_id=account_id,
                name=spec.name,
                currency=spec.currency,
                time_zone=spec.time_zone,
                is_manager=spec.brand is None,
            ),
            order_value_usd=spec.brand.order_value_usd if spec.brand else 70.0,
        )
    for spec in _DEMO_ACCOUNTS:
        if spec.manager_of:
            ids = platform_accounts[spec.platform]
            manager_id = ids[next(i for i, s in enumerate(_platform_specs(spec.platform)) if s is spec)]
            for index in spec.manager_of:
                world._accounts[spec.platform][ids[index]].manager_id = manager_id
    for platform, logins in _DEMO_LOGINS.items():
        for display_name, email, indexes in logins:
            world.add_login(
                SandboxLogin(
                    platform=platform,
                    login_id=_login_id(rng, platform),
                    display_name=display_name,
                    email=email,
                    account_ids=tuple(platform_accounts[platform][i] for i in indexes),
                )
            )
    for spec in _DEMO_ACCOUNTS:
        if spec.brand is None:
            continue
        index = _platform_specs(spec.platform).index(spec)
        _build_account(world, rng, spec, platform_accounts[spec.platform][index], anchor)
    return world


def _platform_specs(platform: Platform) -> list[_DemoAccount]:
    return [s for s in _DEMO_ACCOUNTS if s.platform is platform]


def _build_account(
    world: SandboxWorld, rng: random.Random, spec: _DemoAccount, account_id: str, anchor: datetime
) -> None:
    assert spec.brand is not None  # noqa: S101 - managers are skipped by the caller
    brand = spec.brand
    templates = {Platform.google: _GOOGLE_TEMPLATES, Platform.meta: _META_TEMPLATES}.get(
        spec.platform, _TIKTOK_TEMPLATES
    )
    used_names: set[str] = set()
    for number in range(spec.campaigns):
        template = templates[number % len(templates)] if number < len(templates) else rng.choice(templates)
        words = {"brand": brand.name, "product": rng.choice(brand.products), "geo": rng.choice(brand.geos),
                 "season": rng.choice(_SEASONS)}  # fmt: skip
        base = template.name.format(**words)
        # Templates reused within an account are told apart the way media buyers do: by market, season or product.
        candidates = [
            base,
            *(f"{base} — {words[k]}" for k in ("geo", "season", "product") if f"{{{k}}}" not in template.name),
        ]
        name = next((c for c in candidates if c not in used_names), f"{base} — {number + 1}")
        used_names.add(name)
        _build_campaign(world, rng, spec, account_id, anchor, template, name, words)


def _build_campaign(
    world: SandboxWorld,
    rng: random.Random,
    spec: _DemoAccount,
    account_id: str,
    anchor: datetime,
    template: _Template,
    name: str,
    words: dict[str, str],
) -> None:
    platform = spec.platform
    created = anchor - timedelta(days=rng.uniform(100, 200))
    budget = _money(rng, template.budget_usd, spec.currency)
    # Optimization goal and billing event belong to ad sets / ad groups, not to Meta and TikTok campaigns.
    ad_group_keys = ("optimization_goal", "billing_event") if platform is not Platform.google else ()
    attributes = {k: v for k, v in template.attributes.items() if k not in ad_group_keys}
    # Meta mixes campaign budgets (CBO) and ad set budgets; Google and TikTok budget at the campaign.
    campaign_budget = platform is not Platform.meta or rng.random() < 0.5
    lifetime_campaign = platform is Platform.tiktok and rng.random() < 0.12
    if platform is Platform.meta:
        attributes["budget_level"] = "campaign" if campaign_budget else "ad_set"
    if lifetime_campaign:
        attributes["budget_mode"] = "BUDGET_MODE_TOTAL"
        attributes["flight_days"] = 60
    if platform is Platform.google:
        attributes["budget_delivery_method"] = "STANDARD"
    campaign = world.create_entity(
        platform,
        account_id,
        EntityLevel.campaign,
        name=name,
        parent_id=None,
        status=EntityStatus.active,
        objective=template.objective,
        daily_budget_micros=budget if campaign_budget and not lifetime_campaign else None,
        lifetime_budget_micros=budget * 60 if lifetime_campaign else None,
        attributes=attributes,
        created_at=created,
    )
    group_names = list(template.group_names)
    rng.shuffle(group_names)
    group_count = rng.randint(1, min(4, len(group_names) + 1))
    for g in range(group_count):
        group_name = (group_names[g] if g < len(group_names) else f"{group_names[0]} — test {g}").format(**words)
        group_attributes: dict[str, Any] = {}
        group_budget: int | None = None
        group_lifetime: int | None = None
        if platform is Platform.meta:
            group_attributes = {
                k: template.attributes[k] for k in ("optimization_goal", "billing_event", "bid_strategy")
            }
            group_attributes["targeting"] = {
                "geo_locations": {"countries": [_COUNTRY.get(words["geo"], words["geo"])]},
                "age_min": rng.choice((18, 21, 25)),
                "age_max": rng.choice((44, 54, 65)),
            }
            if not campaign_budget:
                if rng.random() < 0.15:
                    group_lifetime = _money(rng, (600, 3000), spec.currency)
                    group_attributes["flight_days"] = 30
                else:
                    group_budget = _money(rng, (15, 120), spec.currency)
        elif platform is Platform.tiktok:
            group_attributes = {
                "optimization_goal": template.attributes["optimization_goal"],
                "billing_event": template.attributes["billing_event"],
                "placement_type": "PLACEMENT_TYPE_NORMAL",
                "placements": ["PLACEMENT_TIKTOK"],
            }
        else:
            group_attributes = {"type": _google_group_type(str(attributes["advertising_channel_type"]))}
        group = world.create_entity(
            platform,
            account_id,
            EntityLevel.ad_group,
            name=group_name,
            parent_id=campaign.id,
            status=EntityStatus.active,
            objective=template.objective,
            daily_budget_micros=group_budget,
            lifetime_budget_micros=group_lifetime,
            attributes=group_attributes,
            created_at=created + timedelta(minutes=rng.randint(2, 90)),
        )
        ad_count = rng.randint(1, 4)
        for a in range(ad_count):
            ad_name = template.ad_names[a % len(template.ad_names)].format(n=a // len(template.ad_names) + 1, **words)
            # The first ads launch with their ad group; later ones are creative refreshes weeks or months in.
            refresh = a > 0 and rng.random() < 0.35
            ad_created = (
                anchor - timedelta(days=rng.uniform(10, 80), hours=rng.uniform(0, 23))
                if refresh
                else group.created_at + timedelta(minutes=rng.randint(1, 30))
            )
            ad = world.create_entity(
                platform,
                account_id,
                EntityLevel.ad,
                name=ad_name,
                parent_id=group.id,
                status=EntityStatus.active,
                objective=template.objective,
                attributes=_ad_attributes(platform, str(attributes.get("advertising_channel_type", "")), rng),
                created_at=max(ad_created, group.created_at + timedelta(minutes=1)),
            )
            if rng.random() < 0.08:
                _change_status(world, rng, platform, ad.id, anchor, EntityStatus.paused, ad.created_at)
        if group_count > 1 and rng.random() < 0.08:
            _change_status(world, rng, platform, group.id, anchor, EntityStatus.paused, group.created_at)
    # Budget changes some weeks ago, then the campaign's own fate: most run, a few are paused, a few removed.
    if campaign_budget and not lifetime_campaign and rng.random() < 0.3:
        changed = anchor - timedelta(days=rng.uniform(15, 75), hours=rng.uniform(0, 23))
        new_budget = max(_money(rng, (5, 5), spec.currency), round(budget * rng.uniform(0.7, 1.5) / MICROS) * MICROS)
        world.update_entity(platform, campaign.id, daily_budget_micros=new_budget, at=changed)
    fate = rng.random()
    if fate < 0.1:
        _change_status(world, rng, platform, campaign.id, anchor, EntityStatus.paused, created)
    elif fate < 0.17:
        _change_status(world, rng, platform, campaign.id, anchor, EntityStatus.removed, created)


def _change_status(
    world: SandboxWorld,
    rng: random.Random,
    platform: Platform,
    entity_id: str,
    anchor: datetime,
    status: EntityStatus,
    not_before: datetime,
) -> None:
    last_change = world.status_history(platform, entity_id)[-1][0]
    moment = anchor - timedelta(days=rng.uniform(3, 70), hours=rng.uniform(0, 23))
    moment = max(moment, not_before + timedelta(days=1), last_change + timedelta(minutes=1))
    if moment >= anchor:
        return
    world.update_entity(platform, entity_id, status=status, at=moment)
    if status is EntityStatus.removed and platform is not Platform.google:
        # Deleting a Meta or TikTok campaign deletes everything under it; Google leaves the children's status alone.
        for group in world.children(platform, entity_id):
            for entity in (*world.children(platform, group.id), group):
                if entity.status is not EntityStatus.removed:
                    world.update_entity(platform, entity.id, status=EntityStatus.removed, at=moment)


def _google_group_type(channel: str) -> str:
    return {
        "SEARCH": "SEARCH_STANDARD",
        "DISPLAY": "DISPLAY_STANDARD",
        "VIDEO": "VIDEO_TRUE_VIEW_IN_STREAM",
        "SHOPPING": "SHOPPING_PRODUCT_ADS",
    }.get(channel, "UNSPECIFIED")


def _ad_attributes(platform: Platform, channel: str, rng: random.Random) -> dict[str, Any]:
    if platform is Platform.google:
        return {
            "type": {
                "SEARCH": "RESPONSIVE_SEARCH_AD",
                "DISPLAY": "RESPONSIVE_DISPLAY_AD",
                "VIDEO": "VIDEO_RESPONSIVE_AD",
                "SHOPPING": "SHOPPING_PRODUCT_AD",
            }.get(channel, "UNSPECIFIED")
        }
    if platform is Platform.meta:
        return {"creative_type": rng.choice(("video", "image", "carousel"))}
    return {"ad_format": "SINGLE_VIDEO", "video_duration_seconds": rng.choice((9, 15, 21, 30))}
