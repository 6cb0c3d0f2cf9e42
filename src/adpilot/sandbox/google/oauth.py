"""Google's OAuth 2.0 endpoints as the Google Ads emulator serves them, with RFC 6749 error bodies.

* ``GET /o/oauth2/v2/auth``: the consent page (``response_type=code``, PKCE ``S256`` or ``plain``); its form posts
  back to the same path, and the decision redirects to the ``redirect_uri`` with a ``code`` or ``error``. A bad
  client or redirect URI is an error page, never a redirect.
* ``POST /token``: ``authorization_code`` (with the PKCE verifier) and ``refresh_token`` grants, client credentials
  in the form or HTTP Basic. A refresh token is issued only for ``access_type=offline``.
* ``POST /revoke``: revokes the grant of an access or refresh token.
* ``GET /v1/userinfo``: OpenID Connect's userinfo (openidconnect.googleapis.com/v1/userinfo).
"""

from __future__ import annotations

import base64
import binascii
import json
import secrets
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl, urlencode

from fastapi import Request, Response
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from fastapi.routing import APIRoute

from adpilot.platforms.types import Platform
from adpilot.sandbox.auth import SandboxAuthError, redirect_uri_allowed, render_consent_page
from adpilot.sandbox.google.context import GoogleContext, bind

SCOPE = "https://www.googleapis.com/auth/adwords"
_AUTHORIZE_PARAMS = frozenset(
    {"client_id", "redirect_uri", "response_type", "scope", "state", "access_type", "prompt", "include_granted_scopes",
     "code_challenge", "code_challenge_method", "login_hint"}
)  # fmt: skip
_NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def routes(context: GoogleContext) -> list[APIRoute]:
    return [
        APIRoute("/o/oauth2/v2/auth", bind(consent_page, context), methods=["GET"], response_model=None),
        APIRoute("/o/oauth2/v2/auth", bind(consent_decision, context), methods=["POST"], response_model=None),
        APIRoute("/token", bind(token, context), methods=["POST"]),
        APIRoute("/revoke", bind(revoke, context), methods=["POST"]),
        APIRoute("/v1/userinfo", bind(userinfo, context), methods=["GET"]),
    ]


async def consent_page(request: Request, context: GoogleContext) -> Response:
    state = context.state
    params = dict(request.query_params)
    problem = _authorization_problem(context, params)
    if problem is not None:
        return problem
    if params.get("response_type") != "code":
        return _callback(
            params["redirect_uri"], {"error": "unsupported_response_type", "state": params.get("state", "")}
        )
    hidden = {key: value for key, value in params.items() if key in _AUTHORIZE_PARAMS}
    names = {a.account_id: a.name for a in state.world.accounts(Platform.google)}
    return HTMLResponse(
        render_consent_page(
            platform_title="Google",
            app_name="adpilot",
            logins=state.world.logins(Platform.google),
            form_action=request.url.path,
            hidden=hidden,
            account_names=names,
        )
    )


async def consent_decision(request: Request, context: GoogleContext) -> Response:
    state = context.state
    form = await _form(request)
    problem = _authorization_problem(context, form)
    if problem is not None:
        return problem
    redirect_uri, state_param = form["redirect_uri"], form.get("state", "")
    if form.get("decision") != "allow":
        return _callback(redirect_uri, {"error": "access_denied", "state": state_param})
    login = state.world.login(Platform.google, form.get("login_id", ""))
    if login is None:
        hidden = {key: value for key, value in form.items() if key in _AUTHORIZE_PARAMS}
        return HTMLResponse(
            render_consent_page(
                platform_title="Google",
                app_name="adpilot",
                logins=state.world.logins(Platform.google),
                form_action=request.url.path,
                hidden=hidden,
                error="Choose an account to continue.",
            ),
            status_code=400,
        )
    challenge = form.get("code_challenge") or None
    code = state.auth.issue_code(
        Platform.google,
        login.login_id,
        redirect_uri=redirect_uri,
        code_challenge=challenge,
        code_challenge_method=form.get("code_challenge_method") or ("plain" if challenge else "S256"),
    )
    if form.get("access_type") == "offline":
        context.offline_codes.add(code)
    return _callback(redirect_uri, {"state": state_param, "code": code, "scope": form.get("scope", SCOPE)})


