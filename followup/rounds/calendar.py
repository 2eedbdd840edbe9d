"""The programme's calendar and the passes the scheduler runs over it.

Every pass is idempotent — it looks at the tables and does what is due now — so a restart, a
missed run or a second replica never doubles anything: rounds change state under a row lock,
and every message has a dedupe key in the outbox."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from followup.people.access import Access, access_from
from followup.policy import Policy
from followup.rounds.lifecycle import RoundError, close_round, create_round, open_round
from followup.rounds.workdays import calendar_deadline, calendar_opening, working_day_from
from storage.conversation_store import ConversationStore
from storage.database import Database, Session
from storage.invitation_store import InvitationStore
from storage.models import InvitationState, OutboxKind, Programme, Round, RoundState
from storage.outbox_store import NewMessage, OutboxStore
from storage.programme_store import ProgrammeStore
from storage.role_store import RoleStore
from storage.round_store import RoundStore

logger = logging.getLogger(__name__)

# the name the calendar gives a round opening on a day, e.g. "Uppföljning våren 2026": stored,
# so the front passes the organisation's language's; the domain only knows the half-year
TitleOf = Callable[[date], str]

# who made a round the calendar planned (HR's rounds name the HR admin)
CALENDAR = "calendar"


@dataclass(frozen=True)
class Recipient:
    """Someone with a role who has the app: where to send, and what they may see."""

    conversation_ref_id: int
    access: Access


async def staff(db: Database, organisation_id: int) -> list[Recipient]:
    """HR admins and department leads who have installed the app, by object id or UPN."""
    roles = await RoleStore(db).holders(organisation_id)
    refs = await ConversationStore(db).installed_with_upn(organisation_id)
    recipients = []
    for ref, chef_upn in refs:
        assert ref.id is not None
        names = {n.lower() for n in (ref.aad_object_id, ref.upn, chef_upn) if n}
        access = access_from(
            (r for r in roles if r.principal in names),
            actor=ref.upn or chef_upn or ref.aad_object_id or ref.user_id,
            organisation_id=organisation_id,
        )
        if access.is_staff:
            recipients.append(Recipient(ref.id, access))
    return recipients


# --- the calendar ---------------------------------------------------------------------------


def season(opens: date) -> str:
    """The half-year a round opening on `opens` reports on: "spring" or "autumn"."""
    return "spring" if opens.month < 7 else "autumn"


MAX_ROUND_TITLE = 200  # the round table's column


def programme_titles(title_of: TitleOf, programme: Programme, *, several: bool) -> TitleOf:
    """The calendar's round titles for one programme: the plain half-year ("Uppföljning våren
    2026") while the organisation runs one programme, with the programme's title after it while
    it runs several, so HR can tell two programmes' rounds of one half-year apart."""
    if not several:
        return title_of

    def titled(day: date) -> str:
        title = f"{title_of(day)} – {programme.title}"
        return title if len(title) <= MAX_ROUND_TITLE else title[: MAX_ROUND_TITLE - 1] + "…"

    return titled


async def title_forms(
    db: Database, programme: Programme, title_of: TitleOf, *, session: Session | None = None
) -> tuple[TitleOf, TitleOf]:
    """The titles the calendar gives the programme's rounds now, and the other form (with or
    without the programme's title) it gave them while the organisation ran one programme, or
    several: a round planned under either is the same half-year's round."""
    active = await ProgrammeStore(db).active(
        organisation_id=programme.organisation_id, session=session
    )
    several = len(active) > 1
    return (
        programme_titles(title_of, programme, several=several),
        programme_titles(title_of, programme, several=not several),
    )


def calendar_dates(programme: Programme) -> list[date]:
    """The days the programme's rounds open, e.g. 15 April and 15 October of every year."""
    days = []
    for year in range(programme.start_year, programme.end_year + 1):
        for month_day in programme.round_opens:
            try:
                month, day = (int(part) for part in month_day.split("-"))
                days.append(date(year, month, day))
            except ValueError:
                logger.warning("calendar: programme %s has a bad day %r", programme.id, month_day)
    return sorted(days)


