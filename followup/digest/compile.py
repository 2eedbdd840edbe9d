"""The digest (sammanställning) of a round: what HR takes to the board.

In three steps: the counts are gathered from `storage.digest_store` (GROUP BY in the database,
over submitted answers only, and only of what the round's sections let out at all); every figure
then passes the privacy rules in `followup.privacy.disclosure` (no group smaller than k,
nothing revealed by subtraction); and what is left is put in the `Digest`. The renderers
(Markdown, XLSX, DOCX, Teams) only lay out what is here."""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from followup.digest.identified import NO_DEPARTMENT, DepartmentAnswers, per_chef
from followup.privacy.disclosure import enough, hidden_groups, may_quote, names_allowed, reported
from followup.rounds.lifecycle import RoundError
from followup.rounds.progress import share
from followup.sections import (
    CONFIDENCE_LEVELS,
    NEEDS,
    OPEN_STATUSES,
    STATUSES,
    Privacy,
    Section,
)
from storage.database import Database, Session
from storage.digest_store import (
    ChefStatus,
    DigestStore,
    DigestSubject,
    InvitationCount,
    PlannedActivity,
    RatingCount,
    RoundRatingCount,
    StatusCount,
)
from storage.models import InvitationState, Round, RoundState

QUOTED_TEXTS = {
    Section.STRENGTHS_NEEDS: ("strengths", *(f"need.{n}" for n in NEEDS)),
    Section.PRINCIPLES: ("example", "grow"),
}


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
class ActivityFigures:
    code: str
    title: str
    area: str
    counts: dict[str, int]  # status → how many chefs, all departments
    # department → status → count; None: hidden (a confidential section, a small group)
    departments: dict[str, dict[str, int] | None]

    @property
    def answered(self) -> int:
        return sum(self.counts.values())

    @property
    def still_open(self) -> int:
        return sum(n for status, n in self.counts.items() if status in OPEN_STATUSES)


@dataclass
class NeedFigures:
    need: str
    some_or_great: int | None  # respondents naming the need at all; None: too few answered
    great: int | None
    departments: dict[str, int | None]  # department → some or great; None: hidden


@dataclass
class Confidence:
    """'Hur trygg känner du dig i rollen som förändringsledare?' 1–5, over `n` respondents."""

    n: int
    mean: float | None = None  # None: fewer than k
    median: float | None = None
    distribution: dict[int, int] = field(default_factory=dict)


@dataclass(frozen=True)
class TrendPoint:
    """Confidence in one round of the programme: the movement toward the goal."""

    round_id: int
    title: str
    deadline: datetime
    n: int
    mean: float | None
    departments: dict[str, float | None]


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
    identified: list[DepartmentAnswers]  # per chef, every status (identified rounds only)
    needs: list[NeedFigures] | None
    principles: list[tuple[int, str, int]] | None  # (number, title, chosen by)
    principle_respondents: int
    confidence: Confidence | None
    confidence_departments: dict[str, Confidence | None]
    trend: list[TrendPoint]
    quotes: list[tuple[str, str, str]]  # (section, key, text), no names
    hidden_departments: list[str]  # whose confidential figures are left out (fewer than k)

    @property
    def activity_privacy(self) -> str:
        return self.round.sections.get(Section.ACTIVITY_STATUS, "")

    @property
    def still_open(self) -> list[ActivityFigures]:
        """Activities someone reported as not started, in progress or delayed: the next round's."""
        return [a for a in self.activities or [] if a.still_open]


CONSENT = (Section.CONSENT, "quote")  # the rating that says yes (1) to being quoted
# the rounds whose confidence makes the trend: this one, and those that closed before it
TREND_STATES = (RoundState.CLOSED, RoundState.ARCHIVED, RoundState.OPEN)


# --- step 1: the counts, from the database --------------------------------------------------


