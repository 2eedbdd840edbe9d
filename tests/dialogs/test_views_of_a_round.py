"""Every view of a round is cut from the one published set: HR's digest in Teams and its three
files, HR's digest by the CLI, a department lead's digest in Teams and its files, HR's and the
lead's export for Power BI, and the chefs' feedback cards. Each view's confidential figures are
read back out of what its reader gets and compared with the stored publication and with each
other: the same figures everywhere, a hidden one hidden everywhere, a lead's and a chef's never
a number HR does not have; unchanged after an erasure and a move; none at all while the round is
open."""

from __future__ import annotations

import asyncio
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from docx import Document
from docx.table import Table as DocxTable
from openpyxl import load_workbook
from sqlmodel import select

from bot.cli import run
from bot.settings import Settings
from dialogs.digest_cards import digest_formats
from dialogs.outbox_renderer import OutboxRenderer
from dialogs.texts import catalogue, t
from followup.digest.publication import Publication, published
from followup.policy import Policy
from followup.sections import CONFIDENCE_LEVELS, NEEDS, STATUSES
from storage.database import Database
from storage.digest_store import DigestStore
from storage.models import Chef, Department, OutboxKind, OutboxMessage, Role
from storage.publication_store import PublicationStore
from storage.role_store import RoleStore
from storage.types import utcnow
from tests.cards import assert_valid_cards
from tests.conftest import EXAMPLES
from tests.dialogs.checkin_world import (
    KARIN,
    MARIA,
    Client,
    Connector,
    add_person,
    card_action,
    cards_to,
    db_of,
    install,
    organisation,
    post,
    press,
    say,
)
from tests.dialogs.test_exports_in_teams import csv_rows, download
from tests.followup.digest.test_compile import AO, CO, IFO, LSS, PR, SN, Answer, a_round
from tests.followup.rounds.test_lifecycle import everyone_at_work

pytestmark = pytest.mark.parametrize("world", ["endpoint"], indirect=True)  # downloads too

LANG = "sv"
SECTIONS = {  # every section confidential: activity statuses are counted figures too
    "activity_status": "confidential",
    SN: "confidential",
    PR: "confidential",
    CO: "confidential",
}
# a department lead of IFO (hidden: it would give LSS away) and ÄO (published)
LEA = {
    "id": "29:lea",
    "aadObjectId": "1a2b3c4d-0001-4000-8000-0000000000a1",
    "upn": "lea.larsson@demo.ledarpuls.se",
    "name": "Lea Larsson",
    "conv": "a:lea",
}
FIRST = {  # Delår 1: IFO 3, ÄO 2, SPS 3 answered
    "Maria": Answer(confidence=2),
    "Johan": Answer(confidence=3),
    "Leila": Answer(confidence=3),
    "Karin": Answer(confidence=4),
    "Mikael": Answer(confidence=4),
    "Peter": Answer(confidence=1),
    "Helena": Answer(confidence=2),
    "Daniel": Answer(confidence=3),
}
SECOND = {  # Delår 2: IFO 3, ÄO 3, LSS 1 answered
    "Maria": Answer(3, 2, 1, ("done", ""), "Jag lyssnar", consent=True),
    "Johan": Answer(4, 1, 1, ("delayed", "Vikarier saknas"), consent=False),
    "Leila": Answer(4, 0, 2, ("in_progress", ""), "Jag ger tid", consent=True),
    "Karin": Answer(5, 0, 3, ("done", ""), "Hemlig styrka", consent=False),
    "Mikael": Answer(4, 0, 3, ("done", ""), "Jag frågar", consent=True),
    "Sara": Answer(3, 2, 3, ("not_started", ""), "Jag visar vägen", consent=True),
    "Erik": Answer(2, 1, 1, ("delayed", ""), "Jag lyssnar", consent=True),  # Maria's words
    "Amira": Answer(5, state="started"),  # not submitted: not counted
    "Lena": Answer(state="unreachable"),
    "Peter": Answer(state="on_leave"),
}
ANSWERED = ("Maria", "Johan", "Leila", "Karin", "Mikael", "Sara", "Erik")
# IFO's own mean in Delår 2 (3, 4, 4): with the organisation's and ÄO's it gives the single
# LSS chef's rating away (issue 15), so no view may show it in any precision
IFO_MEAN = ("3,67", "3,7")

# A figure of a view, by what it is: ("trend n" | "trend mean" | "median", round),
# ("dept" | "dept n", round, department), ("level", 1-5), ("need", need, "some" | "great" |
# department), ("principle", number), ("principles n",), ("activity", title, department or
# ALL, status), ("area", area, status), ("quote", text). A hidden one (–, empty) is None.
Key = tuple[Any, ...]
ALL = t(LANG, "digest.all")  # an activity's row for every department


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(
        _env_file=None,
        database_url=database_url,
        run_scheduler=False,
        public_url="http://127.0.0.1:3978",
        download_link_secret="s" * 40,
        quotes_k=3,  # four different consenting texts: quoted
    )


