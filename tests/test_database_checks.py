"""adpilot refuses a database where row-level security would not protect tenants, with a message that says why."""

from __future__ import annotations

import pytest

from adpilot import migrate


class TestCheckDatabase:
    def test_the_test_database_is_accepted(self, database_urls: tuple[str, str]) -> None:
        migrate.check_database(database_urls[0], "adpilot_app")

    def test_a_missing_app_role_is_explained(self, database_urls: tuple[str, str]) -> None:
        with pytest.raises(migrate.DatabaseNotSupported, match="does not exist"):
            migrate.check_database(database_urls[0], "no_such_role")

    def test_a_superuser_app_role_is_refused(self, database_urls: tuple[str, str]) -> None:
        with pytest.raises(migrate.DatabaseNotSupported, match="row-level security would not apply"):
            migrate.check_database(database_urls[0], "postgres")
