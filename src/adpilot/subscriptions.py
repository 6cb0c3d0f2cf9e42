"""Start-up composition: every reaction of one module to another's events, and every name the audit log gives its
targets, in one place.

Modules react to each other only through what is subscribed here, so a reaction exists in every process that starts
the product (the app factory, ``adpilot worker``, the demo and the tests call ``install``), whatever that process
happened to import. This module sits above the domain modules and may import all of them; none of them imports it.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from adpilot import (
    campaigns,
    changes,
    connections,
    demo_changes,
    drafts,
    exchange_rates,
    metrics,
    organizations,
    reporting,
)
from adpilot.audit import TargetNameResolver, audit_service
from adpilot.campaigns import EntitiesSynced
from adpilot.connections import AccountsManaged
from adpilot.events import EventRegistry
from adpilot.events import install as install_registry
from adpilot.organizations import ReportingCurrencyChanged


def build_registry() -> EventRegistry:
    """Who reacts to which event. A subscriber's name is stable: queued delivery jobs store it."""
    registry = EventRegistry()
    # Accounts people chose to manage get their first syncs.
    registry.subscribe(AccountsManaged, campaigns.queue_first_syncs, name="campaigns.queue_first_syncs")
    registry.subscribe(AccountsManaged, metrics.queue_backfills, name="metrics.queue_backfills")
    # The reporting dimension follows the campaign trees.
    registry.subscribe(EntitiesSynced, metrics.keep_dimension_current, name="metrics.keep_dimension_current")
    # A demo workspace gets its history of changes once its accounts are first synced.
    registry.subscribe(EntitiesSynced, demo_changes.queue_change_history, name="demo.queue_change_history")
    # The converted rollup follows the organization's reporting currency.
    registry.subscribe(
        ReportingCurrencyChanged,
        metrics.convert_to_new_reporting_currency,
        name="metrics.convert_to_new_reporting_currency",
    )
    # Days synced for the first time (a backfill, older history) may need reference rates the store lacks.
    registry.subscribe(
        metrics.MetricsIngested, check_reference_rates_for_new_days, name="exchange_rates.check_reference_rates"
    )
    return registry


async def check_reference_rates_for_new_days(session: AsyncSession, event: metrics.MetricsIngested) -> None:
    """A backfill or history run stored days never synced before: the reference rates are checked now (converted
    figures show "missing exchange rate" until they are), not at the next scheduled check behind the syncs. Runs of
    recent days rely on the scheduled check, which knows each publication."""
    if event.scope in ("backfill", "history"):
        await exchange_rates.reference_rates_service.queue_check(session)


def audit_target_names() -> dict[str, TargetNameResolver]:
    """How the audit log names each kind of target, from the module that owns that kind."""
    return {
        **organizations.AUDIT_TARGET_NAMES,
        **connections.AUDIT_TARGET_NAMES,
        **reporting.AUDIT_TARGET_NAMES,
        **drafts.AUDIT_TARGET_NAMES,
        **changes.AUDIT_TARGET_NAMES,
    }


def install() -> EventRegistry:
    """Build the process's event registry and hand the audit log its target names (idempotent)."""
    registry = build_registry()
    install_registry(registry)
    audit_service.use_target_names(audit_target_names())
    return registry
