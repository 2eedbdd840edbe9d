"""The chef's check-in: which steps a round asks, what is answered, and the rules for a card.

Everything here is worked out from the answer tables, not from dialog state: a chef who stops
half-way resumes at the first unanswered step, also after the service restarted."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime

from followup.check_in.carried import carried_into
from followup.check_in.step_checks import Clean
from followup.people.presence import on_leave
from followup.policy import Policy
from followup.sections import (
    AREA_PREFIX,
    NEEDS,
    OPEN_STATUSES,
    Privacy,
    Section,
)
from storage.answer_store import Answers, AnswerStore
from storage.chef_store import ChefStore
from storage.database import Database, Session
from storage.invitation_store import InvitationStore
from storage.models import (
    Activity,
    Area,
    InvitationState,
    OutboxKind,
    Principle,
    Round,
    RoundState,
)
from storage.outbox_store import NewMessage, OutboxStore
from storage.plan_store import PlanStore
from storage.programme_store import ProgrammeStore
from storage.round_store import RoundStore

SUMMARY = "summary"


@dataclass(frozen=True)
class ActivityItem:
    id: int
    code: str
    title: str
    description: str
    owner: str
    due: date | None
    status: str | None
    comment: str
    last_status: str | None  # last round's status, for activities left open then
    # asked because the department left it unfinished (`carried`), not because the plan lists it
    # for this year: `last_status` is then the department's status of that round
    carried: bool = False


@dataclass(frozen=True)
class AreaBlock:
    code: str
    name: str
    items: tuple[ActivityItem, ...]
    # an area of many activities is asked over several steps: which of them this is
    page: int = 1
    pages: int = 1

    def paged(self) -> tuple[AreaBlock, ...]:
        """The area as its steps ask it: at most `MAX_STEP_ACTIVITIES` activities a step, the
        pages as even as they can be (5 activities: 3 and 2, not 4 and 1)."""
        count = len(self.items)
        pages = max(1, -(-count // MAX_STEP_ACTIVITIES))
        size = max(1, -(-count // pages))
        return tuple(
            replace(self, items=self.items[start : start + size], page=n, pages=pages)
            for n, start in enumerate(range(0, count, size), start=1)
        )

    @property
    def step(self) -> str:
        """The step that asks this page of the area: "area:BL", then "area:BL/2"."""
        return f"{AREA_PREFIX}{self.code}" + (f"{PAGE_MARK}{self.page}" if self.page > 1 else "")


# activities one step card asks at most: a step stays within about two phone screens
MAX_STEP_ACTIVITIES = 3
PAGE_MARK = "/"  # "area:BL/2": the second step of the area BL


@dataclass(frozen=True)
class PrincipleItem:
    number: int
    title: str
    description: str


@dataclass(frozen=True)
class CheckIn:
    """One chef's view of one round: what it asks and what they have answered."""

    invitation_id: int
    invitation_state: str
    submitted_at: datetime | None
    round_id: int
    round_title: str
    round_state: str
    deadline: datetime
    programme_id: int
    chef_id: int
    chef_name: str
    department_id: int | None
    sections: dict[str, str]
    k: int  # the round's smallest group HR sees a figure for
    areas: tuple[AreaBlock, ...]
    principles: tuple[PrincipleItem, ...]
    answers: Answers = field(repr=False)
    # steps changed since the answers were sent in, not sent in yet (see `drafts`)
    changed: tuple[str, ...] = ()

    # --- what the round asks ------------------------------------------------------------

    def asks(self, section: str) -> bool:
        return section in self.sections

    def privacy(self, section: str) -> str:
        return self.sections.get(section, Privacy.CONFIDENTIAL)

    @property
    def steps(self) -> tuple[str, ...]:
        steps: list[str] = []
        if self.asks(Section.ACTIVITY_STATUS):
            steps += [page.step for a in self.areas if a.items for page in a.paged()]
        if self.asks(Section.STRENGTHS_NEEDS):
            steps.append(Section.STRENGTHS_NEEDS)
        if self.asks(Section.PRINCIPLES) and self.principles:
            steps.append(Section.PRINCIPLES)
        if self.asks(Section.CONFIDENCE):
            steps.append(Section.CONFIDENCE)
        if self.asks_consent:
            steps.append(Section.CONSENT)
        return (*steps, SUMMARY)

    @property
    def asks_consent(self) -> bool:
        """Free texts of confidential sections may be quoted only with the chef's yes."""
        return any(
            self.asks(s) and self.privacy(s) == Privacy.CONFIDENTIAL
            for s in (Section.STRENGTHS_NEEDS, Section.PRINCIPLES)
        )

    @property
    def activity_count(self) -> int:
        return sum(len(a.items) for a in self.areas) if self.asks(Section.ACTIVITY_STATUS) else 0

    def area(self, step: str) -> AreaBlock | None:
        """The area, or the page of it, that an activity step asks."""
        if not step.startswith(AREA_PREFIX):
            return None
        return next(
            (page for a in self.areas if a.items for page in a.paged() if page.step == step),
            None,
        )

    # --- what is answered ---------------------------------------------------------------

    def text(self, section: str, key: str) -> str:
        return self.answers.texts.get((section, key), "")

    def rating(self, section: str, key: str) -> int | None:
        return self.answers.ratings.get((section, key))

    def answered(self, step: str) -> bool:
        if step.startswith(AREA_PREFIX):
            area = self.area(step)
            return area is not None and all(item.status for item in area.items)
        if step == Section.STRENGTHS_NEEDS:
            return all(self.rating(step, f"need.{n}") is not None for n in NEEDS)
        if step == Section.PRINCIPLES:
            return self.rating(step, "most") is not None
        if step == Section.CONFIDENCE:
            return self.rating(step, "confidence") is not None
        if step == Section.CONSENT:
            return self.rating(step, "quote") is not None
        return False

    @property
    def next_step(self) -> str:
        return next((s for s in self.steps if s != SUMMARY and not self.answered(s)), SUMMARY)

    @property
    def complete(self) -> bool:
        return self.next_step == SUMMARY

    @property
    def answers_started(self) -> bool:
        return self.invitation_state == InvitationState.STARTED or bool(
            self.answers.statuses or self.answers.texts or self.answers.ratings
        )

    @property
    def submitted(self) -> bool:
        return self.invitation_state == InvitationState.SUBMITTED

    def is_open(self, now: datetime) -> bool:
        return self.round_state == RoundState.OPEN and now < self.deadline

    def minutes(self) -> int:
        """A fair estimate of the time it takes: half a minute an activity, two a reflection."""
        reflections = len([s for s in self.steps if not s.startswith(AREA_PREFIX)]) - 1
        return max(5, round(self.activity_count * 0.5 + reflections * 2))


