"""Writes plans and rosters as XLSX in the import format (examples, templates, conversions)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from followup.imports.plan import PlanSpec, parse_plan
from followup.imports.problems import ImportRejected, Location, Problem
from followup.imports.roster import ChefSpec, parse_roster


def years_text(years: Sequence[int]) -> str:
    """2025-2027 for consecutive years, else 2025, 2027."""
    if len(years) > 1 and list(years) == list(range(years[0], years[-1] + 1)):
        return f"{years[0]}-{years[-1]}"
    return ", ".join(str(y) for y in years)


def _sheet(
    wb: Workbook, title: str, header: Sequence[str], rows: Sequence[Sequence[Any]]
) -> Worksheet:
    ws = wb.create_sheet(title)
    ws.append(list(header))
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in rows:
        ws.append(list(row))
    ws.freeze_panes = "A2"
    if rows:
        ws.auto_filter.ref = f"A1:{get_column_letter(len(header))}{len(rows) + 1}"
    for index, name in enumerate(header, start=1):
        longest = max([len(str(name))] + [len(str(r[index - 1] or "")) for r in rows])
        ws.column_dimensions[get_column_letter(index)].width = min(max(10, longest + 2), 70)
    for row_cells in ws.iter_rows(min_row=2):
        for cell in row_cells:
            if hasattr(cell.value, "isoformat"):
                cell.number_format = "yyyy-mm-dd"
    return ws


def write_plan(plan: PlanSpec, target: Path) -> None:
    wb = Workbook()
    assert wb.active is not None
    wb.remove(wb.active)
    if plan.programme is not None:
        p = plan.programme
        _sheet(
            wb,
            "Program",
            ("Fält", "Värde"),
            [
                ("Kod", p.code),
                ("Titel", p.title),
                ("Startår", p.start_year),
                ("Slutår", p.end_year),
                ("Mål", p.goal),
                ("Öppnar", ", ".join(p.round_opens)),
                ("Svarstid (dagar)", p.answer_days),
            ],
        )
    if plan.departments is not None:
        _sheet(wb, "Avdelningar", ("Kod", "Namn"), [(d.code, d.name) for d in plan.departments])
    if plan.principles is not None:
        _sheet(
            wb,
            "Principer",
            ("Nr", "Princip", "Beskrivning"),
            [(x.number, x.title, x.description or None) for x in plan.principles],
        )
    if plan.areas is not None:
        _sheet(wb, "Områden", ("Kod", "Område"), [(a.code, a.name) for a in plan.areas])
    _sheet(
        wb,
        "Aktiviteter",
        (
            "Kod",
            "Område",
            "Aktivitet",
            "Beskrivning",
            "Avdelningar",
            "År",
            "Ansvarig",
            "Klart senast",
        ),
        [
            (
                a.code,
                a.area,
                a.title,
                a.description or None,
                "alla" if a.departments is None else ", ".join(a.departments),
                years_text(a.years),
                a.owner or None,
                a.due,
            )
            for a in plan.activities
        ],
    )
    wb.save(target)


def write_roster(chefs: Sequence[ChefSpec], target: Path) -> None:
    wb = Workbook()
    assert wb.active is not None
    wb.remove(wb.active)
    _sheet(
        wb,
        "Chefer",
        (
            "E-post (UPN)",
            "Namn",
            "Avdelning",
            "Enhet",
            "E-post",
            "Objekt-id",
            "Aktiv",
            "Frånvarande till",
        ),
        [
            (
                c.upn,
                c.name,
                c.department,
                c.unit or None,
                None if c.email == c.upn else c.email,
                c.object_id,
                "ja" if c.active else "nej",
                c.on_leave_until,
            )
            for c in chefs
        ],
    )
    wb.save(target)


def convert(kind: str, source: Path, target: Path) -> None:
    """Check `source` as a plan or roster file and write it to `target` (.xlsx)."""
    if target.suffix.lower() != ".xlsx":
        raise ImportRejected(
            [Problem(Location(target.name), "unsupported_format", {"suffix": target.suffix or "—"})]
        )
    if kind == "plan":
        write_plan(parse_plan(source), target)
    else:
        write_roster(parse_roster(source), target)
