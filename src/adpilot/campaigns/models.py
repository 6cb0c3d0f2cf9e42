"""Tables of the campaigns module: the synced entity tree of every managed ad account, and the log of sync runs."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, Numeric, String, Text, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from adpilot.campaigns.schemas import SyncMode, SyncTrigger
from adpilot.core.columns import EnumText
from adpilot.core.runs import RunStatus
from adpilot.db import Base
from adpilot.platforms.types import EntityStatus

LEVEL_CHECK = "level IN ('campaign', 'ad_group', 'ad')"
STATUS_CHECK = "status IN ('active', 'paused', 'removed')"
RUN_STATUS_CHECK = "status IN ('queued', 'running', 'succeeded', 'failed', 'deferred')"
RUN_MODE_CHECK = "mode IN ('full', 'incremental')"


class AdEntity(Base):
    """A campaign, ad group/ad set or ad of a managed ad account, as last read from its platform."""

    __tablename__ = "ad_entities"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    organization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    ad_account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("ad_accounts.id", ondelete="CASCADE"))
    platform: Mapped[str] = mapped_column(String(20))
    level: Mapped[str] = mapped_column(String(20))
    platform_id: Mapped[str] = mapped_column(String(64))
    parent_platform_id: Mapped[str | None] = mapped_column(String(64))
    campaign_platform_id: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(512))
    status: Mapped[EntityStatus] = mapped_column(EnumText(EntityStatus))
    platform_status: Mapped[str] = mapped_column(String(64))
    objective: Mapped[str | None] = mapped_column(String(64))
    currency: Mapped[str] = mapped_column(String(3))
    daily_budget_micros: Mapped[int | None] = mapped_column(BigInteger)
    lifetime_budget_micros: Mapped[int | None] = mapped_column(BigInteger)
    # How the platform bids (its own word, e.g. TARGET_CPA, LOWEST_COST_WITH_BID_CAP, BID_TYPE_CUSTOM), the bid or
    # target cost it takes in micros, the target ROAS (a ratio: 3.5 is 350 %), and the dates it serves between in
    # the account's time zone; None where the platform has none at this level.
    bid_strategy: Mapped[str | None] = mapped_column(String(64))
    bid_micros: Mapped[int | None] = mapped_column(BigInteger)
    target_roas: Mapped[Decimal | None] = mapped_column(Numeric(12, 4))
    start_date: Mapped[date | None]
    end_date: Mapped[date | None]
    # The platform's own fields, for what the unified model does not (yet) carry.
    raw: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    first_seen_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    # Set when the entity no longer appears on the platform (removed there); cleared if it comes back.
    removed_at: Mapped[datetime | None]

    __table_args__ = (
        UniqueConstraint("ad_account_id", "level", "platform_id", name="uq_ad_entities_account_level_platform_id"),
        Index("ix_ad_entities_browse", "organization_id", "ad_account_id", "level", "parent_platform_id", "name"),
        CheckConstraint(LEVEL_CHECK, name="level"),
        CheckConstraint(STATUS_CHECK, name="status"),
    )


class SyncRun(Base):
    """One sync of one ad account: when, what changed, and why it failed if it did."""

    __tablename__ = "sync_runs"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    organization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    ad_account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("ad_accounts.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))
    trigger: Mapped[SyncTrigger] = mapped_column(EnumText(SyncTrigger))
    status: Mapped[RunStatus] = mapped_column(EnumText(RunStatus))
    requested_by_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    queued_at: Mapped[datetime]
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    # {"campaign": {"created": 3, "updated": 1, "unchanged": 20, "removed": 0}, "ad_group": {...}, "ad": {...}}
    counts: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    error: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(default=0)
    # 'full': the whole tree was read; 'incremental': only what the platform said changed since the last run.
    mode: Mapped[SyncMode] = mapped_column(EnumText(SyncMode), default=SyncMode.full, server_default="full")

    __table_args__ = (
        Index("ix_sync_runs_account_queued", "organization_id", "ad_account_id", "queued_at"),
        CheckConstraint(RUN_STATUS_CHECK, name="status"),
        CheckConstraint(RUN_MODE_CHECK, name="mode"),
    )
