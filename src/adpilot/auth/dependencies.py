"""Typed dependencies: the authenticated caller of a request."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from adpilot.auth.errors import CsrfHeaderMissing
from adpilot.auth.service import Principal, auth_service
from adpilot.db import DbSession

REFRESH_COOKIE = "adpilot_refresh"
REFRESH_COOKIE_PATH = "/api/v1/auth"

_bearer = HTTPBearer(auto_error=False, description="The access token from log-in or refresh.")


async def access_token(credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]) -> str | None:
    return credentials.credentials if credentials else None


AccessToken = Annotated[str | None, Depends(access_token)]


async def current_principal(session: DbSession, token: AccessToken) -> Principal:
    return await auth_service.authenticate(session, token)


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


async def require_csrf_header(request: Request) -> None:
    """Cookie-authenticated endpoints need a header a cross-site form cannot send."""
    if request.headers.get("x-requested-with", "").lower() != "xmlhttprequest":
        raise CsrfHeaderMissing()


async def refresh_cookie(request: Request) -> str | None:
    return request.cookies.get(REFRESH_COOKIE)


async def no_store(response: Response) -> None:
    """Responses that carry tokens or secrets are never stored by a browser or a proxy."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["Pragma"] = "no-cache"
