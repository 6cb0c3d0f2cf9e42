"""The simulation follows what is written through the Google Ads emulator: a paused campaign stops spending, a
bigger budget spends more, and a campaign created with its ad group and ad accrues metrics from its creation on.

Each test compares two sandboxes built from the same seed at the same frozen instant: one is changed through the
emulator's ``:mutate`` endpoints, the other is left alone, and both are read back through ``googleAds:search`` days
later. Tokens are issued at each call, so moving the clock does not expire them.
"""

from __future__ import annotations

from datetime import date, timedelta

from adpilot.platforms.types import EntityLevel, EntityStatus, Platform
from adpilot.sandbox.engine import SimEntity
from tests.platforms.google_emulator_kit import GoogleSandbox, budget_create, campaign_create, responsive_search_ad

DAY = 86_400


def budget_use(sandbox: GoogleSandbox, campaign: SimEntity, day: date) -> float:
    """The campaign's spend on ``day`` over its daily budget, from the world (the ground truth the emulator reports)."""
    world = sandbox.state.world
    rows = world.daily_metrics(
        Platform.google, sandbox.customer, EntityLevel.campaign, day, day, entity_ids=[campaign.id]
    )
    return sum(r.spend_micros for r in rows) / (campaign.daily_budget_micros or 1)


def later(*sandboxes: GoogleSandbox, days: int = 3) -> None:
    for sandbox in sandboxes:
        sandbox.state.clock.advance(days * DAY)


async def test_a_paused_campaign_stops_spending() -> None:
    changed, untouched = GoogleSandbox(), GoogleSandbox()
    campaign = changed.active_campaign()
    today = changed.today()
    name = changed.name("campaigns", campaign.id)
    answer = await changed.post(
        "campaigns:mutate",
        {"operations": [{"update": {"resourceName": name, "status": "PAUSED"}, "updateMask": "status"}]},
    )
    assert answer.status_code == 200, answer.text
    later(changed, untouched)
    after = today + timedelta(days=1)
    assert await untouched.spend(campaign.id, after) > 0
    assert await changed.spend(campaign.id, after) == 0
    # What was spent before the pause stays reported.
    before = today - timedelta(days=1)
    assert await changed.spend(campaign.id, before) == await untouched.spend(campaign.id, before) > 0
    enabled = await changed.post(
        "campaigns:mutate",
        {"operations": [{"update": {"resourceName": name, "status": "ENABLED"}, "updateMask": "status"}]},
    )
    assert enabled.status_code == 200
    later(changed)
    assert await changed.spend(campaign.id, changed.today() - timedelta(days=1)) > 0


async def test_a_bigger_budget_spends_more() -> None:
    changed, untouched = GoogleSandbox(), GoogleSandbox()
    today = changed.today()
    # The campaign that spent closest to its budget yesterday: its budget, not its demand, holds it back.
    campaign = max(
        (c for c in changed.campaigns() if c.status is EntityStatus.active and c.daily_budget_micros),
        key=lambda c: budget_use(changed, c, today - timedelta(days=1)),
    )
    assert campaign.daily_budget_micros is not None
    raised = campaign.daily_budget_micros * 4
    budget = await changed.budget_of(campaign.id)
    answer = await changed.post(
        "campaignBudgets:mutate",
        {
            "operations": [
                {"update": {"resourceName": budget, "amountMicros": str(raised)}, "updateMask": "amountMicros"}
            ]
        },
    )
    assert answer.status_code == 200, answer.text
    assert changed.entity(campaign.id).daily_budget_micros == raised
    later(changed, untouched)
    for offset in (1, 2):
        day = today + timedelta(days=offset)
        assert await changed.spend(campaign.id, day) > await untouched.spend(campaign.id, day) > 0


async def test_a_created_campaign_accrues_metrics_from_its_creation() -> None:
    google = GoogleSandbox()
    cid = google.customer
    operations = [
        {"campaignBudgetOperation": {"create": {"resourceName": f"customers/{cid}/campaignBudgets/-1",
                                                **budget_create("80000000")}}},
        {"campaignOperation": {"create": campaign_create(f"customers/{cid}/campaignBudgets/-1", name="Launch")
                               | {"resourceName": f"customers/{cid}/campaigns/-2", "status": "ENABLED"}}},
        {"adGroupOperation": {"create": {"resourceName": f"customers/{cid}/adGroups/-3", "name": "Launch group",
                                         "campaign": f"customers/{cid}/campaigns/-2", "status": "ENABLED"}}},
        {"adGroupAdOperation": {"create": {"adGroup": f"customers/{cid}/adGroups/-3", "status": "ENABLED",
                                           "ad": responsive_search_ad()}}},
    ]  # fmt: skip
    created = await google.post("googleAds:mutate", {"mutateOperations": operations})
    assert created.status_code == 200, created.text
    campaign_id = created.json()["mutateOperationResponses"][1]["campaignResult"]["resourceName"].rsplit("/", 1)[1]
    today = google.today()
    assert await google.spend(campaign_id, today - timedelta(days=1)) == 0  # nothing before it existed
    later(google)
    spent = [await google.spend(campaign_id, today + timedelta(days=n)) for n in (1, 2)]
    assert all(0 < s <= 2 * 80_000_000 for s in spent), spent
    # A campaign without an ad delivers nothing: the metrics come from the ads.
    bare = await google.post(
        "googleAds:mutate",
        {
            "mutateOperations": [
                operations[0],
                {"campaignOperation": {"create": operations[1]["campaignOperation"]["create"] | {"name": "No ads"}}},
            ]
        },
    )
    bare_id = bare.json()["mutateOperationResponses"][1]["campaignResult"]["resourceName"].rsplit("/", 1)[1]
    later(google)
    assert await google.spend(bare_id, google.today() - timedelta(days=1)) == 0
