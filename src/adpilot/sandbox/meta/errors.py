"""Graph's error envelope: the exception every handler raises, its usual constructors, and how it is rendered.

Meta answers errors mostly with HTTP 400 and ``{"error": {"message", "type", "code", "error_subcode",
"is_transient", "error_user_title", "error_user_msg", "error_data", "fbtrace_id"}}`` (``platform-apis.md`` section B,
"Errors"); a bad user token is code 190 with the subcode of what went wrong, a deprecated version code 2635. The login
dialog, a page and not an API, answers a wrong app or redirect URI with an error page instead.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from fastapi.responses import HTMLResponse, JSONResponse

JsonObject = dict[str, Any]

# Marketing API versions past their end of life (v20.0 expired 2026-09-24) answer error 2635.
OLDEST_LIVE_VERSION = 21


class GraphError(Exception):
    """An answer in the Graph error envelope; raised anywhere below a request, rendered once."""

    def __init__(
        self,
        message: str,
        *,
        code: int,
        subcode: int | None = None,
        type_: str = "OAuthException",
        status: int = 400,
        is_transient: bool | None = None,
        user_title: str | None = None,
        user_msg: str | None = None,
        blame_fields: Sequence[str] = (),
        regain_minutes: float | None = None,
        usage_type: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.subcode = subcode
        self.type = type_
        self.status = status
        self.is_transient = is_transient
        self.user_title = user_title
        self.user_msg = user_msg
        self.blame_fields = tuple(blame_fields)
        # For throttling answers: the wait announced in X-Business-Use-Case-Usage.
        self.regain_minutes = regain_minutes
        self.usage_type = usage_type

    def body(self, trace_id: str) -> JsonObject:
        error: JsonObject = {"message": self.message, "type": self.type, "code": self.code}
        if self.subcode is not None:
            error["error_subcode"] = self.subcode
        if self.is_transient is not None:
            error["is_transient"] = self.is_transient
        if self.user_title is not None:
            error["error_user_title"] = self.user_title
        if self.user_msg is not None:
            error["error_user_msg"] = self.user_msg
        if self.blame_fields:
            error["error_data"] = {"blame_field_specs": [[name] for name in self.blame_fields]}
        error["fbtrace_id"] = trace_id
        return {"error": error}


def error_response(error: GraphError, trace_id: str) -> JSONResponse:
    """How every Graph error is answered (the pipeline in ``app`` adds the usage and trace headers)."""
    return JSONResponse(error.body(trace_id), status_code=error.status)


def invalid_parameter(message: str, *, field_name: str | None = None, user_msg: str | None = None) -> GraphError:
    return GraphError(
        f"(#100) {message}",
        code=100,
        user_title="Invalid parameter" if user_msg else None,
        user_msg=user_msg,
        blame_fields=(field_name,) if field_name else (),
    )


def unsupported_request(method: str, object_id: str) -> GraphError:
    return GraphError(
        f"Unsupported {method.lower()} request. Object with ID '{object_id}' does not exist, cannot be loaded due to "
        "missing permissions, or does not support this operation. Please read the Graph API documentation at "
        "https://developers.facebook.com/docs/graph-api",
        code=100,
        subcode=33,
        type_="GraphMethodException",
    )


def nonexisting_field(name: str, node_type: str) -> GraphError:
    return GraphError(f"(#100) Tried accessing nonexisting field ({name}) on node type ({node_type})", code=100)


def token_error(reason: str, app_id: str, *, now: datetime | None = None) -> GraphError:
    """Meta's answer to a bad user token: code 190 with the subcode of what went wrong (104 when there is none)."""
    if reason == "missing":
        return GraphError("An access token is required to request this resource.", code=104)
    if reason == "expired":
        moment = (now or datetime.now(UTC)).astimezone(ZoneInfo("America/Los_Angeles"))
        stamp = moment.strftime("%A, %d-%b-%y %H:%M:%S %Z")
        return GraphError(
            f"Error validating access token: Session has expired on {stamp}. The current time is {stamp}.",
            code=190,
            subcode=463,
        )
    if reason == "revoked":
        return GraphError(
            f"Error validating access token: The user has not authorized application {app_id}.",
            code=190,
            subcode=458,
        )
    return GraphError("Invalid OAuth access token - Cannot parse access token", code=190)


# The token endpoint's answers to a bad authorization code, by the reason the sandbox's token authority gives.
CODE_ERRORS: Mapping[str, str] = {
    "used": "This authorization code has been used.",
    "expired": "This authorization code has expired.",
    "redirect_mismatch": (
        "Error validating verification code. Please make sure your redirect_uri is identical to the one you used in "
        "the OAuth dialog request"
    ),
    "invalid": "Invalid verification code format.",
}


def check_version(version: str) -> None:
    digits = version.removeprefix("v").split(".")
    if not version.startswith("v") or len(digits) != 2 or not all(part.isdigit() for part in digits):
        raise GraphError(f"Unknown path components: /{version}", code=2500)
    if int(digits[0]) < OLDEST_LIVE_VERSION:
        raise GraphError(
            "(#2635) You are calling a deprecated version of the Ads API. Please update to the latest version.",
            code=2635,
        )


def new_trace_id() -> str:
    return secrets.token_urlsafe(8)[:11]


def error_page(message: str) -> HTMLResponse:
    # Facebook shows an error page (not a redirect) when the app or redirect URI is wrong: nothing to send back.
    escaped = message.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return HTMLResponse(
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Error</title></head>'
        f'<body><main><h1>Sorry, something went wrong.</h1><p role="alert">{escaped}</p></main></body></html>',
        status_code=400,
    )
