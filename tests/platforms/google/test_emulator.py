"""The Google Ads emulator alone: the simulation's ground truth, account hierarchies, OAuth, quota and GAQL."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest

from adpilot.platforms.config import Rate
from adpilot.platforms.errors import PlatformAuthError, PlatformRejected
from adpilot.platforms.google import classify
from adpilot.platforms.types import AdAccountRef, EntityLevel, EntityStatus, Platform
from adpilot.sandbox.auth import pkce_challenge
from adpilot.sandbox.google import reports as emulator_module
from adpilot.sandbox.quota import QuotaGate
from adpilot.sandbox.state import SandboxConfig, SandboxState
from tests.platforms.contract_kit import (
    FakeTime,
    as_tuples,
    batched_reads,
    batched_status_writes,
    collect,
    frozen_state,
)
from tests.platforms.google.kit import REDIRECT_URI, VERIFIER, EmulatedGoogle, _ConsentForm, private_emulator

# === emulator only: the simulation's ground truth, hierarchies, OAuth, GAQL, mutates ==============================


class TestGroundTruth:
    @pytest.mark.parametrize("level", list(EntityLevel))
    async def test_the_adapter_returns_exactly_the_simulation(
        self, emulator: EmulatedGoogle, level: EntityLevel
    ) -> None:
        credentials = await emulator.connect()
        since, until = emulator.report_range
        rows = await collect(emulator.adapter, credentials, emulator.account, level, since, until)
        expected = emulator.expected_daily(level, since, until)
        assert as_tuples(rows) == expected
        assert sum(r.spend_micros for r in rows) == sum(e[4] for e in expected) > 0
        assert len({(r.entity_platform_id, r.day) for r in rows}) == len(rows)

    async def test_levels_sum_to_the_same_totals(self, emulator: EmulatedGoogle) -> None:
        credentials = await emulator.connect()
        since, until = emulator.report_range
        totals = []
        for level in EntityLevel:
            rows = await collect(emulator.adapter, credentials, emulator.account, level, since, until)
            totals.append(
                (
                    sum(r.impressions for r in rows),
                    sum(r.spend_micros for r in rows),
                    sum(r.conversion_value_micros for r in rows),
                )
            )
        assert totals[0] == totals[1] == totals[2]

    async def test_late_conversions_are_restated_upward(self) -> None:
        state = frozen_state()
        backend = private_emulator(state)
        credentials = await backend.connect()
        account = state.world.account(Platform.google, backend.account.account_id)
        assert account is not None
        yesterday = state.clock.today(account.time_zone) - timedelta(days=1)
        first = await collect(backend.adapter, credentials, backend.account, EntityLevel.campaign, yesterday, yesterday)
        state.clock.advance(7 * 86_400)
        credentials = await backend.adapter.refresh(credentials)
        later = await collect(backend.adapter, credentials, backend.account, EntityLevel.campaign, yesterday, yesterday)
        assert sum(r.conversions for r in later) > sum(r.conversions for r in first)
        assert [r.spend_micros for r in later] == [r.spend_micros for r in first]


class TestAccountsAndAccess:
    async def test_a_login_without_a_manager_sees_its_own_account_only(self, emulator: EmulatedGoogle) -> None:
        other = next(
            login for login in emulator.state.world.logins(Platform.google) if emulator.manager not in login.account_ids
        )
        emulator.login = other
        credentials = await emulator.connect()
        accounts = await emulator.adapter.list_ad_accounts(credentials)
        assert sorted(a.account_id for a in accounts) == sorted(other.account_ids)
        assert all(a.login_customer_id is None for a in accounts)

    async def test_a_client_of_the_manager_is_reached_only_through_it(self, emulator: EmulatedGoogle) -> None:
        credentials = await emulator.connect()
        entities = await emulator.adapter.list_entities(credentials, emulator.account)
        assert entities
        with pytest.raises(PlatformAuthError) as caught:
            await emulator.adapter.list_entities(credentials, AdAccountRef(emulator.account.account_id))
        assert caught.value.platform_code == "USER_PERMISSION_DENIED"

    async def test_a_manager_the_login_cannot_use_is_refused(self, emulator: EmulatedGoogle) -> None:
        other = next(
            login for login in emulator.state.world.logins(Platform.google) if emulator.manager not in login.account_ids
        )
        emulator.login = other
        credentials = await emulator.connect()
        with pytest.raises(PlatformAuthError):
            await emulator.adapter.list_entities(credentials, emulator.account)

    async def test_a_manager_has_no_metrics(self, emulator: EmulatedGoogle) -> None:
        credentials = await emulator.connect()
        since, until = emulator.report_range
        with pytest.raises(PlatformRejected) as caught:
            await collect(
                emulator.adapter, credentials, AdAccountRef(emulator.manager), EntityLevel.campaign, since, until
            )
        assert caught.value.platform_code == "REQUESTED_METRICS_FOR_MANAGER"

    async def test_every_call_is_logged_by_the_emulator(self, emulator: EmulatedGoogle) -> None:
        emulator.state.request_log.clear()
        credentials = await emulator.connect()
        await emulator.adapter.list_ad_accounts(credentials)
        paths = [path for platform, _, path in emulator.state.request_log if platform is Platform.google]
        assert paths[:3] == ["/o/oauth2/v2/auth", "/o/oauth2/v2/auth", "/token"]
        assert "/v23/customers:listAccessibleCustomers" in paths


class TestOAuth:
    async def test_denying_consent_returns_access_denied(self, emulator: EmulatedGoogle) -> None:
        callback = await emulator.consent(decision="deny")
        assert callback.params["error"] == "access_denied"
        assert callback.params["state"] == "state-123"
        assert "code" not in callback.params

    async def test_a_wrong_pkce_verifier_is_an_invalid_grant(self, emulator: EmulatedGoogle) -> None:
        callback = await emulator.consent(code_challenge=pkce_challenge(VERIFIER))
        with pytest.raises(PlatformAuthError) as caught:
            await emulator.adapter.exchange_code(
                callback.params["code"],
                redirect_uri=REDIRECT_URI,
                code_verifier="not-the-verifier-but-long-enough-0123456789",
            )
        assert caught.value.platform_code == "invalid_grant"

    async def test_a_code_is_single_use(self, emulator: EmulatedGoogle) -> None:
        callback = await emulator.consent()
        code = callback.params["code"]
        await emulator.adapter.exchange_code(code, redirect_uri=REDIRECT_URI, code_verifier=None)
        with pytest.raises(PlatformAuthError):
            await emulator.adapter.exchange_code(code, redirect_uri=REDIRECT_URI, code_verifier=None)

    async def test_without_offline_access_there_is_no_refresh_token(self, emulator: EmulatedGoogle) -> None:
        client_id, secret = emulator.state.config.app_credentials[Platform.google]
        url = emulator.adapter.authorization_url(redirect_uri=REDIRECT_URI, state="s", code_challenge=None)
        online = str(httpx.URL(url).copy_set_param("access_type", "online"))
        page = await emulator.client.get(online)
        form = _ConsentForm()
        form.feed(page.text)
        assert form.action is not None
        answer = await emulator.client.post(
            httpx.URL(online).join(form.action),
            data={**form.fields, "decision": "allow", "login_id": emulator.login.login_id},
        )
        code = httpx.URL(answer.headers["location"]).params["code"]
        token = await emulator.client.post(
            f"{emulator.base_url}/token",
            data={
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": REDIRECT_URI,
                "client_id": client_id,
                "client_secret": secret,
            },
        )
        assert token.status_code == 200
        assert "refresh_token" not in token.json()
        assert token.json()["expires_in"] == 3599

    async def test_wrong_client_credentials_are_refused(self, emulator: EmulatedGoogle) -> None:
        answer = await emulator.client.post(
            f"{emulator.base_url}/token",
            data={
                "grant_type": "refresh_token",
                "refresh_token": "1//x",
                "client_id": "someone-else",
                "client_secret": "nope",
            },
        )
        assert answer.status_code == 401
        assert answer.json()["error"] == "invalid_client"

    async def test_an_unknown_client_gets_no_consent_page(self, emulator: EmulatedGoogle) -> None:
        url = emulator.adapter.authorization_url(redirect_uri=REDIRECT_URI, state="s", code_challenge=None)
        page = await emulator.client.get(str(httpx.URL(url).copy_set_param("client_id", "intruder")))
        assert page.status_code == 401
        assert "invalid_client" in page.text

    async def test_access_tokens_expire_on_the_sandbox_clock(self) -> None:
        state = frozen_state()
        backend = private_emulator(state)
        credentials = await backend.connect()
        state.clock.advance(3600)
        with pytest.raises(PlatformAuthError) as caught:
            await backend.adapter.list_entities(credentials, backend.account)
        assert (caught.value.refreshable, caught.value.platform_code) == (True, "OAUTH_TOKEN_EXPIRED")
        refreshed = await backend.adapter.refresh(credentials)
        assert await backend.adapter.list_entities(refreshed, backend.account)

    async def test_a_missing_token_is_unauthenticated(self, emulator: EmulatedGoogle) -> None:
        answer = await emulator.client.get(f"{emulator.base_url}/v23/customers:listAccessibleCustomers")
        assert answer.status_code == 401
        assert answer.json()["error"]["status"] == "UNAUTHENTICATED"
        error = classify(answer)
        assert isinstance(error, PlatformAuthError) and error.refreshable


class TestQuota:
    async def test_the_emulator_enforces_its_rate_and_the_adapter_rides_it_out(self) -> None:
        fake = FakeTime()
        state = SandboxState.demo(config=SandboxConfig(google_requests_per_second=2))
        state.quota = QuotaGate(now=fake.clock)
        # The adapter is configured faster than the emulator allows, so the emulator's 429s must do the pacing.
        backend = private_emulator(state, account_rate=Rate(1000), fake=fake)
        credentials = await backend.connect()
        for _ in range(3):
            entities = await backend.adapter.list_entities(credentials, backend.account)
        assert len(entities) == len(backend.expected_entities())
        throttled = backend.log.statuses.count(429)
        assert throttled > 0
        # 12 calls, 2 per second: the last cannot start before 5 s; each 429 said exactly how long to wait.
        assert fake.now >= 5.0
        assert throttled <= 12

    async def test_an_adapter_at_the_documented_rate_is_never_throttled(self) -> None:
        fake = FakeTime()
        state = SandboxState.demo(config=SandboxConfig(google_requests_per_second=2))
        state.quota = QuotaGate(now=fake.clock)
        # Just under the emulator's rate: the gate counts exactly, and a schedule at exactly 2/s can land a float's
        # breadth inside the window.
        backend = private_emulator(state, account_rate=Rate(1.95), fake=fake)
        credentials = await backend.connect()
        for _ in range(3):
            await backend.adapter.list_entities(credentials, backend.account)
        assert 429 not in backend.log.statuses
        assert 5.0 <= fake.now <= 6.0


class TestGaql:
    async def search(
        self, emulator: EmulatedGoogle, body: dict[str, Any], *, customer: str | None = None
    ) -> httpx.Response:
        credentials = await emulator.connect()
        return await emulator.client.post(
            f"{emulator.base_url}/v23/customers/{customer or emulator.account.account_id}/googleAds:search",
            headers={"Authorization": f"Bearer {credentials.access_token}", "login-customer-id": emulator.manager},
            json=body,
        )

    async def test_search_pages_are_fixed_and_page_size_is_refused(
        self, emulator: EmulatedGoogle, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        refused = await self.search(emulator, {"query": "SELECT campaign.id FROM campaign", "pageSize": 5})
        assert refused.status_code == 400
        assert refused.json()["error"]["details"][0]["errors"][0]["errorCode"] == {
            "requestError": "PAGE_SIZE_NOT_SUPPORTED"
        }
        monkeypatch.setattr(emulator_module, "PAGE_SIZE", 4)
        query = "SELECT campaign.id, campaign.name FROM campaign ORDER BY campaign.id"
        seen: list[str] = []
        body: dict[str, Any] = {"query": query, "searchSettings": {"returnTotalResultsCount": True}}
        while True:
            page = (await self.search(emulator, body)).json()
            seen += [row["campaign"]["id"] for row in page.get("results", [])]
            if "nextPageToken" not in page:
                break
            body = {"query": query, "pageToken": page["nextPageToken"]}
        all_campaigns = emulator.state.world.entities(
            Platform.google, emulator.account.account_id, EntityLevel.campaign, include_removed=True
        )
        assert seen == sorted((c.id for c in all_campaigns), key=int)
        bad_token = await self.search(emulator, {"query": "SELECT campaign.name FROM campaign", "pageToken": "zz"})
        assert bad_token.json()["error"]["details"][0]["errors"][0]["errorCode"] == {
            "requestError": "INVALID_PAGE_TOKEN"
        }

    @pytest.mark.parametrize(
        ("query", "code"),
        [
            ("SELECT campaign.nonsense FROM campaign", "UNRECOGNIZED_FIELD"),
            ("SELECT campaign.id FROM keyword_view_of_nothing", "BAD_RESOURCE_TYPE_IN_FROM_CLAUSE"),
            ("SELECT ad_group.id FROM campaign", "PROHIBITED_RESOURCE_TYPE_IN_SELECT_CLAUSE"),
            ("SELECT campaign.id, segments.date FROM campaign", "EXPECTED_FILTERS_ON_DATE_RANGE"),
            ("SELECT campaign.id FROM campaign ORDER BY campaign.name", "EXPECTED_REFERENCED_FIELD_IN_SELECT_CLAUSE"),
            ("SELECT campaign.id FROM campaign WHERE campaign.status = 'ACTIVE'", "BAD_ENUM_CONSTANT"),
            ("SELECT campaign.id campaign.name FROM campaign", "EXPECTED_FROM"),
            ("campaign.id FROM campaign", "EXPECTED_SELECT"),
            ("SELECT campaign.id FROM campaign WHERE campaign.name = 'open", "STRING_NOT_TERMINATED"),
            ("SELECT campaign.id FROM campaign LIMIT 0", "LIMIT_VALUE_TOO_LOW"),
        ],
    )
    async def test_query_errors(self, emulator: EmulatedGoogle, query: str, code: str) -> None:
        answer = await self.search(emulator, {"query": query})
        assert answer.status_code == 400
        assert list(answer.json()["error"]["details"][0]["errors"][0]["errorCode"].values()) == [code]

    async def test_filters_order_limit_and_presets(self, emulator: EmulatedGoogle) -> None:
        enabled = await self.search(
            emulator,
            {
                "query": "SELECT campaign.id, campaign.status, campaign_budget.amount_micros FROM campaign "
                "WHERE campaign.status IN ('ENABLED', 'PAUSED') ORDER BY campaign.id DESC LIMIT 3"
            },
        )
        rows = enabled.json()["results"]
        assert len(rows) == 3
        assert [int(r["campaign"]["id"]) for r in rows] == sorted(
            (int(r["campaign"]["id"]) for r in rows), reverse=True
        )
        assert all(r["campaign"]["status"] in ("ENABLED", "PAUSED") for r in rows)
        assert all(isinstance(r["campaignBudget"]["amountMicros"], str) for r in rows)
        week = await self.search(
            emulator,
            {
                "query": "SELECT campaign.id, segments.date, metrics.clicks FROM campaign "
                "WHERE segments.date DURING LAST_7_DAYS",
                "searchSettings": {"returnSummaryRow": True},
            },
        )
        body = week.json()
        days = {r["segments"]["date"] for r in body["results"]}
        account = emulator.world_account(emulator.account.account_id)
        today = emulator.state.clock.today(account.time_zone)
        assert days == {(today - timedelta(days=n)).isoformat() for n in range(1, 8)}
        assert int(body["summaryRow"]["metrics"]["clicks"]) == sum(int(r["metrics"]["clicks"]) for r in body["results"])

    async def test_customer_client_hierarchy(self, emulator: EmulatedGoogle) -> None:
        answer = await self.search(
            emulator,
            {
                "query": "SELECT customer_client.id, customer_client.level, customer_client.manager "
                "FROM customer_client WHERE customer_client.level <= 1"
            },
            customer=emulator.manager,
        )
        rows = answer.json()["results"]
        levels = {r["customerClient"]["id"]: r["customerClient"]["level"] for r in rows}
        assert levels[emulator.manager] == "0"
        assert levels[emulator.account.account_id] == "1"
        assert all(r["customerClient"]["resourceName"].startswith(f"customers/{emulator.manager}/") for r in rows)


class TestBatchedReads:
    async def test_many_entities_of_a_level_are_one_search(self, emulator: EmulatedGoogle) -> None:
        credentials = await emulator.connect()
        counts = await batched_reads(
            emulator.adapter, credentials, emulator.account, lambda: len(emulator.log.requests), "999999999999"
        )
        # One GAQL ``IN`` search per level (and the customer's currency, asked each time: the ref carries none).
        assert all(requests == 2 for _, requests in counts.values()), counts
        searches = [r for r in emulator.log.requests if r.body and " IN (" in str(r.body.get("query", ""))]
        assert searches

    async def test_statuses_of_a_level_are_one_mutate(self, emulator: EmulatedGoogle) -> None:
        credentials = await emulator.connect()
        counts = await batched_status_writes(
            emulator.adapter, credentials, emulator.account, lambda: len(emulator.log.requests)
        )
        # The currency is not asked; ads need their resource names found first (one search).
        assert counts[EntityLevel.campaign][1] == counts[EntityLevel.ad_group][1] == 1, counts
        assert counts[EntityLevel.ad][1] == 2, counts

    async def test_a_refused_operation_fails_only_its_entity(self, emulator: EmulatedGoogle) -> None:
        credentials = await emulator.connect()
        listed = await emulator.adapter.list_entities(credentials, emulator.account)
        for level, unknown in ((EntityLevel.campaign, "999999999"), (EntityLevel.ad, "999999998")):
            ids = [e.platform_id for e in listed if e.level is level and e.status is EntityStatus.active][:2]
            made = len(emulator.log.requests)
            refused = await emulator.adapter.set_statuses(
                credentials, emulator.account, level, dict.fromkeys([ids[0], unknown, ids[1]], EntityStatus.paused)
            )
            # Only the unknown entity is refused, in Google's words (an ad's resource name is not even found); the
            # others are applied by the same mutate.
            assert list(refused) == [unknown] and "not found" in refused[unknown].lower(), refused
            mutates = [r for r in emulator.log.requests[made:] if r.path.endswith(":mutate")]
            assert len(mutates) == 1, mutates
            assert all(r.body and r.body.get("partialFailure") is True for r in mutates)
            now = await emulator.adapter.read_entities(credentials, emulator.account, level, ids)
            assert {e.status for e in now.values()} == {EntityStatus.paused}, level
            await emulator.adapter.set_statuses(
                credentials, emulator.account, level, dict.fromkeys(ids, EntityStatus.active)
            )
