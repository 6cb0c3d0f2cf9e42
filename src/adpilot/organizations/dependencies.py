"""Typed dependencies: the tenant context of a request, with the permission it needs."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated
from uuid import UUID

from fastapi import Depends

from adpilot.auth import auth_service
from adpilot.auth.dependencies import AccessToken
from adpilot.db import DbSession
from adpilot.organizations.permissions import Permission
from adpilot.organizations.service import TenantContext, organization_service


def require(permission: Permission) -> Callable[..., Awaitable[TenantContext]]:
    """A dependency: the caller is a member of the path's organization (else 404) holding ``permission`` (else 403)."""

    async def tenant_with_permission(organization_id: UUID, token: AccessToken, session: DbSession) -> TenantContext:
        claims = auth_service.read_access_token(token)
        tenant = await organization_service.resolve_tenant(session, claims, organization_id)
        tenant.require(permission)
        return tenant

    tenant_with_permission.__name__ = f"require_{permission.name}"
    return tenant_with_permission


CanReadOrganization = Annotated[TenantContext, Depends(require(Permission.organization_read))]
CanUpdateOrganization = Annotated[TenantContext, Depends(require(Permission.organization_update))]
CanReadMembers = Annotated[TenantContext, Depends(require(Permission.members_read))]
CanManageMembers = Annotated[TenantContext, Depends(require(Permission.members_manage))]
CanReadAudit = Annotated[TenantContext, Depends(require(Permission.audit_read))]
