"""How Meta counts and limits calls (``platform-apis.md`` section B, "Rate limits"), on the shared ``sandbox.quota``
gate: a per-ad-account request rate (``SandboxConfig.meta_requests_per_second``; over it: code 80000 for insights,
80004 for management, with ``estimated_time_to_regain_access``), and the sandbox's injected faults (``sandbox.faults``:
slow answers, code 17 "User request limit reached", code 2 server errors, expired and revoked tokens).

A liberty: ``estimated_time_to_regain_access`` is fractional minutes (Meta sends whole minutes; the sandbox's
per-second gate frees up in less than one).
"""

from __future__ import annotations

import asyncio

from adpilot.platforms.types import Platform
from adpilot.sandbox.faults import Fault, FaultKind
from adpilot.sandbox.meta.context import GraphCall, MetaContext
from adpilot.sandbox.meta.errors import GraphError, token_error


def count_arrival(context: MetaContext, call: GraphCall) -> None:
    """Count the request against the ad account its path names, first thing: Meta counts the calls that reach
    it, so the moment that decides is when a request came in, not when this emulator got round to it. The
    answer waits for its turn in ``suffer_faults`` (a bad token still comes before a rate limit)."""
    account_id = _account_named(context, call.segments[0]) if call.segments else None
    if account_id is None:
        return
    call.arrival_account = account_id
    call.arrival_retry = _check_quota(context, account_id)


def _account_named(context: MetaContext, node: str) -> str | None:
    if node.startswith("act_"):
        return node.removeprefix("act_") or None
    if node in ("me", "oauth", "debug_token"):
        return None
    run = context.memory.run(node)
    if run is not None:
        return run.account_id
    entity = context.world.entity(Platform.meta, node)
    return entity.account_id if entity is not None else None


def _check_quota(context: MetaContext, account_id: str) -> float | None:
    rate = context.state.config.meta_requests_per_second
    window = max(1.0, 1.0 / rate)
    return context.state.quota.check(f"meta:account:{account_id}", max(1, round(rate * window)), window)


async def suffer_faults(context: MetaContext, call: GraphCall, *, write: bool = False) -> Fault | None:
    """The sandbox's injected faults, then the ad account's request rate (only for an account's calls).

    A fault to serve once the write is applied (``FaultKind.after_write``) is returned for ``serve_after_write``."""
    context.usage.record(call.account_id, call.usage_type)
    fault: Fault | None = context.state.faults.take(
        Platform.meta, call.account_id, write=write, path="/".join(call.segments), method=call.method
    )
    after_write = fault if fault is not None and fault.kind.after_write else None
    if fault is not None and after_write is None:
        if fault.kind is FaultKind.slow:
            await asyncio.sleep(fault.delay_seconds)
        elif fault.kind is FaultKind.rate_limit:
            # Meta's "User request limit reached"; the fault's delay (if any) is the announced wait.
            minutes = fault.delay_seconds / 60 if fault.delay_seconds > 0 else 1.0
            raise GraphError(
                "(#17) User request limit reached",
                code=17,
                subcode=2446079,
                is_transient=True,
                regain_minutes=minutes,
            )
        elif fault.kind is FaultKind.server_error:
            raise GraphError("(#2) Service temporarily unavailable", code=2, status=500, is_transient=True)
        elif fault.kind is FaultKind.expire_token:
            raise token_error("expired", context.app_id, now=context.state.clock.now())
        elif fault.kind is FaultKind.revoke_token:
            # A revocation sticks, as when the person removes the app in their Facebook settings.
            if call.login is not None:
                context.state.auth.revoke_login(Platform.meta, call.login.login_id)
            raise token_error("revoked", context.app_id)
    if call.account_id is None:
        return after_write
    # Counted on arrival (``count_arrival``); an account the path did not name is counted now.
    counted = call.account_id == call.arrival_account
    retry = call.arrival_retry if counted else _check_quota(context, call.account_id)
    if retry is not None:
        if call.usage_type == "ads_insights":
            message = (
                "(#80000) There have been too many calls from this ad-account. Wait a bit and try again. For more "
                "info, please refer to https://developers.facebook.com/docs/graph-api/overview/rate-limiting."
            )
            code = 80000
        else:
            message = (
                "(#80004) There have been too many calls to this ad-account. Wait a bit and try again. For more "
                "info, please refer to https://developers.facebook.com/docs/graph-api/overview/"
                "rate-limiting#ads-management."
            )
            code = 80004
        # Fractional minutes: the per-second gate frees up well within Meta's one-minute granularity.
        raise GraphError(message, code=code, subcode=2446079, regain_minutes=round(retry / 60, 5))
    return after_write


async def serve_after_write(fault: Fault | None) -> None:
    """The write is applied; its answer is lost: Graph's transient error, or no answer before the client gives up."""
    if fault is None:
        return
    if fault.kind is FaultKind.applied_then_error:
        raise GraphError("(#2) Service temporarily unavailable", code=2, status=500, is_transient=True)
    await asyncio.sleep(fault.delay_seconds)
