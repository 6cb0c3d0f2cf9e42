"""The sandbox's world: the three platforms' accounts, logins and entity trees, with status and budget histories.

The world is changed only through its methods (``create_entity``, ``update_entity``, ``update_account``), which keep
the histories the metrics are computed from; its metrics come from ``simulation``.
"""

from __future__ import annotations

import random
import threading
from collections import Counter
from collections.abc import Iterable
from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from adpilot.platforms.types import EntityLevel, EntityStatus, Platform
from adpilot.sandbox.clock import SandboxClock
from adpilot.sandbox.engine.history import _History
from adpilot.sandbox.engine.model import (
    EntityProfile,
    SandboxLogin,
    SandboxWorldError,
    SimAccount,
    SimChange,
    SimEntity,
    SimMetrics,
    _EntityKey,
)
from adpilot.sandbox.engine.simulation import Simulation
from adpilot.sandbox.engine.traits import OBJECTIVES

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class SandboxWorld:
    """Accounts, logins and entity trees of the three platforms, and the performance they deliver over time.

    Methods return copies: change the world only through ``create_entity`` and ``update_entity``, which keep the
    status and budget histories the metrics are computed from.

    Safe to share between threads: the emulators compute reports in worker threads (so their event loop keeps taking
    requests) while other requests read and change the world on the loop. One re-entrant lock guards everything the
    world holds, its simulation's caches included (a cache read moves an LRU entry, a miss fills it). Every public
    method takes it. The metric methods take it once per day of the report: to read the state and that day's cached
    (or newly simulated) ad days, a few milliseconds at most. They work out the figures reported at ``as_of`` outside
    it, from ad days that are never changed once cached. So a long report holds up a call on the event loop for one
    day's simulation, not for the whole report. A change made while a report runs shows from the next day of that
    report on, as a report read while a real platform changes also may.
    """

    def __init__(self, *, seed: int, clock: SandboxClock) -> None:
        self.seed = seed
        self.clock = clock
        self._lock = threading.RLock()
        self._accounts: dict[Platform, dict[str, SimAccount]] = {p: {} for p in Platform}
        self._logins: dict[Platform, dict[str, SandboxLogin]] = {p: {} for p in Platform}
        self._order_value_usd: dict[_EntityKey, float] = {}
        self._entities: dict[_EntityKey, SimEntity] = {}
        self._children: dict[_EntityKey, list[str]] = {}
        self._by_account: dict[tuple[Platform, str, EntityLevel], list[str]] = {}
        self._statuses: dict[_EntityKey, _History] = {}
        self._account_statuses: dict[_EntityKey, _History] = {}
        self._budgets: dict[_EntityKey, _History] = {}
        self._ids = random.Random(f"{seed}:runtime-ids")  # noqa: S311 - ids only need to look right
        self._used_ids: set[_EntityKey] = set()
        self._writes: Counter[_EntityKey] = Counter()  # live updates per entity (not built history)
        # The metrics, worked out from these same records (shared with it, never replaced) under the same lock.
        self._simulation = Simulation(
            seed=seed,
            lock=self._lock,
            entities=self._entities,
            children=self._children,
            statuses=self._statuses,
            account_statuses=self._account_statuses,
            budgets=self._budgets,
            order_value_usd=self._order_value_usd,
        )

    # ---- accounts and logins -----------------------------------------------------------------------------------

    def add_account(self, account: SimAccount, *, order_value_usd: float = 70.0) -> SimAccount:
        """Register an ad account (``order_value_usd`` sets its typical value per conversion)."""
        ZoneInfo(account.time_zone)  # fails early on an unknown zone
        with self._lock:
            if account.account_id in self._accounts[account.platform]:
                raise SandboxWorldError(f"account {account.account_id} exists")
            self._accounts[account.platform][account.account_id] = replace(account)
            self._order_value_usd[(account.platform, account.account_id)] = order_value_usd
            statuses = self._account_statuses[(account.platform, account.account_id)] = _History()
            statuses.append(_EPOCH, EntityStatus.active if account.active else EntityStatus.paused)
            self._used_ids.add((account.platform, account.account_id))
        return replace(account)

    def add_login(self, login: SandboxLogin) -> SandboxLogin:
        with self._lock:
            self._logins[login.platform][login.login_id] = login
        return login

    def accounts(self, platform: Platform) -> list[SimAccount]:
        with self._lock:
            return [replace(a) for a in self._accounts[platform].values()]

    def account(self, platform: Platform, account_id: str) -> SimAccount | None:
        with self._lock:
            found = self._accounts[platform].get(account_id)
            return replace(found) if found is not None else None

    def update_account(
        self, platform: Platform, account_id: str, *, name: str | None = None, active: bool | None = None
    ) -> SimAccount:
        """Rename an account or switch it off: from now on an inactive account delivers nothing (its history stays)."""
        with self._lock:
            account = self._require_account(platform, account_id)
            if name is not None:
                account.name = name
            if active is not None and active is not account.active:
                account.active = active
                status = EntityStatus.active if active else EntityStatus.paused
                self._account_statuses[(platform, account_id)].append(self.clock.now(), status)
                for campaign_id in self._by_account.get((platform, account_id, EntityLevel.campaign), []):
                    self._touch(platform, campaign_id)
            return replace(account)

    def clients(self, platform: Platform, manager_id: str) -> list[SimAccount]:
        """The accounts managed through ``manager_id`` (Google manager accounts)."""
        with self._lock:
            return [replace(a) for a in self._accounts[platform].values() if a.manager_id == manager_id]

    def logins(self, platform: Platform) -> list[SandboxLogin]:
        with self._lock:
            return list(self._logins[platform].values())

    def login(self, platform: Platform, login_id: str) -> SandboxLogin | None:
        with self._lock:
            return self._logins[platform].get(login_id)

    def accessible_accounts(self, platform: Platform, login_id: str) -> list[SimAccount]:
        """Every account a login can reach: its own accounts and, for managers, the clients under them."""
        with self._lock:
            login = self._logins[platform].get(login_id)
            if login is None:
                return []
            reached: dict[str, SimAccount] = {}
            for account_id in login.account_ids:
                account = self._accounts[platform].get(account_id)
                if account is None:
                    continue
                reached[account_id] = account
                if account.is_manager:
                    for client in self._accounts[platform].values():
                        if client.manager_id == account_id:
                            reached.setdefault(client.account_id, client)
            return [replace(a) for a in reached.values()]

    # ---- entities ----------------------------------------------------------------------------------------------

    def entities(
        self, platform: Platform, account_id: str, level: EntityLevel, *, include_removed: bool = False
    ) -> list[SimEntity]:
        """The account's entities of one level in creation order (removed ones only when asked)."""
        with self._lock:
            ids = self._by_account.get((platform, account_id, level), [])
            found = (self._entities[(platform, i)] for i in ids)
            return [_snapshot(e) for e in found if include_removed or e.status is not EntityStatus.removed]

    def entity(self, platform: Platform, entity_id: str) -> SimEntity | None:
        with self._lock:
            found = self._entities.get((platform, entity_id))
            return _snapshot(found) if found is not None else None

    def children(self, platform: Platform, entity_id: str, *, include_removed: bool = True) -> list[SimEntity]:
        """An entity's direct children (ad groups of a campaign, ads of an ad group) in creation order."""
        with self._lock:
            found = (self._entities[(platform, i)] for i in self._children.get((platform, entity_id), []))
            return [_snapshot(e) for e in found if include_removed or e.status is not EntityStatus.removed]

    def status_history(self, platform: Platform, entity_id: str) -> list[tuple[datetime, EntityStatus]]:
        with self._lock:
            history = self._require_history(self._statuses, platform, entity_id)
            return [(datetime.fromtimestamp(t, UTC), v) for t, v in zip(history.times, history.values, strict=True)]

    def budget_history(self, platform: Platform, entity_id: str) -> list[tuple[datetime, int | None, int | None]]:
        """(from, daily budget micros, lifetime budget micros) entries, oldest first."""
        with self._lock:
            history = self._require_history(self._budgets, platform, entity_id)
            return [
                (datetime.fromtimestamp(t, UTC), v[0], v[1]) for t, v in zip(history.times, history.values, strict=True)
            ]

    def entity_changes(
        self, platform: Platform, account_id: str, since: datetime, until: datetime | None = None
    ) -> list[SimChange]:
        """The account's entities created, changed or removed in [``since``, ``until``] (default: now), oldest last
        change first. Only changes in effect by ``until`` count: a history entry further on (the demo plans some) is
        not reported before it happens."""
        end = (until or self.clock.now()).timestamp()
        start = since.timestamp()
        found: list[SimChange] = []
        with self._lock:
            for level in EntityLevel:
                for entity_id in self._by_account.get((platform, account_id, level), []):
                    key = (platform, entity_id)
                    entity = self._entities[key]
                    statuses, budgets = self._statuses[key], self._budgets[key]
                    moments = [t for t in (*statuses.times, *budgets.times, entity.updated_at.timestamp()) if t <= end]
                    if not moments or max(moments) < start:
                        continue
                    created = entity.created_at.timestamp()
                    current = _snapshot(entity)
                    current.status = statuses.at(end)
                    found.append(
                        SimChange(
                            entity=current,
                            changed_at=datetime.fromtimestamp(max(moments), UTC),
                            added=start <= created,
                            removed=current.status is EntityStatus.removed,
                        )
                    )
        found.sort(key=lambda change: change.changed_at)
        return found

    def profile(self, platform: Platform, entity_id: str) -> EntityProfile:
        """The entity's seeded traits (weights, demand, rates), for tests and explanations."""
        with self._lock:
            entity = self._require_entity(platform, entity_id)
            return self._simulation.profile(entity)

    def create_entity(
        self,
        platform: Platform,
        account_id: str,
        level: EntityLevel,
        *,
        name: str,
        parent_id: str | None,
        status: EntityStatus,
        objective: str,
        daily_budget_micros: int | None = None,
        lifetime_budget_micros: int | None = None,
        attributes: dict[str, Any] | None = None,
        created_at: datetime | None = None,
    ) -> SimEntity:
        """Create a campaign (no parent), ad group (parent: campaign) or ad (parent: ad group), from now on.

        ``created_at`` (default: the clock's now) lets the demo build history; an entity has no metrics before it.
        """
        with self._lock:
            account = self._accounts[platform].get(account_id)
            if account is None:
                raise SandboxWorldError(f"unknown account {account_id}")
            if account.is_manager:
                raise SandboxWorldError("a manager account has no campaigns")
            campaign_id = self._check_parent(platform, account_id, level, parent_id)
            if objective not in OBJECTIVES:
                raise SandboxWorldError(f"unknown objective {objective!r}")
            _check_budgets(level, daily_budget_micros, lifetime_budget_micros)
            moment = created_at or self.clock.now()
            entity_id = self._new_id(platform, level)
            entity = SimEntity(
                platform=platform,
                level=level,
                id=entity_id,
                account_id=account_id,
                campaign_id=campaign_id or entity_id,
                parent_id=parent_id,
                name=name,
                status=status,
                objective=objective,
                daily_budget_micros=daily_budget_micros,
                lifetime_budget_micros=lifetime_budget_micros,
                created_at=moment,
                updated_at=moment,
                attributes=dict(attributes or {}),
            )
            key = (platform, entity_id)
            self._entities[key] = entity
            self._by_account.setdefault((platform, account_id, level), []).append(entity_id)
            if parent_id is not None:
                self._children.setdefault((platform, parent_id), []).append(entity_id)
            self._statuses[key] = _History()
            self._statuses[key].append(moment, status)
            self._budgets[key] = _History()
            self._budgets[key].append(moment, (daily_budget_micros, lifetime_budget_micros))
            self._touch(platform, entity.campaign_id)
            return _snapshot(entity)

    def update_entity(
        self,
        platform: Platform,
        entity_id: str,
        *,
        name: str | None = None,
        status: EntityStatus | None = None,
        daily_budget_micros: int | None = None,
        lifetime_budget_micros: int | None = None,
        attributes: dict[str, Any] | None = None,
        clear_daily_budget: bool = False,
        clear_lifetime_budget: bool = False,
        at: datetime | None = None,
    ) -> SimEntity:
        """Change an entity from now on (``at``: a past moment, for building history). ``None`` leaves a field as it
        is; ``attributes`` are merged; the ``clear_*`` flags remove a budget. A removed entity stays removed.

        Every call without ``at`` counts as one write applied to the entity (``writes``), changed or not."""
        with self._lock:
            entity = self._require_entity(platform, entity_id)
            moment = at or self.clock.now()
            if at is None:
                self._writes[(platform, entity_id)] += 1
            if status is not None and status is not entity.status:
                if entity.status is EntityStatus.removed:
                    raise SandboxWorldError("a removed entity cannot change status")
                self._statuses[(platform, entity_id)].append(moment, status)
                entity.status = status
            daily = None if clear_daily_budget else (daily_budget_micros or entity.daily_budget_micros)
            lifetime = None if clear_lifetime_budget else (lifetime_budget_micros or entity.lifetime_budget_micros)
            if (daily, lifetime) != (entity.daily_budget_micros, entity.lifetime_budget_micros):
                _check_budgets(entity.level, daily, lifetime)
                self._budgets[(platform, entity_id)].append(moment, (daily, lifetime))
                entity.daily_budget_micros, entity.lifetime_budget_micros = daily, lifetime
            if name is not None:
                entity.name = name
            if attributes:
                entity.attributes.update(attributes)
            entity.updated_at = max(entity.updated_at, moment)
            self._touch(platform, entity.campaign_id)
            return _snapshot(entity)

    def record_write(self, platform: Platform, entity_id: str) -> None:
        """Count a write the platform accepted without changing anything (TikTok's status update to the status the
        entity already has), for ``writes``."""
        with self._lock:
            self._require_entity(platform, entity_id)
            self._writes[(platform, entity_id)] += 1

    def writes(self, platform: Platform, entity_id: str) -> int:
        """How many writes were applied to the entity since the world was built: the emulators' mutation log, for
        asserting that a change reached the platform exactly once."""
        with self._lock:
            return self._writes[(platform, entity_id)]

    # ---- metrics -----------------------------------------------------------------------------------------------

    def daily_metrics(
        self,
        platform: Platform,
        account_id: str,
        level: EntityLevel,
        since: date,
        until: date,
        *,
        entity_ids: Iterable[str] | None = None,
        as_of: datetime | None = None,
    ) -> list[SimMetrics]:
        """One row per entity per local day with impressions or spend, as reported at ``as_of`` (default: now).

        Days after the account's "today" have no rows; today holds what was delivered up to ``as_of``; recent days'
        conversions are lower than they will finally be (late conversions). Rows come day by day, entities in
        creation order.
        """
        wanted = set(entity_ids) if entity_ids is not None else None
        with self._lock:
            account = self._require_account(platform, account_id)
            moment = (as_of or self.clock.now()).timestamp()
            campaigns = self._campaigns_for(platform, account_id, level, wanted)
        return self._simulation.daily_rows(account, campaigns, level, since, until, wanted, moment)

    def hourly_metrics(
        self,
        platform: Platform,
        account_id: str,
        level: EntityLevel,
        day: date,
        *,
        entity_ids: Iterable[str] | None = None,
        as_of: datetime | None = None,
    ) -> list[SimMetrics]:
        """Rows per entity per local hour of ``day`` (hour-major order), as reported at ``as_of``; they sum to the
        day's row exactly."""
        wanted = set(entity_ids) if entity_ids is not None else None
        with self._lock:
            account = self._require_account(platform, account_id)
            moment = (as_of or self.clock.now()).timestamp()
            campaigns = self._campaigns_for(platform, account_id, level, wanted)
        return self._simulation.hourly_rows(account, campaigns, level, day, wanted, moment)

    # ---- internals: structure ----------------------------------------------------------------------------------

    def _require_account(self, platform: Platform, account_id: str) -> SimAccount:
        account = self._accounts[platform].get(account_id)
        if account is None:
            raise SandboxWorldError(f"unknown account {account_id}")
        return account

    def _require_entity(self, platform: Platform, entity_id: str) -> SimEntity:
        entity = self._entities.get((platform, entity_id))
        if entity is None:
            raise SandboxWorldError(f"unknown entity {entity_id}")
        return entity

    def _require_history(self, histories: dict[_EntityKey, _History], platform: Platform, entity_id: str) -> _History:
        history = histories.get((platform, entity_id))
        if history is None:
            raise SandboxWorldError(f"unknown entity {entity_id}")
        return history

    def _check_parent(
        self, platform: Platform, account_id: str, level: EntityLevel, parent_id: str | None
    ) -> str | None:
        expected = {EntityLevel.campaign: None, EntityLevel.ad_group: EntityLevel.campaign}.get(
            level, EntityLevel.ad_group
        )
        if expected is None:
            if parent_id is not None:
                raise SandboxWorldError("a campaign has no parent")
            return None
        if parent_id is None:
            raise SandboxWorldError(f"an entity at level {level} needs a parent")
        parent = self._entities.get((platform, parent_id))
        if parent is None or parent.account_id != account_id or parent.level is not expected:
            raise SandboxWorldError(f"parent {parent_id} is not a {expected} of account {account_id}")
        if parent.status is EntityStatus.removed:
            raise SandboxWorldError(f"parent {parent_id} is removed")
        return parent.campaign_id

    def _new_id(self, platform: Platform, level: EntityLevel) -> str:
        while True:
            candidate = _entity_id(self._ids, platform, level)
            if (platform, candidate) not in self._used_ids:
                self._used_ids.add((platform, candidate))
                return candidate

    def _touch(self, platform: Platform, campaign_id: str) -> None:
        self._simulation.touch(platform, campaign_id)

    def _campaigns_for(
        self, platform: Platform, account_id: str, level: EntityLevel, wanted: set[str] | None
    ) -> list[SimEntity]:
        ids = self._by_account.get((platform, account_id, EntityLevel.campaign), [])
        campaigns = [self._entities[(platform, i)] for i in ids]
        if wanted is None:
            return campaigns
        owners = {self._entities[(platform, i)].campaign_id for i in wanted if (platform, i) in self._entities}
        return [c for c in campaigns if c.id in owners]


