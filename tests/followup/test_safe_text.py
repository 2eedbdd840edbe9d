"""One chef's text and names from Teams or the roster in HR's outputs: stored as written, shown
as written — never as Markdown, a link, HTML or a spreadsheet formula — in the cards, the
Markdown, the XLSX and the DOCX."""

from __future__ import annotations

import html
import io
import zipfile
from datetime import timedelta
from typing import Any

from docx import Document
from markdown_it import MarkdownIt
from openpyxl import load_workbook
from sqlmodel import col, select

from dialogs.digest_cards import compiled_digest_card
from dialogs.formatting import local
from dialogs.hr_cards import round_card, status_card
from dialogs.identified_cards import department_cards
from dialogs.people_cards import leave_card
from followup.digest.identified import chef_answers
from followup.policy import Policy
from followup.rounds.lifecycle import close_round, department_names, round_audience
from followup.rounds.progress import progress, set_on_leave
from storage.database import Database
from storage.models import ActivityStatusAnswer, Area, Chef, Department, ReflectionAnswer
from storage.types import utcnow
from tests.cards import assert_valid_cards, walk
from tests.followup.check_in.test_steps import demo
from tests.followup.digest.test_compile import Answer, a_round
from tests.followup.digest.test_files import docx_text
from tests.followup.rounds.test_lifecycle import everyone_at_work

COMMENT = '**FET** [klicka](https://evil.example) <script>x</script> =HYPERLINK("https://evil.example","x")'
FORMULA = '=HYPERLINK("https://evil.example","klicka")'
PLUS = "+1 @SUM(A1) ~~borta~~ &lt;b&gt;"
CONTROL = "Vikarier\x01saknas"
NAME = "**Maria** [Å](https://evil.example) _kursiv_ <b>fet</b>"  # as Teams or the roster has it
DEPARTMENT = "[IFO](https://evil.example) `kod`"
TITLE = "Delår $x^$ **1** [a](https://evil.example)"
AREA = r"Bra $\frac{$ ledarskap"
HOSTILE = (COMMENT, FORMULA, PLUS, NAME, DEPARTMENT, TITLE)


async def hostile_round(db: Database) -> tuple[int, int]:
    """A round in which chefs wrote hostile comments and strengths (and may be quoted), and whose
    chef, department, area and round names are hostile too."""
    org, programme, _ = await demo(db)
    await everyone_at_work(db, org)
    round_id = await a_round(
        db,
        org,
        programme,
        TITLE,
        20,
        {
            "Maria": Answer(3, status=("delayed", COMMENT), strengths=COMMENT, consent=True),
            "Johan": Answer(4, status=("delayed", FORMULA), strengths=FORMULA, consent=True),
            "Leila": Answer(4, status=("delayed", CONTROL), strengths=PLUS, consent=True),
            "Karin": Answer(5, status=("done", ""), strengths=CONTROL, consent=True),
            "Mikael": Answer(2, status=("done", "")),
        },
    )
    async with db.session() as s, s.begin():
        for chef in (await s.exec(select(Chef))).all():
            if chef.name.split()[0] in ("Maria", "Sara", "Peter"):
                chef.name = NAME  # Maria answered; Sara has not; Peter goes on leave
        maria = (await s.exec(select(Chef).where(Chef.name == NAME))).first()
        assert maria is not None
        department = await s.get(Department, maria.department_id)
        assert department is not None
        department.name = DEPARTMENT
        area = (await s.exec(select(Area))).first()
        assert area is not None
        area.name = AREA
    return org, round_id


# the hostile round has four texts to quote: a policy that quotes from three
QUOTE_FOUR = Policy(quotes_k=3)


async def closed_hostile_round(db: Database) -> int:
    """The hostile round, closed: its quotes and figures are published."""
    _, round_id = await hostile_round(db)
    await close_round(db, round_id=round_id, now=utcnow())
    return round_id


def markdown_read(card: dict[str, Any]) -> list[str]:
    """What Teams reads as Markdown in a card: TextBlocks, and a FactSet's titles and values."""
    found = [e["text"] for e in walk(card) if e.get("type") == "TextBlock"]
    for fact_set in (e for e in walk(card) if e.get("type") == "FactSet"):
        found += [part for fact in fact_set["facts"] for part in (fact["title"], fact["value"])]
    return found


def text_runs(card: dict[str, Any]) -> str:
    return "\n".join(e["text"] for e in walk(card) if e.get("type") == "TextRun")


async def test_the_database_holds_the_text_as_written(db: Database) -> None:
    await hostile_round(db)
    async with db.session() as s:
        comments = set((await s.exec(select(ActivityStatusAnswer.comment))).all())
        texts = set((await s.exec(select(ReflectionAnswer.text))).all())
        names = set((await s.exec(select(Chef.name))).all())
    assert {COMMENT, FORMULA, CONTROL} <= comments
    assert {COMMENT, FORMULA, PLUS, CONTROL} <= texts
    assert NAME in names


