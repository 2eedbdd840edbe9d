"""Helpers for import tests: snapshots of what the database holds, and files to import."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from openpyxl import Workbook
from sqlmodel import select

from followup.policy import Policy
from storage.database import Database
from storage.models import (
    Activity,
    ActivityDepartment,
    Area,
    Chef,
    Department,
    Principle,
    Programme,
)
from storage.organisation_store import OrganisationStore

TABLES = (Programme, Department, Principle, Area, Activity, ActivityDepartment, Chef)


async def snapshot(db: Database) -> dict[str, list[dict[str, Any]]]:
    """Everything the imports write, as plain data, to compare before and after."""
    result: dict[str, list[dict[str, Any]]] = {}
    async with db.session() as session:
        for table in TABLES:
            rows = (await session.exec(select(table))).all()
            result[table.__tablename__] = sorted(  # type: ignore[attr-defined]
                (r.model_dump() for r in rows), key=repr
            )
    return result


async def new_organisation(db: Database) -> int:
    org = await OrganisationStore(db).create(
        tenant_id="11111111-2222-3333-4444-555555555555", name="Testkommunen", default_k=Policy().k
    )
    assert org.id is not None
    return org.id


def write_xlsx(path: Path, sheets: dict[str, list[list[Any]]]) -> Path:
    wb = Workbook()
    assert wb.active is not None
    wb.remove(wb.active)
    for title, rows in sheets.items():
        ws = wb.create_sheet(title)
        for row in rows:
            ws.append(row)
    wb.save(path)
    return path
