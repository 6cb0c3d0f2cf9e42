"""Campaigns: the ad platforms' entity trees (campaign → ad group/ad set → ad) kept in step by entity sync.

Public surface: ``entity_sync_service`` (queueing syncs, reading an account's tree with ``account_tree``), its data
objects, the ``EntitiesSynced`` event (published after each sync writes what it read) and ``queue_first_syncs``, the
reaction to ``AccountsManaged`` that ``adpilot.subscriptions`` subscribes.
"""

from adpilot.campaigns.events import EntitiesSynced
from adpilot.campaigns.service import (
    CampaignBudget,
    EntitySnapshot,
    EntityState,
    EntitySyncService,
    SyncedEntity,
    entity_sync_service,
    queue_first_syncs,
)

__all__ = [
    "CampaignBudget",
    "EntitiesSynced",
    "EntitySnapshot",
    "EntityState",
    "EntitySyncService",
    "SyncedEntity",
    "entity_sync_service",
    "queue_first_syncs",
]
