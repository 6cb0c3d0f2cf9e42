"""Metrics: the store of the platforms' numbers (daily, hourly, rollups, the reporting dimension) and its sync.

Other modules write numbers through ``metrics_store`` and start syncs through ``metrics_sync_service``; SQL of other
modules that reads the store's tables does so through the read-only contract in ``adpilot.metrics.reading``.
A finished sync run publishes ``MetricsIngested``. The module's reactions to other modules' events
(``queue_backfills``, ``keep_dimension_current``, ``convert_to_new_reporting_currency``) are subscribed by
``adpilot.subscriptions``.
"""

from adpilot.metrics.events import MetricsIngested
from adpilot.metrics.service.store import (
    IngestResult,
    IngestTarget,
    SyncedRange,
    TreeEntity,
    convert_to_new_reporting_currency,
    metrics_store,
)
from adpilot.metrics.service.sync import keep_dimension_current, metrics_sync_service, queue_backfills

__all__ = [
    "IngestResult",
    "IngestTarget",
    "MetricsIngested",
    "SyncedRange",
    "TreeEntity",
    "convert_to_new_reporting_currency",
    "keep_dimension_current",
    "metrics_store",
    "metrics_sync_service",
    "queue_backfills",
]
