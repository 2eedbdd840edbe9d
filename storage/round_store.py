"""Rounds (omgångar) and the departments they are for: creating, finding, locking, and the
rounds the scheduler's passes are due to open, close, remind or report on.

The lifecycle's rules live in `followup.rounds.lifecycle`; this store only reads and writes the
rows, inside the caller's transaction where a row lock or an atomic change needs one."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime

from sqlalchemy import func
from sqlmodel import col, delete, or_, select

from storage.database import Database, Session
from storage.models import Department, Round, RoundDepartment, RoundState


def _ids(rows: Sequence[int | None]) -> list[int]:
    return [round_id for round_id in rows if round_id is not None]


class RoundStore:
    """Reads and writes rounds and their chosen departments."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def get(
        self, round_id: int, *, lock: bool = False, session: Session | None = None
    ) -> Round | None:
        """One round; `lock` (with the caller's session): for update, until its transaction ends."""
        async with self._db.joined(session) as s:
            return await s.get(Round, round_id, with_for_update=lock)

    async def lock(self, round_id: int, *, session: Session) -> Round | None:
        """One round, locked for update until the caller's transaction ends: what keeps two
        replicas (or two clicks) from opening, closing or changing it twice."""
        return await session.get(Round, round_id, with_for_update=True)

    async def add(
        self, round_: Round, *, department_ids: Collection[int], session: Session
    ) -> Round:
        """A new round with the departments it is for (none: everyone), in the caller's
        transaction; it has its id on return."""
        session.add(round_)
        await session.flush()
        assert round_.id is not None
        for department_id in department_ids:
            session.add(RoundDepartment(round_id=round_.id, department_id=department_id))
        return round_

    async def choose_departments(
        self, round_id: int, *, department_ids: Collection[int], session: Session
    ) -> None:
        """The departments the round is for from now on (none: everyone), replacing the ones
        chosen before, in the caller's transaction."""
        await session.exec(delete(RoundDepartment).where(col(RoundDepartment.round_id) == round_id))
        await session.flush()
        for department_id in department_ids:
            session.add(RoundDepartment(round_id=round_id, department_id=department_id))

    async def chosen_departments(
        self, round_id: int, *, session: Session | None = None
    ) -> list[int]:
        """The ids of the departments chosen for the round (empty when none were)."""
        async with self._db.joined(session) as s:
            return list(
                (
                    await s.exec(
                        select(RoundDepartment.department_id).where(
                            RoundDepartment.round_id == round_id
                        )
                    )
                ).all()
            )

    async def department_names(self, round_id: int, *, session: Session | None = None) -> list[str]:
        """The names of the departments chosen for the round, alphabetically."""
        query = (
            select(Department.name)
            .join(RoundDepartment, col(RoundDepartment.department_id) == col(Department.id))
            .where(RoundDepartment.round_id == round_id)
            .order_by(col(Department.name))
        )
        async with self._db.joined(session) as s:
            return list((await s.exec(query)).all())

    async def live_titled(
        self, *, programme_id: int, title: str, session: Session | None = None
    ) -> int | None:
        """The id of a round of the programme with this title (in any case) that is not
        archived, if there is one."""
        async with self._db.joined(session) as s:
            return (
                await s.exec(
                    select(Round.id).where(
                        Round.programme_id == programme_id,
                        func.lower(Round.title) == title.lower(),
                        Round.state != RoundState.ARCHIVED,
                    )
                )
            ).first()

    async def latest(
        self,
        *,
        organisation_id: int,
        states: Collection[str],
        session: Session | None = None,
    ) -> Round | None:
        """The organisation's round in one of `states` with the latest deadline."""
        async with self._db.joined(session) as s:
            return (
                await s.exec(
                    select(Round)
                    .where(
                        Round.organisation_id == organisation_id,
                        col(Round.state).in_([str(state) for state in states]),
                    )
                    .order_by(col(Round.deadline).desc(), col(Round.id).desc())
                )
            ).first()

    async def of_organisation(
        self, organisation_id: int, *, session: Session | None = None
    ) -> list[Round]:
        """Every round of the organisation, newest deadline first."""
        async with self._db.joined(session) as s:
            return list(
                (
                    await s.exec(
                        select(Round)
                        .where(Round.organisation_id == organisation_id)
                        .order_by(col(Round.deadline).desc(), col(Round.id).desc())
                    )
                ).all()
            )

    async def of_programme(
        self, *, programme_id: int, states: Collection[str], session: Session
    ) -> list[Round]:
        """The programme's rounds in these states, locked for update in the caller's
        transaction, oldest first."""
        return list(
            (
                await session.exec(
                    select(Round)
                    .where(
                        Round.programme_id == programme_id,
                        col(Round.state).in_([str(state) for state in states]),
                    )
                    .order_by(col(Round.id))
                    .with_for_update()
                )
            ).all()
        )

    async def still_open(
        self,
        *,
        now: datetime,
        organisation_id: int | None = None,
        lock: bool = False,
        session: Session | None = None,
    ) -> list[Round]:
        """The open rounds whose deadline has not come (of one organisation, or all); `lock`
        (with the caller's session): for update, until its transaction ends."""
        query = select(Round).where(Round.state == RoundState.OPEN, col(Round.deadline) > now)
        if organisation_id is not None:
            query = query.where(Round.organisation_id == organisation_id)
        if lock:
            query = query.with_for_update()
        async with self._db.joined(session) as s:
            return list((await s.exec(query)).all())

    async def planned(
        self,
        *,
        programme_id: int,
        created_by: str,
        opens_at: datetime,
        titles: Collection[str],
        session: Session | None = None,
    ) -> int | None:
        """The id of a round `created_by` made for the programme that opens at `opens_at` or
        has one of these titles, in any state."""
        async with self._db.joined(session) as s:
            return (
                await s.exec(
                    select(Round.id).where(
                        Round.programme_id == programme_id,
                        Round.created_by == created_by,
                        or_(col(Round.opens_at) == opens_at, col(Round.title).in_(list(titles))),
                    )
                )
            ).first()

    async def scheduled(
        self,
        *,
        programme_id: int,
        after: datetime,
        created_by: str | None = None,
        lock: bool = False,
        session: Session | None = None,
    ) -> list[Round]:
        """The programme's scheduled rounds that open after `after`, soonest first (only those
        `created_by` made, when given); `lock` (with the caller's session): for update."""
        query = (
            select(Round)
            .where(
                Round.programme_id == programme_id,
                Round.state == RoundState.SCHEDULED,
                col(Round.opens_at) > after,
            )
            .order_by(col(Round.opens_at))
        )
        if created_by is not None:
            query = query.where(Round.created_by == created_by)
        if lock:
            query = query.with_for_update()
        async with self._db.joined(session) as s:
            return list((await s.exec(query)).all())

    async def opening_between(
        self, *, after: datetime, until: datetime, session: Session | None = None
    ) -> list[Round]:
        """Every scheduled round that opens after `after` and by `until`."""
        async with self._db.joined(session) as s:
            return list(
                (
                    await s.exec(
                        select(Round).where(
                            Round.state == RoundState.SCHEDULED,
                            col(Round.opens_at) > after,
                            col(Round.opens_at) <= until,
                        )
                    )
                ).all()
            )

    async def due_to_open(self, *, now: datetime, session: Session | None = None) -> list[int]:
        """Ids of the scheduled rounds whose opening time has come."""
        async with self._db.joined(session) as s:
            return _ids(
                (
                    await s.exec(
                        select(Round.id).where(
                            Round.state == RoundState.SCHEDULED, col(Round.opens_at) <= now
                        )
                    )
                ).all()
            )

    async def due_to_close(self, *, now: datetime, session: Session | None = None) -> list[int]:
        """Ids of the open rounds whose deadline has come."""
        async with self._db.joined(session) as s:
            return _ids(
                (
                    await s.exec(
                        select(Round.id).where(
                            Round.state == RoundState.OPEN, col(Round.deadline) <= now
                        )
                    )
                ).all()
            )

    async def closed_without_results(self, *, session: Session | None = None) -> list[int]:
        """Ids of the closed rounds whose results have not been queued yet."""
        async with self._db.joined(session) as s:
            return _ids(
                (
                    await s.exec(
                        select(Round.id).where(
                            Round.state == RoundState.CLOSED,
                            col(Round.results_queued_at).is_(None),
                        )
                    )
                ).all()
            )

    async def closed_unretained(
        self,
        *,
        organisation_id: int,
        closed_by: datetime,
        states: Collection[str],
        session: Session | None = None,
    ) -> list[int]:
        """Ids of the organisation's rounds in `states` that closed by `closed_by` and that
        retention has not handled yet, oldest close first."""
        async with self._db.joined(session) as s:
            rows = (
                await s.exec(
                    select(Round.id)
                    .where(
                        Round.organisation_id == organisation_id,
                        col(Round.state).in_(list(states)),
                        col(Round.closed_at).is_not(None),
                        col(Round.closed_at) <= closed_by,
                        col(Round.retained_at).is_(None),
                    )
                    .order_by(col(Round.closed_at), col(Round.id))
                )
            ).all()
        return _ids(rows)
