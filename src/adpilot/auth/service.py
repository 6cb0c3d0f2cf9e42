"""Accounts and sessions: sign-up, email verification, log-in with throttling and MFA, refresh rotation, resets."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import io
import secrets
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from typing import Literal
from uuid import UUID, uuid4

import pyotp
import segno
from sqlalchemy.ext.asyncio import AsyncSession

from adpilot.auth.errors import (
    EmailNotVerified,
    InvalidCredentials,
    InvalidMfaCode,
    InvalidToken,
    MfaAlreadyEnabled,
    MfaNotEnabled,
    MfaSetupMissing,
    SessionExpired,
    WeakPassword,
)
from adpilot.auth.models import EmailToken, LoginFailure, RecoveryCode, SecurityEvent, User, UserSession
from adpilot.auth.repository import AuthRepository
from adpilot.auth.tokens import MFA_TOKEN_MINUTES, TokenClaims, issue_token, read_token
from adpilot.config import Settings, get_settings
from adpilot.core.common_passwords import is_common_password
from adpilot.core.errors import NotAuthenticated, NotFound, RateLimited
from adpilot.core.logging import get_logger
from adpilot.core.pagination import KeysetPage, PageRequest, TimeKey
from adpilot.core.request_context import current_request_meta
from adpilot.core.security import (
    decrypt_secret,
    digests_equal,
    encrypt_secret,
    hash_password,
    new_token,
    password_needs_rehash,
    token_digest,
    verify_password,
)
from adpilot.core.time import utcnow
from adpilot.db import get_database, set_tenant
from adpilot.notifications.mail import send_mail

log = get_logger(__name__)

VERIFY_EMAIL = "verify_email"
RESET_PASSWORD = "reset_password"  # noqa: S105 - an email-token purpose, not a password
VERIFY_EMAIL_HOURS = 48
RESET_PASSWORD_MINUTES = 60
RECOVERY_CODE_COUNT = 10
# Two tabs of one browser may refresh at once with the same cookie; the one that loses the race presents the token
# the other just replaced. Within this many seconds that is not treated as theft.
REFRESH_REUSE_GRACE_SECONDS = 30
# A refresh secret ends with an HMAC-SHA256 of its session id and random part (unpadded base64url: 43 characters).
REFRESH_MAC_CHARS = 43
MFA_ISSUER = "adpilot"
MFA_PURPOSE = "mfa-secret"


class SecurityEventKind(StrEnum):
    logged_in = "logged_in"
    logged_in_with_recovery_code = "logged_in_with_recovery_code"
    logged_out = "logged_out"
    session_revoked = "session_revoked"
    refresh_token_reused = "refresh_token_reused"  # noqa: S105 - an event name, not a secret
    password_reset = "password_reset"  # noqa: S105 - an event name, not a secret
    email_verified = "email_verified"
    mfa_enabled = "mfa_enabled"
    mfa_disabled = "mfa_disabled"


@dataclass(frozen=True)
class IssuedTokens:
    """An access token, and the new refresh token when one was issued (None: keep the current cookie)."""

    access_token: str
    expires_in: int
    refresh_token: str | None


@dataclass(frozen=True)
class LoginOutcome:
    """Either tokens (log-in complete) or an MFA token for the second step."""

    tokens: IssuedTokens | None = None
    mfa_token: str | None = None


@dataclass(frozen=True)
class MfaSetup:
    secret: str
    otpauth_uri: str
    qr_svg: str


@dataclass(frozen=True)
class UserSummary:
    id: UUID
    email: str
    display_name: str
    mfa_enabled: bool


@dataclass(frozen=True)
class Principal:
    """The authenticated caller of a request."""

    user_id: UUID
    session_id: UUID
    email: str
    mfa_enabled: bool
    email_verified: bool = False

    def require_verified_email(self) -> None:
        """Refuse an action that needs a proven mailbox (joining an organization, connecting a platform)."""
        if not self.email_verified:
            raise EmailNotVerified()


class AuthService:
    def __init__(self, settings: Settings | None = None) -> None:
        self._settings = settings

    @property
    def settings(self) -> Settings:
        return self._settings or get_settings()

    # --- sign-up and email verification ---------------------------------------------------------------------

    def check_password_strength(self, password: str, email: str) -> None:
        if len(password) < self.settings.min_password_length:
            raise WeakPassword(f"Use at least {self.settings.min_password_length} characters.")
        if is_common_password(password) or password.lower() == email.lower() or len(set(password)) < 4:
            raise WeakPassword("This password is too common or too easy to guess; choose another.")

    async def sign_up(
        self, session: AsyncSession, email: str, password: str, display_name: str, *, send_verification: bool = True
    ) -> User | None:
        """Create an account and email a verification link; None when the email is already registered.

        A registered email is not revealed to the caller (the endpoint answers alike): its owner is mailed instead.
        The password is hashed either way, so both answers take as long.
        """
        repository = AuthRepository(session)
        self.check_password_strength(password, email)
        password_hash = await asyncio.to_thread(hash_password, password)
        if await repository.user_by_email(email) is None:
            user = User(email=email, display_name=display_name.strip(), password_hash=password_hash)
            # Two sign-ups with one email at once: the unique index refuses the second, which then answers alike.
            if await repository.add_user_unless_taken(user):
                if send_verification:
                    await self._send_verification(session, user)
                log.info("auth.signed_up", user_id=str(user.id))
                return user
        existing = await repository.user_by_email(email)
        if existing is not None and send_verification:
            await self._send_sign_up_attempt_notice(session, existing)
        return None

    async def _send_sign_up_attempt_notice(self, session: AsyncSession, user: User) -> None:
        await send_mail(
            session,
            user.email,
            "Someone tried to sign up for adpilot with your email",
            f"Hello {user.display_name},\n\nSomeone (perhaps you) tried to create an adpilot account with this email "
            f"address, which already has one. No new account was created.\n\n"
            f"Log in: {self.settings.base_url}/login\n"
            f"Forgot your password? {self.settings.base_url}/forgot-password\n\n"
            "If it was not you, you can ignore this message.\n",
        )

    async def resend_verification(self, session: AsyncSession, email: str) -> None:
        """Send a new verification link if the account exists and is unverified (silently otherwise)."""
        user = await AuthRepository(session).user_by_email(email)
        if user is not None and user.email_verified_at is None:
            await self._send_verification(session, user)

    async def verify_email(self, session: AsyncSession, token: str) -> User:
        user = await self._use_email_token(session, token, VERIFY_EMAIL)
        if user.email_verified_at is None:
            user.email_verified_at = utcnow()
            await _record(AuthRepository(session), user.id, SecurityEventKind.email_verified)
        return user

    async def _send_verification(self, session: AsyncSession, user: User) -> None:
        token = await self._new_email_token(session, user, VERIFY_EMAIL, timedelta(hours=VERIFY_EMAIL_HOURS))
        link = f"{self.settings.base_url}/verify-email?token={token}"
        await send_mail(
            session,
            user.email,
            "Verify your email for adpilot",
            f"Hello {user.display_name},\n\nConfirm your email address by opening this link:\n{link}\n\n"
            f"The link expires in {VERIFY_EMAIL_HOURS} hours. If you did not sign up, ignore this message.\n",
        )

    async def _new_email_token(self, session: AsyncSession, user: User, purpose: str, ttl: timedelta) -> str:
        repository = AuthRepository(session)
        await repository.invalidate_email_tokens(user.id, purpose)
        token = new_token()
        await repository.add(
            EmailToken(user_id=user.id, purpose=purpose, token_hash=token_digest(token), expires_at=utcnow() + ttl)
        )
        return token

    async def _use_email_token(self, session: AsyncSession, token: str, purpose: str) -> User:
        repository = AuthRepository(session)
        row = await repository.email_token(token_digest(token), purpose)
        if row is None or row.used_at is not None or row.expires_at <= utcnow():
            raise InvalidToken()
        row.used_at = utcnow()
        user = await repository.user_by_id(row.user_id)
        if user is None:
            raise InvalidToken()
        return user

    # --- password reset -------------------------------------------------------------------------------------

    async def forgot_password(self, session: AsyncSession, email: str) -> None:
        """Email a reset link if the account exists; the answer is the same either way."""
        user = await AuthRepository(session).user_by_email(email)
        if user is None:
            return
        token = await self._new_email_token(session, user, RESET_PASSWORD, timedelta(minutes=RESET_PASSWORD_MINUTES))
        link = f"{self.settings.base_url}/reset-password?token={token}"
        await send_mail(
            session,
            user.email,
            "Reset your adpilot password",
            f"Hello {user.display_name},\n\nChoose a new password by opening this link:\n{link}\n\n"
            f"The link expires in {RESET_PASSWORD_MINUTES} minutes. If you did not ask for it, ignore this message.\n",
        )

    async def reset_password(self, session: AsyncSession, token: str, password: str) -> None:
        """Set a new password from a reset link and sign out every session."""
        user = await self._use_email_token(session, token, RESET_PASSWORD)
        self.check_password_strength(password, user.email)
        user.password_hash = await asyncio.to_thread(hash_password, password)
        user.email_verified_at = user.email_verified_at or utcnow()  # the link proves the mailbox
        repository = AuthRepository(session)
        await repository.revoke_sessions(user.id, "password_reset")
        await _record(repository, user.id, SecurityEventKind.password_reset)

    # --- log-in ---------------------------------------------------------------------------------------------

    async def log_in(self, session: AsyncSession, email: str, password: str) -> LoginOutcome:
        """Check the password (throttled per account and per IP); hand out tokens or ask for the MFA code."""
        repository = AuthRepository(session)
        ip = current_request_meta().ip or "unknown"
        await self._check_throttle(repository, email.lower(), ip)
        user = await repository.user_by_email(email)
        valid = await asyncio.to_thread(verify_password, user.password_hash if user else None, password)
        if not valid or user is None:
            await self._record_failure(email.lower(), ip)
            raise InvalidCredentials()
        if password_needs_rehash(user.password_hash):
            user.password_hash = await asyncio.to_thread(hash_password, password)
        if user.mfa_enabled_at is not None:
            token = issue_token(self._secret, "mfa", user.id, None, MFA_TOKEN_MINUTES)
            return LoginOutcome(mfa_token=token)
        await repository.clear_failures("account", email.lower())
        return LoginOutcome(tokens=await self._start_session(repository, user))

    async def log_in_mfa(self, session: AsyncSession, mfa_token: str, code: str) -> LoginOutcome:
        """Second log-in step: a TOTP code or an unused recovery code."""
        repository = AuthRepository(session)
        claims = read_token(self._secret, mfa_token, "mfa")
        if claims is None:
            raise SessionExpired("The log-in step expired; enter your password again.")
        user = await repository.user_by_id(claims.user_id)
        if user is None or user.mfa_enabled_at is None:
            raise SessionExpired()
        ip = current_request_meta().ip or "unknown"
        await self._check_throttle(repository, user.email.lower(), ip)
        method = await self._check_mfa_code(repository, user, code)
        if method is None:
            await self._record_failure(user.email.lower(), ip)
            raise InvalidMfaCode()
        await repository.clear_failures("account", user.email.lower())
        kind = SecurityEventKind.logged_in if method == "totp" else SecurityEventKind.logged_in_with_recovery_code
        return LoginOutcome(tokens=await self._start_session(repository, user, kind))

    async def _check_throttle(self, repository: AuthRepository, account: str, ip: str) -> None:
        window = timedelta(seconds=self.settings.login_failure_window_seconds)
        for scope, key, limit in (
            ("account", account, self.settings.login_max_failures_per_account),
            ("ip", ip, self.settings.login_max_failures_per_ip),
        ):
            count, oldest = await repository.recent_failures(scope, key, window)
            if count >= limit and oldest is not None:
                retry_after = (oldest + window - utcnow()).total_seconds()
                raise RateLimited(int(retry_after) + 1, "Too many failed log-in attempts.")

    async def _record_failure(self, account: str, ip: str) -> None:
        # Its own transaction: the request's transaction rolls back with the 401 that follows.
        async with get_database().transaction() as session:
            repository = AuthRepository(session)
            await repository.add(LoginFailure(scope="account", key=account[:320]))
            await repository.add(LoginFailure(scope="ip", key=ip[:320]))

    async def _start_session(
        self, repository: AuthRepository, user: User, kind: SecurityEventKind = SecurityEventKind.logged_in
    ) -> IssuedTokens:
        meta = current_request_meta()
        session_id = uuid4()
        refresh_secret = self._new_refresh_secret(session_id)
        row = UserSession(
            id=session_id,
            user_id=user.id,
            refresh_token_hash=token_digest(refresh_secret),
            expires_at=utcnow() + timedelta(days=self.settings.refresh_token_days),
            ip=meta.ip,
            user_agent=(meta.user_agent or "")[:400] or None,
        )
        await repository.add(row)
        user.last_login_at = utcnow()
        await _record(repository, user.id, kind, session_id)
        return self._tokens(user.id, session_id, refresh_secret)

    def _tokens(self, user_id: UUID, session_id: UUID, refresh_secret: str) -> IssuedTokens:
        minutes = self.settings.access_token_minutes
        return IssuedTokens(
            access_token=issue_token(self._secret, "access", user_id, session_id, minutes),
            expires_in=minutes * 60,
            refresh_token=f"{session_id}.{refresh_secret}",
        )

    # --- refresh and log-out --------------------------------------------------------------------------------

    async def refresh(self, session: AsyncSession, refresh_token: str | None) -> IssuedTokens:
        """Rotate the refresh token; a token already used revokes its whole family (it was stolen or replayed)."""
        session_id, secret = _parse_refresh_token(refresh_token)
        repository = AuthRepository(session)
        # Read without a row lock: revoking a replayed family happens in a second transaction (this one rolls back
        # with the 401), which would wait forever on a lock held here.
        row = await repository.session_by_id(session_id, lock=False)
        if row is None or row.revoked_at is not None or row.expires_at <= utcnow():
            raise SessionExpired()
        new_secret = self._new_refresh_secret(session_id)
        presented = token_digest(secret)
        meta = current_request_meta()
        # Compare-and-swap: of two requests presenting the same token, exactly one rotates it.
        rotated = await repository.rotate_refresh_token(
            session_id,
            old_hash=presented,
            new_hash=token_digest(new_secret),
            ip=meta.ip or row.ip,
            user_agent=(meta.user_agent or "")[:400] or row.user_agent,
        )
        if not rotated:
            await session.refresh(row)
            if self._just_rotated_from(row, presented):
                # Another tab of this browser rotated it a moment ago and the cookie now holds the new token:
                # answer with an access token and leave the cookie alone.
                minutes = self.settings.access_token_minutes
                access = issue_token(self._secret, "access", row.user_id, row.id, minutes)
                return IssuedTokens(access_token=access, expires_in=minutes * 60, refresh_token=None)
            if self._once_issued_for(row, secret, presented):
                # A token this session really had, replaced since: stolen or replayed. Anything else is only a guess
                # at a session id (which every access token carries) and must not sign its owner out.
                await self._revoke_family(session_id)
                log.warning("auth.refresh_token_reused", session_id=str(session_id), user_id=str(row.user_id))
                raise SessionExpired("This session was signed out because its refresh token was used twice.")
            raise SessionExpired()
        return self._tokens(row.user_id, row.id, new_secret)

    def _new_refresh_secret(self, session_id: UUID) -> str:
        """A random secret followed by its MAC for this session: a later replay of it is recognised as reuse."""
        nonce = new_token()
        return nonce + self._refresh_mac(session_id, nonce)

    def _refresh_mac(self, session_id: UUID, nonce: str) -> str:
        message = f"refresh:{session_id}:{nonce}".encode()
        digest = hmac.new(self._secret.encode(), message, hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).decode().rstrip("=")

    def _once_issued_for(self, row: UserSession, secret: str, presented_hash: str) -> bool:
        """Whether a refresh secret was issued for this session at some time (the current one or an older one)."""
        if row.previous_token_hash is not None and digests_equal(row.previous_token_hash, presented_hash):
            return True
        nonce, mac = secret[:-REFRESH_MAC_CHARS], secret[-REFRESH_MAC_CHARS:]
        return bool(nonce) and hmac.compare_digest(self._refresh_mac(row.id, nonce), mac)

    @staticmethod
    def _just_rotated_from(row: UserSession, token_hash: str) -> bool:
        """The token is the one replaced by the last rotation, within the grace period for concurrent refreshes."""
        return (
            row.revoked_at is None
            and row.previous_token_hash is not None
            and digests_equal(row.previous_token_hash, token_hash)
            and row.rotated_at is not None
            and utcnow() - row.rotated_at < timedelta(seconds=REFRESH_REUSE_GRACE_SECONDS)
        )

    async def _revoke_family(self, session_id: UUID) -> None:
        async with get_database().transaction() as session:
            repository = AuthRepository(session)
            row = await repository.session_by_id(session_id)
            if row is not None and row.revoked_at is None:
                row.revoked_at = utcnow()
                row.revoked_reason = "refresh_token_reused"
                await _record(repository, row.user_id, SecurityEventKind.refresh_token_reused, session_id)

    async def log_out(self, session: AsyncSession, refresh_token: str | None) -> None:
        """End the session of this refresh token (no error if it is already gone or the token is not its own).

        Only the session's current token (or the one a concurrent refresh just replaced) signs it out: a session id
        alone is no proof of anything.
        """
        try:
            session_id, secret = _parse_refresh_token(refresh_token)
        except SessionExpired:
            return
        repository = AuthRepository(session)
        row = await repository.session_by_id(session_id)
        if row is None or row.revoked_at is not None:
            return
        presented = token_digest(secret)
        if not (digests_equal(row.refresh_token_hash, presented) or self._just_rotated_from(row, presented)):
            return
        row.revoked_at = utcnow()
        row.revoked_reason = "logged_out"
        await _record(repository, row.user_id, SecurityEventKind.logged_out, session_id)

    def read_access_token(self, access_token: str | None) -> TokenClaims:
        """The claims of a valid access token (signature and expiry only; the session is checked by ``principal``)."""
        claims = read_token(self._secret, access_token or "", "access")
        if claims is None or claims.session_id is None:
            raise SessionExpired() if access_token else NotAuthenticated()
        return claims

    async def authenticate(self, session: AsyncSession, access_token: str | None) -> Principal:
        """The caller of an access token whose session is still active; scopes the transaction to that user."""
        claims = self.read_access_token(access_token)
        await set_tenant(session, None, claims.user_id)
        return await self.principal(session, claims)

    async def principal(self, session: AsyncSession, claims: TokenClaims) -> Principal:
        """The caller behind verified claims, if their session is still active (revoked sessions fail at once).

        The transaction must already be scoped with ``set_tenant`` (it begins the transaction).
        """
        if claims.session_id is None:
            raise SessionExpired()
        found = await AuthRepository(session).active_session_principal(claims.session_id, claims.user_id)
        if found is None:
            raise SessionExpired()
        email, mfa_enabled, email_verified = found
        return Principal(claims.user_id, claims.session_id, email, mfa_enabled, email_verified)

    async def users_by_ids(self, session: AsyncSession, user_ids: list[UUID]) -> dict[UUID, UserSummary]:
        """Public facts about users, for other modules (members lists, audit actors)."""
        users = await AuthRepository(session).users_by_ids(user_ids)
        return {
            user.id: UserSummary(user.id, user.email, user.display_name, user.mfa_enabled_at is not None)
            for user in users
        }

    # --- the signed-in user ---------------------------------------------------------------------------------

    async def find_user_id(self, session: AsyncSession, email: str) -> UUID | None:
        """The id of the account with this email (any case), for other modules."""
        user = await AuthRepository(session).user_by_email(email)
        return user.id if user is not None else None

    async def find_user(self, session: AsyncSession, email: str) -> User | None:
        return await AuthRepository(session).user_by_email(email)

    async def get_user(self, session: AsyncSession, user_id: UUID) -> User:
        user = await AuthRepository(session).user_by_id(user_id)
        if user is None:
            raise NotFound()
        return user

    async def update_profile(self, session: AsyncSession, principal: Principal, display_name: str) -> User:
        user = await self.get_user(session, principal.user_id)
        user.display_name = display_name.strip()
        return user

    async def list_sessions(self, session: AsyncSession, principal: Principal) -> list[UserSession]:
        return await AuthRepository(session).active_sessions(principal.user_id)

    async def revoke_session(self, session: AsyncSession, principal: Principal, session_id: UUID) -> None:
        """Sign out one of your own sessions (another user's session is not found)."""
        repository = AuthRepository(session)
        row = await repository.session_by_id(session_id)
        if row is None or row.user_id != principal.user_id or row.revoked_at is not None:
            raise NotFound("No such active session.")
        row.revoked_at = utcnow()
        row.revoked_reason = "revoked_by_user"
        await _record(repository, principal.user_id, SecurityEventKind.session_revoked, session_id)

    async def list_security_events(
        self, session: AsyncSession, principal: Principal, page: PageRequest[TimeKey]
    ) -> KeysetPage[SecurityEvent, TimeKey]:
        """A page of the caller's own security events, newest first."""
        return await AuthRepository(session).security_events(principal.user_id, page)

    # --- multi-factor authentication ------------------------------------------------------------------------

    async def start_mfa_setup(self, session: AsyncSession, principal: Principal) -> MfaSetup:
        """The pending TOTP secret (not active until confirmed with a code), created on the first call.

        Asking again returns the same pending secret, so an authenticator app that already scanned it keeps working
        when the person reloads the page before confirming.
        """
        user = await self.get_user(session, principal.user_id)
        if user.mfa_enabled_at is not None:
            raise MfaAlreadyEnabled()
        if user.mfa_secret_encrypted is not None:
            secret = decrypt_secret(self._secret, MFA_PURPOSE, user.mfa_secret_encrypted)
        else:
            secret = pyotp.random_base32()
            user.mfa_secret_encrypted = encrypt_secret(self._secret, MFA_PURPOSE, secret)
        uri = pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=MFA_ISSUER)
        qr_svg = _qr_svg(uri)
        return MfaSetup(secret=secret, otpauth_uri=uri, qr_svg=qr_svg)

    async def enable_mfa(self, session: AsyncSession, principal: Principal, code: str) -> list[str]:
        """Confirm the TOTP secret with a code; returns the 10 single-use recovery codes (shown once)."""
        repository = AuthRepository(session)
        user = await self.get_user(session, principal.user_id)
        if user.mfa_enabled_at is not None:
            raise MfaAlreadyEnabled()
        if user.mfa_secret_encrypted is None:
            raise MfaSetupMissing()
        if not await self._use_totp(repository, user, code):
            raise InvalidMfaCode()
        user.mfa_enabled_at = utcnow()
        await repository.delete_recovery_codes(user.id)
        codes = [_recovery_code() for _ in range(RECOVERY_CODE_COUNT)]
        for code_ in codes:
            await repository.add(RecoveryCode(user_id=user.id, code_hash=token_digest(_normalize_code(code_))))
        await repository.revoke_sessions(user.id, "mfa_enabled", except_session=principal.session_id)
        await _record(repository, user.id, SecurityEventKind.mfa_enabled, principal.session_id)
        return codes

    async def disable_mfa(self, session: AsyncSession, principal: Principal, code: str) -> None:
        repository = AuthRepository(session)
        user = await self.get_user(session, principal.user_id)
        if user.mfa_enabled_at is None:
            raise MfaNotEnabled()
        if await self._check_mfa_code(repository, user, code) is None:
            raise InvalidMfaCode()
        user.mfa_enabled_at = None
        user.mfa_secret_encrypted = None
        await repository.delete_recovery_codes(user.id)
        await _record(repository, user.id, SecurityEventKind.mfa_disabled, principal.session_id)

    async def _check_mfa_code(
        self, repository: AuthRepository, user: User, code: str
    ) -> Literal["totp", "recovery_code"] | None:
        """Which second factor the code is (a TOTP code or an unused recovery code, now used up), or None."""
        if await self._use_totp(repository, user, code):
            return "totp"
        digest = token_digest(_normalize_code(code))
        for row in await repository.unused_recovery_codes(user.id):
            if digests_equal(row.code_hash, digest):
                row.used_at = utcnow()
                return "recovery_code"
        return None

    async def _use_totp(self, repository: AuthRepository, user: User, code: str) -> bool:
        """Accept a TOTP code of the current time step (or its neighbours, for clock drift) once only.

        The step of an accepted code is recorded atomically, so the same code (or an older one) cannot be replayed,
        even by two requests racing each other.
        """
        if user.mfa_secret_encrypted is None:
            return False
        digits = code.replace(" ", "")
        if not (len(digits) == 6 and digits.isdigit()):
            return False
        totp = pyotp.TOTP(decrypt_secret(self._secret, MFA_PURPOSE, user.mfa_secret_encrypted))
        now_step = totp.timecode(utcnow())
        for step in (now_step, now_step - 1, now_step + 1):
            if hmac.compare_digest(totp.generate_otp(step), digits):
                accepted = await repository.claim_totp_step(user.id, step)
                if accepted:
                    user.mfa_last_used_step = step
                return accepted
        return False

    async def purge_expired(self, session: AsyncSession) -> None:
        await AuthRepository(session).purge_expired(timedelta(seconds=self.settings.login_failure_window_seconds))

    @property
    def _secret(self) -> str:
        return self.settings.resolved_secret_key()


