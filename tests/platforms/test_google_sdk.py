"""The Google Ads emulator driven with the official client library's own message types (``google-ads``, pinned as a
test dependency), over REST as Google's REST interface takes them: each request message serialised to proto3 JSON,
each answer parsed back *strictly* into the library's response type, so a field the real type does not have, an enum
value it does not know or a wrong JSON type fails the test.

The library speaks gRPC; its REST use is its messages and ``json_format``, the way the generated REST transports of
Google's client libraries transcode them (path fields in the URL, the rest in the body). Three serialisations are
tried: the transports' own (enums as numbers, defaults left out) and ``proto-plus``'s ``to_json`` with enums as
numbers or as names, both of which write every field at its default (``"UNSPECIFIED"`` enums, ``""`` strings).
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from google.ads.googleads.v23.common.types.ad_asset import AdTextAsset
from google.ads.googleads.v23.common.types.ad_type_infos import ResponsiveSearchAdInfo
from google.ads.googleads.v23.common.types.bidding import ManualCpc
from google.ads.googleads.v23.enums.types.ad_group_type import AdGroupTypeEnum
from google.ads.googleads.v23.enums.types.advertising_channel_type import AdvertisingChannelTypeEnum
from google.ads.googleads.v23.enums.types.budget_delivery_method import BudgetDeliveryMethodEnum
from google.ads.googleads.v23.enums.types.campaign_status import CampaignStatusEnum
from google.ads.googleads.v23.enums.types.eu_political_advertising_status import EuPoliticalAdvertisingStatusEnum
from google.ads.googleads.v23.enums.types.response_content_type import ResponseContentTypeEnum
from google.ads.googleads.v23.enums.types.summary_row_setting import SummaryRowSettingEnum
from google.ads.googleads.v23.errors.types.errors import GoogleAdsFailure
from google.ads.googleads.v23.resources.types.ad import Ad
from google.ads.googleads.v23.resources.types.ad_group import AdGroup
from google.ads.googleads.v23.resources.types.ad_group_ad import AdGroupAd
from google.ads.googleads.v23.resources.types.campaign import Campaign
from google.ads.googleads.v23.resources.types.campaign_budget import CampaignBudget
from google.ads.googleads.v23.services.types.ad_group_ad_service import AdGroupAdOperation
from google.ads.googleads.v23.services.types.ad_group_service import AdGroupOperation
from google.ads.googleads.v23.services.types.campaign_budget_service import (
    CampaignBudgetOperation,
    MutateCampaignBudgetsRequest,
    MutateCampaignBudgetsResponse,
)
from google.ads.googleads.v23.services.types.campaign_service import (
    CampaignOperation,
    MutateCampaignsRequest,
    MutateCampaignsResponse,
)
from google.ads.googleads.v23.services.types.google_ads_service import (
    MutateGoogleAdsRequest,
    MutateGoogleAdsResponse,
    MutateOperation,
    SearchGoogleAdsRequest,
    SearchGoogleAdsResponse,
    SearchGoogleAdsStreamRequest,
    SearchGoogleAdsStreamResponse,
    SearchSettings,
)
from google.api_core import protobuf_helpers
from google.protobuf import json_format
from google.protobuf.field_mask_pb2 import FieldMask
from proto import Message

from adpilot.platforms.types import EntityStatus
from adpilot.sandbox.google import entities, enums, reports, resources
from adpilot.sandbox.google.fields import FIELDS, SELECTABLE
from tests.platforms.google_emulator_kit import GoogleSandbox


def field_mask(message: Any) -> FieldMask:
    """The update mask the library's helper builds for ``message`` (every field set in it)."""
    mask: FieldMask = protobuf_helpers.field_mask(None, message)  # type: ignore[no-untyped-call]  # untyped helper
    return mask


STYLES = ["transport", "proto-plus", "proto-plus-names"]
Status = CampaignStatusEnum.CampaignStatus
Channel = AdvertisingChannelTypeEnum.AdvertisingChannelType
EuPolitical = EuPoliticalAdvertisingStatusEnum.EuPoliticalAdvertisingStatus


