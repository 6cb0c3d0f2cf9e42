"""The connections service, in four parts:

- ``oauth``: the consent round trip (state, PKCE, the code exchange, a refusal in words) and the disconnect;
- ``credentials``: the vault (credentials sealed to their connection) and their refresh under a row lock;
- ``accounts``: discovery of a login's ad accounts, the managed ones, the listings and pages;
- ``gateway``: the one way other code calls a platform with a connection's credentials (``platform_gateway.call``,
  or ``platform_gateway.session`` for several calls about one account), with the connection's health (``health``)
  and the platforms' quotas.

Endpoints, jobs and other modules call the part that owns what they need: ``oauth_flow``, ``credential_service``,
``account_service`` or ``platform_gateway``.
"""

from __future__ import annotations

from adpilot.audit import TargetNameResolver
from adpilot.connections.service.accounts import (
    DISCOVER_ACCOUNTS_JOB,
    AccountService,
    account_service,
    ad_account_names,
    connection_names,
    discovery_as_seen,
)
from adpilot.connections.service.common import (
    PLATFORM_TITLES,
    AccountAccess,
    AdAccountInfo,
    AuthorizationStart,
    ConnectionAccess,
    ConnectionDetails,
    ConnectionHealth,
    ConnectionOverview,
    DiscoveryState,
)
from adpilot.connections.service.credentials import (
    REFRESH_CONNECTION_JOB,
    CredentialService,
    credential_service,
    credential_vault,
    open_credentials,
    seal_credentials,
)
from adpilot.connections.service.gateway import GatewaySession, PlatformGateway, PlatformQuota, platform_gateway
from adpilot.connections.service.oauth import OAuthFlow, consent_refusal, oauth_flow, pkce_challenge

# The audit log names connections and ad accounts by what people call them (installed at start-up).
AUDIT_TARGET_NAMES: dict[str, TargetNameResolver] = {"connection": connection_names, "ad_account": ad_account_names}

__all__ = [
    "AUDIT_TARGET_NAMES",
    "DISCOVER_ACCOUNTS_JOB",
    "PLATFORM_TITLES",
    "REFRESH_CONNECTION_JOB",
    "AccountAccess",
    "AccountService",
    "AdAccountInfo",
    "AuthorizationStart",
    "ConnectionAccess",
    "ConnectionDetails",
    "ConnectionHealth",
    "ConnectionOverview",
    "CredentialService",
    "DiscoveryState",
    "GatewaySession",
    "OAuthFlow",
    "PlatformGateway",
    "PlatformQuota",
    "account_service",
    "consent_refusal",
    "credential_service",
    "credential_vault",
    "discovery_as_seen",
    "oauth_flow",
    "open_credentials",
    "pkce_challenge",
    "platform_gateway",
    "seal_credentials",
]
