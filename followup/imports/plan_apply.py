"""Applying a checked plan: one transaction, upserts by stable keys (codes, numbers); what the
file no longer has is deactivated, never deleted (answers refer to it).

Departments are the exception: they belong to the organisation, not to one programme, and the
roster and every other programme use them too. A plan import adds departments and renames them
(and makes one it lists active again), but never deactivates one it does not list: a second
programme's plan that lists only ÄO leaves IFO, LSS and SPS, and their chefs, as they were."""

from __future__ import annotations

from datetime import datetime

from followup.imports.changes import ImportReport, key_of, sync_records
from followup.imports.plan_checks import PlanSpec
from followup.imports.problems import ImportRejected, Location, Problem
from followup.imports.tabular import ImportFile
from storage.database import Session
from storage.models import (
    Activity,
    ActivityDepartment,
    Area,
    Department,
    Principle,
    Programme,
)
from storage.plan_store import PlanStore


async def programme_for_csv(
    plans: PlanStore, session: Session, *, organisation_id: int, code: str | None, path: ImportFile
) -> Programme:
    """The active programme a CSV of activities is for: the one there is, or the one named."""
    programmes = await plans.programmes(organisation_id, active_only=True, session=session)
    if code is not None:
        programmes = [p for p in programmes if key_of(p.code) == key_of(code)]
    if len(programmes) == 1:
        return programmes[0]
    problem = (
        "unknown_programme" if code else ("no_programme" if not programmes else "which_programme")
    )
    raise ImportRejected([Problem(Location(path.name), problem, {"code": code or ""})])


async def apply_plan(
    plans: PlanStore,
    session: Session,
    *,
    organisation_id: int,
    spec: PlanSpec,
    programme: Programme | None,
    now: datetime,
) -> ImportReport:
    """Apply a checked plan inside the caller's transaction; what changed, section by section."""
    report = ImportReport("plan", spec.file)

    # departments (the organisation's, shared with the roster and every programme)
    dept_rows = await plans.departments(organisation_id, session=session)
    departments = {key_of(d.code): d for d in dept_rows}
    if spec.departments is not None:
        listed = sync_records(
            session,
            existing=departments,
            wanted=[(d.code, {"code": d.code, "name": d.name}) for d in spec.departments],
            create=lambda a: Department(organisation_id=organisation_id, **a),
            changes=report.section("departments"),
            deactivate_missing=lambda _d: False,  # another programme or the roster may use it
        )
        departments = {**departments, **listed}

    # the programme
    if spec.programme is not None:
        p = spec.programme
        found = await plans.programmes(organisation_id, session=session)
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
        found_p = await plans.principles(programme_id, session=session)
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

    found_areas = await plans.areas(programme_id, session=session)
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

    found_acts = await plans.activities(programme_id, session=session)
    existing_links = await plans.activity_links([a.id for a in found_acts], session=session)
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
                    await plans.unlink(link, session=session)
            for department_id in wanted_ids - have:
                session.add(ActivityDepartment(activity_id=record.id, department_id=department_id))
            if a.code not in activities_changes.added and a.code not in activities_changes.changed:
                activities_changes.changed.append(a.code)
    if not report.unchanged:
        programme.updated_at = now  # a new version of the plan (readers cache by it)
    return report
