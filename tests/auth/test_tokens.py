"""Access and MFA tokens: signature, kind and expiry are enforced, also for tokens verified before."""

from __future__ import annotations

import time
from uuid import uuid4

import jwt
import pytest

from adpilot.auth import tokens

SECRET = "a-secret-long-enough-for-hs256-signatures"


class TestReadToken:
    def test_a_valid_token_reads_back_its_claims(self) -> None:
        user, session = uuid4(), uuid4()
        token = tokens.issue_token(SECRET, "access", user, session, 15)
        claims = tokens.read_token(SECRET, token, "access")
        assert claims == tokens.TokenClaims(user, session, "access")

    def test_the_kind_is_checked_on_every_read(self) -> None:
        token = tokens.issue_token(SECRET, "mfa", uuid4(), None, 5)
        assert tokens.read_token(SECRET, token, "mfa") is not None
        assert tokens.read_token(SECRET, token, "access") is None

    def test_another_secret_is_refused_even_after_a_successful_read(self) -> None:
        token = tokens.issue_token(SECRET, "access", uuid4(), uuid4(), 15)
        assert tokens.read_token(SECRET, token, "access") is not None
        assert tokens.read_token("another-secret-long-enough-for-hs256", token, "access") is None

    def test_a_tampered_token_is_refused(self) -> None:
        token = tokens.issue_token(SECRET, "access", uuid4(), uuid4(), 15)
        header, payload, signature = token.split(".")
        assert tokens.read_token(SECRET, f"{header}.{payload}x.{signature}", "access") is None

    def test_an_expired_token_is_refused_even_when_it_was_verified_before(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        token = tokens.issue_token(SECRET, "access", uuid4(), uuid4(), 1)
        assert tokens.read_token(SECRET, token, "access") is not None
        later = time.time() + 120
        monkeypatch.setattr(time, "time", lambda: later)
        monkeypatch.setattr(jwt.api_jwt, "datetime", _frozen_datetime(later))
        assert tokens.read_token(SECRET, token, "access") is None

    def test_an_unknown_kind_is_refused(self) -> None:
        token = jwt.encode(
            {"sub": str(uuid4()), "typ": "refresh", "exp": time.time() + 60, "aud": "adpilot"},
            SECRET,
            algorithm="HS256",
        )
        assert tokens.read_token(SECRET, token, "access") is None


def _frozen_datetime(at: float) -> type:
    from datetime import UTC, datetime

    class Frozen(datetime):
        @classmethod
        def now(cls, tz: object = None) -> datetime:  # type: ignore[override]
            return datetime.fromtimestamp(at, tz=UTC)

    return Frozen
