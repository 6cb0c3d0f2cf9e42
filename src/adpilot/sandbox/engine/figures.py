"""One ad's day and what is reported of it: whole figures hour by hour, and late conversions.

A day's conversions are final from the start but reported late: each carries a seeded reporting lag, so a recent
day shows about 60% of them at the end of the hour they happened in, 85% a day later and all of them after seven
days (``maturity``). Restatements only ever go up, and levels stay consistent because the lag is decided per ad.
"""

from __future__ import annotations

import bisect
import itertools
import math
import random
from collections.abc import Sequence
from datetime import date

from adpilot.platforms.types import EntityLevel
from adpilot.sandbox.engine.history import _overlap, _Spans
from adpilot.sandbox.engine.model import SimMetrics

# Late conversions: the share of a day's conversions reported this many hours after the hour they happened in.
_MATURITY = ((0.0, 0.60), (24.0, 0.85), (48.0, 0.92), (72.0, 0.955), (96.0, 0.975), (120.0, 0.988), (144.0, 0.995))
MATURITY_HOURS = 168.0


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
