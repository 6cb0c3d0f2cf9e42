"""The TikTok emulator and its world: ground truth, writes, tokens, quota and private sandboxes."""

from __future__ import annotations

import math
import random
from datetime import timedelta

import httpx
import pytest

from adpilot.platforms.config import Rate
from adpilot.platforms.errors import PlatformAuthError, PlatformRejected
from adpilot.platforms.types import AdAccountRef, EntityLevel, EntityRef, EntityStatus, Money, Platform
from adpilot.sandbox.faults import FaultKind
from adpilot.sandbox.quota import QuotaGate
from adpilot.sandbox.state import SandboxConfig, SandboxState
from tests.platforms.contract_kit import as_tuples, batched_reads, batched_status_writes, collect, frozen_state
from tests.platforms.tiktok.kit import REDIRECT_URI, EmulatedTikTok, private_emulator

# === the emulator and the world: ground truth, writes, tokens, quota ==============================================


class TestGroundTruth:
    """The adapter's numbers are the simulation's, to the micro, up to today's partial hour (frozen clock)."""

    @pytest.mark.parametrize("level", list(EntityLevel))
    async def test_daily_metrics_equal_the_simulation_over_two_windows(self, level: EntityLevel) -> None:
        backend = private_emulator(frozen_state(tiktok_requests_per_second=1e5), report_range=(44, 0))
        credentials = await backend.connect()
        since, until = backend.report_range
        rows = await collect(backend.adapter, credentials, backend.account, level, since, until)
        assert as_tuples(rows) == backend.expected_daily(level, since, until)
        assert any(row.day == backend.today for row in rows), "today's partial numbers are read too"
        # The windows are asked for at once: which request leaves first is the scheduler's business.
        assert sorted(backend.log.report_windows()) == [
            (since.isoformat(), (since + timedelta(days=29)).isoformat()),
            ((since + timedelta(days=30)).isoformat(), until.isoformat()),
        ]
        assert {row.currency for row in rows} == {backend.currency}
        await backend.client.aclose()

    async def test_late_conversions_are_restated_on_the_next_read(self) -> None:
        state = frozen_state(tiktok_requests_per_second=1e5)
        backend = private_emulator(state, report_range=(6, 1))
        credentials = await backend.connect()
        since, until = backend.report_range
        first = await collect(backend.adapter, credentials, backend.account, EntityLevel.campaign, since, until)
        state.clock.advance(3 * 24 * 3600)
        again = await collect(backend.adapter, credentials, backend.account, EntityLevel.campaign, since, until)
        assert as_tuples(again) == backend.expected_daily(EntityLevel.campaign, since, until)
        assert sum(row.conversions for row in again) > sum(row.conversions for row in first)
        assert [(r.entity_platform_id, r.day, r.spend_micros) for r in again] == [
            (r.entity_platform_id, r.day, r.spend_micros) for r in first
        ]
        await backend.client.aclose()


