"""Meta Marketing API (Graph): the adapter, and the pure helpers that define how Meta's numbers become ours."""

from adpilot.platforms.meta.adapter import MetaAdsAdapter
from adpilot.platforms.meta.insights import ZERO_DECIMAL_CURRENCIES, choose_conversions, currency_offset

__all__ = ["ZERO_DECIMAL_CURRENCIES", "MetaAdsAdapter", "choose_conversions", "currency_offset"]
