"""Collection rounds (omgångar): creating one, opening it for its audience, finding it again.

Opening resolves the audience — every active chef, or the chosen departments; chefs on leave are
skipped and listed — and queues one invitation per chef in the outbox."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from followup.people.presence import Presence, on_leave, presence
from followup.policy import K_RANGE, REMINDER_CAP, REMINDER_DAYS, Policy
from followup.sections import DEFAULT_SECTIONS, Privacy, Section
from storage.chef_store import ChefStore
from storage.database import Database, Session
from storage.draft_store import DraftStore
from storage.invitation_store import InvitationStore
from storage.models import (
    Chef,
    InvitationState,
    OutboxKind,
    Round,
    RoundState,
)
from storage.organisation_store import OrganisationStore
from storage.outbox_store import NewMessage, OutboxStore
from storage.programme_store import ProgrammeStore
from storage.round_store import RoundStore


class RoundError(ValueError):
    """A rule of the round lifecycle was broken; `code` names it for the text catalogue."""

    def __init__(self, code: str, **params: object) -> None:
        super().__init__(code)
        self.code = code
        self.params = params
        # set once the refusal is in the audit log, so a front does not log it twice
        self.on_record = False


@dataclass
class Opening:
    """What opening a round did."""

    title: str = ""
    invited: list[int] = field(default_factory=list)
    on_leave: list[int] = field(default_factory=list)
    queued: int = 0


# the states of a chef who has not sent answers in, and was not skipped for leave at the opening
UNANSWERED = (
    InvitationState.PENDING,
    InvitationState.DELIVERED,
    InvitationState.STARTED,
    InvitationState.UNREACHABLE,
)


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
    if k not in K_RANGE:
        raise RoundError("bad_k", k=k, low=K_RANGE[0], high=K_RANGE[-1])
    if (
        any(offset not in REMINDER_DAYS for offset in reminder_offsets)
        or reminder_cap not in REMINDER_CAP
    ):
        raise RoundError("bad_reminders", days=REMINDER_DAYS[-1], count=REMINDER_CAP[-1])
    if deadline <= (opens_at or now):
        raise RoundError("deadline_before_opening")
    async with db.session() as session, session.begin():
        programme = await ProgrammeStore(db).get(programme_id, session=session)
        if programme is None or programme.organisation_id != organisation_id:
            raise RoundError("unknown_programme", programme=programme_id)
        if not programme.active:  # ended: no new round, from HR or the calendar
            raise RoundError("programme_ended", programme=programme.title)
        rounds = RoundStore(db)
        same_title = await rounds.live_titled(
            programme_id=programme_id, title=title.strip(), session=session
        )
        if same_title is not None:
            # also what keeps a double-clicked form from creating the round twice
            raise RoundError("duplicate_title", title=title.strip(), round=same_title)
        await _check_audience(
            db,
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
        await rounds.add(round_, department_ids=department_ids, session=session)
    return round_


async def _check_audience(
    db: Database,
    session: Session,
    *,
    organisation_id: int,
    department_ids: Sequence[int],
    today: date,
) -> None:
    """The departments are the organisation's active ones, and someone in them can be asked."""
    if department_ids:
        active = await OrganisationStore(db).departments(organisation_id, session=session)
        if not set(department_ids) <= {d.id for d in active}:
            raise RoundError("unknown_department")
    reach = await _audience(
        db,
        session,
        organisation_id=organisation_id,
        department_ids=list(department_ids) or None,
        today=today,
    )
    if not reach.invited and not reach.on_leave:
        raise RoundError("no_audience")


@dataclass
class Audience:
    """Whom a round reaches: the chefs it invites, and those on leave it skips."""

    invited: list[Chef] = field(default_factory=list)
    on_leave: list[Chef] = field(default_factory=list)


async def _audience(
    db: Database,
    session: Session,
    *,
    organisation_id: int,
    department_ids: Sequence[int] | None,
    today: date,
) -> Audience:
    audience = Audience()
    chefs = await ChefStore(db).audience(
        organisation_id=organisation_id, department_ids=department_ids, session=session
    )
    for chef in chefs:
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
            db,
            session,
            organisation_id=organisation_id,
            department_ids=list(department_ids) or None,
            today=policy.today(now),
        )


async def round_audience(db: Database, *, round_id: int, now: datetime, policy: Policy) -> Audience:
    """Whom this round reaches (or would reach, if it opened now)."""
    async with db.session() as session:
        round_ = await RoundStore(db).get(round_id, session=session)
        if round_ is None:
            raise RoundError("unknown_round", round=round_id)
        return await _audience(
            db,
            session,
            organisation_id=round_.organisation_id,
            department_ids=await departments_of(db, session, round_),
            today=policy.today(now),
        )


async def department_names(db: Database, *, round_id: int) -> list[str]:
    """The names of the departments a round is for; empty when it is for everyone."""
    return await RoundStore(db).department_names(round_id)


async def chosen_departments(db: Database, *, round_: Round) -> list[int]:
    """The ids of the departments a round is for; empty when it is for everyone."""
    async with db.session() as session:
        return await departments_of(db, session, round_) or []


