"""Google Ads: what only the recorded real responses can show, and the emulator's bodies against them, shape for
shape.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any

import httpx
import pytest

from adpilot.platforms.config import GoogleAdsConfig
from adpilot.platforms.errors import (
    PlatformAuthError,
    PlatformError,
    PlatformRateLimited,
    PlatformRejected,
    PlatformUnavailable,
)
from adpilot.platforms.google import classify, classify_token
from adpilot.platforms.google.payloads import SEARCH_STREAM
from adpilot.sandbox.faults import FaultKind
from tests.platforms.google.kit import (
    CLIENT_ID,
    CLIENT_SECRET,
    FAST,
    RECORDED_400_QUERY,
    RECORDED_403_STREAM,
    RECORDED_429,
    RECORDED_CAMPAIGN_ROW,
    RECORDED_EMPTY_STREAM_TEXT,
    RECORDED_INVALID_CLIENT,
    RECORDED_INVALID_GRANT,
    RECORDED_TOKEN,
    REFERENCE_401_EXPIRED,
    REFERENCE_401_REVOKED,
    REFERENCE_503,
    REFERENCE_POPULATED_STREAM,
    SHORT_429,
    EmulatedGoogle,
    RecordedGoogle,
    _google_failure,
    build_adapter,
    raw_search,
    recorded_metrics_search,
    shape,
)

# === recorded bodies: what only the recordings can show ============================================================


class TestRecordedOnly:
    async def test_a_daily_developer_quota_is_not_waited_for(self) -> None:
        backend = RecordedGoogle()
        credentials = await backend.connect()
        backend.pending.append((429, RECORDED_429))
        with pytest.raises(PlatformRateLimited) as caught:
            await backend.adapter.list_entities(credentials, backend.account)
        assert caught.value.retry_after == 40591
        assert caught.value.scope == "app"
        assert caught.value.request_id == "recorded"
        assert backend.log.statuses.count(429) == 1
        assert backend.fake.now < 1
        await backend.client.aclose()

    def test_the_populated_row_of_the_reference_is_read_exactly(self) -> None:
        rows = SEARCH_STREAM.validate_json(json.dumps(REFERENCE_POPULATED_STREAM))[0].results
        metrics = rows[0].metrics
        assert metrics is not None
        assert (metrics.impressions, metrics.clicks, metrics.cost_micros) == (5234, 487, 234_560_000)
        assert metrics.conversions == Decimal("23.5")
        assert metrics.conversions_value == Decimal("4750.0")

    def test_numbers_sent_the_wrong_way_round_are_still_read(self) -> None:
        # Third-party fixtures send doubles as strings and int64 as numbers.
        body = [
            {
                "results": [
                    {
                        "metrics": {
                            "clicks": 34,
                            "conversions": "12.5",
                            "conversionsValue": "99.99",
                            "costMicros": 1500000.0,
                        }
                    }
                ]
            }
        ]
        metrics = SEARCH_STREAM.validate_json(json.dumps(body))[0].results[0].metrics
        assert metrics is not None
        assert (metrics.clicks, metrics.cost_micros) == (34, 1_500_000)
        assert (metrics.conversions, metrics.conversions_value) == (Decimal("12.5"), Decimal("99.99"))

    @pytest.mark.parametrize(
        ("status", "body", "kind", "details"),
        [
            (429, RECORDED_429, PlatformRateLimited, {"retry_after": 40591.0, "scope": "app"}),
            (429, SHORT_429, PlatformRateLimited, {"retry_after": 30.0, "scope": "account"}),
            (403, RECORDED_403_STREAM, PlatformAuthError, {"refreshable": False}),
            (400, RECORDED_400_QUERY, PlatformRejected, {"platform_code": "INVALID_VALUE_WITH_DURING_OPERATOR"}),
            (401, REFERENCE_401_EXPIRED, PlatformAuthError, {"refreshable": True}),
            (401, REFERENCE_401_REVOKED, PlatformAuthError, {"refreshable": False}),
            (503, REFERENCE_503, PlatformUnavailable, {}),
            (
                429,
                _google_failure(429, "RESOURCE_EXHAUSTED", "x", "quotaError", "RESOURCE_TEMPORARILY_EXHAUSTED", "x"),
                PlatformUnavailable,
                {},
            ),
            (
                403,
                _google_failure(403, "PERMISSION_DENIED", "x", "authorizationError", "CUSTOMER_NOT_ENABLED", "x"),
                PlatformRejected,
                {},
            ),
            (502, "<html>Bad Gateway</html>", PlatformUnavailable, {}),
        ],
    )
    def test_google_errors_map_to_ours(
        self, status: int, body: Any, kind: type[PlatformError], details: dict[str, Any]
    ) -> None:
        content = body if isinstance(body, str) else json.dumps(body)
        error = classify(httpx.Response(status, content=content, headers={"request-id": "rid"}))
        assert isinstance(error, kind)
        assert error.request_id == "rid"
        for name, value in details.items():
            assert getattr(error, name) == value

    def test_a_stream_that_fails_after_it_started_is_an_error(self) -> None:
        body = [{"results": [RECORDED_CAMPAIGN_ROW], "requestId": "r"}, RECORDED_403_STREAM[0]]
        error = classify(httpx.Response(200, json=body))
        assert isinstance(error, PlatformAuthError)
        assert error.platform_code == "DEVELOPER_TOKEN_NOT_APPROVED"
        assert classify(httpx.Response(200, text=RECORDED_EMPTY_STREAM_TEXT)) is None

    @pytest.mark.parametrize(
        ("status", "body", "kind", "refreshable"),
        [
            (400, RECORDED_INVALID_GRANT, PlatformAuthError, False),
            (401, RECORDED_INVALID_CLIENT, PlatformAuthError, False),
            (400, {"error": "invalid_request", "error_description": "Missing code"}, PlatformRejected, None),
            (503, {"error": "temporarily_unavailable"}, PlatformUnavailable, None),
        ],
    )
    def test_token_endpoint_errors_map_to_ours(
        self, status: int, body: Any, kind: type[PlatformError], refreshable: bool | None
    ) -> None:
        error = classify_token(httpx.Response(status, json=body))
        assert isinstance(error, kind)
        if refreshable is not None:
            assert isinstance(error, PlatformAuthError)
            assert error.refreshable is refreshable
        assert classify_token(httpx.Response(200, json=RECORDED_TOKEN)) is None


class ManagerOnlyRecorded(RecordedGoogle):
    """The login reaches only the manager; the client comes from the hierarchy, whose recorded row has no currency."""

    def answer(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("customers:listAccessibleCustomers"):
            return httpx.Response(200, json={"resourceNames": ["customers/9876543210"]})
        return super().answer(request)


class TestRecordedHierarchy:
    async def test_a_client_found_below_a_manager_is_described_through_the_manager(self) -> None:
        backend = ManagerOnlyRecorded()
        credentials = await backend.connect()
        accounts = await backend.adapter.list_ad_accounts(credentials)
        assert sorted((a.account_id, a.currency, a.time_zone, a.login_customer_id, a.is_manager) for a in accounts) == [
            ("1234567890", "USD", "America/New_York", "9876543210", False),
            ("9876543210", "USD", "America/New_York", None, True),
        ]
        hierarchy, described = backend.log.api()[2:4]
        assert "FROM customer_client" in (hierarchy.body or {})["query"]
        assert hierarchy.headers["login-customer-id"] == "9876543210"
        assert described.path == "customers/1234567890/googleAds:searchStream"
        assert described.headers["login-customer-id"] == "9876543210"
        await backend.client.aclose()

    async def test_the_developer_token_is_sent_only_when_configured(self) -> None:
        backend = RecordedGoogle()
        config = GoogleAdsConfig(
            client_id=CLIENT_ID,
            client_secret=CLIENT_SECRET,
            developer_token="dev-token",
            account_rate=FAST,
            app_rate=FAST,
        )
        backend.adapter, backend.client, backend.http = build_adapter(
            config, httpx.MockTransport(backend.answer), backend.fake, backend.log
        )
        credentials = await backend.connect()
        await backend.adapter.list_entities(credentials, backend.account)
        assert all(r.headers["developer-token"] == "dev-token" for r in backend.log.api())
        await backend.client.aclose()


# === the emulator against the recordings: the same shapes =========================================================


class TestEmulatorSpeaksGoogle:
    async def test_an_empty_stream_looks_like_the_recorded_one(self, emulator: EmulatedGoogle) -> None:
        credentials = await emulator.connect()
        since, until = emulator.empty_range
        dates = f"segments.date BETWEEN '{since}' AND '{until}'"
        query = f"SELECT campaign.id, segments.date, metrics.clicks FROM campaign WHERE {dates}"  # noqa: S608 (GAQL)
        answer = await raw_search(emulator, credentials, query)
        assert answer.status_code == 200
        assert "\n" in answer.text  # pretty-printed, like Google's
        assert shape(answer.json()) == shape(json.loads(RECORDED_EMPTY_STREAM_TEXT))
        assert answer.json()[0]["fieldMask"] == "campaign.id,segments.date,metrics.clicks"

    async def test_a_metrics_stream_looks_like_the_recorded_one(self, emulator: EmulatedGoogle) -> None:
        credentials = await emulator.connect()
        since, until = emulator.report_range
        fields = "segments.date, metrics.cost_micros, metrics.impressions, metrics.clicks, metrics.conversions"
        dates = f"segments.date BETWEEN '{since}' AND '{until}'"
        answer = await raw_search(emulator, credentials, " ".join(["SELECT", fields, "FROM campaign WHERE", dates]))
        recorded = [{**recorded_metrics_search(), "requestId": "x"}]
        assert shape(answer.json()) == shape(recorded)
        batch = answer.json()[0]
        assert batch["fieldMask"] == recorded[0]["fieldMask"]
        row = batch["results"][0]
        assert re.fullmatch(r"customers/\d{10}/campaigns/\d+", row["campaign"]["resourceName"])
        assert all(isinstance(row["metrics"][k], str) for k in ("clicks", "costMicros", "impressions"))
        assert isinstance(row["metrics"]["conversions"], int | float)
        assert answer.headers["request-id"] == batch["requestId"]

    async def test_the_rate_limit_body_looks_like_the_recorded_one(self, emulator: EmulatedGoogle) -> None:
        credentials = await emulator.connect()
        emulator.inject(FaultKind.rate_limit)
        answer = await raw_search(emulator, credentials, "SELECT campaign.id FROM campaign", method="search")
        assert answer.status_code == 429
        assert shape(answer.json()) == shape(RECORDED_429)
        failure = answer.json()["error"]["details"][0]["errors"][0]
        assert failure["details"]["quotaErrorDetails"]["retryDelay"] == "30s"
        assert failure["details"]["quotaErrorDetails"]["rateScope"] == "ACCOUNT"

    async def test_the_stream_permission_error_looks_like_the_recorded_one(self, emulator: EmulatedGoogle) -> None:
        credentials = await emulator.connect()
        answer = await raw_search(emulator, credentials, "SELECT campaign.id FROM campaign", manager=False)
        assert answer.status_code == 403
        assert shape(answer.json()) == shape(RECORDED_403_STREAM)
        assert answer.json()[0]["error"]["details"][0]["errors"][0]["errorCode"] == {
            "authorizationError": "USER_PERMISSION_DENIED"
        }

    async def test_the_query_error_is_the_recorded_one(self, emulator: EmulatedGoogle) -> None:
        credentials = await emulator.connect()
        answer = await raw_search(
            emulator,
            credentials,
            "SELECT campaign.id FROM campaign WHERE segments.date DURING LAST_90_DAYS",
            method="search",
        )
        assert answer.status_code == 400
        recorded = RECORDED_400_QUERY["error"]
        got = answer.json()["error"]
        assert (got["code"], got["message"], got["status"]) == (
            recorded["code"],
            recorded["message"],
            recorded["status"],
        )
        assert got["details"][0]["errors"] == recorded["details"][0]["errors"]  # type: ignore[index]
        assert got["details"][0]["@type"].endswith(".v23.errors.GoogleAdsFailure")
