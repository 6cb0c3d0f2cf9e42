"""The production database path: the app connects as the restricted role; `adpilot migrate` works from the
production environment. Run on the embedded server by `make test`, and against an external PostgreSQL 15 server
(reached over TCP with passwords, the two roles created as the README says) by `make test-long`."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from sqlalchemy import text

from adpilot.db import Database
from tests.conftest import EXTERNAL_DATABASE, ROOT

pytestmark = pytest.mark.external_db


async def test_the_app_connects_as_the_restricted_role(database: Database) -> None:
    async with database.transaction() as session:
        row = (
            await session.execute(
                text(
                    "SELECT current_user, r.rolsuper, r.rolbypassrls, r.rolcreatedb, r.rolcreaterole, "
                    "pg_get_userbyid(d.datdba) AS database_owner, current_setting('server_version_num')::int, "
                    "inet_server_port() "
                    "FROM pg_roles r, pg_database d WHERE r.rolname = current_user AND d.datname = current_database()"
                )
            )
        ).one()
    user, superuser, bypass_rls, create_db, create_role, owner, version, port = row
    assert user == "adpilot_app"
    assert (superuser, bypass_rls, create_db, create_role) == (False, False, False, False)
    assert owner == "adpilot_owner"
    assert version >= 150000
    if EXTERNAL_DATABASE:  # the external server, over TCP; the embedded one listens on a Unix socket only
        assert port is not None


def test_adpilot_migrate_in_the_production_environment(database_urls: tuple[str, str]) -> None:
    from adpilot.core.vault import generate_key

    owner_url, _ = database_urls
    env = {key: value for key, value in os.environ.items() if not key.startswith("ADPILOT_")}
    env.update(
        {
            "ADPILOT_ENVIRONMENT": "production",
            "DATABASE_URL": owner_url,
            "ADPILOT_SECRET_KEY": "test-secret-key-that-is-long-enough-for-hmac-256",
            "ADPILOT_CREDENTIAL_KEYS": generate_key(),
            "ADPILOT_HOME": str(ROOT / ".adpilot-test" / "production-home"),
        }
    )
    if os.environ.get("ADPILOT_APP_DATABASE_PASSWORD"):
        env["ADPILOT_APP_DATABASE_PASSWORD"] = os.environ["ADPILOT_APP_DATABASE_PASSWORD"]
    else:
        env["ADPILOT_APP_DATABASE_URL"] = os.environ["ADPILOT_APP_DATABASE_URL"]

    result = subprocess.run(
        [sys.executable, "-m", "adpilot.cli", "migrate"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    assert "Migrations applied." in result.stdout
