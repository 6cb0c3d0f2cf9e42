"""TikTok's answer envelope and its error codes (``../shared/reference/platform-apis.md`` §C.1 and §C.5).

Every answer of the Open API — errors included — is ``{"code", "message", "request_id", "data"}`` on HTTP 200; an
error is a non-zero ``code``. Handlers raise ``TikTokError``; ``app.py`` turns it into the envelope.
"""

from __future__ import annotations

import secrets
from typing import Any

from fastapi.responses import JSONResponse

from adpilot.sandbox.clock import SandboxClock

# TikTok's codes (reference §C.5).
OK = 0
MISSING_SCOPE = 40001
BAD_PARAMETER = 40002
QUERY_TOO_LARGE = 40067
RATE_LIMITED = 40100
BAD_APP = 40101
TOKEN_EXPIRED = 40102
TOKEN_MISSING = 40104
TOKEN_INVALID = 40105
BAD_AUTH_CODE = 40110
SYSTEM_ERROR = 50000


class TikTokError(Exception):
    """An error answer: TikTok sends it as the envelope with a non-zero code, on HTTP 200."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def envelope(clock: SandboxClock, code: int, message: str, data: dict[str, Any] | None = None) -> JSONResponse:
    """An answer in TikTok's envelope, with a request id like TikTok's (the time, then random hex)."""
    now = clock.now()
    request_id = f"{now:%Y%m%d%H%M%S}{secrets.token_hex(9).upper()}"
    return JSONResponse({"code": code, "message": message, "request_id": request_id, "data": data or {}})


def error_response(clock: SandboxClock, error: TikTokError) -> JSONResponse:
    """The envelope of an error raised by the pipeline or a handler."""
    return envelope(clock, error.code, error.message)


def rate_limited() -> TikTokError:
    return TikTokError(RATE_LIMITED, "App reaches the QPS limit.")


def system_error() -> TikTokError:
    return TikTokError(SYSTEM_ERROR, "System error.")


def token_missing() -> TikTokError:
    return TikTokError(TOKEN_MISSING, "Access token is empty, please check the Access-Token header.")


def token_expired() -> TikTokError:
    return TikTokError(TOKEN_EXPIRED, "Access token has expired.")


def token_invalid() -> TikTokError:
    return TikTokError(TOKEN_INVALID, "Access token is incorrect or has been revoked.")


def bad_parameter(message: str) -> TikTokError:
    """40002, TikTok's answer to a missing or malformed parameter (``"<field>: <what is wrong>"``)."""
    return TikTokError(BAD_PARAMETER, message)
