"""Ad platform connections: logins with encrypted credentials and health, their ad accounts, pending OAuth states

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22 06:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from adpilot.migrations.rls import disable_tenant_rls, enable_tenant_rls

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PLATFORM_CHECK = "platform IN ('google', 'meta', 'tiktok')"
TENANT_TABLES = ("platform_connections", "ad_accounts", "oauth_states")
# Cron fan-out reads across organizations as the owner (the role running this migration). FORCE row-level security
# applies to the owner too, so it gets a read-only policy of its own on the tables a fan-out scans; the app role is
# not concerned by it (``TO CURRENT_USER`` names the migrating role).
OWNER_SCANNED_TABLES = ("platform_connections", "ad_accounts")


def upgrade() -> None:
    op.create_table(
        "platform_connections",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("platform", sa.String(length=20), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("display_name", sa.String(length=300), nullable=False),
        sa.Column("credentials_ciphertext", sa.LargeBinary(), nullable=False),
        sa.Column("token_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("refreshed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("health", sa.String(length=20), nullable=False),
        sa.Column("health_reason", sa.Text(), nullable=True),
        sa.Column("health_changed_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("consecutive_failures", sa.Integer(), nullable=False),
        sa.Column("created_by_user_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(PLATFORM_CHECK, name=op.f("ck_platform_connections_platform")),
        sa.CheckConstraint(
            "health IN ('ok', 'degraded', 'needs_reconnect')", name=op.f("ck_platform_connections_health")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_user_id"],
            ["users.id"],
            name=op.f("fk_platform_connections_created_by_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_platform_connections_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_platform_connections")),
        sa.UniqueConstraint("organization_id", "platform", "subject", name="uq_platform_connections_login"),
    )
    op.create_index(
        op.f("ix_platform_connections_token_expires_at"), "platform_connections", ["token_expires_at"], unique=False
    )
    op.create_table(
        "ad_accounts",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("connection_id", sa.Uuid(), nullable=True),
        sa.Column("platform", sa.String(length=20), nullable=False),
        sa.Column("platform_account_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("time_zone", sa.String(length=64), nullable=False),
        sa.Column("login_customer_id", sa.String(length=64), nullable=True),
        sa.Column("is_manager", sa.Boolean(), nullable=False),
        sa.Column("platform_active", sa.Boolean(), nullable=False),
        sa.Column("managed", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(PLATFORM_CHECK, name=op.f("ck_ad_accounts_platform")),
        sa.ForeignKeyConstraint(
            ["connection_id"],
            ["platform_connections.id"],
            name=op.f("fk_ad_accounts_connection_id_platform_connections"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_ad_accounts_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ad_accounts")),
        sa.UniqueConstraint(
            "organization_id", "platform", "platform_account_id", name="uq_ad_accounts_platform_account"
        ),
    )
    op.create_index(op.f("ix_ad_accounts_connection_id"), "ad_accounts", ["connection_id"], unique=False)
    op.create_table(
        "oauth_states",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("session_id", sa.Uuid(), nullable=False),
        sa.Column("platform", sa.String(length=20), nullable=False),
        sa.Column("state_hash", sa.String(length=64), nullable=False),
        sa.Column("code_verifier_ciphertext", sa.LargeBinary(), nullable=True),
        sa.Column("redirect_uri", sa.String(length=500), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(PLATFORM_CHECK, name=op.f("ck_oauth_states_platform")),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_oauth_states_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_oauth_states_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_oauth_states")),
        sa.UniqueConstraint("state_hash", name=op.f("uq_oauth_states_state_hash")),
    )
    op.create_index(op.f("ix_oauth_states_organization_id"), "oauth_states", ["organization_id"], unique=False)

    for table in TENANT_TABLES:
        enable_tenant_rls(table)
    for table in OWNER_SCANNED_TABLES:
        op.execute(f"CREATE POLICY owner_scan ON {table} FOR SELECT TO CURRENT_USER USING (true)")

    # The refresh job's fan-out: which connections' credentials expire within ``margin``, across organizations.
    # The app role cannot read across tenants, so this runs with the owner's rights and returns ids only; each
    # connection is then refreshed in its own tenant-scoped transaction. EXECUTE is granted to the app role by
    # ``adpilot migrate`` (grant_app_role), and to nobody else.
    op.execute(
        """
        CREATE FUNCTION adpilot_connections_due_for_refresh(margin interval, max_rows integer DEFAULT 1000)
        RETURNS TABLE(organization_id uuid, connection_id uuid)
        LANGUAGE sql STABLE SECURITY DEFINER
        SET search_path = pg_catalog, public, pg_temp
        AS $$
            SELECT c.organization_id, c.id
              FROM public.platform_connections c
             WHERE c.token_expires_at IS NOT NULL
               AND c.token_expires_at <= now() + margin
               AND c.health <> 'needs_reconnect'
             ORDER BY c.token_expires_at
             LIMIT max_rows
        $$
        """
    )
    op.execute("REVOKE ALL ON FUNCTION adpilot_connections_due_for_refresh(interval, integer) FROM PUBLIC")


def downgrade() -> None:
    op.execute("DROP FUNCTION IF EXISTS adpilot_connections_due_for_refresh(interval, integer)")
    for table in OWNER_SCANNED_TABLES:
        op.execute(f"DROP POLICY IF EXISTS owner_scan ON {table}")
    for table in reversed(TENANT_TABLES):
        disable_tenant_rls(table)
    op.drop_index(op.f("ix_oauth_states_organization_id"), table_name="oauth_states")
    op.drop_table("oauth_states")
    op.drop_index(op.f("ix_ad_accounts_connection_id"), table_name="ad_accounts")
    op.drop_table("ad_accounts")
    op.drop_index(op.f("ix_platform_connections_token_expires_at"), table_name="platform_connections")
    op.drop_table("platform_connections")
