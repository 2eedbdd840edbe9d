"""Collection rounds (omgångar): creating one, opening it for its audience, finding it again.

Opening resolves the audience — every active chef, or the chosen departments; chefs on leave are
skipped and listed — and queues one invitation per chef in the outbox."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func
from sqlmodel import col, select

from followup.policy import Policy
from followup.sections import DEFAULT_SECTIONS, Privacy, Section
from storage.database import Database
from storage.models import (
    Chef,
    Department,
    Invitation,
    InvitationState,
    OutboxKind,
    OutboxMessage,
    Programme,
    Round,
    RoundDepartment,
    RoundState,
)
from storage.outbox_store import NewMessage, OutboxStore


class RoundError(ValueError):
    """A rule of the round lifecycle was broken; `code` names it for the text catalogue."""

    def __init__(self, code: str, **params: object) -> None:
        super().__init__(code)
        self.code = code
        self.params = params


@dataclass
class Opening:
    """What opening a round did."""

    title: str = ""
    invited: list[int] = field(default_factory=list)
    on_leave: list[int] = field(default_factory=list)
    queued: int = 0


def invitation_key(round_id: int, chef_id: int, sequence: int = 1) -> str:
    return f"round:{round_id}:chef:{chef_id}:{OutboxKind.INVITATION.value}:{sequence}"


async def create_round(
    db: Database,
    *,
    organisation_id: int,
    programme_id: int,
    title: str,
    deadline: datetime,
    now: datetime,
    opens_at: datetime | None = None,
    created_by: str = "",
    department_ids: Sequence[int] = (),
    sections: dict[str, str] | None = None,
    policy: Policy,
    k: int | None = None,
    reminder_offsets: Sequence[int] | None = None,
    reminder_cap: int | None = None,
) -> Round:
    """A new round: a draft, or scheduled when it has a day to open on; k and the reminders
    are the policy's unless given."""
    k = policy.k if k is None else k
    reminder_offsets = policy.reminder_offsets if reminder_offsets is None else reminder_offsets
    reminder_cap = policy.reminder_cap if reminder_cap is None else reminder_cap
    chosen = dict(DEFAULT_SECTIONS) if sections is None else dict(sections)
    if not title.strip():
        raise RoundError("no_title")
    if not chosen:
        raise RoundError("no_sections")
    for section, privacy in chosen.items():
        if section not in set(Section) or privacy not in set(Privacy):
            raise RoundError("bad_section", section=section, privacy=privacy)
    if not 2 <= k <= 50:
        raise RoundError("bad_k", k=k)
    if any(offset < 0 or offset > 90 for offset in reminder_offsets) or not 0 <= reminder_cap <= 10:
        raise RoundError("bad_reminders")
    if deadline <= (opens_at or now):
        raise RoundError("deadline_before_opening")
    async with db.session() as session, session.begin():
        programme = await session.get(Programme, programme_id)
        if programme is None or programme.organisation_id != organisation_id:
            raise RoundError("unknown_programme", programme=programme_id)
        same_title = (
            await session.exec(
                select(Round.id).where(
                    Round.programme_id == programme_id,
                    func.lower(Round.title) == title.strip().lower(),
                    Round.state != RoundState.ARCHIVED,
                )
            )
        ).first()
        if same_title is not None:
            # also what keeps a double-clicked form from creating the round twice
            raise RoundError("duplicate_title", title=title.strip(), round=same_title)
        await _check_audience(
            session,
            organisation_id=organisation_id,
            department_ids=department_ids,
            today=policy.today(now),
        )
        round_ = Round(
            organisation_id=organisation_id,
            programme_id=programme_id,
            title=title.strip(),
            state=RoundState.SCHEDULED if opens_at is not None else RoundState.DRAFT,
            opens_at=opens_at,
            deadline=deadline,
            audience_all=not department_ids,
            sections=chosen,
            k=k,
            reminder_offsets=sorted(set(reminder_offsets), reverse=True),
            reminder_cap=reminder_cap,
            created_by=created_by,
            created_at=now,
            updated_at=now,
        )
        session.add(round_)
        await session.flush()
        assert round_.id is not None
        for department_id in department_ids:
            session.add(RoundDepartment(round_id=round_.id, department_id=department_id))
    return round_


