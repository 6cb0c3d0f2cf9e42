"""Incremental entity sync on Google: ``change_status`` as the emulator serves it (Google's required date range and
LIMIT, 90 days kept, only changes that have happened by the clock's now) and the adapter's ``list_entity_changes``,
which reads back only the entities it names."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest

from adpilot.platforms.google import GoogleAdsAdapter
from adpilot.platforms.types import AdAccountRef, Credentials, EntityLevel, EntityStatus, Platform
from adpilot.sandbox.engine import SimEntity
from adpilot.sandbox.state import SandboxState
from tests.platforms.contract_kit import frozen_state
from tests.platforms.google.kit import EmulatedGoogle, private_emulator


class Changes:
    """A private emulator on a frozen sandbox, with an adapter on the sandbox's clock and an account whose currency
    and time zone are known (as the product passes them)."""

    def __init__(self, state: SandboxState, backend: EmulatedGoogle, credentials: Credentials) -> None:
        self.state = state
        self.backend = backend
        self.credentials = credentials
        self.adapter = GoogleAdsAdapter(backend.config, backend.http, clock=state.clock.now)
        client = state.world.account(Platform.google, backend.account.account_id)
        assert client is not None
        self.account: AdAccountRef = replace(backend.account, currency=client.currency, time_zone=client.time_zone)

    async def advance(self, seconds: float) -> None:
        """Move the sandbox's clock on, with fresh credentials (access tokens live an hour)."""
        self.state.clock.advance(seconds)
        self.credentials = await self.adapter.refresh(self.credentials)

    @property
    def operations(self) -> int:
        return self.state.operations[(Platform.google, self.account.account_id)]

    def entities(self, level: EntityLevel) -> list[SimEntity]:
        return self.state.world.entities(Platform.google, self.account.account_id, level)


@pytest.fixture
async def changes() -> AsyncIterator[Changes]:
    state = frozen_state()
    backend = private_emulator(state)
    credentials = await backend.connect()
    yield Changes(state, backend, credentials)
    await backend.client.aclose()


async def test_nothing_changed_is_one_operation_and_no_entities(changes: Changes) -> None:
    world = changes.state.world
    await changes.advance(3600)
    since = changes.state.clock.now() - timedelta(minutes=1)
    # The demo plans some changes ahead; this span holds none of them.
    assert world.entity_changes(Platform.google, changes.account.account_id, since) == []
    before = changes.operations
    assert await changes.adapter.list_entity_changes(changes.credentials, changes.account, since) == []
    assert changes.operations - before == 1


async def test_pauses_budgets_new_ads_and_removals_are_reported(changes: Changes) -> None:
    world = changes.state.world
    await changes.advance(3600)
    since = changes.state.clock.now() - timedelta(minutes=1)
    changes.state.clock.advance(60)
    live_campaigns = [c for c in changes.entities(EntityLevel.campaign) if c.status is EntityStatus.active]
    paused, budgeted = live_campaigns[0], next(c for c in live_campaigns[1:] if c.daily_budget_micros)
    world.update_entity(Platform.google, paused.id, status=EntityStatus.paused)
    assert budgeted.daily_budget_micros is not None
    world.update_entity(Platform.google, budgeted.id, daily_budget_micros=budgeted.daily_budget_micros + 5_000_000)
    groups = [g for g in changes.entities(EntityLevel.ad_group) if g.campaign_id not in (paused.id, budgeted.id)]
    host, gone = groups[0], next(g for g in groups[1:] if world.children(Platform.google, g.id, include_removed=False))
    new_ad = world.create_entity(
        Platform.google,
        changes.account.account_id,
        EntityLevel.ad,
        name="Fresh ad",
        parent_id=host.id,
        status=EntityStatus.active,
        objective=host.objective,
    )
    world.update_entity(Platform.google, gone.id, status=EntityStatus.removed)
    changes.state.clock.advance(60)

    before = changes.operations
    found = await changes.adapter.list_entity_changes(changes.credentials, changes.account, since)

    # change_status, then at most one read per level (a whole read of the tree costs three).
    assert changes.operations - before <= 4
    assert found is not None
    by_key = {(e.level, e.platform_id): e for e in found}
    assert by_key[(EntityLevel.campaign, paused.id)].status is EntityStatus.paused
    budget = by_key[(EntityLevel.campaign, budgeted.id)].daily_budget
    assert budget is not None and budget.amount_micros == budgeted.daily_budget_micros + 5_000_000
    assert by_key[(EntityLevel.ad, new_ad.id)].status is EntityStatus.active
    assert by_key[(EntityLevel.ad, new_ad.id)].parent_platform_id == host.id
    assert by_key[(EntityLevel.ad_group, gone.id)].status is EntityStatus.removed
    # Its ads go with it, though change_status names only the ad group.
    for ad in world.children(Platform.google, gone.id):
        assert by_key[(EntityLevel.ad, ad.id)].status is EntityStatus.removed
    # Nothing unchanged is read back: only entities the span touched (or that sit under a removed one).
    touched = {(c.entity.level, c.entity.id) for c in world.entity_changes(Platform.google, paused.account_id, since)}
    under_removed = {(EntityLevel.ad, ad.id) for ad in world.children(Platform.google, gone.id)}
    assert set(by_key) <= touched | under_removed


