"""The user and their ad accounts (``platform-apis.md`` section B, "Accounts"): ``/me``, ``/me/permissions`` (DELETE
revokes the app), ``/me/adaccounts`` and the ad account node ``/act_{id}``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from adpilot.platforms.types import Platform
from adpilot.sandbox.engine import SimAccount
from adpilot.sandbox.meta.context import ALL_METHODS, GraphCall, GraphRoute, MetaContext
from adpilot.sandbox.meta.errors import nonexisting_field, unsupported_request
from adpilot.sandbox.meta.graph import fields, page, with_id
from adpilot.sandbox.meta.oauth import GRANTED_PERMISSIONS

JsonObject = dict[str, Any]

ACCOUNT_FIELDS = frozenset(
    {"id", "account_id", "name", "currency", "timezone_name", "timezone_offset_hours_utc", "account_status"}
    | {"disable_reason", "business_name"}
)


def api_routes() -> list[GraphRoute]:
    get = frozenset({"GET"})
    return [
        GraphRoute("me", None, get, me),
        # The user's edges answer another method as a field they do not have, so they take every method.
        GraphRoute("me", "permissions", ALL_METHODS, permissions),
        GraphRoute("me", "adaccounts", ALL_METHODS, ad_accounts),
        GraphRoute("account", None, get, ad_account),
    ]


def owned_account(context: MetaContext, call: GraphCall, account_id: str) -> SimAccount:
    """The ad account, if the caller's login manages it (else Graph's "does not exist" answer); the call is then
    counted against it."""
    account = context.world.account(Platform.meta, account_id)
    if account is None or call.login is None or account_id not in call.login.account_ids:
        raise unsupported_request(call.method, f"act_{account_id}")
    call.account_id = account_id
    assert isinstance(account, SimAccount)  # noqa: S101 (narrowing the engine's return type)
    return account


def _permissions() -> JsonObject:
    return {"data": [{"permission": p, "status": "granted"} for p in GRANTED_PERMISSIONS]}


async def me(context: MetaContext, call: GraphCall) -> JsonObject:
    login = call.the_login()
    values = {"id": login.login_id, "name": login.display_name, "email": login.email}
    chosen = fields(call.params, {"id", "name", "email", "permissions"}, ("id", "name"), "User")
    return with_id({**values, "permissions": _permissions()}, chosen)


async def permissions(context: MetaContext, call: GraphCall) -> JsonObject:
    login = call.the_login()
    if call.method == "DELETE":
        context.state.auth.revoke_login(Platform.meta, login.login_id)
        return {"success": True}
    if call.method == "GET":
        return _permissions()
    raise nonexisting_field("permissions", "User")


async def ad_accounts(context: MetaContext, call: GraphCall) -> JsonObject:
    login = call.the_login()
    if call.method != "GET":
        raise nonexisting_field("adaccounts", "User")
    chosen = fields(call.params, ACCOUNT_FIELDS, ("account_id", "id"), "AdAccount")
    accounts = [context.world.account(Platform.meta, account_id) for account_id in login.account_ids]
    items = [account_json(account, chosen) for account in accounts if isinstance(account, SimAccount)]
    return page(call, items, _as_is)


async def ad_account(context: MetaContext, call: GraphCall) -> JsonObject:
    return account_json(call.the_account(), fields(call.params, ACCOUNT_FIELDS, ("id",), "AdAccount"))


def account_json(account: SimAccount, chosen: Sequence[str]) -> JsonObject:
    offset = datetime.now(UTC).astimezone(ZoneInfo(account.time_zone)).utcoffset() or timedelta(0)
    values: JsonObject = {
        "id": f"act_{account.account_id}",
        "account_id": account.account_id,
        "name": account.name,
        "currency": account.currency,
        "timezone_name": account.time_zone,
        "timezone_offset_hours_utc": offset.total_seconds() / 3600,
        "account_status": 1 if account.active else 2,
        "disable_reason": 0 if account.active else 3,
        "business_name": account.name,
    }
    return with_id(values, chosen)


def _as_is(item: JsonObject) -> JsonObject:
    return item
