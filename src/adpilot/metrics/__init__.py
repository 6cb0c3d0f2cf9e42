"""Metrics: the store of the platforms' numbers (daily, hourly, rollups, the reporting dimension) and its sync.

Other modules write numbers through ``metrics_store`` and start syncs through ``metrics_sync_service``; SQL of other
modules that reads the store's tables does so through the read-only contract in ``adpilot.metrics.reading``.
"""

from adpilot.metrics.service.store import IngestResult, IngestTarget, SyncedRange, TreeEntity, metrics_store
from adpilot.metrics.service.sync import metrics_sync_service

__all__ = [
    "IngestResult",
    "IngestTarget",
    "SyncedRange",
    "TreeEntity",
    "metrics_store",
    "metrics_sync_service",
]
