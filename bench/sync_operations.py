"""The sync benchmark's second part: a day of platform operations under the default schedule, and before it."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

import httpx

from bench.harness import bench_line
from bench.sync_kit import SECRET_KEY, sandbox_adapters, sandbox_credentials

if TYPE_CHECKING:
    from adpilot.platforms.port import AdPlatformAdapter
    from adpilot.platforms.types import Credentials, EntityLevel

# --- a day of platform operations under the default schedule ---------------------------------------------------------
#
# Platforms meter their APIs in operations per day (Google: one per search or searchStream request and one per
# mutate operation, 15,000 a day at Basic access; Meta and TikTok: API calls). This part counts a simulated day of
# the sandbox's ad accounts under the product's default schedule, and the same day under the schedule before it
# (entity tree every 15 minutes, the last 7 days at every level every 30 minutes, the currency asked before every
# read). Each kind of run is executed once per account through the real adapters against the emulators, which count
# operations as each platform does; the day is each schedule's number of runs of each kind times what one costs.
# Under the default schedule the whole tree is read once a day and the other entity runs are incremental: they ask
# what changed since the previous run (Google's change_status, then only the entities it names), and read the whole
# tree where the platform cannot tell.


@dataclass(frozen=True)
class SyncSchedule:
    """How often each kind of run happens (minutes), as the scheduler's rules (migration 0010) apply them."""

    name: str
    entity_every: int
    metrics_every: int
    recent_every: int  # the last 7 days at every level; the other metrics runs read today's campaign level only
    cached_currency: bool
    # Hours between whole-tree reads; the entity runs in between are incremental (None: every run reads the tree).
    full_every_hours: int | None = None

    def runs_per_day(self) -> Counter[str]:
        """Each kind of run in 24 hours: the first metrics run of the day restates 28 days, then a recent run when
        none read the last 7 days within ``recent_every``, else a today run; entity runs are whole-tree reads every
        ``full_every_hours`` and incremental in between."""
        entity_runs = 1440 // self.entity_every
        full = entity_runs if self.full_every_hours is None else max(1, 24 // self.full_every_hours)
        runs: Counter[str] = Counter(entities=min(full, entity_runs))
        if entity_runs > runs["entities"]:
            runs["entity_changes"] = entity_runs - runs["entities"]
        last_full: int | None = None
        for minute in range(0, 1440, self.metrics_every):
            if minute == 0:
                runs["restate"] += 1
                last_full = minute
            elif last_full is None or minute - last_full >= self.recent_every:
                runs["recent"] += 1
                last_full = minute
            else:
                runs["today"] += 1
        return runs

    def staleness(self) -> tuple[int, int]:
        """The oldest today's campaign numbers and the entity tree get, in minutes (a run every N minutes)."""
        return self.metrics_every, self.entity_every


def _default_schedule() -> SyncSchedule:
    from adpilot.config import Settings

    defaults = Settings.model_fields
    return SyncSchedule(
        "default",
        entity_every=int(defaults["entity_sync_interval_minutes"].default),
        metrics_every=int(defaults["metrics_sync_interval_minutes"].default),
        recent_every=int(defaults["metrics_recent_interval_minutes"].default),
        cached_currency=True,
        full_every_hours=int(defaults["entity_full_sync_hours"].default),
    )


BEFORE = SyncSchedule("before", entity_every=15, metrics_every=30, recent_every=30, cached_currency=False)


async def _run_costs(cached_currency: bool, seed: int, entity_every: int = 60) -> dict[tuple[str, str], Counter[str]]:
    """Per (platform, account): the operations one run of each kind costs, counted by the emulators."""
    from adpilot.metrics.service.sync import account_today
    from adpilot.platforms.http import PlatformHttp
    from adpilot.platforms.ratelimit import MemoryRateLimiter
    from adpilot.platforms.types import AdAccountRef
    from adpilot.sandbox.app import create_standalone_app
    from adpilot.sandbox.clock import SandboxClock
    from adpilot.sandbox.state import SandboxState

    clock = SandboxClock()
    clock.freeze()
    state = SandboxState.demo(seed=seed, secret=SECRET_KEY.encode(), clock=clock)
    transport = httpx.ASGITransport(app=create_standalone_app(state))
    client = httpx.AsyncClient(transport=transport, timeout=120)
    # A generous local limit: the emulators' own per-second quotas are not what is measured here.
    adapters = sandbox_adapters(
        {p: "http://sandbox" for p in ("google", "meta", "tiktok")},
        1000,
        PlatformHttp(limiter=MemoryRateLimiter(), client=client),
    )
    credentials = sandbox_credentials(state.world)
    costs: dict[tuple[str, str], Counter[str]] = {}
    try:
        for platform, adapter in adapters.items():
            creds = credentials[platform][1]
            accounts = [a for a in await adapter.list_ad_accounts(creds) if not a.is_manager]
            for account in accounts:
                ref = AdAccountRef(
                    account.account_id,
                    account.login_customer_id,
                    account.currency if cached_currency else None,
                    account.time_zone if cached_currency else None,
                )
                costs[(platform.value, account.account_id)] = await _account_costs(
                    state, adapter, creds, ref, account_today(account.time_zone), entity_every
                )
    finally:
        await client.aclose()
    return costs


async def _account_costs(
    state: Any, adapter: AdPlatformAdapter, creds: Credentials, ref: Any, today: date, entity_every: int
) -> Counter[str]:
    """What one run of each kind costs one account, as the emulators count it."""
    from adpilot.campaigns.service import CHANGES_MARGIN
    from adpilot.metrics.service.sync import LEVELS, RECENT_DAYS, RESTATE_DAYS, TODAY_LEVELS

    async def changes() -> None:
        # As the entity sync does it: changes since the previous run (less the margin), else the whole tree.
        since = state.clock.now() - timedelta(minutes=entity_every) - CHANGES_MARGIN
        if await adapter.list_entity_changes(creds, ref, since) is None:
            await adapter.list_entities(creds, ref)

    async def read(levels: tuple[EntityLevel, ...], days: int) -> None:
        for level in levels:
            async for _ in adapter.fetch_daily_metrics(creds, ref, level, today - timedelta(days=days), today):
                pass
        async for _ in adapter.fetch_hourly_metrics(creds, ref, today):
            pass

    kinds: dict[str, Callable[[], Awaitable[Any]]] = {
        "entities": lambda: adapter.list_entities(creds, ref),
        "entity_changes": changes,
        "restate": lambda: read(LEVELS, RESTATE_DAYS),
        "recent": lambda: read(LEVELS, RECENT_DAYS),
        "today": lambda: read(TODAY_LEVELS, 0),
    }
    cost: Counter[str] = Counter()
    for kind, run in kinds.items():
        state.operations.clear()
        await run()
        cost[kind] = sum(state.operations.values())
    return cost


def _day(schedule: SyncSchedule, costs: dict[tuple[str, str], Counter[str]]) -> dict[tuple[str, str], int]:
    runs = schedule.runs_per_day()
    return {key: sum(runs[kind] * cost[kind] for kind in runs) for key, cost in costs.items()}


def operations_day(seed: int) -> str:
    """Print the day's operations per account under both schedules; return the headline BENCH line."""
    schedule = _default_schedule()
    before_costs = asyncio.run(_run_costs(BEFORE.cached_currency, seed))
    after_costs = asyncio.run(_run_costs(schedule.cached_currency, seed, schedule.entity_every))
    before, after = _day(BEFORE, before_costs), _day(schedule, after_costs)
    for label, chosen in ((BEFORE.name, BEFORE), (schedule.name, schedule)):
        today_age, entity_age = chosen.staleness()
        print(
            f"sync ops schedule={label}: runs per account and day {dict(sorted(chosen.runs_per_day().items()))}; "
            f"today's campaign numbers at most {today_age} min old, entity changes seen within {entity_age} min",
            flush=True,
        )
    print(f"sync ops {'platform':<8} {'account':<20} {'before':>7} {'default':>7} {'ratio':>6}", flush=True)
    for key in sorted(before):
        platform, account = key
        print(
            f"sync ops {platform:<8} {account:<20} {before[key]:7d} {after[key]:7d} {after[key] / before[key]:6.3f}",
            flush=True,
        )
    accounts = len(before)
    per_account, baseline = sum(after.values()) / accounts, sum(before.values()) / accounts
    google = [key for key in before if key[0] == "google"]
    if google:
        per_google = sum(after[key] for key in google) / len(google)
        print(
            f"sync ops google: {per_google:.0f} operations per account and day; a Basic access quota "
            f"(15,000 a day) serves {15000 / per_google:.0f} accounts (before: "
            f"{15000 / (sum(before[key] for key in google) / len(google)):.0f})",
            flush=True,
        )
    today_age, entity_age = schedule.staleness()
    ratio = per_account / baseline
    print(
        f"sync ops verdict: ratio {ratio:.3f} {'meets' if ratio <= 0.25 else 'MISSES'} the target <= 0.25; today's "
        f"numbers at most {today_age} min old ({'meets' if today_age <= 30 else 'MISSES'} <= 30), entity changes "
        f"seen within {entity_age} min ({'meets' if entity_age <= 60 else 'MISSES'} <= 60); {accounts} accounts",
        flush=True,
    )
    return bench_line("sync_ops_per_account_day", per_account, "ops", baseline, ratio)
