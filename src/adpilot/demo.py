"""The demo workspace: a verified demo user who is admin of a demo organization. Later modules extend it."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import uuid4

from adpilot.auth import Principal, auth_service
from adpilot.config import Settings
from adpilot.core.time import utcnow
from adpilot.db import Database
from adpilot.organizations import organization_service

DEMO_ORGANIZATION = "Northwind Outdoor (demo)"


@dataclass(frozen=True)
class DemoLogin:
    email: str
    password: str
    created: bool


async def seed_demo(database: Database, settings: Settings) -> DemoLogin:
    """Create the demo user and organization unless the user already exists (idempotent)."""
    email = settings.demo_email
    password = settings.demo_password.get_secret_value()
    async with database.transaction() as session:
        existing = await auth_service.find_user(session, email)
        if existing is not None:
            return DemoLogin(email, password, created=False)
        user = await auth_service.sign_up(session, email, password, "Demo Marketer", send_verification=False)
        user.email_verified_at = utcnow()
        principal = Principal(user.id, uuid4(), user.email, mfa_enabled=False)
        await organization_service.create(session, principal, DEMO_ORGANIZATION, is_demo=True)
    return DemoLogin(email, password, created=True)
