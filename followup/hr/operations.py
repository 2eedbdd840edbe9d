"""HR's and department leads' operations, one function each, for Teams and the command line alike.

Each operation authorises the caller from their `Access` (refusals are audited as `hr.refused`),
acts through the domain, writes its line in the audit log, and performs its side effects — so
`ledarpuls round close` and Stäng in Teams cannot drift apart again. The fronts only translate
card values or argv into arguments, and results or `RoundError` codes into words."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from followup.digest.compile import Digest, compile_digest
from followup.digest.identified import Identified, chef_answers
from followup.digest.publication import published
from followup.digest.report import NAMING_FORMATS
from followup.people.access import Access, audit, may
from followup.people.presence import roster_version
from followup.policy import Policy
from followup.rounds import calendar as schedule
from followup.rounds import lifecycle as rounds
from followup.rounds import progress as progress_
from followup.rounds.calendar import CalendarChange, TitleOf
from followup.rounds.lifecycle import Opening, RoundError
from followup.rounds.progress import Progress, Reminding, RoundRow
from followup.rounds.roster_reach import reach_open_rounds
from storage.chef_store import ChefStore
from storage.database import Database
from storage.models import Chef, Round, RoundState
from storage.round_store import RoundStore

# what a round must be in for a command without a number to find it
LIVE = (RoundState.OPEN,)
ANY_STATE = (RoundState.OPEN, RoundState.SCHEDULED, RoundState.DRAFT, RoundState.CLOSED)
DIGEST_STATES = (RoundState.CLOSED, RoundState.OPEN)


class Refused(RoundError):
    """The caller may not do this here: not HR (or not a lead, for a lead's command)."""

    def __init__(self, command: str) -> None:
        super().__init__("refused", command=command)
        self.command = command
        self.on_record = True  # authorise() wrote it down


@dataclass(frozen=True)
class Call:
    """One request: who asks (their roles), through which front ("teams" or "cli"), when, and
    under which rules (the deployment's policy, as the front was given it)."""

    db: Database
    access: Access
    via: str
    now: datetime
    policy: Policy

    @property
    def today(self) -> date:
        """The caller's day: the day it is at `now` in the policy's zone (a date shown to them
        is written without its year when it is in this day's year)."""
        return self.policy.today(self.now)

    @property
    def organisation_id(self) -> int:
        assert self.access.organisation_id is not None  # authorise() refuses without one
        return self.access.organisation_id

    async def audit(self, action: str, *, round_id: int | None = None, **detail: object) -> None:
        await audit(
            self.db, self.access, action, at=self.now, round_id=round_id, via=self.via, **detail
        )


async def authorise(call: Call, command: str) -> None:
    """Refuse (and put the refusal on record) unless the caller may run `command`."""
    if may(call.access, command):
        return
    await call.audit("hr.refused", command=command, reason="not_permitted")
    raise Refused(command)


async def record_refusal(
    call: Call, command: str, error: RoundError, *, round_id: int | None = None, **detail: object
) -> None:
    """Put a refused request on record once, whichever front it came through: the command,
    the rule it broke (the error's code) and the round it named. A round of another
    organisation (or of none) is named in the detail only: the caller's log never points
    into another organisation's rounds. Never the values refused (a form's text)."""
    if error.on_record:
        return
    error.on_record = True
    own: int | None = None
    if round_id is not None and call.access.organisation_id is not None:
        found = await RoundStore(call.db).get(round_id)
        if found is not None and found.organisation_id == call.access.organisation_id:
            own = round_id
    if round_id is not None and own is None:
        detail = {**detail, "round": round_id}
    await call.audit("hr.refused", round_id=own, command=command, reason=error.code, **detail)


async def find_round(
    call: Call, command: str, *, round_id: int | None, states: Sequence[RoundState] = LIVE
) -> Round:
    """The round a command is about: the one numbered, else the latest in `states`, else the
    latest HR has in any state (a "status" after the round closed still finds it)."""
    await authorise(call, command)
    try:
        return await rounds.find_round(
            call.db, organisation_id=call.organisation_id, round_id=round_id, states=states
        )
    except RoundError as error:
        if error.code != "no_round" or tuple(states) == ANY_STATE:
            raise
        return await rounds.find_round(
            call.db, organisation_id=call.organisation_id, states=ANY_STATE
        )


# --- rounds ---------------------------------------------------------------------------------


async def create_round(
    call: Call,
    *,
    programme_id: int,
    title: str,
    deadline: datetime,
    opens_at: datetime | None,
    department_ids: Sequence[int],
    sections: dict[str, str] | None,
    k: int,
    reminder_offsets: Sequence[int],
    reminder_cap: int,
) -> Round:
    """A new round: a draft, or scheduled when it has a day to open."""
    await authorise(call, "create")
    round_ = await rounds.create_round(
        call.db,
        organisation_id=call.organisation_id,
        programme_id=programme_id,
        title=title,
        deadline=deadline,
        opens_at=opens_at,
        now=call.now,
        created_by=call.access.actor,
        department_ids=list(department_ids),
        sections=sections,
        k=k,
        reminder_offsets=list(reminder_offsets),
        reminder_cap=reminder_cap,
        policy=call.policy,
    )
    await call.audit("round.create", round_id=round_.id)
    return round_


async def open_round(call: Call, *, round_id: int) -> Opening:
    """Open a round now: its audience is invited through the outbox."""
    await authorise(call, "open")
    opening = await rounds.open_round(
        call.db,
        round_id=round_id,
        now=call.now,
        policy=call.policy,
        organisation_id=call.organisation_id,
    )
    await call.audit(
        "round.open",
        round_id=round_id,
        invited=len(opening.invited),
        on_leave=len(opening.on_leave),
    )
    return opening


async def change_round(
    call: Call,
    *,
    round_id: int,
    opens_at: datetime | None,
    deadline: datetime,
    department_ids: Sequence[int],
) -> Round:
    """Move a round that has not opened, or change whom it reaches."""
    await authorise(call, "change")
    round_ = await rounds.change_round(
        call.db,
        round_id=round_id,
        opens_at=opens_at,
        deadline=deadline,
        department_ids=department_ids,
        now=call.now,
        policy=call.policy,
        organisation_id=call.organisation_id,
    )
    await call.audit(
        "round.change",
        round_id=round_id,
        opens=round_.opens_at.isoformat() if round_.opens_at else None,
        deadline=round_.deadline.isoformat(),
        departments=sorted(department_ids),
    )
    return round_


async def extend_round(call: Call, *, round_id: int, deadline: datetime) -> Round:
    """A later last day; the reminders move with it."""
    await authorise(call, "extend")
    round_ = await rounds.extend_round(
        call.db,
        round_id=round_id,
        deadline=deadline,
        now=call.now,
        organisation_id=call.organisation_id,
    )
    await call.audit("round.extend", round_id=round_id, deadline=round_.deadline.isoformat())
    return round_


@dataclass(frozen=True)
class Reminded:
    """Whom a reminder went to, in which round, and from when (None: now)."""

    round: Round
    reminding: Reminding
    not_before: datetime | None = None


async def remind(call: Call, *, round_id: int | None, at: datetime | None = None) -> Reminded:
    """Remind everyone in the round who has not answered, up to its cap: now, or from `at`
    (HR's "next working morning", chosen outside working hours), queued in the outbox so a
    restart sends them then, once. A moment already come is now; one past the deadline is
    refused (the reminders would come too late)."""
    round_ = await find_round(call, "remind", round_id=round_id, states=LIVE)
    assert round_.id is not None
    later = at if at is not None and at > call.now else None
    if later is not None and later >= round_.deadline:
        raise RoundError("remind_after_deadline")
    result = await progress_.remind(
        call.db,
        round_id=round_.id,
        now=call.now,
        organisation_id=call.organisation_id,
        policy=call.policy,
        not_before=later,
    )
    detail: dict[str, object] = {} if later is None else {"not_before": later.isoformat()}
    await call.audit(
        "round.remind",
        round_id=round_.id,
        reminded=result.reminded,
        at_cap=result.at_cap,
        resent=result.resent,
        **detail,
    )
    return Reminded(round_, result, later)


@dataclass(frozen=True)
class Closed:
    """A round closed by hand: how it ended, and how many results were queued."""

    progress: Progress
    queued: int


async def close_round(call: Call, *, round_id: int, has_digest: int | None = None) -> Closed:
    """Close an open round and queue its results at once: the digest to HR admins and leads,
    and each chef who answered their feedback. `has_digest`: the conversation of a closer who
    is shown the digest right away (in Teams), so it is not sent to them twice."""
    await authorise(call, "close")
    # the results are queued in the close's own transaction: a crash cannot lose them
    queued = await schedule.close_with_results(
        call.db,
        round_id=round_id,
        now=call.now,
        organisation_id=call.organisation_id,
        has_digest=has_digest,
        policy=call.policy,
    )
    await call.audit("round.close", round_id=round_id)
    # the round's figures, decided once for every view from now on
    await published(call.db, round_id=round_id, now=call.now, policy=call.policy)
    p = await progress_.progress(call.db, round_id=round_id, organisation_id=call.organisation_id)
    return Closed(p, queued)


async def skip_round(call: Call, *, round_id: int) -> Round:
    """Leave out a round that has not opened (one the calendar planned, say)."""
    await authorise(call, "skip")
    round_ = await rounds.skip_round(
        call.db, round_id=round_id, now=call.now, organisation_id=call.organisation_id
    )
    await call.audit("round.skip", round_id=round_id)
    return round_


async def archive_round(call: Call, *, round_id: int) -> Round:
    """Put a closed round away."""
    await authorise(call, "archive")
    round_ = await rounds.archive_round(
        call.db, round_id=round_id, now=call.now, organisation_id=call.organisation_id
    )
    await call.audit("round.archive", round_id=round_id)
    return round_


async def round_status(call: Call, *, round_id: int | None) -> Progress:
    """A round's progress: a lead sees their departments only. Logged every time, with whether
    it named anyone (who has not answered is identified data)."""
    round_ = await find_round(call, "status", round_id=round_id, states=LIVE)
    assert round_.id is not None
    p = await progress_.progress(
        call.db,
        round_id=round_.id,
        organisation_id=call.organisation_id,
        department_ids=call.access.departments(),
        now=call.now,
        policy=call.policy,
    )
    await call.audit("round.status", round_id=round_.id, identified=p.not_answered is not None)
    return p


async def list_rounds(call: Call) -> list[RoundRow]:
    """The organisation's rounds with their response rates (a lead's departments only)."""
    await authorise(call, "rounds")
    rows = await progress_.overview(
        call.db, organisation_id=call.organisation_id, department_ids=call.access.departments()
    )
    await call.audit("round.list", rounds=len(rows))
    return rows


async def request_digest(call: Call, *, round_id: int | None, export: str | None = None) -> Digest:
    """A round's digest, for a lead their departments only; logged as viewed, or exported with
    its file format."""
    round_ = await find_round(call, "digest", round_id=round_id, states=DIGEST_STATES)
    assert round_.id is not None
    digest = await compile_digest(
        call.db,
        round_id=round_.id,
        now=call.now,
        organisation_id=call.organisation_id,
        department_ids=call.access.departments(),
        policy=call.policy,
        # every chef's statuses only for a file that names them: the view's buttons read them
        names=export in NAMING_FORMATS,
    )
    if export is None:
        await call.audit("digest.view", round_id=round_.id)
    else:
        await call.audit("digest.export", round_id=round_.id, format=export)
        if export in NAMING_FORMATS and digest.identified:
            scope = call.access.departments()
            await call.audit(
                "digest.identified.export",
                round_id=round_.id,
                departments=None if scope is None else sorted(scope),
                format=export,
            )
    return digest


async def identified(
    call: Call, *, round_id: int | None, department: int | None = None, export: str | None = None
) -> Identified:
    """A round's activity statuses and comments per chef, when the round gave them with names:
    HR admins any department (None: all), a lead only their own (None: all of theirs). Open
    rounds too, since nothing here is confidential. Every read is logged with its round and
    department, viewed or exported with its file format."""
    round_ = await find_round(call, "identified", round_id=round_id, states=DIGEST_STATES)
    assert round_.id is not None
    allowed = call.access.departments()
    if department is not None and allowed is not None and department not in allowed:
        refused = RoundError("other_department")
        await record_refusal(call, "identified", refused, round_id=round_.id, department=department)
        raise refused
    answers = await chef_answers(
        call.db,
        round_id=round_.id,
        organisation_id=call.organisation_id,
        department_ids=allowed if department is None else frozenset({department}),
    )
    if department is not None and department not in answers.department_names:
        raise RoundError("unknown_department")
    if export is None:
        await call.audit("digest.identified.view", round_id=round_.id, department=department)
    else:
        await call.audit(
            "digest.identified.export", round_id=round_.id, department=department, format=export
        )
    return answers


# --- people and the calendar ----------------------------------------------------------------


async def set_leave(
    call: Call,
    *,
    until: date | None,
    chef_id: int | None = None,
    upn: str | None = None,
    version: str | None = None,
) -> Chef:
    """A chef on leave until a day (None: back): not invited or reminded meanwhile, counted as
    on leave in open rounds; back, they can answer and are invited if they never were. With
    `version` (HR's card about the chef), refused when the chef changed since the card."""
    await authorise(call, "leave")
    if version is not None and chef_id is not None:
        shown = await ChefStore(call.db).get(chef_id)
        if shown is None or shown.organisation_id != call.organisation_id:
            raise RoundError("no_such_chef")
        if not shown.active:
            raise RoundError("chef_left", name=shown.name)
        if roster_version(shown) != version:
            raise RoundError("stale_card", name=shown.name)
    chef = await progress_.set_on_leave(
        call.db,
        organisation_id=call.organisation_id,
        chef_id=chef_id,
        upn=upn,
        until=until,
        now=call.now,
        policy=call.policy,
    )
    await call.audit("chef.on_leave", chef=chef.id, until=until.isoformat() if until else None)
    # at once: back from leave, the chef is invited to the open rounds that skipped them
    await reach_open_rounds(
        call.db, organisation_id=call.organisation_id, now=call.now, policy=call.policy
    )
    return chef


async def change_calendar(
    call: Call,
    *,
    programme_id: int,
    round_opens: Sequence[str],
    answer_days: int,
    title_of: TitleOf,
) -> CalendarChange:
    """The days a programme's rounds open, and how long chefs have to answer; the planned
    rounds move with it. `title_of`: the calendar's round titles as stored (the front's
    catalogue names them)."""
    await authorise(call, "calendar")
    change = await schedule.change_calendar(
        call.db,
        organisation_id=call.organisation_id,
        programme_id=programme_id,
        round_opens=list(round_opens),
        answer_days=answer_days,
        now=call.now,
        policy=call.policy,
        title_of=title_of,
    )
    await call.audit(
        "programme.calendar",
        programme=programme_id,
        round_opens=list(round_opens),
        answer_days=answer_days,
        moved=change.moved,
        skipped=change.skipped,
        planned=change.planned,
    )
    return change
