"""The Google Ads emulator as one ASGI app: the routes of the modules beside this one, behind Google's pipeline.

It answers exactly as Google does, so the real adapter cannot tell the difference and a drift in the adapter shows up
here first. The modules and what of Google they serve:

* :mod:`.oauth`: the consent page (``/o/oauth2/v2/auth``), ``/token``, ``/revoke`` and ``/v1/userinfo``;
* :mod:`.accounts`: ``customers:listAccessibleCustomers`` and who may reach which customer;
* :mod:`.reports`: ``googleAds:search`` and ``googleAds:searchStream``, every read (GAQL, :mod:`.gaql`, planned and
  run by :mod:`.query` over the resources and fields of :mod:`.fields`);
* :mod:`.entities`: ``:mutate`` for campaigns, ad groups, ads and campaign budgets;
* :mod:`.errors`: the ``google.rpc.Status`` envelopes; :mod:`.quota`: the per-customer rate and operation counting.

Every request is logged in ``state.request_log`` and gets a ``request-id`` header. An Ads API call (under
``/{version}/``) then goes through the pipeline of :func:`authorize`, in Google's order: the per-customer rate counts
the request on arrival, then the version (``UNSUPPORTED_VERSION`` for a sunset one), the bearer token, the faults
queued in ``state.faults`` for the customer (429 storms, 503 bursts, expired and revoked tokens, slow answers; for a
``:mutate``, a 503 or a stalled answer after the write was applied), and the customer's access; a bad token is answered
before a 429.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Awaitable, Callable, Iterable

from fastapi import FastAPI, Request, Response

from adpilot.platforms.types import Platform
from adpilot.sandbox.auth import SandboxAuthError
from adpilot.sandbox.engine import SandboxLogin, SimAccount
from adpilot.sandbox.faults import Fault, FaultKind
from adpilot.sandbox.google import accounts, entities, oauth, reports
from adpilot.sandbox.google.context import ApiRoute, Caller, GoogleContext
from adpilot.sandbox.google.errors import (
    API_VERSION,
    MISSING_CREDENTIALS,
    GoogleApiError,
    api_error,
    rate_limited,
    request_error,
    unauthenticated,
)
from adpilot.sandbox.google.quota import FAULT_RETRY_DELAY, RATE_NAME, admit
from adpilot.sandbox.state import SandboxState


def create_google_emulator(
    state: SandboxState, *, sunset_versions: Iterable[str] = (), test_project: bool = False
) -> FastAPI:
    """The emulator as an ASGI app with Google's paths (mount it at ``/sandbox/google``).

    ``sunset_versions`` answer ``UNSUPPORTED_VERSION`` like Google's dead API versions; ``test_project`` refuses
    every customer with ``CLOUD_PROJECT_NOT_APPROVED_FOR_PRODUCTION``, like a Cloud project with test access only.
    """
    client_id, client_secret = state.config.app_credentials[Platform.google]
    context = GoogleContext(
        state=state,
        client_id=client_id,
        client_secret=client_secret,
        dead_versions=frozenset(sunset_versions),
        test_project=test_project,
    )
    app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)

    @app.middleware("http")
    async def log_and_tag(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        state.request_log.append((Platform.google, request.method, _relative_path(request)))
        request.state.request_id = secrets.token_urlsafe(16)
        response = await call_next(request)
        response.headers["request-id"] = request.state.request_id
        return response

    app.add_exception_handler(GoogleApiError, api_error)
    app.router.routes.extend(oauth.routes(context))
    for route in (*accounts.api_routes(context), *reports.api_routes(context), *entities.api_routes(context)):
        app.add_api_route(f"/{{version}}/{route.path}", _api_endpoint(context, route), methods=[route.method])
    return app


def _api_endpoint(context: GoogleContext, route: ApiRoute) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        response = await route.handler(request, context, await authorize(request, context))
        after_write: Fault | None = getattr(request.state, "after_write", None)
        if after_write is not None:
            # The write is applied; its answer is lost: a 503, or no answer before the client gives up.
            if after_write.kind is FaultKind.applied_then_error:
                raise GoogleApiError(503)
            await asyncio.sleep(after_write.delay_seconds)
        return response

    return endpoint


async def authorize(request: Request, context: GoogleContext) -> Caller:
    """Version, bearer token, injected faults, the per-customer quota and access, in Google's order.

    The quota counts the request first, on arrival, as Google's does: the moment that decides is when a request came
    in, not when it is checked. Its answer still comes in Google's order (a bad token before a 429).
    """
    state = context.state
    version = str(request.path_params["version"])
    customer_id = request.path_params.get("customer_id")
    wait = None
    if customer_id is not None and accounts.CUSTOMER_ID.match(customer_id):
        wait = admit(state, customer_id)
    if not API_VERSION.match(version):
        raise GoogleApiError(404, message=f"Method not found: {version}.")
    if version in context.dead_versions:
        raise request_error(
            "UNSUPPORTED_VERSION", f"Version {version} is deprecated. Requests to this version will be blocked."
        )
    header = request.headers.get("authorization", "")
    token = header[7:].strip() if header[:7].lower() == "bearer " else None
    if not token:
        raise GoogleApiError(401, message=MISSING_CREDENTIALS)
    try:
        info = state.auth.verify(Platform.google, token, "access")
    except SandboxAuthError as exc:
        code = {"expired": "OAUTH_TOKEN_EXPIRED", "revoked": "OAUTH_TOKEN_REVOKED"}.get(
            exc.reason, "OAUTH_TOKEN_INVALID"
        )
        raise unauthenticated(code, "Authentication of the request failed.") from None
    login = state.world.login(Platform.google, info.login_id)
    if login is None:
        raise unauthenticated("NOT_ADS_USER", "The Google account is not associated with any Google Ads account.")
    fault = state.faults.take(Platform.google, customer_id, write=is_write(request))
    if fault is not None and fault.kind.after_write:
        request.state.after_write = fault  # served by the endpoint once the write is applied
    elif fault is not None:
        await _serve_fault(context, fault.kind, fault.delay_seconds, login)
    account: SimAccount | None = None
    if customer_id is not None:
        if not accounts.CUSTOMER_ID.match(customer_id):
            raise request_error("INVALID_CUSTOMER_ID", f"Invalid customer ID '{customer_id}'.")
        if wait is not None:
            raise rate_limited(wait, RATE_NAME)
        account = accounts.check_access(request, context, login, customer_id)
    return Caller(login, version, account)


async def _serve_fault(context: GoogleContext, kind: FaultKind, delay: float, login: SandboxLogin) -> None:
    if kind is FaultKind.slow:
        await asyncio.sleep(delay)
    elif kind is FaultKind.rate_limit:
        raise rate_limited(delay or FAULT_RETRY_DELAY, RATE_NAME)
    elif kind is FaultKind.server_error:
        raise GoogleApiError(503)
    elif kind is FaultKind.expire_token:
        raise unauthenticated("OAUTH_TOKEN_EXPIRED", "Authentication of the request failed: the token expired.")
    elif kind is FaultKind.revoke_token:
        # Revoked for real: the refresh token dies with it, as when a person removes the app's access.
        context.state.auth.revoke_login(Platform.google, login.login_id)
        raise unauthenticated("OAUTH_TOKEN_REVOKED", "Authentication of the request failed: the token was revoked.")


def is_write(request: Request) -> bool:
    """Whether the call changes the account: every ``:mutate`` (a ``validateOnly`` one included)."""
    return request.method == "POST" and request.url.path.endswith(":mutate")


def _relative_path(request: Request) -> str:
    path = request.url.path
    root = str(request.scope.get("root_path", ""))
    return path[len(root) :] if root and path.startswith(root) else path
