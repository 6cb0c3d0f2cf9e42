"""Meta: what each recorded answer means to the product, and the emulator's bodies in the recorded format."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import httpx
import pytest

from adpilot.platforms.errors import PlatformAuthError, PlatformRateLimited, PlatformRejected, PlatformUnavailable
from adpilot.platforms.meta import choose_conversions, currency_offset
from adpilot.platforms.meta.client import InsightsTooLarge, classify, usage_pauses
from adpilot.platforms.meta.payloads import ActionStat
from adpilot.platforms.types import Platform
from adpilot.sandbox.faults import FaultKind
from adpilot.sandbox.meta import encode_cursor
from tests.platforms.meta.kit import (
    ERROR_ACCOUNT_LIMIT,
    ERROR_EXPIRED,
    ERROR_MISSING_PERMISSIONS,
    ERROR_NOT_AUTHORIZED,
    ERROR_REDUCE_DATA,
    ERROR_TRANSIENT,
    ERROR_UNKNOWN_OBJECT,
    ERROR_USER_LIMIT,
    RECORDED_ADACCOUNTS,
    RECORDED_INSIGHTS,
    RECORDED_LONG_LIVED,
    RECORDED_REPORT_RUN,
    RECORDED_USAGE_HEADERS,
    VERSION,
    EmulatedMeta,
    buc_header,
)

# === recorded bodies: what each of Meta's answers means to the product ==============================================


def response(status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.Response(status, json=body, headers=headers)


class TestClassify:
    def test_success(self) -> None:
        assert classify(response(200, RECORDED_INSIGHTS)) is None

    @pytest.mark.parametrize(("body", "code"), [(ERROR_EXPIRED, "190/463"), (ERROR_NOT_AUTHORIZED, "190/458")])
    def test_token_errors_need_a_new_sign_in(self, body: dict[str, Any], code: str) -> None:
        error = classify(response(400, body))
        assert isinstance(error, PlatformAuthError)
        assert error.refreshable is False
        assert error.platform_code == code

    def test_the_trace_id_is_the_request_id(self) -> None:
        error = classify(response(400, ERROR_NOT_AUTHORIZED))
        assert error is not None and error.request_id == "A3pz5DCfhBg3mGCS6Z9z9zY"

    @pytest.mark.parametrize(("body", "code"), [(ERROR_MISSING_PERMISSIONS, "100"), (ERROR_UNKNOWN_OBJECT, "100/33")])
    def test_invalid_requests_are_rejected(self, body: dict[str, Any], code: str) -> None:
        error = classify(response(400, body))
        assert type(error) is PlatformRejected
        assert error.platform_code == code

    def test_a_permission_error_needs_a_reconnect(self) -> None:
        body = {
            "error": {"message": "(#200) Requires ads_management permission", "type": "OAuthException", "code": 200}
        }
        error = classify(response(403, body))
        assert isinstance(error, PlatformAuthError) and error.refreshable is False

    def test_account_throttling_waits_the_announced_minutes(self) -> None:
        error = classify(response(400, ERROR_ACCOUNT_LIMIT, buc_header("798085168510957", 3)))
        assert isinstance(error, PlatformRateLimited)
        assert (error.retry_after, error.scope, error.platform_code) == (180.0, "account", "80000/2446079")

    def test_throttling_without_an_announced_wait_waits_a_minute(self) -> None:
        error = classify(response(400, ERROR_USER_LIMIT, RECORDED_USAGE_HEADERS))
        assert isinstance(error, PlatformRateLimited)
        assert (error.retry_after, error.scope) == (60.0, "account")

    def test_application_throttling_is_the_apps(self) -> None:
        body = {"error": {"message": "(#4) Application request limit reached", "type": "OAuthException", "code": 4}}
        error = classify(response(400, body))
        assert isinstance(error, PlatformRateLimited) and error.scope == "app"

    @pytest.mark.parametrize("code", [613, 80004, 80014, 17, 32])
    def test_every_rate_limit_code_is_a_rate_limit(self, code: int) -> None:
        error = classify(response(400, {"error": {"message": f"(#{code}) limit", "code": code}}))
        assert isinstance(error, PlatformRateLimited) and error.scope == "account"

    def test_transient_errors_are_unavailable(self) -> None:
        assert isinstance(classify(response(500, ERROR_TRANSIENT)), PlatformUnavailable)
        transient_400 = {"error": {"message": "x", "code": 100, "is_transient": True}}
        assert isinstance(classify(response(400, transient_400)), PlatformUnavailable)

    def test_reduce_the_amount_of_data_is_not_retried_as_transient(self) -> None:
        assert isinstance(classify(response(500, ERROR_REDUCE_DATA)), InsightsTooLarge)
        subcode_99 = {"error": {"message": "An unknown error occurred", "code": 1, "error_subcode": 99}}
        assert isinstance(classify(response(400, subcode_99)), InsightsTooLarge)

    def test_an_unknown_error_is_transient(self) -> None:
        body = {"error": {"message": "An unknown error occurred", "type": "OAuthException", "code": 1}}
        assert isinstance(classify(response(500, body)), PlatformUnavailable)

    def test_field_errors_come_from_the_blamed_fields(self) -> None:
        body = {
            "error": {
                "message": "(#100) Invalid parameter",
                "code": 100,
                "error_user_msg": "The budget is too low.",
                "error_data": {"blame_field_specs": [["daily_budget"]]},
            }
        }
        error = classify(response(400, body))
        assert isinstance(error, PlatformRejected)
        assert error.field_errors == {"daily_budget": "The budget is too low."}
        assert error.detail == "The budget is too low."

    def test_field_errors_from_the_message(self) -> None:
        body = {"error": {"message": "(#100) Param daily_budget must be a number", "code": 100}}
        error = classify(response(400, body))
        assert isinstance(error, PlatformRejected) and "daily_budget" in error.field_errors

    def test_errors_without_a_graph_body_go_by_status(self) -> None:
        assert isinstance(classify(httpx.Response(502, text="<html>Bad gateway</html>")), PlatformUnavailable)
        assert isinstance(classify(httpx.Response(404, text="not found")), PlatformRejected)
        throttled = classify(httpx.Response(429, headers={"Retry-After": "7"}))
        assert isinstance(throttled, PlatformRateLimited) and throttled.retry_after == 7.0


class TestUsageHeaders:
    def test_recorded_headers_pause_the_business_that_is_at_95_percent(self) -> None:
        pauses = usage_pauses(httpx.Headers(RECORDED_USAGE_HEADERS), threshold_pct=90, account_id="798085168510957")
        # 95 % of ads_management for owner 66782684, no wait announced: a minute; the rest is far from the limit.
        assert pauses == {"meta:account:66782684": 60.0}

    def test_the_ad_account_score_pauses_until_its_reset(self) -> None:
        headers = httpx.Headers({"X-Ad-Account-Usage": '{"acc_id_util_pct":93.1,"reset_time_duration":240}'})
        assert usage_pauses(headers, threshold_pct=90, account_id="act_42") == {"meta:account:42": 240.0}

    def test_app_usage_pauses_the_app(self) -> None:
        headers = httpx.Headers({"X-App-Usage": '{"call_count":91,"total_time":10,"total_cputime":10}'})
        assert usage_pauses(headers, threshold_pct=90, account_id=None) == {"meta:app": 60.0}

    def test_an_announced_regain_time_pauses_whatever_the_usage(self) -> None:
        headers = httpx.Headers(buc_header("42", 2.5))
        assert usage_pauses(headers, threshold_pct=100.5, account_id="42") == {"meta:account:42": 150.0}

    def test_junk_headers_are_ignored(self) -> None:
        headers = httpx.Headers({"X-App-Usage": "not json", "X-Business-Use-Case-Usage": '{"1": "x"}'})
        assert usage_pauses(headers, threshold_pct=0, account_id="1") == {}


class TestConversions:
    """One canonical action type per row, chosen by objective; overlapping types are never summed."""

    OVERLAPPING = (
        ActionStat(action_type="link_click", value="40"),
        ActionStat(action_type="offsite_conversion.fb_pixel_purchase", value="3"),
        ActionStat(action_type="omni_purchase", value="3"),
        ActionStat(action_type="onsite_web_purchase", value="3"),
        ActionStat(action_type="purchase", value="3"),
    )
    VALUES = (
        ActionStat(action_type="offsite_conversion.fb_pixel_purchase", value="210.5"),
        ActionStat(action_type="omni_purchase", value="210.5"),
        ActionStat(action_type="purchase", value="210.5"),
    )

    def test_overlapping_purchase_types_count_once(self) -> None:
        assert choose_conversions("OUTCOME_SALES", self.OVERLAPPING, self.VALUES) == (
            "omni_purchase",
            Decimal(3),
            210_500_000,
        )

    def test_purchase_then_pixel_purchase_when_omni_is_missing(self) -> None:
        without_omni = [a for a in self.OVERLAPPING if a.action_type != "omni_purchase"]
        assert choose_conversions(None, without_omni, [])[:2] == ("purchase", Decimal(3))
        pixel_only = [ActionStat(action_type="offsite_conversion.fb_pixel_purchase", value="2")]
        assert choose_conversions(None, pixel_only, [])[:2] == ("offsite_conversion.fb_pixel_purchase", Decimal(2))

    def test_leads_count_leads(self) -> None:
        actions = [
            ActionStat(action_type="lead", value="7"),
            ActionStat(action_type="onsite_conversion.lead_grouped", value="7"),
        ]
        assert choose_conversions("OUTCOME_LEADS", [*actions, *self.OVERLAPPING], []) == ("lead", Decimal(7), 0)

    def test_app_promotion_counts_installs(self) -> None:
        actions = [
            ActionStat(action_type="mobile_app_install", value="5"),
            ActionStat(action_type="omni_app_install", value="5"),
        ]
        assert choose_conversions("OUTCOME_APP_PROMOTION", actions, [])[:2] == ("omni_app_install", Decimal(5))

    def test_no_conversion_action_is_zero(self) -> None:
        engagement = [ActionStat(action_type="page_engagement", value="10")]
        assert choose_conversions("PRODUCT_CATALOG_SALES", engagement, []) == (None, Decimal(0), 0)


class TestOffsets:
    @pytest.mark.parametrize("currency", ["JPY", "KRW", "CLP", "COP", "CRC", "HUF", "ISK", "IDR", "PYG", "TWD", "VND"])
    def test_zero_decimal_currencies_have_offset_one(self, currency: str) -> None:
        assert currency_offset(currency) == 1

    @pytest.mark.parametrize("currency", ["USD", "EUR", "GBP", "BHD", "INR"])
    def test_other_currencies_have_offset_a_hundred(self, currency: str) -> None:
        assert currency_offset(currency) == 100


# === the emulator speaks the recorded format =========================================================================


def keys(body: dict[str, Any]) -> set[str]:
    return set(body)


class TestEmulatorSpeaksTheRecordedFormat:
    async def graph(
        self, emulator: EmulatedMeta, method: str, path: str, token: str | None, **params: str
    ) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        url = f"{emulator.base_url}/{VERSION}/{path}"
        if method == "GET":
            return await emulator.client.get(url, params=params, headers=headers)
        return await emulator.client.request(method, url, data=params, headers=headers)

    async def test_long_lived_token_answer(self, emulator: EmulatedMeta) -> None:
        app_id, secret = emulator.state.config.app_credentials[Platform.meta]
        short = emulator.token(ttl=7200).access_token
        answer = await self.graph(
            emulator, "GET", "oauth/access_token", None,
            grant_type="fb_exchange_token", client_id=app_id, client_secret=secret, fb_exchange_token=short,
        )  # fmt: skip
        assert answer.status_code == 200
        assert keys(answer.json()) == keys(RECORDED_LONG_LIVED)
        assert answer.json()["expires_in"] == 5183944 and answer.json()["token_type"] == "bearer"

    async def test_ad_account_listing(self, emulator: EmulatedMeta) -> None:
        fields = "id,account_id,name,currency,timezone_name,account_status"
        answer = await self.graph(
            emulator, "GET", "me/adaccounts", emulator.token().access_token, fields=fields, limit="1"
        )
        body = answer.json()
        assert keys(body["data"][0]) == keys(RECORDED_ADACCOUNTS["data"][0])
        assert body["data"][0]["id"] == f"act_{body['data'][0]['account_id']}"
        assert body["paging"]["cursors"]["before"] == "MAZDZD"
        assert "next" in body["paging"]  # the login reaches three accounts, one per page
        last = await self.graph(
            emulator, "GET", "me/adaccounts", emulator.token().access_token,
            fields=fields, limit="1", after=encode_cursor(1),
        )  # fmt: skip
        assert "next" not in last.json()["paging"]

    async def test_insights_rows_are_strings_with_overlapping_purchase_types(self, emulator: EmulatedMeta) -> None:
        since, until = emulator.sync_range
        fields = ",".join(
            name for name in RECORDED_INSIGHTS["data"][0] if name not in ("cost_per_action_type", "outbound_clicks")
        )
        answer = await self.graph(
            emulator, "GET", f"act_{emulator.account.account_id}/insights", emulator.token().access_token,
            level="ad", fields=fields, time_increment="1", limit="500",
            time_range=json.dumps({"since": since.isoformat(), "until": until.isoformat()}),
        )  # fmt: skip
        rows = answer.json()["data"]
        assert rows
        recorded = RECORDED_INSIGHTS["data"][0]
        for row in rows:
            assert keys(row) - {"actions"} <= keys(recorded)
            for name in ("clicks", "impressions", "spend", "inline_link_clicks"):
                assert isinstance(row[name], str)
            assert row["date_start"] == row["date_stop"]
        purchases = [row for row in rows if any(a["action_type"] == "omni_purchase" for a in row.get("actions", []))]
        assert purchases, "the trap is set: purchases appear under overlapping types"
        for row in purchases:
            counts = {a["action_type"]: a["value"] for a in row["actions"]}
            assert counts["omni_purchase"] == counts["purchase"] == counts["offsite_conversion.fb_pixel_purchase"]

    async def test_error_bodies(self, emulator: EmulatedMeta) -> None:
        token = emulator.token().access_token
        path = f"act_{emulator.account.account_id}/campaigns"
        for kind, recorded, status in (
            (FaultKind.expire_token, ERROR_EXPIRED, 400),
            (FaultKind.rate_limit, ERROR_USER_LIMIT, 400),
            (FaultKind.server_error, ERROR_TRANSIENT, 500),
        ):
            emulator.inject(kind)
            answer = await self.graph(emulator, "GET", path, token)
            assert answer.status_code == status
            error = answer.json()["error"]
            assert keys(error) - {"fbtrace_id"} == keys(recorded["error"]) - {"fbtrace_id"}
            assert (error["code"], error.get("error_subcode")) == (
                recorded["error"]["code"],
                recorded["error"].get("error_subcode"),
            )
            assert error["fbtrace_id"] and answer.headers["x-fb-trace-id"] == error["fbtrace_id"]
        unknown = await self.graph(emulator, "GET", "120000000000000000", token)
        assert unknown.status_code == 400
        assert keys(unknown.json()["error"]) == keys(ERROR_UNKNOWN_OBJECT["error"])
        assert unknown.json()["error"]["error_subcode"] == 33
        # The fault above revoked nothing; a revoke_token fault does, for good (the person removed the app).
        emulator.inject(FaultKind.revoke_token)
        revoked = await self.graph(emulator, "GET", path, token)
        assert (revoked.json()["error"]["code"], revoked.json()["error"]["error_subcode"]) == (190, 458)
        again = await self.graph(emulator, "GET", path, token)
        assert again.json()["error"]["error_subcode"] == 458

    async def test_usage_headers_on_every_answer(self, emulator: EmulatedMeta) -> None:
        token = emulator.token().access_token
        answer = await self.graph(emulator, "GET", f"act_{emulator.account.account_id}/campaigns", token)
        app = json.loads(answer.headers["x-app-usage"])
        assert keys(app) == {"call_count", "total_time", "total_cputime"}
        account = json.loads(answer.headers["x-ad-account-usage"])
        assert {"acc_id_util_pct", "reset_time_duration", "ads_api_access_tier"} <= keys(account)
        buc = json.loads(answer.headers["x-business-use-case-usage"])
        (entry,) = buc[emulator.account.account_id]
        assert entry["type"] == "ads_management" and entry["estimated_time_to_regain_access"] == 0
        error = await self.graph(emulator, "GET", "me/adaccounts", "EAAGnot-a-token")
        assert error.json()["error"]["code"] == 190 and "x-app-usage" in error.headers

    async def test_report_run_body(self, emulator: EmulatedMeta) -> None:
        token = emulator.token().access_token
        since, until = emulator.async_range
        started = await self.graph(
            emulator, "POST", f"act_{emulator.account.account_id}/insights", token,
            level="campaign", fields="campaign_id,spend", time_increment="1",
            time_range=json.dumps({"since": since.isoformat(), "until": until.isoformat()}),
        )  # fmt: skip
        run_id = started.json()["report_run_id"]
        statuses = []
        for _ in range(3):
            body = (await self.graph(emulator, "GET", run_id, token)).json()
            statuses.append(body["async_status"])
        assert statuses == ["Job Not Started", "Job Running", "Job Completed"]
        assert keys(body) == keys(RECORDED_REPORT_RUN)
        rows = (await self.graph(emulator, "GET", f"{run_id}/insights", token, limit="5")).json()
        assert len(rows["data"]) == 5 and "next" in rows["paging"]
