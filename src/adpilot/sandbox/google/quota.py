"""How the Google Ads emulator counts operations and limits the request rate, on the shared :mod:`..quota` gate.

Google limits requests per customer (the sandbox's rate is ``SandboxConfig.google_requests_per_second``) and answers
429 ``RESOURCE_EXHAUSTED`` with a ``quotaErrorDetails.retryDelay``. A request counts against the rate on arrival, as
Google's does: the moment that decides is when a request came in, not when it is checked. Operations are counted as
Google counts them against the daily quota: one per ``googleAds:search`` page or ``searchStream`` request (however
many rows it streams), one per mutate operation, and one for ``customers:listAccessibleCustomers``. Each answer of
a search also states a ``queryResourceConsumption``.
"""

from __future__ import annotations

from collections.abc import Sized

from adpilot.platforms.types import Platform
from adpilot.sandbox.state import SandboxState

RATE_NAME = "Requests per customer per second"
FAULT_RETRY_DELAY = 30.0  # seconds in an injected 429 that names no delay of its own


def admit(state: SandboxState, customer_id: str) -> float | None:
    """Count one request for the customer: ``None`` when within the rate, else the seconds until it would be."""
    return state.quota.check_rate(f"google:{customer_id}", state.config.google_requests_per_second)


def count_operations(state: SandboxState, customer_id: str | None, count: int = 1) -> None:
    state.count_operations(Platform.google, customer_id, count)


def consumption(rows: Sized) -> int:
    # Google's "query resource consumption" grows with the rows read; the exact unit is Google's own.
    return 100 + len(rows) // 5
