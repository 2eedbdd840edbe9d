"""Reading a plan file: its sheets (XLSX), sections (YAML) or rows (CSV) into rows of raw
values, each remembering its file, sheet, row and column for the error messages.

Home-made on purpose (on `followup.imports.tabular`): HR fixes a file by the cell an error names, so
every value keeps its position from the first read to the last check."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from followup.imports.problems import ImportRejected, Location, Problem
from followup.imports.tabular import (
    Column,
    ImportFile,
    Row,
    file_format,
    find_sheet,
    read_csv,
    read_workbook,
    read_yaml,
    rows_from_grid,
    strip_lines,
    yaml_rows,
)

PROGRAMME_SHEET = ("Program", "Programme", "Programmet")
DEPARTMENT_SHEET = ("Avdelningar", "Departments")
PRINCIPLE_SHEET = ("Principer", "Ledande principer", "Principles")
AREA_SHEET = ("Områden", "Omraden", "Areas")
ACTIVITY_SHEET = ("Aktiviteter", "Activities")

PROGRAMME_FIELDS = (
    Column("code", ("Kod", "Code"), True),
    Column("title", ("Titel", "Title", "Namn"), True),
    Column("start_year", ("Startår", "Start year"), True),
    Column("end_year", ("Slutår", "End year"), True),
    Column("goal", ("Mål", "Goal")),
    Column("opens", ("Öppnar", "Opens", "calendar.opens")),
    Column("answer_days", ("Svarstid (dagar)", "Svarstid", "Answer days", "calendar.answer_days")),
)
KEY_VALUE_COLUMNS = (
    Column("field", ("Fält", "Field"), True),
    Column("value", ("Värde", "Value"), True),
)
DEPARTMENT_COLUMNS = (
    Column("code", ("Kod", "Code"), True),
    Column("name", ("Namn", "Name", "Avdelning", "Department"), True),
)
PRINCIPLE_COLUMNS = (
    Column("number", ("Nr", "Nummer", "Number", "No"), True),
    Column("title", ("Princip", "Principle", "Titel", "Title"), True),
    Column("description", ("Beskrivning", "Description")),
)
AREA_COLUMNS = (
    Column("code", ("Kod", "Code"), True),
    Column("name", ("Område", "Area", "Namn", "Name"), True),
)
ACTIVITY_COLUMNS = (
    Column("code", ("Kod", "Code"), True),
    Column("area", ("Område", "Area"), True),
    Column("title", ("Aktivitet", "Activity", "Titel", "Title"), True),
    Column("description", ("Beskrivning", "Description")),
    Column("departments", ("Avdelningar", "Departments"), True),
    Column("years", ("År", "Years"), True),
    Column("owner", ("Ansvarig", "Owner")),
    Column("due", ("Klart senast", "Due")),
)


@dataclass
class RawPlan:
    """A plan file's rows, sheet by sheet; None: the file has no such sheet."""

    programme: Row | None
    departments: list[Row] | None
    principles: list[Row] | None
    areas: list[Row] | None
    activities: list[Row]


def read_plan(path: ImportFile, problems: list[Problem]) -> RawPlan:
    """The rows of a plan file, by its format; what cannot be read goes to `problems`."""
    reader = {"xlsx": _read_xlsx, "yaml": _read_yaml, "csv": _read_csv}[file_format(path)]
    return reader(path, problems)


def _read_xlsx(path: ImportFile, problems: list[Problem]) -> RawPlan:
    sheets = read_workbook(path)

    def sheet_rows(
        names: Sequence[str], columns: Sequence[Column], required: bool
    ) -> list[Row] | None:
        found = find_sheet(sheets, names)
        if found is None:
            if required:
                problems.append(
                    Problem(Location(path.name, names[0]), "missing_sheet", {"sheet": names[0]})
                )
            return None
        title, grid = found
        return rows_from_grid(
            file=path.name, sheet=title, grid=grid, columns=columns, letters=True, problems=problems
        )

    programme: Row | None = None
    kv_rows = sheet_rows(PROGRAMME_SHEET, KEY_VALUE_COLUMNS, True)
    if kv_rows is not None:
        programme = _key_value_row(path.name, kv_rows, problems)
    return RawPlan(
        programme=programme,
        departments=sheet_rows(DEPARTMENT_SHEET, DEPARTMENT_COLUMNS, True),
        principles=sheet_rows(PRINCIPLE_SHEET, PRINCIPLE_COLUMNS, False),
        areas=sheet_rows(AREA_SHEET, AREA_COLUMNS, True),
        activities=sheet_rows(ACTIVITY_SHEET, ACTIVITY_COLUMNS, True) or [],
    )


