"""HTTP endpoints of the reporting module, one router per area; ``router`` gathers them."""

from __future__ import annotations

from fastapi import APIRouter

from adpilot.reporting.endpoints import exports, query, reports

router = APIRouter()
for area in (query, exports, reports):
    router.include_router(area.router)
