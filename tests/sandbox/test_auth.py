"""Sandbox sign-in: signed tokens (expiry, revocation, tampering), single-use codes with PKCE, the consent page."""

from __future__ import annotations

import base64
import json
import re
from html.parser import HTMLParser

import pytest

from adpilot.platforms.types import Platform
from adpilot.sandbox.auth import SandboxAuthError, TokenAuthority, pkce_challenge, render_consent_page
from adpilot.sandbox.clock import SandboxClock
from adpilot.sandbox.engine import SandboxLogin

REDIRECT = "http://127.0.0.1:8000/connections/callback"


@pytest.fixture
def authority(clock: SandboxClock) -> TokenAuthority:
    return TokenAuthority(b"test-secret", clock)


def reason(call: object) -> str:
    assert callable(call)
    with pytest.raises(SandboxAuthError) as raised:
        call()
    return raised.value.reason


class TestTokens:
    def test_tokens_look_like_the_platforms(self, authority: TokenAuthority) -> None:
        shapes = {
            (Platform.google, "access"): r"ya29\.[\w-]+\.[\w-]+",
            (Platform.google, "refresh"): r"1//[\w-]+\.[\w-]+",
            (Platform.meta, "access"): r"EAA[\w-]+\.[\w-]+",
            (Platform.meta, "long_lived"): r"EAA[\w-]+\.[\w-]+",
            (Platform.tiktok, "access"): r"act\.[\w-]+\.[\w-]+",
            (Platform.tiktok, "refresh"): r"rft\.[\w-]+\.[\w-]+",
        }
        for (platform, kind), shape in shapes.items():
            token, _ = authority.issue_token(platform, "login-1", kind, 3600)
            assert re.fullmatch(shape, token), token
            info = authority.verify(platform, token, kind)
            assert (info.platform, info.login_id, info.kind) == (platform, "login-1", kind)

    def test_another_process_with_the_same_secret_accepts_them(
        self, authority: TokenAuthority, clock: SandboxClock
    ) -> None:
        token, expires = authority.issue_token(Platform.google, "login-1", "access", 3599)
        elsewhere = TokenAuthority(b"test-secret", clock)
        assert elsewhere.verify(Platform.google, token).expires_at == expires
        assert reason(lambda: TokenAuthority(b"other-secret", clock).verify(Platform.google, token)) == "invalid"

    def test_expiry_follows_the_clock(self, authority: TokenAuthority, clock: SandboxClock) -> None:
        token, expires = authority.issue_token(Platform.google, "login-1", "access", 3599)
        assert expires is not None
        assert (expires - clock.now()).total_seconds() == pytest.approx(3599)
        clock.advance(3598)
        authority.verify(Platform.google, token)
        clock.advance(2)
        assert reason(lambda: authority.verify(Platform.google, token)) == "expired"

    def test_tokens_without_ttl_never_expire(self, authority: TokenAuthority, clock: SandboxClock) -> None:
        token, expires = authority.issue_token(Platform.tiktok, "advertiser-login", "access", None)
        assert expires is None
        clock.advance(10 * 365 * 86_400)
        assert authority.verify(Platform.tiktok, token).expires_at is None

    def test_wrong_platform_kind_missing_and_tampered_tokens_are_refused(self, authority: TokenAuthority) -> None:
        access, _ = authority.issue_token(Platform.google, "login-1", "access", 3599)
        refresh, _ = authority.issue_token(Platform.google, "login-1", "refresh", None)
        assert reason(lambda: authority.verify(Platform.meta, access)) == "invalid"
        assert reason(lambda: authority.verify(Platform.google, refresh)) == "invalid"
        assert reason(lambda: authority.verify(Platform.google, access, "refresh")) == "invalid"
        assert reason(lambda: authority.verify(Platform.google, None)) == "missing"
        assert reason(lambda: authority.verify(Platform.google, "")) == "missing"
        assert reason(lambda: authority.verify(Platform.google, "ya29.garbage")) == "invalid"
        body, signature = access.removeprefix("ya29.").split(".")
        payload = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
        payload["l"] = "someone-else"
        forged = base64.urlsafe_b64encode(json.dumps(payload).encode()).rstrip(b"=").decode()
        assert reason(lambda: authority.verify(Platform.google, f"ya29.{forged}.{signature}")) == "invalid"
        assert reason(lambda: authority.verify(Platform.google, access[:-2] + "xx")) == "invalid"

    def test_long_lived_tokens_are_access_tokens(self, authority: TokenAuthority) -> None:
        token, _ = authority.issue_token(Platform.meta, "login-1", "long_lived", 5183944)
        assert authority.verify(Platform.meta, token).kind == "long_lived"
        short, _ = authority.issue_token(Platform.meta, "login-1", "access", 7200)
        assert reason(lambda: authority.verify(Platform.meta, short, "long_lived")) == "invalid"

    def test_revoking_one_token_leaves_the_others(self, authority: TokenAuthority) -> None:
        first, _ = authority.issue_token(Platform.tiktok, "login-1", "access", None)
        second, _ = authority.issue_token(Platform.tiktok, "login-1", "access", None)
        authority.revoke(Platform.tiktok, first)
        authority.revoke(Platform.tiktok, first)  # idempotent
        assert reason(lambda: authority.verify(Platform.tiktok, first)) == "revoked"
        assert authority.verify(Platform.tiktok, second).login_id == "login-1"
        assert reason(lambda: authority.revoke(Platform.tiktok, "act.nope.nope")) == "invalid"

    def test_revoking_a_login_kills_its_earlier_tokens_only(
        self, authority: TokenAuthority, clock: SandboxClock
    ) -> None:
        access, _ = authority.issue_token(Platform.google, "login-1", "access", 3599)
        refresh, _ = authority.issue_token(Platform.google, "login-1", "refresh", None)
        other, _ = authority.issue_token(Platform.google, "login-2", "access", 3599)
        authority.revoke_login(Platform.google, "login-1")
        assert reason(lambda: authority.verify(Platform.google, access)) == "revoked"
        assert reason(lambda: authority.verify(Platform.google, refresh, "refresh")) == "revoked"
        authority.verify(Platform.google, other)
        # Signing in again afterwards works, even on a frozen clock that has not moved.
        fresh, _ = authority.issue_token(Platform.google, "login-1", "access", 3599)
        assert authority.verify(Platform.google, fresh).login_id == "login-1"
        assert authority.login_of(Platform.google, access) == "login-1"


