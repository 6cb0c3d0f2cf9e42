"""Errors of the metrics module."""

from __future__ import annotations

from adpilot.core.errors import Conflict


class AccountNotSynced(Conflict):
    code = "ad-account-not-synced"
    title = "This ad account is not managed, so its metrics are not synced; choose it on the Connections page"
