"""Bulk changes from a CSV file: read and check every row, preview them, and store them as one batch of source
``csv`` (a file imported again finds its batch instead of storing its changes twice).

The file: UTF-8 (with or without a byte order mark), ``,`` or ``;`` between fields (whichever the header uses), at
most 1 MB and 1,000 rows, the header ``entity_id,field,value`` with an optional ``reason`` column, in any order.
``field`` is a kind of change (``status``, ``daily_budget``, ...). ``value`` is a status name for ``status``, and for
money (a budget) an amount in the account's currency with at most its minor unit's decimals: ``25``, ``25.5``,
``25.50`` (USD), ``2500`` (JPY); a ``,`` decimal separator is read too (``25,50``). See docs/platforms.md,
"Changes".
"""

from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any
from uuid import UUID

from pydantic import ValidationError
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from adpilot.campaigns import entity_sync_service
from adpilot.changes.errors import ChangesCsvInvalid, ChangesRefused
from adpilot.changes.models import ChangeBatch, EntityChange
from adpilot.changes.repository import ChangeRepository
from adpilot.changes.rules import MICROS
from adpilot.changes.schemas import BatchSource, ChangeKind, ChangePreviewItem, ChangeRequest
from adpilot.changes.service import change_service
from adpilot.core.currencies import minor_unit_digits
from adpilot.organizations import TenantContext

MAX_CSV_BYTES = 1_000_000
MAX_CSV_ROWS = 1000
REQUIRED_COLUMNS = ("entity_id", "field", "value")
COLUMNS = (*REQUIRED_COLUMNS, "reason")
# Kinds whose value is money: given in the account's currency in the file, stored in micros.
MONEY_KINDS = frozenset(kind for kind in ChangeKind if kind.value in {"daily_budget", "lifetime_budget", "bid"})
# Which column a rule's refusal points at (the value otherwise).
_REFUSAL_COLUMNS = {
    "entity-not-found": "entity_id",
    "entity-removed": "entity_id",
    "no-budget-here": "field",
    "kind-not-supported": "field",
}

TEMPLATE = (
    "entity_id,field,value,reason\r\n"
    "00000000-0000-0000-0000-000000000000,status,paused,Paused for the weekend\r\n"
    "00000000-0000-0000-0000-000000000000,daily_budget,25.50,\r\n"
)


@dataclass(frozen=True)
class CsvRow:
    line: int
    request: ChangeRequest


@dataclass(frozen=True)
class CsvImport:
    """What an import found: the file's sha256, its rows, their problems by line and column, the changes it would
    store (or stored), and the batch when the file was stored (now or by an earlier import)."""

    file_sha256: str
    rows: int
    problems: list[dict[str, Any]]
    items: list[tuple[int, ChangePreviewItem]]
    batch: ChangeBatch | None = None
    changes: tuple[EntityChange, ...] = ()
    duplicate: bool = False


def problem(line: int | None, column: str | None, code: str, detail: str) -> dict[str, Any]:
    return {"line": line, "column": column, "code": code, "detail": detail}


def read_rows(content: bytes) -> tuple[list[tuple[int, dict[str, str]]], list[dict[str, Any]]]:
    """The file's data rows by their line number (blank ones skipped); raises ``ChangesCsvInvalid`` when the file as
    a whole cannot be read (size, encoding, header, row count)."""
    if len(content) > MAX_CSV_BYTES:
        raise ChangesCsvInvalid(
            "the file is larger than 1 MB", problems=[problem(None, None, "file-too-large", "at most 1,000,000 bytes")]
        )
    try:
        decoded = content.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = content[: error.start].count(b"\n") + 1
        raise ChangesCsvInvalid(
            "the file is not UTF-8", problems=[problem(line, None, "not-utf-8", "save the file as UTF-8 (CSV UTF-8)")]
        ) from None
    lines = decoded.splitlines()
    header_line = next((line for line in lines if line.strip()), None)
    if header_line is None:
        raise ChangesCsvInvalid(
            "the file is empty",
            problems=[problem(1, None, "empty-file", "the header entity_id,field,value comes first")],
        )
    delimiter = ";" if header_line.count(";") > header_line.count(",") else ","
    reader = csv.reader(io.StringIO(decoded, newline=""), delimiter=delimiter, strict=True)
    try:
        return _rows(reader)
    except csv.Error as error:
        raise ChangesCsvInvalid(
            "the file is not valid CSV",
            problems=[problem(reader.line_num, None, "invalid-csv", f"not valid CSV: {error}")],
        ) from None


