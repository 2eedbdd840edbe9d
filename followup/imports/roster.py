"""Imports the roster of unit managers (enhetschefer), keyed by UPN."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from followup.imports.changes import ImportReport, key_of, rolled_back_if, sync_records
from followup.imports.fields import Checker
from followup.imports.problems import ImportRejected, Location, Problem
from followup.imports.tabular import (
    Column,
    ImportFile,
    Row,
    as_file,
    check_size,
    file_format,
    find_sheet,
    read_csv,
    read_workbook,
    read_yaml,
    rows_from_grid,
    yaml_rows,
)
from storage.chef_store import ChefStore
from storage.database import Database
from storage.models import Chef, EnrolmentSource
from storage.plan_store import PlanStore
from storage.types import utcnow

ROSTER_SHEET = ("Chefer", "Enhetschefer", "Chefs", "Roster")
ROSTER_COLUMNS = (
    Column("upn", ("E-post (UPN)", "UPN", "Användarnamn"), True),
    Column("name", ("Namn", "Name"), True),
    Column("department", ("Avdelning", "Department"), True),
    Column("unit", ("Enhet", "Unit")),
    Column("email", ("E-post", "E-mail", "Email")),
    Column("object_id", ("Objekt-id", "Object id", "Entra objekt-id", "Object ID")),
    Column("active", ("Aktiv", "Active")),
    Column("on_leave_until", ("Frånvarande till", "On leave until", "Tjänstledig till")),
)
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_OBJECT_ID = re.compile(
    r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
)


@dataclass(frozen=True)
class ChefSpec:
    upn: str
    name: str
    department: str
    unit: str
    email: str
    object_id: str | None
    active: bool
    on_leave_until: date | None
    row: Row


def check_chef(chk: Checker, r: Row) -> ChefSpec:
    """One chef's fields read and checked, every problem at its cell: the roster file's rows
    and HR's card for a new chef (`followup.hr.roster_edits`) alike."""
    upn = chk.text(r, "upn", required=True, max_len=320).lower()
    if upn and not _EMAIL.match(upn):
        chk.add(r, "upn", "bad_upn", value=upn)
    email = chk.text(r, "email", max_len=320).lower()
    if email and not _EMAIL.match(email):
        chk.add(r, "email", "bad_upn", value=email)
    email = email or upn
    object_id = chk.text(r, "object_id", max_len=64).lower() or None
    if object_id and not _OBJECT_ID.match(object_id):
        chk.add(r, "object_id", "bad_object_id", value=object_id)
    return ChefSpec(
        upn=upn,
        name=chk.text(r, "name", required=True, max_len=200),
        department=chk.code(r, "department"),
        unit=chk.text(r, "unit", max_len=200),
        email=email,
        object_id=object_id,
        active=chk.boolean(r, "active", default=True),
        on_leave_until=chk.date(r, "on_leave_until"),
        row=r,
    )


def _rows(path: ImportFile, problems: list[Problem]) -> list[Row]:
    fmt = file_format(path)
    if fmt == "xlsx":
        sheets = read_workbook(path)
        found = find_sheet(sheets, ROSTER_SHEET)
        if found is None and len(sheets) == 1:
            found = next(iter(sheets.items()))
        if found is None:
            raise ImportRejected(
                [
                    Problem(
                        Location(path.name, ROSTER_SHEET[0]),
                        "missing_sheet",
                        {"sheet": ROSTER_SHEET[0]},
                    )
                ]
            )
        return rows_from_grid(
            file=path.name,
            sheet=found[0],
            grid=found[1],
            columns=ROSTER_COLUMNS,
            letters=True,
            problems=problems,
        )
    if fmt == "csv":
        return rows_from_grid(
            file=path.name,
            sheet=None,
            grid=read_csv(path),
            columns=ROSTER_COLUMNS,
            letters=False,
            problems=problems,
        )
    data = read_yaml(path)
    if not isinstance(data, dict) or "chefs" not in data:
        raise ImportRejected(
            [
                Problem(
                    Location(path.name, "chefs", kind="yaml"), "missing_sheet", {"sheet": "chefs"}
                )
            ]
        )
    return yaml_rows(
        file=path.name,
        section="chefs",
        items=data["chefs"],
        columns=ROSTER_COLUMNS,
        problems=problems,
        parent_line=data.get("__line__"),
    )


