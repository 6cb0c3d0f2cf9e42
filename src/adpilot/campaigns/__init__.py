"""Campaigns: the ad platforms' entity trees (campaign → ad group/ad set → ad) kept in step by entity sync."""

from adpilot.campaigns.service import EntitySyncService, entity_sync_service

__all__ = ["EntitySyncService", "entity_sync_service"]
