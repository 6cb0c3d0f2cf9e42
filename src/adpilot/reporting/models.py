"""Tables of the reporting module: report schedules, their runs and the organization's branding (migration 0009)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    SmallInteger,
    String,
    Text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.types import LargeBinary

from adpilot.core.columns import EnumText
from adpilot.core.runs import RunStatus
from adpilot.db import Base
from adpilot.reporting.schemas.query import Compare, Preset
from adpilot.reporting.schemas.reports import ReportFrequency, ReportRunTrigger

REPORT_FREQUENCY_CHECK = "frequency IN ('daily', 'weekly', 'monthly')"
REPORT_RUN_STATUS_CHECK = "status IN ('queued', 'running', 'succeeded', 'failed')"


class ReportSchedule(Base):
    """A report mailed on a schedule: when (frequency, day, local hour in an IANA zone), to whom, about what.

    ``next_run_at`` (UTC) is the next local slot, computed in the schedule's time zone; null while disabled.
    """

    __tablename__ = "report_schedules"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    organization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(120))
    frequency: Mapped[ReportFrequency] = mapped_column(EnumText(ReportFrequency, length=10))
    # 0 = Monday … 6 = Sunday (weekly only); 1 … 31 (monthly only; a shorter month uses its last day).
    weekday: Mapped[int | None] = mapped_column(SmallInteger)
    month_day: Mapped[int | None] = mapped_column(SmallInteger)
    hour: Mapped[int] = mapped_column(SmallInteger)
    time_zone: Mapped[str] = mapped_column(String(64))
    recipients: Mapped[list[str]] = mapped_column(JSONB)
    range_preset: Mapped[Preset] = mapped_column(EnumText(Preset))
    compare: Mapped[Compare] = mapped_column(EnumText(Compare))
    # The query filters of the report: platforms, ad account ids, statuses, name_contains.
    filters: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    attach_csv: Mapped[bool]
    enabled: Mapped[bool]
    next_run_at: Mapped[datetime | None]
    created_by_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    __table_args__ = (
        CheckConstraint(REPORT_FREQUENCY_CHECK, name="frequency"),
        CheckConstraint("hour BETWEEN 0 AND 23", name="hour"),
        CheckConstraint("weekday IS NULL OR weekday BETWEEN 0 AND 6", name="weekday"),
        CheckConstraint("month_day IS NULL OR month_day BETWEEN 1 AND 31", name="month_day"),
        Index("ix_report_schedules_org_created", "organization_id", "created_at"),
        Index("ix_report_schedules_due", "next_run_at", postgresql_where="enabled"),
    )


class ReportRun(Base):
    """One sending of a scheduled report (for one slot, or asked for now): status, attempts, error, sizes.

    (schedule, scheduled_for) is unique, so a slot is never queued twice; ``delivered_to`` lists the recipients
    already sent to, so a retried run never mails anyone twice.
    """

    __tablename__ = "report_runs"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    organization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    schedule_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("report_schedules.id", ondelete="CASCADE"))
    scheduled_for: Mapped[datetime]
    trigger: Mapped[ReportRunTrigger] = mapped_column(EnumText(ReportRunTrigger))
    status: Mapped[RunStatus] = mapped_column(EnumText(RunStatus))
    since: Mapped[date | None] = mapped_column(Date)
    until: Mapped[date | None] = mapped_column(Date)
    attempts: Mapped[int] = mapped_column(default=0)
    error: Mapped[str | None] = mapped_column(Text)
    recipients_count: Mapped[int] = mapped_column(default=0)
    delivered_to: Mapped[list[str]] = mapped_column(JSONB, default=list)
    pdf_bytes: Mapped[int | None]
    csv_bytes: Mapped[int | None]
    requested_by_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    queued_at: Mapped[datetime]
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]

    __table_args__ = (
        CheckConstraint(REPORT_RUN_STATUS_CHECK, name="status"),
        Index("ux_report_runs_slot", "schedule_id", "scheduled_for", unique=True),
        Index("ix_report_runs_schedule_queued", "organization_id", "schedule_id", "queued_at"),
    )


class OrganizationBranding(Base):
    """The organization's logo on its PDF reports (PNG, JPEG or SVG, at most 256 kB, uploaded by an admin)."""

    __tablename__ = "organization_branding"

    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True
    )
    logo: Mapped[bytes] = mapped_column(LargeBinary)
    logo_content_type: Mapped[str] = mapped_column(String(40))
    updated_by_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime]
