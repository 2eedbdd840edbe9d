"""How a round is going, for HR: per department, and who has not answered (identified rounds)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import func
from sqlmodel import col, select

from followup.policy import Policy
from followup.privacy import names_allowed
from followup.rounds import RoundError
from followup.sections import Section
from storage.database import Database
from storage.models import (
    Chef,
    Department,
    Invitation,
    InvitationState,
    OutboxKind,
    Round,
    RoundState,
)
from storage.outbox_store import NewMessage, OutboxStore

DELIVERED = frozenset(
    {InvitationState.DELIVERED, InvitationState.STARTED, InvitationState.SUBMITTED}
)
STARTED = frozenset({InvitationState.STARTED, InvitationState.SUBMITTED})
# who a reminder can still help
WAITING = frozenset({InvitationState.PENDING, InvitationState.DELIVERED, InvitationState.STARTED})
# who has not submitted (those on leave were never asked)
NOT_ANSWERED = WAITING | {InvitationState.UNREACHABLE}
# an invitation's chef, the department it counts under and why it could not be reached: the
# chef's, or the snapshot kept when retention detached it from the chef, so a long-closed
# round's figures stay the same
INVITATION_CHEF = col(Chef.id) == col(Invitation.chef_id)
INVITATION_DEPARTMENT = func.coalesce(col(Invitation.department_id), col(Chef.department_id))
UNREACHABLE_CODE = func.coalesce(col(Invitation.unreachable_code), col(Chef.unreachable_code))


def share(part: int, whole: int) -> float:
    """part / whole, or 0 for an empty whole (a response rate, say)."""
    return part / whole if whole else 0.0


@dataclass
class Counts:
    """Invitations by where they stand."""

    invited: int = 0
    delivered: int = 0
    started: int = 0
    submitted: int = 0
    unreachable: int = 0
    on_leave: int = 0
    reasons: Counter[str] = field(default_factory=Counter)

    def add(self, state: str, reason: str | None) -> None:
        if state == InvitationState.ON_LEAVE:
            self.on_leave += 1
            return
        self.invited += 1
        self.delivered += state in DELIVERED
        self.started += state in STARTED
        self.submitted += state == InvitationState.SUBMITTED
        if state == InvitationState.UNREACHABLE:
            self.unreachable += 1
            self.reasons[reason or "Unknown"] += 1

    @property
    def response_rate(self) -> float:
        return share(self.submitted, self.invited)


@dataclass
class Progress:
    round: Round
    total: Counts
    departments: dict[str, Counts]
    # names of chefs who have not answered; None when the round is not identified
    not_answered: list[str] | None


async def progress(
    db: Database,
    *,
    round_id: int,
    organisation_id: int | None = None,
    department_ids: frozenset[int] | None = None,
) -> Progress:
    """Where the round stands; only `department_ids` (a department lead's) when given."""
    async with db.session() as session:
        round_ = await session.get(Round, round_id)
        if round_ is None or (
            organisation_id is not None and round_.organisation_id != organisation_id
        ):
            raise RoundError("unknown_round", round=round_id)
        query = (
            select(Invitation.state, Chef.name, UNREACHABLE_CODE, Department.name)
            .join(Chef, INVITATION_CHEF, isouter=True)
            .join(Department, col(Department.id) == INVITATION_DEPARTMENT, isouter=True)
            .where(Invitation.round_id == round_id)
            .order_by(col(Chef.name))
        )
        if department_ids is not None:
            query = query.where(INVITATION_DEPARTMENT.in_(list(department_ids)))
        rows = (await session.exec(query)).all()
    total, departments = Counts(), dict[str, Counts]()
    waiting: list[str] = []
    for state, name, reason, department in rows:
        total.add(state, reason)
        departments.setdefault(department or "—", Counts()).add(state, reason)
        if state in NOT_ANSWERED and name is not None:
            waiting.append(name)
    # who has not answered is named only where answers may stand beside names
    identified = names_allowed(round_.sections.get(Section.ACTIVITY_STATUS, ""))
    return Progress(
        round_, total, dict(sorted(departments.items())), waiting if identified else None
    )


@dataclass
class RoundRow:
    """One round in HR's list, with how many have answered."""

    round: Round
    invited: int
    submitted: int

    @property
    def response_rate(self) -> float:
        return share(self.submitted, self.invited)


async def overview(
    db: Database, *, organisation_id: int, department_ids: frozenset[int] | None = None
) -> list[RoundRow]:
    """Every round of the organisation, newest deadline first, with its response rate."""
    async with db.session() as session:
        rounds = (
            await session.exec(
                select(Round)
                .where(Round.organisation_id == organisation_id)
                .order_by(col(Round.deadline).desc(), col(Round.id).desc())
            )
        ).all()
        query = (
            select(Invitation.round_id, Invitation.state, func.count())
            .join(Round, col(Round.id) == col(Invitation.round_id))
            .where(Round.organisation_id == organisation_id)
            .group_by(col(Invitation.round_id), col(Invitation.state))
        )
        if department_ids is not None:
            query = query.join(Chef, INVITATION_CHEF, isouter=True).where(
                INVITATION_DEPARTMENT.in_(list(department_ids))
            )
        counts = (await session.exec(query)).all()
    invited: Counter[int] = Counter()
    submitted: Counter[int] = Counter()
    for round_id, state, n in counts:
        if state != InvitationState.ON_LEAVE:
            invited[round_id] += n
        if state == InvitationState.SUBMITTED:
            submitted[round_id] += n
    return [
        RoundRow(r, invited[r.id or 0], submitted[r.id or 0]) for r in rounds if r.id is not None
    ]


def reminder_key(round_id: int, chef_id: int, sequence: int) -> str:
    return f"round:{round_id}:chef:{chef_id}:{OutboxKind.REMINDER.value}:{sequence}"


def reminder_message(round_: Round, chef_id: int, dedupe_key: str) -> NewMessage:
    """A reminder to one chef; its card is rendered when it is sent."""
    return NewMessage(
        organisation_id=round_.organisation_id,
        dedupe_key=dedupe_key,
        kind=OutboxKind.REMINDER.value,
        round_id=round_.id,
        chef_id=chef_id,
        payload={},
    )


@dataclass
class Reminding:
    reminded: int = 0
    at_cap: int = 0


async def remind(
    db: Database, *, round_id: int, now: datetime, organisation_id: int | None = None
) -> Reminding:
    """Remind now everyone who has not answered, at most the round's cap of reminders each."""
    result = Reminding()
    messages: list[NewMessage] = []
    async with db.session() as session, session.begin():
        round_ = await session.get(Round, round_id, with_for_update=True)
        if round_ is None or (
            organisation_id is not None and round_.organisation_id != organisation_id
        ):
            raise RoundError("unknown_round", round=round_id)
        if round_.state != RoundState.OPEN or round_.deadline <= now:
            raise RoundError("not_open", state=round_.state)
        invitations = (
            await session.exec(
                select(Invitation).where(
                    Invitation.round_id == round_id,
                    col(Invitation.state).in_(list(WAITING)),
                )
            )
        ).all()
        for invitation in invitations:
            assert invitation.chef_id is not None  # only a long-closed round's are detached
            if invitation.reminders_sent >= round_.reminder_cap:
                result.at_cap += 1
                continue
            invitation.reminders_sent += 1
            messages.append(
                reminder_message(
                    round_,
                    invitation.chef_id,
                    reminder_key(round_id, invitation.chef_id, invitation.reminders_sent),
                )
            )
        # with the counts, in one transaction: a crash loses neither
        result.reminded = await OutboxStore(db).enqueue(messages, now=now, session=session)
    return result


async def set_on_leave(
    db: Database,
    *,
    organisation_id: int,
    until: date | None,
    now: datetime,
    policy: Policy,
    upn: str | None = None,
    chef_id: int | None = None,
) -> Chef:
    """Mark a chef (by UPN or id) on leave until a date (None: back); rounds skip them meanwhile."""
    if until is not None and until < policy.today(now):
        raise RoundError("leave_in_past")
    query = select(Chef).where(Chef.organisation_id == organisation_id, col(Chef.active))
    if chef_id is not None:
        query = query.where(Chef.id == chef_id)
    else:
        query = query.where(Chef.upn == (upn or "").strip().lower())
    async with db.session() as session, session.begin():
        chef = (await session.exec(query)).first()
        if chef is None:
            raise RoundError("unknown_chef", upn=upn or chef_id or "")
        chef.on_leave_until = until
        chef.updated_at = now
    return chef
