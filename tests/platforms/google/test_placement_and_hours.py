"""Google Ads: where report rows sit, hourly pacing and removed entities, on the emulator and the recordings."""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from adpilot.platforms.errors import PlatformUnavailable
from adpilot.platforms.types import EntityLevel, EntityRef, EntityStatus
from tests.platforms.contract_kit import collect, collect_hourly, frozen_state, hourly_tuples, placements
from tests.platforms.google.kit import EmulatedGoogle, RecordedGoogle, private_emulator, raw_search

# === where report rows sit, hourly pacing, removed entities =======================================================


class TestPlacementAndHours:
    @pytest.mark.parametrize("level", list(EntityLevel))
    async def test_daily_rows_name_their_entity_campaign_and_parent(
        self, emulator: EmulatedGoogle, level: EntityLevel
    ) -> None:
        credentials = await emulator.connect()
        since, until = emulator.report_range
        rows = await collect(emulator.adapter, credentials, emulator.account, level, since, until)
        assert placements(rows) == emulator.expected_placements(level, since, until)
        assert all(r.extras == {} for r in rows)
        if level is EntityLevel.campaign:
            assert all(r.campaign_platform_id == r.entity_platform_id and r.parent_platform_id is None for r in rows)
        (query,) = [r.body["query"] for r in emulator.log.api() if r.body and "metrics.cost_micros" in r.body["query"]]
        names = {
            EntityLevel.campaign: "campaign.id, campaign.name",
            EntityLevel.ad_group: "ad_group.id, ad_group.name, campaign.id",
            EntityLevel.ad: "ad_group_ad.ad.id, ad_group_ad.ad.name, ad_group.id, campaign.id",
        }[level]
        assert query.startswith(f"SELECT {names}, ")

    async def test_recorded_rows_without_names_still_place_the_campaign(self) -> None:
        backend = RecordedGoogle()
        credentials = await backend.connect()
        since, until = backend.report_range
        rows = await collect(backend.adapter, credentials, backend.account, EntityLevel.campaign, since, until)
        assert [(r.campaign_platform_id, r.parent_platform_id, r.entity_name) for r in rows] == [
            ("700001", None, None),
            ("700001", None, None),
        ]
        await backend.client.aclose()

    async def test_hourly_rows_are_the_simulation_hour_by_hour(self, emulator: EmulatedGoogle) -> None:
        credentials = await emulator.connect()
        day = emulator.report_range[1]  # conversions final: the numbers hold still
        rows = await collect_hourly(emulator.adapter, credentials, emulator.account, day)
        expected = emulator.expected_hourly(day)
        assert hourly_tuples(rows) == expected
        assert len(expected) > 24  # several campaigns over many hours
        assert all(r.currency == emulator.currency and 0 <= r.hour <= 23 for r in rows)
        (query,) = [r.body["query"] for r in emulator.log.api() if r.body and "segments.hour" in r.body["query"]]
        assert query.startswith("SELECT campaign.id, ")
        assert f"FROM campaign WHERE segments.date = '{day.isoformat()}'" in query

    async def test_the_hours_of_a_day_add_up_to_its_daily_row(self, emulator: EmulatedGoogle) -> None:
        credentials = await emulator.connect()
        day = emulator.report_range[1]
        hours = await collect_hourly(emulator.adapter, credentials, emulator.account, day)
        days = await collect(emulator.adapter, credentials, emulator.account, EntityLevel.campaign, day, day)
        summed: dict[str, list[Any]] = {}
        for h in hours:
            into = summed.setdefault(h.campaign_platform_id, [0, 0, 0, Decimal(0), 0])
            for i, value in enumerate(
                (h.impressions, h.clicks, h.spend_micros, h.conversions, h.conversion_value_micros)
            ):
                into[i] += value
        assert summed == {
            d.entity_platform_id: [d.impressions, d.clicks, d.spend_micros, d.conversions, d.conversion_value_micros]
            for d in days
        }

    async def test_today_has_hours_up_to_the_current_one(self) -> None:
        state = frozen_state()
        backend = private_emulator(state)
        credentials = await backend.connect()
        account = backend.world_account(backend.account.account_id)
        zone = ZoneInfo(account.time_zone)
        today = state.clock.today(account.time_zone)
        first = await collect_hourly(backend.adapter, credentials, backend.account, today)
        assert hourly_tuples(first) == backend.expected_hourly(today)
        assert max(r.hour for r in first) == state.clock.now().astimezone(zone).hour
        state.clock.advance(2 * 3600)
        credentials = await backend.adapter.refresh(credentials)
        later = await collect_hourly(backend.adapter, credentials, backend.account, today)
        assert hourly_tuples(later) == backend.expected_hourly(today)
        if state.clock.today(account.time_zone) == today:
            assert max(r.hour for r in later) == state.clock.now().astimezone(zone).hour
        assert sum(r.spend_micros for r in later) > sum(r.spend_micros for r in first)
        tomorrow = await collect_hourly(backend.adapter, credentials, backend.account, today + timedelta(days=3))
        assert tomorrow == []

    async def test_the_hour_is_a_json_number_in_the_stream(self, emulator: EmulatedGoogle) -> None:
        credentials = await emulator.connect()
        day = emulator.report_range[1]
        query = (
            "SELECT campaign.id, segments.hour, metrics.clicks FROM campaign "  # noqa: S608 (GAQL)
            f"WHERE segments.date = '{day}' AND segments.hour >= 12 ORDER BY segments.hour DESC"
        )
        answer = await raw_search(emulator, credentials, query)
        assert answer.status_code == 200, answer.text
        batch = answer.json()[0]
        assert batch["fieldMask"] == "campaign.id,segments.hour,metrics.clicks"
        hours = [row["segments"]["hour"] for row in batch["results"]]
        assert all(isinstance(h, int) and 12 <= h <= 23 for h in hours)
        assert hours == sorted(hours, reverse=True)

    async def test_a_removed_campaign_is_still_named_in_its_reports(self) -> None:
        state = frozen_state()
        backend = private_emulator(state)
        credentials = await backend.connect()
        account = backend.world_account(backend.account.account_id)
        yesterday = state.clock.today(account.time_zone) - timedelta(days=1)
        before = await collect(
            backend.adapter, credentials, backend.account, EntityLevel.campaign, yesterday, yesterday
        )
        target = before[0]
        assert target.entity_name
        await backend.adapter.set_status(
            credentials,
            EntityRef(backend.account, EntityLevel.campaign, target.entity_platform_id),
            EntityStatus.removed,
        )
        listed = await backend.adapter.list_entities(credentials, backend.account)
        assert {e.platform_id: e.status for e in listed}[target.entity_platform_id] is EntityStatus.removed
        after = await collect(backend.adapter, credentials, backend.account, EntityLevel.campaign, yesterday, yesterday)
        (again,) = [r for r in after if r.entity_platform_id == target.entity_platform_id]
        assert (again.entity_name, again.campaign_platform_id, again.spend_micros) == (
            target.entity_name,
            target.entity_platform_id,
            target.spend_micros,
        )
        groups = await collect(backend.adapter, credentials, backend.account, EntityLevel.ad, yesterday, yesterday)
        own = [r for r in groups if r.campaign_platform_id == target.entity_platform_id]
        assert own and all(r.parent_platform_id and r.entity_name for r in own)
        hours = await collect_hourly(backend.adapter, credentials, backend.account, yesterday)
        assert sum(h.spend_micros for h in hours if h.campaign_platform_id == target.entity_platform_id) == (
            target.spend_micros
        )


