"""The digest laid out once — as a section of the board's delårsrapport — for every format to
render the same way: a summary, results per area and department, the movement toward the goal,
needs, what is carried over, HR's own analysis and next steps, and a note on method.

The words come from the caller's text catalogue (`Text`), so the domain holds no language; the
figures come from the `Digest`, already through the privacy rules. A hidden figure is None here
and is shown as "–" (or an empty cell) everywhere; a table with no figure to show is left out,
and one sentence says what is not shown and why. How a number is written is decided here once
(`number_text`, `percent_text`), for the prose and every table alike."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from followup.digest.compile import Digest, Response
from followup.digest.publication import same_words
from followup.rounds.progress import share
from followup.sections import NEEDS, STATUSES, Privacy

Text = Callable[..., str]  # text(key, **params) in the reader's language
Cell = str | int | float | datetime | None
# the files that hold the table of answers per chef, with names (the others name no one)
NAMING_FORMATS = frozenset({"xlsx"})
# a mean on the 1–5 scale is written with this many decimals everywhere: prose, tables, charts
# and the workbook's number format, so the board never reads 3,5 in the text and 3,55 beside it
MEAN_DECIMALS = 1
XLSX_MEAN_FORMAT = "0." + "0" * MEAN_DECIMALS
XLSX_PERCENT_FORMAT = "0%"
# the parts of the board's section, in order (a delårsrapport's shape)
PARTS = (
    "summary",
    "results",
    "movement",
    "needs",
    "principles",
    "quotes",
    "carried",
    "analysis",
    "method",
)


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
    key: str = ""  # which table it is (response, areas, needs …), whatever the language
    part: str = "results"  # the part of the board's section it stands in
    labels: int = 1  # the leading columns that name a row; the others hold figures
    # the first column groups the rows (an area): the DOCX shows it as a row of its own
    grouped: bool = False

    @property
    def shown(self) -> bool:
        """Whether the table has anything to show (an empty one is left out)."""
        if self.labels >= len(self.header):
            return bool(self.rows)
        return any(v is not None for row in self.rows for v in row[self.labels :])


@dataclass
class Part:
    """One heading of the board's section: its paragraphs, then headed texts (HR's analysis),
    then its charts and tables (`Table.part`)."""

    key: str
    heading: str
    paragraphs: list[str] = field(default_factory=list)
    texts: list[tuple[str, list[str]]] = field(default_factory=list)  # (heading, paragraphs)
    charts: list[str] = field(default_factory=list)  # "areas", "trend"


@dataclass
class Report:
    title: str
    subtitle: str
    prose: list[str]  # the summary
    tables: list[Table]
    note: str
    parts: list[Part] = field(default_factory=list)
    # HR has not written its analysis and next steps yet: the report is a draft
    draft: str | None = None
    # each chart's alternative text, for a reader who cannot see it
    alt: dict[str, str] = field(default_factory=dict)

    def part_tables(self, part: str, *, board: bool = True) -> list[Table]:
        return [t for t in self.tables if t.part == part and not t.names and (t.board or not board)]


def _rounded(value: float, decimals: int) -> Decimal:
    """The one rounding rule: half away from zero on the written decimal (as Excel shows it)."""
    return Decimal(repr(value)).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)


def percent_text(value: float) -> str:
    return f"{_rounded(value * 100, 0):.0f} %"


def number_text(value: float | None, decimals: int = MEAN_DECIMALS) -> str:
    return "–" if value is None else f"{_rounded(value, decimals):.{decimals}f}".replace(".", ",")


# a figure as `number_text` and `percent_text` write it (or hidden): a table's column of them
# is a column of figures, laid out as one (to the right)
FIGURE_TEXT = re.compile(r"–|\d+(,\d+)?( %)?")


def is_figure(value: Cell) -> bool:
    """Is a cell a figure (a number, a hidden one, or one written by this module's rules)?"""
    if value is None or (isinstance(value, int | float) and not isinstance(value, bool)):
        return True
    return isinstance(value, str) and FIGURE_TEXT.fullmatch(value) is not None


def _sentence_list(items: Sequence[str], text: Text) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + text("digest.and") + items[-1]


def _prose(d: Digest, text: Text, not_shown: list[str]) -> list[str]:
    paragraphs = [
        text(
            "digest.prose.response",
            round=d.round.title,
            submitted=d.total.submitted,
            invited=d.total.invited,
            rate=percent_text(d.total.rate),
        )
    ]
    # who was not asked or could not answer, each said only when there is someone
    missing = []
    if d.on_leave:
        missing.append(text("digest.prose.on_leave", count=d.on_leave))
    if d.unreachable:
        missing.append(text("digest.prose.unreachable", count=d.unreachable))
    if missing:
        paragraphs.append(" ".join(missing))
    if d.left:
        paragraphs.append(text("digest.prose.left", count=d.left))
    if d.sealed:
        paragraphs.append(text("digest.prose.sealed", k=d.k))
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
            # compared as written, so the words never contradict the figures beside them
            change = _rounded(d.confidence.mean, MEAN_DECIMALS) - _rounded(
                earlier[-1].mean, MEAN_DECIMALS
            )
            direction = "up" if change > 0 else "down" if change < 0 else "same"
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
    if not_shown and not d.sealed:
        paragraphs.append(
            text("digest.prose.not_shown", subjects=_sentence_list(not_shown, text), k=d.k)
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
    every = _tables(d, text)
    tables = [t for t in every if t.shown]
    # a table the round asked for whose every figure is hidden (too few answered): left out,
    # and said once why (no quotes is no such case: the note on method says when there are)
    not_shown = [
        text(f"digest.subject.{t.key}")
        for t in every
        if not t.shown and t.board and not t.names and t.key != "quotes"
    ]
    prose = _prose(d, text, not_shown)
    analysis, draft = _analysis(d, text)
    parts = [
        Part("summary", text("digest.part.summary"), prose),
        Part("results", text("digest.part.results"), charts=["areas"]),
        Part("movement", text("digest.part.movement"), _movement(d, text), charts=["trend"]),
        Part("needs", text("digest.part.needs")),
        Part("principles", text("digest.part.principles")),
        Part("quotes", text("digest.part.quotes"), _quotes_intro(tables, text)),
        Part("carried", text("digest.part.carried")),
        analysis,
        Part("method", text("digest.part.method"), _method(d, text)),
    ]
    return Report(
        title=text("digest.title", round=d.round.title),
        subtitle=subtitle(d, text, zone=zone),
        prose=prose,
        tables=tables,
        note=dash_note,
        parts=[p for p in parts if _has_content(p, tables)],
        draft=draft,
        alt=_alt_texts(d, text),
    )


def subtitle(d: Digest, text: Text, *, zone: tzinfo) -> str:
    """Whose digest it is and the day its round closed (its last day, while it is open), in
    `zone`: the day is given to `text` as a date, for it to write."""
    closed = d.round.closed_at or d.round.deadline
    return text(
        "digest.subtitle",
        organisation=d.organisation,
        programme=d.programme,
        date=closed.astimezone(zone).date(),
    )


def _has_content(part: Part, tables: Sequence[Table]) -> bool:
    return bool(
        part.paragraphs
        or part.texts
        or any(t.part == part.key and t.board and not t.names for t in tables)
    )


def _tables(d: Digest, text: Text) -> list[Table]:
    """Every table of the digest, in the order they are read, empty ones too."""
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
            key="response",
            part="method",
        )
    ]
    if d.activities is not None:
        statuses = [text(f"checkin.status.{s}") for s in STATUSES]
        tables.append(
            Table(
                text("digest.sheet.areas"),
                text("digest.table.areas"),
                [text("digest.col.area"), *statuses],
                [[name, *(counts.get(s, 0) for s in STATUSES)] for name, counts in d.areas.items()],
                key="areas",
            )
        )
        tables.append(_distribution(d, text))
        rows: list[list[Cell]] = []
        for a in d.activities:
            rows.append([a.area, a.title, text("digest.all"), *_statuses(a.counts, STATUSES)])
            for name, counts in sorted(a.departments.items()):
                rows.append([a.area, a.title, name, *_statuses(counts, STATUSES)])
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
                key="activities",
                labels=3,
                grouped=True,
            )
        )
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
                    key="carried",
                    part="carried",
                    labels=3,
                    grouped=True,
                )
            )
        if d.still_open:
            tables.append(
                Table(
                    text("digest.sheet.activities"),
                    text("digest.table.still_open"),
                    columns(text, "area", "activity", "not_done"),
                    [[a.area, a.title, a.still_open] for a in d.still_open],
                    key="still_open",
                    part="carried",
                    labels=2,
                    grouped=True,
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
                    key="per_chef",
                    labels=6,
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
                key="needs",
                part="needs",
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
                key="principles",
                part="principles",
                labels=2,
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
                key="trend",
                part="movement",
                # the number who answered is no figure of confidence: a trend of hidden means
                # has nothing to show
                labels=2,
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
                key="distribution",
                part="movement",
            )
        )
    tables.append(
        Table(
            text("digest.sheet.quotes"),
            text("digest.table.quotes"),
            [text("digest.col.question"), text("digest.col.quote")],
            _quote_rows(d, text),
            key="quotes",
            part="quotes",
        )
    )
    return tables


