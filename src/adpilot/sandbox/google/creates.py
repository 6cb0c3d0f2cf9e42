"""``create`` operations of the Google Ads emulator: campaign budgets, campaigns, ad groups and ads (ad group ads).

What Google requires is checked, with its error codes: a budget's amount (at least the currency's minimum unit, a
multiple of it) and, since the sandbox gives each campaign a budget of its own, ``explicitlyShared: false``; a
campaign's name (unique in the account), ``advertisingChannelType``, ``containsEuPoliticalAdvertising`` (mandatory
since 2025-09-03), one bidding strategy and a budget not used by another campaign; an ad group's name (unique in its
campaign) and campaign; an ad group ad's ad group and ad, of one ad type (a responsive search ad with 3 to 15
headlines and 2 to 4 descriptions). A field at its default (``"UNSPECIFIED"``) is a field not set, and ids are
assigned by Google: a create naming a positive id is refused; a negative one is a temporary id, which later
operations of a ``googleAds:mutate`` may use (:class:`.writes.Pending`). A new entity delivers from the moment it is
created, within the simulation's pacing.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from adpilot.platforms.types import EntityLevel, EntityStatus, Platform
from adpilot.sandbox.google.enums import (
    AD_GROUP_TYPE,
    ADVERTISING_CHANNEL_TYPE,
    BUDGET_DELIVERY_METHOD,
    EU_POLITICAL_ADVERTISING,
    enum_name,
)
from adpilot.sandbox.google.errors import AdsError, GoogleApiError, invalid_json
from adpilot.sandbox.google.fields import BIDDING_FIELDS, OBJECTIVE_BY_CHANNEL, channel_of
from adpilot.sandbox.google.resources import AD, BY_SERVICE
from adpilot.sandbox.google.writes import (
    Change,
    MutateContext,
    Pending,
    Reference,
    check_budget_amount,
    check_campaign_name,
    check_fields,
    find_entity,
    int64_value,
    is_unset,
    parse_name,
    status_value,
)

_AD_GROUP_TYPE_BY_CHANNEL = {
    "SEARCH": "SEARCH_STANDARD",
    "DISPLAY": "DISPLAY_STANDARD",
    "SHOPPING": "SHOPPING_PRODUCT_ADS",
    "VIDEO": "VIDEO_RESPONSIVE",
}
# The ad_data oneof of an Ad (JSON name → ad type); the deprecated ones cannot be created any more.
AD_TYPES = {
    "responsiveSearchAd": "RESPONSIVE_SEARCH_AD",
    "responsiveDisplayAd": "RESPONSIVE_DISPLAY_AD",
    "videoResponsiveAd": "VIDEO_RESPONSIVE_AD",
    "videoAd": "VIDEO_AD",
    "imageAd": "IMAGE_AD",
    "appAd": "APP_AD",
    "demandGenMultiAssetAd": "DEMAND_GEN_MULTI_ASSET_AD",
    "demandGenVideoResponsiveAd": "DEMAND_GEN_VIDEO_RESPONSIVE_AD",
    "shoppingProductAd": "SHOPPING_PRODUCT_AD",
    "callAd": "CALL_AD",
}
_DEPRECATED_AD_TYPES = frozenset({"textAd", "expandedTextAd", "expandedDynamicSearchAd", "legacyResponsiveDisplayAd"})
_HEADLINES = (3, 15)
_DESCRIPTIONS = (2, 4)


def create(ctx: MutateContext, operation: Mapping[str, Any]) -> Change:
    resource = operation.get("create")
    if not isinstance(resource, dict):
        raise invalid_json(f"Invalid value at '{ctx.where}.create': expected an object.")
    check_fields(ctx, resource, BY_SERVICE[ctx.service], "create")
    temp = _temporary_name(ctx, resource.get("resourceName"))
    planner = {
        "campaignBudgets": _create_budget,
        "campaigns": _create_campaign,
        "adGroups": _create_ad_group,
        "adGroupAds": _create_ad,
    }[ctx.service]
    try:
        change, pending = planner(ctx, resource)
    except GoogleApiError:
        if temp is not None:
            ctx.plan.failed_temps.add(temp)
        raise
    if temp is not None:
        ctx.plan.temps[temp] = pending
    return change


def _temporary_name(ctx: MutateContext, name: Any) -> str | None:
    """The temporary resource name a create gives its resource (``…/-1``), if any; a real id cannot be chosen."""
    if is_unset(name):
        return None
    match = re.fullmatch(rf"customers/(\d+)/{re.escape(ctx.service)}/(-?\d+)", name) if isinstance(name, str) else None
    if match is None or match.group(1) != ctx.account.account_id:
        raise ctx.fail("requestError", "RESOURCE_NAME_MALFORMED", f"Malformed resource name: {name!r}.",
                       ("create", None), ("resource_name", None))  # fmt: skip
    if not match.group(2).startswith("-"):
        raise ctx.fail("newResourceCreationError", "CANNOT_SET_ID_FOR_CREATE",
                       "Do not set the id field while creating new resources.", ("create", None),
                       ("resource_name", None))  # fmt: skip
    if name in ctx.plan.temps or name in ctx.plan.failed_temps:
        raise ctx.fail("newResourceCreationError", "DUPLICATE_TEMP_IDS",
                       "Creating more than one resource with the same temp ID is not allowed.", ("create", None),
                       ("resource_name", None))  # fmt: skip
    return str(name)


def _required(ctx: MutateContext, path: str) -> AdsError:
    return ctx.error("fieldError", "REQUIRED", "The required field was not present.", ("create", None), (path, None))


def _create_budget(ctx: MutateContext, resource: Mapping[str, Any]) -> tuple[Change, Pending]:
    if resource.get("amountMicros") is None:
        raise GoogleApiError(400, [_required(ctx, "amount_micros")])
    amount = int64_value(ctx, resource["amountMicros"], "amount_micros", "create")
    check_budget_amount(ctx, amount, "create")
    # Google's default is a shared budget; the sandbox gives each campaign its own, so it must be asked for.
    if resource.get("explicitlyShared", True) is not False:
        raise ctx.fail("mutateError", "MUTATE_NOT_ALLOWED",
                       "The sandbox emulates non-shared campaign budgets only: set explicitlyShared to false.",
                       ("create", None), ("explicitly_shared", None))  # fmt: skip
    delivery = enum_name(resource.get("deliveryMethod"), BUDGET_DELIVERY_METHOD, f"{ctx.where}.create.delivery_method",
                         "BudgetDeliveryMethod") or "STANDARD"  # fmt: skip
    new_id = ctx.budgets.new_id()
    name = resource.get("name")
    budget = {"name": str(name) if name else f"Budget {new_id}", "amount_micros": amount, "delivery_method": delivery}
    ctx.plan.new_budgets[new_id] = budget
    resource_name = f"customers/{ctx.account.account_id}/campaignBudgets/{new_id}"
    pending = Pending("campaignBudgets", real_id=new_id)

    def apply_budget() -> str:
        ctx.budgets.pending[new_id] = budget
        return resource_name

    return Change(resource_name, apply_budget), pending


def _create_campaign(ctx: MutateContext, resource: Mapping[str, Any]) -> tuple[Change, Pending]:
    cid = ctx.account.account_id
    errors: list[AdsError] = []
    name = resource.get("name")
    if is_unset(name):
        errors.append(_required(ctx, "name"))
    channel = enum_name(resource.get("advertisingChannelType"), ADVERTISING_CHANNEL_TYPE,
                        f"{ctx.where}.create.advertising_channel_type", "AdvertisingChannelType")  # fmt: skip
    if channel is None:
        errors.append(_required(ctx, "advertising_channel_type"))
    eu_political = enum_name(
        resource.get("containsEuPoliticalAdvertising"),
        EU_POLITICAL_ADVERTISING,
        f"{ctx.where}.create.contains_eu_political_advertising",
        "EuPoliticalAdvertisingStatus",
    )
    if eu_political is None:
        errors.append(_required(ctx, "contains_eu_political_advertising"))
    bidding = [key for key in BIDDING_FIELDS if key in resource and resource[key] is not None]
    if not bidding:
        errors.append(_required(ctx, "campaign_bidding_strategy"))
    elif len(bidding) > 1:
        raise invalid_json(
            f"Invalid JSON payload received. Oneof field 'campaign_bidding_strategy' is already set. "
            f"Cannot set '{bidding[1]}'"
        )
    budget_id = _campaign_budget(ctx, resource.get("campaignBudget"), errors)
    try:
        status = status_value(ctx, resource.get("status"), "create", default="ENABLED")
    except GoogleApiError as exc:
        if not exc.errors:
            raise
        errors += exc.errors
        status = EntityStatus.paused
    if errors:
        raise GoogleApiError(400, errors)
    assert budget_id is not None and isinstance(name, str) and channel is not None  # noqa: S101 - checked above
    chosen_budget: str = budget_id
    campaign_name: str = name
    check_campaign_name(ctx, campaign_name, None, "create")
    objective = OBJECTIVE_BY_CHANNEL.get(channel, "traffic")
    pending = Pending("campaigns", objective=objective, channel=channel)

    def apply_campaign() -> str:
        budget = ctx.budgets.pending[chosen_budget]
        attributes = {
            "advertising_channel_type": channel,
            "bidding_strategy_type": BIDDING_FIELDS[bidding[0]],
            "contains_eu_political_advertising": eu_political,
            "budget_name": budget["name"],
            "budget_delivery_method": budget["delivery_method"],
        }
        entity = ctx.state.world.create_entity(
            Platform.google, cid, EntityLevel.campaign, name=campaign_name, parent_id=None, status=status,
            objective=objective, daily_budget_micros=int(budget["amount_micros"]), attributes=attributes,
        )  # fmt: skip
        ctx.budgets.pending.pop(chosen_budget, None)
        ctx.budgets.by_campaign[entity.id] = chosen_budget
        pending.real_id = entity.id
        return f"customers/{cid}/campaigns/{entity.id}"

    return Change(f"customers/{cid}/campaigns/(new)", apply_campaign), pending


def _campaign_budget(ctx: MutateContext, name: Any, errors: list[AdsError]) -> str | None:
    """The id of the budget a new campaign names, if it may use it; else the reason joins ``errors``."""
    path = (("create", None), ("campaign_budget", None))
    if is_unset(name):
        errors.append(_required(ctx, "campaign_budget"))
        return None
    try:
        reference = parse_name(ctx, name, "campaignBudgets", *path)
    except GoogleApiError as exc:
        errors += exc.errors
        return None
    budget_id = reference.resolved() if isinstance(reference, Pending) else reference
    free = budget_id in ctx.budgets.pending or budget_id in ctx.plan.new_budgets
    if free and budget_id not in ctx.plan.claimed_budgets:
        ctx.plan.claimed_budgets.add(budget_id)  # one campaign per budget, also within a request
        return budget_id
    if budget_id in ctx.plan.claimed_budgets or ctx.budgets.campaign_of(budget_id):
        errors.append(
            ctx.error("campaignBudgetError", "CANNOT_USE_IMPLICITLY_SHARED_CAMPAIGN_BUDGET_WITH_MULTIPLE_CAMPAIGNS",
                      "The campaign budget is not shared and is used by another campaign.", *path)
        )  # fmt: skip
    else:
        errors.append(ctx.error("mutateError", "RESOURCE_NOT_FOUND", "The campaign budget was not found.", *path))
    return None


def _parent(ctx: MutateContext, name: Any, service: str, path: str) -> tuple[Reference, str, str]:
    """The parent a new ad group (its campaign) or ad (its ad group) names: a reference, its objective and channel."""
    where = (("create", None), (path, None))
    if is_unset(name):
        raise GoogleApiError(400, [_required(ctx, path)])
    reference = parse_name(ctx, name, service, *where)
    if isinstance(reference, Pending):
        if reference.service != service:
            raise ctx.fail("mutateError", "RESOURCE_NOT_FOUND", "Resource was not found.", *where)
        return reference, reference.objective, reference.channel
    parent = find_entity(ctx, reference, service, *where)
    campaign = ctx.state.world.entity(Platform.google, parent.campaign_id)
    assert campaign is not None  # noqa: S101 - every entity has its campaign
    if EntityStatus.removed in (parent.status, campaign.status):
        raise ctx.fail("operationAccessDeniedError", "OPERATION_NOT_PERMITTED_FOR_REMOVED_RESOURCE",
                       "Operation is not permitted on a removed resource.", *where)  # fmt: skip
    return parent.id, parent.objective, channel_of(campaign)


def _create_ad_group(ctx: MutateContext, resource: Mapping[str, Any]) -> tuple[Change, Pending]:
    cid = ctx.account.account_id
    name = resource.get("name")
    if is_unset(name):
        raise GoogleApiError(400, [_required(ctx, "name")])
    campaign, objective, channel = _parent(ctx, resource.get("campaign"), "campaigns", "campaign")
    if isinstance(campaign, str):
        siblings = ctx.state.world.children(Platform.google, campaign, include_removed=False)
        if any(s.name == name for s in siblings):
            raise ctx.fail("adGroupError", "DUPLICATE_ADGROUP_NAME", "AdGroup with the same name already exists.",
                           ("create", None), ("name", None))  # fmt: skip
    kind = enum_name(resource.get("type"), AD_GROUP_TYPE, f"{ctx.where}.create.type", "AdGroupType")
    status = status_value(ctx, resource.get("status"), "create", default="ENABLED")
    attributes: dict[str, Any] = {"type": kind or _AD_GROUP_TYPE_BY_CHANNEL.get(channel, "SEARCH_STANDARD")}
    if not is_unset(resource.get("cpcBidMicros")):
        attributes["cpc_bid_micros"] = int64_value(ctx, resource["cpcBidMicros"], "cpc_bid_micros", "create")
    pending = Pending("adGroups", objective=objective, channel=channel)

    def apply_ad_group() -> str:
        parent = campaign.resolved() if isinstance(campaign, Pending) else campaign
        entity = ctx.state.world.create_entity(
            Platform.google, cid, EntityLevel.ad_group, name=str(name), parent_id=parent, status=status,
            objective=objective, attributes=attributes,
        )  # fmt: skip
        pending.real_id = entity.id
        return f"customers/{cid}/adGroups/{entity.id}"

    return Change(f"customers/{cid}/adGroups/(new)", apply_ad_group), pending


def _create_ad(ctx: MutateContext, resource: Mapping[str, Any]) -> tuple[Change, Pending]:
    cid = ctx.account.account_id
    ad_group, objective, channel = _parent(ctx, resource.get("adGroup"), "adGroups", "ad_group")
    ad = resource.get("ad")
    if not isinstance(ad, dict) or not ad:
        raise GoogleApiError(400, [_required(ctx, "ad")])
    check_fields(ctx, ad, AD, "create.ad")
    deprecated = [key for key in _DEPRECATED_AD_TYPES if key in ad]
    if deprecated:
        raise ctx.fail("adGroupAdError", "CANNOT_CREATE_DEPRECATED_ADS", "Deprecated ads cannot be created.",
                       ("create", None), ("ad", None), (_snake_key(deprecated[0]), None))  # fmt: skip
    kinds = [key for key in AD_TYPES if key in ad and ad[key] is not None]
    if not kinds:
        raise ctx.fail("fieldError", "REQUIRED", "The required field was not present.", ("create", None),
                       ("ad", None), ("ad_data", None))  # fmt: skip
    if len(kinds) > 1:
        raise invalid_json(
            f"Invalid JSON payload received. Oneof field 'ad_data' is already set. Cannot set '{kinds[1]}'"
        )
    headline = _check_ad_data(ctx, kinds[0], ad[kinds[0]])
    status = status_value(ctx, resource.get("status"), "create", default="ENABLED")
    given = ad.get("name")
    attributes: dict[str, Any] = {"type": AD_TYPES[kinds[0]]}
    final_urls = ad.get("finalUrls")
    if not is_unset(final_urls):
        if not isinstance(final_urls, list) or not all(isinstance(url, str) for url in final_urls):
            raise invalid_json(f"Invalid value at '{ctx.where}.create.ad.final_urls': expected a list of strings.")
        attributes["final_urls"] = list(final_urls)
    pending = Pending("adGroupAds", objective=objective, channel=channel)

    def apply_ad() -> str:
        parent = ad_group.resolved() if isinstance(ad_group, Pending) else ad_group
        entity = ctx.state.world.create_entity(
            Platform.google, cid, EntityLevel.ad, name=str(given or headline or AD_TYPES[kinds[0]].title()),
            parent_id=parent, status=status, objective=objective, attributes=attributes,
        )  # fmt: skip
        pending.real_id = f"{parent}~{entity.id}"
        return f"customers/{cid}/adGroupAds/{parent}~{entity.id}"

    return Change(f"customers/{cid}/adGroupAds/(new)", apply_ad), pending


def _snake_key(name: str) -> str:
    return re.sub(r"(?<!^)([A-Z])", r"_\1", name).lower()


def _check_ad_data(ctx: MutateContext, kind: str, data: Any) -> str | None:
    """Check a responsive search ad's assets (other ad types are taken as they come); its first headline."""
    if kind != "responsiveSearchAd":
        return None
    data = data if isinstance(data, dict) else {}
    first: str | None = None
    for key, (low, high) in (("headlines", _HEADLINES), ("descriptions", _DESCRIPTIONS)):
        assets = data.get(key) or []
        if not isinstance(assets, list):
            raise invalid_json(f"Invalid value at '{ctx.where}.create.ad.responsive_search_ad.{key}': expected a list.")
        path = (("create", None), ("ad", None), ("responsive_search_ad", None), (key, None))
        if len(assets) < low:
            raise ctx.fail("collectionSizeError", "TOO_FEW", "Too few.", *path)
        if len(assets) > high:
            raise ctx.fail("collectionSizeError", "TOO_MANY", "Too many.", *path)
        if key == "headlines" and isinstance(assets[0], dict):
            first = str(assets[0].get("text") or "") or None
    return first
