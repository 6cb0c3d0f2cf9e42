"""The web app's API client is generated from frontend/openapi.json: it must be the schema the backend serves."""

from __future__ import annotations

import json
from pathlib import Path

from fastapi import FastAPI

COMMITTED = Path(__file__).resolve().parents[1] / "frontend" / "openapi.json"


def test_committed_schema_matches_the_backend(app: FastAPI) -> None:
    committed = json.loads(COMMITTED.read_text())
    assert committed == app.openapi(), (
        "frontend/openapi.json is out of date with the API: run `make openapi` and commit the result"
    )


def test_every_operation_has_a_docstring_and_a_stable_id(app: FastAPI) -> None:
    operations = [op for path in app.openapi()["paths"].values() for op in path.values()]
    ids = [op["operationId"] for op in operations]
    assert len(ids) == len(set(ids))
    assert all(op.get("description") or op.get("summary") for op in operations)


def test_error_bodies_are_documented_as_problem_details(app: FastAPI) -> None:
    for path, operations in app.openapi()["paths"].items():
        for method, operation in operations.items():
            for status, response in operation["responses"].items():
                if status[0] in "45" and path != "/readyz":  # readiness answers 503 with its own health document
                    assert set(response["content"]) == {"application/problem+json"}, (method, path, status)
                    assert response["content"]["application/problem+json"]["schema"] == {
                        "$ref": "#/components/schemas/Problem"
                    }


def test_every_authenticated_operation_documents_a_401(app: FastAPI) -> None:
    secured = [
        (method, path, operation)
        for path, operations in app.openapi()["paths"].items()
        for method, operation in operations.items()
        if operation.get("security")
    ]
    assert len(secured) > 50
    assert [(method, path) for method, path, operation in secured if "401" not in operation["responses"]] == []


def test_days_and_cursors_are_constrained(app: FastAPI) -> None:
    parameters = [
        parameter
        for operations in app.openapi()["paths"].values()
        for operation in operations.values()
        for parameter in operation.get("parameters", [])
    ]
    days = [p for p in parameters if '"format": "date"' in json.dumps(p["schema"])]
    assert days and all("pattern" in json.dumps(p["schema"]) for p in days)
    cursors = [p for p in parameters if p["name"] == "cursor"]
    assert cursors and all("pattern" in json.dumps(p["schema"]) for p in cursors)
