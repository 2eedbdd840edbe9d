"""The digest laid out once — board prose and tables — for every format to render the same way.

The words come from the caller's text catalogue (`Text`), so the domain holds no language; the
figures come from the `Digest`, already through the privacy rules. A hidden figure is None here
and is shown as "–" (or an empty cell) everywhere."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from typing import Any

from followup.digest.compile import Digest, Response
from followup.rounds.progress import share
from followup.sections import NEEDS, STATUSES

Text = Callable[..., str]  # text(key, **params) in the reader's language
Cell = str | int | float | datetime | None
# the files that hold the table of answers per chef, with names (the others name no one)
NAMING_FORMATS = frozenset({"xlsx"})


@dataclass
class Table:
    """One table of the digest; `sheet` names its XLSX sheet, `percent` its share columns."""

    sheet: str
    title: str
    header: list[str]
    rows: list[list[Cell]]
    percent: frozenset[int] = field(default_factory=frozenset)  # column indexes
    board: bool = True  # also in the board document (DOCX)
    # names chefs: in HR's workbook (XLSX) only, never in the board document nor the Markdown
    names: bool = False


@dataclass
class Report:
    title: str
    subtitle: str
    prose: list[str]
    tables: list[Table]
    note: str


def percent_text(value: float) -> str:
    return f"{value:.0%}".replace("%", " %")


def number_text(value: float | None, decimals: int = 1) -> str:
    return "–" if value is None else f"{value:.{decimals}f}".replace(".", ",")


def _prose(d: Digest, text: Text) -> list[str]:
    paragraphs = [
        text(
            "digest.prose.response",
            round=d.round.title,
            submitted=d.total.submitted,
            invited=d.total.invited,
            rate=percent_text(d.total.rate),
        )
    ]
    if d.sealed:
        paragraphs.append(text("digest.prose.sealed", k=d.k))
    if d.on_leave or d.unreachable:
        paragraphs.append(text("digest.prose.missing", count=d.on_leave, unreachable=d.unreachable))
    if d.left:
        paragraphs.append(text("digest.prose.left", count=d.left))
    if d.activities:
        answers = sum(sum(area.values()) for area in d.areas.values())
        done = sum(area.get("done", 0) for area in d.areas.values())
        delayed = sum(area.get("delayed", 0) for area in d.areas.values())
        paragraphs.append(
            " ".join(
                [
                    text(
                        "digest.prose.activities",
                        activities=len(d.activities),
                        done=percent_text(share(done, answers)),
                        delayed=percent_text(share(delayed, answers)),
                    ),
                    # per activity, over the departments: not "not finished if anyone says so"
                    text(
                        "digest.prose.done_everywhere",
                        count=len(d.done_everywhere),
                        activities=len(d.activities),
                    ),
                    text("digest.prose.delayed_somewhere", count=len(d.delayed_somewhere)),
                    text("digest.prose.still_open", count=len(d.still_open)),
                    *([text("digest.prose.carried", count=len(d.carried))] if d.carried else []),
                ]
            )
        )
    if d.confidence is not None and d.confidence.mean is not None:
        earlier = [p for p in d.trend if p.round_id != d.round.id and p.mean is not None]
        if earlier and earlier[-1].mean is not None:
            change = d.confidence.mean - earlier[-1].mean
            direction = "up" if change >= 0.05 else "down" if change <= -0.05 else "same"
            paragraphs.append(
                text(
                    f"digest.prose.confidence_{direction}",
                    mean=number_text(d.confidence.mean),
                    median=number_text(d.confidence.median),
                    previous=number_text(earlier[-1].mean),
                    previous_round=earlier[-1].title,
                )
            )
        else:
            paragraphs.append(
                text(
                    "digest.prose.confidence",
                    mean=number_text(d.confidence.mean),
                    median=number_text(d.confidence.median),
                )
            )
    if d.needs and all(n.some_or_great is not None for n in d.needs):
        ranked = sorted(d.needs, key=lambda n: -(n.some_or_great or 0))
        top = [n for n in ranked[:2] if n.some_or_great]
        if top:
            paragraphs.append(
                text(
                    "digest.prose.needs",
                    needs=text("digest.and").join(
                        text(f"checkin.need.{n.need}").lower() for n in top
                    ),
                    count=top[0].some_or_great,
                )
            )
    return paragraphs


def _statuses(counts: dict[str, int] | None, statuses: Sequence[str]) -> list[Cell]:
    """A row of status counts; a hidden one (None) is empty in every cell."""
    return [None if counts is None else counts.get(s, 0) for s in statuses]


def _response_row(name: str, invited: int, submitted: int, rate: float) -> list[Cell]:
    return [name, invited, submitted, rate]


def columns(text: Text, *names: str) -> list[str]:
    return [text(f"digest.col.{name}") for name in names]


def build_report(d: Digest, text: Text, *, zone: tzinfo) -> Report:
    """Prose and tables of a digest, in the reader's language (the date in `zone`)."""
    dash_note = text("digest.note", k=d.k)
    closed = d.round.closed_at or d.round.deadline
    tables: list[Table] = [
        Table(
            text("digest.sheet.response"),
            text("digest.table.response"),
            columns(text, "department", "invited", "submitted", "rate"),
            [
                _response_row(r.name, r.invited, r.submitted, r.rate)
                for r in (
                    *d.departments,
                    Response(text("digest.all"), d.total.invited, d.total.submitted),
                )
            ],
            percent=frozenset({3}),
        )
    ]
    if d.activities is not None:
        statuses = [text(f"checkin.status.{s}") for s in STATUSES]
        rows: list[list[Cell]] = []
        for a in d.activities:
            rows.append([a.area, a.title, text("digest.all"), *_statuses(a.counts, STATUSES)])
            for name, counts in sorted(a.departments.items()):
                rows.append(
                    [
                        a.area,
                        a.title,
                        name,
                        *_statuses(counts, STATUSES),
                    ]
                )
        tables.append(
            Table(
                text("digest.sheet.activities"),
                text("digest.table.activities"),
                [
                    text("digest.col.area"),
                    text("digest.col.activity"),
                    text("digest.col.department"),
                    *statuses,
                ],
                rows,
                board=False,
            )
        )
        tables.append(
            Table(
                text("digest.sheet.areas"),
                text("digest.table.areas"),
                [text("digest.col.area"), *statuses],
                [[name, *(counts.get(s, 0) for s in STATUSES)] for name, counts in d.areas.items()],
            )
        )
        tables.append(_distribution(d, text))
        if d.carried:
            tables.append(
                Table(
                    text("digest.sheet.activities"),
                    text("digest.table.carried"),
                    columns(text, "area", "activity", "departments"),
                    [
                        [
                            c.area,
                            c.title,
                            None if c.departments is None else ", ".join(c.departments),
                        ]
                        for c in d.carried
                    ],
                )
            )
        if d.identified:
            tables.append(
                Table(
                    text("digest.sheet.per_chef"),
                    text("digest.table.per_chef"),
                    columns(text, "department", "chef", "code", "activity", "status", "comment"),
                    [
                        [
                            department.name,
                            chef.name,
                            a.code,
                            a.title,
                            text(f"checkin.status.{a.status}")
                            if a.status in STATUSES
                            else a.status,
                            a.comment,
                        ]
                        for department in d.identified
                        for chef in department.chefs
                        for a in chef.activities
                    ],
                    board=False,
                    names=True,
                )
            )
    if d.needs is not None:
        departments = sorted({name for n in d.needs for name in n.departments})
        tables.append(
            Table(
                text("digest.sheet.needs"),
                text("digest.table.needs"),
                [
                    text("digest.col.need"),
                    text("digest.col.some_or_great"),
                    text("digest.col.great"),
                    *departments,
                ],
                [
                    [
                        text(f"checkin.need.{n.need}"),
                        n.some_or_great,
                        n.great,
                        *(n.departments.get(name) for name in departments),
                    ]
                    for n in d.needs
                    if n.need in NEEDS
                ],
            )
        )
    if d.principles is not None:
        tables.append(
            Table(
                text("digest.sheet.principles"),
                text("digest.table.principles", respondents=d.principle_respondents),
                [
                    text("digest.col.number"),
                    text("digest.col.principle"),
                    text("digest.col.chosen"),
                ],
                [[number, title, n] for number, title, n in d.principles],
            )
        )
    if d.confidence is not None:
        departments = sorted({name for p in d.trend for name in p.departments})
        tables.append(
            Table(
                text("digest.sheet.confidence"),
                text("digest.table.trend"),
                [
                    text("digest.col.round"),
                    text("digest.col.respondents"),
                    text("digest.col.mean"),
                    *departments,
                ],
                [
                    [p.title, p.n, p.mean, *(p.departments.get(name) for name in departments)]
                    for p in d.trend
                ],
            )
        )
        tables.append(
            Table(
                text("digest.sheet.confidence"),
                text("digest.table.distribution"),
                [text("digest.col.level"), text("digest.col.count")],
                [
                    [text(f"checkin.confidence.{level}"), n]
                    for level, n in d.confidence.distribution.items()
                ],
            )
        )
    if d.quotes:
        tables.append(
            Table(
                text("digest.sheet.quotes"),
                text("digest.table.quotes"),
                [text("digest.col.question"), text("digest.col.quote")],
                [[_question(section, key, text), quote] for section, key, quote in d.quotes],
            )
        )
    return Report(
        title=text("digest.title", round=d.round.title),
        subtitle=text(
            "digest.subtitle",
            organisation=d.organisation,
            programme=d.programme,
            date=closed.astimezone(zone).date(),
        ),
        prose=_prose(d, text),
        tables=tables,
        note=dash_note,
    )


