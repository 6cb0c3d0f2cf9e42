"""Ad platform connections: the OAuth connect flow, encrypted credentials and their refresh, ad accounts, health,
and the gateway every platform call goes through.

Public surface for other modules:

- ``platform_gateway.call(organization_id, ad_account_id, operation)``: call a platform about one managed ad account
  (opened, refreshed once on an expired token, health recorded, errors classified); ``AccountAccess`` is what
  ``operation`` receives. ``platform_quotas`` / ``platforms_over_budget`` read the operation meter.
- ``connection_service``: the module's service as one object (``open_account``, ``call_with_refresh``,
  ``get_ad_account``, ``list_managed_accounts``, ``managed_accounts_page``, ``list_ad_accounts``,
  ``connection_health``, ``record_platform_success``, ``record_platform_failure``, ``platforms_over_budget``, ...).
- the data objects and errors below, the ``AccountsManaged`` event (published when people choose accounts to
  manage) and ``AUDIT_TARGET_NAMES`` (how the audit log names connections and ad accounts).
"""

from adpilot.connections.errors import AdAccountNotFound, ConnectionNeedsReconnect
from adpilot.connections.events import AccountsManaged
from adpilot.connections.service import (
    AUDIT_TARGET_NAMES,
    AccountAccess,
    AdAccountInfo,
    ConnectionAccess,
    ConnectionHealth,
    ConnectionService,
    FailureOutcome,
    PlatformGateway,
    PlatformQuota,
    connection_service,
    platform_gateway,
)

__all__ = [
    "AUDIT_TARGET_NAMES",
    "AccountAccess",
    "AccountsManaged",
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
    "platform_gateway",
]
