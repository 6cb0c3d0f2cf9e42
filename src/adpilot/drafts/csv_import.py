"""Reading a CSV file of campaigns, ad groups and ads into draft documents (docs/drafts-import.md is the format).

One row per ad. Rows with the same ``campaign_key`` (or, without one, the same ``campaign_name``) form one draft; rows
of a draft with the same ``ad_group_name`` form one ad group. A campaign's columns are written on its first row and
may be repeated (equal) or left empty on the others; the same for an ad group's columns. Lists are separated by
``|`` (``\\|`` is a literal bar, ``\\\\`` a backslash). Every problem points at the file's line (the header is line
1; a quoted value over several lines counts them all) and the column that produced it, including the draft
validation problems of ``validation.py``, which are mapped back from the document's field path.

Pure: no database. The caller passes the organization's ad accounts and today's date.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any, Final, TypeVar
from uuid import UUID

from pydantic import ValidationError

from adpilot.core.currencies import minor_unit_digits
from adpilot.drafts.csv_format import (
    AD_COLUMNS,
    AD_GROUP_COLUMNS,
    CAMPAIGN_COLUMNS,
    COLUMN_ORDER,
    COLUMNS_BY_NAME,
    LIST_SEPARATOR,
    MAX_IMPORT_ROWS,
    REQUIRED_COLUMNS,
    ImportAccount,
)
from adpilot.drafts.schemas import (
    BidStrategy,
    BudgetLevel,
    BudgetType,
    DraftDocument,
    Gender,
    Objective,
    Severity,
)
from adpilot.drafts.validation import validate_document
from adpilot.platforms.types import Platform

# Amounts above this (in units of the currency) are typing mistakes, not budgets.
MAX_AMOUNT: Final = Decimal(1_000_000_000)
MICROS: Final = Decimal(1_000_000)


# A document field (its path without indexes) and the column it comes from.
_FIELD_COLUMNS: Final = {
    "name": "campaign_name",
    "targets": "ad_accounts",
    "objective": "objective",
    "budget": "budget_amount",
    "budget.type": "budget_type",
    "budget.level": "budget_level",
    "budget.amount_micros": "budget_amount",
    "bidding": "bid_strategy",
    "bidding.strategy": "bid_strategy",
    "bidding.amount_micros": "bid_amount",
    "bidding.target_roas": "target_roas",
    "schedule.start_date": "start_date",
    "schedule.end_date": "end_date",
    **{f"targeting.{name}": name for name in ("locations", "languages", "age_min", "age_max", "genders", "placements")},
}
_GROUP_FIELD_COLUMNS: Final = {
    "": "ad_group_name",
    "name": "ad_group_name",
    "budget": "ad_group_budget",
    "budget.amount_micros": "ad_group_budget",
    "bid_amount_micros": "ad_group_bid_amount",
    "ads": "ad_name",
}
_AD_FIELD_COLUMNS: Final = {"": "ad_name", "name": "ad_name"} | {
    name: name
    for name in (
        "headlines",
        "descriptions",
        "primary_texts",
        "final_url",
        "display_path",
        "call_to_action",
        "image_urls",
        "video_urls",
    )
}
_ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_GROUP_PATH = re.compile(r"^ad_groups\[(\d+)\](?:\.ads\[(\d+)\])?\.?(.*)$")
_INDEX = re.compile(r"\[\d+\]")


@dataclass(frozen=True)
class ImportProblem:
    """One problem of a file: its line (the header is 1; None: the whole file) and column, and the draft field when
    it comes from the draft's validation."""

    line: int | None
    column: str | None
    code: str
    message: str
    severity: Severity = Severity.error
    path: str | None = None
    platform: Platform | None = None


@dataclass(frozen=True)
class ImportedDraft:
    """One draft the file describes, from the line where its campaign starts, with its count of problems."""

    key: str
    line: int
    document: DraftDocument
    accounts: tuple[ImportAccount, ...]
    errors: int
    warnings: int

    @property
    def ad_group_count(self) -> int:
        return len(self.document.ad_groups)

    @property
    def ad_count(self) -> int:
        return sum(len(group.ads) for group in self.document.ad_groups)


