"""The counting behind a round's digest: GROUP BY queries over submitted answers only.

Every method counts per department id — the invitation's, the one the chef had when invited, so
a chef who moves later changes no count — and, given `department_ids`, over those departments
only. What may be shown of the counts is for the domain's privacy rules to decide, not for
these queries."""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from operator import itemgetter
from typing import Any, NamedTuple

from sqlalchemy import String, and_, cast, func, literal, or_
from sqlalchemy import select as columns
from sqlmodel import col, select

from storage.database import Database, Session
from storage.invitation_store import (
    INVITATION_CHEF,
    INVITATION_DEPARTMENT,
    UNREACHABLE_CODE,
    in_departments,
)
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
)

Departments = Collection[int] | None  # the departments to count; None: all

# rows fetched at a time when a query reads one row per answer
STREAM_BATCH = 10_000


@dataclass(frozen=True)
class DigestSubject:
    """The round a digest is about, with its organisation, programme and department names."""

    round: Round
    organisation: Organisation
    programme: Programme
    departments: dict[int, str]  # id → name, every department of the organisation


class InvitationCount(NamedTuple):
    department_id: int | None
    state: str
    unreachable_code: str | None
    n: int


class StatusCount(NamedTuple):
    activity_id: int
    department_id: int | None
    status: str
    n: int


class PlannedActivity(NamedTuple):
    activity_id: int
    code: str
    title: str
    area: str


class ChefStatus(NamedTuple):
    """One chef's status (and comment) for one activity, with the chef's name: for identified
    sections only."""

    department_id: int | None
    chef_id: int
    chef: str
    code: str
    title: str
    status: str
    comment: str


class AnsweredActivity(NamedTuple):
    """One activity's status as a chef gave it, with their comment ("" for none)."""

    code: str
    title: str
    status: str
    comment: str


class ChefAnswerRow(NamedTuple):
    """One chef's statuses in plan order, with the chef's name: for identified sections only."""

    department_id: int | None
    chef_id: int
    chef: str
    answers: tuple[AnsweredActivity, ...]


class RatingCount(NamedTuple):
    key: str
    value: int
    department_id: int | None
    n: int


class SectionRatingCount(NamedTuple):
    section: str
    key: str
    value: int
    department_id: int | None
    n: int


class RoundRatingCount(NamedTuple):
    round_id: int
    department_id: int | None
    value: int
    n: int


