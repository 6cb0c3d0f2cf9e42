"""Apply migrations as the owner role, then grant the restricted app role what it needs (idempotent)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, pool, text

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def alembic_config(owner_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", _psycopg_url(owner_url))
    return config


def _psycopg_url(url: str) -> str:
    return "postgresql+psycopg://" + url.partition("://")[2]


def upgrade(owner_url: str, app_role: str) -> None:
    command.upgrade(alembic_config(owner_url), "head")
    grant_app_role(owner_url, app_role)


def downgrade(owner_url: str, revision: str) -> None:
    command.downgrade(alembic_config(owner_url), revision)


def grant_app_role(owner_url: str, app_role: str) -> None:
    """The app role may read and write tenant data, but never alter the schema or rewrite the audit log."""
    engine = create_engine(_psycopg_url(owner_url), poolclass=pool.NullPool)
    role = '"' + app_role.replace('"', '""') + '"'
    with engine.begin() as connection:
        connection.execute(text(f"GRANT USAGE ON SCHEMA public TO {role}"))
        connection.execute(text(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role}"))
        connection.execute(text(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {role}"))
        connection.execute(text(f"GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA public TO {role}"))
        connection.execute(text(f"REVOKE UPDATE, DELETE, TRUNCATE ON audit_log FROM {role}"))
    engine.dispose()


def current_revision(owner_or_app_url: str) -> str | None:
    engine = create_engine(_psycopg_url(owner_or_app_url), poolclass=pool.NullPool)
    with engine.connect() as connection:
        revision = MigrationContext.configure(connection).get_current_revision()
    engine.dispose()
    return revision


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config("postgresql://unused")).get_current_head()
