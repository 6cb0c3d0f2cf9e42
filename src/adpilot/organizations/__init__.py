"""Organizations, memberships, roles and invitations. Public surface: the service and its data objects."""

from adpilot.organizations.events import ReportingCurrencyChanged
from adpilot.organizations.permissions import ChangeApproval, Permission, Role
from adpilot.organizations.service import (
    AUDIT_TARGET_NAMES,
    INVITATION_DAYS,
    OrganizationService,
    RecipientPolicy,
    ReportingSettings,
    TenantContext,
    organization_service,
)

__all__ = [
    "AUDIT_TARGET_NAMES",
    "INVITATION_DAYS",
    "ChangeApproval",
    "OrganizationService",
    "Permission",
    "RecipientPolicy",
    "ReportingCurrencyChanged",
    "ReportingSettings",
    "Role",
    "TenantContext",
    "organization_service",
]