def _distribution(d: Digest, text: Text) -> Table:
    """Each activity's statuses as a distribution: how many departments report each (a
    department is done when none of its chefs says not finished), and how many chefs."""
    hidden = any(a.departments_hidden for a in d.activities or [])
    rows: list[list[Cell]] = []
    for a in d.activities or []:
        departments = _statuses(a.department_counts, STATUSES)
        rows.append(
            [a.area, a.title, text("digest.col.departments"), *departments]
            + ([a.departments_hidden] if hidden else [])
        )
        rows.append(
            [a.area, a.title, text("digest.col.chefs"), *_statuses(a.counts, STATUSES)]
            + ([None] if hidden else [])
        )
    return Table(
        text("digest.sheet.activities"),
        text("digest.table.activity_distribution"),
        [
            *columns(text, "area", "activity", "counted"),
            *(text(f"checkin.status.{s}") for s in STATUSES),
            *(columns(text, "hidden_departments") if hidden else []),
        ],
        rows,
    )


def _question(section: str, key: str, text: Text) -> str:
    if key.startswith("need."):
        return text(f"checkin.need.{key.removeprefix('need.')}")
    return text(f"digest.question.{section}.{key}")


def overview_rows(d: Digest, text: Text) -> list[tuple[str, Any]]:
    """The key figures, for the Översikt sheet and HR's card in Teams."""
    rows: list[tuple[str, Any]] = [
        (text("digest.col.round"), d.round.title),
        (text("digest.col.programme"), d.programme),
        (text("digest.col.invited"), d.total.invited),
        (text("digest.col.submitted"), d.total.submitted),
        (text("digest.col.rate"), percent_text(d.total.rate)),
        (text("digest.col.on_leave"), d.on_leave),
        (text("digest.col.unreachable"), d.unreachable),
    ]
    if d.left:
        rows.append((text("digest.col.left"), d.left))
    if d.confidence is not None:
        rows.append((text("digest.col.mean"), number_text(d.confidence.mean)))
    if d.activities is not None:
        rows += [
            (text("digest.col.activities"), len(d.activities)),
            (text("digest.col.done_everywhere"), len(d.done_everywhere)),
            (text("digest.col.delayed_somewhere"), len(d.delayed_somewhere)),
            (text("digest.col.still_open"), len(d.still_open)),
            (text("digest.col.carried"), len(d.carried)),
        ]
    rows.append((text("digest.col.k"), d.k))
    return rows


