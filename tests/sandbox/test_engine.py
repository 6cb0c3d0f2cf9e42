"""The simulation: its demo world, determinism, consistent levels, pacing, late conversions, status and time zones."""

from __future__ import annotations

import itertools
import re
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from adpilot.platforms.types import EntityLevel, EntityStatus, Platform
from adpilot.sandbox.clock import SandboxClock
from adpilot.sandbox.engine import (
    SandboxWorld,
    SandboxWorldError,
    SimAccount,
    SimMetrics,
    build_demo_world,
    maturity,
    minor_unit_micros,
)
from tests.sandbox.conftest import FROZEN_AT

FIELDS = ("impressions", "clicks", "spend_micros", "conversions", "conversion_value_micros", "reach", "video_views")


def spending_accounts(world: SandboxWorld, platform: Platform) -> list[SimAccount]:
    return [a for a in world.accounts(platform) if not a.is_manager]


def today_of(world: SandboxWorld, account: SimAccount) -> date:
    return world.clock.today(account.time_zone)


def totals(rows: list[SimMetrics], key: object = None) -> dict[object, tuple[int, ...]]:
    summed: dict[object, list[int]] = defaultdict(lambda: [0] * len(FIELDS))
    for row in rows:
        group = key(row) if callable(key) else row.day
        for i, name in enumerate(FIELDS):
            summed[group][i] += getattr(row, name)
    return {k: tuple(v) for k, v in summed.items()}


class TestDemoWorld:
    def test_google_has_a_manager_with_two_clients_and_a_direct_account(self, shared_world: SandboxWorld) -> None:
        accounts = shared_world.accounts(Platform.google)
        managers = [a for a in accounts if a.is_manager]
        assert len(managers) == 1
        assert managers[0].name == "Northwind Agency MCC"
        clients = shared_world.clients(Platform.google, managers[0].account_id)
        assert len(clients) == 2
        direct = [a for a in accounts if not a.is_manager and a.manager_id is None]
        assert len(direct) == 1
        assert all(re.fullmatch(r"\d{10}", a.account_id) for a in accounts)
        assert shared_world.entities(Platform.google, managers[0].account_id, EntityLevel.campaign) == []

    def test_currencies_time_zones_and_id_shapes(self, shared_world: SandboxWorld) -> None:
        meta, tiktok = shared_world.accounts(Platform.meta), shared_world.accounts(Platform.tiktok)
        assert 2 <= len(meta) <= 3
        assert len(tiktok) == 2
        every = [a for p in Platform for a in shared_world.accounts(p)]
        assert {"USD", "EUR", "GBP", "JPY"} <= {a.currency for a in every}
        assert {"JPY"} <= {a.currency for a in meta + tiktok}
        assert len({a.time_zone for a in every}) >= 4
        assert all(re.fullmatch(r"\d{15,16}", a.account_id) for a in meta)
        assert all(re.fullmatch(r"\d{16,19}", a.account_id) for a in tiktok)
        for account in meta:
            for level in EntityLevel:
                ids = [e.id for e in shared_world.entities(Platform.meta, account.account_id, level)]
                assert ids
                assert all(re.fullmatch(r"\d{15,17}", i) for i in ids)
        for account in tiktok:
            campaigns = shared_world.entities(Platform.tiktok, account.account_id, EntityLevel.campaign)
            assert all(re.fullmatch(r"\d{16,19}", c.id) for c in campaigns)

    def test_tens_of_campaigns_with_history_statuses_and_budgets(self, shared_world: SandboxWorld) -> None:
        now = shared_world.clock.now()
        for platform in Platform:
            campaigns = [
                c
                for a in spending_accounts(shared_world, platform)
                for c in shared_world.entities(platform, a.account_id, EntityLevel.campaign, include_removed=True)
            ]
            assert len(campaigns) >= 20
            statuses = {c.status for c in campaigns}
            assert statuses == {EntityStatus.active, EntityStatus.paused, EntityStatus.removed}, platform
            assert all(timedelta(days=99) <= now - c.created_at <= timedelta(days=201) for c in campaigns)
            for account in spending_accounts(shared_world, platform):
                names = [c.name for c in campaigns if c.account_id == account.account_id]
                assert len(set(names)) == len(names)
            if platform is Platform.meta:
                assert any(c.daily_budget_micros for c in campaigns)  # campaign budgets (CBO)
                assert any(c.daily_budget_micros is None for c in campaigns)  # ad set budgets
            else:
                assert all(c.daily_budget_micros or c.lifetime_budget_micros for c in campaigns)
            for campaign in campaigns:
                groups = shared_world.children(platform, campaign.id)
                assert 1 <= len(groups) <= 4
                for group in groups:
                    assert 1 <= len(shared_world.children(platform, group.id)) <= 4
                    assert group.campaign_id == campaign.id
        google = shared_world.accounts(Platform.google)[1].account_id
        channels = {
            c.attributes["advertising_channel_type"]
            for c in shared_world.entities(Platform.google, google, EntityLevel.campaign, include_removed=True)
        }
        assert {"SEARCH", "PERFORMANCE_MAX", "DISPLAY", "VIDEO"} <= channels

    def test_paused_and_removed_campaigns_keep_their_history(self, shared_world: SandboxWorld) -> None:
        for platform in Platform:
            for account in spending_accounts(shared_world, platform):
                for campaign in shared_world.entities(
                    platform, account.account_id, EntityLevel.campaign, include_removed=True
                ):
                    history = shared_world.status_history(platform, campaign.id)
                    assert history[0] == (campaign.created_at, EntityStatus.active)
                    assert history[-1][1] is campaign.status
                    assert campaign.updated_at == max(
                        history[-1][0], shared_world.budget_history(platform, campaign.id)[-1][0]
                    )

    def test_deleting_a_meta_or_tiktok_campaign_deleted_everything_under_it(self, shared_world: SandboxWorld) -> None:
        for platform in (Platform.meta, Platform.tiktok):
            removed = [
                c
                for a in spending_accounts(shared_world, platform)
                for c in shared_world.entities(platform, a.account_id, EntityLevel.campaign, include_removed=True)
                if c.status is EntityStatus.removed
            ]
            assert removed
            for campaign in removed:
                for group in shared_world.children(platform, campaign.id):
                    assert group.status is EntityStatus.removed
                    assert {a.status for a in shared_world.children(platform, group.id)} == {EntityStatus.removed}

    def test_logins_see_every_account_or_just_one(self, shared_world: SandboxWorld) -> None:
        for platform in Platform:
            everyone, single = shared_world.logins(platform)
            reachable = {a.account_id for a in shared_world.accessible_accounts(platform, everyone.login_id)}
            assert reachable == {a.account_id for a in shared_world.accounts(platform)}
            assert len(single.account_ids) == 1
            assert [a.account_id for a in shared_world.accessible_accounts(platform, single.login_id)] == list(
                single.account_ids
            )
            assert shared_world.login(platform, single.login_id) == single
        google_all = shared_world.logins(Platform.google)[0]
        kinds = {shared_world.account(Platform.google, a).is_manager for a in google_all.account_ids}  # type: ignore[union-attr]
        assert kinds == {True, False}  # the manager and the direct account

    def test_returned_entities_are_copies(self, world: SandboxWorld) -> None:
        account = spending_accounts(world, Platform.meta)[0]
        campaign = world.entities(Platform.meta, account.account_id, EntityLevel.campaign)[0]
        original = campaign.status
        campaign.status = EntityStatus.removed
        campaign.attributes["objective"] = "changed"
        again = world.entity(Platform.meta, campaign.id)
        assert again is not None
        assert again.status is original
        assert again.attributes["objective"] != "changed"