async def test_one_changed_campaign_is_read_back_with_one_query(changes: Changes) -> None:
    world = changes.state.world
    await changes.advance(3600)
    since = changes.state.clock.now() - timedelta(minutes=1)
    assert world.entity_changes(Platform.google, changes.account.account_id, since) == []
    changes.state.clock.advance(30)
    campaign = next(c for c in changes.entities(EntityLevel.campaign) if c.status is EntityStatus.active)
    world.update_entity(Platform.google, campaign.id, name="Renamed on the platform")
    before = changes.operations
    found = await changes.adapter.list_entity_changes(changes.credentials, changes.account, since)
    assert changes.operations - before == 2
    assert found is not None
    assert [(e.level, e.platform_id, e.name) for e in found] == [
        (EntityLevel.campaign, campaign.id, "Renamed on the platform")
    ]
    queries = changes.backend.log.queries()
    assert queries[-2].startswith("SELECT change_status.resource_name")
    assert f"WHERE campaign.id IN ({campaign.id})" in queries[-1]


async def test_a_change_planned_for_later_is_not_reported_before_it_happens(changes: Changes) -> None:
    world = changes.state.world
    now = changes.state.clock.now()
    campaign = next(c for c in changes.entities(EntityLevel.campaign) if c.status is EntityStatus.active)
    world.update_entity(Platform.google, campaign.id, status=EntityStatus.paused, at=now + timedelta(hours=2))
    found = await changes.adapter.list_entity_changes(changes.credentials, changes.account, now - timedelta(minutes=1))
    assert found is not None
    assert (EntityLevel.campaign, campaign.id) not in {(e.level, e.platform_id) for e in found}
    await changes.advance(3 * 3600)
    later = await changes.adapter.list_entity_changes(changes.credentials, changes.account, now - timedelta(minutes=1))
    assert later is not None
    assert {(e.level, e.platform_id): e.status for e in later}[(EntityLevel.campaign, campaign.id)] is (
        EntityStatus.paused
    )


async def test_a_span_beyond_ninety_days_cannot_be_told(changes: Changes) -> None:
    before = changes.operations
    since = changes.state.clock.now() - timedelta(days=91)
    assert await changes.adapter.list_entity_changes(changes.credentials, changes.account, since) is None
    assert changes.operations == before  # no call: Google would refuse it


async def test_a_span_google_refuses_for_its_own_clock_cannot_be_told(changes: Changes) -> None:
    # Our clock 100 days behind Google's: the span starts beyond the 90 days Google keeps, by Google's clock.
    behind = GoogleAdsAdapter(
        changes.backend.config, changes.backend.http, clock=lambda: changes.state.clock.now() - timedelta(days=100)
    )
    since = changes.state.clock.now() - timedelta(days=100, hours=1)
    assert await behind.list_entity_changes(changes.credentials, changes.account, since) is None