@pytest.fixture
def connector(world: tuple[Client, Connector]) -> Connector:
    fake = world[1]
    add_person(fake, LEA)
    return fake


# --- reading figures back out of what a reader gets -------------------------------------------


@dataclass
class View:
    """One view as its reader sees it: its tables (title, header, rows of displayed cells), its
    prose, its key figures, and every line of it for a plain search."""

    tables: list[tuple[str, list[str], list[list[str | None]]]] = field(default_factory=list)
    prose: list[str] = field(default_factory=list)
    facts: list[tuple[str, str]] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)
    card: dict[str, Any] | None = None  # a card's own JSON, to validate


def shown(value: Any) -> str | None:
    """A cell as displayed: None when hidden (empty or a dash), numbers with a decimal comma."""
    if value is None:
        return None
    if isinstance(value, float):
        return repr(value).replace(".", ",")
    text = str(value).strip()
    return None if text in ("", "–") else text


def xlsx_view(content: bytes) -> View:
    workbook = load_workbook(io.BytesIO(content), read_only=True)
    view = View()
    for number, sheet in enumerate(workbook.worksheets):
        rows = [[shown(v) for v in row] for row in sheet.iter_rows(values_only=True)]
        view.lines += [" | ".join(c for c in row if c) for row in rows]
        if number == 0:  # the overview: title, subtitle, prose, key figures, note
            for row in rows:
                cells = [c for c in row if c is not None]
                if len(cells) == 2:
                    view.facts.append((cells[0], cells[1]))
                elif len(cells) == 1:
                    view.prose.append(cells[0])
            continue
        block: list[list[str | None]] = []
        for row in [*rows, []]:
            if any(row):
                block.append(row)
                continue
            if block:
                width = max(i + 1 for i, c in enumerate(block[1]) if c is not None)
                header = [c or "" for c in block[1][:width]]
                view.tables.append((block[0][0] or "", header, [r[:width] for r in block[2:]]))
            block = []
    return view


MD_ESCAPE = re.compile(r"\\(.)")


def markdown_view(content: str) -> View:
    view = View(lines=content.splitlines())
    lines = view.lines
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("### ") and i + 2 < len(lines) and lines[i + 2].startswith("| "):
            title = MD_ESCAPE.sub(r"\1", line[4:])
            header = _md_row(lines[i + 2])
            rows: list[list[str | None]] = []
            i += 4
            while i < len(lines) and lines[i].startswith("|"):
                rows.append([shown(c) for c in _md_row(lines[i])])
                i += 1
            view.tables.append((title, [c or "" for c in header], rows))
            continue
        if line.startswith("| ") and not view.tables and line != "| | |":
            label, value = _md_row(line)
            if value is not None:
                view.facts.append((label or "", value))
        elif line and not line.startswith(("#", "_", "|")):
            view.prose.append(MD_ESCAPE.sub(r"\1", line))
        i += 1
    return view


def _md_row(line: str) -> list[str | None]:
    cells = re.split(r"(?<!\\) \| ", line.strip()[2:-2])
    return [shown(MD_ESCAPE.sub(r"\1", c)) for c in cells]


def docx_view(content: bytes) -> View:
    """The board's document: each table under the heading before it; a grouped table's rows
    of one merged cell (an area) put back as its first column."""
    document = Document(io.BytesIO(content))
    view = View()
    for paragraph in document.paragraphs:
        view.lines.append(paragraph.text)
        italic = any(run.italic for run in paragraph.runs)
        normal = paragraph.style is not None and paragraph.style.name == "Normal"
        if normal and paragraph.text and not italic:
            view.prose.append(paragraph.text)
    title = ""
    for block in document.iter_inner_content():
        if isinstance(block, DocxTable):
            rows = [[shown(cell.text) for cell in row.cells] for row in block.rows]
            grouped = any(len(row) > 1 and len(set(row)) == 1 for row in rows[1:])
            if grouped:
                group: str | None = ""
                header: list[str | None] = [t(LANG, "digest.col.area"), *rows[0]]
                body = []
                for row in rows[1:]:
                    if len(row) > 1 and len(set(row)) == 1:
                        group = row[0]
                    else:
                        body.append([group, *row])
                rows = [header, *body]
            view.lines += [" | ".join(c for c in row if c) for row in rows]
            view.tables.append((title, [c or "" for c in rows[0]], rows[1:]))
        elif block.style is not None and block.style.name == "Heading 3":
            title = block.text
    return view


