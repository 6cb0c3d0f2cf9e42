"""Organizations, memberships, roles and invitations. Public surface: the service and its data objects."""

from adpilot.organizations.permissions import Permission, Role
from adpilot.organizations.service import (
    INVITATION_DAYS,
    OrganizationService,
    RecipientPolicy,
    ReportingSettings,
    TenantContext,
    on_reporting_currency_changed,
    organization_service,
)

__all__ = [
    "INVITATION_DAYS",
    "OrganizationService",
    "Permission",
    "RecipientPolicy",
    "ReportingSettings",
    "Role",
    "TenantContext",
    "on_reporting_currency_changed",
    "organization_service",
]
