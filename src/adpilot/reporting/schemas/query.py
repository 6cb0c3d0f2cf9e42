"""Request enums and response models of the KPI query API (docs/analytics.md, "Query API")."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from adpilot.platforms.types import Platform


class Preset(StrEnum):
    """A date range named relative to today in the organization's time zone; ``last_N_days`` ends yesterday."""

    today = "today"
    yesterday = "yesterday"
    last_7_days = "last_7_days"
    last_14_days = "last_14_days"
    last_30_days = "last_30_days"
    last_90_days = "last_90_days"
    this_month = "this_month"
    last_month = "last_month"
    this_year = "this_year"


class Compare(StrEnum):
    none = "none"
    previous_period = "previous_period"
    previous_year = "previous_year"


class CampaignStatus(StrEnum):
    active = "active"
    paused = "paused"
    removed = "removed"


class Granularity(StrEnum):
    day = "day"
    week = "week"
    month = "month"


class Dimension(StrEnum):
    platform = "platform"
    account = "account"
    campaign = "campaign"
    ad_group = "ad_group"
    ad = "ad"


class BreakdownSort(StrEnum):
    """What a breakdown is ordered by; a leading ``-`` is descending. Rows without a value (null KPI) come last."""

    spend = "spend"
    spend_desc = "-spend"
    impressions = "impressions"
    impressions_desc = "-impressions"
    clicks = "clicks"
    clicks_desc = "-clicks"
    conversions = "conversions"
    conversions_desc = "-conversions"
    conversion_value = "conversion_value"
    conversion_value_desc = "-conversion_value"
    ctr = "ctr"
    ctr_desc = "-ctr"
    cpc = "cpc"
    cpc_desc = "-cpc"
    cpm = "cpm"
    cpm_desc = "-cpm"
    cpa = "cpa"
    cpa_desc = "-cpa"
    roas = "roas"
    roas_desc = "-roas"
    conversion_rate = "conversion_rate"
    conversion_rate_desc = "-conversion_rate"
    name = "name"
    name_desc = "-name"


# --- answers ---------------------------------------------------------------------------------------------------------

_Read = ConfigDict(from_attributes=True)


class TotalsRead(BaseModel):
    """Additive numbers and the KPIs derived from them. Money is in micros of the answer's ``currency``; a money
    figure is null when an exchange rate it needs is missing, a KPI is null when its denominator is zero."""

    model_config = _Read

    impressions: int
    clicks: int = Field(
        description="Clicks to the ad's destination, counted alike on every platform (Meta: link clicks); the "
        "clicks of ctr, cpc and conversion_rate."
    )
    all_clicks: int = Field(
        description="Every click the platforms count: Meta adds likes, comments, profile and 'see more' clicks to "
        "link clicks; on Google and TikTok the same as clicks."
    )
    spend_micros: int | None
    conversions: float
    conversion_value_micros: int | None
    ctr: float | None = Field(description="clicks / impressions (0.0333 = 3.33 %).")
    cpc_micros: int | None = Field(description="spend / clicks.")
    cpm_micros: int | None = Field(description="spend per thousand impressions.")
    cpa_micros: int | None = Field(description="spend / conversions.")
    roas: float | None = Field(description="conversion value / spend.")
    conversion_rate: float | None = Field(description="conversions / clicks.")


class RangeRead(BaseModel):
    model_config = _Read

    since: date
    until: date
    compare_since: date | None
    compare_until: date | None
    partial: bool = Field(
        description="The range includes today, whose numbers are still growing: a comparison is made at the same "
        "hour of the day before (today against yesterday) or held back (previous null), never against whole days."
    )


class MissingRateRead(BaseModel):
    """Days with numbers in ``currency`` that no exchange rate to the reporting currency covers (none on or before
    them): the money figures that need them are null."""

    model_config = _Read

    currency: str
    since: date
    until: date


class NotSyncedRead(BaseModel):
    """An account whose synced days do not reach back to the first day of the range or the comparison period."""

    model_config = _Read

    ad_account_id: UUID
    ad_account_name: str
    platform: Platform
    period: Literal["range", "comparison"]
    synced_since: date | None = Field(description="The account's first synced day; null if it never synced.")
    reason: str = Field(description='For people, e.g. "Shop EU: not synced before 8 Sep 2026".')


NOT_SYNCED = "Accounts that miss days of the range or the comparison period: the figures that include them are null."


class SummaryRead(BaseModel):
    model_config = _Read

    range: RangeRead
    currency: str = Field(description="The organization's reporting currency: every money figure is in it.")
    totals: TotalsRead | None = Field(description="Null when an account has not synced every day of the range.")
    previous: TotalsRead | None = Field(
        description="The comparison period's totals; null without compare, or when an account has not synced "
        "every day of it (see not_synced)."
    )
    missing_rates: list[MissingRateRead]
    not_synced: list[NotSyncedRead] = Field(description=NOT_SYNCED)


