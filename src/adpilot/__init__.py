"""adpilot: self-hostable AI marketing automation for Google Ads, Meta Ads and TikTok Ads."""

__version__ = "0.1.0"
