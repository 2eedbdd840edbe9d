"""What a round publishes: its figures after the privacy rules, decided once for the whole
organisation, from which every view of the round is cut.

- While a round is not closed it publishes no confidential figure at all: only what the
  identified activity statuses add up to (HR sees those by name anyway). Its figures are worked
  out anew at each request and never kept.
- When it is closed, its figures are decided once — over every department together, with the
  privacy rules of `followup.privacy.disclosure` — and kept as they were (a `Publication` row).
  Every later view (HR's digest, a lead's, the chefs' feedback, Teams, XLSX, DOCX, Markdown, the
  CLI, the trend of later rounds) reads those kept figures: an erasure, a retention pass or a
  chef moving to another department afterwards changes nothing in them, so two views taken at
  different times cannot be subtracted from each other.
- A view for some departments only (a lead's, a chef's) is a cut of the same published figures:
  the organisation's figures and the published figures of those departments — never a recount
  over a subset, which could reveal a figure hidden from HR by subtraction.

Free texts are kept as references to the answers they quote, so an erased or retained text
drops out of every later view."""

from __future__ import annotations

import hashlib
import statistics
from collections import Counter, defaultdict
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from followup.digest.carried import carried_list
from followup.digest.counting import Counted, count
from followup.digest.figures import (
    NO_DEPARTMENT,
    ActivityFigures,
    CarriedActivity,
    Confidence,
    NeedFigures,
    TrendPoint,
    as_json,
    department_distribution,
)
from followup.policy import Policy
from followup.privacy.disclosure import enough, suppressed
from followup.sections import CONFIDENCE_LEVELS, NEEDS, STATUSES, Privacy, Section
from storage.database import Database
from storage.digest_store import (
    DigestStore,
    DigestSubject,
    RatingCount,
)
from storage.models import InvitationState, Round, RoundState
from storage.publication_store import PublicationStore

PUBLISHED_STATES = (RoundState.CLOSED, RoundState.ARCHIVED)


@dataclass(frozen=True)
class QuoteRef:
    """A free text chosen for quoting: its question and the answers it is kept in (the same
    words from several chefs are one quote, shown while any of them is kept)."""

    section: str
    key: str
    answer_ids: list[int]


@dataclass
class Publication:
    """A round's figures after the privacy rules, for the whole organisation (or, once cut,
    for some departments of it)."""

    round_id: int
    k: int
    # True: the round is not closed, so no confidential figure is in here
    sealed: bool
    departments: dict[str, int | None]  # name → id of each department counted
    # who was asked and who answered: (department, invitation state, why unreachable, how many)
    invitations: list[tuple[str, str, str | None, int]]
    activities: list[ActivityFigures] | None  # None: the round did not ask, or not yet
    areas: dict[str, dict[str, int]]  # the published activity figures added up per area
    needs: list[NeedFigures] | None
    principles: list[tuple[int, str, int]] | None  # (number, title, chosen by)
    principle_respondents: int
    confidence: Confidence | None
    confidence_departments: dict[str, Confidence | None]
    quotes: list[QuoteRef]
    hidden_departments: list[str]  # departments with a figure left out, in any breakdown
    # the activities asked only because departments left them unfinished (none in publications
    # kept before there were carried activities)
    carried: list[CarriedActivity] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = as_json(self)
        data["principles"] = None if self.principles is None else [list(p) for p in self.principles]
        data["invitations"] = [list(row) for row in self.invitations]
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Publication:
        return cls(
            round_id=data["round_id"],
            k=data["k"],
            sealed=data["sealed"],
            departments=dict(data["departments"]),
            invitations=[(name, state, why, int(n)) for name, state, why, n in data["invitations"]],
            activities=None
            if data["activities"] is None
            else [ActivityFigures.from_json(a) for a in data["activities"]],
            areas=data["areas"],
            needs=None
            if data["needs"] is None
            else [NeedFigures.from_json(n) for n in data["needs"]],
            principles=None
            if data["principles"] is None
            else [(int(n), str(title), int(c)) for n, title, c in data["principles"]],
            principle_respondents=data["principle_respondents"],
            confidence=None
            if data["confidence"] is None
            else Confidence.from_json(data["confidence"]),
            confidence_departments={
                name: None if c is None else Confidence.from_json(c)
                for name, c in data["confidence_departments"].items()
            },
            quotes=[QuoteRef(**q) for q in data["quotes"]],
            hidden_departments=list(data["hidden_departments"]),
            carried=[CarriedActivity.from_json(c) for c in data.get("carried", [])],
        )

    def cut(self, department_ids: Collection[int] | None) -> Publication:
        """The view of some departments (None: all): the organisation's figures, and the
        published figures of those departments only."""
        if department_ids is None:
            return self
        names = {name for name, i in self.departments.items() if i in department_ids}

        def only(cells: Mapping[str, Any]) -> dict[str, Any]:
            return {name: cell for name, cell in cells.items() if name in names}

        return replace(
            self,
            departments={name: i for name, i in self.departments.items() if name in names},
            invitations=[row for row in self.invitations if row[0] in names],
            activities=None
            if self.activities is None
            else [replace(a, departments=only(a.departments)) for a in self.activities],
            needs=None
            if self.needs is None
            else [replace(n, departments=only(n.departments)) for n in self.needs],
            confidence_departments=only(self.confidence_departments),
            hidden_departments=[name for name in self.hidden_departments if name in names],
            carried=[
                c
                if c.departments is None
                else replace(c, departments=[n for n in c.departments if n in names])
                for c in self.carried
            ],
        )

    def trend_point(self, round_: Round) -> TrendPoint | None:
        """This round's confidence as a point of the programme's trend (None: not asked)."""
        if self.confidence is None or round_.id is None:
            return None
        return TrendPoint(
            round_.id,
            round_.title,
            round_.deadline,
            self.confidence.n,
            self.confidence.mean,
            {
                name: None if c is None else c.mean
                for name, c in self.confidence_departments.items()
            },
        )