async def _check_audience(
    session: Any, *, organisation_id: int, department_ids: Sequence[int], today: date
) -> None:
    """The departments are the organisation's, and someone in them can be asked."""
    if department_ids:
        known = (
            await session.exec(
                select(Department.id).where(
                    Department.organisation_id == organisation_id,
                    col(Department.id).in_(list(department_ids)),
                    col(Department.active),
                )
            )
        ).all()
        if set(known) != set(department_ids):
            raise RoundError("unknown_department")
    reach = await _audience(
        session,
        organisation_id=organisation_id,
        department_ids=list(department_ids) or None,
        today=today,
    )
    if not reach.invited and not reach.on_leave:
        raise RoundError("no_audience")


def on_leave(chef: Chef, today: date) -> bool:
    return chef.on_leave_until is not None and chef.on_leave_until >= today


@dataclass
class Audience:
    """Whom a round reaches: the chefs it invites, and those on leave it skips."""

    invited: list[Chef] = field(default_factory=list)
    on_leave: list[Chef] = field(default_factory=list)


async def _audience(
    session: Any, *, organisation_id: int, department_ids: Sequence[int] | None, today: date
) -> Audience:
    query = select(Chef).where(Chef.organisation_id == organisation_id, col(Chef.active))
    if department_ids is not None:
        query = query.where(col(Chef.department_id).in_(list(department_ids)))
    audience = Audience()
    for chef in (await session.exec(query.order_by(col(Chef.id)))).all():
        (audience.on_leave if on_leave(chef, today) else audience.invited).append(chef)
    return audience


async def preview_audience(
    db: Database,
    *,
    organisation_id: int,
    department_ids: Sequence[int] = (),
    now: datetime,
    policy: Policy,
) -> Audience:
    """Whom a round for these departments (none: all) would reach if it opened now."""
    async with db.session() as session:
        return await _audience(
            session,
            organisation_id=organisation_id,
            department_ids=list(department_ids) or None,
            today=policy.today(now),
        )


async def round_audience(db: Database, *, round_id: int, now: datetime, policy: Policy) -> Audience:
    """Whom this round reaches (or would reach, if it opened now)."""
    async with db.session() as session:
        round_ = await session.get(Round, round_id)
        if round_ is None:
            raise RoundError("unknown_round", round=round_id)
        return await _audience(
            session,
            organisation_id=round_.organisation_id,
            department_ids=await _departments_of(session, round_),
            today=policy.today(now),
        )


async def department_names(db: Database, *, round_id: int) -> list[str]:
    """The names of the departments a round is for; empty when it is for everyone."""
    async with db.session() as session:
        return list(
            (
                await session.exec(
                    select(Department.name)
                    .join(RoundDepartment, col(RoundDepartment.department_id) == col(Department.id))
                    .where(RoundDepartment.round_id == round_id)
                    .order_by(col(Department.name))
                )
            ).all()
        )


async def chosen_departments(db: Database, *, round_: Round) -> list[int]:
    """The ids of the departments a round is for; empty when it is for everyone."""
    async with db.session() as session:
        return await _departments_of(session, round_) or []


async def _departments_of(session: Any, round_: Round) -> list[int] | None:
    """The round's chosen departments; None when it is for everyone."""
    if round_.audience_all:
        return None
    return list(
        (
            await session.exec(
                select(RoundDepartment.department_id).where(RoundDepartment.round_id == round_.id)
            )
        ).all()
    )


