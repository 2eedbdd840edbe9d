"""The policy's rules in another time zone: a round's last day, its opening, working hours for
reminders and "later" all follow the zone the deployment sets (TIMEZONE), not Sweden's."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import select

from followup.policy import Policy
from followup.rounds.calendar import close_due_rounds, plan_rounds
from followup.rounds.form import check_dates
from followup.rounds.lifecycle import create_round, open_round
from followup.rounds.reminders import send_due_reminders
from followup.rounds.workdays import in_working_hours, next_working_morning
from storage.database import Database
from storage.models import OutboxMessage, Round
from tests.followup.check_in.test_steps import demo
from tests.followup.rounds.test_lifecycle import everyone_at_work

NEW_YORK = ZoneInfo("America/New_York")
TOKYO = ZoneInfo("Asia/Tokyo")
STOCKHOLM = ZoneInfo("Europe/Stockholm")


def test_the_day_it_is_depends_on_the_zone() -> None:
    # 02:00 UTC on 13 June 2026 is still Friday evening in New York, Saturday in Stockholm
    moment = datetime(2026, 6, 13, 2, 0, tzinfo=UTC)
    assert Policy(zone=NEW_YORK).today(moment) == date(2026, 6, 12)
    assert Policy(zone=STOCKHOLM).today(moment) == date(2026, 6, 13)
    # a stored (naive) datetime is UTC
    assert Policy(zone=TOKYO).local(datetime(2026, 6, 12, 15, 0)).hour == 0


def test_a_round_form_reads_its_days_in_the_zone() -> None:
    policy = Policy(zone=NEW_YORK)
    (opens, deadline), _ = check_dates(
        {"opens": "2026-06-01", "deadline": "2026-06-12"}, policy=policy
    )
    assert opens is not None and deadline is not None
    assert (opens.astimezone(NEW_YORK).date(), opens.astimezone(NEW_YORK).time()) == (
        date(2026, 6, 1),
        time(8, 0),
    )
    # open all of its last day there: the deadline is the next morning in UTC
    assert deadline.astimezone(NEW_YORK).date() == date(2026, 6, 12)
    assert deadline.astimezone(UTC).date() == date(2026, 6, 13)


async def test_a_rounds_last_day_closes_at_23_59_in_the_policys_zone(db: Database) -> None:
    policy = Policy(zone=NEW_YORK)
    org, programme, _ = await demo(db)
    await everyone_at_work(db, org)
    opened = datetime(2026, 6, 1, 9, 0, tzinfo=NEW_YORK)
    round_ = await create_round(
        db,
        organisation_id=org,
        programme_id=programme,
        title="Delår 1",
        deadline=policy.last_moment(date(2026, 6, 12)),
        now=opened,
        policy=policy,
    )
    assert round_.id is not None
    await open_round(db, round_id=round_.id, now=opened, policy=policy)
    # Saturday morning in Sweden, but the last day is not over in New York
    assert await close_due_rounds(db, now=datetime(2026, 6, 12, 23, 58, tzinfo=NEW_YORK)) == []
    closed = await close_due_rounds(db, now=datetime(2026, 6, 12, 23, 59, tzinfo=NEW_YORK))
    assert closed == [round_.id]


async def test_the_calendar_opens_rounds_at_eight_in_the_zone(db: Database) -> None:
    policy = Policy(zone=TOKYO)
    await demo(db)  # its programme opens rounds on 15 April and 15 October
    [planned] = await plan_rounds(
        db,
        now=datetime(2027, 3, 10, 12, 0, tzinfo=TOKYO),
        policy=policy,
        title_of=lambda day: f"Round {day.isoformat()}",
    )
    async with db.session() as s:
        round_ = await s.get(Round, planned)
    assert round_ is not None and round_.opens_at is not None
    assert round_.title == "Round 2027-04-15"
    opens = round_.opens_at.astimezone(TOKYO)
    assert (opens.date(), opens.time()) == (date(2027, 4, 15), time(8, 0))
    deadline = round_.deadline.astimezone(TOKYO)
    # three weeks on is Ascension Day (6 May 2027), a holiday: the Friday after
    assert (deadline.time(), deadline.date() - opens.date()) == (time(23, 59), timedelta(days=22))


def test_working_hours_and_later_are_the_zones() -> None:
    tokyo, sweden = Policy(zone=TOKYO), Policy(zone=STOCKHOLM)
    # Monday 7 December 2026, 09:00 in Tokyo is 01:00 in Stockholm
    morning_in_tokyo = datetime(2026, 12, 7, 9, 0, tzinfo=TOKYO)
    assert in_working_hours(morning_in_tokyo, policy=tokyo)
    assert not in_working_hours(morning_in_tokyo, policy=sweden)
    # 18:00 in Tokyo is 10:00 in Stockholm
    evening_in_tokyo = datetime(2026, 12, 7, 18, 0, tzinfo=TOKYO)
    assert not in_working_hours(evening_in_tokyo, policy=tokyo)
    assert in_working_hours(evening_in_tokyo, policy=sweden)
    # "påminn mig senare" on a Friday evening in Tokyo: Monday 09:00 there
    later = next_working_morning(datetime(2026, 12, 11, 20, 0, tzinfo=TOKYO), policy=tokyo)
    assert later == datetime(2026, 12, 14, 9, 0, tzinfo=TOKYO)


async def test_reminders_go_out_in_the_zones_working_hours(db: Database) -> None:
    tokyo = Policy(zone=TOKYO)
    org, programme, _ = await demo(db)
    await everyone_at_work(db, org)
    opened = datetime(2026, 12, 1, 9, 0, tzinfo=TOKYO)
    round_ = await create_round(
        db,
        organisation_id=org,
        programme_id=programme,
        title="Delår 2",
        deadline=tokyo.last_moment(date(2026, 12, 14)),  # the 7-day reminder: 7 Dec 23:59
        now=opened,
        policy=tokyo,
    )
    assert round_.id is not None
    await open_round(db, round_id=round_.id, now=opened, policy=tokyo)
    # Tuesday 8 December, 18:30 in Tokyo (10:30 in Stockholm): after hours there, nothing goes
    evening = await send_due_reminders(
        db, now=datetime(2026, 12, 8, 18, 30, tzinfo=TOKYO), policy=tokyo
    )
    assert evening.outside_hours and evening.scheduled == 0
    # Wednesday 9 December, 08:00 in Tokyo (00:00 in Stockholm): the working day there
    morning = await send_due_reminders(
        db, now=datetime(2026, 12, 9, 8, 0, tzinfo=TOKYO), policy=tokyo
    )
    assert morning.scheduled > 0
    async with db.session() as s:
        queued = (await s.exec(select(OutboxMessage).where(OutboxMessage.kind == "reminder"))).all()
    assert len(queued) == morning.scheduled