def card_view(card: dict[str, Any]) -> View:
    """A card's texts in order (a fact as "label: value"), its fact pairs, and its texts."""
    view = View(card=card)

    def texts(element: dict[str, Any]) -> Iterator[str]:
        if element.get("type") == "TextBlock":
            yield element["text"]
        elif element.get("type") == "RichTextBlock":
            yield "".join(run["text"] for run in element["inlines"])
        else:
            for value in element.values():
                for child in value if isinstance(value, list) else [value]:
                    if isinstance(child, dict):
                        yield from texts(child)

    for element in card.get("body", []):
        if element.get("type") == "FactSet":
            pairs = [(f["title"], f["value"]) for f in element["facts"]]
        elif element.get("type") == "Table":
            pairs = [tuple(texts(row)) for row in element["rows"]]  # type: ignore[misc]
        else:
            view.lines += list(texts(element))
            view.prose += list(texts(element))
            continue
        view.facts += pairs
        view.lines += [f"{label}: {value}" for label, value in pairs]
    return view


@cache
def templates(key: str) -> list[re.Pattern[str]]:
    """A catalogue text as patterns that read its placeholders back (one per plural form)."""
    entry = catalogue(LANG)[key]
    patterns = []
    for form in entry.values() if isinstance(entry, dict) else [entry]:
        pattern = re.escape(str(form))
        for name in dict.fromkeys(re.findall(r"\{(\w+)\}", str(form))):
            placeholder = re.escape("{" + name + "}")
            pattern = pattern.replace(placeholder, f"(?P<{name}>.+?)", 1)
            pattern = pattern.replace(placeholder, f"(?P={name})")
        patterns.append(re.compile(pattern))
    return patterns


def read(key: str, value: str) -> dict[str, str] | None:
    """The placeholders of a catalogue text read back out of `value` (None: not that text)."""
    for pattern in templates(key):
        if (found := pattern.fullmatch(value)) is not None:
            return found.groupdict()
    return None


def labels(prefix: str, codes: Any) -> dict[str, Any]:
    return {t(LANG, f"{prefix}.{code}"): code for code in codes}


def digest_figures(view: View, current: str) -> dict[Key, list[str | None]]:
    """The confidential figures of a digest view (card, XLSX, DOCX, Markdown), each with every
    way it is displayed."""
    cells: dict[Key, list[str | None]] = {}

    def put(key: Key, value: str | None) -> None:
        cells.setdefault(key, []).append(value)

    needs, statuses = labels("checkin.need", NEEDS), labels("checkin.status", STATUSES)
    levels = labels("checkin.confidence", CONFIDENCE_LEVELS)
    lowered = {label.lower(): need for label, need in needs.items()}
    for title, header, rows in view.tables:
        if title == t(LANG, "digest.table.trend"):
            for row in rows:
                put(("trend n", row[0]), row[1])
                put(("trend mean", row[0]), row[2])
                for name, value in zip(header[3:], row[3:], strict=True):
                    put(("dept", row[0], name), value)
        elif title == t(LANG, "digest.table.distribution"):
            for label, n in rows:
                put(("level", levels[label or ""]), n)
        elif title == t(LANG, "digest.table.needs"):
            for row in rows:
                need = needs[row[0] or ""]
                put(("need", need, "some"), row[1])
                put(("need", need, "great"), row[2])
                for name, value in zip(header[3:], row[3:], strict=True):
                    put(("need", need, name), value)
        elif (principles := read("digest.table.principles", title)) is not None:
            put(("principles n",), principles["respondents"])
            for number, _, n in rows:
                put(("principle", number), n)
        elif title == t(LANG, "digest.table.activities"):
            # per department (XLSX, Markdown)
            for row in rows:
                for label, value in zip(header[3:], row[3:], strict=True):
                    put(("activity", row[1], row[2], statuses[label]), value)
        elif title == t(LANG, "digest.table.activity_distribution"):
            # how many departments and chefs report each status (also DOCX)
            for row in rows:
                counted = "departments" if row[2] == t(LANG, "digest.col.departments") else ALL
                for label, value in zip(header[3:], row[3:], strict=False):
                    if label in statuses:
                        put(("activity", row[1], counted, statuses[label]), value)
        elif title == t(LANG, "digest.table.areas"):
            for row in rows:
                for label, value in zip(header[1:], row[1:], strict=True):
                    put(("area", row[0], statuses[label]), value)
        elif title == t(LANG, "digest.table.quotes"):
            for _, quote in rows:
                put(("quote", quote), "1")
    for paragraph in view.prose:
        for key in ("confidence", "confidence_up", "confidence_down", "confidence_same"):
            if (said := read(f"digest.prose.{key}", paragraph)) is not None:
                put(("trend mean", current), said["mean"])
                put(("median", current), said["median"])
                if "previous" in said:
                    put(("trend mean", said["previous_round"]), said["previous"])
        if (said := read("digest.prose.needs", paragraph)) is not None:
            named_first = said["needs"].split(t(LANG, "digest.and"))[0]
            put(("need", lowered[named_first], "some"), said["count"])
    for label, value in view.facts:
        if label == t(LANG, "digest.col.mean"):
            put(("trend mean", current), shown(value))
    return cells