# --- the counts, from the database ----------------------------------------------------------


class DepartmentNames:
    """A department's name by id; chefs without one count under NO_DEPARTMENT. `used`: the
    names given so far, with their ids (what a publication was counted over)."""

    def __init__(self, names: dict[int, str]) -> None:
        self._names = names
        self.used: dict[str, int | None] = {}

    def __call__(self, department_id: int | None) -> str:
        name = self._names.get(department_id, NO_DEPARTMENT) if department_id else NO_DEPARTMENT
        self.used.setdefault(name, department_id if name != NO_DEPARTMENT else None)
        return name


def confidence_of(counts: Counter[int], k: int) -> Confidence:
    """A group's confidence figure from its ratings (level → how many): only the size when it
    is under k (a department's here, a member organisation's in a consortium's digest)."""
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


def _activities(
    counted: Counted, dept: DepartmentNames, *, k: int, confidential: bool, hidden: set[str]
) -> tuple[list[ActivityFigures], dict[str, dict[str, int]]]:
    """Each answered activity's statuses, overall and per department, and the published ones
    added up per area. A confidential section's activity is a breakdown of its own: hidden
    overall below k answers, and per department as `suppressed` says."""
    counts: dict[int, dict[str, Counter[str]]] = defaultdict(lambda: defaultdict(Counter))
    for activity_id, department_id, status, n in counted.statuses:
        if status in STATUSES:
            counts[activity_id][dept(department_id)][status] += n
    activities: list[ActivityFigures] = []
    areas: dict[str, dict[str, int]] = {}
    for planned in counted.plan or []:
        by_department = counts.get(planned.activity_id)
        if not by_department:
            continue
        overall: Counter[str] = Counter()
        for c in by_department.values():
            overall.update(c)
        small: set[str] = set()
        published = True
        if confidential:
            sizes = {name: sum(c.values()) for name, c in by_department.items()}
            published = enough(sum(sizes.values()), k)
            small = set(sizes) if not published else suppressed(sizes, k)
            hidden |= small
        figures = ActivityFigures(
            planned.code,
            planned.title,
            planned.area,
            dict(overall) if published else None,
            {name: None if name in small else dict(c) for name, c in sorted(by_department.items())},
        )
        figures.department_counts, figures.departments_hidden = department_distribution(
            figures.departments, published=figures.counts is not None
        )
        activities.append(figures)
        if figures.counts is not None:
            area = areas.setdefault(planned.area, {})
            for status, n in figures.counts.items():
                area[status] = area.get(status, 0) + n
    return activities, areas


