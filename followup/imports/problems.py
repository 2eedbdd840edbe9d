"""Import problems with exact locations; the words for them live in the text catalogue."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Location:
    """Where a problem is: file, sheet (YAML section), row (YAML line), column (YAML key)."""

    file: str
    sheet: str | None = None
    row: int | None = None
    column: str | None = None
    # "table" (XLSX, CSV) or "yaml": decides the words for sheet/row/column
    kind: str = "table"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an import file; `code` is a catalogue key under `import.error.`."""

    location: Location
    code: str
    params: dict[str, Any] = field(default_factory=dict)


class ImportRejected(Exception):
    """The file has problems; nothing was written."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(f"{len(problems)} problem(s) in the import file")
        self.problems = problems
