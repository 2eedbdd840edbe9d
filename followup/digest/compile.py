"""The digest (sammanställning) of a round: what HR takes to the board.

Its figures come from the round's publication (`followup.digest.publication`): decided once for
the whole organisation when the round closed, through the privacy rules of
`followup.privacy.disclosure`, and kept — who was asked and who answered too, so a later
reorganisation does not change a past round's response rates; a view for some departments is a
cut of it. Until the round closes there is no confidential figure. What is read here, live, is
the identified comments, which carry names and go with erasure and retention. The renderers
(Markdown, XLSX, DOCX, Teams) only lay out what is here."""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime

from followup.digest.figures import (
    ActivityFigures,
    CarriedActivity,
    Confidence,
    NeedFigures,
    TrendPoint,
)
from followup.digest.identified import DepartmentAnswers, departments_only, per_chef
from followup.digest.publication import (
    PUBLISHED_STATES,
    DepartmentNames,
    Publication,
    publication,
    publications,
)
from followup.policy import Policy
from followup.privacy.disclosure import names_allowed
from followup.rounds.lifecycle import RoundError
from followup.rounds.progress import share
from followup.sections import Section
from storage.database import Database, Session
from storage.digest_store import ChefAnswerRow, DigestStore, DigestSubject
from storage.models import InvitationState, Round

__all__ = [
    "ActivityFigures",
    "Confidence",
    "Digest",
    "NeedFigures",
    "Response",
    "TrendPoint",
    "compile_digest",
]


@dataclass(frozen=True)
class Response:
    """Who answered, for a department or the whole round."""

    name: str
    invited: int
    submitted: int

    @property
    def rate(self) -> float:
        return share(self.submitted, self.invited)


@dataclass
class Digest:
    round: Round
    organisation: str
    programme: str
    goal: str
    k: int
    compiled_at: datetime
    total: Response
    departments: list[Response]
    unreachable: int
    on_leave: int
    unreachable_reasons: dict[str, int]
    activities: list[ActivityFigures] | None  # None: the round did not ask (or keeps it private)
    areas: dict[str, dict[str, int]]
    # identified rounds only: the departments with answers by name, each with every chef's
    # statuses when `names` (what an export that names chefs holds), without them otherwise
    identified: list[DepartmentAnswers]
    needs: list[NeedFigures] | None
    principles: list[tuple[int, str, int]] | None  # (number, title, chosen by)
    principle_respondents: int
    confidence: Confidence | None
    confidence_departments: dict[str, Confidence | None]
    trend: list[TrendPoint]
    quotes: list[tuple[str, str, str]]  # (section, key, text), no names
    hidden_departments: list[str]  # with a confidential figure left out (fewer than k)
    # True: the round is not closed, so its confidential figures are not out yet
    sealed: bool = False
    # the activities asked only because departments left them unfinished in earlier rounds
    carried: list[CarriedActivity] = field(default_factory=list)
    # chefs gone from the roster, without answers, when the round closed: not counted as asked
    left: int = 0
    # True: `identified` holds every chef's statuses; False: only which departments have them
    # (what the card's buttons need: the answers are a read of their own, audited, a press away)
    names: bool = True

    @property
    def activity_privacy(self) -> str:
        return self.round.sections.get(Section.ACTIVITY_STATUS, "")

    @property
    def still_open(self) -> list[ActivityFigures]:
        """Activities someone reported as not started, in progress or delayed: the next round's
        in the departments that did."""
        return [a for a in self.activities or [] if a.still_open]

    @property
    def done_everywhere(self) -> list[ActivityFigures]:
        """Activities every department that answered reports done (or not applicable)."""
        return [a for a in self.activities or [] if a.done_everywhere]

    @property
    def delayed_somewhere(self) -> list[ActivityFigures]:
        return [a for a in self.activities or [] if a.delayed_somewhere]


# the rounds whose confidence makes the trend: this one, and those that closed before it
TREND_STATES = PUBLISHED_STATES


@dataclass(frozen=True)
class Counted:
    """What is read live for one view: the identified answers (of the view's departments),
    and the earlier rounds of the trend."""

    identified: list[ChefAnswerRow]  # identified rounds, `names` only
    # identified rounds: the departments with answers by name (None: no department)
    named_departments: list[int | None]
    trend_rounds: list[Round]


async def count(
    store: DigestStore,
    subject: DigestSubject,
    *,
    department_ids: Collection[int] | None,
    names: bool,
    session: Session | None = None,
) -> Counted:
    round_ = subject.round
    assert round_.id is not None and subject.programme.id is not None
    identified: list[ChefAnswerRow] = []
    named: list[int | None] = []
    if names_allowed(round_.sections.get(Section.ACTIVITY_STATUS, "")):
        if names:
            identified = await store.chef_answers(
                round_id=round_.id, department_ids=department_ids, session=session
            )
            named = list(dict.fromkeys(row.department_id for row in identified))
        else:
            named = await store.named_departments(
                round_id=round_.id, department_ids=department_ids, session=session
            )
    trend_rounds = [
        r
        for r in await store.programme_rounds(
            programme_id=subject.programme.id,
            until=round_.deadline,
            states=TREND_STATES,
            session=session,
        )
        if r.id != round_.id
    ]
    return Counted(identified=identified, named_departments=named, trend_rounds=trend_rounds)