async def token(request: Request, context: GoogleContext) -> Response:
    state = context.state
    form = await _form(request)
    given_id, given_secret = _client_credentials(request, form)
    if given_id != context.client_id:
        return _token_error("invalid_client", "The OAuth client was not found.", 401)
    if not secrets.compare_digest(given_secret, context.client_secret):
        return _token_error("invalid_client", "Unauthorized", 401)
    grant = form.get("grant_type", "")
    ttl = state.config.google_access_token_ttl
    if grant == "authorization_code":
        code = form.get("code")
        if not code:
            return _token_error("invalid_request", "Missing required parameter: code")
        try:
            login_id = state.auth.redeem_code(
                Platform.google,
                code,
                redirect_uri=form.get("redirect_uri", ""),
                code_verifier=form.get("code_verifier") or None,
            )
        except SandboxAuthError as exc:
            if exc.reason == "redirect_mismatch":
                return _token_error("redirect_uri_mismatch", "Bad Request")
            if exc.reason == "pkce":
                return _token_error("invalid_grant", "Invalid code verifier.")
            return _token_error("invalid_grant", "Bad Request")
        access, _ = state.auth.issue_token(Platform.google, login_id, "access", ttl)
        body: dict[str, Any] = {"access_token": access, "expires_in": ttl, "scope": SCOPE, "token_type": "Bearer"}
        if code in context.offline_codes:
            context.offline_codes.discard(code)
            body["refresh_token"], _ = state.auth.issue_token(Platform.google, login_id, "refresh", None)
        return JSONResponse(body, headers=_NO_STORE)
    if grant == "refresh_token":
        refresh = form.get("refresh_token")
        if not refresh:
            return _token_error("invalid_request", "Missing required parameter: refresh_token")
        try:
            info = state.auth.verify(Platform.google, refresh, "refresh")
        except SandboxAuthError:
            return _token_error("invalid_grant", "Token has been expired or revoked.")
        access, _ = state.auth.issue_token(Platform.google, info.login_id, "access", ttl)
        return JSONResponse(
            {"access_token": access, "expires_in": ttl, "scope": SCOPE, "token_type": "Bearer"}, headers=_NO_STORE
        )
    return _token_error("unsupported_grant_type", f"Invalid grant_type: {grant}")


async def revoke(request: Request, context: GoogleContext) -> Response:
    state = context.state
    form = await _form(request)
    given = form.get("token") or request.query_params.get("token")
    for kind in ("refresh", "access"):
        try:
            info = state.auth.verify(Platform.google, given, kind)
        except SandboxAuthError:
            continue
        # Revoking either token ends the whole grant.
        state.auth.revoke_login(Platform.google, info.login_id)
        return JSONResponse({})
    return _token_error("invalid_token", "Token expired or revoked")


async def userinfo(request: Request, context: GoogleContext) -> Response:
    """OpenID Connect's userinfo (openidconnect.googleapis.com/v1/userinfo): who the access token belongs to."""
    state = context.state
    header = request.headers.get("authorization", "")
    bearer = header[7:] if header.lower().startswith("bearer ") else None
    try:
        info = state.auth.verify(Platform.google, bearer, "access")
    except SandboxAuthError:
        return JSONResponse(
            {"error": "invalid_request", "error_description": "Invalid Credentials"},
            status_code=401,
            headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
        )
    login = state.world.login(Platform.google, info.login_id)
    body: dict[str, Any] = {"sub": info.login_id}
    if login is not None:
        body |= {"email": login.email, "email_verified": True, "name": login.display_name}
    return JSONResponse(body)


def _consent_error(message: str, status_code: int = 400) -> HTMLResponse:
    return HTMLResponse(
        "<!doctype html><html lang='en'><head><meta charset='utf-8'><title>Error</title></head><body>"
        f"<main><h1>Access blocked: authorization error</h1><p>{message}</p></main></body></html>",
        status_code=status_code,
    )


def _callback(redirect_uri: str, params: dict[str, str]) -> RedirectResponse:
    separator = "&" if "?" in redirect_uri else "?"
    return RedirectResponse(f"{redirect_uri}{separator}{urlencode(params)}", status_code=302)


def _authorization_problem(context: GoogleContext, params: Mapping[str, str]) -> HTMLResponse | None:
    if params.get("client_id") != context.client_id:
        return _consent_error("Error 401: invalid_client. The OAuth client was not found.", 401)
    if not params.get("redirect_uri"):
        return _consent_error("Error 400: invalid_request. Missing required parameter: redirect_uri")
    if not redirect_uri_allowed(Platform.google, params["redirect_uri"], context.state.config.redirect_origins):
        return _consent_error(
            "Error 400: redirect_uri_mismatch. The redirect URI in the request does not match the ones "
            "authorized for the OAuth client."
        )
    if not params.get("scope"):
        return _consent_error("Error 400: invalid_request. Missing required parameter: scope")
    method = params.get("code_challenge_method")
    if params.get("code_challenge") and method not in (None, "", "S256", "plain"):
        return _consent_error(f"Error 400: invalid_request. Invalid code_challenge_method: {method}")
    return None


def _token_error(error: str, description: str, status_code: int = 400) -> JSONResponse:
    return JSONResponse({"error": error, "error_description": description}, status_code=status_code, headers=_NO_STORE)


def _client_credentials(request: Request, form: Mapping[str, str]) -> tuple[str, str]:
    header = request.headers.get("authorization", "")
    if header[:6].lower() == "basic ":
        try:
            decoded = base64.b64decode(header[6:]).decode()
        except (ValueError, binascii.Error):
            return "", ""
        given_id, _, given_secret = decoded.partition(":")
        return given_id, given_secret
    return form.get("client_id", ""), form.get("client_secret", "")


async def _form(request: Request) -> dict[str, str]:
    """An ``application/x-www-form-urlencoded`` body (or JSON object), without a multipart dependency."""
    raw = await request.body()
    if request.headers.get("content-type", "").startswith("application/json"):
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            return {}
        return {str(k): str(v) for k, v in body.items()} if isinstance(body, dict) else {}
    return dict(parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True))
