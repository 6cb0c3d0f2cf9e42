"""The Google Ads Query Language (GAQL) as the sandbox's Google Ads emulator serves it: parsing and evaluation.

It covers the subset the product and its tests speak, and answers everything else with Google's ``queryError`` codes
(as a :class:`GaqlError`; the emulator wraps it in a ``GoogleAdsFailure``):

* ``SELECT field, ... FROM resource [WHERE ...] [ORDER BY ...] [LIMIT n] [PARAMETERS include_drafts = ...]``;
  keywords are case-insensitive, field and resource names are lower-cased.
* ``WHERE``: conditions joined by ``AND`` with ``=``, ``!=``, ``>``, ``>=``, ``<``, ``<=``, ``IN (...)``,
  ``NOT IN (...)``, ``BETWEEN a AND b``, ``DURING preset``, ``LIKE``, ``NOT LIKE``, ``IS NULL`` and ``IS NOT NULL``.
  Literals are quoted strings (single or double quotes, backslash escapes), integers, decimals, and bare words
  (enum constants, ``TRUE``/``FALSE``).
* ``ORDER BY`` one or more fields, each ``ASC`` (the default) or ``DESC``; ``LIMIT`` a positive integer.
* ``DURING`` with Google's date presets (``TODAY``, ``LAST_7_DAYS``, ``LAST_MONTH``, ``LAST_WEEK_MON_SUN``, ...),
  resolved against the account's today.

It refuses ``OR``, parentheses around conditions, ``CONTAINS ANY|ALL|NONE``, ``REGEXP_MATCH``, functions, a
``LIMIT`` that is not a positive integer, any parameter but ``include_drafts``, unterminated strings and stray input.

Which resources and fields exist, which a resource may select, and how a row reads a field are the emulator's
business: this module types a condition's literals by the field's kind (:func:`coerce_values`), derives a report's
date range (:func:`date_range`) and filters, sorts and cuts rows through the readers it is given (:func:`evaluate`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, TypeVar

RowT = TypeVar("RowT")

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<string>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")
      | (?P<number>-?\d+(?:\.\d+)?(?![\w.]))
      | (?P<op>!=|>=|<=|=|>|<|\(|\)|,)
      | (?P<word>[A-Za-z_][A-Za-z0-9_.]*)
    )""",
    re.VERBOSE,
)
_KEYWORDS = frozenset(
    {"SELECT", "FROM", "WHERE", "AND", "ORDER", "BY", "ASC", "DESC", "LIMIT", "PARAMETERS", "IN", "NOT", "BETWEEN",
     "DURING", "LIKE", "IS", "NULL"}
)  # fmt: skip
DURING_PRESETS = frozenset(
    {"TODAY", "YESTERDAY", "LAST_7_DAYS", "LAST_14_DAYS", "LAST_30_DAYS", "LAST_BUSINESS_WEEK", "THIS_MONTH",
     "LAST_MONTH", "THIS_WEEK_SUN_TODAY", "THIS_WEEK_MON_TODAY", "LAST_WEEK_SUN_SAT", "LAST_WEEK_MON_SUN"}
)  # fmt: skip


class GaqlError(Exception):
    """A query Google refuses: ``code`` is the enum name in ``category`` (``queryError`` unless a resource has errors
    of its own, such as ``changeStatusError``), ``message`` Google's wording."""

    def __init__(self, code: str, message: str, category: str = "queryError") -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.category = category


# ---- parsing ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Token:
    kind: str  # string | number | op | word
    text: str

    @property
    def keyword(self) -> str:
        return self.text.upper() if self.kind == "word" else ""


@dataclass(frozen=True)
class Condition:
    field: str
    operator: str  # = != > >= < <= IN NOT_IN BETWEEN DURING LIKE NOT_LIKE IS_NULL IS_NOT_NULL
    values: tuple[Any, ...]  # literal values: str (quoted or enum word), int, float