@dataclass
class Responses:
    """A round's invitations as the digest counts them (`responses_of`)."""

    invited: Counter[str] = field(default_factory=Counter)
    submitted: Counter[str] = field(default_factory=Counter)
    on_leave: int = 0
    left: int = 0
    unreachable: int = 0
    reasons: Counter[str] = field(default_factory=Counter)


def responses_of(rows: list[tuple[str, str, str | None, int]]) -> Responses:
    """Who was asked and who answered, per department; those on leave, and those gone from the
    roster before answering, are not counted as asked (`lifecycle.close_round` settles them)."""
    result = Responses()
    for name, state, reason, n in rows:
        if state == InvitationState.ON_LEAVE:
            result.on_leave += n
            continue
        if state == InvitationState.LEFT:
            result.left += n
            continue
        result.invited[name] += n
        if state == InvitationState.SUBMITTED:
            result.submitted[name] += n
        if state == InvitationState.UNREACHABLE:
            result.unreachable += n
            result.reasons[reason or "Unknown"] += n
    return result


def build(
    subject: DigestSubject,
    counted: Counted,
    published: Publication,
    trend: list[TrendPoint],
    *,
    now: datetime,
    names: bool = True,
) -> Digest:
    """The digest of one view: the published figures, with the identified answers (every
    chef's when `names`, otherwise which departments have them)."""
    round_ = subject.round
    dept = DepartmentNames(subject.departments)
    responses = responses_of(published.invitations)
    own = published.trend_point(round_) if not published.sealed else None
    return Digest(
        round=round_,
        organisation=subject.organisation.name,
        programme=subject.programme.title,
        goal=subject.programme.goal,
        k=round_.k,
        compiled_at=now,
        total=Response("", sum(responses.invited.values()), sum(responses.submitted.values())),
        departments=[
            Response(name, responses.invited[name], responses.submitted[name])
            for name in sorted(responses.invited)
        ],
        unreachable=responses.unreachable,
        on_leave=responses.on_leave,
        left=responses.left,
        unreachable_reasons=dict(responses.reasons),
        activities=published.activities,
        areas=published.areas,
        identified=per_chef(counted.identified, dept)
        if names
        else departments_only(counted.named_departments, dept),
        needs=published.needs,
        principles=published.principles,
        principle_respondents=published.principle_respondents,
        confidence=published.confidence,
        confidence_departments=published.confidence_departments,
        trend=[*trend, *([own] if own else [])],
        quotes=[],
        hidden_departments=published.hidden_departments,
        sealed=published.sealed,
        carried=published.carried,
        names=names,
    )


async def group_view(
    db: Database, *, round_id: int, department_id: int | None, now: datetime, policy: Policy
) -> Digest | None:
    """What a chef's feedback shows of the group after a round: the organisation's published
    figures and those of their department, cut from the same publication as HR's digest; None
    while the round is open (nothing is published yet)."""
    digest = await compile_digest(
        db,
        round_id=round_id,
        now=now,
        department_ids=frozenset({department_id} if department_id else ()),
        policy=policy,
        names=False,  # the group's figures only
    )
    return None if digest.sealed else digest


async def compile_digest(
    db: Database,
    *,
    round_id: int,
    now: datetime,
    organisation_id: int | None = None,
    department_ids: frozenset[int] | None = None,
    policy: Policy | None = None,
    names: bool = True,
) -> Digest:
    """The digest of one round, with the confidence trend over the programme's rounds so far;
    for the chosen departments only when `department_ids` is given (their own figures, and the
    organisation's). Every chef's identified statuses are read only with `names` (a file that
    names chefs; a region's round is millions of them); without, the digest says only which
    departments have them, as a view that shows them a press away needs."""
    policy = policy or Policy()
    store = DigestStore(db)
    subject = await store.subject(round_id=round_id)
    if subject is None or (
        organisation_id is not None and subject.round.organisation_id != organisation_id
    ):
        raise RoundError("unknown_round", round=round_id)
    published = (await publication(db, subject, now=now, policy=policy)).cut(department_ids)
    async with db.session() as session:
        counted = await count(
            store, subject, department_ids=department_ids, names=names, session=session
        )
    earlier = await publications(db, counted.trend_rounds, now=now, policy=policy)
    trend = [
        point
        for round_, kept in zip(counted.trend_rounds, earlier, strict=True)
        if (point := kept.cut(department_ids).trend_point(round_)) is not None
    ]
    digest = build(subject, counted, published, trend, now=now, names=names)
    texts = await store.texts([i for q in published.quotes for i in q.answer_ids])
    digest.quotes = [
        (q.section, q.key, next(texts[i] for i in q.answer_ids if i in texts))
        for q in published.quotes
        if any(i in texts for i in q.answer_ids)
    ]
    return digest
