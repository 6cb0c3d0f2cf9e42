"""Errors of the auth module."""

from __future__ import annotations

from adpilot.core.errors import AppError, Conflict, NotAuthenticated, PermissionDenied


class InvalidCredentials(NotAuthenticated):
    code = "invalid-credentials"
    title = "The email or password is incorrect"


class InvalidMfaCode(NotAuthenticated):
    code = "invalid-mfa-code"
    title = "The authentication code is incorrect"


class SessionExpired(NotAuthenticated):
    code = "session-expired"
    title = "Your session has expired; log in again"


class WeakPassword(AppError):
    status_code = 422
    code = "weak-password"
    title = "The password is too weak"


class InvalidToken(AppError):
    status_code = 400
    code = "invalid-token"
    title = "The link is invalid or has expired"


class MfaAlreadyEnabled(Conflict):
    code = "mfa-already-enabled"
    title = "Multi-factor authentication is already enabled"


class MfaNotEnabled(Conflict):
    code = "mfa-not-enabled"
    title = "Multi-factor authentication is not enabled"


class MfaSetupMissing(Conflict):
    code = "mfa-setup-missing"
    title = "Start the multi-factor setup first"


class CsrfHeaderMissing(AppError):
    status_code = 403
    code = "csrf-header-missing"
    title = "This request must be sent by the adpilot web app (X-Requested-With header missing)"


class EmailNotVerified(PermissionDenied):
    code = "email-not-verified"
    title = "Verify your email address first"

    def __init__(self, detail: str | None = None) -> None:
        super().__init__(
            detail
            or "Open the verification link we emailed you (or ask for a new one), then try again. Accepting "
            "invitations and connecting ad platforms need a verified email address."
        )
