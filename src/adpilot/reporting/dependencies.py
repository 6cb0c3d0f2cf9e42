"""Permission aliases of the reporting module."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from adpilot.organizations import Permission, TenantContext
from adpilot.organizations.dependencies import require

CanReadAnalytics = Annotated[TenantContext, Depends(require(Permission.analytics_read))]
CanManageReports = Annotated[TenantContext, Depends(require(Permission.reports_manage))]
