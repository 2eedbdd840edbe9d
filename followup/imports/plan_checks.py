"""Checking a plan file on its own: typed records from the rows read, with every problem
(file, sheet, row, column) found at once; a CSV's references are checked against the database's
areas and departments by the caller."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from followup.imports.changes import key_of
from followup.imports.fields import Checker
from followup.imports.plan_reading import read_plan
from followup.imports.problems import ImportRejected, Problem
from followup.imports.tabular import ImportFile, Row, as_file, check_size
from followup.policy import Policy
from storage.models import Area, Department


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


def _unique(chk: Checker, rows_and_keys: list[tuple[Row, str, str]]) -> None:
    seen: dict[str, Row] = {}
    for row, field, key in rows_and_keys:
        if not key:
            continue
        if key_of(key) in seen:
            chk.add(row, field, "duplicate_key", key=key, first_row=seen[key_of(key)].number)
        else:
            seen[key_of(key)] = row


def parse_plan(path: Path | ImportFile, *, known_years: tuple[int, int] | None = None) -> PlanSpec:
    """Read and check a plan file on its own. Raises ImportRejected with every problem found."""
    spec, problems = check_plan(path, known_years)
    if problems:
        raise ImportRejected(sorted_problems(problems))
    return spec


def check_plan(
    source: Path | ImportFile, known_years: tuple[int, int] | None
) -> tuple[PlanSpec, list[Problem]]:
    path = as_file(source)
    check_size(path)
    problems: list[Problem] = []
    raw = read_plan(path, problems)
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
            chk.add(a.row, "due", "due_outside_years", value=a.due)

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


def sorted_problems(problems: list[Problem]) -> list[Problem]:
    return sorted(problems, key=lambda p: (p.location.sheet or "", p.location.row or 0, p.code))


def check_csv_references(
    spec: PlanSpec, *, areas: Iterable[Area], departments: Iterable[Department]
) -> list[Problem]:
    """A CSV of activities must refer to the programme's areas and the organisation's
    departments (the active ones the database holds)."""
    chk = Checker()
    known_areas = {key_of(a.code) for a in areas}
    for a in spec.activities:
        if a.area and key_of(a.area) not in known_areas:
            chk.add(a.row, "area", "unknown_area", value=a.area)
    _check_departments(chk, spec.activities, {key_of(d.code) for d in departments})
    return chk.problems