@pytest.mark.parametrize(
    ("where", "limit", "code"),
    [
        ("", "LIMIT 100", "CHANGE_DATE_RANGE_INFINITE"),
        ("WHERE change_status.last_change_date_time >= '{since}'", "LIMIT 100", "CHANGE_DATE_RANGE_INFINITE"),
        ("WHERE change_status.last_change_date_time BETWEEN '{since}' AND '{until}'", "", "LIMIT_NOT_SPECIFIED"),
        ("WHERE change_status.last_change_date_time BETWEEN '{since}' AND '{until}'", "LIMIT 10001",
         "INVALID_LIMIT_CLAUSE"),
        ("WHERE change_status.last_change_date_time BETWEEN '{old}' AND '{until}'", "LIMIT 100", "START_DATE_TOO_OLD"),
        ("WHERE change_status.last_change_date_time BETWEEN '{until}' AND '{since}'", "LIMIT 100",
         "CHANGE_DATE_RANGE_NEGATIVE"),
    ],
)  # fmt: skip
async def test_the_emulator_refuses_change_status_without_a_finite_range_and_limit(
    changes: Changes, where: str, limit: str, code: str
) -> None:
    now = changes.state.clock.now()
    moments = {
        "since": (now - timedelta(days=1)).strftime("%Y-%m-%d %H:%M:%S"),
        "until": now.strftime("%Y-%m-%d %H:%M:%S"),
        "old": (now - timedelta(days=120)).strftime("%Y-%m-%d %H:%M:%S"),
    }
    query = " ".join(
        ["SELECT change_status.resource_name, change_status.resource_status FROM change_status",
         where.format(**moments), limit]
    )  # fmt: skip
    backend = changes.backend
    answer = await backend.client.post(
        f"{backend.base_url}/v23/customers/{changes.account.account_id}/googleAds:searchStream",
        headers={"Authorization": f"Bearer {changes.credentials.access_token}", "login-customer-id": backend.manager},
        json={"query": query},
    )
    assert answer.status_code == 400, answer.text
    body = answer.json()
    error = (body[0] if isinstance(body, list) else body)["error"]
    assert error["status"] == "INVALID_ARGUMENT"
    assert error["details"][0]["errors"][0]["errorCode"] == {"changeStatusError": code}


async def test_change_status_rows_are_in_the_account_time_zone(changes: Changes) -> None:
    world = changes.state.world
    await changes.advance(3600)
    now = changes.state.clock.now()
    campaign = next(c for c in changes.entities(EntityLevel.campaign) if c.status is EntityStatus.active)
    world.update_entity(Platform.google, campaign.id, status=EntityStatus.paused)
    assert changes.account.time_zone is not None
    local = now.astimezone(ZoneInfo(changes.account.time_zone))
    since = (local - timedelta(minutes=1)).strftime("%Y-%m-%d %H:%M:%S")
    until = (local + timedelta(minutes=1)).strftime("%Y-%m-%d %H:%M:%S")
    fields = "change_status.resource_type, change_status.resource_status, change_status.last_change_date_time, "
    span = f"change_status.last_change_date_time BETWEEN '{since}' AND '{until}'"
    query = f"SELECT {fields}change_status.campaign FROM change_status WHERE {span} LIMIT 10"  # noqa: S608 (GAQL)
    fields = "change_status.resource_type, change_status.resource_status, change_status.last_change_date_time, "
    span = f"change_status.last_change_date_time BETWEEN '{since}' AND '{until}'"
    query = f"SELECT {fields}change_status.campaign FROM change_status WHERE {span} LIMIT 10"  # noqa: S608 (GAQL)
    backend = changes.backend
    answer = await backend.client.post(
        f"{backend.base_url}/v23/customers/{changes.account.account_id}/googleAds:searchStream",
        headers={"Authorization": f"Bearer {changes.credentials.access_token}", "login-customer-id": backend.manager},
        json={"query": query},
    )
    assert answer.status_code == 200, answer.text
    rows = [r["changeStatus"] for batch in answer.json() for r in batch.get("results", [])]
    mine = [r for r in rows if r["campaign"].endswith(f"/campaigns/{campaign.id}") and r["resourceType"] == "CAMPAIGN"]
    assert mine == [
        {
            "resourceName": f"customers/{changes.account.account_id}/changeStatus/CAMPAIGN~{campaign.id}",
            "resourceType": "CAMPAIGN",
            "resourceStatus": "CHANGED",
            "lastChangeDateTime": local.strftime("%Y-%m-%d %H:%M:%S.%f"),
            "campaign": f"customers/{changes.account.account_id}/campaigns/{campaign.id}",
        }
    ]
