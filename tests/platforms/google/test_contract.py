"""The Google Ads adapter's contract: the same questions get the same answers from the emulator and the recordings."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import httpx
import pytest

from adpilot.platforms.errors import PlatformAuthError, PlatformRejected
from adpilot.platforms.google.client import GoogleAdsClient
from adpilot.platforms.port import AdPlatformAdapter
from adpilot.platforms.types import EntityLevel, EntityStatus, Money, Platform
from adpilot.sandbox.faults import FaultKind
from tests.platforms.contract_kit import as_tuples, collect
from tests.platforms.google.kit import REDIRECT_URI, VERIFIER, Backend

# === the contract: same questions, same answers, on both backends =================================================


class TestContract:
    async def test_the_adapter_fits_the_port(self, backend: Backend) -> None:
        port: AdPlatformAdapter = backend.adapter
        assert port.platform is Platform.google
        assert port.supports_pkce is True

    async def test_the_authorization_url_asks_for_offline_access_with_pkce(self, backend: Backend) -> None:
        url = httpx.URL(
            backend.adapter.authorization_url(redirect_uri=REDIRECT_URI, state="s1", code_challenge="challenge")
        )
        assert url.params["response_type"] == "code"
        # The Ads scope, and OpenID's so that userinfo names the Google account that granted it.
        assert url.params["scope"].split() == ["https://www.googleapis.com/auth/adwords", "openid", "email"]
        assert url.params["access_type"] == "offline"
        assert url.params["prompt"] == "consent"
        assert url.params["state"] == "s1"
        assert url.params["redirect_uri"] == REDIRECT_URI
        assert (url.params["code_challenge"], url.params["code_challenge_method"]) == ("challenge", "S256")

    async def test_exchanging_the_code_gives_access_and_refresh_tokens(self, backend: Backend) -> None:
        before = datetime.now(UTC)
        credentials = await backend.connect()
        assert credentials.access_token
        assert credentials.refresh_token
        assert credentials.expires_at is not None
        assert abs((credentials.expires_at - before).total_seconds() - backend.expires_in) < 60
        assert credentials.scopes == ("https://www.googleapis.com/auth/adwords",)
        # The Google account that granted access, from OpenID Connect's userinfo: the connection's identity.
        assert credentials.subject == backend.expected_subject
        who = backend.log.requests[-1]
        assert (who.method, who.headers["authorization"]) == ("GET", f"Bearer {credentials.access_token}")
        assert who.path.endswith("/v1/userinfo")
        grant = backend.log.requests[-2]
        assert grant.method == "POST"
        assert grant.headers["content-type"] == "application/x-www-form-urlencoded"
        assert grant.form["grant_type"] == "authorization_code"
        assert grant.form["redirect_uri"] == REDIRECT_URI
        assert grant.form["code_verifier"] == VERIFIER
        assert {"code", "client_id", "client_secret"} <= set(grant.form)

    async def test_refreshing_keeps_the_refresh_token(self, backend: Backend) -> None:
        credentials = await backend.connect()
        refreshed = await backend.adapter.refresh(credentials)
        assert refreshed.refresh_token == credentials.refresh_token
        assert refreshed.access_token
        assert refreshed.expires_at is not None
        grant = backend.log.requests[-1]
        # Exactly the body Airbyte's mock asserts.
        assert set(grant.form) == {"grant_type", "refresh_token", "client_id", "client_secret"}
        assert grant.form["grant_type"] == "refresh_token"
        assert grant.form["refresh_token"] == credentials.refresh_token
        assert "authorization" not in grant.headers

    async def test_a_revoked_grant_cannot_be_refreshed(self, backend: Backend) -> None:
        credentials = await backend.connect()
        await backend.adapter.revoke(credentials)
        assert backend.log.requests[-1].form == {"token": credentials.refresh_token}
        with pytest.raises(PlatformAuthError) as caught:
            await backend.adapter.refresh(credentials)
        assert caught.value.refreshable is False
        assert caught.value.platform_code == "invalid_grant"

    async def test_ad_accounts_come_with_currency_time_zone_and_their_manager(self, backend: Backend) -> None:
        credentials = await backend.connect()
        accounts = await backend.adapter.list_ad_accounts(credentials)
        assert (
            sorted((a.account_id, a.name, a.currency, a.time_zone, a.login_customer_id, a.is_manager) for a in accounts)
            == backend.expected_accounts()
        )
        assert all(a.active for a in accounts)
        listing = backend.log.api()[0]
        assert listing.method == "GET"
        assert listing.path == "customers:listAccessibleCustomers"
        assert "login-customer-id" not in listing.headers

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
        assert sorted(got, key=repr) == sorted(backend.expected_entities(), key=repr)
        assert len({(e.level, e.platform_id) for e in entities}) == len(entities)
        assert all(e.daily_budget is None or e.daily_budget.currency == backend.currency for e in entities)
        campaigns = [e for e in entities if e.level is EntityLevel.campaign]
        assert campaigns and all(e.raw["campaign"]["resourceName"].endswith(e.platform_id) for e in campaigns)
        # Removed rows are not filtered out: their status is what places their past numbers.
        assert not any("REMOVED" in q for q in backend.log.queries() if "FROM customer" not in q)

    async def test_daily_metrics_match_the_platform(self, backend: Backend) -> None:
        credentials = await backend.connect()
        since, until = backend.report_range
        rows = await collect(backend.adapter, credentials, backend.account, EntityLevel.campaign, since, until)
        assert as_tuples(rows) == backend.expected_daily(EntityLevel.campaign, since, until)
        assert rows and all(r.currency == backend.currency and r.level is EntityLevel.campaign for r in rows)
        report = [r for r in backend.log.api() if r.body and "metrics.cost_micros" in r.body["query"]]
        assert len(report) == 1
        assert report[0].path == f"customers/{backend.account.account_id}/googleAds:searchStream"
        assert f"segments.date BETWEEN '{since.isoformat()}' AND '{until.isoformat()}'" in report[0].body["query"]  # type: ignore[index]

    async def test_an_empty_stream_is_no_rows(self, backend: Backend) -> None:
        credentials = await backend.connect()
        since, until = backend.empty_range
        for level in EntityLevel:
            assert await collect(backend.adapter, credentials, backend.account, level, since, until) == []

    async def test_a_rate_limit_storm_ends_with_complete_data_and_no_duplicates(self, backend: Backend) -> None:
        credentials = await backend.connect()
        since, until = backend.report_range
        backend.inject(FaultKind.rate_limit, 3)
        rows = await collect(backend.adapter, credentials, backend.account, EntityLevel.campaign, since, until)
        assert as_tuples(rows) == backend.expected_daily(EntityLevel.campaign, since, until)
        assert len({(r.entity_platform_id, r.day) for r in rows}) == len(rows)
        assert backend.log.statuses.count(429) == 3
        # Google's retryDelay ("30s") was honoured three times, on the fake clock.
        assert backend.fake.now >= 90

    async def test_server_error_bursts_are_retried(self, backend: Backend) -> None:
        credentials = await backend.connect()
        backend.inject(FaultKind.server_error, 2)
        entities = await backend.adapter.list_entities(credentials, backend.account)
        assert len(entities) == len(backend.expected_entities())
        assert backend.log.statuses.count(503) == 2

    async def test_an_expired_token_is_refreshable_and_refreshing_cures_it(self, backend: Backend) -> None:
        credentials = await backend.connect()
        backend.inject(FaultKind.expire_token)
        with pytest.raises(PlatformAuthError) as caught:
            await backend.adapter.list_entities(credentials, backend.account)
        assert caught.value.refreshable is True
        assert caught.value.platform_code == "OAUTH_TOKEN_EXPIRED"
        refreshed = await backend.adapter.refresh(credentials)
        assert len(await backend.adapter.list_entities(refreshed, backend.account)) == len(backend.expected_entities())

    async def test_a_token_revoked_mid_sync_needs_a_reconnect(self, backend: Backend) -> None:
        credentials = await backend.connect()
        backend.inject(FaultKind.revoke_token)
        with pytest.raises(PlatformAuthError) as caught:
            await backend.adapter.list_entities(credentials, backend.account)
        assert caught.value.refreshable is False
        assert caught.value.platform_code == "OAUTH_TOKEN_REVOKED"
        with pytest.raises(PlatformAuthError) as refresh_failure:
            await backend.adapter.refresh(credentials)
        assert refresh_failure.value.refreshable is False

    async def test_an_account_out_of_reach_is_a_permission_error(self, backend: Backend) -> None:
        credentials = await backend.connect()
        with pytest.raises(PlatformAuthError) as caught:
            await backend.adapter.list_entities(credentials, backend.forbidden_account())
        assert caught.value.refreshable is False
        assert caught.value.request_id
        assert backend.log.statuses[-1] == 403

    async def test_a_query_error_is_a_rejection_naming_the_query(self, backend: Backend) -> None:
        credentials = await backend.connect()
        client = GoogleAdsClient(backend.config, backend.http)
        with pytest.raises(PlatformRejected) as caught:
            await client.search_stream(
                credentials.access_token,
                backend.account,
                "SELECT campaign.id, metrics.clicks FROM campaign WHERE segments.date DURING LAST_90_DAYS",
            )
        assert caught.value.platform_code == "INVALID_VALUE_WITH_DURING_OPERATOR"
        assert caught.value.field_errors == {
            "queryError": "Invalid date literal supplied for DURING operator: LAST_90_DAYS."
        }
        assert backend.log.statuses.count(400) == 1  # not retried

    async def test_pausing_a_campaign(self, backend: Backend) -> None:
        credentials = await backend.connect()
        ref = backend.budgeted_campaign()
        await backend.adapter.set_status(credentials, ref, EntityStatus.paused)
        assert backend.status_of(ref) is EntityStatus.paused
        mutate = backend.log.api()[-1]
        assert mutate.path == f"customers/{ref.account.account_id}/campaigns:mutate"
        assert mutate.body == {
            "operations": [
                {
                    "update": {
                        "resourceName": f"customers/{ref.account.account_id}/campaigns/{ref.platform_id}",
                        "status": "PAUSED",
                    },
                    "updateMask": "status",
                }
            ]
        }

    async def test_changing_a_daily_budget(self, backend: Backend) -> None:
        credentials = await backend.connect()
        ref = backend.budgeted_campaign()
        await backend.adapter.set_daily_budget(credentials, ref, Money(75_000_000, backend.currency))
        assert backend.daily_budget_of(ref) == 75_000_000
        mutate = backend.log.api()[-1]
        assert mutate.path == f"customers/{ref.account.account_id}/campaignBudgets:mutate"
        assert mutate.body is not None
        operation = mutate.body["operations"][0]
        assert operation["updateMask"] == "amountMicros"
        assert operation["update"]["amountMicros"] == "75000000"  # int64 → JSON string
        assert re.fullmatch(r"customers/\d+/campaignBudgets/\d+", operation["update"]["resourceName"])

    async def test_a_budget_in_another_currency_is_refused_before_sending(self, backend: Backend) -> None:
        credentials = await backend.connect()
        other = "JPY" if backend.currency != "JPY" else "USD"
        with pytest.raises(PlatformRejected):
            await backend.adapter.set_daily_budget(credentials, backend.budgeted_campaign(), Money(5_000_000, other))
        assert not any(r.path.endswith(":mutate") for r in backend.log.api())

    async def test_every_api_call_carries_the_bearer_token_and_no_developer_token(self, backend: Backend) -> None:
        credentials = await backend.connect()
        await backend.adapter.list_entities(credentials, backend.account)
        for request in backend.log.api():
            assert request.headers["authorization"] == f"Bearer {credentials.access_token}"
            assert "developer-token" not in request.headers
            if request.path.startswith("customers/"):
                assert request.path.endswith(":searchStream")
                assert request.headers.get("login-customer-id") == backend.account.login_customer_id
