"""HTTP to the Meta Graph / Marketing API: URLs, the bearer token, what each error body means, and the usage headers.

Meta answers most errors with HTTP 400 — expired tokens and throttling included — and puts the meaning in the body
(``{"error": {"code", "error_subcode", "is_transient", "fbtrace_id", ...}}``), so ``classify`` reads the code, never
just the status. Throttling comes with usage headers whose ``estimated_time_to_regain_access`` is in **minutes**; the
same headers on successful answers say how close a quota is to its end, and ``MetaGraphClient`` pauses the scope
(the app or one ad account) on the shared limiter before Meta has to say no.

The access token travels in the ``Authorization`` header only: Graph also accepts ``access_token=`` in the query, but
URLs end up in proxies' and servers' logs.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

import httpx
from pydantic import ValidationError

from adpilot.platforms.config import MetaAdsConfig
from adpilot.platforms.errors import (
    PlatformAuthError,
    PlatformError,
    PlatformRateLimited,
    PlatformRejected,
    PlatformUnavailable,
)
from adpilot.platforms.http import Classify, Limit, PlatformHttp
from adpilot.platforms.meta.payloads import GraphErrorDetail, GraphErrorEnvelope

# 190 invalid/expired token (subcodes 458 app not authorized, 459 checkpoint, 460 password changed, 463 expired,
# 464 unconfirmed user, 467 invalid, 492 invalid session), 102 session, 104 no token. Meta has no refresh token and an
# expired long-lived token cannot be exchanged, so none of them is fixed by a refresh: the person signs in again.
AUTH_CODES = frozenset({102, 104, 190})
# 4 app, 17 user, 32 page, 613 ad account ("Calls to this api have exceeded the rate limit"), 80000-80014 business use
# case limits (80000 ads_insights, 80004 ads_management, ...).
RATE_LIMIT_CODES = frozenset({4, 17, 32, 613, *range(80000, 80015)})
APP_RATE_LIMIT_CODES = frozenset({4})
# 1 "An unknown error occurred", 2 "Service temporarily unavailable": retried with backoff.
TRANSIENT_CODES = frozenset({1, 2})
# Meta gives no wait with some throttling answers; its guidance is to stop for about a minute and back off from there.
DEFAULT_RATE_LIMIT_WAIT_SECONDS = 60.0
# A usage header past the threshold without a reset time of its own pauses the scope this long.
DEFAULT_USAGE_PAUSE_SECONDS = 60.0

APP_LIMIT_KEY = "meta:app"

_PARAM_IN_MESSAGE = re.compile(r"\(#\d+\)\s+[Pp]aram\s+(?P<field>[A-Za-z_][A-Za-z0-9_.\[\]]*)")


def account_limit_key(account_id: str) -> str:
    return f"meta:account:{account_id.removeprefix('act_')}"


class InsightsTooLarge(PlatformRejected):
    """ "Please reduce the amount of data you're asking for" (code 1 subcode 99, or code 100 subcode 1504018, a
    timeout): the same request will fail again, so it is not retried; the adapter switches to an asynchronous report
    run, which has no such limit. It never leaves the adapter."""


def graph_error(response: httpx.Response) -> GraphErrorDetail | None:
    """The ``error`` object of a Graph error body, or ``None`` when the body is not one (a proxy's HTML page)."""
    try:
        return GraphErrorEnvelope.model_validate_json(response.content).error
    except ValidationError:
        return None


def classify(response: httpx.Response) -> PlatformError | None:
    """``None`` for a successful Graph answer, else the product error it stands for."""
    if response.is_success:
        return None
    error = graph_error(response)
    if error is None or error.code is None:
        return _classify_status(response)
    code = error.code
    platform_code = str(code) if error.error_subcode is None else f"{code}/{error.error_subcode}"
    request_id = error.fbtrace_id or response.headers.get("x-fb-trace-id")
    detail = error.error_user_msg or error.message or f"Meta error {platform_code}"
    if code in AUTH_CODES:
        return PlatformAuthError(detail, refreshable=False, platform_code=platform_code, request_id=request_id)
    if code == 10 or 200 <= code <= 299:
        # A permission the login did not grant (or lost): only a new consent can add it.
        return PlatformAuthError(detail, refreshable=False, platform_code=platform_code, request_id=request_id)
    if code in RATE_LIMIT_CODES:
        wait = regain_access_seconds(response.headers)
        return PlatformRateLimited(
            detail,
            retry_after=wait if wait > 0 else DEFAULT_RATE_LIMIT_WAIT_SECONDS,
            scope="app" if code in APP_RATE_LIMIT_CODES else "account",
            platform_code=platform_code,
            request_id=request_id,
        )
    if code == 101 or (code == 1 and "client secret" in error.message.lower()):
        # The app's own id or secret was refused ("Error validating client secret." is code 1, which otherwise
        # means a transient failure): a configuration error no retry or new sign-in can fix.
        return PlatformRejected(
            f"Meta refused the app's credentials: {detail}", platform_code=platform_code, request_id=request_id
        )
    if _asks_for_less_data(error):
        return InsightsTooLarge(detail, platform_code=platform_code, request_id=request_id)
    if code in TRANSIENT_CODES or error.is_transient or response.status_code >= 500:
        return PlatformUnavailable(detail, platform_code=platform_code, request_id=request_id)
    return PlatformRejected(
        detail, field_errors=_field_errors(error), platform_code=platform_code, request_id=request_id
    )


def _classify_status(response: httpx.Response) -> PlatformError:
    """An error without a Graph body: only the HTTP status is left to go by."""
    status = response.status_code
    detail = f"Meta answered HTTP {status} without an error body"
    if status == 429:
        retry_after = _float(response.headers.get("retry-after"))
        return PlatformRateLimited(detail, retry_after=retry_after if retry_after else None)
    if status >= 500 or status == 408:
        return PlatformUnavailable(detail)
    if status == 401:
        return PlatformAuthError(detail, refreshable=False)
    return PlatformRejected(detail)


def _asks_for_less_data(error: GraphErrorDetail) -> bool:
    if error.code == 1 and (error.error_subcode == 99 or "reduce the amount of data" in error.message.lower()):
        return True
    return error.code == 100 and error.error_subcode == 1504018


def _field_errors(error: GraphErrorDetail) -> dict[str, str]:
    """Which request fields Meta blamed: ``error_data.blame_field_specs`` when given, else ``(#100) Param x ...``."""
    message = error.error_user_msg or error.message
    fields: list[str] = []
    data = error.error_data
    if isinstance(data, str):
        try:
            data = json.loads(data)
        except ValueError:
            data = None
    if isinstance(data, dict):
        for spec in data.get("blame_field_specs") or []:
            path = spec if isinstance(spec, list) else [spec]
            fields.append(".".join(str(part) for part in path))
    if not fields and (match := _PARAM_IN_MESSAGE.search(error.message)):
        fields.append(match["field"])
    return dict.fromkeys(fields, message)


def regain_access_seconds(headers: httpx.Headers) -> float:
    """The longest ``estimated_time_to_regain_access`` (minutes) in ``X-Business-Use-Case-Usage``, in seconds."""
    longest = 0.0
    for _account, entries in _business_use_case_usage(headers):
        for entry in entries:
            longest = max(longest, _float(entry.get("estimated_time_to_regain_access")) or 0.0)
    return longest * 60


def usage_pauses(headers: httpx.Headers, *, threshold_pct: float, account_id: str | None) -> dict[str, float]:
    """How long to pause each limiter key, from the usage headers of one answer: ``{key: seconds}``.

    A scope past ``threshold_pct`` of any of its quotas pauses until the header's reset time (``reset_time_duration``
    seconds for the ad account score, ``estimated_time_to_regain_access`` minutes for a business use case), or for a
    minute when the header gives none. A business use case that says access is already lost pauses whatever its usage.
    """
    pauses: dict[str, float] = {}

    def pause(key: str, seconds: float) -> None:
        pauses[key] = max(pauses.get(key, 0.0), seconds)

    app = _json_header(headers, "x-app-usage")
    if isinstance(app, dict) and _max_pct(app, ("call_count", "total_time", "total_cputime")) >= threshold_pct:
        pause(APP_LIMIT_KEY, DEFAULT_USAGE_PAUSE_SECONDS)

    account = _json_header(headers, "x-ad-account-usage")
    if (
        account_id is not None
        and isinstance(account, dict)
        and _max_pct(account, ("acc_id_util_pct",)) >= threshold_pct
    ):
        reset = _float(account.get("reset_time_duration")) or DEFAULT_USAGE_PAUSE_SECONDS
        pause(account_limit_key(account_id), reset)

    for owner, entries in _business_use_case_usage(headers):
        for entry in entries:
            regain = (_float(entry.get("estimated_time_to_regain_access")) or 0.0) * 60
            if regain > 0 or _max_pct(entry, ("call_count", "total_time", "total_cputime")) >= threshold_pct:
                pause(account_limit_key(owner), regain or DEFAULT_USAGE_PAUSE_SECONDS)

    insights = _json_header(headers, "x-fb-ads-insights-throttle")
    if isinstance(insights, dict):
        if _max_pct(insights, ("app_id_util_pct",)) >= threshold_pct:
            pause(APP_LIMIT_KEY, DEFAULT_USAGE_PAUSE_SECONDS)
        if account_id is not None and _max_pct(insights, ("acc_id_util_pct",)) >= threshold_pct:
            pause(account_limit_key(account_id), DEFAULT_USAGE_PAUSE_SECONDS)
    return pauses


def _business_use_case_usage(headers: httpx.Headers) -> list[tuple[str, list[Mapping[str, Any]]]]:
    """``X-Business-Use-Case-Usage`` as ``[(account or business id, [entry, ...])]``; junk is skipped."""
    usage = _json_header(headers, "x-business-use-case-usage")
    if not isinstance(usage, dict):
        return []
    return [
        (str(owner), [entry for entry in entries if isinstance(entry, dict)])
        for owner, entries in usage.items()
        if isinstance(entries, list)
    ]


def _json_header(headers: httpx.Headers, name: str) -> Any:
    raw = headers.get(name)
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return None


def _max_pct(values: Mapping[str, Any], keys: Sequence[str]) -> float:
    return max((_float(values.get(key)) or 0.0 for key in keys), default=0.0)


def _float(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


class MetaGraphClient:
    """Graph calls through the shared pipeline: ``{graph_base_url}/{api_version}/{path}`` with the app's and, for an
    ad account's calls, the account's limiter slot."""

    def __init__(self, config: MetaAdsConfig, http: PlatformHttp) -> None:
        self._config = config
        self._http = http

    def url(self, path: str) -> str:
        return f"{self._config.graph_base_url.rstrip('/')}/{self._config.api_version}/{path.lstrip('/')}"

    def limits(self, account_id: str | None) -> list[Limit]:
        limits = [Limit(APP_LIMIT_KEY, self._config.app_rate, "app")]
        if account_id is not None:
            limits.append(Limit(account_limit_key(account_id), self._config.account_rate, "account"))
        return limits

    async def get(
        self,
        path: str,
        *,
        token: str,
        params: Mapping[str, str] | None = None,
        account_id: str | None = None,
    ) -> Any:
        return await self.call("GET", path, token=token, params=params, account_id=account_id)

    async def post(
        self,
        path: str,
        *,
        token: str | None,
        data: Mapping[str, str],
        account_id: str | None = None,
        classify_with: Classify = classify,
        retry_unavailable: bool = True,
    ) -> Any:
        return await self.call(
            "POST",
            path,
            token=token,
            data=data,
            account_id=account_id,
            classify_with=classify_with,
            retry_unavailable=retry_unavailable,
        )

    async def delete(self, path: str, *, token: str, account_id: str | None = None) -> Any:
        return await self.call("DELETE", path, token=token, account_id=account_id)

    async def call(
        self,
        method: str,
        path: str,
        *,
        token: str | None,
        params: Mapping[str, str] | None = None,
        data: Mapping[str, str] | None = None,
        account_id: str | None = None,
        classify_with: Classify = classify,
        retry_unavailable: bool = True,
    ) -> Any:
        """One Graph request; returns the decoded JSON of a successful answer (``retry_unavailable``: see
        ``PlatformHttp.request``)."""
        headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
        threshold = self._config.usage_slowdown_pct

        async def on_response(response: httpx.Response) -> None:
            for key, seconds in usage_pauses(response.headers, threshold_pct=threshold, account_id=account_id).items():
                await self._http.limiter.block(key, seconds)

        response = await self._http.request(
            method,
            self.url(path),
            limits=self.limits(account_id),
            classify=classify_with,
            on_response=on_response,
            retry_unavailable=retry_unavailable,
            params=dict(params) if params else None,
            data=dict(data) if data is not None else None,
            headers=headers,
        )
        try:
            return response.json()
        except ValueError as exc:
            raise PlatformUnavailable(
                f"Meta answered {method} {httpx.URL(self.url(path)).path} with a body that is not JSON",
                request_id=response.headers.get("x-fb-trace-id"),
            ) from exc
