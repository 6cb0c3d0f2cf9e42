"""Reporting's SQL reads other modules' tables only through the read-only contracts they publish
(``adpilot.metrics.reading``, ``adpilot.exchange_rates.reading``, ``adpilot.campaigns.reading``), and those
contracts name tables (and columns) that exist."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import adpilot.reporting
from adpilot.campaigns import reading as campaigns_reading
from adpilot.exchange_rates import reading as exchange_rates_reading
from adpilot.metrics import reading as metrics_reading
from adpilot.models import metadata
from adpilot.reporting import models as reporting_models

REPORTING = Path(adpilot.reporting.__file__).parent
WORD = re.compile(r"\b[a-z][a-z_]*\b")


def _tables_named_in_strings(path: Path) -> set[str]:
    """Every table of the schema that a string literal of the file (its SQL, not its docstrings) names."""
    tree = ast.parse(path.read_text())
    docstrings = {id(node.value) for node in ast.walk(tree) if isinstance(node, ast.Expr)}
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
            names |= {word for word in WORD.findall(node.value) if word in metadata.tables}
    return names


def test_the_contracts_name_existing_tables() -> None:
    published = {*metrics_reading.TABLES, exchange_rates_reading.CONVERTED_MONTHLY, *campaigns_reading.TABLES}
    assert published <= set(metadata.tables)
    entity_columns = {column.name for column in metadata.tables[campaigns_reading.ENTITIES].columns}
    assert {"id", "organization_id", "ad_account_id", "level", "platform_id", "daily_budget_micros"} <= entity_columns
    assert {"currency", "status", "removed_at"} <= entity_columns
    assert set(metrics_reading.NUMBERS) <= {column.name for column in metadata.tables["metrics_daily"].columns}


def test_reporting_sql_reads_only_published_or_own_tables() -> None:
    own = {name for name in metadata.tables if _owned_by_reporting(name)}
    allowed = {*metrics_reading.TABLES, exchange_rates_reading.CONVERTED_MONTHLY, *campaigns_reading.TABLES} | own
    files = sorted((REPORTING / "repository").glob("*.py"))
    assert files
    for path in files:
        unpublished = _tables_named_in_strings(path) - allowed
        assert not unpublished, f"{path.name} reads tables no contract publishes: {sorted(unpublished)}"


def _owned_by_reporting(name: str) -> bool:
    return any(
        getattr(model, "__tablename__", None) == name
        for model in vars(reporting_models).values()
        if isinstance(model, type)
    )