class TestEmulatorTruth:
    async def test_every_account_of_the_login_reads_in_its_own_currency(self, emulator: EmulatedTikTok) -> None:
        credentials = await emulator.connect()
        for account in await emulator.adapter.list_ad_accounts(credentials):
            since, until = emulator.report_range
            rows = await collect(
                emulator.adapter, credentials, AdAccountRef(account.account_id), EntityLevel.campaign, since, until
            )
            assert rows
            assert {row.currency for row in rows} == {account.currency}

    async def test_deleting_a_campaign_is_final_and_takes_its_children(self, emulator: EmulatedTikTok) -> None:
        credentials = await emulator.connect()
        world = emulator.state.world
        campaign = world.create_entity(
            Platform.tiktok,
            emulator.account.account_id,
            EntityLevel.campaign,
            name="Contract test — to delete",
            parent_id=None,
            status=EntityStatus.paused,
            objective="traffic",
            daily_budget_micros=50_000_000,
        )
        adgroup = world.create_entity(
            Platform.tiktok,
            emulator.account.account_id,
            EntityLevel.ad_group,
            name="Contract test ad group",
            parent_id=campaign.id,
            status=EntityStatus.active,
            objective="traffic",
        )
        ref = EntityRef(emulator.account, EntityLevel.campaign, campaign.id)
        await emulator.adapter.set_status(credentials, ref, EntityStatus.removed)
        assert emulator.status_of(ref) is EntityStatus.removed
        removed_child = world.entity(Platform.tiktok, adgroup.id)
        assert removed_child is not None
        assert removed_child.status is EntityStatus.removed
        listed = {e.platform_id: e.status for e in await emulator.adapter.list_entities(credentials, emulator.account)}
        assert listed[campaign.id] is listed[adgroup.id] is EntityStatus.removed
        with pytest.raises(PlatformRejected) as raised:
            await emulator.adapter.set_status(credentials, ref, EntityStatus.active)
        assert raised.value.platform_code == "40002"
        # Deleting again is a no-op, so a retried DELETE cannot fail.
        await emulator.adapter.set_status(credentials, ref, EntityStatus.removed)

    async def test_an_ad_group_budget(self, emulator: EmulatedTikTok) -> None:
        credentials = await emulator.connect()
        world = emulator.state.world
        campaign = world.create_entity(
            Platform.tiktok,
            emulator.account.account_id,
            EntityLevel.campaign,
            name="Contract test — ad group budgets",
            parent_id=None,
            status=EntityStatus.paused,
            objective="sales",
        )
        adgroup = world.create_entity(
            Platform.tiktok,
            emulator.account.account_id,
            EntityLevel.ad_group,
            name="Contract test ad group with a budget",
            parent_id=campaign.id,
            status=EntityStatus.paused,
            objective="sales",
            daily_budget_micros=30_000_000,
        )
        currency = emulator.account_record.currency  # type: ignore[union-attr]
        ref = EntityRef(emulator.account, EntityLevel.ad_group, adgroup.id)
        await emulator.adapter.set_daily_budget(credentials, ref, Money(42_500_000, currency))
        assert emulator.daily_budget_of(ref) == 42_500_000
        # A campaign without a budget (the ad groups carry them) cannot be given a daily one.
        with pytest.raises(PlatformRejected):
            await emulator.adapter.set_daily_budget(
                credentials, EntityRef(emulator.account, EntityLevel.campaign, campaign.id), Money(1_000_000, currency)
            )
        with pytest.raises(PlatformRejected):
            await emulator.adapter.set_daily_budget(
                credentials, EntityRef(emulator.account, EntityLevel.ad, "1"), Money(1_000_000, currency)
            )

    async def test_creating_a_campaign_is_idempotent_on_request_id(self, emulator: EmulatedTikTok) -> None:
        credentials = await emulator.connect()
        body = {
            "advertiser_id": emulator.account.account_id,
            "campaign_name": "Contract test — Spring Sale",
            "objective_type": "TRAFFIC",
            "budget_mode": "BUDGET_MODE_DAY",
            "budget": 50.0,
            "operation_status": "DISABLE",
            "request_id": str(random.randrange(10**11, 10**12)),
        }
        url = f"{emulator.base_url}/open_api/v1.3/campaign/create/"
        headers = {"Access-Token": credentials.access_token}
        first = (await emulator.client.post(url, json=body, headers=headers)).json()
        second = (await emulator.client.post(url, json=body, headers=headers)).json()
        assert first["code"] == 0
        assert first["data"]["campaign_id"] == second["data"]["campaign_id"]
        created = emulator.state.world.entity(Platform.tiktok, first["data"]["campaign_id"])
        assert created is not None
        assert (created.status, created.daily_budget_micros, created.objective) == (
            EntityStatus.paused,
            50_000_000,
            "traffic",
        )
        bad = (await emulator.client.post(url, json={**body, "request_id": None, "budget": 0}, headers=headers)).json()
        assert bad["code"] == 40002
        # Below TikTok's smallest daily budget of a campaign (20 USD, or as much in the account's currency).
        low = (await emulator.client.post(url, json={**body, "request_id": None, "budget": 10}, headers=headers)).json()
        assert low["code"] == 40002 and "must be at least" in low["message"], low

    async def test_consent_denied_sends_the_person_back_without_a_code(self, emulator: EmulatedTikTok) -> None:
        callback = httpx.URL((await emulator.consent("deny")).headers["location"])
        assert "auth_code" not in callback.params
        assert callback.params["error"] == "access_denied"
        assert callback.params["state"] == "state-123"

    async def test_an_auth_code_works_once(self, emulator: EmulatedTikTok) -> None:
        callback = httpx.URL((await emulator.consent()).headers["location"])
        code = callback.params["auth_code"]
        await emulator.adapter.exchange_code(code, redirect_uri=REDIRECT_URI, code_verifier=None)
        with pytest.raises(PlatformRejected) as raised:
            await emulator.adapter.exchange_code(code, redirect_uri=REDIRECT_URI, code_verifier=None)
        assert raised.value.platform_code == "40110"

    async def test_revoking_ends_the_grant(self, emulator: EmulatedTikTok) -> None:
        credentials = await emulator.connect()
        await emulator.adapter.revoke(credentials)
        with pytest.raises(PlatformAuthError) as raised:
            await emulator.adapter.list_ad_accounts(credentials)
        assert raised.value.refreshable is False
        # Revoking what is already revoked is not an error.
        await emulator.adapter.revoke(credentials)

    async def test_refresh_rotates_both_tokens(self, emulator: EmulatedTikTok) -> None:
        emulator.state.config.tiktok_token_mode = "rotating"
        credentials = await emulator.connect()
        assert credentials.refresh_token is not None
        assert credentials.expires_at is not None
        assert credentials.refresh_token_expires_at is not None
        assert credentials.subject == emulator.login.login_id
        rotated = await emulator.adapter.refresh(credentials)
        assert rotated.access_token != credentials.access_token
        assert rotated.refresh_token not in (None, credentials.refresh_token)
        assert rotated.expires_at is not None
        assert rotated.expires_at >= credentials.expires_at
        (request,) = emulator.log.to("tt_user/oauth2/refresh_token/")
        assert request.body is not None
        assert set(request.body) == {"client_id", "client_secret", "grant_type", "refresh_token"}
        assert request.body["grant_type"] == "refresh_token"
        # The refresh token just used is spent; the new one works.
        with pytest.raises(PlatformAuthError) as raised:
            await emulator.adapter.refresh(credentials)
        assert raised.value.refreshable is False
        assert await emulator.adapter.list_ad_accounts(rotated)
        assert (await emulator.adapter.refresh(rotated)).refresh_token != rotated.refresh_token

    async def test_an_expired_rotating_token_is_refreshable(self, emulator: EmulatedTikTok) -> None:
        emulator.state.config.tiktok_token_mode = "rotating"
        credentials = await emulator.connect()
        emulator.inject(FaultKind.expire_token)
        with pytest.raises(PlatformAuthError) as raised:
            await emulator.adapter.list_entities(credentials, emulator.account)
        assert (raised.value.platform_code, raised.value.refreshable) == ("40102", True)
        fresh = await emulator.adapter.refresh(credentials)
        assert await emulator.adapter.list_entities(fresh, emulator.account)


