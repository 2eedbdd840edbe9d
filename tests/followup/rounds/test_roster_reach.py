"""Roster changes reach an open round at once, as HR and the chefs notice it: who is reminded,
what HR's status counts, who is invited late, and a chef back from leave answering."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import col, select

from followup.check_in.steps import open_invitation
from followup.hr import operations, roster_edits
from followup.hr.operations import Call
from followup.people.access import Access
from followup.policy import Policy
from followup.rounds.lifecycle import RoundError, create_round, open_round
from followup.rounds.progress import Progress, set_on_leave
from followup.rounds.reminders import send_due_reminders
from followup.rounds.roster_reach import reach_open_rounds
from storage.answer_store import AnswerStore
from storage.chef_store import ChefStore
from storage.conversation_store import ConversationStore
from storage.database import Database
from storage.models import Chef, ConversationRef, Department, Invitation, OutboxMessage
from storage.plan_store import PlanStore
from tests.followup.check_in.test_steps import KARIN, demo
from tests.followup.hr.test_operations import department
from tests.followup.rounds.test_lifecycle import JOHAN, everyone_at_work

SE = ZoneInfo("Europe/Stockholm")
SWEDEN = Policy()
MARIA = "maria.akesson@demo.ledarpuls.se"
LEILA = "leila.haddad@demo.ledarpuls.se"
NEW = "nora.nilsson@demo.ledarpuls.se"
NORA_OBJECT_ID = "1a2b3c4d-0001-4000-8000-0000000000aa"


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """December 2026, Swedish time (the 7th is a Monday, the 12th a Saturday)."""
    return datetime(2026, 12, day, hour, minute, tzinfo=SE)


def hr(db: Database, org: int, now: datetime) -> Call:
    return Call(db, Access(actor=KARIN, organisation_id=org, admin=True), "cli", now, SWEDEN)


async def chef(db: Database, upn: str) -> Chef:
    async with db.session() as s:
        return (await s.exec(select(Chef).where(Chef.upn == upn))).one()


async def messages(db: Database, kind: str) -> list[tuple[int | None, str]]:
    """(chef, dedupe key) of every message of a kind, in the order queued."""
    async with db.session() as s:
        rows = (
            await s.exec(
                select(OutboxMessage)
                .where(OutboxMessage.kind == kind)
                .order_by(col(OutboxMessage.id))
            )
        ).all()
    return [(m.chef_id, m.dedupe_key) for m in rows]


async def reminded(db: Database) -> set[int | None]:
    return {chef_id for chef_id, _ in await messages(db, "reminder")}


async def invited(db: Database) -> list[int | None]:
    return [chef_id for chef_id, _ in await messages(db, "invitation")]


async def invitation(db: Database, chef_id: int) -> Invitation:
    async with db.session() as s:
        return (await s.exec(select(Invitation).where(Invitation.chef_id == chef_id))).one()


async def status(db: Database, org: int, round_id: int, now: datetime) -> Progress:
    return await operations.round_status(hr(db, org, now), round_id=round_id)


async def nora_had_the_app_and_is_added(
    db: Database, org: int
) -> tuple[ConversationRef, roster_edits.Edited]:
    """Nora installed Ledarpuls before HR put her on the roster (her chat, matched to nobody,
    carries her object id); then HR adds her to ÄO by card. Her chat, and what adding did."""
    ref, _ = await ConversationStore(db).remember(
        tenant_id="t",
        user_id="29:nora",
        conversation_id="a:nora",
        service_url="https://smba.example",
        reference={"conversation": {"id": "a:nora"}},
        now=at(1, 9),
        upn=NEW,
        aad_object_id=NORA_OBJECT_ID,
        organisation_id=org,
    )
    form, _ = roster_edits.check_new_chef(
        {"upn": NEW, "name": "Nora Nilsson", "department": str(await department(db, "ÄO"))},
        departments=await _departments(db, org),
    )
    assert form is not None
    return ref, await roster_edits.add_chef(hr(db, org, at(9, 10)), chef=form)


async def a_round(
    db: Database, *, departments: list[str] | None = None, johan_until: date | None = None
) -> tuple[int, int]:
    """The demo, everyone at work but Johan (on leave until `johan_until`, if given), and a
    round opened Monday 7 December at nine, last day Friday the 18th."""
    org, programme, _ = await demo(db)
    await everyone_at_work(db, org)
    if johan_until is not None:
        await set_on_leave(
            db, organisation_id=org, upn=JOHAN, until=johan_until, now=at(7, 8), policy=SWEDEN
        )
    ids = [await department(db, code) for code in departments or []]
    round_ = await create_round(
        db,
        organisation_id=org,
        programme_id=programme,
        title="Hösten 2026",
        deadline=at(18, 23, 59),
        now=at(7, 9),
        department_ids=ids,
        reminder_offsets=(7, 2),
        reminder_cap=2,
        policy=SWEDEN,
    )
    assert round_.id is not None
    await open_round(db, round_id=round_.id, now=at(7, 9), policy=SWEDEN)
    return org, round_.id


async def test_leave_set_mid_round_stops_reminders_counts_as_on_leave_and_keeps_a_submission(
    db: Database,
) -> None:
    org, round_id = await a_round(db)
    maria, karin = await chef(db, MARIA), await chef(db, KARIN)
    assert maria.id is not None and karin.id is not None
    karins = await invitation(db, karin.id)
    assert karins.id is not None
    await AnswerStore(db).submit(invitation_id=karins.id, now=at(8, 10))
    before = await status(db, org, round_id, at(8, 11))

    # Tuesday: Maria goes on parental leave, and so does Karin, who has already answered
    for upn in (MARIA, KARIN):
        await operations.set_leave(hr(db, org, at(8, 12)), upn=upn, until=date(2027, 6, 30))

    # the first reminders fall due Monday the 14th at eight
    await send_due_reminders(db, now=at(14, 8), policy=SWEDEN)
    chased = await reminded(db)
    assert chased and maria.id not in chased and karin.id not in chased
    after = await status(db, org, round_id, at(14, 9))
    assert after.total.on_leave == before.total.on_leave + 1  # Maria; Karin stays answered
    assert after.total.submitted == before.total.submitted == 1
    assert after.total.invited == before.total.invited - 1
    assert after.not_answered is None or "Maria Åkesson" not in after.not_answered
    # her invitation and anything she answered stay as they were
    assert (await invitation(db, maria.id)).state == "pending"
    assert (await invitation(db, karin.id)).state == "submitted"
    # HR's own påminn leaves her alone too
    reminding = await operations.remind(hr(db, org, at(14, 10)), round_id=round_id)
    assert maria.id not in await reminded(db)
    assert reminding.reminding.reminded >= 0


async def test_a_leave_that_ends_by_date_invites_the_chef_who_can_then_answer(
    db: Database,
) -> None:
    org, round_id = await a_round(db, johan_until=date(2026, 12, 8))
    johan = await chef(db, JOHAN)
    assert johan.id is not None
    assert (await invitation(db, johan.id)).state == "on_leave"
    assert johan.id not in await invited(db)
    assert (await status(db, org, round_id, at(8, 9))).total.on_leave == 1
    # before the scheduler's morning pass, on his first day back, he can already answer
    found = await open_invitation(db, chef_id=johan.id, now=at(9, 7), today=date(2026, 12, 9))
    assert found == (await invitation(db, johan.id)).id
    assert (await invitation(db, johan.id)).state == "delivered"


async def test_the_scheduler_invites_a_chef_whose_leave_ended_on_the_next_working_morning(
    db: Database,
) -> None:
    org, round_id = await a_round(db, johan_until=date(2026, 12, 11))
    johan = await chef(db, JOHAN)
    assert johan.id is not None
    # Saturday: back by date, but nobody is messaged at the weekend
    await send_due_reminders(db, now=at(12, 10), policy=SWEDEN)
    assert johan.id not in await invited(db)
    await send_due_reminders(db, now=at(14, 8), policy=SWEDEN)
    assert (await invited(db)).count(johan.id) == 1
    assert (await invitation(db, johan.id)).state == "pending"
    # the others are reminded that morning; he, invited just now, is not
    assert await reminded(db) and johan.id not in await reminded(db)
    progress = await status(db, org, round_id, at(14, 9))
    assert (progress.total.on_leave, progress.total.late) == (0, 1)
    # the same pass again, or another replica's: nothing twice
    await send_due_reminders(db, now=at(14, 8, 1), policy=SWEDEN)
    await reach_open_rounds(db, organisation_id=org, now=at(14, 9), policy=SWEDEN)
    assert (await invited(db)).count(johan.id) == 1
    # the reminder two days before the last day reaches him as everyone else
    await send_due_reminders(db, now=at(17, 8), policy=SWEDEN)
    assert johan.id in await reminded(db)


async def test_leave_ended_by_hr_invites_at_once(db: Database) -> None:
    org, _ = await a_round(db, johan_until=date(2026, 12, 31))
    johan = await chef(db, JOHAN)
    assert johan.id is not None and johan.id not in await invited(db)
    await operations.set_leave(hr(db, org, at(9, 13)), upn=JOHAN, until=None)
    assert (await invited(db)).count(johan.id) == 1
    found = await open_invitation(db, chef_id=johan.id, now=at(9, 14), today=date(2026, 12, 9))
    assert found is not None


async def test_a_chef_who_left_gets_no_reminders_is_shown_as_left_and_keeps_answers(
    db: Database,
) -> None:
    org, round_id = await a_round(db)
    leila = await chef(db, LEILA)
    assert leila.id is not None
    await roster_edits.end_chef(hr(db, org, at(9, 10)), chef_id=leila.id, version=None)
    await send_due_reminders(db, now=at(14, 8), policy=SWEDEN)
    assert leila.id not in await reminded(db)
    progress = await status(db, org, round_id, at(14, 9))
    assert progress.total.left == 1
    assert progress.departments["Individ- och familjeomsorg"].left == 1
    assert (await invitation(db, leila.id)).state == "pending"  # kept
    assert (await chef(db, LEILA)).left_at == at(9, 10)


async def test_a_chef_added_mid_round_is_invited_only_to_rounds_of_their_department(
    db: Database,
) -> None:
    org, round_id = await a_round(db, departments=["IFO"])
    call = hr(db, org, at(9, 10))
    lss = await department(db, "LSS")
    form, errors = roster_edits.check_new_chef(
        {"upn": NEW, "name": "Nora Nilsson", "department": str(lss), "unit": "Daglig verksamhet"},
        departments=await _departments(db, org),
    )
    assert errors == [] and form is not None
    added = await roster_edits.add_chef(call, chef=form)
    assert added.invited_to == []  # LSS is not in the round
    ifo = await department(db, "IFO")
    moved = await roster_edits.move_chef(
        hr(db, org, at(10, 10)),
        chef_id=added.chef.id or 0,
        department_id=ifo,
        unit="Barn och unga",
        version=None,
    )
    assert moved.invited_to == [round_id]
    assert (await invited(db)).count(added.chef.id) == 1
    progress = await status(db, org, round_id, at(10, 11))
    assert progress.total.late == 1


async def test_a_chef_who_had_the_app_before_being_added_is_reached_in_their_chat(
    db: Database,
) -> None:
    org, _ = await a_round(db)
    # Nora installed Ledarpuls before HR put her on the roster: her chat is matched to nobody
    ref, added = await nora_had_the_app_and_is_added(db, org)
    assert added.invited_to and added.reach.linked == 1
    async with db.session() as s:
        linked = await s.get(ConversationRef, ref.id)
    assert linked is not None and linked.chef_id == added.chef.id
    # her entry learns her object id, as an install would have taught it: HR's access and the
    # audit log find her UPN by it from now on
    assert (await chef(db, NEW)).aad_object_id == NORA_OBJECT_ID


async def test_an_object_id_another_chef_has_is_not_learned_twice(db: Database) -> None:
    org, _ = await a_round(db)
    maria = await chef(db, MARIA)
    assert maria.id is not None
    # a chef who left, whose entry holds the object id Nora's chat carries (a reused account)
    await ChefStore(db).link_identity(chef_id=maria.id, aad_object_id=NORA_OBJECT_ID, now=at(1, 9))
    async with db.session() as s, s.begin():
        gone = await s.get(Chef, maria.id)
        assert gone is not None
        gone.active = False
    _, added = await nora_had_the_app_and_is_added(db, org)
    assert added.reach.linked == 1  # her chat is hers, found by her UPN
    assert (await chef(db, NEW)).aad_object_id is None
    assert (await chef(db, MARIA)).aad_object_id == NORA_OBJECT_ID


async def test_bad_new_chefs_and_stale_edits_change_nothing(db: Database) -> None:
    org, _ = await a_round(db)
    departments = await _departments(db, org)
    _, errors = roster_edits.check_new_chef(
        {"upn": "inte en adress", "name": "", "department": "999", "object_id": "x"},
        departments=departments,
    )
    assert {(e.name, e.code) for e in errors} == {
        ("upn", "bad_upn"),
        ("name", "required"),
        ("department", "bad_choice"),
        ("object_id", "bad_object_id"),
    }
    form, _ = roster_edits.check_new_chef(
        {"upn": MARIA, "name": "Maria Åkesson", "department": str(departments[0].id)},
        departments=departments,
    )
    assert form is not None
    with pytest.raises(RoundError) as exists:
        await roster_edits.add_chef(hr(db, org, at(9, 10)), chef=form)
    assert exists.value.code == "chef_exists"
    maria = await chef(db, MARIA)
    assert maria.id is not None
    with pytest.raises(RoundError) as stale:
        await roster_edits.end_chef(hr(db, org, at(9, 10)), chef_id=maria.id, version="old")
    assert stale.value.code == "stale_card"
    with pytest.raises(RoundError) as foreign:
        await roster_edits.end_chef(hr(db, org + 1, at(9, 10)), chef_id=maria.id, version=None)
    assert foreign.value.code == "no_such_chef"
    assert (await chef(db, MARIA)).active
    async with db.session() as s:
        chefs = len((await s.exec(select(Chef))).all())
    assert chefs == 12


async def _departments(db: Database, org: int) -> list[Department]:
    return await PlanStore(db).departments(org, active_only=True)


async def test_the_rounds_digest_counts_leave_and_leavers_as_status_does(
    db: Database,
) -> None:
    org, round_id = await a_round(db)
    maria, leila = await chef(db, MARIA), await chef(db, LEILA)
    assert maria.id is not None and leila.id is not None
    await operations.set_leave(hr(db, org, at(8, 12)), upn=MARIA, until=date(2027, 6, 30))
    await roster_edits.end_chef(hr(db, org, at(9, 10)), chef_id=leila.id, version=None)
    open_status = await status(db, org, round_id, at(17, 9))
    assert (open_status.total.on_leave, open_status.total.left) == (1, 1)
    # the open round's digest (its response counts) agrees with status
    sealed = await operations.request_digest(hr(db, org, at(17, 9)), round_id=round_id)
    assert sealed.sealed
    assert (sealed.total.invited, sealed.on_leave, sealed.left) == (
        open_status.total.invited,
        1,
        1,
    )

    await operations.close_round(hr(db, org, at(18, 16)), round_id=round_id)
    # the close writes down who was away, so every later view counts them the same way
    assert (await invitation(db, maria.id)).state == "on_leave"
    assert (await invitation(db, leila.id)).state == "left"
    closed_status = await status(db, org, round_id, at(21, 9))
    assert closed_status.total.invited == open_status.total.invited
    assert (closed_status.total.on_leave, closed_status.total.left) == (1, 1)
    digest = await operations.request_digest(hr(db, org, at(21, 9)), round_id=round_id)
    assert digest.total.invited == open_status.total.invited
    assert (digest.on_leave, digest.left) == (1, 1)
    # Maria coming back, or Leila being added again, changes no figure of the closed round
    await operations.set_leave(hr(db, org, at(21, 10)), upn=MARIA, until=None)
    again = await operations.request_digest(hr(db, org, at(21, 11)), round_id=round_id)
    assert (again.total.invited, again.on_leave, again.left) == (digest.total.invited, 1, 1)
