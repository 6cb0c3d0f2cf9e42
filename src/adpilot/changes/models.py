"""The change pipeline's table: every requested edit of an ad platform entity, its review and its result."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from adpilot.changes.schemas import BatchSource, ChangeKind, ChangeSource, ChangeStatus
from adpilot.core.columns import EnumText
from adpilot.db import Base

KIND_CHECK = "kind IN ('status', 'daily_budget', 'lifetime_budget', 'bid', 'target_roas', 'name', 'end_date')"
BATCH_SOURCE_CHECK = "source IN ('api', 'csv')"
SOURCE_CHECK = "source IN ('person', 'rule', 'recommendation', 'undo')"
STATUS_CHECK = (
    "status IN ('pending_approval', 'approved', 'rejected', 'expired', 'queued', 'applying', 'applied', "
    "'verified', 'failed')"
)


class ChangeBatch(Base):
    """One request of changes: a POST of changes or a CSV file imported (whose sha256 makes a second import of the
    same file find this batch instead of storing its changes again)."""

    __tablename__ = "change_batches"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    organization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    source: Mapped[BatchSource] = mapped_column(EnumText(BatchSource))
    file_sha256: Mapped[str | None] = mapped_column(Text)
    requested_by_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime]
    change_count: Mapped[int]

    __table_args__ = (
        Index(
            "ux_change_batches_file",
            "organization_id",
            "file_sha256",
            unique=True,
            postgresql_where=text("file_sha256 IS NOT NULL"),
        ),
        CheckConstraint(BATCH_SOURCE_CHECK, name="source"),
    )


class EntityChange(Base):
    """One edit of one entity: who asked and why, the value before (read from the platform) and after, and where
    it stands in the pipeline."""

    __tablename__ = "entity_changes"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    organization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    ad_account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("ad_accounts.id", ondelete="CASCADE"))
    # The entity's id in ad_entities; kept as a plain value so that history outlives a removed entity's row.
    entity_id: Mapped[uuid.UUID]
    platform: Mapped[str] = mapped_column(String(20))
    level: Mapped[str] = mapped_column(String(20))
    platform_id: Mapped[str] = mapped_column(String(64))
    entity_name: Mapped[str] = mapped_column(String(512))
    kind: Mapped[ChangeKind] = mapped_column(EnumText(ChangeKind))
    value_before: Mapped[str | None] = mapped_column(Text)
    value_after: Mapped[str] = mapped_column(Text)
    currency: Mapped[str | None] = mapped_column(String(3))
    source: Mapped[ChangeSource] = mapped_column(EnumText(ChangeSource))
    requested_by_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # The rule or recommendation that asked, when the source is one.
    source_id: Mapped[uuid.UUID | None]
    reason: Mapped[str | None] = mapped_column(Text)
    status: Mapped[ChangeStatus] = mapped_column(EnumText(ChangeStatus))
    # The platform's own message when it refused, or why the change could not be applied.
    error: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(default=0)
    reviewed_by_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    review_note: Mapped[str | None] = mapped_column(Text)
    audit_entry_id: Mapped[uuid.UUID | None]
    undo_of: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("entity_changes.id", ondelete="SET NULL"))
    # The request (API call or CSV file) the change came in; None for undos and changes from before batches.
    batch_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("change_batches.id", ondelete="SET NULL"))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    applied_at: Mapped[datetime | None]
    verified_at: Mapped[datetime | None]

    __table_args__ = (
        Index("ix_entity_changes_newest", "organization_id", "created_at", "id"),
        Index("ix_entity_changes_entity", "organization_id", "entity_id", "created_at"),
        Index("ix_entity_changes_batch", "organization_id", "batch_id"),
        CheckConstraint(KIND_CHECK, name="kind"),
        CheckConstraint(SOURCE_CHECK, name="source"),
        CheckConstraint(STATUS_CHECK, name="status"),
    )
