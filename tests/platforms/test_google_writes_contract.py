"""The Google Ads emulator's write endpoints against the reference (``../shared/reference/platform-apis.md`` §A.6,
§A.7): the documented request bodies are accepted as they are, the answers have the recorded shapes, and Google's
validation answers with its error codes, located where Google locates them.

``…/{service}:mutate`` (``campaignBudgets``, ``campaigns``, ``adGroups``, ``adGroupAds``) and ``googleAds:mutate``
with temporary ids; ``validateOnly``, ``partialFailure``, ``responseContentType``; and what the reads now answer:
``search`` carries no ``requestId`` in its body and refuses the stream's ``summaryRowSetting``.
"""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from adpilot.platforms.types import EntityLevel, EntityStatus, Platform
from tests.platforms.google_emulator_kit import (
    EU_NO,
    GoogleSandbox,
    budget_create,
    campaign_create,
    error_codes,
    error_paths,
    responsive_search_ad,
)

# §A.6 answers (reference, [H]): a mutate answers the resource names it changed.
RECORDED_BUDGET_RESULT = {"results": [{"resourceName": "customers/1234567890/campaignBudgets/800001"}]}
RECORDED_CAMPAIGN_RESULT = {"results": [{"resourceName": "customers/1234567890/campaigns/700001"}]}
RECORDED_MUTATE_ALL = {
    "mutateOperationResponses": [
        {"campaignBudgetResult": {"resourceName": "customers/1234567890/campaignBudgets/800002"}},
        {"campaignResult": {"resourceName": "customers/1234567890/campaigns/700002"}},
    ]
}
# §A.6 partial failure ([M], fixture 58525569415).
RECORDED_PARTIAL_FAILURE: dict[str, Any] = {
    "code": 3,
    "message": "1 operation(s) failed.",
    "details": [
        {
            "@type": "type.googleapis.com/google.ads.googleads.v24.errors.GoogleAdsFailure",
            "errors": [
                {
                    "errorCode": {"mutateError": "..."},
                    "message": "...",
                    "location": {"fieldPathElements": [{"fieldName": "mutate_operations", "index": 1}]},
                }
            ],
        }
    ],
}


def shape(value: Any) -> Any:
    """A JSON value with its leaves replaced by their kind, and resource names by their pattern."""
    if isinstance(value, dict):
        return {key: shape(item) for key, item in value.items()}
    if isinstance(value, list):
        return [shape(item) for item in value]
    if isinstance(value, str):
        return re.sub(r"\d+", "N", value) if value.startswith("customers/") else "string"
    return type(value).__name__


@pytest.fixture
def google() -> GoogleSandbox:
    return GoogleSandbox()


async def new_budget(google: GoogleSandbox, **extra: Any) -> str:
    answer = await google.post("campaignBudgets:mutate", {"operations": [{"create": budget_create(**extra)}]})
    assert answer.status_code == 200, answer.text
    name: str = answer.json()["results"][0]["resourceName"]
    return name


