"""Reads XLSX, CSV and YAML import files into rows that remember where each value came from."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import yaml
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from followup.imports.problems import ImportRejected, Location, Problem

MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_ROWS = 50_000


@dataclass(frozen=True)
class Column:
    """A column an import understands: its field name and the header labels accepted for it."""

    field: str
    labels: tuple[str, ...]
    required: bool = False


@dataclass
class Row:
    """One record of a file with the place of every value, so a problem can name its cell."""

    file: str
    sheet: str | None
    number: int
    values: dict[str, Any]
    columns: dict[str, str] = field(default_factory=dict)
    kind: str = "table"
    # fields whose whole column is missing: reported once for the header, not for every row
    absent: frozenset[str] = frozenset()

    def loc(self, field_name: str | None = None) -> Location:
        column = None
        if field_name is not None:
            column = self.columns.get(field_name, field_name)
        return Location(self.file, self.sheet, self.number, column, self.kind)

    def get(self, field_name: str) -> Any:
        return self.values.get(field_name)


@dataclass(frozen=True)
class ImportFile:
    """An import file's name and bytes: read from a path (the CLI) or sent by HR in Teams."""

    name: str
    content: bytes

    @property
    def suffix(self) -> str:
        return Path(self.name).suffix

    @classmethod
    def read(cls, path: Path) -> ImportFile:
        """The file at `path`, refused (before it is read) when it is too large or unreadable."""
        check_size(path)
        try:
            return cls(path.name, path.read_bytes())
        except OSError as exc:
            raise ImportRejected(
                [Problem(Location(path.name), "unreadable_file", {"reason": exc.strerror or ""})]
            ) from exc


def as_file(source: Path | ImportFile) -> ImportFile:
    """A path read into memory; a file already in memory as it is."""
    return source if isinstance(source, ImportFile) else ImportFile.read(source)


def file_format(path: Path | ImportFile) -> str:
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        return "xlsx"
    if suffix in (".csv", ".txt"):
        return "csv"
    if suffix in (".yaml", ".yml"):
        return "yaml"
    raise ImportRejected(
        [Problem(Location(path.name), "unsupported_format", {"suffix": suffix or "—"})]
    )


