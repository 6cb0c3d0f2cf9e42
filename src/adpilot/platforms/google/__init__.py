"""Google Ads over its REST interface (GAQL through ``googleAds:searchStream``, mutates, OAuth 2.0 with PKCE)."""

from adpilot.platforms.google.adapter import GoogleAdsAdapter
from adpilot.platforms.google.client import classify, classify_token

__all__ = ["GoogleAdsAdapter", "classify", "classify_token"]
