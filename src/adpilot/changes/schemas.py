"""Request and response models of the change pipeline, and its enums."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from adpilot.core.text import NoNul
from adpilot.platforms.types import EntityLevel, Platform


class ChangeKind(StrEnum):
    """What a change edits (see docs/platforms.md, "Changes", for where each lives on each platform)."""

    status = "status"
    daily_budget = "daily_budget"
    lifetime_budget = "lifetime_budget"
    # The bid or target cost of the entity's bid strategy (Google target CPA or max CPC, Meta bid_amount, TikTok bid).
    bid = "bid"
    target_roas = "target_roas"
    name = "name"
    end_date = "end_date"


class ChangeStatus(StrEnum):
    pending_approval = "pending_approval"
    approved = "approved"
    rejected = "rejected"
    expired = "expired"
    queued = "queued"
    applying = "applying"
    applied = "applied"
    verified = "verified"
    failed = "failed"


class ChangeSource(StrEnum):
    """Who or what asked for a change."""

    person = "person"
    rule = "rule"
    recommendation = "recommendation"
    undo = "undo"


OPEN_STATUSES = frozenset({ChangeStatus.pending_approval, ChangeStatus.approved, ChangeStatus.queued})
FINISHED_STATUSES = frozenset(
    {ChangeStatus.rejected, ChangeStatus.expired, ChangeStatus.verified, ChangeStatus.failed, ChangeStatus.applied}
)


class ChangeRequest(BaseModel):
    """One requested edit of one entity (``entity_id`` is the entity's id in adpilot, from the entity browser).

    ``value`` by kind: ``status`` one of ``active``, ``paused``, ``removed``; ``daily_budget``, ``lifetime_budget``
    and ``bid`` micros of the account's currency (a decimal string); ``target_roas`` a ratio (``3.5`` = 350 %);
    ``name`` the new name; ``end_date`` a day as ``YYYY-MM-DD`` in the ad account's time zone."""

    model_config = ConfigDict(extra="forbid")

    entity_id: UUID
    kind: ChangeKind
    value: Annotated[str, Field(min_length=1, max_length=512), NoNul]
    reason: Annotated[str | None, Field(default=None, max_length=1000), NoNul] = None


class ChangesCreate(BaseModel):
    """One change or a bulk of up to 1,000 across accounts: all are validated before any is stored."""

    model_config = ConfigDict(extra="forbid")

    changes: list[ChangeRequest] = Field(min_length=1, max_length=1000)


class ChangeReview(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: Annotated[str | None, Field(default=None, max_length=1000), NoNul] = None


class ChangeRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    ad_account_id: UUID
    entity_id: UUID
    platform: Platform
    level: EntityLevel
    platform_id: str
    entity_name: str
    kind: ChangeKind
    value_before: str | None
    value_after: str
    currency: str | None
    source: ChangeSource
    requested_by_user_id: UUID | None
    source_id: UUID | None
    reason: str | None
    status: ChangeStatus
    error: str | None
    attempts: int
    reviewed_by_user_id: UUID | None
    review_note: str | None
    audit_entry_id: UUID | None
    undo_of: UUID | None
    created_at: datetime
    updated_at: datetime
    applied_at: datetime | None
    verified_at: datetime | None


class ChangeProblem(BaseModel):
    """Why one change of a request was refused."""

    index: int
    entity_id: UUID
    code: str
    detail: str


class ChangesCreated(BaseModel):
    """The changes stored, in the request's order."""

    items: list[ChangeRead]
