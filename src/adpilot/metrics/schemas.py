"""Request and response models of the metrics sync."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field


class MetricSyncScope(StrEnum):
    backfill = "backfill"
    recent = "recent"
    restate = "restate"
    history = "history"
    today = "today"


class MetricSyncStatus(StrEnum):
    queued = "queued"
    running = "running"
    succeeded = "succeeded"
    failed = "failed"
    deferred = "deferred"


class MetricSyncTrigger(StrEnum):
    connect = "connect"
    schedule = "schedule"
    manual = "manual"


class MetricSyncRunRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    ad_account_id: UUID
    scope: MetricSyncScope = Field(
        description="backfill: the first sync (every preset range); recent: the last 7 days and today's hours; "
        "restate: the daily 28-day re-read; history: the older days, back 13 months by default, in the background; "
        "today: today's campaign numbers and hours, between recent runs."
    )
    trigger: MetricSyncTrigger
    status: MetricSyncStatus
    since: date = Field(description="First day read, in the ad account's time zone.")
    until: date = Field(description="Last day read (today in the account's time zone when the run was queued).")
    days_total: int
    days_done: int = Field(description="Days of the range written so far: the run's progress.")
    rows_written: int = Field(description="Rows whose numbers were new or changed.")
    queued_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    attempts: int
    error: str | None = Field(description="Why the run failed or was deferred, in words safe to show.")