@dataclass(frozen=True)
class Counted:
    """What the database counted for one digest, before the privacy rules; what a section's
    mode keeps out of HR's outputs altogether is not even counted (None, or empty)."""

    invitations: list[InvitationCount]
    plan: list[PlannedActivity] | None  # None: activity statuses are not reported
    statuses: list[StatusCount]
    identified: list[ChefStatus]  # identified rounds only
    needs: list[RatingCount] | None  # None: not reported
    principles: list[RatingCount]  # the principle chosen as most important
    principle_titles: list[tuple[int, str]]
    confidence: list[RatingCount] | None  # None: not reported
    quotes: dict[str, list[tuple[str, str]]]  # section → (key, text) of consenting respondents
    trend_rounds: list[Round]
    trend: list[RoundRatingCount]


def _respondents(invitations: list[InvitationCount]) -> int:
    return sum(c.n for c in invitations if c.state == InvitationState.SUBMITTED)


async def count(
    store: DigestStore,
    subject: DigestSubject,
    *,
    department_ids: frozenset[int] | None,
    session: Session | None = None,
) -> Counted:
    """Everything a digest of `subject.round` counts (for `department_ids` only, when given)."""
    round_ = subject.round
    assert round_.id is not None and subject.programme.id is not None
    round_id, programme_id = round_.id, subject.programme.id
    sections = round_.sections

    async def ratings(section: str, key: str | None = None) -> list[RatingCount]:
        return await store.ratings(
            round_id=round_id,
            section=section,
            key=key,
            department_ids=department_ids,
            session=session,
        )

    invitations = await store.invitations(
        round_id=round_id, department_ids=department_ids, session=session
    )
    status_privacy = sections.get(Section.ACTIVITY_STATUS, "")
    plan: list[PlannedActivity] | None = None
    statuses: list[StatusCount] = []
    identified: list[ChefStatus] = []
    if reported(status_privacy):
        statuses = await store.statuses(
            round_id=round_id, department_ids=department_ids, session=session
        )
        plan = await store.plan(programme_id=programme_id, session=session)
        if names_allowed(status_privacy):
            identified = await store.chef_statuses(
                round_id=round_id, department_ids=department_ids, session=session
            )

    needs = None
    if reported(sections.get(Section.STRENGTHS_NEEDS, "")):
        needs = await ratings(Section.STRENGTHS_NEEDS)
    # how many chose a principle is told even when the section is not reported
    principles = await ratings(Section.PRINCIPLES, "most")
    titles = []
    if reported(sections.get(Section.PRINCIPLES, "")):
        titles = await store.principles(programme_id=programme_id, session=session)
    confidence = None
    if reported(sections.get(Section.CONFIDENCE, "")):
        confidence = await ratings(Section.CONFIDENCE, "confidence")

    quotes: dict[str, list[tuple[str, str]]] = {}
    respondents = _respondents(invitations)
    for section, keys in QUOTED_TEXTS.items():
        privacy = sections.get(section, "")
        if may_quote(privacy, consented=True, respondents=respondents, k=round_.k):
            quotes[str(section)] = await store.consented_texts(
                round_id=round_id,
                section=section,
                keys=keys,
                consent=CONSENT,
                department_ids=department_ids,
                session=session,
            )

    trend_rounds = [
        r
        for r in await store.programme_rounds(
            programme_id=programme_id,
            until=round_.deadline,
            states=TREND_STATES,
            session=session,
        )
        if reported(r.sections.get(Section.CONFIDENCE, ""))
        and (r.id == round_.id or r.state != RoundState.OPEN)
    ]
    trend = []
    if trend_rounds:
        trend = await store.round_ratings(
            round_ids=[r.id for r in trend_rounds if r.id is not None],
            section=Section.CONFIDENCE,
            key="confidence",
            department_ids=department_ids,
            session=session,
        )
    return Counted(
        invitations=invitations,
        plan=plan,
        statuses=statuses,
        identified=identified,
        needs=needs,
        principles=principles,
        principle_titles=titles,
        confidence=confidence,
        quotes=quotes,
        trend_rounds=trend_rounds,
        trend=trend,
    )


# --- step 2: the privacy rules, figure by figure ---------------------------------------------


def _confidence(counts: Counter[int], k: int) -> Confidence:
    n = sum(counts.values())
    if not enough(n, k):
        return Confidence(n)
    values = [v for v, c in sorted(counts.items()) for _ in range(c)]
    return Confidence(
        n,
        mean=round(statistics.fmean(values), 2),
        median=float(statistics.median(values)),
        distribution={level: counts.get(level, 0) for level in CONFIDENCE_LEVELS},
    )


