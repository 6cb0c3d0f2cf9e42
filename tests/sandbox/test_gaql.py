"""The GAQL subset the Google Ads emulator serves: parsing, its refusals, DURING presets and row evaluation."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from adpilot.sandbox.google.gaql import (
    Condition,
    GaqlError,
    Query,
    coerce_values,
    date_range,
    evaluate,
    matches,
    parse_gaql,
    preset_range,
    tokenize,
)

WEDNESDAY = date(2026, 3, 18)


def error_code(text: str) -> str:
    with pytest.raises(GaqlError) as caught:
        parse_gaql(text)
    return caught.value.code


class TestParse:
    def test_a_full_statement(self) -> None:
        query = parse_gaql(
            "select Campaign.Id, campaign.name, metrics.clicks FROM campaign "
            "WHERE campaign.status IN (ENABLED, 'PAUSED') AND metrics.clicks >= 10 "
            "AND segments.date BETWEEN '2026-03-01' AND \"2026-03-07\" AND campaign.name NOT LIKE '%test%' "
            "AND campaign.id IS NOT NULL AND segments.date DURING LAST_7_DAYS "
            "ORDER BY metrics.clicks DESC, campaign.name LIMIT 5 PARAMETERS include_drafts = true"
        )
        assert query == Query(
            fields=("campaign.id", "campaign.name", "metrics.clicks"),
            resource="campaign",
            conditions=(
                Condition("campaign.status", "IN", ("ENABLED", "PAUSED")),
                Condition("metrics.clicks", ">=", (10,)),
                Condition("segments.date", "BETWEEN", ("2026-03-01", "2026-03-07")),
                Condition("campaign.name", "NOT_LIKE", ("%test%",)),
                Condition("campaign.id", "IS_NOT_NULL", ()),
                Condition("segments.date", "DURING", ("LAST_7_DAYS",)),
            ),
            order_by=(("metrics.clicks", True), ("campaign.name", False)),
            limit=5,
        )

    def test_literals_are_typed_and_strings_unescaped(self) -> None:
        query = parse_gaql(r"SELECT a.b FROM c WHERE a.x = -3 AND a.y < 1.5 AND a.z = 'it\'s' AND a.w != TRUE")
        assert [c.values[0] for c in query.conditions] == [-3, 1.5, "it's", "TRUE"]
        assert [c.operator for c in query.conditions] == ["=", "<", "=", "!="]

    def test_tokens(self) -> None:
        assert [(t.kind, t.text) for t in tokenize("a.b>=3,'x y'")] == [
            ("word", "a.b"),
            ("op", ">="),
            ("number", "3"),
            ("op", ","),
            ("string", "'x y'"),
        ]

    @pytest.mark.parametrize(
        ("text", "code"),
        [
            ("", "UNEXPECTED_END_OF_QUERY"),
            ("   ", "UNEXPECTED_END_OF_QUERY"),
            ("campaign.id FROM campaign", "EXPECTED_SELECT"),
            ("SELECT campaign.id campaign", "EXPECTED_FROM"),
            ("SELECT campaign.id FROM", "UNEXPECTED_END_OF_QUERY"),
            ("SELECT FROM campaign", "BAD_FIELD_NAME"),
            ("SELECT campaign.id FROM campaign WHERE campaign.name = 'open", "STRING_NOT_TERMINATED"),
            ("SELECT campaign.id FROM campaign WHERE campaign.id = 1 ; DROP", "BAD_SYMBOL"),
            ("SELECT campaign.id FROM campaign WHERE campaign.id = 1 OR campaign.id = 2", "UNEXPECTED_INPUT"),
            ("SELECT campaign.id FROM campaign WHERE campaign.name CONTAINS ANY ('a')", "BAD_OPERATOR"),
            ("SELECT campaign.id FROM campaign WHERE campaign.name REGEXP_MATCH 'a.*'", "BAD_OPERATOR"),
            ("SELECT campaign.id FROM campaign WHERE campaign.id NOT 1", "BAD_OPERATOR"),
            ("SELECT campaign.id FROM campaign WHERE campaign.id IS 1", "BAD_OPERATOR"),
            ("SELECT campaign.id FROM campaign WHERE campaign.id IN 1", "EXPECTED_LIST"),
            ("SELECT campaign.id FROM campaign WHERE campaign.id IN (1; 2)", "BAD_SYMBOL"),
            ("SELECT campaign.id FROM campaign WHERE campaign.id IN (1 2)", "UNEXPECTED_INPUT"),
            ("SELECT campaign.id FROM campaign WHERE campaign.id BETWEEN 1 OR 2", "EXPECTED_AND"),
            ("SELECT campaign.id FROM campaign WHERE campaign.id = SELECT", "BAD_VALUE"),
            ("SELECT campaign.id FROM campaign ORDER campaign.id", "EXPECTED_BY"),
            ("SELECT campaign.id FROM campaign LIMIT 2.5", "BAD_LIMIT_VALUE"),
            ("SELECT campaign.id FROM campaign LIMIT ten", "BAD_LIMIT_VALUE"),
            ("SELECT campaign.id FROM campaign LIMIT 0", "LIMIT_VALUE_TOO_LOW"),
            ("SELECT campaign.id FROM campaign PARAMETERS page_size = 5", "BAD_PARAMETER_NAME"),
            ("SELECT campaign.id FROM campaign PARAMETERS include_drafts true", "UNEXPECTED_INPUT"),
            ("SELECT campaign.id FROM campaign LIMIT 3 WHERE campaign.id = 1", "UNEXPECTED_INPUT"),
        ],
    )
    def test_refusals(self, text: str, code: str) -> None:
        assert error_code(text) == code


class TestDates:
    @pytest.mark.parametrize(
        ("preset", "first", "last"),
        [
            ("TODAY", date(2026, 3, 18), date(2026, 3, 18)),
            ("YESTERDAY", date(2026, 3, 17), date(2026, 3, 17)),
            ("LAST_7_DAYS", date(2026, 3, 11), date(2026, 3, 17)),
            ("LAST_30_DAYS", date(2026, 2, 16), date(2026, 3, 17)),
            ("THIS_MONTH", date(2026, 3, 1), date(2026, 3, 18)),
            ("LAST_MONTH", date(2026, 2, 1), date(2026, 2, 28)),
            ("THIS_WEEK_MON_TODAY", date(2026, 3, 16), date(2026, 3, 18)),
            ("THIS_WEEK_SUN_TODAY", date(2026, 3, 15), date(2026, 3, 18)),
            ("LAST_WEEK_MON_SUN", date(2026, 3, 9), date(2026, 3, 15)),
            ("LAST_WEEK_SUN_SAT", date(2026, 3, 8), date(2026, 3, 14)),
            ("LAST_BUSINESS_WEEK", date(2026, 3, 9), date(2026, 3, 13)),
        ],
    )
    def test_during_presets(self, preset: str, first: date, last: date) -> None:
        assert preset_range(preset, WEDNESDAY) == (first, last)

    def test_the_date_range_is_the_intersection_of_the_date_conditions(self) -> None:
        query = parse_gaql(
            "SELECT segments.date FROM campaign WHERE segments.date DURING last_30_days "
            "AND segments.date >= '2026-03-01' AND segments.date < '2026-03-10' AND campaign.id = 1"
        )
        typed = [(c, coerce_values(c, "date" if c.field == "segments.date" else "int64")) for c in query.conditions]
        assert date_range(typed, WEDNESDAY) == (date(2026, 3, 1), date(2026, 3, 9))
        assert date_range(typed[3:], WEDNESDAY) == (None, None)

    def test_an_unknown_during_preset_is_refused(self) -> None:
        condition = Condition("segments.date", "DURING", ("LAST_YEAR",))
        with pytest.raises(GaqlError) as caught:
            date_range([(condition, ("LAST_YEAR",))], WEDNESDAY)
        assert caught.value.code == "INVALID_VALUE_WITH_DURING_OPERATOR"


class TestCoerce:
    def test_literals_take_the_fields_kind(self) -> None:
        assert coerce_values(Condition("a.id", "IN", ("7", 8)), "int64") == (7, 8)
        assert coerce_values(Condition("m.ctr", ">", (1,)), "double") == (1.0,)
        assert coerce_values(Condition("c.manager", "=", ("true",)), "bool") == (True,)
        assert coerce_values(Condition("s.date", "=", ("2026-03-01",)), "date") == ("2026-03-01",)
        assert coerce_values(Condition("c.status", "=", ("PAUSED",)), "enum", frozenset({"PAUSED"})) == ("PAUSED",)

    @pytest.mark.parametrize(
        ("condition", "kind", "code"),
        [
            (Condition("a.id", "=", ("seven",)), "int64", "BAD_NUMBER"),
            (Condition("c.manager", "=", ("yes",)), "bool", "BAD_VALUE"),
            (Condition("s.date", "=", ("2026-3-1",)), "date", "INVALID_DATE_FORMAT"),
            (Condition("s.date", "=", ("2026-02-30",)), "date", "INVALID_DATE_FORMAT"),
            (Condition("c.status", "=", ("LIVE",)), "enum", "BAD_ENUM_CONSTANT"),
        ],
    )
    def test_bad_literals_are_refused(self, condition: Condition, kind: str, code: str) -> None:
        with pytest.raises(GaqlError) as caught:
            coerce_values(condition, kind, frozenset({"PAUSED"}))
        assert caught.value.code == code


ROWS: tuple[dict[str, Any], ...] = (
    {"id": 1, "name": "Spring Sale", "clicks": 5},
    {"id": 2, "name": "spring launch", "clicks": None},
    {"id": 3, "name": "Autumn", "clicks": 9},
    {"id": 4, "name": "Summer 100%", "clicks": 5},
)


class TestEvaluate:
    def ids(self, text: str) -> list[int]:
        query = parse_gaql(text)

        def reader(name: str) -> Any:
            return lambda row: row[name.split(".")[1]]

        kinds = {"id": "int64", "name": "string", "clicks": "int64"}
        where = [(reader(c.field), c, coerce_values(c, kinds[c.field.split(".")[1]])) for c in query.conditions]
        order_by = [(reader(name), descending) for name, descending in query.order_by]
        return [row["id"] for row in evaluate(ROWS, where, order_by, query.limit, WEDNESDAY)]

    def test_where_conditions_all_hold(self) -> None:
        assert self.ids("SELECT r.id FROM r WHERE r.name LIKE 'spring%' AND r.clicks = 5") == [1]
        assert self.ids("SELECT r.id FROM r WHERE r.id NOT IN (1, 3)") == [2, 4]
        assert self.ids("SELECT r.id FROM r WHERE r.clicks IS NULL") == [2]
        assert self.ids("SELECT r.id FROM r WHERE r.id BETWEEN 2 AND 3") == [2, 3]
        assert self.ids("SELECT r.id FROM r WHERE r.name LIKE '%100_'") == [4]

    def test_a_null_meets_only_the_negative_operators(self) -> None:
        assert self.ids("SELECT r.id FROM r WHERE r.clicks != 9") == [1, 2, 4]
        assert self.ids("SELECT r.id FROM r WHERE r.clicks < 9") == [1, 4]

    def test_order_by_is_stable_with_nulls_first_and_limit_cuts(self) -> None:
        assert self.ids("SELECT r.id FROM r ORDER BY r.clicks") == [2, 1, 4, 3]
        assert self.ids("SELECT r.id FROM r ORDER BY r.clicks DESC, r.id DESC") == [3, 4, 1, 2]
        assert self.ids("SELECT r.id FROM r ORDER BY r.clicks DESC LIMIT 2") == [3, 1]

    def test_during_matches_iso_days(self) -> None:
        condition = Condition("segments.date", "DURING", ("LAST_7_DAYS",))
        assert matches("2026-03-11", condition, ("LAST_7_DAYS",), WEDNESDAY)
        assert not matches("2026-03-18", condition, ("LAST_7_DAYS",), WEDNESDAY)
