"""What every handler of the Google Ads emulator is handed: the emulator's context and, for API calls, the caller.

:class:`GoogleContext` is built once per emulator by :func:`.app.create_google_emulator`; :class:`Caller` is what the
request pipeline of :mod:`.app` found out about an Ads API request (who signed in, the API version, the customer).
An Ads API module declares its endpoints as :class:`ApiRoute` entries (``api_routes(context)``), which the app serves
behind that pipeline; the OAuth module's routes are plain ones (:func:`bind`).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from fastapi import Request, Response

from adpilot.sandbox.engine import SandboxLogin, SimAccount
from adpilot.sandbox.google.errors import invalid_json
from adpilot.sandbox.google.fields import Budgets
from adpilot.sandbox.state import SandboxState


@dataclass(frozen=True)
class GoogleContext:
    """One emulator's settings and its own state besides the shared sandbox state."""

    state: SandboxState
    client_id: str  # the sandbox OAuth app's credentials, as configured when the emulator was built
    client_secret: str
    dead_versions: frozenset[str] = frozenset()  # answered UNSUPPORTED_VERSION
    test_project: bool = False  # a Cloud project with test access only: every customer refused
    budgets: Budgets = field(default_factory=Budgets)  # campaign budgets created through the API
    offline_codes: set[str] = field(default_factory=set)  # authorization codes granted with access_type=offline


@dataclass
class Caller:
    """An Ads API request that passed the pipeline: its login, API version and (for customer calls) customer."""

    login: SandboxLogin
    version: str
    account: SimAccount | None

    @property
    def customer(self) -> SimAccount:
        assert self.account is not None  # noqa: S101 - customer calls always have one
        return self.account


ApiHandler = Callable[[Request, GoogleContext, Caller], Awaitable[Response]]


@dataclass(frozen=True)
class ApiRoute:
    """An endpoint of the Ads API, served by the app under ``/{version}/`` behind the request pipeline."""

    path: str  # below ``/{version}/``; ``{customer_id}`` in it names the customer the call is about
    handler: ApiHandler
    method: str = "POST"


def bind(
    handler: Callable[[Request, GoogleContext], Awaitable[Response]], context: GoogleContext
) -> Callable[[Request], Awaitable[Response]]:
    """A plain route's endpoint: ``handler`` with this emulator's context."""

    async def endpoint(request: Request) -> Response:
        return await handler(request, context)

    return endpoint


async def json_object(request: Request, known: frozenset[str]) -> dict[str, Any]:
    """The JSON object body of an API call, refused as Google's front end does when malformed or with unknown keys."""
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except ValueError:
        raise invalid_json("Invalid JSON payload received. Unexpected token.") from None
    if not isinstance(body, dict):
        raise invalid_json("Invalid JSON payload received. Expected an object.")
    unknown = sorted(set(body) - known)
    if unknown:
        raise invalid_json(f'Invalid JSON payload received. Unknown name "{unknown[0]}": Cannot find field.')
    return body
