"""Publishing a campaign to Meta: ``POST /act_{id}/campaigns``, then ``/adsets`` and ``/ads`` (creative inline).

Meta has no multi-object transaction, so each create is sent on its own and its id recorded at once; a failure
leaves the ids of what exists, and publishing again continues from there. A create is never re-sent after a timeout
or 5xx by the HTTP pipeline (Meta may have applied it): the next attempt first reads the account and adopts each
entity it finds by name under its parent.

Budgets and bids are integers in the currency's minor units; the campaign budget (CBO) goes on the campaign with
``bid_strategy``, otherwise ``is_adset_budget_sharing_enabled=false`` and each ad set carries its own. The ad's
creative is given inline: ``object_story_spec.link_data`` with the page, the final URL, the primary text, the
headline and description and the call to action.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ValidationError

from adpilot.platforms.errors import PlatformRejected, PlatformUnavailable
from adpilot.platforms.meta.client import MetaGraphClient
from adpilot.platforms.meta.insights import money_to_minor
from adpilot.platforms.publishing import ListEntities, adopt_existing
from adpilot.platforms.types import (
    CAMPAIGN_KEY,
    AdAccountRef,
    AdGroupSpec,
    AdSpec,
    CampaignSpec,
    Credentials,
    EntityStatus,
    Money,
    PublishedIds,
    TargetingSpec,
)

_STATUS = {EntityStatus.active: "ACTIVE", EntityStatus.paused: "PAUSED"}
_BID_STRATEGY = {
    "lowest_cost": "LOWEST_COST_WITHOUT_CAP",
    "bid_cap": "LOWEST_COST_WITH_BID_CAP",
    "cost_cap": "COST_CAP",
    "target_roas": "LOWEST_COST_WITH_MIN_ROAS",
}
# The ad set's optimization goal when the draft names none, by the campaign's objective.
_GOAL_BY_OBJECTIVE = {
    "OUTCOME_AWARENESS": "REACH",
    "OUTCOME_TRAFFIC": "LINK_CLICKS",
    "OUTCOME_ENGAGEMENT": "POST_ENGAGEMENT",
    "OUTCOME_LEADS": "LEAD_GENERATION",
    "OUTCOME_APP_PROMOTION": "APP_INSTALLS",
    "OUTCOME_SALES": "OFFSITE_CONVERSIONS",
}
_GENDERS = {"male": 1, "female": 2}


class _Created(BaseModel):
    id: str


def _act(account: AdAccountRef) -> str:
    return f"act_{account.account_id.removeprefix('act_')}"


def campaign_form(spec: CampaignSpec) -> dict[str, str]:
    form = {
        "name": spec.name,
        "objective": spec.objective,
        "status": _STATUS.get(spec.status, "PAUSED"),
        "special_ad_categories": json.dumps(list(spec.options.get("special_ad_categories") or [])),
    }
    if spec.daily_budget is not None or spec.lifetime_budget is not None:
        if spec.daily_budget is not None:
            form["daily_budget"] = str(money_to_minor(spec.daily_budget))
        else:
            assert spec.lifetime_budget is not None  # noqa: S101 - one of the two
            form["lifetime_budget"] = str(money_to_minor(spec.lifetime_budget))
        form["bid_strategy"] = _BID_STRATEGY.get(spec.bid_strategy, "LOWEST_COST_WITHOUT_CAP")
    else:
        form["is_adset_budget_sharing_enabled"] = "false"
    return form


def _targeting(targeting: TargetingSpec) -> dict[str, Any]:
    body: dict[str, Any] = {"geo_locations": {"countries": list(targeting.locations)}}
    if targeting.age_min is not None:
        body["age_min"] = targeting.age_min
    if targeting.age_max is not None:
        body["age_max"] = targeting.age_max
    if targeting.genders:
        body["genders"] = [_GENDERS[gender] for gender in targeting.genders if gender in _GENDERS]
    if targeting.placements:
        body["publisher_platforms"] = list(targeting.placements)
    return body


def ad_set_form(spec: CampaignSpec, group: AdGroupSpec, campaign_id: str) -> dict[str, str]:
    options = spec.options
    form = {
        "name": group.name,
        "campaign_id": campaign_id,
        "status": _STATUS.get(spec.status, "PAUSED"),
        "billing_event": str(options.get("billing_event") or "IMPRESSIONS"),
        "optimization_goal": str(options.get("optimization_goal") or _GOAL_BY_OBJECTIVE.get(spec.objective, "REACH")),
        "targeting": json.dumps(_targeting(group.targeting)),
    }
    if group.daily_budget is not None:
        form["daily_budget"] = str(money_to_minor(group.daily_budget))
    elif group.lifetime_budget is not None:
        form["lifetime_budget"] = str(money_to_minor(group.lifetime_budget))
    if spec.start_date is not None:
        form["start_time"] = spec.start_date.isoformat()
    if spec.end_date is not None:
        form["end_time"] = spec.end_date.isoformat()
    bid = group.bid_micros or spec.bid_micros
    currency = group.daily_budget or group.lifetime_budget or spec.daily_budget or spec.lifetime_budget
    if bid and currency is not None and spec.bid_strategy in ("bid_cap", "cost_cap"):
        form["bid_strategy"] = _BID_STRATEGY[spec.bid_strategy]
        form["bid_amount"] = str(money_to_minor(Money(bid, currency.currency)))
    return form


def page_id(spec: CampaignSpec) -> str:
    """The Facebook Page the ads are published by (refused before anything is created when the draft has none)."""
    page = spec.options.get("page_id")
    if not page:
        raise PlatformRejected(
            "Meta ads are published by a Facebook Page: set the draft's Meta page_id",
            field_errors={"platform_overrides.meta.page_id": "required to publish on Meta"},
        )
    return str(page)


def ad_form(spec: CampaignSpec, ad: AdSpec, ad_set_id: str) -> dict[str, str]:
    page = page_id(spec)
    link_data: dict[str, Any] = {"link": ad.final_url or ""}
    if ad.primary_texts:
        link_data["message"] = ad.primary_texts[0]
    if ad.headlines:
        link_data["name"] = ad.headlines[0]
    if ad.descriptions:
        link_data["description"] = ad.descriptions[0]
    if ad.image_urls:
        link_data["picture"] = ad.image_urls[0]
    if ad.call_to_action:
        link_data["call_to_action"] = {"type": ad.call_to_action, "value": {"link": ad.final_url or ""}}
    creative = {"name": ad.name, "object_story_spec": {"page_id": page, "link_data": link_data}}
    return {
        "name": ad.name,
        "adset_id": ad_set_id,
        "status": _STATUS.get(spec.status, "PAUSED"),
        "creative": json.dumps(creative),
    }


async def publish(
    graph: MetaGraphClient,
    list_entities: ListEntities,
    credentials: Credentials,
    account: AdAccountRef,
    spec: CampaignSpec,
    already: PublishedIds,
    *,
    resume: bool,
) -> PublishedIds:
    if any(group.ads for group in spec.ad_groups):
        page_id(spec)  # a campaign and ad sets without their ads are not left behind for a missing Page
    if resume:
        adopt_existing(await list_entities(credentials, account), spec, already)
    act = _act(account)

    async def create(edge: str, form: Mapping[str, str]) -> str:
        data = await graph.post(
            f"{act}/{edge}",
            token=credentials.access_token,
            data=form,
            account_id=account.account_id,
            retry_unavailable=False,
        )
        try:
            return _Created.model_validate(data).id
        except ValidationError as exc:
            raise PlatformUnavailable(f"Meta's answer to POST /{edge} has no id") from exc

    campaign = already.campaign
    if campaign is None:
        campaign = await create("campaigns", campaign_form(spec))
        already.record(CAMPAIGN_KEY, campaign)
    for group in spec.ad_groups:
        ad_set = already.get(group.key)
        if ad_set is None:
            ad_set = await create("adsets", ad_set_form(spec, group, campaign))
            already.record(group.key, ad_set)
        for ad in group.ads:
            if already.get(ad.key) is None:
                already.record(ad.key, await create("ads", ad_form(spec, ad, ad_set)))
    return already
