"""Publishing a campaign to Google Ads: one atomic ``googleAds:mutate`` with temporary (negative) resource ids.

The budget (-1), the campaign (-2), then each ad group and its responsive search ads, in one request: Google applies
all of it or nothing, so there is never a half-published campaign to continue. A campaign name is unique in an
account: when Google refuses the create with ``DUPLICATE_CAMPAIGN_NAME``, or when an earlier attempt may have been
applied without its answer arriving, the account is read and the campaign (with its ad groups and ads) found by name
is adopted instead of created again.
"""

from __future__ import annotations

from typing import Any

from adpilot.platforms.errors import PlatformRejected
from adpilot.platforms.google.client import GoogleAdsClient, customer_id
from adpilot.platforms.publishing import ListEntities, adopt_existing, is_complete
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

_STATUS = {EntityStatus.active: "ENABLED", EntityStatus.paused: "PAUSED"}
_EU_POLITICAL = "DOES_NOT_CONTAIN_EU_POLITICAL_ADVERTISING"


def _bidding(spec: CampaignSpec) -> dict[str, Any]:
    """The campaign's bidding strategy oneof (Google requires exactly one)."""
    if spec.bid_strategy == "target_cpa":
        return {"maximizeConversions": {"targetCpaMicros": str(spec.bid_micros)} if spec.bid_micros else {}}
    if spec.bid_strategy == "target_roas":
        return {"maximizeConversionValue": {"targetRoas": spec.target_roas} if spec.target_roas else {}}
    if spec.bid_strategy in ("manual_cpc", "bid_cap"):
        return {"manualCpc": {}}
    return {"targetSpend": {}}


def operations(cid: str, spec: CampaignSpec) -> list[dict[str, Any]]:
    """The ``mutateOperations`` creating the whole spec, temporary ids from -1 down."""
    if spec.daily_budget is None:
        raise PlatformRejected(
            "Google Ads campaigns need a daily campaign budget", field_errors={"budget": "a daily campaign budget"}
        )
    status = _STATUS.get(spec.status, "PAUSED")
    options = spec.options
    channel = str(options.get("advertising_channel_type") or "SEARCH")
    budget, campaign = f"customers/{cid}/campaignBudgets/-1", f"customers/{cid}/campaigns/-2"
    campaign_body: dict[str, Any] = {
        "resourceName": campaign,
        "name": spec.name,
        "status": status,
        "advertisingChannelType": channel,
        "campaignBudget": budget,
        "containsEuPoliticalAdvertising": _EU_POLITICAL,
        **_bidding(spec),
    }
    if channel == "SEARCH":
        campaign_body["networkSettings"] = {
            "targetGoogleSearch": True,
            "targetSearchNetwork": True,
            "targetContentNetwork": False,
            "targetPartnerSearchNetwork": False,
        }
    ops: list[dict[str, Any]] = [
        {
            "campaignBudgetOperation": {
                "create": {
                    "resourceName": budget,
                    "name": f"{spec.name} budget",
                    "amountMicros": str(spec.daily_budget.amount_micros),
                    "deliveryMethod": "STANDARD",
                    "explicitlyShared": False,
                }
            }
        },
        {"campaignOperation": {"create": campaign_body}},
    ]
    temp = -3
    for group in spec.ad_groups:
        group_name = f"customers/{cid}/adGroups/{temp}"
        temp -= 1
        ops.append({"adGroupOperation": {"create": _ad_group(group, group_name, campaign, status)}})
        for ad in group.ads:
            ops.append({"adGroupAdOperation": {"create": _ad(ad, group_name, status, options)}})
    return ops


def _ad_group(group: AdGroupSpec, resource_name: str, campaign: str, status: str) -> dict[str, Any]:
    body: dict[str, Any] = {"resourceName": resource_name, "name": group.name, "campaign": campaign, "status": status}
    if group.bid_micros:
        body["cpcBidMicros"] = str(group.bid_micros)
    return body


def _ad(ad: AdSpec, ad_group: str, status: str, options: Any) -> dict[str, Any]:
    search_ad: dict[str, Any] = {
        "headlines": [{"text": text} for text in ad.headlines],
        "descriptions": [{"text": text} for text in ad.descriptions],
    }
    paths = [options.get("path1"), options.get("path2")] if options.get("path1") else list(ad.display_path)
    for index, path in enumerate(paths[:2], start=1):
        if path:
            search_ad[f"path{index}"] = path
    body: dict[str, Any] = {"name": ad.name, "responsiveSearchAd": search_ad}
    if ad.final_url:
        body["finalUrls"] = [ad.final_url]
    return {"adGroup": ad_group, "status": status, "ad": body}


def record_results(spec: CampaignSpec, names: list[str], already: PublishedIds) -> None:
    """Each created resource's id, in the order of ``operations`` (the budget first, then the campaign…)."""
    keys = [CAMPAIGN_KEY]
    for group in spec.ad_groups:
        keys.append(group.key)
        keys.extend(ad.key for ad in group.ads)
    for key, name in zip(keys, names[1:], strict=False):
        # adGroupAds are "{ad_group_id}~{ad_id}"; adpilot names an ad by its ad id, as Google's interface does.
        already.record(key, name.rsplit("/", 1)[-1].rsplit("~", 1)[-1])


async def publish(
    client: GoogleAdsClient,
    list_entities: ListEntities,
    credentials: Credentials,
    account: AdAccountRef,
    spec: CampaignSpec,
    already: PublishedIds,
    *,
    resume: bool,
) -> PublishedIds:
    if resume or already.ids:
        found = await _adopt(list_entities, credentials, account, spec, already)
        if found is not None:
            return found
    cid = customer_id(account.account_id)
    try:
        names = await client.google_ads_mutate(credentials.access_token, account, operations(cid, spec))
    except PlatformRejected as error:
        if error.platform_code != "DUPLICATE_CAMPAIGN_NAME":
            raise
        # Applied by an attempt whose answer was lost, or a campaign of that name made elsewhere: adopted only when
        # it has every ad group and ad of the spec.
        found = await _adopt(list_entities, credentials, account, spec, already)
        if found is None:
            raise
        return found
    record_results(spec, names, already)
    return already


async def _adopt(
    list_entities: ListEntities,
    credentials: Credentials,
    account: AdAccountRef,
    spec: CampaignSpec,
    already: PublishedIds,
) -> PublishedIds | None:
    """``already`` completed with the account's campaign of that name, when it has every ad group and ad of the spec;
    None (``already`` untouched) otherwise: a partial match is someone else's campaign, never adopted."""
    candidate = PublishedIds(dict(already.ids))
    adopt_existing(await list_entities(credentials, account), spec, candidate)
    if not is_complete(spec, candidate):
        return None
    already.ids.update(candidate.ids)
    return already
