"""Meta: where report rows sit, hourly pacing and deleted objects, on the emulator and the recordings."""

from __future__ import annotations

import json
import re
from datetime import date, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from adpilot.platforms.errors import PlatformUnavailable
from adpilot.platforms.types import EntityLevel, EntityRef, EntityStatus, Platform
from adpilot.sandbox.meta import MetaEmulatorOptions, create_meta_emulator
from tests.platforms.contract_kit import collect, collect_hourly, hourly_tuples, in_process, placements
from tests.platforms.meta.kit import VERSION, EmulatedMeta, RecordedMeta, private_emulator, private_sandbox

# === where report rows sit, hourly pacing, deleted objects ========================================================


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
        self, emulator: EmulatedMeta, level: EntityLevel
    ) -> None:
        credentials = emulator.token()
        since, until = emulator.sync_range
        rows = await collect(emulator.adapter, credentials, emulator.account, level, since, until)
        assert rows
        assert placements(rows) == emulator.expected_placements(level, since, until)
        request = next(r for r in emulator.log.requests if r.path.endswith("/insights"))
        expected_fields = {
            EntityLevel.campaign: "campaign_id,campaign_name,",
            EntityLevel.ad_group: "adset_id,adset_name,campaign_id,",
            EntityLevel.ad: "ad_id,ad_name,adset_id,campaign_id,",
        }[level]
        assert request.query["fields"].startswith(expected_fields)
        rule = json.loads(request.query["filtering"])[0]
        assert rule["field"] == f"{request.query['level']}.effective_status"
        assert {"DELETED", "ARCHIVED", "ACTIVE", "PAUSED"} <= set(rule["value"])

    async def test_hourly_rows_are_the_simulation_hour_by_hour(self, emulator: EmulatedMeta) -> None:
        credentials = emulator.token()
        day = emulator.sync_range[1]
        rows = await collect_hourly(emulator.adapter, credentials, emulator.account, day)
        assert hourly_tuples(rows) == emulator.expected_hourly(day)
        assert len(rows) > 24 and {r.currency for r in rows} == {emulator.currency}
        daily = await collect(emulator.adapter, credentials, emulator.account, EntityLevel.campaign, day, day)
        assert _sums(rows) == _sums(daily)
        assert sum(r.conversions for r in rows) > 0
        (request,) = [r for r in emulator.log.requests if "breakdowns" in r.query]
        assert request.query["breakdowns"] == "hourly_stats_aggregated_by_advertiser_time_zone"
        assert request.query["level"] == "campaign"
        assert json.loads(request.query["time_range"]) == {"since": day.isoformat(), "until": day.isoformat()}
        assert "reach" not in request.query["fields"].split(",")

    async def test_hourly_rows_come_through_a_report_run_when_meta_refuses_them_synchronously(
        self, emulator: EmulatedMeta
    ) -> None:
        credentials = emulator.token()
        day = emulator.sync_range[1]
        emulator.refuse_sync_reports()
        rows = await collect_hourly(emulator.adapter, credentials, emulator.account, day)
        assert hourly_tuples(rows) == emulator.expected_hourly(day)
        started = [r for r in emulator.log.requests if r.method == "POST" and r.path.endswith("/insights")]
        assert started and started[0].form["breakdowns"] == "hourly_stats_aggregated_by_advertiser_time_zone"

    async def test_today_has_hours_up_to_the_current_one(self) -> None:
        state = private_sandbox()
        emulator = private_emulator(state)
        credentials = emulator.token()
        zone = ZoneInfo(emulator.record.time_zone)
        today = state.clock.today(emulator.record.time_zone)
        first = await collect_hourly(emulator.adapter, credentials, emulator.account, today)
        assert first and hourly_tuples(first) == emulator.expected_hourly(today)
        assert max(r.hour for r in first) == state.clock.now().astimezone(zone).hour
        state.clock.advance(90 * 60)
        later = await collect_hourly(emulator.adapter, credentials, emulator.account, today)
        assert hourly_tuples(later) == emulator.expected_hourly(today)
        assert sum(r.spend_micros for r in later) > sum(r.spend_micros for r in first)
        assert await collect_hourly(emulator.adapter, credentials, emulator.account, today + timedelta(days=2)) == []
        await emulator.client.aclose()

    async def test_a_deleted_campaign_is_still_named_in_its_reports(self) -> None:
        state = private_sandbox()
        emulator = private_emulator(state)
        credentials = emulator.token()
        yesterday = state.clock.today(emulator.record.time_zone) - timedelta(days=1)
        before = await collect(
            emulator.adapter, credentials, emulator.account, EntityLevel.campaign, yesterday, yesterday
        )
        target = before[0]
        assert target.entity_name and target.parent_platform_id is None
        ref = EntityRef(emulator.account, EntityLevel.campaign, target.entity_platform_id)
        await emulator.adapter.set_status(credentials, ref, EntityStatus.removed)
        listed = await emulator.adapter.list_entities(credentials, emulator.account)
        assert {e.platform_id: e.status for e in listed}[target.entity_platform_id] is EntityStatus.removed
        after = await collect(
            emulator.adapter, credentials, emulator.account, EntityLevel.campaign, yesterday, yesterday
        )
        (again,) = [r for r in after if r.entity_platform_id == target.entity_platform_id]
        assert (again.entity_name, again.campaign_platform_id, again.spend_micros) == (
            target.entity_name,
            target.entity_platform_id,
            target.spend_micros,
        )
        ads = await collect(emulator.adapter, credentials, emulator.account, EntityLevel.ad, yesterday, yesterday)
        own = [r for r in ads if r.campaign_platform_id == target.entity_platform_id]
        assert own and all(r.parent_platform_id and r.entity_name for r in own)
        hours = await collect_hourly(emulator.adapter, credentials, emulator.account, yesterday)
        assert _sums(hours)[target.entity_platform_id][2] == target.spend_micros
        # Without the status filter Meta leaves the deleted campaign (and what sits in it) out of the account's report.
        plain = await emulator.client.get(
            f"{emulator.base_url}/{VERSION}/{_act(emulator)}/insights",
            params={
                "level": "ad",
                "fields": "ad_id,campaign_id,spend",
                "time_range": json.dumps({"since": yesterday.isoformat(), "until": yesterday.isoformat()}),
                "access_token": credentials.access_token,
            },
        )
        assert plain.status_code == 200, plain.text
        assert plain.json()["data"]
        assert target.entity_platform_id not in {row["campaign_id"] for row in plain.json()["data"]}
        await emulator.client.aclose()

    async def test_the_hourly_breakdown_looks_like_meta_writes_it(self, emulator: EmulatedMeta) -> None:
        credentials = emulator.token()
        day = emulator.sync_range[1]
        answer = await emulator.client.get(
            f"{emulator.base_url}/{VERSION}/{_act(emulator)}/insights",
            params={
                "level": "campaign",
                "fields": "campaign_id,campaign_name,impressions,spend,reach",
                "breakdowns": '["hourly_stats_aggregated_by_advertiser_time_zone"]',
                "time_range": json.dumps({"since": day.isoformat(), "until": day.isoformat()}),
                "limit": "500",
                "access_token": credentials.access_token,
            },
        )
        assert answer.status_code == 200, answer.text
        rows = answer.json()["data"]
        assert rows
        for row in rows:
            hour = row["hourly_stats_aggregated_by_advertiser_time_zone"]
            assert re.fullmatch(r"(\d\d):00:00 - \1:59:59", hour), hour
            assert "reach" not in row
            assert isinstance(row["impressions"], str) and isinstance(row["spend"], str)
            assert row["date_start"] == row["date_stop"] == day.isoformat()
        refused = await emulator.client.get(
            f"{emulator.base_url}/{VERSION}/{_act(emulator)}/insights",
            params={"breakdowns": "hourly_stats_by_moon_phase", "access_token": credentials.access_token},
        )
        assert refused.status_code == 400
        assert refused.json()["error"]["code"] == 100

    @pytest.mark.parametrize(
        ("level", "rule", "message"),
        [
            ("campaign", {"field": "ad.effective_status", "operator": "IN", "value": ["ACTIVE"]}, "invalid at level"),
            ("ad", {"field": "ad.effective_status", "operator": "IN", "value": ["GONE"]}, "not a valid"),
            ("ad", {"field": "ad.effective_status", "operator": "EQUAL", "value": "ACTIVE"}, "IN or EQUAL"),
        ],
    )
    async def test_status_filters_meta_would_refuse_are_refused(
        self, emulator: EmulatedMeta, level: str, rule: dict[str, Any], message: str
    ) -> None:
        answer = await emulator.client.get(
            f"{emulator.base_url}/{VERSION}/{_act(emulator)}/insights",
            params={"level": level, "filtering": json.dumps([rule]), "access_token": emulator.token().access_token},
        )
        assert answer.status_code == 400
        assert answer.json()["error"]["code"] == 100
        assert message in answer.json()["error"]["message"]

    async def test_a_status_filter_narrows_the_report(self, emulator: EmulatedMeta) -> None:
        day = emulator.sync_range[1]
        token = emulator.token().access_token

        async def ads(statuses: list[str]) -> set[str]:
            rule = {"field": "ad.effective_status", "operator": "IN", "value": statuses}
            answer = await emulator.client.get(
                f"{emulator.base_url}/{VERSION}/{_act(emulator)}/insights",
                params={
                    "level": "ad",
                    "fields": "ad_id",
                    "filtering": json.dumps([rule]),
                    "time_range": json.dumps({"since": day.isoformat(), "until": day.isoformat()}),
                    "limit": "500",
                    "access_token": token,
                },
            )
            assert answer.status_code == 200, answer.text
            return {row["ad_id"] for row in answer.json()["data"]}

        active = await ads(["ACTIVE"])
        everything = await ads(["ACTIVE", "PAUSED", "CAMPAIGN_PAUSED", "ADSET_PAUSED", "DELETED", "ARCHIVED"])
        assert active and active <= everything
        world = emulator.state.world
        account_id = emulator.account.account_id
        every = [world.entities(Platform.meta, account_id, level, include_removed=True) for level in EntityLevel]
        index = {e.id: e for entities in every for e in entities}
        for ad_id in everything:
            ad = index[ad_id]
            chain = [ad, index[ad.parent_id or ""], index[ad.campaign_id]]
            running = all(member.status is EntityStatus.active for member in chain)
            assert (ad_id in active) is running, ad_id

    async def test_hours_without_off_meta_actions_still_carry_spend(self) -> None:
        state = private_sandbox()
        app = create_meta_emulator(state, options=MetaEmulatorOptions(hourly_off_meta_actions=False))
        emulator = EmulatedMeta(state, *in_process(Platform.meta, app))
        credentials = emulator.token()
        day = state.clock.today(emulator.record.time_zone) - timedelta(days=9)
        rows = await collect_hourly(emulator.adapter, credentials, emulator.account, day)
        truth = emulator.expected_hourly(day)
        # Spend, impressions and clicks as ever; purchases (pixel events) are not broken down by hour on Meta.
        assert [t[:6] for t in hourly_tuples(rows)] == [t[:6] for t in truth]
        assert sum(r.conversions for r in rows) < sum(t[6] for t in truth)
        daily = await collect(emulator.adapter, credentials, emulator.account, EntityLevel.campaign, day, day)
        assert sum(r.conversions for r in daily) == sum(t[6] for t in truth)
        await emulator.client.aclose()


