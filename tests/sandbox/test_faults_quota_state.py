"""Fault injection, the emulators' request quota, the clock and the shared sandbox state."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest

from adpilot.platforms.types import EntityLevel, Platform
from adpilot.sandbox.clock import SandboxClock
from adpilot.sandbox.faults import Fault, FaultKind, FaultPlan
from adpilot.sandbox.quota import QuotaGate
from adpilot.sandbox.state import SandboxConfig, SandboxState


class TestFaultPlan:
    def test_a_fault_is_served_count_times_then_requests_pass(self) -> None:
        plan = FaultPlan()
        plan.add(Platform.google, "123", Fault(FaultKind.rate_limit, count=3))
        served = [plan.take(Platform.google, "123") for _ in range(4)]
        assert [f.kind if f else None for f in served] == [FaultKind.rate_limit] * 3 + [None]
        assert all(f is None or f.count == 1 for f in served)

    def test_faults_are_per_platform_and_account_in_order(self) -> None:
        plan = FaultPlan()
        plan.add(Platform.meta, "1", Fault(FaultKind.server_error))
        plan.add(Platform.meta, "1", Fault(FaultKind.slow, delay_seconds=0.5))
        assert plan.take(Platform.meta, "2") is None
        assert plan.take(Platform.google, "1") is None
        first, second = plan.take(Platform.meta, "1"), plan.take(Platform.meta, "1")
        assert first is not None and first.kind is FaultKind.server_error
        assert second is not None and (second.kind, second.delay_seconds) == (FaultKind.slow, 0.5)
        assert plan.take(Platform.meta, "1") is None

    def test_any_account_matches_after_the_accounts_own(self) -> None:
        plan = FaultPlan()
        plan.add(Platform.tiktok, "*", Fault(FaultKind.expire_token, count=2))
        plan.add(Platform.tiktok, "7", Fault(FaultKind.revoke_token))
        kinds = [plan.take(Platform.tiktok, "7"), plan.take(Platform.tiktok, None), plan.take(Platform.tiktok, "8")]
        assert [f.kind if f else None for f in kinds] == [
            FaultKind.revoke_token,
            FaultKind.expire_token,
            FaultKind.expire_token,
        ]
        assert plan.take(Platform.tiktok, None) is None

    def test_adding_copies_and_clear_empties(self) -> None:
        plan = FaultPlan()
        fault = Fault(FaultKind.server_error, count=2)
        plan.add(Platform.google, "1", fault)
        plan.take(Platform.google, "1")
        assert fault.count == 2  # the caller's object is not consumed
        assert [(p, a, f.count) for p, a, f in plan.pending()] == [(Platform.google, "1", 1)]
        plan.clear()
        assert plan.pending() == [] and plan.take(Platform.google, "1") is None

    def test_invalid_faults(self) -> None:
        with pytest.raises(ValueError):
            Fault(FaultKind.rate_limit, count=0)
        with pytest.raises(ValueError):
            Fault(FaultKind.slow, delay_seconds=-1)


class FakeTime:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class TestQuotaGate:
    def test_sliding_window(self) -> None:
        time = FakeTime()
        gate = QuotaGate(now=time)
        assert [gate.check("k", 3, 1.0) for _ in range(3)] == [None, None, None]
        retry = gate.check("k", 3, 1.0)
        assert retry == pytest.approx(1.0)
        time.now += 0.4
        assert gate.check("k", 3, 1.0) == pytest.approx(0.6)
        time.now += 0.6
        assert gate.check("k", 3, 1.0) is None  # the first request left the window
        assert gate.check("other", 3, 1.0) is None  # keys are independent

    def test_the_window_slides_rather_than_resets(self) -> None:
        time = FakeTime()
        gate = QuotaGate(now=time)
        for offset in (0.0, 0.5, 0.9):
            time.now = 1000.0 + offset
            assert gate.check("k", 3, 1.0) is None
        time.now = 1001.2  # a fixed window would have reset; the requests at .5 and .9 still count
        assert gate.check("k", 3, 1.0) is None
        assert gate.check("k", 3, 1.0) == pytest.approx(0.3)

    def test_refused_requests_do_not_count(self) -> None:
        time = FakeTime()
        gate = QuotaGate(now=time)
        gate.check("k", 1, 10.0)
        for _ in range(50):
            assert gate.check("k", 1, 10.0) is not None
        time.now += 10.0
        assert gate.check("k", 1, 10.0) is None

    def test_check_rate_and_idle_keys_are_forgotten(self) -> None:
        time = FakeTime()
        gate = QuotaGate(now=time)
        assert [gate.check_rate("app", 2.5, window_seconds=2.0) for _ in range(6)][-2:] == [None, pytest.approx(2.0)]
        for i in range(2048):
            gate.check(f"key-{i}", 5, 1.0)
            time.now += 0.01
        assert len(gate._admitted) < 300

    def test_threads_never_exceed_the_limit(self) -> None:
        gate = QuotaGate()
        admitted: list[bool] = []

        def hammer() -> None:
            for _ in range(200):
                admitted.append(gate.check("shared", 100, 60.0) is None)

        threads = [threading.Thread(target=hammer) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sum(admitted) == 100


class TestClock:
    def test_a_running_clock_follows_real_time_with_an_offset(self) -> None:
        clock = SandboxClock()
        before = clock.now()
        clock.advance(3600)
        assert 3600 <= (clock.now() - before).total_seconds() < 3660
        assert clock.now().tzinfo is UTC

    def test_a_frozen_clock_moves_only_by_hand(self) -> None:
        start = datetime(2026, 1, 31, 23, 30, tzinfo=UTC)
        clock = SandboxClock(start=start, frozen=True)
        assert clock.now() == start
        assert clock.today("Asia/Tokyo").isoformat() == "2026-02-01"
        assert clock.today("America/New_York").isoformat() == "2026-01-31"
        clock.advance(60)
        assert (clock.now() - start).total_seconds() == 60
        with pytest.raises(ValueError):
            SandboxClock(start=datetime(2026, 1, 1))  # noqa: DTZ001 - the point of the test


class TestSandboxState:
    def test_demo_wires_one_clock_through_everything(self) -> None:
        clock = SandboxClock(start=datetime(2026, 3, 18, 12, tzinfo=UTC), frozen=True)
        state = SandboxState.demo(seed=3, clock=clock)
        assert state.clock is clock and state.world.clock is clock
        login = state.world.logins(Platform.meta)[0]
        token, _ = state.auth.issue_token(Platform.meta, login.login_id, "access", state.config.meta_short_token_ttl)
        clock.advance(state.config.meta_short_token_ttl + 1)
        with pytest.raises(Exception, match="expired"):
            state.auth.verify(Platform.meta, token)
        assert state.request_log == []
        assert state.world.seed == 3
        account = state.world.accounts(Platform.meta)[0]
        assert state.world.entities(Platform.meta, account.account_id, EntityLevel.campaign)

    def test_config_defaults_and_app_credentials(self) -> None:
        config = SandboxConfig()
        assert (config.google_access_token_ttl, config.meta_long_token_ttl) == (3599, 5183944)
        assert set(config.app_credentials) == set(Platform)
        assert SandboxConfig().app_credentials is not config.app_credentials
        with pytest.raises(ValueError):
            SandboxConfig(tiktok_token_mode="forever")
        state = SandboxState.demo()
        assert state.config == SandboxConfig()


def test_a_fault_for_a_path_and_method_waits_for_a_matching_request() -> None:
    plan = FaultPlan()
    plan.add(Platform.meta, "1", Fault(FaultKind.applied_then_error, 1, path="/ads", method="POST"))
    assert plan.take(Platform.meta, "1", path="act_1/ads", method="GET") is None
    assert plan.take(Platform.meta, "1", write=True, path="act_1/campaigns", method="POST") is None
    served = plan.take(Platform.meta, "1", write=True, path="act_1/ads", method="POST")
    assert served is not None and served.kind is FaultKind.applied_then_error
    assert plan.take(Platform.meta, "1", write=True, path="act_1/ads", method="POST") is None
