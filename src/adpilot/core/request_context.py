"""Who and where a unit of work comes from: set by the HTTP middleware (or a job), read by the audit log and logs."""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True)
class RequestMeta:
    request_id: str | None = None
    ip: str | None = None
    user_agent: str | None = None


_NO_REQUEST = RequestMeta()  # frozen, so one shared default is safe
_current: ContextVar[RequestMeta] = ContextVar("adpilot_request_meta", default=_NO_REQUEST)


def current_request_meta() -> RequestMeta:
    return _current.get()


def set_request_meta(meta: RequestMeta) -> None:
    _current.set(meta)
