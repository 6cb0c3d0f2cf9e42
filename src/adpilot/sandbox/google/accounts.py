"""Google Ads customers: ``customers:listAccessibleCustomers`` and who may reach which customer.

``GET /{version}/customers:listAccessibleCustomers`` lists the customers the signed-in login reaches directly. A call
about a customer is allowed for those, and for a client account below a manager the login reaches when the manager's
id is in the ``login-customer-id`` header; otherwise 403 ``USER_PERMISSION_DENIED``. A Cloud project with test
access only is refused ``CLOUD_PROJECT_NOT_APPROVED_FOR_PRODUCTION``, a cancelled customer ``CUSTOMER_NOT_ENABLED``.
"""

from __future__ import annotations

import re

from fastapi import Request, Response
from fastapi.responses import JSONResponse

from adpilot.platforms.types import Platform
from adpilot.sandbox.engine import SandboxLogin, SimAccount
from adpilot.sandbox.google.context import ApiRoute, Caller, GoogleContext
from adpilot.sandbox.google.errors import AdsError, GoogleApiError, permission_denied
from adpilot.sandbox.google.quota import count_operations

CUSTOMER_ID = re.compile(r"^\d{10}$")


def api_routes(context: GoogleContext) -> list[ApiRoute]:
    return [ApiRoute("customers:listAccessibleCustomers", list_accessible_customers, "GET")]


async def list_accessible_customers(request: Request, context: GoogleContext, who: Caller) -> Response:
    state = context.state
    count_operations(state, None)
    names = [
        f"customers/{account_id}"
        for account_id in who.login.account_ids
        if state.world.account(Platform.google, account_id) is not None
    ]
    return JSONResponse({"resourceNames": names})


def check_access(request: Request, context: GoogleContext, login: SandboxLogin, customer_id: str) -> SimAccount:
    """The customer a call is about, if ``login`` may reach it (through ``login-customer-id`` for a client)."""
    state = context.state
    account = state.world.account(Platform.google, customer_id)
    login_customer = request.headers.get("login-customer-id")
    if login_customer is not None and not CUSTOMER_ID.match(login_customer.strip()):
        raise GoogleApiError(
            400,
            [AdsError("headerError", "INVALID_LOGIN_CUSTOMER_ID",
                      "The login customer id must be 10 digits without dashes.")],
        )  # fmt: skip
    direct = set(login.account_ids)
    if account is None:
        raise permission_denied()
    if login_customer is None:
        allowed = customer_id in direct
    else:
        login_customer = login_customer.strip()
        allowed = login_customer in direct and (
            login_customer == customer_id or login_customer in _ancestors(context, account)
        )
    if not allowed:
        raise permission_denied()
    if context.test_project:
        raise GoogleApiError(
            403,
            [AdsError("authorizationError", "CLOUD_PROJECT_NOT_APPROVED_FOR_PRODUCTION",
                      "The Google Cloud project is only approved for use with test accounts.")],
        )  # fmt: skip
    if not account.active:
        raise GoogleApiError(
            403,
            [AdsError("authorizationError", "CUSTOMER_NOT_ENABLED",
                      "The customer account can't be accessed because it is not yet enabled or has been "
                      "deactivated.")],
        )  # fmt: skip
    return account


def _ancestors(context: GoogleContext, account: SimAccount) -> set[str]:
    found: set[str] = set()
    current = account
    while current.manager_id is not None and current.manager_id not in found:
        found.add(current.manager_id)
        parent = context.state.world.account(Platform.google, current.manager_id)
        if parent is None:
            break
        current = parent
    return found
