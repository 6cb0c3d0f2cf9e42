"""TikTok's official Python SDK (``tiktok-business-api-sdk-official``, package ``business_api_client``) against the
emulator, over real HTTP: the SDK's own request bodies and query encoding (lists and objects as JSON strings, the
``Access-Token`` header) for reads and writes, and its models reading the answers. The SDK hands back
``{"data", "request_id"}`` when the envelope's ``code`` is 0 and raises ``TiktokSDKError`` (with the code and message
in its text) otherwise, so an emulator answering an error as a success, or the reverse, fails here.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from business_api_client.api.account_management_api import AccountManagementApi
from business_api_client.api.ad_api import AdApi
from business_api_client.api.adgroup_api import AdgroupApi
from business_api_client.api.campaign_creation_api import CampaignCreationApi
from business_api_client.api.reporting_api import ReportingApi
from business_api_client.api_client import ApiClient
from business_api_client.configuration import Configuration
from business_api_client.models import (
    AdCreateBody,
    AdcreateCreatives,
    AdgroupCreateBody,
    AdgroupUpdateBody,
    AdUpdateBody,
    AdupdateCreatives,
    CampaignCreateBody,
    CampaignStatusUpdateBody,
)
from business_api_client.tiktok_business.tiktok_exceptions import TiktokSDKError

from adpilot.platforms.types import EntityLevel, EntityStatus, Platform
from adpilot.sandbox.clock import SandboxClock
from adpilot.sandbox.state import SandboxConfig, SandboxState
from tests.sandbox_fixtures import SandboxServer, serve_sandbox


class Sdk:
    """The SDK's API objects with their host pointed at the sandbox, and a token of the first TikTok login."""

    def __init__(self, server: SandboxServer) -> None:
        self.state = server.state
        login = self.state.world.logins(Platform.tiktok)[0]
        self.advertiser_id = login.account_ids[0]
        self.token, _ = self.state.auth.issue_token(Platform.tiktok, login.login_id, "long_lived", None)
        configuration = Configuration()
        configuration.host = server.base_url("tiktok")
        client = ApiClient(configuration)
        self.campaigns = CampaignCreationApi(client)
        self.adgroups = AdgroupApi(client)
        self.ads = AdApi(client)
        self.reports = ReportingApi(client)
        self.accounts = AccountManagementApi(client)


@pytest.fixture(scope="module")
def server() -> Iterator[SandboxServer]:
    state = SandboxState.demo(
        seed=11, clock=SandboxClock(frozen=True), config=SandboxConfig(tiktok_requests_per_second=100_000.0)
    )
    with serve_sandbox(state) as served:
        yield served


@pytest.fixture
def sdk(server: SandboxServer) -> Sdk:
    return Sdk(server)


def ok(response: dict[str, Any]) -> dict[str, Any]:
    """The ``data`` of a successful answer, as the SDK returns it."""
    assert set(response) == {"data", "request_id"} and response["request_id"], response
    data: dict[str, Any] = response["data"]
    return data


def _video(name: str, **changes: Any) -> dict[str, Any]:
    return {
        "ad_name": name,
        "ad_format": "SINGLE_VIDEO",
        "ad_text": "Spring sale: 20% off everything",
        "identity_type": "CUSTOMIZED_USER",
        "identity_id": "7000000000000000001",
        "display_name": "Example Shop",
        "video_id": "v10033g50000c0example",
        "landing_page_url": "https://shop.example.com/spring",
        **changes,
    }


class TestReads:
    def test_campaigns_with_fields_filtering_and_pages(self, sdk: Sdk) -> None:
        def page(number: int) -> dict[str, Any]:
            return ok(
                sdk.campaigns.campaign_get(
                    sdk.advertiser_id,
                    sdk.token,
                    page=number,
                    page_size=5,
                    fields=["campaign_id", "campaign_name"],
                    filtering={"primary_status": "STATUS_ALL"},
                )
            )

        first = page(1)
        world = sdk.state.world.entities(Platform.tiktok, sdk.advertiser_id, EntityLevel.campaign, include_removed=True)
        assert first["page_info"]["total_number"] == len(world) > 5
        assert all(set(item) == {"campaign_id", "campaign_name"} for item in first["list"])
        listed = [item["campaign_id"] for item in first["list"]]
        for number in range(2, first["page_info"]["total_page"] + 1):
            listed += [item["campaign_id"] for item in page(number)["list"]]
        assert sorted(listed) == sorted(e.id for e in world)
        # Without a status filter, deleted campaigns are left out (TikTok's default).
        default = ok(sdk.campaigns.campaign_get(sdk.advertiser_id, sdk.token, page_size=100))
        assert {item["campaign_id"] for item in default["list"]} == {
            e.id for e in world if e.status is not EntityStatus.removed
        }

    def test_advertiser_info(self, sdk: Sdk) -> None:
        (info,) = ok(sdk.accounts.advertiser_info([sdk.advertiser_id], sdk.token))["list"]
        account = sdk.state.world.account(Platform.tiktok, sdk.advertiser_id)
        assert account is not None
        assert (info["advertiser_id"], info["currency"], info["timezone"]) == (
            account.account_id,
            account.currency,
            account.time_zone,
        )

    def test_a_daily_report_matches_the_simulation(self, sdk: Sdk) -> None:
        account = sdk.state.world.account(Platform.tiktok, sdk.advertiser_id)
        assert account is not None
        until = sdk.state.clock.today(account.time_zone) - timedelta(days=10)
        since = until - timedelta(days=6)
        data = ok(
            sdk.reports.report_integrated_get(
                "BASIC",
                sdk.token,
                advertiser_id=sdk.advertiser_id,
                service_type="AUCTION",
                data_level="AUCTION_CAMPAIGN",
                dimensions=["campaign_id", "stat_time_day"],
                metrics=["spend", "impressions"],
                start_date=since.isoformat(),
                end_date=until.isoformat(),
                # Deleted campaigns' past spend is real: TikTok reports it when asked for every status.
                filtering=[{"field_name": "campaign_status", "filter_type": "IN", "filter_value": '["STATUS_ALL"]'}],
                page_size=1000,
            )
        )
        got = {
            (row["dimensions"]["campaign_id"], row["dimensions"]["stat_time_day"][:10]): int(
                row["metrics"]["impressions"]
            )
            for row in data["list"]
            if int(row["metrics"]["impressions"])
        }
        truth = sdk.state.world.daily_metrics(Platform.tiktok, sdk.advertiser_id, EntityLevel.campaign, since, until)
        assert got == {(m.entity_id, m.day.isoformat()): m.impressions for m in truth if m.impressions}


