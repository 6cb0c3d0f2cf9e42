"""Roles and what each may do. The matrix is documented in docs/permissions.md; a test keeps the two in step."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    admin = "admin"
    manager = "manager"
    member = "member"
    viewer = "viewer"


class ChangeApproval(StrEnum):
    """Whose changes of ad platform entities wait for a manager's approval."""

    none = "none"  # nobody's: every change applies at once
    members = "members"  # members' changes (managers' and admins' own apply at once)
    all = "all"  # everyone's, managers' and admins' too


_RANK = {Role.viewer: 0, Role.member: 1, Role.manager: 2, Role.admin: 3}


class Permission(StrEnum):
    organization_read = "organization.read"
    organization_update = "organization.update"
    members_read = "members.read"
    members_manage = "members.manage"
    audit_read = "audit.read"
    connections_read = "connections.read"
    connections_sync = "connections.sync"
    connections_manage = "connections.manage"
    billing_manage = "billing.manage"
    analytics_read = "analytics.read"
    reports_manage = "reports.manage"
    reports_manage_all = "reports.manage_all"
    exchange_rates_manage = "exchange_rates.manage"
    drafts_edit = "drafts.edit"
    changes_approve = "changes.approve"
    changes_publish = "changes.publish"


# The least role that holds each permission; roles are ordered viewer < member < manager < admin.
MINIMUM_ROLE: dict[Permission, Role] = {
    Permission.organization_read: Role.viewer,
    Permission.members_read: Role.viewer,
    Permission.connections_read: Role.viewer,
    Permission.connections_sync: Role.member,
    Permission.analytics_read: Role.viewer,
    Permission.reports_manage: Role.member,
    Permission.reports_manage_all: Role.manager,
    Permission.exchange_rates_manage: Role.manager,
    Permission.drafts_edit: Role.member,
    Permission.changes_approve: Role.manager,
    Permission.changes_publish: Role.manager,
    Permission.connections_manage: Role.manager,
    Permission.organization_update: Role.admin,
    Permission.members_manage: Role.admin,
    Permission.audit_read: Role.admin,
    Permission.billing_manage: Role.admin,
}


def role_allows(role: Role, permission: Permission) -> bool:
    return _RANK[role] >= _RANK[MINIMUM_ROLE[permission]]


def permissions_of(role: Role) -> list[Permission]:
    """Every permission ``role`` holds, in the matrix's order: what the web app reads to show or hide controls."""
    return [permission for permission in MINIMUM_ROLE if role_allows(role, permission)]


def role_at_least(role: Role, minimum: Role) -> bool:
    return _RANK[role] >= _RANK[minimum]
