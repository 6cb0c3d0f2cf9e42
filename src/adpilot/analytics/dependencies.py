"""Permission aliases of the analytics module."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from adpilot.organizations import Permission, TenantContext
from adpilot.organizations.dependencies import require

CanReadConnections = Annotated[TenantContext, Depends(require(Permission.connections_read))]
CanReadAnalytics = Annotated[TenantContext, Depends(require(Permission.analytics_read))]
CanSyncConnections = Annotated[TenantContext, Depends(require(Permission.connections_sync))]
CanManageReports = Annotated[TenantContext, Depends(require(Permission.reports_manage))]
CanManageExchangeRates = Annotated[TenantContext, Depends(require(Permission.exchange_rates_manage))]
