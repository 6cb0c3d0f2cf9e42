"""Domain events: a module says what happened; the modules above it react, through the job queue.

An event is a small frozen model defined by the module that publishes it (``connections.AccountsManaged``,
``campaigns.EntitiesSynced``, ``metrics.MetricsIngested``, ``organizations.ReportingCurrencyChanged``; the change
pipeline, rules and alerts will add ``ChangeApplied``, ``RuleFired`` and ``AlertRaised`` the same way). It carries
ids and facts, never objects, and is JSON-serialisable.

``publish(session, event)`` runs inside the caller's transaction and queues one ``events.deliver`` job per subscriber
of the event's type (on the interactive queue), so a reaction exists if and only if the cause commits. Each job runs
its subscriber in a transaction scoped to the event's organization; a failing subscriber is logged and retried by the
job queue without running the others again.

Delivery is at least once and in no particular order: a subscriber is idempotent, and where it can read the current
state it does, rather than trusting the event's payload (which may be stale by the time it runs).

Who reacts to what is decided once, at start-up, by ``adpilot.subscriptions`` (the only module that imports every
domain module): it builds an ``EventRegistry`` and ``install``s it. Publishing before that raises
``EventRegistryNotBuilt``: a reaction must never silently not exist because some module was not imported.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, ClassVar, TypeVar
from uuid import UUID

from pydantic import BaseModel, ConfigDict
from sqlalchemy.ext.asyncio import AsyncSession

from adpilot.core.logging import get_logger
from adpilot.jobs import Queue, enqueue, job

log = get_logger(__name__)

DELIVER_JOB = "events.deliver"
# Runs of one delivery in all (procrastinate's exponential backoff between them: 2 s, 4 s, ... about 8 minutes).
DELIVERY_ATTEMPTS = 8


class DomainEvent(BaseModel):
    """Something that happened in one organization. Subclasses name themselves (``name``, stable: queued jobs store
    it) and add JSON-serialisable fields: ids and facts."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: ClassVar[str]
    organization_id: UUID

    def payload(self) -> dict[str, Any]:
        """The event as JSON-ready values (what a delivery job carries)."""
        return self.model_dump(mode="json")


EventHandler = Callable[[AsyncSession, Any], Awaitable[None]]
E = TypeVar("E", bound=DomainEvent)


class EventRegistryNotBuilt(RuntimeError):
    """An event was published or delivered before the process built its registry (``adpilot.subscriptions``)."""


class UnknownSubscriber(LookupError):
    """A delivery names an event or subscriber this process's registry does not know."""


@dataclass(frozen=True)
class Subscription:
    event_type: type[DomainEvent]
    handler: EventHandler
    name: str


class EventRegistry:
    """Which handlers react to which events; built once at start-up."""

    def __init__(self) -> None:
        self._types: dict[str, type[DomainEvent]] = {}
        self._subscriptions: dict[str, dict[str, Subscription]] = {}

    def subscribe(
        self, event_type: type[E], handler: Callable[[AsyncSession, E], Awaitable[None]], *, name: str
    ) -> None:
        """Run ``handler(session, event)`` for every ``event_type`` published; ``name`` is stable (queued delivery
        jobs store it) and unique for the event type."""
        known = self._types.setdefault(event_type.name, event_type)
        if known is not event_type:
            raise ValueError(f"two event types are named {event_type.name!r}")
        subscribers = self._subscriptions.setdefault(event_type.name, {})
        if name in subscribers:
            raise ValueError(f"{name!r} already subscribes to {event_type.name!r}")
        subscribers[name] = Subscription(event_type, handler, name)

    def subscribers(self, event_type: type[DomainEvent]) -> list[Subscription]:
        """The subscriptions to ``event_type``, in the order they were made."""
        return list(self._subscriptions.get(event_type.name, {}).values())

    def subscription(self, event_name: str, subscriber: str) -> Subscription:
        """The subscription a delivery job names."""
        found = self._subscriptions.get(event_name, {}).get(subscriber)
        if found is None:
            raise UnknownSubscriber(f"no subscriber {subscriber!r} of {event_name!r}")
        return found


_registry: EventRegistry | None = None


def install(registry: EventRegistry | None) -> None:
    """Make ``registry`` the process's registry (``None`` removes it: tests of an unbuilt process)."""
    global _registry
    _registry = registry


def current_registry() -> EventRegistry:
    """The process's registry; ``EventRegistryNotBuilt`` before start-up built it."""
    if _registry is None:
        raise EventRegistryNotBuilt("no event registry is installed: call adpilot.subscriptions.install() at start-up")
    return _registry


async def publish(session: AsyncSession, event: DomainEvent) -> int:
    """Queue one delivery per subscriber of the event, in the caller's transaction. Returns how many."""
    subscriptions = current_registry().subscribers(type(event))
    payload = event.payload()
    for subscription in subscriptions:
        await enqueue(
            session,
            DELIVER_JOB,
            event.organization_id,
            event=event.name,
            payload=payload,
            subscriber=subscription.name,
        )
    return len(subscriptions)


@job(DELIVER_JOB, queue=Queue.interactive, max_attempts=DELIVERY_ATTEMPTS)
async def deliver(
    session: AsyncSession, organization_id: UUID | None, *, event: str, payload: dict[str, Any], subscriber: str
) -> None:
    """Run one subscriber of one event, in a transaction scoped to the event's organization."""
    subscription = current_registry().subscription(event, subscriber)
    domain_event = subscription.event_type.model_validate(payload)
    try:
        await subscription.handler(session, domain_event)
    except Exception as exc:
        log.warning(
            "event.delivery_failed",
            event_name=event,
            subscriber=subscriber,
            organization_id=str(organization_id),
            error=f"{type(exc).__name__}: {exc}",
        )
        raise
