"""Meta's official Python SDK (``facebook-business``) against the emulator, over real HTTP.

People will point the SDK at the sandbox, so the emulator must answer what the SDK sends the way Graph does: the
SDK puts ``access_token`` and ``appsecret_proof`` on every call, JSON-encodes every list and object parameter
(``fields`` of an async report run as ``["campaign_id","spend"]``), asks every edge for ``summary=true`` (its cursor's
``total()`` reads ``summary.total_count``), sends batches to the version root (``batch=[…]``) and reads ``bid_amount``
as a number. Each test drives the SDK's own objects (``AdAccount``, ``Campaign``, ``AdSet``, ``AdReportRun``) and
checks the answers against the sandbox's world.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from facebook_business.adobjects.ad import Ad
from facebook_business.adobjects.adaccount import AdAccount
from facebook_business.adobjects.adreportrun import AdReportRun
from facebook_business.adobjects.adset import AdSet
from facebook_business.adobjects.campaign import Campaign
from facebook_business.api import FacebookAdsApi, FacebookResponse
from facebook_business.exceptions import FacebookRequestError
from facebook_business.session import FacebookSession

from adpilot.platforms.types import EntityLevel, EntityStatus, Platform
from adpilot.sandbox.clock import SandboxClock
from adpilot.sandbox.engine import SandboxLogin
from adpilot.sandbox.meta import emulator_options
from adpilot.sandbox.state import SandboxConfig, SandboxState
from tests.sandbox_fixtures import SandboxServer, serve_sandbox

VERSION = "v23.0"


class Sdk:
    """The SDK set up as a user would, with its Graph URL pointed at the sandbox."""

    def __init__(self, server: SandboxServer, *, app_secret: str | None = None, token: str | None = None) -> None:
        self.state = server.state
        self.login: SandboxLogin = self.state.world.logins(Platform.meta)[0]
        self.account_id = self.login.account_ids[0]
        app_id, secret = self.state.config.app_credentials[Platform.meta]
        if token is None:
            token, _ = self.state.auth.issue_token(Platform.meta, self.login.login_id, "long_lived", 86_400)
        self.token = token
        session = FacebookSession(app_id, secret if app_secret is None else app_secret, token)
        session.GRAPH = server.base_url("meta")
        self.api = FacebookAdsApi(session, api_version=VERSION)
        self.account = AdAccount(f"act_{self.account_id}", api=self.api)
        self.graph = f"{server.base_url('meta')}/{VERSION}"

    def world_ids(self, level: EntityLevel) -> set[str]:
        """The ids an edge lists by default: every object but the deleted and archived ones (and their children)."""
        world = self.state.world
        removed = {
            e.id
            for lvl in EntityLevel
            for e in world.entities(Platform.meta, self.account_id, lvl, include_removed=True)
            if e.status is EntityStatus.removed
        }
        return {
            e.id
            for e in world.entities(Platform.meta, self.account_id, level)
            if not {e.id, e.campaign_id, e.parent_id} & removed
        }


@pytest.fixture(scope="module")
def server() -> Iterator[SandboxServer]:
    state = SandboxState.demo(
        seed=11, clock=SandboxClock(frozen=True), config=SandboxConfig(meta_requests_per_second=100_000.0)
    )
    with serve_sandbox(state) as served:
        yield served


@pytest.fixture
def sdk(server: SandboxServer) -> Sdk:
    return Sdk(server)


def _create_tree(sdk: Sdk, *, status: str = "PAUSED") -> tuple[str, str, str]:
    campaign = sdk.account.create_campaign(
        params={
            "name": "SDK — Spring Sale",
            "objective": "OUTCOME_TRAFFIC",
            "status": status,
            "special_ad_categories": [],
            "is_adset_budget_sharing_enabled": False,
        }
    )
    ad_set = sdk.account.create_ad_set(
        params={
            "name": "SDK — US broad",
            "campaign_id": campaign["id"],
            "daily_budget": 2500,
            "billing_event": "IMPRESSIONS",
            "optimization_goal": "LINK_CLICKS",
            "bid_strategy": "LOWEST_COST_WITH_BID_CAP",
            "bid_amount": 150,
            "targeting": {"geo_locations": {"countries": ["US"]}},
            "status": status,
        }
    )
    ad = sdk.account.create_ad(
        params={"name": "SDK — Hook A", "adset_id": ad_set["id"], "creative": {"creative_id": "120000000001"}}
    )
    return str(campaign["id"]), str(ad_set["id"]), str(ad["id"])


class TestReads:
    def test_cursors_page_through_every_object_and_know_the_total(self, sdk: Sdk) -> None:
        cursor = sdk.account.get_campaigns(fields=[Campaign.Field.name, Campaign.Field.status], params={"limit": 5})
        listed = [campaign["id"] for campaign in cursor]
        expected = sdk.world_ids(EntityLevel.campaign)
        assert len(expected) > 5  # more than one page
        assert sorted(listed) == sorted(expected)
        assert cursor.total() == len(expected)

    def test_ad_sets_and_ads_have_their_total_too(self, sdk: Sdk) -> None:
        for level, edge in ((EntityLevel.ad_group, sdk.account.get_ad_sets), (EntityLevel.ad, sdk.account.get_ads)):
            cursor = edge(fields=["name"], params={"limit": 100})
            assert cursor.total() == len(sdk.world_ids(level)) == len(list(cursor))

    def test_without_asking_an_edge_has_no_summary(self, sdk: Sdk) -> None:
        answer = httpx.get(
            f"{sdk.graph}/act_{sdk.account_id}/campaigns",
            params={"fields": "id", "access_token": sdk.token},
        )
        assert answer.status_code == 200 and "summary" not in answer.json()
        asked = httpx.get(
            f"{sdk.graph}/act_{sdk.account_id}/campaigns",
            params={"fields": "id", "summary": "total_count", "limit": "2", "access_token": sdk.token},
        )
        assert asked.json()["summary"] == {"total_count": len(sdk.world_ids(EntityLevel.campaign))}

    def test_list_parameters_as_json_arrays_or_comma_separated(self, sdk: Sdk) -> None:
        for fields in ('["id","name","daily_budget"]', "id,name,daily_budget"):
            answer = httpx.get(
                f"{sdk.graph}/act_{sdk.account_id}/campaigns",
                params={"fields": fields, "access_token": sdk.token},
            )
            assert answer.status_code == 200, answer.text
            assert {"id", "name"} <= set(answer.json()["data"][0])

    def test_synchronous_insights_match_the_simulation(self, sdk: Sdk) -> None:
        record = sdk.state.world.account(Platform.meta, sdk.account_id)
        assert record is not None
        until = sdk.state.clock.today(record.time_zone) - timedelta(days=10)
        since = until - timedelta(days=4)
        rows = sdk.account.get_insights(
            fields=["campaign_id", "spend", "impressions"],
            params={
                "level": "campaign",
                "time_range": {"since": since.isoformat(), "until": until.isoformat()},
                "time_increment": 1,
                "action_attribution_windows": ["7d_click", "1d_view"],
            },
        )
        got = {(row["campaign_id"], row["date_start"]): int(row["impressions"]) for row in rows}
        truth = sdk.state.world.daily_metrics(Platform.meta, sdk.account_id, EntityLevel.campaign, since, until)
        assert got == {(m.entity_id, m.day.isoformat()): m.impressions for m in truth if m.impressions}

    def test_an_async_report_run_with_json_encoded_lists(self, sdk: Sdk) -> None:
        emulator_options(sdk.state).report_run_polls = 2
        record = sdk.state.world.account(Platform.meta, sdk.account_id)
        assert record is not None
        until = sdk.state.clock.today(record.time_zone) - timedelta(days=10)
        since = until - timedelta(days=30)
        run = sdk.account.get_insights(
            fields=["campaign_id", "spend"],
            params={
                "level": "campaign",
                "time_range": {"since": since.isoformat(), "until": until.isoformat()},
                "time_increment": 1,
                "breakdowns": [],
                "action_attribution_windows": ["7d_click"],
            },
            is_async=True,
        )
        assert isinstance(run, AdReportRun)
        statuses = []
        for _ in range(5):
            run.api_get()
            statuses.append(run[AdReportRun.Field.async_status])
            if statuses[-1] == "Job Completed":
                break
        assert statuses[-1] == "Job Completed" and run[AdReportRun.Field.async_percent_completion] == 100
        rows = list(run.get_insights(params={"limit": 50}))
        truth = sdk.state.world.daily_metrics(Platform.meta, sdk.account_id, EntityLevel.campaign, since, until)
        assert len(rows) == len([m for m in truth if m.impressions or m.spend_micros])


class TestWrites:
    def test_create_read_update_and_delete_with_the_sdk(self, sdk: Sdk) -> None:
        campaign_id, ad_set_id, ad_id = _create_tree(sdk)
        ad_set = AdSet(ad_set_id, api=sdk.api).api_get(
            fields=[AdSet.Field.bid_amount, AdSet.Field.bid_strategy, AdSet.Field.daily_budget, AdSet.Field.status]
        )
        # bid_amount is a JSON number; budgets are numeric strings.
        assert ad_set[AdSet.Field.bid_amount] == 150
        assert ad_set[AdSet.Field.daily_budget] == "2500"
        assert ad_set[AdSet.Field.bid_strategy] == "LOWEST_COST_WITH_BID_CAP"

        # Updates carry the SDK's appsecret_proof (and access_token) along with the changed fields.
        Campaign(campaign_id, api=sdk.api).api_update(params={"status": "ACTIVE", "name": "SDK — renamed"})
        AdSet(ad_set_id, api=sdk.api).api_update(params={"bid_amount": 175, "daily_budget": 3000})
        Ad(ad_id, api=sdk.api).api_update(params={"status": "ACTIVE"})
        world = sdk.state.world
        campaign = world.entity(Platform.meta, campaign_id)
        ad_set_now = world.entity(Platform.meta, ad_set_id)
        assert campaign is not None and ad_set_now is not None
        assert (campaign.name, campaign.status) == ("SDK — renamed", EntityStatus.active)
        assert ad_set_now.attributes["bid_amount"] == 175
        read = AdSet(ad_set_id, api=sdk.api).api_get(fields=[AdSet.Field.bid_amount, AdSet.Field.daily_budget])
        assert (read[AdSet.Field.bid_amount], read[AdSet.Field.daily_budget]) == (175, "3000")

        Campaign(campaign_id, api=sdk.api).api_delete()
        deleted = world.entity(Platform.meta, campaign_id)
        assert deleted is not None and deleted.status is EntityStatus.removed
        listed = [c["id"] for c in sdk.account.get_campaigns(fields=["id"], params={"limit": 100})]
        assert campaign_id not in listed

    def test_meta_validation_reaches_the_sdk_as_its_error(self, sdk: Sdk) -> None:
        with pytest.raises(FacebookRequestError) as raised:
            sdk.account.create_campaign(
                params={"name": "No categories", "objective": "OUTCOME_TRAFFIC", "status": "PAUSED"}
            )
        error = raised.value
        assert (error.http_status(), error.api_error_code(), error.api_error_type()) == (400, 100, "OAuthException")
        assert error.body()["error"]["error_data"] == {"blame_field_specs": [["special_ad_categories"]]}

    def test_a_wrong_appsecret_proof_is_refused(self, server: SandboxServer) -> None:
        wrong = Sdk(server, app_secret="not-the-app-secret")
        with pytest.raises(FacebookRequestError) as raised:
            wrong.account.api_get(fields=["name"])
        assert raised.value.api_error_code() == 100
        assert raised.value.api_error_type() == "GraphMethodException"
        assert raised.value.api_error_message() == "Invalid appsecret_proof provided in the API argument"

    def test_the_proof_is_the_hmac_of_the_token_with_the_app_secret(self, sdk: Sdk) -> None:
        secret = sdk.state.config.app_credentials[Platform.meta][1]
        proof = hmac.new(secret.encode(), sdk.token.encode(), hashlib.sha256).hexdigest()
        params = {"fields": "id", "access_token": sdk.token}
        assert httpx.get(f"{sdk.graph}/me", params={**params, "appsecret_proof": proof}).status_code == 200
        assert httpx.get(f"{sdk.graph}/me", params={**params, "appsecret_proof": "00" * 32}).status_code == 400
        assert httpx.get(f"{sdk.graph}/me", params=params).status_code == 200  # not required


class TestBatch:
    def test_a_batch_answers_each_operation_in_order(self, sdk: Sdk) -> None:
        campaign_ids = sorted(sdk.world_ids(EntityLevel.campaign))[:3]
        answers: list[tuple[str, Any]] = []
        batch = sdk.api.new_batch()
        for campaign_id in [*campaign_ids, "1999999999999999"]:
            Campaign(campaign_id, api=sdk.api).api_get(
                fields=["name", "status"],
                batch=batch,
                success=lambda response: answers.append(("ok", response.json())),
                failure=lambda response: answers.append(("failed", response.json())),
            )
        before = len(sdk.state.request_log)
        assert batch.execute() is None
        assert [kind for kind, _ in answers] == ["ok", "ok", "ok", "failed"]
        assert [body["id"] for _, body in answers[:3]] == campaign_ids
        assert answers[3][1]["error"]["code"] == 100 and answers[3][1]["error"]["error_subcode"] == 33
        # The batch and each of its operations are calls.
        assert len(sdk.state.request_log) - before == 5

    def test_writes_in_a_batch(self, sdk: Sdk) -> None:
        campaign_id, ad_set_id, _ = _create_tree(sdk)
        results: list[FacebookResponse] = []
        batch = sdk.api.new_batch()
        Campaign(campaign_id, api=sdk.api).api_update(
            params={"status": "ACTIVE"}, batch=batch, success=results.append, failure=results.append
        )
        AdSet(ad_set_id, api=sdk.api).api_update(
            params={"daily_budget": 4000}, batch=batch, success=results.append, failure=results.append
        )
        batch.execute()
        assert [r.json() for r in results] == [{"success": True}, {"success": True}]
        ad_set = sdk.state.world.entity(Platform.meta, ad_set_id)
        campaign = sdk.state.world.entity(Platform.meta, campaign_id)
        assert campaign is not None and campaign.status is EntityStatus.active
        assert ad_set is not None and ad_set.daily_budget_micros is not None

    def test_more_than_fifty_operations_are_refused(self, sdk: Sdk) -> None:
        batch = sdk.api.new_batch()
        for _ in range(51):
            sdk.account.api_get(fields=["name"], batch=batch)
        with pytest.raises(FacebookRequestError) as raised:
            batch.execute()
        assert raised.value.api_error_code() == 1
        assert "Maximum batch size is 50" in raised.value.api_error_message()
