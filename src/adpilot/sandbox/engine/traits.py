"""The seeded draws and the platforms' flavour: channels, objectives, hour-of-day and weekday patterns, the season.

Every draw is a pure function of a key (seed, platform, entity id, day): ``_uniforms`` hashes it, so two worlds built
from the same seed draw the same numbers in any process.
"""

from __future__ import annotations

import hashlib
import math
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

_SECONDS_PER_DAY = 86_400

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
