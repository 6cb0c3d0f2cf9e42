"""HTTP to the Google Ads REST API and Google's OAuth endpoints: URLs, headers, and what each answer means for us.

Google answers errors with a ``google.rpc.Status`` envelope whose ``details`` hold a ``GoogleAdsFailure`` (a list of
errors, each with a one-key ``errorCode`` such as ``{"quotaError": "RESOURCE_EXHAUSTED"}``); ``searchStream`` wraps
that envelope in a JSON array, and may even end a stream that started with HTTP 200 with one. ``classify`` turns all
of it into the product's errors, which the shared pipeline (``PlatformHttp``) acts on: rate limits block the limiter
key of the scope Google named and wait ``retryDelay``, transient failures are retried with backoff, the rest are
raised at once. The OAuth endpoints speak RFC 6749 instead and have their own ``classify_token``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

import httpx
from pydantic import ValidationError

from adpilot.platforms.config import GoogleAdsConfig
from adpilot.platforms.errors import (
    PlatformAuthError,
    PlatformError,
    PlatformRateLimited,
    PlatformRejected,
    PlatformUnavailable,
)
from adpilot.platforms.google.payloads import (
    SEARCH_STREAM,
    ErrorEnvelope,
    GoogleAdsError,
    GoogleAdsMutateResponse,
    GoogleAdsRow,
    ListAccessibleCustomersResponse,
    MutateResponse,
    Status,
    TokenErrorBody,
    TokenResponse,
    UserInfo,
)
from adpilot.platforms.http import Limit, PlatformHttp
from adpilot.platforms.types import AdAccountRef

SCOPE = "https://www.googleapis.com/auth/adwords"
# With ``openid email``, the userinfo endpoint names the Google account that granted access.
SCOPES = f"{SCOPE} openid email"
REQUEST_ID_HEADER = "request-id"

# authenticationError codes a refresh grant can cure: the access token is stale or garbled, the grant itself stands.
# (A missing or unparsable error detail on a 401 is treated the same way: the next refresh tells the truth.)
_REFRESHABLE_AUTHENTICATION = frozenset(
    {"OAUTH_TOKEN_EXPIRED", "OAUTH_TOKEN_INVALID", "OAUTH_TOKEN_HEADER_INVALID", "AUTHENTICATION_ERROR"}
)
# authenticationError codes that are about the customer id the request named, not about the credentials.
_AUTHENTICATION_ABOUT_REQUEST = frozenset(
    {"CLIENT_CUSTOMER_ID_INVALID", "CUSTOMER_NOT_FOUND", "CLIENT_CUSTOMER_ID_IS_REQUIRED"}
)
# authorizationError codes that are about the account or the operation asked for: the login itself is fine (a
# cancelled account, an operation this account type does not allow, a manager id that does not manage the account).
_AUTHORIZATION_ABOUT_REQUEST = frozenset(
    {
        "ACTION_NOT_PERMITTED",
        "CUSTOMER_NOT_ENABLED",
        "INVALID_LOGIN_CUSTOMER_ID_SERVING_CUSTOMER_ID_COMBINATION",
        "ACCESS_DENIED_FOR_ACCOUNT_TYPE",
        "METRIC_ACCESS_DENIED",
    }
)
# quotaError codes that mean "too many requests, wait": the rest are either transient (RESOURCE_TEMPORARILY_EXHAUSTED,
# retried with backoff like a 503) or permanent (ACCESS_PROHIBITED: the project is blocked from the API).
_RATE_LIMIT_QUOTA = frozenset(
    {
        "RESOURCE_EXHAUSTED",
        "EXCESSIVE_SHORT_TERM_QUERY_RESOURCE_CONSUMPTION",
        "EXCESSIVE_LONG_TERM_QUERY_RESOURCE_CONSUMPTION",
    }
)
_TRANSIENT_STATUS = frozenset({"INTERNAL", "UNAVAILABLE", "DEADLINE_EXCEEDED", "ABORTED"})
_TRANSIENT_INTERNAL = frozenset({"INTERNAL_ERROR", "TRANSIENT_ERROR", "DEADLINE_EXCEEDED"})
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)s\s*$")
# A searchStream that fails after it started is still HTTP 200; its last element is {"error": {...}}. Only the tail is
# searched for it first, so a healthy multi-megabyte stream is not parsed twice.
_STREAM_TAIL_BYTES = 65536


def parse_duration(value: str | None) -> float | None:
    """Seconds of a proto3 JSON ``Duration`` (``"40591s"``, ``"0.5s"``); ``None`` when absent or unreadable."""
    if not value:
        return None
    match = _DURATION.match(value)
    return float(match.group(1)) if match else None


def customer_id(value: str) -> str:
    """A customer id as Google wants it in paths and headers: ten digits, no dashes (people type ``123-456-7890``)."""
    digits = value.replace("-", "").strip()
    if not digits.isdigit():
        raise PlatformRejected(f"not a Google Ads customer id: {value!r}", field_errors={"customer_id": value})
    return digits


def classify(response: httpx.Response) -> PlatformError | None:
    """``None`` for a successful Google Ads answer, else the product error it stands for.

    401 UNAUTHENTICATED: refreshable when the access token merely expired or is invalid, not when the grant was
    revoked or the login is no Google Ads user. 403 authorizationError: not refreshable (a permission or approval is
    missing), except codes about the account or operation asked for, which are rejections. 429 RESOURCE_EXHAUSTED:
    rate limited for ``retryDelay``, on the account's limiter when Google says ``rateScope: ACCOUNT`` and on the whole
    application's otherwise (DEVELOPER: the Cloud project's quota). RESOURCE_TEMPORARILY_EXHAUSTED and 5xx: transient.
    Everything else (400 query and field errors, 404): rejected, with the fields Google named.
    """
    status_code = response.status_code
    header_request_id = response.headers.get(REQUEST_ID_HEADER)
    if 200 <= status_code < 300:
        failure = _stream_failure(response)
        if failure is None:
            return None
        return _from_status(failure, failure.code or 500, header_request_id)
    envelope = _error_status(response)
    if envelope is None:
        return _without_envelope(status_code, header_request_id)
    return _from_status(envelope, status_code, header_request_id)


def classify_token(response: httpx.Response) -> PlatformError | None:
    """``None`` for a successful token endpoint answer, else the product error (RFC 6749 error bodies).

    ``invalid_grant`` (a refresh token revoked, expired or unknown; a code used twice or a PKCE mismatch) and
    ``invalid_client`` cannot be fixed by trying again: the person has to connect again (or the operator fix the app
    credentials), so both are non-refreshable authentication errors.
    """
    status_code = response.status_code
    if 200 <= status_code < 300:
        return None
    body = _token_error(response)
    code = body.error if body is not None else str(status_code)
    detail = f"Google OAuth: {code}" + (f" ({body.error_description})" if body and body.error_description else "")
    if status_code == 429:
        return PlatformRateLimited(detail, retry_after=_retry_after_header(response), scope="app", platform_code=code)
    if status_code >= 500:
        return PlatformUnavailable(detail, platform_code=code)
    if code in ("invalid_grant", "invalid_client", "unauthorized_client") or status_code == 401:
        return PlatformAuthError(detail, refreshable=False, platform_code=code)
    return PlatformRejected(detail, platform_code=code)


def classify_userinfo(response: httpx.Response) -> PlatformError | None:
    """The userinfo endpoint answers with plain HTTP statuses (RFC 6750 bearer errors)."""
    if response.is_success:
        return None
    if response.status_code in (401, 403):
        return PlatformAuthError(f"Google userinfo refused the token (HTTP {response.status_code})")
    if response.status_code == 429:
        wait = _retry_after_header(response)
        return PlatformRateLimited("Google userinfo is rate limited", retry_after=wait, scope="app")
    if response.status_code >= 500:
        return PlatformUnavailable(f"Google userinfo HTTP {response.status_code}")
    return PlatformRejected(f"Google userinfo HTTP {response.status_code}")


def classify_revoke(response: httpx.Response) -> PlatformError | None:
    """Like ``classify_token``, but a token Google no longer knows (``invalid_token``) counts as revoked: that is
    what revoking asked for, and disconnecting must not fail because the person already removed the app."""
    if response.status_code == 400:
        body = _token_error(response)
        if body is not None and body.error == "invalid_token":
            return None
    return classify_token(response)


def _from_status(status: Status, status_code: int, header_request_id: str | None) -> PlatformError:
    errors = status.errors
    request_id = header_request_id or status.request_id
    first = errors[0] if errors else None
    detail = (first.message if first is not None and first.message else status.message) or (
        f"Google Ads HTTP {status_code}"
    )
    platform_code = (first.code if first is not None and first.code else status.status) or str(status_code)

    def coded(category: str) -> GoogleAdsError | None:
        return next((error for error in errors if error.category == category), None)

    quota = coded("quotaError")
    if quota is not None and quota.code == "RESOURCE_TEMPORARILY_EXHAUSTED":
        return PlatformUnavailable(quota.message or detail, platform_code=quota.code, request_id=request_id)
    if quota is not None and quota.code == "ACCESS_PROHIBITED":
        return PlatformAuthError(
            quota.message or detail, refreshable=False, platform_code=quota.code, request_id=request_id
        )
    if (quota is not None and quota.code in _RATE_LIMIT_QUOTA) or status_code == 429:
        quota_details = quota.details.quota_error_details if quota and quota.details else None
        rate_scope = quota_details.rate_scope if quota_details else None
        # Short-term query consumption is counted per customer; without a scope, Google's default quota is the
        # project's (DEVELOPER), so the whole application waits.
        account_scoped = rate_scope == "ACCOUNT" or (
            rate_scope is None and quota is not None and quota.code == "EXCESSIVE_SHORT_TERM_QUERY_RESOURCE_CONSUMPTION"
        )
        return PlatformRateLimited(
            (quota.message if quota else "") or detail,
            retry_after=parse_duration(quota_details.retry_delay if quota_details else None),
            scope="account" if account_scoped else "app",
            platform_code=quota.code if quota else platform_code,
            request_id=request_id,
        )
    internal = coded("internalError")
    if (
        status_code >= 500
        or status.status in _TRANSIENT_STATUS
        or (internal is not None and internal.code in _TRANSIENT_INTERNAL)
    ):
        return PlatformUnavailable(detail, platform_code=platform_code, request_id=request_id)
    authentication = coded("authenticationError")
    if authentication is not None and authentication.code in _AUTHENTICATION_ABOUT_REQUEST:
        return _rejected(errors, authentication.message or detail, authentication.code, request_id)
    if status_code == 401 or status.status == "UNAUTHENTICATED" or authentication is not None:
        code = authentication.code if authentication is not None else ""
        return PlatformAuthError(
            (authentication.message if authentication else "") or detail,
            refreshable=code == "" or code in _REFRESHABLE_AUTHENTICATION,
            platform_code=code or platform_code,
            request_id=request_id,
        )
    authorization = coded("authorizationError")
    if authorization is not None and authorization.code in _AUTHORIZATION_ABOUT_REQUEST:
        return _rejected(errors, authorization.message or detail, authorization.code, request_id)
    if authorization is not None or (status_code == 403 and not errors) or status.status == "PERMISSION_DENIED":
        if authorization is None and errors:
            # A 403 about something else (a header, a field) is about the request.
            return _rejected(errors, detail, platform_code, request_id)
        return PlatformAuthError(
            (authorization.message if authorization else "") or detail,
            refreshable=False,
            platform_code=authorization.code if authorization else platform_code,
            request_id=request_id,
        )
    return _rejected(errors, detail, platform_code, request_id)


def _rejected(
    errors: Sequence[GoogleAdsError], detail: str, platform_code: str, request_id: str | None
) -> PlatformRejected:
    """Google's errors by the field they are about (``operations[0].update.amount_micros``), else by category."""
    field_errors: dict[str, str] = {}
    for error in errors:
        path = error.location.path() if error.location is not None else ""
        key = path or error.category or "request"
        message = error.message or error.code
        field_errors[key] = f"{field_errors[key]}; {message}" if key in field_errors else message
    return PlatformRejected(detail, field_errors=field_errors, platform_code=platform_code, request_id=request_id)


