"""A consortium's digest as Markdown, XLSX and DOCX (the board's document, in the style of a
round's: `followup.digest.files`): all lay out the same tables of the same kept figures
(`followup.digest.consortium`), so a figure hidden once is hidden in every file."""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import tzinfo

from docx import Document
from docx.enum.section import WD_SECTION
from openpyxl import Workbook
from openpyxl.styles import Font

from followup.digest import report as board
from followup.digest.consortium import ConsortiumDigest, MemberState
from followup.digest.figures import Confidence
from followup.digest.files import (
    FORMULA_START,
    add_chart,
    add_table,
    orient,
    set_up,
    status_chart,
    table_layout,
    xml_text,
)
from followup.digest.report import areas_alt, number_text, percent_text
from followup.sections import STATUSES

Text = Callable[..., str]  # text(key, **params) in the reader's language
Cell = str | int | float | None
HIDDEN = "–"  # a figure left out: fewer than k, or it would reveal one that is
MAX_SHEET_TITLE = 31  # what Excel allows a sheet's name


@dataclass
class Table:
    """One table; `key` names it in the catalogue (its title and its XLSX sheet)."""

    key: str
    title: str
    columns: list[str]
    rows: list[list[Cell]] = field(default_factory=list)


@dataclass
class ConsortiumReport:
    """The digest laid out: a title, lines of text and tables, in the reader's language."""

    title: str
    lines: list[str]
    tables: list[Table]
    method: list[str]


def period_text(period: str, text: Text) -> str:
    """ "2026-spring" as "våren 2026"."""
    year, _, half = period.partition("-")
    return text(f"consortium.period.{half}", year=year) if year and half else period


def _number(value: float | None) -> str:
    """A mean or median as every report writes it (one decimal, rounded half up)."""
    return HIDDEN if value is None else number_text(value)


def _share(part: int, whole: int) -> str:
    return HIDDEN if not whole else percent_text(part / whole)


def _confidence_row(name: str, c: Confidence | None) -> list[Cell]:
    if c is None or c.mean is None:
        return [name, HIDDEN, HIDDEN, HIDDEN]
    return [name, c.n, _number(c.mean), _number(c.median)]


