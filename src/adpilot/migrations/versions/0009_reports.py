"""Scheduled reports and their runs, each organization's report logo, and attachments listed in the mail outbox

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-22 08:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from adpilot.migrations.rls import disable_tenant_rls, enable_tenant_rls

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TENANT_TABLES = ("report_schedules", "report_runs", "organization_branding")


def upgrade() -> None:
    op.create_table(
        "report_schedules",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("frequency", sa.String(length=10), nullable=False),
        sa.Column("weekday", sa.SmallInteger(), nullable=True),
        sa.Column("month_day", sa.SmallInteger(), nullable=True),
        sa.Column("hour", sa.SmallInteger(), nullable=False),
        sa.Column("time_zone", sa.String(length=64), nullable=False),
        sa.Column("recipients", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("range_preset", sa.String(length=20), nullable=False),
        sa.Column("compare", sa.String(length=20), nullable=False),
        sa.Column("filters", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("attach_csv", sa.Boolean(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("next_run_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_by_user_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("frequency IN ('daily', 'weekly', 'monthly')", name=op.f("ck_report_schedules_frequency")),
        sa.CheckConstraint("hour BETWEEN 0 AND 23", name=op.f("ck_report_schedules_hour")),
        sa.CheckConstraint("weekday IS NULL OR weekday BETWEEN 0 AND 6", name=op.f("ck_report_schedules_weekday")),
        sa.CheckConstraint(
            "month_day IS NULL OR month_day BETWEEN 1 AND 31", name=op.f("ck_report_schedules_month_day")
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_report_schedules_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["created_by_user_id"],
            ["users.id"],
            name=op.f("fk_report_schedules_created_by_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_schedules")),
    )
    op.create_index(
        "ix_report_schedules_org_created", "report_schedules", ["organization_id", "created_at"], unique=False
    )
    op.create_index(
        "ix_report_schedules_due",
        "report_schedules",
        ["next_run_at"],
        unique=False,
        postgresql_where=sa.text("enabled"),
    )
    op.create_table(
        "report_runs",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("schedule_id", sa.Uuid(), nullable=False),
        sa.Column("scheduled_for", sa.DateTime(timezone=True), nullable=False),
        sa.Column("trigger", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("since", sa.Date(), nullable=True),
        sa.Column("until", sa.Date(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("recipients_count", sa.Integer(), nullable=False),
        sa.Column("delivered_to", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("pdf_bytes", sa.Integer(), nullable=True),
        sa.Column("csv_bytes", sa.Integer(), nullable=True),
        sa.Column("requested_by_user_id", sa.Uuid(), nullable=True),
        sa.Column("queued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('queued', 'running', 'succeeded', 'failed')", name=op.f("ck_report_runs_status")
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_report_runs_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["schedule_id"],
            ["report_schedules.id"],
            name=op.f("fk_report_runs_schedule_id_report_schedules"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["requested_by_user_id"],
            ["users.id"],
            name=op.f("fk_report_runs_requested_by_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_runs")),
    )
    op.create_index("ux_report_runs_slot", "report_runs", ["schedule_id", "scheduled_for"], unique=True)
    op.create_index(
        "ix_report_runs_schedule_queued",
        "report_runs",
        ["organization_id", "schedule_id", "queued_at"],
        unique=False,
    )
    op.create_table(
        "organization_branding",
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("logo", sa.LargeBinary(), nullable=False),
        sa.Column("logo_content_type", sa.String(length=40), nullable=False),
        sa.Column("updated_by_user_id", sa.Uuid(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_organization_branding_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_user_id"],
            ["users.id"],
            name=op.f("fk_organization_branding_updated_by_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("organization_id", name=op.f("pk_organization_branding")),
    )
    # The development outbox lists what a message carried (name, type, size; never the content).
    op.add_column(
        "mail_outbox",
        sa.Column(
            "attachments",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'[]'::jsonb"),
            nullable=False,
        ),
    )

    for table in TENANT_TABLES:
        enable_tenant_rls(table)

    # The report scheduler's cross-tenant listing (as adpilot_due_metric_syncs in 0008): every enabled schedule
    # whose next slot has come, with that slot. Ids only; each is then queued in its own tenant-scoped transaction.
    op.execute(
        """
        CREATE FUNCTION adpilot_due_report_schedules()
        RETURNS TABLE (organization_id uuid, schedule_id uuid, next_run_at timestamptz)
        LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
        DECLARE
          previous text := COALESCE(current_setting('app.organization_id', true), '');
          org uuid;
        BEGIN
          FOR org IN SELECT o.id FROM organizations o LOOP
            PERFORM set_config('app.organization_id', org::text, true);
            RETURN QUERY
              SELECT s.organization_id, s.id, s.next_run_at
                FROM report_schedules s
               WHERE s.organization_id = org AND s.enabled AND s.next_run_at <= now();
          END LOOP;
          PERFORM set_config('app.organization_id', previous, true);
        END $$;
        """
    )
    op.execute("REVOKE ALL ON FUNCTION adpilot_due_report_schedules() FROM PUBLIC")


def downgrade() -> None:
    op.execute("DROP FUNCTION adpilot_due_report_schedules()")
    for table in reversed(TENANT_TABLES):
        disable_tenant_rls(table)
    op.drop_column("mail_outbox", "attachments")
    op.drop_table("organization_branding")
    op.drop_index("ix_report_runs_schedule_queued", table_name="report_runs")
    op.drop_index("ux_report_runs_slot", table_name="report_runs")
    op.drop_table("report_runs")
    op.drop_index("ix_report_schedules_due", table_name="report_schedules", postgresql_where=sa.text("enabled"))
    op.drop_index("ix_report_schedules_org_created", table_name="report_schedules")
    op.drop_table("report_schedules")