def to_body(request: Message, style: str) -> str:
    """The REST body of ``request``: its fields but ``customer_id`` (which is in the path)."""
    message = type(request)(request)
    message.customer_id = ""
    if style == "transport":
        return str(json_format.MessageToJson(type(message).pb(message), use_integers_for_enums=True))
    return str(type(message).to_json(message, use_integers_for_enums=style == "proto-plus"))


def parse(response_type: type[Message], text: str) -> Any:
    """The answer as the library's type; an unknown field or enum value fails."""
    return response_type.from_json(text, ignore_unknown_fields=False)


def failure(answer: httpx.Response) -> GoogleAdsFailure:
    """The ``GoogleAdsFailure`` of an error answer, parsed strictly."""
    body = answer.json()
    body = body[0] if isinstance(body, list) else body
    detail = dict(body["error"]["details"][0])
    assert detail.pop("@type").endswith(".errors.GoogleAdsFailure")
    parsed: GoogleAdsFailure = GoogleAdsFailure.from_json(json.dumps(detail), ignore_unknown_fields=False)
    return parsed


class Sdk:
    def __init__(self, google: GoogleSandbox, style: str) -> None:
        self.google = google
        self.style = style
        self.cid = google.customer

    async def call(self, method: str, request: Message, response_type: type[Message]) -> Any:
        answer = await self.google.post(method, content=to_body(request, self.style))
        assert answer.status_code == 200, answer.text
        return parse(response_type, answer.text)

    async def refused(self, method: str, request: Message) -> GoogleAdsFailure:
        answer = await self.google.post(method, content=to_body(request, self.style))
        assert answer.status_code == 400, answer.text
        return failure(answer)


@pytest.fixture(params=STYLES)
def sdk(request: pytest.FixtureRequest) -> Sdk:
    return Sdk(GoogleSandbox(), request.param)


def budget_operation(cid: str, temp: int) -> MutateOperation:
    budget = CampaignBudget(
        resource_name=f"customers/{cid}/campaignBudgets/{temp}",
        name="SDK budget",
        amount_micros=40_000_000,
        delivery_method=BudgetDeliveryMethodEnum.BudgetDeliveryMethod.STANDARD,
        explicitly_shared=False,
    )
    return MutateOperation(campaign_budget_operation=CampaignBudgetOperation(create=budget))


def campaign_operation(cid: str, temp: int, budget: int, **extra: Any) -> MutateOperation:
    campaign = Campaign(
        resource_name=f"customers/{cid}/campaigns/{temp}",
        name="SDK campaign",
        status=Status.PAUSED,
        advertising_channel_type=Channel.SEARCH,
        campaign_budget=f"customers/{cid}/campaignBudgets/{budget}",
        manual_cpc=ManualCpc(),
        contains_eu_political_advertising=EuPolitical.DOES_NOT_CONTAIN_EU_POLITICAL_ADVERTISING,
        **extra,
    )
    return MutateOperation(campaign_operation=CampaignOperation(create=campaign))


def tree(cid: str) -> list[MutateOperation]:
    ad = Ad(
        final_urls=["https://www.example.com"],
        responsive_search_ad=ResponsiveSearchAdInfo(
            headlines=[AdTextAsset(text=f"Headline {n}") for n in range(3)],
            descriptions=[AdTextAsset(text=f"Description {n}") for n in range(2)],
        ),
    )
    group = AdGroup(
        resource_name=f"customers/{cid}/adGroups/-3",
        name="SDK group",
        campaign=f"customers/{cid}/campaigns/-2",
        type_=AdGroupTypeEnum.AdGroupType.SEARCH_STANDARD,
        cpc_bid_micros=1_000_000,
    )
    return [
        budget_operation(cid, -1),
        campaign_operation(cid, -2, -1),
        MutateOperation(ad_group_operation=AdGroupOperation(create=group)),
        MutateOperation(
            ad_group_ad_operation=AdGroupAdOperation(create=AdGroupAd(ad_group=f"customers/{cid}/adGroups/-3", ad=ad))
        ),
    ]


