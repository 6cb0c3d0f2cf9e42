"""The Google Ads emulator alone: mutates, and the modes a sandbox can run in."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from adpilot.platforms.errors import PlatformRejected
from adpilot.platforms.google import classify
from adpilot.platforms.types import EntityLevel, EntityRef, EntityStatus, Money, Platform
from adpilot.sandbox.google import create_google_emulator
from adpilot.sandbox.state import SandboxState
from tests.platforms.contract_kit import frozen_state
from tests.platforms.google.kit import EmulatedGoogle


class TestMutates:
    async def mutate(self, emulator: EmulatedGoogle, service: str, body: dict[str, Any]) -> httpx.Response:
        credentials = await emulator.connect()
        return await emulator.client.post(
            f"{emulator.base_url}/v23/customers/{emulator.account.account_id}/{service}:mutate",
            headers={"Authorization": f"Bearer {credentials.access_token}", "login-customer-id": emulator.manager},
            json=body,
        )

    def campaign_name(self, emulator: EmulatedGoogle, ref: EntityRef) -> str:
        return f"customers/{emulator.account.account_id}/campaigns/{ref.platform_id}"

    def error_code(self, answer: httpx.Response) -> dict[str, str]:
        code: dict[str, str] = answer.json()["error"]["details"][0]["errors"][0]["errorCode"]
        return code

    async def test_an_update_needs_its_mask(self, emulator: EmulatedGoogle) -> None:
        ref = emulator.budgeted_campaign()
        answer = await self.mutate(
            emulator,
            "campaigns",
            {"operations": [{"update": {"resourceName": self.campaign_name(emulator, ref), "status": "PAUSED"}}]},
        )
        assert answer.status_code == 400
        assert self.error_code(answer) == {"fieldMaskError": "FIELD_MASK_MISSING"}
        assert emulator.status_of(ref) is EntityStatus.active

    async def test_validate_only_changes_nothing(self, emulator: EmulatedGoogle) -> None:
        ref = emulator.budgeted_campaign()
        answer = await self.mutate(
            emulator,
            "campaigns",
            {
                "validateOnly": True,
                "operations": [
                    {
                        "update": {"resourceName": self.campaign_name(emulator, ref), "status": "PAUSED"},
                        "updateMask": "status",
                    }
                ],
            },
        )
        assert answer.status_code == 200
        assert answer.json() == {}
        assert emulator.status_of(ref) is EntityStatus.active

    async def test_renaming_and_a_partial_failure(self, emulator: EmulatedGoogle) -> None:
        ref = emulator.budgeted_campaign()
        answer = await self.mutate(
            emulator,
            "campaigns",
            {
                "partialFailure": True,
                "operations": [
                    {
                        "update": {"resourceName": self.campaign_name(emulator, ref), "name": "Renamed"},
                        "updateMask": "name",
                    },
                    {
                        "update": {
                            "resourceName": self.campaign_name(emulator, ref),
                            "advertisingChannelType": "VIDEO",
                        },
                        "updateMask": "advertisingChannelType",
                    },
                ],
            },
        )
        assert answer.status_code == 200
        body = answer.json()
        assert body["results"][0] == {"resourceName": self.campaign_name(emulator, ref)}
        assert body["results"][1] == {}
        failure = body["partialFailureError"]["details"][0]["errors"][0]
        assert failure["errorCode"] == {"fieldError": "IMMUTABLE_FIELD"}
        assert failure["location"]["fieldPathElements"][0] == {"fieldName": "operations", "index": 1}
        entity = emulator.state.world.entity(Platform.google, ref.platform_id)
        assert entity is not None and entity.name == "Renamed"

    async def test_budget_amounts_follow_the_currency(self, emulator: EmulatedGoogle) -> None:
        credentials = await emulator.connect()
        ref = emulator.budgeted_campaign()
        with pytest.raises(PlatformRejected) as caught:
            await emulator.adapter.set_daily_budget(credentials, ref, Money(5_000, emulator.currency))
        assert caught.value.platform_code == "BUDGET_BELOW_PER_DAY_MINIMUM"
        with pytest.raises(PlatformRejected) as caught:
            await emulator.adapter.set_daily_budget(credentials, ref, Money(10_001_000, emulator.currency))
        assert caught.value.platform_code == "NON_MULTIPLE_OF_MINIMUM_CURRENCY_UNIT"
        assert caught.value.field_errors.keys() == {"operations[0].update.amount_micros"}

    async def test_removing_is_final(self, emulator: EmulatedGoogle) -> None:
        credentials = await emulator.connect()
        ref = emulator.budgeted_campaign()
        await emulator.adapter.set_status(credentials, ref, EntityStatus.removed)
        assert emulator.status_of(ref) is EntityStatus.removed
        assert emulator.log.api()[-1].body == {"operations": [{"remove": self.campaign_name(emulator, ref)}]}
        with pytest.raises(PlatformRejected) as caught:
            await emulator.adapter.set_status(credentials, ref, EntityStatus.active)
        assert caught.value.platform_code == "OPERATION_NOT_PERMITTED_FOR_REMOVED_RESOURCE"
        entities = await emulator.adapter.list_entities(credentials, emulator.account)
        # Still listed, removed, and so is everything under it.
        under = [e for e in entities if e.campaign_platform_id == ref.platform_id]
        assert len(under) > 1 and all(e.status is EntityStatus.removed for e in under)

    async def test_pausing_an_ad_and_an_ad_group(self, emulator: EmulatedGoogle) -> None:
        credentials = await emulator.connect()
        world = emulator.state.world
        ad = next(
            e
            for e in world.entities(Platform.google, emulator.account.account_id, EntityLevel.ad)
            if e.status is EntityStatus.active
        )
        await emulator.adapter.set_status(
            credentials, EntityRef(emulator.account, EntityLevel.ad, ad.id), EntityStatus.paused
        )
        assert emulator.status_of(EntityRef(emulator.account, EntityLevel.ad, ad.id)) is EntityStatus.paused
        mutate = emulator.log.api()[-1]
        assert mutate.path.endswith("/adGroupAds:mutate")
        assert mutate.body is not None
        assert mutate.body["operations"][0]["update"]["resourceName"].endswith(f"/adGroupAds/{ad.parent_id}~{ad.id}")
        assert ad.parent_id is not None
        group = EntityRef(emulator.account, EntityLevel.ad_group, ad.parent_id)
        await emulator.adapter.set_status(credentials, group, EntityStatus.paused)
        assert emulator.status_of(group) is EntityStatus.paused

    async def test_creating_a_campaign_checks_what_google_requires(self, emulator: EmulatedGoogle) -> None:
        budget = await self.mutate(
            emulator,
            "campaignBudgets",
            {
                "operations": [
                    {
                        "create": {
                            "name": "Budget 1",
                            "amountMicros": "50000000",
                            "deliveryMethod": "STANDARD",
                            "explicitlyShared": False,
                        }
                    }
                ]
            },
        )
        assert budget.status_code == 200
        budget_name = budget.json()["results"][0]["resourceName"]
        campaign = {
            "name": "Search launch",
            "status": "PAUSED",
            "advertisingChannelType": "SEARCH",
            "campaignBudget": budget_name,
            "manualCpc": {},
        }
        missing = await self.mutate(emulator, "campaigns", {"operations": [{"create": campaign}]})
        assert missing.status_code == 400
        assert self.error_code(missing) == {"fieldError": "REQUIRED"}
        assert missing.json()["error"]["details"][0]["errors"][0]["location"]["fieldPathElements"][-1] == {
            "fieldName": "contains_eu_political_advertising"
        }
        campaign["containsEuPoliticalAdvertising"] = "DOES_NOT_CONTAIN_EU_POLITICAL_ADVERTISING"
        created = await self.mutate(
            emulator, "campaigns", {"operations": [{"create": campaign}], "responseContentType": "MUTABLE_RESOURCE"}
        )
        assert created.status_code == 200, created.text
        result = created.json()["results"][0]
        assert result["campaign"]["status"] == "PAUSED"
        assert result["campaign"]["campaignBudget"] == budget_name
        credentials = await emulator.connect()
        entities = await emulator.adapter.list_entities(credentials, emulator.account)
        new = next(e for e in entities if e.name == "Search launch")
        assert new.daily_budget == Money(50_000_000, emulator.currency)
        assert new.status is EntityStatus.paused


class TestEmulatorModes:
    async def call(self, app: FastAPI, state: SandboxState, path: str, headers: dict[str, str]) -> httpx.Response:
        login = state.world.logins(Platform.google)[0]
        token, _ = state.auth.issue_token(Platform.google, login.login_id, "access", 3599)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://sandbox.test") as client:
            return await client.post(
                path,
                headers={"Authorization": f"Bearer {token}", **headers},
                json={"query": "SELECT customer.id FROM customer"},
            )

    async def test_a_sunset_version_is_refused(self) -> None:
        state = frozen_state()
        app = create_google_emulator(state, sunset_versions={"v20"})
        customer = state.world.logins(Platform.google)[0].account_ids[0]
        answer = await self.call(app, state, f"/v20/customers/{customer}/googleAds:search", {})
        assert answer.status_code == 400
        failure = answer.json()["error"]["details"][0]["errors"][0]
        assert failure["errorCode"] == {"requestError": "UNSUPPORTED_VERSION"}
        assert failure["message"] == "Version v20 is deprecated. Requests to this version will be blocked."
        assert (await self.call(app, state, f"/v23/customers/{customer}/googleAds:search", {})).status_code == 200

    async def test_a_test_project_reaches_no_production_account(self) -> None:
        state = frozen_state()
        app = create_google_emulator(state, test_project=True)
        customer = state.world.logins(Platform.google)[0].account_ids[0]
        answer = await self.call(app, state, f"/v23/customers/{customer}/googleAds:searchStream", {})
        assert answer.status_code == 403
        assert answer.json()[0]["error"]["details"][0]["errors"][0]["errorCode"] == {
            "authorizationError": "CLOUD_PROJECT_NOT_APPROVED_FOR_PRODUCTION"
        }

    async def test_a_login_customer_id_with_dashes_is_a_header_error(self) -> None:
        state = frozen_state()
        app = create_google_emulator(state)
        customer = state.world.logins(Platform.google)[0].account_ids[0]
        dashed = f"{customer[:3]}-{customer[3:6]}-{customer[6:]}"
        answer = await self.call(
            app, state, f"/v23/customers/{customer}/googleAds:search", {"login-customer-id": dashed}
        )
        assert answer.status_code == 400
        assert answer.json()["error"]["details"][0]["errors"][0]["errorCode"] == {
            "headerError": "INVALID_LOGIN_CUSTOMER_ID"
        }
        assert answer.headers["request-id"] == answer.json()["error"]["details"][0]["requestId"]

    async def test_unknown_body_fields_are_refused_like_google_does(self) -> None:
        state = frozen_state()
        app = create_google_emulator(state)
        login = state.world.logins(Platform.google)[0]
        token, _ = state.auth.issue_token(Platform.google, login.login_id, "access", 3599)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://sandbox.test") as client:
            answer = await client.post(
                f"/v23/customers/{login.account_ids[0]}/googleAds:searchStream",
                headers={"Authorization": f"Bearer {token}"},
                json={"query": "SELECT customer.id FROM customer", "pageToken": "x"},
            )
        assert answer.status_code == 400
        assert 'Unknown name "pageToken"' in answer.json()[0]["error"]["message"]
        assert isinstance(classify(answer), PlatformRejected)
