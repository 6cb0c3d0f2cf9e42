"""Analytics: the metrics store and its rollups, the reporting dimension, metrics sync runs, exchange rates, and
each organization's reporting time zone and currency

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-22 08:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql

from adpilot.migrations.rls import disable_tenant_rls, enable_tenant_rls

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TENANT_TABLES = (
    "metrics_daily",
    "metrics_campaign_daily",
    "metrics_campaign_monthly",
    "metrics_campaign_monthly_converted",
    "metrics_account_daily",
    "metrics_account_monthly",
    "metrics_hourly",
    "metric_entities",
    "metric_sync_runs",
    "exchange_rates",
)


def upgrade() -> None:
    # metrics_daily's one foreign key names the account and its organization together.
    op.create_unique_constraint(op.f("uq_ad_accounts_organization_id_id"), "ad_accounts", ["organization_id", "id"])
    op.create_table(
        "exchange_rates",
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("base_currency", sa.String(length=3), nullable=False),
        sa.Column("quote_currency", sa.String(length=3), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("rate", sa.Numeric(precision=24, scale=12), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("updated_by_user_id", sa.Uuid(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("base_currency <> quote_currency", name=op.f("ck_exchange_rates_distinct_currencies")),
        sa.CheckConstraint("rate > 0", name=op.f("ck_exchange_rates_rate_positive")),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_exchange_rates_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_user_id"],
            ["users.id"],
            name=op.f("fk_exchange_rates_updated_by_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint(
            "organization_id", "base_currency", "quote_currency", "day", name=op.f("pk_exchange_rates")
        ),
    )
    op.create_table(
        "metric_entities",
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("ad_account_id", sa.Uuid(), nullable=False),
        sa.Column("level", sa.String(length=20), nullable=False),
        sa.Column("platform_id", sa.String(length=64), nullable=False),
        sa.Column("platform", sa.String(length=20), nullable=False),
        sa.Column("campaign_platform_id", sa.String(length=64), nullable=False),
        sa.Column("parent_platform_id", sa.String(length=64), nullable=True),
        sa.Column("name", sa.String(length=512), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("level IN ('campaign', 'ad_group', 'ad')", name=op.f("ck_metric_entities_level")),
        sa.ForeignKeyConstraint(
            ["ad_account_id"],
            ["ad_accounts.id"],
            name=op.f("fk_metric_entities_ad_account_id_ad_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_metric_entities_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "organization_id", "ad_account_id", "level", "platform_id", name=op.f("pk_metric_entities")
        ),
    )
    op.create_index(
        "ix_metric_entities_parent",
        "metric_entities",
        ["organization_id", "level", "campaign_platform_id"],
        unique=False,
    )
    op.create_table(
        "metric_sync_runs",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("ad_account_id", sa.Uuid(), nullable=False),
        sa.Column("scope", sa.String(length=20), nullable=False),
        sa.Column("trigger", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("since", sa.Date(), nullable=False),
        sa.Column("until", sa.Date(), nullable=False),
        sa.Column("days_total", sa.Integer(), nullable=False),
        sa.Column("days_done", sa.Integer(), nullable=False),
        sa.Column("rows_written", sa.BigInteger(), nullable=False),
        sa.Column("requested_by_user_id", sa.Uuid(), nullable=True),
        sa.Column("queued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.CheckConstraint("scope IN ('backfill', 'recent', 'restate')", name=op.f("ck_metric_sync_runs_scope")),
        sa.CheckConstraint(
            "status IN ('queued', 'running', 'succeeded', 'failed', 'deferred')",
            name=op.f("ck_metric_sync_runs_status"),
        ),
        sa.ForeignKeyConstraint(
            ["ad_account_id"],
            ["ad_accounts.id"],
            name=op.f("fk_metric_sync_runs_ad_account_id_ad_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_metric_sync_runs_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["requested_by_user_id"],
            ["users.id"],
            name=op.f("fk_metric_sync_runs_requested_by_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_metric_sync_runs")),
    )
    op.create_index(
        "ix_metric_sync_runs_account_queued",
        "metric_sync_runs",
        ["organization_id", "ad_account_id", "queued_at"],
        unique=False,
    )
    op.create_table(
        "metrics_account_daily",
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("ad_account_id", sa.Uuid(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("platform", sa.String(length=20), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("impressions", sa.BigInteger(), nullable=False),
        sa.Column("clicks", sa.BigInteger(), nullable=False),
        sa.Column("spend_micros", sa.BigInteger(), nullable=False),
        sa.Column("conversions", sa.Numeric(precision=20, scale=6), nullable=False),
        sa.Column("conversion_value_micros", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["ad_account_id"],
            ["ad_accounts.id"],
            name=op.f("fk_metrics_account_daily_ad_account_id_ad_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_metrics_account_daily_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("organization_id", "ad_account_id", "day", name=op.f("pk_metrics_account_daily")),
    )
    op.create_index(
        "ix_metrics_account_daily_org_day", "metrics_account_daily", ["organization_id", "day"], unique=False
    )
    op.create_table(
        "metrics_account_monthly",
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("ad_account_id", sa.Uuid(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("platform", sa.String(length=20), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("impressions", sa.BigInteger(), nullable=False),
        sa.Column("clicks", sa.BigInteger(), nullable=False),
        sa.Column("spend_micros", sa.BigInteger(), nullable=False),
        sa.Column("conversions", sa.Numeric(precision=20, scale=6), nullable=False),
        sa.Column("conversion_value_micros", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["ad_account_id"],
            ["ad_accounts.id"],
            name=op.f("fk_metrics_account_monthly_ad_account_id_ad_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_metrics_account_monthly_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("organization_id", "ad_account_id", "month", name=op.f("pk_metrics_account_monthly")),
    )
    op.create_table(
        "metrics_campaign_daily",
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("ad_account_id", sa.Uuid(), nullable=False),
        sa.Column("campaign_platform_id", sa.String(length=64), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("platform", sa.String(length=20), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("impressions", sa.BigInteger(), nullable=False),
        sa.Column("clicks", sa.BigInteger(), nullable=False),
        sa.Column("spend_micros", sa.BigInteger(), nullable=False),
        sa.Column("conversions", sa.Numeric(precision=20, scale=6), nullable=False),
        sa.Column("conversion_value_micros", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["ad_account_id"],
            ["ad_accounts.id"],
            name=op.f("fk_metrics_campaign_daily_ad_account_id_ad_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_metrics_campaign_daily_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "organization_id", "ad_account_id", "campaign_platform_id", "day", name=op.f("pk_metrics_campaign_daily")
        ),
    )
    op.create_index(
        "ix_metrics_campaign_daily_org_day", "metrics_campaign_daily", ["organization_id", "day"], unique=False
    )
    op.create_table(
        "metrics_campaign_monthly",
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("ad_account_id", sa.Uuid(), nullable=False),
        sa.Column("campaign_platform_id", sa.String(length=64), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("platform", sa.String(length=20), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("impressions", sa.BigInteger(), nullable=False),
        sa.Column("clicks", sa.BigInteger(), nullable=False),
        sa.Column("spend_micros", sa.BigInteger(), nullable=False),
        sa.Column("conversions", sa.Numeric(precision=20, scale=6), nullable=False),
        sa.Column("conversion_value_micros", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["ad_account_id"],
            ["ad_accounts.id"],
            name=op.f("fk_metrics_campaign_monthly_ad_account_id_ad_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_metrics_campaign_monthly_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "organization_id",
            "ad_account_id",
            "campaign_platform_id",
            "month",
            name=op.f("pk_metrics_campaign_monthly"),
        ),
    )
    op.create_index(
        "ix_metrics_campaign_monthly_org_month", "metrics_campaign_monthly", ["organization_id", "month"], unique=False
    )
    op.create_table(
        "metrics_campaign_monthly_converted",
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("ad_account_id", sa.Uuid(), nullable=False),
        sa.Column("campaign_platform_id", sa.String(length=64), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("reporting_currency", sa.String(length=3), nullable=False),
        sa.Column("platform", sa.String(length=20), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("impressions", sa.BigInteger(), nullable=False),
        sa.Column("clicks", sa.BigInteger(), nullable=False),
        sa.Column("spend_micros", sa.Numeric(), nullable=False),
        sa.Column("conversions", sa.Numeric(precision=20, scale=6), nullable=False),
        sa.Column("conversion_value_micros", sa.Numeric(), nullable=False),
        sa.Column("first_unconverted_day", sa.Date(), nullable=True),
        sa.Column("last_unconverted_day", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["ad_account_id"],
            ["ad_accounts.id"],
            name=op.f("fk_metrics_campaign_monthly_converted_ad_account_id_ad_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_metrics_campaign_monthly_converted_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "organization_id",
            "ad_account_id",
            "campaign_platform_id",
            "month",
            name=op.f("pk_metrics_campaign_monthly_converted"),
        ),
    )
    op.create_index(
        "ix_metrics_campaign_monthly_converted_org_month",
        "metrics_campaign_monthly_converted",
        ["organization_id", "month"],
        unique=False,
    )
    op.create_table(
        "metrics_daily",
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("ad_account_id", sa.Uuid(), nullable=False),
        sa.Column("level", sa.String(length=20), nullable=False),
        sa.Column("entity_platform_id", sa.String(length=64), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("platform", sa.String(length=20), nullable=False),
        sa.Column("campaign_platform_id", sa.String(length=64), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("extras", postgresql.JSONB(astext_type=Text()), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("impressions", sa.BigInteger(), nullable=False),
        sa.Column("clicks", sa.BigInteger(), nullable=False),
        sa.Column("spend_micros", sa.BigInteger(), nullable=False),
        sa.Column("conversions", sa.Numeric(precision=20, scale=6), nullable=False),
        sa.Column("conversion_value_micros", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("level IN ('campaign', 'ad_group', 'ad')", name=op.f("ck_metrics_daily_level")),
        sa.ForeignKeyConstraint(
            ["organization_id", "ad_account_id"],
            ["ad_accounts.organization_id", "ad_accounts.id"],
            name=op.f("fk_metrics_daily_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "organization_id", "ad_account_id", "level", "day", "entity_platform_id", name=op.f("pk_metrics_daily")
        ),
    )
    op.create_index(
        "ix_metrics_daily_campaign",
        "metrics_daily",
        ["organization_id", "campaign_platform_id", "level", "day"],
        unique=False,
    )
    op.create_index("ix_metrics_daily_day_brin", "metrics_daily", ["day"], unique=False, postgresql_using="brin")
    op.create_table(
        "metrics_hourly",
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("ad_account_id", sa.Uuid(), nullable=False),
        sa.Column("campaign_platform_id", sa.String(length=64), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("hour", sa.SmallInteger(), nullable=False),
        sa.Column("platform", sa.String(length=20), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("impressions", sa.BigInteger(), nullable=False),
        sa.Column("clicks", sa.BigInteger(), nullable=False),
        sa.Column("spend_micros", sa.BigInteger(), nullable=False),
        sa.Column("conversions", sa.Numeric(precision=20, scale=6), nullable=False),
        sa.Column("conversion_value_micros", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("hour BETWEEN 0 AND 23", name=op.f("ck_metrics_hourly_hour")),
        sa.ForeignKeyConstraint(
            ["ad_account_id"],
            ["ad_accounts.id"],
            name=op.f("fk_metrics_hourly_ad_account_id_ad_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_metrics_hourly_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "organization_id", "ad_account_id", "campaign_platform_id", "day", "hour", name=op.f("pk_metrics_hourly")
        ),
    )
    op.add_column("organizations", sa.Column("time_zone", sa.String(length=64), server_default="UTC", nullable=False))
    op.add_column(
        "organizations", sa.Column("reporting_currency", sa.String(length=3), server_default="USD", nullable=False)
    )

    for table in TENANT_TABLES:
        enable_tenant_rls(table)

    # The scheduler's cross-tenant listing (as adpilot_due_entity_syncs in 0007): for each managed account of a
    # healthy connection with no metrics run queued within the interval and none in flight, the scope it is due:
    # a backfill until one has succeeded, a 28-day restatement once a day (a backfill counts as one), otherwise the
    # recent days.
    op.execute(
        """
        CREATE FUNCTION adpilot_due_metric_syncs(interval_minutes integer)
        RETURNS TABLE (organization_id uuid, ad_account_id uuid, scope text)
        LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
        DECLARE
          previous text := COALESCE(current_setting('app.organization_id', true), '');
          org uuid;
        BEGIN
          FOR org IN SELECT o.id FROM organizations o LOOP
            PERFORM set_config('app.organization_id', org::text, true);
            RETURN QUERY
              SELECT a.organization_id, a.id,
                     CASE
                       WHEN NOT EXISTS (SELECT 1 FROM metric_sync_runs r
                                         WHERE r.organization_id = org AND r.ad_account_id = a.id
                                           AND r.scope = 'backfill' AND r.status = 'succeeded') THEN 'backfill'
                       WHEN NOT EXISTS (SELECT 1 FROM metric_sync_runs r
                                         WHERE r.organization_id = org AND r.ad_account_id = a.id
                                           AND r.scope IN ('restate', 'backfill') AND r.status <> 'failed'
                                           AND r.queued_at > now() - interval '24 hours') THEN 'restate'
                       ELSE 'recent'
                     END
                FROM ad_accounts a JOIN platform_connections c ON c.id = a.connection_id
               WHERE a.organization_id = org AND a.managed AND c.health <> 'needs_reconnect'
                 AND NOT EXISTS (
                   SELECT 1 FROM metric_sync_runs r
                    WHERE r.organization_id = org AND r.ad_account_id = a.id
                      AND ((r.status = 'queued' AND r.queued_at > now() - interval '24 hours')
                           OR (r.status = 'running' AND r.started_at > now() - interval '1 hour')
                           OR r.queued_at > now() - make_interval(mins => interval_minutes)));
          END LOOP;
          PERFORM set_config('app.organization_id', previous, true);
        END $$;
        """
    )


def downgrade() -> None:
    op.execute("DROP FUNCTION adpilot_due_metric_syncs(integer)")
    for table in reversed(TENANT_TABLES):
        disable_tenant_rls(table)
    op.drop_column("organizations", "reporting_currency")
    op.drop_column("organizations", "time_zone")
    op.drop_table("metrics_hourly")
    op.drop_index("ix_metrics_daily_day_brin", table_name="metrics_daily")
    op.drop_index("ix_metrics_daily_campaign", table_name="metrics_daily")
    op.drop_table("metrics_daily")
    op.drop_index("ix_metrics_campaign_monthly_converted_org_month", table_name="metrics_campaign_monthly_converted")
    op.drop_table("metrics_campaign_monthly_converted")
    op.drop_index("ix_metrics_campaign_monthly_org_month", table_name="metrics_campaign_monthly")
    op.drop_table("metrics_campaign_monthly")
    op.drop_index("ix_metrics_campaign_daily_org_day", table_name="metrics_campaign_daily")
    op.drop_table("metrics_campaign_daily")
    op.drop_table("metrics_account_monthly")
    op.drop_index("ix_metrics_account_daily_org_day", table_name="metrics_account_daily")
    op.drop_table("metrics_account_daily")
    op.drop_index("ix_metric_sync_runs_account_queued", table_name="metric_sync_runs")
    op.drop_table("metric_sync_runs")
    op.drop_index("ix_metric_entities_parent", table_name="metric_entities")
    op.drop_table("metric_entities")
    op.drop_table("exchange_rates")
    op.drop_constraint(op.f("uq_ad_accounts_organization_id_id"), "ad_accounts", type_="unique")
