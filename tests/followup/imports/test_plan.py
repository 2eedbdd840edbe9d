"""Plan imports: XLSX, CSV, YAML; all-or-nothing with located errors; re-imports update in place."""

from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlmodel import select

from followup.imports.plan import import_plan, parse_plan
from followup.imports.problems import ImportRejected, Problem
from followup.imports.workbooks import write_plan
from followup.policy import Policy
from storage.database import Database
from storage.models import Activity, ActivityDepartment, Area, Department, Principle, Programme
from tests.conftest import EXAMPLES
from tests.followup.helpers import new_organisation, snapshot, write_xlsx

PLAN_YAML = EXAMPLES / "demo-plan.yaml"
PLAN_XLSX = EXAMPLES / "demo-plan.xlsx"


def codes(problems: list[Problem]) -> list[tuple[str, int | None, str]]:
    return [(p.code, p.location.row, p.location.column or "") for p in problems]


async def test_demo_plan_imports_with_every_part(db: Database) -> None:
    org = await new_organisation(db)
    report = await import_plan(db, organisation_id=org, path=PLAN_YAML)

    assert report.section("programme").added == ["starka-chefer-2024-2027"]
    assert len(report.section("departments").added) == 4
    assert len(report.section("principles").added) == 5
    assert len(report.section("areas").added) == 4
    assert 16 <= len(report.section("activities").added) <= 20
    async with db.session() as s:
        programme = (await s.exec(select(Programme))).one()
        assert (programme.start_year, programme.end_year) == (2024, 2027)
        assert programme.round_opens == ["04-15", "10-15"]
        assert programme.answer_days == 21
        principles = (await s.exec(select(Principle).order_by(Principle.number))).all()
        assert principles[0].title == "Vi har en positiv människosyn i grunden"
        departments = {d.code for d in (await s.exec(select(Department))).all()}
        assert departments == {"IFO", "ÄO", "LSS", "SPS"}
        specific = (await s.exec(select(Activity).where(Activity.all_departments == False))).all()  # noqa: E712
        links = (await s.exec(select(ActivityDepartment))).all()
        assert specific and {link.activity_id for link in links} == {a.id for a in specific}


async def test_xlsx_and_yaml_give_the_same_plan(db: Database) -> None:
    org = await new_organisation(db)
    await import_plan(db, organisation_id=org, path=PLAN_YAML)
    before = await snapshot(db)
    report = await import_plan(db, organisation_id=org, path=PLAN_XLSX)
    assert report.unchanged
    assert await snapshot(db) == before


def test_committed_example_workbook_matches_the_yaml(tmp_path: Path) -> None:
    """examples/demo-plan.xlsx is made from the YAML by `make examples`; keep them in step."""
    fresh = tmp_path / "plan.xlsx"
    write_plan(parse_plan(PLAN_YAML), fresh)
    wb_new, wb_old = load_workbook(fresh), load_workbook(PLAN_XLSX)
    for ws in wb_new.worksheets:
        assert [list(r) for r in ws.iter_rows(values_only=True)] == [
            list(r) for r in wb_old[ws.title].iter_rows(values_only=True)
        ]


async def test_reimport_of_an_edited_file_updates_in_place(db: Database, tmp_path: Path) -> None:
    org = await new_organisation(db)
    await import_plan(db, organisation_id=org, path=PLAN_YAML)
    async with db.session() as s:
        a01 = (await s.exec(select(Activity).where(Activity.code == "A01"))).one()
        count = len((await s.exec(select(Activity))).all())

    edited = tmp_path / "plan.yaml"
    text = PLAN_YAML.read_text(encoding="utf-8")
    text = text.replace(a01.title, "Mentorskap för alla nya enhetschefer (reviderad)")
    # drop the last activity from the file
    last_code = f"A{count:02d}"
    start = text.index(f"- code: {last_code}")
    text = text[:start].rstrip() + "\n"
    edited.write_text(text, encoding="utf-8")

    report = await import_plan(db, organisation_id=org, path=edited)
    assert report.section("activities").changed == ["A01"]
    assert report.section("activities").deactivated == [last_code]
    assert report.section("activities").added == []
    async with db.session() as s:
        rows = (await s.exec(select(Activity))).all()
        assert len(rows) == count  # never duplicated
        by_code = {a.code: a for a in rows}
        assert by_code["A01"].id == a01.id
        assert by_code["A01"].title.endswith("(reviderad)")
        assert by_code[last_code].active is False

    # the original file brings it back
    report = await import_plan(db, organisation_id=org, path=PLAN_YAML)
    assert set(report.section("activities").changed) == {"A01", last_code}


