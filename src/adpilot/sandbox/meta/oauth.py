"""Meta's login and tokens (``platform-apis.md`` section B, "OAuth"):

* the login dialog ``/{version}/dialog/oauth``: a consent page (GET), then (POST) a redirect with ``code`` and
  ``state``, or with ``error=access_denied``; a wrong app or redirect URI gets an error page, not a redirect;
* the token endpoint ``/{version}/oauth/access_token``: code → short-lived token, ``grant_type=fb_exchange_token``
  → long-lived token (an expired token cannot be exchanged: code 190, subcode 463);
* ``/{version}/debug_token`` (with the app token ``{app_id}|{app_secret}`` or a user token);
* the user token every other Graph call carries (``Authorization: Bearer`` or ``access_token``).
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.routing import APIRoute

from adpilot.platforms.types import Platform
from adpilot.sandbox.auth import SandboxAuthError, TokenInfo, redirect_uri_allowed, render_consent_page
from adpilot.sandbox.engine import SandboxLogin
from adpilot.sandbox.meta.context import ALL_METHODS, GraphCall, GraphRoute, MetaContext, bind
from adpilot.sandbox.meta.errors import CODE_ERRORS, GraphError, error_page, invalid_parameter, token_error
from adpilot.sandbox.meta.graph import form

JsonObject = dict[str, Any]

APP_NAME = "adpilot"
GRANTED_PERMISSIONS = ("ads_management", "ads_read", "business_management", "public_profile")


def routes(context: MetaContext) -> list[APIRoute]:
    return [
        APIRoute("/{version}/dialog/oauth", bind(context, dialog), methods=["GET", "POST"], include_in_schema=False)
    ]


def api_routes() -> list[GraphRoute]:
    return [
        GraphRoute("public", "oauth/access_token", ALL_METHODS, access_token),
        GraphRoute("public", "debug_token", ALL_METHODS, debug_token),
    ]


async def dialog(context: MetaContext, request: Request) -> Response:
    """``/{version}/dialog/oauth``: the consent page (GET) and its answer (POST), ending in a redirect."""
    state = context.state
    version = request.path_params["version"]
    state.request_log.append((Platform.meta, request.method, f"/{version}/dialog/oauth"))
    params = {**dict(request.query_params), **(await form(request))}
    client_id = str(params.get("client_id", ""))
    redirect_uri = str(params.get("redirect_uri", ""))
    if client_id != context.app_id:
        return error_page("Invalid App ID: The provided app ID does not look like a valid app ID.")
    if not redirect_uri_allowed(Platform.meta, redirect_uri, state.config.redirect_origins):
        return error_page(
            "URL blocked: This redirect failed because the redirect URI is not whitelisted in the app's Client "
            "OAuth Settings."
        )
    hidden: dict[str, str] = {
        key: str(params[key]) for key in ("client_id", "redirect_uri", "state", "scope") if key in params
    }
    logins = context.world.logins(Platform.meta)
    if request.method == "GET":
        return HTMLResponse(_consent_page(context, request, logins, hidden))
    callback: dict[str, str]
    if params.get("decision") == "allow":
        login_id = str(params.get("login_id", ""))
        if not any(login.login_id == login_id for login in logins):
            return HTMLResponse(
                _consent_page(context, request, logins, hidden, error="Choose an account to continue."),
                status_code=400,
            )
        code = state.auth.issue_code(Platform.meta, login_id, redirect_uri=redirect_uri, code_challenge=None)
        callback = {"code": code}
    else:
        callback = {
            "error": "access_denied",
            "error_code": "200",
            "error_description": "Permissions error.",
            "error_reason": "user_denied",
        }
    if "state" in params:
        callback["state"] = str(params["state"])
    separator = "&" if "?" in redirect_uri else "?"
    # Facebook appends "#_=_" to the redirect when the redirect URI has no fragment of its own.
    fragment = "" if "#" in redirect_uri else "#_=_"
    return RedirectResponse(f"{redirect_uri}{separator}{urlencode(callback)}{fragment}", status_code=302)


def _consent_page(
    context: MetaContext,
    request: Request,
    logins: list[SandboxLogin],
    hidden: dict[str, str],
    *,
    error: str | None = None,
) -> str:
    names = {account.account_id: account.name for account in context.world.accounts(Platform.meta)}
    return render_consent_page(
        platform_title="Facebook",
        app_name=APP_NAME,
        logins=logins,
        form_action=request.url.path,
        hidden=hidden,
        error=error,
        account_names=names,
    )


def verify(context: MetaContext, call: GraphCall) -> TokenInfo:
    """The user token of a Graph call (code 104 without one, 190 with a bad one)."""
    header = call.request.headers.get("authorization", "")
    token = header[7:].strip() if header[:7].lower() == "bearer " else call.params.get("access_token")
    if not token:
        raise GraphError("An access token is required to request this resource.", code=104)
    try:
        info = context.state.auth.verify(Platform.meta, str(token), "access")
    except SandboxAuthError as exc:
        raise token_error(exc.reason, context.app_id, now=context.state.clock.now()) from None
    check_appsecret_proof(context, str(token), call.params.pop("appsecret_proof", None))
    return info


def check_appsecret_proof(context: MetaContext, token: str, proof: object) -> None:
    """``appsecret_proof`` (sent by the SDKs on every call when they know the app secret) must be the hex
    HMAC-SHA256 of the access token keyed with the app secret; absent, it is not required (the sandbox app does not
    switch on "Require App Secret")."""
    if proof is None:
        return
    expected = hmac.new(context.app_secret.encode(), token.encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(str(proof).lower(), expected):
        raise GraphError("Invalid appsecret_proof provided in the API argument", code=100, type_="GraphMethodException")


async def access_token(context: MetaContext, call: GraphCall) -> JsonObject:
    """``/oauth/access_token``: an authorization code for a short-lived token, or one for a long-lived token."""
    params = call.params
    if not params.get("client_id"):
        raise invalid_parameter("Missing client_id parameter.")
    if params.get("client_id") != context.app_id:
        raise GraphError("Error validating application. Invalid application ID.", code=101)
    if params.get("client_secret") != context.app_secret:
        raise GraphError("Error validating client secret.", code=1)
    if params.get("grant_type") == "fb_exchange_token":
        return _long_lived(context, str(params.get("fb_exchange_token") or ""))
    code = params.get("code")
    if not code:
        raise invalid_parameter("Missing code parameter.")
    redirect_uri = params.get("redirect_uri")
    if not redirect_uri:
        raise invalid_parameter("Missing redirect_uri parameter.")
    auth = context.state.auth
    try:
        login_id = auth.redeem_code(Platform.meta, str(code), redirect_uri=str(redirect_uri), code_verifier=None)
    except SandboxAuthError as exc:
        raise GraphError(CODE_ERRORS.get(exc.reason, "Invalid verification code format."), code=100) from None
    ttl = context.state.config.meta_short_token_ttl
    token, _ = auth.issue_token(Platform.meta, login_id, "access", ttl)
    return {"access_token": token, "token_type": "bearer", "expires_in": ttl}


def _long_lived(context: MetaContext, token: str) -> JsonObject:
    if not token:
        raise invalid_parameter("Missing fb_exchange_token parameter.")
    try:
        info = context.state.auth.verify(Platform.meta, token, "access")
    except SandboxAuthError as exc:
        # An expired token cannot be exchanged: only a new login helps (code 190, subcode 463).
        raise token_error(exc.reason, context.app_id, now=context.state.clock.now()) from None
    ttl = context.state.config.meta_long_token_ttl
    long_lived, _ = context.state.auth.issue_token(Platform.meta, info.login_id, "long_lived", ttl)
    return {"access_token": long_lived, "token_type": "bearer", "expires_in": ttl}


async def debug_token(context: MetaContext, call: GraphCall) -> JsonObject:
    """``/debug_token``: what a token is (valid or not, whose, its scopes and expiry)."""
    auth, now = context.state.auth, context.state.clock.now
    caller = str(call.params.get("access_token") or "")
    header = call.request.headers.get("authorization", "")
    if header[:7].lower() == "bearer ":
        caller = header[7:].strip()
    if caller != f"{context.app_id}|{context.app_secret}":
        try:
            auth.verify(Platform.meta, caller, "access")
        except SandboxAuthError as exc:
            raise token_error(exc.reason, context.app_id, now=now()) from None
    input_token = str(call.params.get("input_token") or "")
    if not input_token:
        raise invalid_parameter("The parameter input_token is required")
    data: JsonObject = {"app_id": context.app_id, "type": "USER", "application": APP_NAME}
    try:
        info = auth.verify(Platform.meta, input_token, "access")
    except SandboxAuthError as exc:
        error = token_error(exc.reason, context.app_id, now=now())
        login = auth.login_of(Platform.meta, input_token)
        data.update(
            {
                "error": {"code": error.code, "message": error.message, "subcode": error.subcode},
                "is_valid": False,
                "scopes": [],
            }
        )
        if login is not None:
            data["user_id"] = login
        return {"data": data}
    expires = int(info.expires_at.timestamp()) if info.expires_at is not None else 0
    issued = int(info.issued_at.timestamp()) if info.issued_at is not None else None
    data.update(
        {
            "data_access_expires_at": int((now() + timedelta(days=90)).timestamp()),
            "expires_at": expires,
            "is_valid": True,
            "scopes": list(GRANTED_PERMISSIONS),
            "user_id": info.login_id,
        }
    )
    if issued is not None:
        data["issued_at"] = issued
    return {"data": data}
