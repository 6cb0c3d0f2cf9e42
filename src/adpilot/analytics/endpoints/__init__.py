"""HTTP endpoints of the analytics module, one router per area; ``router`` gathers them."""

from __future__ import annotations

from fastapi import APIRouter

from adpilot.analytics.endpoints import exports, query, rates, reports, sync

router = APIRouter()
for area in (sync, rates, query, exports, reports):
    router.include_router(area.router)
