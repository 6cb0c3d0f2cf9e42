"""The change pipeline: entity_changes (every requested edit of an ad platform entity and its result) and the
organizations' changes_require_approval setting

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07 18:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from adpilot.migrations.rls import disable_tenant_rls, enable_tenant_rls

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "entity_changes",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("ad_account_id", sa.Uuid(), nullable=False),
        sa.Column("entity_id", sa.Uuid(), nullable=False),
        sa.Column("platform", sa.String(length=20), nullable=False),
        sa.Column("level", sa.String(length=20), nullable=False),
        sa.Column("platform_id", sa.String(length=64), nullable=False),
        sa.Column("entity_name", sa.String(length=512), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("value_before", sa.String(length=64), nullable=True),
        sa.Column("value_after", sa.String(length=64), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("requested_by_user_id", sa.Uuid(), nullable=True),
        sa.Column("source_id", sa.Uuid(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("reviewed_by_user_id", sa.Uuid(), nullable=True),
        sa.Column("review_note", sa.Text(), nullable=True),
        sa.Column("audit_entry_id", sa.Uuid(), nullable=True),
        sa.Column("undo_of", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("applied_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("verified_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("kind IN ('status', 'daily_budget')", name=op.f("ck_entity_changes_kind")),
        sa.CheckConstraint(
            "source IN ('person', 'rule', 'recommendation', 'undo')", name=op.f("ck_entity_changes_source")
        ),
        sa.CheckConstraint(
            "status IN ('pending_approval', 'approved', 'rejected', 'expired', 'queued', 'applying', 'applied', "
            "'verified', 'failed')",
            name=op.f("ck_entity_changes_status"),
        ),
        sa.ForeignKeyConstraint(
            ["ad_account_id"],
            ["ad_accounts.id"],
            name=op.f("fk_entity_changes_ad_account_id_ad_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_entity_changes_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["requested_by_user_id"],
            ["users.id"],
            name=op.f("fk_entity_changes_requested_by_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["reviewed_by_user_id"],
            ["users.id"],
            name=op.f("fk_entity_changes_reviewed_by_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["undo_of"],
            ["entity_changes.id"],
            name=op.f("fk_entity_changes_undo_of_entity_changes"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_entity_changes")),
    )
    op.create_index("ix_entity_changes_newest", "entity_changes", ["organization_id", "created_at", "id"])
    op.create_index("ix_entity_changes_entity", "entity_changes", ["organization_id", "entity_id", "created_at"])
    enable_tenant_rls("entity_changes")
    # Whose changes wait for a manager's approval: nobody's, members' (the default) or all.
    op.add_column(
        "organizations",
        sa.Column("changes_require_approval", sa.String(length=20), nullable=False, server_default="members"),
    )
    op.create_check_constraint(
        op.f("ck_organizations_changes_require_approval"),
        "organizations",
        "changes_require_approval IN ('none', 'members', 'all')",
    )


def downgrade() -> None:
    op.drop_constraint(op.f("ck_organizations_changes_require_approval"), "organizations", type_="check")
    op.drop_column("organizations", "changes_require_approval")
    disable_tenant_rls("entity_changes")
    op.drop_index("ix_entity_changes_entity", table_name="entity_changes")
    op.drop_index("ix_entity_changes_newest", table_name="entity_changes")
    op.drop_table("entity_changes")
