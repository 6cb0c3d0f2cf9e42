"""TikTok API for Business v1.3 (Marketing API) behind the adapter port."""

from adpilot.platforms.tiktok.adapter import TikTokAdsAdapter

__all__ = ["TikTokAdsAdapter"]
