"""The demo workspace: a verified demo user who is admin of a demo organization connected to the sandbox's Google
Ads, Meta and TikTok accounts, with a member colleague and campaign drafts at each step of their review. Its history
of changes follows the accounts' first syncs (``adpilot.demo_changes``). Later modules extend it."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any
from uuid import UUID, uuid4

from pydantic import EmailStr, TypeAdapter, ValidationError

from adpilot.auth import Principal, auth_service
from adpilot.config import Settings
from adpilot.connections import account_service, oauth_flow
from adpilot.core.errors import AppError
from adpilot.core.pagination import MAX_PAGE_SIZE, TIME_ID, PageRequest
from adpilot.core.time import utcnow
from adpilot.db import Database
from adpilot.demo_changes import DEMO_COLLEAGUE_EMAIL, DEMO_COLLEAGUE_NAME
from adpilot.drafts import DraftDocument, draft_service
from adpilot.drafts.schemas import ReviewComment
from adpilot.organizations import Role, TenantContext, organization_service
from adpilot.organizations.errors import AlreadyMember
from adpilot.platforms.types import Credentials, Platform, RemoteAdAccount

if TYPE_CHECKING:
    from adpilot.sandbox.state import SandboxState

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
            principal = Principal(existing.id, uuid4(), existing.email, mfa_enabled=False, email_verified=True)
            demo_orgs = [
                org for org, role in await organization_service.list_for_user(session, principal) if org.is_demo
            ]
            created = False
        else:
            user = await auth_service.sign_up(session, email, password, "Demo Marketer", send_verification=False)
            if user is None:  # another process seeded the demo at the same moment
                raise DemoSettingsInvalid(f"The demo account {email} was being created concurrently; run it again.")
            user.email_verified_at = utcnow()
            principal = Principal(user.id, uuid4(), user.email, mfa_enabled=False, email_verified=True)
            demo_orgs = [await organization_service.create(session, principal, DEMO_ORGANIZATION, is_demo=True)]
            created = True
    if settings.sandbox_enabled:
        for organization in demo_orgs:
            # No rate is typed: its EUR, GBP and JPY accounts convert with the reference rates the worker fetches
            # from the sandbox's copy of the ECB's files.
            await connect_sandbox_platforms(database, settings, principal, organization.id)
            await add_demo_colleague(database, principal, organization.id)
            if created:
                await seed_demo_drafts(database, principal, organization.id)
    return DemoLogin(email, password, created=created)


async def add_demo_colleague(database: Database, principal: Principal, organization_id: UUID) -> bool:
    """The demo admin's colleague, a member whose changes wait for a manager's approval, invited and joined through
    the organization's own invitations (once; an older demo workspace gets it on its next start). The colleague's
    password is random: nobody logs in as them. Returns whether they joined now."""
    tenant = _tenant(principal, organization_id)
    async with database.tenant_transaction(organization_id, principal.user_id) as session:
        colleague = await auth_service.find_user(session, DEMO_COLLEAGUE_EMAIL)
        if colleague is None:
            colleague = await auth_service.sign_up(
                session, DEMO_COLLEAGUE_EMAIL, secrets.token_urlsafe(24), DEMO_COLLEAGUE_NAME, send_verification=False
            )
            if colleague is None:  # another process added them at the same moment
                return False
            colleague.email_verified_at = utcnow()
        try:
            invitation = await organization_service.invite(session, tenant, DEMO_COLLEAGUE_EMAIL, Role.member)
        except AlreadyMember:
            return False
        member = Principal(colleague.id, uuid4(), colleague.email, mfa_enabled=False, email_verified=True)
        await organization_service.accept_invitation(session, member, invitation.token or "")
    return True


def _tenant(principal: Principal, organization_id: UUID) -> TenantContext:
    return TenantContext(
        organization_id=organization_id,
        user_id=principal.user_id,
        email=principal.email,
        role=Role.admin,
        session_id=principal.session_id,
        mfa_enabled=False,
        email_verified=True,
    )


def _demo_document(name: str, targets: dict[str, UUID], **changes: Any) -> DraftDocument:
    """A spring campaign for the outdoor shop, valid on every platform it targets."""
    ad = {
        "name": "Trail shoes ad",
        "headlines": ["Trail shoes for spring", "Grip on every path", "Free returns"],
        "descriptions": ["Light, waterproof trail shoes.", "Free delivery over 60 euros."],
        "primary_texts": ["New season trail shoes, built for wet paths."],
        "final_url": "https://northwind.example.com/trail-shoes",
        "display_path": ["trail", "shoes"],
        "call_to_action": "SHOP_NOW",
        "image_urls": ["https://cdn.northwind.example.com/trail-shoes.jpg"],
        "video_urls": ["https://cdn.northwind.example.com/trail-shoes.mp4"],
    }
    document: dict[str, Any] = {
        "name": name,
        "targets": [{"platform": platform, "ad_account_id": str(account)} for platform, account in targets.items()],
        "objective": "traffic",
        "budget": {"type": "daily", "level": "campaign", "amount_micros": 40_000_000},
        "bidding": {"strategy": "lowest_cost"},
        "targeting": {"locations": ["US", "CA"], "languages": ["en"], "age_min": 25, "age_max": 54},
        "ad_groups": [{"name": "Trail runners", "ads": [ad]}],
        "platform_overrides": {"meta": {"special_ad_categories": []}},
    }
    document.update(changes)
    return DraftDocument.model_validate(document)


async def seed_demo_drafts(database: Database, principal: Principal, organization_id: UUID) -> int:
    """Four drafts through the drafts' own workflow: one being written, one in review, one sent back with a comment
    and one approved and ready to publish. Targets are the organization's first managed account per platform.
    Returns how many drafts were created (none without connected accounts)."""
    tenant = _tenant(principal, organization_id)
    async with database.tenant_transaction(organization_id, principal.user_id) as session:
        overview = await account_service.overview(session, tenant, PageRequest(MAX_PAGE_SIZE, None, TIME_ID))
        accounts: dict[str, UUID] = {}
        for details in overview.connections.items:
            managed = [account for account in details.accounts if account.managed and not account.is_manager]
            if managed:
                accounts.setdefault(str(details.connection.platform), managed[0].id)
        if not accounts:
            return 0
        both = {platform: account for platform, account in accounts.items() if platform in ("google", "meta")}
        drafts = draft_service
        await drafts.create(session, tenant, _demo_document("Autumn clearance (draft)", accounts))
        in_review = await drafts.create(session, tenant, _demo_document("Spring trail shoes", both))
        await drafts.submit(session, tenant, in_review.draft.id)
        sent_back = await drafts.create(session, tenant, _demo_document("Summer camping weekend", accounts))
        await drafts.submit(session, tenant, sent_back.draft.id)
        comment = ReviewComment(path="budget.amount_micros", message="Start at 25 a day and raise it after a week.")
        await drafts.request_changes(session, tenant, sent_back.draft.id, [comment])
        approved = await drafts.create(session, tenant, _demo_document("Rain jackets retargeting", both))
        await drafts.submit(session, tenant, approved.draft.id)
        await drafts.approve(session, tenant, approved.draft.id)
    return 4


async def connect_sandbox_platforms(
    database: Database, settings: Settings, principal: Principal, organization_id: UUID
) -> int:
    """Connect the demo organization to every sandbox platform (once) and manage all their ad accounts.

    The sandbox's token authority signs the demo login's credentials directly, where a person would go through the
    consent page (the server that serves that page is not running yet while the demo is seeded). Everything after
    that is the product's own path: credentials encrypted in the vault, ad accounts stored and managed, and the
    accounts' first entity and metrics syncs queued by the worker (reactions to ``AccountsManaged``), which runs them
    through the real adapters against the emulators once serving starts. The caller has installed the subscriptions
    (``adpilot.subscriptions.install``).
    Returns how many platforms were connected now.
    """
    from adpilot.app import sandbox_state

    state = sandbox_state(settings)
    tenant = _tenant(principal, organization_id)
    connected = 0
    async with database.tenant_transaction(organization_id, principal.user_id) as session:
        # A demo workspace has one connection per platform at most: the first page holds them all.
        overview = await account_service.overview(session, tenant, PageRequest(MAX_PAGE_SIZE, None, TIME_ID))
        already = {Platform(details.connection.platform) for details in overview.connections.items}
        for platform in Platform:
            # A platform with its own app credentials is not the sandbox: sandbox tokens are no use there.
            if platform in already or settings.has_app_credentials(platform.value):
                continue
            login = state.world.logins(platform)[0]
            remote = [
                RemoteAdAccount(
                    account_id=account.account_id,
                    name=account.name,
                    currency=account.currency,
                    time_zone=account.time_zone,
                    active=account.active,
                    platform_status="ENABLED" if account.active else "DISABLED",
                    login_customer_id=account.manager_id,
                    is_manager=account.is_manager,
                )
                for account in state.world.accessible_accounts(platform, login.login_id)
            ]
            details = await oauth_flow.store_connection(
                session, tenant, platform, _sandbox_credentials(state, platform, login.login_id), remote
            )
            await account_service.set_managed_accounts(
                session, tenant, details.connection.id, [a.id for a in details.accounts if not a.is_manager]
            )
            connected += 1
    return connected


def _sandbox_credentials(state: SandboxState, platform: Platform, login_id: str) -> Credentials:
    """What each platform's token endpoint would have returned for the demo login."""
    now = utcnow()
    if platform is Platform.google:
        access, expires_at = state.auth.issue_token(platform, login_id, "access", state.config.google_access_token_ttl)
        refresh, _ = state.auth.issue_token(platform, login_id, "refresh", None)
        return Credentials(
            access_token=access,
            refresh_token=refresh,
            expires_at=expires_at or now + timedelta(seconds=state.config.google_access_token_ttl),
            scopes=("https://www.googleapis.com/auth/adwords", "openid", "email"),
            subject=login_id,  # what Google's userinfo names the login (the adapter's subject)
        )
    if platform is Platform.meta:
        token, expires_at = state.auth.issue_token(platform, login_id, "long_lived", state.config.meta_long_token_ttl)
        # Meta's adapter names the login by its user id (``/me``); the same subject here makes a later reconnect
        # through the consent page replace these credentials instead of adding a second connection.
        return Credentials(
            access_token=token,
            expires_at=expires_at,
            scopes=("ads_management", "ads_read", "business_management"),
            subject=login_id,
        )
    token, _ = state.auth.issue_token(platform, login_id, "long_lived", None)
    return Credentials(access_token=token)