class TestReads:
    async def test_search_answers_parse_as_the_response_type(self, sdk: Sdk) -> None:
        day = sdk.google.today().isoformat()
        fields = "campaign.id, campaign.name, campaign.status, segments.date, metrics.clicks, metrics.cost_micros"
        request = SearchGoogleAdsRequest(
            customer_id=sdk.cid,
            query=f"SELECT {fields} FROM campaign WHERE segments.date BETWEEN '{day}' AND '{day}'",  # noqa: S608
            search_settings=SearchSettings(return_total_results_count=True, return_summary_row=True),
        )
        response = await sdk.call("googleAds:search", request, SearchGoogleAdsResponse)
        assert response.results and response.total_results_count == len(response.results)
        assert response.summary_row.metrics.clicks == sum(r.metrics.clicks for r in response.results)
        assert all(
            r.campaign.resource_name == f"customers/{sdk.cid}/campaigns/{r.campaign.id}" for r in response.results
        )

    async def test_stream_batches_parse_as_the_response_type(self, sdk: Sdk) -> None:
        request = SearchGoogleAdsStreamRequest(
            customer_id=sdk.cid,
            query="SELECT campaign.id, campaign_budget.amount_micros FROM campaign",
            summary_row_setting=SummaryRowSettingEnum.SummaryRowSetting.NO_SUMMARY_ROW,
        )
        answer = await sdk.google.post("googleAds:searchStream", content=to_body(request, sdk.style))
        batches = [parse(SearchGoogleAdsStreamResponse, json.dumps(b)) for b in answer.json()]
        assert batches[-1].request_id == answer.headers["request-id"]
        assert sum(len(b.results) for b in batches) == len(sdk.google.campaigns(include_removed=True))

    @pytest.mark.parametrize("resource", sorted(set(SELECTABLE) - {"change_status", "customer_client"}))
    async def test_every_field_the_emulator_serves_is_a_field_of_the_row_type(self, resource: str) -> None:
        google = GoogleSandbox()
        served = [f.name for f in FIELDS.values() if f.resource in SELECTABLE[resource] | {"metrics", "segments"}]
        day = google.today().isoformat()
        query = f"SELECT {', '.join(served)} FROM {resource} WHERE segments.date BETWEEN '{day}' AND '{day}'"  # noqa: S608
        request = SearchGoogleAdsRequest(customer_id=google.customer, query=query)
        answer = await google.post("googleAds:search", content=to_body(request, "transport"))
        assert answer.status_code == 200, answer.text
        response = parse(SearchGoogleAdsResponse, answer.text)
        assert response.results

    def test_the_emulator_takes_exactly_the_fields_of_the_request_types(self) -> None:
        def names(message: type[Message]) -> set[str]:
            return {f.json_name for f in message.pb().DESCRIPTOR.fields}

        assert names(SearchGoogleAdsRequest) == reports.SEARCH_REQUEST_FIELDS
        assert names(SearchSettings) == reports.SEARCH_SETTINGS_FIELDS
        assert names(SearchGoogleAdsStreamRequest) == reports.STREAM_REQUEST_FIELDS
        assert names(MutateCampaignsRequest) == entities.MUTATE_REQUEST_FIELDS
        assert names(MutateGoogleAdsRequest) == entities.GOOGLE_ADS_MUTATE_REQUEST_FIELDS
        operations = {f.json_name for f in MutateOperation.pb().DESCRIPTOR.fields}
        assert set(entities.MUTATE_OPERATIONS) <= operations
        results = {f.json_name for f in MutateGoogleAdsResponse.pb().DESCRIPTOR.fields_by_name[
            "mutate_operation_responses"].message_type.fields}  # fmt: skip
        assert {result for _, result in entities.MUTATE_OPERATIONS.values()} <= results

    def test_the_emulator_takes_every_field_of_the_resources_it_writes(self) -> None:
        for service, message in (
            ("campaigns", Campaign),
            ("campaignBudgets", CampaignBudget),
            ("adGroups", AdGroup),
            ("adGroupAds", AdGroupAd),
        ):
            assert {f.json_name for f in message.pb().DESCRIPTOR.fields} <= resources.BY_SERVICE[service]
        assert {f.json_name for f in Ad.pb().DESCRIPTOR.fields} <= resources.AD

    @pytest.mark.parametrize(
        ("table", "sdk_enum"),
        [
            (enums.ENTITY_STATUS, CampaignStatusEnum.CampaignStatus),
            (enums.ADVERTISING_CHANNEL_TYPE, AdvertisingChannelTypeEnum.AdvertisingChannelType),
            (enums.EU_POLITICAL_ADVERTISING, EuPoliticalAdvertisingStatusEnum.EuPoliticalAdvertisingStatus),
            (enums.BUDGET_DELIVERY_METHOD, BudgetDeliveryMethodEnum.BudgetDeliveryMethod),
            (enums.AD_GROUP_TYPE, AdGroupTypeEnum.AdGroupType),
            (enums.RESPONSE_CONTENT_TYPE, ResponseContentTypeEnum.ResponseContentType),
            (enums.SUMMARY_ROW_SETTING, SummaryRowSettingEnum.SummaryRowSetting),
        ],
    )
    def test_the_emulators_enum_numbers_are_the_librarys(self, table: enums.ProtoEnum, sdk_enum: Any) -> None:
        assert dict(table) == {member.name: member.value for member in sdk_enum}


