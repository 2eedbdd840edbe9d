"""HR and the programme's activities: the list of them, and ending one so that it is neither
asked nor carried into later rounds any more (one road for Teams and the command line:
authorise → act → audit)."""

from __future__ import annotations

from dataclasses import dataclass

from followup.check_in.carried import carried_activities
from followup.hr.operations import Call, authorise
from followup.rounds.lifecycle import RoundError
from storage.activity_store import ActivityStore
from storage.models import Activity, Programme


@dataclass(frozen=True)
class ActivityRow:
    """An activity as HR's list shows it; `carried`: left unfinished by some department, so
    it carries on into the next round past its listed years."""

    id: int
    programme: str
    code: str
    title: str
    years: tuple[int, ...]
    carried: bool


async def list_activities(call: Call) -> list[ActivityRow]:
    """The organisation's active activities that HR has not ended, in plan order."""
    await authorise(call, "activities")
    rows = await ActivityStore(call.db).of_organisation(call.organisation_id)
    carried: set[int] = set()
    for programme_id in {p.id for p, _ in rows if p.id is not None}:
        # what the rounds so far carry into the next one
        found = await carried_activities(
            call.db, programme_id=programme_id, round_id=None, deadline=call.now
        )
        carried |= {activity_id for _, activity_id in found}
    await call.audit("activity.list")
    return [
        ActivityRow(
            a.id,
            p.title,
            a.code,
            a.title,
            tuple(a.years),
            a.id in carried,
        )
        for p, a in rows
        if a.id is not None and a.ended_at is None
    ]


async def end_activity(
    call: Call,
    *,
    activity_id: int | None = None,
    code: str | None = None,
    programme_code: str | None = None,
) -> tuple[Programme, Activity]:
    """End an activity (by id from a card, or by its code from the command line; a code two
    programmes share needs the programme's code): it is not asked or carried any more.
    Refused, changing nothing, for an activity unknown in the organisation or ended already."""
    await authorise(call, "end_activity")
    store = ActivityStore(call.db)
    if activity_id is None:
        wanted = (code or "").strip().casefold()
        matches = [
            (p, a)
            for p, a in await store.of_organisation(call.organisation_id)
            if a.code.casefold() == wanted
            and (programme_code is None or p.code.casefold() == programme_code.casefold())
        ]
        if len(matches) > 1:
            raise RoundError("activity_ambiguous", activity=code or "")
        if not matches:
            raise RoundError("unknown_activity", activity=code or "")
        activity_id = matches[0][1].id
    assert activity_id is not None
    async with call.db.session() as session, session.begin():
        found = await store.end(
            organisation_id=call.organisation_id,
            activity_id=activity_id,
            now=call.now,
            session=session,
        )
        if found is None:
            raise RoundError("unknown_activity", activity=code or str(activity_id))
        programme, activity, ended = found
        if not ended:
            # a stale card, a second press, or one a plan import took out already
            raise RoundError("activity_ended", activity=activity.code)
    await call.audit("activity.end", programme=programme.id, activity=activity.code)
    return programme, activity