class TestDeterminism:
    def test_same_seed_same_world_and_numbers(self, clock: SandboxClock) -> None:
        first, second = build_demo_world(11, clock), build_demo_world(11, clock)
        for platform in Platform:
            assert first.accounts(platform) == second.accounts(platform)
            assert first.logins(platform) == second.logins(platform)
            account = spending_accounts(first, platform)[0]
            for level in EntityLevel:
                assert first.entities(platform, account.account_id, level, include_removed=True) == second.entities(
                    platform, account.account_id, level, include_removed=True
                )
            today = today_of(first, account)
            since = today - timedelta(days=20)
            assert first.daily_metrics(platform, account.account_id, EntityLevel.ad, since, today) == (
                second.daily_metrics(platform, account.account_id, EntityLevel.ad, since, today)
            )

    def test_a_different_seed_gives_a_different_world(self, clock: SandboxClock) -> None:
        first, second = build_demo_world(7, clock), build_demo_world(8, clock)
        assert [a.account_id for a in first.accounts(Platform.google)] != [
            a.account_id for a in second.accounts(Platform.google)
        ]
        a, b = spending_accounts(first, Platform.tiktok)[0], spending_accounts(second, Platform.tiktok)[0]
        day = today_of(first, a) - timedelta(days=10)
        spend_a = sum(
            r.spend_micros for r in first.daily_metrics(Platform.tiktok, a.account_id, EntityLevel.campaign, day, day)
        )
        spend_b = sum(
            r.spend_micros for r in second.daily_metrics(Platform.tiktok, b.account_id, EntityLevel.campaign, day, day)
        )
        assert spend_a != spend_b

    def test_a_rebuilt_world_later_the_same_day_reports_the_same_history(self) -> None:
        morning = build_demo_world(7, SandboxClock(start=FROZEN_AT.replace(hour=1), frozen=True))
        evening = build_demo_world(7, SandboxClock(start=FROZEN_AT.replace(hour=22), frozen=True))
        account = spending_accounts(morning, Platform.google)[0]
        day = date(2026, 3, 1)
        assert morning.daily_metrics(Platform.google, account.account_id, EntityLevel.ad, day, day) == (
            evening.daily_metrics(Platform.google, account.account_id, EntityLevel.ad, day, day)
        )


