"""Errors of the campaigns module."""

from __future__ import annotations

from adpilot.core.errors import Conflict


class AdAccountNotManaged(Conflict):
    code = "ad-account-not-managed"
    title = "This ad account is not managed: choose it on the Connections page (or reconnect its platform) first"
