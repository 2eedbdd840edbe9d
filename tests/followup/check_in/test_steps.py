"""The check-in's domain rules: steps, the plan cache, resuming, and feedback across rounds."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlmodel import col, select

from followup.check_in.step_checks import validate
from followup.check_in.steps import (
    SUMMARY,
    CheckIn,
    PlanCache,
    feedback,
    load_check_in,
    open_invitation,
    save,
)
from followup.imports.plan import import_plan, parse_plan
from followup.imports.roster import import_roster
from followup.policy import Policy
from followup.rounds.lifecycle import create_round, open_round
from followup.sections import NEEDS
from storage.answer_store import AnswerStore
from storage.database import Database
from storage.models import Chef, Invitation, Programme, Round
from storage.organisation_store import OrganisationStore
from storage.types import utcnow
from tests.conftest import EXAMPLES

KARIN = "karin.sjoberg@demo.ledarpuls.se"


async def demo(db: Database) -> tuple[int, int, int]:
    org = await OrganisationStore(db).create(
        tenant_id="t", name="Demokommunen", default_k=Policy().k
    )
    assert org.id is not None
    await import_plan(db, organisation_id=org.id, path=EXAMPLES / "demo-plan.yaml")
    await import_roster(db, organisation_id=org.id, path=EXAMPLES / "demo-roster.yaml")
    async with db.session() as s:
        programme = (await s.exec(select(Programme))).one()
        karin = (await s.exec(select(Chef).where(Chef.upn == KARIN))).one()
    assert programme.id is not None and karin.id is not None
    return org.id, programme.id, karin.id


async def a_round(db: Database, org: int, programme: int, title: str, days: int) -> int:
    now = utcnow()
    round_ = await create_round(
        db,
        organisation_id=org,
        programme_id=programme,
        title=title,
        deadline=now + timedelta(days=days),
        now=now,
        policy=Policy(),
    )
    assert round_.id is not None
    await open_round(db, round_id=round_.id, now=now, policy=Policy())
    return round_.id


def answers_for(check_in: CheckIn, step: str, **overrides: str) -> dict[str, Any]:
    values: dict[str, Any] = {}
    area = check_in.area(step)
    if area is not None:
        status = overrides.get("status", "in_progress")
        values["activities"] = {item.id: {"status": status} for item in area.items}
    elif step == "strengths_needs":
        values["needs"] = {n: {"level": overrides.get("need", "1")} for n in NEEDS}
    elif step == "principles":
        values["principle"] = "2"
    elif step == "confidence":
        values["confidence"] = overrides.get("confidence", "3")
    elif step == "consent":
        values["consent"] = "yes"
    return values


async def answer_everything(db: Database, invitation_id: int, **overrides: str) -> None:
    check_in = await load_check_in(db, invitation_id, policy=Policy())
    assert check_in is not None
    while check_in.next_step != SUMMARY:
        clean, errors = validate(
            check_in, check_in.next_step, answers_for(check_in, check_in.next_step, **overrides)
        )
        assert errors == []
        check_in = await save(db, check_in, clean, now=utcnow())
    assert check_in.complete
    await AnswerStore(db).submit(invitation_id=invitation_id, now=utcnow())


async def test_steps_follow_the_departments_activities_and_resume_where_left(db: Database) -> None:
    org, programme, karin = await demo(db)
    await a_round(db, org, programme, "Delår 1", 21)
    invitation_id = await open_invitation(db, chef_id=karin, now=utcnow())
    assert invitation_id is not None
    check_in = await load_check_in(db, invitation_id, policy=Policy())
    assert check_in is not None
    assert check_in.steps[-1] == SUMMARY
    # her department's (Äldreomsorg's) activities of the year the round opens in: how many is
    # the plan's, year by year, not the test's
    year = Policy().today(utcnow()).year
    planned = [
        a
        for a in parse_plan(EXAMPLES / "demo-plan.yaml").activities
        if year in a.years and (a.departments is None or "ÄO" in a.departments)
    ]
    assert check_in.activity_count == len(planned) > 0
    first = check_in.next_step
    clean, _ = validate(check_in, first, answers_for(check_in, first))
    await save(db, check_in, clean, now=utcnow())
    again = await load_check_in(db, invitation_id, policy=Policy())  # as after a restart
    assert again is not None and again.next_step == check_in.steps[1]


async def test_a_new_plan_version_reaches_the_cached_check_in(db: Database, tmp_path: Path) -> None:
    org, programme, karin = await demo(db)
    await a_round(db, org, programme, "Delår 1", 21)
    invitation_id = await open_invitation(db, chef_id=karin, now=utcnow())
    assert invitation_id is not None
    plans = PlanCache()
    before = await load_check_in(db, invitation_id, plans=plans, policy=Policy())
    assert before is not None
    item = before.areas[0].items[0]

    edited = tmp_path / "plan.yaml"
    edited.write_text(
        (EXAMPLES / "demo-plan.yaml").read_text(encoding="utf-8").replace(item.title, "Ny titel"),
        encoding="utf-8",
    )
    await import_plan(db, organisation_id=org, path=edited)
    after = await load_check_in(db, invitation_id, plans=plans, policy=Policy())
    assert after is not None
    assert after.areas[0].items[0].title == "Ny titel"


async def test_feedback_shows_the_chefs_own_trend_done_activities_and_needs(db: Database) -> None:
    org, programme, karin = await demo(db)
    first = await a_round(db, org, programme, "Delår 1", 10)
    first_invitation = await open_invitation(db, chef_id=karin, now=utcnow())
    assert first_invitation is not None
    await answer_everything(db, first_invitation, confidence="2", status="in_progress")
    async with db.session() as s, s.begin():
        round_ = await s.get(Round, first)
        assert round_ is not None
        round_.state = "closed"

    await a_round(db, org, programme, "Delår 2", 30)
    second_invitation = await open_invitation(db, chef_id=karin, now=utcnow())
    assert second_invitation is not None and second_invitation != first_invitation
    opened = await load_check_in(db, second_invitation, policy=Policy())
    assert opened is not None
    # what was left open last time is shown with last round's status
    answered_before = (await AnswerStore(db).load(first_invitation)).statuses
    shown = [i for a in opened.areas for i in a.items if i.id in answered_before]
    assert shown and all(i.last_status == "in_progress" for i in shown)
    await answer_everything(db, second_invitation, confidence="4", status="done", need="2")

    check_in = await load_check_in(db, second_invitation, policy=Policy())
    assert check_in is not None
    picture = await feedback(db, check_in)
    assert picture.confidence == (("Delår 1", 2), ("Delår 2", 4))
    assert len(picture.done_since_last) >= 1
    assert {need for need, level, _ in picture.needs} == set(NEEDS)
    assert all(level == 2 for _, level, _ in picture.needs)
    async with db.session() as s:
        rows = (await s.exec(select(Invitation).where(col(Invitation.chef_id) == karin))).all()
    assert {r.state for r in rows} == {"submitted"}


async def test_a_steps_answers_are_checked_strictly_and_named_by_what_they_answer(
    db: Database,
) -> None:
    org, programme, karin = await demo(db)
    await a_round(db, org, programme, "Delår 1", 21)
    invitation_id = await open_invitation(db, chef_id=karin, now=utcnow())
    assert invitation_id is not None
    check_in = await load_check_in(db, invitation_id, policy=Policy())
    assert check_in is not None
    area = check_in.steps[0]
    first, second, *rest = check_in.area(area).items  # type: ignore[union-attr]
    given = {
        "activities": {
            first.id: {"status": "maybe"},
            second.id: {"status": "done", "comment": "x" * 1001},
            -1: {"status": "done"},  # not the chef's: ignored, not saved
        }
    }
    clean, errors = validate(check_in, area, given)
    assert [(e.name, e.code, e.params) for e in errors] == [
        (f"activities.{first.id}.status", "not_offered", {}),
        (f"activities.{second.id}.comment", "too_long", {"max": 1000, "length": 1001}),
        *((f"activities.{item.id}.status", "required", {}) for item in rest),
    ]
    assert clean.statuses == {}

    needs = {n: {"level": "1", "text": f"  {n}  "} for n in NEEDS}
    needs[NEEDS[0]] = {"level": "3"}
    needs[NEEDS[1]] = {"level": "2", "text": ["a list is no text"]}
    _, errors = validate(check_in, "strengths_needs", {"needs": needs})
    assert [(e.name, e.code) for e in errors] == [
        (f"needs.{NEEDS[0]}.level", "not_offered"),
        (f"needs.{NEEDS[1]}.text", "not_offered"),
    ]
    needs[NEEDS[0]], needs[NEEDS[1]] = {"level": 0}, {"level": "2"}
    clean, errors = validate(check_in, "strengths_needs", {"needs": needs, "strengths": " Lugn "})
    assert errors == []
    assert clean.texts[("strengths_needs", "strengths")] == "Lugn"
    assert clean.ratings[("strengths_needs", f"need.{NEEDS[1]}")] == 2
    assert clean.texts[("strengths_needs", f"need.{NEEDS[2]}")] == NEEDS[2]

    for confidence, code in (("6", "not_offered"), ("", "required"), (True, "not_offered")):
        _, errors = validate(check_in, "confidence", {"confidence": confidence})
        assert [(e.name, e.code) for e in errors] == [("confidence", code)]
    _, errors = validate(check_in, "no_such_step", {})
    assert [(e.name, e.code) for e in errors] == [("step", "unknown_step")]
