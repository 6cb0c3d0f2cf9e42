"""What every adapter's ``publish_campaign`` shares: finding what an earlier attempt already created.

A create whose answer was lost (a timeout after the platform applied it) leaves an entity adpilot has no id for.
Before such a create is sent again, the account's entities are read and each entity of the spec is looked up by its
name under its parent (the campaign by name among the account's campaigns that are not removed); what is found is
adopted instead of created twice.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

from adpilot.platforms.types import (
    CAMPAIGN_KEY,
    AdAccountRef,
    CampaignSpec,
    Credentials,
    EntityLevel,
    EntityStatus,
    PublishedIds,
    RemoteEntity,
)

# An adapter's ``list_entities``: what publishing reads to adopt what an unanswered create made.
ListEntities = Callable[[Credentials, AdAccountRef], Awaitable[list[RemoteEntity]]]


def adopt_existing(entities: Sequence[RemoteEntity], spec: CampaignSpec, already: PublishedIds) -> None:
    """Record into ``already`` every entity of ``spec`` it lacks that ``entities`` has (same name, same parent)."""
    live = [entity for entity in entities if entity.status is not EntityStatus.removed]

    def find(level: EntityLevel, name: str, parent: str | None) -> str | None:
        for entity in live:
            if (
                entity.level is level
                and entity.name == name
                and (parent is None or entity.parent_platform_id == parent)
            ):
                return entity.platform_id
        return None

    campaign = already.campaign or find(EntityLevel.campaign, spec.name, None)
    if campaign is None:
        return
    already.record(CAMPAIGN_KEY, campaign)
    for group in spec.ad_groups:
        group_id = already.get(group.key) or find(EntityLevel.ad_group, group.name, campaign)
        if group_id is None:
            continue
        already.record(group.key, group_id)
        for ad in group.ads:
            ad_id = already.get(ad.key) or find(EntityLevel.ad, ad.name, group_id)
            if ad_id is not None:
                already.record(ad.key, ad_id)


def is_complete(spec: CampaignSpec, ids: PublishedIds) -> bool:
    """Whether every entity of ``spec`` has its id."""
    return all(ids.get(key) for _, key in spec.all_keys())
