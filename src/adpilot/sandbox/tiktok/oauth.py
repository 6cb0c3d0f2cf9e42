"""TikTok's advertiser authorization (reference §C.2): the consent page and the token endpoints.

* ``GET|POST /portal/auth`` — the advertiser consent page; Allow redirects with ``auth_code`` (and ``code``) and the
  ``state``, Deny with ``error=access_denied``.
* ``POST /open_api/v1.3/oauth2/access_token/`` — ``{app_id, secret, auth_code}`` → ``advertiser_ids``, ``scope`` and
  the access token (a long-term one; in the ``rotating`` token mode a 24 h access and a 1 year refresh token).
* ``POST /open_api/v1.3/tt_user/oauth2/refresh_token/`` — ``{client_id, client_secret, grant_type, refresh_token}``
  → a new pair; the refresh token used is spent (the old access token lives until it expires).
* ``POST /open_api/v1.3/oauth2/revoke_token/`` — ``{app_id, secret, access_token}``: ends the advertiser's grant.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import parse_qs, urlencode, urlsplit

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.routing import APIRoute

from adpilot.sandbox.auth import SandboxAuthError, redirect_uri_allowed, render_consent_page
from adpilot.sandbox.engine import SandboxLogin
from adpilot.sandbox.tiktok.context import PLATFORM, Call, JsonObject, Operation, TikTokContext, check_app
from adpilot.sandbox.tiktok.errors import BAD_AUTH_CODE, TOKEN_INVALID, TikTokError, bad_parameter, token_invalid

AUTH_CODE_TTL_SECONDS = 3600  # "valid for 1 hour and can only be used once"
ROTATING_ACCESS_TTL_SECONDS = 24 * 3600
ROTATING_REFRESH_TTL_SECONDS = 365 * 24 * 3600
# Permission scope ids granted to the sandbox app (ad account management, ads management, reporting, …).
GRANTED_SCOPES = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]

_UNBOUND_REDIRECT = "urn:tiktok:auth-code"
"""TikTok's token exchange sends no redirect URI, so sandbox codes are bound to this constant instead."""


def routes(context: TikTokContext) -> list[APIRoute]:
    """The consent page (outside the Open API: HTML, no envelope)."""

    async def portal_auth(request: Request) -> Response:
        return await consent_page(request, context)

    return [APIRoute("/portal/auth", portal_auth, methods=["GET", "POST"], include_in_schema=False)]


def api_routes() -> list[Operation]:
    return [
        Operation("POST", "oauth2/access_token/", access_token, authenticated=False),
        Operation("POST", "tt_user/oauth2/refresh_token/", refresh_token, authenticated=False),
        Operation("POST", "oauth2/revoke_token/", revoke_token, authenticated=False),
    ]


async def consent_page(request: Request, context: TikTokContext) -> Response:
    state = context.state
    if request.method == "POST":
        form = {k: v[0] for k, v in parse_qs((await request.body()).decode("utf-8", "replace")).items()}
    else:
        form = dict(request.query_params)
    app_id, oauth_state, redirect_uri = form.get("app_id", ""), form.get("state", ""), form.get("redirect_uri", "")
    if app_id != context.app_credentials[0]:
        return HTMLResponse("<!doctype html><title>Error</title><p>Unknown app_id.</p>", status_code=400)
    if not redirect_uri_allowed(PLATFORM, redirect_uri, state.config.redirect_origins):
        return HTMLResponse("<!doctype html><title>Error</title><p>Invalid redirect_uri.</p>", status_code=400)
    logins = state.world.logins(PLATFORM)
    error: str | None = None
    if request.method == "POST":
        if form.get("decision") == "deny":
            # TikTok sends the person back without an auth_code; the state lets the app match the attempt.
            return _redirect(redirect_uri, {"error": "access_denied", "state": oauth_state})
        login = state.world.login(PLATFORM, form.get("login_id", ""))
        if form.get("decision") == "allow" and login is not None:
            code = state.auth.issue_code(
                PLATFORM,
                login.login_id,
                redirect_uri=_UNBOUND_REDIRECT,
                code_challenge=None,
                ttl=AUTH_CODE_TTL_SECONDS,
            )
            return _redirect(redirect_uri, {"auth_code": code, "code": code, "state": oauth_state})
        error = "Choose an account, then Allow or Deny."
    names = {account.account_id: account.name for account in state.world.accounts(PLATFORM)}
    page = render_consent_page(
        platform_title="TikTok For Business",
        app_name="adpilot",
        logins=logins,
        form_action=request.url.path,
        hidden={"app_id": app_id, "state": oauth_state, "redirect_uri": redirect_uri},
        error=error,
        account_names=names,
    )
    return HTMLResponse(page, status_code=200 if error is None else 400)


