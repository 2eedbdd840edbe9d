"""The digest's files opened and read back: the figures are there, numbers as numbers, and no
name stands beside a confidential answer in any of them."""

from __future__ import annotations

import io

from docx import Document
from openpyxl import load_workbook
from sqlmodel import select

from dialogs.digest_cards import digest_files
from followup.policy import Policy
from storage.database import Database
from storage.models import Chef
from tests.followup.digest.test_compile import AO, IFO, LSS, two_rounds

SECRET = "Hemlig styrka"  # Karin's strengths, without consent to quote
QUOTE = "Jag lyssnar"  # Maria's, with consent


async def names(db: Database) -> list[str]:
    async with db.session() as s:
        return [c.name for c in (await s.exec(select(Chef))).all()]


def xlsx_rows(content: bytes) -> dict[str, list[list[object]]]:
    wb = load_workbook(io.BytesIO(content))
    return {ws.title: [list(row) for row in ws.iter_rows(values_only=True)] for ws in wb.worksheets}


def docx_text(content: bytes) -> list[str]:
    document = Document(io.BytesIO(content))
    lines = [p.text for p in document.paragraphs]
    for table in document.tables:
        lines += [" | ".join(cell.text for cell in row.cells) for row in table.rows]
    return lines


async def test_the_workbook_holds_the_figures_as_numbers_in_filtered_tables(db: Database) -> None:
    _, _, digest = await two_rounds(db)
    content = digest_files(digest, "sv", zone=Policy().zone).render("xlsx")
    sheets = xlsx_rows(content)
    assert list(sheets)[:1] == ["Översikt"]
    for sheet in ("Svarsfrekvens", "Aktiviteter", "Behov", "Principer", "Trygghet"):
        assert sheet in sheets
    response = sheets["Svarsfrekvens"]
    assert ["Alla", 11, 7, 7 / 11] in response
    assert [IFO, 3, 3, 1.0] in response
    support = next(r for r in sheets["Behov"] if r and r[0] == "Stöd")
    assert support[1:3] == [4, 2] and None in support  # LSS and IFO hidden: empty cells
    trend = [r for r in sheets["Trygghet"] if r and r[0] in ("Delår 1", "Delår 2")]
    assert [(r[0], r[1], r[2]) for r in trend] == [("Delår 1", 8, 2.75), ("Delår 2", 7, 3.57)]
    wb = load_workbook(io.BytesIO(content))
    assert all(ws.tables for ws in wb.worksheets[1:])  # real tables, with their filters


async def test_the_board_document_has_prose_tables_and_charts(db: Database) -> None:
    _, _, digest = await two_rounds(db)
    content = digest_files(digest, "sv", zone=Policy().zone).render("docx")
    lines = docx_text(content)
    assert lines[0] == "Uppföljning av programmet för att stärka enhetschefer – Delår 2"
    assert "I omgången Delår 2 svarade 7 av 11 enhetschefer (64 %)." in lines
    assert any("Det är en ökning från 2,8 i Delår 1." in line for line in lines)
    assert any(line.startswith(f"{AO} | 3 | 3 | 100 %") for line in lines)
    document = Document(io.BytesIO(content))
    assert len(document.inline_shapes) == 2  # status per area, and the confidence trend


async def test_no_name_beside_a_confidential_answer_in_any_output(db: Database) -> None:
    _, _, digest = await two_rounds(db)
    people = await names(db)
    files = digest_files(digest, "sv", zone=Policy().zone)
    markdown = files.render("md").decode()
    outputs = {
        "md": markdown.splitlines(),
        "docx": docx_text(files.render("docx")),
        "xlsx": [
            " | ".join(str(c) for c in row if c is not None)
            for rows in xlsx_rows(files.render("xlsx")).values()
            for row in rows
        ],
        "en": files_in_english(digest),
    }
    per_chef = {
        " | ".join(str(c) for c in row if c is not None)
        for row in xlsx_rows(files.render("xlsx"))["Per chef"]
    }
    for kind, lines in outputs.items():
        joined = "\n".join(lines)
        assert SECRET not in joined, kind  # no consent, never quoted
        for line in lines:
            named = [n for n in people if n in line]
            if named:
                # only HR's workbook names anyone: on its sheet of activity statuses per chef
                assert kind == "xlsx" and line in per_chef and len(named) == 1, (kind, line)
            if QUOTE in line:
                assert not named, (kind, line)
    assert QUOTE in markdown
    assert "Vikarier saknas" not in markdown  # comments with names stay in HR's workbook


async def test_the_workbook_lists_every_chefs_statuses_and_comments(db: Database) -> None:
    _, _, digest = await two_rounds(db)
    people = {name.split()[0]: name for name in await names(db)}
    rows = xlsx_rows(digest_files(digest, "sv", zone=Policy().zone).render("xlsx"))["Per chef"]
    assert rows[:2] == [
        ["Aktiviteternas status och kommentarer per enhetschef", None, None, None, None, None],
        ["Avdelning", "Enhetschef", "Kod", "Aktivitet", "Status", "Kommentar"],
    ]
    [activity] = {(r[2], r[3]) for r in rows[2:]}
    assert activity[0] and activity[1]  # the activity's code and title
    # one row per chef who sent in and activity, every status, by department and name
    assert sorted((r[0], r[1], r[4], r[5]) for r in rows[2:]) == sorted(
        [
            (IFO, people["Johan"], "Försenad", "Vikarier saknas"),
            (IFO, people["Leila"], "Pågår", None),
            (IFO, people["Maria"], "Genomförd", None),
            (AO, people["Karin"], "Genomförd", None),
            (AO, people["Mikael"], "Genomförd", None),
            (AO, people["Sara"], "Ej påbörjad", None),
            (LSS, people["Erik"], "Försenad", None),
        ]
    )
    assert [r[0] for r in rows[2:]] == sorted((r[0] for r in rows[2:]), key=str.casefold)


def files_in_english(digest: object) -> list[str]:
    files = digest_files(digest, "en", zone=Policy().zone)  # type: ignore[arg-type]
    return files.render("md").decode().splitlines()
