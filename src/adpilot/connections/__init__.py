"""Ad platform connections: the OAuth connect flow, encrypted credentials and their refresh, ad accounts, health,
and the gateway every platform call goes through.

Public surface for other modules:

- ``platform_gateway.call(organization_id, ad_account_id, operation)``: call a platform about one managed ad account
  (opened, refreshed once on an expired token, health recorded, errors classified); ``AccountAccess`` is what
  ``operation`` receives. ``platform_quotas`` / ``platforms_over_budget`` read the operation meter.
- ``connection_service``: the module's service as one object (``open_account``, ``call_with_refresh``,
  ``get_ad_account``, ``list_managed_accounts``, ``managed_accounts_page``, ``list_ad_accounts``,
  ``connection_health``, ``record_platform_success``, ``record_platform_failure``, ``platforms_over_budget``, ...).
- the data objects and errors below, and ``on_accounts_managed``.
"""

from adpilot.connections.errors import AdAccountNotFound, ConnectionNeedsReconnect
from adpilot.connections.service import (
    AccountAccess,
    AdAccountInfo,
    ConnectionAccess,
    ConnectionHealth,
    ConnectionService,
    FailureOutcome,
    PlatformGateway,
    PlatformQuota,
    connection_service,
    on_accounts_managed,
    platform_gateway,
)

__all__ = [
    "AccountAccess",
    "AdAccountInfo",
    "AdAccountNotFound",
    "ConnectionAccess",
    "ConnectionHealth",
    "ConnectionNeedsReconnect",
    "ConnectionService",
    "FailureOutcome",
    "PlatformGateway",
    "PlatformQuota",
    "connection_service",
    "on_accounts_managed",
    "platform_gateway",
]
