"""Request and response models of the change pipeline, and its enums."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Annotated
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from adpilot.core.text import NoNul
from adpilot.platforms.types import EntityLevel, Platform


class ChangeKind(StrEnum):
    """What a change edits: the entity's status, or its daily budget where the platform keeps it."""

    status = "status"
    daily_budget = "daily_budget"


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


class BatchSource(StrEnum):
    """How a batch of changes came in: a request to the API, or a CSV file imported."""

    api = "api"
    csv = "csv"


OPEN_STATUSES = frozenset({ChangeStatus.pending_approval, ChangeStatus.approved, ChangeStatus.queued})
FINISHED_STATUSES = frozenset(
    {ChangeStatus.rejected, ChangeStatus.expired, ChangeStatus.verified, ChangeStatus.failed, ChangeStatus.applied}
)


@dataclass(frozen=True)
class ChangeFilters:
    """What a list of changes is narrowed to (every filter given must hold). ``created_to`` is exclusive."""

    statuses: tuple[ChangeStatus, ...] = ()
    kind: ChangeKind | None = None
    platform: Platform | None = None
    ad_account_id: UUID | None = None
    entity_id: UUID | None = None
    source: ChangeSource | None = None
    requested_by: UUID | None = None
    batch_id: UUID | None = None
    batch_source: BatchSource | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None


class ChangeRequest(BaseModel):
    """One requested edit of one entity (``entity_id`` is the entity's id in adpilot, from the entity browser).

    ``value`` is the new status (``active``, ``paused``, ``removed``) for a status change, or the new daily budget in
    micros of the account's currency (a decimal string or an integer) for a budget change."""

    model_config = ConfigDict(extra="forbid")

    entity_id: UUID
    kind: ChangeKind
    value: Annotated[str, Field(min_length=1, max_length=32), NoNul]
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
    batch_id: UUID | None
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
    """The changes stored, in the request's order, and the batch they make up."""

    batch_id: UUID
    items: list[ChangeRead]


class ChangePreviewItem(BaseModel):
    """What one valid change of a request would store: ``value_before`` is the entity's value as last synced (the
    change reads it fresh from the platform just before applying)."""

    index: int
    entity_id: UUID
    entity_name: str
    platform: Platform
    level: EntityLevel
    ad_account_id: UUID
    kind: ChangeKind
    value_before: str | None
    value_after: str
    currency: str | None
    needs_approval: bool


class ChangesPreview(BaseModel):
    """A request of changes checked and nothing stored: the changes it would store and the problems that would
    refuse it (the request is stored only when ``problems`` is empty)."""

    items: list[ChangePreviewItem]
    problems: list[ChangeProblem]


class KindOption(BaseModel):
    """A kind of change the entity allows: its current value and the values the platform takes (money in micros of
    the entity's currency; ``allowed`` lists the values for a status)."""

    kind: ChangeKind
    current: str | None
    allowed: list[str] | None
    minimum_micros: int | None
    step_micros: int | None
    maximum_micros: int | None
    # Where the platform limits changes per hour (Meta's ad set budgets): how many are left in the current hour.
    hourly_changes_left: int | None


class KindRefusal(BaseModel):
    """A kind of change the entity does not allow, and why."""

    kind: ChangeKind
    reason: str


class ChangeOptions(BaseModel):
    """What can be changed on one entity, as last synced, by the platform's rules."""

    entity_id: UUID
    entity_name: str
    platform: Platform
    level: EntityLevel
    currency: str
    editable: list[KindOption]
    not_editable: list[KindRefusal]


class CsvProblem(BaseModel):
    """Why a line of a CSV file of changes (or the file: no line) was refused, and the column at fault."""

    line: int | None
    column: str | None
    code: str
    detail: str


class ChangeImportItem(ChangePreviewItem):
    """A change the file would store (or stored), with the line it is on."""

    line: int


class ChangesImported(BaseModel):
    """A CSV file of changes checked (``dry_run``) or stored as one batch. A file imported before is ``duplicate``:
    its earlier batch is answered and nothing is stored again."""

    dry_run: bool
    duplicate: bool
    file_sha256: str
    rows: int
    batch_id: UUID | None
    problems: list[CsvProblem]
    items: list[ChangeImportItem]
    changes: list[ChangeRead]
