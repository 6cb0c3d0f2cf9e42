"""Permission aliases of the drafts module."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from adpilot.organizations import Permission, TenantContext
from adpilot.organizations.dependencies import require

CanReadDrafts = Annotated[TenantContext, Depends(require(Permission.organization_read))]
CanEditDrafts = Annotated[TenantContext, Depends(require(Permission.drafts_edit))]
CanApproveDrafts = Annotated[TenantContext, Depends(require(Permission.changes_approve))]
CanPublishDrafts = Annotated[TenantContext, Depends(require(Permission.changes_publish))]
CanSetUtmTemplate = Annotated[TenantContext, Depends(require(Permission.organization_update))]
