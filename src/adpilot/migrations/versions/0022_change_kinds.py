"""What the new change kinds need on ad_entities (bid strategy, bid, target ROAS, start and end dates), and the
change kinds themselves on entity_changes

The bid settings and dates are columns rather than keys of ``raw``: the change pipeline checks requests against them
(a bid only where the bid strategy takes one, an end date not before the start), and ``raw`` is each platform's own
shape. The widened kind CHECK and Text values are the change API revision's as well; whichever runs first applies
them and the other finds them in place.

Revision ID: 0022
Revises: 0020
Create Date: 2026-12-07 20:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0022"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KINDS = "kind IN ('status', 'daily_budget', 'lifetime_budget', 'bid', 'target_roas', 'name', 'end_date')"


def upgrade() -> None:
    op.add_column("ad_entities", sa.Column("bid_strategy", sa.String(64), nullable=True))
    op.add_column("ad_entities", sa.Column("bid_micros", sa.BigInteger(), nullable=True))
    op.add_column("ad_entities", sa.Column("target_roas", sa.Numeric(12, 4), nullable=True))
    op.add_column("ad_entities", sa.Column("start_date", sa.Date(), nullable=True))
    op.add_column("ad_entities", sa.Column("end_date", sa.Date(), nullable=True))
    op.drop_constraint(op.f("ck_entity_changes_kind"), "entity_changes", type_="check")
    op.create_check_constraint(op.f("ck_entity_changes_kind"), "entity_changes", KINDS)
    op.alter_column("entity_changes", "value_before", type_=sa.Text(), existing_nullable=True)
    op.alter_column("entity_changes", "value_after", type_=sa.Text(), existing_nullable=False)


def downgrade() -> None:
    op.execute("DELETE FROM entity_changes WHERE kind NOT IN ('status', 'daily_budget')")
    op.alter_column("entity_changes", "value_after", type_=sa.String(64), existing_nullable=False)
    op.alter_column("entity_changes", "value_before", type_=sa.String(64), existing_nullable=True)
    op.drop_constraint(op.f("ck_entity_changes_kind"), "entity_changes", type_="check")
    op.create_check_constraint(op.f("ck_entity_changes_kind"), "entity_changes", "kind IN ('status', 'daily_budget')")
    for column in ("end_date", "start_date", "target_roas", "bid_micros", "bid_strategy"):
        op.drop_column("ad_entities", column)
