"""HTTP endpoints of accounts and sessions."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Response, status

from adpilot.auth.dependencies import (
    REFRESH_COOKIE,
    REFRESH_COOKIE_PATH,
    CurrentPrincipal,
    no_store,
    refresh_cookie,
    require_csrf_header,
)
from adpilot.auth.errors import (
    CsrfHeaderMissing,
    InvalidCredentials,
    InvalidMfaCode,
    InvalidToken,
    MfaAlreadyEnabled,
    MfaNotEnabled,
    MfaSetupMissing,
    SessionExpired,
    WeakPassword,
)
from adpilot.auth.models import User
from adpilot.auth.schemas import (
    EmailRequest,
    LoginRequest,
    LoginResponse,
    LoginStatus,
    MfaCodeRequest,
    MfaLoginRequest,
    MfaSetupRead,
    RecoveryCodes,
    ResetPasswordRequest,
    SecurityEventRead,
    SessionList,
    SessionRead,
    SignupAccepted,
    SignupRequest,
    TokenRequest,
    TokenResponse,
    UserRead,
    UserUpdate,
)
from adpilot.auth.service import IssuedTokens, LoginOutcome, auth_service
from adpilot.config import get_settings
from adpilot.core.errors import NotAuthenticated, NotFound, RateLimited, problem_responses
from adpilot.core.pagination import InvalidCursor, Page, TimeCursorPage, page_response
from adpilot.db import DbSession

router = APIRouter(prefix="/api/v1", tags=["auth"])
RefreshCookie = Annotated[str | None, Depends(refresh_cookie)]


def user_read(user: User) -> UserRead:
    return UserRead(
        id=user.id,
        email=user.email,
        display_name=user.display_name,
        email_verified=user.email_verified_at is not None,
        mfa_enabled=user.mfa_enabled_at is not None,
        created_at=user.created_at,
    )


def _set_refresh_cookie(response: Response, tokens: IssuedTokens) -> None:
    if tokens.refresh_token is None:
        return  # no new refresh token: the browser keeps its current cookie
    settings = get_settings()
    response.set_cookie(
        REFRESH_COOKIE,
        tokens.refresh_token,
        max_age=settings.refresh_token_days * 86400,
        path=REFRESH_COOKIE_PATH,
        httponly=True,
        secure=settings.secure_cookies,
        samesite="strict",
    )


def _login_response(response: Response, outcome: LoginOutcome) -> LoginResponse:
    if outcome.tokens is None:
        return LoginResponse(status=LoginStatus.mfa_required, mfa_token=outcome.mfa_token)
    _set_refresh_cookie(response, outcome.tokens)
    return LoginResponse(
        status=LoginStatus.ok, access_token=outcome.tokens.access_token, expires_in=outcome.tokens.expires_in
    )


@router.post(
    "/auth/signup",
    status_code=status.HTTP_202_ACCEPTED,
    responses=problem_responses(WeakPassword),
)
async def sign_up(body: SignupRequest, session: DbSession) -> SignupAccepted:
    """Create an account and email a verification link.

    The answer is the same when the email already has an account (its owner is emailed instead), so sign-up does not
    tell who is registered.
    """
    await auth_service.sign_up(session, str(body.email), body.password, body.display_name)
    return SignupAccepted(email=str(body.email))


@router.post("/auth/verify-email", status_code=status.HTTP_204_NO_CONTENT, responses=problem_responses(InvalidToken))
async def verify_email(body: TokenRequest, session: DbSession) -> None:
    """Confirm an email address with the token from the verification link."""
    await auth_service.verify_email(session, body.token)


@router.post("/auth/resend-verification", status_code=status.HTTP_202_ACCEPTED)
async def resend_verification(body: EmailRequest, session: DbSession) -> None:
    """Email a new verification link (the answer is the same whether or not the account exists)."""
    await auth_service.resend_verification(session, str(body.email))


@router.post(
    "/auth/login", dependencies=[Depends(no_store)], responses=problem_responses(InvalidCredentials, RateLimited)
)
async def log_in(body: LoginRequest, response: Response, session: DbSession) -> LoginResponse:
    """Log in with email and password; answers with tokens, or asks for the MFA code."""
    return _login_response(response, await auth_service.log_in(session, str(body.email), body.password))


@router.post(
    "/auth/login/mfa", dependencies=[Depends(no_store)], responses=problem_responses(InvalidMfaCode, RateLimited)
)
async def log_in_mfa(body: MfaLoginRequest, response: Response, session: DbSession) -> LoginResponse:
    """Second log-in step: a TOTP code or a recovery code."""
    return _login_response(response, await auth_service.log_in_mfa(session, body.mfa_token, body.code))


@router.post(
    "/auth/refresh",
    dependencies=[Depends(require_csrf_header), Depends(no_store)],
    responses=problem_responses(SessionExpired, CsrfHeaderMissing),
)
async def refresh_session(response: Response, session: DbSession, token: RefreshCookie) -> TokenResponse:
    """Exchange the refresh cookie for a new access token (the cookie rotates)."""
    tokens = await auth_service.refresh(session, token)
    _set_refresh_cookie(response, tokens)
    return TokenResponse(access_token=tokens.access_token, expires_in=tokens.expires_in)


@router.post(
    "/auth/logout",
    status_code=status.HTTP_204_NO_CONTENT,
    dependencies=[Depends(require_csrf_header)],
    responses=problem_responses(CsrfHeaderMissing),
)
async def log_out(response: Response, session: DbSession, token: RefreshCookie) -> None:
    """End this browser's session."""
    await auth_service.log_out(session, token)
    response.delete_cookie(REFRESH_COOKIE, path=REFRESH_COOKIE_PATH)


