"""Request and response models of scheduled reports and the report logo."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Self
from uuid import UUID
from zoneinfo import available_timezones

from pydantic import AfterValidator, BaseModel, ConfigDict, EmailStr, Field, StringConstraints, model_validator

from adpilot.core.text import NoNul
from adpilot.platforms.types import Platform
from adpilot.reporting.schemas.query import CampaignStatus, Compare, Preset

MAX_RECIPIENTS = 50


class ReportFrequency(StrEnum):
    daily = "daily"
    weekly = "weekly"
    monthly = "monthly"


class ReportRunStatus(StrEnum):
    queued = "queued"
    running = "running"
    succeeded = "succeeded"
    failed = "failed"


class ReportRunTrigger(StrEnum):
    schedule = "schedule"
    manual = "manual"


def _known_time_zone(value: str) -> str:
    if value not in available_timezones():
        raise ValueError("must be an IANA time zone name, such as Europe/Berlin or America/New_York")
    return value


def _distinct_recipients(values: list[str]) -> list[str]:
    seen: dict[str, str] = {}
    for value in values:
        seen.setdefault(value.strip().lower(), value.strip())
    return list(seen.values())


TimeZoneName = Annotated[
    str,
    Field(min_length=1, max_length=64, examples=["Europe/Berlin"], description="An IANA time zone name."),
    AfterValidator(_known_time_zone),
]
ScheduleName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120), NoNul]
Recipients = Annotated[
    list[EmailStr],
    Field(min_length=1, max_length=MAX_RECIPIENTS, description=f"1 to {MAX_RECIPIENTS} email addresses."),
    AfterValidator(_distinct_recipients),
]
NameFilter = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200, pattern=r"^[^\x00]*$")]


class ReportFilters(BaseModel):
    """Which numbers the report covers (the query API's filters)."""

    model_config = ConfigDict(extra="forbid")

    platforms: list[Platform] = Field(default_factory=list, max_length=3)
    ad_account_ids: list[UUID] = Field(default_factory=list, max_length=100)
    statuses: list[CampaignStatus] = Field(default_factory=list, max_length=3)
    name_contains: NameFilter | None = None


class _Timing(BaseModel):
    frequency: ReportFrequency
    weekday: int | None
    month_day: int | None

    @model_validator(mode="after")
    def _day_fits_frequency(self) -> Self:
        check_day_fits_frequency(self.frequency, self.weekday, self.month_day)
        return self


def check_day_fits_frequency(frequency: ReportFrequency, weekday: int | None, month_day: int | None) -> None:
    if frequency is ReportFrequency.weekly and weekday is None:
        raise ValueError("a weekly report needs weekday (0 = Monday … 6 = Sunday)")
    if frequency is ReportFrequency.monthly and month_day is None:
        raise ValueError("a monthly report needs month_day (1 to 31; a shorter month uses its last day)")
    if frequency is not ReportFrequency.weekly and weekday is not None:
        raise ValueError("weekday applies to weekly reports only")
    if frequency is not ReportFrequency.monthly and month_day is not None:
        raise ValueError("month_day applies to monthly reports only")


class ReportScheduleCreate(_Timing):
    model_config = ConfigDict(extra="forbid")

    name: ScheduleName
    frequency: ReportFrequency
    weekday: int | None = Field(default=None, ge=0, le=6, description="Weekly: 0 = Monday … 6 = Sunday.")
    month_day: int | None = Field(
        default=None, ge=1, le=31, description="Monthly: the day of the month (a shorter month uses its last day)."
    )
    hour: int = Field(ge=0, le=23, description="Local hour of the day the report is sent, in time_zone.")
    time_zone: TimeZoneName
    recipients: Recipients
    range_preset: Preset = Field(
        default=Preset.last_7_days, description="The report's days, relative to the local date of each sending."
    )
    compare: Compare = Compare.previous_period
    filters: ReportFilters = Field(default_factory=ReportFilters)
    attach_csv: bool = Field(default=False, description="Attach the campaign breakdown as CSV beside the PDF.")
    enabled: bool = True


class ReportScheduleUpdate(BaseModel):
    """Only the fields given change; the day must still fit the frequency afterwards."""

    model_config = ConfigDict(extra="forbid")

    name: ScheduleName | None = None
    frequency: ReportFrequency | None = None
    weekday: int | None = Field(default=None, ge=0, le=6)
    month_day: int | None = Field(default=None, ge=1, le=31)
    hour: int | None = Field(default=None, ge=0, le=23)
    time_zone: TimeZoneName | None = None
    recipients: Recipients | None = None
    range_preset: Preset | None = None
    compare: Compare | None = None
    filters: ReportFilters | None = None
    attach_csv: bool | None = None
    enabled: bool | None = None


class ReportScheduleRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    name: str
    frequency: ReportFrequency
    weekday: int | None
    month_day: int | None
    hour: int
    time_zone: str
    recipients: list[str]
    range_preset: Preset
    compare: Compare
    filters: ReportFilters
    attach_csv: bool
    enabled: bool
    next_run_at: datetime | None = Field(description="When the next sending is due (UTC); null while disabled.")
    created_by_user_id: UUID | None
    created_at: datetime
    updated_at: datetime


class ReportRunRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    schedule_id: UUID
    scheduled_for: datetime = Field(description="The slot this sending is for (the request time for send-now).")
    trigger: ReportRunTrigger
    status: ReportRunStatus
    since: date | None = Field(description="First day of the report (set when the run starts).")
    until: date | None
    attempts: int
    error: str | None = Field(description="Why the last attempt failed; a queued run with an error will retry.")
    recipients_count: int
    delivered_count: int = Field(description="Recipients the report reached so far.")
    pdf_bytes: int | None
    csv_bytes: int | None
    queued_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


class BrandingRead(BaseModel):
    has_logo: bool
    logo_content_type: str | None
    logo_bytes: int | None
    updated_at: datetime | None
