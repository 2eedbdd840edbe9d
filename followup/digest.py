"""The digest (sammanställning) of a round: what HR takes to the board.

Everything is counted in the database (GROUP BY), over submitted answers only, and every figure
passes the privacy rules in `followup.privacy` before it is put in the `Digest`; the renderers
(Markdown, XLSX, DOCX, Teams) only lay out what is here."""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func
from sqlmodel import col, select

from followup.privacy import enough, hidden_groups, may_quote, names_allowed, reported
from followup.progress import INVITATION_CHEF, INVITATION_DEPARTMENT, UNREACHABLE_CODE, share
from followup.rounds import RoundError
from followup.sections import (
    CONFIDENCE_LEVELS,
    NEEDS,
    OPEN_STATUSES,
    STATUSES,
    Privacy,
    Section,
)
from storage.database import Database
from storage.models import (
    Activity,
    ActivityStatusAnswer,
    Area,
    Chef,
    Department,
    Invitation,
    InvitationState,
    Organisation,
    Principle,
    Programme,
    RatingAnswer,
    ReflectionAnswer,
    Round,
    RoundState,
)

NO_DEPARTMENT = "—"
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


@dataclass(frozen=True)
class DelayedNote:
    """A delayed activity's comment (identified rounds only)."""

    activity: str
    department: str
    chef: str
    comment: str


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
    delayed: list[DelayedNote]
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


