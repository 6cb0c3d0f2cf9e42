"""Tables of the connections module: platform logins (with their encrypted credentials), their ad accounts, and the
pending OAuth round trips."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, LargeBinary, String, Text, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column

from adpilot.core.columns import EnumText
from adpilot.db import Base, CreatedAtMixin


class ConnectionHealth(StrEnum):
    ok = "ok"
    degraded = "degraded"
    needs_reconnect = "needs_reconnect"


class DiscoveryState(StrEnum):
    """Listing a login's ad accounts, a job queued when the login is connected."""

    queued = "queued"
    running = "running"
    succeeded = "succeeded"
    failed = "failed"


PLATFORM_CHECK = "platform IN ('google', 'meta', 'tiktok')"
HEALTH_CHECK = "health IN ('ok', 'degraded', 'needs_reconnect')"
DISCOVERY_CHECK = "discovery_state IN ('queued', 'running', 'succeeded', 'failed')"


class UpdatedAtMixin:
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now(), onupdate=func.now())


class PlatformConnection(CreatedAtMixin, UpdatedAtMixin, Base):
    """One platform login of an organization: who granted access, the encrypted credentials, and their health."""

    __tablename__ = "platform_connections"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    organization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    platform: Mapped[str] = mapped_column(String(20))
    # The platform's id of the login (Credentials.subject), or a digest of its account list when it has none.
    subject: Mapped[str] = mapped_column(String(200))
    display_name: Mapped[str] = mapped_column(String(300))
    # Credentials as JSON, encrypted by the vault (keys from the settings, never stored here).
    credentials_ciphertext: Mapped[bytes] = mapped_column(LargeBinary)
    token_expires_at: Mapped[datetime | None] = mapped_column(index=True)
    refreshed_at: Mapped[datetime | None]
    health: Mapped[ConnectionHealth] = mapped_column(EnumText(ConnectionHealth), default=ConnectionHealth.ok)
    health_reason: Mapped[str | None] = mapped_column(Text)
    health_changed_at: Mapped[datetime] = mapped_column(server_default=func.now())
    consecutive_failures: Mapped[int] = mapped_column(default=0)
    created_by_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # Listing the login's ad accounts (a job, not the consent request): queued, running, succeeded or failed.
    discovery_state: Mapped[DiscoveryState] = mapped_column(
        EnumText(DiscoveryState), default=DiscoveryState.succeeded, server_default="succeeded"
    )
    discovery_accounts_found: Mapped[int] = mapped_column(default=0, server_default="0")
    discovery_error: Mapped[str | None] = mapped_column(Text)
    discovery_queued_at: Mapped[datetime | None]
    discovery_started_at: Mapped[datetime | None]
    discovery_finished_at: Mapped[datetime | None]

    __table_args__ = (
        UniqueConstraint("organization_id", "platform", "subject", name="uq_platform_connections_login"),
        CheckConstraint(PLATFORM_CHECK, name="platform"),
        CheckConstraint(HEALTH_CHECK, name="health"),
        CheckConstraint(DISCOVERY_CHECK, name="discovery_state"),
    )


class AdAccount(CreatedAtMixin, UpdatedAtMixin, Base):
    """An ad account a login reaches. The row outlives a disconnect (``connection_id`` NULL) so history keeps it."""

    __tablename__ = "ad_accounts"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    organization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    connection_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("platform_connections.id", ondelete="SET NULL"), index=True
    )
    platform: Mapped[str] = mapped_column(String(20))
    platform_account_id: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(300))
    currency: Mapped[str] = mapped_column(String(3))
    time_zone: Mapped[str] = mapped_column(String(64))
    # The Google manager (MCC) account the login reaches this account through.
    login_customer_id: Mapped[str | None] = mapped_column(String(64))
    is_manager: Mapped[bool] = mapped_column(default=False)
    # Whether the platform lets it serve ads and the login still reaches it.
    platform_active: Mapped[bool] = mapped_column(default=True)
    # A person chose to manage it (sync, reports, rules); new accounts start unmanaged.
    managed: Mapped[bool] = mapped_column(default=False)

    __table_args__ = (
        UniqueConstraint("organization_id", "platform", "platform_account_id", name="uq_ad_accounts_platform_account"),
        # What metrics rows reference: the account and, in the same check, that it belongs to the row's organization.
        UniqueConstraint("organization_id", "id", name="uq_ad_accounts_organization_id_id"),
        CheckConstraint(PLATFORM_CHECK, name="platform"),
    )


class OAuthState(CreatedAtMixin, Base):
    """A consent round trip in progress, bound to the person, their session and the organization (10 minutes)."""

    __tablename__ = "oauth_states"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    organization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    session_id: Mapped[uuid.UUID]
    platform: Mapped[str] = mapped_column(String(20))
    # SHA-256 of the random state sent to the platform; the state itself is never stored.
    state_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The PKCE verifier, encrypted by the vault (None when the platform does not take PKCE).
    code_verifier_ciphertext: Mapped[bytes | None] = mapped_column(LargeBinary)
    redirect_uri: Mapped[str] = mapped_column(String(500))
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]

    __table_args__ = (CheckConstraint(PLATFORM_CHECK, name="platform"),)
