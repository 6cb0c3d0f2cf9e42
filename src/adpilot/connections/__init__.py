"""Ad platform connections: the OAuth connect flow, encrypted credentials and their refresh, ad accounts, health.

Public surface for other modules: ``connection_service`` (``open_account``, ``get_ad_account``,
``list_managed_accounts``, ``list_ad_accounts``, ``connection_health``, ``record_platform_success``,
``record_platform_failure``) and its data objects.
"""

from adpilot.connections.errors import AdAccountNotFound, ConnectionNeedsReconnect
from adpilot.connections.service import (
    AccountAccess,
    AdAccountInfo,
    ConnectionHealth,
    ConnectionService,
    FailureOutcome,
    PlatformQuota,
    connection_service,
    on_accounts_managed,
)

__all__ = [
    "AccountAccess",
    "AdAccountInfo",
    "AdAccountNotFound",
    "ConnectionHealth",
    "ConnectionNeedsReconnect",
    "ConnectionService",
    "FailureOutcome",
    "PlatformQuota",
    "connection_service",
    "on_accounts_managed",
]
