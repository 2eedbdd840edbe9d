"""A programme's activities over time: what departments reported on them in earlier rounds (so
unfinished ones carry on), and HR ending one."""

from __future__ import annotations

import functools
from collections.abc import Collection
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import bindparam
from sqlmodel import col, select

from storage.database import Database, Session
from storage.invitation_store import INVITATION_CHEF, INVITATION_DEPARTMENT
from storage.models import (
    Activity,
    ActivityStatusAnswer,
    Chef,
    Invitation,
    InvitationState,
    Programme,
    Round,
)


class DepartmentReport(NamedTuple):
    """One submitted status of one activity, by the department the chef was invited in."""

    round_id: int
    deadline: datetime
    department_id: int | None
    activity_id: int
    status: str


@functools.cache
def _rounds_before(*, exclude: bool) -> Any:
    """Rounds of `:programme_id` in `:states` with a deadline before `:before` (not `:exclude`,
    when `exclude`): read on every turn of a check-in, so built once."""
    rounds = select(Round.id, Round.deadline).where(
        col(Round.programme_id) == bindparam("programme_id"),
        col(Round.deadline) < bindparam("before"),
        col(Round.state).in_(bindparam("states", expanding=True)),
    )
    if exclude:
        rounds = rounds.where(col(Round.id) != bindparam("exclude"))
    return rounds


@functools.cache
def _latest_first(rounds: Any) -> Any:
    return rounds.order_by(col(Round.deadline).desc(), col(Round.id).desc())


class ActivityStore:
    """Reads the reports that decide which activities carry on; ends an activity."""

    def __init__(self, db: Database) -> None:
        self._db = db

    @staticmethod
    def _reporting(
        *,
        programme_id: int,
        before: datetime,
        round_states: Collection[str],
        exclude_round_id: int | None,
    ) -> tuple[Any, dict[str, Any]]:
        """The programme's rounds in `round_states` with a deadline before `before` (but
        `exclude_round_id`): the statement, built once, and its values."""
        params: dict[str, Any] = {
            "programme_id": programme_id,
            "before": before,
            "states": [str(state) for state in round_states],
        }
        if exclude_round_id is not None:
            params["exclude"] = exclude_round_id
        return _rounds_before(exclude=exclude_round_id is not None), params

    async def reporting_rounds(
        self,
        *,
        programme_id: int,
        before: datetime,
        round_states: Collection[str],
        exclude_round_id: int | None = None,
        session: Session | None = None,
    ) -> list[int]:
        """The ids of the rounds `department_reports` reads, the latest (by deadline) first."""
        query, params = self._reporting(
            programme_id=programme_id,
            before=before,
            round_states=round_states,
            exclude_round_id=exclude_round_id,
        )
        async with self._db.joined(session) as s:
            rows = (await s.exec(_latest_first(query), params=params)).all()
            return [i for i, _ in rows if i is not None]

    async def department_reports(
        self,
        *,
        programme_id: int,
        before: datetime,
        round_states: Collection[str],
        exclude_round_id: int | None = None,
        department_ids: Collection[int] | None = None,
        activity_ids: Collection[int] | None = None,
        round_ids: Collection[int] | None = None,
        session: Session | None = None,
    ) -> list[DepartmentReport]:
        """Which statuses the programme's rounds (in these states, with a deadline before
        `before`) got for each activity from each department (the one each chef was invited
        in), from answers sent in; each once, however many chefs gave it (of these departments,
        activities and rounds only, when given)."""
        rounds, params = self._reporting(
            programme_id=programme_id,
            before=before,
            round_states=round_states,
            exclude_round_id=exclude_round_id,
        )
        if round_ids is not None:
            rounds = rounds.where(col(Round.id).in_(list(round_ids)))
        async with self._db.joined(session) as s:
            found = (await s.exec(rounds, params=params)).all()
            deadlines = {i: deadline for i, deadline in found if i}
            if not deadlines:
                return []  # no earlier round (a programme's first): nothing reported
            query = (
                select(
                    Invitation.round_id,
                    INVITATION_DEPARTMENT,
                    ActivityStatusAnswer.activity_id,
                    ActivityStatusAnswer.status,
                )
                .join(Invitation, col(Invitation.id) == col(ActivityStatusAnswer.invitation_id))
                .join(Chef, INVITATION_CHEF, isouter=True)
                .where(
                    col(Invitation.round_id).in_(list(deadlines)),
                    Invitation.state == InvitationState.SUBMITTED,
                )
            )
            if department_ids is not None:
                query = query.where(INVITATION_DEPARTMENT.in_(list(department_ids)))
            if activity_ids is not None:
                query = query.where(col(ActivityStatusAnswer.activity_id).in_(list(activity_ids)))
            # a round's statuses per department, not per chef: a few rows, read on every turn
            rows = (await s.exec(query.distinct())).all()
        return [
            DepartmentReport(round_id, deadlines[round_id], department_id, activity_id, status)
            for round_id, department_id, activity_id, status in rows
            if round_id in deadlines
        ]

    async def of_organisation(
        self, organisation_id: int, *, session: Session | None = None
    ) -> list[tuple[Programme, Activity]]:
        """Every active activity of the organisation's active programmes, in plan order."""
        query = (
            select(Programme, Activity)
            .join(Activity, col(Activity.programme_id) == col(Programme.id))
            .where(
                Programme.organisation_id == organisation_id,
                col(Programme.active),
                col(Activity.active),
            )
            .order_by(col(Programme.id), col(Activity.position), col(Activity.id))
        )
        async with self._db.joined(session) as s:
            return [(p, a) for p, a in (await s.exec(query)).all()]

    async def end(
        self, *, organisation_id: int, activity_id: int, now: datetime, session: Session
    ) -> tuple[Programme, Activity, bool] | None:
        """Mark an active activity of the organisation ended (in the caller's transaction, row
        locked), and the programme's plan as changed so cached plans are read again; with
        whether it was ended now (False: ended already, or no longer in the plan). None: no
        such activity in the organisation."""
        row = (
            await session.exec(
                select(Programme, Activity)
                .join(Activity, col(Activity.programme_id) == col(Programme.id))
                .where(Activity.id == activity_id, Programme.organisation_id == organisation_id)
                .with_for_update()
            )
        ).first()
        if row is None:
            return None
        programme, activity = row
        if activity.ended_at is not None or not activity.active:
            return programme, activity, False
        activity.ended_at = now
        programme.updated_at = now
        session.add(activity)
        session.add(programme)
        return programme, activity, True
