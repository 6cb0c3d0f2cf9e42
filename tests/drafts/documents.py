"""Draft documents valid for each platform, for the drafts tests."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from adpilot.platforms.types import Platform


def valid_ad(**changes: Any) -> dict[str, Any]:
    """An ad valid on Google, Meta and TikTok at once."""
    ad: dict[str, Any] = {
        "name": "Spring ad",
        "headlines": ["Fresh flowers daily", "Order by noon", "Same-day delivery"],
        "descriptions": ["Hand-tied bouquets from local growers.", "Free delivery over 40 euros."],
        "primary_texts": ["Bouquets from local growers, delivered today."],
        "final_url": "https://flowers.example.com/spring",
        "display_path": ["bouquets", "spring"],
        "call_to_action": "SHOP_NOW",
        "image_urls": ["https://cdn.example.com/spring.jpg"],
        "video_urls": ["https://cdn.example.com/spring.mp4"],
    }
    ad.update(changes)
    return ad


def valid_document(targets: Mapping[Platform, str | None], **changes: Any) -> dict[str, Any]:
    """A draft for the given platforms (each with its ad account id) without any blocking problem."""
    document: dict[str, Any] = {
        "name": "Spring sale",
        "targets": [{"platform": platform.value, "ad_account_id": account} for platform, account in targets.items()],
        "objective": "traffic",
        "budget": {"type": "daily", "level": "campaign", "amount_micros": 25_000_000},
        "bidding": {"strategy": "lowest_cost"},
        "targeting": {"locations": ["FR", "BE"], "languages": ["fr"], "age_min": 25, "age_max": 54},
        "ad_groups": [{"name": "Bouquets", "ads": [valid_ad()]}],
        "platform_overrides": {"meta": {"special_ad_categories": []}},
    }
    document.update(changes)
    return document
