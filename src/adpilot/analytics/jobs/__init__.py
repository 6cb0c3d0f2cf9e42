"""Background jobs of the analytics module (importing this package registers them all)."""

from __future__ import annotations

from adpilot.analytics.jobs import reports, sync

__all__ = ["reports", "sync"]
