"""HTTP endpoints of the KPI queries: summary, time series, breakdowns, today's pacing and data freshness."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Query

from adpilot.core.errors import problem_responses
from adpilot.core.pagination import CURSOR_PATTERN, InvalidCursor
from adpilot.core.time import IsoDay
from adpilot.db import DbSession
from adpilot.platforms.types import Platform
from adpilot.reporting.dependencies import CanReadAnalytics
from adpilot.reporting.schemas.query import (
    BreakdownRead,
    BreakdownSort,
    CampaignStatus,
    Compare,
    Dimension,
    FreshnessRead,
    Granularity,
    PacingRead,
    Preset,
    SummaryRead,
    TimeSeriesRead,
)
from adpilot.reporting.service.query import (
    DEFAULT_LIMIT,
    MAX_LIMIT,
    MAX_NAME_FILTER,
    AnalyticsQuery,
    InvalidAnalyticsQuery,
    analytics_query_service,
)

router = APIRouter(prefix="/api/v1/orgs/{organization_id}/analytics", tags=["analytics"])


def analytics_query(
    since: Annotated[IsoDay | None, Query(description="First day, inclusive (with until; else the preset).")] = None,
    until: Annotated[IsoDay | None, Query(description="Last day, inclusive; at most three years after since.")] = None,
    preset: Annotated[Preset, Query(description="Used when since and until are absent.")] = Preset.last_30_days,
    compare: Annotated[Compare, Query(description="A comparison period.")] = Compare.none,
    platform: Annotated[list[Platform] | None, Query(description="Only these platforms (repeatable).")] = None,
    ad_account_id: Annotated[list[UUID] | None, Query(description="Only these ad accounts (repeatable).")] = None,
    status: Annotated[
        list[CampaignStatus] | None, Query(description="Only campaigns with these statuses (repeatable).")
    ] = None,
    name_contains: Annotated[
        str | None,
        Query(max_length=MAX_NAME_FILTER, description="Only campaigns whose name contains this (any case)."),
    ] = None,
) -> AnalyticsQuery:
    """The common parameters of the KPI queries (docs/analytics.md); cross-field rules answer 422 problem details."""
    return AnalyticsQuery(
        since=since,
        until=until,
        preset=preset,
        compare=compare,
        platforms=tuple(platform or ()),
        ad_account_ids=tuple(ad_account_id or ()),
        statuses=tuple(status or ()),
        name_contains=name_contains,
    )


Params = Annotated[AnalyticsQuery, Depends(analytics_query)]


@router.get("/summary", response_model=SummaryRead, responses=problem_responses(InvalidAnalyticsQuery))
async def get_analytics_summary(tenant: CanReadAnalytics, session: DbSession, query: Params) -> SummaryRead:
    """Totals and KPIs of a date range in the reporting currency, with a comparison period if asked."""
    summary = await analytics_query_service.summary(session, tenant.organization_id, query)
    return SummaryRead.model_validate(summary)


@router.get("/timeseries", response_model=TimeSeriesRead, responses=problem_responses(InvalidAnalyticsQuery))
async def get_analytics_timeseries(
    tenant: CanReadAnalytics,
    session: DbSession,
    query: Params,
    granularity: Annotated[Granularity, Query(description="Days, weeks (from Monday) or months.")] = Granularity.day,
) -> TimeSeriesRead:
    """Totals per day, week or month over a date range; every period is present, partial edges are clipped."""
    series = await analytics_query_service.timeseries(session, tenant.organization_id, query, granularity)
    return TimeSeriesRead.model_validate(series)


@router.get(
    "/breakdown",
    response_model=BreakdownRead,
    responses=problem_responses(InvalidAnalyticsQuery, InvalidCursor),
)
async def get_analytics_breakdown(
    tenant: CanReadAnalytics,
    session: DbSession,
    query: Params,
    dimension: Annotated[Dimension, Query(description="What a row is.")] = Dimension.campaign,
    parent_platform_id: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=64,
            description="The campaign (for ad_group) or the ad group (for ad, where it is required) to drill into.",
        ),
    ] = None,
    sort: Annotated[BreakdownSort, Query(description="A leading - sorts descending; null KPIs last.")] = (
        BreakdownSort.spend_desc
    ),
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Rows per page.")] = DEFAULT_LIMIT,
    cursor: Annotated[
        str | None,
        Query(max_length=200, pattern=CURSOR_PATTERN, description="From the previous page's next_cursor."),
    ] = None,
) -> BreakdownRead:
    """Totals per platform, account, campaign, ad group or ad, sorted and paged (top N: sort=-x&limit=N)."""
    breakdown = await analytics_query_service.breakdown(
        session,
        tenant.organization_id,
        query,
        dimension,
        parent_platform_id=parent_platform_id,
        sort=sort,
        limit=limit,
        cursor=cursor,
    )
    return BreakdownRead.model_validate(breakdown)


@router.get("/pacing", response_model=PacingRead, responses=problem_responses(InvalidAnalyticsQuery))
async def get_analytics_pacing(tenant: CanReadAnalytics, session: DbSession, query: Params) -> PacingRead:
    """Today's spend of each campaign against its daily budget (today as the Today range reads it)."""
    pacing = await analytics_query_service.pacing(session, tenant.organization_id, query)
    return PacingRead.model_validate(pacing)


@router.get("/freshness", response_model=FreshnessRead)
async def get_analytics_freshness(tenant: CanReadAnalytics, session: DbSession) -> FreshnessRead:
    """How current each managed account's numbers are, its connection's health and any sync in progress."""
    freshness = await analytics_query_service.freshness(session, tenant.organization_id)
    return FreshnessRead.model_validate(freshness)
