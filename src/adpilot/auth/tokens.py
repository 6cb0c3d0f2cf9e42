"""Access tokens (short-lived JWTs) and the pending-MFA token handed out between the two log-in steps."""

from __future__ import annotations

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
    try:
        claims = jwt.decode(token, secret, algorithms=[ALGORITHM], audience="adpilot", options={"require": ["exp"]})
        if claims.get("typ") != kind:
            return None
        sid = claims.get("sid")
        return TokenClaims(UUID(claims["sub"]), UUID(sid) if sid else None, kind)
    except (jwt.InvalidTokenError, KeyError, ValueError, TypeError):
        return None
