"""Tables of the drafts module: drafts, their immutable versions, review comments, the organization's URL
template and the CSV files imported into drafts."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint, Uuid
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from adpilot.core.columns import EnumText
from adpilot.db import Base
from adpilot.drafts.schemas import DraftStatus, PublicationStatus

STATUS_CHECK = "status IN ('draft', 'in_review', 'approved', 'changes_requested', 'publishing', 'published', 'failed')"


class Draft(Base):
    """A campaign being prepared for one or several platforms; its content is the current version's document."""

    __tablename__ = "drafts"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    organization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(255))
    status: Mapped[DraftStatus] = mapped_column(EnumText(DraftStatus))
    platforms: Mapped[list[str]] = mapped_column(ARRAY(String(20)))
    current_version: Mapped[int]
    created_by_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    __table_args__ = (
        Index("ix_drafts_org_created", "organization_id", "created_at"),
        CheckConstraint(STATUS_CHECK, name="status"),
    )


class DraftVersion(Base):
    """One save of a draft, never changed afterwards."""

    __tablename__ = "draft_versions"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    organization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    draft_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("drafts.id", ondelete="CASCADE"))
    number: Mapped[int]
    document: Mapped[dict[str, Any]] = mapped_column(JSONB)
    created_by_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime]

    __table_args__ = (UniqueConstraint("draft_id", "number", name="uq_draft_versions_draft_number"),)


class DraftComment(Base):
    """A reviewer's comment on a field of a version, left when asking for changes."""

    __tablename__ = "draft_comments"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    organization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    draft_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("drafts.id", ondelete="CASCADE"))
    version: Mapped[int]
    path: Mapped[str] = mapped_column(String(300))
    message: Mapped[str] = mapped_column(Text)
    author_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime]

    __table_args__ = (Index("ix_draft_comments_draft", "draft_id", "created_at"),)


class DraftSettings(Base):
    """The organization's settings for drafts: its URL template."""

    __tablename__ = "draft_settings"

    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True
    )
    utm_template: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime]


class DraftImport(Base):
    """A CSV file imported into drafts, once per organization (by its SHA-256), with the drafts it created."""

    __tablename__ = "draft_imports"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    organization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    sha256: Mapped[str] = mapped_column(String(64))
    rows: Mapped[int]
    draft_ids: Mapped[list[uuid.UUID]] = mapped_column(ARRAY(Uuid))
    # What the import answered (the drafts' names, targets and counts, the warnings), answered again to a re-import.
    result: Mapped[dict[str, Any]] = mapped_column(JSONB)
    created_by_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime]

    __table_args__ = (UniqueConstraint("organization_id", "sha256", name="uq_draft_imports_org_sha256"),)


PUBLICATION_STATUS_CHECK = "status IN ('pending', 'publishing', 'published', 'failed', 'discarding', 'discarded')"


class DraftPublication(Base):
    """Publishing one target (platform + ad account) of one version of a draft: its progress and outcome."""

    __tablename__ = "draft_publications"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    organization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    draft_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("drafts.id", ondelete="CASCADE"))
    version: Mapped[int]
    target_index: Mapped[int]
    platform: Mapped[str] = mapped_column(String(20))
    ad_account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("ad_accounts.id", ondelete="CASCADE"))
    status: Mapped[PublicationStatus] = mapped_column(EnumText(PublicationStatus))
    # The platform's own message when the target failed.
    error: Mapped[str | None] = mapped_column(Text)
    # Attempts of the current round; ``retries``: rounds a person started again after a failure.
    attempts: Mapped[int] = mapped_column(default=0)
    retries: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]

    __table_args__ = (
        UniqueConstraint("draft_id", "target_index", name="uq_draft_publications_draft_target"),
        CheckConstraint(PUBLICATION_STATUS_CHECK, name="status"),
    )


class DraftPublishedEntity(Base):
    """An entity a publication created on its platform: ``key`` names it in the draft ("c", "g0", "g0.a1")."""

    __tablename__ = "draft_published_entities"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    organization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    publication_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("draft_publications.id", ondelete="CASCADE"))
    level: Mapped[str] = mapped_column(String(20))
    key: Mapped[str] = mapped_column(String(20))
    platform_id: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]

    __table_args__ = (UniqueConstraint("publication_id", "key", name="uq_draft_published_entities_key"),)
