"""The Meta emulator's write endpoints (``../shared/reference/platform-apis.md`` §B.4) on the wire: creates
``POST /act_{id}/campaigns|adsets|ads`` answer ``{"id"}``, updates ``POST /{id}`` and deletes ``DELETE /{id}`` answer
``{"success": true}``, form-encoded or JSON, and Meta's validation answers with its code 100 envelope and the blamed
field. The simulation follows the writes: a created tree accrues metrics from its creation, a paused campaign stops
spending, a bigger budget spends more.

Each emulator here is private and in-process (ASGI) on a frozen clock the tests move.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import httpx
import pytest

from adpilot.platforms.meta import currency_offset
from adpilot.platforms.types import EntityLevel, EntityStatus, Platform
from adpilot.sandbox.clock import SandboxClock
from adpilot.sandbox.engine import SimAccount
from adpilot.sandbox.meta import MetaEmulatorOptions, create_meta_emulator
from adpilot.sandbox.state import SandboxConfig, SandboxState
from tests.platforms.contract_kit import in_process

VERSION = "v23.0"
DAY = 86_400

# Answers of the reference: a create (§B.4, ``{"id": "<AD_CAMPAIGN_ID>"}``; ids as in the recorded insights row of
# §B.5), an update or delete (§B.4), and Graph's error envelope (§B.6).
RECORDED_CREATE = {"id": "<AD_CAMPAIGN_ID>"}
RECORDED_CAMPAIGN_ID = "23854404676180548"
RECORDED_SUCCESS = {"success": True}
RECORDED_ERROR = {
    "error": {
        "message": "Message describing the error",
        "type": "OAuthException",
        "code": 190,
        "error_subcode": 460,
        "error_user_title": "A title",
        "error_user_msg": "A message",
        "fbtrace_id": "EJplcsCHuLu",
    }
}


@dataclass
class Graph:
    state: SandboxState
    client: httpx.AsyncClient
    base: str
    account: SimAccount
    token: str

    @property
    def act(self) -> str:
        return f"act_{self.account.account_id}"

    async def post(self, path: str, *, as_json: bool = False, **params: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.token}"}
        if as_json:
            return await self.client.post(f"{self.base}/{path}", json=params, headers=headers)
        form = {k: v if isinstance(v, str) else json.dumps(v) for k, v in params.items()}
        return await self.client.post(f"{self.base}/{path}", data=form, headers=headers)

    async def delete(self, path: str) -> httpx.Response:
        return await self.client.delete(f"{self.base}/{path}", headers={"Authorization": f"Bearer {self.token}"})

    async def get(self, path: str, **params: str) -> httpx.Response:
        return await self.client.get(
            f"{self.base}/{path}", params=params, headers={"Authorization": f"Bearer {self.token}"}
        )

    def minor(self, major: int) -> str:
        return str(major * currency_offset(self.account.currency))

    def today(self) -> date:
        return self.state.clock.today(self.account.time_zone)

    async def daily_spend(self, object_id: str, since: date, until: date) -> dict[date, int]:
        """The object's spend per day from its insights edge, in minor units (days without delivery are absent)."""
        answer = await self.get(
            f"{object_id}/insights",
            fields="spend,impressions",
            time_range=json.dumps({"since": since.isoformat(), "until": until.isoformat()}),
            time_increment="1",
            limit="500",
        )
        assert answer.status_code == 200, answer.text
        offset = currency_offset(self.account.currency)
        return {
            date.fromisoformat(row["date_start"]): round(float(row["spend"]) * offset) for row in answer.json()["data"]
        }

    async def tree(self, *, daily_budget: int = 50, status: str = "ACTIVE") -> tuple[str, str, str]:
        """A campaign with a campaign budget, an ad set and an ad, all ``status``."""
        campaign = await self.post(
            f"{self.act}/campaigns",
            name="Writes — campaign",
            objective="OUTCOME_TRAFFIC",
            status=status,
            special_ad_categories=[],
            daily_budget=self.minor(daily_budget),
        )
        assert campaign.status_code == 200, campaign.text
        ad_set = await self.post(
            f"{self.act}/adsets",
            name="Writes — ad set",
            campaign_id=campaign.json()["id"],
            billing_event="IMPRESSIONS",
            optimization_goal="LINK_CLICKS",
            targeting={"geo_locations": {"countries": ["US"]}},
            status=status,
        )
        assert ad_set.status_code == 200, ad_set.text
        ad = await self.post(
            f"{self.act}/ads",
            name="Writes — ad",
            adset_id=ad_set.json()["id"],
            creative={"creative_id": "120000000000042"},
            status=status,
        )
        assert ad.status_code == 200, ad.text
        return campaign.json()["id"], ad_set.json()["id"], ad.json()["id"]