def _per_department(
    counts: dict[str, Counter[int]], k: int
) -> tuple[Counter[int], dict[str, Confidence | None]]:
    """The overall counts, and each department's confidence (None: hidden as too small)."""
    overall: Counter[int] = Counter()
    for c in counts.values():
        overall.update(c)
    sizes = {name: sum(c.values()) for name, c in counts.items()}
    small = hidden_groups(sizes, k)
    return overall, {
        name: None if name in small else _confidence(counts[name], k) for name in sorted(sizes)
    }


@dataclass
class _Responses:
    invited: Counter[str] = field(default_factory=Counter)
    submitted: Counter[str] = field(default_factory=Counter)
    on_leave: int = 0
    unreachable: int = 0
    reasons: Counter[str] = field(default_factory=Counter)


def _responses(rows: list[InvitationCount], dept: _Names) -> _Responses:
    """Who was asked and who answered, per department; those on leave were not asked."""
    result = _Responses()
    for department_id, state, reason, n in rows:
        if state == InvitationState.ON_LEAVE:
            result.on_leave += n
            continue
        result.invited[dept(department_id)] += n
        if state == InvitationState.SUBMITTED:
            result.submitted[dept(department_id)] += n
        if state == InvitationState.UNREACHABLE:
            result.unreachable += n
            result.reasons[reason or "Unknown"] += n
    return result


def _activities(
    counted: Counted, dept: _Names, *, hidden: set[str], confidential: bool
) -> tuple[list[ActivityFigures], dict[str, dict[str, int]]]:
    """Each answered activity's statuses, overall and per department (a small department's
    hidden when the section is confidential), and the statuses per area."""
    by_activity = {
        a.activity_id: ActivityFigures(a.code, a.title, a.area, {}, {}) for a in counted.plan or []
    }
    for activity_id, department_id, status, n in counted.statuses:
        figures = by_activity.get(activity_id)
        if figures is None or status not in STATUSES:
            continue
        figures.counts[status] = figures.counts.get(status, 0) + n
        name = dept(department_id)
        if confidential and name in hidden:
            figures.departments[name] = None
        else:
            cell = figures.departments.setdefault(name, {})
            if cell is not None:
                cell[status] = cell.get(status, 0) + n
    activities = [a for a in by_activity.values() if a.answered]
    areas: dict[str, dict[str, int]] = {}
    for figures in activities:
        area = areas.setdefault(figures.area, {})
        for status, n in figures.counts.items():
            area[status] = area.get(status, 0) + n
    return activities, areas


def _needs(
    rows: list[RatingCount], dept: _Names, *, respondents: dict[str, int], hidden: set[str], k: int
) -> list[NeedFigures]:
    """How many named each need (some or great), overall when the round has k respondents, and
    per department unless the department is hidden."""
    counts: dict[str, Counter[str]] = defaultdict(Counter)  # need → dept → some/great
    great: Counter[str] = Counter()
    for key, value, department_id, n in rows:
        if key.startswith("need.") and value > 0:
            counts[key.removeprefix("need.")][dept(department_id)] += n
            if value == 2:
                great[key.removeprefix("need.")] += n
    big_enough = enough(sum(respondents.values()), k)
    return [
        NeedFigures(
            need,
            sum(counts[need].values()) if big_enough else None,
            great[need] if big_enough else None,
            {
                name: (None if name in hidden else counts[need].get(name, 0))
                for name in sorted(respondents)
            },
        )
        for need in NEEDS
    ]


def _trend(counted: Counted, dept: _Names) -> list[TrendPoint]:
    """Confidence per round of the programme up to this one, each under its own round's k."""
    counts: dict[int, dict[str, Counter[int]]] = defaultdict(lambda: defaultdict(Counter))
    for round_id, department_id, value, n in counted.trend:
        counts[round_id][dept(department_id)][value] += n
    points = []
    for r in counted.trend_rounds:
        assert r.id is not None
        overall, departments = _per_department(counts.get(r.id, {}), r.k)
        points.append(
            TrendPoint(
                r.id,
                r.title,
                r.deadline,
                sum(overall.values()),
                _confidence(overall, r.k).mean,
                {name: None if c is None else c.mean for name, c in departments.items()},
            )
        )
    return points


