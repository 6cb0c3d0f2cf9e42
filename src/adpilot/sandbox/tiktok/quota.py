"""How TikTok counts calls and limits their rate (reference §C.5), on the sandbox's shared quota gate.

Every API call is one operation, counted against the advertiser its query names (``""`` for none); the rate limit is
per app — TikTok's QPS limits are per application — at ``config.tiktok_requests_per_second``, answered with 40100
"App reaches the QPS limit.".
"""

from __future__ import annotations

from fastapi import Request

from adpilot.sandbox.tiktok.context import PLATFORM, TikTokContext
from adpilot.sandbox.tiktok.errors import rate_limited


def count_operation(context: TikTokContext, request: Request) -> None:
    """Count one operation for the call, against the advertiser its query names."""
    context.state.count_operations(PLATFORM, request.query_params.get("advertiser_id"))


def admit(context: TikTokContext) -> None:
    """Let the call through under the app's QPS limit, or refuse it with 40100."""
    # Counted on arrival, before the body is read: TikTok counts the requests that reach it, so the moment that
    # matters is when a request came in, not when this emulator got round to it.
    app_id = context.app_credentials[0]
    if context.state.quota.check_rate(f"tiktok:app:{app_id}", context.requests_per_second) is not None:
        raise rate_limited()