# --- loading ----------------------------------------------------------------------------


def round_year(round_: Round, *, policy: Policy) -> int:
    """The plan year a round asks about: the year it opens in, in the policy's zone."""
    return policy.local(round_.opens_at or round_.created_at).year


@dataclass(frozen=True)
class Plan:
    """A programme's activities, their departments, areas and principles, as of one version."""

    version: datetime
    activities: tuple[Activity, ...]
    departments: dict[int, frozenset[int]]
    areas: tuple[Area, ...]
    principles: tuple[Principle, ...]


class PlanCache:
    """Reads a programme's plan once per version (plan imports bump the programme's
    `updated_at`), instead of four queries on every turn of every chef."""

    def __init__(self) -> None:
        self._plans: dict[int, Plan] = {}

    async def get(
        self,
        db: Database,
        programme_id: int,
        *,
        version: datetime | None = None,
        session: Session | None = None,
    ) -> Plan:
        """The programme's plan; `version` when the caller has read it already."""
        if version is None:
            version = await ProgrammeStore(db).version(programme_id, session=session)
        cached = self._plans.get(programme_id)
        if cached is not None and cached.version == version:
            return cached
        store = PlanStore(db)
        activities = await store.activities(programme_id, active_only=True, session=session)
        links = await store.activity_links([a.id for a in activities], session=session)
        departments: dict[int, set[int]] = {}
        for link in links:
            departments.setdefault(link.activity_id, set()).add(link.department_id)
        areas = await store.areas(programme_id, active_only=True, session=session)
        principles = await store.principles(programme_id, active_only=True, session=session)
        plan = Plan(
            version=version,
            activities=tuple(activities),
            departments={k: frozenset(v) for k, v in departments.items()},
            areas=tuple(areas),
            principles=tuple(principles),
        )
        self._plans[programme_id] = plan
        return plan


