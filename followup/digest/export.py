"""The published figures of closed rounds as one tidy table, for Power BI, Stratsys or Excel: a
row per round, department (or the whole organisation), area or activity, measure and category,
with stable column names (`docs/export-format.md`).

Cut from the rounds' publications (`followup.digest.publication`), as every other view is: a
figure the publication hid is a row with an empty value and a reason in `suppressed`, never a
missing row, so the grid a report is built on is the same every round, and nothing is counted
anew here. A lead's export is the same cut as their digest: the organisation's figures and their
own departments'.

CSV is the machine format: UTF-8 with a byte order mark, `;` between fields, CRLF between rows,
a dot before decimals, ISO dates. Power BI reads it as it is; Swedish Excel opens it in columns
(its list separator is `;`), though for Excel the XLSX, with the same columns and numbers as
numbers, is the better file."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import astuple, dataclass, fields
from datetime import date, datetime
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.table import Table, TableStyleInfo

from followup.digest.figures import NO_DEPARTMENT, Confidence
from followup.digest.files import FORMULA_START, xml_text
from followup.digest.publication import PUBLISHED_STATES, Publication, publication
from followup.digest.report import Text
from followup.policy import Policy
from followup.privacy.disclosure import reported
from followup.sections import CONFIDENCE_LEVELS, NEEDS, STATUSES, Section
from storage.database import Database
from storage.digest_store import DigestStore, DigestSubject
from storage.models import InvitationState, Round
from storage.organisation_store import OrganisationStore

EXPORT_FORMATS = ("csv", "xlsx")
MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
SHEET = "ledarpuls"  # the XLSX's one sheet, and its table's name

# `level`: a figure of the whole organisation, or of one department
ORGANISATION, DEPARTMENT = "organisation", "department"
# `suppressed`: why a value is empty. The whole organisation had fewer than k answers (the number
# who answered is in the file); or a department's figure is hidden by the privacy rule, because
# its group is smaller than k or because showing it would reveal one that is (primary and
# complementary suppression are not told apart, on purpose)
TOO_FEW, PROTECTED = "too_few_answers", "group_protected"
NOBODY_ASKED = "nobody_asked"  # a response rate of a department whose chefs were all away


@dataclass(frozen=True)
class ExportRow:
    """One published figure (or the place of a hidden one); the fields are the columns, in
    order, and their names the stable column names."""

    round_id: int
    round: str
    round_deadline: date
    round_closed: date | None
    programme_code: str
    programme: str
    organisation: str
    level: str
    department_code: str
    department: str
    section: str
    area: str
    activity_code: str
    activity: str
    measure: str
    measure_label: str
    category: str
    category_label: str
    value: int | float | None
    suppressed: str
    k: int


COLUMNS = tuple(f.name for f in fields(ExportRow))


@dataclass(frozen=True)
class _Place:
    """What every row of one round and one department (or the organisation) shares."""

    round: Round
    subject: DigestSubject
    deadline: date
    closed: date | None
    level: str
    department_code: str
    department: str


DepartmentPlace = Callable[[str], _Place]  # a department's place, by its published name


class _Rows:
    """The rows of one round, in the order they are added."""

    def __init__(self, text: Text) -> None:
        self.rows: list[ExportRow] = []
        self._text = text

    def add(
        self,
        place: _Place,
        *,
        section: str,
        measure: str,
        value: int | float | None,
        why: str = "",
        area: str = "",
        activity: tuple[str, str] = ("", ""),
        category: str = "",
        category_label: str | None = None,
    ) -> None:
        round_, subject = place.round, place.subject
        assert round_.id is not None
        self.rows.append(
            ExportRow(
                round_id=round_.id,
                round=round_.title,
                round_deadline=place.deadline,
                round_closed=place.closed,
                programme_code=subject.programme.code,
                programme=subject.programme.title,
                organisation=subject.organisation.name,
                level=place.level,
                department_code=place.department_code,
                department=place.department,
                section=section,
                area=area,
                activity_code=activity[0],
                activity=activity[1],
                measure=measure,
                measure_label=self._text(f"export.measure.{measure}"),
                category=category,
                category_label=category if category_label is None else category_label,
                value=value,
                suppressed="" if value is not None else why,
                k=round_.k,
            )
        )


def _status_label(text: Text, status: str) -> str:
    return text(f"checkin.status.{status}")


def round_rows(
    subject: DigestSubject,
    published: Publication,
    *,
    whole: bool,
    department_codes: dict[int, str],
    text: Text,
    policy: Policy,
) -> list[ExportRow]:
    """The rows of one closed round, from its publication (cut for a lead: `whole` False)."""
    round_ = subject.round
    # the days as they were in the organisation's time zone
    deadline = policy.local(round_.deadline).date()
    closed = policy.local(round_.closed_at).date() if round_.closed_at else None
    organisation = _Place(round_, subject, deadline, closed, ORGANISATION, "", "")

    def department(name: str) -> _Place:
        department_id = published.departments.get(name)
        code = department_codes.get(department_id, "") if department_id else ""
        shown = text("export.no_department") if name == NO_DEPARTMENT else name
        return _Place(round_, subject, deadline, closed, DEPARTMENT, code, shown)

    rows = _Rows(text)
    _response(rows, published, organisation if whole else None, department)
    _activities(rows, published, organisation, department, text)
    _needs(rows, published, organisation, department, text)
    _principles(rows, published, organisation, round_)
    _confidence(rows, published, organisation, department)
    return rows.rows


def _response(
    rows: _Rows, published: Publication, organisation: _Place | None, department: DepartmentPlace
) -> None:
    """Who was asked and who answered (not confidential): per department, and for the whole
    organisation in a view of all of it (a lead's digest shows their departments' only)."""
    invited: dict[str, int] = {}
    answered: dict[str, int] = {}
    for name, state, _, n in published.invitations:
        if state in (InvitationState.ON_LEAVE, InvitationState.LEFT):
            continue  # not counted as asked, as in the digest
        invited[name] = invited.get(name, 0) + n
        if state == InvitationState.SUBMITTED:
            answered[name] = answered.get(name, 0) + n

    def add(place: _Place, asked: int, answers: int) -> None:
        rows.add(place, section="response", measure="invited", value=asked)
        rows.add(place, section="response", measure="answered", value=answers)
        rate = round(answers / asked, 4) if asked else None
        rows.add(place, section="response", measure="response_rate", value=rate, why=NOBODY_ASKED)

    if organisation is not None:
        add(organisation, sum(invited.values()), sum(answered.values()))
    for name in sorted(invited):
        add(department(name), invited[name], answered.get(name, 0))


def _statuses(
    rows: _Rows,
    place: _Place,
    counts: dict[str, int] | None,
    *,
    measure: str,
    why: str,
    area: str,
    activity: tuple[str, str],
    text: Text,
) -> None:
    for status in STATUSES:
        rows.add(
            place,
            section=Section.ACTIVITY_STATUS,
            measure=measure,
            value=None if counts is None else counts.get(status, 0),
            why=why,
            area=area,
            activity=activity,
            category=status,
            category_label=_status_label(text, status),
        )


def _activities(
    rows: _Rows,
    published: Publication,
    organisation: _Place,
    department: DepartmentPlace,
    text: Text,
) -> None:
    if published.activities is None:
        return
    # every area the round asked about, in plan order; an area none of whose activities has
    # published figures has none itself
    for area in dict.fromkeys(a.area for a in published.activities):
        _statuses(
            rows,
            organisation,
            published.areas.get(area),
            measure="area_chefs",
            why=TOO_FEW,
            area=area,
            activity=("", ""),
            text=text,
        )
    for a in published.activities:
        activity = (a.code, a.title)
        cells: list[tuple[_Place, dict[str, int] | None, str, str]] = [
            (organisation, a.counts, "chefs", TOO_FEW),
            (organisation, a.department_counts, "departments", TOO_FEW),
            *((department(name), cell, "chefs", PROTECTED) for name, cell in a.departments.items()),
        ]
        for place, counts, measure, why in cells:
            _statuses(
                rows,
                place,
                counts,
                measure=measure,
                why=why,
                area=a.area,
                activity=activity,
                text=text,
            )


def _needs(
    rows: _Rows,
    published: Publication,
    organisation: _Place,
    department: DepartmentPlace,
    text: Text,
) -> None:
    if published.needs is None:
        return
    by_need = {n.need: n for n in published.needs}
    names = sorted({name for n in published.needs for name in n.departments})
    for need in NEEDS:
        figures = by_need.get(need)
        if figures is None:
            continue
        label = text(f"checkin.need.{need}")
        common: dict[str, Any] = {
            "section": Section.STRENGTHS_NEEDS,
            "category": need,
            "category_label": label,
        }
        rows.add(
            organisation,
            measure="need_some_or_great",
            value=figures.some_or_great,
            why=TOO_FEW,
            **common,
        )
        rows.add(organisation, measure="need_great", value=figures.great, why=TOO_FEW, **common)
        for name in names:
            if name in figures.departments:
                rows.add(
                    department(name),
                    measure="need_some_or_great",
                    value=figures.departments[name],
                    why=PROTECTED,
                    **common,
                )


def _principles(rows: _Rows, published: Publication, organisation: _Place, round_: Round) -> None:
    if not reported(round_.sections.get(Section.PRINCIPLES, "")):
        return
    common: dict[str, Any] = {"section": Section.PRINCIPLES}
    rows.add(
        organisation,
        measure="principle_respondents",
        value=published.principle_respondents,
        **common,
    )
    if published.principles is None:
        # too few answered: the principles chosen are not published, and not named here
        rows.add(organisation, measure="principle_chosen", value=None, why=TOO_FEW, **common)
        return
    for number, title, chosen in published.principles:
        rows.add(
            organisation,
            measure="principle_chosen",
            value=chosen,
            category=str(number),
            category_label=title,
            **common,
        )


def _one_confidence(rows: _Rows, place: _Place, c: Confidence | None, *, why: str) -> None:
    common: dict[str, Any] = {"section": Section.CONFIDENCE, "why": why}
    shown = c is not None and c.mean is not None
    # the organisation's number who answered is published even when too few answered
    rows.add(place, measure="confidence_respondents", value=None if c is None else c.n, **common)
    rows.add(place, measure="confidence_mean", value=c.mean if shown and c else None, **common)
    rows.add(place, measure="confidence_median", value=c.median if shown and c else None, **common)
    for level in CONFIDENCE_LEVELS:
        rows.add(
            place,
            measure="confidence_level",
            value=c.distribution.get(level, 0) if shown and c else None,
            category=str(level),
            **common,
        )


def _confidence(
    rows: _Rows, published: Publication, organisation: _Place, department: DepartmentPlace
) -> None:
    if published.confidence is None:
        return
    _one_confidence(rows, organisation, published.confidence, why=TOO_FEW)
    for name, c in published.confidence_departments.items():
        _one_confidence(rows, department(name), c, why=PROTECTED)


# --- the rounds of one export ----------------------------------------------------------------


def exported(round_: Round) -> bool:
    """Has the round published figures to export: closed (or archived after it closed)?"""
    return round_.state in PUBLISHED_STATES and round_.closed_at is not None


async def export_rows(
    db: Database,
    rounds: Sequence[Round],
    *,
    departments: Collection[int] | None,
    now: datetime,
    policy: Policy,
    text: Text,
) -> list[ExportRow]:
    """The rows of these closed rounds, oldest first, each cut to `departments` (None: all)."""
    store = DigestStore(db)
    codes: dict[int, str] = {}
    rows: list[ExportRow] = []
    for round_ in sorted(rounds, key=lambda r: (r.deadline, r.id or 0)):
        assert round_.id is not None and exported(round_)
        subject = await store.subject(round_id=round_.id)
        assert subject is not None
        kept = await publication(db, subject, now=now, policy=policy)
        for department_id in kept.departments.values():
            if department_id is not None and department_id not in codes:
                found = await OrganisationStore(db).department(department_id)
                codes[department_id] = found.code if found is not None else ""
        rows += round_rows(
            subject,
            kept.cut(departments),
            whole=departments is None,
            department_codes=codes,
            text=text,
            policy=policy,
        )
    return rows


# --- the files -------------------------------------------------------------------------------


def _csv_cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, (date, int, float)):
        return value.isoformat() if isinstance(value, date) else str(value)
    text = str(value)
    # a text Excel would read as a formula is kept a text (OWASP's advice for CSV files)
    return f"'{text}" if text.startswith(FORMULA_START) else text


def write_csv(rows: Iterable[ExportRow]) -> bytes:
    """The rows as CSV: UTF-8 with BOM, `;`, CRLF, a header row of the column names."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow([_csv_cell(v) for v in astuple(row)])
    return buffer.getvalue().encode("utf-8-sig")


