"""Background jobs of the analytics module (importing this package registers them all)."""

from __future__ import annotations

from adpilot.analytics.jobs import sync

__all__ = ["sync"]