def _without_envelope(status_code: int, request_id: str | None) -> PlatformError:
    # No google.rpc.Status: a load balancer or proxy answered, not the API.
    detail = f"Google Ads HTTP {status_code}"
    code = str(status_code)
    if status_code == 401:
        return PlatformAuthError(detail, refreshable=True, platform_code=code, request_id=request_id)
    if status_code == 429:
        return PlatformRateLimited(detail, retry_after=None, scope="app", platform_code=code, request_id=request_id)
    if status_code >= 500 or status_code == 408:
        return PlatformUnavailable(detail, platform_code=code, request_id=request_id)
    if status_code == 403:
        return PlatformAuthError(detail, refreshable=False, platform_code=code, request_id=request_id)
    return PlatformRejected(detail, platform_code=code, request_id=request_id)


def _error_status(response: httpx.Response) -> Status | None:
    """The ``google.rpc.Status`` of an error answer, bare (``search``, ``mutate``) or array-wrapped (stream)."""
    try:
        body = response.json()
    except ValueError:
        return None
    return _status_in(body)


def _status_in(body: Any) -> Status | None:
    candidates = body if isinstance(body, list) else [body]
    for item in candidates:
        if isinstance(item, dict) and isinstance(item.get("error"), dict):
            try:
                return ErrorEnvelope.model_validate(item).error
            except ValidationError:
                return None
    return None