def write_xlsx(rows: Sequence[ExportRow]) -> bytes:
    """The rows as one sheet with a header row and an Excel table over them; numbers as
    numbers, dates as dates, a hidden value an empty cell."""
    wb = Workbook()
    sheet = wb.active
    assert sheet is not None
    sheet.title = SHEET
    for column, name in enumerate(COLUMNS, start=1):
        sheet.cell(1, column, name).font = Font(bold=True)
    for number, row in enumerate(rows, start=2):
        for column, value in enumerate(astuple(row), start=1):
            cell = sheet.cell(number, column)
            if isinstance(value, str):
                cell.value = xml_text(value)
                cell.data_type = "s"
                cell.quotePrefix = value.startswith(FORMULA_START)
            else:
                cell.value = value
                if isinstance(value, date):
                    cell.number_format = "yyyy-mm-dd"
    last = get_column_letter(len(COLUMNS))
    table = Table(displayName=SHEET, ref=f"A1:{last}{max(len(rows), 1) + 1}")
    table.tableStyleInfo = TableStyleInfo(name="TableStyleMedium2", showRowStripes=True)
    sheet.add_table(table)
    sheet.freeze_panes = "A2"
    for column, name in enumerate(COLUMNS, start=1):
        sheet.column_dimensions[get_column_letter(column)].width = max(12, len(name) + 2)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def write_export(rows: Sequence[ExportRow], kind: str) -> bytes:
    if kind == "csv":
        return write_csv(rows)
    if kind == "xlsx":
        return write_xlsx(rows)
    raise ValueError(kind)
