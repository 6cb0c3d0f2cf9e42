"""Whether an entity sync run read the whole tree ('full') or only what changed since the last run ('incremental')

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07 14:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Every run before this revision read the whole tree.
    op.add_column("sync_runs", sa.Column("mode", sa.String(20), nullable=False, server_default="full"))
    op.create_check_constraint(op.f("ck_sync_runs_mode"), "sync_runs", "mode IN ('full', 'incremental')")


def downgrade() -> None:
    op.drop_constraint(op.f("ck_sync_runs_mode"), "sync_runs", type_="check")
    op.drop_column("sync_runs", "mode")