async def open_round(
    db: Database,
    *,
    round_id: int,
    now: datetime,
    policy: Policy,
    organisation_id: int | None = None,
) -> Opening:
    """Open the round: invite every chef of its audience who is not on leave."""
    opening = Opening()
    today = policy.today(now)
    async with db.session() as session, session.begin():
        round_ = await _locked(session, round_id, organisation_id)
        if round_.state not in (RoundState.DRAFT, RoundState.SCHEDULED):
            raise RoundError("not_openable", state=round_.state)
        if round_.deadline <= now:
            raise RoundError("deadline_passed")
        audience = await _audience(
            session,
            organisation_id=round_.organisation_id,
            department_ids=await _departments_of(session, round_),
            today=today,
        )
        if not audience.invited:
            raise RoundError("no_audience")
        for leave, chefs in ((False, audience.invited), (True, audience.on_leave)):
            for chef in chefs:
                assert chef.id is not None
                session.add(
                    Invitation(
                        round_id=round_id,
                        chef_id=chef.id,
                        state=InvitationState.ON_LEAVE if leave else InvitationState.PENDING,
                        created_at=now,
                    )
                )
                (opening.on_leave if leave else opening.invited).append(chef.id)
        round_.state = RoundState.OPEN
        round_.opens_at = round_.opens_at or now
        opening.title = round_.title
        round_.updated_at = now
        organisation_id = round_.organisation_id
    opening.queued = await OutboxStore(db).enqueue(
        [
            NewMessage(
                organisation_id=organisation_id,
                dedupe_key=invitation_key(round_id, chef_id),
                kind=OutboxKind.INVITATION.value,
                round_id=round_id,
                chef_id=chef_id,
                payload={},  # rendered when sent, so it shows the round as it is then
            )
            for chef_id in opening.invited
        ],
        now=now,
    )
    return opening


async def find_round(
    db: Database,
    *,
    organisation_id: int,
    round_id: int | None = None,
    states: Sequence[RoundState] = (RoundState.OPEN,),
) -> Round:
    """The round a command is about: the one named, else the latest in one of `states`."""
    async with db.session() as session:
        if round_id is not None:
            round_ = await session.get(Round, round_id)
            if round_ is None or round_.organisation_id != organisation_id:
                raise RoundError("unknown_round", round=round_id)
            return round_
        latest = (
            await session.exec(
                select(Round)
                .where(
                    Round.organisation_id == organisation_id,
                    col(Round.state).in_([str(s) for s in states]),
                )
                .order_by(col(Round.deadline).desc(), col(Round.id).desc())
            )
        ).first()
    if latest is None:
        raise RoundError("no_round")
    return latest


async def _locked(session: Any, round_id: int, organisation_id: int | None) -> Round:
    round_ = await session.get(Round, round_id, with_for_update=True)
    if round_ is None or (
        organisation_id is not None and round_.organisation_id != organisation_id
    ):
        raise RoundError("unknown_round", round=round_id)
    return round_


async def close_round(
    db: Database, *, round_id: int, now: datetime, organisation_id: int | None = None
) -> Round:
    """Close an open round (at the deadline, or earlier by HR). Closing twice is refused."""
    async with db.session() as session, session.begin():
        round_ = await _locked(session, round_id, organisation_id)
        if round_.state in (RoundState.CLOSED, RoundState.ARCHIVED):
            raise RoundError("already_closed")
        if round_.state != RoundState.OPEN:
            raise RoundError("not_open", state=round_.state)
        round_.state = RoundState.CLOSED
        round_.closed_at = now
        round_.updated_at = now
    return round_


async def archive_round(
    db: Database, *, round_id: int, now: datetime, organisation_id: int | None = None
) -> Round:
    async with db.session() as session, session.begin():
        round_ = await _locked(session, round_id, organisation_id)
        if round_.state != RoundState.CLOSED:
            raise RoundError("not_closed", state=round_.state)
        round_.state = RoundState.ARCHIVED
        round_.updated_at = now
    return round_


async def skip_round(
    db: Database, *, round_id: int, now: datetime, organisation_id: int | None = None
) -> Round:
    """Leave out a round that has not opened (the calendar's, say): archived, never opened."""
    async with db.session() as session, session.begin():
        round_ = await _locked(session, round_id, organisation_id)
        if round_.state not in (RoundState.DRAFT, RoundState.SCHEDULED):
            raise RoundError("not_openable", state=round_.state)
        round_.state = RoundState.ARCHIVED
        round_.updated_at = now
    return round_


