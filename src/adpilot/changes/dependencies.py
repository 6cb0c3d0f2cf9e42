"""Permission aliases of the change pipeline's endpoints."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from adpilot.organizations import Permission, TenantContext
from adpilot.organizations.dependencies import require

CanReadChanges = Annotated[TenantContext, Depends(require(Permission.connections_read))]
CanRequestChanges = Annotated[TenantContext, Depends(require(Permission.drafts_edit))]
CanApproveChanges = Annotated[TenantContext, Depends(require(Permission.changes_approve))]
