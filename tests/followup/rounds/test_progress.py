"""How a round is going, for HR: counts per department, the reasons the unreachable are counted
under, who has not answered (named only in identified rounds), the rounds' response rates,
reminders up to the cap, and chefs on leave."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlmodel import select

from followup.policy import Policy
from followup.rounds.lifecycle import RoundError, create_round, open_round
from followup.rounds.progress import overview, progress, remind, set_on_leave
from storage.database import Database
from storage.models import Chef, Invitation, OutboxMessage
from storage.organisation_store import OrganisationStore
from storage.types import utcnow
from tests.followup.check_in.test_steps import KARIN, demo
from tests.followup.rounds.test_lifecycle import everyone_at_work
from tests.storage.world import NOW, World, add_chef, add_round, invite, world

IDENTIFIED = {"activity_status": "identified"}
CONFIDENTIAL = {"activity_status": "confidential"}


async def five_chefs(db: Database, sections: dict[str, str]) -> tuple[World, int]:
    """Anna (IFO) submitted, Bo (IFO) started, Cecilia (ÄO) blocked the bot, David (no
    department) unreachable for a reason nobody knows, Eva (ÄO) on leave."""
    w = await world(db)
    round_id = await add_round(db, w, sections=sections)
    for name, department, state, code in (
        ("Anna Berg", "IFO", "submitted", None),
        ("Bo Dahl", "IFO", "started", None),
        ("Cecilia Ek", "AO", "unreachable", "ConversationBlockedByUser"),
        ("David Falk", None, "unreachable", None),
        ("Eva Gran", "AO", "on_leave", None),
    ):
        chef_id = await add_chef(db, w, name, department=department, unreachable=code)
        await invite(db, round_id=round_id, chef_id=chef_id, state=state)
    return w, round_id


async def test_progress_counts_and_who_has_not_answered(db: Database) -> None:
    org, programme, _ = await demo(db)
    await everyone_at_work(db, org)
    now = utcnow()
    round_ = await create_round(
        db,
        organisation_id=org,
        programme_id=programme,
        title="Delår 1",
        deadline=now + timedelta(days=21),
        now=now,
        policy=Policy(),
    )
    assert round_.id is not None
    await set_on_leave(
        db,
        organisation_id=org,
        upn="lena.ek@demo.ledarpuls.se",
        until=date(2099, 1, 1),
        now=now,
        policy=Policy(),
    )
    await open_round(db, round_id=round_.id, now=now, policy=Policy())
    async with db.session() as s, s.begin():
        rows = {i.chef_id: i for i in (await s.exec(select(Invitation))).all()}
        chefs = {c.upn: c for c in (await s.exec(select(Chef))).all()}
        rows[chefs[KARIN].id].state = "submitted"  # type: ignore[index]
        rows[chefs["karin.sjoberg@demo.ledarpuls.se"].id].delivered_at = now  # type: ignore[index]
        rows[chefs["mikael.bjork@demo.ledarpuls.se"].id].state = "started"  # type: ignore[index]
        rows[chefs["maria.akesson@demo.ledarpuls.se"].id].state = "unreachable"  # type: ignore[index]
        chefs["maria.akesson@demo.ledarpuls.se"].unreachable_code = "ConversationBlockedByUser"

    p = await progress(db, round_id=round_.id)
    assert (
        p.total.invited,
        p.total.submitted,
        p.total.started,
        p.total.unreachable,
        p.total.on_leave,
    ) == (11, 1, 2, 1, 1)
    assert p.total.reasons == {"ConversationBlockedByUser": 1}
    assert p.departments["Äldreomsorg"].submitted == 1
    assert p.departments["Funktionsstöd (LSS)"].on_leave == 1
    assert p.not_answered is not None and "Karin Sjöberg" not in p.not_answered
    assert "Mikael Björk" in p.not_answered and "Maria Åkesson" in p.not_answered
    assert len(p.not_answered) == 10  # the unreachable have not answered either


async def test_reminders_go_to_non_responders_up_to_the_cap(db: Database) -> None:
    org, programme, karin = await demo(db)
    await everyone_at_work(db, org)
    now = utcnow()
    round_ = await create_round(
        db,
        organisation_id=org,
        programme_id=programme,
        title="Delår 1",
        deadline=now + timedelta(days=21),
        now=now,
        reminder_cap=2,
        policy=Policy(),
    )
    assert round_.id is not None
    await open_round(db, round_id=round_.id, now=now, policy=Policy())
    async with db.session() as s, s.begin():
        answered = (await s.exec(select(Invitation).where(Invitation.chef_id == karin))).one()
        answered.state = "submitted"
    first = await remind(db, round_id=round_.id, now=now)
    second = await remind(db, round_id=round_.id, now=now)
    third = await remind(db, round_id=round_.id, now=now)
    assert (first.reminded, second.reminded, third.reminded) == (11, 11, 0)
    assert third.at_cap == 11
    async with db.session() as s:
        reminders = (
            await s.exec(select(OutboxMessage).where(OutboxMessage.kind == "reminder"))
        ).all()
    assert len(reminders) == 22 and all(m.chef_id != karin for m in reminders)


async def test_the_unreachable_are_counted_under_their_reason_and_those_on_leave_apart(
    db: Database,
) -> None:
    _, round_id = await five_chefs(db, IDENTIFIED)
    p = await progress(db, round_id=round_id)
    assert (p.total.invited, p.total.submitted, p.total.unreachable, p.total.on_leave) == (
        4,
        1,
        2,
        1,
    )
    assert p.total.reasons == {"ConversationBlockedByUser": 1, "Unknown": 1}
    assert p.total.response_rate == 0.25  # those on leave were never asked
    # a chef without a department is counted too, under a department of their own
    assert list(p.departments) == ["Individ- och familjeomsorg", "Äldreomsorg", "—"]
    assert p.departments["—"].reasons == {"Unknown": 1}
    assert p.departments["Äldreomsorg"].on_leave == 1
    assert p.not_answered == ["Bo Dahl", "Cecilia Ek", "David Falk"]


async def test_who_has_not_answered_is_named_only_in_an_identified_round(db: Database) -> None:
    _, round_id = await five_chefs(db, CONFIDENTIAL)
    p = await progress(db, round_id=round_id)
    assert p.not_answered is None
    assert p.total.invited - p.total.submitted == 3  # HR still sees how many


async def test_a_department_lead_sees_only_their_department(db: Database) -> None:
    w, round_id = await five_chefs(db, IDENTIFIED)
    p = await progress(db, round_id=round_id, department_ids=frozenset({w.departments["AO"]}))
    assert list(p.departments) == ["Äldreomsorg"]
    assert (p.total.invited, p.total.on_leave) == (1, 1)
    assert p.not_answered == ["Cecilia Ek"]
    rows = await overview(
        db, organisation_id=w.organisation, department_ids=frozenset({w.departments["IFO"]})
    )
    assert [(r.invited, r.submitted, r.response_rate) for r in rows] == [(2, 1, 0.5)]


async def test_another_organisations_round_is_not_found(db: Database) -> None:
    _, round_id = await five_chefs(db, IDENTIFIED)
    other = await OrganisationStore(db).create(
        tenant_id="t-2", name="Grannkommunen", default_k=Policy().k
    )
    assert other.id is not None
    with pytest.raises(RoundError) as caught:
        await progress(db, round_id=round_id, organisation_id=other.id)
    assert caught.value.code == "unknown_round"
    with pytest.raises(RoundError) as caught:
        await remind(db, round_id=round_id, now=NOW, organisation_id=other.id)
    assert caught.value.code == "unknown_round"


async def test_the_round_list_leaves_out_those_on_leave_and_an_empty_round_has_no_rate(
    db: Database,
) -> None:
    w, round_id = await five_chefs(db, IDENTIFIED)
    draft = await add_round(db, w, title="Delår 2 2026", state="draft", days=60)
    rows = await overview(db, organisation_id=w.organisation)
    assert [(r.round.id, r.invited, r.submitted, r.response_rate) for r in rows] == [
        (draft, 0, 0, 0.0),  # the newest deadline first
        (round_id, 4, 1, 0.25),
    ]


async def test_reminders_skip_the_unreachable_and_those_on_leave(db: Database) -> None:
    w, round_id = await five_chefs(db, IDENTIFIED)
    reminding = await remind(db, round_id=round_id, now=NOW)
    assert (reminding.reminded, reminding.at_cap) == (1, 0)
    async with db.session() as s:
        sent = (await s.exec(select(OutboxMessage))).all()
    assert [m.chef_id for m in sent] == [w.chefs["Bo"]]


async def test_no_reminders_after_the_deadline(db: Database) -> None:
    _, round_id = await five_chefs(db, IDENTIFIED)
    with pytest.raises(RoundError) as caught:
        await remind(db, round_id=round_id, now=NOW + timedelta(days=10))
    assert caught.value.code == "not_open"


async def test_leave_is_set_by_upn_as_hr_types_it_and_ended_with_no_date(db: Database) -> None:
    w = await world(db)
    anna = await add_chef(db, w, "Anna Berg", department="IFO")
    chef = await set_on_leave(
        db,
        organisation_id=w.organisation,
        upn=" Anna@Kommun.se ",
        until=date(2026, 8, 31),
        now=NOW,
        policy=Policy(),
    )
    assert (chef.id, chef.on_leave_until) == (anna, date(2026, 8, 31))
    back = await set_on_leave(
        db, organisation_id=w.organisation, chef_id=anna, until=None, now=NOW, policy=Policy()
    )
    assert back.on_leave_until is None
    with pytest.raises(RoundError) as caught:
        await set_on_leave(
            db,
            organisation_id=w.organisation,
            upn="okand@kommun.se",
            until=None,
            now=NOW,
            policy=Policy(),
        )
    assert (caught.value.code, caught.value.params) == ("unknown_chef", {"upn": "okand@kommun.se"})