@dataclass(frozen=True)
class ParsedImport:
    rows: int
    drafts: list[ImportedDraft]
    problems: list[ImportProblem]

    @property
    def errors(self) -> list[ImportProblem]:
        return [problem for problem in self.problems if problem.severity is Severity.error]


class _FileProblem(Exception):
    """A problem that stops reading the file (no header, not UTF-8, too many rows, broken quoting)."""

    def __init__(self, problem: ImportProblem) -> None:
        super().__init__(problem.message)
        self.problem = problem


@dataclass
class _Values:
    """The values of one level's columns, each with the line that set it."""

    line: int
    values: dict[str, str] = field(default_factory=dict)
    lines: dict[str, int] = field(default_factory=dict)

    def merge(self, row: dict[str, str], columns: Sequence[str], line: int, problems: list[ImportProblem]) -> None:
        for name in columns:
            value = row.get(name, "")
            if not value:
                continue
            if name not in self.values:
                self.values[name] = value
                self.lines[name] = line
            elif self.values[name] != value:
                problems.append(
                    ImportProblem(
                        line,
                        name,
                        "conflicting-value",
                        f"{value!r} differs from {self.values[name]!r} on line {self.lines[name]} for the same "
                        f"{'campaign' if name in CAMPAIGN_COLUMNS else 'ad group'}; leave it empty or repeat it.",
                    )
                )

    def line_of(self, name: str) -> int:
        return self.lines.get(name, self.line)


@dataclass
class _Group:
    name: str
    fields: _Values
    ads: list[_Values] = field(default_factory=list)


@dataclass
class _Campaign:
    key: str
    fields: _Values
    groups: dict[str, _Group] = field(default_factory=dict)
    # Problems of its rows found while grouping them.
    problems: list[ImportProblem] = field(default_factory=list)


# --- reading the file ----------------------------------------------------------------------------------------------


def _line_of_offset(content: bytes, offset: int) -> int:
    return content.count(b"\n", 0, offset) + 1


def _decode(content: bytes) -> str:
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = _line_of_offset(content, exc.start)
        raise _FileProblem(
            ImportProblem(
                line, None, "encoding", f"The file is not UTF-8 text (byte {exc.start + 1}); save it as UTF-8."
            )
        ) from None


def _delimiter(text: str) -> str:
    """Comma, or semicolon when the header has more semicolons than commas (spreadsheets in many locales)."""
    header = next((line for line in text.splitlines() if line.strip()), "")
    return ";" if header.count(";") > header.count(",") else ","


def _column_name(raw: str) -> str:
    return re.sub(r"[\s-]+", "_", raw.strip().lower())


def _header(record: list[str], problems: list[ImportProblem]) -> list[str | None]:
    """The column of each field (None: an unknown or repeated column, reported and ignored)."""
    names: list[str | None] = []
    seen: set[str] = set()
    for raw in record:
        name = _column_name(raw)
        if not name:
            names.append(None)
        elif name not in COLUMNS_BY_NAME:
            problems.append(ImportProblem(1, raw.strip(), "unknown-column", f"{raw.strip()!r} is not a known column."))
            names.append(None)
        elif name in seen:
            problems.append(ImportProblem(1, name, "repeated-column", f"The column {name} appears twice."))
            names.append(None)
        else:
            seen.add(name)
            names.append(name)
    missing = [name for name in REQUIRED_COLUMNS if name not in seen]
    if missing:
        raise _FileProblem(
            ImportProblem(1, missing[0], "missing-column", f"The header needs the column(s) {', '.join(missing)}.")
        )
    return names


@dataclass(frozen=True)
class _Row:
    line: int
    values: dict[str, str]