class TestLevels:
    @pytest.mark.parametrize("platform", list(Platform))
    def test_campaign_equals_ad_groups_equals_ads(self, shared_world: SandboxWorld, platform: Platform) -> None:
        for account in spending_accounts(shared_world, platform):
            today = today_of(shared_world, account)
            since = today - timedelta(days=20)  # recent days: late conversions are still coming in

            def read(level: EntityLevel, account_id: str = account.account_id, since: date = since) -> list[SimMetrics]:
                return shared_world.daily_metrics(platform, account_id, level, since, since + timedelta(days=20))

            def campaign_of(row: SimMetrics) -> tuple[date, str]:
                entity = shared_world.entity(platform, row.entity_id)
                assert entity is not None
                return row.day, entity.campaign_id

            campaigns = totals(read(EntityLevel.campaign), lambda r: (r.day, r.entity_id))
            assert campaigns
            assert totals(read(EntityLevel.ad_group), campaign_of) == campaigns
            assert totals(read(EntityLevel.ad), campaign_of) == campaigns

    def test_every_row_is_positive_and_in_whole_minor_units(self, shared_world: SandboxWorld) -> None:
        for platform in Platform:
            for account in spending_accounts(shared_world, platform):
                today = today_of(shared_world, account)
                rows = shared_world.daily_metrics(
                    platform, account.account_id, EntityLevel.ad, today - timedelta(days=30), today
                )
                minor = minor_unit_micros(account.currency)
                for row in rows:
                    assert row.impressions > 0 or row.spend_micros > 0
                    assert row.spend_micros % minor == 0
                    assert row.conversion_value_micros % minor == 0
                    assert min(getattr(row, f) for f in FIELDS) >= 0
                    assert row.clicks <= row.impressions
                    assert row.reach <= row.impressions
                    assert row.hour is None

    def test_days_are_the_sum_of_their_hours(self, shared_world: SandboxWorld) -> None:
        for platform in Platform:
            account = spending_accounts(shared_world, platform)[0]
            today = today_of(shared_world, account)
            for day in (today, today - timedelta(days=1), today - timedelta(days=3), today - timedelta(days=40)):
                for level in EntityLevel:
                    daily = shared_world.daily_metrics(platform, account.account_id, level, day, day)
                    hourly = shared_world.hourly_metrics(platform, account.account_id, level, day)
                    assert daily
                    assert {r.hour for r in hourly} <= set(range(24))
                    assert totals(hourly, lambda r: r.entity_id) == totals(daily, lambda r: r.entity_id)

    def test_every_completed_day_of_every_account_is_the_sum_of_its_hours(self, shared_world: SandboxWorld) -> None:
        # Two weeks back from yesterday: late conversions still arriving on the recent days, final on the older ones.
        for platform in Platform:
            for account in spending_accounts(shared_world, platform):
                yesterday = today_of(shared_world, account) - timedelta(days=1)
                for back in range(14):
                    day = yesterday - timedelta(days=back)
                    daily = shared_world.daily_metrics(platform, account.account_id, EntityLevel.campaign, day, day)
                    hourly = shared_world.hourly_metrics(platform, account.account_id, EntityLevel.campaign, day)
                    assert totals(hourly, lambda r: r.entity_id) == totals(daily, lambda r: r.entity_id), (
                        account.account_id,
                        day,
                    )
                    assert all(r.day == day and r.hour is not None and 0 <= r.hour <= 23 for r in hourly)

    def test_a_day_with_changes_in_its_middle_still_adds_up(self, world: SandboxWorld) -> None:
        account = spending_accounts(world, Platform.meta)[0]
        today = today_of(world, account)
        campaigns = world.daily_metrics(Platform.meta, account.account_id, EntityLevel.campaign, today, today)
        target = max(campaigns, key=lambda r: r.spend_micros)
        groups = world.children(Platform.meta, target.entity_id)
        ads = world.children(Platform.meta, groups[0].id)
        # An ad paused, a budget raised and an ad set paused at different moments of the same local day.
        world.update_entity(Platform.meta, ads[0].id, status=EntityStatus.paused)
        world.clock.advance(40 * 60)
        campaign = world.entity(Platform.meta, target.entity_id)
        holder = campaign if campaign is not None and campaign.daily_budget_micros else groups[0]
        assert holder.daily_budget_micros is not None
        world.update_entity(Platform.meta, holder.id, daily_budget_micros=holder.daily_budget_micros * 2)
        world.clock.advance(50 * 60)
        world.update_entity(Platform.meta, groups[-1].id, status=EntityStatus.paused)
        # The next day (conversions still arriving), then a week later (final).
        for advance in (86_400, 7 * 86_400):
            world.clock.advance(advance)
            assert world.clock.today(account.time_zone) > today
            for level in EntityLevel:
                daily = world.daily_metrics(Platform.meta, account.account_id, level, today, today)
                hourly = world.hourly_metrics(Platform.meta, account.account_id, level, today)
                assert daily
                assert totals(hourly, lambda r: r.entity_id) == totals(daily, lambda r: r.entity_id), level

    def test_entity_filter_and_empty_ranges(self, shared_world: SandboxWorld) -> None:
        account = spending_accounts(shared_world, Platform.google)[0]
        today = today_of(shared_world, account)
        since = today - timedelta(days=5)
        everything = shared_world.daily_metrics(Platform.google, account.account_id, EntityLevel.ad_group, since, today)
        chosen = {everything[0].entity_id, everything[1].entity_id}
        subset = shared_world.daily_metrics(
            Platform.google, account.account_id, EntityLevel.ad_group, since, today, entity_ids=chosen
        )
        assert subset == [r for r in everything if r.entity_id in chosen]
        assert shared_world.daily_metrics(Platform.google, account.account_id, EntityLevel.ad, today, since) == []
        manager = shared_world.accounts(Platform.google)[0]
        assert shared_world.daily_metrics(Platform.google, manager.account_id, EntityLevel.ad, since, today) == []
        with pytest.raises(SandboxWorldError):
            shared_world.daily_metrics(Platform.google, "0000000000", EntityLevel.ad, since, today)


