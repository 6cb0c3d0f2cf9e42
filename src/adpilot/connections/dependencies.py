"""Typed dependencies of the connection endpoints: the tenant context with the permission each needs."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from adpilot.organizations import Permission, TenantContext
from adpilot.organizations.dependencies import require

CanReadConnections = Annotated[TenantContext, Depends(require(Permission.connections_read))]
CanManageConnections = Annotated[TenantContext, Depends(require(Permission.connections_manage))]
