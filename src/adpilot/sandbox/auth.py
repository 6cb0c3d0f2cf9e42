"""Sandbox sign-in: authorization codes, signed tokens and the consent page shared by the three emulators.

Tokens are stateless HMAC-SHA256 signed payloads, so any process holding the same secret (the app and a separately
started ``adpilot sandbox serve``) accepts them; they wear each platform's prefix (``ya29.``, ``1//``, ``EAA``,
``act.``) so logs and fixtures look like the real thing. Authorization codes and revocations live in memory: codes are
single use and short lived, exactly what the connect flow must cope with.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import html
import json
import secrets
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from adpilot.platforms.types import Platform
from adpilot.sandbox.clock import SandboxClock
from adpilot.sandbox.engine import SandboxLogin

TOKEN_KINDS = ("access", "refresh", "long_lived")

# What each platform's tokens start with. Meta has no refresh tokens and Google no long-lived kind; the prefixes are
# still defined so an emulator can issue whatever its flow needs.
_PREFIXES: dict[tuple[Platform, str], str] = {
    (Platform.google, "access"): "ya29.",
    (Platform.google, "long_lived"): "ya29.",
    (Platform.google, "refresh"): "1//",
    (Platform.meta, "access"): "EAAG",
    (Platform.meta, "long_lived"): "EAAG",
    (Platform.meta, "refresh"): "EAAR",
    (Platform.tiktok, "access"): "act.",
    (Platform.tiktok, "long_lived"): "act.",
    (Platform.tiktok, "refresh"): "rft.",
}
_CODE_PREFIXES = {Platform.google: "4/0A", Platform.meta: "AQ", Platform.tiktok: ""}


class SandboxAuthError(Exception):
    """A code or token was refused; ``reason`` is one of missing, invalid, expired, revoked, used, redirect_mismatch
    and pkce, which each emulator maps to its platform's own error body."""

    def __init__(self, reason: str, message: str | None = None) -> None:
        super().__init__(message or reason)
        self.reason = reason


@dataclass(frozen=True)
class TokenInfo:
    platform: Platform
    login_id: str
    kind: str
    expires_at: datetime | None
    issued_at: datetime | None = None


@dataclass
class _PendingCode:
    platform: Platform
    login_id: str
    redirect_uri: str
    code_challenge: str | None
    code_challenge_method: str
    expires_at: datetime
    used: bool = False


def redirect_uri_allowed(platform: Platform, redirect_uri: str, origins: tuple[str, ...] = ()) -> bool:
    """Whether ``redirect_uri`` is adpilot's OAuth callback for ``platform`` (on one of ``origins``, when given).

    The platforms redirect only to the URIs registered for the app; so does the sandbox, or its consent pages would
    send an authorization code (or a person) anywhere a link points them.
    """
    try:
        parts = urlsplit(redirect_uri)
        port = parts.port
    except ValueError:
        return False
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.username or parts.password:
        return False
    if parts.fragment or not parts.path.endswith(f"/connections/callback/{platform.value}"):
        return False
    if not origins:
        return True
    origin = f"{parts.scheme}://{parts.hostname}" + (f":{port}" if port is not None else "")
    return origin.lower() in {allowed.rstrip("/").lower() for allowed in origins}


def _b64encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def pkce_challenge(code_verifier: str) -> str:
    """The S256 code challenge of a PKCE verifier (RFC 7636): base64url(sha256(verifier)) without padding."""
    return _b64encode(hashlib.sha256(code_verifier.encode("ascii")).digest())


def _epoch_micros(moment: datetime) -> int:
    return int(moment.timestamp() * 1_000_000)


def _from_micros(value: int) -> datetime:
    return datetime.fromtimestamp(value / 1_000_000, UTC)


