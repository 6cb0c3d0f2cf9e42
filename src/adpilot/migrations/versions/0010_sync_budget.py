"""Platform operations per hour (the quota meter); metrics sync: history and today scopes, re-reads by recency

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07 11:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_SCOPES_BEFORE = "scope IN ('backfill', 'recent', 'restate')"
_SCOPES = "scope IN ('backfill', 'recent', 'restate', 'history', 'today')"

# As in 0008, plus: once the backfill has succeeded, a history run unless one is in hand (a failed one is tried again
# a day later); the recent days only when no run read them within recent_minutes, and otherwise today alone. The
# backfill, then the daily restatement, come first.
_DUE_METRIC_SYNCS = """
CREATE FUNCTION adpilot_due_metric_syncs(interval_minutes integer, recent_minutes integer, history boolean)
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
               WHEN history AND NOT EXISTS (SELECT 1 FROM metric_sync_runs r
                                 WHERE r.organization_id = org AND r.ad_account_id = a.id
                                   AND r.scope = 'history'
                                   AND (r.status <> 'failed' OR r.queued_at > now() - interval '24 hours'))
                 THEN 'history'
               WHEN NOT EXISTS (SELECT 1 FROM metric_sync_runs r
                                 WHERE r.organization_id = org AND r.ad_account_id = a.id
                                   AND r.scope IN ('recent', 'restate', 'backfill') AND r.status <> 'failed'
                                   AND r.queued_at > now() - make_interval(mins => recent_minutes)) THEN 'recent'
               ELSE 'today'
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

_DUE_METRIC_SYNCS_BEFORE = """
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


def upgrade() -> None:
    # Not tenant data: the platforms meter the installation's app, whoever's account a request was about.
    op.create_table(
        "platform_operations",
        sa.Column("platform", sa.String(length=20), nullable=False),
        sa.Column("hour", sa.DateTime(timezone=True), nullable=False),
        sa.Column("operations", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("platform", "hour", name=op.f("pk_platform_operations")),
    )
    op.drop_constraint(op.f("ck_metric_sync_runs_scope"), "metric_sync_runs", type_="check")
    op.create_check_constraint(op.f("ck_metric_sync_runs_scope"), "metric_sync_runs", _SCOPES)
    op.execute("DROP FUNCTION adpilot_due_metric_syncs(integer)")
    op.execute(_DUE_METRIC_SYNCS)


def downgrade() -> None:
    op.drop_table("platform_operations")
    op.execute("DROP FUNCTION adpilot_due_metric_syncs(integer, integer, boolean)")
    op.execute(_DUE_METRIC_SYNCS_BEFORE)
    op.execute("DELETE FROM metric_sync_runs WHERE scope IN ('history', 'today')")
    op.drop_constraint(op.f("ck_metric_sync_runs_scope"), "metric_sync_runs", type_="check")
    op.create_check_constraint(op.f("ck_metric_sync_runs_scope"), "metric_sync_runs", _SCOPES_BEFORE)
