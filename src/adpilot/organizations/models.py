"""Tables of the organizations module: organizations, memberships and invitations."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from adpilot.core.columns import EnumText
from adpilot.db import Base, CreatedAtMixin
from adpilot.organizations.permissions import ChangeApproval, Role

ROLE_CHECK = "role IN ('admin', 'manager', 'member', 'viewer')"


class Organization(CreatedAtMixin, Base):
    __tablename__ = "organizations"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    name: Mapped[str] = mapped_column(String(120))
    require_mfa: Mapped[bool] = mapped_column(default=False)
    is_demo: Mapped[bool] = mapped_column(default=False)
    # Reporting: "today", "last 7 days" and report schedules are read in this IANA time zone, and money from ad
    # accounts in other currencies is converted to this ISO 4217 currency with the organization's exchange rates.
    time_zone: Mapped[str] = mapped_column(String(64), default="UTC", server_default="UTC")
    reporting_currency: Mapped[str] = mapped_column(String(3), default="USD", server_default="USD")
    # Email domains (lower case) that members may send scheduled reports to; managers may send anywhere.
    report_recipient_domains: Mapped[list[str]] = mapped_column(JSONB, default=list, server_default=text("'[]'::jsonb"))
    # Whose changes of ad platform entities wait for a manager (see adpilot.changes).
    changes_require_approval: Mapped[ChangeApproval] = mapped_column(
        EnumText(ChangeApproval), default=ChangeApproval.members, server_default="members"
    )

    __table_args__ = (
        CheckConstraint("changes_require_approval IN ('none', 'members', 'all')", name="changes_require_approval"),
    )


class Membership(CreatedAtMixin, Base):
    __tablename__ = "memberships"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    organization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[Role] = mapped_column(EnumText(Role))

    __table_args__ = (
        UniqueConstraint("organization_id", "user_id", name="uq_memberships_organization_user"),
        CheckConstraint(ROLE_CHECK, name="role"),
    )


class Invitation(CreatedAtMixin, Base):
    __tablename__ = "invitations"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    organization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"), index=True)
    email: Mapped[str] = mapped_column(String(320))
    role: Mapped[Role] = mapped_column(EnumText(Role))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    invited_by_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    expires_at: Mapped[datetime]
    accepted_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

    __table_args__ = (CheckConstraint(ROLE_CHECK, name="role"),)