class TokenAuthority:
    """Issues and checks the sandbox's codes and tokens against the sandbox clock."""

    def __init__(self, secret: bytes, clock: SandboxClock) -> None:
        if not secret:
            raise ValueError("the token secret cannot be empty")
        self._secret = secret
        self._clock = clock
        self._lock = threading.Lock()
        self._codes: dict[str, _PendingCode] = {}
        self._revoked_nonces: set[str] = set()
        # (platform, login) -> epoch micros: tokens issued at or before it are revoked.
        self._revoked_before: dict[tuple[Platform, str], int] = {}

    # ---- authorization codes -----------------------------------------------------------------------------------

    def issue_code(
        self,
        platform: Platform,
        login_id: str,
        *,
        redirect_uri: str,
        code_challenge: str | None,
        ttl: int = 600,
        code_challenge_method: str = "S256",
    ) -> str:
        """A single-use authorization code for ``login_id``, bound to the redirect URI and the PKCE challenge."""
        if code_challenge_method not in ("S256", "plain"):
            raise SandboxAuthError("pkce", f"unsupported code_challenge_method {code_challenge_method!r}")
        now = self._clock.now()
        code = _CODE_PREFIXES[platform] + secrets.token_urlsafe(32)
        with self._lock:
            self._forget_stale_codes(now)
            self._codes[code] = _PendingCode(
                platform=platform,
                login_id=login_id,
                redirect_uri=redirect_uri,
                code_challenge=code_challenge or None,
                code_challenge_method=code_challenge_method,
                expires_at=now + timedelta(seconds=ttl),
            )
        return code

    def redeem_code(self, platform: Platform, code: str, *, redirect_uri: str, code_verifier: str | None) -> str:
        """Consume a code and return the login it was issued to; raises ``SandboxAuthError`` on any mismatch.

        A PKCE failure burns the code (a guessed verifier gets one try); a wrong redirect URI leaves it usable, as
        the client may simply have sent the wrong parameter.
        """
        now = self._clock.now()
        with self._lock:
            pending = self._codes.get(code)
            if pending is None or pending.platform != platform:
                raise SandboxAuthError("invalid", "unknown authorization code")
            if pending.used:
                raise SandboxAuthError("used", "authorization code already used")
            if pending.expires_at <= now:
                raise SandboxAuthError("expired", "authorization code expired")
            if pending.redirect_uri != redirect_uri:
                raise SandboxAuthError("redirect_mismatch", "redirect_uri does not match the authorization request")
            if pending.code_challenge is not None:
                if not code_verifier:
                    pending.used = True
                    raise SandboxAuthError("pkce", "code_verifier required")
                expected = pkce_challenge(code_verifier) if pending.code_challenge_method == "S256" else code_verifier
                if not hmac.compare_digest(expected, pending.code_challenge):
                    pending.used = True
                    raise SandboxAuthError("pkce", "code_verifier does not match the code challenge")
            pending.used = True
            return pending.login_id

    def _forget_stale_codes(self, now: datetime) -> None:
        # Used codes are kept until they would have expired so a replay reports "used" rather than "invalid".
        for code in [c for c, p in self._codes.items() if p.expires_at <= now - timedelta(hours=1)]:
            del self._codes[code]

    # ---- tokens ------------------------------------------------------------------------------------------------

    def issue_token(
        self, platform: Platform, login_id: str, kind: str, ttl_seconds: int | None
    ) -> tuple[str, datetime | None]:
        """A signed token of ``kind`` (access, refresh or long_lived) and when it expires (``None``: never)."""
        if kind not in TOKEN_KINDS:
            raise ValueError(f"unknown token kind {kind!r}")
        now = self._clock.now()
        issued = _epoch_micros(now)
        with self._lock:
            # A token issued right after revoke_login (same clock reading, e.g. a frozen test clock) must survive it.
            revoked_before = self._revoked_before.get((platform, login_id))
            if revoked_before is not None and issued <= revoked_before:
                issued = revoked_before + 1
        expires = issued + ttl_seconds * 1_000_000 if ttl_seconds is not None else None
        payload = {
            "p": str(platform),
            "l": login_id,
            "k": kind,
            "iat": issued,
            "exp": expires,
            "n": secrets.token_urlsafe(12),
        }
        body = _b64encode(json.dumps(payload, separators=(",", ":"), sort_keys=True).encode())
        prefix = _PREFIXES[(platform, kind)]
        token = f"{prefix}{body}.{self._sign(prefix, body)}"
        return token, _from_micros(expires) if expires is not None else None

    def verify(self, platform: Platform, token: str | None, kind: str = "access") -> TokenInfo:
        """Check a token's signature, platform, kind, expiry and revocation; raises ``SandboxAuthError``.

        ``kind="access"`` also accepts long-lived tokens: both are bearer tokens for API calls (Meta's long-lived
        user token is used exactly like the short one).
        """
        if not token:
            raise SandboxAuthError("missing", "no token")
        payload = self._decode(platform, token)
        if payload is None or payload.get("p") != str(platform):
            raise SandboxAuthError("invalid", "token not issued by this platform")
        token_kind = payload.get("k")
        accepted = ("access", "long_lived") if kind == "access" else (kind,)
        if token_kind not in accepted:
            raise SandboxAuthError("invalid", f"not a {kind} token")
        login_id, issued, expires, nonce = payload.get("l"), payload.get("iat"), payload.get("exp"), payload.get("n")
        if not isinstance(login_id, str) or not isinstance(issued, int) or not isinstance(nonce, str):
            raise SandboxAuthError("invalid", "malformed token")
        if expires is not None and not isinstance(expires, int):
            raise SandboxAuthError("invalid", "malformed token")
        with self._lock:
            revoked = nonce in self._revoked_nonces or issued <= self._revoked_before.get((platform, login_id), -1)
        if revoked:
            raise SandboxAuthError("revoked", "token revoked")
        if expires is not None and expires <= _epoch_micros(self._clock.now()):
            raise SandboxAuthError("expired", "token expired")
        return TokenInfo(
            platform=platform,
            login_id=login_id,
            kind=str(token_kind),
            expires_at=_from_micros(expires) if expires is not None else None,
            issued_at=_from_micros(issued),
        )

    def revoke(self, platform: Platform, token: str) -> None:
        """Revoke one token (idempotent). Raises ``SandboxAuthError("invalid")`` for a token the sandbox never signed.

        To revoke a whole grant (what Google's ``/revoke`` does to the refresh token behind an access token), use
        ``revoke_login``.
        """
        payload = self._decode(platform, token)
        if payload is None or payload.get("p") != str(platform) or not isinstance(payload.get("n"), str):
            raise SandboxAuthError("invalid", "token not issued by this platform")
        with self._lock:
            self._revoked_nonces.add(str(payload["n"]))

    def revoke_login(self, platform: Platform, login_id: str) -> None:
        """Revoke every token of a login issued up to now (the user removed the app's access)."""
        with self._lock:
            self._revoked_before[(platform, login_id)] = _epoch_micros(self._clock.now())

    def login_of(self, platform: Platform, token: str) -> str | None:
        """The login a correctly signed token belongs to, even if expired or revoked (for error messages)."""
        payload = self._decode(platform, token)
        login = payload.get("l") if payload is not None else None
        return login if isinstance(login, str) else None

    def _sign(self, prefix: str, body: str) -> str:
        return _b64encode(hmac.new(self._secret, f"{prefix}{body}".encode(), hashlib.sha256).digest())

    def _decode(self, platform: Platform, token: str) -> dict[str, object] | None:
        for (prefix_platform, _), prefix in _PREFIXES.items():
            if prefix_platform != platform or not token.startswith(prefix):
                continue
            body, dot, signature = token[len(prefix) :].partition(".")
            if not dot or not hmac.compare_digest(self._sign(prefix, body), signature):
                continue
            try:
                payload = json.loads(_b64decode(body))
            except (ValueError, binascii.Error):
                return None
            return payload if isinstance(payload, dict) else None
        return None


