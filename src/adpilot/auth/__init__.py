"""Accounts and sessions: users, passwords, tokens, MFA. Public surface: the service and its data objects."""

from adpilot.auth.service import AuthService, Principal, UserSummary, auth_service
from adpilot.auth.tokens import TokenClaims

__all__ = ["AuthService", "Principal", "TokenClaims", "UserSummary", "auth_service"]
