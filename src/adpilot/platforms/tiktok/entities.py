"""TikTok's campaigns, ad groups and ads as adpilot's entities: the vendor JSON parsed into its models, and the
status, budgets, bid and schedule read off them (for the listing, the single and the batched reads)."""

from __future__ import annotations

from datetime import date
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from adpilot.platforms.errors import PlatformUnavailable
from adpilot.platforms.tiktok.payloads import Ad, AdGroup, Campaign
from adpilot.platforms.types import EntityLevel, EntityStatus, Money, RemoteEntity, to_micros

DAILY_BUDGET_MODES = frozenset({"BUDGET_MODE_DAY", "BUDGET_MODE_DYNAMIC_DAILY_BUDGET"})
LIFETIME_BUDGET_MODES = frozenset({"BUDGET_MODE_TOTAL"})

_Model = TypeVar("_Model", bound=BaseModel)


def parse(model: type[_Model], value: Any, what: str) -> _Model:
    """Vendor JSON into its model; a shape we cannot read is the platform's fault, reported without the payload."""
    try:
        return model.model_validate(value)
    except ValidationError as exc:
        fields = sorted({".".join(str(part) for part in error["loc"]) for error in exc.errors()})
        raise PlatformUnavailable(f"TikTok sent {what} in an unexpected shape (fields: {', '.join(fields)})") from None


def status_of(item: Campaign | AdGroup | Ad) -> EntityStatus:
    """The status a person set: deleted wins, then the on/off switch (``operation_status``), then the secondary
    status for payloads without a switch (older captures)."""
    operation = (item.operation_status or "").upper()
    secondary = (item.secondary_status or "").upper()
    primary = (item.primary_status or "").upper()
    if operation == "DELETE" or secondary.endswith("_DELETE") or primary == "STATUS_DELETE":
        return EntityStatus.removed
    if operation == "ENABLE":
        return EntityStatus.active
    if operation in ("DISABLE", "FROZEN"):
        return EntityStatus.paused
    if secondary.endswith("_DISABLE") or primary == "STATUS_DISABLE":
        return EntityStatus.paused
    return EntityStatus.active


def entity_of(
    item: Campaign | AdGroup | Ad,
    level: EntityLevel,
    platform_id: str,
    name: str,
    parent_id: str | None,
    objective: str | None,
    currency: str,
) -> RemoteEntity:
    daily: Money | None = None
    lifetime: Money | None = None
    if isinstance(item, Campaign | AdGroup) and item.budget is not None and item.budget > 0:
        mode = (item.budget_mode or "").upper()
        if mode in DAILY_BUDGET_MODES:
            daily = Money(to_micros(item.budget), currency)
        elif mode in LIFETIME_BUDGET_MODES:
            lifetime = Money(to_micros(item.budget), currency)
    return RemoteEntity(
        level=level,
        platform_id=platform_id,
        name=name,
        status=status_of(item),
        platform_status=item.secondary_status or item.primary_status or item.operation_status or "",
        campaign_platform_id=item.campaign_id,
        parent_platform_id=parent_id,
        objective=objective,
        daily_budget=daily,
        lifetime_budget=lifetime,
        **(_ad_group_settings(item, currency) if isinstance(item, AdGroup) else {}),
        raw=item.model_dump(mode="json"),
    )


def _ad_group_settings(group: AdGroup, currency: str) -> dict[str, Any]:
    """An ad group's bidding and schedule as ``RemoteEntity`` fields."""
    price = getattr(group, group.bid_field)
    scheduled = (group.schedule_type or "").upper() == "SCHEDULE_START_END"
    return {
        "bid_strategy": group.bid_type,
        "bid": Money(to_micros(price), currency) if price is not None and price > 0 else None,
        "start_date": _day(group.schedule_start_time),
        "end_date": _day(group.schedule_end_time) if scheduled else None,
    }


def _day(moment: str | None) -> date | None:
    """The day of TikTok's ``"YYYY-MM-DD HH:MM:SS"`` (already in the advertiser's time zone)."""
    try:
        return date.fromisoformat(moment[:10]) if moment else None
    except ValueError:
        return None


def entity_of_item(item: dict[str, Any], level: EntityLevel, platform_id: str, currency: str) -> RemoteEntity:
    """One item of ``{level}/get/`` as the entity it is."""
    if level is EntityLevel.campaign:
        campaign = parse(Campaign, item, "a campaign")
        name, parent, objective = campaign.campaign_name, None, campaign.objective_type
        parsed: Campaign | AdGroup | Ad = campaign
    elif level is EntityLevel.ad_group:
        parsed = group = parse(AdGroup, item, "an ad group")
        name, parent, objective = group.adgroup_name, group.campaign_id, None
    else:
        parsed = ad = parse(Ad, item, "an ad")
        name, parent, objective = ad.ad_name, ad.adgroup_id, None
    return entity_of(parsed, level, platform_id, name, parent, objective, currency)
