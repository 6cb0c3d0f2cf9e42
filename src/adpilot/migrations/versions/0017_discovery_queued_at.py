"""When a connection's account discovery was queued, so that one whose job was lost can be told apart

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07 12:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("platform_connections", sa.Column("discovery_queued_at", sa.DateTime(timezone=True), nullable=True))
    # A discovery queued before this revision counts as queued when the connection last changed.
    op.execute(
        "UPDATE platform_connections SET discovery_queued_at = updated_at"
        " WHERE discovery_state IN ('queued', 'running')"
    )


def downgrade() -> None:
    op.drop_column("platform_connections", "discovery_queued_at")