def _quote_rows(d: Digest, text: Text) -> list[list[Cell]]:
    """Each quote once: the same words under two questions (or kept twice) are one quote."""
    seen: set[str] = set()
    rows: list[list[Cell]] = []
    for section, key, quote in d.quotes:
        if same_words(quote) in seen:
            continue
        seen.add(same_words(quote))
        rows.append([_question(section, key, text), quote])
    return rows


def _quotes_intro(tables: Sequence[Table], text: Text) -> list[str]:
    return [text("digest.quotes.intro")] if any(t.key == "quotes" for t in tables) else []


def _movement(d: Digest, text: Text) -> list[str]:
    """The programme's goal and how confidence has moved across its rounds."""
    paragraphs = [text("digest.movement.goal", goal=d.goal)] if d.goal.strip() else []
    points = [p for p in d.trend if p.mean is not None]
    if len(points) >= 2 and points[-1].round_id == d.round.id:
        paragraphs.append(
            text(
                "digest.movement.since",
                first_round=points[0].title,
                first=number_text(points[0].mean),
                mean=number_text(points[-1].mean),
                count=len(points),
            )
        )
    return paragraphs


def _paragraphs(written: str | None) -> list[str]:
    """HR's text as its paragraphs (a blank line between two), each on one line."""
    blocks = re.split(r"\n\s*\n", (written or "").strip())
    return [" ".join(b.split()) for b in blocks if b.strip()]


