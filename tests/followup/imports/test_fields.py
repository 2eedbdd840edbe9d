"""Cells of an import file read as HR wrote them in Excel or YAML: every bad value reported at its
cell with what was written, nothing said about a column the sheet does not have."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from followup.imports.fields import Checker, parse_month_day
from followup.imports.problems import Location
from followup.imports.tabular import Row

COLUMN = "F (Värde)"  # as HR sees the cell's column in Excel


def cell(value: Any, *, absent: bool = False) -> Row:
    """Row 7 of sheet Aktiviteter with one value, in column F."""
    return Row(
        "plan.xlsx",
        "Aktiviteter",
        7,
        {"value": value},
        {"value": COLUMN},
        absent=frozenset({"value"}) if absent else frozenset(),
    )


def read(method: str, value: Any, **options: Any) -> tuple[Any, list[tuple[str, dict[str, Any]]]]:
    """What a Checker method makes of one cell, and the problems it reported (all at that cell)."""
    checker = Checker()
    result = getattr(checker, method)(cell(value), "value", **options)
    for found in checker.problems:
        assert found.location == Location("plan.xlsx", "Aktiviteter", 7, COLUMN)
    return result, [(p.code, p.params) for p in checker.problems]


def test_a_day_of_the_year_is_month_and_day_of_a_real_day() -> None:
    assert parse_month_day("4-15") == "04-15"
    assert parse_month_day(" 10-01 ") == "10-01"
    for bad in ("02-29", "13-01", "04-31", "4/15", "april", ""):
        assert parse_month_day(bad) is None, bad


def test_texts_are_trimmed_whole_numbers_lose_their_decimals_and_length_is_checked() -> None:
    assert read("text", "  Hemtjänst Norr ") == ("Hemtjänst Norr", [])
    assert read("text", 4711.0) == ("4711", [])  # Excel's number, as HR typed it
    assert read("text", None) == ("", [])
    assert read("text", None, required=True) == ("", [("empty_required", {})])
    assert read("text", "x" * 21, max_len=20) == (
        "x" * 21,
        [("too_long", {"max": 20, "length": 21})],
    )
    assert read("code", None) == ("", [("empty_required", {})])  # a code is always required


def test_whole_numbers_within_their_range() -> None:
    assert read("integer", 2026.0, low=2000, high=2100) == (2026, [])
    assert read("integer", " 2026 ", low=2000, high=2100) == (2026, [])
    assert read("integer", None, low=1, high=9) == (None, [])
    assert read("integer", None, required=True, low=1, high=9) == (None, [("empty_required", {})])
    for bad in (2.5, "två", True, "2,5"):
        assert read("integer", bad, low=1, high=9) == (None, [("not_integer", {"value": str(bad)})])
    assert read("integer", 150, low=1, high=120) == (
        None,
        [("out_of_range", {"value": 150, "low": 1, "high": 120})],
    )


def test_dates_from_excel_or_written_iso_wise() -> None:
    assert read("date", datetime(2026, 6, 30)) == (date(2026, 6, 30), [])
    assert read("date", date(2026, 6, 30)) == (date(2026, 6, 30), [])
    assert read("date", "2026-06-30") == (date(2026, 6, 30), [])
    assert read("date", None) == (None, [])
    assert read("date", "30/6") == (None, [("bad_date", {"value": "30/6"})])
    # a time of day is no day: Excel cell typed as date and time
    assert read("date", datetime(2026, 6, 30, 14, 0)) == (
        None,
        [("bad_date", {"value": "2026-06-30 14:00:00"})],
    )


def test_yes_and_no_in_swedish_english_or_as_a_cross() -> None:
    for yes in ("ja", "Ja", "JA", "x", "yes", "sant", 1, 1.0, True):
        assert read("boolean", yes, default=False) == (True, []), yes
    for no in ("nej", "Nej", "no", "falskt", 0, 0.0, False):
        assert read("boolean", no, default=True) == (False, []), no
    assert read("boolean", None, default=True) == (True, [])
    assert read("boolean", "kanske", default=True) == (True, [("bad_boolean", {"value": "kanske"})])


def test_years_as_one_a_range_or_a_list_sorted_and_within_the_programme() -> None:
    span = {"low": 2025, "high": 2028}
    assert read("years", 2026, **span) == ((2026,), [])
    assert read("years", 2026.0, **span) == ((2026,), [])
    assert read("years", "2025-2027", **span) == ((2025, 2026, 2027), [])
    assert read("years", "2025 – 2026", **span) == ((2025, 2026), [])  # Word's dash
    assert read("years", "2027, 2025; 2027", **span) == ((2025, 2027), [])
    assert read("years", [2028, 2026], **span) == ((2026, 2028), [])
    for bad in ("2027-2025", "nästa år", "25", [2025, "2026"], True):
        assert read("years", bad, **span) == ((), [("bad_years", {"value": str(bad)})]), bad
    assert read("years", None, **span) == ((), [("empty_required", {})])
    assert read("years", "2024-2026", **span) == (
        (),
        [("years_outside_programme", {"value": "2024", "low": 2025, "high": 2028})],
    )


def test_departments_are_codes_or_all_of_them() -> None:
    for everyone in ("alla", "Alla", "ALL", "*", ["alla"]):
        assert read("code_list", everyone) == (None, []), everyone  # None: every department
    assert read("code_list", "IFO, ÄO; LSS") == (("IFO", "ÄO", "LSS"), [])
    assert read("code_list", ["IFO", " ÄO ", None]) == (("IFO", "ÄO"), [])
    assert read("code_list", None) == ((), [("empty_required", {})])
    assert read("code_list", " , ;") == ((), [("empty_required", {})])


def test_opening_days_are_sorted_and_a_bad_one_is_named() -> None:
    default = ("04-15", "10-01")
    assert read("month_days", None, default=default) == (default, [])
    assert read("month_days", "10-1, 4-15", default=default) == (("04-15", "10-01"), [])
    assert read("month_days", ["3-1", "03-01"], default=default) == (("03-01",), [])
    assert read("month_days", "4-15, 2-30", default=default) == (
        (),
        [("bad_month_day", {"value": "2-30"})],
    )


def test_nothing_is_said_about_a_column_the_sheet_does_not_have() -> None:
    checker = Checker()
    row = cell(None, absent=True)
    assert checker.text(row, "value", required=True) == ""
    assert checker.years(row, "value", low=2025, high=2028) == ()
    assert checker.problems == []  # the missing column is reported once, for the header


def test_every_problem_of_a_file_is_collected() -> None:
    checker = Checker()
    first = Row("roster.csv", None, 2, {"active": "kanske"}, {"active": "G (Aktiv)"})
    second = Row("roster.csv", None, 3, {"active": "ja", "until": "snart"})
    checker.boolean(first, "active", default=True)
    checker.boolean(second, "active", default=True)
    checker.date(second, "until")
    assert [(p.location.row, p.location.column, p.code) for p in checker.problems] == [
        (2, "G (Aktiv)", "bad_boolean"),
        (3, "until", "bad_date"),  # a column without a header label keeps its field's name
    ]