class TestPrivateSandbox:
    """Tests that move the sandbox clock or throttle the emulator run on a sandbox of their own."""

    async def test_a_rotating_access_token_expires_after_a_day(self) -> None:
        state = SandboxState.demo(config=SandboxConfig(tiktok_token_mode="rotating", tiktok_requests_per_second=1e5))
        backend = private_emulator(state)
        credentials = await backend.connect()
        state.clock.advance(24 * 3600 + 1)
        with pytest.raises(PlatformAuthError) as raised:
            await backend.adapter.list_ad_accounts(credentials)
        assert (raised.value.platform_code, raised.value.refreshable) == ("40102", True)
        fresh = await backend.adapter.refresh(credentials)
        assert await backend.adapter.list_ad_accounts(fresh)
        await backend.client.aclose()

    async def test_an_auth_code_expires_after_an_hour(self) -> None:
        state = SandboxState.demo(config=SandboxConfig(tiktok_requests_per_second=1e5))
        backend = private_emulator(state)
        code = httpx.URL((await backend.consent()).headers["location"]).params["auth_code"]
        state.clock.advance(3601)
        with pytest.raises(PlatformRejected):
            await backend.adapter.exchange_code(code, redirect_uri=REDIRECT_URI, code_verifier=None)
        await backend.client.aclose()

    async def test_the_emulator_enforces_its_qps_and_the_adapter_recovers(self) -> None:
        state = SandboxState.demo(config=SandboxConfig(tiktok_requests_per_second=5))
        backend = private_emulator(state)
        state.quota = QuotaGate(now=backend.fake.clock)  # the emulator counts on the test's clock
        credentials = await backend.connect()
        since, until = backend.report_range
        backend.narrow_reports(3)  # many requests: 30 days in windows of at most 3 days
        rows = await collect(backend.adapter, credentials, backend.account, EntityLevel.campaign, since, until)
        assert as_tuples(rows) == backend.expected_daily(EntityLevel.campaign, since, until)
        assert backend.log.codes.count(40100) > 0  # the adapter (1000/s configured) was too fast, and recovered

    async def test_just_under_the_allowed_rate_the_emulator_never_throttles(self) -> None:
        # 2% under the emulator's 5/s: exactly at the rate, request k and k+5 are exactly one window apart and
        # whether the platform counts both is a matter of rounding; a client keeps a margin.
        state = SandboxState.demo(config=SandboxConfig(tiktok_requests_per_second=5))
        backend = private_emulator(state, app_rate=Rate(4.9))
        state.quota = QuotaGate(now=backend.fake.clock)
        credentials = await backend.connect()
        since, until = backend.report_range
        backend.narrow_reports(3)
        await collect(backend.adapter, credentials, backend.account, EntityLevel.campaign, since, until)
        assert backend.log.codes.count(40100) == 0
        api_calls = len([request for request in backend.log.requests if request.api])
        assert api_calls > 20
        # And close to the allowed rate: the sync took about as long as its requests need at 5/s.
        assert backend.fake.now <= api_calls / 5 * 1.05
        await backend.client.aclose()


