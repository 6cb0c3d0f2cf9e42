"""The Google Ads API's error answers: the ``google.rpc.Status`` envelope, its constructors and the exception handler.

An error of the Ads API is a ``google.rpc.Status`` (``{"error": {"code", "message", "status", "details"}}``) whose
``details`` carry a ``GoogleAdsFailure`` (``errors[]`` of ``{"errorCode": {category: code}, "message", "location",
"details"}`` and the ``requestId``), or, for a front-end error such as a malformed JSON body, a
``google.rpc.BadRequest``; every answer has a ``request-id`` header. ``googleAds:searchStream`` wraps its error in a
JSON array. 401 is for bad tokens, 403 ``USER_PERMISSION_DENIED`` for a client account asked for without its manager
in ``login-customer-id``, 429 ``RESOURCE_EXHAUSTED`` carries ``quotaErrorDetails.retryDelay`` (a proto3 ``Duration``).
"""

from __future__ import annotations

import math
import re
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from fastapi import Request, Response
from fastapi.responses import JSONResponse

from adpilot.sandbox.google.gaql import GaqlError

API_VERSION = re.compile(r"^v\d{1,3}$")

_GRPC_STATUS = {
    400: ("INVALID_ARGUMENT", "Request contains an invalid argument."),
    401: (
        "UNAUTHENTICATED",
        "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid "
        "authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.",
    ),
    403: ("PERMISSION_DENIED", "The caller does not have permission"),
    404: ("NOT_FOUND", "Requested entity was not found."),
    429: ("RESOURCE_EXHAUSTED", "Resource has been exhausted (e.g. check quota)."),
    500: ("INTERNAL", "Internal error encountered."),
    503: ("UNAVAILABLE", "The service is currently unavailable."),
    504: ("DEADLINE_EXCEEDED", "The request deadline was exceeded."),
}
MISSING_CREDENTIALS = (
    "Request is missing required authentication credential. Expected OAuth 2 access token, login cookie or other "
    "valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project."
)


@dataclass(frozen=True)
class AdsError:
    """One entry of a ``GoogleAdsFailure``: ``{"errorCode": {category: code}, "message", "location", "details"}``."""

    category: str
    code: str
    message: str
    location: tuple[tuple[str, int | None], ...] = ()
    details: Mapping[str, Any] | None = None

    def at(self, *path: tuple[str, int | None]) -> AdsError:
        return AdsError(self.category, self.code, self.message, (*path, *self.location), self.details)

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"errorCode": {self.category: self.code}, "message": self.message}
        if self.location:
            body["location"] = {
                "fieldPathElements": [
                    {"fieldName": name} if index is None else {"fieldName": name, "index": index}
                    for name, index in self.location
                ]
            }
        if self.details:
            body["details"] = dict(self.details)
        return body


class GoogleApiError(Exception):
    """An error answer of the Ads API. Without ``errors`` it is a front-end error (no ``GoogleAdsFailure``), such as
    a malformed JSON body or a 503; ``violations`` then become a ``google.rpc.BadRequest`` detail."""

    def __init__(
        self,
        http_status: int,
        errors: Sequence[AdsError] = (),
        *,
        message: str | None = None,
        violations: Sequence[str] = (),
    ) -> None:
        super().__init__(message or (errors[0].message if errors else str(http_status)))
        self.http_status = http_status
        self.errors = list(errors)
        self.message = message
        self.violations = list(violations)

    def body(self, version: str, request_id: str) -> dict[str, Any]:
        status, default_message = _GRPC_STATUS.get(self.http_status, ("UNKNOWN", "Unknown error."))
        error: dict[str, Any] = {"code": self.http_status, "message": self.message or default_message, "status": status}
        if self.errors:
            error["details"] = [
                {
                    "@type": f"type.googleapis.com/google.ads.googleads.{version}.errors.GoogleAdsFailure",
                    "errors": [e.to_json() for e in self.errors],
                    "requestId": request_id,
                }
            ]
        elif self.violations:
            error["details"] = [
                {
                    "@type": "type.googleapis.com/google.rpc.BadRequest",
                    "fieldViolations": [{"description": v} for v in self.violations],
                }
            ]
        return {"error": error}


def query_error(error: GaqlError) -> GoogleApiError:
    return GoogleApiError(400, [AdsError(error.category, error.code, error.message)])


def request_error(code: str, message: str) -> GoogleApiError:
    return GoogleApiError(400, [AdsError("requestError", code, message)])


def invalid_json(description: str) -> GoogleApiError:
    return GoogleApiError(400, message=description, violations=[description])


def permission_denied() -> GoogleApiError:
    return GoogleApiError(
        403,
        [
            AdsError(
                "authorizationError",
                "USER_PERMISSION_DENIED",
                "User doesn't have permission to access customer. Note: If you're accessing a client customer, the "
                "manager's customer id must be set in the 'login-customer-id' header. See "
                "https://developers.google.com/google-ads/api/docs/concepts/call-structure#cid",
            )
        ],
    )


def _duration(seconds: float) -> str:
    """A proto3 JSON ``Duration``: whole seconds as ``"30s"``, else 3, 6 or 9 fractional digits (``"0.250s"``)."""
    nanos = max(0, math.ceil(seconds * 1e9))
    whole, fraction = divmod(nanos, 10**9)
    if fraction == 0:
        return f"{whole}s"
    digits = f"{fraction:09d}"
    for width in (3, 6):
        if digits[width:] == "0" * (9 - width):
            return f"{whole}.{digits[:width]}s"
    return f"{whole}.{digits}s"


def rate_limited(seconds: float, rate_name: str) -> GoogleApiError:
    delay = _duration(seconds)
    return GoogleApiError(
        429,
        [
            AdsError(
                "quotaError",
                "RESOURCE_EXHAUSTED",
                f"Too many requests. Retry in {math.ceil(seconds)} seconds.",
                details={"quotaErrorDetails": {"rateScope": "ACCOUNT", "rateName": rate_name, "retryDelay": delay}},
            )
        ],
    )


def unauthenticated(code: str, message: str) -> GoogleApiError:
    return GoogleApiError(401, [AdsError("authenticationError", code, message)])


def request_id(request: Request) -> str:
    """The id the app's middleware gave the request (also its ``request-id`` header)."""
    value = getattr(request.state, "request_id", None)
    return value if isinstance(value, str) else secrets.token_urlsafe(16)


def version_of(request: Request) -> str:
    version = request.path_params.get("version")
    return version if isinstance(version, str) and API_VERSION.match(version) else "v23"


async def api_error(request: Request, exc: Exception) -> Response:
    """The exception handler for :class:`GoogleApiError`: the envelope, array-wrapped for ``searchStream``."""
    assert isinstance(exc, GoogleApiError)  # noqa: S101 - registered for GoogleApiError only
    body: Any = exc.body(version_of(request), request_id(request))
    if request.url.path.endswith(":searchStream"):
        body = [body]
    return JSONResponse(body, status_code=exc.http_status)