class TestServiceMutates:
    async def test_the_reference_budget_and_campaign_creates(self, google: GoogleSandbox) -> None:
        budget = await google.post(
            "campaignBudgets:mutate",
            {
                "operations": [
                    {
                        "create": {
                            "name": "Budget 2024-06-01 #1",
                            "amountMicros": "50000000",
                            "deliveryMethod": "STANDARD",
                            "explicitlyShared": False,
                        }
                    }
                ]
            },
        )
        assert budget.status_code == 200, budget.text
        assert shape(budget.json()) == shape(RECORDED_BUDGET_RESULT)
        budget_name = budget.json()["results"][0]["resourceName"]
        campaign = await google.post("campaigns:mutate", {"operations": [{"create": campaign_create(budget_name)}]})
        assert campaign.status_code == 200, campaign.text
        assert shape(campaign.json()) == shape(RECORDED_CAMPAIGN_RESULT)
        created = google.entity(campaign.json()["results"][0]["resourceName"].rsplit("/", 1)[1])
        assert (created.name, created.status, created.daily_budget_micros) == (
            "Search 2024-06-01 #1",
            EntityStatus.paused,
            50_000_000,
        )
        assert created.attributes["advertising_channel_type"] == "SEARCH"

    @pytest.mark.parametrize(
        ("change", "path", "code"),
        [
            ({"containsEuPoliticalAdvertising": None}, "contains_eu_political_advertising", {"fieldError": "REQUIRED"}),
            ({"containsEuPoliticalAdvertising": "UNSPECIFIED"}, "contains_eu_political_advertising",
             {"fieldError": "REQUIRED"}),
            ({"manualCpc": None}, "campaign_bidding_strategy", {"fieldError": "REQUIRED"}),
            ({"advertisingChannelType": 0}, "advertising_channel_type", {"fieldError": "REQUIRED"}),
            ({"name": ""}, "name", {"fieldError": "REQUIRED"}),
            ({"status": "UNKNOWN"}, "status", {"enumError": "ENUM_VALUE_NOT_PERMITTED"}),
            ({"status": "REMOVED"}, "status", {"fieldError": "INVALID_VALUE"}),
            ({"resourceName": "customers/{cid}/campaigns/123"}, "resource_name",
             {"newResourceCreationError": "CANNOT_SET_ID_FOR_CREATE"}),
        ],
    )  # fmt: skip
    async def test_a_campaign_create_is_checked_as_google_checks_it(
        self, google: GoogleSandbox, change: dict[str, Any], path: str, code: dict[str, str]
    ) -> None:
        body = campaign_create(await new_budget(google))
        for key, value in change.items():
            body[key] = value.replace("{cid}", google.customer) if isinstance(value, str) else value
        body = {key: value for key, value in body.items() if value is not None}
        before = len(google.campaigns(include_removed=True))
        answer = await google.post("campaigns:mutate", {"operations": [{"create": body}]})
        assert answer.status_code == 400
        assert answer.json()["error"]["status"] == "INVALID_ARGUMENT"
        assert code in error_codes(answer)
        located = error_paths(answer)[error_codes(answer).index(code)]
        assert located[:2] == [{"fieldName": "operations", "index": 0}, {"fieldName": "create"}]
        assert located[-1] == {"fieldName": path}
        assert len(google.campaigns(include_removed=True)) == before

    async def test_enums_by_number_and_defaults_are_read_as_proto3_json(self, google: GoogleSandbox) -> None:
        body = campaign_create(await new_budget(google, deliveryMethod="UNSPECIFIED"), name="By number")
        body |= {"status": 3, "advertisingChannelType": 3, "containsEuPoliticalAdvertising": 3, "servingStatus": 0}
        answer = await google.post("campaigns:mutate", {"operations": [{"create": body}]})
        assert answer.status_code == 200, answer.text
        created = google.entity(answer.json()["results"][0]["resourceName"].rsplit("/", 1)[1])
        assert created.status is EntityStatus.paused
        assert created.attributes["advertising_channel_type"] == "DISPLAY"
        assert created.attributes["contains_eu_political_advertising"] == EU_NO
        assert created.attributes["budget_delivery_method"] == "STANDARD"
        unknown = await google.post("campaigns:mutate", {"operations": [{"create": body | {"status": 9}}]})
        assert unknown.status_code == 400
        assert "CampaignStatus" in unknown.json()["error"]["message"]

    async def test_names_the_resource_does_not_have_are_refused(self, google: GoogleSandbox) -> None:
        body = campaign_create(await new_budget(google)) | {"dailyBudget": "5"}
        answer = await google.post("campaigns:mutate", {"operations": [{"create": body}]})
        assert answer.status_code == 400
        assert answer.json()["error"]["message"] == (
            "Invalid JSON payload received. Unknown name \"dailyBudget\" at 'operations[0].create': Cannot find field."
        )
        assert answer.json()["error"]["details"][0]["@type"] == "type.googleapis.com/google.rpc.BadRequest"
        campaign = google.active_campaign()
        update = {"resourceName": google.name("campaigns", campaign.id), "state": "PAUSED"}
        refused = await google.post("campaigns:mutate", {"operations": [{"update": update, "updateMask": "status"}]})
        assert 'Unknown name "state"' in refused.json()["error"]["message"]

    async def test_the_reference_pause_budget_change_and_remove(self, google: GoogleSandbox) -> None:
        campaign = google.active_campaign()
        name = google.name("campaigns", campaign.id)
        paused = await google.post(
            "campaigns:mutate",
            {"operations": [{"update": {"resourceName": name, "status": "PAUSED"}, "updateMask": "status"}]},
        )
        assert paused.status_code == 200, paused.text
        assert paused.json() == {"results": [{"resourceName": name}]}
        assert google.entity(campaign.id).status is EntityStatus.paused
        budget_name = await google.budget_of(campaign.id)
        changed = await google.post(
            "campaignBudgets:mutate",
            {
                "operations": [
                    {"update": {"resourceName": budget_name, "amountMicros": "75000000"}, "updateMask": "amountMicros"}
                ]
            },
        )
        assert changed.status_code == 200, changed.text
        assert changed.json() == {"results": [{"resourceName": budget_name}]}
        assert google.entity(campaign.id).daily_budget_micros == 75_000_000
        removed = await google.post("campaigns:mutate", {"operations": [{"remove": name}]})
        assert removed.json() == {"results": [{"resourceName": name}]}
        assert google.entity(campaign.id).status is EntityStatus.removed
        again = await google.post(
            "campaigns:mutate",
            {"operations": [{"update": {"resourceName": name, "status": "ENABLED"}, "updateMask": "status"}]},
        )
        assert error_codes(again) == [{"operationAccessDeniedError": "OPERATION_NOT_PERMITTED_FOR_REMOVED_RESOURCE"}]

    async def test_an_update_mask_may_name_the_resource_name(self, google: GoogleSandbox) -> None:
        campaign = google.active_campaign()
        name = google.name("campaigns", campaign.id)
        answer = await google.post(
            "campaigns:mutate",
            {
                "operations": [
                    {
                        "update": {"resourceName": name, "status": "PAUSED", "name": "Renamed", "servingStatus": 0},
                        "updateMask": "resourceName,status,name",
                    }
                ]
            },
        )
        assert answer.status_code == 200, answer.text
        assert (google.entity(campaign.id).status, google.entity(campaign.id).name) == (EntityStatus.paused, "Renamed")
        unknown = await google.post(
            "campaigns:mutate",
            {"operations": [{"update": {"resourceName": name, "startDateTime": "x"}, "updateMask": "startDateTime"}]},
        )
        assert error_codes(unknown) == [{"fieldMaskError": "FIELD_NOT_FOUND"}]
        cleared = await google.post(
            "campaigns:mutate",
            {"operations": [{"update": {"resourceName": name, "status": "UNSPECIFIED"}, "updateMask": "status"}]},
        )
        assert error_codes(cleared) == [{"fieldError": "REQUIRED"}]

    async def test_bidding_targets_and_the_end_date_of_a_campaign(self, google: GoogleSandbox) -> None:
        campaign = google.active_campaign()
        name = google.name("campaigns", campaign.id)

        async def update(fields: dict[str, Any], mask: str) -> httpx.Response:
            operation = {"update": {"resourceName": name, **fields}, "updateMask": mask}
            return await google.post("campaigns:mutate", {"operations": [operation]})

        target = await update({"targetCpa": {"targetCpaMicros": "4500000"}}, "targetCpa.targetCpaMicros")
        assert target.status_code == 200, target.text
        attributes = google.entity(campaign.id).attributes
        assert (attributes["bidding_strategy_type"], attributes["target_cpa_micros"]) == ("TARGET_CPA", 4_500_000)
        roas = await update({"targetRoas": {"targetRoas": 3.5}}, "targetRoas.targetRoas")
        assert roas.status_code == 200, roas.text
        assert google.entity(campaign.id).attributes["target_roas"] == 3.5
        assert error_codes(await update({"targetRoas": {"targetRoas": -1}}, "targetRoas.targetRoas")) == [
            {"biddingError": "INVALID_TARGET_ROAS"}
        ]
        end = await update({"endDateTime": "2099-12-31 23:59:59"}, "endDateTime")
        assert end.status_code == 200, end.text
        assert google.entity(campaign.id).attributes["end_date_time"] == "2099-12-31 23:59:59"
        past = await update({"endDateTime": "2020-01-01 23:59:59"}, "endDateTime")
        assert error_codes(past) in (
            [{"campaignError": "END_DATE_BEFORE_START_DATE"}],
            [{"campaignError": "CANNOT_SET_DATE_TO_PAST"}],
        )
        assert error_codes(await update({"endDateTime": "31/12/2099"}, "endDateTime")) == [
            {"dateError": "INVALID_FIELD_FORMAT"}
        ]
        budget_name = await google.budget_of(campaign.id)
        total = await google.post(
            "campaignBudgets:mutate",
            {
                "operations": [
                    {
                        "update": {"resourceName": budget_name, "totalAmountMicros": "900000000"},
                        "updateMask": "totalAmountMicros",
                    }
                ]
            },
        )
        assert error_codes(total) == [
            {"campaignBudgetError": "TOTAL_BUDGET_AMOUNT_MUST_BE_UNSET_FOR_BUDGET_PERIOD_DAILY"}
        ]

    async def test_ad_groups_and_ads_are_created_under_their_parents(self, google: GoogleSandbox) -> None:
        campaign = google.active_campaign()
        group = await google.post(
            "adGroups:mutate",
            {
                "operations": [
                    {
                        "create": {
                            "name": "New group",
                            "campaign": google.name("campaigns", campaign.id),
                            "status": "ENABLED",
                            "type": "SEARCH_STANDARD",
                            "cpcBidMicros": "1000000",
                        }
                    }
                ],
                "responseContentType": "MUTABLE_RESOURCE",
            },
        )
        assert group.status_code == 200, group.text
        result = group.json()["results"][0]
        group_id = result["resourceName"].rsplit("/", 1)[1]
        assert result["adGroup"]["campaign"] == google.name("campaigns", campaign.id)
        assert result["adGroup"]["cpcBidMicros"] == "1000000"
        duplicate = await google.post(
            "adGroups:mutate",
            {"operations": [{"create": {"name": "New group", "campaign": google.name("campaigns", campaign.id)}}]},
        )
        assert error_codes(duplicate) == [{"adGroupError": "DUPLICATE_ADGROUP_NAME"}]
        few = await google.post(
            "adGroupAds:mutate",
            {"operations": [{"create": {"adGroup": google.name("adGroups", group_id), "ad": responsive_search_ad(2)}}]},
        )
        assert error_codes(few) == [{"collectionSizeError": "TOO_FEW"}]
        assert error_paths(few)[0][-2:] == [{"fieldName": "responsive_search_ad"}, {"fieldName": "headlines"}]
        deprecated = await google.post(
            "adGroupAds:mutate",
            {"operations": [{"create": {"adGroup": google.name("adGroups", group_id), "ad": {"expandedTextAd": {}}}}]},
        )
        assert error_codes(deprecated) == [{"adGroupAdError": "CANNOT_CREATE_DEPRECATED_ADS"}]
        ad = await google.post(
            "adGroupAds:mutate",
            {"operations": [{"create": {"adGroup": google.name("adGroups", group_id), "ad": responsive_search_ad()}}]},
        )
        assert ad.status_code == 200, ad.text
        ad_name = ad.json()["results"][0]["resourceName"]
        assert re.fullmatch(rf"customers/{google.customer}/adGroupAds/{group_id}~\d+", ad_name)
        created = google.entity(ad_name.rsplit("~", 1)[1])
        assert (created.level, created.parent_id, created.campaign_id) == (EntityLevel.ad, group_id, campaign.id)
        assert created.name == "Headline 0"