@dataclass(frozen=True)
class Query:
    fields: tuple[str, ...]
    resource: str
    conditions: tuple[Condition, ...] = ()
    order_by: tuple[tuple[str, bool], ...] = ()  # (field, descending)
    limit: int | None = None


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    position = 0
    text = text.rstrip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:
            rest = text[position:].strip()
            if rest[:1] in ("'", '"'):
                raise GaqlError("STRING_NOT_TERMINATED", f"Error in query: unterminated string {rest[:20]!r}.")
            raise GaqlError("BAD_SYMBOL", f"Error in query: unexpected input {rest[:20]!r}.")
        kind = match.lastgroup or "word"
        tokens.append(Token(kind, match.group(kind)))
        position = match.end()
    return tokens


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = tokenize(text)
        self.position = 0

    def peek(self) -> Token | None:
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def take(self) -> Token:
        token = self.peek()
        if token is None:
            raise GaqlError("UNEXPECTED_END_OF_QUERY", "Error in query: unexpected end of query.")
        self.position += 1
        return token

    def accept(self, keyword: str) -> bool:
        token = self.peek()
        if token is not None and token.keyword == keyword:
            self.position += 1
            return True
        return False

    def expect_op(self, op: str, code: str = "UNEXPECTED_INPUT") -> None:
        token = self.take()
        if token.kind != "op" or token.text != op:
            raise GaqlError(code, f"Error in query: expected '{op}' but found '{token.text}'.")

    def field(self) -> str:
        token = self.take()
        if token.kind != "word" or token.keyword in _KEYWORDS:
            raise GaqlError("BAD_FIELD_NAME", f"Error in query: expected a field name but found '{token.text}'.")
        return token.text.lower()

    def value(self) -> Any:
        token = self.take()
        if token.kind == "string":
            return bytes(token.text[1:-1], "utf-8").decode("unicode_escape")
        if token.kind == "number":
            return float(token.text) if "." in token.text else int(token.text)
        if token.kind == "word" and token.keyword not in _KEYWORDS:
            return token.text  # an enum constant (or TRUE/FALSE)
        raise GaqlError("BAD_VALUE", f"Error in query: expected a value but found '{token.text}'.")

    def values_list(self) -> tuple[Any, ...]:
        self.expect_op("(", "EXPECTED_LIST")
        values = [self.value()]
        while True:
            token = self.take()
            if token.kind == "op" and token.text == ")":
                return tuple(values)
            if token.kind != "op" or token.text != ",":
                raise GaqlError("UNEXPECTED_INPUT", f"Error in query: unexpected '{token.text}' in a list.")
            values.append(self.value())

    def condition(self) -> Condition:
        name = self.field()
        token = self.take()
        if token.kind == "op" and token.text in ("=", "!=", ">", ">=", "<", "<="):
            return Condition(name, token.text, (self.value(),))
        keyword = token.keyword
        if keyword == "IN":
            return Condition(name, "IN", self.values_list())
        if keyword == "NOT":
            if self.accept("IN"):
                return Condition(name, "NOT_IN", self.values_list())
            if self.accept("LIKE"):
                return Condition(name, "NOT_LIKE", (self.value(),))
            raise GaqlError("BAD_OPERATOR", "Error in query: NOT must be followed by IN or LIKE.")
        if keyword == "BETWEEN":
            low = self.value()
            if not self.accept("AND"):
                raise GaqlError("EXPECTED_AND", "Error in query: expected AND between values of BETWEEN.")
            return Condition(name, "BETWEEN", (low, self.value()))
        if keyword == "DURING":
            preset = self.take()
            return Condition(name, "DURING", (preset.text.strip("'\""),))
        if keyword == "LIKE":
            return Condition(name, "LIKE", (self.value(),))
        if keyword == "IS":
            negated = self.accept("NOT")
            if not self.accept("NULL"):
                raise GaqlError("BAD_OPERATOR", "Error in query: IS must be followed by NULL or NOT NULL.")
            return Condition(name, "IS_NOT_NULL" if negated else "IS_NULL", ())
        raise GaqlError("BAD_OPERATOR", f"Error in query: invalid operator '{token.text}'.")

    def parse(self) -> Query:
        if not self.accept("SELECT"):
            raise GaqlError("EXPECTED_SELECT", "Error in query: SELECT is missing at the beginning of query.")
        fields = [self.field()]
        while (token := self.peek()) is not None and token.kind == "op" and token.text == ",":
            self.take()
            fields.append(self.field())
        if not self.accept("FROM"):
            raise GaqlError("EXPECTED_FROM", "Error in query: missing FROM clause.")
        resource = self.field()
        conditions: list[Condition] = []
        order_by: list[tuple[str, bool]] = []
        limit: int | None = None
        if self.accept("WHERE"):
            conditions.append(self.condition())
            while self.accept("AND"):
                conditions.append(self.condition())
        if self.accept("ORDER"):
            if not self.accept("BY"):
                raise GaqlError("EXPECTED_BY", "Error in query: expecting ORDER BY to have BY.")
            while True:
                name = self.field()
                descending = self.accept("DESC")
                if not descending:
                    self.accept("ASC")
                order_by.append((name, descending))
                token = self.peek()
                if token is None or token.kind != "op" or token.text != ",":
                    break
                self.take()
        if self.accept("LIMIT"):
            token = self.take()
            if token.kind != "number" or "." in token.text:
                raise GaqlError("BAD_LIMIT_VALUE", f"Error in query: invalid LIMIT value '{token.text}'.")
            limit = int(token.text)
            if limit <= 0:
                raise GaqlError("LIMIT_VALUE_TOO_LOW", "Error in query: LIMIT must be positive.")
        if self.accept("PARAMETERS"):
            while True:
                name = self.field()
                self.expect_op("=")
                self.value()
                if name != "include_drafts":
                    raise GaqlError("BAD_PARAMETER_NAME", f"Error in query: unknown parameter '{name}'.")
                token = self.peek()
                if token is None or token.kind != "op" or token.text != ",":
                    break
                self.take()
        if (token := self.peek()) is not None:
            raise GaqlError("UNEXPECTED_INPUT", f"Error in query: unexpected input '{token.text}'.")
        return Query(tuple(fields), resource, tuple(conditions), tuple(order_by), limit)


