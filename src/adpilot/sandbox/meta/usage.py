"""Meta's usage headers, on every Graph answer (``platform-apis.md`` section B, "Rate limits"): ``X-App-Usage``
always; for an ad account's calls ``X-Ad-Account-Usage`` and ``X-Business-Use-Case-Usage`` (with
``estimated_time_to_regain_access`` when throttled), and ``X-FB-Ads-Insights-Throttle`` for insights.

One liberty: the usage quotas are twice what the per-second gate (``quota``) lets through, so percentages rise with
use but a client that respects the gate never hits them.
"""

from __future__ import annotations

import json
import math
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from fastapi.responses import Response

ACCESS_TIER = "standard_access"
# The usage windows behind the headers: Meta's business use cases count a rolling hour, the ad account score decays
# over five minutes.
USAGE_HOUR = 3600.0
ACCOUNT_SCORE_WINDOW = 300.0


@dataclass
class UsageMeter:
    """Calls over the usage windows, in real time like the quota gate: per business use case of an ad account over
    the rolling hour, per ad account over the score's five minutes, and for the whole app over the hour. Each log is
    trimmed as it grows, so every count is the length of a deque (the benchmark sends thousands of calls a minute)."""

    now: Callable[[], float] = time.monotonic
    _use_cases: dict[tuple[str, str], deque[float]] = field(default_factory=lambda: defaultdict(deque))
    _scores: dict[str, deque[float]] = field(default_factory=lambda: defaultdict(deque))
    _app: deque[float] = field(default_factory=deque)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, account_id: str | None, usage_type: str) -> None:
        now = self.now()
        with self._lock:
            self._app.append(now)
            if account_id is not None:
                self._use_cases[(account_id, usage_type)].append(now)
                self._scores[account_id].append(now)

    def app_calls(self) -> int:
        with self._lock:
            _trim(self._app, self.now() - USAGE_HOUR)
            return len(self._app)

    def use_case_calls(self, account_id: str, usage_type: str) -> int:
        """Calls of one business use case of the account in the rolling hour."""
        with self._lock:
            calls = self._use_cases[(account_id, usage_type)]
            _trim(calls, self.now() - USAGE_HOUR)
            return len(calls)

    def score(self, account_id: str) -> tuple[int, float]:
        """The account's calls in the score window, and the seconds until the newest of them leaves it."""
        now = self.now()
        with self._lock:
            calls = self._scores[account_id]
            _trim(calls, now - ACCOUNT_SCORE_WINDOW)
            if not calls:
                return 0, 0.0
            return len(calls), calls[-1] + ACCOUNT_SCORE_WINDOW - now


def _trim(stamps: deque[float], horizon: float) -> None:
    while stamps and stamps[0] <= horizon:
        stamps.popleft()


def add_usage_headers(
    response: Response,
    usage: UsageMeter,
    *,
    requests_per_second: float,
    accounts: int,
    account_id: str | None,
    usage_type: str,
    regain_minutes: float | None,
) -> None:
    """The usage headers of one answer. Percentages are shares of quotas twice the per-second gate
    (``requests_per_second`` per ad account; the app's quota scales with the ``accounts`` the sandbox holds)."""
    rate = max(requests_per_second, 1e-6)
    app_pct = _pct(usage.app_calls(), 2 * rate * USAGE_HOUR * max(1, accounts))
    response.headers["x-app-usage"] = _compact(
        {
            "call_count": math.ceil(app_pct),
            "total_time": math.ceil(app_pct / 2),
            "total_cputime": math.ceil(app_pct / 4),
        }
    )
    if account_id is None:
        return
    score_calls, score_reset = usage.score(account_id)
    account_pct = _pct(score_calls, 2 * rate * ACCOUNT_SCORE_WINDOW)
    response.headers["x-ad-account-usage"] = _compact(
        {
            "acc_id_util_pct": round(account_pct, 2),
            "reset_time_duration": math.ceil(score_reset) if score_calls else 0,
            "ads_api_access_tier": ACCESS_TIER,
        }
    )
    type_calls = usage.use_case_calls(account_id, usage_type)
    type_pct = math.ceil(_pct(type_calls, 2 * rate * USAGE_HOUR))
    entry = {
        "type": usage_type,
        "call_count": type_pct if regain_minutes is None else max(type_pct, 100),
        "total_cputime": math.ceil(type_pct / 4),
        "total_time": math.ceil(type_pct / 2),
        "estimated_time_to_regain_access": regain_minutes or 0,
        "ads_api_access_tier": ACCESS_TIER,
    }
    response.headers["x-business-use-case-usage"] = _compact({account_id: [entry]})
    if usage_type == "ads_insights":
        response.headers["x-fb-ads-insights-throttle"] = _compact(
            {
                "app_id_util_pct": round(app_pct, 2),
                "acc_id_util_pct": round(account_pct, 2),
                "ads_api_access_tier": ACCESS_TIER,
            }
        )


def _pct(used: float, capacity: float) -> float:
    return min(100.0, 100.0 * used / capacity) if capacity > 0 else 0.0


def _compact(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))