def feedback_figures(view: View, current: str) -> dict[Key, list[str | None]]:
    """The group's figures on a chef's feedback card."""
    cells: dict[Key, list[str | None]] = {}
    needs = labels("checkin.need", NEEDS)
    heading = ""
    for line in view.lines:
        label, _, value = line.partition(": ")
        if line in (
            t(LANG, "checkin.feedback.group"),
            t(LANG, "checkin.feedback.group_trend"),
            t(LANG, "checkin.feedback.group_needs"),
        ):
            heading = line
        elif heading == t(LANG, "checkin.feedback.group") and value:
            mean = read("checkin.feedback.mean", value) or {}
            if label == t(LANG, "checkin.feedback.organisation"):
                cells[("trend mean", current)] = [mean.get("mean")]
                cells[("trend n", current)] = [mean.get("count")]
            elif (department := read("checkin.feedback.your_department", label)) is not None:
                cells[("dept", current, department["department"])] = [mean.get("mean")]
                cells[("dept n", current, department["department"])] = [mean.get("count")]
        elif heading == t(LANG, "checkin.feedback.group_trend") and value:
            cells.setdefault(("trend mean", label), []).append(value)
        if (named := read("checkin.feedback.need_count", line)) is not None:
            cells[("need", needs[named["need"]], "some")] = [named["count"]]
    return cells


def export_figures(rows: list[dict[str, str]], current: str) -> dict[Key, list[str | None]]:
    """The figures of an export (`exportera`, CSV) under the keys the digest's views use: the
    current round's, and the confidence trend of the earlier rounds in it."""
    cells: dict[Key, list[str | None]] = {}
    for row in rows:
        value = row["value"].replace(".", ",") or None
        measure, name, category = row["measure"], row["department"], row["category"]
        organisation, round_ = row["level"] == "organisation", row["round"]
        key: Key | None = None
        if measure == "confidence_respondents":
            key = ("trend n", round_) if organisation else ("dept n", round_, name)
        elif measure == "confidence_mean":
            key = ("trend mean", round_) if organisation else ("dept", round_, name)
        elif round_ != current:
            continue
        elif measure == "confidence_median" and organisation:
            key = ("median", round_)
        elif measure == "confidence_level" and organisation:
            key = ("level", int(category))
        elif measure == "need_some_or_great":
            key = ("need", category, "some" if organisation else name)
        elif measure == "need_great":
            key = ("need", category, "great")
        elif measure == "principle_respondents":
            key = ("principles n",)
        elif measure == "principle_chosen":
            key = ("principle", category)
        elif measure == "chefs":
            key = ("activity", row["activity"], ALL if organisation else name, category)
        elif measure == "departments":
            key = ("activity", row["activity"], "departments", category)
        elif measure == "area_chefs":
            key = ("area", row["area"], category)
        if key is not None:
            cells.setdefault(key, []).append(value)
    return cells


async def exported(
    client: TestClient[Any, Any], connector: Connector, person: dict[str, str], round_id: int
) -> list[dict[str, str]]:
    """The person's export of the round's programme (every closed round), as Teams gives it."""
    await say(client, connector, person, f"exportera {round_id}")
    content, _ = await download(
        client, connector, person, cards_to(connector, person)[-1], "programme", "csv"
    )
    return csv_rows(content)


# --- what was published ------------------------------------------------------------------------