def _snapshot(entity: SimEntity) -> SimEntity:
    return replace(entity, attributes=dict(entity.attributes))


def _check_budgets(level: EntityLevel, daily: int | None, lifetime: int | None) -> None:
    if level is EntityLevel.ad and (daily is not None or lifetime is not None):
        raise SandboxWorldError("ads have no budget")
    for value in (daily, lifetime):
        if value is not None and value <= 0:
            raise SandboxWorldError("a budget must be positive")


def _digits(rng: random.Random, prefix: str, length: int) -> str:
    return prefix + "".join(rng.choice("0123456789") for _ in range(length - len(prefix)))


def _entity_id(rng: random.Random, platform: Platform, level: EntityLevel) -> str:
    """An id shaped like the platform's own: Google numeric (11-12 digits), Meta 17 digits, TikTok 19 digits."""
    if platform is Platform.google:
        return {
            EntityLevel.campaign: _digits(rng, "2" + rng.choice("0123"), 11),
            EntityLevel.ad_group: _digits(rng, "1" + rng.choice("45678"), 12),
            EntityLevel.ad: _digits(rng, "7" + rng.choice("0123456"), 12),
        }[level]
    if platform is Platform.meta:
        return _digits(rng, "238" + rng.choice("56789"), 17)
    return _digits(rng, "17" + rng.choice("6789"), 19)
