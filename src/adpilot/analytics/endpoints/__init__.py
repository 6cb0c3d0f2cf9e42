"""HTTP endpoints of the analytics module, one router per area; ``router`` gathers them."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()

from adpilot.analytics.endpoints import sync  # noqa: E402

router.include_router(sync.router)

from adpilot.analytics.endpoints import rates  # noqa: E402

router.include_router(rates.router)

from adpilot.analytics.endpoints import query  # noqa: E402

router.include_router(query.router)

from adpilot.analytics.endpoints import exports, reports  # noqa: E402

router.include_router(exports.router)
router.include_router(reports.router)