@pytest.fixture
async def graph() -> AsyncIterator[Graph]:
    state = SandboxState.demo(
        seed=11, clock=SandboxClock(frozen=True), config=SandboxConfig(meta_requests_per_second=100_000.0)
    )
    base_url, transport = in_process(Platform.meta, create_meta_emulator(state, options=MetaEmulatorOptions()))
    login = state.world.logins(Platform.meta)[0]
    account = state.world.account(Platform.meta, login.account_ids[0])
    assert account is not None
    token, _ = state.auth.issue_token(Platform.meta, login.login_id, "long_lived", 30 * DAY)
    async with httpx.AsyncClient(transport=transport) as client:
        yield Graph(state, client, f"{base_url}/{VERSION}", account, token)


def assert_error(answer: httpx.Response, code: int, blamed: str | None = None) -> dict[str, Any]:
    assert answer.status_code == 400, answer.text
    error: dict[str, Any] = answer.json()["error"]
    assert set(error) <= set(RECORDED_ERROR["error"]) | {"error_data", "is_transient"}
    assert {"message", "type", "code", "fbtrace_id"} <= set(error)
    assert error["code"] == code
    if blamed is not None:
        assert error["error_data"] == {"blame_field_specs": [[blamed]]}
    return error


class TestWireFormat:
    async def test_creates_answer_the_recorded_id_shape(self, graph: Graph) -> None:
        ids = await graph.tree(status="PAUSED")
        for object_id in ids:
            assert object_id.isdigit() and len(object_id) == len(RECORDED_CAMPAIGN_ID)
        answer = await graph.post(
            f"{graph.act}/campaigns",
            as_json=True,
            name="As JSON",
            objective="OUTCOME_SALES",
            status="PAUSED",
            special_ad_categories=["NONE"],
            is_adset_budget_sharing_enabled=False,
        )
        assert answer.status_code == 200 and set(answer.json()) == set(RECORDED_CREATE)

    async def test_updates_and_deletes_answer_success(self, graph: Graph) -> None:
        campaign_id, ad_set_id, ad_id = await graph.tree(status="PAUSED")
        assert (await graph.post(campaign_id, status="ACTIVE")).json() == RECORDED_SUCCESS
        # JSON bodies are read like forms: this ad set's budget is its campaign's, so it has none to change.
        assert_error(await graph.post(ad_set_id, as_json=True, daily_budget="100"), 100, "daily_budget")
        assert (await graph.post(ad_set_id, as_json=True, name="Renamed")).json() == RECORDED_SUCCESS
        assert (await graph.post(ad_id, name="Renamed ad")).json() == RECORDED_SUCCESS
        assert (await graph.delete(ad_id)).json() == RECORDED_SUCCESS
        ad = graph.state.world.entity(Platform.meta, ad_id)
        assert ad is not None and ad.status is EntityStatus.removed
        listed = await graph.get(ad_id, fields="status,effective_status")
        assert listed.json() == {"id": ad_id, "status": "DELETED", "effective_status": "DELETED"}

    async def test_ad_set_bids_are_minor_unit_integers(self, graph: Graph) -> None:
        campaign = await graph.post(
            f"{graph.act}/campaigns",
            name="Bids",
            objective="OUTCOME_TRAFFIC",
            status="PAUSED",
            special_ad_categories=[],
            is_adset_budget_sharing_enabled="false",
        )
        base = {
            "name": "Bid cap",
            "campaign_id": campaign.json()["id"],
            "daily_budget": graph.minor(20),
            "billing_event": "IMPRESSIONS",
            "optimization_goal": "LINK_CLICKS",
            "targeting": {"geo_locations": {"countries": ["US"]}},
            "bid_strategy": "LOWEST_COST_WITH_BID_CAP",
        }
        assert_error(await graph.post(f"{graph.act}/adsets", **base), 100, "bid_amount")
        assert_error(await graph.post(f"{graph.act}/adsets", **{**base, "bid_strategy": "CHEAPEST"}), 100)
        assert_error(await graph.post(f"{graph.act}/adsets", **{**base, "bid_amount": "1.5"}), 100, "bid_amount")
        created = await graph.post(f"{graph.act}/adsets", **{**base, "bid_amount": "150"})
        assert created.status_code == 200, created.text
        ad_set_id = created.json()["id"]
        read = await graph.get(ad_set_id, fields="bid_amount,bid_strategy,daily_budget")
        assert read.json() == {
            "id": ad_set_id,
            "bid_amount": 150,
            "bid_strategy": "LOWEST_COST_WITH_BID_CAP",
            "daily_budget": graph.minor(20),
        }
        assert (await graph.post(ad_set_id, bid_amount=200)).json() == RECORDED_SUCCESS
        assert (await graph.get(ad_set_id, fields="bid_amount")).json()["bid_amount"] == 200
        # A campaign has no bid amount of its own, and nothing takes parameters Meta does not know.
        assert_error(await graph.post(campaign.json()["id"], bid_amount=100), 100, "bid_amount")
        assert_error(await graph.post(ad_set_id, colour="blue"), 100, "colour")

    async def test_end_times_names_and_lifetime_budgets_are_updated(self, graph: Graph) -> None:
        campaign_id, ad_set_id, ad_id = await graph.tree(status="PAUSED")
        end = "2099-12-31T23:59:59-0800"
        assert (await graph.post(ad_set_id, end_time=end)).json() == RECORDED_SUCCESS
        assert (await graph.post(campaign_id, stop_time=end)).json() == RECORDED_SUCCESS
        assert (await graph.get(ad_set_id, fields="end_time")).json()["end_time"][:10] == "2099-12-31"
        assert (await graph.get(campaign_id, fields="stop_time")).json()["stop_time"][:10] == "2099-12-31"
        assert_error(await graph.post(ad_set_id, end_time="2020-01-01T00:00:00+0000"), 100, "end_time")
        assert_error(await graph.post(ad_set_id, end_time="tomorrow"), 100, "end_time")
        # An ad has no end of its own; a campaign's is stop_time, not end_time.
        assert_error(await graph.post(ad_id, end_time=end), 100, "end_time")
        assert_error(await graph.post(campaign_id, end_time=end), 100, "end_time")
        assert (await graph.post(ad_id, name="Renamed ad")).json() == RECORDED_SUCCESS
        assert (await graph.get(ad_id, fields="name")).json()["name"] == "Renamed ad"
        # The campaign's daily budget cannot become a lifetime one.
        assert_error(await graph.post(campaign_id, lifetime_budget=graph.minor(500)), 100, "lifetime_budget")

    async def test_creates_are_validated_like_meta(self, graph: Graph) -> None:
        campaign_id, ad_set_id, _ = await graph.tree(status="PAUSED")
        ad_set = {
            "name": "Ad set",
            "campaign_id": campaign_id,
            "billing_event": "IMPRESSIONS",
            "optimization_goal": "LINK_CLICKS",
            "targeting": {"geo_locations": {"countries": ["US"]}},
        }
        cases: list[tuple[str, dict[str, Any], str]] = [
            ("adsets", {**ad_set, "daily_budget": graph.minor(10)}, "daily_budget"),  # the campaign has the budget
            ("adsets", {**ad_set, "billing_event": "SOMETIMES"}, "billing_event"),
            ("adsets", {**ad_set, "targeting": {"age_min": 18}}, "targeting"),
            ("adsets", {**ad_set, "campaign_id": "1999999999999999"}, "campaign_id"),
            ("ads", {"name": "Ad", "adset_id": ad_set_id}, "creative"),
            ("ads", {"name": "Ad", "adset_id": ad_set_id, "creative": {"id": "x"}}, "creative"),
            ("campaigns", {"name": "C", "objective": "OUTCOME_SALES", "status": "ON"}, "status"),
        ]
        for edge, params, blamed in cases:
            assert_error(await graph.post(f"{graph.act}/{edge}", **params), 100, blamed)

    async def test_an_ad_takes_its_creative_inline(self, graph: Graph) -> None:
        _, ad_set_id, _ = await graph.tree(status="PAUSED")
        link = {"link": "https://shop.example.com/?utm_source=meta", "message": "Spring", "name": "Fresh flowers"}
        spec = {"page_id": "104000000000001", "link_data": link}
        ad = await graph.post(
            f"{graph.act}/ads", name="Inline", adset_id=ad_set_id, status="PAUSED", creative={"object_story_spec": spec}
        )
        assert ad.status_code == 200, ad.text
        created = graph.state.world.entity(Platform.meta, ad.json()["id"])
        assert created is not None and created.attributes["link"] == link["link"]
        for broken in ({**spec, "page_id": "a page"}, {**spec, "link_data": {"link": "shop.example.com"}}):
            answer = await graph.post(
                f"{graph.act}/ads", name="Bad", adset_id=ad_set_id, creative={"object_story_spec": broken}
            )
            assert_error(answer, 100, "creative")

    async def test_a_deleted_object_cannot_be_edited(self, graph: Graph) -> None:
        campaign_id, ad_set_id, _ = await graph.tree(status="PAUSED")
        assert (await graph.delete(campaign_id)).json() == RECORDED_SUCCESS
        error = assert_error(await graph.post(campaign_id, status="ACTIVE"), 100)
        assert error["error_user_msg"] == "This object has been deleted and can no longer be edited."
        listed = await graph.get(ad_set_id, fields="effective_status")
        assert listed.json()["effective_status"] == "DELETED"


