"""Ad platform connections: the OAuth connect flow, encrypted credentials and their refresh, ad accounts, health,
and the gateway every platform call goes through.

Public surface for other modules (each service is the part that owns what it does; see ``connections.service``):

- ``platform_gateway``: the one way to call a platform about a managed ad account.
  ``platform_gateway.call(organization_id, ad_account_id, operation)`` opens the account, calls ``operation(access)``
  outside any transaction, refreshes an expired token once, records the connection's health and raises the
  product's errors; ``async with platform_gateway.session(organization_id, ad_account_id) as platform`` opens the
  account once for several ``await platform.call(operation)`` with the same rules (``GatewaySession``).
  ``platform_quotas`` / ``platforms_over_budget`` read the operation meter. ``AccountAccess`` is what ``operation``
  receives.
- ``account_service``: the organization's ad accounts and connections as other modules read them
  (``get_ad_account``, ``list_managed_accounts``, ``managed_accounts_page``, ``list_ad_accounts``,
  ``connection_health``, ``overview``, ...), the choice of managed accounts and the discovery job's body.
- ``oauth_flow``: the connect round trip (``start_authorization``, ``complete_authorization``,
  ``store_connection``) and ``disconnect``.
- ``credential_service``: the scheduled refresh of credentials (``queue_due_refreshes``, ``refresh_connection``).
- the data objects (``AdAccountInfo``, ``ConnectionHealth``, ...) and errors below, the ``AccountsManaged`` event
  (published when people choose accounts to manage) and ``AUDIT_TARGET_NAMES`` (how the audit log names connections
  and ad accounts).
"""

from adpilot.connections.errors import AdAccountNotFound, ConnectionNeedsReconnect
from adpilot.connections.events import AccountsManaged
from adpilot.connections.service import (
    AUDIT_TARGET_NAMES,
    AccountAccess,
    AccountService,
    AdAccountInfo,
    ConnectionAccess,
    ConnectionDetails,
    ConnectionHealth,
    CredentialService,
    GatewaySession,
    OAuthFlow,
    PlatformGateway,
    PlatformQuota,
    account_service,
    credential_service,
    oauth_flow,
    platform_gateway,
)

__all__ = [
    "AUDIT_TARGET_NAMES",
    "AccountAccess",
    "AccountService",
    "AccountsManaged",
    "AdAccountInfo",
    "AdAccountNotFound",
    "ConnectionAccess",
    "ConnectionDetails",
    "ConnectionHealth",
    "ConnectionNeedsReconnect",
    "CredentialService",
    "GatewaySession",
    "OAuthFlow",
    "PlatformGateway",
    "PlatformQuota",
    "account_service",
    "credential_service",
    "oauth_flow",
    "platform_gateway",
]
