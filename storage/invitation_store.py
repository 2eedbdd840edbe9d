"""Invitations (one chef in one round): where each stands, reminders, delivery, detaching."""

from __future__ import annotations

import functools
from collections.abc import Collection
from datetime import date, datetime
from typing import Any, NamedTuple

from sqlalchemy import bindparam, case, func, update
from sqlalchemy.orm import aliased
from sqlmodel import col, select

from storage.database import Database, Session
from storage.models import (
    Chef,
    Department,
    Invitation,
    InvitationState,
    Programme,
    Round,
    RoundState,
)

# an invitation's chef, the department it counts under and why it could not be reached.
# The department is the one the chef had when invited (`add` records it; migration 0010 filled
# the older ones from their chef), never the chef's today: a chef who moves, or who gets a
# department later, changes no figure of a round already asked. No fallback to the chef's
# department: it would recount exactly the invitations whose chef had none when invited.
INVITATION_CHEF = col(Chef.id) == col(Invitation.chef_id)
INVITATION_DEPARTMENT = col(Invitation.department_id)
UNREACHABLE_CODE = func.coalesce(col(Invitation.unreachable_code), col(Chef.unreachable_code))


def in_departments(query: Any, department_ids: Collection[int] | None) -> Any:
    """Only invitations counted under these departments (a department lead's view); all when
    None."""
    if department_ids is None:
        return query
    return query.where(INVITATION_DEPARTMENT.in_(sorted(department_ids)))


class Standing(NamedTuple):
    """One invitation of a round as HR's progress shows it."""

    state: str
    chef: str | None  # None once retention detached it
    unreachable_code: str | None
    department: str | None
    # the chef as the roster has them now (leave and having left are read from the chef)
    active: bool | None = None
    on_leave_until: date | None = None
    created_at: datetime | None = None


class StateCount(NamedTuple):
    """How many invitations of a round are in one state."""

    round_id: int
    state: str
    n: int


class Titled(NamedTuple):
    """An invitation with its round's title."""

    title: str
    invitation_id: int


class Detachable(NamedTuple):
    """An invitation with what retention keeps of its chef when detaching it."""

    invitation: Invitation
    unreachable_code: str | None


@functools.cache
def _for_check_in(earlier_states: tuple[str, ...]) -> Any:
    """`InvitationStore.for_check_in`'s statement, for the invitation `:invitation_id`; built
    once per set of states (building it is most of a turn's work in SQLAlchemy)."""
    earlier_invitation, earlier_round = aliased(Invitation), aliased(Round)
    previous = (
        select(earlier_invitation.id)
        .join(earlier_round, col(earlier_round.id) == col(earlier_invitation.round_id))
        .where(
            col(earlier_invitation.chef_id) == col(Invitation.chef_id),
            col(earlier_round.programme_id) == col(Round.programme_id),
            col(earlier_round.deadline) < col(Round.deadline),
            col(earlier_round.state).in_(earlier_states),
        )
        .order_by(col(earlier_round.deadline).desc())
        .limit(1)
        .correlate(Invitation, Round)
        .scalar_subquery()
    )
    # five columns: sqlmodel's `select` types at most four (`add_columns` is typed as
    # SQLAlchemy's Select; at run time it is sqlmodel's, as `exec` needs)
    return (
        select(Invitation, Round, Chef)
        .add_columns(col(Programme.updated_at), previous)
        .join(Round, col(Round.id) == col(Invitation.round_id))
        .join(Chef, col(Chef.id) == col(Invitation.chef_id))
        .join(Programme, col(Programme.id) == col(Round.programme_id))
        .where(col(Invitation.id) == bindparam("invitation_id"))
    )


class CheckInRow(NamedTuple):
    """An invitation with what its check-in starts from (`InvitationStore.for_check_in`)."""

    invitation: Invitation
    round: Round
    chef: Chef
    plan_version: datetime
    previous_id: int | None