class TestGoogleAdsMutate:
    def reference_operations(self, google: GoogleSandbox) -> list[dict[str, Any]]:
        """§A.6 (6): a budget and its campaign in one atomic request, with temporary ids."""
        cid = google.customer
        return [
            {
                "campaignBudgetOperation": {
                    "create": {
                        "resourceName": f"customers/{cid}/campaignBudgets/-1",
                        "name": "B1",
                        "amountMicros": "15000000",
                        "deliveryMethod": "STANDARD",
                        "explicitlyShared": False,
                    }
                }
            },
            {
                "campaignOperation": {
                    "create": {
                        "resourceName": f"customers/{cid}/campaigns/-2",
                        "name": "C1",
                        "status": "PAUSED",
                        "advertisingChannelType": "SEARCH",
                        "campaignBudget": f"customers/{cid}/campaignBudgets/-1",
                        "manualCpc": {},
                        "containsEuPoliticalAdvertising": EU_NO,
                    }
                }
            },
        ]

    async def test_the_reference_request_with_temporary_ids(self, google: GoogleSandbox) -> None:
        answer = await google.post("googleAds:mutate", {"mutateOperations": self.reference_operations(google)})
        assert answer.status_code == 200, answer.text
        assert shape(answer.json()) == shape(RECORDED_MUTATE_ALL)
        budget, campaign = (next(iter(r.values()))["resourceName"] for r in answer.json()["mutateOperationResponses"])
        created = google.entity(campaign.rsplit("/", 1)[1])
        assert (created.name, created.daily_budget_micros) == ("C1", 15_000_000)
        assert await google.budget_of(created.id) == budget

    async def test_a_whole_tree_in_one_request(self, google: GoogleSandbox) -> None:
        cid = google.customer
        operations = [
            *self.reference_operations(google),
            {"adGroupOperation": {"create": {"resourceName": f"customers/{cid}/adGroups/-3", "name": "G1",
                                             "campaign": f"customers/{cid}/campaigns/-2"}}},
            {"adGroupAdOperation": {"create": {"adGroup": f"customers/{cid}/adGroups/-3", "status": "ENABLED",
                                               "ad": responsive_search_ad()}}},
        ]  # fmt: skip
        answer = await google.post(
            "googleAds:mutate", {"mutateOperations": operations, "responseContentType": "MUTABLE_RESOURCE"}
        )
        assert answer.status_code == 200, answer.text
        responses = answer.json()["mutateOperationResponses"]
        assert [next(iter(r)) for r in responses] == [
            "campaignBudgetResult",
            "campaignResult",
            "adGroupResult",
            "adGroupAdResult",
        ]
        campaign_id = responses[1]["campaignResult"]["resourceName"].rsplit("/", 1)[1]
        group_id = responses[2]["adGroupResult"]["resourceName"].rsplit("/", 1)[1]
        assert responses[1]["campaignResult"]["campaign"]["status"] == "PAUSED"
        assert responses[2]["adGroupResult"]["adGroup"]["campaign"] == google.name("campaigns", campaign_id)
        assert responses[3]["adGroupAdResult"]["adGroupAd"]["adGroup"] == google.name("adGroups", group_id)
        ad = google.entity(responses[3]["adGroupAdResult"]["resourceName"].rsplit("~", 1)[1])
        assert (ad.campaign_id, ad.parent_id) == (campaign_id, group_id)

    async def test_validate_only_creates_nothing(self, google: GoogleSandbox) -> None:
        before = len(google.campaigns(include_removed=True))
        answer = await google.post(
            "googleAds:mutate", {"mutateOperations": self.reference_operations(google), "validateOnly": True}
        )
        assert (answer.status_code, answer.json()) == (200, {})
        assert len(google.campaigns(include_removed=True)) == before
        assert "C1" not in [c.name for c in google.campaigns(include_removed=True)]

    async def test_it_is_atomic_and_located_by_operation(self, google: GoogleSandbox) -> None:
        operations = self.reference_operations(google)
        del operations[1]["campaignOperation"]["create"]["containsEuPoliticalAdvertising"]
        before = len(google.campaigns(include_removed=True))
        answer = await google.post("googleAds:mutate", {"mutateOperations": operations})
        assert answer.status_code == 400
        assert error_codes(answer) == [{"fieldError": "REQUIRED"}]
        assert error_paths(answer)[0] == [
            {"fieldName": "mutate_operations", "index": 1},
            {"fieldName": "campaign_operation"},
            {"fieldName": "create"},
            {"fieldName": "contains_eu_political_advertising"},
        ]
        assert len(google.campaigns(include_removed=True)) == before
        assert "C1" not in [c.name for c in google.campaigns(include_removed=True)]

    async def test_a_partial_failure_looks_like_the_recorded_one(self, google: GoogleSandbox) -> None:
        operations = self.reference_operations(google)
        operations[1]["campaignOperation"]["create"]["campaignBudget"] = (
            f"customers/{google.customer}/campaignBudgets/-9"
        )
        answer = await google.post("googleAds:mutate", {"mutateOperations": operations, "partialFailure": True})
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert body["mutateOperationResponses"][1] == {}
        assert "campaignBudgetResult" in body["mutateOperationResponses"][0]
        failure = body["partialFailureError"]
        recorded = RECORDED_PARTIAL_FAILURE
        assert failure.keys() == recorded.keys() and failure["code"] == recorded["code"]
        assert failure["details"][0].keys() == recorded["details"][0].keys() | {"requestId"}
        assert failure["details"][0]["errors"][0].keys() == recorded["details"][0]["errors"][0].keys()
        assert failure["message"] == RECORDED_PARTIAL_FAILURE["message"]
        assert failure["details"][0]["@type"].endswith(f"googleads.{google.version}.errors.GoogleAdsFailure")
        error = failure["details"][0]["errors"][0]
        assert error["errorCode"] == {"mutateError": "RESOURCE_NOT_FOUND"}
        assert error["location"]["fieldPathElements"][0] == {"fieldName": "mutate_operations", "index": 1}
        assert answer.headers["request-id"] == failure["details"][0]["requestId"]

    async def test_temporary_id_rules(self, google: GoogleSandbox) -> None:
        operations = self.reference_operations(google)
        operations[0]["campaignBudgetOperation"]["create"]["amountMicros"] = "1"
        failed = await google.post("googleAds:mutate", {"mutateOperations": operations, "partialFailure": True})
        assert failed.status_code == 200
        codes = [e["errorCode"] for e in failed.json()["partialFailureError"]["details"][0]["errors"]]
        assert codes == [
            {"campaignBudgetError": "BUDGET_BELOW_PER_DAY_MINIMUM"},
            {"newResourceCreationError": "TEMP_ID_RESOURCE_HAD_ERRORS"},
        ]
        assert failed.json()["partialFailureError"]["message"] == "2 operation(s) failed."
        twice = self.reference_operations(google)
        twice[1] = {"campaignBudgetOperation": twice[0]["campaignBudgetOperation"]}
        answer = await google.post("googleAds:mutate", {"mutateOperations": twice})
        assert error_codes(answer) == [{"newResourceCreationError": "DUPLICATE_TEMP_IDS"}]

    async def test_a_budget_serves_one_campaign_and_each_operation_is_counted(self, google: GoogleSandbox) -> None:
        budget = await new_budget(google)
        counted = google.state.operations.get((Platform.google, google.customer), 0)
        both = await google.post(
            "googleAds:mutate",
            {
                "mutateOperations": [
                    {"campaignOperation": {"create": campaign_create(budget, name="First")}},
                    {"campaignOperation": {"create": campaign_create(budget, name="Second")}},
                ],
                "partialFailure": True,
            },
        )
        assert both.status_code == 200, both.text
        assert "campaignResult" in both.json()["mutateOperationResponses"][0]
        assert both.json()["mutateOperationResponses"][1] == {}
        errors = both.json()["partialFailureError"]["details"][0]["errors"]
        assert errors[0]["errorCode"] == {
            "campaignBudgetError": "CANNOT_USE_IMPLICITLY_SHARED_CAMPAIGN_BUDGET_WITH_MULTIPLE_CAMPAIGNS"
        }
        assert google.state.operations[(Platform.google, google.customer)] == counted + 2

    async def test_an_operation_the_sandbox_does_not_emulate_and_an_unknown_one(self, google: GoogleSandbox) -> None:
        labels = await google.post("googleAds:mutate", {"mutateOperations": [{"labelOperation": {"create": {}}}]})
        assert error_codes(labels) == [{"mutateError": "MUTATE_NOT_ALLOWED"}]
        unknown = await google.post("googleAds:mutate", {"mutateOperations": [{"nonsense": {}}]})
        assert unknown.status_code == 400
        assert 'Unknown name "nonsense"' in unknown.json()["error"]["message"]
        empty = await google.post("googleAds:mutate", {"mutateOperations": []})
        assert error_codes(empty) == [{"fieldError": "REQUIRED"}]


