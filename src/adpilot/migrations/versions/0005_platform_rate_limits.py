"""Platform rate limits: one row per limiter key, shared by every API and worker process

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22 05:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Not tenant data: keys name a platform and an ad account id ("google:account:1234567890"), never an organization.
    # ``next_at`` is the generic cell rate algorithm's theoretical arrival time; ``blocked_until`` is the end of a
    # pause the platform asked for (Retry-After, retryDelay, estimated_time_to_regain_access).
    op.create_table(
        "platform_rate_limits",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("next_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("blocked_until", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_platform_rate_limits")),
    )


def downgrade() -> None:
    op.drop_table("platform_rate_limits")