def build_consortium_report(d: ConsortiumDigest, text: Text, *, zone: tzinfo) -> ConsortiumReport:
    f = d.figures
    period = period_text(f.period, text) if f.period else ""
    title = text("consortium.title", programme=d.programme, period=period)
    lines = [
        text(
            "consortium.subtitle",
            organisation=d.organisation,
            date=d.compiled_at.astimezone(zone).date(),
        )
    ]
    if d.goal:
        lines.append(text("consortium.goal", goal=d.goal))
    waiting = [m.name for m in f.members if m.state == MemberState.WAITING]
    if not f.period:
        lines.append(text("consortium.no_rounds"))
    elif f.sealed:
        lines.append(
            text("consortium.waiting", members=", ".join(waiting))
            if waiting
            else text("consortium.nothing_closed")
        )
    else:
        lines.append(
            text(
                "consortium.response",
                count=sum(1 for m in f.members if m.state == MemberState.PUBLISHED),
                submitted=f.submitted,
                invited=f.invited,
            )
        )

    members = Table(
        "members",
        text("consortium.table.members"),
        [
            text("consortium.col.member"),
            text("consortium.col.round"),
            text("consortium.col.invited"),
            text("consortium.col.submitted"),
            text("consortium.col.rate"),
        ],
    )
    for m in f.members:
        if m.state == MemberState.PUBLISHED:
            members.rows.append(
                [m.name, m.round_title, m.invited, m.submitted, _share(m.submitted, m.invited)]
            )
        else:
            state = text(f"consortium.state.{m.state}")
            members.rows.append([m.name, m.round_title or state, HIDDEN, HIDDEN, state])
    if f.members:
        members.rows.append(
            [text("consortium.total"), "", f.invited, f.submitted, _share(f.submitted, f.invited)]
        )
    tables = [members]
    if f.sealed:
        return ConsortiumReport(title, lines, tables, [])

    names = [m.name for m in f.members if m.state == MemberState.PUBLISHED]
    if f.activities:
        statuses = Table(
            "activities",
            text("consortium.table.activities"),
            [
                text("consortium.col.activity"),
                text("consortium.col.area"),
                *(text(f"checkin.status.{s}") for s in STATUSES),
                text("consortium.col.answers"),
            ],
        )
        done = Table(
            "activities_members",
            text("consortium.table.activities_members"),
            [text("consortium.col.activity"), *names],
        )
        for a in f.activities:
            counts = a.counts
            statuses.rows.append(
                [
                    a.title,
                    a.area,
                    *(HIDDEN if counts is None else counts.get(s, 0) for s in STATUSES),
                    HIDDEN if counts is None else sum(counts.values()),
                ]
            )
            row: list[Cell] = [a.title]
            for name in names:
                cell = a.departments.get(name, {})
                row.append(
                    HIDDEN
                    if cell is None
                    else text(
                        "consortium.done_of",
                        done=cell.get("done", 0),
                        answers=sum(cell.values()),
                    )
                    if cell
                    else ""
                )
            done.rows.append(row)
        tables += [statuses, done]

    if f.needs:
        needs = Table(
            "needs",
            text("consortium.table.needs"),
            [
                text("consortium.col.need"),
                text("consortium.col.some_or_great"),
                text("consortium.col.great"),
                *names,
            ],
        )
        for n in f.needs:
            needs.rows.append(
                [
                    text(f"checkin.need.{n.need}"),
                    HIDDEN if n.some_or_great is None else n.some_or_great,
                    HIDDEN if n.great is None else n.great,
                    *(
                        HIDDEN
                        if name in n.departments and n.departments[name] is None
                        else n.departments.get(name, "")
                        for name in names
                    ),
                ]
            )
        tables.append(needs)

    if f.confidence is not None:
        confidence = Table(
            "confidence",
            text("consortium.table.confidence"),
            [
                text("consortium.col.member"),
                text("consortium.col.answers"),
                text("consortium.col.mean"),
                text("consortium.col.median"),
            ],
        )
        confidence.rows.append(_confidence_row(text("consortium.total"), f.confidence))
        for name, c in f.confidence_members.items():
            confidence.rows.append(_confidence_row(name, c))
        tables.append(confidence)

    if f.principles is not None:
        principles = Table(
            "principles",
            text("consortium.table.principles"),
            [text("consortium.col.principle"), text("consortium.col.chosen")],
        )
        for number, principle, chosen in f.principles:
            principles.rows.append([f"{number}. {principle}", chosen])
        tables.append(principles)

    published = [m for m in f.members if m.state == MemberState.PUBLISHED]
    method = [
        text(
            "consortium.method.asked",
            count=len(published),
            members=", ".join(m.name for m in published),
            invited=f.invited,
            submitted=f.submitted,
            rate=_share(f.submitted, f.invited),
        ),
        text("consortium.method.rules", k=f.k),
    ]
    if f.hidden_members:
        method.append(text("consortium.method.hidden", members=", ".join(f.hidden_members)))
    if f.left_out:
        method.append(text("consortium.method.left_out", members=", ".join(f.left_out), k=f.k))
    method.append(text("consortium.method.no_quotes"))
    return ConsortiumReport(title, lines, tables, method)


# --- Markdown -------------------------------------------------------------------------------


def _md(value: Cell) -> str:
    """A cell in a Markdown table: as written, its pipes and line breaks kept from the layout."""
    text = "" if value is None else str(value)
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def render_consortium_markdown(report: ConsortiumReport, text: Text) -> str:
    out = [f"# {_md(report.title)}", "", *(f"{_md(line)}\n" for line in report.lines)]
    for table in report.tables:
        out += [f"## {_md(table.title)}", ""]
        out.append("| " + " | ".join(_md(c) for c in table.columns) + " |")
        out.append("|" + "---|" * len(table.columns))
        out += ["| " + " | ".join(_md(c) for c in row) + " |" for row in table.rows]
        out.append("")
    if report.method:
        out += [f"## {text('consortium.table.method')}", ""]
        out += [f"{_md(line)}\n" for line in report.method]
    return "\n".join(out).rstrip("\n") + "\n"


# --- XLSX -----------------------------------------------------------------------------------


def _sheet_cell(value: Cell) -> Cell:
    if isinstance(value, str):
        value = xml_text(value)
        # a name starting like a formula is text to a spreadsheet, never run
        return "'" + value if value.startswith(FORMULA_START) else value
    return value