def _analysis(d: Digest, text: Text) -> tuple[Part, str | None]:
    """HR's analysis and next steps, kept with the round; until both are written, the
    report says plainly that it is a draft."""
    analysis = _paragraphs(d.round.analysis)
    next_steps = _paragraphs(d.round.next_steps)
    part = Part("analysis", text("digest.part.analysis"))
    if not analysis and not next_steps:
        part.paragraphs.append(text("digest.analysis.missing", round=d.round.title))
        return part, text("digest.draft")
    part.texts = [
        (
            text("digest.analysis.analysis"),
            analysis or [text("digest.analysis.analysis_missing")],
        ),
        (
            text("digest.analysis.next_steps"),
            next_steps or [text("digest.analysis.next_steps_missing")],
        ),
    ]
    return part, None if analysis and next_steps else text("digest.draft")


def _method(d: Digest, text: Text) -> list[str]:
    """Who was asked, who answered, and the privacy rules the figures went through."""
    paragraphs = [
        text(
            "digest.method.asked",
            round=d.round.title,
            count=d.total.invited,
            submitted=d.total.submitted,
            rate=percent_text(d.total.rate),
        )
    ]
    paragraphs.append(text("digest.method.privacy", k=d.k))
    if d.activity_privacy == Privacy.IDENTIFIED:
        paragraphs.append(text("digest.method.identified"))
    paragraphs.append(text("digest.method.quotes"))
    paragraphs.append(text("digest.method.numbers"))
    return paragraphs


def areas_alt(areas: dict[str, dict[str, int]], text: Text) -> str:
    """The chart of statuses per area in words: each area's count of each status."""
    return text(
        "digest.alt.areas",
        areas="; ".join(
            f"{name}: "
            + ", ".join(
                f"{text(f'checkin.status.{s}').lower()} {counts.get(s, 0)}" for s in STATUSES
            )
            for name, counts in areas.items()
        ),
    )


def _alt_texts(d: Digest, text: Text) -> dict[str, str]:
    """What each chart shows, in words, for a reader who cannot see it."""
    alt: dict[str, str] = {}
    if d.areas:
        alt["areas"] = areas_alt(d.areas, text)
    points = [p for p in d.trend if p.mean is not None]
    if points:
        alt["trend"] = text(
            "digest.alt.trend",
            points="; ".join(f"{p.title}: {number_text(p.mean)}" for p in points),
        )
    return alt


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
        key="activity_distribution",
        labels=3,
        grouped=True,
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
    """Plain text for the CLI and for people who want it, laid out as the board's section
    (HR's tables without names too); every text in it shown as written."""
    lines = [f"# {md_text(report.title)}", "", f"_{md_text(report.subtitle)}_", ""]
    if report.draft:
        lines += [md_text(report.draft), ""]
    for part in report.parts:
        lines += [f"## {md_text(part.heading)}", ""]
        lines += [md_text(p) + "\n" for p in part.paragraphs]
        for heading, paragraphs in part.texts:
            lines += [f"### {md_text(heading)}", ""]
            lines += [md_text(p) + "\n" for p in paragraphs]
        if part.key == "summary":
            lines += ["| | |", "|---|---|"]
            lines += [f"| {_md(label)} | {_md(value)} |" for label, value in overview]
            lines.append("")
        for table in report.part_tables(part.key, board=False):
            lines += _md_table(table)
    lines.append(f"_{md_text(report.note)}_")
    return "\n".join(lines) + "\n"


def _md_table(table: Table) -> list[str]:
    lines = [f"### {md_text(table.title)}", ""]
    lines.append("| " + " | ".join(_md(h) for h in table.header) + " |")
    lines.append("|" + "---|" * len(table.header))
    for row in table.rows:
        cells = [
            percent_text(v) if i in table.percent and isinstance(v, float) else v
            for i, v in enumerate(row)
        ]
        lines.append("| " + " | ".join(_md(c) for c in cells) + " |")
    lines.append("")
    return lines


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
        return number_text(value)
    return md_text(value)