class TestTime:
    def test_history_starts_when_entities_were_created(self, shared_world: SandboxWorld) -> None:
        account = spending_accounts(shared_world, Platform.meta)[0]
        zone = ZoneInfo(account.time_zone)
        campaigns = shared_world.entities(Platform.meta, account.account_id, EntityLevel.campaign, include_removed=True)
        first = min(c.created_at for c in campaigns).astimezone(zone).date()
        rows = shared_world.daily_metrics(
            Platform.meta,
            account.account_id,
            EntityLevel.campaign,
            first - timedelta(days=30),
            first + timedelta(days=5),
        )
        assert rows
        assert min(r.day for r in rows) >= first
        created = {c.id: c.created_at.astimezone(zone).date() for c in campaigns}
        assert all(r.day >= created[r.entity_id] for r in rows)

    def test_today_follows_each_account_time_zone(self, clock: SandboxClock) -> None:
        clock.advance((datetime(2026, 3, 18, 23, 30, tzinfo=UTC) - FROZEN_AT).total_seconds())
        world = build_demo_world(7, clock)
        by_zone = {a.time_zone: a for p in Platform for a in spending_accounts(world, p)}
        expectations = {  # local time at 23:30 UTC: (local date, hour)
            "Asia/Tokyo": (date(2026, 3, 19), 8),
            "Europe/Berlin": (date(2026, 3, 19), 0),
            "Europe/London": (date(2026, 3, 18), 23),
            "America/Los_Angeles": (date(2026, 3, 18), 16),
        }
        for zone, (local_today, local_hour) in expectations.items():
            account = by_zone[zone]
            rows = world.daily_metrics(
                account.platform,
                account.account_id,
                EntityLevel.campaign,
                local_today - timedelta(days=2),
                local_today + timedelta(days=3),
            )
            assert max(r.day for r in rows) == local_today, zone
            hours = {
                r.hour for r in world.hourly_metrics(account.platform, account.account_id, EntityLevel.ad, local_today)
            }
            assert max(hour for hour in hours if hour is not None) == local_hour, zone
            tomorrow = world.hourly_metrics(
                account.platform, account.account_id, EntityLevel.ad, local_today + timedelta(days=1)
            )
            assert tomorrow == []

    def test_today_grows_through_the_day(self, world: SandboxWorld) -> None:
        account = spending_accounts(world, Platform.tiktok)[0]
        today = today_of(world, account)
        readings = []
        for _ in range(4):
            rows = world.daily_metrics(Platform.tiktok, account.account_id, EntityLevel.campaign, today, today)
            readings.append(totals(rows).get(today, (0,) * len(FIELDS)))
            world.clock.advance(45 * 60)
        for earlier, later in itertools.pairwise(readings):
            assert all(a <= b for a, b in zip(earlier, later, strict=True))
        assert readings[-1][2] > readings[0][2]  # spend kept coming in

    @pytest.mark.parametrize(
        ("zone", "day", "silent_hour"),
        [
            ("America/Los_Angeles", date(2026, 3, 8), 2),  # spring forward: 02:00-03:00 does not exist
            ("America/New_York", date(2025, 11, 2), None),  # fall back: a 25-hour day
            ("Europe/Berlin", date(2025, 10, 26), None),
        ],
    )
    def test_daylight_saving_days_still_add_up(
        self, shared_world: SandboxWorld, zone: str, day: date, silent_hour: int | None
    ) -> None:
        account = next(a for p in Platform for a in spending_accounts(shared_world, p) if a.time_zone == zone)
        daily = shared_world.daily_metrics(account.platform, account.account_id, EntityLevel.campaign, day, day)
        hourly = shared_world.hourly_metrics(account.platform, account.account_id, EntityLevel.campaign, day)
        assert daily
        assert totals(hourly, lambda r: r.entity_id) == totals(daily, lambda r: r.entity_id)
        if silent_hour is not None:
            assert silent_hour not in {r.hour for r in hourly}

    def test_hour_of_day_follows_local_time(self, shared_world: SandboxWorld) -> None:
        for account in spending_accounts(shared_world, Platform.meta):
            day = today_of(shared_world, account) - timedelta(days=10)
            spend_by_hour = totals(
                shared_world.hourly_metrics(Platform.meta, account.account_id, EntityLevel.campaign, day),
                lambda r: r.hour,
            )
            night = sum(spend_by_hour.get(h, (0,) * 7)[2] for h in range(2, 6))
            evening = sum(spend_by_hour.get(h, (0,) * 7)[2] for h in range(19, 23))
            assert evening > 4 * night, account.time_zone