class HourlyRecorded(RecordedGoogle):
    """The recorded backend answering an hourly query with rows in the reference's proto3 shape (§A.1: int64 as
    strings, doubles and the int32 hour as numbers)."""

    def __init__(self, hours: list[int]) -> None:
        super().__init__()
        self.hours = hours

    def stream(self, customer: str, query: str) -> httpx.Response:
        if "segments.hour" not in query:
            return super().stream(customer, query)
        results = [
            {
                "campaign": {"resourceName": f"customers/{customer}/campaigns/700001", "id": "700001"},
                "metrics": {
                    "impressions": str(100 + hour),
                    "clicks": "3",
                    "costMicros": "1250000",
                    "conversions": 0.5,
                    "conversionsValue": 12.3,
                },
                "segments": {"date": "2024-01-01", "hour": hour},
            }
            for hour in self.hours
        ]
        mask = "campaign.id,segments.date,metrics.impressions,segments.hour"
        return httpx.Response(200, text=json.dumps([{"results": results, "fieldMask": mask, "requestId": "r"}]))


class TestRecordedHours:
    async def test_hourly_rows_in_googles_shape_are_read(self) -> None:
        backend = HourlyRecorded([0, 13, 23])
        credentials = await backend.connect()
        rows = await collect_hourly(backend.adapter, credentials, backend.account, date(2024, 1, 1))
        assert hourly_tuples(rows) == [
            ("700001", date(2024, 1, 1), hour, 100 + hour, 3, 1_250_000, Decimal("0.5"), 12_300_000)
            for hour in (0, 13, 23)
        ]
        assert {r.currency for r in rows} == {"USD"}
        await backend.client.aclose()

    async def test_an_hour_out_of_range_is_an_unreadable_answer(self) -> None:
        backend = HourlyRecorded([24])
        credentials = await backend.connect()
        with pytest.raises(PlatformUnavailable):
            await collect_hourly(backend.adapter, credentials, backend.account, date(2024, 1, 1))
        await backend.client.aclose()
