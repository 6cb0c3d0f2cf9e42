"""What every TikTok handler is handed: the emulator's context and the call it serves.

A handler is a module-level ``async def handler(call: Call, context: TikTokContext) -> JsonObject`` returning the
envelope's ``data``; each module lists its endpoints as ``Operation``s and ``app.py`` routes them through one
pipeline (version check, quota, authentication, faults, the envelope).
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from fastapi import Request

from adpilot.platforms.types import Platform
from adpilot.sandbox.engine import SandboxLogin, SimAccount
from adpilot.sandbox.state import SandboxState
from adpilot.sandbox.tiktok.errors import BAD_APP, MISSING_SCOPE, TikTokError, bad_parameter, token_missing

PLATFORM = Platform.tiktok
ROTATING_MODE = "rotating"

JsonObject = dict[str, Any]


@dataclass(frozen=True)
class TikTokContext:
    """One emulator's state and settings, shared by its handlers."""

    state: SandboxState
    # campaign/create/ is idempotent on the body's request_id: (advertiser, request_id) → campaign id.
    created: dict[tuple[str, str], str] = field(default_factory=dict)
    # Writes are answered once per request_id: (advertiser, path, request_id) → the first answer, repeated as is.
    answered: dict[tuple[str, str, str], JsonObject] = field(default_factory=dict)

    @property
    def app_credentials(self) -> tuple[str, str]:
        """The sandbox app's id and secret."""
        return self.state.config.app_credentials[PLATFORM]

    @property
    def rotating(self) -> bool:
        """Whether tokens expire and rotate (``config.tiktok_token_mode``) instead of living until revoked."""
        return self.state.config.tiktok_token_mode == ROTATING_MODE

    @property
    def requests_per_second(self) -> float:
        return self.state.config.tiktok_requests_per_second

    @property
    def report_max_days(self) -> int:
        # Tests narrow the limit to watch the adapter split its windows; 30 days otherwise, as on TikTok.
        return self.state.config.tiktok_report_max_days


@dataclass
class Call:
    """One API request as the handlers see it: its parsed query and JSON body, and who made it."""

    request: Request
    query: Mapping[str, str]
    body: JsonObject
    login: SandboxLogin | None = None
    token: str | None = None


Handler = Callable[[Call, TikTokContext], Awaitable[JsonObject]]


@dataclass(frozen=True)
class Operation:
    """One endpoint of the Open API, ``<method> /open_api/<version>/<path>``, and the handler that serves it."""

    method: str
    path: str
    handler: Handler
    # Whether the call needs an Access-Token (every API call except the OAuth token endpoints).
    authenticated: bool = True


def caller(call: Call) -> SandboxLogin:
    """The login whose token authenticated the call."""
    if call.login is None:
        raise token_missing()
    return call.login


def check_app(context: TikTokContext, app_id: object, secret: object) -> None:
    """The app's id and secret, as the OAuth endpoints and ``oauth2/advertiser/get/`` take them."""
    expected_id, expected_secret = context.app_credentials
    if not isinstance(app_id, str) or not app_id:
        raise bad_parameter("app_id: Missing data for required field.")
    if not isinstance(secret, str) or not secret:
        raise bad_parameter("secret: Missing data for required field.")
    if not (secrets.compare_digest(app_id, expected_id) and secrets.compare_digest(secret, expected_secret)):
        raise TikTokError(BAD_APP, "Invalid app_id or secret.")


def reachable_account(context: TikTokContext, call: Call, advertiser_id: object) -> SimAccount:
    """The advertiser the call is about, if the token's login may reach it (else TikTok's permission error)."""
    if not isinstance(advertiser_id, str | int) or isinstance(advertiser_id, bool) or not str(advertiser_id):
        raise bad_parameter("advertiser_id: Missing data for required field.")
    account_id = str(advertiser_id)
    account = context.state.world.account(PLATFORM, account_id)
    if account is None or account_id not in caller(call).account_ids:
        raise TikTokError(
            MISSING_SCOPE,
            f"Permission error: the access token has no permission for advertiser {account_id}.",
        )
    return account