def parse_gaql(text: str) -> Query:
    """Parse a Google Ads Query Language statement (the subset above) or raise a :class:`GaqlError`."""
    if not text or not text.strip():
        raise GaqlError("UNEXPECTED_END_OF_QUERY", "Error in query: the query is empty.")
    return _Parser(text).parse()


# ---- dates -----------------------------------------------------------------------------------------------------------


def preset_range(preset: str, today: date) -> tuple[date, date]:
    """The first and last day of a ``DURING`` preset (upper case); ``LAST_BUSINESS_WEEK`` for an unknown one."""
    one = timedelta(days=1)
    if preset == "TODAY":
        return today, today
    if preset == "YESTERDAY":
        return today - one, today - one
    if preset in ("LAST_7_DAYS", "LAST_14_DAYS", "LAST_30_DAYS"):
        days = int(preset.split("_")[1])
        return today - timedelta(days=days), today - one
    if preset == "THIS_MONTH":
        return today.replace(day=1), today
    if preset == "LAST_MONTH":
        last = today.replace(day=1) - one
        return last.replace(day=1), last
    monday = today - timedelta(days=today.weekday())
    sunday = today - timedelta(days=(today.weekday() + 1) % 7)
    if preset == "THIS_WEEK_MON_TODAY":
        return monday, today
    if preset == "THIS_WEEK_SUN_TODAY":
        return sunday, today
    if preset == "LAST_WEEK_MON_SUN":
        return monday - timedelta(days=7), monday - one
    if preset == "LAST_WEEK_SUN_SAT":
        return sunday - timedelta(days=7), sunday - one
    # LAST_BUSINESS_WEEK: Monday to Friday of the previous week.
    return monday - timedelta(days=7), monday - timedelta(days=3)


def date_literal(value: Any) -> date:
    """A ``'YYYY-MM-DD'`` literal as a date, or ``INVALID_DATE_FORMAT``."""
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise GaqlError("INVALID_DATE_FORMAT", f"Invalid date format. Expected 'YYYY-MM-DD', found {value!r}.")


# ---- evaluation ------------------------------------------------------------------------------------------------------


def coerce_values(condition: Condition, kind: str, enum: frozenset[str] | None = None) -> tuple[Any, ...]:
    """The condition's literals in the terms of its field's ``kind`` (int64 | int32 | double | string | enum | bool |
    date),
    validated once rather than per row: numbers, booleans, ISO dates as strings, enum constants checked against
    ``enum`` when given."""
    values: list[Any] = []
    for value in condition.values:
        if kind in ("int64", "int32", "double"):
            try:
                number = float(value) if kind == "double" else int(str(value))
            except ValueError:
                raise GaqlError("BAD_NUMBER", f"Error in query: '{value}' is not a number.") from None
            values.append(number)
        elif kind == "bool":
            word = str(value).upper()
            if word not in ("TRUE", "FALSE"):
                raise GaqlError("BAD_VALUE", f"Error in query: '{value}' is not TRUE or FALSE.")
            values.append(word == "TRUE")
        elif kind == "date" and condition.operator != "DURING":
            values.append(date_literal(value).isoformat())
        elif kind == "enum" and enum is not None and str(value) not in enum:
            raise GaqlError(
                "BAD_ENUM_CONSTANT", f"Error in query: invalid enum constant '{value}' for field '{condition.field}'."
            )
        else:
            values.append(str(value))
    return tuple(values)


