"""A connection's account discovery runs as a job: its state, progress and error are kept on the connection

Connections made before this revision listed their accounts during the consent round trip: they are discovered.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07 12:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "platform_connections",
        sa.Column("discovery_state", sa.String(20), nullable=False, server_default="succeeded"),
    )
    op.add_column(
        "platform_connections",
        sa.Column("discovery_accounts_found", sa.Integer(), nullable=False, server_default="0"),
    )
    op.add_column("platform_connections", sa.Column("discovery_error", sa.Text(), nullable=True))
    op.add_column("platform_connections", sa.Column("discovery_started_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("platform_connections", sa.Column("discovery_finished_at", sa.DateTime(timezone=True), nullable=True))
    op.create_check_constraint(
        op.f("ck_platform_connections_discovery_state"),
        "platform_connections",
        "discovery_state IN ('queued', 'running', 'succeeded', 'failed')",
    )
    op.execute(
        """
        UPDATE platform_connections c SET discovery_accounts_found =
            (SELECT count(*) FROM ad_accounts a WHERE a.connection_id = c.id)
        """
    )


def downgrade() -> None:
    op.drop_constraint(op.f("ck_platform_connections_discovery_state"), "platform_connections", type_="check")
    for column in (
        "discovery_finished_at",
        "discovery_started_at",
        "discovery_error",
        "discovery_accounts_found",
        "discovery_state",
    ):
        op.drop_column("platform_connections", column)
