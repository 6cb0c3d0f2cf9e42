"""Status and budget histories, and what they say about one local day: when an entity delivered, what budget held."""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from adpilot.platforms.types import EntityStatus


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
