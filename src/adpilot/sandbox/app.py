"""The sandbox as one ASGI app: the three platform emulators plus a control API for tests and demos.

Mounted in-process by ``adpilot serve`` at ``/sandbox`` (outside production) and served alone by
``adpilot sandbox serve --port N``. Paths: ``/sandbox/google/...``, ``/sandbox/meta/...``, ``/sandbox/tiktok/...``
(each the platform's real paths below that prefix), the ECB's reference-rate files under
``/sandbox/ecb/stats/eurofxref/`` and ``/sandbox/_control/...``.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Body, FastAPI
from pydantic import BaseModel, Field

from adpilot.platforms.types import Platform
from adpilot.sandbox.ecb import create_ecb_emulator
from adpilot.sandbox.faults import Fault, FaultKind
from adpilot.sandbox.google import create_google_emulator
from adpilot.sandbox.meta import create_meta_emulator
from adpilot.sandbox.state import SandboxState
from adpilot.sandbox.tiktok import create_tiktok_emulator


class FaultRequest(BaseModel):
    platform: Platform
    account_id: str = Field(default="*", description='The account the fault applies to, or "*" for any.')
    kind: FaultKind
    count: int = Field(default=1, ge=1, le=10_000)
    delay_seconds: float = Field(default=0.0, ge=0, le=120)
    writes_only: bool = Field(default=False, description="Served to the account's writes only (see sandbox/faults).")


def create_control_api(state: SandboxState) -> FastAPI:
    """Fault injection, the clock and the request log, over HTTP (for a sandbox in another process)."""
    control = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)

    @control.post("/faults", status_code=204)
    async def add_fault(request: FaultRequest) -> None:
        state.faults.add(
            request.platform,
            request.account_id,
            Fault(
                kind=request.kind,
                count=request.count,
                delay_seconds=request.delay_seconds,
                writes_only=request.writes_only,
            ),
        )

    @control.delete("/faults", status_code=204)
    async def clear_faults() -> None:
        state.faults.clear()

    @control.post("/clock", status_code=204)
    async def advance_clock(advance_seconds: Annotated[float, Body(embed=True, ge=0)]) -> None:
        state.clock.advance(advance_seconds)

    @control.get("/requests")
    async def request_log() -> list[dict[str, Any]]:
        return [{"platform": p.value, "method": m, "path": path} for p, m, path in state.request_log]

    @control.delete("/requests", status_code=204)
    async def clear_request_log() -> None:
        state.request_log.clear()

    @control.get("/operations")
    async def operations() -> list[dict[str, Any]]:
        """Operations counted as each platform counts them against its quota, per platform and account."""
        return [
            {"platform": platform.value, "account_id": account, "operations": count}
            for (platform, account), count in sorted(state.operations.items())
        ]

    @control.delete("/operations", status_code=204)
    async def clear_operations() -> None:
        state.operations.clear()

    return control


def create_sandbox_app(state: SandboxState) -> FastAPI:
    """Every emulator under its platform's prefix; mount the result at ``/sandbox``."""
    sandbox = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)
    sandbox.mount("/google", create_google_emulator(state))
    sandbox.mount("/meta", create_meta_emulator(state))
    sandbox.mount("/tiktok", create_tiktok_emulator(state))
    sandbox.mount("/ecb", create_ecb_emulator(state))
    sandbox.mount("/_control", create_control_api(state))
    return sandbox


def create_standalone_app(state: SandboxState) -> FastAPI:
    """The sandbox alone (``adpilot sandbox serve``), at the same ``/sandbox`` prefix as in the product."""
    root = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)
    root.mount("/sandbox", create_sandbox_app(state))
    return root
