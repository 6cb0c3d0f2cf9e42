"""Every cursor-paged list refuses a cursor it did not make with a 400 ``invalid-cursor`` problem, never a 500.

The lists are read from the app's OpenAPI schema (every GET taking a ``cursor`` query parameter), so a new list
is covered the day it is added.
"""

from __future__ import annotations

import base64
import json
import uuid
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tests.fixtures import OrgWorld

ID = "00000000-0000-0000-0000-000000000000"


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _json(value: Any) -> str:
    return _b64(json.dumps(value).encode())


# Each is invalid for every key shape (a naive time, say, is a fine name, so none such is here).
BAD_CURSORS = {
    "garbage": "garbage",
    "not-utf8": _b64(b"\xff\xfe"),
    "not-an-array": _json({"o": "x"}),
    "a-string": _json("ab"),
    "empty-array": _json([]),
    "too-long-array": _json(["a", "b", "c", "d"]),
    "number-for-text": _json([1, ID]),
    "number-for-id": _json(["2026-01-01T00:00:00+00:00", 5]),
    "not-a-uuid": _json(["x", "not-a-uuid"]),
    "nul-in-text": _json(["a\x00b", ID]),
    "lone-surrogate-in-text": _b64(b'["\\ud800", "' + ID.encode() + b'"]'),
    "lone-surrogate-in-id": _b64(b'["a", "\\ud800"]'),
    "bad-day": _json(["2026-13-45", "EUR", "USD"]),
    "lone-surrogate-in-day-key": _b64(b'["2026-01-01", "\\ud800", "USD"]'),
    "nul-in-day-key": _json(["2026-01-01", "EUR", "US\x00"]),
    "number-in-day-key": _json(["2026-01-01", 1, "USD"]),
}


def cursor_paged_lists(app: FastAPI) -> list[str]:
    """The path of every GET operation that takes a ``cursor`` query parameter."""
    return sorted(
        path
        for path, operations in app.openapi()["paths"].items()
        if any(p["name"] == "cursor" and p["in"] == "query" for p in operations.get("get", {}).get("parameters", []))
    )


async def _report_schedule(client: httpx.AsyncClient, world: OrgWorld) -> str:
    response = await client.post(
        f"/api/v1/orgs/{world.organization_id}/report-schedules",
        json={
            "name": "Weekly",
            "frequency": "weekly",
            "weekday": 0,
            "hour": 8,
            "time_zone": "UTC",
            "recipients": [world.admin.email],
            "range_preset": "last_7_days",
            "compare": "previous_period",
        },
        headers=world.admin.headers,
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def test_the_lists_are_found(app: FastAPI) -> None:
    lists = cursor_paged_lists(app)
    assert "/api/v1/orgs/{organization_id}/connections/{connection_id}/accounts" in lists
    assert "/api/v1/orgs/{organization_id}/audit-log" in lists
    assert "/api/v1/orgs/{organization_id}/exchange-rates" in lists
    assert len(lists) >= 15, lists


@pytest.mark.parametrize("cursor", list(BAD_CURSORS.values()), ids=list(BAD_CURSORS))
async def test_a_bad_cursor_is_a_400_on_every_cursor_paged_list(
    client: httpx.AsyncClient, app: FastAPI, world: OrgWorld, cursor: str
) -> None:
    # A real parent where one exists before the cursor is read; any other id is a fresh one (the cursor is decoded
    # before the parent is looked up, so a missing parent does not hide a bad cursor).
    ids = {"organization_id": world.organization_id, "schedule_id": await _report_schedule(client, world)}
    failures = []
    for path in cursor_paged_lists(app):
        url = path
        while "{" in url:
            name = url[url.index("{") + 1 : url.index("}")]
            url = url.replace("{" + name + "}", ids.get(name, str(uuid.uuid4())))
        response = await client.get(url, params={"cursor": cursor}, headers=world.admin.headers)
        if response.status_code != 400 or response.json().get("code") != "invalid-cursor":
            failures.append(f"{path}: {response.status_code} {response.text[:200]}")
        elif response.headers["content-type"] != "application/problem+json":
            failures.append(f"{path}: {response.headers['content-type']}")
    assert not failures, "a bad cursor must be a 400 invalid-cursor problem:\n" + "\n".join(failures)
