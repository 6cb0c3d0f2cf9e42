"""The days of each ad account that a metrics sync wrote (synced coverage), derived from the succeeded runs

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 11:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from adpilot.migrations.rls import disable_tenant_rls, enable_tenant_rls

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "metric_sync_coverage",
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("ad_account_id", sa.Uuid(), nullable=False),
        sa.Column("synced_days", postgresql.DATEMULTIRANGE(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["ad_account_id"],
            ["ad_accounts.id"],
            name=op.f("fk_metric_sync_coverage_ad_account_id_ad_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_metric_sync_coverage_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("organization_id", "ad_account_id", name=op.f("pk_metric_sync_coverage")),
    )
    # Existing history: every succeeded run wrote all of its days (since..until, in the account's time zone). The
    # owner is subject to the runs' FORCE row-level security, so it is lifted for this one statement.
    op.execute("ALTER TABLE metric_sync_runs NO FORCE ROW LEVEL SECURITY")
    op.execute(
        """
        INSERT INTO metric_sync_coverage (organization_id, ad_account_id, synced_days, updated_at)
        SELECT organization_id, ad_account_id, range_agg(daterange(since, until, '[]')), now()
          FROM metric_sync_runs
         WHERE status = 'succeeded' AND since <= until
         GROUP BY organization_id, ad_account_id
        """
    )
    op.execute("ALTER TABLE metric_sync_runs FORCE ROW LEVEL SECURITY")
    enable_tenant_rls("metric_sync_coverage")


def downgrade() -> None:
    disable_tenant_rls("metric_sync_coverage")
    op.drop_table("metric_sync_coverage")
