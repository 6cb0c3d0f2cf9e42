"""TikTok: the emulator's bodies against the recorded real ones, shape for shape."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import httpx
import pytest

from adpilot.platforms.tiktok.client import encode_query
from adpilot.platforms.tiktok.payloads import ReportRow
from adpilot.platforms.types import EntityLevel, Platform
from adpilot.sandbox.faults import FaultKind
from tests.platforms.tiktok.kit import (
    ERROR_QPS,
    ERROR_REVOKED,
    ERROR_SCOPE,
    ERROR_SYSTEM,
    ERROR_TOO_LARGE,
    RECORDED_CAMPAIGNS,
    RECORDED_HOURLY_REPORT,
    RECORDED_TOKEN,
    EmulatedTikTok,
)

# === the emulator against the recorded bodies: same shapes ========================================================


def shape(value: Any) -> Any:
    """The JSON type of a value (numbers and strings kept apart: TikTok is particular about them)."""
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if value is None:
        return "null"
    return type(value).__name__


class TestEmulatorSpeaksTheRecordedFormat:
    async def test_token_answer(self, emulator: EmulatedTikTok) -> None:
        callback = httpx.URL((await emulator.consent()).headers["location"])
        app_id, secret = emulator.state.config.app_credentials[Platform.tiktok]
        response = await emulator.client.post(
            f"{emulator.base_url}/open_api/v1.3/oauth2/access_token/",
            json={"app_id": app_id, "secret": secret, "auth_code": callback.params["auth_code"]},
        )
        assert response.status_code == 200
        body = response.json()
        assert set(body) == set(RECORDED_TOKEN)
        assert set(body["data"]) == set(RECORDED_TOKEN["data"])
        assert all(isinstance(scope, int) for scope in body["data"]["scope"])
        assert all(isinstance(i, str) for i in body["data"]["advertiser_ids"])

    async def test_campaign_list(self, emulator: EmulatedTikTok) -> None:
        credentials = await emulator.connect()
        response = await emulator.client.get(
            f"{emulator.base_url}/open_api/v1.3/campaign/get/",
            params={"advertiser_id": emulator.account.account_id, "page_size": 1000},
            headers={"Access-Token": credentials.access_token},
        )
        body = response.json()
        recorded = RECORDED_CAMPAIGNS["data"]
        assert set(body["data"]) == set(recorded)
        assert body["data"]["page_info"]["page_size"] == 1000
        assert set(body["data"]["page_info"]) == set(recorded["page_info"])
        recorded_item = recorded["list"][0]
        for item in body["data"]["list"]:
            assert set(recorded_item) <= set(item)
            for key in ("budget", "budget_mode", "secondary_status", "create_time", "campaign_name"):
                assert shape(item[key]) == shape(recorded_item[key]), key
            assert re.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}", item["create_time"])
            assert item["operation_status"] in ("ENABLE", "DISABLE")

    async def test_hourly_report_rows(self, emulator: EmulatedTikTok) -> None:
        credentials = await emulator.connect()
        recorded_row = RECORDED_HOURLY_REPORT["data"]["list"][0]
        # The recorded metrics the emulator knows (the others are video and engagement counters it does not model).
        metrics = ["spend", "impressions", "clicks", "ctr", "cpc", "cpm", "reach", "frequency", "campaign_name"]
        assert set(metrics) <= set(recorded_row["metrics"])
        day = emulator.report_range[1]
        response = await emulator.client.get(
            f"{emulator.base_url}/open_api/v1.3/report/integrated/get/",
            params=encode_query(
                {
                    "advertiser_id": emulator.account.account_id,
                    "report_type": "BASIC",
                    "data_level": "AUCTION_CAMPAIGN",
                    "dimensions": ["campaign_id", "stat_time_hour"],
                    "metrics": metrics,
                    "start_date": day.isoformat(),
                    "end_date": day.isoformat(),
                    "page_size": 1000,
                }
            ),
            headers={"Access-Token": credentials.access_token},
        )
        body = response.json()
        assert body["code"] == 0
        rows = body["data"]["list"]
        assert rows
        for row in rows:
            assert set(row) == {"dimensions", "metrics"}
            assert set(row["dimensions"]) == set(recorded_row["dimensions"])
            assert re.fullmatch(rf"{day.isoformat()} \d{{2}}:00:00", row["dimensions"]["stat_time_hour"])
            assert set(row["metrics"]) == set(metrics)
            # Emitted as strings, as the reference says the API does (the recording mixes in a few numbers).
            assert all(isinstance(value, str) for value in row["metrics"].values())
        hourly = [ReportRow.model_validate(row) for row in rows]
        daily = emulator.state.world.daily_metrics(
            Platform.tiktok, emulator.account.account_id, EntityLevel.campaign, day, day
        )
        assert sum(int(row.decimal("impressions")) for row in hourly) == sum(m.impressions for m in daily)

    async def test_daily_rows_say_which_day_with_a_time(self, emulator: EmulatedTikTok) -> None:
        credentials = await emulator.connect()
        since, until = emulator.report_range
        response = await emulator.client.get(
            f"{emulator.base_url}/open_api/v1.3/report/integrated/get/",
            params=encode_query(
                {
                    "advertiser_id": emulator.account.account_id,
                    "report_type": "BASIC",
                    "data_level": "AUCTION_CAMPAIGN",
                    "dimensions": ["campaign_id", "stat_time_day"],
                    "metrics": ["spend", "cpc", "total_complete_payment_rate"],
                    "start_date": since.isoformat(),
                    "end_date": until.isoformat(),
                    "page_size": 1000,
                }
            ),
            headers={"Access-Token": credentials.access_token},
        )
        rows = response.json()["data"]["list"]
        assert all(re.fullmatch(r"\d{4}-\d{2}-\d{2} 00:00:00", r["dimensions"]["stat_time_day"]) for r in rows)
        assert all(re.fullmatch(r"-?\d+\.\d{2,6}", r["metrics"]["spend"]) for r in rows)
        # Metrics that do not apply are "-", as on TikTok.
        assert any(r["metrics"]["total_complete_payment_rate"] == "-" or r["metrics"]["cpc"] == "-" for r in rows)

    @pytest.mark.parametrize(
        ("fault", "recorded"),
        [
            (FaultKind.rate_limit, ERROR_QPS),
            (FaultKind.server_error, ERROR_SYSTEM),
            (FaultKind.revoke_token, ERROR_REVOKED),
        ],
    )
    async def test_error_bodies(self, emulator: EmulatedTikTok, fault: FaultKind, recorded: dict[str, Any]) -> None:
        credentials = await emulator.connect()
        emulator.inject(fault)
        response = await emulator.client.get(
            f"{emulator.base_url}/open_api/v1.3/campaign/get/",
            params={"advertiser_id": emulator.account.account_id},
            headers={"Access-Token": credentials.access_token},
        )
        assert response.status_code == 200
        body = response.json()
        assert (body["code"], body["message"], body["data"]) == (recorded["code"], recorded["message"], {})
        assert re.fullmatch(r"[0-9A-F]{32}", body["request_id"])

    async def test_too_large_body(self, emulator: EmulatedTikTok) -> None:
        credentials = await emulator.connect()
        since = emulator.report_range[0]
        response = await emulator.client.get(
            f"{emulator.base_url}/open_api/v1.3/report/integrated/get/",
            params=encode_query(
                {
                    "advertiser_id": emulator.account.account_id,
                    "report_type": "BASIC",
                    "data_level": "AUCTION_CAMPAIGN",
                    "dimensions": ["campaign_id", "stat_time_day"],
                    "start_date": (since - timedelta(days=40)).isoformat(),
                    "end_date": since.isoformat(),
                }
            ),
            headers={"Access-Token": credentials.access_token},
        )
        body = response.json()
        assert (body["code"], body["message"], body["data"]) == (40067, ERROR_TOO_LARGE["message"], {})

    async def test_permission_body(self, emulator: EmulatedTikTok) -> None:
        credentials = await emulator.connect()
        response = await emulator.client.get(
            f"{emulator.base_url}/open_api/v1.3/campaign/get/",
            params={"advertiser_id": emulator.forbidden_account().account_id},
            headers={"Access-Token": credentials.access_token},
        )
        body = response.json()
        assert (response.status_code, body["code"], body["data"]) == (200, ERROR_SCOPE["code"], {})
        assert body["message"].startswith("Permission error:")

    async def test_a_path_without_its_trailing_slash_is_not_found(self, emulator: EmulatedTikTok) -> None:
        credentials = await emulator.connect()
        response = await emulator.client.get(
            f"{emulator.base_url}/open_api/v1.3/campaign/get",
            params={"advertiser_id": emulator.account.account_id},
            headers={"Access-Token": credentials.access_token},
        )
        assert response.status_code == 404

    async def test_page_size_is_validated(self, emulator: EmulatedTikTok) -> None:
        credentials = await emulator.connect()
        for page_size in ("0", "1001"):
            response = await emulator.client.get(
                f"{emulator.base_url}/open_api/v1.3/campaign/get/",
                params={"advertiser_id": emulator.account.account_id, "page_size": page_size},
                headers={"Access-Token": credentials.access_token},
            )
            assert response.json()["code"] == 40002
