"""Request and response models of the organization endpoints."""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import Annotated, Literal
from uuid import UUID
from zoneinfo import available_timezones

from pydantic import AfterValidator, BaseModel, EmailStr, Field, StringConstraints

from adpilot.core.currencies import is_active_currency
from adpilot.core.text import NoNul
from adpilot.organizations.permissions import ChangeApproval, Permission, Role

InvitationStatus = Literal["pending", "accepted", "revoked", "expired"]

OrganizationName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120), NoNul]


@cache
def _time_zones() -> frozenset[str]:
    # available_timezones() walks the time zone database on disk at every call.
    return frozenset(available_timezones())


def _known_time_zone(value: str) -> str:
    if value not in _time_zones():
        raise ValueError("must be an IANA time zone name, such as Europe/Berlin or America/New_York")
    return value


def _active_currency(value: str) -> str:
    if not is_active_currency(value):
        raise ValueError("must be an ISO 4217 currency code in circulation, such as USD or EUR")
    return value


TimeZoneName = Annotated[
    str,
    Field(min_length=1, max_length=64, examples=["Europe/Berlin"], description="An IANA time zone name."),
    AfterValidator(_known_time_zone),
]
ReportingCurrency = Annotated[
    str,
    Field(pattern=r"^[A-Z]{3}$", examples=["EUR"], description="An ISO 4217 currency code in circulation."),
    AfterValidator(_active_currency),
]


class OrganizationCreate(BaseModel):
    name: OrganizationName


EmailDomain = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True,
        to_lower=True,
        min_length=3,
        max_length=253,
        pattern=r"^([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$",
    ),
]


class OrganizationUpdateRequest(BaseModel):
    name: OrganizationName | None = None
    require_mfa: bool | None = None
    time_zone: TimeZoneName | None = Field(
        default=None, description="Where dashboards and reports read today, last week and this month."
    )
    reporting_currency: ReportingCurrency | None = Field(
        default=None, description="Money from ad accounts in other currencies is converted to this one."
    )
    report_recipient_domains: list[EmailDomain] | None = Field(
        default=None,
        max_length=20,
        description="Email domains (e.g. client.example) members may send scheduled reports to; managers may send "
        "reports anywhere. Members' own addresses are always allowed.",
    )
    changes_require_approval: ChangeApproval | None = Field(
        default=None,
        description="Whose changes of ad platform entities wait for a manager's approval: nobody's, members' or all.",
    )


class OrganizationRead(BaseModel):
    id: UUID
    name: str
    require_mfa: bool
    role: Role
    permissions: list[Permission] = Field(
        description="What your role may do here; the web app shows or hides controls by it (the server enforces it).",
    )
    created_at: datetime
    time_zone: str = Field(description="IANA time zone of dashboards and reports.")
    reporting_currency: str = Field(description="ISO 4217 currency dashboards and reports show money in.")
    report_recipient_domains: list[str] = Field(
        default_factory=list, description="Email domains members may send scheduled reports to."
    )
    changes_require_approval: ChangeApproval = Field(
        default=ChangeApproval.members, description="Whose changes of ad platform entities wait for approval."
    )


class OrganizationList(BaseModel):
    items: list[OrganizationRead]


class MemberRead(BaseModel):
    user_id: UUID
    email: str
    display_name: str
    role: Role
    joined_at: datetime
    mfa_enabled: bool


class RoleChange(BaseModel):
    role: Role


class InvitationCreate(BaseModel):
    email: EmailStr
    role: Role


class InvitationRead(BaseModel):
    id: UUID
    email: str
    role: Role
    status: InvitationStatus
    expires_at: datetime
    created_at: datetime


class InvitationAccept(BaseModel):
    token: Annotated[str, StringConstraints(min_length=10, max_length=300)]
