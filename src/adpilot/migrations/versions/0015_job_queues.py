"""Jobs waiting in the single "default" queue move to the queue of their kind (interactive, platform, reports)

Workers now listen to named queues only: a job queued before the upgrade (a retry, a deferred sync, a report's
watchdog) would otherwise never run.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 11:45:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The tasks of each queue when this migration was written (adpilot.jobs.Queue); every other task is interactive.
PLATFORM_TASKS = ("campaigns.sync_entities", "analytics.sync_metrics", "connections.refresh_connection")
REPORTS_TASKS = ("analytics.send_report",)


def _names(tasks: Sequence[str]) -> str:
    return ", ".join(f"'{task}'" for task in tasks)


def upgrade() -> None:
    op.execute(
        f"""
        UPDATE procrastinate_jobs SET queue_name = CASE
            WHEN task_name IN ({_names(PLATFORM_TASKS)}) THEN 'platform'
            WHEN task_name IN ({_names(REPORTS_TASKS)}) THEN 'reports'
            ELSE 'interactive' END
         WHERE queue_name = 'default' AND status IN ('todo', 'doing')
        """
    )


def downgrade() -> None:
    op.execute(
        "UPDATE procrastinate_jobs SET queue_name = 'default' "
        "WHERE queue_name IN ('interactive', 'platform', 'reports') AND status IN ('todo', 'doing')"
    )