def _rows(reader: Any) -> tuple[list[tuple[int, dict[str, str]]], list[dict[str, Any]]]:
    header: list[str] | None = None
    header_line = 0
    rows: list[tuple[int, dict[str, str]]] = []
    problems: list[dict[str, Any]] = []
    line = 1
    for fields in reader:
        start, line = line, reader.line_num + 1
        if not any(field.strip() for field in fields):
            continue
        if header is None:
            header, header_line = [field.strip().lower() for field in fields], start
            _check_header(header, header_line)
            continue
        if len(fields) != len(header):
            problems.append(
                problem(start, None, "wrong-field-count", f"{len(fields)} fields where the header has {len(header)}")
            )
            continue
        rows.append((start, dict(zip(header, fields, strict=True))))
        if len(rows) > MAX_CSV_ROWS:
            raise ChangesCsvInvalid(
                "the file has more than 1,000 rows",
                problems=[problem(start, None, "too-many-rows", "at most 1,000 changes a file")],
            )
    if header is None:
        raise ChangesCsvInvalid(
            "the file is empty",
            problems=[problem(1, None, "empty-file", "the header entity_id,field,value comes first")],
        )
    if not rows and not problems:
        raise ChangesCsvInvalid(
            "the file has no changes", problems=[problem(header_line, None, "no-rows", "no row after the header")]
        )
    return rows, problems


def _check_header(header: list[str], line: int) -> None:
    problems = [
        problem(line, name or None, "unknown-column", f"unknown column {name!r}; the columns are {', '.join(COLUMNS)}")
        for name in header
        if name not in COLUMNS
    ]
    problems += [
        problem(line, name, "duplicate-column", f"the column {name} appears twice")
        for name in sorted({name for name in header if header.count(name) > 1 and name in COLUMNS})
    ]
    problems += [
        problem(line, name, "missing-column", f"the header has no {name} column")
        for name in REQUIRED_COLUMNS
        if name not in header
    ]
    if problems:
        raise ChangesCsvInvalid("the header is not entity_id,field,value[,reason]", problems=problems)


async def parse_row(
    session: AsyncSession, organization_id: UUID, line: int, row: dict[str, str]
) -> CsvRow | list[dict[str, Any]]:
    """One row as a change request (money converted to micros of the entity's currency), or its problems."""
    problems: list[dict[str, Any]] = []
    try:
        entity_id = UUID(row["entity_id"].strip())
    except ValueError:
        problems.append(problem(line, "entity_id", "invalid-entity-id", "an entity id from the entity browser"))
    field = row["field"].strip()
    kind = ChangeKind(field) if field in {kind.value for kind in ChangeKind} else None
    if kind is None:
        kinds = ", ".join(kind.value for kind in ChangeKind)
        problems.append(problem(line, "field", "invalid-field", f"the field is one of {kinds}, not {field!r}"))
    value = row["value"].strip()
    if not value:
        problems.append(problem(line, "value", "missing-value", "the new value is missing"))
    reason = (row.get("reason") or "").strip() or None
    if problems or kind is None:
        return problems
    if kind in MONEY_KINDS:
        entity = await entity_sync_service.entity(session, organization_id, entity_id)
        if entity is None:
            return [problem(line, "entity_id", "entity-not-found", "no such entity in this organization")]
        micros = money_micros(value, entity.currency)
        if isinstance(micros, str):
            return [problem(line, "value", "invalid-value", micros)]
        value = str(micros)
    try:
        request = ChangeRequest(entity_id=entity_id, kind=kind, value=value, reason=reason)
    except ValidationError as error:
        return [
            problem(line, _column(first["loc"]), "invalid-value", first["msg"])
            for first in error.errors(include_url=False)[:1]
        ]
    return CsvRow(line, request)


