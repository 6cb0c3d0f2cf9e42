"""The metrics store's read-only contract: the tables whose rows other modules' SQL may read, by name.

The store's models and repository are private; these names are what the reporting module's KPI queries (and the
exchange-rates module's converted rollup, which is built from ``metrics_campaign_daily``) select from. Readers
only ``SELECT``; every write goes through ``metrics_store``. Each table has ``organization_id`` (filter on it: row
level security is the safety net) and the numbers ``NUMBERS``; money is integer micros in the row's ``currency``.
Renaming a table or one of the columns below is a change of this contract and of its readers.
"""

from __future__ import annotations

from typing import Final

# The additive numbers every metrics table carries (derived KPIs are computed when read).
NUMBERS: Final = ("impressions", "clicks", "spend_micros", "conversions", "conversion_value_micros", "all_clicks")

# Every level's day as the platform reports it: (organization_id, ad_account_id, level, day, entity_platform_id),
# platform, campaign_platform_id, currency, extras, updated_at, NUMBERS.
METRICS_DAILY: Final = "metrics_daily"
# Rollups rebuilt from the campaign-level rows: (organization_id, ad_account_id[, campaign_platform_id], day | month),
# platform, currency, NUMBERS. A month is its first day.
CAMPAIGN_DAILY: Final = "metrics_campaign_daily"
CAMPAIGN_MONTHLY: Final = "metrics_campaign_monthly"
ACCOUNT_DAILY: Final = "metrics_account_daily"
ACCOUNT_MONTHLY: Final = "metrics_account_monthly"
# Today's hours of each campaign: (organization_id, ad_account_id, campaign_platform_id, day, hour), platform,
# currency, updated_at, NUMBERS.
HOURLY: Final = "metrics_hourly"
# The reporting dimension: (organization_id, ad_account_id, level, platform_id), platform, campaign_platform_id,
# parent_platform_id, name, status (null until the entity sync has seen the entity).
ENTITIES: Final = "metric_entities"
# Sync runs, read for data freshness: organization_id, ad_account_id, scope, status, days_done, days_total, error,
# queued_at, finished_at.
SYNC_RUNS: Final = "metric_sync_runs"

TABLES: Final = (
    METRICS_DAILY,
    CAMPAIGN_DAILY,
    CAMPAIGN_MONTHLY,
    ACCOUNT_DAILY,
    ACCOUNT_MONTHLY,
    HOURLY,
    ENTITIES,
    SYNC_RUNS,
)
