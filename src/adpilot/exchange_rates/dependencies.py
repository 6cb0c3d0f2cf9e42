"""Permission aliases of the exchange-rates module."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from adpilot.organizations import Permission, TenantContext
from adpilot.organizations.dependencies import require

CanReadAnalytics = Annotated[TenantContext, Depends(require(Permission.analytics_read))]
CanManageExchangeRates = Annotated[TenantContext, Depends(require(Permission.exchange_rates_manage))]