def _scoped(query: Any, department_ids: frozenset[int] | None) -> Any:
    """Only chefs of these departments (a department lead's digest); all when None."""
    if department_ids is None:
        return query
    return query.where(INVITATION_DEPARTMENT.in_(sorted(department_ids)))


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
    async with db.session() as session:
        round_ = await session.get(Round, round_id)
        if round_ is None or (
            organisation_id is not None and round_.organisation_id != organisation_id
        ):
            raise RoundError("unknown_round", round=round_id)
        organisation = await session.get(Organisation, round_.organisation_id)
        programme = await session.get(Programme, round_.programme_id)
        assert organisation is not None and programme is not None
        departments = {
            d.id: d.name
            for d in (
                await session.exec(
                    select(Department).where(Department.organisation_id == organisation.id)
                )
            ).all()
        }

        def dept(department_id: int | None) -> str:
            return departments.get(department_id, NO_DEPARTMENT) if department_id else NO_DEPARTMENT

        invitations = (
            await session.exec(
                _scoped(
                    select(INVITATION_DEPARTMENT, Invitation.state, UNREACHABLE_CODE, func.count())
                    .join(Chef, INVITATION_CHEF, isouter=True)
                    .where(Invitation.round_id == round_id),
                    department_ids,
                ).group_by(INVITATION_DEPARTMENT, col(Invitation.state), UNREACHABLE_CODE)
            )
        ).all()
        invited: Counter[str] = Counter()
        submitted: Counter[str] = Counter()
        on_leave = unreachable = 0
        reasons: Counter[str] = Counter()
        for department_id, state, reason, n in invitations:
            if state == InvitationState.ON_LEAVE:
                on_leave += n
                continue
            invited[dept(department_id)] += n
            if state == InvitationState.SUBMITTED:
                submitted[dept(department_id)] += n
            if state == InvitationState.UNREACHABLE:
                unreachable += n
                reasons[reason or "Unknown"] += n
        respondents = dict(submitted)
        submitted_only = _scoped(
            select(Invitation.id)
            .join(Chef, INVITATION_CHEF, isouter=True)
            .where(
                Invitation.round_id == round_id,
                Invitation.state == InvitationState.SUBMITTED,
            ),
            department_ids,
        ).scalar_subquery()
        sections = round_.sections
        hidden = hidden_groups(respondents, round_.k)

        # --- activity status ------------------------------------------------------------
        activities: list[ActivityFigures] | None = None
        areas: dict[str, dict[str, int]] = {}
        delayed: list[DelayedNote] = []
        status_privacy = sections.get(Section.ACTIVITY_STATUS, "")
        if reported(status_privacy):
            rows = (
                await session.exec(
                    select(
                        ActivityStatusAnswer.activity_id,
                        INVITATION_DEPARTMENT,
                        ActivityStatusAnswer.status,
                        func.count(),
                    )
                    .join(Invitation, col(Invitation.id) == col(ActivityStatusAnswer.invitation_id))
                    .join(Chef, INVITATION_CHEF, isouter=True)
                    .where(col(ActivityStatusAnswer.invitation_id).in_(submitted_only))
                    .group_by(
                        col(ActivityStatusAnswer.activity_id),
                        INVITATION_DEPARTMENT,
                        col(ActivityStatusAnswer.status),
                    )
                )
            ).all()
            plan = (
                await session.exec(
                    select(Activity, Area.name)
                    .join(Area, col(Area.id) == col(Activity.area_id))
                    .where(Activity.programme_id == programme.id)
                    .order_by(col(Area.position), col(Activity.position), col(Activity.id))
                )
            ).all()
            by_activity: dict[int, ActivityFigures] = {}
            for activity, area_name in plan:
                assert activity.id is not None
                by_activity[activity.id] = ActivityFigures(
                    activity.code, activity.title, area_name, {}, {}
                )
            confidential = status_privacy != Privacy.IDENTIFIED
            for activity_id, department_id, status, n in rows:
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
            for figures in activities:
                area = areas.setdefault(figures.area, {})
                for status, n in figures.counts.items():
                    area[status] = area.get(status, 0) + n
            if names_allowed(status_privacy):
                notes = (
                    await session.exec(
                        select(
                            Activity.title,
                            Chef.department_id,
                            Chef.name,
                            ActivityStatusAnswer.comment,
                        )
                        .join(Activity, col(Activity.id) == col(ActivityStatusAnswer.activity_id))
                        .join(
                            Invitation,
                            col(Invitation.id) == col(ActivityStatusAnswer.invitation_id),
                        )
                        .join(Chef, col(Chef.id) == col(Invitation.chef_id))
                        .where(
                            col(ActivityStatusAnswer.invitation_id).in_(submitted_only),
                            ActivityStatusAnswer.status == "delayed",
                            ActivityStatusAnswer.comment != "",
                        )
                        .order_by(col(Activity.position), col(Chef.name))
                    )
                ).all()
                delayed = [DelayedNote(t, dept(d), name, c) for t, d, name, c in notes]

        # --- ratings: needs, principles, confidence, consent -------------------------------
        def ratings(section: str, key: str | None = None) -> Any:
            """(key, value, department, count) of one section's ratings."""
            query = (
                select(RatingAnswer.key, RatingAnswer.value, INVITATION_DEPARTMENT, func.count())
                .join(Invitation, col(Invitation.id) == col(RatingAnswer.invitation_id))
                .join(Chef, INVITATION_CHEF, isouter=True)
                .where(
                    col(RatingAnswer.invitation_id).in_(submitted_only),
                    RatingAnswer.section == section,
                )
                .group_by(col(RatingAnswer.key), col(RatingAnswer.value), INVITATION_DEPARTMENT)
            )
            if key is not None:
                query = query.where(RatingAnswer.key == key)
            return session.exec(query)

        need_counts: dict[str, Counter[str]] = defaultdict(Counter)  # need → dept → some/great
        need_great: Counter[str] = Counter()
        for key, value, department_id, n in (await ratings(Section.STRENGTHS_NEEDS)).all():
            if key.startswith("need.") and value > 0:
                need_counts[key.removeprefix("need.")][dept(department_id)] += n
                if value == 2:
                    need_great[key.removeprefix("need.")] += n
        principle_counts: Counter[int] = Counter()
        for _, value, _, n in (await ratings(Section.PRINCIPLES, "most")).all():
            principle_counts[value] += n
        confidence_counts: dict[str, Counter[int]] = defaultdict(Counter)
        for _, value, department_id, n in (await ratings(Section.CONFIDENCE, "confidence")).all():
            confidence_counts[dept(department_id)][value] += n
        total_respondents = sum(respondents.values())
        k = round_.k

        needs: list[NeedFigures] | None = None
        if reported(sections.get(Section.STRENGTHS_NEEDS, "")):
            big_enough = enough(total_respondents, k)
            needs = [
                NeedFigures(
                    need,
                    sum(need_counts[need].values()) if big_enough else None,
                    need_great[need] if big_enough else None,
                    {
                        name: (None if name in hidden else need_counts[need].get(name, 0))
                        for name in sorted(respondents)
                    },
                )
                for need in NEEDS
            ]

        principles: list[tuple[int, str, int]] | None = None
        principle_respondents = sum(principle_counts.values())
        if reported(sections.get(Section.PRINCIPLES, "")) and enough(principle_respondents, k):
            titles = (
                await session.exec(
                    select(Principle.number, Principle.title)
                    .where(Principle.programme_id == programme.id, col(Principle.active))
                    .order_by(col(Principle.number))
                )
            ).all()
            principles = [
                (number, title, principle_counts.get(number, 0)) for number, title in titles
            ]

        confidence: Confidence | None = None
        confidence_departments: dict[str, Confidence | None] = {}
        if reported(sections.get(Section.CONFIDENCE, "")):
            overall: Counter[int] = Counter()
            for counts in confidence_counts.values():
                overall.update(counts)
            confidence = _confidence(overall, k)
            sizes = {name: sum(c.values()) for name, c in confidence_counts.items()}
            small = hidden_groups(sizes, k)
            confidence_departments = {
                name: None if name in small else _confidence(confidence_counts[name], k)
                for name in sorted(sizes)
            }

        # --- quotes: consented, confidential, no names, shuffled out of roster order ---------
        quotes: list[tuple[str, str, str]] = []
        consenting = (
            select(RatingAnswer.invitation_id)
            .where(
                col(RatingAnswer.invitation_id).in_(submitted_only),
                RatingAnswer.section == Section.CONSENT,
                RatingAnswer.key == "quote",
                RatingAnswer.value == 1,
            )
            .scalar_subquery()
        )
        for section, keys in QUOTED_TEXTS.items():
            if not may_quote(
                sections.get(section, ""),
                consented=True,
                respondents=total_respondents,
                k=k,
            ):
                continue
            texts = (
                await session.exec(
                    select(ReflectionAnswer.key, ReflectionAnswer.text).where(
                        col(ReflectionAnswer.invitation_id).in_(consenting),
                        ReflectionAnswer.section == section,
                        col(ReflectionAnswer.key).in_(list(keys)),
                        ReflectionAnswer.text != "",
                    )
                )
            ).all()
            quotes += sorted((str(section), key, text) for key, text in texts)

        trend = await _trend(session, round_, dept, department_ids)

    return Digest(
        round=round_,
        organisation=organisation.name,
        programme=programme.title,
        goal=programme.goal,
        k=k,
        compiled_at=now,
        total=Response("", sum(invited.values()), sum(submitted.values())),
        departments=[Response(name, invited[name], submitted[name]) for name in sorted(invited)],
        unreachable=unreachable,
        on_leave=on_leave,
        unreachable_reasons=dict(reasons),
        activities=activities,
        areas=areas,
        delayed=delayed,
        needs=needs,
        principles=principles,
        principle_respondents=principle_respondents,
        confidence=confidence,
        confidence_departments=confidence_departments,
        trend=trend,
        quotes=quotes,
        hidden_departments=sorted(hidden),
    )