# ---- consent page --------------------------------------------------------------------------------------------------

_CONSENT_CSS = """
*{box-sizing:border-box}
body{margin:0;font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;background:#f3f4f6;color:#111827}
main{max-width:30rem;margin:3rem auto;padding:2rem;background:#fff;border-radius:12px;
box-shadow:0 1px 3px rgba(0,0,0,.12)}
h1{font-size:1.35rem;margin:0 0 .25rem}
.app{margin:0 0 1.25rem;color:#374151}
.note{background:#eff6ff;border:1px solid #bfdbfe;color:#1e3a8a;border-radius:8px;padding:.6rem .8rem;
font-size:.875rem;margin:0 0 1.25rem}
.error{background:#fef2f2;border:1px solid #fecaca;color:#991b1b;border-radius:8px;padding:.6rem .8rem;
margin:0 0 1rem}
fieldset{border:0;margin:0 0 1.25rem;padding:0}
legend{font-weight:600;margin-bottom:.5rem}
.login{display:flex;gap:.75rem;align-items:flex-start;border:1px solid #e5e7eb;border-radius:8px;padding:.75rem;
margin-bottom:.5rem;cursor:pointer}
.login:has(input:checked){border-color:#2563eb;background:#f8fafc}
.login input{margin-top:.3rem}
.who{font-weight:600}
.email{color:#4b5563;font-size:.875rem}
.accounts{margin:.25rem 0 0;padding-left:1.1rem;color:#374151;font-size:.875rem}
.actions{display:flex;gap:.75rem;justify-content:flex-end}
button{font:inherit;padding:.55rem 1.2rem;border-radius:8px;border:1px solid #d1d5db;background:#fff;cursor:pointer}
button.allow{background:#2563eb;border-color:#2563eb;color:#fff}
button:focus-visible{outline:3px solid #93c5fd;outline-offset:2px}
"""


