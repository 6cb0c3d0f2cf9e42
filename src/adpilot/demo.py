"""The demo workspace: a verified demo user who is admin of a demo organization. Later modules extend it."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import uuid4

from pydantic import EmailStr, TypeAdapter, ValidationError

from adpilot.auth import Principal, auth_service
from adpilot.config import Settings
from adpilot.core.errors import AppError
from adpilot.core.time import utcnow
from adpilot.db import Database
from adpilot.organizations import organization_service

DEMO_ORGANIZATION = "Northwind Outdoor (demo)"


class DemoSettingsInvalid(ValueError):
    """ADPILOT_DEMO_EMAIL or ADPILOT_DEMO_PASSWORD cannot make an account; the message says which and why."""


@dataclass(frozen=True)
class DemoLogin:
    email: str
    password: str
    created: bool


async def seed_demo(database: Database, settings: Settings) -> DemoLogin:
    """Create the demo user and organization unless the user already exists (idempotent)."""
    password = settings.demo_password.get_secret_value()
    try:
        email = str(TypeAdapter(EmailStr).validate_python(settings.demo_email))
    except ValidationError as exc:
        raise DemoSettingsInvalid(f"ADPILOT_DEMO_EMAIL is not a usable email address: {settings.demo_email!r}") from exc
    try:
        auth_service.check_password_strength(password, email)
    except AppError as exc:
        raise DemoSettingsInvalid(f"ADPILOT_DEMO_PASSWORD is refused: {exc.detail or exc.title}") from exc
    async with database.transaction() as session:
        existing = await auth_service.find_user(session, email)
        if existing is not None:
            return DemoLogin(email, password, created=False)
        user = await auth_service.sign_up(session, email, password, "Demo Marketer", send_verification=False)
        user.email_verified_at = utcnow()
        principal = Principal(user.id, uuid4(), user.email, mfa_enabled=False)
        await organization_service.create(session, principal, DEMO_ORGANIZATION, is_demo=True)
    return DemoLogin(email, password, created=True)
