"""Background jobs of the analytics module (importing this package registers them all)."""

from __future__ import annotations

from adpilot.analytics.jobs import rates, reports, sync

__all__ = ["rates", "reports", "sync"]
