"""Several programmes in one organisation: a second programme's plan leaves the first one's
departments and chefs alone, each has its own calendar and round titles, and ending one changes
nothing of the other."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml
from sqlmodel import col, select

from dialogs.formatting import stored_title_of
from followup.check_in.steps import load_check_in
from followup.hr import operations, programmes
from followup.hr.operations import Call, Refused
from followup.imports.plan import import_plan
from followup.imports.roster import import_roster
from followup.people.access import Access
from followup.policy import Policy
from followup.rounds.calendar import plan_rounds
from followup.rounds.lifecycle import RoundError, create_round, open_round
from storage.answer_store import AnswerStore
from storage.database import Database
from storage.invitation_store import InvitationStore
from storage.models import AuditEvent, Chef, Department, Programme, Round
from tests.conftest import EXAMPLES
from tests.followup.check_in.test_steps import demo
from tests.followup.rounds.test_lifecycle import everyone_at_work

SE = ZoneInfo("Europe/Stockholm")
NOW = datetime(2026, 3, 10, 12, tzinfo=SE)
A_TITLE = "Programmet för att stärka enhetscheferna som trygga förändringsledare 2024–2027"
B_TITLE = "Ledarlyftet i äldreomsorgen 2026–2027"
KARIN = "karin.sjoberg@demo.ledarpuls.se"
MARIA = "maria.akesson@demo.ledarpuls.se"

PLAN_B = {
    "programme": {
        "code": "ledarlyft-ao",
        "title": B_TITLE,
        "start_year": 2026,
        "end_year": 2027,
        "goal": "Enhetscheferna i äldreomsorgen leder omställningen av hemtjänsten tryggt.",
        "calendar": {"opens": ["04-15", "10-15"], "answer_days": 21},
    },
    # only ÄO: the departments of the first programme are no business of this file
    "departments": [{"code": "ÄO", "name": "Äldreomsorg"}],
    "principles": [{"number": 1, "title": "Vi leder nära", "description": "Vi finns på plats."}],
    "areas": [{"code": "OMS", "name": "Omställning"}],
    "activities": [
        {
            "code": "B01",
            "area": "OMS",
            "title": "Nattpatrull med nya scheman",
            "description": "Schemat för natten görs om tillsammans med medarbetarna.",
            "departments": ["ÄO"],
            "years": "2026-2027",
            "owner": "Ledningsgruppen ÄO",
        }
    ],
}


async def two_programmes(db: Database, folder: Path) -> tuple[int, int, int]:
    """The demo organisation (plan A with all four departments, and its roster), then plan B,
    which lists ÄO only."""
    org, a, _ = await demo(db)
    await everyone_at_work(db, org)
    path = folder / "plan-b.yaml"
    path.write_text(yaml.safe_dump(PLAN_B, allow_unicode=True), encoding="utf-8")
    report = await import_plan(db, organisation_id=org, path=path)
    assert report.section("departments").deactivated == []
    async with db.session() as s:
        b = (await s.exec(select(Programme).where(Programme.code == "ledarlyft-ao"))).one()
    assert b.id is not None
    return org, a, b.id


def call(db: Database, org: int, *, admin: bool = True, now: datetime = NOW) -> Call:
    access = Access(actor="hr@kommun.se" if admin else MARIA, organisation_id=org, admin=admin)
    return Call(db, access, "cli", now, Policy())


async def audit_actions(db: Database) -> list[tuple[str, dict[str, object]]]:
    async with db.session() as s:
        rows = (await s.exec(select(AuditEvent).order_by(col(AuditEvent.id)))).all()
    return [(e.action, dict(e.detail)) for e in rows]


async def test_a_second_programmes_plan_deactivates_no_department_and_no_chef(
    db: Database, tmp_path: Path
) -> None:
    org, a, b = await two_programmes(db, tmp_path)
    async with db.session() as s:
        departments = {d.code: d.active for d in (await s.exec(select(Department))).all()}
    assert departments == {"IFO": True, "ÄO": True, "LSS": True, "SPS": True}

    # the roster still takes every chef of IFO, LSS and SPS
    report = await import_roster(db, organisation_id=org, path=EXAMPLES / "demo-roster.yaml")
    assert report.section("chefs").deactivated == []
    async with db.session() as s:
        inactive = (await s.exec(select(Chef).where(col(Chef.active).is_(False)))).all()
    assert inactive == []

    # a round of A for IFO alone is made and opened; its chefs are asked about A's activities
    async with db.session() as s:
        ifo_id = (await s.exec(select(Department.id).where(Department.code == "IFO"))).one()
    round_ = await create_round(
        db,
        organisation_id=org,
        programme_id=a,
        title="Delår 1 2026",
        deadline=NOW + timedelta(days=20),
        now=NOW,
        department_ids=[ifo_id],
        policy=Policy(),
    )
    assert round_.id is not None
    opening = await open_round(db, round_id=round_.id, now=NOW, policy=Policy())
    assert (len(opening.invited), len(opening.on_leave)) == (2, 1)  # Johan's leave is back

    # B's round asks ÄO about B's activities only, A's round about A's only
    b_round = await create_round(
        db,
        organisation_id=org,
        programme_id=b,
        title="Ledarlyftet våren 2026",
        deadline=NOW + timedelta(days=20),
        now=NOW,
        policy=Policy(),
    )
    assert b_round.id is not None
    await open_round(db, round_id=b_round.id, now=NOW, policy=Policy())
    async with db.session() as s:
        karin = (await s.exec(select(Chef).where(Chef.upn == KARIN))).one()
    assert karin.id is not None
    invitation = await InvitationStore(db).of(round_id=b_round.id, chef_id=karin.id)
    assert invitation is not None and invitation.id is not None
    check_in = await load_check_in(db, invitation.id, policy=Policy())
    assert check_in is not None
    assert [i.code for area in check_in.areas for i in area.items] == ["B01"]


async def test_two_programmes_get_two_calendars_with_titles_told_apart(
    db: Database, tmp_path: Path
) -> None:
    _, a, b = await two_programmes(db, tmp_path)
    made = await plan_rounds(db, now=NOW, policy=Policy(), title_of=stored_title_of())
    async with db.session() as s:
        rounds = (await s.exec(select(Round).where(col(Round.id).in_(made)))).all()
    assert sorted((r.programme_id, r.title) for r in rounds) == sorted(
        [
            (a, f"Uppföljning våren 2026 – {A_TITLE}"),
            (b, f"Uppföljning våren 2026 – {B_TITLE}"),
        ]
    )
    # planned once: the next pass plans nothing
    assert await plan_rounds(db, now=NOW, policy=Policy(), title_of=stored_title_of()) == []


async def test_a_round_planned_under_one_programme_is_not_planned_again_under_two(
    db: Database, tmp_path: Path
) -> None:
    org, a, _ = await demo(db)
    [planned] = await plan_rounds(db, now=NOW, policy=Policy(), title_of=stored_title_of())
    # HR moves it a day; then a second programme starts: A's round keeps its plain title, and
    # is still the half-year's round (found by either title), so A gets no second one
    async with db.session() as s, s.begin():
        round_ = await s.get(Round, planned)
        assert round_ is not None and round_.opens_at is not None
        round_.opens_at += timedelta(days=1)
    plan = tmp_path / "plan-b.yaml"
    plan.write_text(yaml.safe_dump(PLAN_B, allow_unicode=True), encoding="utf-8")
    await import_plan(db, organisation_id=org, path=plan)
    made = await plan_rounds(db, now=NOW, policy=Policy(), title_of=stored_title_of())
    async with db.session() as s:
        rounds = (await s.exec(select(Round).where(col(Round.id).in_(made)))).all()
    assert [(r.programme_id != a, r.title) for r in rounds] == [
        (True, f"Uppföljning våren 2026 – {B_TITLE}")
    ]


async def test_ending_a_programme_leaves_the_other_programmes_round_working(
    db: Database, tmp_path: Path
) -> None:
    org, a, b = await two_programmes(db, tmp_path)
    made = await plan_rounds(db, now=NOW, policy=Policy(), title_of=stored_title_of())
    async with db.session() as s:
        planned = {
            r.programme_id: r.id
            for r in (await s.exec(select(Round).where(col(Round.id).in_(made)))).all()
        }
    a_round = await create_round(
        db,
        organisation_id=org,
        programme_id=a,
        title="Delår 1 2026",
        deadline=NOW + timedelta(days=20),
        now=NOW,
        policy=Policy(),
    )
    b_round = await create_round(
        db,
        organisation_id=org,
        programme_id=b,
        title="Ledarlyftet, extra",
        deadline=NOW + timedelta(days=20),
        now=NOW,
        policy=Policy(),
    )
    assert a_round.id is not None and b_round.id is not None
    await open_round(db, round_id=a_round.id, now=NOW, policy=Policy())
    await open_round(db, round_id=b_round.id, now=NOW, policy=Policy())

    # a chef may not; an unknown code changes nothing; both on record
    with pytest.raises(Refused):
        await programmes.end_programme(call(db, org, admin=False), code="ledarlyft-ao")
    with pytest.raises(RoundError) as unknown:
        await programmes.end_programme(call(db, org), code="finns-inte")
    assert unknown.value.code == "unknown_programme_code"

    ended = await programmes.end_programme(call(db, org), code="LEDARLYFT-AO")
    assert (ended.programme_id, ended.skipped, ended.running) == (b, [planned[b]], [b_round.id])
    async with db.session() as s:
        active = {p.id: p.active for p in (await s.exec(select(Programme))).all()}
        states = {r.id: r.state for r in (await s.exec(select(Round))).all()}
        departments = {d.code for d in (await s.exec(select(Department))).all() if d.active}
        chefs = (await s.exec(select(Chef).where(col(Chef.active)))).all()
    assert active == {a: True, b: False}
    assert states == {
        planned[a]: "scheduled",  # A's calendar round: untouched
        planned[b]: "archived",  # B's: never opened
        a_round.id: "open",
        b_round.id: "open",  # runs to its last day
    }
    assert departments == {"IFO", "ÄO", "LSS", "SPS"} and len(chefs) == 12

    # A's round works as before: Karin answers and sends in
    async with db.session() as s:
        karin = (await s.exec(select(Chef).where(Chef.upn == KARIN))).one()
    assert karin.id is not None
    invitation = await InvitationStore(db).of(round_id=a_round.id, chef_id=karin.id)
    assert invitation is not None and invitation.id is not None
    await AnswerStore(db).save(
        invitation_id=invitation.id,
        now=NOW,
        statuses={},
        texts={},
        ratings={("confidence", "confidence"): 4},
    )
    await AnswerStore(db).submit(invitation_id=invitation.id, now=NOW)
    status = await operations.round_status(call(db, org), round_id=a_round.id)
    assert status.total.submitted == 1

    # no new round of B, by HR or by its calendar; ending it again says it has ended
    with pytest.raises(RoundError) as refused:
        await operations.create_round(
            call(db, org),
            programme_id=b,
            title="Ledarlyftet hösten 2026",
            deadline=NOW + timedelta(days=30),
            opens_at=None,
            department_ids=(),
            sections=None,
            k=3,
            reminder_offsets=(7, 2),
            reminder_cap=2,
        )
    assert refused.value.code == "programme_ended"
    later = NOW + timedelta(days=200)
    made = await plan_rounds(db, now=later, policy=Policy(), title_of=stored_title_of())
    async with db.session() as s:
        autumn = (await s.exec(select(Round).where(col(Round.id).in_(made)))).all()
    assert [(r.programme_id, r.title) for r in autumn] == [(a, "Uppföljning hösten 2026")]
    with pytest.raises(RoundError) as again:
        await programmes.end_programme(call(db, org), code="ledarlyft-ao")
    assert again.value.code == "programme_ended"

    log = [
        (action, detail)
        for action, detail in await audit_actions(db)
        if action == "programme.end" or detail.get("command") == "programme_end"
    ]
    assert log == [
        ("hr.refused", {"via": "cli", "command": "programme_end", "reason": "not_permitted"}),
        (
            "hr.refused",
            {
                "via": "cli",
                "command": "programme_end",
                "reason": "unknown_programme_code",
                "code": "finns-inte",
            },
        ),
        (
            "programme.end",
            {
                "via": "cli",
                "programme": b,
                "code": "ledarlyft-ao",
                "skipped": [planned[b]],
                "running": [b_round.id],
            },
        ),
        (
            "hr.refused",
            {
                "via": "cli",
                "command": "programme_end",
                "reason": "programme_ended",
                "code": "ledarlyft-ao",
            },
        ),
    ]
