"""Status filters cover every campaign: the per-status totals of each ad account add up to its unfiltered total, also
when campaigns were removed on the platform before the account's first sync (the platforms leave removed entities
out of their lists unless asked for them)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import httpx
import pytest

from adpilot.config import get_settings
from adpilot.core.time import utcnow
from adpilot.db import Database
from adpilot.platforms.types import EntityLevel, EntityStatus, Platform
from tests.fixtures import OrgWorld
from tests.reporting.test_ground_truth import connected, get
from tests.sandbox_fixtures import SandboxServer

# Long enough to reach back to campaigns the sandbox removed weeks before the first sync, on every platform.
BACKFILL_DAYS = 45
STATUSES = [status.value for status in EntityStatus]
COUNTERS = ("impressions", "clicks")
# Money is converted to the reporting currency and rounded to the micro once per answer: parts may differ from the
# whole by that rounding, at most half a micro per part.
MONEY = ("spend_micros", "conversion_value_micros")


@pytest.fixture(autouse=True)
def short_backfill(monkeypatch: pytest.MonkeyPatch, sandbox_platforms: SandboxServer) -> None:
    monkeypatch.setattr(get_settings(), "metrics_backfill_days", BACKFILL_DAYS)
    sandbox_platforms.state.clock.freeze()


def removed_before_first_sync(server: SandboxServer, account: dict[str, Any], since: date, until: date) -> list[str]:
    """Campaigns of the account removed on the platform (before it was connected) that spent within the range."""
    world = server.state.world
    spent = {
        row.entity_id
        for row in world.daily_metrics(
            account["platform"], account["platform_account_id"], EntityLevel.campaign, since, until
        )
        if row.spend_micros > 0
    }
    return [
        campaign.id
        for campaign in world.entities(
            account["platform"], account["platform_account_id"], EntityLevel.campaign, include_removed=True
        )
        if campaign.status is EntityStatus.removed and campaign.id in spent
    ]


async def test_per_status_totals_add_up_to_the_unfiltered_total_of_every_account(
    client: httpx.AsyncClient, world: OrgWorld, database: Database, sandbox_platforms: SandboxServer
) -> None:
    workspace = await connected(client, world, database)
    until = utcnow().date()
    since = until - timedelta(days=BACKFILL_DAYS - 3)
    dates = {"since": since.isoformat(), "until": until.isoformat()}
    removed_platforms: set[Platform] = set()
    for account in workspace.accounts:
        gone = removed_before_first_sync(sandbox_platforms, account, since, until)
        if gone:
            removed_platforms.add(account["platform"])
        params = {**dates, "ad_account_id": account["id"]}
        total = (await get(client, world, "summary", **params))["totals"]
        assert total["spend_micros"] > 0, account["name"]
        per_status = [(await get(client, world, "summary", status=status, **params))["totals"] for status in STATUSES]
        every_status = (await get(client, world, "summary", status=STATUSES, **params))["totals"]
        for counter in COUNTERS:
            assert sum(totals[counter] for totals in per_status) == total[counter], (account["name"], counter)
            assert every_status[counter] == total[counter], (account["name"], counter)
        for money in MONEY:
            assert abs(sum(totals[money] for totals in per_status) - total[money]) <= 1, (account["name"], money)
            assert every_status[money] == total[money], (account["name"], money)
        assert sum(totals["conversions"] for totals in per_status) == pytest.approx(total["conversions"])

        # The removed campaigns are in the removed filter, named and with their status.
        campaigns = await get(client, world, "breakdown", dimension="campaign", limit=500, **params)
        statuses = {row["key"]["campaign_platform_id"]: row["key"]["status"] for row in campaigns["rows"]}
        assert None not in statuses.values(), account["name"]
        assert all(statuses[campaign_id] == "removed" for campaign_id in gone), account["name"]
        removed = (await get(client, world, "summary", status="removed", **params))["totals"]
        assert (removed["spend_micros"] > 0) == bool(gone), account["name"]
    # The sandbox does remove campaigns before the first sync, on every platform.
    assert removed_platforms == set(Platform)
