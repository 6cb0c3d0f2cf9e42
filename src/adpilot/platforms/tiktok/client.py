"""HTTP to TikTok API for Business v1.3: URLs, headers, query encoding, and what each answer means for us.

TikTok answers errors with HTTP 200 and an envelope ``{"code", "message", "request_id", "data"}``; ``classify`` reads
the code and turns it into the product's errors, which the shared pipeline (``PlatformHttp``) acts on: rate limits
block the app's limiter key and wait, transient failures are retried with backoff, the rest are raised at once.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from functools import partial
from typing import Any

import httpx
from pydantic import ValidationError

from adpilot.platforms.config import TikTokAdsConfig
from adpilot.platforms.errors import (
    PlatformAuthError,
    PlatformError,
    PlatformRateLimited,
    PlatformRejected,
    PlatformUnavailable,
)
from adpilot.platforms.http import Classify, Limit, PlatformHttp
from adpilot.platforms.tiktok.payloads import Envelope
from adpilot.platforms.types import Credentials

API_VERSION = "v1.3"

# TikTok gives no wait with its QPS answers; its own guidance (and Airbyte's connector) waits at least a second,
# after which the pipeline's exponential backoff takes over if the limit persists.
RATE_LIMIT_WAIT_SECONDS = 1.0

# "App reaches the QPS limit." (also "Due to too many requests, requests from App are temporarily restricted.")
CODE_APP_RATE_LIMITED = 40100
# "Advertiser (…)'s QPS (21) reaches QPS limit 20 for current path": the advertiser-level QPS limit.
CODE_ADVERTISER_RATE_LIMITED = 40133
CODE_MISSING_SCOPE = 40001
CODE_TOKEN_EXPIRED = 40102
CODE_TOKEN_MISSING = 40104
CODE_TOKEN_INVALID = 40105
CODE_QUERY_TOO_LARGE = 40067
# "System error." and the two codes TikTok documents as transient; Airbyte retries exactly these.
TRANSIENT_CODES = frozenset({50000, 51002, 51004})

# A parameter error names its field first: "page_size: Must be between 1 and 1000."
_FIELD_MESSAGE = re.compile(r"^(?P<field>[a-z_][a-z0-9_.\[\]]*)\s*:\s*(?P<message>.+)$", re.DOTALL)


class QueryTooLarge(PlatformRejected):
    """40067: a report asked for too much at once. The adapter narrows the date range and asks again; it only
    leaves the adapter (as ``PlatformUnavailable``) when even one day is too large."""


def classify(response: httpx.Response, *, has_refresh_token: bool = False) -> PlatformError | None:
    """``None`` for a successful TikTok answer, else the product error it stands for.

    Token errors: 40105 (incorrect or revoked) and 40104 (missing) cannot be fixed by a refresh, so they are not
    refreshable; 40102 (expired) is refreshable exactly when the connection holds a refresh token (the rotating
    token mode) — a long-term token that reports itself expired can only be replaced by reconnecting. 40001 is a
    missing permission (scope), which needs the person to grant it again.
    """
    status = response.status_code
    envelope = _envelope(response)
    # A bare 429 (from TikTok's gateway rather than the API) is the app's QPS limit too.
    if status == 429 and (envelope is None or envelope.code in (0, CODE_APP_RATE_LIMITED)):
        return PlatformRateLimited(
            "TikTok HTTP 429", retry_after=RATE_LIMIT_WAIT_SECONDS, scope="app", platform_code=str(status)
        )
    if envelope is None:
        if status >= 500 or 200 <= status < 300:
            # A 2xx without the envelope is a gateway or proxy speaking, not the API: treat it as transient.
            return PlatformUnavailable(f"TikTok HTTP {status} without an API answer", platform_code=str(status))
        return PlatformRejected(f"TikTok HTTP {status}", platform_code=str(status))
    code = envelope.code
    if status >= 500:
        return PlatformUnavailable(f"TikTok HTTP {status}", platform_code=str(code), request_id=envelope.request_id)
    if code == 0:
        if status < 400:
            return None
        return PlatformRejected(f"TikTok HTTP {status}", platform_code=str(status), request_id=envelope.request_id)
    detail = f"TikTok {code}: {envelope.message}".strip()
    common: dict[str, Any] = {"platform_code": str(code), "request_id": envelope.request_id}
    if code == CODE_APP_RATE_LIMITED:
        return PlatformRateLimited(detail, retry_after=RATE_LIMIT_WAIT_SECONDS, scope="app", **common)
    if code == CODE_ADVERTISER_RATE_LIMITED:
        return PlatformRateLimited(detail, retry_after=RATE_LIMIT_WAIT_SECONDS, scope="account", **common)
    if code == CODE_TOKEN_EXPIRED:
        return PlatformAuthError(detail, refreshable=has_refresh_token, **common)
    if code in (CODE_TOKEN_INVALID, CODE_TOKEN_MISSING, CODE_MISSING_SCOPE):
        return PlatformAuthError(detail, refreshable=False, **common)
    if code == CODE_QUERY_TOO_LARGE:
        return QueryTooLarge(detail, **common)
    if code in TRANSIENT_CODES:
        return PlatformUnavailable(detail, **common)
    return PlatformRejected(detail, field_errors=_field_errors(envelope.message), **common)


def _envelope(response: httpx.Response) -> Envelope | None:
    try:
        return Envelope.model_validate(response.json())
    except (ValueError, ValidationError):  # not JSON, or JSON that is not the envelope
        return None


def _field_errors(message: str) -> dict[str, str]:
    match = _FIELD_MESSAGE.match(message.strip())
    return {match["field"]: match["message"].strip()} if match else {}


def encode_query(params: Mapping[str, object]) -> dict[str, str]:
    """Query parameters as TikTok reads them: arrays and objects are JSON strings (``advertiser_ids=["1"]``)."""
    encoded: dict[str, str] = {}
    for name, value in params.items():
        if value is None:
            continue
        if isinstance(value, bool):
            encoded[name] = "true" if value else "false"
        elif isinstance(value, list | tuple | dict):
            encoded[name] = json.dumps(value, separators=(",", ":"))
        else:
            encoded[name] = str(value)
    return encoded


class TikTokClient:
    """Sends one TikTok call through the shared pipeline and returns the envelope's ``data``.

    Every call takes the application's limiter slot (TikTok's QPS limits are per app); calls about one advertiser
    also take that advertiser's slot.
    """

    def __init__(self, config: TikTokAdsConfig, http: PlatformHttp) -> None:
        self._config = config
        self._http = http
        self._app_limit = Limit("tiktok:app", config.app_rate, "app")

    def url(self, path: str) -> str:
        """``path`` keeps TikTok's trailing slash (``campaign/get/``): the API answers 404 without it."""
        return f"{self._config.api_base_url.rstrip('/')}/open_api/{API_VERSION}/{path.lstrip('/')}"

    def limits(self, advertiser_id: str | None) -> list[Limit]:
        limits = [self._app_limit]
        if advertiser_id is not None:
            limits.append(Limit(f"tiktok:account:{advertiser_id}", self._config.account_rate, "account"))
        return limits

    async def get(
        self,
        path: str,
        params: Mapping[str, object],
        *,
        credentials: Credentials | None,
        advertiser_id: str | None = None,
    ) -> dict[str, Any]:
        """``credentials`` None: an app-authenticated call (token endpoints), no Access-Token header."""
        response = await self._http.request(
            "GET",
            self.url(path),
            limits=self.limits(advertiser_id),
            classify=_classifier(credentials),
            params=encode_query(params),
            headers=_headers(credentials),
        )
        return _data(response)

    async def post(
        self,
        path: str,
        body: Mapping[str, object],
        *,
        credentials: Credentials | None,
        advertiser_id: str | None = None,
        retry_unavailable: bool = True,
    ) -> dict[str, Any]:
        response = await self._http.request(
            "POST",
            self.url(path),
            limits=self.limits(advertiser_id),
            classify=_classifier(credentials),
            retry_unavailable=retry_unavailable,
            json=dict(body),
            headers=_headers(credentials),
        )
        return _data(response)


def _headers(credentials: Credentials | None) -> dict[str, str]:
    # TikTok's own header, not "Authorization: Bearer".
    return {"Access-Token": credentials.access_token} if credentials is not None else {}


def _classifier(credentials: Credentials | None) -> Classify:
    # An expired token is refreshable only when the connection holds a refresh token (see ``classify``).
    return partial(classify, has_refresh_token=credentials is not None and credentials.refresh_token is not None)


def _data(response: httpx.Response) -> dict[str, Any]:
    """The ``data`` of an answer ``classify`` accepted (``{}`` when TikTok sends none)."""
    data = Envelope.model_validate(response.json()).data
    return data if isinstance(data, dict) else {}


def request_id(scope: str, key: str) -> str:
    """TikTok's ``request_id`` (an int64 as a string) for one write: the same for every retry of the caller's write
    ``key`` in ``scope`` (an endpoint, a publication), so TikTok answers a repeat without applying it twice."""
    digest = hashlib.sha256(f"{scope}:{key}".encode()).digest()
    return str(int.from_bytes(digest[:8], "big") >> 1)
