"""Per-client request rate limiting of the API (the ``limits`` library; shared storage via its storage URI)."""

from __future__ import annotations

import json
import time

from limits import RateLimitItemPerMinute, storage, strategies
from starlette.types import ASGIApp, Receive, Scope, Send

from adpilot.core.errors import PROBLEM_MEDIA_TYPE, RateLimited


class RateLimitMiddleware:
    """A moving window per client IP over ``/api/``; answers 429 with Retry-After when exceeded."""

    def __init__(self, app: ASGIApp, *, per_minute: int, storage_uri: str) -> None:
        self.app = app
        self.item = RateLimitItemPerMinute(per_minute)
        self.limiter = strategies.MovingWindowRateLimiter(storage.storage_from_string(storage_uri))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith("/api/"):
            await self.app(scope, receive, send)
            return
        client = scope.get("client")
        key = client[0] if client else "unknown"
        if self.limiter.hit(self.item, "api", key):
            await self.app(scope, receive, send)
            return
        reset_at, _ = self.limiter.get_window_stats(self.item, "api", key)
        error = RateLimited(int(reset_at - time.time()) + 1)
        body = json.dumps(error.to_problem(instance=scope["path"])).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 429,
                "headers": [
                    (b"content-type", PROBLEM_MEDIA_TYPE.encode()),
                    (b"content-length", str(len(body)).encode()),
                    *[(k.lower().encode(), v.encode()) for k, v in error.headers.items()],
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