def check_size(path: Path | ImportFile) -> None:
    if isinstance(path, ImportFile):
        size = len(path.content)
    else:
        try:
            size = path.stat().st_size
        except OSError as exc:
            raise ImportRejected(
                [
                    Problem(
                        Location(path.name), "unreadable_file", {"reason": exc.strerror or str(exc)}
                    )
                ]
            ) from exc
    if size > MAX_FILE_BYTES:
        raise ImportRejected(
            [Problem(Location(path.name), "file_too_large", {"max_mb": MAX_FILE_BYTES // 2**20})]
        )


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return value


def _norm_label(label: Any) -> str:
    return " ".join(str(label).split()).casefold() if label is not None else ""


def _map_header(
    *,
    file: str,
    sheet: str | None,
    header: Sequence[Any],
    columns: Sequence[Column],
    letters: bool,
    header_row: int,
    problems: list[Problem],
) -> dict[int, tuple[str, str]]:
    """Header cells → {index: (field, display name)}; unknown, doubled and missing are problems."""
    by_label = {_norm_label(label): col for col in columns for label in (col.field, *col.labels)}
    mapping: dict[int, tuple[str, str]] = {}
    seen: dict[str, str] = {}
    for index, raw in enumerate(header):
        if raw is None or str(raw).strip() == "":
            continue
        position = get_column_letter(index + 1) if letters else str(index + 1)
        display = f"{position} ({str(raw).strip()})"
        col = by_label.get(_norm_label(raw))
        loc = Location(file, sheet, header_row, display)
        if col is None:
            problems.append(Problem(loc, "unknown_column", {"header": str(raw).strip()}))
            continue
        if col.field in seen:
            problems.append(Problem(loc, "duplicate_column", {"header": str(raw).strip()}))
            continue
        seen[col.field] = display
        mapping[index] = (col.field, display)
    for col in columns:
        if col.required and col.field not in seen:
            problems.append(
                Problem(
                    Location(file, sheet, header_row), "missing_column", {"header": col.labels[0]}
                )
            )
    return mapping


def rows_from_grid(
    *,
    file: str,
    sheet: str | None,
    grid: Iterable[Sequence[Any]],
    columns: Sequence[Column],
    letters: bool,
    problems: list[Problem],
) -> list[Row]:
    """Turn a grid whose first non-empty row is the header into rows; blank rows are skipped."""
    rows: list[Row] = []
    mapping: dict[int, tuple[str, str]] | None = None
    absent: frozenset[str] = frozenset()
    for number, raw in enumerate(grid, start=1):
        cells = [_clean(v) for v in raw]
        if all(v is None for v in cells):
            continue
        if mapping is None:
            mapping = _map_header(
                file=file,
                sheet=sheet,
                header=cells,
                columns=columns,
                letters=letters,
                header_row=number,
                problems=problems,
            )
            absent = frozenset(c.field for c in columns) - {f for f, _ in mapping.values()}
            continue
        if len(rows) >= MAX_ROWS:
            problems.append(
                Problem(Location(file, sheet, number), "too_many_rows", {"max": MAX_ROWS})
            )
            break
        values = {}
        displays = {}
        for index, (field_name, display) in mapping.items():
            values[field_name] = cells[index] if index < len(cells) else None
            displays[field_name] = display
        rows.append(Row(file, sheet, number, values, displays, absent=absent))
    if mapping is None:
        problems.append(Problem(Location(file, sheet), "empty_sheet"))
    return rows


def read_workbook(path: ImportFile) -> dict[str, list[tuple[Any, ...]]]:
    """Every sheet of an XLSX file as a grid of cell values."""
    try:
        workbook = load_workbook(io.BytesIO(path.content), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise ImportRejected(
            [Problem(Location(path.name), "unreadable_file", {"reason": type(exc).__name__})]
        ) from exc
    try:
        return {ws.title: list(ws.iter_rows(values_only=True)) for ws in workbook.worksheets}
    finally:
        workbook.close()


def find_sheet(
    sheets: dict[str, list[tuple[Any, ...]]], names: Sequence[str]
) -> tuple[str, list[tuple[Any, ...]]] | None:
    wanted = {_norm_label(n) for n in names}
    for title, grid in sheets.items():
        if _norm_label(title) in wanted:
            return title, grid
    return None


def decode_csv(path: ImportFile) -> str:
    """UTF-8 (with or without BOM), else Excel's Swedish Windows-1252."""
    data = path.content
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def read_csv(path: ImportFile) -> list[list[str]]:
    text = decode_csv(path)
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") >= max(first_line.count(","), 1) else ","
    if first_line.count("\t") > max(first_line.count(";"), first_line.count(",")):
        delimiter = "\t"
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))


class _LineLoader(yaml.SafeLoader):
    """A safe YAML loader that notes the line of every mapping under the key `__line__`."""


def _mapping_with_line(loader: _LineLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    mapping = loader.construct_mapping(node, deep=True)
    mapping["__line__"] = node.start_mark.line + 1
    return mapping


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping_with_line)


def read_yaml(path: ImportFile) -> Any:
    try:
        return yaml.load(path.content.decode("utf-8-sig"), Loader=_LineLoader)
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else None
        raise ImportRejected(
            [
                Problem(
                    Location(path.name, None, line, None, "yaml"),
                    "bad_yaml",
                    {"reason": exc.problem or ""},
                )
            ]
        ) from exc
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ImportRejected(
            [Problem(Location(path.name, kind="yaml"), "unreadable_file", {"reason": str(exc)})]
        ) from exc


def yaml_rows(
    *,
    file: str,
    section: str,
    items: Any,
    columns: Sequence[Column],
    problems: list[Problem],
    parent_line: int | None = None,
) -> list[Row]:
    """A YAML list of mappings as rows; every key must be one the import understands."""
    if items is None:
        items = []
    if not isinstance(items, list):
        problems.append(
            Problem(Location(file, section, parent_line, None, "yaml"), "yaml_expected_list")
        )
        return []
    known = {c.field for c in columns}
    rows: list[Row] = []
    for item in items:
        if not isinstance(item, dict):
            problems.append(
                Problem(Location(file, section, parent_line, None, "yaml"), "yaml_expected_mapping")
            )
            continue
        line = item.pop("__line__", None)
        values: dict[str, Any] = {}
        for key, value in item.items():
            name = str(key)
            if name not in known:
                problems.append(
                    Problem(
                        Location(file, section, line, name, "yaml"),
                        "unknown_column",
                        {"header": name},
                    )
                )
                continue
            values[name] = _clean(value)
        rows.append(Row(file, section, line or 0, values, {}, "yaml"))
    return rows


def strip_lines(value: Any) -> Any:
    """Remove the loader's line notes from a YAML value (for mappings that are not rows)."""
    if isinstance(value, dict):
        return {k: strip_lines(v) for k, v in value.items() if k != "__line__"}
    if isinstance(value, list):
        return [strip_lines(v) for v in value]
    return value


def as_date(value: Any) -> date | None:
    """A date from a cell: a real date, an Excel datetime, or ISO text (YYYY-MM-DD)."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            return None
    return None