class InvitationStore:
    """Reads and updates invitations."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def standings(
        self,
        *,
        round_id: int,
        department_ids: Collection[int] | None = None,
        session: Session | None = None,
    ) -> list[Standing]:
        """Every invitation of a round with its chef's name and department, by chef name."""
        query = in_departments(
            select(Invitation, Chef, UNREACHABLE_CODE, Department.name)
            .join(Chef, INVITATION_CHEF, isouter=True)
            .join(Department, col(Department.id) == INVITATION_DEPARTMENT, isouter=True)
            .where(Invitation.round_id == round_id)
            .order_by(col(Chef.name)),
            department_ids,
        )
        async with self._db.joined(session) as s:
            rows = (await s.exec(query)).all()
        return [
            Standing(
                i.state,
                c.name if c is not None else None,
                code,
                department,
                c.active if c is not None else None,
                c.on_leave_until if c is not None else None,
                i.created_at,
            )
            for i, c, code, department in rows
        ]

    async def state_counts(
        self,
        *,
        organisation_id: int,
        department_ids: Collection[int] | None = None,
        session: Session | None = None,
    ) -> list[StateCount]:
        """How many invitations of each round of the organisation are in each state."""
        query = (
            select(Invitation.round_id, Invitation.state, func.count())
            .join(Round, col(Round.id) == col(Invitation.round_id))
            .where(Round.organisation_id == organisation_id)
            .group_by(col(Invitation.round_id), col(Invitation.state))
        )
        query = in_departments(query, department_ids)
        async with self._db.joined(session) as s:
            return [StateCount(*row) for row in (await s.exec(query)).all()]

    async def in_states(
        self, *, round_id: int, states: Collection[str], session: Session
    ) -> list[Invitation]:
        """The round's invitations in these states, to change inside the caller's transaction."""
        return list(
            (
                await session.exec(
                    select(Invitation).where(
                        Invitation.round_id == round_id,
                        col(Invitation.state).in_(list(states)),
                    )
                )
            ).all()
        )

    async def of(
        self, *, round_id: int, chef_id: int, session: Session | None = None
    ) -> Invitation | None:
        """The invitation of one chef to one round, if any."""
        async with self._db.joined(session) as s:
            return (
                await s.exec(
                    select(Invitation).where(
                        Invitation.round_id == round_id, Invitation.chef_id == chef_id
                    )
                )
            ).first()

    async def mark_delivered(
        self, *, round_id: int, chef_id: int, activity_id: str | None, now: datetime
    ) -> None:
        """The invitation's card reached the chef: keep the card's id (to update it later) and
        the first delivery time; a pending or unreachable invitation becomes delivered."""
        async with self._db.joined(None, write=True) as s:
            await s.exec(
                update(Invitation)
                .where(
                    col(Invitation.round_id) == round_id,
                    col(Invitation.chef_id) == chef_id,
                )
                .values(
                    card_activity_id=activity_id,
                    delivered_at=func.coalesce(col(Invitation.delivered_at), now),
                    # why it had not arrived no longer holds
                    unreachable_code=None,
                    state=case(
                        (
                            col(Invitation.state).in_(
                                [InvitationState.PENDING.value, InvitationState.UNREACHABLE.value]
                            ),
                            InvitationState.DELIVERED.value,
                        ),
                        else_=col(Invitation.state),
                    ),
                )
            )

    async def mark_undelivered(self, *, round_id: int, chef_id: int, code: str) -> None:
        """The invitation never reached the chef (Teams did not take it): HR sees it among the
        unreachable, with why; only a pending one (one that arrived stays arrived)."""
        async with self._db.joined(None, write=True) as s:
            await s.exec(
                update(Invitation)
                .where(
                    col(Invitation.round_id) == round_id,
                    col(Invitation.chef_id) == chef_id,
                    col(Invitation.state) == InvitationState.PENDING.value,
                )
                .values(state=InvitationState.UNREACHABLE.value, unreachable_code=code)
            )

    async def back_to_pending(
        self, *, round_id: int, chef_ids: Collection[int], codes: Collection[str], session: Session
    ) -> None:
        """Invitations marked undelivered for one of these reasons are pending again (their
        message was queued again), in the caller's transaction."""
        if not chef_ids:
            return
        await session.exec(
            update(Invitation)
            .where(
                col(Invitation.round_id) == round_id,
                col(Invitation.chef_id).in_(list(chef_ids)),
                col(Invitation.state) == InvitationState.UNREACHABLE.value,
                col(Invitation.unreachable_code).in_(list(codes)),
            )
            .values(state=InvitationState.PENDING.value, unreachable_code=None)
        )

    async def set_state(self, *, invitation_id: int, state: str) -> None:
        async with self._db.joined(None, write=True) as s:
            invitation = await s.get(Invitation, invitation_id)
            if invitation is not None:
                invitation.state = state

    async def detachable(self, *, round_id: int, session: Session) -> list[Detachable]:
        """The round's invitations with their chefs' unreachable code, to detach inside the
        caller's transaction."""
        rows = (
            await session.exec(
                select(Invitation, UNREACHABLE_CODE)
                .join(Chef, INVITATION_CHEF, isouter=True)
                .where(Invitation.round_id == round_id)
            )
        ).all()
        return [Detachable(*row) for row in rows]

    async def forget_units(self, *, chef_id: int, session: Session) -> int:
        """Blank the unit on the chef's invitations (their identity is going: a unit usually
        has one chef), in the caller's transaction; how many had one."""
        result = await session.exec(
            update(Invitation)
            .where(col(Invitation.chef_id) == chef_id, col(Invitation.unit) != "")
            .values(unit="")
        )
        return int(result.rowcount or 0)

    async def rounds_of_chef(
        self,
        *,
        chef_id: int,
        exclude_states: Collection[str] = (),
        session: Session | None = None,
    ) -> list[tuple[Invitation, Round]]:
        """The chef's invitations with their rounds, by deadline (rounds in `exclude_states`
        left out)."""
        query = (
            select(Invitation, Round)
            .join(Round, col(Round.id) == col(Invitation.round_id))
            .where(Invitation.chef_id == chef_id)
            .order_by(col(Round.deadline), col(Round.id))
        )
        if exclude_states:
            query = query.where(col(Round.state).not_in(list(exclude_states)))
        async with self._db.joined(session) as s:
            return [(i, r) for i, r in (await s.exec(query)).all()]

    async def add(
        self,
        *,
        round_id: int,
        chef_id: int,
        created_at: datetime,
        state: str = InvitationState.PENDING.value,
        session: Session,
    ) -> Invitation:
        """A new invitation of a chef to a round, in the caller's transaction, with the
        department and unit the chef has now: the round counts them there for good."""
        # the caller has usually loaded the chef in this session: the identity map answers
        chef = await session.get(Chef, chef_id)
        invitation = Invitation(
            round_id=round_id,
            chef_id=chef_id,
            state=state,
            created_at=created_at,
            department_id=chef.department_id if chef is not None else None,
            unit=chef.unit if chef is not None else "",
        )
        session.add(invitation)
        return invitation

    async def chef_ids(
        self, *, round_id: int, state: str, session: Session | None = None
    ) -> list[int]:
        """The chefs whose invitation to the round is in this state (detached ones left out)."""
        async with self._db.joined(session) as s:
            rows = (
                await s.exec(
                    select(Invitation.chef_id).where(
                        Invitation.round_id == round_id, Invitation.state == state
                    )
                )
            ).all()
        return [chef_id for chef_id in rows if chef_id is not None]

    async def for_check_in(
        self,
        invitation_id: int,
        *,
        earlier_states: Collection[str],
        session: Session | None = None,
    ) -> CheckInRow | None:
        """What a check-in starts from, in one statement: the invitation with its round and
        chef, the version of the round's plan (`ProgrammeStore.version`), and the chef's
        invitation to the programme's latest earlier round in `earlier_states`.
        None when the invitation or its chef is gone."""
        async with self._db.joined(session) as s:
            row = (
                await s.exec(
                    _for_check_in(tuple(str(state) for state in earlier_states)),
                    params={"invitation_id": invitation_id},
                )
            ).first()
        if row is None:
            return None
        invitation, round_, chef, version, previous_id = row
        return CheckInRow(invitation, round_, chef, version, previous_id)

    async def answerable(
        self,
        *,
        chef_id: int,
        now: datetime,
        include_on_leave: bool = False,
        session: Session | None = None,
    ) -> int | None:
        """The chef's invitation to the open round that closes first; one the opening skipped
        for leave only with `include_on_leave` (the chef is back)."""
        skipped = [] if include_on_leave else [InvitationState.ON_LEAVE.value]
        async with self._db.joined(session) as s:
            rows = (
                await s.exec(
                    select(Invitation.id)
                    .join(Round, col(Round.id) == col(Invitation.round_id))
                    .where(
                        Invitation.chef_id == chef_id,
                        Round.state == RoundState.OPEN,
                        col(Round.deadline) > now,
                        col(Invitation.state).not_in(skipped),
                    )
                    .order_by(col(Round.deadline))
                    .limit(1)
                )
            ).all()
        return rows[0] if rows else None

    async def back_from_leave(
        self, *, invitation_id: int, now: datetime, session: Session | None = None
    ) -> None:
        """An invitation the opening skipped for leave, opened by the chef now they are back:
        it has reached them (they are answering it)."""
        async with self._db.joined(session, write=True) as s:
            await s.exec(
                update(Invitation)
                .where(
                    col(Invitation.id) == invitation_id,
                    col(Invitation.state) == InvitationState.ON_LEAVE.value,
                )
                .values(
                    state=InvitationState.DELIVERED.value,
                    created_at=now,
                    delivered_at=func.coalesce(col(Invitation.delivered_at), now),
                )
            )

    async def latest_of_chef(self, *, chef_id: int, session: Session | None = None) -> int | None:
        """The chef's invitation to the round (not a draft) with the latest deadline."""
        async with self._db.joined(session) as s:
            rows = (
                await s.exec(
                    select(Invitation.id)
                    .join(Round, col(Round.id) == col(Invitation.round_id))
                    .where(Invitation.chef_id == chef_id, Round.state != RoundState.DRAFT)
                    .order_by(col(Round.deadline).desc())
                    .limit(1)
                )
            ).all()
        return rows[0] if rows else None

    async def submitted_in_programme(
        self,
        *,
        chef_id: int,
        programme_id: int,
        until: datetime,
        session: Session | None = None,
    ) -> list[Titled]:
        """The chef's submitted invitations to the programme's rounds with a deadline by
        `until`, oldest deadline first, with each round's title."""
        async with self._db.joined(session) as s:
            rows = (
                await s.exec(
                    select(Round.title, Invitation.id)
                    .join(Invitation, col(Invitation.round_id) == col(Round.id))
                    .where(
                        Invitation.chef_id == chef_id,
                        Round.programme_id == programme_id,
                        col(Round.deadline) <= until,
                        Invitation.state == InvitationState.SUBMITTED,
                    )
                    .order_by(col(Round.deadline))
                )
            ).all()
        return [Titled(title, i) for title, i in rows if i is not None]
