"""HTTP endpoints of the analytics module, one router per area; ``router`` gathers them."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()

from adpilot.analytics.endpoints import sync  # noqa: E402

router.include_router(sync.router)