def money_micros(value: str, currency: str) -> int | str:
    """An amount in ``currency`` (``25.50``, ``25,50``) in micros, or why it is not one."""
    digits = minor_unit_digits(currency) if currency else 2
    text_value = value.replace(",", ".") if value.count(",") == 1 and "." not in value else value
    example = "2500" if digits == 0 else "25." + "5" * digits
    refusal = f"an amount in {currency or 'the account currency'} with at most {digits} decimals, such as {example}"
    if not all(char.isascii() and (char.isdigit() or char == ".") for char in text_value):
        return refusal
    try:
        amount = Decimal(text_value)
    except InvalidOperation:
        return refusal
    exponent = amount.as_tuple().exponent
    if not amount.is_finite() or amount <= 0 or (isinstance(exponent, int) and -exponent > digits):
        return refusal
    return int(amount * MICROS)


def _column(location: tuple[int | str, ...]) -> str:
    name = str(location[0]) if location else "value"
    return {"kind": "field"}.get(name, name)


class ChangeImportService:
    async def import_csv(
        self, session: AsyncSession, tenant: TenantContext, content: bytes, *, dry_run: bool
    ) -> CsvImport:
        """Check every row of the file and preview its changes; unless ``dry_run``, store them as one batch (all or
        nothing: ``ChangesRefused`` lists the problems by line and column). A file already imported answers its
        earlier batch and stores nothing."""
        sha256 = hashlib.sha256(content).hexdigest()
        repository = ChangeRepository(session)
        if not dry_run:
            # Two uploads of one file at once: the second waits here, then finds the first's batch.
            key = f"change-csv:{tenant.organization_id}:{sha256}"
            await session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": key})
        earlier = await repository.batch_by_file(tenant.organization_id, sha256)
        if earlier is not None and not dry_run:
            changes = await repository.changes_of_batch(tenant.organization_id, earlier.id)
            return CsvImport(sha256, earlier.change_count, [], [], earlier, tuple(changes), duplicate=True)
        raw_rows, problems = read_rows(content)
        rows: list[CsvRow] = []
        for line, raw in raw_rows:
            parsed = await parse_row(session, tenant.organization_id, line, raw)
            if isinstance(parsed, CsvRow):
                rows.append(parsed)
            else:
                problems.extend(parsed)
        checked = await change_service.check_changes(session, tenant, [row.request for row in rows])
        for refused in checked.problems:
            line = rows[refused["index"]].line
            problems.append(
                problem(line, _REFUSAL_COLUMNS.get(refused["code"], "value"), refused["code"], refused["detail"])
            )
        problems.sort(key=lambda item: item["line"] or 0)
        preview = change_service.preview_items(checked)
        items = [(rows[item.index].line, item) for item in preview]
        total = len(raw_rows) + sum(1 for p in problems if p["code"] == "wrong-field-count")
        if dry_run:
            return CsvImport(sha256, total, problems, items, earlier, duplicate=earlier is not None)
        if problems:
            raise ChangesRefused(
                f"{len({p['line'] for p in problems})} of {total} rows refused; nothing was stored",
                problems=problems,
            )
        batch, changes = await change_service.store_batch(session, tenant, checked, BatchSource.csv, file_sha256=sha256)
        return CsvImport(sha256, total, [], items, batch, tuple(changes))


change_import_service = ChangeImportService()
