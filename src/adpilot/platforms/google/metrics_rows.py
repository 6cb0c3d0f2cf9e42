"""Google Ads report rows as the metrics store takes them: a day's figures of one campaign, ad group or ad
(``segments.date``), and a campaign's hour (``segments.hour``)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from adpilot.platforms.errors import PlatformUnavailable
from adpilot.platforms.google.entities import ad_ids, id_from, last_id
from adpilot.platforms.google.payloads import GoogleAdsRow
from adpilot.platforms.types import DailyMetricsRow, EntityLevel, HourlyMetricsRow, to_micros


def metrics_row(row: GoogleAdsRow, level: EntityLevel, currency: str) -> DailyMetricsRow | None:
    if row.segments is None or row.segments.day is None:
        return None
    campaign_id = id_from(row.campaign.id, row.campaign.resource_name) if row.campaign is not None else ""
    parent_id: str | None
    if level is EntityLevel.campaign:
        if row.campaign is None:
            return None
        entity_id, parent_id, name = campaign_id, None, row.campaign.name
    elif level is EntityLevel.ad_group:
        if row.ad_group is None:
            return None
        entity_id = id_from(row.ad_group.id, row.ad_group.resource_name)
        campaign_id = campaign_id or last_id(row.ad_group.campaign)
        parent_id, name = campaign_id or None, row.ad_group.name
    else:
        if row.ad_group_ad is None:
            return None
        entity_id, ad_group_id, campaign_id = ad_ids(row)
        ad = row.ad_group_ad.ad
        parent_id, name = ad_group_id or None, ad.name if ad is not None else None
    metrics = row.metrics
    return DailyMetricsRow(
        level=level,
        entity_platform_id=entity_id,
        day=row.segments.day,
        impressions=metrics.impressions if metrics else 0,
        clicks=metrics.clicks if metrics else 0,
        spend_micros=metrics.cost_micros if metrics else 0,
        conversions=metrics.conversions if metrics else Decimal(0),
        conversion_value_micros=to_micros(metrics.conversions_value) if metrics else 0,
        currency=currency,
        campaign_platform_id=campaign_id or None,
        parent_platform_id=parent_id,
        # Many ad types have no name of their own (a responsive search ad shows its headlines instead).
        entity_name=name or None,
    )


def hourly_row(row: GoogleAdsRow, day: date, currency: str) -> HourlyMetricsRow | None:
    segments = row.segments
    if row.campaign is None or segments is None or segments.hour is None:
        return None
    if not 0 <= segments.hour <= 23:
        raise PlatformUnavailable(f"Google Ads sent an hour out of range: {segments.hour}")
    metrics = row.metrics
    return HourlyMetricsRow(
        campaign_platform_id=id_from(row.campaign.id, row.campaign.resource_name),
        day=segments.day or day,
        hour=segments.hour,
        impressions=metrics.impressions if metrics else 0,
        clicks=metrics.clicks if metrics else 0,
        spend_micros=metrics.cost_micros if metrics else 0,
        conversions=metrics.conversions if metrics else Decimal(0),
        conversion_value_micros=to_micros(metrics.conversions_value) if metrics else 0,
        currency=currency,
    )
