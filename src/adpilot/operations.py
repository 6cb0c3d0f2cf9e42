"""Operational endpoints: liveness, readiness, Prometheus metrics and the public client configuration."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter
from fastapi.responses import JSONResponse, PlainTextResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel, Field
from sqlalchemy import text

from adpilot import __version__, jobs
from adpilot.config import PlatformEndpoint, get_settings
from adpilot.core.logging import get_logger
from adpilot.core.metrics import jobs_by_status, registry
from adpilot.db import get_database
from adpilot.migrate import head_revision
from adpilot.organizations import INVITATION_DAYS

router = APIRouter()
log = get_logger(__name__)


class ClientConfig(BaseModel):
    # How long an emailed invitation can be accepted (the web app and the email say the same).
    invitation_expiry_days: int
    environment: str
    outbox_enabled: bool
    # The ad platform sandbox is served, and platforms without their own app credentials use it.
    sandbox: bool
    version: str
    platform_endpoints: dict[str, PlatformEndpoint] = Field(
        description=(
            "Where each ad platform's calls go: `real` (the platform itself, it has app credentials), `sandbox` (the "
            "emulators this server serves), `custom` (URLs set explicitly) or `unconfigured` (cannot be connected)."
        ),
        examples=[{"google": "real", "meta": "sandbox", "tiktok": "custom"}],
    )


class Health(BaseModel):
    status: str
    checks: dict[str, str] = {}


@router.get("/healthz", tags=["operations"])
async def healthz() -> Health:
    """Liveness: the process answers."""
    return Health(status="ok")


@router.get("/readyz", tags=["operations"], responses={503: {"model": Health}})
async def readyz() -> JSONResponse:
    """Readiness: the database answers and its schema is at the latest migration."""
    checks: dict[str, str] = {}
    try:
        async with get_database().engine.connect() as connection:
            result = await asyncio.wait_for(connection.execute(text("SELECT version_num FROM alembic_version")), 5)
            current = result.scalar_one_or_none()
        checks["database"] = "ok"
        checks["migrations"] = "ok" if current == head_revision() else f"at {current}, expected {head_revision()}"
    except Exception as exc:  # noqa: BLE001 - any failure means not ready; the reason is reported
        checks["database"] = f"unreachable: {type(exc).__name__}"
    ready = all(value == "ok" for value in checks.values())
    health = Health(status="ok" if ready else "unavailable", checks=checks)
    return JSONResponse(health.model_dump(), status_code=200 if ready else 503)


@router.get("/metrics", include_in_schema=False)
async def metrics() -> PlainTextResponse:
    """Prometheus metrics of this process (and the queue's job counts)."""
    try:
        counts = await jobs.job_counts()
        for status in ("todo", "doing", "succeeded", "failed", "cancelled", "aborted"):
            jobs_by_status.labels(status).set(counts.get(status, 0))
    except Exception:  # noqa: BLE001 - metrics must render even when the queue is unreachable
        log.warning("metrics.jobs_unavailable")
    return PlainTextResponse(generate_latest(registry).decode(), media_type=CONTENT_TYPE_LATEST)


@router.get("/api/v1/config", tags=["operations"])
async def get_client_config() -> ClientConfig:
    """What the web app needs to know before anyone logs in."""
    settings = get_settings()
    return ClientConfig(
        invitation_expiry_days=INVITATION_DAYS,
        environment=settings.environment.value,
        outbox_enabled=settings.outbox_page_enabled,
        sandbox=settings.sandbox_enabled,
        version=__version__,
        platform_endpoints={
            platform: settings.platform_endpoint(platform) for platform in ("google", "meta", "tiktok")
        },
    )