async def _record(
    repository: AuthRepository, user_id: UUID, kind: SecurityEventKind, session_id: UUID | None = None
) -> None:
    """Note a security event for the account's owner, in the transaction of the change, with where it came from."""
    meta = current_request_meta()
    await repository.add(
        SecurityEvent(
            user_id=user_id,
            kind=kind,
            session_id=session_id,
            ip=meta.ip,
            user_agent=(meta.user_agent or "")[:400] or None,
        )
    )


def _qr_svg(content: str) -> str:
    """A standalone SVG document (with its namespace, so it also renders as an <img>)."""
    buffer = io.BytesIO()
    segno.make(content, error="m").save(
        buffer, kind="svg", xmldecl=False, svgns=True, nl=False, scale=5, dark="#111827", light="#ffffff"
    )
    return buffer.getvalue().decode()


def _parse_refresh_token(token: str | None) -> tuple[UUID, str]:
    session_part, _, secret = (token or "").partition(".")
    try:
        return UUID(session_part), secret
    except ValueError:
        raise SessionExpired() from None


def _recovery_code() -> str:
    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
    raw = "".join(secrets.choice(alphabet) for _ in range(10))
    return f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"


def _normalize_code(code: str) -> str:
    return code.strip().lower().replace("-", "").replace(" ", "")


auth_service = AuthService()
