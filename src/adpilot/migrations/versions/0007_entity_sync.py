"""Entity sync: the synced campaign tree of each managed ad account, and the sync log

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-22 06:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from adpilot.migrations.rls import disable_tenant_rls, enable_tenant_rls

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "ad_entities",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("ad_account_id", sa.Uuid(), nullable=False),
        sa.Column("platform", sa.String(length=20), nullable=False),
        sa.Column("level", sa.String(length=20), nullable=False),
        sa.Column("platform_id", sa.String(length=64), nullable=False),
        sa.Column("parent_platform_id", sa.String(length=64), nullable=True),
        sa.Column("campaign_platform_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=512), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("platform_status", sa.String(length=64), nullable=False),
        sa.Column("objective", sa.String(length=64), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("daily_budget_micros", sa.BigInteger(), nullable=True),
        sa.Column("lifetime_budget_micros", sa.BigInteger(), nullable=True),
        sa.Column("raw", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("first_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("removed_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("level IN ('campaign', 'ad_group', 'ad')", name=op.f("ck_ad_entities_level")),
        sa.CheckConstraint("status IN ('active', 'paused', 'removed')", name=op.f("ck_ad_entities_status")),
        sa.ForeignKeyConstraint(
            ["ad_account_id"],
            ["ad_accounts.id"],
            name=op.f("fk_ad_entities_ad_account_id_ad_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_ad_entities_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ad_entities")),
        sa.UniqueConstraint("ad_account_id", "level", "platform_id", name="uq_ad_entities_account_level_platform_id"),
    )
    op.create_index(
        "ix_ad_entities_browse",
        "ad_entities",
        ["organization_id", "ad_account_id", "level", "parent_platform_id", "name"],
        unique=False,
    )
    op.create_table(
        "sync_runs",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("ad_account_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("trigger", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("requested_by_user_id", sa.Uuid(), nullable=True),
        sa.Column("queued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("counts", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "status IN ('queued', 'running', 'succeeded', 'failed', 'deferred')", name=op.f("ck_sync_runs_status")
        ),
        sa.ForeignKeyConstraint(
            ["ad_account_id"],
            ["ad_accounts.id"],
            name=op.f("fk_sync_runs_ad_account_id_ad_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_sync_runs_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["requested_by_user_id"],
            ["users.id"],
            name=op.f("fk_sync_runs_requested_by_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sync_runs")),
    )
    op.create_index(
        "ix_sync_runs_account_queued", "sync_runs", ["organization_id", "ad_account_id", "queued_at"], unique=False
    )
    enable_tenant_rls("ad_entities")
    enable_tenant_rls("sync_runs")

    # The scheduler's cross-tenant listing. The app role sees one organization per transaction, so this runs as the
    # owner (SECURITY DEFINER) and walks the organizations (not FORCEd for the owner) one tenant at a time, under
    # the same row-level security, returning ids only; it restores the caller's tenant setting before returning.
    op.execute(
        """
        CREATE FUNCTION adpilot_due_entity_syncs(interval_minutes integer)
        RETURNS TABLE (organization_id uuid, ad_account_id uuid)
        LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
        DECLARE
          previous text := COALESCE(current_setting('app.organization_id', true), '');
          org uuid;
        BEGIN
          FOR org IN SELECT o.id FROM organizations o LOOP
            PERFORM set_config('app.organization_id', org::text, true);
            RETURN QUERY
              SELECT a.organization_id, a.id
                FROM ad_accounts a JOIN platform_connections c ON c.id = a.connection_id
               WHERE a.organization_id = org AND a.managed AND c.health <> 'needs_reconnect'
                 AND NOT EXISTS (
                   SELECT 1 FROM sync_runs r
                    WHERE r.organization_id = org AND r.ad_account_id = a.id AND r.kind = 'entities'
                      AND ((r.status = 'queued' AND r.queued_at > now() - interval '24 hours')
                           OR (r.status = 'running' AND r.started_at > now() - interval '1 hour')
                           OR r.queued_at > now() - make_interval(mins => interval_minutes)));
          END LOOP;
          PERFORM set_config('app.organization_id', previous, true);
        END $$;
        """
    )


def downgrade() -> None:
    op.execute("DROP FUNCTION adpilot_due_entity_syncs(integer)")
    disable_tenant_rls("sync_runs")
    disable_tenant_rls("ad_entities")
    op.drop_index("ix_sync_runs_account_queued", table_name="sync_runs")
    op.drop_table("sync_runs")
    op.drop_index("ix_ad_entities_browse", table_name="ad_entities")
    op.drop_table("ad_entities")