class TestPacing:
    def _budget_days(self, world: SandboxWorld, platform: Platform):  # type: ignore[no-untyped-def]
        """(campaign, day, spend, daily budget) for campaign-budgeted days with one budget all day and full delivery."""
        for account in spending_accounts(world, platform):
            zone = ZoneInfo(account.time_zone)
            today = today_of(world, account)
            since = today - timedelta(days=90)
            rows = world.daily_metrics(
                platform, account.account_id, EntityLevel.campaign, since, today - timedelta(days=1)
            )
            spend = {(r.entity_id, r.day): r.spend_micros for r in rows}
            for campaign in world.entities(platform, account.account_id, EntityLevel.campaign, include_removed=True):
                budgets = world.budget_history(platform, campaign.id)
                statuses = world.status_history(platform, campaign.id)
                changes = [moment for moment, *_ in budgets[1:]] + [moment for moment, _ in statuses[1:]]
                for offset in range(90):
                    day = since + timedelta(days=offset)
                    start = datetime(day.year, day.month, day.day, tzinfo=zone)
                    if start < campaign.created_at or any(
                        start - timedelta(days=1) <= c < start + timedelta(days=2) for c in changes
                    ):
                        continue
                    in_effect = [b for b in budgets if b[0] <= start][-1]
                    if in_effect[1] is None:
                        continue
                    yield campaign, day, spend.get((campaign.id, day), 0), in_effect[1]

    @pytest.mark.parametrize("platform", [Platform.google, Platform.tiktok, Platform.meta])
    def test_daily_spend_never_exceeds_twice_the_budget(self, shared_world: SandboxWorld, platform: Platform) -> None:
        checked = 0
        for _, _, spend, budget in self._budget_days(shared_world, platform):
            assert spend <= 2 * budget
            assert spend <= 1.25 * budget + minor_unit_micros("JPY")  # the model's own ceiling
            checked += 1
        assert checked > 500

    def test_budget_limited_campaigns_spend_about_their_budget(self, shared_world: SandboxWorld) -> None:
        ratios: dict[str, list[float]] = defaultdict(list)
        for platform in (Platform.google, Platform.tiktok):
            for campaign, _, spend, budget in self._budget_days(shared_world, platform):
                if campaign.status is EntityStatus.active and shared_world.profile(platform, campaign.id).demand > 2.5:
                    ratios[campaign.id].append(spend / budget)
        assert len(ratios) >= 3
        for campaign_id, values in ratios.items():
            assert len(values) >= 20
            assert 0.9 <= sum(values) / len(values) <= 1.1, campaign_id

    def test_demand_limited_campaigns_underspend(self, shared_world: SandboxWorld) -> None:
        ratios = [
            spend / budget
            for campaign, _, spend, budget in self._budget_days(shared_world, Platform.google)
            if shared_world.profile(Platform.google, campaign.id).demand < 0.7
        ]
        assert ratios
        assert sum(ratios) / len(ratios) < 0.8

    def test_a_bigger_budget_buys_pricier_impressions(self, world: SandboxWorld) -> None:
        account = spending_accounts(world, Platform.google)[0]
        today = today_of(world, account)
        campaign = next(
            c
            for c in world.entities(Platform.google, account.account_id, EntityLevel.campaign)
            if len(world.budget_history(Platform.google, c.id)) == 1
            and len(world.status_history(Platform.google, c.id)) == 1
        )
        assert campaign.daily_budget_micros is not None
        change_day = today - timedelta(days=21)
        zone = ZoneInfo(account.time_zone)
        world.update_entity(
            Platform.google,
            campaign.id,
            daily_budget_micros=campaign.daily_budget_micros * 3,
            at=datetime(change_day.year, change_day.month, change_day.day, tzinfo=zone),
        )

        def window(since: date) -> tuple[int, int]:
            rows = world.daily_metrics(
                Platform.google,
                account.account_id,
                EntityLevel.campaign,
                since,
                since + timedelta(days=13),
                entity_ids=[campaign.id],
            )
            return sum(r.spend_micros for r in rows), sum(r.impressions for r in rows)

        spend_before, impressions_before = window(change_day - timedelta(days=14))
        spend_after, impressions_after = window(change_day)
        assert spend_after > spend_before * 1.1
        assert impressions_after / spend_after < impressions_before / spend_before  # CPM went up
        assert impressions_after / impressions_before < spend_after / spend_before  # sub-linear