async def test_hr_cards_show_names_and_titles_literally(db: Database) -> None:
    org, round_id = await hostile_round(db)
    now = utcnow()
    await set_on_leave(
        db,
        organisation_id=org,
        upn="peter.stromberg@demo.ledarpuls.se",
        until=None,
        now=now,
        policy=Policy(),
    )
    async with db.session() as s, s.begin():
        peter = (await s.exec(select(Chef).where(col(Chef.upn).startswith("peter")))).one()
        peter.on_leave_until = local(now, zone=Policy().zone).date() + timedelta(days=30)
    async with db.session() as s:
        chefs = list((await s.exec(select(Chef).order_by(col(Chef.name)))).all())
        departments = {d.id: d.name for d in (await s.exec(select(Department))).all() if d.id}
    status = status_card(await progress(db, round_id=round_id), "sv", now=now, zone=Policy().zone)
    audience = await round_audience(db, round_id=round_id, now=now, policy=Policy())
    assert any(c.name == NAME for c in audience.on_leave)
    round_ = (await progress(db, round_id=round_id)).round
    created = round_card(
        round_,
        "sv",
        audience=audience,
        departments=await department_names(db, round_id=round_id),
        heading=f"Läget i {TITLE}",
        zone=Policy().zone,
        today=Policy().today(now),
    )
    leave = leave_card(chefs, departments, "sv", today=local(now, zone=Policy().zone).date())
    _, digest = await compiled_digest_card(
        db, round_id=round_id, now=now, language="sv", policy=Policy()
    )
    answers = await chef_answers(db, round_id=round_id, organisation_id=org, department_ids=None)
    [per_chef] = [
        c
        for d in answers.departments
        if d.name == DEPARTMENT
        for c in department_cards(answers, d, "sv")
    ]
    cards = [status, created, leave, digest, per_chef]
    assert_valid_cards(cards)
    for card in cards:
        # nothing anyone typed where Teams would read Markdown ...
        assert not [s for s in markdown_read(card) if any(h in s for h in HOSTILE)]
    # ... but all of it there, as written, in text runs
    assert NAME in text_runs(status) and DEPARTMENT in text_runs(status)  # not yet answered
    assert f"Läget i {TITLE}" in text_runs(status)
    assert NAME in text_runs(created) and TITLE in text_runs(created)  # on leave, skipped
    assert NAME in text_runs(leave)
    assert TITLE in text_runs(digest)
    assert DEPARTMENT in text_runs(per_chef) and NAME in text_runs(per_chef)
    assert COMMENT in text_runs(per_chef) and TITLE in text_runs(per_chef)


async def test_the_markdown_digest_shows_every_text_escaped(db: Database) -> None:
    round_id = await closed_hostile_round(db)
    files, _ = await compiled_digest_card(
        db,
        round_id=round_id,
        now=utcnow(),
        language="sv",
        policy=QUOTE_FOUR,
    )
    markdown = files.render("md").decode()
    assert COMMENT not in markdown  # escaped, so a Markdown viewer shows it as written
    rendered = MarkdownIt("commonmark").enable(["table", "strikethrough"]).render(markdown)
    for tag in ("<a ", "<strong", "<script", "<del", "<img", "<b>", "<code"):
        assert tag not in rendered, tag
    for written in (COMMENT, FORMULA, PLUS, DEPARTMENT, TITLE):  # quoted, or a heading
        assert html.escape(written, quote=True) in rendered, written
    assert html.escape(NAME, quote=True) not in rendered  # the Markdown names no one
    assert (
        len([line for line in markdown.splitlines() if line.startswith("|---")])
        == len([t for t in files.report.tables if not t.names]) + 1
    )  # every table still a table


async def test_the_workbook_holds_texts_as_texts_never_formulas(db: Database) -> None:
    round_id = await closed_hostile_round(db)
    files, _ = await compiled_digest_card(
        db,
        round_id=round_id,
        now=utcnow(),
        language="sv",
        policy=QUOTE_FOUR,
        names=True,  # the workbook lists each chef's statuses
    )
    content = files.render("xlsx")
    with zipfile.ZipFile(io.BytesIO(content)) as package:
        sheets = [n for n in package.namelist() if n.startswith("xl/worksheets/sheet")]
        assert not [n for n in sheets if "<f>" in package.read(n).decode()]  # no formula at all
    cells = {
        cell.value: cell
        for sheet in load_workbook(io.BytesIO(content)).worksheets
        for row in sheet.iter_rows()
        for cell in row
        if isinstance(cell.value, str)
    }
    for written in (COMMENT, FORMULA, PLUS, NAME, DEPARTMENT, TITLE):
        assert written in cells, written
        assert cells[written].data_type == "s"
    # a text that starts like a formula stays text when HR edits the cell or saves a CSV
    assert cells[FORMULA].quotePrefix and cells[PLUS].quotePrefix
    assert not cells[COMMENT].quotePrefix
    assert "Vikarier\ufffdsaknas" in cells  # what XML cannot hold, marked where it was


async def test_the_board_document_holds_plain_text_and_its_charts(db: Database) -> None:
    round_id = await closed_hostile_round(db)
    files, _ = await compiled_digest_card(
        db,
        round_id=round_id,
        now=utcnow(),
        language="sv",
        policy=QUOTE_FOUR,
    )
    content = files.render("docx")
    lines = "\n".join(docx_text(content))
    for written in (COMMENT, FORMULA, PLUS, TITLE):  # quotes and titles go to the board
        assert written in lines, written
    assert "Vikarier\ufffdsaknas" in lines
    # a title or an area with $ in it is no TeX to the charts
    assert len(Document(io.BytesIO(content)).inline_shapes) == 2
