"""Permission aliases of the metrics module."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from adpilot.organizations import Permission, TenantContext
from adpilot.organizations.dependencies import require

CanReadConnections = Annotated[TenantContext, Depends(require(Permission.connections_read))]
CanSyncConnections = Annotated[TenantContext, Depends(require(Permission.connections_sync))]
