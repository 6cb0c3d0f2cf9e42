"""The Meta adapter's contract: the same questions get the same answers from the emulator and the recordings."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from adpilot.platforms.errors import PlatformAuthError, PlatformRejected
from adpilot.platforms.meta import currency_offset
from adpilot.platforms.port import AdPlatformAdapter
from adpilot.platforms.types import EntityLevel, EntityStatus, Money, Platform
from adpilot.sandbox.faults import FaultKind
from tests.platforms.contract_kit import as_tuples, collect
from tests.platforms.meta.kit import REDIRECT_URI, Backend

# === the contract: same questions, same answers, on both backends =================================================


class TestContract:
    async def test_the_adapter_fits_the_port(self, backend: Backend) -> None:
        port: AdPlatformAdapter = backend.adapter
        assert port.platform is Platform.meta
        assert port.supports_pkce is False

    async def test_a_code_becomes_a_long_lived_token_at_once(self, backend: Backend) -> None:
        before = datetime.now(UTC)
        credentials = await backend.connect()
        assert credentials.refresh_token is None
        assert credentials.expires_at is not None
        lifetime = (credentials.expires_at - before).total_seconds()
        assert 5183944 - 60 < lifetime < 5183944 + 60
        exchanges = backend.log.to("oauth/access_token", "POST")
        assert [request.form.get("grant_type") for request in exchanges] == [None, "fb_exchange_token"]
        assert "code" in exchanges[0].form and exchanges[0].form["redirect_uri"] == REDIRECT_URI
        assert credentials.subject
        assert "ads_management" in credentials.scopes

    async def test_ad_accounts_come_with_currency_and_time_zone(self, backend: Backend) -> None:
        credentials = await backend.connect()
        accounts = await backend.adapter.list_ad_accounts(credentials)
        got = sorted((a.account_id, a.name, a.currency, a.time_zone, a.active) for a in accounts)
        assert got == backend.expected_accounts()
        assert all(not a.account_id.startswith("act_") for a in accounts)
        assert all(a.platform_status == "ACTIVE" for a in accounts if a.active)

    async def test_entities_include_removed_ones_and_carry_budgets_in_micros(self, backend: Backend) -> None:
        credentials = await backend.connect()
        entities = await backend.adapter.list_entities(credentials, backend.account)
        got = sorted(
            (
                e.level,
                e.platform_id,
                e.status,
                e.campaign_platform_id,
                e.parent_platform_id,
                e.daily_budget.amount_micros if e.daily_budget else None,
            )
            for e in entities
        )
        assert got == backend.expected_entities()
        requests = [r for r in backend.log.requests if r.path.endswith(("/campaigns", "/adsets", "/ads"))]
        assert requests
        for request in requests:
            statuses = json.loads(request.query["effective_status"])
            assert {"DELETED", "ARCHIVED", "ACTIVE", "PAUSED"} <= set(statuses)

    async def test_daily_metrics_match_the_platform(self, backend: Backend) -> None:
        credentials = await backend.connect()
        since, until = backend.sync_range
        for level in EntityLevel:
            rows = await collect(backend.adapter, credentials, backend.account, level, since, until)
            assert as_tuples(rows) == backend.expected_daily(level, since, until)
        request = backend.log.to(f"act_{backend.account.account_id}/insights", "GET")[0]
        assert request.query["time_increment"] == "1"
        assert json.loads(request.query["time_range"]) == {"since": since.isoformat(), "until": until.isoformat()}
        assert request.query["level"] in ("campaign", "adset", "ad")

    async def test_long_ranges_go_through_an_async_report_run(self, backend: Backend) -> None:
        credentials = await backend.connect()
        since, until = backend.async_range
        rows = await collect(backend.adapter, credentials, backend.account, EntityLevel.ad, since, until)
        assert as_tuples(rows) == backend.expected_daily(EntityLevel.ad, since, until)
        act = f"act_{backend.account.account_id}"
        assert not backend.log.to(f"{act}/insights", "GET")
        (started,) = backend.log.to(f"{act}/insights", "POST")
        assert started.form["level"] == "ad" and started.form["time_increment"] == "1"
        polls = [r for r in backend.log.requests if r.method == "GET" and r.path.isdigit()]
        assert len(polls) >= 2
        assert [r for r in backend.log.requests if r.path.endswith("/insights") and r.path.split("/")[0].isdigit()]

    async def test_reduce_the_amount_of_data_switches_to_a_report_run(self, backend: Backend) -> None:
        credentials = await backend.connect()
        backend.refuse_sync_reports()
        since, until = backend.sync_range
        rows = await collect(backend.adapter, credentials, backend.account, EntityLevel.campaign, since, until)
        assert as_tuples(rows) == backend.expected_daily(EntityLevel.campaign, since, until)
        act = f"act_{backend.account.account_id}"
        # Not retried as if it were transient: one refused request, then the report run.
        assert len(backend.log.to(f"{act}/insights", "GET")) == 1
        assert len(backend.log.to(f"{act}/insights", "POST")) == 1

    async def test_a_rate_limit_storm_ends_with_complete_data_and_no_duplicates(self, backend: Backend) -> None:
        credentials = await backend.connect()
        since, until = backend.sync_range
        backend.inject(FaultKind.rate_limit, count=4)
        rows = await collect(backend.adapter, credentials, backend.account, EntityLevel.ad, since, until)
        assert as_tuples(rows) == backend.expected_daily(EntityLevel.ad, since, until)
        assert len({(r.entity_platform_id, r.day) for r in rows}) == len(rows)
        # No wait announced (0 minutes, or the emulator's default minute): Meta's advice, about a minute each time.
        account_key = f"meta:account:{backend.account.account_id}"
        assert [seconds for key, seconds in backend.limiter.blocks if key == account_key].count(60.0) >= 4

    async def test_the_announced_minutes_are_waited(self, backend: Backend) -> None:
        credentials = await backend.connect()
        since, until = backend.sync_range
        backend.inject(FaultKind.rate_limit, count=1, delay_seconds=90)
        rows = await collect(backend.adapter, credentials, backend.account, EntityLevel.campaign, since, until)
        assert as_tuples(rows) == backend.expected_daily(EntityLevel.campaign, since, until)
        assert (f"meta:account:{backend.account.account_id}", 90.0) in backend.limiter.blocks
        assert backend.fake.now >= 90

    async def test_transient_errors_are_retried(self, backend: Backend) -> None:
        credentials = await backend.connect()
        since, until = backend.sync_range
        backend.inject(FaultKind.server_error, count=3)
        rows = await collect(backend.adapter, credentials, backend.account, EntityLevel.campaign, since, until)
        assert as_tuples(rows) == backend.expected_daily(EntityLevel.campaign, since, until)
        assert len(backend.fake.sleeps) >= 3

    async def test_a_token_expiring_mid_sync_stops_the_sync_for_a_new_sign_in(self, backend: Backend) -> None:
        credentials = await backend.connect()
        await backend.adapter.list_entities(credentials, backend.account)
        backend.inject(FaultKind.expire_token)
        since, until = backend.sync_range
        with pytest.raises(PlatformAuthError) as caught:
            await collect(backend.adapter, credentials, backend.account, EntityLevel.ad, since, until)
        assert caught.value.refreshable is False
        assert caught.value.platform_code == "190/463"

    async def test_a_revoked_grant_needs_a_reconnect(self, backend: Backend) -> None:
        credentials = await backend.connect()
        backend.inject(FaultKind.revoke_token)
        with pytest.raises(PlatformAuthError) as caught:
            await backend.adapter.list_entities(credentials, backend.account)
        assert caught.value.refreshable is False
        assert caught.value.platform_code == "190/458"

    async def test_an_account_outside_the_grant_is_rejected(self, backend: Backend) -> None:
        credentials = await backend.connect()
        with pytest.raises(PlatformRejected) as caught:
            await backend.adapter.list_entities(credentials, backend.forbidden_account())
        assert caught.value.platform_code == "100/33"
        assert caught.value.request_id

    async def test_pausing_and_enabling_a_campaign(self, backend: Backend) -> None:
        credentials = await backend.connect()
        ref = backend.budgeted_campaign()
        await backend.adapter.set_status(credentials, ref, EntityStatus.paused)
        assert backend.status_of(ref) is EntityStatus.paused
        await backend.adapter.set_status(credentials, ref, EntityStatus.active)
        assert backend.status_of(ref) is EntityStatus.active
        assert [r.form for r in backend.log.to(ref.platform_id, "POST")] == [{"status": "PAUSED"}, {"status": "ACTIVE"}]

    async def test_changing_a_daily_budget_sends_minor_units(self, backend: Backend) -> None:
        credentials = await backend.connect()
        ref = backend.budgeted_campaign()
        currency = backend.currency
        await backend.adapter.set_daily_budget(credentials, ref, Money(75_000_000, currency))
        assert backend.daily_budget_of(ref) == 75_000_000
        (update,) = backend.log.to(ref.platform_id, "POST")
        assert update.form == {"daily_budget": str(75 * currency_offset(currency))}

    async def test_a_budget_in_another_currency_is_refused_before_sending(self, backend: Backend) -> None:
        credentials = await backend.connect()
        ref = backend.budgeted_campaign()
        with pytest.raises(PlatformRejected) as caught:
            await backend.adapter.set_daily_budget(credentials, ref, Money(75_000_000, "CHF"))
        assert "daily_budget" in caught.value.field_errors
        assert not backend.log.to(ref.platform_id, "POST")

    async def test_tokens_and_secrets_never_travel_in_a_url(self, backend: Backend) -> None:
        credentials = await backend.connect()
        await backend.adapter.list_ad_accounts(credentials)
        await backend.adapter.list_entities(credentials, backend.account)
        await collect(backend.adapter, credentials, backend.account, EntityLevel.campaign, *backend.sync_range)
        for request in backend.log.requests:
            assert not {"access_token", "client_secret", "fb_exchange_token", "code"} & set(request.query)
            if request.path not in ("oauth/access_token", "dialog/oauth"):
                assert request.authorization == f"Bearer {credentials.access_token}"
