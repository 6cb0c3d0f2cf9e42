"""A draft document as the platform-neutral ``CampaignSpec`` one target publishes, final URLs tagged.

The final URL of every ad is rendered here, with the URL template in force and the platform's own macros, by the same
function the preview endpoint shows (``final_url``), so what is published is what was previewed.
"""

from __future__ import annotations

from uuid import UUID

from adpilot.drafts.schemas import BudgetLevel, BudgetType, DraftAd, DraftAdGroup, DraftDocument, Targeting
from adpilot.drafts.utm import tagged_url
from adpilot.drafts.validation import OBJECTIVE_BY_PLATFORM
from adpilot.platforms.types import (
    CAMPAIGN_KEY,
    AdGroupSpec,
    AdSpec,
    CampaignSpec,
    EntityLevel,
    EntityStatus,
    Money,
    Platform,
    TargetingSpec,
)


def ad_group_key(group_index: int) -> str:
    return f"g{group_index}"


def ad_key(group_index: int, ad_index: int) -> str:
    return f"g{group_index}.a{ad_index}"


def ad_name(ad_index: int, ad: DraftAd) -> str:
    """The name an ad is published under: its own, else the editor's label for it ("Ad 2" for the group's second ad).

    The editor leaves an ad's name optional, but Meta refuses an ad without one (``name`` is required), which failed
    the publication after its campaign and ad set had been created."""
    return ad.name if ad.name.strip() else f"Ad {ad_index + 1}"


def final_url(
    document: DraftDocument, draft_id: UUID, template: str, platform: Platform, group: DraftAdGroup, ad: DraftAd
) -> str | None:
    """An ad's final URL on ``platform``, with the template's parameters (None when the ad has no URL)."""
    if not ad.final_url:
        return None
    values = {
        "campaign": document.name,
        "ad_group": group.name,
        "ad": ad.name,
        "objective": document.objective.value,
        "draft_id": str(draft_id),
    }
    return tagged_url(ad.final_url, template, platform, values)


def entity_names(document: DraftDocument) -> dict[str, tuple[EntityLevel, str]]:
    """Every entity of the document by its key ("c", "g0", "g0.a1"): its level and name."""
    names: dict[str, tuple[EntityLevel, str]] = {CAMPAIGN_KEY: (EntityLevel.campaign, document.name)}
    for g, group in enumerate(document.ad_groups):
        names[ad_group_key(g)] = (EntityLevel.ad_group, group.name)
        for a, ad in enumerate(group.ads):
            names[ad_key(g, a)] = (EntityLevel.ad, ad_name(a, ad))
    return names


def _targeting(targeting: Targeting) -> TargetingSpec:
    return TargetingSpec(
        locations=tuple(targeting.locations),
        languages=tuple(targeting.languages),
        age_min=targeting.age_min,
        age_max=targeting.age_max,
        genders=tuple(gender.value for gender in targeting.genders),
        placements=tuple(targeting.placements),
    )


def campaign_spec(
    document: DraftDocument,
    *,
    draft_id: UUID,
    platform: Platform,
    currency: str,
    template: str,
    seed: str,
) -> CampaignSpec:
    """The campaign ``document`` describes, for one platform and an account in ``currency``."""
    budget = document.budget

    def money(amount: int) -> Money:
        return Money(amount, currency)

    campaign_level = budget.level is BudgetLevel.campaign
    groups: list[AdGroupSpec] = []
    for g, group in enumerate(document.ad_groups):
        group_budget = group.budget or budget
        daily = lifetime = None
        if not campaign_level and group_budget.amount_micros:
            if group_budget.type is BudgetType.daily:
                daily = money(group_budget.amount_micros)
            else:
                lifetime = money(group_budget.amount_micros)
        ads = tuple(
            AdSpec(
                key=ad_key(g, a),
                name=ad_name(a, ad),
                headlines=tuple(ad.headlines),
                descriptions=tuple(ad.descriptions),
                primary_texts=tuple(ad.primary_texts),
                final_url=final_url(document, draft_id, template, platform, group, ad),
                display_path=tuple(ad.display_path),
                call_to_action=ad.call_to_action,
                image_urls=tuple(ad.image_urls),
                video_urls=tuple(ad.video_urls),
            )
            for a, ad in enumerate(group.ads)
        )
        groups.append(
            AdGroupSpec(
                key=ad_group_key(g),
                name=group.name,
                ads=ads,
                daily_budget=daily,
                lifetime_budget=lifetime,
                bid_micros=group.bid_amount_micros,
                targeting=_targeting(group.targeting or document.targeting),
            )
        )
    overrides = getattr(document.platform_overrides, platform.value)
    amount = budget.amount_micros if campaign_level and budget.amount_micros else None
    return CampaignSpec(
        name=document.name,
        objective=OBJECTIVE_BY_PLATFORM[platform][document.objective],
        status=EntityStatus.paused if document.launch_paused else EntityStatus.active,
        daily_budget=money(amount) if amount is not None and budget.type is BudgetType.daily else None,
        lifetime_budget=money(amount) if amount is not None and budget.type is BudgetType.lifetime else None,
        bid_strategy=document.bidding.strategy.value,
        bid_micros=document.bidding.amount_micros,
        target_roas=document.bidding.target_roas,
        start_date=document.schedule.start_date,
        end_date=document.schedule.end_date,
        targeting=_targeting(document.targeting),
        ad_groups=tuple(groups),
        options=overrides.model_dump(mode="json") if overrides is not None else {},
        idempotency_seed=seed,
    )