async def load_check_in(
    db: Database, invitation_id: int, *, policy: Policy, plans: PlanCache | None = None
) -> CheckIn | None:
    async with db.reading() as session:
        row = await InvitationStore(db).for_check_in(
            invitation_id,
            earlier_states=(RoundState.OPEN, RoundState.CLOSED, RoundState.ARCHIVED),
            session=session,
        )
        if row is None:
            return None
        invitation, round_, chef, version, previous = row
        if round_.id is None or chef.id is None:
            return None
        year = round_year(round_, policy=policy)
        plan = await (plans or PlanCache()).get(
            db, round_.programme_id, version=version, session=session
        )
        # the department the round counts the chef under (theirs when invited), not today's
        department_id = invitation.department_id
        applicable = [
            a
            for a in plan.activities
            if year in a.years
            and a.ended_at is None
            and (a.all_departments or department_id in plan.departments.get(a.id or 0, ()))
        ]
        carried = await carried_into(
            db, round_, plan.activities, applicable, department_id, session=session
        )
        asked = {a.id for a in applicable} | set(carried)
        applicable = [a for a in plan.activities if a.id in asked]
        areas, principles = plan.areas, plan.principles
        loaded = await AnswerStore(db).load_many(
            (invitation_id,) if previous is None else (invitation_id, previous), session=session
        )
        answers = loaded[invitation_id]
        last = loaded[previous] if previous is not None else Answers()
    blocks = []
    for area in areas:
        items = tuple(
            ActivityItem(
                id=a.id or 0,
                code=a.code,
                title=a.title,
                description=a.description,
                owner=a.owner,
                due=a.due,
                status=answers.statuses.get(a.id or 0, (None, ""))[0],
                comment=answers.statuses.get(a.id or 0, (None, ""))[1],
                last_status=carried.get(a.id or 0) or _last_open(last, a.id or 0),
                carried=(a.id or 0) in carried,
            )
            for a in applicable
            if a.area_id == area.id
        )
        blocks.append(AreaBlock(area.code, area.name, items))
    return CheckIn(
        invitation_id=invitation_id,
        invitation_state=invitation.state,
        submitted_at=invitation.submitted_at,
        round_id=round_.id,
        round_title=round_.title,
        round_state=round_.state,
        deadline=round_.deadline,
        programme_id=round_.programme_id,
        chef_id=chef.id,
        chef_name=chef.name,
        department_id=department_id,
        sections=dict(round_.sections),
        k=round_.k,
        areas=tuple(blocks),
        principles=tuple(PrincipleItem(p.number, p.title, p.description) for p in principles),
        answers=answers,
    )


def _last_open(last: Answers, activity_id: int) -> str | None:
    status = last.statuses.get(activity_id, (None, ""))[0]
    return status if status in OPEN_STATUSES else None


async def open_invitation(
    db: Database, *, chef_id: int, now: datetime, today: date | None = None
) -> int | None:
    """The chef's invitation in the open round that closes first (the one to answer now). With
    `today`, a chef back from leave (`followup.people.presence`) also finds the invitation the
    opening skipped for their leave; it counts as reached from now on."""
    invitations = InvitationStore(db)
    chef = await ChefStore(db).get(chef_id) if today is not None else None
    back = chef is not None and today is not None and not on_leave(chef, today)
    found = await invitations.answerable(chef_id=chef_id, now=now, include_on_leave=back)
    if found is not None and back:
        await invitations.back_from_leave(invitation_id=found, now=now)
    return found


async def latest_invitation(db: Database, *, chef_id: int) -> int | None:
    """The chef's most recent invitation in any round (for "mina svar")."""
    return await InvitationStore(db).latest_of_chef(chef_id=chef_id)


async def save(db: Database, check_in: CheckIn, clean: Clean, *, now: datetime) -> CheckIn:
    """Save a card's answers; returns the check-in as it is now (without reading it again)."""
    await AnswerStore(db).save(
        invitation_id=check_in.invitation_id,
        now=now,
        statuses=clean.statuses,
        texts=clean.texts,
        ratings=clean.ratings,
    )
    saved = with_answers(check_in, clean)
    state = check_in.invitation_state
    if state in (InvitationState.PENDING, InvitationState.DELIVERED, InvitationState.UNREACHABLE):
        state = InvitationState.STARTED
    return replace(saved, invitation_state=state)