def _records(text: str, delimiter: str, problems: list[ImportProblem]) -> tuple[list[str | None], list[_Row]]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    header: list[str | None] | None = None
    rows: list[_Row] = []
    line = 0
    try:
        for record in reader:
            start, line = line + 1, reader.line_num
            if not any(value.strip() for value in record):
                continue
            if header is None:
                if start != 1:
                    raise _FileProblem(ImportProblem(start, None, "header", "The header must be the first line."))
                header = _header(record, problems)
                continue
            if len(rows) >= MAX_IMPORT_ROWS:
                raise _FileProblem(
                    ImportProblem(start, None, "too-many-rows", f"A file holds at most {MAX_IMPORT_ROWS:,} rows.")
                )
            if len(record) > len(header) and any(value.strip() for value in record[len(header) :]):
                problems.append(
                    ImportProblem(
                        start, None, "too-many-fields", f"{len(record)} fields, the header names {len(header)}."
                    )
                )
            values = {name: value.strip() for name, value in zip(header, record, strict=False) if name is not None}
            rows.append(_Row(start, values))
    except csv.Error as exc:
        raise _FileProblem(ImportProblem(line + 1, None, "csv-syntax", f"The CSV cannot be read: {exc}.")) from None
    if header is None:
        raise _FileProblem(ImportProblem(None, None, "empty", "The file is empty; start from the template."))
    return header, rows


def _group(rows: list[_Row], problems: list[ImportProblem]) -> list[_Campaign]:
    campaigns: dict[str, _Campaign] = {}
    for row in rows:
        key = row.values.get("campaign_key") or row.values.get("campaign_name", "")
        if not key:
            problems.append(ImportProblem(row.line, "campaign_name", "required", "Name the campaign."))
            continue
        campaign = campaigns.get(key)
        if campaign is None:
            campaign = campaigns[key] = _Campaign(key, _Values(row.line))
        campaign.fields.merge(row.values, CAMPAIGN_COLUMNS, row.line, campaign.problems)
        group_name = row.values.get("ad_group_name", "")
        if not group_name:
            campaign.problems.append(ImportProblem(row.line, "ad_group_name", "required", "Name the ad group."))
            continue
        group = campaign.groups.get(group_name)
        if group is None:
            group = campaign.groups[group_name] = _Group(group_name, _Values(row.line))
        group.fields.merge(row.values, AD_GROUP_COLUMNS, row.line, campaign.problems)
        # A row without any ad column declares its ad group only.
        if any(row.values.get(name) for name in AD_COLUMNS):
            ad = _Values(row.line)
            ad.merge(row.values, AD_COLUMNS, row.line, campaign.problems)
            group.ads.append(ad)
    return list(campaigns.values())


# --- values --------------------------------------------------------------------------------------------------------


class _Invalid(ValueError):
    """A value that cannot be read; the message says what is expected."""


def split_list(value: str) -> list[str]:
    """The items of a ``|``-separated list (``\\|`` a literal bar, ``\\\\`` a backslash), stripped, empty ones
    dropped."""
    items: list[str] = []
    current: list[str] = []
    chars = iter(value)
    for char in chars:
        if char == "\\":
            following = next(chars, "")
            if following in (LIST_SEPARATOR, "\\"):
                current.append(following)
            else:
                current.append(char + following)
        elif char == LIST_SEPARATOR:
            items.append("".join(current))
            current = []
        else:
            current.append(char)
    items.append("".join(current))
    return [item.strip() for item in items if item.strip()]


E = TypeVar("E", bound=StrEnum)
T = TypeVar("T")


def _choice(enum: type[E], value: str) -> E:
    normal = re.sub(r"[\s-]+", "_", value.strip().lower())
    try:
        return enum(normal)
    except ValueError:
        raise _Invalid(f"{value!r} is not one of {', '.join(member.value for member in enum)}.") from None


def _day(value: str) -> date:
    try:
        if not _ISO_DAY.match(value):
            raise ValueError
        return date.fromisoformat(value)
    except ValueError:
        raise _Invalid(f"{value!r} is not a date written YYYY-MM-DD.") from None


def _integer(value: str) -> int:
    if not re.fullmatch(r"[+-]?\d{1,9}", value):
        raise _Invalid(f"{value!r} is not a whole number.")
    return int(value)


def _decimal(value: str, decimal_comma: bool) -> Decimal:
    text = value.replace(" ", "").replace("\u00a0", "")
    if decimal_comma and "," in text and "." not in text:
        text = text.replace(",", ".")
    if not re.fullmatch(r"[+-]?(\d+(\.\d*)?|\.\d+)", text):
        hint = "12.50" if not decimal_comma else "12.50 or 12,50"
        raise _Invalid(f"{value!r} is not a decimal number (write {hint}, without thousands separators).")
    try:
        return Decimal(text)
    except InvalidOperation:
        raise _Invalid(f"{value!r} is not a decimal number.") from None


