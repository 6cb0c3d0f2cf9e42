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


MINIMUM_SERVER_VERSION = 150000


class DatabaseNotSupported(RuntimeError):
    """The database cannot host adpilot as configured; the message says what to change."""


def upgrade(owner_url: str, app_role: str) -> None:
    check_database(owner_url, app_role)
    command.upgrade(alembic_config(owner_url), "head")
    grant_app_role(owner_url, app_role)


def check_database(owner_url: str, app_role: str) -> None:
    """PostgreSQL 15 or newer, and a restricted app role that row-level security applies to."""
    engine = create_engine(_psycopg_url(owner_url), poolclass=pool.NullPool)
    try:
        with engine.connect() as connection:
            version = int(connection.execute(text("SHOW server_version_num")).scalar_one())
            role = connection.execute(
                text("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = :role"), {"role": app_role}
            ).first()
    finally:
        engine.dispose()
    if version < MINIMUM_SERVER_VERSION:
        raise DatabaseNotSupported(f"adpilot needs PostgreSQL 15 or newer; this server is {version // 10000}.")
    if role is None:
        raise DatabaseNotSupported(
            f"The app role {app_role!r} does not exist. Create it once as an administrator: "
            f"CREATE ROLE {app_role} LOGIN PASSWORD '...' NOSUPERUSER NOBYPASSRLS; "
            "then set ADPILOT_APP_DATABASE_PASSWORD (or ADPILOT_APP_DATABASE_URL)."
        )
    if role.rolsuper or role.rolbypassrls:
        raise DatabaseNotSupported(
            f"The app role {app_role!r} is a superuser or has BYPASSRLS, so row-level security would not apply: "
            f"ALTER ROLE {app_role} NOSUPERUSER NOBYPASSRLS."
        )


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
