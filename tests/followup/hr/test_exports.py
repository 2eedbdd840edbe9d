"""The export of the published figures for Power BI and Stratsys: its columns and rows, a
hidden figure kept as a row without a value (and not to be worked out from the others), a
lead's export cut to their departments, CSV and XLSX alike, several rounds in one file."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlmodel import select

from dialogs.digest_cards import texts_in
from followup.digest.export import COLUMNS
from followup.hr.exports import export_figures
from followup.hr.operations import Call
from followup.people.access import Access
from followup.policy import Policy
from followup.rounds.lifecycle import RoundError
from storage.database import Database
from storage.models import AuditEvent, Department, Round
from storage.types import utcnow
from tests.followup.digest.test_compile import AO, CO, IFO, LSS, Answer, a_round, two_rounds
from tests.followup.privacy.solver import RowSpace

COLUMN_NAMES = [
    "round_id",
    "round",
    "round_deadline",
    "round_closed",
    "programme_code",
    "programme",
    "organisation",
    "level",
    "department_code",
    "department",
    "section",
    "area",
    "activity_code",
    "activity",
    "measure",
    "measure_label",
    "category",
    "category_label",
    "value",
    "suppressed",
    "k",
]


def hr(db: Database, org: int) -> Call:
    return Call(
        db, Access(actor="hr@kommun.se", organisation_id=org, admin=True), "cli", utcnow(), Policy()
    )


def lead(db: Database, org: int, department: int) -> Call:
    access = Access(
        actor="lead@kommun.se", organisation_id=org, lead_departments=frozenset({department})
    )
    return Call(db, access, "teams", utcnow(), Policy())


def read_csv(content: bytes) -> list[dict[str, str]]:
    assert content.startswith(b"\xef\xbb\xbf")  # UTF-8 with a BOM: Excel reads å ä ö right
    text = content.decode("utf-8-sig")
    assert "\r\n" in text
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=";")
    header, *rows = list(reader)
    assert header == COLUMN_NAMES
    return [dict(zip(header, row, strict=True)) for row in rows]


async def org_of(db: Database, round_id: int) -> int:
    async with db.session() as s:
        round_ = await s.get(Round, round_id)
    assert round_ is not None
    return round_.organisation_id


async def department_id(db: Database, name: str) -> int:
    async with db.session() as s:
        department = (await s.exec(select(Department).where(Department.name == name))).one()
    assert department.id is not None
    return department.id


def where(rows: list[dict[str, str]], **match: str) -> list[dict[str, str]]:
    return [r for r in rows if all(r[k] == v for k, v in match.items())]


async def test_the_columns_are_stable_and_named_as_documented() -> None:
    assert list(COLUMNS) == COLUMN_NAMES
    from tests.conftest import ROOT

    documented = (ROOT / "docs" / "export-format.md").read_text(encoding="utf-8")
    for name in COLUMN_NAMES:
        assert f"| `{name}` |" in documented


async def test_a_rounds_csv_keeps_hidden_figures_as_rows_that_cannot_be_worked_out(
    db: Database,
) -> None:
    _, second, _ = await two_rounds(db)
    org = await org_of(db, second)
    export = await export_figures(hr(db, org), kind="csv", text=texts_in("sv"), round_id=second)
    rows = read_csv(export.content())
    assert {r["round_id"] for r in rows} == {str(second)}
    assert {r["round"] for r in rows} == {"Delår 2"}
    assert {r["organisation"] for r in rows} == {"Demokommunen"}

    # who answered: all 3 asked in IFO; 7 of the 11 asked (Peter is on leave, so not asked)
    [ifo_asked] = where(rows, level="department", department=IFO, measure="invited")
    [ifo_answered] = where(rows, level="department", department=IFO, measure="answered")
    assert (ifo_asked["value"], ifo_answered["value"]) == ("3", "3")
    assert ifo_asked["department_code"] == "IFO"
    [rate] = where(rows, level="organisation", measure="response_rate")
    assert rate["value"] == "0.6364"  # 7 of 11, with a dot: the machine format

    # confidence: 7 answered; ÄO's 3 are shown; LSS's one answer is hidden, and IFO's with it,
    # so that the organisation's figure minus ÄO's tells about two departments, not one
    confidence = where(rows, section=CO, measure="confidence_respondents")
    assert {(r["level"], r["department"], r["value"], r["suppressed"]) for r in confidence} == {
        ("organisation", "", "7", ""),
        ("department", AO, "3", ""),
        ("department", IFO, "", "group_protected"),
        ("department", LSS, "", "group_protected"),
    }
    [mean] = where(rows, level="organisation", measure="confidence_mean")
    assert mean["value"] == "3.57"
    for name in (IFO, LSS):
        hidden = where(rows, department=name, section=CO)
        # the whole grid is there, without a value: respondents, mean, median, five levels
        assert len(hidden) == 8
        assert all(r["value"] == "" and r["suppressed"] == "group_protected" for r in hidden)

    # nowhere does a breakdown hide exactly one department: one hidden cell would be the
    # organisation's figure minus the others
    groups: dict[tuple[str, ...], list[dict[str, str]]] = defaultdict(list)
    for r in rows:
        if r["level"] == "department":
            groups[(r["round_id"], r["activity_code"], r["measure"], r["category"])].append(r)
    for cells in groups.values():
        assert len([c for c in cells if c["suppressed"]]) != 1
    assert any(c["suppressed"] for cells in groups.values() for c in cells)


# who answered the second round of `two_rounds`, by department
RESPONDENTS = {
    IFO: ("Maria", "Johan", "Leila"),
    AO: ("Karin", "Mikael", "Sara"),
    LSS: ("Erik",),
}


async def test_no_chefs_confidential_answer_follows_from_the_file(db: Database) -> None:
    """An attacker with the CSV and the knowledge of who answered in which department: every
    published count and mean is a linear equation over each chef's one-hot answer, and solved
    exactly, none of them determines any chef's confidence or need for support."""
    _, second, _ = await two_rounds(db)
    org = await org_of(db, second)
    rows = read_csv(
        (
            await export_figures(hr(db, org), kind="csv", text=texts_in("sv"), round_id=second)
        ).content()
    )
    everyone = tuple(c for chefs in RESPONDENTS.values() for c in chefs)
    families = {"confidence": (1, 2, 3, 4, 5), "need": (0, 1, 2)}
    spaces = {family: RowSpace() for family in families}
    for family, values in families.items():
        for chef in everyone:  # each answered once
            spaces[family].add({(chef, v): 1 for v in values})

    def chefs_of(row: dict[str, str]) -> tuple[str, ...]:
        return everyone if row["level"] == "organisation" else RESPONDENTS[row["department"]]

    used = 0
    for row in rows:
        if not row["value"]:
            continue
        measure, value = row["measure"], float(row["value"])
        weights: dict[int, float] | None = None
        family = "confidence"
        if measure == "confidence_level":
            weights = {int(row["category"]): 1}
        elif measure == "confidence_mean":  # the mean times n: the sum of the answers
            weights = dict(zip(families["confidence"], families["confidence"], strict=True))
        elif measure == "confidence_respondents":
            weights = dict.fromkeys(families["confidence"], 1)
        elif measure in ("need_some_or_great", "need_great") and row["category"] == "support":
            family = "need"
            weights = {2: 1} if measure == "need_great" else {1: 1, 2: 1}
        if weights is None:
            continue
        assert value >= 0
        chefs = chefs_of(row)
        spaces[family].add({(c, v): w for c in chefs for v, w in weights.items()})  # type: ignore[dict-item]
        used += 1
    assert used >= 15  # the organisation's and Äldreomsorg's figures, at least
    for family, values in families.items():
        for chef in everyone:
            for v in values:
                assert not spaces[family].determines({(chef, v): 1}), (chef, family, v)
            assert not spaces[family].determines({(chef, v): v for v in values}), (chef, family)