async def plan_rounds(
    db: Database,
    *,
    now: datetime,
    policy: Policy,
    title_of: TitleOf,
    programme_id: int | None = None,
) -> list[int]:
    """Make the calendar's next rounds as scheduled rounds, once, ahead of their day."""
    today = policy.today(now)
    made = []
    rounds = RoundStore(db)
    programmes = await ProgrammeStore(db).active(programme_id=programme_id)
    for programme in programmes:
        assert programme.id is not None
        titled, other = await title_forms(db, programme, title_of)
        for day in calendar_dates(programme):
            if not today < day <= today + policy.plan_ahead:
                continue
            # a day that is a weekend or a holiday opens the next working morning
            opens = calendar_opening(day, policy=policy)
            # HR may have moved it (another day, same title), or skipped it: its half-year is done
            planned = await rounds.planned(
                programme_id=programme.id,
                created_by=CALENDAR,
                opens_at=opens,
                titles=(titled(day), other(day)),
            )
            if planned is not None:
                continue
            deadline = calendar_deadline(opens, answer_days=programme.answer_days, policy=policy)
            try:
                round_ = await create_round(
                    db,
                    organisation_id=programme.organisation_id,
                    programme_id=programme.id,
                    title=titled(day),
                    deadline=deadline,
                    opens_at=opens,
                    now=now,
                    policy=policy,
                    created_by=CALENDAR,
                )
            except RoundError as error:  # e.g. HR already made one by that name
                logger.info("calendar: no round for %s (%s)", day, error.code)
                continue
            assert round_.id is not None
            made.append(round_.id)
            logger.info("calendar: round %s planned to open %s", round_.id, day)
    return made


async def next_opening(
    db: Database, *, programme: Programme, now: datetime, policy: Policy, title_of: TitleOf
) -> tuple[str, date] | None:
    """The programme's next round to open by itself, and its day: a planned round (HR may
    have moved it), else the calendar's next day."""
    assert programme.id is not None
    scheduled = await RoundStore(db).scheduled(programme_id=programme.id, after=now)
    planned = scheduled[0] if scheduled else None
    if planned is not None and planned.opens_at is not None:
        return planned.title, policy.today(planned.opens_at)
    today = policy.today(now)
    upcoming = [day for day in calendar_dates(programme) if day > today]
    if not upcoming:
        return None
    titled, _ = await title_forms(db, programme, title_of)
    # the day it will really open: a weekend or a holiday moves it to the next working day
    return titled(upcoming[0]), working_day_from(upcoming[0])


@dataclass
class CalendarChange:
    """What changing a programme's calendar did to the rounds it had planned."""

    moved: list[int] = field(default_factory=list)
    skipped: list[int] = field(default_factory=list)
    planned: list[int] = field(default_factory=list)


async def change_calendar(
    db: Database,
    *,
    organisation_id: int,
    programme_id: int,
    round_opens: Sequence[str],
    answer_days: int,
    now: datetime,
    policy: Policy,
    title_of: TitleOf,
) -> CalendarChange:
    """New opening days and days to answer for a programme. The calendar's rounds that have
    not opened follow: moved to their half-year's new day, or left out when their half-year
    has none; rounds that are open or done keep their dates."""
    change = CalendarChange()
    async with db.session() as session, session.begin():
        programme = await ProgrammeStore(db).calendar(
            programme_id=programme_id, organisation_id=organisation_id, session=session
        )
        if programme is None:
            raise RoundError("unknown_programme", programme=programme_id)
        programme.round_opens = list(round_opens)
        programme.answer_days = answer_days
        programme.updated_at = now
        titled, other = await title_forms(db, programme, title_of, session=session)
        days = {title(day): day for title in (other, titled) for day in calendar_dates(programme)}
        planned = await RoundStore(db).scheduled(
            programme_id=programme_id, after=now, created_by=CALENDAR, lock=True, session=session
        )
        today = policy.today(now)
        for round_ in planned:
            assert round_.id is not None
            day = days.get(round_.title)
            if day is None or day <= today:
                round_.state = RoundState.ARCHIVED
                change.skipped.append(round_.id)
            else:
                round_.opens_at = calendar_opening(day, policy=policy)
                round_.deadline = calendar_deadline(
                    round_.opens_at, answer_days=answer_days, policy=policy
                )
                change.moved.append(round_.id)
            round_.updated_at = now
    # a day that has come within reach gets its round now, not at the next tick
    change.planned = await plan_rounds(
        db, now=now, policy=policy, title_of=title_of, programme_id=programme_id
    )
    return change


# --- the passes -------------------------------------------------------------------------------


async def send_heads_up(db: Database, *, now: datetime, policy: Policy) -> int:
    """A week (the policy's heads-up) before a scheduled round opens, HR admins get a card to
    adjust or skip it."""
    rounds = await RoundStore(db).opening_between(after=now, until=now + policy.heads_up)
    messages = []
    people: dict[int, list[Recipient]] = {}  # per organisation, read once
    for round_ in rounds:
        if round_.organisation_id not in people:
            people[round_.organisation_id] = await staff(db, round_.organisation_id)
        for recipient in people[round_.organisation_id]:
            if recipient.access.admin:
                messages.append(
                    NewMessage(
                        organisation_id=round_.organisation_id,
                        dedupe_key=(
                            f"round:{round_.id}:ref:{recipient.conversation_ref_id}:"
                            f"{OutboxKind.HEADS_UP.value}"
                        ),
                        kind=OutboxKind.HEADS_UP.value,
                        round_id=round_.id,
                        conversation_ref_id=recipient.conversation_ref_id,
                        payload={},
                    )
                )
    return await OutboxStore(db).enqueue(messages, now=now)


