"""Roster imports: keyed by UPN, all-or-nothing, left-out chefs deactivated."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlmodel import select

from followup.imports.plan import import_plan
from followup.imports.problems import ImportRejected
from followup.imports.roster import import_roster, parse_roster
from storage.database import Database
from storage.models import Chef, EnrolmentSource
from tests.conftest import EXAMPLES
from tests.followup.helpers import new_organisation, snapshot

ROSTER_YAML = EXAMPLES / "demo-roster.yaml"
ROSTER_XLSX = EXAMPLES / "demo-roster.xlsx"
HEADER = "E-post (UPN);Namn;Avdelning;Enhet;Objekt-id;Aktiv;Frånvarande till"


async def _with_plan(db: Database) -> int:
    org = await new_organisation(db)
    await import_plan(db, organisation_id=org, path=EXAMPLES / "demo-plan.yaml")
    return org


async def test_demo_roster_imports_twelve_chefs_in_four_departments(db: Database) -> None:
    org = await _with_plan(db)
    report = await import_roster(db, organisation_id=org, path=ROSTER_YAML)
    assert len(report.section("chefs").added) == 12
    async with db.session() as s:
        chefs = (await s.exec(select(Chef))).all()
    assert len({c.department_id for c in chefs}) == 4
    assert all(c.email == c.upn and c.upn == c.upn.lower() for c in chefs)
    assert [c.on_leave_until for c in chefs if c.on_leave_until] == [date(2026, 12, 31)]


async def test_xlsx_and_yaml_give_the_same_roster(db: Database) -> None:
    org = await _with_plan(db)
    await import_roster(db, organisation_id=org, path=ROSTER_YAML)
    before = await snapshot(db)
    assert (await import_roster(db, organisation_id=org, path=ROSTER_XLSX)).unchanged
    assert await snapshot(db) == before


async def test_reimport_updates_by_upn_and_deactivates_the_left_out(
    db: Database, tmp_path: Path
) -> None:
    org = await _with_plan(db)
    first = tmp_path / "r1.csv"
    first.write_text(
        "\n".join(
            [
                HEADER,
                "Anna.Lind@Kommun.example;Anna Lind;IFO;Barn och unga;;ja;",
                "bo.ek@kommun.example;Bo Ek;ÄO;Hemtjänst Norr;;;",
                "cilla.ros@kommun.example;Cilla Ros;LSS;Daglig verksamhet;;;",
            ]
        )
        + "\n",
        encoding="utf-8",
    )
    await import_roster(db, organisation_id=org, path=first)

    second = tmp_path / "r2.csv"
    second.write_text(
        "\n".join(
            [
                HEADER,
                "anna.lind@kommun.example;Anna Lind;SPS;Boendestöd;;ja;2026-03-31",
                "bo.ek@kommun.example;Bo Ek;ÄO;Hemtjänst Norr;;nej;",
                "dan.al@kommun.example;Dan Al;IFO;Vuxen;;;",
            ]
        )
        + "\n",
        encoding="utf-8",
    )
    report = await import_roster(db, organisation_id=org, path=second)

    chefs = report.section("chefs")
    assert chefs.added == ["dan.al@kommun.example"]
    assert chefs.changed == ["anna.lind@kommun.example"]
    assert sorted(chefs.deactivated) == ["bo.ek@kommun.example", "cilla.ros@kommun.example"]
    async with db.session() as s:
        rows = {c.upn: c for c in (await s.exec(select(Chef))).all()}
    assert len(rows) == 4
    assert rows["anna.lind@kommun.example"].unit == "Boendestöd"
    assert rows["anna.lind@kommun.example"].on_leave_until == date(2026, 3, 31)
    assert not rows["bo.ek@kommun.example"].active
    assert not rows["cilla.ros@kommun.example"].active


async def test_self_enrolled_chefs_are_kept_when_left_out(db: Database, tmp_path: Path) -> None:
    org = await _with_plan(db)
    async with db.session() as s, s.begin():
        s.add(
            Chef(
                organisation_id=org,
                upn="self@kommun.example",
                email="self@kommun.example",
                name="Själv Anmäld",
                source=EnrolmentSource.SELF,
            )
        )
    report = await import_roster(db, organisation_id=org, path=ROSTER_YAML)
    assert "self@kommun.example" not in report.section("chefs").deactivated
    async with db.session() as s:
        me = (await s.exec(select(Chef).where(Chef.upn == "self@kommun.example"))).one()
    assert me.active


async def test_broken_roster_changes_nothing_and_names_every_row(
    db: Database, tmp_path: Path
) -> None:
    org = await _with_plan(db)
    await import_roster(db, organisation_id=org, path=ROSTER_YAML)
    before = await snapshot(db)

    wb = load_workbook(ROSTER_XLSX)
    ws = wb["Chefer"]
    ws["C3"] = "Hemtjänsten"  # unknown department
    ws["A5"] = ws["A4"].value  # duplicate UPN
    ws["B6"] = None  # empty required name
    ws["H7"] = "31/12"  # wrong date
    ws["G8"] = "kanske"  # not yes/no
    ws["A9"] = "inte-en-adress"  # not an e-mail address
    path = tmp_path / "roster.xlsx"
    wb.save(path)

    with pytest.raises(ImportRejected) as caught:
        await import_roster(db, organisation_id=org, path=path)
    found = {(p.code, p.location.row, p.location.column) for p in caught.value.problems}
    assert found == {
        ("unknown_department", 3, "C (Avdelning)"),
        ("duplicate_key", 5, "A (E-post (UPN))"),
        ("empty_required", 6, "B (Namn)"),
        ("bad_date", 7, "H (Frånvarande till)"),
        ("bad_boolean", 8, "G (Aktiv)"),
        ("bad_upn", 9, "A (E-post (UPN))"),
    }
    assert await snapshot(db) == before


def test_bad_header_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    path.write_text("Mejl;Namn;Avdelning\nx@y.se;X;IFO\n", encoding="utf-8")
    with pytest.raises(ImportRejected) as caught:
        parse_roster(path)
    assert {(p.code, p.location.row) for p in caught.value.problems} == {
        ("unknown_column", 1),
        ("missing_column", 1),
    }


def test_excel_swedish_csv_is_read(tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    path.write_bytes(
        (HEADER + "\r\nåsa.öberg@kommun.example;Åsa Öberg;ÄO;Särskilt boende;;;\r\n").encode(
            "cp1252"
        )
    )
    [chef] = parse_roster(path)
    assert (chef.name, chef.department, chef.unit) == ("Åsa Öberg", "ÄO", "Särskilt boende")