def _needs(
    rows: list[RatingCount],
    dept: DepartmentNames,
    *,
    departments: list[str],
    k: int,
    hidden: set[str],
) -> list[NeedFigures]:
    """How many named each need (some or great): each need its own breakdown, over those who
    rated it."""
    rated: dict[str, Counter[str]] = defaultdict(Counter)  # need → department → rated it
    named: dict[str, Counter[str]] = defaultdict(Counter)  # need → department → some or great
    great: Counter[str] = Counter()
    for key, value, department_id, n in rows:
        if not key.startswith("need."):
            continue
        need, name = key.removeprefix("need."), dept(department_id)
        rated[need][name] += n
        if value > 0:
            named[need][name] += n
        if value == 2:
            great[need] += n
    figures = []
    for need in NEEDS:
        sizes = {name: rated[need].get(name, 0) for name in departments}
        published = enough(sum(sizes.values()), k)
        small = set(sizes) if not published else suppressed(sizes, k)
        hidden |= {name for name in small if sizes[name]}
        figures.append(
            NeedFigures(
                need,
                sum(named[need].values()) if published else None,
                great[need] if published else None,
                {name: None if name in small else named[need].get(name, 0) for name in departments},
            )
        )
    return figures


def _confidences(
    rows: list[RatingCount], dept: DepartmentNames, *, k: int, hidden: set[str]
) -> tuple[Confidence, dict[str, Confidence | None]]:
    by_department: dict[str, Counter[int]] = defaultdict(Counter)
    for _, value, department_id, n in rows:
        by_department[dept(department_id)][value] += n
    overall: Counter[int] = Counter()
    for c in by_department.values():
        overall.update(c)
    sizes = {name: sum(c.values()) for name, c in by_department.items()}
    small = set(sizes) if not enough(sum(sizes.values()), k) else suppressed(sizes, k)
    hidden |= small
    return confidence_of(overall, k), {
        name: None if name in small else confidence_of(by_department[name], k)
        for name in sorted(sizes)
    }


def same_words(text: str) -> str:
    """What makes two free texts the same quote: the words, whatever the spacing and case."""
    return " ".join(text.split()).casefold()


def _quotes(counted: Counted, *, round_id: int, least: int) -> list[QuoteRef]:
    """The free texts to quote: each section's consenting texts once each (the same words
    twice are one quote), only when there are at least `least` different ones, in an order of
    their own (a hash of round and text, not who wrote first)."""
    refs: list[QuoteRef] = []
    for section, texts in counted.quotes.items():
        unique: dict[str, QuoteRef] = {}
        for answer_id, key, text in sorted(texts):
            unique.setdefault(same_words(text), QuoteRef(section, key, [])).answer_ids.append(
                answer_id
            )
        if len(unique) < least:
            continue

        def order(item: tuple[str, QuoteRef], section: str = section) -> str:
            return hashlib.sha256(f"{round_id}:{section}:{item[0]}".encode()).hexdigest()

        refs += [ref for _, ref in sorted(unique.items(), key=order)]
    return refs