async def access_token(call: Call, context: TikTokContext) -> JsonObject:
    state = context.state
    check_app(context, call.body.get("app_id"), call.body.get("secret"))
    auth_code = call.body.get("auth_code")
    if not isinstance(auth_code, str) or not auth_code:
        raise bad_parameter("auth_code: Missing data for required field.")
    try:
        login_id = state.auth.redeem_code(PLATFORM, auth_code, redirect_uri=_UNBOUND_REDIRECT, code_verifier=None)
    except SandboxAuthError:
        raise TikTokError(BAD_AUTH_CODE, "Auth code is invalid or has expired.") from None
    login = state.world.login(PLATFORM, login_id)
    if login is None:
        raise TikTokError(BAD_AUTH_CODE, "Auth code is invalid or has expired.")
    advertiser_ids = [a for a in login.account_ids if state.world.account(PLATFORM, a) is not None]
    data: JsonObject = {"advertiser_ids": advertiser_ids, "scope": GRANTED_SCOPES}
    if context.rotating:
        data.update(_rotating_tokens(context, login))
    else:
        token, _ = state.auth.issue_token(PLATFORM, login.login_id, "long_lived", None)
        data["access_token"] = token
    return data


async def refresh_token(call: Call, context: TikTokContext) -> JsonObject:
    state = context.state
    check_app(context, call.body.get("client_id"), call.body.get("client_secret"))
    if call.body.get("grant_type") != "refresh_token":
        raise bad_parameter("grant_type: Must be refresh_token.")
    refresh = call.body.get("refresh_token")
    if not isinstance(refresh, str) or not refresh:
        raise bad_parameter("refresh_token: Missing data for required field.")
    try:
        info = state.auth.verify(PLATFORM, refresh, "refresh")
    except SandboxAuthError:
        raise TikTokError(TOKEN_INVALID, "Refresh token is incorrect or has been revoked.") from None
    login = state.world.login(PLATFORM, info.login_id)
    if login is None:
        raise TikTokError(TOKEN_INVALID, "Refresh token is incorrect or has been revoked.")
    # Rotation: the refresh token just used is spent.
    state.auth.revoke(PLATFORM, refresh)
    data = _rotating_tokens(context, login)
    data["scope"] = GRANTED_SCOPES
    return data


async def revoke_token(call: Call, context: TikTokContext) -> JsonObject:
    state = context.state
    check_app(context, call.body.get("app_id"), call.body.get("secret"))
    token = call.body.get("access_token")
    if not isinstance(token, str) or not token:
        raise bad_parameter("access_token: Missing data for required field.")
    try:
        info = state.auth.verify(PLATFORM, token, "access")
    except SandboxAuthError:
        raise token_invalid() from None
    # The advertiser's authorization of the app ends: every token of the grant, refresh tokens included.
    state.auth.revoke_login(PLATFORM, info.login_id)
    return {}


def _rotating_tokens(context: TikTokContext, login: SandboxLogin) -> JsonObject:
    auth = context.state.auth
    access, _ = auth.issue_token(PLATFORM, login.login_id, "access", ROTATING_ACCESS_TTL_SECONDS)
    refresh, _ = auth.issue_token(PLATFORM, login.login_id, "refresh", ROTATING_REFRESH_TTL_SECONDS)
    return {
        "access_token": access,
        "token_type": "Bearer",
        "expires_in": ROTATING_ACCESS_TTL_SECONDS,
        "refresh_token": refresh,
        "refresh_token_expires_in": ROTATING_REFRESH_TTL_SECONDS,
        "open_id": login.login_id,
    }


def _redirect(uri: str, params: Mapping[str, str]) -> RedirectResponse:
    separator = "&" if urlsplit(uri).query else "?"
    return RedirectResponse(f"{uri}{separator}{urlencode(params)}", status_code=302)