def render_markdown(report: Report, overview: Sequence[tuple[str, Any]]) -> str:
    """Plain text for the CLI and for people who want it; every text in it shown as written."""
    lines = [f"# {md_text(report.title)}", "", f"_{md_text(report.subtitle)}_", ""]
    lines += [md_text(p) + "\n" for p in report.prose]
    lines += ["| | |", "|---|---|"]
    lines += [f"| {_md(label)} | {_md(value)} |" for label, value in overview]
    lines.append("")
    for table in report.tables:
        if table.names:
            continue
        lines += [f"## {md_text(table.title)}", ""]
        lines.append("| " + " | ".join(_md(h) for h in table.header) + " |")
        lines.append("|" + "---|" * len(table.header))
        for row in table.rows:
            cells = [
                percent_text(v) if i in table.percent and isinstance(v, float) else v
                for i, v in enumerate(row)
            ]
            lines.append("| " + " | ".join(_md(c) for c in cells) + " |")
        lines.append("")
    lines.append(f"_{md_text(report.note)}_")
    return "\n".join(lines) + "\n"


# What starts Markdown or HTML of its own inside a line (CommonMark, and GitHub's tables and
# strikethrough; & an entity): each gets a backslash, which a renderer shows as the character
# and a person reading the file easily reads past.
MD_SPECIAL = "\\`*_[]<>|~&#!"
# and what starts a block at the start of a line (a list, a setext heading's underline)
_MD_LINE_START = re.compile(r"^([-+=]|\d{1,9}(?=[.)]))")


def md_text(value: Any) -> str:
    """Text someone wrote (a chef's comment, a name, a title), on one line of Markdown: shown as
    written, never read as Markdown, a link or HTML."""
    out = " ".join(str(value).split())
    for ch in MD_SPECIAL:
        out = out.replace(ch, "\\" + ch)
    return _MD_LINE_START.sub(_block_marker, out, count=1)


def _block_marker(match: re.Match[str]) -> str:
    marker = match.group(1)
    return marker + "\\" if marker[0].isdigit() else "\\" + marker


def _md(value: Any) -> str:
    """A table cell: hidden figures as a dash, decimals with a comma, text as `md_text`."""
    if value is None:
        return "–"
    if isinstance(value, float):
        return number_text(value, 2 if value < 10 else 1)
    return md_text(value)
