"""Empty plan and roster workbooks for HR to fill in, with a sheet that explains every column.

The sheets and columns are the importers' own (`plan_reading`, `roster`): a filled-in template
imports as it is, and a column added to an importer appears in its template. The explanations
come from the text catalogue in the reader's language (through `words`)."""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from followup.imports.plan_reading import (
    ACTIVITY_COLUMNS,
    ACTIVITY_SHEET,
    AREA_COLUMNS,
    AREA_SHEET,
    DEPARTMENT_COLUMNS,
    DEPARTMENT_SHEET,
    KEY_VALUE_COLUMNS,
    PRINCIPLE_COLUMNS,
    PRINCIPLE_SHEET,
    PROGRAMME_FIELDS,
    PROGRAMME_SHEET,
)
from followup.imports.roster import ROSTER_COLUMNS, ROSTER_SHEET
from followup.imports.tabular import Column


@dataclass(frozen=True)
class TemplateSheet:
    """A sheet of a template: its id (for the catalogue), its title and its columns; a
    key-value sheet (the programme) lists its fields as rows under Fält and Värde."""

    id: str
    title: str
    columns: Sequence[Column]
    key_value: bool = False


TEMPLATES: dict[str, tuple[TemplateSheet, ...]] = {
    "plan": (
        TemplateSheet("programme", PROGRAMME_SHEET[0], PROGRAMME_FIELDS, key_value=True),
        TemplateSheet("departments", DEPARTMENT_SHEET[0], DEPARTMENT_COLUMNS),
        TemplateSheet("principles", PRINCIPLE_SHEET[0], PRINCIPLE_COLUMNS),
        TemplateSheet("areas", AREA_SHEET[0], AREA_COLUMNS),
        TemplateSheet("activities", ACTIVITY_SHEET[0], ACTIVITY_COLUMNS),
    ),
    "roster": (TemplateSheet("chefs", ROSTER_SHEET[0], ROSTER_COLUMNS),),
}

# an example value for every column: made-up data, the same in every language
EXAMPLES: dict[str, dict[str, object]] = {
    "programme": {
        "code": "LEDA",
        "title": "Stärkt chefskap 2025–2027",
        "start_year": 2025,
        "end_year": 2027,
        "goal": "Enhetscheferna är trygga förändringsledare.",
        "opens": "04-15, 10-15",
        "answer_days": 21,
    },
    "departments": {"code": "IFO", "name": "Individ- och familjeomsorg"},
    "principles": {"number": 1, "title": "Tillit", "description": "Vi litar på varandra."},
    "areas": {"code": "A", "name": "Bra ledarskap"},
    "activities": {
        "code": "A01",
        "area": "A",
        "title": "Ledarskapsutbildning",
        "description": "Fyra halvdagar under året.",
        "departments": "alla",
        "years": "2025-2027",
        "owner": "HR",
        "due": "2025-12-31",
    },
    "chefs": {
        "upn": "anna.andersson@kommun.se",
        "name": "Anna Andersson",
        "department": "IFO",
        "unit": "Barn och unga",
        "email": "anna.andersson@kommun.se",
        "object_id": "1a2b3c4d-0000-4000-8000-000000000001",
        "active": "ja",
        "on_leave_until": "2026-06-30",
    },
}


def template_workbook(kind: str, *, words: Callable[[str], str]) -> bytes:
    """The empty workbook of a plan or a roster as XLSX, its instructions in `words`' language."""
    wb = Workbook()
    assert wb.active is not None
    wb.remove(wb.active)
    instructions = wb.create_sheet(words("template.instructions"))
    instructions.append([words("template.intro." + kind)])
    instructions.append([])
    headings = ("sheet", "column", "required", "description", "example")
    instructions.append([words(f"template.heading.{h}") for h in headings])
    for cell in instructions[3]:
        cell.font = Font(bold=True)
    for sheet in TEMPLATES[kind]:
        ws = wb.create_sheet(sheet.title)
        if sheet.key_value:
            ws.append([c.labels[0] for c in KEY_VALUE_COLUMNS])
            for column in sheet.columns:
                ws.append([column.labels[0], None])
        else:
            ws.append([c.labels[0] for c in sheet.columns])
        for cell in ws[1]:
            cell.font = Font(bold=True)
        ws.freeze_panes = "A2"
        for index, column in enumerate(ws.columns):
            ws.column_dimensions[column[0].column_letter].width = 24 if index else 28
        for column in sheet.columns:
            instructions.append(
                [
                    sheet.title,
                    column.labels[0],
                    words("template.yes" if column.required else "template.no"),
                    words(f"template.col.{sheet.id}.{column.field}"),
                    EXAMPLES[sheet.id].get(column.field),
                ]
            )
    for letter, width in zip("ABCDE", (16, 22, 14, 70, 34), strict=True):
        instructions.column_dimensions[letter].width = width
    for row in instructions.iter_rows(min_row=4):
        row[3].alignment = Alignment(wrap_text=True, vertical="top")
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