async def departments_of(db: Database, session: Session, round_: Round) -> list[int] | None:
    """The round's chosen departments; None when it is for everyone."""
    if round_.audience_all:
        return None
    assert round_.id is not None
    return await RoundStore(db).chosen_departments(round_.id, session=session)


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
        round_ = await _locked(db, session, round_id, organisation_id)
        if round_.state not in (RoundState.DRAFT, RoundState.SCHEDULED):
            raise RoundError("not_openable", state=round_.state)
        if round_.deadline <= now:
            raise RoundError("deadline_passed")
        audience = await _audience(
            db,
            session,
            organisation_id=round_.organisation_id,
            department_ids=await departments_of(db, session, round_),
            today=today,
        )
        if not audience.invited:
            raise RoundError("no_audience")
        invitations = InvitationStore(db)
        for leave, chefs in ((False, audience.invited), (True, audience.on_leave)):
            for chef in chefs:
                assert chef.id is not None
                await invitations.add(
                    round_id=round_id,
                    chef_id=chef.id,
                    state=InvitationState.ON_LEAVE if leave else InvitationState.PENDING,
                    created_at=now,
                    session=session,
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
    rounds = RoundStore(db)
    if round_id is not None:
        round_ = await rounds.get(round_id)
        if round_ is None or round_.organisation_id != organisation_id:
            raise RoundError("unknown_round", round=round_id)
        return round_
    latest = await rounds.latest(organisation_id=organisation_id, states=states)
    if latest is None:
        raise RoundError("no_round")
    return latest


async def _locked(
    db: Database, session: Session, round_id: int, organisation_id: int | None
) -> Round:
    round_ = await RoundStore(db).lock(round_id, session=session)
    if round_ is None or (
        organisation_id is not None and round_.organisation_id != organisation_id
    ):
        raise RoundError("unknown_round", round=round_id)
    return round_


async def close_round(
    db: Database,
    *,
    round_id: int,
    now: datetime,
    organisation_id: int | None = None,
    session: Session | None = None,
    policy: Policy | None = None,
) -> Round:
    """Close an open round (at the deadline, or earlier by HR). Closing twice is refused.

    A chef who had not sent answers in and is gone from the roster, or on leave, on the day it
    closes is settled as such (`left`, `on_leave`): the round's figures, made from the closed
    round, count them as HR's status did while it was open, not as invited who never answered.

    With `session`, inside the caller's transaction (`calendar.close_with_results` queues the
    round's results in the same)."""
    async with db.joined(session, write=True) as s:
        round_ = await _locked(db, s, round_id, organisation_id)
        if round_.state in (RoundState.CLOSED, RoundState.ARCHIVED):
            raise RoundError("already_closed")
        if round_.state != RoundState.OPEN:
            raise RoundError("not_open", state=round_.state)
        await _settle_presence(db, s, round_id, today=(policy or Policy()).today(now))
        round_.state = RoundState.CLOSED
        round_.closed_at = now
        round_.updated_at = now
        # the answers as last sent in count; changes never sent in go with the close
        await DraftStore(db).clear_round(round_id, session=s)
    return round_


async def _settle_presence(db: Database, session: Session, round_id: int, *, today: date) -> None:
    """Write down, once and for good, who was away when the round closed (see `close_round`)."""
    invitations = await InvitationStore(db).in_states(
        round_id=round_id, states=[str(s) for s in UNANSWERED], session=session
    )
    chefs = await ChefStore(db).by_ids(
        [i.chef_id for i in invitations if i.chef_id is not None], session=session
    )
    for invitation in invitations:
        chef = chefs.get(invitation.chef_id) if invitation.chef_id is not None else None
        if chef is None:
            continue
        where = presence(chef, today)
        if where == Presence.LEFT:
            invitation.state = InvitationState.LEFT
        elif where == Presence.ON_LEAVE:
            invitation.state = InvitationState.ON_LEAVE


async def archive_round(
    db: Database, *, round_id: int, now: datetime, organisation_id: int | None = None
) -> Round:
    async with db.session() as session, session.begin():
        round_ = await _locked(db, session, round_id, organisation_id)
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
        round_ = await _locked(db, session, round_id, organisation_id)
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
        round_ = await _locked(db, session, round_id, organisation_id)
        if round_.state not in (RoundState.DRAFT, RoundState.SCHEDULED):
            raise RoundError("not_changeable", state=round_.state)
        if opens_at is not None and policy.today(opens_at) < policy.today(now):
            raise RoundError("opens_in_past")
        if deadline <= max(opens_at or now, now):
            raise RoundError("deadline_before_opening")
        await _check_audience(
            db,
            session,
            organisation_id=round_.organisation_id,
            department_ids=department_ids,
            today=policy.today(now),
        )
        assert round_.id is not None
        await RoundStore(db).choose_departments(
            round_.id, department_ids=department_ids, session=session
        )
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
        round_ = await _locked(db, session, round_id, organisation_id)
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
