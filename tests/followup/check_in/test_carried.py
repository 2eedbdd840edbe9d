"""Activities carry on until done: an activity a department left unfinished is asked of its chefs
in the programme's later rounds, past the plan's years, until the department reports it done or
HR ends it; other departments are not asked."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import col, select

from followup.check_in.carried import department_status
from followup.check_in.step_checks import validate
from followup.check_in.steps import SUMMARY, CheckIn, PlanCache, load_check_in, save
from followup.hr.activities import end_activity, list_activities
from followup.hr.operations import Call, Refused
from followup.imports.plan import import_plan
from followup.people.access import Access
from followup.policy import Policy
from followup.rounds.lifecycle import RoundError, close_round, create_round, open_round
from storage.answer_store import AnswerStore
from storage.database import Database
from storage.models import Activity, AuditEvent, Chef, Department, Invitation
from tests.conftest import EXAMPLES
from tests.followup.check_in.test_steps import KARIN, answers_for, demo

MARIA = "maria.akesson@demo.ledarpuls.se"  # IFO
LEILA = "leila.haddad@demo.ledarpuls.se"  # IFO
MIKAEL = "mikael.bjork@demo.ledarpuls.se"  # ÄO, as Karin
HR = "eva.lindgren@demo.ledarpuls.se"


def at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 8, tzinfo=UTC)


async def round_in(db: Database, org: int, programme: int, title: str, opens: date) -> int:
    """A round opened on `opens`, three weeks to answer."""
    round_ = await create_round(
        db,
        organisation_id=org,
        programme_id=programme,
        title=title,
        deadline=at(opens + timedelta(days=21)),
        opens_at=at(opens),
        now=at(opens),
        policy=Policy(),
    )
    assert round_.id is not None
    await open_round(db, round_id=round_.id, now=at(opens), policy=Policy())
    return round_.id


async def invitation(db: Database, round_id: int, upn: str) -> int:
    async with db.session() as s:
        found = (
            await s.exec(
                select(Invitation.id)
                .join(Chef, col(Chef.id) == col(Invitation.chef_id))
                .where(Invitation.round_id == round_id, Chef.upn == upn)
            )
        ).one()
    assert found is not None
    return found


async def check_in_of(db: Database, round_id: int, upn: str, plans: PlanCache) -> CheckIn:
    loaded = await load_check_in(
        db, await invitation(db, round_id, upn), policy=Policy(), plans=plans
    )
    assert loaded is not None
    return loaded


def asked(check_in: CheckIn) -> dict[str, tuple[bool, str | None]]:
    """Activity code → (carried, the status shown from before)."""
    return {
        item.code: (item.carried, item.last_status)
        for area in check_in.areas
        for item in area.items
    }


async def answer(db: Database, round_id: int, upn: str, plans: PlanCache, **statuses: str) -> None:
    """Send in a check-in: the named activities with their statuses, the rest done."""
    check_in = await check_in_of(db, round_id, upn, plans)
    by_id = {item.id: item.code for area in check_in.areas for item in area.items}
    while check_in.next_step != SUMMARY:
        step = check_in.next_step
        values = answers_for(check_in, step, status="done")
        if "activities" in values:
            values["activities"] = {
                i: {"status": statuses.get(by_id[i], "done")} for i in values["activities"]
            }
        clean, errors = validate(check_in, step, values)
        assert errors == []
        check_in = await save(db, check_in, clean, now=at(date(2000, 1, 1)))
    await AnswerStore(db).submit(invitation_id=check_in.invitation_id, now=check_in.deadline)


async def close(db: Database, round_id: int) -> None:
    await close_round(db, round_id=round_id, now=datetime(2099, 1, 1, tzinfo=UTC))


def hr_call(db: Database, org: int, now: datetime) -> Call:
    return Call(db, Access(actor=HR, organisation_id=org, admin=True), "teams", now, Policy())


async def test_an_unfinished_activity_carries_on_in_its_department_until_done(
    db: Database,
) -> None:
    org, programme, _ = await demo(db)
    plans = PlanCache()
    # A14 is for every department and A08 for ÄO and LSS, both for 2025 only
    autumn = await round_in(db, org, programme, "Hösten 2025", date(2025, 10, 15))
    await answer(db, autumn, MARIA, plans, A14="delayed")  # IFO: one chef says delayed …
    await answer(db, autumn, LEILA, plans, A14="done")  # … the other done
    await answer(db, autumn, KARIN, plans, A08="in_progress")  # ÄO
    await answer(db, autumn, MIKAEL, plans, A08="not_applicable")
    await close(db, autumn)

    spring = await round_in(db, org, programme, "Våren 2026", date(2026, 4, 15))
    maria = asked(await check_in_of(db, spring, MARIA, plans))
    assert maria["A14"] == (True, "delayed")  # carried, with the department's status
    assert "A08" not in maria  # not IFO's
    karin = asked(await check_in_of(db, spring, KARIN, plans))
    assert karin["A08"] == (True, "in_progress")
    assert "A14" not in karin  # ÄO reported it done
    # a department that did not report on it has nothing to carry
    assert "A14" not in asked(
        await check_in_of(db, spring, "peter.stromberg@demo.ledarpuls.se", plans)
    )

    await answer(db, spring, MARIA, plans, A14="done")
    await answer(db, spring, LEILA, plans, A14="done")
    await answer(db, spring, KARIN, plans, A08="delayed")
    await close(db, spring)

    later = await round_in(db, org, programme, "Hösten 2026", date(2026, 10, 15))
    assert "A14" not in asked(await check_in_of(db, later, MARIA, plans))  # done in IFO now
    assert asked(await check_in_of(db, later, KARIN, plans))["A08"] == (True, "delayed")


async def test_a_round_a_department_did_not_answer_in_leaves_its_earlier_word_standing(
    db: Database,
) -> None:
    org, programme, _ = await demo(db)
    plans = PlanCache()
    autumn = await round_in(db, org, programme, "Hösten 2025", date(2025, 10, 15))
    await answer(db, autumn, MARIA, plans, A14="delayed")  # IFO
    await answer(db, autumn, KARIN, plans, A14="done", A08="in_progress")  # ÄO
    await close(db, autumn)
    # in spring only ÄO answers: IFO says nothing new about A14
    spring = await round_in(db, org, programme, "Våren 2026", date(2026, 4, 15))
    await answer(db, spring, KARIN, plans, A08="done")
    await close(db, spring)

    later = await round_in(db, org, programme, "Hösten 2026", date(2026, 10, 15))
    # IFO's latest word on A14 is still autumn's; ÄO's on A08 is spring's
    assert asked(await check_in_of(db, later, MARIA, plans))["A14"] == (True, "delayed")
    assert "A08" not in asked(await check_in_of(db, later, KARIN, plans))


async def test_hr_ends_an_activity_and_it_is_neither_asked_nor_carried(db: Database) -> None:
    org, programme, _ = await demo(db)
    plans = PlanCache()
    autumn = await round_in(db, org, programme, "Hösten 2025", date(2025, 10, 15))
    await answer(db, autumn, MARIA, plans, A14="delayed")
    await close(db, autumn)
    spring = await round_in(db, org, programme, "Våren 2026", date(2026, 4, 15))
    assert asked(await check_in_of(db, spring, MARIA, plans))["A14"][0]

    now = at(date(2026, 4, 16))
    listed = {row.code: row for row in await list_activities(hr_call(db, org, now))}
    assert listed["A14"].carried and not listed["A01"].carried
    # a chef cannot end it, and nothing changes
    chef = Call(db, Access(actor=MARIA, organisation_id=org), "teams", now, Policy())
    with pytest.raises(Refused):
        await end_activity(chef, code="A14")
    assert "A14" in asked(await check_in_of(db, spring, MARIA, plans))

    _, ended = await end_activity(hr_call(db, org, now), code="a14")
    assert ended.ended_at == now
    # the cached plan is read again: gone from the open round, and from later ones
    assert "A14" not in asked(await check_in_of(db, spring, MARIA, plans))
    assert "A14" not in {r.code for r in await list_activities(hr_call(db, org, now))}
    # a stale card, a second press: refused, nothing changes
    with pytest.raises(RoundError) as again:
        await end_activity(hr_call(db, org, now + timedelta(hours=1)), activity_id=ended.id)
    assert again.value.code == "activity_ended"
    async with db.session() as s:
        kept = await s.get(Activity, ended.id)
        log = (await s.exec(select(AuditEvent).where(AuditEvent.action == "activity.end"))).all()
    assert kept is not None and kept.ended_at == now
    assert [(e.actor, e.detail["activity"]) for e in log] == [(HR, "A14")]


async def test_another_organisations_activity_and_an_unknown_code_change_nothing(
    db: Database,
) -> None:
    org, _, _ = await demo(db)
    now = at(date(2026, 4, 16))
    foreign = hr_call(db, org + 1, now)  # an HR admin of another organisation
    async with db.session() as s:
        a14 = (await s.exec(select(Activity).where(Activity.code == "A14"))).one()
    with pytest.raises(RoundError) as unknown:
        await end_activity(foreign, activity_id=a14.id)
    assert unknown.value.code == "unknown_activity"
    with pytest.raises(RoundError) as typo:
        await end_activity(hr_call(db, org, now), code="A99")
    assert typo.value.code == "unknown_activity"
    async with db.session() as s:
        assert all(a.ended_at is None for a in (await s.exec(select(Activity))).all())


async def test_an_activity_the_plan_no_longer_lists_is_not_carried(
    db: Database, tmp_path: Path
) -> None:
    org, programme, _ = await demo(db)
    plans = PlanCache()
    autumn = await round_in(db, org, programme, "Hösten 2025", date(2025, 10, 15))
    await answer(db, autumn, KARIN, plans, A08="delayed")
    await close(db, autumn)
    text = (EXAMPLES / "demo-plan.yaml").read_text(encoding="utf-8")
    start = text.index("  - code: A08")
    plan = tmp_path / "plan.yaml"
    plan.write_text(text[:start] + text[text.index("  - code: A09") :], encoding="utf-8")
    await import_plan(db, organisation_id=org, path=plan)
    spring = await round_in(db, org, programme, "Våren 2026", date(2026, 4, 15))
    assert "A08" not in asked(await check_in_of(db, spring, KARIN, plans))


async def test_a_moved_chef_takes_no_report_along(db: Database) -> None:
    org, programme, _ = await demo(db)
    plans = PlanCache()
    autumn = await round_in(db, org, programme, "Hösten 2025", date(2025, 10, 15))
    await answer(db, autumn, MARIA, plans, A14="delayed")  # reported from IFO
    await close(db, autumn)
    sent_id = await invitation(db, autumn, MARIA)
    async with db.session() as s, s.begin():
        maria = (await s.exec(select(Chef).where(Chef.upn == MARIA))).one()
        spo = (await s.exec(select(Department).where(Department.code == "SPS"))).one()
        # the invitation keeps the department she was invited in (every invitation records it
        # since the snapshot of issue 17; set here so the test does not depend on that)
        sent = await s.get(Invitation, sent_id)
        assert sent is not None
        sent.department_id = maria.department_id
        maria.department_id = spo.id  # moved to Socialpsykiatri after the round
        s.add_all([sent, maria])
    spring = await round_in(db, org, programme, "Våren 2026", date(2026, 4, 15))
    assert "A14" not in asked(await check_in_of(db, spring, MARIA, plans))  # not SPS's
    assert asked(await check_in_of(db, spring, LEILA, plans))["A14"] == (True, "delayed")


def test_a_departments_status_is_its_most_urgent_unfinished_one() -> None:
    assert department_status(["done", "in_progress", "delayed"]) == "delayed"
    assert department_status(["done", "not_started", "in_progress"]) == "not_started"
    assert department_status(["done", "not_applicable"]) == "done"
    assert department_status(["not_applicable"]) == "not_applicable"
    assert department_status([]) is None