async def expected(
    db: Database, rounds: list[tuple[str, Publication]], *, departments: set[str] | None = None
) -> dict[Key, Any]:
    """The figures the stored publications hold for the last of these rounds (and the trend of
    the earlier ones), for some departments only when given: the organisation's and theirs."""
    ours = (lambda name: True) if departments is None else (lambda name: name in departments)
    cells: dict[Key, Any] = {}
    title, p = rounds[-1]
    for round_title, kept in rounds:
        if kept.confidence is None:
            continue
        cells[("trend n", round_title)] = kept.confidence.n
        cells[("trend mean", round_title)] = kept.confidence.mean
        for name, c in kept.confidence_departments.items():
            if ours(name):
                cells[("dept", round_title, name)] = None if c is None else c.mean
                cells[("dept n", round_title, name)] = None if c is None else c.n
    if p.confidence is not None:
        cells[("median", title)] = p.confidence.median
        for level, n in p.confidence.distribution.items():
            cells[("level", level)] = n
    for need in p.needs or []:
        cells[("need", need.need, "some")] = need.some_or_great
        cells[("need", need.need, "great")] = need.great
        for name, named in need.departments.items():
            if ours(name):
                cells[("need", need.need, name)] = named
    if p.principles is not None:
        cells[("principles n",)] = p.principle_respondents
        for number, _, n in p.principles:
            cells[("principle", str(number))] = n
    for a in p.activities or []:
        for status in STATUSES:
            cells[("activity", a.title, ALL, status)] = (
                None if a.counts is None else a.counts.get(status, 0)
            )
            # how many departments report it so: the organisation's figure, in every view
            cells[("activity", a.title, "departments", status)] = (
                None if a.department_counts is None else a.department_counts.get(status, 0)
            )
            for name, counts in a.departments.items():
                if ours(name):
                    cells[("activity", a.title, name, status)] = (
                        None if counts is None else counts.get(status, 0)
                    )
    for area, counts in p.areas.items():
        for status in STATUSES:
            cells[("area", area, status)] = counts.get(status, 0)
    texts = await DigestStore(db).texts([i for q in p.quotes for i in q.answer_ids])
    for q in p.quotes:
        kept_text = next((texts[i] for i in q.answer_ids if i in texts), None)
        if kept_text is not None:
            cells[("quote", kept_text)] = 1
    return cells


def same(display: str, value: Any) -> bool:
    """A displayed figure is the published one, in the precision it is displayed in (rounded
    half up, as a reader and Excel round)."""
    if isinstance(value, str):
        return display == value
    decimals = len(display.split(",")[1]) if "," in display else 0
    rounded = Decimal(repr(value)).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    return display.replace(",", ".") == str(rounded)


def disagreements(
    figures: dict[Key, list[str | None]], published_cells: dict[Key, Any]
) -> list[str]:
    """Every figure a view shows that is not the published one (a hidden one shown, a number
    the publication does not hold, a different value), and every hidden one not hidden."""
    wrong = []
    for key, displays in figures.items():
        value = published_cells.get(key)
        for display in displays:
            if display is None:
                continue  # hidden or not shown: never a disagreement
            if value is None or not same(display, value):
                wrong.append(f"{key}: shows {display}, published {value}")
    return wrong


def numbers(figures: dict[Key, list[str | None]]) -> dict[Key, str]:
    """The figures a view shows (in their finest precision), for comparing views."""
    return {
        key: max((d for d in displays if d is not None), key=len)
        for key, displays in figures.items()
        if any(d is not None for d in displays)
    }


def published_keys(cells: dict[Key, Any], *kinds: str) -> set[Key]:
    return {k for k, v in cells.items() if v is not None and (not kinds or k[0] in kinds)}


# --- the fronts --------------------------------------------------------------------------------


async def cli(settings: Settings, capsys: pytest.CaptureFixture[str], *args: str) -> str:
    """`ledarpuls ARGS` in this process, as HR runs it; its standard output."""
    capsys.readouterr()
    code = await asyncio.to_thread(run, list(args), settings)
    out, err = capsys.readouterr()
    assert code == 0, err
    return out


async def files_of(
    client: TestClient[Any, Any],
    connector: Connector,
    person: dict[str, str],
    card: dict[str, Any],
) -> dict[str, View]:
    """The digest's three files, as the person gets them: each button of the card pressed, and
    the fresh link the bot answers with followed."""
    views: dict[str, View] = {}
    pressed: list[str] = []
    for action in card["actions"]:
        assert action["type"] == "Action.Execute" and "url" not in action  # no link on the card
        value = action["data"]
        if value["action"] != "download":
            continue  # the export's button: a card of its own (tests/dialogs/test_exports_in_teams)
        await post(client, card_action(connector, person, action, {}, reply_to=card.get("_id")))
        [link] = [a for a in cards_to(connector, person)[-1]["actions"] if "url" in a]
        url: str = link["url"]
        response = await client.get("/" + url.split("://", 1)[1].split("/", 1)[1])
        assert response.status == 200
        content = await response.read()
        kind = value["format"]
        assert response.headers["Content-Disposition"].endswith(f".{kind}")
        pressed.append(kind)
        if kind == "pdf":
            # the board's DOCX as PDF/A, where LibreOffice is installed: the DOCX's figures
            assert content.startswith(b"%PDF-")
            continue
        views[kind] = (
            xlsx_view(content)
            if kind == "xlsx"
            else docx_view(content)
            if kind == "docx"
            else markdown_view(content.decode("utf-8"))
        )
    # a button per file the digest is offered as here: PDF/A too where LibreOffice is installed
    assert pressed == list(digest_formats(Policy().soffice))
    assert set(views) == {"xlsx", "docx", "md"}
    return views


