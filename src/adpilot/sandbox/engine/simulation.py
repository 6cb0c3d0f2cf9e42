"""The performance the world's entities deliver, hour by hour at the ad level and summed upward.

In the order it is applied:

* A budget holder (the campaign, or the ad set on Meta campaigns without a campaign budget) has a *potential*: what
  its audience and bids could absorb on a day, in money, set by its first budget times a seeded *demand* trait and
  moved by weekday, season and noise. The day's spend is a soft minimum of potential and budget, so demand-rich
  holders pace to their budget and others underspend; a delivery noise lets a day overspend a little (at most 25%,
  well inside Google's 2x rule).
* Spend is split between the holder's ad groups and ads by per-entity weights, over the hours each of them is active
  (status history) with an hour-of-day curve in the account's local time. Budget changes apply from their timestamp.
* CPM rises with the share of the potential bought (diminishing returns). Each ad has its own click-through rate,
  which decays with the ad's age (creative fatigue), its own conversion rate and order value, with weekday
  seasonality and multiplicative noise per day.
* What is reported of an ad's day at a moment, late conversions included, is worked out in ``figures``.
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from adpilot.platforms.types import EntityLevel, EntityStatus, Platform
from adpilot.sandbox.engine.figures import (
    _FIGURES,
    _AdDay,
    _cumulative_figures,
    _day_figures,
    _hour_figures,
    _level_key,
    _row,
)
from adpilot.sandbox.engine.history import _Activity, _combine, _History, _hour_fractions, _Hourly
from adpilot.sandbox.engine.model import (
    _UNITS_PER_USD,
    MICROS,
    EntityProfile,
    SimAccount,
    SimEntity,
    SimMetrics,
    _EntityKey,
    minor_unit_micros,
)
from adpilot.sandbox.engine.traits import (
    _CHANNELS,
    _OBJECTIVES,
    _WEEKDAY,
    _Channel,
    _day_curve,
    _normal,
    _normalized_cumulative,
    _season,
    _uniforms,
)

_CACHE_LIMIT = 40_000  # campaign-days kept (the demo has ~15,000); each holds a few ads' day figures


class Simulation:
    """The metrics of one world: reads its records (shared, never replaced) and keeps the caches of what it worked out.

    Simulated ad days are cached per campaign, day and *generation*: ``touch`` starts a new generation of a campaign
    whenever something it depends on changes, so days computed from old histories are never read again (they age out
    of the LRU cache). Everything here runs under the world's lock except working out what an ad day reports at a
    moment (see ``SandboxWorld``).
    """

    def __init__(
        self,
        *,
        seed: int,
        lock: threading.RLock,
        entities: dict[_EntityKey, SimEntity],
        children: dict[_EntityKey, list[str]],
        statuses: dict[_EntityKey, _History],
        account_statuses: dict[_EntityKey, _History],
        budgets: dict[_EntityKey, _History],
        order_value_usd: dict[_EntityKey, float],
    ) -> None:
        self.seed = seed
        self._lock = lock
        self._entities = entities
        self._children = children
        self._statuses = statuses
        self._account_statuses = account_statuses
        self._budgets = budgets
        self._order_value_usd = order_value_usd
        self._profiles: dict[_EntityKey, EntityProfile] = {}
        self._creation_days: dict[_EntityKey, int] = {}
        self._generation: dict[_EntityKey, int] = {}
        self._cache: OrderedDict[tuple[Platform, str, int, int], dict[str, _AdDay]] = OrderedDict()
        self._hour_cache: dict[tuple[str, int], tuple[float, ...]] = {}

    def touch(self, platform: Platform, campaign_id: str) -> None:
        """Forget what was worked out for a campaign (its histories, or its account's, changed)."""
        # Cached days of this campaign were computed from the old histories; a new generation makes them unreachable
        # (they age out of the LRU cache).
        key = (platform, campaign_id)
        self._generation[key] = self._generation.get(key, 0) + 1

    def daily_rows(
        self,
        account: SimAccount,
        campaigns: Sequence[SimEntity],
        level: EntityLevel,
        since: date,
        until: date,
        wanted: set[str] | None,
        moment: float,
    ) -> list[SimMetrics]:
        """``SandboxWorld.daily_metrics`` for the account's ``campaigns`` (read under the lock) at ``moment``."""
        time_zone, minor = account.time_zone, minor_unit_micros(account.currency)
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

    def hourly_rows(
        self,
        account: SimAccount,
        campaigns: Sequence[SimEntity],
        level: EntityLevel,
        day: date,
        wanted: set[str] | None,
        moment: float,
    ) -> list[SimMetrics]:
        """``SandboxWorld.hourly_metrics`` for the account's ``campaigns`` (read under the lock) at ``moment``."""
        minor = minor_unit_micros(account.currency)
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

    def _channel(self, campaign: SimEntity) -> _Channel:
        if campaign.platform is Platform.google:
            return _CHANNELS.get(
                str(campaign.attributes.get("advertising_channel_type", "SEARCH")), _CHANNELS["SEARCH"]
            )
        return _CHANNELS[str(campaign.platform)]

    def profile(self, entity: SimEntity) -> EntityProfile:
        """The entity's seeded traits, drawn once and kept."""
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
                (group, ad, activity, self.profile(group).weight * self.profile(ad).weight)
                for group, ad, activity in members
            ]
            holders.append((campaign, campaign_budget, shares))
        else:
            by_group: dict[str, list[tuple[SimEntity, SimEntity, _Activity, float]]] = {}
            for group, ad, activity in members:
                by_group.setdefault(group.id, []).append((group, ad, activity, self.profile(ad).weight))
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
        potential = self.profile(holder).demand * reference * weekday_demand * _season(day) * noise
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
        profile = self.profile(ad)
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
