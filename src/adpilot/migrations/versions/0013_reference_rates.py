"""Daily reference exchange rates shared by every organization (the ECB's euro reference rates, or a source in
their format), the state of their fetches, and which organizations' numbers need them

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 11:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Public reference data, the same for everyone: no organization and no row-level security (an organization's
    # own rates stay in exchange_rates and override these). Written only by the fetch job.
    op.create_table(
        "reference_rates",
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("rate", sa.Numeric(precision=24, scale=12), nullable=False),
        sa.Column("fetched_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("rate > 0", name=op.f("ck_reference_rates_rate_positive")),
        sa.PrimaryKeyConstraint("currency", "day", name=op.f("pk_reference_rates")),
    )
    op.create_index("ix_reference_rates_day", "reference_rates", ["day"], unique=False)
    op.create_table(
        "reference_rate_fetches",
        sa.Column("source_url", sa.String(length=2000), nullable=False),
        sa.Column("history_since", sa.Date(), nullable=True),
        sa.Column("fetched_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("error", sa.String(length=500), nullable=True),
        sa.PrimaryKeyConstraint("source_url", name=op.f("pk_reference_rate_fetches")),
    )
    # The fetch job's fan-out: for every organization, each currency of its ad accounts other than its reporting
    # currency and the first day with numbers of such an account. The app role cannot read across tenants, so this
    # runs with the owner's rights and returns no figures; EXECUTE is granted to the app role by ``adpilot migrate``.
    op.execute(
        """
        CREATE FUNCTION adpilot_foreign_currency_history()
        RETURNS TABLE (organization_id uuid, currency text, first_day date)
        LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
        DECLARE
          previous text := COALESCE(current_setting('app.organization_id', true), '');
          org uuid;
          reporting text;
        BEGIN
          FOR org, reporting IN SELECT o.id, o.reporting_currency FROM organizations o LOOP
            PERFORM set_config('app.organization_id', org::text, true);
            -- Each account's first day through the primary key (organization, account, day): a few index probes
            -- per account, cheap enough to run every minute.
            RETURN QUERY
              SELECT org, CAST(a.currency AS text), min(f.day)
                FROM ad_accounts a
               CROSS JOIN LATERAL (
                     SELECT d.day FROM metrics_account_daily d
                      WHERE d.organization_id = org AND d.ad_account_id = a.id
                      ORDER BY d.day LIMIT 1) f
               WHERE a.organization_id = org AND a.currency <> reporting
               GROUP BY a.currency;
          END LOOP;
          PERFORM set_config('app.organization_id', previous, true);
        END $$;
        """
    )


def downgrade() -> None:
    op.execute("DROP FUNCTION adpilot_foreign_currency_history()")
    op.drop_table("reference_rate_fetches")
    op.drop_index("ix_reference_rates_day", table_name="reference_rates")
    op.drop_table("reference_rates")
