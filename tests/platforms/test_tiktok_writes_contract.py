"""The TikTok emulator's write endpoints on the wire: ``campaign/create/``, ``campaign/status/update/`` (the bodies
of ``../shared/reference/platform-apis.md`` §C.3), ``adgroup/create/``, ``adgroup/update/`` bids, ``ad/create/`` and
``ad/update/`` (the fields of TikTok's official SDK bodies: the reference gives campaigns only). Every answer is
TikTok's envelope on HTTP 200, errors 40002 with ``"<field>: <what is wrong>"``. The simulation follows the writes: a
created tree accrues metrics from its creation, a disabled ad group stops spending, a bigger budget spends more.

TikTok has no official Python SDK published for the v1.3 Marketing API that these tests could drive, so the bodies
are the reference's and the SDK documentation's.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import httpx
import pytest

from adpilot.platforms.types import EntityLevel, EntityStatus, Platform
from adpilot.sandbox.clock import SandboxClock
from adpilot.sandbox.engine import SimAccount
from adpilot.sandbox.state import SandboxConfig, SandboxState
from adpilot.sandbox.tiktok import create_tiktok_emulator
from tests.platforms.contract_kit import in_process

DAY = 86_400
# §C.3: the reference's create body and the recorded-style answers.
RECORDED_CREATE_BODY = {
    "campaign_name": "Spring Sale",
    "objective_type": "TRAFFIC",
    "budget_mode": "BUDGET_MODE_DAY",
    "budget": 50.0,
    "operation_status": "DISABLE",
}
RECORDED_ENVELOPE_KEYS = {"code", "message", "request_id", "data"}
RECORDED_STATUS_UPDATE_DATA = {
    "campaign_ids": [1800000000000001],
    "status": "DISABLE",
    "campaign_list": [{"campaign_id": "1800000000000001", "status": "DISABLE"}],
}
RECORDED_CAMPAIGN_KEYS = {
    "campaign_id",
    "campaign_name",
    "advertiser_id",
    "budget",
    "budget_mode",
    "secondary_status",
    "objective_type",
    "create_time",
    "modify_time",
    "is_new_structure",
    "campaign_type",
    "operation_status",
    "budget_optimize_on",
}


@dataclass
class OpenApi:
    state: SandboxState
    client: httpx.AsyncClient
    base: str
    account: SimAccount
    token: str

    async def post(self, path: str, **body: Any) -> dict[str, Any]:
        answer = await self.client.post(
            f"{self.base}/{path}",
            json={"advertiser_id": self.account.account_id, **body},
            headers={"Access-Token": self.token},
        )
        assert answer.status_code == 200
        envelope: dict[str, Any] = answer.json()
        assert set(envelope) == RECORDED_ENVELOPE_KEYS
        return envelope

    async def ok(self, path: str, **body: Any) -> dict[str, Any]:
        envelope = await self.post(path, **body)
        assert (envelope["code"], envelope["message"]) == (0, "OK"), envelope
        data: dict[str, Any] = envelope["data"]
        return data

    async def refused(self, path: str, field: str, **body: Any) -> str:
        envelope = await self.post(path, **body)
        assert envelope["code"] == 40002 and envelope["data"] == {}, envelope
        message: str = envelope["message"]
        assert message.startswith(f"{field}:"), message
        return message

    async def get(self, path: str, **params: str) -> dict[str, Any]:
        answer = await self.client.get(
            f"{self.base}/{path}",
            params={"advertiser_id": self.account.account_id, **params},
            headers={"Access-Token": self.token},
        )
        envelope: dict[str, Any] = answer.json()
        assert envelope["code"] == 0, envelope
        data: dict[str, Any] = envelope["data"]
        return data

    def today(self) -> date:
        return self.state.clock.today(self.account.time_zone)

    async def daily_spend(self, campaign_id: str, since: date, until: date) -> dict[date, float]:
        data = await self.get(
            "report/integrated/get/",
            service_type="AUCTION",
            report_type="BASIC",
            data_level="AUCTION_CAMPAIGN",
            dimensions=json.dumps(["campaign_id", "stat_time_day"]),
            metrics=json.dumps(["spend", "impressions"]),
            start_date=since.isoformat(),
            end_date=until.isoformat(),
            filtering=json.dumps(
                [{"field_name": "campaign_ids", "filter_type": "IN", "filter_value": json.dumps([campaign_id])}]
            ),
            page_size="1000",
        )
        return {
            date.fromisoformat(row["dimensions"]["stat_time_day"][:10]): float(row["metrics"]["spend"])
            for row in data["list"]
            if float(row["metrics"]["spend"]) > 0
        }

    async def campaign(self, **changes: Any) -> str:
        data = await self.ok("campaign/create/", **{**RECORDED_CREATE_BODY, **changes})
        return str(data["campaign_id"])

    async def adgroup(self, campaign_id: str, **changes: Any) -> dict[str, Any]:
        body = {
            "campaign_id": campaign_id,
            "adgroup_name": "US 18-34",
            "placement_type": "PLACEMENT_TYPE_AUTOMATIC",
            "location_ids": ["6252001"],
            "budget_mode": "BUDGET_MODE_DAY",
            "budget": 40.0,
            "schedule_type": "SCHEDULE_FROM_NOW",
            "schedule_start_time": "2026-01-01 00:00:00",
            "optimization_goal": "CLICK",
            "billing_event": "CPC",
            "pacing": "PACING_MODE_SMOOTH",
            **changes,
        }
        return await self.ok("adgroup/create/", **{k: v for k, v in body.items() if v is not None})

    async def tree(self, *, status: str = "ENABLE", budget: float = 40.0) -> tuple[str, str, str]:
        campaign_id = await self.campaign(budget_mode="BUDGET_MODE_INFINITE", budget=None, operation_status=status)
        adgroup_id = (await self.adgroup(campaign_id, budget=budget, operation_status=status))["adgroup_id"]
        ads = await self.ok("ad/create/", adgroup_id=adgroup_id, creatives=[creative("Hook A")])
        return campaign_id, adgroup_id, ads["ad_ids"][0]


def creative(name: str, **changes: Any) -> dict[str, Any]:
    return {
        "ad_name": name,
        "ad_format": "SINGLE_VIDEO",
        "ad_text": "Spring sale: 20% off everything",
        "identity_type": "CUSTOMIZED_USER",
        "identity_id": "7000000000000000001",
        "display_name": "Example Shop",
        "video_id": "v10033g50000c0example",
        "call_to_action": "SHOP_NOW",
        "landing_page_url": "https://shop.example.com/spring",
        **changes,
    }


@pytest.fixture
async def api() -> AsyncIterator[OpenApi]:
    state = SandboxState.demo(
        seed=11, clock=SandboxClock(frozen=True), config=SandboxConfig(tiktok_requests_per_second=100_000.0)
    )
    base_url, transport = in_process(Platform.tiktok, create_tiktok_emulator(state))
    login = state.world.logins(Platform.tiktok)[0]
    account = state.world.account(Platform.tiktok, login.account_ids[0])
    assert account is not None
    token, _ = state.auth.issue_token(Platform.tiktok, login.login_id, "long_lived", None)
    async with httpx.AsyncClient(transport=transport) as client:
        yield OpenApi(state, client, f"{base_url}/open_api/v1.3", account, token)


class TestCampaigns:
    async def test_the_reference_body_creates_a_campaign_shaped_like_the_recorded_one(self, api: OpenApi) -> None:
        data = await api.ok("campaign/create/", **RECORDED_CREATE_BODY, request_id="734512398712")
        assert set(data) >= RECORDED_CAMPAIGN_KEYS
        assert (data["budget"], data["budget_mode"], data["operation_status"]) == (50.0, "BUDGET_MODE_DAY", "DISABLE")

    async def test_status_updates_answer_the_recorded_shape(self, api: OpenApi) -> None:
        campaign_id = await api.campaign(operation_status="ENABLE")
        data = await api.ok("campaign/status/update/", campaign_ids=[campaign_id], operation_status="DISABLE")
        assert set(data) == set(RECORDED_STATUS_UPDATE_DATA)
        assert data["campaign_list"] == [{"campaign_id": campaign_id, "status": "DISABLE"}]


class TestAdGroups:
    async def test_an_ad_group_with_its_own_budget_and_a_bid_cap(self, api: OpenApi) -> None:
        campaign_id = await api.campaign(budget_mode="BUDGET_MODE_INFINITE", budget=None)
        data = await api.adgroup(campaign_id, bid_type="BID_TYPE_CUSTOM", bid_price=1.25)
        assert (data["bid_type"], data["bid_price"], data["billing_event"]) == ("BID_TYPE_CUSTOM", 1.25, "CPC")
        assert (data["budget"], data["budget_mode"], data["campaign_id"]) == (40.0, "BUDGET_MODE_DAY", campaign_id)
        listed = await api.get(
            "adgroup/get/", filtering=json.dumps({"adgroup_ids": [data["adgroup_id"]]}), page_size="10"
        )
        (read,) = listed["list"]
        assert (read["adgroup_name"], read["bid_price"], read["optimization_goal"]) == ("US 18-34", 1.25, "CLICK")
        entity = api.state.world.entity(Platform.tiktok, data["adgroup_id"])
        assert entity is not None and entity.daily_budget_micros == 40_000_000

        await api.ok("adgroup/update/", adgroup_id=data["adgroup_id"], bid_price=1.5)
        listed = await api.get("adgroup/get/", filtering=json.dumps({"adgroup_ids": [data["adgroup_id"]]}))
        assert listed["list"][0]["bid_price"] == 1.5
        await api.refused("adgroup/update/", "bid_price", adgroup_id=data["adgroup_id"], bid_price=40.0)

    async def test_an_ad_group_end_time_and_a_repeated_request_id(self, api: OpenApi) -> None:
        campaign_id = await api.campaign(budget_mode="BUDGET_MODE_INFINITE", budget=None)
        adgroup_id = (await api.adgroup(campaign_id, bid_type="BID_TYPE_CUSTOM", bid_price=1.25))["adgroup_id"]
        end = f"{(api.today() + timedelta(days=20)).isoformat()} 23:59:59"
        await api.refused("adgroup/update/", "schedule_end_time", adgroup_id=adgroup_id, schedule_end_time=end)
        start_end = {"schedule_type": "SCHEDULE_START_END", "schedule_start_time": "2026-01-01 00:00:00"}
        data = await api.ok("adgroup/update/", adgroup_id=adgroup_id, schedule_end_time=end, **start_end)
        assert (data["schedule_type"], data["schedule_end_time"]) == ("SCHEDULE_START_END", end)
        past = f"{(api.today() - timedelta(days=2)).isoformat()} 23:59:59"
        await api.refused("adgroup/update/", "schedule_end_time", adgroup_id=adgroup_id, schedule_end_time=past)
        early = "2025-12-31 23:59:59"
        await api.refused("adgroup/update/", "schedule_end_time", adgroup_id=adgroup_id, schedule_end_time=early)
        # A write repeated with its request_id is answered again, not applied again.
        first = await api.ok("adgroup/update/", adgroup_id=adgroup_id, bid_price=1.5, request_id="734512398712")
        await api.ok("adgroup/update/", adgroup_id=adgroup_id, bid_price=1.75)
        again = await api.ok("adgroup/update/", adgroup_id=adgroup_id, bid_price=1.5, request_id="734512398712")
        assert again == first and again["bid_price"] == 1.5
        listed = await api.get("adgroup/get/", filtering=json.dumps({"adgroup_ids": [adgroup_id]}), page_size="10")
        assert listed["list"][0]["bid_price"] == 1.75
        await api.refused("adgroup/update/", "request_id", adgroup_id=adgroup_id, bid_price=1.5, request_id="x1")

    async def test_under_campaign_budget_optimization_the_ad_group_has_no_budget(self, api: OpenApi) -> None:
        campaign_id = await api.campaign(operation_status="ENABLE")  # BUDGET_MODE_DAY, 50.0: CBO
        await api.refused("adgroup/create/", "bid_type", campaign_id=campaign_id, **_cbo_adgroup(bid_type=None))
        data = await api.ok("adgroup/create/", campaign_id=campaign_id, **_cbo_adgroup())
        assert data["budget_mode"] == "BUDGET_MODE_INFINITE" and data["bid_type"] == "BID_TYPE_NO_BID"

    async def test_ad_groups_are_validated_like_tiktok(self, api: OpenApi) -> None:
        campaign_id = await api.campaign(budget_mode="BUDGET_MODE_INFINITE", budget=None)
        cases: list[tuple[str, dict[str, Any]]] = [
            ("campaign_id", {"campaign_id": "1800000000000000999"}),
            ("adgroup_name", {"adgroup_name": ""}),
            ("location_ids", {"location_ids": []}),
            ("placements", {"placement_type": "PLACEMENT_TYPE_NORMAL"}),
            ("schedule_start_time", {"schedule_start_time": "2026-01-01"}),
            ("schedule_end_time", {"schedule_type": "SCHEDULE_START_END"}),
            ("schedule_end_time", {"budget_mode": "BUDGET_MODE_TOTAL"}),
            ("budget_mode", {"budget_mode": "BUDGET_MODE_INFINITE"}),
            ("budget", {"budget": None}),
            ("pacing", {"pacing": None}),
            ("billing_event", {"billing_event": "CPA"}),
            ("optimization_goal", {"optimization_goal": "EVERYTHING"}),
            ("bid_price", {"bid_type": "BID_TYPE_CUSTOM"}),
            ("bid_price", {"bid_type": "BID_TYPE_CUSTOM", "bid_price": 40.0}),  # not below the budget
            ("bid_price", {"bid_price": 1.0}),  # no custom bid
            ("conversion_bid_price", {"bid_type": "BID_TYPE_CUSTOM", "billing_event": "OCPM", "bid_price": 1.0}),
        ]
        body = {
            "adgroup_name": "US 18-34",
            "location_ids": ["6252001"],
            "budget_mode": "BUDGET_MODE_DAY",
            "budget": 40.0,
            "schedule_type": "SCHEDULE_FROM_NOW",
            "schedule_start_time": "2026-01-01 00:00:00",
            "optimization_goal": "CLICK",
            "billing_event": "CPC",
            "pacing": "PACING_MODE_SMOOTH",
        }
        for field, changes in cases:
            merged = {"campaign_id": campaign_id, **body, **changes}
            await api.refused("adgroup/create/", field, **{k: v for k, v in merged.items() if v is not None})
        assert not api.state.world.children(Platform.tiktok, campaign_id)

    async def test_an_ad_group_create_is_idempotent_on_request_id(self, api: OpenApi) -> None:
        campaign_id = await api.campaign(budget_mode="BUDGET_MODE_INFINITE", budget=None)
        first = await api.adgroup(campaign_id, request_id="9001")
        second = await api.adgroup(campaign_id, request_id="9001")
        assert first["adgroup_id"] == second["adgroup_id"]
        assert len(api.state.world.children(Platform.tiktok, campaign_id)) == 1


def _cbo_adgroup(**changes: Any) -> dict[str, Any]:
    body = {
        "adgroup_name": "CBO group",
        "location_ids": ["6252001"],
        "schedule_type": "SCHEDULE_FROM_NOW",
        "schedule_start_time": "2026-01-01 00:00:00",
        "optimization_goal": "CLICK",
        "billing_event": "CPC",
        "bid_type": "BID_TYPE_NO_BID",
        **changes,
    }
    return {k: v for k, v in body.items() if v is not None}


class TestAds:
    async def test_ads_are_created_all_or_none_and_updated(self, api: OpenApi) -> None:
        campaign_id = await api.campaign(budget_mode="BUDGET_MODE_INFINITE", budget=None)
        adgroup_id = (await api.adgroup(campaign_id))["adgroup_id"]
        await api.refused(
            "ad/create/",
            "creatives[1].video_id",
            adgroup_id=adgroup_id,
            creatives=[creative("Hook A"), creative("Hook B", video_id=None)],
        )
        assert not api.state.world.children(Platform.tiktok, adgroup_id)
        data = await api.ok("ad/create/", adgroup_id=adgroup_id, creatives=[creative("Hook A"), creative("Hook B")])
        assert set(data) == {"ad_ids", "creatives"} and len(data["ad_ids"]) == 2
        assert [ad["ad_name"] for ad in data["creatives"]] == ["Hook A", "Hook B"]
        assert all(ad["adgroup_id"] == adgroup_id and ad["campaign_id"] == campaign_id for ad in data["creatives"])
        first = data["ad_ids"][0]

        updated = await api.ok(
            "ad/update/",
            adgroup_id=adgroup_id,
            creatives=[{"ad_id": first, "ad_name": "Hook A v2", "ad_text": "Now 30% off"}],
        )
        assert updated["ad_ids"] == [first]
        (ad,) = updated["creatives"]
        assert (ad["ad_name"], ad["ad_text"], ad["video_id"]) == ("Hook A v2", "Now 30% off", "v10033g50000c0example")
        listed = await api.get("ad/get/", filtering=json.dumps({"ad_ids": [first]}))
        assert listed["list"][0]["ad_name"] == "Hook A v2"

    async def test_ads_are_validated_like_tiktok(self, api: OpenApi) -> None:
        campaign_id, adgroup_id, ad_id = await api.tree(status="DISABLE")
        other_group = (await api.adgroup(campaign_id))["adgroup_id"]
        cases: list[tuple[str, dict[str, Any]]] = [
            ("creatives", {"adgroup_id": adgroup_id, "creatives": []}),
            ("creatives", {"adgroup_id": adgroup_id, "creatives": [creative(f"A{n}") for n in range(21)]}),
            ("adgroup_id", {"adgroup_id": "1700000000000000999", "creatives": [creative("A")]}),
            ("creatives[0].ad_format", {"adgroup_id": adgroup_id, "creatives": [creative("A", ad_format="GIF")]}),
            ("creatives[0].ad_text", {"adgroup_id": adgroup_id, "creatives": [creative("A", ad_text="x" * 101)]}),
            ("creatives[0].identity_id", {"adgroup_id": adgroup_id, "creatives": [creative("A", identity_id="")]}),
            (
                "creatives[0].landing_page_url",
                {"adgroup_id": adgroup_id, "creatives": [creative("A", landing_page_url="shop.example.com")]},
            ),
            (
                "creatives[0].image_ids",
                {"adgroup_id": adgroup_id, "creatives": [creative("A", ad_format="SINGLE_IMAGE")]},
            ),
        ]
        for field, body in cases:
            await api.refused("ad/create/", field, **body)
        await api.refused(
            "ad/update/", "creatives[0].ad_id", adgroup_id=other_group, creatives=[{"ad_id": ad_id, "ad_name": "X"}]
        )
        await api.ok("ad/status/update/", ad_ids=[ad_id], operation_status="DELETE")
        await api.refused(
            "ad/update/", "creatives[0].ad_id", adgroup_id=adgroup_id, creatives=[{"ad_id": ad_id, "ad_name": "X"}]
        )


class TestSimulationFollowsWrites:
    async def test_a_created_tree_accrues_metrics_from_its_creation(self, api: OpenApi) -> None:
        created_on = api.today()
        campaign_id, adgroup_id, ad_id = await api.tree(budget=60.0)
        assert await api.daily_spend(campaign_id, created_on - timedelta(days=3), created_on) == {}
        api.state.clock.advance(3 * DAY)
        spend = await api.daily_spend(campaign_id, created_on - timedelta(days=3), created_on + timedelta(days=2))
        assert min(spend) >= created_on
        assert all(spend.get(created_on + timedelta(days=n), 0) > 0 for n in (1, 2))
        world = api.state.world
        ad = world.entity(Platform.tiktok, ad_id)
        assert ad is not None and (ad.campaign_id, ad.parent_id) == (campaign_id, adgroup_id)

    async def test_a_disabled_ad_group_stops_spending(self, api: OpenApi) -> None:
        campaign_id, adgroup_id, _ = await api.tree(budget=60.0)
        api.state.clock.advance(2 * DAY)
        stopped_on = api.today()
        await api.ok("adgroup/status/update/", adgroup_ids=[adgroup_id], operation_status="DISABLE")
        api.state.clock.advance(3 * DAY)
        spend = await api.daily_spend(campaign_id, stopped_on - timedelta(days=1), api.today())
        assert spend.get(stopped_on - timedelta(days=1), 0) > 0
        assert not [day for day in spend if day > stopped_on]

    async def test_a_bigger_budget_spends_more(self, api: OpenApi) -> None:
        campaign_id, adgroup_id, _ = await api.tree(budget=5.0)
        api.state.clock.advance(3 * DAY)
        raised_on = api.today()
        await api.ok("adgroup/update/", adgroup_id=adgroup_id, budget=100.0)
        api.state.clock.advance(3 * DAY)
        before = [raised_on - timedelta(days=n) for n in (1, 2)]
        after = [raised_on + timedelta(days=n) for n in (1, 2)]
        spend = await api.daily_spend(campaign_id, before[-1], after[-1])
        assert min(spend[day] for day in after) > max(spend[day] for day in before)
        adgroup = api.state.world.entity(Platform.tiktok, adgroup_id)
        assert adgroup is not None and adgroup.level is EntityLevel.ad_group
        assert adgroup.daily_budget_micros == 100_000_000 and adgroup.status is EntityStatus.active