class DigestStore:
    """Counts a round's invitations and submitted answers for its digest."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def subject(
        self, *, round_id: int, session: Session | None = None
    ) -> DigestSubject | None:
        """The round with its organisation, programme and departments; None for no round."""
        async with self._db.joined(session) as s:
            round_ = await s.get(Round, round_id)
            if round_ is None:
                return None
            organisation = await s.get(Organisation, round_.organisation_id)
            programme = await s.get(Programme, round_.programme_id)
            assert organisation is not None and programme is not None
            departments = (
                await s.exec(
                    select(Department.id, Department.name).where(
                        Department.organisation_id == organisation.id
                    )
                )
            ).all()
        return DigestSubject(
            round_, organisation, programme, {i: name for i, name in departments if i is not None}
        )

    async def invitations(
        self, *, round_id: int, department_ids: Departments = None, session: Session | None = None
    ) -> list[InvitationCount]:
        """How many invitations per department, state and reason for being unreachable."""
        query = in_departments(
            select(INVITATION_DEPARTMENT, Invitation.state, UNREACHABLE_CODE, func.count())
            .join(Chef, INVITATION_CHEF, isouter=True)
            .where(Invitation.round_id == round_id),
            department_ids,
        ).group_by(INVITATION_DEPARTMENT, col(Invitation.state), UNREACHABLE_CODE)
        async with self._db.joined(session) as s:
            return [InvitationCount(*row) for row in (await s.exec(query)).all()]

    async def unanswered_with_chef(
        self, *, round_id: int, session: Session | None = None
    ) -> list[tuple[int | None, str, str | None, Chef | None]]:
        """Each invitation without answers sent in: its department, state, reason for being
        unreachable, and its chef (None once detached), to tell who is away."""
        query = (
            select(INVITATION_DEPARTMENT, Invitation.state, UNREACHABLE_CODE, Chef)
            .join(Chef, INVITATION_CHEF, isouter=True)
            .where(
                Invitation.round_id == round_id,
                col(Invitation.state) != InvitationState.SUBMITTED.value,
            )
        )
        async with self._db.joined(session) as s:
            return [(d, state, why, chef) for d, state, why, chef in (await s.exec(query)).all()]

    async def statuses(
        self, *, round_id: int, department_ids: Departments = None, session: Session | None = None
    ) -> list[StatusCount]:
        """How many submitted answers gave each activity each status, per department."""
        query = _of_submitted(
            select(
                ActivityStatusAnswer.activity_id,
                INVITATION_DEPARTMENT,
                ActivityStatusAnswer.status,
                func.count(),
            ).join(Invitation, col(Invitation.id) == col(ActivityStatusAnswer.invitation_id)),
            round_id,
            department_ids,
        ).group_by(
            col(ActivityStatusAnswer.activity_id),
            INVITATION_DEPARTMENT,
            col(ActivityStatusAnswer.status),
        )
        async with self._db.joined(session) as s:
            return [StatusCount(*row) for row in (await s.exec(query)).all()]

    async def plan(
        self, *, programme_id: int, session: Session | None = None
    ) -> list[PlannedActivity]:
        """The programme's activities with their areas, in the plan's order."""
        query = (
            select(Activity.id, Activity.code, Activity.title, Area.name)
            .join(Area, col(Area.id) == col(Activity.area_id))
            .where(Activity.programme_id == programme_id)
            .order_by(col(Area.position), col(Activity.position), col(Activity.id))
        )
        async with self._db.joined(session) as s:
            return [PlannedActivity(*row) for row in (await s.exec(query)).all()]

    async def chef_statuses(
        self, *, round_id: int, department_ids: Departments = None, session: Session | None = None
    ) -> list[ChefStatus]:
        """Every status of every submitted answer, each with its chef's name and comment, by
        chef and then in plan order. Chefs whose identity retention removed are left out.

        Names: for identified sections only; the caller decides."""
        return [
            ChefStatus(row.department_id, row.chef_id, row.chef, *answer)
            for row in await self.chef_answers(
                round_id=round_id, department_ids=department_ids, session=session
            )
            for answer in row.answers
        ]

    async def chef_answers(
        self, *, round_id: int, department_ids: Departments = None, session: Session | None = None
    ) -> list[ChefAnswerRow]:
        """`chef_statuses` a chef at a time: each chef who sent answers in, by name, with their
        statuses in plan order.

        A region's identified round is millions of statuses: the database strings each chef's
        together (one row per chef, not per answer), the few comments come apart, and the
        statuses without one are the same few objects shared by every chef who gave them."""
        pairs = func.aggregate_strings(
            cast(col(ActivityStatusAnswer.activity_id), String)
            + literal(":")
            + col(ActivityStatusAnswer.status),
            ",",
        )
        # strung together per invitation first, then joined to the chefs: one row per chef
        # reaches the join and the sort by name, and the planner knows how many
        strung = (
            _of_submitted(
                columns(col(ActivityStatusAnswer.invitation_id).label("invitation_id"), pairs).join(
                    Invitation, col(Invitation.id) == col(ActivityStatusAnswer.invitation_id)
                ),
                round_id,
                department_ids,
            )
            .group_by(col(ActivityStatusAnswer.invitation_id))
            .subquery()
        )
        per_chef = (
            columns(
                col(Invitation.id),
                INVITATION_DEPARTMENT,
                col(Chef.id),
                col(Chef.name),
                strung.c[1],
            )
            .select_from(strung)
            .join(Invitation, col(Invitation.id) == strung.c.invitation_id)
            .join(Chef, INVITATION_CHEF)
            .order_by(col(Chef.name), col(Chef.id))
        )
        commented = _of_submitted(
            select(
                ActivityStatusAnswer.invitation_id,
                ActivityStatusAnswer.activity_id,
                ActivityStatusAnswer.status,
                ActivityStatusAnswer.comment,
            )
            .join(Invitation, col(Invitation.id) == col(ActivityStatusAnswer.invitation_id))
            .where(ActivityStatusAnswer.comment != ""),
            round_id,
            department_ids,
        )
        planned = (
            select(Activity.id, Activity.code, Activity.title)
            .join(Area, col(Area.id) == col(Activity.area_id))
            .where(
                Activity.programme_id
                == select(Round.programme_id).where(Round.id == round_id).scalar_subquery()
            )
            .order_by(col(Area.position), col(Activity.position), col(Activity.id))
        )
        async with self._db.joined(session) as s:
            plan = {
                i: (rank, code, title)
                for rank, (i, code, title) in enumerate((await s.exec(planned)).all())
                if i is not None
            }
            # invitation → "activity:status" → its comment, as the pairs below are strung
            comments: dict[int, dict[str, str]] = {}
            for i, a, status, text in (await s.exec(commented)).all():
                comments.setdefault(i, {})[f"{a}:{status}"] = text

            def answer(pair: str, comment: str = "") -> tuple[int, AnsweredActivity]:
                activity, status = pair.split(":", 1)
                rank, code, title = plan[int(activity)]  # the round's programme's, always
                return rank, AnsweredActivity(code, title, status, comment)

            # "activity:status" → (plan rank, the answer without a comment): built once each,
            # then looked up and ordered by C loops (map, itemgetter), not per status in Python
            shared = _Shared(answer)
            found: list[ChefAnswerRow] = []
            result = await s.stream(per_chef.execution_options(yield_per=STREAM_BATCH))
            async for batch in result.partitions():
                for invitation_id, department_id, chef_id, name, joined in batch:
                    if invitation_id is None or chef_id is None:  # joined: for the types
                        continue
                    notes = comments.get(invitation_id)
                    ranked = list(
                        map(shared.__getitem__, joined.split(","))
                        if notes is None
                        else (
                            answer(pair, notes[pair]) if pair in notes else shared[pair]
                            for pair in joined.split(",")
                        )
                    )
                    ranked.sort(key=_RANK)
                    found.append(
                        ChefAnswerRow(department_id, chef_id, name, tuple(map(_ANSWER, ranked)))
                    )
        return found

    async def named_departments(
        self, *, round_id: int, department_ids: Departments = None, session: Session | None = None
    ) -> list[int | None]:
        """The departments (None: without one) of the chefs `chef_answers` lists, without
        reading their statuses: a department counts when one of its chefs who sent answers in,
        still known by name, gave an activity status."""
        answered = (
            select(ActivityStatusAnswer.id)
            .where(col(ActivityStatusAnswer.invitation_id) == col(Invitation.id))
            .exists()
        )
        query = in_departments(
            select(INVITATION_DEPARTMENT)
            .join(Chef, INVITATION_CHEF)
            .where(
                Invitation.round_id == round_id,
                Invitation.state == InvitationState.SUBMITTED,
                answered,
            ),
            department_ids,
        ).distinct()
        async with self._db.joined(session) as s:
            return list((await s.exec(query)).all())

    async def ratings(
        self,
        *,
        round_id: int,
        section: str,
        key: str | None = None,
        department_ids: Departments = None,
        session: Session | None = None,
    ) -> list[RatingCount]:
        """How many submitted answers gave each key of a section each value, per department."""
        query = _of_submitted(
            select(RatingAnswer.key, RatingAnswer.value, INVITATION_DEPARTMENT, func.count())
            .join(Invitation, col(Invitation.id) == col(RatingAnswer.invitation_id))
            .where(RatingAnswer.section == section),
            round_id,
            department_ids,
        ).group_by(col(RatingAnswer.key), col(RatingAnswer.value), INVITATION_DEPARTMENT)
        if key is not None:
            query = query.where(RatingAnswer.key == key)
        async with self._db.joined(session) as s:
            return [RatingCount(*row) for row in (await s.exec(query)).all()]

    async def section_ratings(
        self,
        *,
        round_id: int,
        wanted: Sequence[tuple[str, str | None]],
        department_ids: Departments = None,
        session: Session | None = None,
    ) -> list[SectionRatingCount]:
        """`ratings` of several sections in one read of the round's ratings: `wanted` is
        (section, key), None for every key of the section."""
        if not wanted:
            return []
        query = _of_submitted(
            columns(
                col(RatingAnswer.section),
                col(RatingAnswer.key),
                col(RatingAnswer.value),
                INVITATION_DEPARTMENT,
                func.count(),
            )
            .join(Invitation, col(Invitation.id) == col(RatingAnswer.invitation_id))
            .where(
                or_(
                    *(
                        col(RatingAnswer.section) == section
                        if key is None
                        else and_(
                            col(RatingAnswer.section) == section, col(RatingAnswer.key) == key
                        )
                        for section, key in wanted
                    )
                ),
            ),
            round_id,
            department_ids,
        ).group_by(
            col(RatingAnswer.section),
            col(RatingAnswer.key),
            col(RatingAnswer.value),
            INVITATION_DEPARTMENT,
        )
        async with self._db.joined(session) as s:
            # (five columns: past what sqlmodel's `exec` is typed for)
            rows = await (await s.stream(query)).all()
        return [SectionRatingCount(*row) for row in rows]

    async def principles(
        self, *, programme_id: int, session: Session | None = None
    ) -> list[tuple[int, str]]:
        """The programme's active principles: (number, title), by number."""
        query = (
            select(Principle.number, Principle.title)
            .where(Principle.programme_id == programme_id, col(Principle.active))
            .order_by(col(Principle.number))
        )
        async with self._db.joined(session) as s:
            return [(number, title) for number, title in (await s.exec(query)).all()]

    async def consented_texts(
        self,
        *,
        round_id: int,
        section: str,
        keys: Sequence[str],
        consent: tuple[str, str],
        department_ids: Departments = None,
        session: Session | None = None,
    ) -> list[tuple[int, str, str]]:
        """(answer id, key, text) of the non-empty free texts of a section, from submitted
        answers whose chef said yes (1) to the `consent` (section, key) rating; no names, in no
        order."""
        consenting = (
            select(RatingAnswer.invitation_id)
            .where(
                col(RatingAnswer.invitation_id).in_(_submitted(round_id, department_ids)),
                RatingAnswer.section == consent[0],
                RatingAnswer.key == consent[1],
                RatingAnswer.value == 1,
            )
            .scalar_subquery()
        )
        query = select(ReflectionAnswer.id, ReflectionAnswer.key, ReflectionAnswer.text).where(
            col(ReflectionAnswer.invitation_id).in_(consenting),
            ReflectionAnswer.section == section,
            col(ReflectionAnswer.key).in_(list(keys)),
            ReflectionAnswer.text != "",
        )
        async with self._db.joined(session) as s:
            return [(i, key, text) for i, key, text in (await s.exec(query)).all() if i]

    async def texts(
        self, answer_ids: Collection[int], *, session: Session | None = None
    ) -> dict[int, str]:
        """The free texts still kept of these answers, by id (erased or retained ones are gone)."""
        if not answer_ids:
            return {}
        query = select(ReflectionAnswer.id, ReflectionAnswer.text).where(
            col(ReflectionAnswer.id).in_(list(answer_ids)), ReflectionAnswer.text != ""
        )
        async with self._db.joined(session) as s:
            return {i: text for i, text in (await s.exec(query)).all() if i is not None}

    async def programme_rounds(
        self,
        *,
        programme_id: int,
        until: datetime,
        states: Collection[str],
        session: Session | None = None,
    ) -> list[Round]:
        """The programme's rounds in these states with a deadline up to `until`, by deadline."""
        query = (
            select(Round)
            .where(
                Round.programme_id == programme_id,
                col(Round.deadline) <= until,
                col(Round.state).in_(list(states)),
            )
            .order_by(col(Round.deadline), col(Round.id))
        )
        async with self._db.joined(session) as s:
            return list((await s.exec(query)).all())

    async def round_ratings(
        self,
        *,
        round_ids: Collection[int],
        section: str,
        key: str,
        department_ids: Departments = None,
        session: Session | None = None,
    ) -> list[RoundRatingCount]:
        """How many submitted answers of each round gave one rating each value, per
        department."""
        query = in_departments(
            select(Invitation.round_id, INVITATION_DEPARTMENT, RatingAnswer.value, func.count())
            .join(Invitation, col(Invitation.id) == col(RatingAnswer.invitation_id))
            .join(Chef, INVITATION_CHEF, isouter=True)
            .where(
                col(Invitation.round_id).in_(list(round_ids)),
                Invitation.state == InvitationState.SUBMITTED,
                RatingAnswer.section == section,
                RatingAnswer.key == key,
            ),
            department_ids,
        ).group_by(col(Invitation.round_id), INVITATION_DEPARTMENT, col(RatingAnswer.value))
        async with self._db.joined(session) as s:
            return [RoundRatingCount(*row) for row in (await s.exec(query)).all()]


class _Shared(dict[str, tuple[int, AnsweredActivity]]):
    """Each answer made once, on first sight, by `make`."""

    def __init__(self, make: Callable[[str], tuple[int, AnsweredActivity]]) -> None:
        super().__init__()
        self._make = make

    def __missing__(self, pair: str) -> tuple[int, AnsweredActivity]:
        made = self[pair] = self._make(pair)
        return made


_RANK = itemgetter(0)
_ANSWER = itemgetter(1)


def _of_submitted(query: Any, round_id: int, department_ids: Departments) -> Any:
    """`query`, which joins `Invitation`, over the round's submitted invitations (of these
    departments) only: conditions on the join itself, not an IN over a subquery of them, so
    the planner reads those invitations' answers by index."""
    return in_departments(
        query.where(Invitation.round_id == round_id, Invitation.state == InvitationState.SUBMITTED),
        department_ids,
    )


def _submitted(round_id: int, department_ids: Departments) -> Any:
    """The ids of the round's submitted invitations (of these departments), as a subquery."""
    return in_departments(
        select(Invitation.id).where(
            Invitation.round_id == round_id,
            Invitation.state == InvitationState.SUBMITTED,
        ),
        department_ids,
    ).scalar_subquery()
