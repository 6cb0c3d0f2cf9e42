"""Migration 0012 moves Meta's stored clicks (all clicks) to ``all_clicks`` and takes the link clicks the rows kept in
``extras`` as ``clicks``, in the rows and their rollups; other platforms' all clicks are their clicks."""

from __future__ import annotations

import importlib
import os
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text

from adpilot import migrate
from adpilot.core.embedded_postgres import EmbeddedPostgres
from tests.test_migrations import psycopg

ORG = uuid.UUID("00000000-0000-4000-8000-000000000012")


@pytest.fixture(scope="module")
def owner_url(embedded_server: EmbeddedPostgres) -> Iterator[str]:
    name = f"adpilot_all_clicks_{os.getpid()}"
    embedded_server.create_database(name)
    yield embedded_server.start(database=name).owner
    embedded_server.drop_database(name)


def _seed(url: str) -> None:
    """An organization with a Meta and a Google account, one campaign day each, rolled up as ingestion does."""
    engine = create_engine(psycopg(url))
    with engine.begin() as connection:
        connection.execute(text("SELECT set_config('app.organization_id', :org, false)"), {"org": str(ORG)})
        connection.execute(
            text(
                "INSERT INTO organizations (id, name, require_mfa, is_demo, time_zone, reporting_currency, created_at) "
                "VALUES (:org, 'Clicks', false, false, 'UTC', 'USD', now())"
            ),
            {"org": ORG},
        )
        for platform, account, link_clicks in (("meta", uuid.uuid4(), 9), ("google", uuid.uuid4(), None)):
            connection_id = uuid.uuid4()
            connection.execute(
                text(
                    "INSERT INTO platform_connections (id, organization_id, platform, subject, display_name, "
                    "credentials_ciphertext, health, consecutive_failures, created_at, updated_at, health_changed_at) "
                    "VALUES (:id, :org, :platform, :id, 'Login', '\\x00', 'ok', 0, now(), now(), now())"
                ),
                {"id": connection_id, "org": ORG, "platform": platform},
            )
            connection.execute(
                text(
                    "INSERT INTO ad_accounts (id, organization_id, connection_id, platform, platform_account_id, "
                    "name, currency, time_zone, is_manager, platform_active, managed, created_at, updated_at) "
                    "VALUES (:id, :org, :connection, :platform, :platform, :platform, 'USD', 'UTC', false, true, "
                    "true, now(), now())"
                ),
                {"id": account, "org": ORG, "connection": connection_id, "platform": platform},
            )
            extras = '{"link_clicks": %d}' % link_clicks if link_clicks is not None else "{}"  # noqa: UP031
            connection.execute(
                text(
                    "INSERT INTO metrics_daily (organization_id, ad_account_id, level, entity_platform_id, day, "
                    "platform, campaign_platform_id, currency, extras, updated_at, impressions, clicks, spend_micros, "
                    "conversions, conversion_value_micros) VALUES (:org, :account, 'campaign', 'c1', '2026-11-02', "
                    ":platform, 'c1', 'USD', CAST(:extras AS jsonb), now(), 185, 12, 14350000, 2, 59980000)"
                ),
                {"org": ORG, "account": account, "platform": platform, "extras": extras},
            )
            for table, key in (
                ("metrics_campaign_daily", "campaign_platform_id, day"),
                ("metrics_account_daily", "day"),
                ("metrics_campaign_monthly", "campaign_platform_id, month"),
                ("metrics_account_monthly", "month"),
            ):
                values = {"campaign_platform_id": "'c1'", "day": "'2026-11-02'", "month": "'2026-11-01'"}
                connection.execute(
                    text(
                        f"INSERT INTO {table} (organization_id, ad_account_id, {key}, platform, currency, "  # noqa: S608
                        "impressions, clicks, spend_micros, conversions, conversion_value_micros) VALUES (:org, "
                        f":account, {', '.join(values[k] for k in key.split(', '))}, :platform, 'USD', 185, 12, "
                        "14350000, 2, 59980000)"
                    ),
                    {"org": ORG, "account": account, "platform": platform},
                )
    engine.dispose()


def _clicks(url: str) -> dict[tuple[str, str], tuple[int, int]]:
    engine = create_engine(psycopg(url))
    found: dict[tuple[str, str], tuple[int, int]] = {}
    with engine.begin() as connection:
        connection.execute(text("SELECT set_config('app.organization_id', :org, false)"), {"org": str(ORG)})
        for table in (
            "metrics_daily",
            "metrics_campaign_daily",
            "metrics_account_daily",
            "metrics_campaign_monthly",
            "metrics_account_monthly",
        ):
            for platform, clicks, all_clicks in connection.execute(
                text(f"SELECT platform, clicks, all_clicks FROM {table}")  # noqa: S608
            ):
                found[(table, platform)] = (clicks, all_clicks)
        extras = connection.execute(text("SELECT extras FROM metrics_daily WHERE platform = 'meta'")).scalar_one()
        assert "link_clicks" not in extras
    engine.dispose()
    return found


def test_meta_rows_take_link_clicks_as_clicks_and_keep_all_clicks(owner_url: str) -> None:
    migration = importlib.import_module("adpilot.migrations.versions.0012_all_clicks")
    migrate.upgrade(owner_url, "adpilot_app")
    migrate.downgrade(owner_url, str(migration.down_revision))
    _seed(owner_url)
    migrate.upgrade(owner_url, "adpilot_app")
    found = _clicks(owner_url)
    assert len(found) == 10
    for (_table, platform), numbers in found.items():
        assert numbers == ((9, 12) if platform == "meta" else (12, 12)), (_table, platform)