class TestBatchedReads:
    async def test_many_entities_are_read_a_hundred_ids_a_request(self, emulator: EmulatedTikTok) -> None:
        credentials = await emulator.connect()
        made = len(emulator.log.requests)
        counts = await batched_reads(
            emulator.adapter, credentials, emulator.account, lambda: len(emulator.log.requests), "1799999999999999999"
        )
        assert len(emulator.log.requests) > made
        for ids, requests in counts.values():
            # One ``…/get/`` per 100 ids (the advertiser's currency is asked at most once).
            assert math.ceil((ids + 1) / 100) <= requests <= math.ceil((ids + 1) / 100) + 1, counts

    async def test_statuses_are_set_twenty_ids_a_request(self, emulator: EmulatedTikTok) -> None:
        credentials = await emulator.connect()
        counts = await batched_status_writes(
            emulator.adapter, credentials, emulator.account, lambda: len(emulator.log.requests)
        )
        for ids, requests in counts.values():
            assert requests == math.ceil(ids / 20), counts
        assert all(
            len(r.body[next(k for k in r.body if k.endswith("_ids"))]) <= 20
            for r in emulator.log.requests
            if r.path.endswith("status/update/") and r.body
        )

    async def test_a_refused_id_refuses_its_whole_request(self, emulator: EmulatedTikTok) -> None:
        credentials = await emulator.connect()
        listed = await emulator.adapter.list_entities(credentials, emulator.account)
        ids = [e.platform_id for e in listed if e.level is EntityLevel.campaign and e.status is EntityStatus.active]
        asked = dict.fromkeys([ids[0], "1799999999999999999", ids[1]], EntityStatus.paused)
        with pytest.raises(PlatformRejected) as refusal:
            await emulator.adapter.set_statuses(credentials, emulator.account, EntityLevel.campaign, asked)
        assert refusal.value.detail
        # TikTok checks every id before changing any: nothing was applied.
        now = await emulator.adapter.read_entities(credentials, emulator.account, EntityLevel.campaign, ids[:2])
        assert {e.status for e in now.values()} == {EntityStatus.active}
