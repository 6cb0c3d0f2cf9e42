"""TikTok's advertisers (reference §C.2, §C.6).

* ``GET /open_api/v1.3/oauth2/advertiser/get/`` — the advertisers the token's login authorized the app for
  (``app_id`` and ``secret`` in the query).
* ``GET /open_api/v1.3/advertiser/info/`` — ``advertiser_ids`` (a JSON array, 1 to 100) → name, currency, time zone
  and status of each, narrowed by ``fields``.
"""

from __future__ import annotations

from adpilot.sandbox.engine import SimAccount
from adpilot.sandbox.tiktok.context import (
    PLATFORM,
    Call,
    JsonObject,
    Operation,
    TikTokContext,
    caller,
    check_app,
    reachable_account,
)
from adpilot.sandbox.tiktok.errors import bad_parameter
from adpilot.sandbox.tiktok.params import json_param, only

MAX_ADVERTISER_IDS = 100


def api_routes() -> list[Operation]:
    return [
        Operation("GET", "oauth2/advertiser/get/", authorized_advertisers),
        Operation("GET", "advertiser/info/", advertiser_info),
    ]


async def authorized_advertisers(call: Call, context: TikTokContext) -> JsonObject:
    check_app(context, call.query.get("app_id"), call.query.get("secret"))
    items = []
    for account in context.state.world.accessible_accounts(PLATFORM, caller(call).login_id):
        items.append({"advertiser_id": account.account_id, "advertiser_name": account.name})
    return {"list": items}


async def advertiser_info(call: Call, context: TikTokContext) -> JsonObject:
    ids = json_param(call.query, "advertiser_ids", list, required=True)
    if not 1 <= len(ids) <= MAX_ADVERTISER_IDS:
        raise bad_parameter(f"advertiser_ids: Length must be between 1 and {MAX_ADVERTISER_IDS}.")
    fields = json_param(call.query, "fields", list, required=False)
    items = [_advertiser_json(reachable_account(context, call, advertiser_id)) for advertiser_id in ids]
    return {"list": [only(item, fields) for item in items]}


def _advertiser_json(account: SimAccount) -> JsonObject:
    return {
        "advertiser_id": account.account_id,
        "name": account.name,
        "currency": account.currency,
        "timezone": account.time_zone,
        "display_timezone": account.time_zone,
        "status": "STATUS_ENABLE" if account.active else "STATUS_DISABLE",
        "role": "ROLE_ADVERTISER",
        "company": "adpilot sandbox",
        "language": "en",
    }
