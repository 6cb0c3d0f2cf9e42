"""Pure ASGI middleware: request ids, client metadata, security headers, metrics and access logs."""

from __future__ import annotations

import json
import re
import time
import uuid

import structlog
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from adpilot.core.errors import PROBLEM_MEDIA_TYPE, problem_document
from adpilot.core.logging import get_logger
from adpilot.core.metrics import http_latency, http_requests
from adpilot.core.request_context import RequestMeta, set_request_meta

log = get_logger("adpilot.http")
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")

CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; "
    "connect-src 'self'; font-src 'self' data:; object-src 'none'; base-uri 'self'; form-action 'self'; "
    "frame-ancestors 'none'"
)
# The interactive API docs load their scripts and styles from a CDN.
DOCS_CSP = (
    "default-src 'self'; img-src 'self' data: https:; style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    "script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; connect-src 'self'; frame-ancestors 'none'"
)


class RequestContextMiddleware:
    def __init__(self, app: ASGIApp, *, hsts: bool) -> None:
        self.app = app
        self.hsts = hsts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {key.decode("latin-1"): value.decode("latin-1") for key, value in scope["headers"]}
        incoming = headers.get("x-request-id", "")
        request_id = incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex
        client = scope.get("client")
        meta = RequestMeta(
            request_id=request_id, ip=client[0] if client else None, user_agent=headers.get("user-agent")
        )
        set_request_meta(meta)
        scope.setdefault("state", {})["request_id"] = request_id
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(request_id=request_id)
        path: str = scope["path"]
        csp = DOCS_CSP if path.startswith("/api/docs") else CSP
        started = time.perf_counter()
        status_holder: dict[str, int] = {"status": 500}
        started_response = False

        async def send_with_headers(message: Message) -> None:
            nonlocal started_response
            if message["type"] == "http.response.start":
                started_response = True
                status_holder["status"] = message["status"]
                extra: list[tuple[bytes, bytes]] = [
                    (b"x-request-id", request_id.encode()),
                    (b"x-content-type-options", b"nosniff"),
                    (b"x-frame-options", b"DENY"),
                    (b"referrer-policy", b"strict-origin-when-cross-origin"),
                    (b"content-security-policy", csp.encode()),
                    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
                ]
                if self.hsts:
                    extra.append((b"strict-transport-security", b"max-age=31536000; includeSubDomains"))
                message["headers"] = list(message.get("headers", [])) + extra
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        except Exception:
            # Answered here rather than by the server-error middleware outside this one, so that a 500 carries the
            # request id and the security headers like every other answer.
            log.exception("http.unhandled_error", path=path)
            if started_response:
                raise
            await _send_internal_error(send_with_headers, path, request_id)
        finally:
            elapsed = time.perf_counter() - started
            route = _route_template(scope)
            status = status_holder["status"]
            http_requests.labels(scope["method"], route, f"{status // 100}xx").inc()
            http_latency.labels(scope["method"], route).observe(elapsed)
            if path.startswith("/api/"):
                log.info(
                    "http.request",
                    method=scope["method"],
                    path=path,
                    status=status,
                    duration_ms=round(elapsed * 1000, 2),
                )


async def _send_internal_error(send: Send, path: str, request_id: str) -> None:
    document = problem_document(
        status=500,
        code="internal-error",
        title="Something went wrong on our side",
        detail="The error was logged with this request's id.",
        instance=path,
        request_id=request_id,
    )
    body = json.dumps(document).encode()
    headers = [(b"content-type", PROBLEM_MEDIA_TYPE.encode()), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": 500, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _route_template(scope: Scope) -> str:
    route = scope.get("route")
    path = getattr(route, "path", None)
    if isinstance(path, str):
        return path
    return "/api/unmatched" if scope["path"].startswith("/api/") else "spa"
