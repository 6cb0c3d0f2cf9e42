"""Request and response models of the campaigns module."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from adpilot.platforms.types import EntityLevel, EntityStatus, Platform


class SyncRunStatus(StrEnum):
    queued = "queued"
    running = "running"
    succeeded = "succeeded"
    failed = "failed"
    deferred = "deferred"


class SyncMode(StrEnum):
    full = "full"
    incremental = "incremental"


class SyncTrigger(StrEnum):
    schedule = "schedule"
    manual = "manual"
    connect = "connect"


class LevelCounts(BaseModel):
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0


class SyncRunRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    ad_account_id: UUID
    kind: str
    trigger: SyncTrigger
    status: SyncRunStatus
    queued_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    attempts: int
    mode: SyncMode = Field(
        description="full: the whole tree was read; incremental: only the entities the platform reported changed "
        "since the previous run (nothing is marked removed for not being listed)."
    )
    counts: dict[EntityLevel, LevelCounts] = Field(
        description="What the run changed per level; empty until it succeeds. For an incremental run, unchanged "
        "counts the reported entities that turned out the same."
    )
    error: str | None = Field(description="Why the run failed or was deferred, in words safe to show.")


class EntityRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    ad_account_id: UUID
    platform: Platform
    level: EntityLevel
    platform_id: str
    parent_platform_id: str | None
    campaign_platform_id: str
    name: str
    status: EntityStatus
    platform_status: str
    objective: str | None
    currency: str
    daily_budget_micros: int | None
    lifetime_budget_micros: int | None
    first_seen_at: datetime
    updated_at: datetime
    removed_at: datetime | None


class EntityDetail(EntityRead):
    raw: dict[str, Any] = Field(description="The platform's own fields as last read.")


class AccountSyncSummary(BaseModel):
    ad_account_id: UUID
    entity_counts: dict[EntityLevel, int]
    last_run: SyncRunRead | None
    last_succeeded_at: datetime | None
