"""Typed reading of import cells; every bad value becomes a Problem at its cell.

Home-made on purpose, unlike the cards' forms (`followup.forms`, on pydantic): a problem here
must name its file, sheet, row and column as HR sees them in Excel, a column may be absent
from a sheet (then nothing is said about it), and cells come as Excel gives them (whole numbers
as floats, dates as datetimes, lists from YAML). A pydantic model per row would report field
paths that still had to be mapped back to cells, and would stop at the first problem per cell
where HR wants every problem of the file at once."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

from followup.imports.problems import Problem
from followup.imports.tabular import Row, as_date

_TRUE = {"ja", "j", "yes", "y", "true", "sant", "1", "x"}
_FALSE = {"nej", "n", "no", "false", "falskt", "0"}
_ALL = {"alla", "all", "*"}
_MONTH_DAY = re.compile(r"^(\d{1,2})-(\d{1,2})$")
_YEAR_RANGE = re.compile(r"^(\d{4})\s*[-–]\s*(\d{4})$")


def parse_month_day(text: str) -> str | None:
    """A day of the year as "MM-DD" (e.g. "4-15" → "04-15"); None when it is no such day."""
    match = _MONTH_DAY.match(text.strip())
    if not match:
        return None
    month, day = int(match.group(1)), int(match.group(2))
    try:
        date(2023, month, day)  # a year without 29 February
    except ValueError:
        return None
    return f"{month:02d}-{day:02d}"


class Checker:
    """Collects problems, each at its cell, while reading typed values from rows."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(self, row: Row, field: str | None, code: str, **params: Any) -> None:
        if field in row.absent:
            return
        self.problems.append(Problem(row.loc(field), code, params))

    def text(self, row: Row, field: str, *, required: bool = False, max_len: int = 200) -> str:
        value = row.get(field)
        if value is None:
            if required:
                self.add(row, field, "empty_required")
            return ""
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        text = str(value).strip()
        if len(text) > max_len:
            self.add(row, field, "too_long", max=max_len, length=len(text))
        return text

    def code(self, row: Row, field: str, *, required: bool = True) -> str:
        """A stable key: kept as written, but compared without regard to case."""
        return self.text(row, field, required=required, max_len=20)

    def integer(
        self, row: Row, field: str, *, required: bool = False, low: int, high: int
    ) -> int | None:
        value = row.get(field)
        if value is None:
            if required:
                self.add(row, field, "empty_required")
            return None
        number: int | None = None
        if isinstance(value, bool):
            number = None
        elif isinstance(value, int):
            number = value
        elif isinstance(value, float) and value.is_integer():
            number = int(value)
        elif isinstance(value, str) and re.fullmatch(r"[+-]?\d+", value.strip()):
            number = int(value)
        if number is None:
            self.add(row, field, "not_integer", value=str(value))
            return None
        if not low <= number <= high:
            self.add(row, field, "out_of_range", value=number, low=low, high=high)
            return None
        return number

    def date(self, row: Row, field: str) -> date | None:
        value = row.get(field)
        if value is None:
            return None
        parsed = as_date(value)
        if parsed is None or (isinstance(value, datetime) and value.time() != datetime.min.time()):
            self.add(row, field, "bad_date", value=str(value))
            return None
        return parsed

    def boolean(self, row: Row, field: str, *, default: bool) -> bool:
        value = row.get(field)
        if value is None:
            return default
        if isinstance(value, bool):
            return value
        text = str(value).strip().casefold()
        if isinstance(value, int | float) and not isinstance(value, bool):
            text = str(int(value)) if float(value).is_integer() else text
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        self.add(row, field, "bad_boolean", value=str(value))
        return default

    def years(self, row: Row, field: str, *, low: int, high: int) -> tuple[int, ...]:
        """Years as a list (2025, 2026), a range ("2025-2027") or one year; within low..high."""
        value = row.get(field)
        if value is None:
            self.add(row, field, "empty_required")
            return ()
        years: list[int] = []
        if isinstance(value, bool):
            pass
        elif isinstance(value, int):
            years = [value]
        elif isinstance(value, float) and value.is_integer():
            years = [int(value)]
        elif isinstance(value, list):
            years = [y for y in value if isinstance(y, int) and not isinstance(y, bool)]
            if len(years) != len(value):
                years = []
        elif isinstance(value, str):
            text = value.strip()
            match = _YEAR_RANGE.match(text)
            if match:
                first, last = int(match.group(1)), int(match.group(2))
                years = list(range(first, last + 1)) if first <= last else []
            else:
                parts = [p.strip() for p in re.split(r"[,;\s]+", text) if p.strip()]
                if parts and all(re.fullmatch(r"\d{4}", p) for p in parts):
                    years = [int(p) for p in parts]
        if not years:
            self.add(row, field, "bad_years", value=str(value))
            return ()
        outside = [y for y in years if not low <= y <= high]
        if outside:
            self.add(
                row, field, "years_outside_programme", value=str(outside[0]), low=low, high=high
            )
            return ()
        return tuple(sorted(set(years)))

    def code_list(self, row: Row, field: str) -> tuple[str, ...] | None:
        """`alla`/`all` (None: every department), or codes as a list or separated by commas."""
        value = row.get(field)
        if value is None:
            self.add(row, field, "empty_required")
            return ()
        items: list[str]
        if isinstance(value, list):
            items = [str(v).strip() for v in value if v is not None and str(v).strip()]
        else:
            items = [p.strip() for p in re.split(r"[,;]", str(value)) if p.strip()]
        if len(items) == 1 and items[0].casefold() in _ALL:
            return None
        if not items:
            self.add(row, field, "empty_required")
        return tuple(items)

    def month_days(self, row: Row, field: str, *, default: tuple[str, ...]) -> tuple[str, ...]:
        """Opening days of half-yearly rounds, "MM-DD", as a list or separated by commas."""
        value = row.get(field)
        if value is None:
            return default
        raw = value if isinstance(value, list) else re.split(r"[,;]", str(value))
        result: list[str] = []
        for item in raw:
            text = str(item).strip()
            month_day = parse_month_day(text)
            if month_day is None:
                self.add(row, field, "bad_month_day", value=text)
                return ()
            result.append(month_day)
        return tuple(sorted(set(result)))