def with_answers(check_in: CheckIn, clean: Clean) -> CheckIn:
    """The check-in with one step's answers in place of what it had (nothing is written)."""
    answers = Answers(
        statuses={**check_in.answers.statuses, **clean.statuses},
        texts={k: v for k, v in {**check_in.answers.texts, **clean.texts}.items() if v},
        ratings={**check_in.answers.ratings, **clean.ratings},
    )
    areas = tuple(
        replace(
            area,
            items=tuple(
                replace(item, status=clean.statuses[item.id][0], comment=clean.statuses[item.id][1])
                if item.id in clean.statuses
                else item
                for item in area.items
            ),
        )
        for area in check_in.areas
    )
    return replace(check_in, answers=answers, areas=areas)


# --- sending in -------------------------------------------------------------------------


def receipt_key(round_id: int, chef_id: int, sequence: int) -> str:
    return f"round:{round_id}:chef:{chef_id}:{OutboxKind.RECEIPT.value}:{sequence}"


async def submit(db: Database, check_in: CheckIn, *, now: datetime) -> bool:
    """Send the answers in, and queue the chef's receipt and own feedback in the same
    transaction: a crash after the commit cannot lose them, and a second press (the first
    one's reply lost) queues nothing again. False when they were sent in already."""
    async with db.session() as session, session.begin():
        if not await AnswerStore(db).submit(
            invitation_id=check_in.invitation_id, now=now, session=session
        ):
            return False
        await queue_receipt(db, check_in, now=now, session=session)
    return True


async def queue_receipt(
    db: Database, check_in: CheckIn, *, now: datetime, session: Session
) -> None:
    """Queue the receipt of a sending-in at `now`, in the caller's transaction."""
    round_ = await RoundStore(db).get(check_in.round_id, session=session)
    assert round_ is not None
    outbox = OutboxStore(db)
    # one receipt a sending-in: changes sent in again get a new one
    sent_before = await outbox.count_of(
        round_id=check_in.round_id,
        chef_id=check_in.chef_id,
        kind=OutboxKind.RECEIPT.value,
        session=session,
    )
    await outbox.enqueue(
        [
            NewMessage(
                organisation_id=round_.organisation_id,
                dedupe_key=receipt_key(check_in.round_id, check_in.chef_id, sent_before + 1),
                kind=OutboxKind.RECEIPT.value,
                round_id=check_in.round_id,
                chef_id=check_in.chef_id,
                # rendered when sent; dropped if the answers were sent in again meanwhile
                payload={"submitted_at": now.isoformat()},
            )
        ],
        now=now,
        session=session,
    )


# --- the card's place in time and ownership --------------------------------------------


def refusal(check_in: CheckIn, *, chef_id: int | None, now: datetime) -> str | None:
    """Why a card may not change anything, or None. Catalogue keys under `checkin.refused.`."""
    if chef_id is None or chef_id != check_in.chef_id:
        return "not_yours"
    if check_in.round_state != RoundState.OPEN:
        return "round_closed"
    if now >= check_in.deadline:
        return "deadline_passed"
    return None


# --- feedback (återkoppling) ------------------------------------------------------------


@dataclass(frozen=True)
class Feedback:
    """The chef's own picture, for them only."""

    confidence: tuple[tuple[str, int], ...]  # (round title, 1–5), oldest first
    done_since_last: tuple[str, ...]  # activity titles
    needs: tuple[tuple[str, int, str], ...]  # (need, level 1–2, their text)


async def feedback(db: Database, check_in: CheckIn) -> Feedback:
    rows = await InvitationStore(db).submitted_in_programme(
        chef_id=check_in.chef_id, programme_id=check_in.programme_id, until=check_in.deadline
    )
    store = AnswerStore(db)
    trend: list[tuple[str, int]] = []
    for title, invitation_id in rows:
        answers = (
            check_in.answers
            if invitation_id == check_in.invitation_id
            else (await store.load(invitation_id))
        )
        value = answers.ratings.get((Section.CONFIDENCE, "confidence"))
        if value is not None:
            trend.append((title, value))
    done = tuple(
        item.title
        for area in check_in.areas
        for item in area.items
        if item.status == "done" and item.last_status is not None
    )
    needs = tuple(
        (need, level, check_in.text(Section.STRENGTHS_NEEDS, f"need.{need}"))
        for need in NEEDS
        if (level := check_in.rating(Section.STRENGTHS_NEEDS, f"need.{need}") or 0) > 0
    )
    return Feedback(tuple(trend), done, needs)
