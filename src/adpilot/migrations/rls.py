"""Row-level-security helpers for migrations. Every new tenant table gets ``enable_tenant_rls`` in its migration."""

from __future__ import annotations

from alembic import op

TENANT = "NULLIF(current_setting('app.organization_id', true), '')::uuid"
CURRENT_USER = "NULLIF(current_setting('app.user_id', true), '')::uuid"


def enable_tenant_rls(table: str, using: str | None = None) -> None:
    """FORCE row-level security on a tenant table: rows are visible only inside their organization's transaction."""
    condition = using or f"organization_id = {TENANT}"
    op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
    op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
    op.execute(f"CREATE POLICY tenant_isolation ON {table} USING ({condition}) WITH CHECK ({condition})")


def disable_tenant_rls(table: str) -> None:
    op.execute(f"DROP POLICY IF EXISTS tenant_isolation ON {table}")
    op.execute(f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY")
    op.execute(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")