class TestCodes:
    def test_a_code_is_redeemed_once(self, authority: TokenAuthority) -> None:
        code = authority.issue_code(Platform.meta, "login-1", redirect_uri=REDIRECT, code_challenge=None)
        assert authority.redeem_code(Platform.meta, code, redirect_uri=REDIRECT, code_verifier=None) == "login-1"
        assert (
            reason(lambda: authority.redeem_code(Platform.meta, code, redirect_uri=REDIRECT, code_verifier=None))
            == "used"
        )

    def test_unknown_wrong_platform_and_expired_codes(self, authority: TokenAuthority, clock: SandboxClock) -> None:
        code = authority.issue_code(Platform.tiktok, "login-1", redirect_uri=REDIRECT, code_challenge=None, ttl=3600)
        assert (
            reason(lambda: authority.redeem_code(Platform.tiktok, "nope", redirect_uri=REDIRECT, code_verifier=None))
            == "invalid"
        )
        assert (
            reason(lambda: authority.redeem_code(Platform.google, code, redirect_uri=REDIRECT, code_verifier=None))
            == "invalid"
        )
        clock.advance(3601)
        assert (
            reason(lambda: authority.redeem_code(Platform.tiktok, code, redirect_uri=REDIRECT, code_verifier=None))
            == "expired"
        )

    def test_the_redirect_uri_must_match(self, authority: TokenAuthority) -> None:
        code = authority.issue_code(Platform.google, "login-1", redirect_uri=REDIRECT, code_challenge=None)
        assert (
            reason(
                lambda: authority.redeem_code(Platform.google, code, redirect_uri=REDIRECT + "x", code_verifier=None)
            )
            == "redirect_mismatch"
        )
        assert authority.redeem_code(Platform.google, code, redirect_uri=REDIRECT, code_verifier=None) == "login-1"

    def test_pkce_s256(self, authority: TokenAuthority) -> None:
        verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
        # The worked example of RFC 7636, appendix B.
        assert pkce_challenge(verifier) == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        code = authority.issue_code(
            Platform.google, "login-1", redirect_uri=REDIRECT, code_challenge=pkce_challenge(verifier)
        )
        assert authority.redeem_code(Platform.google, code, redirect_uri=REDIRECT, code_verifier=verifier) == "login-1"

    @pytest.mark.parametrize("attempt", ["b" * 43, None])
    def test_a_wrong_or_missing_verifier_burns_the_code(self, authority: TokenAuthority, attempt: str | None) -> None:
        verifier = "a" * 43
        code = authority.issue_code(
            Platform.google, "login-1", redirect_uri=REDIRECT, code_challenge=pkce_challenge(verifier)
        )
        with pytest.raises(SandboxAuthError) as refused:
            authority.redeem_code(Platform.google, code, redirect_uri=REDIRECT, code_verifier=attempt)
        assert refused.value.reason == "pkce"
        with pytest.raises(SandboxAuthError) as again:
            authority.redeem_code(Platform.google, code, redirect_uri=REDIRECT, code_verifier=verifier)
        assert again.value.reason == "used"


