"""Errors of the connections module."""

from __future__ import annotations

from adpilot.core.errors import AppError, Conflict, NotFound
from adpilot.core.vault import VaultDecryptionFailed
from adpilot.platforms.errors import PlatformError


class ConnectionNotFound(NotFound):
    code = "connection-not-found"
    title = "Connection not found"


class AdAccountNotFound(NotFound):
    code = "ad-account-not-found"
    title = "Ad account not found"


class ConnectionStateInvalid(AppError):
    status_code = 400
    code = "connection-state-invalid"
    title = "This connection attempt is unknown, expired, already used or was started by someone else; start again"


class ConnectionDenied(AppError):
    status_code = 400
    code = "connection-denied"
    title = "Access was not granted on the platform's consent page"


class ConnectionRejected(AppError):
    status_code = 400
    code = "connection-rejected"
    title = "The platform refused the authorization; start the connection again"


class AuthorizationCodeMissing(AppError):
    status_code = 400
    code = "connection-code-missing"
    title = "The platform's callback carried neither a code nor an error"


class AdAccountsNotInConnection(AppError):
    status_code = 400
    code = "ad-accounts-not-in-connection"
    title = "Some of these ad accounts do not belong to this connection"


class ManagerAccountNotManageable(AppError):
    status_code = 400
    code = "manager-account-not-manageable"
    title = "A manager account has no campaigns of its own and cannot be managed; choose the accounts under it"


class ConnectionNeedsReconnect(Conflict):
    """The account cannot be used: its connection needs reconnecting, was removed, or the account is not managed."""

    code = "connection-needs-reconnect"
    title = "This ad account cannot be used until its platform connection is reconnected"
    # The platform's refusal that made the connection need a reconnect, when a platform call was the reason.
    platform_error: PlatformError | None = None


class CredentialsUnreadable(ConnectionNeedsReconnect, VaultDecryptionFailed):
    """No configured key decrypts the connection's stored credentials (a key was removed before it was rotated).

    A needs-reconnect conflict for people and jobs, and still the vault's decryption failure for operators' code.
    """

    code = "connection-needs-reconnect"


class PlatformAppNotConfigured(Conflict):
    code = "platform-not-configured"
    title = "This ad platform is not configured on this server"


class PlatformUnreachable(AppError):
    status_code = 503
    code = "platform-unavailable"
    title = "The ad platform is unavailable or rate-limiting us; try again shortly"
