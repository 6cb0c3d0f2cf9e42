"""The Meta emulator's dispatch: Graph addresses nodes by id, and a wrong method or an unknown edge on each kind of
node (the user, an ad account, an object, a report run) gets the answer Graph gives it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest

from adpilot.platforms.types import EntityLevel, Platform
from adpilot.sandbox.clock import SandboxClock
from adpilot.sandbox.meta import create_meta_emulator
from adpilot.sandbox.meta.app import ROUTES, GraphRoutes
from adpilot.sandbox.meta.context import ALL_METHODS, GraphRoute
from adpilot.sandbox.state import SandboxState
from tests.sandbox.conftest import FROZEN_AT

VERSION = "v21.0"


@dataclass
class Graph:
    client: httpx.AsyncClient
    login_id: str
    account_id: str
    campaign_id: str

    async def call(self, method: str, path: str, **params: str) -> httpx.Response:
        return await self.client.request(method, f"/{VERSION}/{path}", params=params)


@pytest.fixture
async def graph() -> AsyncIterator[Graph]:
    state = SandboxState.demo(seed=3, clock=SandboxClock(start=FROZEN_AT, frozen=True))
    login = state.world.logins(Platform.meta)[0]
    token, _ = state.auth.issue_token(Platform.meta, login.login_id, "access", 3600)
    account_id = login.account_ids[0]
    campaign = state.world.entities(Platform.meta, account_id, EntityLevel.campaign)[0]
    transport = httpx.ASGITransport(app=create_meta_emulator(state))
    headers = {"authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(transport=transport, base_url="http://meta.test", headers=headers) as client:
        yield Graph(client, login.login_id, account_id, campaign.id)


def assert_unsupported(response: httpx.Response, method: str, object_id: str) -> None:
    assert response.status_code == 400
    error = response.json()["error"]
    assert (error["code"], error["error_subcode"], error["type"]) == (100, 33, "GraphMethodException")
    assert error["message"].startswith(f"Unsupported {method.lower()} request. Object with ID '{object_id}'")


def assert_nonexisting(response: httpx.Response, edge: str, node_type: str) -> None:
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == 100
    assert error["message"] == f"(#100) Tried accessing nonexisting field ({edge}) on node type ({node_type})"


async def report_run(graph: Graph) -> str:
    started = await graph.call("POST", f"act_{graph.account_id}/insights", level="campaign", date_preset="last_7d")
    assert started.status_code == 200
    run_id: str = started.json()["report_run_id"]
    return run_id


async def test_a_wrong_method_on_a_served_node_or_edge_is_an_unsupported_request(graph: Graph) -> None:
    act = f"act_{graph.account_id}"
    assert_unsupported(await graph.call("POST", "me"), "POST", graph.login_id)
    assert_unsupported(await graph.call("DELETE", act), "DELETE", act)
    assert_unsupported(await graph.call("DELETE", f"{act}/campaigns"), "DELETE", act)
    assert_unsupported(await graph.call("POST", f"{graph.campaign_id}/insights"), "POST", graph.campaign_id)
    run_id = await report_run(graph)
    assert_unsupported(await graph.call("POST", run_id), "POST", run_id)
    assert_unsupported(await graph.call("POST", f"{run_id}/insights"), "POST", run_id)


async def test_an_unknown_edge_is_a_nonexisting_field_of_the_node_type(graph: Graph) -> None:
    assert_nonexisting(await graph.call("GET", "me/campaigns"), "campaigns", "User")
    # The user's own edges answer another method as a field the user does not have.
    assert_nonexisting(await graph.call("POST", "me/permissions"), "permissions", "User")
    assert_nonexisting(await graph.call("DELETE", "me/adaccounts"), "adaccounts", "User")
    assert_nonexisting(await graph.call("GET", f"act_{graph.account_id}/adcreatives"), "adcreatives", "AdAccount")
    assert_nonexisting(await graph.call("DELETE", f"{graph.campaign_id}/adsets"), "adsets", "Campaign")
    run_id = await report_run(graph)
    assert_nonexisting(await graph.call("GET", f"{run_id}/rows"), "rows", "AdReportRun")


async def test_an_insights_edge_counts_as_insights_whatever_the_method(graph: Graph) -> None:
    refused = await graph.call("DELETE", f"act_{graph.account_id}/insights")
    assert_unsupported(refused, "DELETE", f"act_{graph.account_id}")
    assert '"type":"ads_insights"' in refused.headers["x-business-use-case-usage"]
    assert "x-fb-ads-insights-throttle" in refused.headers
    listed = await graph.call("GET", f"act_{graph.account_id}/campaigns")
    assert '"type":"ads_management"' in listed.headers["x-business-use-case-usage"]
    assert "x-fb-ads-insights-throttle" not in listed.headers


def test_every_node_edge_and_method_has_one_route() -> None:
    keys = list(ROUTES.by_node)
    assert len(keys) == len(set(keys))
    assert {"oauth/access_token", "debug_token"} == set(ROUTES.public)
    for kind in ("me", "account", "object", "report_run"):
        assert ROUTES.serves(kind, None)

    async def handler(*_: object) -> None:
        return None

    twice = [GraphRoute("object", None, ALL_METHODS, handler), GraphRoute("object", None, frozenset({"GET"}), handler)]
    with pytest.raises(ValueError, match="served twice"):
        GraphRoutes.of(twice)
