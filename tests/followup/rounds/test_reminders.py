"""The reminder policy with a clock of our choosing: offsets, working hours, the cap, catching
up after downtime without doubles, and "påminn mig senare"."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlmodel import select

from followup.policy import Policy
from followup.rounds.lifecycle import create_round, open_round
from followup.rounds.reminders import send_due_reminders
from followup.rounds.workdays import in_working_hours, next_window, next_working_morning
from storage.database import Database
from storage.models import Invitation, OutboxMessage
from tests.followup.check_in.test_steps import demo
from tests.followup.rounds.test_lifecycle import everyone_at_work

SE = ZoneInfo("Europe/Stockholm")
SWEDEN = Policy()  # the default policy: Swedish time


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """December 2026, Swedish time (the 7th is a Monday, the 12th a Saturday)."""
    return datetime(2026, 12, day, hour, minute, tzinfo=SE)


def test_working_hours_are_weekdays_eight_to_five_swedish_time() -> None:
    def working(moment: datetime) -> bool:
        return in_working_hours(moment, policy=SWEDEN)

    def window(moment: datetime) -> datetime:
        return next_window(moment, policy=SWEDEN)

    assert working(at(7, 8)) and working(at(11, 16, 59))
    assert not working(at(11, 17)) and not working(at(12, 10))
    assert not working(at(8, 7, 59))
    assert window(at(11, 17, 30)) == at(14, 8)  # Friday evening → Monday morning
    assert window(at(13, 12)) == at(14, 8)  # Sunday
    assert window(at(8, 6)) == at(8, 8)  # early on a Tuesday
    assert window(at(8, 9)) == at(8, 9)
    assert window(datetime(2026, 12, 8, 6, 59, tzinfo=UTC)) == at(8, 8)  # 07:59 in Sweden


async def a_round(db: Database, *, opened: datetime, deadline: datetime) -> int:
    org, programme, karin = await demo(db)
    await everyone_at_work(db, org)
    round_ = await create_round(
        db,
        organisation_id=org,
        programme_id=programme,
        title="Delår 2",
        deadline=deadline,
        now=opened,
        reminder_offsets=(7, 2),
        reminder_cap=2,
        policy=SWEDEN,
    )
    assert round_.id is not None
    await open_round(db, round_id=round_.id, now=opened, policy=SWEDEN)
    async with db.session() as s, s.begin():
        answered = (await s.exec(select(Invitation).where(Invitation.chef_id == karin))).one()
        answered.state = "submitted"
    return round_.id


async def reminders(db: Database) -> list[OutboxMessage]:
    async with db.session() as s:
        return list(
            (await s.exec(select(OutboxMessage).where(OutboxMessage.kind == "reminder"))).all()
        )


async def test_reminders_follow_the_offsets_inside_working_hours_up_to_the_cap(
    db: Database,
) -> None:
    await a_round(db, opened=at(7, 9), deadline=at(18, 23, 59))
    # 7 days before the deadline is Friday the 11th at 23:59: outside working hours
    assert (
        await send_due_reminders(db, now=at(11, 16), policy=SWEDEN)
    ).scheduled == 0  # not due yet
    weekend = await send_due_reminders(db, now=at(12, 10), policy=SWEDEN)
    assert weekend.outside_hours and weekend.scheduled == 0
    monday = await send_due_reminders(db, now=at(14, 8, 5), policy=SWEDEN)
    assert monday.scheduled == 11  # everyone but Karin, who has answered
    assert (await send_due_reminders(db, now=at(14, 9), policy=SWEDEN)).scheduled == 0  # no doubles
    # 2 days before: Wednesday 23:59 → Thursday morning
    assert (await send_due_reminders(db, now=at(17, 8), policy=SWEDEN)).scheduled == 11
    assert (
        await send_due_reminders(db, now=at(18, 10), policy=SWEDEN)
    ).scheduled == 0  # the cap is 2
    sent = await reminders(db)
    assert len(sent) == 22 and len({m.dedupe_key for m in sent}) == 22


async def test_after_downtime_one_reminder_makes_up_for_all_that_were_missed(
    db: Database,
) -> None:
    await a_round(db, opened=at(7, 9), deadline=at(18, 23, 59))
    # the service was down from before the first offset until Thursday
    first = await send_due_reminders(db, now=at(17, 10), policy=SWEDEN)
    assert first.scheduled == 11
    assert (await send_due_reminders(db, now=at(17, 11), policy=SWEDEN)).scheduled == 0
    assert (await send_due_reminders(db, now=at(18, 9), policy=SWEDEN)).scheduled == 0
    assert len(await reminders(db)) == 11


async def test_remind_me_later_brings_one_reminder_the_next_working_morning(
    db: Database,
) -> None:
    round_id = await a_round(db, opened=at(7, 9), deadline=at(30, 23, 59))
    asked = at(11, 15)  # Friday afternoon
    async with db.session() as s, s.begin():
        invitation = (
            await s.exec(
                select(Invitation).where(
                    Invitation.round_id == round_id, Invitation.state == "pending"
                )
            )
        ).first()
        assert invitation is not None
        invitation.remind_later_at = next_working_morning(asked, policy=SWEDEN)
    assert next_working_morning(asked, policy=SWEDEN) == at(14, 9)
    assert (await send_due_reminders(db, now=at(14, 8, 30), policy=SWEDEN)).later == 0
    assert (await send_due_reminders(db, now=at(14, 9), policy=SWEDEN)).later == 1
    assert (await send_due_reminders(db, now=at(14, 10), policy=SWEDEN)).later == 0
    [later] = await reminders(db)
    assert later.chef_id == invitation.chef_id and ":later:" in later.dedupe_key
