"""Publishing a campaign to TikTok: ``campaign/create/``, ``adgroup/create/``, then ``ad/create/`` per ad group.

Campaign and ad group creates carry a ``request_id`` derived from the publication and the entity's key, which TikTok
documents as making a create idempotent: sending it again after a lost answer returns the entity created the first
time. Ads have no such key, so a create is never re-sent by the HTTP pipeline after a timeout or 5xx, and a later
attempt first reads the account and adopts the ads it finds by name in their ad group.

Budgets and bids are floats in major units of the advertiser's currency. The ad's media must already be in the ad
account's library: the draft's first video (or image) reference is sent as its ``video_id`` (``image_ids``), and
``location_ids`` are the draft's locations as given.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from adpilot.core.time import utcnow
from adpilot.platforms.errors import PlatformRejected, PlatformUnavailable
from adpilot.platforms.publishing import ListEntities, adopt_existing
from adpilot.platforms.tiktok.client import TikTokClient, request_id
from adpilot.platforms.tiktok.payloads import major_units
from adpilot.platforms.types import (
    CAMPAIGN_KEY,
    AdAccountRef,
    AdGroupSpec,
    AdSpec,
    CampaignSpec,
    Credentials,
    EntityStatus,
    PublishedIds,
)

_OPERATION = {EntityStatus.active: "ENABLE", EntityStatus.paused: "DISABLE"}
_GOAL_BY_OBJECTIVE = {
    "REACH": "REACH",
    "TRAFFIC": "CLICK",
    "VIDEO_VIEWS": "VIDEO_VIEW",
    "ENGAGEMENT": "CLICK",
    "APP_PROMOTION": "INSTALL",
    "LEAD_GENERATION": "LEAD_GENERATION",
    "WEB_CONVERSIONS": "CONVERT",
}
_BILLING_BY_GOAL = {"REACH": "CPM", "CLICK": "CPC", "VIDEO_VIEW": "CPV"}


def campaign_body(advertiser_id: str, spec: CampaignSpec) -> dict[str, Any]:
    body: dict[str, Any] = {
        "advertiser_id": advertiser_id,
        "campaign_name": spec.name,
        "objective_type": spec.objective,
        "operation_status": _OPERATION.get(spec.status, "DISABLE"),
        "request_id": request_id(spec.idempotency_seed, CAMPAIGN_KEY),
    }
    if spec.daily_budget is not None:
        body.update(budget_mode="BUDGET_MODE_DAY", budget=major_units(spec.daily_budget), budget_optimize_on=True)
    elif spec.lifetime_budget is not None:
        body.update(budget_mode="BUDGET_MODE_TOTAL", budget=major_units(spec.lifetime_budget), budget_optimize_on=True)
    else:
        body["budget_mode"] = "BUDGET_MODE_INFINITE"
    return body


def ad_group_body(advertiser_id: str, spec: CampaignSpec, group: AdGroupSpec, campaign_id: str) -> dict[str, Any]:
    goal = _GOAL_BY_OBJECTIVE.get(spec.objective, "CLICK")
    start = spec.start_date.strftime("%Y-%m-%d 00:00:00") if spec.start_date else utcnow().strftime("%Y-%m-%d %H:%M:%S")
    body: dict[str, Any] = {
        "advertiser_id": advertiser_id,
        "campaign_id": campaign_id,
        "adgroup_name": group.name,
        "location_ids": list(group.targeting.locations),
        "schedule_type": "SCHEDULE_START_END" if spec.end_date else "SCHEDULE_FROM_NOW",
        "schedule_start_time": start,
        "billing_event": _BILLING_BY_GOAL.get(goal, "OCPM"),
        "optimization_goal": goal,
        "operation_status": _OPERATION.get(spec.status, "DISABLE"),
        "request_id": request_id(spec.idempotency_seed, group.key),
    }
    if spec.end_date:
        body["schedule_end_time"] = spec.end_date.strftime("%Y-%m-%d 23:59:59")
    if group.targeting.placements:
        body.update(placement_type="PLACEMENT_TYPE_NORMAL", placements=list(group.targeting.placements))
    else:
        body["placement_type"] = "PLACEMENT_TYPE_AUTOMATIC"
    if spec.daily_budget is None and spec.lifetime_budget is None:
        budget = group.daily_budget or group.lifetime_budget
        if budget is None:
            raise PlatformRejected(
                "TikTok ad groups need a budget when the campaign has none", field_errors={"budget": "required"}
            )
        body.update(
            budget_mode="BUDGET_MODE_DAY" if group.daily_budget is not None else "BUDGET_MODE_TOTAL",
            budget=major_units(budget),
            pacing="PACING_MODE_SMOOTH",
        )
    bid = group.bid_micros or spec.bid_micros
    if bid and spec.bid_strategy in ("bid_cap", "cost_cap", "manual_cpc"):
        price = "conversion_bid_price" if body["billing_event"] == "OCPM" else "bid_price"
        body.update({"bid_type": "BID_TYPE_CUSTOM", price: float(Decimal(bid) / Decimal(1_000_000))})
    else:
        body["bid_type"] = "BID_TYPE_NO_BID"
    return body


def identity_id(spec: CampaignSpec) -> str:
    """The identity the ads are published under (refused before anything is created when the draft has none)."""
    identity = spec.options.get("identity_id")
    if not identity:
        raise PlatformRejected(
            "TikTok ads are published under an identity: set the draft's TikTok identity_id",
            field_errors={"platform_overrides.tiktok.identity_id": "required to publish on TikTok"},
        )
    return str(identity)


def creative(spec: CampaignSpec, ad: AdSpec) -> dict[str, Any]:
    options = spec.options
    identity = identity_id(spec)
    body: dict[str, Any] = {
        "ad_name": ad.name,
        "ad_text": (ad.primary_texts or ad.descriptions or ad.headlines or ("",))[0],
        "identity_type": "CUSTOMIZED_USER",
        "identity_id": identity,
        "display_name": str(options.get("display_name") or spec.name)[:40],
        "operation_status": _OPERATION.get(spec.status, "DISABLE"),
    }
    if ad.video_urls:
        body.update(ad_format="SINGLE_VIDEO", video_id=ad.video_urls[0])
    else:
        body.update(ad_format="SINGLE_IMAGE", image_ids=list(ad.image_urls[:1]))
    if ad.final_url:
        body["landing_page_url"] = ad.final_url
    if ad.call_to_action:
        body["call_to_action"] = ad.call_to_action
    return body


async def publish(
    client: TikTokClient,
    list_entities: ListEntities,
    credentials: Credentials,
    account: AdAccountRef,
    spec: CampaignSpec,
    already: PublishedIds,
    *,
    resume: bool,
) -> PublishedIds:
    advertiser_id = account.account_id
    if any(group.ads for group in spec.ad_groups):
        identity_id(spec)  # a campaign and ad groups without their ads are not left behind for a missing identity
    if resume:
        adopt_existing(await list_entities(credentials, account), spec, already)

    async def post(path: str, body: dict[str, Any], *, idempotent: bool) -> dict[str, Any]:
        return await client.post(
            path, body, credentials=credentials, advertiser_id=advertiser_id, retry_unavailable=idempotent
        )

    campaign = already.campaign
    if campaign is None:
        data = await post("campaign/create/", campaign_body(advertiser_id, spec), idempotent=True)
        campaign = _id(data, "campaign_id")
        already.record(CAMPAIGN_KEY, campaign)
    for group in spec.ad_groups:
        ad_group = already.get(group.key)
        if ad_group is None:
            data = await post("adgroup/create/", ad_group_body(advertiser_id, spec, group, campaign), idempotent=True)
            ad_group = _id(data, "adgroup_id")
            already.record(group.key, ad_group)
        missing = [ad for ad in group.ads if already.get(ad.key) is None]
        for ad in missing:
            # One ad per call: the id of each is recorded before the next is sent.
            body = {"advertiser_id": advertiser_id, "adgroup_id": ad_group, "creatives": [creative(spec, ad)]}
            data = await post("ad/create/", body, idempotent=False)
            ids = data.get("ad_ids")
            if not isinstance(ids, list) or len(ids) != 1:
                raise PlatformUnavailable("TikTok's answer to ad/create/ has no ad id")
            already.record(ad.key, str(ids[0]))
    return already


def _id(data: dict[str, Any], field: str) -> str:
    value = data.get(field)
    if value in (None, ""):
        raise PlatformUnavailable(f"TikTok's answer has no {field}")
    return str(value)
