"""Activities that carry on until done: which unfinished activities a department is asked about
again in a later round of the same programme, past the years the plan lists for them.

The rule, in one place (the README says the same):

- A department's word on an activity is what its chefs reported in the **latest earlier round of
  the programme in which any of them reported on it** (sent-in answers only, counted by the
  department each chef was invited in — so a chef who moved later does not move the report).
- The activity is **carried** for that department while, in that round, **at least one** of its
  chefs reported it not finished (ej påbörjad, pågår or försenad). It ends for the department
  when a later round's reports from it all say genomförd or ej aktuell.
- It is never carried once HR ended it (`Activity.ended_at`) or a plan import no longer lists
  it (inactive).

A carried activity is asked of every chef of the department (also one who joined since), shown
with the department's most urgent unfinished status of that round (försenad before ej påbörjad
before pågår)."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import datetime

from followup.sections import OPEN_STATUSES
from storage.activity_store import ActivityStore, DepartmentReport
from storage.database import Database, Session
from storage.models import Activity, Round, RoundState
from storage.plan_store import PlanStore

# the earlier rounds whose sent-in reports count (the same the check-in's "last round" reads)
REPORTING_STATES = (RoundState.OPEN, RoundState.CLOSED, RoundState.ARCHIVED)
# the unfinished statuses, most urgent first: a department's status when its chefs differ
URGENCY = ("delayed", "not_started", "in_progress")


def department_status(statuses: Iterable[str]) -> str | None:
    """One department's status of an activity from its chefs' reports of one round: its most
    urgent unfinished one; else genomförd when anyone said so; else ej aktuell; None: none."""
    given = set(statuses)
    for status in URGENCY:
        if status in given:
            return status
    if "done" in given:
        return "done"
    return "not_applicable" if "not_applicable" in given else None


def carried_from(reports: Iterable[DepartmentReport]) -> dict[tuple[int, int], str]:
    """(department id, activity id) → the department's unfinished status, for every activity
    the rule carries on; reports without a department carry nothing."""
    latest: dict[tuple[int, int], tuple[datetime, int]] = {}
    statuses: dict[tuple[int, int, int], set[str]] = {}
    for report in reports:
        if report.department_id is None:
            continue
        key = (report.department_id, report.activity_id)
        when = (report.deadline, report.round_id)
        if key not in latest or when > latest[key]:
            latest[key] = when
        statuses.setdefault((*key, report.round_id), set()).add(report.status)
    carried: dict[tuple[int, int], str] = {}
    for (department_id, activity_id), (_, round_id) in latest.items():
        status = department_status(statuses[(department_id, activity_id, round_id)])
        if status in OPEN_STATUSES:
            assert status is not None
            carried[(department_id, activity_id)] = status
    return carried


async def carried_activities(
    db: Database,
    *,
    programme_id: int,
    round_id: int | None,
    deadline: datetime,
    department_ids: Collection[int] | None = None,
    activity_ids: Collection[int] | None = None,
    session: Session | None = None,
) -> dict[tuple[int, int], str]:
    """What the rule carries into a round (by its deadline) from the programme's earlier rounds,
    for these departments and activities (None: all): (department id, activity id) → its
    unfinished status. Whether the activity is still active and not ended is for the caller's
    plan to say."""
    store = ActivityStore(db)

    async def reports_of(round_ids: Collection[int] | None = None) -> list[DepartmentReport]:
        return await store.department_reports(
            programme_id=programme_id,
            before=deadline,
            round_states=REPORTING_STATES,
            exclude_round_id=round_id,
            department_ids=department_ids,
            activity_ids=activity_ids,
            round_ids=round_ids,
            session=session,
        )

    if department_ids is None or activity_ids is None:
        return carried_from(await reports_of())
    # a department's word on an activity is its latest round's: the rounds are read the latest
    # first, and an older one only while some department and activity asked about has not been
    # heard of yet (a region's rounds are millions of reports; usually the last one settles all)
    unheard = {(d, a) for d in department_ids for a in activity_ids}
    reports: list[DepartmentReport] = []
    earlier_rounds = await store.reporting_rounds(
        programme_id=programme_id,
        before=deadline,
        round_states=REPORTING_STATES,
        exclude_round_id=round_id,
        session=session,
    )
    for earlier in earlier_rounds:
        if not unheard:
            break
        found = await reports_of((earlier,))
        reports.extend(found)
        unheard -= {(r.department_id, r.activity_id) for r in found}
    return carried_from(reports)


async def carried_into(
    db: Database,
    round_: Round,
    activities: Iterable[Activity],
    planned: Iterable[Activity],
    department_id: int | None,
    *,
    session: Session | None = None,
) -> dict[int, str]:
    """Activity id → the department's unfinished status, for each of the programme's active
    `activities` that a round asks a department about only because the rule carries it (not
    `planned` for it this year, and not ended by HR)."""
    if department_id is None or round_.id is None:
        return {}
    asked = {a.id for a in planned}
    candidates = {
        a.id for a in activities if a.id is not None and a.ended_at is None and a.id not in asked
    }
    if not candidates:
        return {}
    carried = await carried_activities(
        db,
        programme_id=round_.programme_id,
        round_id=round_.id,
        deadline=round_.deadline,
        department_ids=(department_id,),
        activity_ids=candidates,
        session=session,
    )
    return {
        activity_id: status
        for (_, activity_id), status in carried.items()
        if activity_id in candidates
    }


async def carried_into_round(
    db: Database,
    round_: Round,
    *,
    year: int,
    department_ids: Collection[int],
    session: Session | None = None,
) -> dict[int, set[int]]:
    """Activity id → the departments (of `department_ids`, those the round asked) a round asked
    about it only because the rule carried it: still in the plan, not ended by HR before the
    round opened, and not planned for that department in the round's `year`."""
    if round_.id is None or not department_ids:
        return {}
    plan = PlanStore(db)
    activities = {
        a.id: a
        for a in await plan.activities(round_.programme_id, active_only=True, session=session)
    }
    links: dict[int, set[int]] = {}
    for link in await plan.activity_links(list(activities), session=session):
        links.setdefault(link.activity_id, set()).add(link.department_id)
    opened = round_.opens_at or round_.created_at

    def could_carry(activity: Activity, department_id: int) -> bool:
        """Still running when the round opened, and not planned for the department then."""
        if activity.ended_at is not None and activity.ended_at <= opened:
            return False
        planned = year in activity.years and (
            activity.all_departments or department_id in links.get(activity.id or 0, ())
        )
        return not planned

    # only these can be carried: the earlier rounds' reports are read for them alone (a
    # region's rounds are millions of reports, and most activities are planned every year)
    candidates = {
        i
        for i, a in activities.items()
        if i is not None and any(could_carry(a, d) for d in department_ids)
    }
    if not candidates:
        return {}
    carried: dict[int, set[int]] = {}
    found = await carried_activities(
        db,
        programme_id=round_.programme_id,
        round_id=round_.id,
        deadline=round_.deadline,
        department_ids=department_ids,
        activity_ids=candidates,
        session=session,
    )
    for department_id, activity_id in found:
        activity = activities.get(activity_id)
        if activity is not None and could_carry(activity, department_id):
            carried.setdefault(activity_id, set()).add(department_id)
    return carried
