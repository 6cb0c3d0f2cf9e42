"""Campaign drafts: drafts, their immutable versions, review comments and each organization's URL template

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-07 18:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from adpilot.migrations.rls import disable_tenant_rls, enable_tenant_rls

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TENANT_TABLES = ("drafts", "draft_versions", "draft_comments", "draft_settings")
STATUS_CHECK = "status IN ('draft', 'in_review', 'approved', 'changes_requested', 'publishing', 'published', 'failed')"


def _organization(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["organization_id"],
        ["organizations.id"],
        name=op.f(f"fk_{table}_organization_id_organizations"),
        ondelete="CASCADE",
    )


def _user(table: str, column: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], ["users.id"], name=op.f(f"fk_{table}_{column}_users"), ondelete="SET NULL")


def _draft(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["draft_id"], ["drafts.id"], name=op.f(f"fk_{table}_draft_id_drafts"), ondelete="CASCADE"
    )


def upgrade() -> None:
    op.create_table(
        "drafts",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("platforms", postgresql.ARRAY(sa.String(length=20)), nullable=False),
        sa.Column("current_version", sa.Integer(), nullable=False),
        sa.Column("created_by_user_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(STATUS_CHECK, name=op.f("ck_drafts_status")),
        _organization("drafts"),
        _user("drafts", "created_by_user_id"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_drafts")),
    )
    op.create_index("ix_drafts_org_created", "drafts", ["organization_id", "created_at"], unique=False)
    op.create_table(
        "draft_versions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("draft_id", sa.Uuid(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("document", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("created_by_user_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        _organization("draft_versions"),
        _draft("draft_versions"),
        _user("draft_versions", "created_by_user_id"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_draft_versions")),
        sa.UniqueConstraint("draft_id", "number", name="uq_draft_versions_draft_number"),
    )
    op.create_table(
        "draft_comments",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("draft_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("path", sa.String(length=300), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("author_user_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        _organization("draft_comments"),
        _draft("draft_comments"),
        _user("draft_comments", "author_user_id"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_draft_comments")),
    )
    op.create_index("ix_draft_comments_draft", "draft_comments", ["draft_id", "created_at"], unique=False)
    op.create_table(
        "draft_settings",
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("utm_template", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        _organization("draft_settings"),
        sa.PrimaryKeyConstraint("organization_id", name=op.f("pk_draft_settings")),
    )
    for table in TENANT_TABLES:
        enable_tenant_rls(table)


def downgrade() -> None:
    for table in reversed(TENANT_TABLES):
        disable_tenant_rls(table)
    op.drop_table("draft_settings")
    op.drop_index("ix_draft_comments_draft", table_name="draft_comments")
    op.drop_table("draft_comments")
    op.drop_table("draft_versions")
    op.drop_index("ix_drafts_org_created", table_name="drafts")
    op.drop_table("drafts")
