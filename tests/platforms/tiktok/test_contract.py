"""The TikTok adapter's contract: the same questions get the same answers from the emulator and the recordings."""

from __future__ import annotations

import json

import pytest

from adpilot.platforms.errors import PlatformAuthError, PlatformRejected
from adpilot.platforms.port import AdPlatformAdapter
from adpilot.platforms.types import EntityLevel, EntityStatus, Money, Platform
from adpilot.sandbox.faults import FaultKind
from tests.platforms.contract_kit import as_tuples, collect
from tests.platforms.tiktok.kit import Backend, halving_windows

# === the contract: same questions, same answers, on both backends =================================================


class TestContract:
    async def test_the_adapter_fits_the_port(self, backend: Backend) -> None:
        port: AdPlatformAdapter = backend.adapter
        assert port.platform is Platform.tiktok
        assert port.supports_pkce is False

    async def test_exchange_gives_a_long_term_token(self, backend: Backend) -> None:
        credentials = await backend.connect()
        assert credentials.access_token.startswith("act.")
        assert credentials.expires_at is None
        assert credentials.refresh_token is None
        assert credentials.scopes
        (exchange,) = backend.log.to("oauth2/access_token/")
        assert exchange.method == "POST"
        assert exchange.access_token is None
        assert exchange.body is not None
        assert set(exchange.body) == {"app_id", "secret", "auth_code"}

    async def test_refreshing_a_long_term_token_changes_nothing(self, backend: Backend) -> None:
        credentials = await backend.connect()
        sent = len(backend.log.requests)
        assert await backend.adapter.refresh(credentials) is credentials
        assert len(backend.log.requests) == sent

    async def test_ad_accounts_come_with_currency_and_time_zone(self, backend: Backend) -> None:
        credentials = await backend.connect()
        accounts = await backend.adapter.list_ad_accounts(credentials)
        assert sorted((a.account_id, a.name, a.currency, a.time_zone) for a in accounts) == backend.expected_accounts()
        assert all(a.active for a in accounts)
        (listing,) = backend.log.to("oauth2/advertiser/get/")
        assert set(listing.params) == {"app_id", "secret"}
        assert listing.access_token == credentials.access_token
        info = backend.log.to("advertiser/info/")
        asked = [i for request in info for i in json.loads(request.params["advertiser_ids"])]
        assert sorted(asked) == sorted(a.account_id for a in accounts)

    async def test_entities_include_deleted_and_carry_budgets_in_micros(self, backend: Backend) -> None:
        credentials = await backend.connect()
        entities = await backend.adapter.list_entities(credentials, backend.account)
        got = [
            (
                e.level,
                e.platform_id,
                e.status,
                e.campaign_platform_id,
                e.parent_platform_id,
                e.daily_budget.amount_micros if e.daily_budget else None,
                e.lifetime_budget.amount_micros if e.lifetime_budget else None,
            )
            for e in entities
        ]
        assert sorted(got, key=repr) == sorted(backend.expected_entities(), key=repr)
        assert all(e.raw for e in entities)
        for path in ("campaign/get/", "adgroup/get/", "ad/get/"):
            first = backend.log.to(path)[0]
            assert first.params["page_size"] == "1000"
            assert json.loads(first.params["filtering"]) == {"primary_status": "STATUS_ALL"}
            assert first.params["advertiser_id"] == backend.account.account_id

    async def test_daily_metrics_match_the_platform(self, backend: Backend) -> None:
        credentials = await backend.connect()
        since, until = backend.report_range
        rows = await collect(backend.adapter, credentials, backend.account, EntityLevel.campaign, since, until)
        assert as_tuples(rows) == backend.expected_daily(EntityLevel.campaign, since, until)
        assert rows, "the backend has data in the range"
        assert {row.currency for row in rows} == {backend.currency}
        (request,) = backend.log.to("report/integrated/get/")
        assert request.params["data_level"] == "AUCTION_CAMPAIGN"
        assert request.params["service_type"] == "AUCTION"
        assert request.params["report_type"] == "BASIC"
        assert json.loads(request.params["dimensions"]) == ["campaign_id", "stat_time_day"]
        assert json.loads(request.params["metrics"]) == [
            "spend",
            "impressions",
            "clicks",
            "conversion",
            "total_complete_payment_rate",
            "campaign_name",
        ]
        assert json.loads(request.params["filtering"]) == [
            {"field_name": "campaign_status", "filter_type": "IN", "filter_value": '["STATUS_ALL"]'}
        ]
        assert (request.params["start_date"], request.params["end_date"]) == (since.isoformat(), until.isoformat())

    async def test_a_qps_storm_ends_with_complete_data_and_no_duplicates(self, backend: Backend) -> None:
        credentials = await backend.connect()
        since, until = backend.report_range
        backend.inject(FaultKind.rate_limit, count=4)
        rows = await collect(backend.adapter, credentials, backend.account, EntityLevel.campaign, since, until)
        assert as_tuples(rows) == backend.expected_daily(EntityLevel.campaign, since, until)
        assert len({(r.entity_platform_id, r.day) for r in rows}) == len(rows)
        assert backend.log.codes.count(40100) == 4
        # Each 40100 blocked the app's limiter key for TikTok's one second before the next attempt.
        assert backend.fake.now >= 4.0

    async def test_system_errors_are_retried(self, backend: Backend) -> None:
        credentials = await backend.connect()
        since, until = backend.report_range
        backend.inject(FaultKind.server_error, count=3)
        rows = await collect(backend.adapter, credentials, backend.account, EntityLevel.campaign, since, until)
        assert as_tuples(rows) == backend.expected_daily(EntityLevel.campaign, since, until)
        assert backend.log.codes.count(50000) == 3

    async def test_a_token_revoked_mid_sync_stops_the_sync_for_a_reconnect(self, backend: Backend) -> None:
        credentials = await backend.connect()
        await backend.adapter.list_entities(credentials, backend.account)
        backend.inject(FaultKind.revoke_token)
        since, until = backend.report_range
        with pytest.raises(PlatformAuthError) as raised:
            await collect(backend.adapter, credentials, backend.account, EntityLevel.campaign, since, until)
        assert raised.value.refreshable is False
        assert raised.value.platform_code == "40105"
        # Revoked for good: the next call is refused too, and nothing was retried in between.
        with pytest.raises(PlatformAuthError):
            await backend.adapter.list_entities(credentials, backend.account)
        assert backend.log.codes.count(40105) == 2

    async def test_too_large_reports_are_split_in_halves(self, backend: Backend) -> None:
        credentials = await backend.connect()
        since, until = backend.report_range
        backend.narrow_reports(10)
        rows = await collect(backend.adapter, credentials, backend.account, EntityLevel.campaign, since, until)
        assert as_tuples(rows) == backend.expected_daily(EntityLevel.campaign, since, until)
        assert backend.log.report_windows() == halving_windows(since, 10)
        assert backend.log.codes.count(40067) == 3

    async def test_an_account_outside_the_grant_is_a_permission_error(self, backend: Backend) -> None:
        credentials = await backend.connect()
        with pytest.raises(PlatformAuthError) as raised:
            await backend.adapter.list_entities(credentials, backend.forbidden_account())
        assert raised.value.refreshable is False
        assert raised.value.platform_code == "40001"

    async def test_pausing_a_campaign(self, backend: Backend) -> None:
        credentials = await backend.connect()
        ref = backend.budgeted_campaign()
        await backend.adapter.set_status(credentials, ref, EntityStatus.paused)
        assert backend.status_of(ref) is EntityStatus.paused
        (update,) = backend.log.to("campaign/status/update/")
        assert update.body == {
            "advertiser_id": ref.account.account_id,
            "campaign_ids": [ref.platform_id],
            "operation_status": "DISABLE",
        }
        await backend.adapter.set_status(credentials, ref, EntityStatus.active)
        assert backend.status_of(ref) is EntityStatus.active

    async def test_changing_a_daily_budget(self, backend: Backend) -> None:
        credentials = await backend.connect()
        ref = backend.budgeted_campaign()
        await backend.adapter.set_daily_budget(credentials, ref, Money(123_450_000, backend.currency))
        assert backend.daily_budget_of(ref) == 123_450_000
        (update,) = backend.log.to("campaign/update/")
        assert update.body == {
            "advertiser_id": ref.account.account_id,
            "campaign_id": ref.platform_id,
            "budget": 123.45,
        }

    async def test_a_budget_in_another_currency_is_refused_before_sending(self, backend: Backend) -> None:
        credentials = await backend.connect()
        ref = backend.budgeted_campaign()
        with pytest.raises(PlatformRejected):
            other = "JPY" if backend.currency != "JPY" else "USD"
            await backend.adapter.set_daily_budget(credentials, ref, Money(50_000_000, other))
        assert not backend.log.to("campaign/update/")

    async def test_every_api_call_uses_the_access_token_header_and_trailing_slashes(self, backend: Backend) -> None:
        credentials = await backend.connect()
        await backend.adapter.list_ad_accounts(credentials)
        await backend.adapter.list_entities(credentials, backend.account)
        since, until = backend.report_range
        await collect(backend.adapter, credentials, backend.account, EntityLevel.campaign, since, until)
        api_calls = [request for request in backend.log.requests if request.api]
        assert len(api_calls) >= 6
        for request in api_calls:
            assert request.path.endswith("/")
            if request.path != "oauth2/access_token/":
                assert request.access_token == credentials.access_token