class TestStatusChanges:
    def test_pausing_stops_spend_from_then_on(self, world: SandboxWorld) -> None:
        account = spending_accounts(world, Platform.meta)[0]
        today = today_of(world, account)
        before = world.daily_metrics(Platform.meta, account.account_id, EntityLevel.campaign, today, today)
        target = max(before, key=lambda r: r.spend_micros)
        hours_before = world.hourly_metrics(
            Platform.meta, account.account_id, EntityLevel.campaign, today, entity_ids=[target.entity_id]
        )
        world.update_entity(Platform.meta, target.entity_id, status=EntityStatus.paused)
        paused_at = world.clock.now()
        pause_hour = paused_at.astimezone(ZoneInfo(account.time_zone)).hour
        world.clock.advance(3 * 86_400)

        hours_after = world.hourly_metrics(
            Platform.meta, account.account_id, EntityLevel.campaign, today, entity_ids=[target.entity_id]
        )
        assert all(r.hour is not None and r.hour <= pause_hour for r in hours_after)

        # Hours before the pause are untouched (the past does not change).
        def earlier(rows: list[SimMetrics]) -> list[tuple[int | None, int, int, int]]:
            return [(r.hour, r.impressions, r.spend_micros, r.clicks) for r in rows if (r.hour or 0) < pause_hour]

        assert earlier(hours_after) == earlier(hours_before)
        later = world.daily_metrics(
            Platform.meta, account.account_id, EntityLevel.ad, today + timedelta(days=1), today + timedelta(days=3)
        )
        ads_of_target = {
            a.id for g in world.children(Platform.meta, target.entity_id) for a in world.children(Platform.meta, g.id)
        }
        assert not [r for r in later if r.entity_id in ads_of_target]
        assert later  # the other campaigns go on

    def test_reenabling_resumes_and_pausing_an_ad_moves_spend_to_its_siblings(self, world: SandboxWorld) -> None:
        account = spending_accounts(world, Platform.google)[0]
        campaigns = world.entities(Platform.google, account.account_id, EntityLevel.campaign)
        group = next(
            g
            for c in campaigns
            if c.status is EntityStatus.active
            for g in world.children(Platform.google, c.id)
            if g.status is EntityStatus.active
            and len([a for a in world.children(Platform.google, g.id) if a.status is EntityStatus.active]) >= 2
        )
        ads = [a for a in world.children(Platform.google, group.id) if a.status is EntityStatus.active]
        today = today_of(world, account)
        tomorrow = today + timedelta(days=1)

        def group_and_ad_spend(day: date) -> tuple[int, int]:
            rows = world.daily_metrics(
                Platform.google, account.account_id, EntityLevel.ad, day, day, entity_ids=[a.id for a in ads]
            )
            return sum(r.spend_micros for r in rows), sum(r.spend_micros for r in rows if r.entity_id == ads[0].id)

        world.clock.advance(2 * 86_400)
        reference_total, _ = group_and_ad_spend(tomorrow)
        world.clock.advance(-2 * 86_400)
        world.update_entity(Platform.google, ads[0].id, status=EntityStatus.paused)
        world.clock.advance(2 * 86_400)
        total, paused_ad = group_and_ad_spend(tomorrow)
        assert paused_ad == 0
        assert total == pytest.approx(reference_total, rel=0.02, abs=minor_unit_micros(account.currency))
        world.update_entity(Platform.google, ads[0].id, status=EntityStatus.active)
        world.clock.advance(2 * 86_400)
        _, resumed = group_and_ad_spend(tomorrow + timedelta(days=2))
        assert resumed > 0

    def test_removed_is_final_and_hidden_unless_asked(self, world: SandboxWorld) -> None:
        account = spending_accounts(world, Platform.tiktok)[0]
        campaign = world.entities(Platform.tiktok, account.account_id, EntityLevel.campaign)[0]
        world.update_entity(Platform.tiktok, campaign.id, status=EntityStatus.removed)
        assert campaign.id not in {
            c.id for c in world.entities(Platform.tiktok, account.account_id, EntityLevel.campaign)
        }
        assert campaign.id in {
            c.id
            for c in world.entities(Platform.tiktok, account.account_id, EntityLevel.campaign, include_removed=True)
        }
        with pytest.raises(SandboxWorldError):
            world.update_entity(Platform.tiktok, campaign.id, status=EntityStatus.active)


