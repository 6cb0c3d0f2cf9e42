"""Meta on private sandboxes: a clock of their own and a real rate."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest

from adpilot.platforms.config import MetaAdsConfig, Rate
from adpilot.platforms.errors import PlatformAuthError, PlatformRateLimited, PlatformRejected
from adpilot.platforms.meta.client import classify
from adpilot.platforms.types import EntityLevel, EntityRef, Money, Platform
from tests.platforms.contract_kit import as_tuples, collect
from tests.platforms.meta.kit import VERSION, build_adapter, private_emulator, private_sandbox

# === private sandboxes: a clock of their own, a real rate ============================================================


class TestPrivateSandbox:
    async def test_a_long_lived_token_expires_after_sixty_days(self) -> None:
        state = private_sandbox()
        emulator = private_emulator(state)
        credentials = await emulator.connect()
        state.clock.advance(5183944 + 1)
        with pytest.raises(PlatformAuthError) as caught:
            await emulator.adapter.list_ad_accounts(credentials)
        assert caught.value.platform_code == "190/463"
        # The exchange endpoint refuses the expired token too (asked by an adapter whose clock thinks it is still
        # valid): nothing but a new sign-in helps.
        app_id, secret = state.config.app_credentials[Platform.meta]
        config = MetaAdsConfig(app_id=app_id, app_secret=secret, graph_base_url=emulator.base_url, api_version=VERSION)
        adapter, client, _ = build_adapter(
            config, emulator.transport, emulator.fake, emulator.log, now=lambda: datetime(2000, 1, 1, tzinfo=UTC)
        )
        with pytest.raises(PlatformAuthError) as refused:
            await adapter.refresh(credentials)
        assert refused.value.platform_code == "190/463"
        await client.aclose()

    async def test_today_and_late_conversions_match_the_simulation(self) -> None:
        state = private_sandbox()
        emulator = private_emulator(state, account_index=2)
        credentials = emulator.token()
        today = state.clock.today(emulator.record.time_zone)
        since = today - timedelta(days=6)
        for level in EntityLevel:
            rows = await collect(emulator.adapter, credentials, emulator.account, level, since, today)
            assert as_tuples(rows) == emulator.expected_daily(level, since, today)
        early = sum(
            r.conversions
            for r in await collect(emulator.adapter, credentials, emulator.account, EntityLevel.campaign, since, today)
        )
        state.clock.advance(3 * 86400)
        later = sum(
            r.conversions
            for r in await collect(emulator.adapter, credentials, emulator.account, EntityLevel.campaign, since, today)
        )
        assert later >= early  # restated upward as late conversions arrive

    async def test_an_ad_set_budget_changes_four_times_an_hour(self) -> None:
        state = private_sandbox()
        emulator = private_emulator(state)
        credentials = emulator.token()
        ad_set = next(
            e
            for e in state.world.entities(Platform.meta, emulator.account.account_id, EntityLevel.ad_group)
            if e.daily_budget_micros is not None
        )
        ref = EntityRef(emulator.account, EntityLevel.ad_group, ad_set.id)
        currency = emulator.record.currency
        for step in range(4):
            await emulator.adapter.set_daily_budget(credentials, ref, Money((20 + step) * 1_000_000, currency))
        with pytest.raises(PlatformRateLimited) as caught:
            await emulator.adapter.set_daily_budget(credentials, ref, Money(30 * 1_000_000, currency))
        # Meta's wait is about an hour, far longer than a call may wait: the job is told to come back later.
        assert caught.value.platform_code == "17/2446079"
        assert caught.value.retry_after is not None and caught.value.retry_after > 120
        state.clock.advance(3600)
        await emulator.adapter.set_daily_budget(credentials, ref, Money(30 * 1_000_000, currency))
        assert state.world.entity(Platform.meta, ad_set.id).daily_budget_micros == 30_000_000  # type: ignore[union-attr]

    async def test_the_emulator_enforces_its_rate_and_the_adapter_recovers(self) -> None:
        """Real time here: the emulator allows 2 calls a second per account, the adapter is configured for 50 (so the
        emulator refuses some even on a busy machine, where each answer takes longer)."""
        state = private_sandbox(rate=2, frozen=False)
        emulator = private_emulator(state)
        codes: list[int] = []

        async def record_code(response: httpx.Response) -> None:
            await response.aread()
            if response.status_code == 400:
                codes.append(response.json()["error"]["code"])

        app_id, secret = state.config.app_credentials[Platform.meta]
        config = MetaAdsConfig(app_id=app_id, app_secret=secret, graph_base_url=emulator.base_url,
                               api_version=VERSION, account_rate=Rate(50), app_rate=Rate(50))  # fmt: skip
        adapter, client, _ = build_adapter(
            config, emulator.transport, emulator.fake, emulator.log, real_time=True, on_response=record_code
        )
        credentials = emulator.token()
        entities = await adapter.list_entities(credentials, emulator.account)  # 4 calls
        rows = await collect(adapter, credentials, emulator.account, EntityLevel.campaign, *emulator.sync_range)
        rows += await collect(adapter, credentials, emulator.account, EntityLevel.ad_group, *emulator.sync_range)
        await client.aclose()
        assert entities
        assert as_tuples(rows) == sorted(
            emulator.expected_daily(EntityLevel.campaign, *emulator.sync_range)
            + emulator.expected_daily(EntityLevel.ad_group, *emulator.sync_range)
        )
        assert codes and set(codes) <= {80000, 80004}
        await emulator.client.aclose()

    async def test_high_usage_slows_the_adapter_down_before_meta_says_no(self) -> None:
        state = private_sandbox()
        emulator = private_emulator(state)
        app_id, secret = state.config.app_credentials[Platform.meta]
        config = MetaAdsConfig(app_id=app_id, app_secret=secret, graph_base_url=emulator.base_url,
                               api_version=VERSION, usage_slowdown_pct=0.0001)  # fmt: skip
        adapter, client, limiter = build_adapter(config, emulator.transport, emulator.fake, emulator.log)
        await adapter.list_entities(emulator.token(), emulator.account)
        key = f"meta:account:{emulator.account.account_id}"
        pauses = [seconds for blocked, seconds in limiter.blocks if blocked == key]
        # The ad account score resets over five minutes; the business use case over an hour, a minute at a time.
        assert pauses and all(0 < seconds <= 300 or seconds == 60.0 for seconds in pauses)
        await client.aclose()

    async def test_dead_api_versions_are_refused(self) -> None:
        state = private_sandbox()
        emulator = private_emulator(state)
        answer = await emulator.client.get(
            f"{emulator.base_url}/v20.0/me", headers={"Authorization": f"Bearer {emulator.token().access_token}"}
        )
        assert answer.status_code == 400 and answer.json()["error"]["code"] == 2635
        assert isinstance(classify(answer), PlatformRejected)
