"""The OpenAPI schema says what the API does: every error is problem details, and authentication can fail."""

from __future__ import annotations

from typing import Any

from adpilot.core.errors import PROBLEM_MEDIA_TYPE

PROBLEM_SCHEMA = {"$ref": "#/components/schemas/Problem"}
JSON = "application/json"


def refine_openapi(schema: dict[str, Any]) -> dict[str, Any]:
    """Document error bodies as ``application/problem+json`` and a 401 on every authenticated operation (in place).

    FastAPI files every response model under ``application/json``; the error handlers answer with problem details.
    """
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            responses: dict[str, Any] = operation.setdefault("responses", {})
            if operation.get("security") and "401" not in responses:
                responses["401"] = {"description": "Authentication required", "content": {}}
            for status, response in responses.items():
                if not _is_error(status):
                    continue
                content: dict[str, Any] = response.setdefault("content", {})
                documented = content.get(JSON, {})
                if documented.get("schema", PROBLEM_SCHEMA) != PROBLEM_SCHEMA:
                    continue  # an error answered with its own document (the readiness probe's 503)
                content.pop(JSON, None)
                content[PROBLEM_MEDIA_TYPE] = {**content.get(PROBLEM_MEDIA_TYPE, {}), "schema": PROBLEM_SCHEMA}
    return schema


def _is_error(status: str) -> bool:
    return status[:1] in ("4", "5")
