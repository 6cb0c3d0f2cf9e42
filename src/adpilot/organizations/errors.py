"""Errors of the organizations module."""

from __future__ import annotations

from adpilot.core.errors import AppError, Conflict, NotFound, PermissionDenied


class OrganizationNotFound(NotFound):
    code = "organization-not-found"
    title = "Organization not found"


class MemberNotFound(NotFound):
    code = "member-not-found"
    title = "Member not found"


class InvitationNotFound(NotFound):
    code = "invitation-not-found"
    title = "Invitation not found"


class MfaRequired(PermissionDenied):
    code = "mfa-required"
    title = "This organization requires multi-factor authentication; enable it in your security settings"


class LastAdmin(Conflict):
    code = "last-admin"
    title = "An organization needs at least one admin"


class AlreadyMember(Conflict):
    code = "already-member"
    title = "This person is already a member"


class InvitationUnusable(Conflict):
    code = "invitation-unusable"
    title = "This invitation has expired, was revoked or was already used"


class InvitationForAnotherEmail(Conflict):
    code = "invitation-email-mismatch"
    title = "This invitation was sent to another email address; log in with that address to accept it"


class EnableMfaFirst(Conflict):
    code = "enable-mfa-first"
    title = "Enable multi-factor authentication on your own account before requiring it"


class InvalidInvitationToken(AppError):
    status_code = 400
    code = "invalid-invitation-token"
    title = "The invitation link is invalid"