class TestAccounts:
    def test_a_switched_off_account_stops_delivering_but_keeps_its_history(self, world: SandboxWorld) -> None:
        account = spending_accounts(world, Platform.google)[2]
        today = today_of(world, account)
        since = today - timedelta(days=10)
        history = world.daily_metrics(
            Platform.google, account.account_id, EntityLevel.campaign, since, today - timedelta(days=1)
        )
        updated = world.update_account(Platform.google, account.account_id, active=False, name="Tailspin (closed)")
        assert (updated.active, updated.name) == (False, "Tailspin (closed)")
        world.clock.advance(2 * 86_400)
        after = world.daily_metrics(
            Platform.google, account.account_id, EntityLevel.campaign, since, today + timedelta(days=2)
        )

        def delivery(rows: list[SimMetrics]) -> list[tuple[str, date, int, int, int]]:
            return [(r.entity_id, r.day, r.impressions, r.clicks, r.spend_micros) for r in rows]

        assert delivery([r for r in after if r.day < today]) == delivery(history)  # conversions keep maturing
        assert not [r for r in after if r.day > today]


class TestWrites:
    def test_a_created_campaign_spends_from_its_creation(self, world: SandboxWorld) -> None:
        account = spending_accounts(world, Platform.tiktok)[1]
        campaign = world.create_entity(
            Platform.tiktok,
            account.account_id,
            EntityLevel.campaign,
            name="New — Broad — UK",
            parent_id=None,
            status=EntityStatus.active,
            objective="sales",
            daily_budget_micros=80 * 1_000_000,
            attributes={"objective_type": "WEB_CONVERSIONS", "budget_mode": "BUDGET_MODE_DAY"},
        )
        assert re.fullmatch(r"\d{19}", campaign.id)
        assert campaign.campaign_id == campaign.id and campaign.parent_id is None
        group = world.create_entity(
            Platform.tiktok,
            account.account_id,
            EntityLevel.ad_group,
            name="Broad 18-34",
            parent_id=campaign.id,
            status=EntityStatus.active,
            objective="sales",
        )
        ad = world.create_entity(
            Platform.tiktok,
            account.account_id,
            EntityLevel.ad,
            name="Hook A",
            parent_id=group.id,
            status=EntityStatus.active,
            objective="sales",
        )
        assert (ad.campaign_id, ad.parent_id) == (campaign.id, group.id)
        today = today_of(world, account)
        assert (
            world.daily_metrics(
                Platform.tiktok,
                account.account_id,
                EntityLevel.ad,
                today - timedelta(days=5),
                today,
                entity_ids=[ad.id],
            )
            == []
        )
        world.clock.advance(3 * 86_400)
        rows = world.daily_metrics(
            Platform.tiktok,
            account.account_id,
            EntityLevel.campaign,
            today,
            today + timedelta(days=2),
            entity_ids=[campaign.id],
        )
        assert [r.day for r in rows][-2:] == [today + timedelta(days=1), today + timedelta(days=2)]
        assert all(r.spend_micros <= 2 * 80 * 1_000_000 for r in rows)

    def test_budget_updates_apply_from_their_time_and_are_recorded(self, world: SandboxWorld) -> None:
        account = spending_accounts(world, Platform.google)[1]
        campaign = world.entities(Platform.google, account.account_id, EntityLevel.campaign)[0]
        assert campaign.daily_budget_micros is not None
        updated = world.update_entity(
            Platform.google, campaign.id, daily_budget_micros=campaign.daily_budget_micros // 10, name="Renamed"
        )
        assert updated.name == "Renamed"
        assert updated.daily_budget_micros == campaign.daily_budget_micros // 10
        assert world.budget_history(Platform.google, campaign.id)[-1][1:] == (campaign.daily_budget_micros // 10, None)
        world.clock.advance(2 * 86_400)
        day = world.clock.today(account.time_zone) - timedelta(days=1)
        rows = world.daily_metrics(
            Platform.google, account.account_id, EntityLevel.campaign, day, day, entity_ids=[campaign.id]
        )
        assert all(r.spend_micros <= 2 * campaign.daily_budget_micros // 10 for r in rows)

    def test_a_change_never_precedes_the_last_one(self, world: SandboxWorld) -> None:
        account = spending_accounts(world, Platform.meta)[1]
        campaign = world.entities(Platform.meta, account.account_id, EntityLevel.campaign)[0]
        world.clock.advance(3600)
        world.update_entity(Platform.meta, campaign.id, name="Later")
        world.update_entity(Platform.meta, campaign.id, status=EntityStatus.paused)
        world.clock.advance(-7200)  # a test moved time back
        world.update_entity(Platform.meta, campaign.id, status=EntityStatus.active)
        moments = [moment for moment, _ in world.status_history(Platform.meta, campaign.id)]
        assert moments == sorted(moments)

    def test_invalid_writes_are_refused(self, world: SandboxWorld) -> None:
        account = spending_accounts(world, Platform.meta)[0]
        campaign = world.entities(Platform.meta, account.account_id, EntityLevel.campaign)[0]
        group = world.children(Platform.meta, campaign.id)[0]
        manager = world.accounts(Platform.google)[0]
        attempts: list[Callable[[], object]] = [
            lambda: world.create_entity(
                Platform.meta,
                "1",
                EntityLevel.campaign,
                name="x",
                parent_id=None,
                status=EntityStatus.active,
                objective="sales",
            ),
            lambda: world.create_entity(
                Platform.meta,
                account.account_id,
                EntityLevel.ad,
                name="x",
                parent_id=campaign.id,
                status=EntityStatus.active,
                objective="sales",
            ),
            lambda: world.create_entity(
                Platform.meta,
                account.account_id,
                EntityLevel.campaign,
                name="x",
                parent_id=group.id,
                status=EntityStatus.active,
                objective="sales",
            ),
            lambda: world.create_entity(
                Platform.meta,
                account.account_id,
                EntityLevel.campaign,
                name="x",
                parent_id=None,
                status=EntityStatus.active,
                objective="world_peace",
            ),
            lambda: world.create_entity(
                Platform.google,
                manager.account_id,
                EntityLevel.campaign,
                name="x",
                parent_id=None,
                status=EntityStatus.active,
                objective="sales",
            ),
            lambda: world.update_entity(Platform.meta, group.id, daily_budget_micros=-5),
            lambda: world.update_entity(Platform.meta, "404", name="x"),
        ]
        for attempt in attempts:
            with pytest.raises(SandboxWorldError):
                attempt()


class TestLateConversions:
    def test_maturity_rises_to_one_over_a_week(self) -> None:
        ages = [h / 2 for h in range(0, 400)]
        values = [maturity(a) for a in ages]
        assert values == sorted(values)
        assert maturity(0) == pytest.approx(0.6)
        assert maturity(24) == pytest.approx(0.85)
        assert maturity(168) == 1.0 and maturity(1000) == 1.0

    def test_recent_days_are_restated_upward_then_settle(self, world: SandboxWorld) -> None:
        for platform in Platform:
            account = spending_accounts(world, platform)[0]
            today = today_of(world, account)
            since = today - timedelta(days=12)
            readings = []
            for _ in range(10):
                rows = world.daily_metrics(platform, account.account_id, EntityLevel.ad, since, today)
                readings.append({(r.entity_id, r.day): r for r in rows})
                world.clock.advance(86_400)
            first, last = readings[0], readings[-1]
            for earlier, later in itertools.pairwise(readings):
                for key, row in earlier.items():
                    if key[1] == today:
                        continue  # today is partial on the first reading
                    assert later[key].conversions >= row.conversions
                    assert later[key].conversion_value_micros >= row.conversion_value_micros
                    assert (later[key].spend_micros, later[key].clicks) == (row.spend_micros, row.clicks)
            recent = [k for k in first if today - timedelta(days=3) <= k[1] < today]
            settled = [k for k in first if k[1] < today - timedelta(days=8)]
            assert sum(first[k].conversions for k in recent) < 0.95 * sum(last[k].conversions for k in recent)
            assert all(first[k] == last[k] for k in settled)
            # After a week everything is final: the same as read from far in the future.
            far = world.daily_metrics(
                platform, account.account_id, EntityLevel.ad, since, today, as_of=world.clock.now() + timedelta(days=60)
            )
            assert {(r.entity_id, r.day): r for r in far if r.day < today} == {
                k: v for k, v in last.items() if k[1] < today
            }

    def test_as_of_reads_the_past_without_moving_the_clock(self, shared_world: SandboxWorld) -> None:
        account = spending_accounts(shared_world, Platform.google)[2]
        yesterday = today_of(shared_world, account) - timedelta(days=1)
        now = shared_world.clock.now()

        def conversions(as_of: datetime) -> int:
            rows = shared_world.daily_metrics(
                Platform.google, account.account_id, EntityLevel.campaign, yesterday, yesterday, as_of=as_of
            )
            return sum(r.conversions for r in rows)

        series = [conversions(now + timedelta(hours=h)) for h in (0, 6, 24, 48, 96, 200)]
        assert series == sorted(series)
        assert series[0] < series[-1]
        assert series[0] >= 0.5 * series[-1]
