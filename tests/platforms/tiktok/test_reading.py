"""TikTok: how the adapter reads the platform's answers (errors and report pages)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest

from adpilot.platforms.config import TikTokAdsConfig
from adpilot.platforms.errors import (
    PlatformAuthError,
    PlatformError,
    PlatformRateLimited,
    PlatformRejected,
    PlatformUnavailable,
)
from adpilot.platforms.tiktok.client import QueryTooLarge, classify, encode_query
from adpilot.platforms.tiktok.payloads import ReportRow
from adpilot.platforms.types import AdAccountRef, Credentials, EntityLevel
from tests.platforms.contract_kit import FakeTime, collect
from tests.platforms.tiktok.kit import (
    APP_ID,
    APP_SECRET,
    ERROR_ADVERTISER_QPS,
    ERROR_PARAMETER,
    ERROR_QPS,
    ERROR_REVOKED,
    ERROR_SCOPE,
    ERROR_SYSTEM,
    ERROR_TOO_LARGE,
    ERROR_TOO_LARGE_WITH_ID,
    RECORDED_ADVERTISER_INFO_ITEM,
    RECORDED_ADVERTISER_INFO_WITHOUT_CURRENCY,
    RECORDED_ADVERTISERS,
    RECORDED_CAMPAIGNS,
    RECORDED_HOURLY_REPORT,
    REDIRECT_URI,
    WireLog,
    build_adapter,
    recorded_daily_row,
)

# === how the adapter reads TikTok's answers =======================================================================


def envelope_response(body: dict[str, Any], status: int = 200) -> httpx.Response:
    return httpx.Response(status, json=body)


class TestClassify:
    def test_success(self) -> None:
        assert classify(envelope_response(RECORDED_CAMPAIGNS)) is None

    def test_qps_limit_is_the_apps_and_waits_a_second(self) -> None:
        error = classify(envelope_response(ERROR_QPS))
        assert isinstance(error, PlatformRateLimited)
        assert (error.scope, error.retry_after, error.platform_code) == ("app", 1.0, "40100")

    def test_advertiser_qps_limit_is_the_accounts(self) -> None:
        error = classify(envelope_response(ERROR_ADVERTISER_QPS))
        assert isinstance(error, PlatformRateLimited)
        assert error.scope == "account"

    def test_revoked_token_needs_a_reconnect(self) -> None:
        error = classify(envelope_response(ERROR_REVOKED), has_refresh_token=True)
        assert isinstance(error, PlatformAuthError)
        assert error.refreshable is False

    @pytest.mark.parametrize("has_refresh_token", [True, False])
    def test_expired_token_is_refreshable_only_with_a_refresh_token(self, has_refresh_token: bool) -> None:
        body = {"code": 40102, "message": "Access token has expired.", "data": {}}
        error = classify(envelope_response(body), has_refresh_token=has_refresh_token)
        assert isinstance(error, PlatformAuthError)
        assert error.refreshable is has_refresh_token

    def test_missing_scope_needs_a_reconnect(self) -> None:
        error = classify(envelope_response(ERROR_SCOPE))
        assert isinstance(error, PlatformAuthError)
        assert error.refreshable is False

    @pytest.mark.parametrize("body", [ERROR_TOO_LARGE, ERROR_TOO_LARGE_WITH_ID])
    def test_too_large_is_its_own_signal(self, body: dict[str, Any]) -> None:
        error = classify(envelope_response(body))
        assert isinstance(error, QueryTooLarge)
        assert error.request_id == body.get("request_id")

    @pytest.mark.parametrize("code", [50000, 51002, 51004])
    def test_transient_codes_are_retried(self, code: int) -> None:
        assert isinstance(classify(envelope_response({**ERROR_SYSTEM, "code": code})), PlatformUnavailable)

    def test_http_5xx_is_transient(self) -> None:
        assert isinstance(classify(httpx.Response(502, text="<html>Bad Gateway</html>")), PlatformUnavailable)

    def test_a_2xx_without_the_envelope_is_transient(self) -> None:
        assert isinstance(classify(httpx.Response(200, text="<html>maintenance</html>")), PlatformUnavailable)

    def test_other_codes_are_rejections_with_their_field(self) -> None:
        error = classify(envelope_response(ERROR_PARAMETER))
        assert isinstance(error, PlatformRejected)
        assert error.detail == "TikTok 40006: Invalid parameter"
        named = classify(envelope_response({"code": 40002, "message": "page_size: Must be between 1 and 1000."}))
        assert isinstance(named, PlatformRejected)
        assert named.field_errors == {"page_size": "Must be between 1 and 1000."}

    def test_query_parameters_are_json_strings(self) -> None:
        assert encode_query({"advertiser_ids": ["917429327"], "filtering": {"a": 1}, "page": 2, "x": None}) == {
            "advertiser_ids": '["917429327"]',
            "filtering": '{"a":1}',
            "page": "2",
        }


class TestReading:
    def test_the_recorded_hourly_row_reads_leniently(self) -> None:
        row = ReportRow.model_validate(RECORDED_HOURLY_REPORT["data"]["list"][0])
        assert row.dimension("campaign_id") == "11111111"
        assert row.decimal("spend") == Decimal("20.00")
        assert row.decimal("impressions") == 4696
        assert row.decimal("video_play_actions") == 4179  # a JSON number in the recording
        assert row.decimal("orders") == 0  # absent

    def test_not_applicable_is_zero_and_garbage_is_an_error(self) -> None:
        row = ReportRow.model_validate({"dimensions": {}, "metrics": {"orders": "-", "spend": "abc"}})
        assert row.decimal("orders") == 0
        with pytest.raises(ValueError, match="spend"):
            row.decimal("spend")

    async def test_an_advertiser_without_currency_is_refused_not_guessed(self) -> None:
        def answer(request: httpx.Request) -> httpx.Response:
            if request.url.path.endswith("oauth2/advertiser/get/"):
                return httpx.Response(200, json=RECORDED_ADVERTISERS)
            return httpx.Response(200, json=RECORDED_ADVERTISER_INFO_WITHOUT_CURRENCY)

        adapter, client = build_adapter(
            TikTokAdsConfig(app_id=APP_ID, app_secret=APP_SECRET), httpx.MockTransport(answer), FakeTime(), WireLog()
        )
        with pytest.raises(PlatformError, match="currency"):
            await adapter.list_ad_accounts(Credentials(access_token="act.x"))
        await client.aclose()

    async def test_all_pages_are_read_once_each(self) -> None:
        pages: list[int] = []

        def answer(request: httpx.Request) -> httpx.Response:
            path = request.url.path
            if path.endswith("advertiser/info/"):
                items = [{**RECORDED_ADVERTISER_INFO_ITEM, "advertiser_id": "1"}]
                return httpx.Response(200, json={"code": 0, "message": "OK", "data": {"list": items}})
            page = int(request.url.params["page"])
            pages.append(page)
            day = f"2024-09-0{page}"
            rows = [recorded_daily_row("7", day, spend="1.00", impressions="10", clicks="1")]
            info = {"total_number": 2, "page": page, "page_size": 1000, "total_page": 2}
            return httpx.Response(200, json={"code": 0, "message": "OK", "data": {"list": rows, "page_info": info}})

        adapter, client = build_adapter(
            TikTokAdsConfig(app_id=APP_ID, app_secret=APP_SECRET), httpx.MockTransport(answer), FakeTime(), WireLog()
        )
        rows = await collect(
            adapter, Credentials(access_token="act.x"), AdAccountRef("1"), EntityLevel.campaign,
            date(2024, 9, 1), date(2024, 9, 2),
        )  # fmt: skip
        assert pages == [1, 2]
        assert [(r.day, r.spend_micros, r.currency) for r in rows] == [
            (date(2024, 9, 1), 1_000_000, "USD"),
            (date(2024, 9, 2), 1_000_000, "USD"),
        ]
        await client.aclose()

    async def test_a_single_day_still_too_large_is_transient(self) -> None:
        def answer(request: httpx.Request) -> httpx.Response:
            if request.url.path.endswith("advertiser/info/"):
                items = [{**RECORDED_ADVERTISER_INFO_ITEM, "advertiser_id": "1"}]
                return httpx.Response(200, json={"code": 0, "message": "OK", "data": {"list": items}})
            return httpx.Response(200, json=ERROR_TOO_LARGE_WITH_ID)

        log = WireLog()
        adapter, client = build_adapter(
            TikTokAdsConfig(app_id=APP_ID, app_secret=APP_SECRET), httpx.MockTransport(answer), FakeTime(), log
        )
        with pytest.raises(PlatformUnavailable, match="one day"):
            await collect(
                adapter, Credentials(access_token="act.x"), AdAccountRef("1"), EntityLevel.campaign,
                date(2024, 9, 1), date(2024, 9, 2),
            )  # fmt: skip
        # As in Airbyte's recording: 2 days rejected, then the first day rejected too.
        assert log.report_windows() == [("2024-09-01", "2024-09-02"), ("2024-09-01", "2024-09-01")]
        await client.aclose()

    async def test_the_authorization_url(self) -> None:
        adapter, client = build_adapter(
            TikTokAdsConfig(app_id=APP_ID, app_secret=APP_SECRET), None, FakeTime(), WireLog()
        )
        url = httpx.URL(adapter.authorization_url(redirect_uri=REDIRECT_URI, state="s t", code_challenge="ignored"))
        assert str(url).startswith("https://business-api.tiktok.com/portal/auth?")
        assert dict(url.params) == {"app_id": APP_ID, "state": "s t", "redirect_uri": REDIRECT_URI}
        assert parse_qs(url.query.decode())["redirect_uri"] == [REDIRECT_URI]
        await client.aclose()
