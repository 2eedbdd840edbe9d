"""How a round is going, for HR: per department, and who has not answered (identified rounds)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime

from followup.people.presence import Presence, on_leave, presence_of
from followup.policy import Policy
from followup.privacy.disclosure import names_allowed
from followup.rounds.delivery import resend_invitations
from followup.rounds.lifecycle import RoundError
from followup.sections import Section
from storage.chef_store import ChefStore
from storage.database import Database
from storage.invitation_store import InvitationStore, Standing
from storage.models import (
    Chef,
    InvitationState,
    OutboxKind,
    Round,
    RoundState,
)
from storage.outbox_store import NewMessage, OutboxStore
from storage.round_store import RoundStore

DELIVERED = frozenset(
    {InvitationState.DELIVERED, InvitationState.STARTED, InvitationState.SUBMITTED}
)
STARTED = frozenset({InvitationState.STARTED, InvitationState.SUBMITTED})
# who a reminder can still help
WAITING = frozenset({InvitationState.PENDING, InvitationState.DELIVERED, InvitationState.STARTED})
# who has not submitted (those on leave were never asked)
NOT_ANSWERED = WAITING | {InvitationState.UNREACHABLE}


def share(part: int, whole: int) -> float:
    """part / whole, or 0 for an empty whole (a response rate, say)."""
    return part / whole if whole else 0.0


@dataclass
class Counts:
    """Invitations by where they stand. A chef on leave or gone from the roster today who has
    not sent answers in is counted as such, not as invited (`followup.people.presence`); one who
    had sent them in stays submitted. `late`: invited after the round opened (added to the
    roster, moved into its departments, back from leave)."""

    invited: int = 0
    delivered: int = 0
    started: int = 0
    submitted: int = 0
    unreachable: int = 0
    on_leave: int = 0
    left: int = 0
    late: int = 0
    reasons: Counter[str] = field(default_factory=Counter)

    def add(
        self,
        state: str,
        reason: str | None,
        presence: Presence = Presence.PRESENT,
        *,
        late: bool = False,
    ) -> None:
        if state == InvitationState.LEFT or (
            state != InvitationState.SUBMITTED and presence == Presence.LEFT
        ):
            self.left += 1
            return
        if state == InvitationState.ON_LEAVE or (
            state != InvitationState.SUBMITTED and presence == Presence.ON_LEAVE
        ):
            self.on_leave += 1
            return
        self.late += late
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
    now: datetime | None = None,
    policy: Policy | None = None,
) -> Progress:
    """Where the round stands; only `department_ids` (a department lead's) when given. With
    `now` and `policy`, an open round counts its chefs on leave or gone from the roster today
    as such (see `Counts`); otherwise by the invitations alone."""
    round_ = await RoundStore(db).get(round_id)
    if round_ is None or (
        organisation_id is not None and round_.organisation_id != organisation_id
    ):
        raise RoundError("unknown_round", round=round_id)
    rows = await InvitationStore(db).standings(round_id=round_id, department_ids=department_ids)
    total, departments = Counts(), dict[str, Counts]()
    waiting: list[str] = []
    today: date | None = None  # leave and having left are judged only while the round is open
    if round_.state == RoundState.OPEN and policy is not None and now is not None:
        today = policy.today(now)
    for row in rows:
        where = _presence(row, today)
        late = (
            row.created_at is not None
            and round_.opens_at is not None
            and row.created_at > round_.opens_at
        )
        total.add(row.state, row.unreachable_code, where, late=late)
        departments.setdefault(row.department or "—", Counts()).add(
            row.state, row.unreachable_code, where, late=late
        )
        if row.state in NOT_ANSWERED and row.chef is not None and where == Presence.PRESENT:
            waiting.append(row.chef)
    # who has not answered is named only where answers may stand beside names
    identified = names_allowed(round_.sections.get(Section.ACTIVITY_STATUS, ""))
    return Progress(
        round_, total, dict(sorted(departments.items())), waiting if identified else None
    )


def _presence(row: Standing, today: date | None) -> Presence:
    """The chef's presence today as the standing row has it; without a day (a round no longer
    open, whose counts stay as they were) or a chef (detached by retention): present."""
    if today is None or row.active is None:
        return Presence.PRESENT
    return presence_of(active=row.active, on_leave_until=row.on_leave_until, today=today)


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
        rounds = await RoundStore(db).of_organisation(organisation_id, session=session)
        counts = await InvitationStore(db).state_counts(
            organisation_id=organisation_id, department_ids=department_ids, session=session
        )
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


def reminder_message(
    round_: Round, chef_id: int, dedupe_key: str, *, not_before: datetime | None = None
) -> NewMessage:
    """A reminder to one chef (sent from `not_before`, else at once); its card is rendered
    when it is sent."""
    return NewMessage(
        organisation_id=round_.organisation_id,
        dedupe_key=dedupe_key,
        kind=OutboxKind.REMINDER.value,
        round_id=round_.id,
        chef_id=chef_id,
        payload={},
        not_before=not_before,
    )


@dataclass
class Reminding:
    reminded: int = 0
    at_cap: int = 0
    # invitations that never arrived (Teams did not take them), sent again as invitations
    resent: int = 0


async def remind(
    db: Database,
    *,
    round_id: int,
    now: datetime,
    organisation_id: int | None = None,
    policy: Policy | None = None,
    not_before: datetime | None = None,
) -> Reminding:
    """Remind everyone who has not answered and is at work today (with `policy`: not on leave;
    never a chef gone from the roster), at most the round's cap of reminders each — now, or
    queued in the outbox from `not_before` (the next working morning HR chose); one whose
    invitation never arrived because Teams did not take it gets the invitation."""
    result = Reminding()
    messages: list[NewMessage] = []
    async with db.session() as session, session.begin():
        round_ = await RoundStore(db).get(round_id, lock=True, session=session)
        if round_ is None or (
            organisation_id is not None and round_.organisation_id != organisation_id
        ):
            raise RoundError("unknown_round", round=round_id)
        if round_.state != RoundState.OPEN or round_.deadline <= now:
            raise RoundError("not_open", state=round_.state)
        invitations = await InvitationStore(db).in_states(
            round_id=round_id, states=WAITING, session=session
        )
        chefs = await ChefStore(db).by_ids(
            [i.chef_id for i in invitations if i.chef_id is not None], session=session
        )
        today = policy.today(now) if policy is not None else None
        for invitation in invitations:
            assert invitation.chef_id is not None  # only a long-closed round's are detached
            chef = chefs.get(invitation.chef_id)
            if chef is None or not chef.active or (today is not None and on_leave(chef, today)):
                continue  # not chased (`followup.people.presence`)
            if invitation.reminders_sent >= round_.reminder_cap:
                result.at_cap += 1
                continue
            invitation.reminders_sent += 1
            messages.append(
                reminder_message(
                    round_,
                    invitation.chef_id,
                    reminder_key(round_id, invitation.chef_id, invitation.reminders_sent),
                    not_before=not_before,
                )
            )
        undelivered = await InvitationStore(db).in_states(
            round_id=round_id, states=[InvitationState.UNREACHABLE], session=session
        )
        result.resent = await resend_invitations(db, round_, undelivered, now=now, session=session)
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
    chef = await ChefStore(db).set_on_leave(
        organisation_id=organisation_id, until=until, now=now, upn=upn, chef_id=chef_id
    )
    if chef is None:
        raise RoundError("unknown_chef", upn=upn or chef_id or "")
    return chef