class TestSimulationFollowsWrites:
    async def test_a_created_tree_accrues_metrics_from_its_creation(self, graph: Graph) -> None:
        created_on = graph.today()
        campaign_id, ad_set_id, ad_id = await graph.tree(daily_budget=80)
        assert await graph.daily_spend(campaign_id, created_on - timedelta(days=3), created_on) == {}
        graph.state.clock.advance(3 * DAY)
        full_days = [created_on + timedelta(days=n) for n in (1, 2)]
        spend = await graph.daily_spend(campaign_id, created_on - timedelta(days=3), full_days[-1])
        assert min(spend) >= created_on
        assert all(spend.get(day, 0) > 0 for day in full_days)
        # Every level of the new tree reports the same delivery.
        for object_id in (ad_set_id, ad_id):
            assert await graph.daily_spend(object_id, created_on, full_days[-1]) == spend

    async def test_a_paused_campaign_stops_spending(self, graph: Graph) -> None:
        campaign_id, _, _ = await graph.tree(daily_budget=80)
        graph.state.clock.advance(2 * DAY)
        paused_on = graph.today()
        assert (await graph.post(campaign_id, status="PAUSED")).json() == RECORDED_SUCCESS
        graph.state.clock.advance(3 * DAY)
        spend = await graph.daily_spend(campaign_id, paused_on - timedelta(days=1), graph.today())
        assert spend.get(paused_on - timedelta(days=1), 0) > 0
        assert not [day for day in spend if day > paused_on]
        listed = await graph.get(campaign_id, fields="effective_status")
        assert listed.json()["effective_status"] == "PAUSED"

    async def test_a_bigger_budget_spends_more(self, graph: Graph) -> None:
        campaign_id, _, _ = await graph.tree(daily_budget=5)
        graph.state.clock.advance(3 * DAY)
        raised_on = graph.today()
        assert (await graph.post(campaign_id, daily_budget=graph.minor(100))).json() == RECORDED_SUCCESS
        graph.state.clock.advance(3 * DAY)
        before = [raised_on - timedelta(days=n) for n in (1, 2)]
        after = [raised_on + timedelta(days=n) for n in (1, 2)]
        spend = await graph.daily_spend(campaign_id, before[-1], after[-1])
        assert min(spend[day] for day in after) > 2 * max(spend[day] for day in before)
        assert all(spend[day] <= 2 * int(graph.minor(5)) for day in before)
        read = await graph.get(campaign_id, fields="daily_budget")
        assert read.json()["daily_budget"] == graph.minor(100)

    async def test_the_simulation_reads_the_written_budget(self, graph: Graph) -> None:
        campaign_id, _, _ = await graph.tree(daily_budget=40)
        campaign = graph.state.world.entity(Platform.meta, campaign_id)
        assert campaign is not None and campaign.level is EntityLevel.campaign
        assert campaign.daily_budget_micros == 40 * 1_000_000