def parse_roster(path: Path | ImportFile) -> list[ChefSpec]:
    """Read and check a roster file on its own. Raises ImportRejected with every problem found."""
    chefs, problems = _parse(path)
    if problems:
        raise ImportRejected(_sorted(problems))
    return chefs


def _sorted(problems: list[Problem]) -> list[Problem]:
    return sorted(problems, key=lambda p: (p.location.row or 0, p.code))


def _parse(source: Path | ImportFile) -> tuple[list[ChefSpec], list[Problem]]:
    path = as_file(source)
    check_size(path)
    problems: list[Problem] = []
    rows = _rows(path, problems)
    chk = Checker()
    chefs = [check_chef(chk, r) for r in rows]
    for field, keyf in (("upn", lambda c: c.upn), ("object_id", lambda c: c.object_id)):
        seen: dict[str, Row] = {}
        for c in chefs:
            key = keyf(c)
            if not key:
                continue
            if key in seen:
                chk.add(c.row, field, "duplicate_key", key=key, first_row=seen[key].number)
            else:
                seen[key] = c.row
    problems.extend(chk.problems)
    return chefs, problems


async def import_roster(
    db: Database,
    *,
    organisation_id: int,
    path: Path | ImportFile,
    clock: Callable[[], datetime] = utcnow,
    preview: bool = False,
) -> ImportReport:
    """Check the whole roster, then apply it in one transaction. Chefs left out are deactivated
    (self-enrolled chefs, who never came from a file, are kept) and remember when they left.

    `preview`: the same, rolled back at the end (what it would do, so preview and apply agree)."""
    specs, problems = _parse(path)
    now = clock()
    report = ImportReport("roster", path.name)
    async with db.session() as session, rolled_back_if(session, preview):
        departments = {
            key_of(d.code): d
            for d in await PlanStore(db).departments(
                organisation_id, active_only=True, session=session
            )
        }
        existing = {
            key_of(c.upn): c for c in await ChefStore(db).roster(organisation_id, session=session)
        }
        chk = Checker()
        by_object_id = {c.aad_object_id: c for c in existing.values() if c.aad_object_id}
        for spec in specs:
            if spec.department and key_of(spec.department) not in departments:
                chk.add(spec.row, "department", "unknown_department", value=spec.department)
            other = by_object_id.get(spec.object_id) if spec.object_id else None
            if other is not None and other.upn != spec.upn:
                chk.add(
                    spec.row, "object_id", "object_id_taken", value=spec.object_id, upn=other.upn
                )
        problems += chk.problems
        if problems:
            raise ImportRejected(_sorted(problems))

        wanted = []
        for spec in specs:
            attrs: dict[str, object] = {
                "upn": spec.upn,
                "name": spec.name,
                "email": spec.email,
                "unit": spec.unit,
                "department_id": departments[key_of(spec.department)].id,
                "on_leave_until": spec.on_leave_until,
                "source": EnrolmentSource.IMPORT,
                "active": spec.active,
            }
            if spec.object_id:
                attrs["aad_object_id"] = spec.object_id
            wanted.append((spec.upn, attrs))
        sync_records(
            session,
            existing=existing,
            wanted=wanted,
            create=lambda a: Chef(
                organisation_id=organisation_id, created_at=now, updated_at=now, **a
            ),
            changes=report.section("chefs"),
            deactivate_missing=lambda c: c.source == EnrolmentSource.IMPORT,
            touch=lambda c: _touch(c, now),
        )
    return report


def _touch(chef: Chef, now: datetime) -> None:
    """A chef the import changed; one who left the roster remembers when (retention counts from
    there), one who is back on it forgets it."""
    chef.updated_at = now
    if not chef.active and chef.left_at is None:
        chef.left_at = now
    elif chef.active:
        chef.left_at = None