async def asked_digest(
    client: TestClient[Any, Any], connector: Connector, person: dict[str, str], round_id: int
) -> dict[str, Any]:
    await say(client, connector, person, f"sammanställning {round_id}")
    return cards_to(connector, person)[-1]


async def feedback_card(db: Database, policy: Any, first_name: str, round_id: int) -> View | None:
    async with db.session() as s:
        chef = next(
            c for c in (await s.exec(select(Chef))).all() if c.name.split()[0] == first_name
        )
    message = OutboxMessage(
        organisation_id=chef.organisation_id,
        dedupe_key=f"feedback:{round_id}:{chef.id}",
        kind=OutboxKind.FEEDBACK.value,
        round_id=round_id,
        chef_id=chef.id,
    )
    activity = await OutboxRenderer(db, policy=policy)(message, LANG)
    return None if activity is None else card_view(activity["attachments"][0]["content"])


@dataclass
class World:
    db: Database
    first: int
    second: int
    lead_departments: dict[str, int]  # name → id


async def queued_digest(w: World, settings: Settings) -> dict[str, Any]:
    """The lead's digest card as the outbox sends it when the round closes (HR's closer got
    hers in the turn)."""
    async with w.db.session() as s:
        [message] = (
            await s.exec(
                select(OutboxMessage).where(
                    OutboxMessage.kind == OutboxKind.DIGEST.value,
                    OutboxMessage.round_id == w.second,
                )
            )
        ).all()
    assert sorted(message.payload["departments"]) == sorted(w.lead_departments.values())
    sent = await OutboxRenderer(w.db, policy=settings.policy(), downloads=True)(message, LANG)
    assert sent is not None
    card: dict[str, Any] = sent["attachments"][0]["content"]
    return card


async def world(client: TestClient[Any, Any], connector: Connector, cli_run: Any) -> World:
    """The demo organisation: Karin HR admin, Lea lead of IFO and ÄO; Delår 1 closed by the CLI,
    Delår 2 answered and still open."""
    db = db_of(client)
    org, programme = await organisation(db)
    await everyone_at_work(db, org)
    async with db.session() as s:
        departments = {
            d.code: d.id for d in (await s.exec(select(Department))).all() if d.id is not None
        }
    roles = RoleStore(db)
    await roles.grant(
        organisation_id=org,
        principal=KARIN["aadObjectId"],
        role=Role.HR_ADMIN,
        created_by="test",
        now=utcnow(),
    )
    for code in ("IFO", "ÄO"):
        await roles.grant(
            organisation_id=org,
            principal=LEA["upn"],
            role=Role.DEPARTMENT_LEAD,
            created_by="test",
            now=utcnow(),
            department_id=departments[code],
        )
    for person in (KARIN, MARIA, LEA):
        await install(client, connector, person)
    first = await a_round(db, org, programme, "Delår 1", 5, FIRST, sections=SECTIONS)
    await cli_run("round", "close", str(first))
    second = await a_round(db, org, programme, "Delår 2", 20, SECOND, sections=SECTIONS)
    return World(db, first, second, {IFO: departments["IFO"], AO: departments["ÄO"]})


Views = dict[str, View]


async def every_view(
    client: TestClient[Any, Any],
    connector: Connector,
    settings: Settings,
    cli_run: Any,
    tmp_path: Path,
    w: World,
    *,
    hr_card: dict[str, Any] | None = None,
    lead_card: dict[str, Any] | None = None,
) -> tuple[Views, Views, Views]:
    """(HR's views, the lead's views, each chef's feedback) of the second round, as each gets
    them: the cards in Teams (or those given), the files behind their links, the CLI's files."""
    hr: Views = {}
    hr["teams card"] = card_view(asked := await asked_digest(client, connector, KARIN, w.second))
    if hr_card is not None:
        hr["teams card at close"] = card_view(hr_card)
    for kind, view in (await files_of(client, connector, KARIN, hr_card or asked)).items():
        hr[f"download {kind}"] = view
    hr["cli md"] = markdown_view(await cli_run("digest", str(w.second)))
    for kind in ("xlsx", "docx"):
        out = tmp_path / f"digest.{kind}"
        await cli_run("digest", str(w.second), "--format", kind, "--out", str(out))
        hr[f"cli {kind}"] = (xlsx_view if kind == "xlsx" else docx_view)(out.read_bytes())

    lead: Views = {}
    lead["teams card"] = card_view(asked := await asked_digest(client, connector, LEA, w.second))
    if lead_card is not None:
        lead["teams card from the outbox"] = card_view(lead_card)
    for kind, view in (await files_of(client, connector, LEA, lead_card or asked)).items():
        lead[f"download {kind}"] = view

    policy = settings.policy()
    chefs: Views = {}
    for name in ANSWERED:
        if (feedback := await feedback_card(w.db, policy, name, w.second)) is not None:
            chefs[name] = feedback
    return hr, lead, chefs