def _money(value: str, currencies: Sequence[str], decimal_comma: bool) -> int:
    """Micros of an amount written in the target accounts' currency, refusing more decimals than it has."""
    amount = _decimal(value, decimal_comma)
    if amount < 0:
        raise _Invalid(f"{value!r} is negative.")
    if amount > MAX_AMOUNT:
        raise _Invalid(f"{value!r} is more than {MAX_AMOUNT:,}.")
    exponent = amount.normalize().as_tuple().exponent
    decimals = -exponent if isinstance(exponent, int) and exponent < 0 else 0
    for currency in sorted(set(currencies)):
        try:
            digits = minor_unit_digits(currency)
        except ValueError:
            continue
        if decimals > digits:
            allowed = "no decimals" if digits == 0 else f"at most {digits} decimal(s)"
            raise _Invalid(f"{value!r}: amounts in {currency} have {allowed}.")
    if decimals > 6:
        raise _Invalid(f"{value!r} has more than 6 decimals.")
    return int(amount * MICROS)


# --- building a draft ----------------------------------------------------------------------------------------------


class _Builder:
    """One campaign's rows into a document, every problem located at its line and column."""

    def __init__(
        self, campaign: _Campaign, accounts: Sequence[ImportAccount], decimal_comma: bool, today: date | None
    ) -> None:
        self.campaign = campaign
        self.accounts = accounts
        self.decimal_comma = decimal_comma
        self.today = today
        self.problems: list[ImportProblem] = list(campaign.problems)
        self.targets: list[ImportAccount] = []
        # Platforms listed without an ad account of theirs: targets without an account (validation says so).
        self.unaccounted: list[Platform] = []

    def _read(self, values: _Values, name: str, parse: Callable[[str], T]) -> T | None:
        raw = values.values.get(name)
        if raw is None:
            return None
        try:
            return parse(raw)
        except _Invalid as exc:
            self.problems.append(ImportProblem(values.line_of(name), name, "invalid-value", str(exc)))
            return None

    def _list(self, values: _Values, name: str, parse: Callable[[str], T] | None = None) -> list[Any]:
        items = split_list(values.values.get(name, ""))
        if parse is None:
            return items
        parsed: list[Any] = []
        for item in items:
            value = self._read(_Values(values.line_of(name), {name: item}), name, parse)
            if value is not None:
                parsed.append(value)
        return parsed

    def _money(self, values: _Values, name: str) -> int | None:
        currencies = [account.currency for account in self.targets]
        return self._read(values, name, lambda raw: _money(raw, currencies, self.decimal_comma))

    def _resolve_accounts(self) -> None:
        fields = self.campaign.fields
        line = fields.line_of("ad_accounts")
        platforms: list[Platform] = self._list(fields, "platforms", lambda raw: _choice(Platform, raw))
        for reference in split_list(fields.values.get("ad_accounts", "")):
            account = self._account(reference, line)
            if account is None:
                continue
            if any(other.platform is account.platform for other in self.targets):
                self.problems.append(
                    ImportProblem(
                        line,
                        "ad_accounts",
                        "one-account-per-platform",
                        f"A draft publishes to one {account.platform.value} account; {reference!r} is a second one.",
                    )
                )
                continue
            if platforms and account.platform not in platforms:
                self.problems.append(
                    ImportProblem(
                        line,
                        "ad_accounts",
                        "platform-not-listed",
                        f"{reference!r} is a {account.platform.value} account, not on the row's platforms.",
                    )
                )
                continue
            self.targets.append(account)
        chosen = {account.platform for account in self.targets}
        self.unaccounted = [platform for platform in dict.fromkeys(platforms) if platform not in chosen]

    def _account(self, reference: str, line: int) -> ImportAccount | None:
        try:
            by_id = UUID(reference)
        except ValueError:
            by_id = None
        matches = [account for account in self.accounts if account.id == by_id]
        if not matches:
            digits = re.sub(r"[\s-]", "", reference)
            matches = [
                account
                for account in self.accounts
                if account.platform_account_id in (reference, digits)
                or account.platform_account_id.removeprefix("act_") == digits.removeprefix("act_")
            ]
        if not matches:
            folded = reference.casefold()
            matches = [account for account in self.accounts if account.name.strip().casefold() == folded]
        if len(matches) == 1:
            return matches[0]
        if matches:
            self.problems.append(
                ImportProblem(
                    line,
                    "ad_accounts",
                    "ambiguous-ad-account",
                    f"{len(matches)} ad accounts are named {reference!r}; write the account's id instead.",
                )
            )
        else:
            self.problems.append(
                ImportProblem(
                    line,
                    "ad_accounts",
                    "unknown-ad-account",
                    f"{reference!r} is not an ad account of this organization (write its adpilot id, its id on the "
                    "platform or its name).",
                )
            )
        return None

    def document(self) -> dict[str, Any]:
        self._resolve_accounts()
        fields = self.campaign.fields
        targets = [
            {"platform": account.platform.value, "ad_account_id": str(account.id)} for account in self.targets
        ] + [{"platform": platform.value, "ad_account_id": None} for platform in self.unaccounted]
        budget_level = self._read(fields, "budget_level", lambda raw: _choice(BudgetLevel, raw))
        budget_type = self._read(fields, "budget_type", lambda raw: _choice(BudgetType, raw))
        budget: dict[str, Any] = {
            "type": (budget_type or BudgetType.daily).value,
            "level": (budget_level or BudgetLevel.campaign).value,
            "amount_micros": self._money(fields, "budget_amount") or 0,
        }
        if budget["level"] == BudgetLevel.ad_group.value and budget["amount_micros"]:
            self.problems.append(
                ImportProblem(
                    fields.line_of("budget_amount"),
                    "budget_amount",
                    "budget-level-mismatch",
                    "With budget_level ad_group, each ad group's budget goes in ad_group_budget; leave budget_amount "
                    "empty.",
                )
            )
            budget["amount_micros"] = 0
        strategy = self._read(fields, "bid_strategy", lambda raw: _choice(BidStrategy, raw))
        roas = self._read(fields, "target_roas", lambda raw: float(_decimal(raw, self.decimal_comma)))
        document: dict[str, Any] = {
            "name": fields.values.get("campaign_name", self.campaign.key),
            "targets": targets,
            "objective": (self._read(fields, "objective", lambda raw: _choice(Objective, raw)) or Objective.traffic),
            "budget": budget,
            "bidding": {
                "strategy": (strategy or BidStrategy.lowest_cost).value,
                "amount_micros": self._money(fields, "bid_amount"),
                "target_roas": roas,
            },
            "schedule": {
                "start_date": self._read(fields, "start_date", _day),
                "end_date": self._read(fields, "end_date", _day),
            },
            "targeting": {
                "locations": [item.upper() for item in self._list(fields, "locations")],
                "languages": [item.lower() for item in self._list(fields, "languages")],
                "age_min": self._read(fields, "age_min", _integer),
                "age_max": self._read(fields, "age_max", _integer),
                "genders": [g.value for g in self._list(fields, "genders", lambda raw: _choice(Gender, raw))],
                "placements": self._list(fields, "placements"),
            },
            "ad_groups": [
                self._group(group, budget["type"], budget["level"]) for group in self.campaign.groups.values()
            ],
        }
        return document

    def _group(self, group: _Group, budget_type: str, budget_level: str) -> dict[str, Any]:
        amount = self._money(group.fields, "ad_group_budget")
        if amount is not None and budget_level != BudgetLevel.ad_group.value:
            self.problems.append(
                ImportProblem(
                    group.fields.line_of("ad_group_budget"),
                    "ad_group_budget",
                    "budget-level-mismatch",
                    "An ad group budget needs budget_level ad_group; use budget_amount for a campaign budget.",
                )
            )
            amount = None
        return {
            "name": group.name,
            "budget": (
                {"type": budget_type, "level": budget_level, "amount_micros": amount} if amount is not None else None
            ),
            "bid_amount_micros": self._money(group.fields, "ad_group_bid_amount"),
            "ads": [self._ad(ad) for ad in group.ads],
        }

    def _ad(self, ad: _Values) -> dict[str, Any]:
        values = ad.values
        return {
            "name": values.get("ad_name", ""),
            "headlines": self._list(ad, "headlines"),
            "descriptions": self._list(ad, "descriptions"),
            "primary_texts": self._list(ad, "primary_texts"),
            "final_url": values.get("final_url") or None,
            "display_path": self._list(ad, "display_path"),
            "call_to_action": values.get("call_to_action") or None,
            "image_urls": self._list(ad, "image_urls"),
            "video_urls": self._list(ad, "video_urls"),
        }

    # --- a document field back to its line and column ----------------------------------------------------------

    def locate(self, path: str) -> tuple[int, str | None]:
        """The line and column that produced a document field (``ad_groups[0].ads[1].headlines[3]``)."""
        match = _GROUP_PATH.match(path)
        groups = list(self.campaign.groups.values())
        if match is not None and int(match.group(1)) < len(groups):
            group = groups[int(match.group(1))]
            rest = _INDEX.sub("", match.group(3))
            if match.group(2) is not None and int(match.group(2)) < len(group.ads):
                ad = group.ads[int(match.group(2))]
                column = _AD_FIELD_COLUMNS.get(rest.split(".")[0])
                return ad.line_of(column) if column else ad.line, column
            column = _GROUP_FIELD_COLUMNS.get(rest) or _GROUP_FIELD_COLUMNS.get(rest.split(".")[0])
            return (group.fields.line_of(column) if column else group.fields.line), column
        field_path = _INDEX.sub("", path)
        if field_path == "ad_groups":
            return self.campaign.fields.line, "ad_group_name"
        column = _FIELD_COLUMNS.get(field_path) or _FIELD_COLUMNS.get(field_path.split(".")[0])
        if column == "ad_accounts" and "ad_accounts" not in self.campaign.fields.values:
            column = "platforms"
        return (self.campaign.fields.line_of(column) if column else self.campaign.fields.line), column