def date_range(
    conditions: Iterable[tuple[Condition, tuple[Any, ...]]], today: date, field: str = "segments.date"
) -> tuple[date | None, date | None]:
    """The days the conditions on ``field`` (with their coerced values) allow: ``(since, until)``, ``None`` where
    unbounded. An unknown ``DURING`` preset is ``INVALID_VALUE_WITH_DURING_OPERATOR``."""
    since: date | None = None
    until: date | None = None

    def narrow(low: date | None, high: date | None) -> None:
        nonlocal since, until
        if low is not None:
            since = low if since is None else max(since, low)
        if high is not None:
            until = high if until is None else min(until, high)

    for condition, values in conditions:
        if condition.field != field:
            continue
        operator = condition.operator
        if operator == "DURING":
            preset = str(condition.values[0]).upper()
            if preset not in DURING_PRESETS:
                raise GaqlError(
                    "INVALID_VALUE_WITH_DURING_OPERATOR",
                    f"Invalid date literal supplied for DURING operator: {condition.values[0]}.",
                )
            narrow(*preset_range(preset, today))
            continue
        days = [date.fromisoformat(v) for v in values]
        if operator == "BETWEEN":
            narrow(days[0], days[1])
        elif operator == "=":
            narrow(days[0], days[0])
        elif operator == "IN":
            narrow(min(days), max(days))
        elif operator == ">=":
            narrow(days[0], None)
        elif operator == ">":
            narrow(days[0] + timedelta(days=1), None)
        elif operator == "<=":
            narrow(None, days[0])
        elif operator == "<":
            narrow(None, days[0] - timedelta(days=1))
    return since, until


def _like(pattern: str, value: str) -> bool:
    regex = "".join(".*" if ch == "%" else "." if ch == "_" else re.escape(ch) for ch in pattern)
    return re.fullmatch(regex, value, re.IGNORECASE | re.DOTALL) is not None


def matches(value: Any, condition: Condition, values: tuple[Any, ...], today: date) -> bool:
    """Whether a row's ``value`` of the condition's field meets it (``values`` are the coerced literals)."""
    operator = condition.operator
    if operator == "IS_NULL":
        return value is None
    if operator == "IS_NOT_NULL":
        return value is not None
    if value is None:
        return operator in ("!=", "NOT_IN", "NOT_LIKE")
    if operator == "DURING":
        low, high = preset_range(str(condition.values[0]).upper(), today)
        return bool(low.isoformat() <= value <= high.isoformat())
    if operator == "=":
        return bool(value == values[0])
    if operator == "!=":
        return bool(value != values[0])
    if operator == "IN":
        return value in values
    if operator == "NOT_IN":
        return value not in values
    if operator == "BETWEEN":
        return bool(values[0] <= value <= values[1])
    if operator == "LIKE":
        return _like(str(values[0]), str(value))
    if operator == "NOT_LIKE":
        return not _like(str(values[0]), str(value))
    comparisons: dict[str, Callable[[Any, Any], bool]] = {
        ">": lambda a, b: a > b,
        ">=": lambda a, b: a >= b,
        "<": lambda a, b: a < b,
        "<=": lambda a, b: a <= b,
    }
    return comparisons[operator](value, values[0])


def evaluate(
    rows: Iterable[RowT],
    where: Sequence[tuple[Callable[[RowT], Any], Condition, tuple[Any, ...]]],
    order_by: Sequence[tuple[Callable[[RowT], Any], bool]],
    limit: int | None,
    today: date,
) -> list[RowT]:
    """``WHERE``, ``ORDER BY`` and ``LIMIT`` over rows, each field read by the reader paired with it: ``where`` holds
    (reader, condition, coerced values), ``order_by`` (reader, descending). Sorting is stable and puts nulls first
    (last when descending)."""
    kept = [row for row in rows if all(matches(read(row), c, values, today) for read, c, values in where)]
    for read, descending in reversed(order_by):

        def key(row: RowT, read: Callable[[RowT], Any] = read) -> tuple[bool, Any]:
            value = read(row)
            return (value is not None, value if value is not None else 0)

        kept.sort(key=key, reverse=descending)
    return kept if limit is None else kept[:limit]