def decide(
    subject: DigestSubject, counted: Counted, *, sealed: bool, policy: Policy
) -> Publication:
    """The round's figures after the privacy rules, for the whole organisation at once."""
    round_ = subject.round
    assert round_.id is not None
    k, sections = round_.k, round_.sections
    dept = DepartmentNames(subject.departments)
    respondents: Counter[str] = Counter()
    invitations = []
    for department_id, state, reason, n in counted.invitations:
        name = dept(department_id)
        invitations.append((name, state, reason, n))
        if state == InvitationState.SUBMITTED:
            respondents[name] += n
    departments = sorted(respondents)  # those with someone who answered
    hidden: set[str] = set()

    activities: list[ActivityFigures] | None = None
    areas: dict[str, dict[str, int]] = {}
    if counted.plan is not None:
        confidential = sections.get(Section.ACTIVITY_STATUS, "") != Privacy.IDENTIFIED
        activities, areas = _activities(
            counted, dept, k=k, confidential=confidential, hidden=hidden
        )

    needs = None
    if counted.needs is not None:
        needs = _needs(counted.needs, dept, departments=departments, k=k, hidden=hidden)

    chosen: Counter[int] = Counter()
    for _, value, _, n in counted.principles:
        chosen[value] += n
    principle_respondents = sum(chosen.values())
    principles = None
    if counted.principle_titles and enough(principle_respondents, k):
        principles = [(n, title, chosen.get(n, 0)) for n, title in counted.principle_titles]

    confidence: Confidence | None = None
    confidence_departments: dict[str, Confidence | None] = {}
    if counted.confidence is not None:
        confidence, confidence_departments = _confidences(
            counted.confidence, dept, k=k, hidden=hidden
        )

    identified = sections.get(Section.ACTIVITY_STATUS, "") == Privacy.IDENTIFIED
    carried = carried_list(counted.plan or [], counted.carried, dept, identified=identified)

    return Publication(
        round_id=round_.id,
        k=k,
        sealed=sealed,
        departments=dict(sorted(dept.used.items())),
        invitations=sorted(invitations, key=lambda row: tuple(str(v) for v in row)),
        activities=activities,
        areas=areas,
        needs=needs,
        principles=principles,
        principle_respondents=principle_respondents,
        confidence=confidence,
        confidence_departments=confidence_departments,
        quotes=_quotes(counted, round_id=round_.id, least=max(policy.quotes_k, k)),
        hidden_departments=sorted(hidden),
        carried=carried,
    )


async def publication(
    db: Database, subject: DigestSubject, *, now: datetime, policy: Policy
) -> Publication:
    """The round's published figures: kept ones for a closed round (decided now when it has
    none yet, and kept), for any other round its identified figures only, never kept."""
    round_ = subject.round
    assert round_.id is not None
    if round_.state not in PUBLISHED_STATES:
        async with db.session() as session:
            counted = await count(
                db, subject, sealed=True, policy=policy, today=policy.today(now), session=session
            )
        return decide(subject, counted, sealed=True, policy=policy)
    publications = PublicationStore(db)
    kept = await publications.get(round_.id)
    if kept is None:
        # one session for every count: the figures all describe the same moment
        async with db.session() as session:
            counted = await count(db, subject, sealed=False, policy=policy, session=session)
        decided = decide(subject, counted, sealed=False, policy=policy)
        kept = await publications.add_once(round_.id, decided.to_json(), at=now)
    return Publication.from_json(kept.figures)


async def publications(
    db: Database, rounds: list[Round], *, now: datetime, policy: Policy
) -> list[Publication]:
    """The published figures of these rounds, in their order (the trend of a later round):
    those kept read together, any other as `publication` gives it."""
    kept = await PublicationStore(db).get_many([r.id for r in rounds if r.id is not None])
    found = []
    for round_ in rounds:
        assert round_.id is not None
        if round_.id in kept and round_.state in PUBLISHED_STATES:
            found.append(Publication.from_json(kept[round_.id].figures))
            continue
        subject = await DigestStore(db).subject(round_id=round_.id)
        assert subject is not None
        found.append(await publication(db, subject, now=now, policy=policy))
    return found


async def publish_closed(db: Database, *, now: datetime, policy: Policy) -> list[int]:
    """Publish every closed round that has not yet (closed by the calendar or by HR, or before
    this version): at close, before any later erasure or retention could change its counts."""
    done = []
    for round_id in await PublicationStore(db).missing(states=PUBLISHED_STATES):
        await published(db, round_id=round_id, now=now, policy=policy)
        done.append(round_id)
    return done


async def published(
    db: Database, *, round_id: int, now: datetime, policy: Policy
) -> Publication | None:
    """The published figures of a round by its id (None: no such round)."""
    subject = await DigestStore(db).subject(round_id=round_id)
    if subject is None:
        return None
    return await publication(db, subject, now=now, policy=policy)