async def _trend(
    session: Any, round_: Round, dept: Any, department_ids: frozenset[int] | None
) -> list[TrendPoint]:
    """Confidence per round of the programme up to this one (rounds that closed, and this)."""
    rounds = (
        await session.exec(
            select(Round)
            .where(
                Round.programme_id == round_.programme_id,
                col(Round.deadline) <= round_.deadline,
                col(Round.state).in_([RoundState.CLOSED, RoundState.ARCHIVED, RoundState.OPEN]),
            )
            .order_by(col(Round.deadline), col(Round.id))
        )
    ).all()
    wanted = [
        r
        for r in rounds
        if reported(r.sections.get(Section.CONFIDENCE, ""))
        and (r.id == round_.id or r.state != RoundState.OPEN)
    ]
    if not wanted:
        return []
    rows = (
        await session.exec(
            _scoped(
                select(Invitation.round_id, INVITATION_DEPARTMENT, RatingAnswer.value, func.count())
                .join(Invitation, col(Invitation.id) == col(RatingAnswer.invitation_id))
                .join(Chef, INVITATION_CHEF, isouter=True)
                .where(
                    col(Invitation.round_id).in_([r.id for r in wanted]),
                    Invitation.state == InvitationState.SUBMITTED,
                    RatingAnswer.section == Section.CONFIDENCE,
                    RatingAnswer.key == "confidence",
                ),
                department_ids,
            ).group_by(col(Invitation.round_id), INVITATION_DEPARTMENT, col(RatingAnswer.value))
        )
    ).all()
    counts: dict[int, dict[str, Counter[int]]] = defaultdict(lambda: defaultdict(Counter))
    for round_id, department_id, value, n in rows:
        counts[round_id][dept(department_id)][value] += n
    points = []
    for r in wanted:
        assert r.id is not None
        per_department = counts.get(r.id, {})
        overall: Counter[int] = Counter()
        for c in per_department.values():
            overall.update(c)
        sizes = {name: sum(c.values()) for name, c in per_department.items()}
        small = hidden_groups(sizes, r.k)
        points.append(
            TrendPoint(
                r.id,
                r.title,
                r.deadline,
                sum(overall.values()),
                _confidence(overall, r.k).mean,
                {
                    name: None if name in small else _confidence(per_department[name], r.k).mean
                    for name in sorted(sizes)
                },
            )
        )
    return points