def figures_of(views: Views, current: str, *, feedback: bool = False) -> dict[str, Any]:
    read_figures = feedback_figures if feedback else digest_figures
    return {name: read_figures(view, current) for name, view in views.items()}


# --- the tests ---------------------------------------------------------------------------------


async def test_every_view_of_a_round_is_cut_from_the_one_publication(
    client: TestClient[Any, Any],
    connector: Connector,
    settings: Settings,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    async def cli_run(*args: str) -> str:
        return await cli(settings, capsys, *args)

    w = await world(client, connector, cli_run)
    policy = settings.policy()

    # while Delår 2 is open: who answered, and no confidential figure in any view
    hr, lead, chefs = await every_view(client, connector, settings, cli_run, tmp_path, w)
    response = t(LANG, "digest.table.response")
    for who, views in (("HR", hr), ("lead", lead)):
        for name, figures in figures_of(views, "Delår 2").items():
            assert numbers(figures) == {}, (who, name)
            view = views[name]
            assert [title for title, _, _ in view.tables] in ([], [response]), (who, name)
            assert any(t(LANG, "digest.prose.sealed", k=3) in p for p in view.prose), (who, name)
    for name, view in chefs.items():
        assert numbers(feedback_figures(view, "Delår 2")) == {}, name
        assert t(LANG, "checkin.feedback.group_later", k=3) in view.lines, name
    assert await PublicationStore(w.db).get(w.second) is None
    opened = (hr, lead, chefs)

    # Karin closes it in Teams: her digest at once, Lea's queued in the outbox
    await say(client, connector, KARIN, f"stäng {w.second}")
    await press(client, connector, KARIN, cards_to(connector, KARIN)[-1], "close")
    # the question became the closed round's status in its place; the digest came after it
    hr_card = next(c for c in reversed(cards_to(connector, KARIN)) if "Ladda ner" in str(c))
    lead_card = await queued_digest(w, settings)

    first = await published(w.db, round_id=w.first, now=utcnow(), policy=policy)
    second = await published(w.db, round_id=w.second, now=utcnow(), policy=policy)
    assert first is not None and second is not None
    kept = await PublicationStore(w.db).get(w.second)
    assert kept is not None and Publication.from_json(kept.figures) == second
    rounds = [("Delår 1", first), ("Delår 2", second)]
    org = await expected(w.db, rounds)
    theirs = await expected(w.db, rounds, departments=set(w.lead_departments))
    # the world is what the brief asks for: LSS hidden (1 answer), IFO hidden with it (or the
    # organisation minus ÄO would give LSS away), ÄO shown; every kind of figure published
    assert second.hidden_departments == sorted([IFO, LSS])
    assert org[("dept", "Delår 2", AO)] == 4.0 and org[("dept", "Delår 2", IFO)] is None
    assert {k[0] for k in published_keys(org)} >= {
        "trend n",
        "trend mean",
        "median",
        "dept",
        "level",
        "need",
        "principle",
        "principles n",
        "activity",
        "area",
        "quote",
    }

    hr, lead, chefs = await every_view(
        client,
        connector,
        settings,
        cli_run,
        tmp_path,
        w,
        hr_card=hr_card,
        lead_card=lead_card,
    )
    # every card valid for Teams (one run of the reference renderer for all of them)
    cards = [v.card for views in (hr, lead, chefs, *opened) for v in views.values() if v.card]
    assert_valid_cards(cards)
    hr_figures = figures_of(hr, "Delår 2")
    lead_figures = figures_of(lead, "Delår 2")
    chef_figures = figures_of(chefs, "Delår 2", feedback=True)

    # every view shows the published figures only, hidden ones hidden (– or empty)
    for who, read_out, cells in (
        ("HR", hr_figures, org),
        ("lead", lead_figures, theirs),
        ("chef", chef_figures, org),
    ):
        for name, figures in read_out.items():
            assert disagreements(figures, cells) == [], (who, name)
    everything = [line for views in (hr, lead, chefs) for v in views.values() for line in v.lines]
    assert not [line for line in everything if any(m in line for m in IFO_MEAN)]

    # and the whole of it: each file and the CLI hold every published figure for its reader
    full = published_keys(org) - published_keys(org, "dept n")
    for name in ("download xlsx", "download md", "cli xlsx", "cli md"):
        assert set(numbers(hr_figures[name])) == full, name
    board = published_keys(org, "trend n", "trend mean", "median", "dept", "level", "need")
    board |= published_keys(org, "principle", "principles n", "area", "quote")
    for name in ("download docx", "cli docx"):
        assert board <= set(numbers(hr_figures[name])) <= full, name
    for name in ("teams card", "teams card at close"):
        assert {("trend mean", "Delår 2"), ("median", "Delår 2")} <= set(numbers(hr_figures[name]))
    assert set(numbers(lead_figures["download xlsx"])) == (
        published_keys(theirs) - published_keys(theirs, "dept n")
    )
    # the export for Power BI is one more view: the same figures, every one of them, and for
    # the lead their departments' and the organisation's only
    hr_export = export_figures(await exported(client, connector, KARIN, w.second), "Delår 2")
    lead_export = export_figures(await exported(client, connector, LEA, w.second), "Delår 2")
    assert disagreements(hr_export, org) == [] and disagreements(lead_export, theirs) == []
    assert set(numbers(hr_export)) == published_keys(org) - published_keys(org, "quote")
    assert set(numbers(lead_export)) == published_keys(theirs) - published_keys(theirs, "quote")

    # the same numbers in every view of HR's: the card, the downloads and the CLI agree
    finest = numbers(hr_figures["download xlsx"])
    for name, figures in hr_figures.items():
        for key, display in numbers(figures).items():
            assert same(display, float(finest[key].replace(",", "."))), (name, key)

    # a lead's and a chef's figures are HR's: never a number HR does not have
    [(_, _, responses)] = [x for x in hr["download xlsx"].tables if x[0] == response]
    answered = {row[0]: row[2] for row in responses}
    hr_has: dict[Key, str] = {}  # each in its finest precision (the board's has one decimal)
    for figures in hr_figures.values():
        for key, display in numbers(figures).items():
            hr_has[key] = max(hr_has.get(key, ""), display, key=len)
    for name, figures in [*lead_figures.items(), *chef_figures.items()]:
        for key, display in numbers(figures).items():
            if key[0] == "dept n":  # a published department's size: HR's respondents
                assert display == answered[key[2]], (name, key)
                continue
            assert key in hr_has and same(display, float(hr_has[key].replace(",", "."))), (
                name,
                key,
            )
    assert [k for figures in lead_figures.values() for k in numbers(figures) if LSS in k] == []
    # a chef sees their own department only when it is published, and the organisation always
    mikael, johan = chef_figures["Mikael"], chef_figures["Johan"]
    assert numbers(mikael)[("dept", "Delår 2", AO)] == "4,0"
    assert johan[("dept", "Delår 2", IFO)] == [None]  # "Visas inte – för få svar"
    assert all(("trend mean", "Delår 2") in numbers(f) for f in chef_figures.values())

    # Maria erases her answers in Teams, and Leila moves to ÄO in a new roster by the CLI: every
    # view of the closed round shows what it showed (a difference would be one person's answers)
    await say(client, connector, MARIA, "radera mina svar")
    erased = await press(client, connector, MARIA, cards_to(connector, MARIA)[-1], "erase")
    assert "Dina svar är raderade" in str(erased)  # in place of the question
    roster = (EXAMPLES / "demo-roster.yaml").read_text(encoding="utf-8")
    moved = roster.replace(
        "name: Leila Haddad\n    department: IFO", "name: Leila Haddad\n    department: ÄO"
    )
    assert moved != roster
    (tmp_path / "roster.yaml").write_text(moved, encoding="utf-8")
    await cli_run("import", "roster", str(tmp_path / "roster.yaml"))
    hr_after, lead_after, chefs_after = await every_view(
        client, connector, settings, cli_run, tmp_path, w
    )
    for name, figures in figures_of(hr_after, "Delår 2").items():
        assert figures == hr_figures[name], name
    for name, figures in figures_of(lead_after, "Delår 2").items():
        assert figures == lead_figures[name], name
    after = figures_of(chefs_after, "Delår 2", feedback=True)
    for name in set(ANSWERED) - {"Maria"}:
        assert after[name] == chef_figures[name], name
    # Leila's feedback still shows IFO's, where the round asked and counted her (issue 17)
    assert after["Leila"][("dept", "Delår 2", IFO)] == [None]
    kept_after = await PublicationStore(w.db).get(w.second)
    assert kept_after is not None and kept_after.figures == kept.figures