class TestWrites:
    async def test_a_whole_tree_with_temporary_ids(self, sdk: Sdk) -> None:
        request = MutateGoogleAdsRequest(
            customer_id=sdk.cid,
            mutate_operations=tree(sdk.cid),
            response_content_type=ResponseContentTypeEnum.ResponseContentType.MUTABLE_RESOURCE,
        )
        response = await sdk.call("googleAds:mutate", request, MutateGoogleAdsResponse)
        results = response.mutate_operation_responses
        campaign = results[1].campaign_result.campaign
        assert campaign.name == "SDK campaign" and campaign.status == Status.PAUSED
        assert results[0].campaign_budget_result.resource_name == campaign.campaign_budget
        assert results[2].ad_group_result.ad_group.campaign == results[1].campaign_result.resource_name
        assert results[3].ad_group_ad_result.ad_group_ad.ad_group == results[2].ad_group_result.resource_name
        assert sdk.google.entity(str(campaign.id)).daily_budget_micros == 40_000_000

    async def test_updates_with_the_librarys_field_masks(self, sdk: Sdk) -> None:
        target = sdk.google.active_campaign()
        campaign = Campaign(resource_name=sdk.google.name("campaigns", target.id), status=Status.PAUSED)
        mask = field_mask(Campaign.pb(campaign))
        assert list(mask.paths) == ["resource_name", "status"]  # the library names the resource name too
        request = MutateCampaignsRequest(
            customer_id=sdk.cid, operations=[CampaignOperation(update=campaign, update_mask=mask)]
        )
        response = await sdk.call("campaigns:mutate", request, MutateCampaignsResponse)
        assert response.results[0].resource_name == campaign.resource_name
        assert sdk.google.entity(target.id).status is EntityStatus.paused
        budget = CampaignBudget(resource_name=await sdk.google.budget_of(target.id), amount_micros=90_000_000)
        budget_request = MutateCampaignBudgetsRequest(
            customer_id=sdk.cid,
            operations=[CampaignBudgetOperation(update=budget, update_mask=field_mask(budget._pb))],
        )
        await sdk.call("campaignBudgets:mutate", budget_request, MutateCampaignBudgetsResponse)
        assert sdk.google.entity(target.id).daily_budget_micros == 90_000_000
        removed = MutateCampaignsRequest(
            customer_id=sdk.cid, operations=[CampaignOperation(remove=campaign.resource_name)]
        )
        await sdk.call("campaigns:mutate", removed, MutateCampaignsResponse)
        again = await sdk.refused("campaigns:mutate", request)
        assert (
            again.errors[0].error_code.operation_access_denied_error.name
            == "OPERATION_NOT_PERMITTED_FOR_REMOVED_RESOURCE"
        )

    async def test_validate_only_and_the_errors_parse_as_google_ads_failures(self, sdk: Sdk) -> None:
        before = len(sdk.google.campaigns(include_removed=True))
        checked = MutateGoogleAdsRequest(customer_id=sdk.cid, mutate_operations=tree(sdk.cid), validate_only=True)
        await sdk.call("googleAds:mutate", checked, MutateGoogleAdsResponse)
        assert len(sdk.google.campaigns(include_removed=True)) == before
        undeclared = campaign_operation(sdk.cid, -2, -1)
        undeclared.campaign_operation.create.contains_eu_political_advertising = EuPolitical(EuPolitical.UNSPECIFIED)
        refused = await sdk.refused(
            "googleAds:mutate",
            MutateGoogleAdsRequest(customer_id=sdk.cid, mutate_operations=[budget_operation(sdk.cid, -1), undeclared]),
        )
        error = refused.errors[0]
        assert error.error_code.field_error.name == "REQUIRED"
        assert [(e.field_name, e.index if "index" in e else None) for e in error.location.field_path_elements] == [
            ("mutate_operations", 1),
            ("campaign_operation", None),
            ("create", None),
            ("contains_eu_political_advertising", None),
        ]
        assert len(sdk.google.campaigns(include_removed=True)) == before

    async def test_a_partial_failure_parses_with_its_google_ads_failure(self, sdk: Sdk) -> None:
        request = MutateGoogleAdsRequest(
            customer_id=sdk.cid,
            mutate_operations=[budget_operation(sdk.cid, -1), campaign_operation(sdk.cid, -2, -7)],
            partial_failure=True,
        )
        response = await sdk.call("googleAds:mutate", request, MutateGoogleAdsResponse)
        assert response.mutate_operation_responses[0].campaign_budget_result.resource_name
        assert not response.mutate_operation_responses[1].campaign_result.resource_name
        status = response.partial_failure_error
        assert status.code == 3
        failure = GoogleAdsFailure.deserialize(status.details[0].value)
        assert failure.errors[0].error_code.mutate_error.name == "RESOURCE_NOT_FOUND"
        assert failure.errors[0].location.field_path_elements[0].index == 1

    @pytest.mark.parametrize(
        "breaks",
        [
            {"status": Status.REMOVED},
            {"status": Status.UNKNOWN},
            {"resource_name": "customers/{cid}/campaigns/5"},
            {"name": ""},
            {"campaign_budget": "customers/{cid}/campaignBudgets/-1"},
            {"campaign_budget": "customers/{cid}/campaignBudgets/123"},
            {"campaign_budget": "customers/{cid}/budgets/1"},
        ],
    )
    async def test_every_error_code_the_emulator_answers_is_googles(self, breaks: dict[str, Any]) -> None:
        sdk = Sdk(GoogleSandbox(), "transport")
        budget = budget_operation(sdk.cid, -1)
        operation = campaign_operation(sdk.cid, -2, -1)
        for key, value in breaks.items():
            setattr(
                operation.campaign_operation.create, key, value.format(cid=sdk.cid) if isinstance(value, str) else value
            )
        if breaks.get("campaign_budget", "").endswith("/-1"):
            budget.campaign_budget_operation.create.amount_micros = 7  # below the minimum: the temp id had errors
        request = MutateGoogleAdsRequest(customer_id=sdk.cid, mutate_operations=[budget, operation])
        refused = await sdk.refused("googleAds:mutate", request)
        assert refused.errors and all(e.error_code._pb.WhichOneof("error_code") for e in refused.errors)