class TestWrites:
    def test_a_tree_created_updated_and_paused_with_the_sdk(self, sdk: Sdk) -> None:
        campaign = ok(
            sdk.campaigns.campaign_create(
                sdk.token,
                body=CampaignCreateBody(
                    advertiser_id=sdk.advertiser_id,
                    campaign_name="SDK — Spring Sale",
                    objective_type="TRAFFIC",
                    budget_mode="BUDGET_MODE_INFINITE",
                ),
            )
        )
        adgroup = ok(
            sdk.adgroups.adgroup_create(
                sdk.token,
                body=AdgroupCreateBody(
                    advertiser_id=sdk.advertiser_id,
                    campaign_id=campaign["campaign_id"],
                    adgroup_name="SDK — US",
                    location_ids=["6252001"],
                    placement_type="PLACEMENT_TYPE_AUTOMATIC",
                    budget_mode="BUDGET_MODE_DAY",
                    budget=30.0,
                    schedule_type="SCHEDULE_FROM_NOW",
                    schedule_start_time="2026-01-01 00:00:00",
                    optimization_goal="CLICK",
                    billing_event="CPC",
                    pacing="PACING_MODE_SMOOTH",
                    bid_type="BID_TYPE_CUSTOM",
                    bid_price=1.2,
                ),
            )
        )
        assert (adgroup["bid_type"], adgroup["bid_price"], adgroup["budget"]) == ("BID_TYPE_CUSTOM", 1.2, 30.0)
        ads = ok(
            sdk.ads.ad_create(
                sdk.token,
                body=AdCreateBody(
                    advertiser_id=sdk.advertiser_id,
                    adgroup_id=adgroup["adgroup_id"],
                    creatives=[AdcreateCreatives(**_video("Hook A")), AdcreateCreatives(**_video("Hook B"))],
                ),
            )
        )
        assert [ad["ad_name"] for ad in ads["creatives"]] == ["Hook A", "Hook B"]
        first = ads["ad_ids"][0]
        updated = ok(
            sdk.ads.ad_update(
                sdk.token,
                body=AdUpdateBody(
                    advertiser_id=sdk.advertiser_id,
                    adgroup_id=adgroup["adgroup_id"],
                    creatives=[AdupdateCreatives(ad_id=first, **_video("Hook A v2"))],
                ),
            )
        )
        assert updated["ad_ids"] == [first] and updated["creatives"][0]["ad_name"] == "Hook A v2"
        ok(
            sdk.adgroups.adgroup_update(
                sdk.token,
                body=AdgroupUpdateBody(
                    advertiser_id=sdk.advertiser_id, adgroup_id=adgroup["adgroup_id"], bid_price=1.4, budget=45.0
                ),
            )
        )
        status = ok(
            sdk.campaigns.campaign_status_update(
                sdk.token,
                body=CampaignStatusUpdateBody(
                    advertiser_id=sdk.advertiser_id, campaign_ids=[campaign["campaign_id"]], operation_status="DISABLE"
                ),
            )
        )
        assert status["campaign_list"] == [{"campaign_id": campaign["campaign_id"], "status": "DISABLE"}]

        world = sdk.state.world
        group = world.entity(Platform.tiktok, adgroup["adgroup_id"])
        assert group is not None
        assert (group.daily_budget_micros, group.attributes["bid_price"]) == (45_000_000, 1.4)
        made = world.entity(Platform.tiktok, campaign["campaign_id"])
        assert made is not None and made.status is EntityStatus.paused
        assert [ad.name for ad in world.children(Platform.tiktok, group.id)] == ["Hook A v2", "Hook B"]

    def test_validation_errors_reach_the_sdk_in_the_envelope(self, sdk: Sdk) -> None:
        campaign = ok(
            sdk.campaigns.campaign_create(
                sdk.token,
                body=CampaignCreateBody(
                    advertiser_id=sdk.advertiser_id,
                    campaign_name="SDK — errors",
                    objective_type="TRAFFIC",
                    budget_mode="BUDGET_MODE_INFINITE",
                ),
            )
        )
        with pytest.raises(TiktokSDKError) as raised:
            sdk.adgroups.adgroup_create(
                sdk.token,
                body=AdgroupCreateBody(
                    advertiser_id=sdk.advertiser_id,
                    campaign_id=campaign["campaign_id"],
                    adgroup_name="No locations",
                    location_ids=[],
                    budget_mode="BUDGET_MODE_DAY",
                    budget=30.0,
                    pacing="PACING_MODE_SMOOTH",
                    billing_event="CPC",
                    optimization_goal="CLICK",
                    schedule_type="SCHEDULE_FROM_NOW",
                    schedule_start_time="2026-01-01 00:00:00",
                ),
            )
        assert str(raised.value).startswith("Error Code: 40002, message: location_ids:")
        assert not sdk.state.world.children(Platform.tiktok, campaign["campaign_id"])
