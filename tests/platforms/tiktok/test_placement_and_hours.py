"""TikTok: where report rows sit, hourly pacing and deleted entities, on the emulator and the recordings."""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from adpilot.platforms.config import TikTokAdsConfig
from adpilot.platforms.types import AdAccountRef, Credentials, EntityLevel, EntityRef, EntityStatus
from tests.platforms.contract_kit import FakeTime, collect, collect_hourly, frozen_state, hourly_tuples, placements
from tests.platforms.tiktok.kit import (
    APP_ID,
    APP_SECRET,
    RECORDED_ADVERTISER_INFO_ITEM,
    RECORDED_DAILY_ROWS,
    EmulatedTikTok,
    RecordedTikTok,
    WireLog,
    build_adapter,
    private_emulator,
)

# === where report rows sit, hourly pacing, deleted entities =======================================================


def _sums(rows: list[Any]) -> dict[str, list[Any]]:
    summed: dict[str, list[Any]] = {}
    for r in rows:
        key = getattr(r, "campaign_platform_id", None) or r.entity_platform_id
        into = summed.setdefault(key, [0, 0, 0, Decimal(0), 0])
        for i, value in enumerate((r.impressions, r.clicks, r.spend_micros, r.conversions, r.conversion_value_micros)):
            into[i] += value
    return summed


class TestPlacementAndHours:
    @pytest.mark.parametrize("level", list(EntityLevel))
    async def test_daily_rows_name_their_entity_campaign_and_parent(
        self, emulator: EmulatedTikTok, level: EntityLevel
    ) -> None:
        credentials = await emulator.connect()
        since, until = emulator.report_range
        rows = await collect(emulator.adapter, credentials, emulator.account, level, since, until)
        assert rows
        assert placements(rows) == emulator.expected_placements(level, since, until)
        request = emulator.log.to("report/integrated/get/")[0]
        attributes = {
            EntityLevel.campaign: ["campaign_name"],
            EntityLevel.ad_group: ["adgroup_name", "campaign_id"],
            EntityLevel.ad: ["ad_name", "adgroup_id", "campaign_id"],
        }[level]
        assert json.loads(request.params["metrics"])[-len(attributes) :] == attributes

    async def test_the_recorded_hourly_report_is_read(self) -> None:
        backend = RecordedTikTok()
        credentials = await backend.connect()
        rows = await collect_hourly(backend.adapter, credentials, backend.account, date(2024, 1, 1))
        assert hourly_tuples(rows) == [("11111111", date(2024, 1, 1), 10, 4696, 51, 20_000_000, Decimal(0), 0)]
        assert rows[0].currency == "USD"
        (request,) = backend.log.to("report/integrated/get/")
        assert json.loads(request.params["dimensions"]) == ["campaign_id", "stat_time_hour"]
        assert request.params["start_date"] == request.params["end_date"] == "2024-01-01"
        assert request.params["data_level"] == "AUCTION_CAMPAIGN"
        await backend.client.aclose()

    async def test_hourly_rows_are_the_simulation_hour_by_hour(self, emulator: EmulatedTikTok) -> None:
        credentials = await emulator.connect()
        day = emulator.report_range[1]
        rows = await collect_hourly(emulator.adapter, credentials, emulator.account, day)
        assert hourly_tuples(rows) == emulator.expected_hourly(day)
        assert len(rows) > 24 and {r.currency for r in rows} == {emulator.currency}
        daily = await collect(emulator.adapter, credentials, emulator.account, EntityLevel.campaign, day, day)
        assert _sums(rows) == _sums(daily)

    async def test_today_has_hours_up_to_the_current_one(self) -> None:
        state = frozen_state(tiktok_requests_per_second=1e5)
        backend = private_emulator(state)
        credentials = await backend.connect()
        assert backend.account_record is not None
        zone = ZoneInfo(backend.account_record.time_zone)
        today = backend.today
        first = await collect_hourly(backend.adapter, credentials, backend.account, today)
        assert first and hourly_tuples(first) == backend.expected_hourly(today)
        assert max(r.hour for r in first) == state.clock.now().astimezone(zone).hour
        state.clock.advance(90 * 60)
        later = await collect_hourly(backend.adapter, credentials, backend.account, today)
        assert hourly_tuples(later) == backend.expected_hourly(today)
        assert sum(r.spend_micros for r in later) > sum(r.spend_micros for r in first)
        assert await collect_hourly(backend.adapter, credentials, backend.account, today + timedelta(days=2)) == []
        await backend.client.aclose()

    async def test_a_deleted_campaign_is_still_named_in_its_reports(self) -> None:
        state = frozen_state(tiktok_requests_per_second=1e5)
        backend = private_emulator(state)
        credentials = await backend.connect()
        yesterday = backend.today - timedelta(days=1)
        campaign = EntityLevel.campaign
        before = await collect(backend.adapter, credentials, backend.account, campaign, yesterday, yesterday)
        target = before[0]
        assert target.entity_name and target.parent_platform_id is None
        ref = EntityRef(backend.account, EntityLevel.campaign, target.entity_platform_id)
        await backend.adapter.set_status(credentials, ref, EntityStatus.removed)
        listed = await backend.adapter.list_entities(credentials, backend.account)
        assert {e.platform_id: e.status for e in listed}[target.entity_platform_id] is EntityStatus.removed
        after = await collect(backend.adapter, credentials, backend.account, campaign, yesterday, yesterday)
        (again,) = [r for r in after if r.entity_platform_id == target.entity_platform_id]
        assert (again.entity_name, again.campaign_platform_id, again.spend_micros) == (
            target.entity_name,
            target.entity_platform_id,
            target.spend_micros,
        )
        groups = await collect(
            backend.adapter, credentials, backend.account, EntityLevel.ad_group, yesterday, yesterday
        )
        own = [r for r in groups if r.campaign_platform_id == target.entity_platform_id]
        assert own and all(r.parent_platform_id == target.entity_platform_id and r.entity_name for r in own)
        hours = await collect_hourly(backend.adapter, credentials, backend.account, yesterday)
        assert _sums(hours)[target.entity_platform_id][2] == target.spend_micros
        await backend.client.aclose()