class TestReadsAnswerAsTheRealTypes:
    async def test_search_has_no_request_id_in_its_body_but_the_stream_has(self, google: GoogleSandbox) -> None:
        query = {"query": "SELECT campaign.id FROM campaign"}
        search = await google.post("googleAds:search", query)
        assert search.status_code == 200
        assert "requestId" not in search.json()
        assert search.headers["request-id"]
        stream = await google.post("googleAds:searchStream", query)
        assert stream.json()[-1]["requestId"] == stream.headers["request-id"]
        checked = await google.post("googleAds:search", query | {"validateOnly": True})
        assert checked.json() == {"fieldMask": "campaign.id"}

    @pytest.mark.parametrize("key", ["summaryRowSetting", "returnTotalResultsCount"])
    async def test_search_refuses_the_fields_it_does_not_have(self, google: GoogleSandbox, key: str) -> None:
        answer = await google.post("googleAds:search", {"query": "SELECT campaign.id FROM campaign", key: True})
        assert answer.status_code == 400
        assert answer.json()["error"]["status"] == "INVALID_ARGUMENT"
        assert f'Unknown name "{key}"' in answer.json()["error"]["message"]

    async def test_search_settings_ask_for_totals_a_summary_or_no_rows(self, google: GoogleSandbox) -> None:
        day = google.today().isoformat()
        query = f"SELECT campaign.id, metrics.clicks FROM campaign WHERE segments.date BETWEEN '{day}' AND '{day}'"  # noqa: S608
        answer = await google.post(
            "googleAds:search",
            {"query": query, "searchSettings": {"returnTotalResultsCount": True, "returnSummaryRow": True}},
        )
        body = answer.json()
        assert body["totalResultsCount"] == str(len(body["results"]))
        assert int(body["summaryRow"]["metrics"]["clicks"]) == sum(int(r["metrics"]["clicks"]) for r in body["results"])
        omitted = await google.post("googleAds:search", {"query": query, "searchSettings": {"omitResults": True}})
        assert "results" not in omitted.json()
        wrong = await google.post("googleAds:search", {"query": query, "searchSettings": {"pageSize": 3}})
        assert 'Unknown name "pageSize"' in wrong.json()["error"]["message"]

    async def test_the_stream_reads_its_summary_setting_by_name_or_number(self, google: GoogleSandbox) -> None:
        day = google.today().isoformat()
        query = f"SELECT campaign.id, metrics.clicks FROM campaign WHERE segments.date BETWEEN '{day}' AND '{day}'"  # noqa: S608
        by_name = await google.post("googleAds:searchStream", {"query": query, "summaryRowSetting": "SUMMARY_ROW_ONLY"})
        by_number = await google.post("googleAds:searchStream", {"query": query, "summaryRowSetting": 4})
        assert [list(b) for b in by_name.json()] == [list(b) for b in by_number.json()]
        assert "summaryRow" in by_name.json()[0] and "results" not in by_name.json()[0]