async def test_a_leads_export_has_their_departments_and_the_organisations_figures(
    db: Database,
) -> None:
    _, second, _ = await two_rounds(db)
    org = await org_of(db, second)
    everything = read_csv(
        (
            await export_figures(hr(db, org), kind="csv", text=texts_in("sv"), round_id=second)
        ).content()
    )
    ao = await department_id(db, AO)
    mine = read_csv(
        (
            await export_figures(
                lead(db, org, ao), kind="csv", text=texts_in("sv"), round_id=second
            )
        ).content()
    )
    assert {r["department"] for r in mine} == {"", AO}
    assert where(mine, level="organisation", section="response") == []  # as in their digest
    # every row of theirs is HR's row, the same figure
    assert all(r in everything for r in mine)
    assert where(mine, level="organisation", measure="confidence_mean") == where(
        everything, level="organisation", measure="confidence_mean"
    )
    async with db.session() as s:
        [event] = (
            await s.exec(
                select(AuditEvent)
                .where(AuditEvent.action == "figures.export")
                .where(AuditEvent.actor == "lead@kommun.se")
            )
        ).all()
    assert event.detail["departments"] == [ao] and event.detail["format"] == "csv"


async def test_xlsx_has_the_same_columns_and_rows_as_numbers_in_one_table(db: Database) -> None:
    _, second, _ = await two_rounds(db)
    org = await org_of(db, second)
    call = hr(db, org)
    rows = read_csv(
        (await export_figures(call, kind="csv", text=texts_in("en"), round_id=second)).content()
    )
    content = (
        await export_figures(call, kind="xlsx", text=texts_in("en"), round_id=second)
    ).content()
    book = load_workbook(io.BytesIO(content))
    [sheet] = book.worksheets
    [table] = sheet.tables.values()
    assert table.ref == f"A1:U{len(rows) + 1}"
    values = list(sheet.iter_rows(values_only=True))
    assert list(values[0]) == COLUMN_NAMES

    def as_csv(value: Any) -> str:
        if value is None:
            return ""
        if hasattr(value, "date"):
            return value.date().isoformat()
        return str(value)

    read = [dict(zip(COLUMN_NAMES, map(as_csv, row), strict=True)) for row in values[1:]]
    assert len(read) == len(rows)
    for cells, line in zip(read, rows, strict=True):
        # the same figure (Excel keeps 1.0 as 1)
        assert float(cells.pop("value") or "nan") == pytest.approx(
            float(line.pop("value") or "nan"), nan_ok=True
        )
        assert cells == line
    mean = next(r for r in values[1:] if r[14] == "confidence_mean" and r[7] == "organisation")
    assert mean[18] == pytest.approx(3.57) and mean[15] == "Confidence in the role, mean (1–5)"


async def test_a_programmes_closed_rounds_in_one_file_and_an_open_round_refused(
    db: Database,
) -> None:
    first, second, _ = await two_rounds(db)
    org = await org_of(db, second)
    async with db.session() as s:
        round_ = await s.get(Round, second)
    assert round_ is not None
    export = await export_figures(
        hr(db, org), kind="csv", text=texts_in("sv"), round_id=second, whole_programme=True
    )
    rows = read_csv(export.content())
    assert list(dict.fromkeys(r["round_id"] for r in rows)) == [str(first), str(second)]
    by_code = await export_figures(
        hr(db, org), kind="csv", text=texts_in("sv"), programme="STARKA-chefer-2024-2027"
    )
    assert by_code.rows == export.rows

    still_open = await a_round(db, org, round_.programme_id, "Delår 3", 30, {"Maria": Answer(3)})
    with pytest.raises(RoundError) as refused:
        await export_figures(hr(db, org), kind="csv", text=texts_in("sv"), round_id=still_open)
    assert refused.value.code == "export_not_closed"
    with pytest.raises(RoundError) as unknown:
        await export_figures(hr(db, org), kind="csv", text=texts_in("sv"), programme="nej")
    assert unknown.value.code == "unknown_programme_code"