# --- step 3: the digest ------------------------------------------------------------------------


class _Names:
    """A department's name by id; chefs without one count under NO_DEPARTMENT."""

    def __init__(self, names: dict[int, str]) -> None:
        self._names = names

    def __call__(self, department_id: int | None) -> str:
        return self._names.get(department_id, NO_DEPARTMENT) if department_id else NO_DEPARTMENT


def build(subject: DigestSubject, counted: Counted, *, now: datetime) -> Digest:
    """The digest of the counts, every figure through the privacy rules."""
    round_, k, sections = subject.round, subject.round.k, subject.round.sections
    dept = _Names(subject.departments)
    responses = _responses(counted.invitations, dept)
    respondents = dict(responses.submitted)
    hidden = hidden_groups(respondents, k)

    activities: list[ActivityFigures] | None = None
    areas: dict[str, dict[str, int]] = {}
    status_privacy = sections.get(Section.ACTIVITY_STATUS, "")
    if counted.plan is not None:
        activities, areas = _activities(
            counted, dept, hidden=hidden, confidential=status_privacy != Privacy.IDENTIFIED
        )

    needs = None
    if counted.needs is not None:
        needs = _needs(counted.needs, dept, respondents=respondents, hidden=hidden, k=k)

    chosen: Counter[int] = Counter()
    for _, value, _, n in counted.principles:
        chosen[value] += n
    principle_respondents = sum(chosen.values())
    principles: list[tuple[int, str, int]] | None = None
    if reported(sections.get(Section.PRINCIPLES, "")) and enough(principle_respondents, k):
        principles = [
            (number, title, chosen.get(number, 0)) for number, title in counted.principle_titles
        ]

    confidence: Confidence | None = None
    confidence_departments: dict[str, Confidence | None] = {}
    if counted.confidence is not None:
        by_department: dict[str, Counter[int]] = defaultdict(Counter)
        for _, value, department_id, n in counted.confidence:
            by_department[dept(department_id)][value] += n
        overall, confidence_departments = _per_department(by_department, k)
        confidence = _confidence(overall, k)

    return Digest(
        round=round_,
        organisation=subject.organisation.name,
        programme=subject.programme.title,
        goal=subject.programme.goal,
        k=k,
        compiled_at=now,
        total=Response("", sum(responses.invited.values()), sum(responses.submitted.values())),
        departments=[
            Response(name, responses.invited[name], responses.submitted[name])
            for name in sorted(responses.invited)
        ],
        unreachable=responses.unreachable,
        on_leave=responses.on_leave,
        unreachable_reasons=dict(responses.reasons),
        activities=activities,
        areas=areas,
        identified=per_chef(counted.identified, dept),
        needs=needs,
        principles=principles,
        principle_respondents=principle_respondents,
        confidence=confidence,
        confidence_departments=confidence_departments,
        trend=_trend(counted, dept),
        # sorted, out of roster order, so a quote's place does not hint at its author
        quotes=[
            (section, key, text)
            for section, texts in counted.quotes.items()
            for key, text in sorted(texts)
        ],
        hidden_departments=sorted(hidden),
    )


async def compile_digest(
    db: Database,
    *,
    round_id: int,
    now: datetime,
    organisation_id: int | None = None,
    department_ids: frozenset[int] | None = None,
) -> Digest:
    """The digest of one round, with the confidence trend over the programme's rounds so far;
    for the chosen departments only when `department_ids` is given."""
    store = DigestStore(db)
    # one session for every count: the figures all describe the same moment
    async with db.session() as session:
        subject = await store.subject(round_id=round_id, session=session)
        if subject is None or (
            organisation_id is not None and subject.round.organisation_id != organisation_id
        ):
            raise RoundError("unknown_round", round=round_id)
        counted = await count(store, subject, department_ids=department_ids, session=session)
    return build(subject, counted, now=now)