def _stream_failure(response: httpx.Response) -> Status | None:
    content = response.content
    if content.lstrip()[:1] != b"[" or b'"error"' not in content[-_STREAM_TAIL_BYTES:]:
        return None
    try:
        body = json.loads(content)
    except ValueError:
        return None
    return _status_in(body)


def _token_error(response: httpx.Response) -> TokenErrorBody | None:
    try:
        return TokenErrorBody.model_validate_json(response.content)
    except ValidationError:
        return None


def _retry_after_header(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After")
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


class GoogleAdsClient:
    """The Google Ads REST calls the adapter makes, each through the shared pipeline with its rate limits.

    Every API call takes a slot of the application's limiter (the Cloud project's quota) and, when it is about one
    customer, of that customer's limiter; the OAuth endpoints take the application's slot only.
    """

    def __init__(self, config: GoogleAdsConfig, http: PlatformHttp) -> None:
        self._config = config
        self._http = http
        self._app_limit = Limit("google:app", config.app_rate, "app")

    def api_url(self, path: str) -> str:
        return f"{self._config.api_base_url.rstrip('/')}/{self._config.api_version}/{path}"

    def account_limits(self, account_id: str) -> list[Limit]:
        return [self._app_limit, Limit(f"google:account:{account_id}", self._config.account_rate, "account")]

    def headers(self, access_token: str, login_customer_id: str | None = None) -> dict[str, str]:
        """Bearer token; ``login-customer-id`` when the account is reached through a manager; the developer token
        only when configured (optional and ignored by Google since 2026-09-09)."""
        headers = {"Authorization": f"Bearer {access_token}", "Accept": "application/json"}
        if self._config.developer_token:
            headers["developer-token"] = self._config.developer_token
        if login_customer_id:
            headers["login-customer-id"] = customer_id(login_customer_id)
        return headers

    async def list_accessible_customers(self, access_token: str) -> list[str]:
        """Ids of the customers the login can reach directly (no manager header: Google ignores it here)."""
        response = await self._http.request(
            "GET",
            self.api_url("customers:listAccessibleCustomers"),
            limits=[self._app_limit],
            classify=classify,
            headers=self.headers(access_token),
        )
        try:
            body = ListAccessibleCustomersResponse.model_validate_json(response.content)
        except ValidationError as exc:
            raise PlatformUnavailable(
                "Google Ads listAccessibleCustomers answer could not be read",
                request_id=response.headers.get(REQUEST_ID_HEADER),
            ) from exc
        return [name.rsplit("/", 1)[-1] for name in body.resource_names]

    async def search_stream(self, access_token: str, account: AdAccountRef, query: str) -> list[GoogleAdsRow]:
        """Every row of a GAQL query, in one streamed response (no pages, one request against the quota)."""
        cid = customer_id(account.account_id)
        response = await self._http.request(
            "POST",
            self.api_url(f"customers/{cid}/googleAds:searchStream"),
            limits=self.account_limits(cid),
            classify=classify,
            headers=self.headers(access_token, account.login_customer_id),
            json={"query": query},
        )
        try:
            batches = SEARCH_STREAM.validate_json(response.content)
        except ValidationError as exc:
            # classify accepted it, so it is no error body: a malformed stream is a platform fault, retried later.
            raise PlatformUnavailable(
                "Google Ads searchStream answer could not be read",
                request_id=response.headers.get(REQUEST_ID_HEADER),
            ) from exc
        return [row for batch in batches for row in batch.results]

    async def mutate(
        self,
        access_token: str,
        account: AdAccountRef,
        service: str,
        operations: Sequence[Mapping[str, Any]],
        *,
        partial_failure: bool = False,
    ) -> MutateResponse:
        """Apply ``operations`` through ``customers/{cid}/{service}:mutate`` (``campaigns``...): atomically, or with
        ``partial_failure`` the valid ones, the others answered in ``partialFailureError``.

        A rate limit is waited out and retried (Google applied nothing); a timeout or 5xx is raised at once, since the
        mutate may have been applied before the answer was lost: the caller reads the resource before sending again.
        """
        cid = customer_id(account.account_id)
        response = await self._http.request(
            "POST",
            self.api_url(f"customers/{cid}/{service}:mutate"),
            limits=self.account_limits(cid),
            classify=classify,
            headers=self.headers(access_token, account.login_customer_id),
            json={"operations": list(operations), **({"partialFailure": True} if partial_failure else {})},
            retry_unavailable=False,
        )
        try:
            return MutateResponse.model_validate_json(response.content)
        except ValidationError as exc:
            raise PlatformUnavailable(
                f"Google Ads {service}:mutate answer could not be read",
                request_id=response.headers.get(REQUEST_ID_HEADER),
            ) from exc

    async def google_ads_mutate(
        self, access_token: str, account: AdAccountRef, operations: Sequence[Mapping[str, Any]]
    ) -> list[str]:
        """Apply ``mutateOperations`` atomically through ``customers/{cid}/googleAds:mutate``; the resource name of
        each result, in order. Not retried after a timeout or 5xx (a create may have been applied): the caller checks.
        """
        cid = customer_id(account.account_id)
        response = await self._http.request(
            "POST",
            self.api_url(f"customers/{cid}/googleAds:mutate"),
            limits=self.account_limits(cid),
            classify=classify,
            headers=self.headers(access_token, account.login_customer_id),
            json={"mutateOperations": list(operations)},
            retry_unavailable=False,
        )
        try:
            body = GoogleAdsMutateResponse.model_validate_json(response.content)
        except ValidationError as exc:
            raise PlatformUnavailable(
                "Google Ads googleAds:mutate answer could not be read",
                request_id=response.headers.get(REQUEST_ID_HEADER),
            ) from exc
        names: list[str] = []
        for result in body.mutate_operation_responses:
            name = next((value.get("resourceName") for value in result.values() if isinstance(value, dict)), None)
            names.append(str(name or ""))
        return names

    async def token(self, form: Mapping[str, str]) -> TokenResponse:
        """A token endpoint grant (authorization code or refresh token), client credentials in the form body."""
        response = await self._http.request(
            "POST",
            self._config.token_url,
            limits=[self._app_limit],
            classify=classify_token,
            data={**form, "client_id": self._config.client_id, "client_secret": self._config.client_secret},
            headers={"Accept": "application/json"},
        )
        try:
            return TokenResponse.model_validate_json(response.content)
        except ValidationError as exc:
            raise PlatformUnavailable("Google OAuth token answer could not be read") from exc

    async def userinfo(self, access_token: str) -> UserInfo:
        """The Google account the access token belongs to (OpenID Connect userinfo)."""
        response = await self._http.request(
            "GET",
            self._config.userinfo_url,
            limits=[self._app_limit],
            classify=classify_userinfo,
            headers={"Authorization": f"Bearer {access_token}", "Accept": "application/json"},
        )
        try:
            return UserInfo.model_validate_json(response.content)
        except ValidationError as exc:
            raise PlatformUnavailable("Google's userinfo answer could not be read") from exc

    async def revoke(self, token: str) -> None:
        """Revoke a token; revoking a refresh token (or its access token) ends the whole grant."""
        await self._http.request(
            "POST",
            self._config.revoke_url,
            limits=[self._app_limit],
            classify=classify_revoke,
            data={"token": token},
        )
