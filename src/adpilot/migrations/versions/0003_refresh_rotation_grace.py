"""Refresh-token rotation: remember the replaced token and when, for concurrent refreshes from several tabs

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 04:02:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("user_sessions", sa.Column("previous_token_hash", sa.String(length=64), nullable=True))
    op.add_column("user_sessions", sa.Column("rotated_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    op.drop_column("user_sessions", "rotated_at")
    op.drop_column("user_sessions", "previous_token_hash")
