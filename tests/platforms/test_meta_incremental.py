"""Incremental entity reads on Meta: the adapter asks the campaign, ad set and ad edges only for what changed after a
moment (object ``filtering`` on ``updated_time``), and the emulator answers those filters the way Graph does, with
``updated_time`` the last change in effect at its clock's now. Each test runs the real adapter against a sandbox of
its own (frozen clock, operations counted as Meta counts them: one per call)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest

from adpilot.platforms.types import AdAccountRef, EntityLevel, EntityRef, EntityStatus, Money, Platform
from adpilot.sandbox.engine import SimEntity
from adpilot.sandbox.meta import meta_objective
from adpilot.sandbox.state import SandboxState
from tests.platforms.meta.kit import VERSION, EmulatedMeta, private_emulator, private_sandbox


class Sandbox:
    """A private sandbox, its emulator reached by the real adapter, and the account under test."""

    def __init__(self) -> None:
        self.state: SandboxState = private_sandbox()
        self.meta: EmulatedMeta = private_emulator(self.state)
        self.credentials = self.meta.token()
        # The account's currency is known (the product caches it): no call is spent asking for it.
        self.account = AdAccountRef(self.meta.account.account_id, currency=self.meta.currency)
        self.act = f"act_{self.account.account_id}"
        self.headers = {"Authorization": f"Bearer {self.credentials.access_token}"}

    @property
    def operations(self) -> int:
        return self.state.operations[(Platform.meta, self.account.account_id)]

    def entities(self, level: EntityLevel, *, include_removed: bool = False) -> list[SimEntity]:
        return self.state.world.entities(Platform.meta, self.account.account_id, level, include_removed=include_removed)

    def ref(self, entity: SimEntity) -> EntityRef:
        return EntityRef(self.account, entity.level, entity.id)

    async def get_edge(self, edge: str, **params: str) -> httpx.Response:
        return await self.meta.client.get(
            f"{self.meta.base_url}/{VERSION}/{self.act}/{edge}", params=params, headers=self.headers
        )

    async def listed(self, edge: str, **params: str) -> list[dict[str, Any]]:
        params.setdefault("limit", "500")
        response = await self.get_edge(edge, **params)
        assert response.status_code == 200, response.text
        body = response.json()
        assert "next" not in body["paging"]
        items: list[dict[str, Any]] = body["data"]
        return items


@pytest.fixture
async def sandbox() -> Any:
    box = Sandbox()
    yield box
    await box.meta.client.aclose()


def _campaign_with_live_ads(box: Sandbox, *, other_than: str) -> tuple[SimEntity, list[SimEntity], list[SimEntity]]:
    """An active campaign (not ``other_than``) with at least two active ad sets holding active ads."""
    ad_sets = box.entities(EntityLevel.ad_group)
    ads = box.entities(EntityLevel.ad)
    for campaign in box.entities(EntityLevel.campaign):
        if campaign.id == other_than or campaign.status is not EntityStatus.active:
            continue
        live_sets = [s for s in ad_sets if s.campaign_id == campaign.id and s.status is EntityStatus.active]
        live_ads = [a for a in ads if a.campaign_id == campaign.id and a.status is EntityStatus.active]
        if len(live_sets) >= 2 and {a.parent_id for a in live_ads} >= {s.id for s in live_sets[:2]}:
            return campaign, live_sets, live_ads
    raise AssertionError("the demo account has no campaign with two live ad sets")


class TestAdapterReadsChanges:
    async def test_nothing_changed_is_an_empty_list_for_three_calls(self, sandbox: Sandbox) -> None:
        since = sandbox.state.clock.now()
        sandbox.state.clock.advance(600)
        before = sandbox.operations
        changes = await sandbox.meta.adapter.list_entity_changes(sandbox.credentials, sandbox.account, since)
        assert changes == []
        assert sandbox.operations - before == 3  # campaigns, ad sets, ads: no objective lookup
        filters = [json.loads(r.query["filtering"]) for r in sandbox.meta.log.requests]
        seconds = int(since.timestamp()) - 1
        assert filters == [
            [{"field": f"{prefix}.updated_time", "operator": "GREATER_THAN", "value": seconds}]
            for prefix in ("campaign", "adset", "ad")
        ]

    async def test_each_change_is_reported_with_its_status(self, sandbox: Sandbox) -> None:
        adapter, credentials = sandbox.meta.adapter, sandbox.credentials
        budgeted = sandbox.meta.budgeted_campaign()
        campaign, ad_sets, ads = _campaign_with_live_ads(sandbox, other_than=budgeted.platform_id)
        paused_set, other_set = ad_sets[0], ad_sets[1]
        deleted_ad = next(a for a in ads if a.parent_id == other_set.id)
        since = sandbox.state.clock.now()
        sandbox.state.clock.advance(60)

        current = sandbox.state.world.entity(Platform.meta, budgeted.platform_id)
        assert current is not None and current.daily_budget_micros is not None
        new_budget = Money(current.daily_budget_micros + 10_000_000, sandbox.meta.currency)
        await adapter.set_daily_budget(credentials, budgeted, new_budget)
        await adapter.set_status(credentials, sandbox.ref(paused_set), EntityStatus.paused)
        await adapter.set_status(credentials, sandbox.ref(deleted_ad), EntityStatus.removed)
        created = await sandbox.meta.client.post(
            f"{sandbox.meta.base_url}/{VERSION}/{sandbox.act}/ads",
            data={"name": "New ad", "adset_id": other_set.id, "creative": '{"creative_id":"120000000000001"}',
                  "status": "ACTIVE"},
            headers=sandbox.headers,
        )  # fmt: skip
        assert created.status_code == 200, created.text
        new_ad = created.json()["id"]
        sandbox.state.clock.advance(60)

        before = sandbox.operations
        changes = await adapter.list_entity_changes(credentials, sandbox.account, since)
        assert changes is not None
        by_id = {e.platform_id: e for e in changes}
        assert {(e.level, e.platform_id, e.status) for e in changes} == {
            (EntityLevel.campaign, budgeted.platform_id, EntityStatus.active),
            (EntityLevel.ad_group, paused_set.id, EntityStatus.paused),
            (EntityLevel.ad, deleted_ad.id, EntityStatus.removed),
            (EntityLevel.ad, new_ad, EntityStatus.active),
        }
        assert by_id[budgeted.platform_id].daily_budget == new_budget
        objective = meta_objective(campaign)
        assert by_id[new_ad].objective == by_id[paused_set.id].objective == by_id[deleted_ad.id].objective == objective
        assert (by_id[new_ad].campaign_platform_id, by_id[new_ad].parent_platform_id) == (campaign.id, other_set.id)
        # The changed ad set and ads sit in a campaign that did not change: one more call reads its objective.
        assert sandbox.operations - before == 4
        lookup = sandbox.meta.log.requests[-1]
        assert lookup.path == f"{sandbox.act}/campaigns" and lookup.query["fields"] == "id,objective"
        assert json.loads(lookup.query["filtering"]) == [
            {"field": "campaign.id", "operator": "IN", "value": [campaign.id]}
        ]

    async def test_no_objective_lookup_when_the_campaign_changed_too(self, sandbox: Sandbox) -> None:
        campaign, ad_sets, _ = _campaign_with_live_ads(sandbox, other_than="")
        since = sandbox.state.clock.now()
        sandbox.state.clock.advance(60)
        await sandbox.meta.adapter.set_status(sandbox.credentials, sandbox.ref(campaign), EntityStatus.paused)
        await sandbox.meta.adapter.set_status(sandbox.credentials, sandbox.ref(ad_sets[0]), EntityStatus.paused)
        before = sandbox.operations
        changes = await sandbox.meta.adapter.list_entity_changes(sandbox.credentials, sandbox.account, since)
        assert changes is not None
        assert {(e.platform_id, e.status, e.objective) for e in changes} == {
            (campaign.id, EntityStatus.paused, meta_objective(campaign)),
            (ad_sets[0].id, EntityStatus.paused, meta_objective(campaign)),
        }
        assert sandbox.operations - before == 3

    async def test_deleting_a_campaign_reports_what_was_under_it(self, sandbox: Sandbox) -> None:
        campaign, _, _ = _campaign_with_live_ads(sandbox, other_than="")
        under = {e.id for level in (EntityLevel.ad_group, EntityLevel.ad) for e in sandbox.entities(level)
                 if e.campaign_id == campaign.id}  # fmt: skip
        since = sandbox.state.clock.now()
        sandbox.state.clock.advance(60)
        await sandbox.meta.adapter.set_status(sandbox.credentials, sandbox.ref(campaign), EntityStatus.removed)
        changes = await sandbox.meta.adapter.list_entity_changes(sandbox.credentials, sandbox.account, since)
        assert changes is not None
        assert {e.platform_id for e in changes} == under | {campaign.id}
        assert {e.status for e in changes} == {EntityStatus.removed}

    async def test_a_change_planned_for_later_shows_only_from_its_moment(self, sandbox: Sandbox) -> None:
        _, ad_sets, _ = _campaign_with_live_ads(sandbox, other_than="")
        ad_set = ad_sets[0]
        listed_before = await sandbox.listed("adsets", fields="id,updated_time", filtering=_id_is(ad_set.id))
        now = sandbox.state.clock.now()
        sandbox.state.world.update_entity(
            Platform.meta, ad_set.id, status=EntityStatus.paused, at=now + timedelta(hours=1)
        )
        since = now - timedelta(minutes=5)
        assert await sandbox.meta.adapter.list_entity_changes(sandbox.credentials, sandbox.account, since) == []
        listed = await sandbox.listed("adsets", fields="id,updated_time", filtering=_id_is(ad_set.id))
        assert listed == listed_before
        sandbox.state.clock.advance(2 * 3600)
        changes = await sandbox.meta.adapter.list_entity_changes(sandbox.credentials, sandbox.account, since)
        assert changes is not None
        assert [(e.platform_id, e.status) for e in changes] == [(ad_set.id, EntityStatus.paused)]
        listed = await sandbox.listed("adsets", fields="id,updated_time", filtering=_id_is(ad_set.id))
        assert _time(listed[0]) == (now + timedelta(hours=1)).replace(microsecond=0)

    async def test_beyond_thirty_seven_months_the_whole_tree_is_read(self, sandbox: Sandbox) -> None:
        now = datetime.now(sandbox.state.clock.now().tzinfo)
        before = sandbox.operations
        too_old = now - timedelta(days=38 * 31)
        assert await sandbox.meta.adapter.list_entity_changes(sandbox.credentials, sandbox.account, too_old) is None
        assert sandbox.operations == before
        within = now - timedelta(days=36 * 31)
        changes = await sandbox.meta.adapter.list_entity_changes(sandbox.credentials, sandbox.account, within)
        assert changes is not None and changes  # the demo's history is younger: everything changed since then


def _id_is(entity_id: str) -> str:
    return json.dumps([{"field": "id", "operator": "EQUAL", "value": entity_id}])


def _time(item: dict[str, Any]) -> datetime:
    # Graph's "2024-03-12T15:02:47-0700".
    return datetime.fromisoformat(item["updated_time"])


def _rule(field: str, operator: str, value: Any) -> str:
    return json.dumps([{"field": field, "operator": operator, "value": value}])


EVERY_STATUS = json.dumps(["ACTIVE", "PAUSED", "DELETED", "ARCHIVED"])


class TestEmulatorFilters:
    @pytest.mark.parametrize(
        ("operator", "admits"),
        [
            ("GREATER_THAN", lambda t, pivot: t > pivot),
            ("GREATER_THAN_OR_EQUAL", lambda t, pivot: t >= pivot),
            ("LESS_THAN", lambda t, pivot: t < pivot),
            ("LESS_THAN_OR_EQUAL", lambda t, pivot: t <= pivot),
            ("EQUAL", lambda t, pivot: t == pivot),
            ("NOT_EQUAL", lambda t, pivot: t != pivot),
        ],
    )
    async def test_updated_time_operators(
        self, sandbox: Sandbox, operator: str, admits: Callable[[int, int], bool]
    ) -> None:
        every = await sandbox.listed("campaigns", fields="id,updated_time", effective_status=EVERY_STATUS)
        times = {item["id"]: int(_time(item).timestamp()) for item in every}
        pivot = sorted(times.values())[len(times) // 2]
        for prefix in ("campaign.", ""):
            listed = await sandbox.listed(
                "campaigns",
                fields="id,updated_time",
                effective_status=EVERY_STATUS,
                filtering=_rule(f"{prefix}updated_time", operator, pivot),
            )
            expected = {i for i, t in times.items() if admits(t, pivot)}
            assert {item["id"] for item in listed} == expected
            assert 0 < len(expected) < len(times) or operator == "EQUAL"

    async def test_updated_time_in_range_and_as_a_string(self, sandbox: Sandbox) -> None:
        every = await sandbox.listed("ads", fields="id,updated_time", effective_status=EVERY_STATUS)
        times = sorted({int(_time(item).timestamp()) for item in every})
        low, high = times[len(times) // 4], times[3 * len(times) // 4]
        listed = await sandbox.listed(
            "ads", effective_status=EVERY_STATUS, filtering=_rule("ad.updated_time", "IN_RANGE", [low, str(high)])
        )
        expected = {item["id"] for item in every if low <= int(_time(item).timestamp()) <= high}
        assert {item["id"] for item in listed} == expected and expected

    async def test_ids_in_combined_with_effective_status(self, sandbox: Sandbox) -> None:
        campaigns = [c for c in sandbox.entities(EntityLevel.campaign) if c.status is EntityStatus.active]
        assert len(campaigns) >= 3
        live, removed = campaigns[:2], campaigns[2:3]
        sandbox.state.world.update_entity(Platform.meta, removed[0].id, status=EntityStatus.removed)
        ids = [c.id for c in (*live, *removed)]
        listed = await sandbox.listed("campaigns", effective_status=EVERY_STATUS, filtering=_rule("id", "IN", ids))
        assert {item["id"] for item in listed} == set(ids)
        listed = await sandbox.listed(
            "campaigns", effective_status='["ACTIVE"]', filtering=_rule("campaign.id", "IN", ids)
        )
        assert {item["id"] for item in listed} == {c.id for c in live}
        # Without an effective_status, deleted objects stay out as on Meta.
        listed = await sandbox.listed("campaigns", filtering=_rule("campaign.id", "IN", ids))
        assert {item["id"] for item in listed} == {c.id for c in live}

    async def test_ads_filtered_by_their_campaign(self, sandbox: Sandbox) -> None:
        campaign, _, _ = _campaign_with_live_ads(sandbox, other_than="")
        listed = await sandbox.listed(
            "ads",
            fields="id,campaign_id",
            effective_status=EVERY_STATUS,
            filtering=_rule("campaign.id", "EQUAL", campaign.id),
        )
        expected = {
            a.id for a in sandbox.entities(EntityLevel.ad, include_removed=True) if a.campaign_id == campaign.id
        }
        assert {item["id"] for item in listed} == expected and expected

    @pytest.mark.parametrize(
        ("edge", "filtering"),
        [
            ("campaigns", _rule("spend", "GREATER_THAN", 1)),
            ("campaigns", _rule("updated_time", "CONTAIN", 1)),
            ("campaigns", _rule("updated_time", "GREATER_THAN", "yesterday")),
            ("campaigns", _rule("updated_time", "IN_RANGE", [1])),
            ("campaigns", _rule("id", "GREATER_THAN", 1)),
            ("campaigns", _rule("id", "IN", "1")),
            ("campaigns", _rule("adset.id", "IN", ["1"])),
            ("ads", _rule("campaign.updated_time", "GREATER_THAN", 1)),
            ("ads", _rule("ad.effective_status", "IN", ["SLEEPING"])),
            ("ads", json.dumps([{"field": "id", "operator": "IN"}])),
            ("ads", json.dumps({"field": "id", "operator": "IN", "value": ["1"]})),
            ("adsets", "[not json"),
        ],
    )
    async def test_a_bad_filter_is_meta_s_invalid_parameter(self, sandbox: Sandbox, edge: str, filtering: str) -> None:
        response = await sandbox.get_edge(edge, filtering=filtering)
        assert response.status_code == 400, response.text
        error = response.json()["error"]
        assert (error["type"], error["code"]) == ("OAuthException", 100)
        assert error["fbtrace_id"]
