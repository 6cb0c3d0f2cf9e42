"""Faults on writes, in each emulator's request path over real HTTP: a fault kept for writes lets reads through, and
"applied, then the answer is lost" (a transient 5xx, or an answer that comes after the client's timeout) leaves the
write applied exactly once in the emulator's mutation log (``SandboxWorld.writes``)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest

from adpilot.platforms.types import EntityLevel, EntityStatus, Platform
from adpilot.sandbox.clock import SandboxClock
from adpilot.sandbox.engine import build_demo_world
from adpilot.sandbox.faults import Fault, FaultKind, FaultPlan
from adpilot.sandbox.state import SandboxConfig, SandboxState
from tests.sandbox_fixtures import SandboxServer, serve_sandbox

SEED = 7
FAST = 100_000.0


@pytest.fixture(scope="module")
def server() -> Iterator[SandboxServer]:
    config = SandboxConfig(
        google_requests_per_second=FAST, meta_requests_per_second=FAST, tiktok_requests_per_second=FAST
    )
    with serve_sandbox(SandboxState.demo(seed=SEED, clock=SandboxClock(frozen=True), config=config)) as served:
        yield served


@pytest.fixture
def sandbox(server: SandboxServer) -> Iterator[SandboxServer]:
    yield server
    server.state.faults.clear()
    server.state.world = build_demo_world(SEED, server.state.clock)


@dataclass
class Target:
    """An active campaign of one account, and the raw calls that read it and pause it on its platform."""

    platform: Platform
    account_id: str
    campaign_id: str
    token: str
    root: str

    def write(self) -> tuple[str, str, dict[str, object]]:
        """(method, url, request keywords) of the pause."""
        if self.platform is Platform.google:
            name = f"customers/{self.account_id}/campaigns/{self.campaign_id}"
            update = {"update": {"resourceName": name, "status": "PAUSED"}, "updateMask": "status"}
            return (
                "POST",
                f"{self.root}/v23/customers/{self.account_id}/campaigns:mutate",
                {"json": {"operations": [update]}},
            )
        if self.platform is Platform.meta:
            return "POST", f"{self.root}/v23.0/{self.campaign_id}", {"data": {"status": "PAUSED"}}
        body: dict[str, object] = {
            "advertiser_id": self.account_id,
            "campaign_ids": [self.campaign_id],
            "operation_status": "DISABLE",
        }
        return "POST", f"{self.root}/open_api/v1.3/campaign/status/update/", {"json": body}

    def read(self) -> tuple[str, str, dict[str, object]]:
        if self.platform is Platform.google:
            query = {"query": "SELECT campaign.id, campaign.status FROM campaign"}
            return "POST", f"{self.root}/v23/customers/{self.account_id}/googleAds:search", {"json": query}
        if self.platform is Platform.meta:
            return "GET", f"{self.root}/v23.0/{self.campaign_id}", {"params": {"fields": "status"}}
        return "GET", f"{self.root}/open_api/v1.3/campaign/get/", {"params": {"advertiser_id": self.account_id}}

    def headers(self) -> dict[str, str]:
        if self.platform is Platform.tiktok:
            return {"Access-Token": self.token}
        return {"Authorization": f"Bearer {self.token}"}


def target(sandbox: SandboxServer, platform: Platform) -> Target:
    state = sandbox.state
    for login in state.world.logins(platform):
        for account_id in login.account_ids:
            account = state.world.account(platform, account_id)
            if account is None or account.is_manager:
                continue
            campaigns = state.world.entities(platform, account_id, EntityLevel.campaign)
            active = next((c for c in campaigns if c.status is EntityStatus.active), None)
            if active is None:
                continue
            kind = "long_lived" if platform is not Platform.google else "access"
            token, _ = state.auth.issue_token(platform, login.login_id, kind, 3599)
            return Target(platform, account_id, active.id, token, sandbox.base_url(platform.value))
    raise AssertionError(f"no active {platform} campaign")


async def send(client: httpx.AsyncClient, target: Target, call: tuple[str, str, dict[str, object]]) -> httpx.Response:
    method, url, keywords = call
    return await client.request(method, url, headers=target.headers(), **keywords)  # type: ignore[arg-type]


def transient(platform: Platform, response: httpx.Response) -> bool:
    """The platform's own transient error: Google's 503, Graph's code 2 on a 500, TikTok's 50000 on a 200."""
    if platform is Platform.google:
        return response.status_code == 503
    if platform is Platform.meta:
        return response.status_code == 500 and response.json()["error"]["code"] == 2
    return response.status_code == 200 and response.json()["code"] == 50000


def status_of(sandbox: SandboxServer, target: Target) -> EntityStatus:
    entity = sandbox.state.world.entity(target.platform, target.campaign_id)
    assert entity is not None
    return entity.status


@pytest.mark.parametrize("platform", list(Platform))
async def test_applied_then_error_applies_the_write_once_and_answers_a_transient_error(
    sandbox: SandboxServer, platform: Platform
) -> None:
    aim = target(sandbox, platform)
    sandbox.state.faults.add(platform, aim.account_id, Fault(FaultKind.applied_then_error))
    async with httpx.AsyncClient(timeout=10) as client:
        read = await send(client, aim, aim.read())
        assert read.status_code == 200 and not transient(platform, read), read.text
        assert len(sandbox.state.faults.pending(platform)) == 1  # reads leave a write's fault queued

        answer = await send(client, aim, aim.write())
        assert transient(platform, answer), answer.text
        assert sandbox.state.world.writes(platform, aim.campaign_id) == 1
        assert status_of(sandbox, aim) is EntityStatus.paused
        assert sandbox.state.faults.pending(platform) == []

        again = await send(client, aim, aim.write())  # the blind retry a client must not make: applied twice
        assert again.status_code == 200 and not transient(platform, again), again.text
        assert sandbox.state.world.writes(platform, aim.campaign_id) == 2


@pytest.mark.parametrize("platform", list(Platform))
async def test_applied_then_timeout_applies_the_write_and_answers_after_the_clients_timeout(
    sandbox: SandboxServer, platform: Platform
) -> None:
    aim = target(sandbox, platform)
    sandbox.state.faults.add(platform, aim.account_id, Fault(FaultKind.applied_then_timeout, delay_seconds=1.0))
    async with httpx.AsyncClient(timeout=0.3) as client:
        with pytest.raises(httpx.ReadTimeout):
            await send(client, aim, aim.write())
    assert sandbox.state.world.writes(platform, aim.campaign_id) == 1
    assert status_of(sandbox, aim) is EntityStatus.paused


@pytest.mark.parametrize("platform", list(Platform))
async def test_a_write_only_server_error_refuses_the_write_without_applying_it(
    sandbox: SandboxServer, platform: Platform
) -> None:
    aim = target(sandbox, platform)
    sandbox.state.faults.add(platform, aim.account_id, Fault(FaultKind.server_error, writes_only=True))
    async with httpx.AsyncClient(timeout=10) as client:
        assert not transient(platform, await send(client, aim, aim.read()))
        assert transient(platform, await send(client, aim, aim.write()))
        assert sandbox.state.world.writes(platform, aim.campaign_id) == 0
        assert status_of(sandbox, aim) is EntityStatus.active
        answer = await send(client, aim, aim.write())
        assert answer.status_code == 200 and not transient(platform, answer), answer.text
    assert sandbox.state.world.writes(platform, aim.campaign_id) == 1


def test_write_faults_wait_for_a_write_and_after_write_kinds_are_always_for_writes() -> None:
    plan = FaultPlan()
    plan.add(Platform.meta, "1", Fault(FaultKind.applied_then_timeout, delay_seconds=2))
    plan.add(Platform.meta, "1", Fault(FaultKind.server_error))
    plan.add(Platform.meta, "*", Fault(FaultKind.rate_limit))
    assert plan.take(Platform.meta, "1") == Fault(FaultKind.rate_limit)  # the account's queue waits for a write
    assert plan.take(Platform.meta, "1") is None
    served = plan.take(Platform.meta, "1", write=True)
    assert served == Fault(FaultKind.applied_then_timeout, delay_seconds=2, writes_only=True)
    assert FaultKind.applied_then_error.after_write and not FaultKind.server_error.after_write
    assert plan.take(Platform.meta, "1") == Fault(FaultKind.server_error)


def test_the_mutation_log_counts_live_writes_not_built_history() -> None:
    world = build_demo_world(SEED, SandboxClock(frozen=True))
    account = world.accounts(Platform.tiktok)[0]
    campaign = world.entities(Platform.tiktok, account.account_id, EntityLevel.campaign)[0]
    assert world.writes(Platform.tiktok, campaign.id) == 0
    world.update_entity(Platform.tiktok, campaign.id, name="renamed")
    world.update_entity(Platform.tiktok, campaign.id, name="renamed")
    assert world.writes(Platform.tiktok, campaign.id) == 2


async def test_the_control_api_queues_a_fault_for_writes(sandbox: SandboxServer) -> None:
    async with httpx.AsyncClient(timeout=10) as client:
        body = {"platform": "meta", "account_id": "42", "kind": "server_error", "writes_only": True}
        assert (await client.post(f"{sandbox.url}/_control/faults", json=body)).status_code == 204
        body = {"platform": "meta", "account_id": "42", "kind": "applied_then_timeout", "delay_seconds": 1}
        assert (await client.post(f"{sandbox.url}/_control/faults", json=body)).status_code == 204
    assert [fault for _, _, fault in sandbox.state.faults.pending(Platform.meta)] == [
        Fault(FaultKind.server_error, writes_only=True),
        Fault(FaultKind.applied_then_timeout, delay_seconds=1, writes_only=True),
    ]
    assert sandbox.state.faults.take(Platform.meta, "42") is None
