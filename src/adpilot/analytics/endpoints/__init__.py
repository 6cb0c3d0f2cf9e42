"""HTTP endpoints of the analytics module, one router per area; ``router`` gathers them."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
