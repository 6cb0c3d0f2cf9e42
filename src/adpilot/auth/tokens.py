"""Access tokens (short-lived JWTs) and the pending-MFA token handed out between the two log-in steps."""

from __future__ import annotations

import time
from collections import OrderedDict
from dataclasses import dataclass
from datetime import timedelta
from typing import Literal
from uuid import UUID

import jwt

from adpilot.core.time import utcnow

ALGORITHM = "HS256"
MFA_TOKEN_MINUTES = 5
TokenKind = Literal["access", "mfa"]


@dataclass(frozen=True)
class TokenClaims:
    user_id: UUID
    session_id: UUID | None
    kind: TokenKind


def issue_token(secret: str, kind: TokenKind, user_id: UUID, session_id: UUID | None, minutes: int) -> str:
    now = utcnow()
    claims = {
        "sub": str(user_id),
        "sid": str(session_id) if session_id else None,
        "typ": kind,
        "iat": now,
        "exp": now + timedelta(minutes=minutes),
        "aud": "adpilot",
    }
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def read_token(secret: str, token: str, kind: TokenKind) -> TokenClaims | None:
    """The claims of a valid, unexpired token of the given kind, else None."""
    key = (secret, token)
    cached = _verified.get(key)
    if cached is not None:
        claims, expires_at = cached
        if time.time() < expires_at:
            return claims if claims.kind == kind else None
        del _verified[key]
    try:
        payload = jwt.decode(token, secret, algorithms=[ALGORITHM], audience="adpilot", options={"require": ["exp"]})
        sid = payload.get("sid")
        claims = TokenClaims(UUID(payload["sub"]), UUID(sid) if sid else None, payload["typ"])
        expires_at = float(payload["exp"])
    except (jwt.InvalidTokenError, KeyError, ValueError, TypeError):
        return None
    if claims.kind not in ("access", "mfa"):
        return None
    _remember(key, claims, expires_at)
    return claims if claims.kind == kind else None


# Verified tokens, so that a client's next requests skip the signature check (about a tenth of a list request's
# CPU). A token is immutable and its expiry is checked on every use; the session behind it is still checked against
# the database on every request, so revocation stays immediate.
_VERIFIED_MAX = 4096
_verified: OrderedDict[tuple[str, str], tuple[TokenClaims, float]] = OrderedDict()


def _remember(key: tuple[str, str], claims: TokenClaims, expires_at: float) -> None:
    _verified[key] = (claims, expires_at)
    if len(_verified) > _VERIFIED_MAX:
        _verified.popitem(last=False)