def _act(emulator: EmulatedMeta) -> str:
    return f"act_{emulator.account.account_id}"


class HourlyRecorded(RecordedMeta):
    """The recorded backend answering the hourly breakdown with rows in the recorded insights shape (§B.5: every
    number a string, overlapping purchase types in ``actions``)."""

    def __init__(self, hours: list[str]) -> None:
        super().__init__()
        self.hours = hours

    def _answer(self, request: httpx.Request) -> httpx.Response:
        if "breakdowns" not in request.url.params:
            return super()._answer(request)
        purchases = ("omni_purchase", "purchase", "offsite_conversion.fb_pixel_purchase")
        rows = [
            {
                "campaign_id": "23854404676180548",
                "objective": "OUTCOME_SALES",
                "account_currency": "USD",
                "impressions": "185",
                # All clicks above link clicks, as Meta reports them.
                "clicks": "12",
                "inline_link_clicks": "9",
                "spend": "14.35",
                "actions": [{"action_type": t, "value": "2"} for t in purchases],
                "action_values": [{"action_type": t, "value": "59.98"} for t in purchases],
                "date_start": "2023-06-01",
                "date_stop": "2023-06-01",
                "hourly_stats_aggregated_by_advertiser_time_zone": hour,
            }
            for hour in self.hours
        ]
        return httpx.Response(200, json={"data": rows, "paging": {"cursors": {"before": "MAZDZD", "after": "MQZDZD"}}})


class TestRecordedHours:
    async def test_hourly_rows_read_the_breakdown_and_count_one_purchase_type(self) -> None:
        backend = HourlyRecorded(["00:00:00 - 00:59:59", "13:00:00 - 13:59:59", "23:00:00 - 23:59:59"])
        rows = await collect_hourly(backend.adapter, await backend.connect(), backend.account, date(2023, 6, 1))
        assert hourly_tuples(rows) == [
            ("23854404676180548", date(2023, 6, 1), hour, 185, 9, 14_350_000, Decimal(2), 59_980_000)
            for hour in (0, 13, 23)
        ]
        assert [row.all_clicks for row in rows] == [12, 12, 12]
        await backend.client.aclose()

    @pytest.mark.parametrize("hour", ["", "24:00:00 - 24:59:59", "late afternoon"])
    async def test_an_unreadable_hour_is_an_unreadable_answer(self, hour: str) -> None:
        backend = HourlyRecorded([hour])
        with pytest.raises(PlatformUnavailable):
            await collect_hourly(backend.adapter, await backend.connect(), backend.account, date(2023, 6, 1))
        await backend.client.aclose()
