"""Campaigns: the ad platforms' entity trees (campaign → ad group/ad set → ad) kept in step by entity sync."""

from adpilot.campaigns.service import (
    CampaignBudget,
    EntitySyncService,
    TreeSyncedHook,
    entity_sync_service,
    on_tree_synced,
)

__all__ = ["CampaignBudget", "EntitySyncService", "TreeSyncedHook", "entity_sync_service", "on_tree_synced"]
