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