class _KeyValueRow(Row):
    """The Program sheet: one field a row; each value remembers its own row."""

    def __init__(self, file: str, sheet: str | None, rows: dict[str, Row]) -> None:
        first = min((r.number for r in rows.values()), default=1)
        super().__init__(file, sheet, first, {k: r.get("value") for k, r in rows.items()})
        self._rows = rows

    def loc(self, field_name: str | None = None) -> Location:
        if field_name in self._rows:
            return self._rows[field_name].loc("value")
        return Location(self.file, self.sheet, None, _label(field_name))


def _label(field_name: str | None) -> str | None:
    for column in PROGRAMME_FIELDS:
        if column.field == field_name:
            return column.labels[0]
    return field_name


def _key_value_row(file: str, rows: list[Row], problems: list[Problem]) -> Row:
    by_label = {
        " ".join(label.split()).casefold(): c.field
        for c in PROGRAMME_FIELDS
        for label in (c.field, *c.labels)
    }
    found: dict[str, Row] = {}
    sheet = rows[0].sheet if rows else None
    for row in rows:
        label = row.get("field")
        name = by_label.get(" ".join(str(label).split()).casefold()) if label is not None else None
        if name is None:
            problems.append(Problem(row.loc("field"), "unknown_field", {"field": str(label)}))
            continue
        if name in found:
            problems.append(Problem(row.loc("field"), "duplicate_field", {"field": str(label)}))
            continue
        found[name] = row
    return _KeyValueRow(file, sheet, found)


def _read_yaml(path: ImportFile, problems: list[Problem]) -> RawPlan:
    data = read_yaml(path)
    if not isinstance(data, dict):
        raise ImportRejected([Problem(Location(path.name, kind="yaml"), "yaml_expected_mapping")])
    line = data.pop("__line__", None)
    known = {"programme", "departments", "principles", "areas", "activities"}
    for key in data:
        if key not in known:
            problems.append(
                Problem(
                    Location(path.name, None, line, str(key), "yaml"),
                    "unknown_section",
                    {"section": str(key)},
                )
            )
    programme: Row | None = None
    raw = data.get("programme")
    if not isinstance(raw, dict):
        problems.append(
            Problem(
                Location(path.name, "programme", line, None, "yaml"),
                "missing_sheet",
                {"sheet": "programme"},
            )
        )
    else:
        p_line = raw.pop("__line__", None)
        values: dict[str, Any] = {}
        columns: dict[str, str] = {}
        calendar = raw.pop("calendar", None)
        if isinstance(calendar, dict):
            calendar = strip_lines(calendar)
            for key in ("opens", "answer_days"):
                if key in calendar:
                    values[key] = calendar.pop(key)
                    columns[key] = f"calendar.{key}"
            for key in calendar:
                problems.append(
                    Problem(
                        Location(path.name, "programme", p_line, f"calendar.{key}", "yaml"),
                        "unknown_column",
                        {"header": f"calendar.{key}"},
                    )
                )
        elif calendar is not None:
            problems.append(
                Problem(
                    Location(path.name, "programme", p_line, "calendar", "yaml"),
                    "yaml_expected_mapping",
                )
            )
        allowed = {c.field for c in PROGRAMME_FIELDS} - {"opens", "answer_days"}
        for key, value in strip_lines(raw).items():
            if key not in allowed:
                problems.append(
                    Problem(
                        Location(path.name, "programme", p_line, str(key), "yaml"),
                        "unknown_column",
                        {"header": str(key)},
                    )
                )
                continue
            values[key] = value.strip() if isinstance(value, str) else value
        programme = Row(path.name, "programme", p_line or 0, values, columns, "yaml")

    def section(name: str, columns: Sequence[Column], required: bool) -> list[Row] | None:
        if name not in data:
            if required:
                problems.append(
                    Problem(
                        Location(path.name, name, None, None, "yaml"),
                        "missing_sheet",
                        {"sheet": name},
                    )
                )
            return None
        return yaml_rows(
            file=path.name,
            section=name,
            items=data[name],
            columns=columns,
            problems=problems,
            parent_line=line,
        )

    return RawPlan(
        programme=programme,
        departments=section("departments", DEPARTMENT_COLUMNS, True),
        principles=section("principles", PRINCIPLE_COLUMNS, False),
        areas=section("areas", AREA_COLUMNS, True),
        activities=section("activities", ACTIVITY_COLUMNS, True) or [],
    )


def _read_csv(path: ImportFile, problems: list[Problem]) -> RawPlan:
    rows = rows_from_grid(
        file=path.name,
        sheet=None,
        grid=read_csv(path),
        columns=ACTIVITY_COLUMNS,
        letters=False,
        problems=problems,
    )
    return RawPlan(None, None, None, None, rows)