class SeriesPointRead(BaseModel):
    model_config = _Read

    period_start: date = Field(description="First day of the period inside the range (a partial edge is clipped).")
    period_end: date = Field(description="Last day of the period inside the range.")
    totals: TotalsRead | None = Field(description="Null when an account has not synced every day of the period.")


class TimeSeriesRead(BaseModel):
    model_config = _Read

    range: RangeRead
    currency: str
    granularity: Granularity
    points: list[SeriesPointRead] = Field(description="Every period of the range, in order (zeros where nothing ran).")
    previous_points: list[SeriesPointRead] | None = Field(
        description="One per point: the same days shifted to the comparison period; null without compare."
    )
    missing_rates: list[MissingRateRead]
    not_synced: list[NotSyncedRead] = Field(description=NOT_SYNCED)


class BreakdownKeyRead(BaseModel):
    """What a breakdown row is; fields that do not apply to the dimension are null."""

    model_config = _Read

    platform: Platform
    ad_account_id: UUID | None
    ad_account_name: str | None
    campaign_platform_id: str | None
    entity_platform_id: str | None
    name: str
    status: CampaignStatus | None = Field(
        description="The synced entity's status as last read from its platform (so also right after a change), "
        "else the reporting dimension's; null for other dimensions."
    )
    native_currency: str | None = Field(description="The ad account's own currency (null when the row mixes several).")
    entity_id: UUID | None = Field(
        description="The adpilot entity the row is (campaign, ad group and ad rows), to act on it through the "
        "changes API; null when the row is not one synced entity (other dimensions, or not synced yet).",
    )
    daily_budget_micros: int | None = Field(
        description="The entity's own daily budget in micros of the ad account's currency (native_currency); "
        "null when it has none (e.g. a campaign whose budgets are on its ad sets) or entity_id is null.",
    )


class BreakdownRowRead(BaseModel):
    model_config = _Read

    key: BreakdownKeyRead
    totals: TotalsRead | None = Field(description="Null when the row's account has not synced every day of the range.")
    previous: TotalsRead | None


class BreakdownRead(BaseModel):
    model_config = _Read

    range: RangeRead
    currency: str
    dimension: Dimension
    rows: list[BreakdownRowRead]
    total_count: int = Field(description="Rows over all pages.")
    next_cursor: str | None = Field(description="Pass back as cursor for the next page; null on the last.")
    missing_rates: list[MissingRateRead]
    not_synced: list[NotSyncedRead] = Field(description=NOT_SYNCED)


class PacingHourRead(BaseModel):
    model_config = _Read

    hour: int = Field(ge=0, le=23, description="Hour of the day in the ad account's time zone.")
    spend_micros: int | None


class PacingRowRead(BaseModel):
    model_config = _Read

    platform: Platform
    ad_account_id: UUID
    campaign_platform_id: str
    name: str
    day: date = Field(description="The organization's today (the stat day the today range reads).")
    spend_micros: int | None
    daily_budget_micros: int | None = Field(description="Null when the campaign has no daily budget.")
    native_currency: str
    hours: list[PacingHourRead] = Field(description="The hours with numbers so far, in order.")


class PacingTotalsRead(BaseModel):
    model_config = _Read

    spend_micros: int | None
    daily_budget_micros: int | None


class PacingRead(BaseModel):
    model_config = _Read

    currency: str
    rows: list[PacingRowRead]
    totals: PacingTotalsRead
    missing_rates: list[MissingRateRead]


class RunningSyncRead(BaseModel):
    model_config = _Read

    scope: str = Field(description="backfill, recent, restate, history or today.")
    status: str = Field(description="queued or running.")
    days_done: int
    days_total: int


class AccountFreshnessRead(BaseModel):
    model_config = _Read

    ad_account_id: UUID
    name: str
    platform: Platform
    health: str = Field(description="The connection's health: ok, degraded or needs_reconnect.")
    last_synced_at: datetime | None = Field(description="When the last successful metrics sync finished.")
    running: RunningSyncRead | None
    last_error: str | None = Field(description="Why the latest run failed or was deferred, if it did.")
    synced_since: date | None = Field(
        description="Synced coverage: the first day of the newest run of contiguous days the metrics sync wrote "
        "(the account's time zone); null if it never synced."
    )
    synced_until: date | None = Field(description="Synced coverage: its last day.")


class FreshnessRead(BaseModel):
    model_config = _Read

    data_as_of: datetime | None = Field(
        description="The oldest last_synced_at over the managed accounts that have synced; null if none has."
    )
    accounts: list[AccountFreshnessRead]
