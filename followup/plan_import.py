"""Imports a programme plan (programme, departments, principles, areas, activities)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from followup.changes import ImportReport, key_of, sync_records
from followup.fields import Checker
from followup.policy import Policy
from followup.problems import ImportRejected, Location, Problem
from followup.tabular import (
    Column,
    Row,
    check_size,
    file_format,
    find_sheet,
    read_csv,
    read_workbook,
    read_yaml,
    rows_from_grid,
    strip_lines,
    yaml_rows,
)
from storage.database import Database
from storage.models import (
    Activity,
    ActivityDepartment,
    Area,
    Department,
    Principle,
    Programme,
)
from storage.types import utcnow

PROGRAMME_SHEET = ("Program", "Programme", "Programmet")
DEPARTMENT_SHEET = ("Avdelningar", "Departments")
PRINCIPLE_SHEET = ("Principer", "Ledande principer", "Principles")
AREA_SHEET = ("Områden", "Omraden", "Areas")
ACTIVITY_SHEET = ("Aktiviteter", "Activities")

PROGRAMME_FIELDS = (
    Column("code", ("Kod", "Code"), True),
    Column("title", ("Titel", "Title", "Namn"), True),
    Column("start_year", ("Startår", "Start year"), True),
    Column("end_year", ("Slutår", "End year"), True),
    Column("goal", ("Mål", "Goal")),
    Column("opens", ("Öppnar", "Opens", "calendar.opens")),
    Column("answer_days", ("Svarstid (dagar)", "Svarstid", "Answer days", "calendar.answer_days")),
)
KEY_VALUE_COLUMNS = (
    Column("field", ("Fält", "Field"), True),
    Column("value", ("Värde", "Value"), True),
)
DEPARTMENT_COLUMNS = (
    Column("code", ("Kod", "Code"), True),
    Column("name", ("Namn", "Name", "Avdelning", "Department"), True),
)
PRINCIPLE_COLUMNS = (
    Column("number", ("Nr", "Nummer", "Number", "No"), True),
    Column("title", ("Princip", "Principle", "Titel", "Title"), True),
    Column("description", ("Beskrivning", "Description")),
)
AREA_COLUMNS = (
    Column("code", ("Kod", "Code"), True),
    Column("name", ("Område", "Area", "Namn", "Name"), True),
)
ACTIVITY_COLUMNS = (
    Column("code", ("Kod", "Code"), True),
    Column("area", ("Område", "Area"), True),
    Column("title", ("Aktivitet", "Activity", "Titel", "Title"), True),
    Column("description", ("Beskrivning", "Description")),
    Column("departments", ("Avdelningar", "Departments"), True),
    Column("years", ("År", "Years"), True),
    Column("owner", ("Ansvarig", "Owner")),
    Column("due", ("Klart senast", "Due")),
)


@dataclass(frozen=True)
class ProgrammeSpec:
    code: str
    title: str
    start_year: int
    end_year: int
    goal: str
    round_opens: tuple[str, ...]
    answer_days: int


@dataclass(frozen=True)
class DepartmentSpec:
    code: str
    name: str


@dataclass(frozen=True)
class PrincipleSpec:
    number: int
    title: str
    description: str


@dataclass(frozen=True)
class AreaSpec:
    code: str
    name: str
    position: int


@dataclass(frozen=True)
class ActivitySpec:
    code: str
    area: str
    title: str
    description: str
    departments: tuple[str, ...] | None  # None: every department
    years: tuple[int, ...]
    owner: str
    due: date | None
    position: int
    row: Row


@dataclass(frozen=True)
class PlanSpec:
    """A plan file read and checked on its own; CSV files carry the activities only."""

    file: str
    programme: ProgrammeSpec | None
    departments: tuple[DepartmentSpec, ...] | None
    principles: tuple[PrincipleSpec, ...] | None
    areas: tuple[AreaSpec, ...] | None
    activities: tuple[ActivitySpec, ...]


@dataclass
class _RawPlan:
    programme: Row | None
    departments: list[Row] | None
    principles: list[Row] | None
    areas: list[Row] | None
    activities: list[Row]


def _read_xlsx(path: Path, problems: list[Problem]) -> _RawPlan:
    sheets = read_workbook(path)

    def sheet_rows(
        names: Sequence[str], columns: Sequence[Column], required: bool
    ) -> list[Row] | None:
        found = find_sheet(sheets, names)
        if found is None:
            if required:
                problems.append(
                    Problem(Location(path.name, names[0]), "missing_sheet", {"sheet": names[0]})
                )
            return None
        title, grid = found
        return rows_from_grid(
            file=path.name, sheet=title, grid=grid, columns=columns, letters=True, problems=problems
        )

    programme: Row | None = None
    kv_rows = sheet_rows(PROGRAMME_SHEET, KEY_VALUE_COLUMNS, True)
    if kv_rows is not None:
        programme = _key_value_row(path.name, kv_rows, problems)
    return _RawPlan(
        programme=programme,
        departments=sheet_rows(DEPARTMENT_SHEET, DEPARTMENT_COLUMNS, True),
        principles=sheet_rows(PRINCIPLE_SHEET, PRINCIPLE_COLUMNS, False),
        areas=sheet_rows(AREA_SHEET, AREA_COLUMNS, True),
        activities=sheet_rows(ACTIVITY_SHEET, ACTIVITY_COLUMNS, True) or [],
    )


class _KeyValueRow(Row):
    """The Program sheet: one field a row; each value remembers its own row."""

    def __init__(self, file: str, sheet: str | None, rows: dict[str, Row]) -> None:
        first = min((r.number for r in rows.values()), default=1)
        super().__init__(file, sheet, first, {k: r.get("value") for k, r in rows.items()})
        self._rows = rows

    def loc(self, field_name: str | None = None) -> Location:
        if field_name in self._rows:
            return self._rows[field_name].loc("value")
        return Location(self.file, self.sheet, None, _label(field_name))


def _label(field_name: str | None) -> str | None:
    for column in PROGRAMME_FIELDS:
        if column.field == field_name:
            return column.labels[0]
    return field_name


def _key_value_row(file: str, rows: list[Row], problems: list[Problem]) -> Row:
    by_label = {
        " ".join(label.split()).casefold(): c.field
        for c in PROGRAMME_FIELDS
        for label in (c.field, *c.labels)
    }
    found: dict[str, Row] = {}
    sheet = rows[0].sheet if rows else None
    for row in rows:
        label = row.get("field")
        name = by_label.get(" ".join(str(label).split()).casefold()) if label is not None else None
        if name is None:
            problems.append(Problem(row.loc("field"), "unknown_field", {"field": str(label)}))
            continue
        if name in found:
            problems.append(Problem(row.loc("field"), "duplicate_field", {"field": str(label)}))
            continue
        found[name] = row
    return _KeyValueRow(file, sheet, found)


def _read_yaml(path: Path, problems: list[Problem]) -> _RawPlan:
    data = read_yaml(path)
    if not isinstance(data, dict):
        raise ImportRejected([Problem(Location(path.name, kind="yaml"), "yaml_expected_mapping")])
    line = data.pop("__line__", None)
    known = {"programme", "departments", "principles", "areas", "activities"}
    for key in data:
        if key not in known:
            problems.append(
                Problem(
                    Location(path.name, None, line, str(key), "yaml"),
                    "unknown_section",
                    {"section": str(key)},
                )
            )
    programme: Row | None = None
    raw = data.get("programme")
    if not isinstance(raw, dict):
        problems.append(
            Problem(
                Location(path.name, "programme", line, None, "yaml"),
                "missing_sheet",
                {"sheet": "programme"},
            )
        )
    else:
        p_line = raw.pop("__line__", None)
        values: dict[str, Any] = {}
        columns: dict[str, str] = {}
        calendar = raw.pop("calendar", None)
        if isinstance(calendar, dict):
            calendar = strip_lines(calendar)
            for key in ("opens", "answer_days"):
                if key in calendar:
                    values[key] = calendar.pop(key)
                    columns[key] = f"calendar.{key}"
            for key in calendar:
                problems.append(
                    Problem(
                        Location(path.name, "programme", p_line, f"calendar.{key}", "yaml"),
                        "unknown_column",
                        {"header": f"calendar.{key}"},
                    )
                )
        elif calendar is not None:
            problems.append(
                Problem(
                    Location(path.name, "programme", p_line, "calendar", "yaml"),
                    "yaml_expected_mapping",
                )
            )
        allowed = {c.field for c in PROGRAMME_FIELDS} - {"opens", "answer_days"}
        for key, value in strip_lines(raw).items():
            if key not in allowed:
                problems.append(
                    Problem(
                        Location(path.name, "programme", p_line, str(key), "yaml"),
                        "unknown_column",
                        {"header": str(key)},
                    )
                )
                continue
            values[key] = value.strip() if isinstance(value, str) else value
        programme = Row(path.name, "programme", p_line or 0, values, columns, "yaml")

    def section(name: str, columns: Sequence[Column], required: bool) -> list[Row] | None:
        if name not in data:
            if required:
                problems.append(
                    Problem(
                        Location(path.name, name, None, None, "yaml"),
                        "missing_sheet",
                        {"sheet": name},
                    )
                )
            return None
        return yaml_rows(
            file=path.name,
            section=name,
            items=data[name],
            columns=columns,
            problems=problems,
            parent_line=line,
        )

    return _RawPlan(
        programme=programme,
        departments=section("departments", DEPARTMENT_COLUMNS, True),
        principles=section("principles", PRINCIPLE_COLUMNS, False),
        areas=section("areas", AREA_COLUMNS, True),
        activities=section("activities", ACTIVITY_COLUMNS, True) or [],
    )


def _read_csv(path: Path, problems: list[Problem]) -> _RawPlan:
    rows = rows_from_grid(
        file=path.name,
        sheet=None,
        grid=read_csv(path),
        columns=ACTIVITY_COLUMNS,
        letters=False,
        problems=problems,
    )
    return _RawPlan(None, None, None, None, rows)


def _unique(chk: Checker, rows_and_keys: list[tuple[Row, str, str]]) -> None:
    seen: dict[str, Row] = {}
    for row, field, key in rows_and_keys:
        if not key:
            continue
        if key_of(key) in seen:
            chk.add(row, field, "duplicate_key", key=key, first_row=seen[key_of(key)].number)
        else:
            seen[key_of(key)] = row


def parse_plan(path: Path, *, known_years: tuple[int, int] | None = None) -> PlanSpec:
    """Read and check a plan file on its own. Raises ImportRejected with every problem found."""
    spec, problems = _parse(path, known_years)
    if problems:
        raise ImportRejected(_sorted(problems))
    return spec


def _parse(path: Path, known_years: tuple[int, int] | None) -> tuple[PlanSpec, list[Problem]]:
    check_size(path)
    fmt = file_format(path)
    problems: list[Problem] = []
    reader: Callable[[Path, list[Problem]], _RawPlan] = {
        "xlsx": _read_xlsx,
        "yaml": _read_yaml,
        "csv": _read_csv,
    }[fmt]
    raw = reader(path, problems)
    chk = Checker()

    programme: ProgrammeSpec | None = None
    years = known_years or (2000, 2100)
    if raw.programme is not None:
        row = raw.programme
        start = chk.integer(row, "start_year", required=True, low=2000, high=2100)
        end = chk.integer(row, "end_year", required=True, low=2000, high=2100)
        if start is not None and end is not None and end < start:
            chk.add(row, "end_year", "end_before_start", start=start, end=end)
        programme = ProgrammeSpec(
            code=chk.text(row, "code", required=True, max_len=80),
            title=chk.text(row, "title", required=True, max_len=300),
            start_year=start or 0,
            end_year=end or 0,
            goal=chk.text(row, "goal", max_len=4000),
            # a plan without its calendar gets the default one (not a deployment setting)
            round_opens=chk.month_days(row, "opens", default=Policy().round_opens),
            answer_days=chk.integer(row, "answer_days", low=1, high=120) or Policy().answer_days,
        )
        if start and end and end >= start:
            years = (start, end)

    departments = None
    if raw.departments is not None:
        departments = tuple(
            DepartmentSpec(chk.code(r, "code"), chk.text(r, "name", required=True))
            for r in raw.departments
        )
        _unique(
            chk, [(r, "code", d.code) for r, d in zip(raw.departments, departments, strict=True)]
        )

    principles = None
    if raw.principles is not None:
        principles = tuple(
            PrincipleSpec(
                chk.integer(r, "number", required=True, low=1, high=99) or 0,
                chk.text(r, "title", required=True, max_len=300),
                chk.text(r, "description", max_len=4000),
            )
            for r in raw.principles
        )
        _unique(
            chk,
            [
                (r, "number", str(p.number or ""))
                for r, p in zip(raw.principles, principles, strict=True)
            ],
        )

    areas = None
    if raw.areas is not None:
        areas = tuple(
            AreaSpec(chk.code(r, "code"), chk.text(r, "name", required=True), i)
            for i, r in enumerate(raw.areas)
        )
        _unique(chk, [(r, "code", a.code) for r, a in zip(raw.areas, areas, strict=True)])

    activities = []
    for i, r in enumerate(raw.activities):
        activities.append(
            ActivitySpec(
                code=chk.code(r, "code"),
                area=chk.code(r, "area"),
                title=chk.text(r, "title", required=True, max_len=300),
                description=chk.text(r, "description", max_len=4000),
                departments=chk.code_list(r, "departments"),
                years=chk.years(r, "years", low=years[0], high=years[1]),
                owner=chk.text(r, "owner", max_len=200),
                due=chk.date(r, "due"),
                position=i,
                row=r,
            )
        )
    _unique(chk, [(a.row, "code", a.code) for a in activities])
    for a in activities:
        if a.due is not None and a.years and not a.years[0] <= a.due.year <= a.years[-1] + 1:
            chk.add(a.row, "due", "due_outside_years", value=a.due.isoformat())

    # references inside the file; a CSV's references are checked against the database later
    if areas is not None:
        known_areas = {key_of(a.code) for a in areas}
        for a in activities:
            if a.area and key_of(a.area) not in known_areas:
                chk.add(a.row, "area", "unknown_area", value=a.area)
    if departments is not None:
        _check_departments(chk, activities, {key_of(d.code) for d in departments})

    problems.extend(chk.problems)
    spec = PlanSpec(
        file=path.name,
        programme=programme,
        departments=departments,
        principles=principles,
        areas=areas,
        activities=tuple(activities),
    )
    return spec, problems


def _check_departments(chk: Checker, activities: Sequence[ActivitySpec], known: set[str]) -> None:
    for a in activities:
        for code in a.departments or ():
            if key_of(code) not in known:
                chk.add(a.row, "departments", "unknown_department", value=code)


def _sorted(problems: list[Problem]) -> list[Problem]:
    return sorted(problems, key=lambda p: (p.location.sheet or "", p.location.row or 0, p.code))


async def import_plan(
    db: Database,
    *,
    organisation_id: int,
    path: Path,
    programme_code: str | None = None,
    clock: Callable[[], datetime] = utcnow,
) -> ImportReport:
    """Check the whole file, then apply it in one transaction.

    A file with any problem changes nothing."""
    fmt = file_format(path)
    async with db.session() as session, session.begin():
        existing_programme = None
        if fmt == "csv":
            existing_programme = await _programme_for_csv(
                session, organisation_id, programme_code, path
            )
            spec, problems = _parse(
                path, (existing_programme.start_year, existing_programme.end_year)
            )
            problems += await _check_csv_references(session, spec, existing_programme)
            if problems:
                raise ImportRejected(_sorted(problems))
        else:
            spec = parse_plan(path)
        return await _apply(
            session,
            organisation_id=organisation_id,
            spec=spec,
            programme=existing_programme,
            now=clock(),
        )


async def _programme_for_csv(
    session: AsyncSession, organisation_id: int, code: str | None, path: Path
) -> Programme:
    query = select(Programme).where(
        Programme.organisation_id == organisation_id, col(Programme.active)
    )
    programmes = list((await session.exec(query)).all())
    if code is not None:
        programmes = [p for p in programmes if key_of(p.code) == key_of(code)]
    if len(programmes) == 1:
        return programmes[0]
    problem = (
        "unknown_programme" if code else ("no_programme" if not programmes else "which_programme")
    )
    raise ImportRejected([Problem(Location(path.name), problem, {"code": code or ""})])


async def _check_csv_references(
    session: AsyncSession, spec: PlanSpec, programme: Programme
) -> list[Problem]:
    """A CSV of activities refers to areas and departments the database already holds."""
    areas = (
        await session.exec(select(Area).where(Area.programme_id == programme.id, col(Area.active)))
    ).all()
    departments = (
        await session.exec(
            select(Department).where(
                Department.organisation_id == programme.organisation_id, col(Department.active)
            )
        )
    ).all()
    chk = Checker()
    known_areas = {key_of(a.code) for a in areas}
    for a in spec.activities:
        if a.area and key_of(a.area) not in known_areas:
            chk.add(a.row, "area", "unknown_area", value=a.area)
    _check_departments(chk, spec.activities, {key_of(d.code) for d in departments})
    return chk.problems


async def _apply(
    session: AsyncSession,
    *,
    organisation_id: int,
    spec: PlanSpec,
    programme: Programme | None,
    now: datetime,
) -> ImportReport:
    report = ImportReport("plan", spec.file)

    # departments (the organisation's, shared with the roster)
    dept_rows = (
        await session.exec(select(Department).where(Department.organisation_id == organisation_id))
    ).all()
    departments = {key_of(d.code): d for d in dept_rows}
    if spec.departments is not None:
        departments = sync_records(
            session,
            existing=departments,
            wanted=[(d.code, {"code": d.code, "name": d.name}) for d in spec.departments],
            create=lambda a: Department(organisation_id=organisation_id, **a),
            changes=report.section("departments"),
        )

    # the programme
    if spec.programme is not None:
        p = spec.programme
        found = (
            await session.exec(
                select(Programme).where(Programme.organisation_id == organisation_id)
            )
        ).all()
        programmes = sync_records(
            session,
            existing={key_of(x.code): x for x in found},
            wanted=[
                (
                    p.code,
                    {
                        "code": p.code,
                        "title": p.title,
                        "start_year": p.start_year,
                        "end_year": p.end_year,
                        "goal": p.goal,
                        "round_opens": list(p.round_opens),
                        "answer_days": p.answer_days,
                    },
                )
            ],
            create=lambda a: Programme(
                organisation_id=organisation_id, created_at=now, updated_at=now, **a
            ),
            changes=report.section("programme"),
            deactivate_missing=lambda _p: False,  # other programmes of the organisation stay
        )
        programme = programmes[key_of(p.code)]
        if p.code in report.section("programme").changed:
            programme.updated_at = now
        await session.flush()
    assert programme is not None and programme.id is not None
    programme_id = programme.id

    if spec.principles is not None:
        found_p = (
            await session.exec(select(Principle).where(Principle.programme_id == programme_id))
        ).all()
        sync_records(
            session,
            existing={str(x.number): x for x in found_p},
            wanted=[
                (
                    str(x.number),
                    {"number": x.number, "title": x.title, "description": x.description},
                )
                for x in spec.principles
            ],
            create=lambda a: Principle(programme_id=programme_id, **a),
            changes=report.section("principles"),
        )

    found_areas = (await session.exec(select(Area).where(Area.programme_id == programme_id))).all()
    areas = {key_of(a.code): a for a in found_areas}
    if spec.areas is not None:
        areas = sync_records(
            session,
            existing=areas,
            wanted=[
                (a.code, {"code": a.code, "name": a.name, "position": a.position})
                for a in spec.areas
            ],
            create=lambda a: Area(programme_id=programme_id, **a),
            changes=report.section("areas"),
        )
    await session.flush()

    found_acts = (
        await session.exec(select(Activity).where(Activity.programme_id == programme_id))
    ).all()
    existing_links = (
        await session.exec(
            select(ActivityDepartment).where(
                col(ActivityDepartment.activity_id).in_([a.id for a in found_acts])
            )
        )
    ).all()
    links: dict[int, set[int]] = {}
    for link in existing_links:
        links.setdefault(link.activity_id, set()).add(link.department_id)
    activities_changes = report.section("activities")
    activities = sync_records(
        session,
        existing={key_of(a.code): a for a in found_acts},
        wanted=[
            (
                a.code,
                {
                    "code": a.code,
                    "area_id": areas[key_of(a.area)].id,
                    "title": a.title,
                    "description": a.description,
                    "owner": a.owner,
                    "years": list(a.years),
                    "all_departments": a.departments is None,
                    "due": a.due,
                    "position": a.position,
                },
            )
            for a in spec.activities
        ],
        create=lambda a: Activity(programme_id=programme_id, **a),
        changes=activities_changes,
    )
    await session.flush()
    for a in spec.activities:
        record = activities[key_of(a.code)]
        assert record.id is not None
        wanted_ids = {
            d_id for c in a.departments or () if (d_id := departments[key_of(c)].id) is not None
        }
        have = links.get(record.id, set())
        if wanted_ids != have:
            for link in existing_links:
                if link.activity_id == record.id and link.department_id not in wanted_ids:
                    await session.delete(link)
            for department_id in wanted_ids - have:
                session.add(ActivityDepartment(activity_id=record.id, department_id=department_id))
            if a.code not in activities_changes.added and a.code not in activities_changes.changed:
                activities_changes.changed.append(a.code)
    if not report.unchanged:
        programme.updated_at = now  # a new version of the plan (readers cache by it)
    return report
