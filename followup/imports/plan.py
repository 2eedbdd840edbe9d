"""Imports a programme plan (programme, departments, principles, areas, activities): the file
is read (`plan_reading`), checked (`plan_checks`) and applied (`plan_apply`)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from followup.imports.changes import ImportReport, rolled_back_if
from followup.imports.plan_apply import apply_plan, programme_for_csv
from followup.imports.plan_checks import (
    PlanSpec,
    check_csv_references,
    check_plan,
    parse_plan,
    sorted_problems,
)
from followup.imports.problems import ImportRejected
from followup.imports.tabular import ImportFile, as_file, file_format
from storage.database import Database
from storage.plan_store import PlanStore
from storage.types import utcnow

__all__ = ["ImportReport", "PlanSpec", "import_plan", "parse_plan"]


async def import_plan(
    db: Database,
    *,
    organisation_id: int,
    path: Path | ImportFile,
    programme_code: str | None = None,
    clock: Callable[[], datetime] = utcnow,
    preview: bool = False,
) -> ImportReport:
    """Check the whole file, then apply it in one transaction.

    A file with any problem changes nothing. `preview`: the same, rolled back at the end."""
    path = as_file(path)
    fmt = file_format(path)
    plans = PlanStore(db)
    async with db.session() as session, rolled_back_if(session, preview):
        existing_programme = None
        if fmt == "csv":
            existing_programme = await programme_for_csv(
                plans, session, organisation_id=organisation_id, code=programme_code, path=path
            )
            spec, problems = check_plan(
                path, (existing_programme.start_year, existing_programme.end_year)
            )
            # a CSV of activities refers to areas and departments the database already holds
            assert existing_programme.id is not None
            problems += check_csv_references(
                spec,
                areas=await plans.areas(existing_programme.id, active_only=True, session=session),
                departments=await plans.departments(
                    existing_programme.organisation_id, active_only=True, session=session
                ),
            )
            if problems:
                raise ImportRejected(sorted_problems(problems))
        else:
            spec = parse_plan(path)
        report = await apply_plan(
            plans,
            session,
            organisation_id=organisation_id,
            spec=spec,
            programme=existing_programme,
            now=clock(),
        )
    return report
