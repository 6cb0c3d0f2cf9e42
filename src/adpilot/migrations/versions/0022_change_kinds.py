"""What the new change kinds need on ad_entities: bid strategy, bid, target ROAS, start and end dates

The bid settings and dates are columns rather than keys of ``raw``: the change pipeline checks requests against them
(a bid only where the bid strategy takes one, an end date not before the start), and ``raw`` is each platform's own
shape. The change kinds themselves (the kind CHECK, Text values) came with revision 0021.

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-07 20:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("ad_entities", sa.Column("bid_strategy", sa.String(64), nullable=True))
    op.add_column("ad_entities", sa.Column("bid_micros", sa.BigInteger(), nullable=True))
    op.add_column("ad_entities", sa.Column("target_roas", sa.Numeric(12, 4), nullable=True))
    op.add_column("ad_entities", sa.Column("start_date", sa.Date(), nullable=True))
    op.add_column("ad_entities", sa.Column("end_date", sa.Date(), nullable=True))


def downgrade() -> None:
    for column in ("end_date", "start_date", "target_roas", "bid_micros", "bid_strategy"):
        op.drop_column("ad_entities", column)