class _Form(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.inputs: list[dict[str, str | None]] = []
        self.buttons: list[dict[str, str | None]] = []
        self.labels: list[str | None] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "input":
            self.inputs.append(values)
        elif tag == "button":
            self.buttons.append(values)
        elif tag == "label":
            self.labels.append(values.get("for"))
        elif tag in ("link", "script", "img"):
            raise AssertionError(f"external or active content: <{tag}>")

    def handle_data(self, data: str) -> None:
        self.text.append(data)


class TestConsentPage:
    def logins(self) -> list[SandboxLogin]:
        return [
            SandboxLogin(Platform.google, "111", "Alex <Rivera>", "alex@example.com", ("1234567890", "2345678901")),
            SandboxLogin(Platform.google, "222", "Sam", "sam@example.com", ("2345678901",)),
        ]

    def test_logins_are_radio_buttons_with_allow_and_deny(self) -> None:
        page = render_consent_page(
            platform_title="Google",
            app_name="adpilot",
            logins=self.logins(),
            form_action="/sandbox/google/o/oauth2/v2/auth",
            hidden={"state": "s-1", "redirect_uri": REDIRECT},
            account_names={"1234567890": "Northwind Agency MCC"},
        )
        form = _Form()
        form.feed(page)
        text = " ".join(form.text)
        assert "Sign in with Google (sandbox)" in text
        assert "This is the adpilot sandbox: no real ad account is touched" in text
        assert "Northwind Agency MCC" in text and "2345678901" in text
        radios = [i for i in form.inputs if i.get("type") == "radio"]
        assert [r["value"] for r in radios] == ["111", "222"]
        assert all(r["name"] == "login_id" for r in radios)
        assert "checked" in radios[0] and "checked" not in radios[1]
        assert set(form.labels) == {r["id"] for r in radios}  # every radio has its label
        hidden = {i["name"]: i["value"] for i in form.inputs if i.get("type") == "hidden"}
        assert hidden == {"state": "s-1", "redirect_uri": REDIRECT}
        assert [(b["name"], b["value"]) for b in form.buttons] == [("decision", "deny"), ("decision", "allow")]

    def test_everything_is_escaped(self) -> None:
        page = render_consent_page(
            platform_title="TikTok",
            app_name='<script>alert("x")</script>',
            logins=self.logins(),
            form_action='/x" onmouseover="y',
            hidden={"state": '"><img src=x>'},
            error="<b>bad</b>",
        )
        assert "<script>" not in page and "<img" not in page and "<b>" not in page
        assert "&lt;script&gt;" in page and "Alex &lt;Rivera&gt;" in page
        assert 'role="alert"' in page
        _Form().feed(page)