def render_consent_page(
    *,
    platform_title: str,
    app_name: str,
    logins: list[SandboxLogin],
    form_action: str,
    hidden: dict[str, str],
    error: str | None = None,
    account_names: dict[str, str] | None = None,
) -> str:
    """A self-contained consent page: pick a login (radio ``login_id``), then Allow or Deny (button ``decision``).

    ``platform_title`` names the platform ("Google"); ``account_names`` (optional) maps account ids to display names
    for the list of accounts each login can see. Everything shown is escaped.
    """
    esc = html.escape
    names = account_names or {}
    title = f"Sign in with {platform_title} (sandbox)"
    hidden_inputs = "".join(
        f'<input type="hidden" name="{esc(name)}" value="{esc(value)}">' for name, value in hidden.items()
    )
    options: list[str] = []
    for index, login in enumerate(logins):
        input_id = f"login-{index}"
        accounts = "".join(
            f"<li>{esc(names[a])} ({esc(a)})</li>" if a in names else f"<li>{esc(a)}</li>" for a in login.account_ids
        )
        checked = " checked" if index == 0 else ""
        options.append(
            f'<label class="login" for="{input_id}">'
            f'<input type="radio" id="{input_id}" name="login_id" value="{esc(login.login_id)}"{checked}>'
            f'<span><span class="who">{esc(login.display_name)}</span><br>'
            f'<span class="email">{esc(login.email)}</span>'
            f'<ul class="accounts" aria-label="Ad accounts of {esc(login.display_name)}">{accounts}</ul></span>'
            "</label>"
        )
    if not options:
        options.append("<p>No sandbox login exists for this platform.</p>")
    error_block = f'<p class="error" role="alert">{esc(error)}</p>' if error else ""
    return (
        "<!doctype html>"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        '<meta name="referrer" content="no-referrer">'
        f"<title>{esc(title)}</title><style>{_CONSENT_CSS}</style></head>"
        f'<body><main aria-labelledby="title"><h1 id="title">{esc(title)}</h1>'
        f'<p class="app"><strong>{esc(app_name)}</strong> wants to manage your {esc(platform_title)} ad accounts.</p>'
        '<p class="note">This is the adpilot sandbox: no real ad account is touched.</p>'
        f"{error_block}"
        f'<form method="post" action="{esc(form_action)}">{hidden_inputs}'
        f"<fieldset><legend>Choose an account to continue</legend>{''.join(options)}</fieldset>"
        '<div class="actions">'
        '<button type="submit" name="decision" value="deny">Deny</button>'
        '<button type="submit" name="decision" value="allow" class="allow">Allow</button>'
        "</div></form></main></body></html>"
    )