def _broken_workbook(path: Path) -> Path:
    """The demo plan with one of each mistake HR makes in Excel."""
    wb = load_workbook(PLAN_XLSX)
    ws = wb["Aktiviteter"]
    ws["B1"] = "Omrde"  # a misspelt header (and so the Område column is missing)
    ws["E3"] = "ÄO, XYZ"  # an unknown department
    ws["A5"] = ws["A4"].value  # a duplicate code
    ws["C6"] = None  # an empty required cell
    ws["H7"] = "2025-13-45"  # a wrong date
    wb.save(path)
    return path


async def test_broken_workbook_changes_nothing_and_names_every_row(
    db: Database, tmp_path: Path
) -> None:
    org = await new_organisation(db)
    await import_plan(db, organisation_id=org, path=PLAN_YAML)
    before = await snapshot(db)

    with pytest.raises(ImportRejected) as caught:
        await import_plan(db, organisation_id=org, path=_broken_workbook(tmp_path / "plan.xlsx"))

    found = codes(caught.value.problems)
    assert ("unknown_column", 1, "B (Omrde)") in found
    assert ("missing_column", 1, "") in found
    assert ("unknown_department", 3, "E (Avdelningar)") in found
    assert ("duplicate_key", 5, "A (Kod)") in found
    assert ("empty_required", 6, "C (Aktivitet)") in found
    assert ("bad_date", 7, "H (Klart senast)") in found
    assert all(
        p.location.sheet == "Aktiviteter" and p.location.file == "plan.xlsx"
        for p in caught.value.problems
    )
    assert await snapshot(db) == before


async def test_problems_are_collected_from_every_sheet(tmp_path: Path) -> None:
    path = write_xlsx(
        tmp_path / "p.xlsx",
        {
            "Program": [
                ["Fält", "Värde"],
                ["Kod", "p1"],
                ["Titel", "T"],
                ["Startår", 2024],
                ["Slutår", 2023],
                ["Öppnar", "02-30"],
            ],
            "Avdelningar": [
                ["Kod", "Namn"],
                ["IFO", "Individ- och familjeomsorg"],
                ["IFO", "Igen"],
            ],
            "Områden": [["Kod", "Område"], ["LED", None]],
            "Aktiviteter": [
                ["Kod", "Område", "Aktivitet", "Avdelningar", "År"],
                ["A1", "NOPE", "En aktivitet", "alla", "2025-2024"],
            ],
        },
    )
    with pytest.raises(ImportRejected) as caught:
        parse_plan(path)
    found = {(p.location.sheet, p.code) for p in caught.value.problems}
    assert found == {
        ("Program", "end_before_start"),
        ("Program", "bad_month_day"),
        ("Avdelningar", "duplicate_key"),
        ("Områden", "empty_required"),
        ("Aktiviteter", "bad_years"),
        ("Aktiviteter", "unknown_area"),
    }
    program_rows = {
        p.code: p.location.row for p in caught.value.problems if p.location.sheet == "Program"
    }
    assert program_rows == {"end_before_start": 5, "bad_month_day": 6}


async def test_missing_sheet_is_reported(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "p.xlsx", {"Blad1": [["x"]]})
    with pytest.raises(ImportRejected) as caught:
        parse_plan(path)
    assert {p.location.sheet for p in caught.value.problems if p.code == "missing_sheet"} >= {
        "Program",
        "Avdelningar",
        "Områden",
        "Aktiviteter",
    }


async def test_yaml_errors_name_the_line_and_key(db: Database, tmp_path: Path) -> None:
    org = await new_organisation(db)
    text = PLAN_YAML.read_text(encoding="utf-8")
    lines = text.splitlines()
    due_line = next(i for i, line in enumerate(lines) if line.strip().startswith("due:"))
    lines[due_line] = lines[due_line].split("due:")[0] + "due: 31/12/2025"
    bad = tmp_path / "plan.yaml"
    bad.write_text("\n".join(lines) + "\n", encoding="utf-8")

    with pytest.raises(ImportRejected) as caught:
        await import_plan(db, organisation_id=org, path=bad)
    [problem] = caught.value.problems
    assert problem.code == "bad_date"
    assert problem.location.kind == "yaml"
    assert problem.location.sheet == "activities"
    assert problem.location.column == "due"
    # the line of the activity's first key, a few lines above the bad value
    assert 0 < due_line + 1 - problem.location.row < 10
    assert all(not rows for rows in (await snapshot(db)).values())


async def test_malformed_yaml_is_a_clean_rejection(tmp_path: Path) -> None:
    bad = tmp_path / "plan.yaml"
    bad.write_text("programme: [unclosed\n", encoding="utf-8")
    with pytest.raises(ImportRejected) as caught:
        parse_plan(bad)
    assert caught.value.problems[0].code == "bad_yaml"
    assert caught.value.problems[0].location.row is not None


