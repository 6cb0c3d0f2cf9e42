"""Meta Graph / Marketing API JSON as Pydantic models: the parts the adapter reads, nothing more.

Lenient on purpose: Graph adds fields between versions and omits empty ones (``actions`` is missing when there were
none, ``daily_budget`` is missing on an ad set under a campaign budget), so unknown keys are ignored and every
optional field defaults. Numbers the API sends as strings (budgets in minor units, every insights figure) stay strings
here; the adapter turns them into integers and ``Decimal`` exactly, never through floats.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator


class GraphModel(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class GraphErrorDetail(GraphModel):
    """The body of ``{"error": {...}}`` (developers.facebook.com/docs/graph-api/using-graph-api/error-handling)."""

    message: str = ""
    type: str | None = None
    code: int | None = None
    error_subcode: int | None = None
    error_user_title: str | None = None
    error_user_msg: str | None = None
    fbtrace_id: str | None = None
    is_transient: bool | None = None
    # Validation errors may name the offending fields: {"blame_field_specs": [["daily_budget"]]}.
    error_data: dict[str, Any] | str | None = None


class GraphErrorEnvelope(GraphModel):
    error: GraphErrorDetail


class Cursors(GraphModel):
    before: str | None = None
    after: str | None = None


class Paging(GraphModel):
    cursors: Cursors | None = None
    # Present only when there is another page: the one signal to keep paging.
    next: str | None = None
    previous: str | None = None


class Page(GraphModel):
    """A list edge: items stay plain dicts so the adapter can keep each object's raw fields beside the parsed ones."""

    data: list[dict[str, Any]] = Field(default_factory=list)
    paging: Paging | None = None

    @property
    def next_cursor(self) -> str | None:
        """The cursor of the next page, or ``None`` on the last one (Graph sends ``next`` only when there is more)."""
        if self.paging is None or self.paging.next is None or self.paging.cursors is None:
            return None
        return self.paging.cursors.after


class AccessToken(GraphModel):
    """``/oauth/access_token``: a short-lived token from a code, or a long-lived one from ``fb_exchange_token``."""

    access_token: str
    token_type: str | None = None
    # Absent for tokens that never expire (system users).
    expires_in: int | None = None


class Permission(GraphModel):
    permission: str
    status: str


class PermissionList(GraphModel):
    data: list[Permission] = Field(default_factory=list)


class Me(GraphModel):
    id: str
    name: str | None = None
    permissions: PermissionList | None = None


class AdAccount(GraphModel):
    id: str  # "act_<account_id>"
    account_id: str
    name: str = ""
    currency: str
    timezone_name: str
    account_status: int = 1


class AdAccountCurrency(GraphModel):
    id: str
    currency: str


class AdObject(GraphModel):
    """A campaign, ad set or ad: the fields the three edges share (each edge asks only for its own)."""

    id: str
    name: str = ""
    status: str | None = None
    configured_status: str | None = None
    effective_status: str | None = None
    objective: str | None = None
    campaign_id: str | None = None
    adset_id: str | None = None
    # Minor units of the account currency as numeric strings ("5000" = 50.00 USD, "5000" = 5000 JPY).
    daily_budget: str | None = None
    lifetime_budget: str | None = None
    # An ad set's (or a campaign budget's) bid strategy, e.g. LOWEST_COST_WITH_BID_CAP; the bid or cost cap in minor
    # units (a JSON number, unlike budgets).
    bid_strategy: str | None = None
    bid_amount: str | None = None
    # ISO 8601 with the account's offset ("2024-03-12T15:02:47-0700"): ad sets end at end_time, campaigns at
    # stop_time.
    start_time: str | None = None
    end_time: str | None = None
    stop_time: str | None = None

    @field_validator("bid_amount", mode="before")
    @classmethod
    def _amount_as_text(cls, value: Any) -> Any:
        return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


class ActionStat(GraphModel):
    """One entry of ``actions`` / ``action_values``; the per-window keys (``7d_click``…) are ignored."""

    action_type: str
    value: str = "0"


class InsightsRow(GraphModel):
    date_start: str
    date_stop: str
    account_currency: str | None = None
    objective: str | None = None
    campaign_id: str | None = None
    campaign_name: str | None = None
    adset_id: str | None = None
    adset_name: str | None = None
    ad_id: str | None = None
    ad_name: str | None = None
    # The hourly breakdown's value: "13:00:00 - 13:59:59", in the ad account's time zone.
    hourly_stats_aggregated_by_advertiser_time_zone: str | None = None
    impressions: str = "0"
    clicks: str = "0"
    spend: str = "0"
    reach: str | None = None
    inline_link_clicks: str | None = None
    actions: list[ActionStat] = Field(default_factory=list)
    action_values: list[ActionStat] = Field(default_factory=list)


class ReportRunCreated(GraphModel):
    report_run_id: str


class AdReportRun(GraphModel):
    id: str
    async_status: str
    async_percent_completion: int = 0


class Success(GraphModel):
    success: bool