def render_consortium_xlsx(report: ConsortiumReport, text: Text) -> bytes:
    book = Workbook()
    summary = book.active
    assert summary is not None
    summary.title = text("consortium.sheet.summary")[:MAX_SHEET_TITLE]
    summary.append([_sheet_cell(report.title)])
    summary["A1"].font = Font(bold=True, size=14)
    for line in [*report.lines, "", *report.method]:
        summary.append([_sheet_cell(line)])
    for table in report.tables:
        sheet = book.create_sheet(text(f"consortium.sheet.{table.key}")[:MAX_SHEET_TITLE])
        sheet.append([_sheet_cell(c) for c in table.columns])
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in table.rows:
            sheet.append([_sheet_cell(c) for c in row])
        sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


# --- DOCX -----------------------------------------------------------------------------------

# the tables under "förflyttning mot målet"; every other stands under the results
MOVEMENT_TABLES = frozenset({"confidence"})


def _board_table(table: Table) -> board.Table:
    """A table of the consortium's digest as the board's document lays one out (a hidden
    figure shown as the round's report shows it)."""
    return board.Table(
        sheet=table.key,
        title=table.title,
        header=table.columns,
        rows=[[None if cell == HIDDEN else cell for cell in row] for row in table.rows],
        key=table.key,
    )


def _movement(d: ConsortiumDigest, text: Text) -> list[str]:
    """The programme's goal and where the members' managers stand toward it now."""
    paragraphs = [text("digest.movement.goal", goal=d.goal)] if d.goal.strip() else []
    confidence = d.figures.confidence
    if confidence is not None and confidence.mean is not None:
        paragraphs.append(
            text(
                "consortium.movement",
                mean=number_text(confidence.mean),
                count=confidence.n,
            )
        )
    return paragraphs


def render_consortium_docx(
    report: ConsortiumReport, d: ConsortiumDigest, text: Text, *, language: str
) -> bytes:
    """The consortium's digest for its board, as a round's report is (`write_docx`): heading
    styles, one font family, table header rows marked, the chart with its alternative text,
    the document's language and title. A summary, the results per member and for all of them,
    the movement toward the goal (when there is a confidence to show), and how it was made."""
    document = Document()
    set_up(
        document,
        title=report.title,
        subject=d.programme,
        author=d.organisation,
        created=d.compiled_at,
        language=language,
    )
    document.add_heading(xml_text(report.title), level=1)
    subtitle, *summary = report.lines
    results = [t for t in report.tables if t.key not in MOVEMENT_TABLES]
    movement = [t for t in report.tables if t.key in MOVEMENT_TABLES]
    if movement and d.goal.strip():
        # the goal stands with the movement toward it, once
        summary = [line for line in summary if line != text("consortium.goal", goal=d.goal)]
    document.add_paragraph().add_run(xml_text(subtitle)).italic = True
    document.add_heading(xml_text(text("digest.part.summary")), level=2)
    for line in summary:
        document.add_paragraph(xml_text(line))
    landscape = False
    parts: list[tuple[str, list[str], list[Table]]] = [
        (text("consortium.part.results"), [], results)
    ]
    if movement:
        parts.append((text("digest.part.movement"), _movement(d, text), movement))
    for heading, paragraphs, tables in parts:
        laid = [(t, table_layout(t)) for t in map(_board_table, tables)]
        # a part with a table too wide for an upright page stands on landscape pages
        wide = any(layout.landscape for _, layout in laid)
        if wide != landscape:
            landscape = wide
            orient(document.add_section(WD_SECTION.NEW_PAGE), landscape=landscape)
        document.add_heading(xml_text(heading), level=2)
        for paragraph in paragraphs:
            document.add_paragraph(xml_text(paragraph))
        if tables is results and not d.figures.sealed:
            chart = status_chart(d.figures.areas, text)
            if chart is not None:
                add_chart(
                    document,
                    chart,
                    title=text("digest.chart.areas"),
                    alt=areas_alt(d.figures.areas, text),
                )
        for table, layout in laid:
            add_table(document, table, layout)
    if report.method:
        if landscape:
            orient(document.add_section(WD_SECTION.NEW_PAGE), landscape=False)
        document.add_heading(xml_text(text("consortium.table.method")), level=2)
        for line in report.method:
            document.add_paragraph(xml_text(line))
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()
