"""All clicks as a metric of their own; Meta's clicks become link clicks

The cross-platform ``clicks`` are clicks to the ad's destination. Meta's ``clicks`` field counts every click (likes,
comments, profile and "see more" clicks too), so Meta rows kept so far carried all clicks as clicks. Every metrics
table gets ``all_clicks`` (equal to ``clicks`` where a platform has no broader count); Meta's stored rows move their
clicks to ``all_clicks`` and take the link clicks kept in ``extras['link_clicks']`` as ``clicks``, and the rollups
follow. Meta's hours, which never kept link clicks, keep their clicks until the next read (a few days are kept).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 11:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = (
    "metrics_daily",
    "metrics_campaign_daily",
    "metrics_campaign_monthly",
    "metrics_campaign_monthly_converted",
    "metrics_account_daily",
    "metrics_account_monthly",
    "metrics_hourly",
)

# Meta's stored rows, then their rollups rebuilt bottom-up from them (only Meta's sums change).
_META_CLICKS = (
    """
    UPDATE metrics_daily SET clicks = COALESCE((extras ->> 'link_clicks')::bigint, 0), extras = extras - 'link_clicks'
     WHERE platform = 'meta'
    """,
    """
    UPDATE metrics_campaign_daily c SET clicks = d.clicks
      FROM metrics_daily d
     WHERE c.platform = 'meta' AND d.organization_id = c.organization_id AND d.ad_account_id = c.ad_account_id
       AND d.level = 'campaign' AND d.entity_platform_id = c.campaign_platform_id AND d.day = c.day
    """,
    """
    UPDATE metrics_account_daily a SET clicks = s.clicks
      FROM (SELECT organization_id, ad_account_id, day, sum(clicks) AS clicks FROM metrics_campaign_daily
             WHERE platform = 'meta' GROUP BY organization_id, ad_account_id, day) s
     WHERE a.organization_id = s.organization_id AND a.ad_account_id = s.ad_account_id AND a.day = s.day
    """,
    """
    UPDATE metrics_campaign_monthly m SET clicks = s.clicks
      FROM (SELECT organization_id, ad_account_id, campaign_platform_id, date_trunc('month', day)::date AS month,
                   sum(clicks) AS clicks
              FROM metrics_campaign_daily WHERE platform = 'meta'
             GROUP BY organization_id, ad_account_id, campaign_platform_id, date_trunc('month', day)) s
     WHERE m.organization_id = s.organization_id AND m.ad_account_id = s.ad_account_id
       AND m.campaign_platform_id = s.campaign_platform_id AND m.month = s.month
    """,
    """
    UPDATE metrics_campaign_monthly_converted m SET clicks = s.clicks
      FROM metrics_campaign_monthly s
     WHERE m.platform = 'meta' AND m.organization_id = s.organization_id AND m.ad_account_id = s.ad_account_id
       AND m.campaign_platform_id = s.campaign_platform_id AND m.month = s.month
    """,
    """
    UPDATE metrics_account_monthly a SET clicks = s.clicks
      FROM (SELECT organization_id, ad_account_id, month, sum(clicks) AS clicks FROM metrics_campaign_monthly
             WHERE platform = 'meta' GROUP BY organization_id, ad_account_id, month) s
     WHERE a.organization_id = s.organization_id AND a.ad_account_id = s.ad_account_id AND a.month = s.month
    """,
)


def upgrade() -> None:
    for table in TABLES:
        op.add_column(table, sa.Column("all_clicks", sa.BigInteger(), nullable=True))
        # The owner runs migrations; FORCEd row-level security would hide every row from it.
        op.execute(f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY")
        op.execute(f"UPDATE {table} SET all_clicks = clicks")
    for statement in _META_CLICKS:
        op.execute(statement)
    for table in TABLES:
        op.alter_column(table, "all_clicks", nullable=False)
        op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")


def downgrade() -> None:
    for table in TABLES:
        op.execute(f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY")
    # Meta's rows get their all clicks back as clicks, the link clicks back into extras.
    op.execute(
        "UPDATE metrics_daily SET extras = extras || jsonb_build_object('link_clicks', clicks), clicks = all_clicks "
        "WHERE platform = 'meta'"
    )
    for table in TABLES[1:]:
        op.execute(f"UPDATE {table} SET clicks = all_clicks WHERE platform = 'meta'")
    for table in TABLES:
        op.drop_column(table, "all_clicks")
        op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
