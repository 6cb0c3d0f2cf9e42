"""Change batches (every request of changes, by the API or a CSV file), entity_changes.batch_id, longer values,
the change kinds beyond status and daily budget, and the expiry job's fan-out function

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-07 20:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from adpilot.migrations.rls import disable_tenant_rls, enable_tenant_rls

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KIND_CHECK = "kind IN ('status', 'daily_budget', 'lifetime_budget', 'bid', 'target_roas', 'name', 'end_date')"
OLD_KIND_CHECK = "kind IN ('status', 'daily_budget')"


def upgrade() -> None:
    op.create_table(
        "change_batches",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("file_sha256", sa.Text(), nullable=True),
        sa.Column("requested_by_user_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("change_count", sa.Integer(), nullable=False),
        sa.CheckConstraint("source IN ('api', 'csv')", name=op.f("ck_change_batches_source")),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_change_batches_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["requested_by_user_id"],
            ["users.id"],
            name=op.f("fk_change_batches_requested_by_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_change_batches")),
    )
    # The same CSV file imported twice is one batch.
    op.create_index(
        "ux_change_batches_file",
        "change_batches",
        ["organization_id", "file_sha256"],
        unique=True,
        postgresql_where=sa.text("file_sha256 IS NOT NULL"),
    )
    enable_tenant_rls("change_batches")

    op.add_column("entity_changes", sa.Column("batch_id", sa.Uuid(), nullable=True))
    op.create_foreign_key(
        op.f("fk_entity_changes_batch_id_change_batches"),
        "entity_changes",
        "change_batches",
        ["batch_id"],
        ["id"],
        ondelete="SET NULL",
    )
    op.create_index("ix_entity_changes_batch", "entity_changes", ["organization_id", "batch_id"])
    # Names are values too (up to 512 characters).
    op.alter_column("entity_changes", "value_before", type_=sa.Text(), existing_type=sa.String(length=64))
    op.alter_column(
        "entity_changes", "value_after", type_=sa.Text(), existing_type=sa.String(length=64), existing_nullable=False
    )
    op.drop_constraint(op.f("ck_entity_changes_kind"), "entity_changes", type_="check")
    op.create_check_constraint(op.f("ck_entity_changes_kind"), "entity_changes", KIND_CHECK)
    # The owner (whose rights the function below runs with) may read entity_changes across tenants; the app role may
    # not.
    op.execute("CREATE POLICY owner_scan ON entity_changes FOR SELECT TO CURRENT_USER USING (true)")
    # The organizations with changes waiting for approval since before ``cutoff`` (the expiry job's fan-out: the app
    # role cannot read across tenants, so this returns ids only; each organization is then expired in its own
    # tenant-scoped transaction).
    op.execute(
        """
        CREATE FUNCTION adpilot_changes_due_for_expiry(cutoff timestamptz)
        RETURNS TABLE(organization_id uuid)
        LANGUAGE sql STABLE SECURITY DEFINER
        SET search_path = pg_catalog, public, pg_temp
        AS $$
            SELECT DISTINCT c.organization_id
              FROM public.entity_changes c
             WHERE c.status = 'pending_approval' AND c.created_at < cutoff
        $$
        """
    )
    op.execute("REVOKE ALL ON FUNCTION adpilot_changes_due_for_expiry(timestamptz) FROM PUBLIC")


def downgrade() -> None:
    op.execute("DROP FUNCTION IF EXISTS adpilot_changes_due_for_expiry(timestamptz)")
    op.execute("DROP POLICY IF EXISTS owner_scan ON entity_changes")
    op.execute(f"DELETE FROM entity_changes WHERE NOT ({OLD_KIND_CHECK})")
    op.drop_constraint(op.f("ck_entity_changes_kind"), "entity_changes", type_="check")
    op.create_check_constraint(op.f("ck_entity_changes_kind"), "entity_changes", OLD_KIND_CHECK)
    op.alter_column(
        "entity_changes",
        "value_after",
        type_=sa.String(length=64),
        existing_type=sa.Text(),
        existing_nullable=False,
        postgresql_using="left(value_after, 64)",
    )
    op.alter_column(
        "entity_changes",
        "value_before",
        type_=sa.String(length=64),
        existing_type=sa.Text(),
        postgresql_using="left(value_before, 64)",
    )
    op.drop_index("ix_entity_changes_batch", table_name="entity_changes")
    op.drop_constraint(op.f("fk_entity_changes_batch_id_change_batches"), "entity_changes", type_="foreignkey")
    op.drop_column("entity_changes", "batch_id")
    disable_tenant_rls("change_batches")
    op.drop_index("ux_change_batches_file", table_name="change_batches")
    op.drop_table("change_batches")
