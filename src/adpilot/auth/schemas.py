"""Request and response models of the auth endpoints."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated
from uuid import UUID

from pydantic import BaseModel, ConfigDict, EmailStr, Field, StringConstraints

from adpilot.core.text import NoNul

Password = Annotated[str, Field(min_length=1, max_length=200)]
DisplayName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120), NoNul]
OneTimeToken = Annotated[str, Field(min_length=10, max_length=200)]
MfaCode = Annotated[str, Field(min_length=6, max_length=20, description="A 6-digit TOTP code or a recovery code.")]


class SignupRequest(BaseModel):
    email: EmailStr
    password: Password
    display_name: DisplayName


class SignupAccepted(BaseModel):
    """The answer to every well-formed sign-up, whether or not the email already had an account."""

    email: str
    detail: str = "If this address can be used, a message with the next step is on its way to it."


class LoginRequest(BaseModel):
    email: EmailStr
    password: Password


class MfaLoginRequest(BaseModel):
    mfa_token: Annotated[str, Field(min_length=10, max_length=2000)]
    code: MfaCode


class EmailRequest(BaseModel):
    email: EmailStr


class TokenRequest(BaseModel):
    token: OneTimeToken


class ResetPasswordRequest(BaseModel):
    token: OneTimeToken
    password: Password


class LoginStatus(StrEnum):
    ok = "ok"
    mfa_required = "mfa_required"


class LoginResponse(BaseModel):
    status: LoginStatus
    access_token: str | None = None
    expires_in: int | None = None
    mfa_token: str | None = None


class TokenResponse(BaseModel):
    access_token: str
    expires_in: int


class UserRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    email: str
    display_name: str
    email_verified: bool
    mfa_enabled: bool
    created_at: datetime


class UserUpdate(BaseModel):
    display_name: DisplayName


class SessionRead(BaseModel):
    id: UUID
    created_at: datetime
    last_seen_at: datetime
    ip: str | None
    user_agent: str | None
    current: bool


class SessionList(BaseModel):
    items: list[SessionRead]


class MfaSetupRead(BaseModel):
    secret: str
    otpauth_uri: str
    qr_svg: str = Field(description="The otpauth URI as an SVG QR code.")


class MfaCodeRequest(BaseModel):
    code: MfaCode


class RecoveryCodes(BaseModel):
    recovery_codes: list[str]


class SecurityEventRead(BaseModel):
    """One security event of your account."""

    id: UUID
    kind: str = Field(
        description="logged_in, logged_in_with_recovery_code, logged_out, session_revoked, refresh_token_reused, "
        "password_reset, email_verified, mfa_enabled or mfa_disabled."
    )
    occurred_at: datetime
    ip: str | None
    user_agent: str | None
    current_session: bool = Field(description="It happened in the session making this request.")