@router.post("/auth/forgot-password", status_code=status.HTTP_202_ACCEPTED)
async def forgot_password(body: EmailRequest, session: DbSession) -> None:
    """Email a password-reset link (the answer is the same whether or not the account exists)."""
    await auth_service.forgot_password(session, str(body.email))


@router.post(
    "/auth/reset-password",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(InvalidToken, WeakPassword),
)
async def reset_password(body: ResetPasswordRequest, session: DbSession) -> None:
    """Set a new password with the token from the reset link; every session is signed out."""
    await auth_service.reset_password(session, body.token, body.password)


@router.get("/me", responses=problem_responses(NotAuthenticated))
async def get_me(principal: CurrentPrincipal, session: DbSession) -> UserRead:
    """The signed-in user."""
    return user_read(await auth_service.get_user(session, principal.user_id))


@router.patch("/me", responses=problem_responses(NotAuthenticated))
async def update_me(body: UserUpdate, principal: CurrentPrincipal, session: DbSession) -> UserRead:
    """Change your display name."""
    return user_read(await auth_service.update_profile(session, principal, body.display_name))


@router.get("/me/sessions", responses=problem_responses(NotAuthenticated))
async def list_my_sessions(principal: CurrentPrincipal, session: DbSession) -> SessionList:
    """Your signed-in devices, most recently used first."""
    rows = await auth_service.list_sessions(session, principal)
    return SessionList(
        items=[
            SessionRead(
                id=row.id,
                created_at=row.created_at,
                last_seen_at=row.last_seen_at,
                ip=row.ip,
                user_agent=row.user_agent,
                current=row.id == principal.session_id,
            )
            for row in rows
        ]
    )


@router.delete(
    "/me/sessions/{session_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(NotAuthenticated, NotFound),
)
async def revoke_my_session(session_id: UUID, principal: CurrentPrincipal, session: DbSession) -> None:
    """Sign out one of your devices."""
    await auth_service.revoke_session(session, principal, session_id)


@router.get(
    "/me/security-events",
    response_model=Page[SecurityEventRead],
    responses=problem_responses(NotAuthenticated, InvalidCursor),
)
async def list_my_security_events(principal: CurrentPrincipal, session: DbSession, paging: TimeCursorPage) -> Response:
    """Your account's recent security events (log-ins, sign-outs, MFA and password changes), newest first."""
    page = await auth_service.list_security_events(session, principal, paging)
    return page_response(
        SecurityEventRead,
        page.map(
            lambda event: SecurityEventRead(
                id=event.id,
                kind=event.kind,
                occurred_at=event.occurred_at,
                ip=event.ip,
                user_agent=event.user_agent,
                current_session=event.session_id == principal.session_id,
            )
        ),
    )


@router.post(
    "/me/mfa/setup",
    dependencies=[Depends(no_store)],
    responses=problem_responses(NotAuthenticated, MfaAlreadyEnabled),
)
async def start_mfa_setup(principal: CurrentPrincipal, session: DbSession) -> MfaSetupRead:
    """Begin MFA setup: a new TOTP secret and its QR code."""
    setup = await auth_service.start_mfa_setup(session, principal)
    return MfaSetupRead(secret=setup.secret, otpauth_uri=setup.otpauth_uri, qr_svg=setup.qr_svg)


@router.post(
    "/me/mfa/enable",
    dependencies=[Depends(no_store)],
    responses=problem_responses(InvalidMfaCode, MfaAlreadyEnabled, MfaSetupMissing),
)
async def enable_mfa(body: MfaCodeRequest, principal: CurrentPrincipal, session: DbSession) -> RecoveryCodes:
    """Turn MFA on with a code from the authenticator; returns 10 single-use recovery codes."""
    return RecoveryCodes(recovery_codes=await auth_service.enable_mfa(session, principal, body.code))


@router.post(
    "/me/mfa/disable",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(InvalidMfaCode, MfaNotEnabled),
)
async def disable_mfa(body: MfaCodeRequest, principal: CurrentPrincipal, session: DbSession) -> None:
    """Turn MFA off (needs a current code or a recovery code)."""
    await auth_service.disable_mfa(session, principal, body.code)
