"""Google Ads rows as the product's entities: ids from fields or resource names, statuses, budgets, bidding and
dates (GAQL rows of the entity queries in ``adapter``)."""

from __future__ import annotations

from datetime import date
from typing import Any

from adpilot.platforms.errors import PlatformRejected
from adpilot.platforms.google.payloads import GoogleAdsRow
from adpilot.platforms.types import EntityLevel, EntityStatus, Money, RemoteEntity

STATUS_FROM_GOOGLE = {"ENABLED": EntityStatus.active, "PAUSED": EntityStatus.paused, "REMOVED": EntityStatus.removed}

# Google campaigns have no objective field; the channel type is the nearest thing to one. The raw type stays in
# ``raw`` for anyone who needs the precise word.
OBJECTIVE_BY_CHANNEL = {
    "SEARCH": "traffic",
    "DISPLAY": "awareness",
    "SHOPPING": "sales",
    "PERFORMANCE_MAX": "sales",
    "HOTEL": "sales",
    "TRAVEL": "sales",
    "VIDEO": "video_views",
    "MULTI_CHANNEL": "app_installs",
    "DEMAND_GEN": "traffic",
    "DISCOVERY": "traffic",
    "LOCAL": "traffic",
    "SMART": "traffic",
    "LOCAL_SERVICES": "leads",
}


def last_id(resource_name: str | None) -> str:
    """``customers/1/campaigns/42`` → ``42``; ``customers/1/adGroupAds/7~42`` → ``42`` (the ad)."""
    if not resource_name:
        return ""
    return resource_name.rsplit("/", 1)[-1].rsplit("~", 1)[-1]


def numeric_id(value: str) -> str:
    # Ids go into GAQL and resource names: only digits may pass.
    if not value.isdigit():
        raise PlatformRejected(f"not a Google Ads id: {value!r}", field_errors={"platform_id": value})
    return value


def id_from(value: int | None, resource_name: str | None) -> str:
    return str(value) if value is not None else last_id(resource_name)


def status(word: str | None, *parent_words: str | None) -> EntityStatus:
    """An entity's status; removed when it or a parent (``parent_words``) is removed. UNKNOWN/UNSPECIFIED are not
    serving: paused is the honest reading; the raw word stays in platform_status."""
    if "REMOVED" in parent_words:
        return EntityStatus.removed
    return STATUS_FROM_GOOGLE.get(word or "", EntityStatus.paused)


def raw(row: GoogleAdsRow) -> dict[str, Any]:
    raw: dict[str, Any] = row.model_dump(mode="json", by_alias=True, exclude_none=True, exclude={"metrics", "segments"})
    return raw


def campaign_entity(row: GoogleAdsRow, currency: str) -> RemoteEntity:
    assert row.campaign is not None  # noqa: S101 (filtered by the caller)
    campaign, budget = row.campaign, row.campaign_budget
    campaign_id = id_from(campaign.id, campaign.resource_name)
    daily = budget.amount_micros if budget is not None else None
    lifetime = budget.total_amount_micros if budget is not None else None
    target_cpa = campaign.target_cpa.target_cpa_micros if campaign.target_cpa else None
    return RemoteEntity(
        level=EntityLevel.campaign,
        platform_id=campaign_id,
        name=campaign.name or campaign_id,
        status=status(campaign.status),
        platform_status=campaign.status or "",
        campaign_platform_id=campaign_id,
        parent_platform_id=None,
        objective=OBJECTIVE_BY_CHANNEL.get(campaign.advertising_channel_type or ""),
        daily_budget=Money(daily, currency) if daily is not None else None,
        lifetime_budget=Money(lifetime, currency) if lifetime is not None else None,
        bid_strategy=campaign.bidding_strategy_type,
        bid=Money(target_cpa, currency) if target_cpa else None,
        target_roas=campaign.target_roas.target_roas if campaign.target_roas else None,
        start_date=day(campaign.start_date_time),
        end_date=day(campaign.end_date_time),
        raw=raw(row),
    )


def day(moment: str | None) -> date | None:
    """The day of "YYYY-MM-DD HH:MM:SS" (or "YYYYMMDD"), in the account's time zone as Google gives it."""
    text = (moment or "")[:10]
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


def ad_group_entity(row: GoogleAdsRow, currency: str) -> RemoteEntity:
    assert row.ad_group is not None  # noqa: S101 (filtered by the caller)
    ad_group = row.ad_group
    ad_group_id = id_from(ad_group.id, ad_group.resource_name)
    campaign_id = id_from(row.campaign.id, row.campaign.resource_name) if row.campaign else last_id(ad_group.campaign)
    return RemoteEntity(
        level=EntityLevel.ad_group,
        platform_id=ad_group_id,
        name=ad_group.name or ad_group_id,
        status=status(ad_group.status, row.campaign.status if row.campaign else None),
        platform_status=ad_group.status or "",
        campaign_platform_id=campaign_id,
        parent_platform_id=campaign_id,
        bid_strategy=row.campaign.bidding_strategy_type if row.campaign else None,
        bid=Money(ad_group.cpc_bid_micros, currency) if ad_group.cpc_bid_micros else None,
        raw=raw(row),
    )


def ad_ids(row: GoogleAdsRow) -> tuple[str, str, str]:
    """(ad id, ad group id, campaign id) of an ``ad_group_ad`` row, from its fields or its resource names."""
    assert row.ad_group_ad is not None  # noqa: S101 (filtered by the caller)
    link = row.ad_group_ad
    # customers/{cid}/adGroupAds/{ad_group_id}~{ad_id}
    link_ids = last_segment(link.resource_name).split("~")
    ad_id = id_from(link.ad.id if link.ad else None, link.resource_name)
    if row.ad_group is not None:
        ad_group_id = id_from(row.ad_group.id, row.ad_group.resource_name)
    else:
        ad_group_id = last_id(link.ad_group) or (link_ids[0] if len(link_ids) == 2 else "")
    campaign_id = id_from(row.campaign.id, row.campaign.resource_name) if row.campaign is not None else ""
    return ad_id, ad_group_id, campaign_id


def last_segment(resource_name: str | None) -> str:
    return resource_name.rsplit("/", 1)[-1] if resource_name else ""


def ad_entity(row: GoogleAdsRow) -> RemoteEntity:
    assert row.ad_group_ad is not None  # noqa: S101 (filtered by the caller)
    ad_id, ad_group_id, campaign_id = ad_ids(row)
    ad = row.ad_group_ad.ad
    return RemoteEntity(
        level=EntityLevel.ad,
        platform_id=ad_id,
        name=(ad.name if ad is not None and ad.name else None) or f"Ad {ad_id}",
        status=status(
            row.ad_group_ad.status,
            row.ad_group.status if row.ad_group else None,
            row.campaign.status if row.campaign else None,
        ),
        platform_status=row.ad_group_ad.status or "",
        campaign_platform_id=campaign_id,
        parent_platform_id=ad_group_id or None,
        raw=raw(row),
    )
