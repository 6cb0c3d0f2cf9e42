"""A private Google Ads emulator for the write and SDK contract suites: a demo sandbox on a frozen clock, served
in-process, called as a client calls Google (bearer token, JSON bodies) on a customer the login owns directly."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import httpx

from adpilot.platforms.types import EntityLevel, EntityStatus, Platform
from adpilot.sandbox.clock import SandboxClock
from adpilot.sandbox.engine import SimAccount, SimEntity
from adpilot.sandbox.google import create_google_emulator
from adpilot.sandbox.state import SandboxConfig, SandboxState

# A Wednesday afternoon in UTC; every sandbox built from it holds the same world.
FROZEN_AT = datetime(2026, 3, 18, 16, 30, tzinfo=UTC)
EU_NO = "DOES_NOT_CONTAIN_EU_POLITICAL_ADVERTISING"


class GoogleSandbox:
    def __init__(self, *, version: str = "v23") -> None:
        clock = SandboxClock(start=FROZEN_AT, frozen=True)
        self.state = SandboxState.demo(clock=clock, config=SandboxConfig(google_requests_per_second=100_000.0))
        self.app = create_google_emulator(self.state)
        self.version = version
        world = self.state.world
        self.login, self.account = next(
            (login, account)
            for login in world.logins(Platform.google)
            for account in (world.account(Platform.google, a) for a in login.account_ids)
            if account is not None and not account.is_manager
        )
        self.customer = self.account.account_id

    @property
    def world_account(self) -> SimAccount:
        account = self.state.world.account(Platform.google, self.customer)
        assert account is not None
        return account

    def today(self) -> date:
        return self.state.clock.today(self.account.time_zone)

    def token(self) -> str:
        token, _ = self.state.auth.issue_token(Platform.google, self.login.login_id, "access", 3599)
        return token

    async def post(self, method: str, body: Any = None, *, content: str | None = None) -> httpx.Response:
        """``POST /{version}/customers/{customer}/{method}`` with a JSON body (or ``content`` as it is)."""
        headers = {"Authorization": f"Bearer {self.token()}", "Content-Type": "application/json"}
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=self.app), base_url="http://sandbox.test"
        ) as client:
            url = f"/{self.version}/customers/{self.customer}/{method}"
            if content is not None:
                return await client.post(url, headers=headers, content=content)
            return await client.post(url, headers=headers, json=body)

    def campaigns(self, *, include_removed: bool = False) -> list[SimEntity]:
        return self.state.world.entities(
            Platform.google, self.customer, EntityLevel.campaign, include_removed=include_removed
        )

    def active_campaign(self) -> SimEntity:
        return next(c for c in self.campaigns() if c.status is EntityStatus.active and c.daily_budget_micros)

    def entity(self, entity_id: str) -> SimEntity:
        found = self.state.world.entity(Platform.google, entity_id)
        assert found is not None
        return found

    async def budget_of(self, campaign_id: str) -> str:
        """The resource name of the campaign's budget, read through ``googleAds:search``."""
        query = f"SELECT campaign.campaign_budget FROM campaign WHERE campaign.id = {campaign_id}"  # noqa: S608 (GAQL)
        answer = await self.post("googleAds:search", {"query": query})
        name: str = answer.json()["results"][0]["campaign"]["campaignBudget"]
        return name

    def name(self, service: str, resource_id: str) -> str:
        return f"customers/{self.customer}/{service}/{resource_id}"

    async def spend(self, campaign_id: str, day: date) -> int:
        """The campaign's ``metrics.cost_micros`` on ``day``, read through ``googleAds:search`` (0 without a row)."""
        fields = "campaign.id, segments.date, metrics.cost_micros, metrics.impressions"
        where = f"segments.date BETWEEN '{day}' AND '{day}' AND campaign.id = {campaign_id}"
        query = f"SELECT {fields} FROM campaign WHERE {where}"  # noqa: S608 (GAQL)
        answer = await self.post("googleAds:search", {"query": query})
        assert answer.status_code == 200, answer.text
        return sum(int(row["metrics"]["costMicros"]) for row in answer.json().get("results", []))


def error_codes(answer: httpx.Response) -> list[dict[str, str]]:
    body = answer.json()
    body = body[0] if isinstance(body, list) else body
    return [e["errorCode"] for e in body["error"]["details"][0]["errors"]]


def error_paths(answer: httpx.Response) -> list[list[dict[str, Any]]]:
    body = answer.json()
    return [e["location"]["fieldPathElements"] for e in body["error"]["details"][0]["errors"]]


def budget_create(amount: str = "50000000", **extra: Any) -> dict[str, Any]:
    return {
        "name": "Budget 1",
        "amountMicros": amount,
        "deliveryMethod": "STANDARD",
        "explicitlyShared": False,
        **extra,
    }


def campaign_create(budget: str, name: str = "Search 2024-06-01 #1", **extra: Any) -> dict[str, Any]:
    """§A.6 (2), the reference's campaign create."""
    return {
        "name": name,
        "status": "PAUSED",
        "advertisingChannelType": "SEARCH",
        "campaignBudget": budget,
        "manualCpc": {},
        "networkSettings": {
            "targetGoogleSearch": True,
            "targetSearchNetwork": True,
            "targetContentNetwork": False,
            "targetPartnerSearchNetwork": False,
        },
        "containsEuPoliticalAdvertising": EU_NO,
        **extra,
    }


def responsive_search_ad(headlines: int = 3, descriptions: int = 2) -> dict[str, Any]:
    return {
        "finalUrls": ["https://www.example.com"],
        "responsiveSearchAd": {
            "headlines": [{"text": f"Headline {n}"} for n in range(headlines)],
            "descriptions": [{"text": f"Description {n}"} for n in range(descriptions)],
        },
    }
