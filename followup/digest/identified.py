"""The identified section made useful: per chef, every activity's status and comment.

Only a round whose activity-status section is identified has anything here (HR sees who said
what there, by the round's own promise to the chefs); nothing of a confidential or private
section is ever read. A department lead's view is their departments' chefs only: the caller
passes the departments, as `Access.departments()` gives them."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from followup.digest.publication import DepartmentNames
from followup.privacy.disclosure import names_allowed
from followup.rounds.lifecycle import RoundError
from followup.sections import Section
from storage.database import Database
from storage.digest_store import AnsweredActivity, ChefAnswerRow, DigestStore
from storage.models import Round

# one activity's status as a chef gave it, with their comment ("" for none): the store's own,
# shared by every chef who gave the same (a region's identified round is millions of them)
ActivityAnswer = AnsweredActivity


@dataclass(frozen=True)
class ChefAnswers:
    name: str
    activities: tuple[ActivityAnswer, ...]


@dataclass(frozen=True)
class DepartmentAnswers:
    """A department's chefs who answered, by name; `department_id` None: chefs without one."""

    department_id: int | None
    name: str
    chefs: tuple[ChefAnswers, ...]


@dataclass(frozen=True)
class Identified:
    """One round's identified answers, for the departments asked about."""

    round: Round
    departments: list[DepartmentAnswers]
    department_names: dict[int, str]  # every department of the organisation, id → name

    @property
    def chefs(self) -> int:
        return sum(len(d.chefs) for d in self.departments)


def identified(privacy: str) -> bool:
    """Does a round whose activity-status section is in this mode show answers per chef?"""
    return names_allowed(privacy)


def per_chef(
    rows: Iterable[ChefAnswerRow], department_name: Callable[[int | None], str]
) -> list[DepartmentAnswers]:
    """The chefs (by name, each with their statuses in plan order) grouped per department."""
    chefs: dict[int | None, list[ChefAnswers]] = {}
    for row in rows:
        chefs.setdefault(row.department_id, []).append(ChefAnswers(row.chef, row.answers))
    departments = [
        DepartmentAnswers(department_id, department_name(department_id), tuple(listed))
        for department_id, listed in chefs.items()
    ]
    # chefs without a department last
    return sorted(departments, key=lambda d: (d.department_id is None, d.name.casefold()))


def departments_only(
    department_ids: Iterable[int | None], department_name: Callable[[int | None], str]
) -> list[DepartmentAnswers]:
    """The departments with answers by name, without the answers (read when asked for), in
    `per_chef`'s order."""
    departments = [DepartmentAnswers(i, department_name(i), ()) for i in department_ids]
    return sorted(departments, key=lambda d: (d.department_id is None, d.name.casefold()))


async def chef_answers(
    db: Database,
    *,
    round_id: int,
    organisation_id: int,
    department_ids: frozenset[int] | None,
) -> Identified:
    """A round's answers per chef (of `department_ids` only, when given); refused with
    `not_identified` when the round keeps its activity statuses confidential or private."""
    store = DigestStore(db)
    async with db.session() as session:
        subject = await store.subject(round_id=round_id, session=session)
        if subject is None or subject.round.organisation_id != organisation_id:
            raise RoundError("unknown_round", round=round_id)
        if not identified(subject.round.sections.get(Section.ACTIVITY_STATUS, "")):
            raise RoundError("not_identified", round=subject.round.title)
        rows = await store.chef_answers(
            round_id=round_id, department_ids=department_ids, session=session
        )
    names = subject.departments
    return Identified(subject.round, per_chef(rows, DepartmentNames(names)), names)
