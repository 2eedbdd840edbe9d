"""The calendar and the scheduler's passes with a clock of our choosing: planned once, heads-up a
week before, opened on the day, closed at the deadline, results queued once."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import col, select

from dialogs.formatting import stored_title_of
from followup.policy import Policy
from followup.rounds.calendar import (
    change_calendar,
    close_due_rounds,
    open_due_rounds,
    plan_rounds,
    send_heads_up,
    staff,
)
from followup.rounds.lifecycle import RoundError, close_round
from storage.answer_store import AnswerStore
from storage.conversation_store import ConversationStore
from storage.database import Database
from storage.models import Invitation, OutboxMessage, Programme, Role, Round
from storage.role_store import RoleStore
from tests.followup.check_in.test_steps import demo
from tests.followup.rounds.test_lifecycle import everyone_at_work

SE = ZoneInfo("Europe/Stockholm")
KARIN_AAD = "1a2b3c4d-0001-4000-8000-000000000004"


def at(month: int, day: int, hour: int = 12, minute: int = 0) -> datetime:
    return datetime(2027, month, day, hour, minute, tzinfo=SE)


async def hr_with_the_app(db: Database, org: int, karin: int) -> None:
    """Karin (a chef, HR by object id) and Eva (HR by UPN only) have installed the app."""
    roles, conversations, now = RoleStore(db), ConversationStore(db), at(1, 1)
    await roles.grant(
        organisation_id=org, principal=KARIN_AAD, role=Role.HR_ADMIN, created_by="t", now=now
    )
    await roles.grant(
        organisation_id=org,
        principal="eva.lindgren@demo.ledarpuls.se",
        role=Role.HR_ADMIN,
        created_by="t",
        now=now,
    )
    for user, aad, upn, chef in (
        ("29:karin", KARIN_AAD, None, karin),
        ("29:eva", "6b0e7c1a-2f3d-4e5a-9b6c-7d8e9f0a1b2c", "Eva.Lindgren@demo.ledarpuls.se", None),
    ):
        await conversations.remember(
            tenant_id="t",
            user_id=user,
            conversation_id=f"a:{user}",
            service_url="http://connector",
            reference={},
            now=now,
            aad_object_id=aad,
            upn=upn,
            organisation_id=org,
            chef_id=chef,
        )


async def outbox(db: Database, kind: str) -> list[OutboxMessage]:
    async with db.session() as s:
        return list(
            (
                await s.exec(
                    select(OutboxMessage)
                    .where(OutboxMessage.kind == kind)
                    .order_by(col(OutboxMessage.id))
                )
            ).all()
        )


async def test_a_calendar_round_from_plan_to_results(db: Database) -> None:
    org, _, karin = await demo(db)
    await everyone_at_work(db, org)
    await hr_with_the_app(db, org, karin)
    assert len(await staff(db, org)) == 2

    assert (
        await plan_rounds(db, now=at(2, 1), policy=Policy(), title_of=stored_title_of()) == []
    )  # 15 April is more than 45 days away
    [planned] = await plan_rounds(db, now=at(3, 10), policy=Policy(), title_of=stored_title_of())
    assert (
        await plan_rounds(db, now=at(3, 11), policy=Policy(), title_of=stored_title_of()) == []
    )  # once
    async with db.session() as s:
        round_ = await s.get(Round, planned)
    assert round_ is not None and round_.state == "scheduled"
    assert round_.title == "Uppföljning våren 2027"
    # three weeks on is Ascension Day (6 May 2027): the last day is the Friday after
    assert round_.opens_at == at(4, 15, 8) and round_.deadline == at(5, 7, 23, 59)

    assert await send_heads_up(db, now=at(4, 1), policy=Policy()) == 0  # two weeks ahead: not yet
    assert (
        await send_heads_up(db, now=at(4, 9), policy=Policy()) == 2
    )  # a week ahead: both HR admins
    assert await send_heads_up(db, now=at(4, 10), policy=Policy()) == 0

    assert await open_due_rounds(db, now=at(4, 15, 7, 59), policy=Policy()) == []
    assert await open_due_rounds(db, now=at(4, 15, 8), policy=Policy()) == [planned]
    assert await open_due_rounds(db, now=at(4, 15, 9), policy=Policy()) == []
    assert len(await outbox(db, "invitation")) == 12

    async with db.session() as s:
        karins = (
            await s.exec(
                select(Invitation).where(
                    Invitation.round_id == planned, Invitation.chef_id == karin
                )
            )
        ).one()
    assert karins.id is not None
    await AnswerStore(db).submit(invitation_id=karins.id, now=at(4, 20))

    assert await close_due_rounds(db, now=at(5, 7, 23, 58)) == []
    assert await close_due_rounds(db, now=at(5, 8, 0, 1)) == [planned]
    assert await close_due_rounds(db, now=at(5, 8, 1)) == []
    digests = await outbox(db, "digest")
    assert len(digests) == 2 and all(m.payload == {"departments": None} for m in digests)
    [feedback] = await outbox(db, "feedback")
    assert feedback.chef_id == karin


async def test_a_round_hr_closed_still_gets_its_results_once(db: Database) -> None:
    org, _, karin = await demo(db)
    await hr_with_the_app(db, org, karin)
    [planned] = await plan_rounds(
        db, now=at(9, 20), policy=Policy(), title_of=stored_title_of()
    )  # 15 October
    await open_due_rounds(db, now=at(10, 15, 8), policy=Policy())
    await close_round(db, round_id=planned, now=at(10, 20))
    assert await close_due_rounds(db, now=at(10, 20, 0, 5)) == []  # nothing left to close
    assert len(await outbox(db, "digest")) == 2  # but the results went out
    await close_due_rounds(db, now=at(10, 21))
    assert len(await outbox(db, "digest")) == 2


async def test_hr_changes_the_calendar_and_planned_rounds_follow(db: Database) -> None:
    org, programme, _ = await demo(db)
    [spring] = await plan_rounds(
        db, now=at(3, 10), policy=Policy(), title_of=stored_title_of()
    )  # 15 April 2027, planned

    change = await change_calendar(
        db,
        organisation_id=org,
        programme_id=programme,
        round_opens=["04-22", "10-15"],
        answer_days=14,
        now=at(3, 12),
        policy=Policy(),
        title_of=stored_title_of(),
    )
    assert (change.moved, change.skipped, change.planned) == ([spring], [], [])
    async with db.session() as s:
        moved = await s.get(Round, spring)
        saved = await s.get(Programme, programme)
    assert moved is not None and saved is not None
    # two weeks on is Ascension Day (6 May 2027): the Friday after
    assert (moved.opens_at, moved.deadline) == (at(4, 22, 8), at(5, 7, 23, 59))
    assert (saved.round_opens, saved.answer_days) == (["04-22", "10-15"], 14)
    assert (
        await plan_rounds(db, now=at(3, 13), policy=Policy(), title_of=stored_title_of()) == []
    )  # the half-year has its round
    assert await open_due_rounds(db, now=at(4, 15, 8), policy=Policy()) == []  # no longer its day
    assert await open_due_rounds(db, now=at(4, 22, 8), policy=Policy()) == [spring]

    # autumn only from now on: the next spring is not planned, a day within reach is at once
    change = await change_calendar(
        db,
        organisation_id=org,
        programme_id=programme,
        round_opens=["10-01"],
        answer_days=21,
        now=at(8, 20),
        policy=Policy(),
        title_of=stored_title_of(),
    )
    assert change.moved == [] and change.skipped == [] and len(change.planned) == 1
    async with db.session() as s:
        autumn = await s.get(Round, change.planned[0])
    assert autumn is not None and autumn.title == "Uppföljning hösten 2027"
    assert (autumn.opens_at, autumn.deadline) == (at(10, 1, 8), at(10, 22, 23, 59))


async def test_a_calendar_change_leaves_out_a_half_year_without_a_day(db: Database) -> None:
    org, programme, _ = await demo(db)
    [autumn] = await plan_rounds(db, now=at(9, 20), policy=Policy(), title_of=stored_title_of())
    change = await change_calendar(
        db,
        organisation_id=org,
        programme_id=programme,
        round_opens=["04-15"],
        answer_days=21,
        now=at(9, 21),
        policy=Policy(),
        title_of=stored_title_of(),
    )
    assert change.skipped == [autumn]
    async with db.session() as s:
        skipped = await s.get(Round, autumn)
    assert skipped is not None and skipped.state == "archived"
    assert await open_due_rounds(db, now=at(10, 15, 8), policy=Policy()) == []


async def test_a_calendar_change_for_another_organisation_is_refused(db: Database) -> None:
    _, programme, _ = await demo(db)
    with pytest.raises(RoundError) as refused:
        await change_calendar(
            db,
            organisation_id=999,
            programme_id=programme,
            round_opens=["05-01"],
            answer_days=21,
            now=at(1, 10),
            policy=Policy(),
            title_of=stored_title_of(),
        )
    assert refused.value.code == "unknown_programme"
    async with db.session() as s:
        unchanged = await s.get(Programme, programme)
    assert unchanged is not None and unchanged.round_opens == ["04-15", "10-15"]
