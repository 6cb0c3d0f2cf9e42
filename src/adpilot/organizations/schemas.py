"""Request and response models of the organization endpoints."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

from pydantic import BaseModel, EmailStr, StringConstraints

from adpilot.core.text import NoNul
from adpilot.organizations.permissions import Role

OrganizationName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120), NoNul]


class OrganizationCreate(BaseModel):
    name: OrganizationName


class OrganizationUpdateRequest(BaseModel):
    name: OrganizationName | None = None
    require_mfa: bool | None = None


class OrganizationRead(BaseModel):
    id: UUID
    name: str
    require_mfa: bool
    role: Role
    created_at: datetime


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
    status: Literal["pending", "accepted", "revoked", "expired"]
    expires_at: datetime
    created_at: datetime


class InvitationAccept(BaseModel):
    token: Annotated[str, StringConstraints(min_length=10, max_length=300)]