class TestReadingPlacement:
    async def rows(self, level: EntityLevel, report_rows: list[dict[str, Any]]) -> list[Any]:
        def answer(request: httpx.Request) -> httpx.Response:
            if request.url.path.endswith("advertiser/info/"):
                items = [{**RECORDED_ADVERTISER_INFO_ITEM, "advertiser_id": "1"}]
                return httpx.Response(200, json={"code": 0, "message": "OK", "data": {"list": items}})
            info = {"total_number": len(report_rows), "page": 1, "page_size": 1000, "total_page": 1}
            return httpx.Response(
                200, json={"code": 0, "message": "OK", "data": {"list": report_rows, "page_info": info}}
            )

        adapter, client = build_adapter(
            TikTokAdsConfig(app_id=APP_ID, app_secret=APP_SECRET), httpx.MockTransport(answer), FakeTime(), WireLog()
        )
        day = date(2024, 9, 3)
        rows = await collect(adapter, Credentials(access_token="act.x"), AdAccountRef("1"), level, day, day)
        await client.aclose()
        return rows

    async def test_the_recorded_rows_without_attributes_still_place_the_campaign(self) -> None:
        rows = await self.rows(EntityLevel.campaign, RECORDED_DAILY_ROWS[:2])
        assert [(r.entity_platform_id, r.campaign_platform_id, r.parent_platform_id, r.entity_name) for r in rows] == [
            ("1800000000000001", "1800000000000001", None, None),
            ("1800000000000002", "1800000000000002", None, None),
        ]

    async def test_attribute_metrics_place_an_ad_and_not_applicable_is_none(self) -> None:
        row = {
            "dimensions": {"ad_id": "9001", "stat_time_day": "2024-09-03 00:00:00"},
            "metrics": {"spend": "1.00", "ad_name": "Spring video", "adgroup_id": 8001, "campaign_id": "7001"},
        }
        blank = {
            "dimensions": {"ad_id": "9002", "stat_time_day": "2024-09-03 00:00:00"},
            "metrics": {"spend": "2.00", "ad_name": "-", "adgroup_id": "-", "campaign_id": ""},
        }
        rows = await self.rows(EntityLevel.ad, [row, blank])
        assert [(r.entity_platform_id, r.campaign_platform_id, r.parent_platform_id, r.entity_name) for r in rows] == [
            ("9001", "7001", "8001", "Spring video"),
            ("9002", None, None, None),
        ]
