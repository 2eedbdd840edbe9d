"""Whether a file HR sent is a plan or a roster: by its sheets, its header or its sections."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from followup.imports.plan_reading import ACTIVITY_COLUMNS, ACTIVITY_SHEET, PROGRAMME_SHEET
from followup.imports.problems import ImportRejected, Location, Problem
from followup.imports.roster import ROSTER_COLUMNS, ROSTER_SHEET
from followup.imports.tabular import (
    Column,
    ImportFile,
    file_format,
    find_sheet,
    read_csv,
    read_workbook,
    read_yaml,
)

KINDS = ("plan", "roster")


def _labels(columns: Sequence[Column], field: str) -> set[str]:
    column = next(c for c in columns if c.field == field)
    return {" ".join(label.split()).casefold() for label in (column.field, *column.labels)}


# a header that has one of these is a roster's (its UPN) or a plan's activities (area and years)
_ROSTER_HEADER = _labels(ROSTER_COLUMNS, "upn")
_PLAN_HEADER = _labels(ACTIVITY_COLUMNS, "area") | _labels(ACTIVITY_COLUMNS, "years")


def _header_kind(grid: Sequence[Sequence[Any]]) -> str | None:
    for row in grid:
        cells = {" ".join(str(v).split()).casefold() for v in row if v not in (None, "")}
        if not cells:
            continue
        if cells & _ROSTER_HEADER:
            return "roster"
        if cells & _PLAN_HEADER:
            return "plan"
        return None
    return None


def detect_kind(file: ImportFile) -> str:
    """ "plan" or "roster"; refused with a problem that says what either needs when it is
    neither (or a file that cannot be read, as the importers would say)."""
    fmt = file_format(file)
    kind: str | None = None
    if fmt == "xlsx":
        sheets = read_workbook(file)
        if find_sheet(sheets, ROSTER_SHEET) is not None:
            kind = "roster"
        elif find_sheet(sheets, (*PROGRAMME_SHEET, *ACTIVITY_SHEET)) is not None:
            kind = "plan"
        elif len(sheets) == 1:
            kind = _header_kind(next(iter(sheets.values())))
    elif fmt == "csv":
        kind = _header_kind(read_csv(file)[:50])
    else:
        data = read_yaml(file)
        if isinstance(data, dict):
            if "chefs" in data:
                kind = "roster"
            elif "programme" in data or "activities" in data:
                kind = "plan"
    if kind is None:
        raise ImportRejected([Problem(Location(file.name), "unknown_kind")])
    return kind
