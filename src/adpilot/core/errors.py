"""The product's error type and its rendering as RFC 9457 problem details."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import BaseModel, Field

PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_TYPE_BASE = "https://adpilot.dev/problems/"


class AppError(Exception):
    """An expected failure with a stable code and its HTTP status.

    Subclasses set ``status_code``, ``code`` and ``title``; instances may add a ``detail`` and extra members.
    """

    status_code: ClassVar[int] = 400
    code: ClassVar[str] = "bad-request"
    title: ClassVar[str] = "Bad request"

    def __init__(self, detail: str | None = None, *, headers: dict[str, str] | None = None, **extra: Any) -> None:
        super().__init__(detail or self.title)
        self.detail = detail
        self.headers = headers or {}
        self.extra = extra

    def to_problem(self, instance: str | None = None) -> dict[str, Any]:
        return problem_document(
            status=self.status_code,
            code=self.code,
            title=self.title,
            detail=self.detail,
            instance=instance,
            **self.extra,
        )


class NotAuthenticated(AppError):
    status_code = 401
    code = "not-authenticated"
    title = "Authentication required"


class PermissionDenied(AppError):
    status_code = 403
    code = "permission-denied"
    title = "Your role does not allow this action"


class NotFound(AppError):
    status_code = 404
    code = "not-found"
    title = "Not found"


class Conflict(AppError):
    status_code = 409
    code = "conflict"
    title = "Conflict"


class RateLimited(AppError):
    status_code = 429
    code = "rate-limited"
    title = "Too many requests"

    def __init__(self, retry_after_seconds: int, detail: str | None = None) -> None:
        retry_after_seconds = max(1, int(retry_after_seconds))
        super().__init__(
            detail or f"Try again in {retry_after_seconds} seconds.",
            headers={"Retry-After": str(retry_after_seconds)},
            retry_after=retry_after_seconds,
        )


class FieldError(BaseModel):
    """One invalid field of a request."""

    loc: list[str | int]
    msg: str
    type: str


class Problem(BaseModel):
    """RFC 9457 problem details, as every error of the API is returned."""

    type: str
    title: str
    status: int
    code: str
    detail: str | None = None
    instance: str | None = None
    request_id: str | None = None
    errors: list[FieldError] | None = Field(default=None, description="Invalid fields, for validation errors.")
    retry_after: int | None = None


def problem_document(
    *, status: int, code: str, title: str, detail: str | None = None, instance: str | None = None, **extra: Any
) -> dict[str, Any]:
    document: dict[str, Any] = {"type": PROBLEM_TYPE_BASE + code, "title": title, "status": status, "code": code}
    if detail:
        document["detail"] = detail
    if instance:
        document["instance"] = instance
    document.update({key: value for key, value in extra.items() if value is not None})
    return document


def problem(*errors: type[AppError]) -> dict[str, Any]:
    """An OpenAPI ``responses=`` entry describing the given errors (all of one status)."""
    description = "; ".join(sorted({error.title for error in errors})) or "Error"
    return {"model": Problem, "description": description, "content": {PROBLEM_MEDIA_TYPE: {}}}


def problem_responses(*errors: type[AppError]) -> dict[int | str, dict[str, Any]]:
    """``responses=`` for an endpoint: the given errors grouped by status."""
    by_status: dict[int, list[type[AppError]]] = {}
    for error in errors:
        by_status.setdefault(error.status_code, []).append(error)
    return {status: problem(*group) for status, group in by_status.items()}
