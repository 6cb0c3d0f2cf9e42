"""HTTP endpoints of the metrics sync: an account's run log, and "sync now"."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Response, status

from adpilot.connections import AdAccountNotFound
from adpilot.core.errors import problem_responses
from adpilot.core.pagination import InvalidCursor, Page, TimeCursorPage, page_response
from adpilot.db import DbSession
from adpilot.metrics.dependencies import CanReadConnections, CanSyncConnections
from adpilot.metrics.errors import AccountNotSynced
from adpilot.metrics.schemas import MetricSyncRunRead
from adpilot.metrics.service.sync import metrics_sync_service

router = APIRouter(prefix="/api/v1/orgs/{organization_id}", tags=["analytics"])


@router.get(
    "/ad-accounts/{ad_account_id}/metric-sync-runs",
    response_model=Page[MetricSyncRunRead],
    responses=problem_responses(AdAccountNotFound, InvalidCursor),
)
async def list_metric_sync_runs(
    ad_account_id: UUID, tenant: CanReadConnections, session: DbSession, paging: TimeCursorPage
) -> Response:
    """The account's metrics sync log, newest first: which days each run read, its progress, why it failed."""
    return page_response(
        MetricSyncRunRead, await metrics_sync_service.list_runs(session, tenant, ad_account_id, paging)
    )


@router.post(
    "/ad-accounts/{ad_account_id}/metric-sync",
    response_model=MetricSyncRunRead,
    status_code=status.HTTP_202_ACCEPTED,
    responses=problem_responses(AdAccountNotFound, AccountNotSynced),
)
async def sync_ad_account_metrics(
    ad_account_id: UUID, tenant: CanSyncConnections, session: DbSession
) -> MetricSyncRunRead:
    """Queue a re-read of the account's last 7 days and today's hours now (its backfill if it never synced), or
    return the run already queued or running."""
    run = await metrics_sync_service.request_sync(session, tenant, ad_account_id)
    return MetricSyncRunRead.model_validate(run)