async def change_round(
    db: Database,
    *,
    round_id: int,
    opens_at: datetime | None,
    deadline: datetime,
    department_ids: Sequence[int],
    now: datetime,
    policy: Policy,
    organisation_id: int | None = None,
) -> Round:
    """Change a round that has not opened: the day it opens (none: HR opens it), its last day
    and its audience (no departments: everyone)."""
    async with db.session() as session, session.begin():
        round_ = await _locked(session, round_id, organisation_id)
        if round_.state not in (RoundState.DRAFT, RoundState.SCHEDULED):
            raise RoundError("not_changeable", state=round_.state)
        if opens_at is not None and policy.today(opens_at) < policy.today(now):
            raise RoundError("opens_in_past")
        if deadline <= max(opens_at or now, now):
            raise RoundError("deadline_before_opening")
        await _check_audience(
            session,
            organisation_id=round_.organisation_id,
            department_ids=department_ids,
            today=policy.today(now),
        )
        assert round_.id is not None
        for chosen in (
            await session.exec(select(RoundDepartment).where(RoundDepartment.round_id == round_.id))
        ).all():
            await session.delete(chosen)
        await session.flush()
        for department_id in department_ids:
            session.add(RoundDepartment(round_id=round_.id, department_id=department_id))
        round_.opens_at = opens_at
        round_.deadline = deadline
        round_.state = RoundState.SCHEDULED if opens_at is not None else RoundState.DRAFT
        round_.audience_all = not department_ids
        round_.updated_at = now
    return round_


async def extend_round(
    db: Database,
    *,
    round_id: int,
    deadline: datetime,
    now: datetime,
    organisation_id: int | None = None,
) -> Round:
    """Move the deadline later; the reminders, counted back from it, move with it."""
    async with db.session() as session, session.begin():
        round_ = await _locked(session, round_id, organisation_id)
        if round_.state not in (RoundState.DRAFT, RoundState.SCHEDULED, RoundState.OPEN):
            raise RoundError("not_open", state=round_.state)
        if deadline <= round_.deadline or deadline <= now:
            raise RoundError("not_later", deadline=round_.deadline)
        round_.deadline = deadline
        round_.updated_at = now
    return round_


def reminder_times(round_: Round) -> list[datetime]:
    """When reminders are due: the offsets (days) counted back from the deadline."""
    return [round_.deadline - timedelta(days=days) for days in round_.reminder_offsets]


async def invite_late(db: Database, *, chef_id: int, now: datetime, policy: Policy) -> list[int]:
    """A chef who installs the app while a round they belong to is open gets invited to it;
    one whose invitation could not be delivered before gets it again."""
    invited: list[tuple[int, int]] = []  # (round, sequence)
    async with db.session() as session, session.begin():
        chef = await session.get(Chef, chef_id)
        if chef is None or not chef.active:
            return []
        rounds = (
            await session.exec(
                select(Round).where(
                    Round.organisation_id == chef.organisation_id,
                    Round.state == RoundState.OPEN,
                    col(Round.deadline) > now,
                )
            )
        ).all()
        for round_ in rounds:
            assert round_.id is not None
            departments = await _departments_of(session, round_)
            if departments is not None and chef.department_id not in departments:
                continue
            existing = (
                await session.exec(
                    select(Invitation).where(
                        Invitation.round_id == round_.id, Invitation.chef_id == chef_id
                    )
                )
            ).first()
            if existing is None:
                if not on_leave(chef, policy.today(now)):
                    session.add(Invitation(round_id=round_.id, chef_id=chef_id, created_at=now))
                    invited.append((round_.id, 1))
            elif existing.state == InvitationState.UNREACHABLE:
                sent = (
                    await session.exec(
                        select(func.count()).where(
                            OutboxMessage.round_id == round_.id,
                            OutboxMessage.chef_id == chef_id,
                            OutboxMessage.kind == OutboxKind.INVITATION.value,
                        )
                    )
                ).one()
                existing.state = InvitationState.PENDING
                invited.append((round_.id, sent + 1))
        organisation_id = chef.organisation_id
    await OutboxStore(db).enqueue(
        [
            NewMessage(
                organisation_id=organisation_id,
                dedupe_key=invitation_key(round_id, chef_id, sequence),
                kind=OutboxKind.INVITATION.value,
                round_id=round_id,
                chef_id=chef_id,
                payload={},
            )
            for round_id, sequence in invited
        ],
        now=now,
    )
    return [round_id for round_id, _ in invited]