def _path(location: tuple[int | str, ...]) -> str:
    path = ""
    for part in location:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path


def _build(builder: _Builder, today: date | None) -> ImportedDraft | None:
    raw = builder.document()
    try:
        document = DraftDocument.model_validate(raw)
    except ValidationError as exc:
        for error in exc.errors():
            path = _path(tuple(error["loc"]))
            line, column = builder.locate(path)
            message = str(error["msg"]).removeprefix("Value error, ")
            builder.problems.append(ImportProblem(line, column, "invalid-value", message, path=path or None))
        return None
    # A value the file got wrong is reported once: not again as the empty field it left in the document.
    reported = {(problem.line, problem.column) for problem in builder.problems}
    for problem in validate_document(document, today=today):
        line, column = builder.locate(problem.path)
        if (line, column) in reported and problem.code == "required":
            continue
        builder.problems.append(
            ImportProblem(
                line,
                column,
                problem.code,
                problem.message,
                severity=problem.severity,
                path=problem.path,
                platform=problem.platform,
            )
        )
    errors = sum(problem.severity is Severity.error for problem in builder.problems)
    return ImportedDraft(
        builder.campaign.key,
        builder.campaign.fields.line,
        document,
        tuple(builder.targets),
        errors,
        len(builder.problems) - errors,
    )


def parse_drafts_csv(content: bytes, accounts: Sequence[ImportAccount], *, today: date | None) -> ParsedImport:
    """The drafts a CSV file describes and every problem of it by line and column. ``drafts`` holds every campaign
    that became a document (with its own count of problems); a file with any error must create nothing."""
    problems: list[ImportProblem] = []
    try:
        text = _decode(content)
        if not text.strip():
            raise _FileProblem(ImportProblem(None, None, "empty", "The file is empty; start from the template."))
        delimiter = _delimiter(text)
        _, rows = _records(text, delimiter, problems)
    except _FileProblem as exc:
        return ParsedImport(0, [], [*problems, exc.problem])
    if not rows:
        problems.append(ImportProblem(None, None, "no-rows", "The file has a header but no rows."))
    drafts: list[ImportedDraft] = []
    for campaign in _group(rows, problems):
        builder = _Builder(campaign, accounts, delimiter == ";", today)
        draft = _build(builder, today)
        problems += builder.problems
        if draft is not None:
            drafts.append(draft)
    problems.sort(key=lambda p: (p.line or 0, COLUMN_ORDER.get(p.column or "", len(COLUMN_ORDER))))
    return ParsedImport(len(rows), drafts, problems)