def test_unsupported_file_type(tmp_path: Path) -> None:
    path = tmp_path / "plan.docx"
    path.write_bytes(b"x")
    with pytest.raises(ImportRejected) as caught:
        parse_plan(path)
    assert caught.value.problems[0].code == "unsupported_format"


def test_damaged_workbook_is_a_clean_rejection(tmp_path: Path) -> None:
    path = tmp_path / "plan.xlsx"
    path.write_bytes(b"PK\x03\x04 this is not really a workbook")
    with pytest.raises(ImportRejected) as caught:
        parse_plan(path)
    assert caught.value.problems[0].code == "unreadable_file"


ACTIVITY_CSV_HEADER = [
    "Kod",
    "Område",
    "Aktivitet",
    "Beskrivning",
    "Avdelningar",
    "År",
    "Ansvarig",
    "Klart senast",
]


def _activities_csv(path: Path, rows: list[list[str]], *, delimiter: str, encoding: str) -> Path:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter).writerows([ACTIVITY_CSV_HEADER, *rows])
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


@pytest.mark.parametrize(
    ("delimiter", "encoding"),
    [(",", "utf-8"), (";", "utf-8-sig"), (";", "cp1252")],
    ids=["utf8-comma", "utf8-bom-semicolon", "excel-swedish-cp1252"],
)
async def test_csv_updates_the_activities_of_the_programme(
    db: Database, tmp_path: Path, delimiter: str, encoding: str
) -> None:
    org = await new_organisation(db)
    await import_plan(db, organisation_id=org, path=PLAN_YAML)
    path = _activities_csv(
        tmp_path / "aktiviteter.csv",
        [
            [
                "A01",
                "LED",
                "Mentorskap för nya chefer – Åsa, Örjan och Ädla",
                "",
                "alla",
                "2025-2026",
                "HR",
                "",
            ],
            [
                "A99",
                "NAT",
                "Nätverksträff för enhetschefer",
                "",
                "IFO, ÄO",
                "2026",
                "",
                "2026-06-30",
            ],
        ],
        delimiter=delimiter,
        encoding=encoding,
    )

    report = await import_plan(db, organisation_id=org, path=path)

    assert report.section("activities").added == ["A99"]
    assert report.section("activities").changed == ["A01"]
    async with db.session() as s:
        by_code = {a.code: a for a in (await s.exec(select(Activity))).all()}
        assert by_code["A01"].title == "Mentorskap för nya chefer – Åsa, Örjan och Ädla"
        assert by_code["A99"].due == date(2026, 6, 30)
        assert by_code["A99"].years == [2026]
        assert by_code["A99"].all_departments is False
        assert sum(a.active for a in by_code.values()) == 2
        assert len((await s.exec(select(Area))).all()) == 4  # areas untouched by a CSV


async def test_csv_with_unknown_area_changes_nothing(db: Database, tmp_path: Path) -> None:
    org = await new_organisation(db)
    await import_plan(db, organisation_id=org, path=PLAN_YAML)
    before = await snapshot(db)
    path = _activities_csv(
        tmp_path / "a.csv",
        [
            ["A01", "LED", "Ok", "", "alla", "2025", "", ""],
            ["A02", "FINNS_EJ", "Fel område", "", "alla", "2025", "", ""],
            ["A03", "LED", "Fel år", "", "alla", "2031", "", ""],
        ],
        delimiter=";",
        encoding="utf-8",
    )
    with pytest.raises(ImportRejected) as caught:
        await import_plan(db, organisation_id=org, path=path)
    assert codes(caught.value.problems) == [
        ("unknown_area", 3, "2 (Område)"),
        ("years_outside_programme", 4, "6 (År)"),
    ]
    assert await snapshot(db) == before


async def test_csv_without_a_programme_is_refused(db: Database, tmp_path: Path) -> None:
    org = await new_organisation(db)
    path = _activities_csv(
        tmp_path / "a.csv",
        [["A01", "LED", "X", "", "alla", "2025", "", ""]],
        delimiter=";",
        encoding="utf-8",
    )
    with pytest.raises(ImportRejected) as caught:
        await import_plan(db, organisation_id=org, path=path)
    assert caught.value.problems[0].code == "no_programme"


async def test_plans_of_two_organisations_do_not_mix(db: Database) -> None:
    from storage.organisation_store import OrganisationStore

    first = await new_organisation(db)
    other = await OrganisationStore(db).create(
        tenant_id="99999999-2222-3333-4444-555555555555", name="Grannkommunen", default_k=Policy().k
    )
    assert other.id is not None
    await import_plan(db, organisation_id=first, path=PLAN_YAML)
    report = await import_plan(db, organisation_id=other.id, path=PLAN_YAML)
    assert report.section("programme").added == ["starka-chefer-2024-2027"]
    async with db.session() as s:
        assert len((await s.exec(select(Programme))).all()) == 2
        assert len((await s.exec(select(Department))).all()) == 8