async def open_due_rounds(db: Database, *, now: datetime, policy: Policy) -> list[int]:
    """Open every scheduled round whose day has come (one that fails is skipped, not retried
    in a loop: it is logged and stays scheduled for HR)."""
    due = await RoundStore(db).due_to_open(now=now)
    opened = []
    for round_id in due:
        try:
            opening = await open_round(db, round_id=round_id, now=now, policy=policy)
        except RoundError as error:
            logger.warning("scheduler: round %s not opened (%s)", round_id, error.code)
            continue
        opened.append(round_id)
        logger.info(
            "scheduler: round %s opened, %s invited, %s on leave",
            round_id,
            len(opening.invited),
            len(opening.on_leave),
        )
    return opened


async def close_due_rounds(
    db: Database, *, now: datetime, policy: Policy | None = None
) -> list[int]:
    """Close every open round whose deadline has passed, its results queued with the close."""
    due = await RoundStore(db).due_to_close(now=now)
    closed = []
    for round_id in due:
        try:
            await close_with_results(db, round_id=round_id, now=now, policy=policy)
        except RoundError as error:  # another replica got there first
            logger.info("scheduler: round %s not closed (%s)", round_id, error.code)
            continue
        closed.append(round_id)
    # closed before results were queued with the close (an older version): queue them now
    for round_id in await RoundStore(db).closed_without_results():
        await send_results(db, round_id=round_id, now=now)
    return closed


def _scope(access: Access) -> list[int] | None:
    """A digest message's departments: None for HR admins (all of it)."""
    departments = access.departments()
    return None if departments is None else sorted(departments)


async def close_with_results(
    db: Database,
    *,
    round_id: int,
    now: datetime,
    organisation_id: int | None = None,
    has_digest: int | None = None,
    policy: Policy | None = None,
) -> int:
    """Close an open round and queue its results in the same transaction: the digest to HR
    admins and leads, and each chef who answered their feedback. A crash cannot leave a closed
    round without them, and nothing is queued twice. How many messages were queued."""
    rounds = RoundStore(db)
    if organisation_id is None:
        found = await rounds.get(round_id)
        if found is None:
            raise RoundError("unknown_round", round=round_id)
        organisation_id = found.organisation_id
    # who gets the digest is read first: SQLite has one connection, held by the transaction
    recipients = await staff(db, organisation_id)
    async with db.session() as session, session.begin():
        round_ = await close_round(
            db,
            round_id=round_id,
            now=now,
            organisation_id=organisation_id,
            session=session,
            policy=policy,
        )
        return await _queue_results(
            db, session, round_, recipients=recipients, now=now, has_digest=has_digest
        )


async def send_results(
    db: Database, *, round_id: int, now: datetime, has_digest: int | None = None
) -> int:
    """Queue the results of a round closed without them (see `close_with_results`); queued
    once whatever happens. `has_digest`: the conversation that got the digest already."""
    rounds = RoundStore(db)
    found = await rounds.get(round_id)
    assert found is not None
    recipients = await staff(db, found.organisation_id)
    async with db.session() as session, session.begin():
        locked = await rounds.lock(round_id, session=session)
        assert locked is not None
        return await _queue_results(
            db, session, locked, recipients=recipients, now=now, has_digest=has_digest
        )


async def _queue_results(
    db: Database,
    session: Session,
    round_: Round,
    *,
    recipients: list[Recipient],
    now: datetime,
    has_digest: int | None,
) -> int:
    """Inside the caller's transaction, with the round locked: mark its results queued and
    queue them (none when another replica did it already)."""
    assert round_.id is not None
    if round_.results_queued_at is not None:
        return 0  # another replica did it
    answered = await InvitationStore(db).chef_ids(
        round_id=round_.id, state=InvitationState.SUBMITTED, session=session
    )
    messages = [
        NewMessage(
            organisation_id=round_.organisation_id,
            dedupe_key=f"round:{round_.id}:ref:{r.conversation_ref_id}:{OutboxKind.DIGEST.value}",
            kind=OutboxKind.DIGEST.value,
            round_id=round_.id,
            conversation_ref_id=r.conversation_ref_id,
            payload={"departments": _scope(r.access)},
        )
        for r in recipients
        if r.conversation_ref_id != has_digest
    ]
    messages += [
        NewMessage(
            organisation_id=round_.organisation_id,
            dedupe_key=f"round:{round_.id}:chef:{chef_id}:{OutboxKind.FEEDBACK.value}:1",
            kind=OutboxKind.FEEDBACK.value,
            round_id=round_.id,
            chef_id=chef_id,
            payload={},
        )
        for chef_id in answered
    ]
    round_.results_queued_at = now
    # the mark and the messages together: a crash loses neither, a rerun doubles nothing
    return await OutboxStore(db).enqueue(messages, now=now, session=session)
